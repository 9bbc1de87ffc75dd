/* SPDX-License-Identifier: MIT
 * outbox.h: messages a protocol step wants published, collected while it runs (inside its store
 * transaction) and published by the glue afterwards: directly on the broker thread, or through
 * the command queue from HTTP threads. Keeps the service code free of mosquitto_*.
 */
#ifndef NCM_OUTBOX_H
#define NCM_OUTBOX_H

#include <stddef.h>

#include <jansson.h>

struct ncm_outmsg {
	char *topic;
	char *payload;
	size_t len;
	struct ncm_outmsg *next;
};

struct ncm_outbox {
	struct ncm_outmsg *head, *tail;
	size_t count;
};

/* Appends topic + the compact JSON of payload (stolen). 0, or -1 on no memory. */
int ncm_outbox_add_json(struct ncm_outbox *out, const char *topic, json_t *payload);
/* Appends topic + a copy of raw bytes. */
int ncm_outbox_add_raw(struct ncm_outbox *out, const char *topic, const void *payload,
		       size_t len);
void ncm_outbox_release(struct ncm_outbox *out);

#endif
