/* SPDX-License-Identifier: MIT
 * admin_shadow.c: /mock/v1/devices/{id}/shadow and /messages: read a shadow, change it as the
 * cloud side does (PATCH an AWS update document; PUT a whole new state, keeping prefix and
 * pairing) with the delta reaching a connected device before the answer, read the device's
 * stored d2c messages, and send it a c2d message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin.h"
#include "c2d.h"
#include "publish.h"
#include "devices.h"
#include "log.h"
#include "messages.h"
#include "runtime.h"
#include "stream.h"
#include "shadow.h"
#include "shadow_svc.h"
#include "jsontext.h"

/* 404 unless the device exists; fills *ret when it answered. */
static int device_exists(struct ncm_req *req, enum MHD_Result *ret)
{
	struct ncm_err_info err;
	struct ncm_device d;
	int rc = ncm_store_device_get(ncm_rt_db(), req->params[0], &d, &err);

	if (rc == NCM_OK) {
		ncm_device_release(&d);
		return 1;
	}
	if (rc == NCM_ERR_NOT_FOUND)
		*ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	else
		*ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return 0;
}

#define REQUIRE_DEVICE(req)                             \
	do {                                            \
		enum MHD_Result r_;                     \
		if (!device_exists(req, &r_))           \
			return r_;                      \
	} while (0)

enum MHD_Result ncm_admin_shadow_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *doc = NULL, *out;

	NCM_REQUIRE_ADMIN(req);
	REQUIRE_DEVICE(req);
	if (ncm_svc_shadow_read(ncm_rt_db(), req->params[0], &doc, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	out = ncm_shadow_get_accepted(doc, (time_t)(ncm_rt_now_ms() / 1000));
	json_decref(doc);
	return ncm_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result reply_result(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "stored, but the broker refused to publish the delta");
	return ncm_reply_json(req, MHD_HTTP_OK, json_incref(req->result));
}

static enum MHD_Result shadow_error(struct ncm_req *req, int code, const char *msg)
{
	/* AWS's codes become the HTTP status; the body has nRF Cloud's error form */
	return ncm_reply_error(req, (unsigned int)code, code * 100, "%s", msg);
}

enum MHD_Result ncm_admin_shadow_patch(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	int code;

	NCM_REQUIRE_ADMIN(req);
	REQUIRE_DEVICE(req);
	code = ncm_svc_shadow_update(ncm_rt_db(), req->params[0], NCM_ORIGIN_CLOUD, req->body,
				     req->body_len, &out, &req->result, &err);
	if (code) {
		ncm_outbox_release(&out);
		return shadow_error(req, code, err.msg);
	}
	return ncm_http_publish_then(req, &out, req->params[0], NULL, NULL, reply_result);
}

enum MHD_Result ncm_admin_shadow_put(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	json_error_t jerr;
	json_t *body, *state;
	int code;

	NCM_REQUIRE_ADMIN(req);
	REQUIRE_DEVICE(req);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		return shadow_error(req, 400, "body must be {\"desired\":{..},\"reported\":{..}} "
				    "or {\"state\":{..}}");
	}
	state = json_is_object(json_object_get(body, "state")) ? json_object_get(body, "state")
								: body;
	code = ncm_svc_shadow_replace(ncm_rt_db(), req->params[0], state, &out, &req->result,
				      &err);
	json_decref(body);
	if (code) {
		ncm_outbox_release(&out);
		return shadow_error(req, code, err.msg);
	}
	return ncm_http_publish_then(req, &out, req->params[0], NULL, NULL, reply_result);
}

static int message_cb(const struct ncm_message *m, void *userdata)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s?}", "seq", (json_int_t)m->seq, "receivedAt",
			      (json_int_t)m->received_ms, "topic", m->topic, "appId", m->app_id);
	json_t *msg = NULL;

	if (!o)
		return NCM_ERR_NOMEM;
	if (!m->binary)
		msg = json_loadb(m->payload, m->payload_len, JSON_DECODE_ANY, NULL);
	if (msg) {
		json_object_set_new(o, "message", msg);
	} else {
		size_t cap = 4 * ((m->payload_len + 2) / 3) + 1;
		unsigned char *b64 = malloc(cap);

		if (!b64) {
			json_decref(o);
			return NCM_ERR_NOMEM;
		}
		EVP_EncodeBlock(b64, m->payload, (int)m->payload_len);
		json_object_set_new(o, "message", json_string((char *)b64));
		json_object_set_new(o, "binary", json_true());
		free(b64);
	}
	return json_array_append_new(userdata, o) ? NCM_ERR_NOMEM : NCM_OK;
}

