/* SPDX-License-Identifier: MIT
 * shadow_svc.c: shadows over MQTT and the cloud APIs (see shadow_svc.h). The shadow semantics are
 * core/shadow.c; this file decides topics, sizes, pairing and what is stored.
 */
#include "shadow_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "jsonata.h"
#include "log.h"
#include "pairing.h"
#include "runtime.h"
#include "shadow.h"
#include "shadows.h"
#include "devices.h"
#include "jsontext.h"

#define T_AWS "$aws/things/%s/shadow/"
#define T_NRF "%s/shadow/"

static void topic(char *buf, size_t size, const char *fmt, const char *id, const char *suffix)
{
	char base[256];

	snprintf(base, sizeof(base), fmt, id);
	snprintf(buf, size, "%s%s", base, suffix);
}

static time_t now_s(void)
{
	return (time_t)(ncm_rt_now_ms() / 1000);
}

static size_t json_size(const json_t *j)
{
	char *text = ncm_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = text ? strlen(text) : 0;

	free(text);
	return n;
}

/* Journals a reply that was trimmed or refused for the device buffer. */
static void journal_oversize(const char *device_id, const char *topic_name, size_t size,
			     size_t limit, const char *what)
{
	struct ncm_journal_rec rec = { 0 };
	char reason[256];

	snprintf(reason, sizeof(reason), "%s: %zu bytes, limit %zu", what, size, limit);
	rec.kind = "shadow.oversize";
	rec.device = device_id;
	rec.topic = topic_name;
	rec.reason = reason;
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_NOTICE, "shadow: %s for %s on %s", reason, device_id, topic_name);
}

static size_t device_buffer(void)
{
	int n = ncm_rt()->cfg.device_buffer;

	return n > 0 ? (size_t)n : 2048;
}

/* Adds payload (stolen) to the outbox when it fits limit; else journals and returns -1 (the
 * payload is dropped). */
static int emit(struct ncm_outbox *out, const char *device_id, const char *topic_name,
		json_t *payload, size_t limit)
{
	size_t n = json_size(payload);

	if (n > limit) {
		journal_oversize(device_id, topic_name, n, limit, "reply not sent");
		json_decref(payload);
		return -1;
	}
	return ncm_outbox_add_json(out, topic_name, payload);
}

static json_t *error_doc(int code, const char *message)
{
	return json_pack("{s:i,s:s,s:I}", "code", code, "message", message, "timestamp",
			 (json_int_t)now_s());
}

/* Loads the document (creating it) and makes sure desired holds prefix and pairing; stores it
 * when that changed anything. Runs inside the caller's transaction. */
static int load_doc(struct ncm_db *db, const char *device_id, json_t **doc,
		    struct ncm_err_info *err)
{
	json_t *stored = NULL;
	int changed = 0, rc;

	rc = ncm_store_shadow_get(db, device_id, &stored, err);
	if (rc && rc != NCM_ERR_NOT_FOUND)
		return rc;
	*doc = ncm_pairing_ensure(stored, ncm_rt()->prefix, device_id, now_s(), &changed);
	json_decref(stored);
	if (!*doc)
		return ncm_err_set(err, NCM_ERR_NOMEM, "shadow: out of memory");
	if (rc == NCM_ERR_NOT_FOUND) {
		long long version = 0;

		/* a shadow re-created after a delete continues the deleted one's version (AWS,
		 * docs/compatibility.md#shadow-version-across-delete) */
		if (ncm_store_shadow_version(db, device_id, &version, NULL) == NCM_OK &&
		    json_object_set_new(*doc, "version", json_integer(version))) {
			json_decref(*doc);
			*doc = NULL;
			return ncm_err_set(err, NCM_ERR_NOMEM, "shadow: out of memory");
		}
	}
	if (rc == NCM_ERR_NOT_FOUND || changed)
		return ncm_store_shadow_put(db, device_id, *doc, err);
	return NCM_OK;
}

int ncm_svc_shadow_read(struct ncm_db *db, const char *device_id, json_t **doc,
			struct ncm_err_info *err)
{
	json_t *stored = NULL;
	int changed = 0, rc;

