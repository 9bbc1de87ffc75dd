/* SPDX-License-Identifier: MIT
 * replay_import.c: nRF Cloud's stored device messages (GET /v1/messages, docs/protocol-rest.md#messages) as a
 * recording replay can play (see replay.h): each message becomes the device's publish on its
 * topic at the time nRF Cloud received it.
 */
#include "replay.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"

static int64_t received_ms(const json_t *item)
{
	return ncm_iso8601_parse_ms(json_string_value(json_object_get(item, "receivedAt")));
}

static int cmp_time(const void *a, const void *b)
{
	int64_t x = received_ms(*(json_t *const *)a), y = received_ms(*(json_t *const *)b);

	return x < y ? -1 : x > y;
}

/* Appends the items of one page ({"items":[..]}), or of an array of pages or items. */
static void collect(json_t *doc, json_t *items)
{
	json_t *v;
	size_t i;

	if (json_is_object(doc) && json_is_array(json_object_get(doc, "items"))) {
		json_array_extend(items, json_object_get(doc, "items"));
		return;
	}
	json_array_foreach(doc, i, v) {
		if (json_is_object(v) && json_object_get(v, "items"))
			collect(v, items);
		else
			json_array_append(items, v);
	}
}

long ncm_replay_import_messages(const char *text, size_t len, const char *prefix, FILE *out,
				char *err, size_t err_size)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr), *items = json_array(), *it;
	json_t **sorted = NULL;
	size_t i, n;
	long written = -1;

	if (!doc) {
		snprintf(err, err_size, "not JSON: %s (line %d)", jerr.text, jerr.line);
		goto out;
	}
	collect(doc, items);
	n = json_array_size(items);
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted) {
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	json_array_foreach(items, i, it) {
		const char *topic = json_string_value(json_object_get(it, "topic"));
		const char *device = json_string_value(json_object_get(it, "deviceId"));

		if (!json_is_object(it) || !topic || !device ||
		    received_ms(it) < 0 ||
		    !json_object_get(it, "message")) {
			snprintf(err, err_size, "item %zu is not a device message {\"topic\","
				 "\"deviceId\",\"receivedAt\",\"message\"}", i);
			goto out;
		}
		sorted[i] = it;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_time);
	for (i = 0; i < n; i++) {
		const char *topic = json_string_value(json_object_get(sorted[i], "topic"));
		const char *tail = strstr(topic, "m/d/");
		char *payload = json_dumps(json_object_get(sorted[i], "message"),
					   JSON_COMPACT | JSON_ENCODE_ANY);
		char full[1024];
		json_t *rec;
		char *line;

		/* "m/d/<id>/d2c" or "<stage>/<tenant>/m/d/<id>/d2c": the message's own part */
		snprintf(full, sizeof(full), "%s%s", prefix && tail ? prefix : "",
			 prefix && tail ? tail : topic);
		rec = json_pack("{s:I,s:I,s:s,s:s,s:s,s:i,s:s,s:s}", "seq", (json_int_t)(i + 1),
				"ts", (json_int_t)received_ms(sorted[i]),
				"kind", "mqtt.publish", "device",
				json_string_value(json_object_get(sorted[i], "deviceId")), "topic",
				full, "status", 1, "reason", "imported from GET /v1/messages",
				"payload", payload ? payload : "");
		line = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
		if (line)
			fprintf(out, "%s\n", line);
		free(line);
		free(payload);
		json_decref(rec);
	}
	written = (long)n;
out:
	free(sorted);
	json_decref(items);
	json_decref(doc);
	return written;
}