/* A streamed message list: the device, where the last piece ended and what is left. */
struct messages_stream {
	char *device;
	int64_t after;
	int left;
	int64_t total;
	int started, n;
};

#define MESSAGES_PIECE 8 /* a message may be 256 kB */

static int messages_fill(void *state, struct ncm_sbuf *out)
{
	struct messages_stream *ms = state;
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = ncm_rt_db();
	json_t *items = json_array(), *o;
	char head[64], *text;
	size_t i;
	int want, rc = -1;

	if (!items)
		return -1;
	if (!ms->started) {
		ms->started = 1;
		snprintf(head, sizeof(head), "{\"total\":%lld,\"items\":[", (long long)ms->total);
		if (ncm_sbuf_add(out, head, strlen(head)))
			goto out;
	}
	want = ms->left < MESSAGES_PIECE ? ms->left : MESSAGES_PIECE;
	if (want > 0 && (!db || ncm_store_message_foreach(db, ms->device, ms->after, want,
							  message_cb, items, &err))) {
		ncm_log(NCM_LOG_ERR, "http: message list cut short: %s",
			db ? err.msg : "no database connection");
		goto out;
	}
	json_array_foreach(items, i, o) {
		ms->after = json_integer_value(json_object_get(o, "seq"));
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text || (ms->n && ncm_sbuf_add(out, ",", 1)) ||
		    ncm_sbuf_add(out, text, strlen(text))) {
			free(text);
			goto out;
		}
		free(text);
		ms->n++;
		ms->left--;
	}
	if (want > 0 && json_array_size(items) == (size_t)want && ms->left > 0) {
		rc = 0;
		goto out;
	}
	rc = ncm_sbuf_add(out, "]}", 2) ? -1 : 1;
out:
	json_decref(items);
	return rc;
}

static void messages_stream_free(void *state)
{
	struct messages_stream *ms = state;

	free(ms->device);
	free(ms);
}

enum MHD_Result ncm_admin_messages_get(struct ncm_req *req)
{
	struct messages_stream *ms;
	const char *s;
	int limit;

	NCM_REQUIRE_ADMIN(req);
	ms = calloc(1, sizeof(*ms));
	if (!ms || !(ms->device = strdup(req->params[0]))) {
		free(ms);
		return MHD_NO;
	}
	s = ncm_req_query(req, "after");
	ms->after = s ? strtoll(s, NULL, 10) : 0;
	s = ncm_req_query(req, "limit");
	limit = s ? atoi(s) : 0;
	ms->left = limit > 0 ? limit : 1000; /* the store's default */
	ms->total = ncm_store_message_count(ncm_rt_db(), req->params[0]);
	/* streamed: memory stays flat however many messages and however large */
	return ncm_reply_stream(req, MHD_HTTP_OK, "application/json", messages_fill, ms,
				messages_stream_free);
}

static enum MHD_Result sent(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "broker refused the publish");
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "sent", 1));
}

/* A c2d message to the device, on its c2d topics (runtime/c2d.h). */
enum MHD_Result ncm_admin_messages_post(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	json_t *msg;
	char *text;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	REQUIRE_DEVICE(req);
	msg = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, NULL);
	if (!msg)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be the JSON message to send");
	text = ncm_json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	json_decref(msg);
	rc = text ? ncm_c2d_outbox(ncm_rt_db(), req->params[0], text, strlen(text), &out) : -1;
	free(text);
	if (rc) {
		ncm_outbox_release(&out);
		return MHD_NO;
	}
	return ncm_http_publish_then(req, &out, req->params[0], NULL, NULL, sent);
}