	*doc = NULL;
	/* a stored shadow that already holds its pairing is only read: no write transaction
	 * (a GET of a device took the write lock each time, and waited for it under MQTT load) */
	if (!ncm_store_shadow_get(db, device_id, &stored, NULL)) {
		*doc = ncm_pairing_ensure(stored, ncm_rt()->prefix, device_id, now_s(), &changed);
		json_decref(stored);
		if (*doc && !changed)
			return NCM_OK;
		json_decref(*doc);
		*doc = NULL;
	}
	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	rc = load_doc(db, device_id, doc, err);
	if (!rc)
		rc = ncm_db_commit(db, err);
	if (rc) {
		ncm_db_rollback(db);
		json_decref(*doc);
		*doc = NULL;
	}
	return rc;
}

/* The three delta topics, each in its generation's form and size limit (docs/protocol-mqtt.md#shadow-topics,
 * docs/protocol-mqtt.md#deltas): AWS and G2 "full" with metadata, G3 "trim" without, and G3's error topic when even the
 * trimmed delta is too large (RN330: 1792 bytes). */
static void emit_deltas(struct ncm_outbox *out, const char *device_id, const json_t *doc,
			const char *client_token)
{
	json_t *full = ncm_shadow_delta_msg(doc, now_s(), 1), *trim;
	char t[512];
	size_t n;

	if (!full)
		return;
	if (client_token)
		json_object_set_new(full, "clientToken", json_string(client_token));
	trim = ncm_shadow_delta_msg(doc, now_s(), 0);
	topic(t, sizeof(t), T_AWS, device_id, "update/delta");
	emit(out, device_id, t, json_incref(full), device_buffer());
	topic(t, sizeof(t), T_NRF, device_id, "update/delta/full");
	n = json_size(full);
	if (n > device_buffer()) {
		char msg[160];

		journal_oversize(device_id, t, n, device_buffer(), "delta not sent");
		snprintf(msg, sizeof(msg), "delta of %zu bytes exceeds the device buffer of %zu", n,
			 device_buffer());
		topic(t, sizeof(t), T_NRF, device_id, "update/delta/full/err");
		ncm_outbox_add_json(out, t,
				    json_pack("{s:i,s:s,s:O,s:O}", "err", 413, "message", msg,
					      "version", json_object_get(full, "version"),
					      "timestamp", json_object_get(full, "timestamp")));
	} else {
		ncm_outbox_add_json(out, t, json_incref(full));
	}
	topic(t, sizeof(t), T_NRF, device_id, "update/delta/trim");
	n = json_size(trim);
	if (n > NCM_G3_MAX_RESPONSE || n > device_buffer()) {
		char msg[160];
		size_t limit = device_buffer() < NCM_G3_MAX_RESPONSE ? device_buffer()
								    : NCM_G3_MAX_RESPONSE;

		journal_oversize(device_id, t, n, limit, "delta not sent");
		snprintf(msg, sizeof(msg), "delta of %zu bytes exceeds the limit of %zu", n, limit);
		topic(t, sizeof(t), T_NRF, device_id, "update/delta/trim/err");
		ncm_outbox_add_json(out, t,
				    json_pack("{s:i,s:s,s:O,s:O}", "err", 413, "message", msg,
					      "version", json_object_get(trim, "version"),
					      "timestamp", json_object_get(trim, "timestamp")));
	} else {
		ncm_outbox_add_json(out, t, json_incref(trim));
	}
	json_decref(full);
	json_decref(trim);
}

/* Answers a rejected update on the topics of the flavour it came in (AWS update/rejected, and for
 * G2/G3's custom topic also the G3 error topic, the only error topic G3 firmware reads). */
static void emit_rejected(struct ncm_outbox *out, const char *device_id,
			  enum ncm_shadow_origin origin, const json_t *error)
{
	char t[512];

	if (origin == NCM_ORIGIN_CLOUD)
		return;
	topic(t, sizeof(t), T_AWS, device_id, "update/rejected");
	emit(out, device_id, t, json_incref((json_t *)error), device_buffer());
	if (origin == NCM_ORIGIN_NRF_TOPIC) {
		topic(t, sizeof(t), T_NRF, device_id, "update/delta/trim/err");
		emit(out, device_id, t,
		     json_pack("{s:O,s:O}", "err", json_object_get(error, "code"), "message",
			       json_object_get(error, "message")),
		     device_buffer());
	}
}

