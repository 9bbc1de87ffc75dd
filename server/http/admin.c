/* SPDX-License-Identifier: MIT
 * admin.c: the admin API on the plain-HTTP admin listener (docs/admin-api.md) and its route table:
 * /health, the lab CA certificate, publishing as the cloud and the journal (devices, shadows and
 * messages have files of their own). With --admin-token set, /mock/v1 requires
 * "Authorization: Bearer <token>"; /health never does, so container health checks work.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cmdq.h"
#include "devices.h"
#include "devid.h"
#include "file.h"
#include "http.h"
#include "journal.h"
#include "journal_tap.h"
#include "log.h"
#include "pki.h"
#include "portal.h"
#include "admin.h"
#include "publish.h"
#include "request.h"
#include "rest_common.h"
#include "stream.h"
#include "runtime.h"
#include "jsontext.h"

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

/* One listener's load for /health; appends its name to exhausted when it is at its cap. */
static void load_entry(json_t *conns, json_t *exhausted, const char *name, int n, int max)
{
	json_object_set_new(conns, name, json_pack("{s:i,s:i}", "open", n, "max", max));
	if (max > 0 && n >= max)
		json_array_append_new(exhausted, json_string(name));
}

/* {"status","mqtt","https","version","connections":{name:{"open","max"}},"exhausted":[...]}:
 * status "exhausted" (still 200: this answer proves the reserve works) when a listener or
 * the open-file limit is at its cap, so new clients there are being turned away. */
static enum MHD_Result get_health(struct ncm_req *req)
{
	int mqtt = ncm_rt_broker_ready(), https = ncm_rt_https_port() > 0;
	struct ncm_http_load load;
	struct rlimit rl = { 0, 0 };
	json_t *conns = json_object(), *exhausted = json_array(), *o;
	int mqtt_socks, files;

	ncm_http_load(&load);
	ncm_rt_fd_load(&mqtt_socks, &files);
	getrlimit(RLIMIT_NOFILE, &rl);
	load_entry(conns, exhausted, "mqtt", mqtt_socks, ncm_rt()->cfg.mqtt_max_conn);
	load_entry(conns, exhausted, "https", load.https, load.https_max);
	load_entry(conns, exhausted, "admin", load.admin, load.admin_max);
	/* a few descriptors are the reserve the admin API answers from */
	load_entry(conns, exhausted, "files", files,
		   rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX ? 0
									 : (int)rl.rlim_cur - 16);
	o = json_pack("{s:s,s:b,s:b,s:s,s:o,s:o}", "status",
		      !(mqtt && https) ? "starting"
		      : json_array_size(exhausted) ? "exhausted" : "ok",
		      "mqtt", mqtt, "https", https, "version", NCM_VERSION, "connections", conns,
		      "exhausted", exhausted);
	return ncm_reply_json(req, mqtt && https ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o);
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
				       : ncm_json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	rc = text ? ncm_outbox_add_raw(&out, topic, text, strlen(text)) : -1;
	free(text);
	json_decref(body);
	if (rc) {
		ncm_outbox_release(&out);
		return MHD_NO;
	}
	return ncm_http_publish_then(req, &out, NULL, NULL, NULL, publish_resumed);
}

/* A streamed journal answer: the filter, where the last piece ended and what is left. */
struct journal_stream {
	struct ncm_journal_filter f;
	char *kind, *device, *topic;   /* the filter's strings, owned */
	int left;                      /* records still to send */
	int ndjson;
	int started;                   /* the opening "{"items":[" is out */
	int n;                         /* records sent */
	int full;                      /* the piece reached PIECE_BYTES */
	struct ncm_sbuf *out;          /* the piece being filled */
};

#define JOURNAL_PIECE 256
#define PIECE_BYTES (256 * 1024)

