/* SPDX-License-Identifier: MIT
 * on_location.c: location requests a device sends on its d2c topic (docs/location.md#location-over-mqtt), answered
 * on the reply topics of docs/location.md#mqtt-reply-topics chosen by the request's appId: GROUND_FIX on .../ground_fix/r,
 * CELL_POS (<= v2.1) on c2d, AGNSS on .../agnss/r and AGPS on .../agps/r as binary schema-v1
 * messages that each fit the device's buffer, PGPS on .../pgps/r as ["host","path"]. Failures
 * answer {"appId","messageType":"DATA","err":<code>} on the same topic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agnss.h"
#include "c2d.h"
#include "location_svc.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"

/* The reply topic of app_id; legacy, when the device listens on <= v2.1's c2d, gets that
 * topic too (A-GPS and P-GPS answers went there before v2.2). */
static void reply_topic(const char *device, const char *app_id, char *topic, size_t size,
			char *legacy, size_t legacy_size)
{
	const char *leaf = !strcmp(app_id, "GROUND_FIX") ? "ground_fix"
			   : !strcmp(app_id, "AGNSS")     ? "agnss"
			   : !strcmp(app_id, "AGPS")      ? "agps"
			   : !strcmp(app_id, "PGPS")      ? "pgps"
							  : "c2d";

	snprintf(topic, size, "%sm/d/%s/%s/r", ncm_rt()->prefix, device, leaf);
	legacy[0] = '\0';
	if (!ncm_c2d_legacy(ncm_rt_db(), device, legacy, legacy_size) ||
	    !strcmp(app_id, "GROUND_FIX") || !strcmp(app_id, "AGNSS"))
		legacy[0] = '\0';
}

static void add(struct ncm_outbox *out, const char *topic, const char *legacy, const void *data,
		size_t len)
{
	ncm_outbox_add_raw(out, topic, data, len);
	if (legacy[0])
		ncm_outbox_add_raw(out, legacy, data, len);
}

static void add_json(struct ncm_outbox *out, const char *topic, const char *legacy, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12))
		       : NULL;

	if (text)
		add(out, topic, legacy, text, strlen(text));
	free(text);
	json_decref(j);
}

/* Ground fix flags from the request's "config" (only the keys that differ from the
 * defaults are sent: docs/location.md#ground-fix). */
static void flags_of(const json_t *config, struct ncm_loc_flags *flags, int *do_reply)
{
	flags->hi_conf = json_is_true(json_object_get(config, "hiConf"));
	flags->fallback = !json_is_false(json_object_get(config, "fallback"));
	*do_reply = !json_is_false(json_object_get(config, "doReply"));
}

/* Splits an A-GNSS payload into messages of at most the device's buffer. */
static int add_agnss(struct ncm_outbox *out, const char *topic, const char *legacy,
		     const uint8_t *data, size_t len, struct ncm_loc_fail *fail)
{
	struct ncm_agnss_part *parts = NULL;
	size_t n = 0, i;

	if (ncm_agnss_split(data, len, (size_t)ncm_rt()->cfg.device_buffer, &parts, &n,
			    &fail->err)) {
		fail->code = 50010;
		return -1;
	}
	for (i = 0; i < n; i++)
		add(out, topic, legacy, parts[i].data, parts[i].len);
	ncm_agnss_parts_free(parts, n);
	return 0;
}

/* An answer or error for CELL_POS (<= v2.1), which goes where c2d messages go. */
static void add_c2d(struct ncm_outbox *out, const char *device, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;

	if (text)
		ncm_c2d_outbox(ncm_rt_db(), device, text, strlen(text), out);
	free(text);
	json_decref(j);
}

int ncm_mqtt_location_request(const char *device, const char *topic, const json_t *msg)
{
	const char *app_id = json_string_value(json_object_get(msg, "appId"));
	const json_t *data = json_object_get(msg, "data");
	struct ncm_loc_caller c = { device, 0, topic, 0 };
	struct ncm_loc_fail fail = { 0 };
	struct ncm_outbox out = { 0 };
	struct ncm_loc_flags flags;
	char reply[512], legacy[512], host[300], path[256];
	json_t *answer = NULL, *empty = json_object(), *r;
	uint8_t *bin = NULL;
	size_t len = 0;
	int rc, do_reply = 1, cell_pos;

	if (!app_id || (strcmp(app_id, "GROUND_FIX") && strcmp(app_id, "CELL_POS") &&
			strcmp(app_id, "AGNSS") && strcmp(app_id, "AGPS") && strcmp(app_id, "PGPS"))) {
		json_decref(empty);
		return 0;
	}
	cell_pos = !strcmp(app_id, "CELL_POS");
	reply_topic(device, app_id, reply, sizeof(reply), legacy, sizeof(legacy));
	if (!strcmp(app_id, "GROUND_FIX") || cell_pos) {
		flags_of(json_object_get(msg, "config"), &flags, &do_reply);
		rc = ncm_loc_svc_ground_fix(&c, app_id, data, &flags, &answer, &fail);
		if (!rc && do_reply) {
			if (cell_pos)
				json_object_del(answer, "fulfilledWith");
			r = json_pack("{s:s,s:s,s:O}", "appId", app_id, "messageType", "DATA",
				      "data", answer);
			if (cell_pos)
				add_c2d(&out, device, r);
			else
				add_json(&out, reply, legacy, r);
		}
	} else if (!strcmp(app_id, "PGPS")) {
		rc = ncm_loc_svc_pgps(&c, app_id, data ? data : empty, host, sizeof(host), path,
				      sizeof(path), &fail);
		if (!rc)
			add_json(&out, reply, legacy, json_pack("[s,s]", host, path));
	} else {
		rc = ncm_loc_svc_agnss(&c, app_id, data ? data : empty, 1, &bin, &len, &fail);
		if (!rc)
			rc = add_agnss(&out, reply, legacy, bin, len, &fail);
	}
	/* with doReply false the device expects nothing, not even an error (docs/location.md#ground-fix) */
	if (rc && do_reply) {
		r = json_pack("{s:s,s:s,s:i}", "appId", app_id, "messageType", "DATA", "err",
			      fail.code);
		if (cell_pos)
			add_c2d(&out, device, r);
		else
			add_json(&out, reply, legacy, r);
	}
	ncm_mqtt_publish_outbox(&out, device);
	ncm_outbox_release(&out);
	json_decref(answer);
	json_decref(empty);
	free(bin);
	return 1;
}