int ncm_svc_shadow_update(struct ncm_db *db, const char *device_id,
			  enum ncm_shadow_origin origin, const char *request, size_t len,
			  struct ncm_outbox *out, json_t **accepted, struct ncm_err_info *err)
{
	struct ncm_shadow_result res = { 0 };
	struct ncm_fault_hit hit;
	json_t *doc = NULL, *final = NULL;
	const char *token;
	char t[512];
	int rc, code;

	if (accepted)
		*accepted = NULL;
	if (origin != NCM_ORIGIN_CLOUD &&
	    ncm_faults_fire(NCM_FAULT_REJECT_SHADOW_UPDATE, device_id, NULL, NULL, &hit)) {
		json_t *e = error_doc(hit.code, hit.message[0] ? hit.message : "fault injected");

		if (e)
			emit_rejected(out, device_id, origin, e);
		json_decref(e);
		ncm_err_set(err, NCM_ERR_INVAL, "fault %d injected: reject_shadow_update", hit.id);
		return hit.code >= 400 && hit.code < 600 ? hit.code : 400;
	}
	/* connection states queued behind go first, in their own commit: a failure of this
	 * update must not roll them back */
	ncm_store_shadow_sync(db, NULL);
	rc = ncm_db_begin(db, err);
	if (rc) {
		code = 500;
		goto failed;
	}
	rc = load_doc(db, device_id, &doc, err);
	if (rc) {
		code = 500;
		goto out;
	}
	code = ncm_shadow_update(doc, request, len, now_s(), (size_t)ncm_rt()->cfg.shadow_max,
				 &res);
	if (code) {
		const char *msg = json_string_value(json_object_get(res.error, "message"));

		ncm_err_set(err, code == 500 ? NCM_ERR_NOMEM : NCM_ERR_INVAL, "%s",
			    msg ? msg : "shadow: out of memory");
		if (res.error)
			emit_rejected(out, device_id, origin, res.error);
		goto out;
	}
	/* desired always keeps the team prefix and the pairing (a device nulling desired would
	 * otherwise never pair again) */
	final = ncm_pairing_ensure(res.doc, ncm_rt()->prefix, device_id, now_s(), NULL);
	rc = final ? ncm_store_shadow_put(db, device_id, final, err) : NCM_ERR_NOMEM;
	if (!rc)
		rc = ncm_db_commit(db, err);
	if (rc) {
		code = 500;
		goto out;
	}
	token = json_string_value(json_object_get(res.accepted, "clientToken"));
	if (origin != NCM_ORIGIN_CLOUD) {
		topic(t, sizeof(t), T_AWS, device_id, "update/accepted");
		emit(out, device_id, t, json_incref(res.accepted), device_buffer());
		topic(t, sizeof(t), T_AWS, device_id, "update/documents");
		emit(out, device_id, t, json_incref(res.documents), device_buffer());
	}
	/* core decided whether this update publishes a delta (only requests with desired, or
	 * reports that make a shared key differ: docs/compatibility.md#delta-rule); the delta
	 * itself is computed on the stored document, pairing included */
	if (res.delta)
		emit_deltas(out, device_id, final, token);
	if (accepted)
		*accepted = json_incref(res.accepted);
out:
	/* a rejected request keeps what load_doc stored (pairing); only failures roll back, so a
	 * caller's enclosing transaction is not poisoned by a mere 400 */
	if (code == 500)
		ncm_db_rollback(db);
	else if (code && ncm_db_commit(db, NULL))
		ncm_db_rollback(db);
failed:
	/* a store failure (a full disk, the write lock busy) is answered too, as AWS IoT answers
	 * its own: update/rejected {"code":500,"message":"Internal service failure"} (AWS IoT
	 * Developer Guide, "Device Shadow error messages") */
	if (code == 500 && !res.error && origin != NCM_ORIGIN_CLOUD) {
		json_t *e = error_doc(500, "Internal service failure");

		if (e)
			emit_rejected(out, device_id, origin, e);
		json_decref(e);
	}
	json_decref(final);
	json_decref(doc);
	ncm_shadow_result_release(&res);
	return code;
}