static int journal_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct journal_stream *js = userdata;
	json_t *j = ncm_rt_journal_json(rec);
	char *text;
	int rc;

	if (!j)
		return NCM_ERR_NOMEM;
	text = ncm_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return NCM_ERR_NOMEM;
	rc = (!js->ndjson && js->n && ncm_sbuf_add(js->out, ",", 1)) ||
	     ncm_sbuf_add(js->out, text, strlen(text)) ||
	     (js->ndjson && ncm_sbuf_add(js->out, "\n", 1));
	free(text);
	js->f.after_seq = rec->seq;
	js->n++;
	js->left--;
	if (rc)
		return NCM_ERR_NOMEM;
	if (js->out->len >= PIECE_BYTES) {
		js->full = 1;
		return NCM_ERR_TOO_BIG; /* stops this piece; not an error (journal_fill) */
	}
	return NCM_OK;
}

/* The next JOURNAL_PIECE records after the last one sent (each piece its own query, so no read
 * transaction stays open while the client reads slowly). */
static int journal_fill(void *state, struct ncm_sbuf *out)
{
	struct journal_stream *js = state;
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = ncm_rt_db();
	int before = js->n;

	js->out = out;
	if (!js->started) {
		js->started = 1;
		if (!js->ndjson && ncm_sbuf_add(out, "{\"items\":[", 10))
			return -1;
	}
	if (js->left > 0) {
		int rc = NCM_ERR_IO;

		js->f.limit = js->left < JOURNAL_PIECE ? js->left : JOURNAL_PIECE;
		js->full = 0;
		if (db)
			rc = ncm_store_journal_foreach(db, &js->f, journal_cb, js, &err);
		if (rc == NCM_ERR_TOO_BIG && js->full)
			rc = NCM_OK;
		if (rc) {
			ncm_log(NCM_LOG_ERR, "http: journal answer cut short: %s",
				db ? err.msg : "no database connection");
			return -1;
		}
		if ((js->full || js->n - before == js->f.limit) && js->left > 0)
			return 0;
	}
	if (!js->ndjson && ncm_sbuf_add(out, "]}", 2))
		return -1;
	return 1;
}

static void journal_stream_free(void *state)
{
	struct journal_stream *js = state;

	free(js->kind);
	free(js->device);
	free(js->topic);
	free(js);
}

/* A time query parameter: milliseconds since the epoch, or ISO 8601. -1 when malformed. */
static int64_t time_param(const char *v)
{
	char *end;
	long long ms;

	if (!v)
		return 0;
	ms = strtoll(v, &end, 10);
	if (end != v && !*end)
		return ms >= 0 ? ms : -1;
	return ncm_iso8601_parse_ms(v);
}

/* The journal filters of docs/admin-api.md: device, kind (exact, or a prefix ending in '.'), topic
 * (an MQTT filter), since and until (ms or ISO 8601), after (a seq), limit. 0, or -1 after
 * answering 400. */
static int journal_filter(struct ncm_req *req, struct ncm_journal_filter *f, enum MHD_Result *ret)
{
	const char *s;

	memset(f, 0, sizeof(*f));
	f->kind = ncm_req_query(req, "kind");
	f->device = ncm_req_query(req, "device");
	f->topic = ncm_req_query(req, "topic");
	f->since_ms = time_param(ncm_req_query(req, "since"));
	f->until_ms = time_param(ncm_req_query(req, "until"));
	s = ncm_req_query(req, "after");
	f->after_seq = s ? strtoll(s, NULL, 10) : 0;
	s = ncm_req_query(req, "limit");
	f->limit = s ? atoi(s) : 0;
	if (f->since_ms < 0 || f->until_ms < 0 || (s && f->limit <= 0) || f->after_seq < 0) {
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "since and until are ms or ISO 8601 times; limit and after "
				       "positive numbers");
		return -1;
	}
	return 0;
}

/* GET /mock/v1/journal: {"items":[...]}, or JSON Lines (one record per line, the recording
 * format) with Accept: application/x-ndjson. Streamed: memory stays flat whatever the limit. */
