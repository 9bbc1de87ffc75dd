/* SPDX-License-Identifier: MIT
 * outbox.c: the list of messages to publish (see outbox.h).
 */
#include "outbox.h"
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

static int append(struct ncm_outbox *out, const char *topic, char *payload, size_t len)
{
	struct ncm_outmsg *m = calloc(1, sizeof(*m));

	if (!m || !(m->topic = strdup(topic))) {
		free(m);
		free(payload);
		return -1;
	}
	m->payload = payload;
	m->len = len;
	if (out->tail)
		out->tail->next = m;
	else
		out->head = m;
	out->tail = m;
	out->count++;
	return 0;
}

int ncm_outbox_add_json(struct ncm_outbox *out, const char *topic, json_t *payload)
{
	char *text = payload ? ncm_json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(payload);
	if (!text)
		return -1;
	return append(out, topic, text, strlen(text));
}

int ncm_outbox_add_raw(struct ncm_outbox *out, const char *topic, const void *payload,
		       size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -1;
	memcpy(copy, payload, len);
	copy[len] = '\0';
	return append(out, topic, copy, len);
}

void ncm_outbox_release(struct ncm_outbox *out)
{
	struct ncm_outmsg *m, *next;

	for (m = out->head; m; m = next) {
		next = m->next;
		free(m->topic);
		free(m->payload);
		free(m);
	}
	memset(out, 0, sizeof(*out));
}
