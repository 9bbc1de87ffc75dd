/* SPDX-License-Identifier: MIT
 * answercache.h: the last JSON answer of GET /v1/devices/{id} per device, with the SHA-256 of
 * everything it was made from (the device's stored row, its stored shadow text, the team's
 * tenant ID). A GET whose inputs hash the same is answered with the same bytes, without
 * parsing the shadow and writing the answer again; any change to the device or its shadow
 * (from any thread or process) changes the inputs, and the answer is made afresh. Any thread.
 */
#ifndef NCM_HTTP_ANSWERCACHE_H
#define NCM_HTTP_ANSWERCACHE_H

#include <stddef.h>

#include "devices.h"

#define NCM_ANSWER_HASH 32

/* The SHA-256 of device d's stored fields, the shadow text (len bytes) and tenant. */
void ncm_answercache_inputs(const struct ncm_device *d, const char *shadow, size_t len,
			    const char *tenant, unsigned char out[NCM_ANSWER_HASH]);
/* A malloc'd copy of the answer kept for device id with inputs h, or NULL. */
char *ncm_answercache_get(const char *id, const unsigned char h[NCM_ANSWER_HASH]);
/* Keeps a copy of answer for device id with inputs h. */
void ncm_answercache_put(const char *id, const unsigned char h[NCM_ANSWER_HASH],
			 const char *answer);
/* Frees every entry (at stop). */
void ncm_answercache_clear(void);

#endif