/* nRF Cloud's trimmed get document, made smaller until it fits: first without reported, then
 * without config; NULL when even desired alone is too large. */
static json_t *trimmed_fitting(const json_t *doc, const char *device_id, const char *topic_name,
			       size_t limit)
{
	json_t *tr = ncm_shadow_trimmed(doc);
	size_t n = json_size(tr), first = n;

	if (n > limit) {
		json_object_set_new(tr, "reported", json_object());
		n = json_size(tr);
	}
	if (n > limit) {
		json_object_set_new(tr, "config", json_object());
		n = json_size(tr);
	}
	if (first > limit)
		journal_oversize(device_id, topic_name, first, limit,
				 n > limit ? "get reply refused" : "get reply trimmed");
	if (n > limit) {
		json_decref(tr);
		return NULL;
	}
	return tr;
}

static int get_rejected(struct ncm_outbox *out, const char *device_id, int aws, int code,
			const char *message)
{
	char t[512];

	topic(t, sizeof(t), aws ? T_AWS : T_NRF, device_id, "get/rejected");
	emit(out, device_id, t, error_doc(code, message), device_buffer());
	return code;
}

/* G3: {"t":"<JSONata>"[,"l":<max length>]} → {"tf":<result>} or an error object, both on
 * <id>/shadow/get/accepted/tf (docs/protocol-mqtt.md#the-shadow-get-reply, docs/protocol-mqtt.md#error-replies). */
static int answer_transform(struct ncm_outbox *out, const char *device_id, const json_t *doc,
			    const char *request, size_t len)
{
	struct ncm_jsonata_error jerr = { 0 };
	json_error_t perr;
	json_t *req, *input = NULL, *result = NULL, *reply;
	const char *expr;
	size_t limit = NCM_G3_MAX_RESPONSE, n;
	char t[512];
	int code = 0;

	req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &perr);
	expr = json_string_value(json_object_get(req, "t"));
	if (!expr) {
		code = get_rejected(out, device_id, 0, 400,
				    req ? "transform request needs a string \"t\""
					: "Payload contains invalid json");
		goto out;
	}
	if (json_is_integer(json_object_get(req, "l")) &&
	    json_integer_value(json_object_get(req, "l")) > 0)
		limit = (size_t)json_integer_value(json_object_get(req, "l"));
	if (limit > device_buffer())
		limit = device_buffer();
	input = ncm_shadow_get_accepted(doc, now_s());
	result = ncm_jsonata_eval(expr, json_string_length(json_object_get(req, "t")), input,
				  &jerr);
	if (jerr.code) {
		reply = ncm_jsonata_error_json(&jerr);
		ncm_log(NCM_LOG_NOTICE, "shadow: transform from %s refused: %s", device_id,
			jerr.message);
	} else if (!result) {
		/* JSONata's "undefined": nRF Cloud, a JavaScript service, serialises
		 * {tf: undefined} as {} (JSON.stringify drops undefined members). The SDK's
		 * decoder then finds no result: sdk-nrf common/src/nrf_cloud_codec_internal.c
		 * nrf_cloud_obj_shadow_transform_decode() (-ENODATA without "tf" from v3.3; an
		 * empty result object in v2.8-v3.2). docs/compatibility.md#g3-transform-without-a-result */
		reply = json_object();
	} else {
		reply = json_pack("{s:o}", "tf", result);
		result = NULL;
	}
	topic(t, sizeof(t), T_NRF, device_id, "get/accepted/tf");
	n = json_size(reply);
	if (n > limit) {
		char msg[160];

		journal_oversize(device_id, t, n, limit, "transform result refused");
		snprintf(msg, sizeof(msg), "transform result of %zu bytes exceeds the limit of %zu",
			 n, limit);
		json_decref(reply);
		reply = json_pack("{s:i,s:i,s:s}", "err", 413, "position", 0, "message", msg);
	}
	ncm_outbox_add_json(out, t, reply);
out:
	json_decref(result);
	json_decref(input);
	json_decref(req);
	return code;
}

