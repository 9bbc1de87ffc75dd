/* SPDX-License-Identifier: MIT
 * usage.c: data usage counters (see usage.h). One row per (device, day), in a flat array under
 * one lock: a lab has tens of devices, and a lookup is a short scan. Rows past MAX_ROWS go to
 * the unattributed row of the day, so memory stays bounded whatever clients do.
 */
#include "usage.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttsize.h"
#include "runtime.h"

#define MAX_ROWS 20000
#define DEVICE_MAX 136
#define DAY_MS (24LL * 3600 * 1000)

struct row {
	char device[DEVICE_MAX];
	int64_t day;           /* days since the epoch, UTC */
	uint64_t in[NCM_USAGE_KINDS], out[NCM_USAGE_KINDS];
};

static const char *const kind_names[NCM_USAGE_KINDS] = { "mqttPayload", "mqttWire", "https",
							   "firmware" };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct row *rows;
static size_t n_rows, cap_rows;

/* The row of (device, day), created when missing; NULL when out of memory. Lock held. */
static struct row *row_locked(const char *device, int64_t day)
{
	size_t i;

	for (i = n_rows; i-- > 0;)
		if (rows[i].day == day && !strcmp(rows[i].device, device))
			return &rows[i];
	if (n_rows >= MAX_ROWS && device[0])
		return row_locked("", day);
	if (n_rows == cap_rows) {
		size_t cap = cap_rows ? cap_rows * 2 : 64;
		struct row *grown = realloc(rows, cap * sizeof(*rows));

		if (!grown)
			return NULL;
		rows = grown;
		cap_rows = cap;
	}
	memset(&rows[n_rows], 0, sizeof(rows[n_rows]));
	snprintf(rows[n_rows].device, DEVICE_MAX, "%s", device);
	rows[n_rows].day = day;
	return &rows[n_rows++];
}

void ncm_usage_add(const char *device, enum ncm_usage_kind kind, uint64_t bytes_in,
		   uint64_t bytes_out)
{
	int64_t day = ncm_rt_now_ms() / DAY_MS;
	struct row *r;

	if ((unsigned)kind >= NCM_USAGE_KINDS || (!bytes_in && !bytes_out))
		return;
	pthread_mutex_lock(&lock);
	r = row_locked(device && strlen(device) < DEVICE_MAX ? device : "", day);
	if (r) {
		r->in[kind] += bytes_in;
		r->out[kind] += bytes_out;
	}
	pthread_mutex_unlock(&lock);
}

void ncm_usage_mqtt(const char *device, int in, const char *topic, size_t payload_len, int qos)
{
	uint64_t wire = ncm_mqtt_publish_wire_len(topic ? strlen(topic) : 0, payload_len, qos);
	uint64_t ack = ncm_mqtt_ack_wire_len(qos);

	/* the acknowledgement goes the other way: a device's PUBACK is an upload */
	ncm_usage_add(device, NCM_USAGE_MQTT_PAYLOAD, in ? payload_len : 0, in ? 0 : payload_len);
	ncm_usage_add(device, NCM_USAGE_MQTT_WIRE, in ? wire : ack, in ? ack : wire);
}

static json_t *pair(uint64_t in, uint64_t out)
{
	return json_pack("{s:I,s:I}", "in", (json_int_t)in, "out", (json_int_t)out);
}

static int newest_first(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? 1 : -1;
	return strcmp(x->device, y->device);
}

json_t *ncm_usage_json(const char *device)
{
	json_t *days = json_array(), *totals = json_object();
	uint64_t tin[NCM_USAGE_KINDS] = { 0 }, tout[NCM_USAGE_KINDS] = { 0 };
	struct row *copy = NULL;
	size_t i, n = 0;
	int k;

	pthread_mutex_lock(&lock);
	if (n_rows && (copy = malloc(n_rows * sizeof(*copy))))
		for (i = 0; i < n_rows; i++)
			if (!device || !strcmp(rows[i].device, device))
				copy[n++] = rows[i];
	pthread_mutex_unlock(&lock);
	if (n)
		qsort(copy, n, sizeof(*copy), newest_first);
	for (i = 0; i < n; i++) {
		char day[32];
		json_t *o;

		ncm_rt_iso8601(copy[i].day * DAY_MS, day, sizeof(day));
		day[10] = '\0';
		o = json_pack("{s:s,s:s}", "day", day, "device", copy[i].device);
		for (k = 0; k < NCM_USAGE_KINDS; k++) {
			json_object_set_new(o, kind_names[k], pair(copy[i].in[k], copy[i].out[k]));
			tin[k] += copy[i].in[k];
			tout[k] += copy[i].out[k];
		}
		json_array_append_new(days, o);
	}
	free(copy);
	for (k = 0; k < NCM_USAGE_KINDS; k++)
		json_object_set_new(totals, kind_names[k], pair(tin[k], tout[k]));
	return json_pack("{s:o,s:o}", "days", days, "totals", totals);
}

void ncm_usage_clear(void)
{
	pthread_mutex_lock(&lock);
	free(rows);
	rows = NULL;
	n_rows = cap_rows = 0;
	pthread_mutex_unlock(&lock);
}
