/* SPDX-License-Identifier: MIT
 * match.c: journal record patterns (see match.h).
 */
#include "match.h"

#include <string.h>
#include <strings.h>

#include "topic.h"

int ncm_json_subset(const json_t *pattern, const json_t *value)
{
	const char *key;
	json_t *v;

	if (!pattern)
		return 1;
	if (!value)
		return 0;
	if (json_is_object(pattern)) {
		if (!json_is_object(value))
			return 0;
		json_object_foreach((json_t *)pattern, key, v)
			if (!ncm_json_subset(v, json_object_get(value, key)))
				return 0;
		return 1;
	}
	if (json_is_number(pattern) && json_is_number(value))
		return json_number_value(pattern) == json_number_value(value);
	return json_equal((json_t *)pattern, (json_t *)value);
}

int ncm_record_matches(const struct ncm_record_pattern *p, const char *kind, const char *device,
		       const char *topic, const void *payload, size_t payload_len)
{
	size_t klen;
	json_t *j;
	int ok;

	if (p->kind) {
		klen = strlen(p->kind);
		if (!kind || (klen && p->kind[klen - 1] == '.' ? strncmp(kind, p->kind, klen)
							       : strcmp(kind, p->kind)))
			return 0;
	}
	if (p->device && (!device || strcasecmp(device, p->device)))
		return 0;
	if (p->topic && !ncm_topic_matches(p->topic, topic))
		return 0;
	if (!p->payload)
		return 1;
	if (!payload)
		return 0;
	j = json_loadb(payload, payload_len, JSON_DECODE_ANY, NULL);
	ok = j && ncm_json_subset(p->payload, j);
	json_decref(j);
	return ok;
}