int ncm_svc_shadow_get(struct ncm_db *db, const char *device_id, enum ncm_topic_kind kind,
		       const char *request, size_t len, struct ncm_outbox *out,
		       struct ncm_err_info *err)
{
	json_t *doc = NULL, *tr;
	char t[512];
	int rc;

	rc = ncm_svc_shadow_read(db, device_id, &doc, err);
	if (rc)
		return 500;
	switch (kind) {
	case NCM_TOPIC_AWS_GET:
		/* G1 firmware reads the trimmed copy on the custom topic (docs/protocol-mqtt.md#shadow-topics); AWS
		 * clients read the full document on the AWS topic */
		topic(t, sizeof(t), T_NRF, device_id, "get/accepted");
		tr = trimmed_fitting(doc, device_id, t, device_buffer());
		if (!tr) {
			rc = get_rejected(out, device_id, 1, 413,
					  "shadow is larger than the device buffer");
			break;
		}
		ncm_outbox_add_json(out, t, tr);
		topic(t, sizeof(t), T_AWS, device_id, "get/accepted");
		emit(out, device_id, t, ncm_shadow_get_accepted(doc, now_s()), device_buffer());
		break;
	case NCM_TOPIC_G2_GET_TRIM:
		topic(t, sizeof(t), T_NRF, device_id, "get/accepted/trim");
		tr = trimmed_fitting(doc, device_id, t, device_buffer());
		if (!tr)
			rc = get_rejected(out, device_id, 0, 413,
					  "shadow is larger than the device buffer");
		else
			ncm_outbox_add_json(out, t, tr);
		break;
	case NCM_TOPIC_G3_GET_TF:
		rc = answer_transform(out, device_id, doc, request, len);
		break;
	default:
		rc = ncm_err_set(err, NCM_ERR_INVAL, "not a shadow get topic");
		break;
	}
	json_decref(doc);
	return rc;
}

int ncm_svc_shadow_delete(struct ncm_db *db, const char *device_id, struct ncm_outbox *out,
			  struct ncm_err_info *err)
{
	json_t *doc = NULL;
	char t[512], msg[256];
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return 500;
	rc = ncm_store_shadow_get(db, device_id, &doc, err);
	if (rc == NCM_ERR_NOT_FOUND) {
		ncm_db_commit(db, NULL);
		snprintf(msg, sizeof(msg), "No shadow exists with name: '%s'", device_id);
		topic(t, sizeof(t), T_AWS, device_id, "delete/rejected");
		emit(out, device_id, t, error_doc(404, msg), device_buffer());
		return 404;
	}
	if (!rc)
		rc = ncm_store_shadow_delete(db, device_id, err);
	if (!rc)
		rc = ncm_db_commit(db, err);
	if (rc) {
		ncm_db_rollback(db);
		json_decref(doc);
		return 500;
	}
	topic(t, sizeof(t), T_AWS, device_id, "delete/accepted");
	emit(out, device_id, t,
	     json_pack("{s:O,s:I}", "version", json_object_get(doc, "version"), "timestamp",
		       (json_int_t)now_s()),
	     device_buffer());
	json_decref(doc);
	return 0;
}

/* The update request of one connection change, APPPROT's ipShadow fields
 * (docs/protocol-mqtt.md#what-the-device-writes); malloc'd text or NULL. */
static char *connection_request(const struct ncm_conn_change *c)
{
	json_t *req;
	char *text;

	if (c->connected)
		req = json_pack("{s:{s:{s:{s:s,s:i,s:n,s:n}}}}", "state", "reported", "connection",
				"status", "connected", "keepalive", c->keepalive,
				"disconnectReason", "clientInitiatedDisconnect");
	else
		req = json_pack("{s:{s:{s:{s:s,s:s,s:b}}}}", "state", "reported", "connection",
				"status", "disconnected", "disconnectReason",
				c->reason ? c->reason : "unknown", "clientInitiatedDisconnect",
				c->client_initiated);
	text = req ? ncm_json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	return text;
}

int ncm_svc_shadow_connections(struct ncm_db *db, const char *device_id,
			       const struct ncm_conn_change *changes, size_t n,
			       struct ncm_err_info *err)
{
	json_t *doc = NULL, *final = NULL;
	struct ncm_device d;
	size_t i, applied = 0;
	int rc;