static enum MHD_Result get_journal(struct ncm_req *req)
{
	struct journal_stream *js;
	const char *accept = ncm_req_header(req, MHD_HTTP_HEADER_ACCEPT);
	enum MHD_Result ret;

	NCM_REQUIRE_ADMIN(req);
	js = calloc(1, sizeof(*js));
	if (!js)
		return MHD_NO;
	if (journal_filter(req, &js->f, &ret)) {
		free(js);
		return ret;
	}
	js->ndjson = accept && strstr(accept, "application/x-ndjson");
	js->left = js->f.limit > 0 ? js->f.limit : 1000;
	js->kind = js->f.kind ? strdup(js->f.kind) : NULL;
	js->device = js->f.device ? strdup(js->f.device) : NULL;
	js->topic = js->f.topic ? strdup(js->f.topic) : NULL;
	if ((js->f.kind && !js->kind) || (js->f.device && !js->device) ||
	    (js->f.topic && !js->topic)) {
		journal_stream_free(js);
		return MHD_NO;
	}
	js->f.kind = js->kind;
	js->f.device = js->device;
	js->f.topic = js->topic;
	return ncm_reply_stream(req, MHD_HTTP_OK,
				js->ndjson ? "application/x-ndjson" : "application/json",
				journal_fill, js, journal_stream_free);
}

static enum MHD_Result get_journal_count(struct ncm_req *req)
{
	struct ncm_journal_filter f;
	struct ncm_err_info err;
	enum MHD_Result ret;
	int64_t n;

	NCM_REQUIRE_ADMIN(req);
	if (journal_filter(req, &f, &ret))
		return ret;
	n = ncm_store_journal_count(ncm_rt_db(), &f, &err);
	if (n < 0)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:I}", "count", (json_int_t)n));
}

static enum MHD_Result delete_journal(struct ncm_req *req)
{
	struct ncm_err_info err;

	NCM_REQUIRE_ADMIN(req);
	if (ncm_store_journal_clear(ncm_rt_db(), &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	ncm_journal_tap_clear();
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "cleared", 1));
}

/* admin routes leave the OpenAPI fields of struct ncm_route (REST only) out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct ncm_route ncm_admin_routes[] = {
	{ "GET", "/health", get_health, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/ca.pem", get_ca_pem, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/team", ncm_admin_team_get, 0, NCM_AUTH_NONE, 0 },
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
	{ "DELETE", "/mock/v1/journal", delete_journal, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/journal/count", get_journal_count, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/wait", ncm_admin_wait_post, 64 * 1024, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/faults", ncm_admin_faults_get, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/faults", ncm_admin_faults_post, 16 * 1024, NCM_AUTH_NONE, 0 },
	{ "DELETE", "/mock/v1/faults", ncm_admin_faults_delete, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/fixtures", ncm_admin_fixtures_get, 0, NCM_AUTH_NONE, 0 },
	{ "PUT", "/mock/v1/fixtures", ncm_admin_fixtures_put, 96 * 1024 * 1024, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/reset", ncm_admin_reset_post, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/mock/v1/location", ncm_admin_location_get, 0, NCM_AUTH_NONE, 0 },
	{ "PUT", "/mock/v1/location/cells", ncm_admin_location_cells_put, 4 * 1024 * 1024, NCM_AUTH_NONE, 0 },
	{ "DELETE", "/mock/v1/location/cells", ncm_admin_location_delete, 0, NCM_AUTH_NONE, 0 },
	{ "PUT", "/mock/v1/location/wifi", ncm_admin_location_wifi_put, 4 * 1024 * 1024, NCM_AUTH_NONE, 0 },
	{ "DELETE", "/mock/v1/location/wifi", ncm_admin_location_delete, 0, NCM_AUTH_NONE, 0 },
	{ "POST", "/mock/v1/publish", post_publish, 256 * 1024, NCM_AUTH_NONE, 0 },
	NCM_PORTAL_ROUTES
};
const size_t ncm_admin_routes_count = sizeof(ncm_admin_routes) / sizeof(ncm_admin_routes[0]);
