/* SPDX-License-Identifier: MIT
 * admin.c: the admin API on the plain-HTTP admin listener (design.md §5) and its route table:
 * /health, the lab CA certificate, publishing as the cloud and the journal (devices, shadows and
 * messages have files of their own). With --admin-token set, /mock/v1 requires
 * "Authorization: Bearer <token>"; /health never does, so container health checks work.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cmdq.h"
#include "devices.h"
#include "devid.h"
#include "file.h"
#include "journal.h"
#include "log.h"
#include "pki.h"
#include "admin.h"
#include "publish.h"
#include "request.h"
#include "runtime.h"

#define DEVICE_BODY_MAX (64 * 1024)
#define SHADOW_BODY_MAX (64 * 1024)

int ncm_admin_authorized(struct ncm_req *req, enum MHD_Result *ret)
{
	const char *want = ncm_rt()->cfg.admin_token;
	const char *auth = ncm_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n = strlen(want);

	if (!want[0])
		return 1;
	if (auth && !strncasecmp(auth, "Bearer ", 7) && strlen(auth + 7) == n &&
	    CRYPTO_memcmp(auth + 7, want, n) == 0)
		return 1;
	*ret = ncm_reply_error(req, MHD_HTTP_UNAUTHORIZED, 40100,
			       auth ? "admin token does not match --admin-token"
				    : "admin API needs \"Authorization: Bearer <admin token>\"");
	return 0;
}

static enum MHD_Result get_health(struct ncm_req *req)
{
	int mqtt = ncm_rt_broker_ready(), https = ncm_rt_https_port() > 0;

	return ncm_reply_json(req, mqtt && https ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			      json_pack("{s:s,s:b,s:b,s:s}", "status",
					mqtt && https ? "ok" : "starting", "mqtt", mqtt, "https",
					https, "version", NCM_VERSION));
}

static enum MHD_Result get_ca_pem(struct ncm_req *req)
{
	char path[PATH_MAX];
	char *pem = NULL;
	enum MHD_Result ret;

	ncm_ca_path(ncm_rt()->cfg.data_dir, "ca.pem", path, sizeof(path));
	if (ncm_file_read(path, NCM_CA_MAX_PEM, &pem, NULL, NULL))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "cannot read the lab CA certificate");
	ret = ncm_reply_text(req, MHD_HTTP_OK, "application/x-pem-file", pem);
	free(pem);
	return ret;
}

static enum MHD_Result publish_resumed(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "broker refused the publish");
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "published", 1));
}

/* Publishes as the cloud would (to whoever subscribed, through the ACL), for tests that play the
 * cloud side: {"topic":..., "payload": string or any JSON value, "qos": 0|1}. */
static enum MHD_Result post_publish(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	json_error_t jerr;
	json_t *body, *payload;
	const char *topic;
	char *text = NULL;
	json_int_t qos;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	topic = json_string_value(json_object_get(body, "topic"));
	payload = json_object_get(body, "payload");
	qos = json_integer_value(json_object_get(body, "qos"));
	if (!topic || !*topic || strpbrk(topic, "+#") || !payload || qos < 0 || qos > 1) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"topic\": name without wildcards, "
				       "\"payload\": string or JSON, \"qos\": 0 or 1}");
	}
	text = json_is_string(payload) ? strdup(json_string_value(payload))
				       : json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	rc = text ? ncm_outbox_add_raw(&out, topic, text, strlen(text)) : -1;
	free(text);
	json_decref(body);
	if (rc) {
		ncm_outbox_release(&out);
		return MHD_NO;
	}
	return ncm_http_publish_then(req, &out, NULL, NULL, NULL, publish_resumed);
}

static int journal_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s?,s:s?,s:i,s:s?}", "seq", (json_int_t)rec->seq,
			      "ts", (json_int_t)rec->ts_ms, "kind", rec->kind, "device",
			      rec->device, "topic", rec->topic, "status", rec->status, "reason",
			      rec->reason);

	if (!o)
		return NCM_ERR_NOMEM;
	if (rec->payload && !rec->binary)
		json_object_set_new(o, "payload",
				    json_stringn_nocheck(rec->payload, rec->payload_len));
	return json_array_append_new(userdata, o) ? NCM_ERR_NOMEM : NCM_OK;
}

static enum MHD_Result get_journal(struct ncm_req *req)
{
	struct ncm_journal_filter f = { 0 };
	struct ncm_err_info err;
	const char *s;
	json_t *items = json_array();

	NCM_REQUIRE_ADMIN(req);
	f.kind = ncm_req_query(req, "kind");
	f.device = ncm_req_query(req, "device");
	s = ncm_req_query(req, "after");
	f.after_seq = s ? strtoll(s, NULL, 10) : 0;
	s = ncm_req_query(req, "limit");
	f.limit = s ? atoi(s) : 0;
	if (ncm_store_journal_foreach(ncm_rt_db(), &f, journal_cb, items, &err)) {
		json_decref(items);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}

const struct ncm_route ncm_admin_routes[] = {
	{ "GET", "/health", get_health, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/ca.pem", get_ca_pem, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/devices", ncm_admin_devices_get, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/devices", ncm_admin_devices_post, DEVICE_BODY_MAX, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/devices/{id}", ncm_admin_device_get, 0, NCM_AUTH_NONE, 0 },
	{ "DELETE", "/mock/v1/devices/{id}", ncm_admin_device_delete, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/devices/{id}/shadow", ncm_admin_shadow_get, 0, NCM_AUTH_NONE, 0 },
	{ "PATCH", "/mock/v1/devices/{id}/shadow", ncm_admin_shadow_patch, SHADOW_BODY_MAX, NCM_AUTH_NONE, 0 },
	{ "PUT", "/mock/v1/devices/{id}/shadow", ncm_admin_shadow_put, SHADOW_BODY_MAX, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/devices/{id}/messages", ncm_admin_messages_get, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/devices/{id}/messages", ncm_admin_messages_post, SHADOW_BODY_MAX, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/journal", get_journal, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/publish", post_publish, 256 * 1024, NCM_AUTH_NONE, 0 },
};
const size_t ncm_admin_routes_count = sizeof(ncm_admin_routes) / sizeof(ncm_admin_routes[0]);