	/* a device deleted (or reset away) while connected gets no shadow back on its disconnect */
	if (ncm_store_device_get(db, device_id, &d, NULL))
		return NCM_OK;
	ncm_device_release(&d);
	rc = ncm_db_begin(db, err);
	if (rc)
		return 500;
	rc = load_doc(db, device_id, &doc, err);
	if (rc) {
		rc = 500;
		goto out;
	}
	/* each change is an update of its own (one version each), applied to the document the
	 * previous one made; the shadow is read and written once */
	for (i = 0; i < n; i++) {
		struct ncm_shadow_result res = { 0 };
		char *text = connection_request(&changes[i]);
		int code;

		if (!text) {
			rc = ncm_err_set(err, NCM_ERR_NOMEM, "shadow: out of memory");
			goto out;
		}
		code = ncm_shadow_update(doc, text, strlen(text), now_s(),
					 (size_t)ncm_rt()->cfg.shadow_max, &res);
		free(text);
		if (code == 500) {
			ncm_shadow_result_release(&res);
			rc = ncm_err_set(err, NCM_ERR_NOMEM, "shadow: out of memory");
			goto out;
		}
		if (!code) {
			json_decref(doc);
			doc = json_incref(res.doc);
			applied++;
		} else {
			/* as a refused update stores nothing (a shadow grown past its limit) */
			ncm_err_set(err, NCM_ERR_INVAL, "connection state refused (%d)", code);
			rc = code;
		}
		ncm_shadow_result_release(&res);
	}
	if (applied) {
		/* connection changes only touch reported: desired (prefix, pairing) stays as
		 * load_doc made it, and no delta is worth sending */
		final = ncm_pairing_ensure(doc, ncm_rt()->prefix, device_id, now_s(), NULL);
		if (!final || ncm_store_shadow_put(db, device_id, final, err)) {
			rc = 500;
			goto out;
		}
	}
	if (ncm_db_commit(db, err))
		rc = 500;
out:
	if (rc == 500 || rc == NCM_ERR_NOMEM) {
		ncm_db_rollback(db);
		rc = 500;
	}
	json_decref(final);
	json_decref(doc);
	return rc;
}

int ncm_svc_shadow_connection(struct ncm_db *db, const char *device_id, int connected,
			      int keepalive, const char *reason, int client_initiated,
			      struct ncm_err_info *err)
{
	struct ncm_conn_change c = { connected, keepalive, client_initiated, reason };

	return ncm_svc_shadow_connections(db, device_id, &c, 1, err);
}

int ncm_svc_shadow_replace(struct ncm_db *db, const char *device_id, const json_t *state,
			   struct ncm_outbox *out, json_t **doc_out, struct ncm_err_info *err)
{
	json_t *doc = NULL, *replaced = NULL, *final = NULL;
	char msg[256] = "";
	int rc;

	*doc_out = NULL;
	rc = ncm_db_begin(db, err);
	if (rc)
		return 500;
	rc = load_doc(db, device_id, &doc, err);
	if (rc) {
		rc = 500;
		goto out;
	}
	replaced = ncm_shadow_replace(doc, state, now_s(), msg, sizeof(msg));
	if (!replaced) {
		rc = 400;
		ncm_err_set(err, NCM_ERR_INVAL, "%s", msg[0] ? msg : "invalid state");
		goto out;
	}
	final = ncm_pairing_ensure(replaced, ncm_rt()->prefix, device_id, now_s(), NULL);
	if (ncm_shadow_state_size(final) > (size_t)ncm_rt()->cfg.shadow_max) {
		rc = 413;
		ncm_err_set(err, NCM_ERR_TOO_BIG, "The payload exceeds the maximum size allowed");
		goto out;
	}
	if (ncm_store_shadow_put(db, device_id, final, err) || ncm_db_commit(db, err)) {
		rc = 500;
		goto out;
	}
	emit_deltas(out, device_id, final, NULL);
	*doc_out = json_incref(final);
out:
	if (rc == 500)
		ncm_db_rollback(db);
	else if (rc && ncm_db_commit(db, NULL))
		ncm_db_rollback(db);
	json_decref(final);
	json_decref(replaced);
	json_decref(doc);
	return rc;
}
