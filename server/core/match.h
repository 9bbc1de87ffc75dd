/* SPDX-License-Identifier: MIT
 * match.h: what a test waits for or asks about in the journal (docs/admin-api.md#journal): a record
 * pattern of kind, device, MQTT topic filter and a JSON payload subset. Pure; any thread.
 */
#ifndef NCM_MATCH_H
#define NCM_MATCH_H

#include <stddef.h>

#include <jansson.h>

/* 1 when value contains pattern: objects key by key, recursively (value may have more keys);
 * arrays, strings, numbers, booleans and null by equality (1 and 1.0 are equal). */
int ncm_json_subset(const json_t *pattern, const json_t *value);

struct ncm_record_pattern {
	const char *kind;       /* exact, or a prefix ending in '.'; NULL: any */
	const char *device;     /* case-insensitive; NULL: any */
	const char *topic;      /* MQTT filter; NULL: any */
	const json_t *payload;  /* JSON subset of the record's payload; NULL: any */
};

/* 1 when a record (its fields; payload as raw bytes, maybe not JSON) matches p. */
int ncm_record_matches(const struct ncm_record_pattern *p, const char *kind, const char *device,
		       const char *topic, const void *payload, size_t payload_len);

#endif
