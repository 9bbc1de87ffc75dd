/* SPDX-License-Identifier: MIT
 * rest_location.c: /v1/location (docs/location.md#location-over-rest, docs/location.md#location-history): ground fix (and the older cell,
 * wifi and single-cell forms), A-GNSS and A-GPS data in Range fragments, P-GPS prediction
 * files (their location, and the files themselves under /public/ on the same port), GNSS fixes
 * and the location history. The work is runtime/location_svc.c's; this file reads the wire.
 * Who asks: the device of a device JWT, else the x-custom-device-id header a proxy sends
 * (SPEC api/ground_fix_api.py and the other location APIs), else the sub of a service JWT.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agnss.h"
#include "devid.h"
#include "location_svc.h"
#include "locations.h"
#include "pgps.h"
#include "range.h"
#include "rest_common.h"
#include "runtime.h"

/* Fills the caller of req; 0, or -1 after answering 400 for a bad x-custom-device-id. */
static int caller_of(struct ncm_req *req, struct ncm_loc_caller *c, char *via, size_t via_size,
		     enum MHD_Result *ret)
{
	const char *custom = ncm_req_header(req, "x-custom-device-id");
	struct ncm_err_info err = { 0 };

	snprintf(via, via_size, "%s %s", req->method, req->url);
	c->via = via;
	c->eval = req->auth.scheme == NCM_AUTH_EVAL_TOKEN;
	c->device_id = req->auth.device_id[0] ? req->auth.device_id : NULL;
	if (req->auth.scheme != NCM_AUTH_DEVICE_JWT && custom) {
		if (ncm_devid_check(custom, &err)) {
			*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					       "x-custom-device-id: %s", err.msg);
			return -1;
		}
		c->device_id = custom;
	}
	return 0;
}

static enum MHD_Result reply_fail(struct ncm_req *req, const struct ncm_loc_fail *fail)
{
	return ncm_reply_error(req, (unsigned)fail->status, fail->code, "%s", fail->err.msg);
}

/* A true/false query flag (the SDK sends "true"/"false", REST-mid "0"): def when absent, -1
 * when it is something else. */
static int query_flag(struct ncm_req *req, const char *name, int def)
{
	const char *v = ncm_req_query(req, name);

	if (!v)
		return def;
	if (!strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/* The JSON body, or NULL after answering 400. */
static json_t *body_json(struct ncm_req *req, enum MHD_Result *ret)
{
	json_error_t jerr;
	json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES,
			       &jerr);

	if (!j)
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "body is not JSON: %s "
				       "(line %d, column %d)", jerr.text, jerr.line, jerr.column);
	return j;
}

/* Ground fix for every form: service names the endpoint, body is already the ground-fix body. */
static enum MHD_Result ground_fix(struct ncm_req *req, const char *service, json_t *body,
				  int with_flags)
{
	struct ncm_loc_flags flags = { 0, 1 };
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	json_t *answer = NULL;
	char via[300];
	int do_reply = 1;

	if (with_flags) {
		do_reply = query_flag(req, "doReply", 1);
		flags.hi_conf = query_flag(req, "hiConf", 0);
		flags.fallback = query_flag(req, "fallback", 1);
		if (do_reply < 0 || flags.hi_conf < 0 || flags.fallback < 0) {
			json_decref(body);
			return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "doReply, hiConf "
					       "and fallback must be true or false");
		}
	}
	if (caller_of(req, &c, via, sizeof(via), &ret)) {
		json_decref(body);
		return ret;
	}
	if (ncm_loc_svc_ground_fix(&c, service, body, &flags, &answer, &fail)) {
		ret = reply_fail(req, &fail);
	} else if (!do_reply) { /* docs/location.md#ground-fix: no body, and the device expects none */
		ret = ncm_reply_text(req, MHD_HTTP_OK, "application/json", "");
	} else {
		/* 12 significant digits: positions keep their 7 decimals without binary noise */
		char *text = json_dumps(answer, JSON_COMPACT | JSON_REAL_PRECISION(12));

		ret = text ? ncm_reply_text(req, MHD_HTTP_OK, "application/json", text) : MHD_NO;
		free(text);
	}
	json_decref(answer);
	json_decref(body);
	return ret;
}

/* POST /v1/location/ground-fix?doReply=&hiConf=&fallback= */
enum MHD_Result ncm_rest_ground_fix_post(struct ncm_req *req)
{
	enum MHD_Result ret;
	json_t *body = body_json(req, &ret);

	return body ? ground_fix(req, "GROUND_FIX", body, 1) : ret;
}

/* POST /v1/location/cell (REST-old nrf_cloud_rest_cell_pos_get): the ground-fix cell body. */
enum MHD_Result ncm_rest_location_cell_post(struct ncm_req *req)
{
	enum MHD_Result ret;
	json_t *body = body_json(req, &ret);

	return body ? ground_fix(req, "CELL", body, 0) : ret;
}

/* POST /v1/location/wifi: {"accessPoints":[...]} (or the ground-fix form {"wifi":{...}}). */
enum MHD_Result ncm_rest_location_wifi_post(struct ncm_req *req)
{
	enum MHD_Result ret;
	json_t *body = body_json(req, &ret);

	if (!body)
		return ret;
	if (json_object_get(body, "accessPoints")) {
		json_t *wrapped = json_pack("{s:o}", "wifi", body);

		body = wrapped;
	}
	return ground_fix(req, "WIFI", body, 0);
}

/* A strict decimal integer query value: 1 and *out, 0 when absent, -1 when malformed. */
static int query_int(struct ncm_req *req, const char *name, long long *out)
{
	const char *v = ncm_req_query(req, name);
	char *end;

	if (!v)
		return 0;
	*out = strtoll(v, &end, 10);
	return v[0] && !*end ? 1 : -1;
}

/* Copies the integer query arguments named in keys (those present) into o. 0, or -1 after
 * answering 422 for one that is not an integer. */
static int query_ints(struct ncm_req *req, const char *const *keys, size_t n, json_t *o,
		      enum MHD_Result *ret)
{
	long long v;
	size_t i;

	for (i = 0; i < n; i++) {
		int got = query_int(req, keys[i], &v);

		if (got < 0) {
			*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
					       "%s: must be an integer", keys[i]);
			return -1;
		}
		if (got)
			json_object_set_new(o, keys[i], json_integer(v));
	}
	return 0;
}

/* GET /v1/location/single-cell?mcc=&mnc=&tac=&eci=&rsrp=&format=json */
enum MHD_Result ncm_rest_single_cell_get(struct ncm_req *req)
{
	static const char *const keys[] = { "mcc", "mnc", "tac", "eci", "rsrp" };
	const char *format = ncm_req_query(req, "format");
	enum MHD_Result ret;
	json_t *cell;

	if (format && strcmp(format, "json"))
		return ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200, "format: only "
				       "\"json\" is served by nrfcloud-mock");
	cell = json_object();
	if (query_ints(req, keys, sizeof(keys) / sizeof(keys[0]), cell, &ret)) {
		json_decref(cell);
		return ret;
	}
	return ground_fix(req, "SCELL", json_pack("{s:[o]}", "lte", cell), 0);
}

/* Answers data (taken) for req's Range as A-GNSS and prediction downloads need: 206 with a
 * lower-case "content-range: bytes a-b/total" (the SDK searches for it case-sensitively,
 * docs/location.md#a-gnss-and-a-gps). always_partial: 206 even without a Range header, as nRF Cloud answers
 * every A-GNSS fragment; else 200 for the whole file. HEAD gets the size only. */
static enum MHD_Result reply_ranged(struct ncm_req *req, uint8_t *data, size_t len,
				    int always_partial)
{
	const char *range = ncm_req_header(req, MHD_HTTP_HEADER_RANGE);
	struct ncm_err_info err = { 0 };
	struct MHD_Response *resp;
	uint64_t first = 0, last = len ? len - 1 : 0, total = len;
	enum ncm_range_result rr = NCM_RANGE_NONE;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char cr[96];

	if (strcmp(req->method, "HEAD"))
		rr = ncm_range_parse(range, len, &first, &last, &err);
	if (rr == NCM_RANGE_INVALID) {
		free(data);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", err.msg);
	}
	if (rr == NCM_RANGE_UNSATISFIABLE) {
		free(data);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		snprintf(cr, sizeof(cr), "bytes */%zu", len);
		MHD_add_response_header(resp, "content-range", cr);
		req->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		ret = MHD_queue_response(req->conn, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (rr == NCM_RANGE_OK || (always_partial && strcmp(req->method, "HEAD") && len)) {
		status = MHD_HTTP_PARTIAL_CONTENT;
		memmove(data, data + first, last - first + 1);
		len = last - first + 1;
	}
	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (status == MHD_HTTP_PARTIAL_CONTENT) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
			 total);
		MHD_add_response_header(resp, "content-range", cr);
	}
	req->status = (int)status;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The A-GNSS request of a query string (HEAD agnss, GET agps): numbers as k=v, booleans as
 * true/false and types as "1,2,3" (CODEC nrf_cloud_json_to_url_params_convert); REST-old's
 * requestType=rtAssistance|rtLocation|custom with customTypes. NULL after answering 422. */
static json_t *agnss_query(struct ncm_req *req, enum MHD_Result *ret)
{
	static const char *const ints[] = { "mcc", "mnc", "tac", "eci", "rsrp", "mask" };
	const char *types = ncm_req_query(req, "types");
	const char *request_type = ncm_req_query(req, "requestType");
	struct ncm_err_info err = { 0 };
	json_t *q = json_object(), *arr;
	uint32_t bits;
	size_t i;
	int f;

	if (query_ints(req, ints, sizeof(ints) / sizeof(ints[0]), q, ret))
		goto bad;
	f = query_flag(req, "filtered", -2);
	if (f == -1) {
		*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
				       "filtered: must be true or false");
		goto bad;
	}
	if (f >= 0)
		json_object_set_new(q, "filtered", json_boolean(f));
	/* REST-old (docs/location.md#a-gnss-and-a-gps): rtLocation asks for the location element alone
	 * (inference: the name says so and no source shows its answer) */
	if (request_type && !types) {
		if (!strcmp(request_type, "custom"))
			types = ncm_req_query(req, "customTypes");
		else if (!strcmp(request_type, "rtLocation"))
			types = "8";
		else if (strcmp(request_type, "rtAssistance")) {
			*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
					       "requestType: must be rtAssistance, rtLocation or "
					       "custom");
			goto bad;
		}
	}
	if (types) {
		if (ncm_agnss_types_from_list(types, &bits, &err)) {
			*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
					       "types: %s", err.msg);
			goto bad;
		}
		arr = json_array();
		for (i = 1; i < 32; i++)
			if (bits & (1u << i))
				json_array_append_new(arr, json_integer((json_int_t)i));
		json_object_set_new(q, "types", arr);
	}
	return q;
bad:
	json_decref(q);
	return NULL;
}

/* 1 when req asks for the first fragment (or everything): the data is made anew. */
static int first_fragment(struct ncm_req *req)
{
	const char *range = ncm_req_header(req, MHD_HTTP_HEADER_RANGE);
	unsigned long long first;

	return !range || sscanf(range, "bytes=%llu-", &first) != 1 || first == 0;
}

static enum MHD_Result agnss(struct ncm_req *req, const char *service, json_t *q)
{
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	uint8_t *data = NULL;
	size_t len = 0;
	char via[300];

	if (caller_of(req, &c, via, sizeof(via), &ret)) {
		json_decref(q);
		return ret;
	}
	if (ncm_loc_svc_agnss(&c, service, q, first_fragment(req), &data, &len, &fail))
		ret = reply_fail(req, &fail);
	else
		ret = reply_ranged(req, data, len, 1);
	json_decref(q);
	return ret;
}

/* POST /v1/location/agnss (JSON body), HEAD /v1/location/agnss (the same as query: its size). */
enum MHD_Result ncm_rest_agnss(struct ncm_req *req)
{
	enum MHD_Result ret;
	json_t *q = !strcmp(req->method, "HEAD") ? agnss_query(req, &ret) : body_json(req, &ret);

	return q ? agnss(req, "AGNSS", q) : ret;
}

/* GET|HEAD /v1/location/agps?... (REST-mid and REST-old). */
enum MHD_Result ncm_rest_agps_get(struct ncm_req *req)
{
	enum MHD_Result ret;
	json_t *q = agnss_query(req, &ret);

	return q ? agnss(req, "AGPS", q) : ret;
}

/* GET /v1/location/pgps and /v1/location/pgnss: {"host","path"} of the prediction file. */
enum MHD_Result ncm_rest_pgps_get(struct ncm_req *req)
{
	static const char *const keys[] = { "predictionCount", "predictionIntervalMinutes",
					     "startGpsDay", "startGpsTimeOfDaySeconds" };
	const char *service = strstr(req->url, "pgnss") ? "PGNSS" : "PGPS";
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	char via[300], host[300], path[256];
	json_t *q = json_object();

	if (query_ints(req, keys, sizeof(keys) / sizeof(keys[0]), q, &ret)) {
		json_decref(q);
		return ret;
	}
	if (caller_of(req, &c, via, sizeof(via), &ret)) {
		json_decref(q);
		return ret;
	}
	if (ncm_loc_svc_pgps(&c, service, q, host, sizeof(host), path, sizeof(path), &fail))
		ret = reply_fail(req, &fail);
	else
		ret = ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:s,s:s}", "host", host, "path",
								 path));
	json_decref(q);
	return ret;
}

/* GET|HEAD /public/{file}: a prediction file the P-GPS answers point at, made again from its
 * name (core/pgps.c), with Range as the device downloads it (docs/location.md#p-gps). */
enum MHD_Result ncm_rest_pgps_file_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_pgps_req pr;
	uint8_t *data = NULL;
	size_t len = 0;

	if (ncm_pgps_parse_path(req->url, &pr, &err))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "resource not found: %s "
				       "(%s)", req->url, err.msg);
	if (ncm_pgps_build(&pr, &data, &len, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return reply_ranged(req, data, len, 0);
}

/* POST /v1/location/gnss: a GNSS fix for the history, 202. */
enum MHD_Result ncm_rest_gnss_post(struct ncm_req *req)
{
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	json_t *body = body_json(req, &ret);
	char via[300];

	if (!body)
		return ret;
	if (caller_of(req, &c, via, sizeof(via), &ret)) {
		json_decref(body);
		return ret;
	}
	if (ncm_loc_svc_gnss(&c, body, &fail))
		ret = reply_fail(req, &fail);
	else
		ret = ncm_rest_accepted(req);
	json_decref(body);
	return ret;
}

struct history_q {
	const char *device_id;
	int64_t start_ms, end_ms;
	json_t *items;
};

/* Numbers of the history are strings (APIHELP getLocationHistory.ts). */
static json_t *num_string(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.10g", v);
	return json_string(buf);
}

static int history_item(const struct ncm_loc_fix *f, void *userdata)
{
	struct history_q *q = userdata;
	char id[32], at[40];
	json_t *o;

	snprintf(id, sizeof(id), "%" PRId64, f->id);
	ncm_rt_iso8601(f->inserted_ms, at, sizeof(at));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:{}}", "id", id, "deviceId", f->device_id,
		      "serviceType", f->service, "insertedAt", at, "lat", num_string(f->lat),
		      "lon", num_string(f->lon), "uncertainty", num_string(f->unc), "meta");
	if (o && f->anchors)
		json_object_set_new(o, "anchors", json_loads(f->anchors, 0, NULL));
	return json_array_append_new(q->items, o) ? NCM_ERR_NOMEM : 0;
}

static int history_fill(const char *after, int limit, json_t *items, void *userdata,
			struct ncm_err_info *err)
{
	struct history_q *q = userdata;

	q->items = items;
	return ncm_store_loc_history_list(ncm_rt_db(), q->device_id, q->start_ms, q->end_ms,
					  after[0] ? strtoll(after, NULL, 10) : 0, limit,
					  history_item, q, err);
}

/* GET /v1/location/history?deviceId=&start=&end=&pageLimit=&pageNextToken=: newest first. */
enum MHD_Result ncm_rest_location_history_get(struct ncm_req *req)
{
	const char *start = ncm_req_query(req, "start"), *end = ncm_req_query(req, "end");
	struct history_q q = { 0 };
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	char via[300];

	if (caller_of(req, &c, via, sizeof(via), &ret))
		return ret;
	if (ncm_loc_svc_fault(&c, "HISTORY", &fail))
		return reply_fail(req, &fail);

	q.device_id = ncm_req_query(req, "deviceId");
	if (req->auth.scheme == NCM_AUTH_SERVICE_JWT && req->auth.device_id[0])
		q.device_id = req->auth.device_id;
	if ((start && (q.start_ms = ncm_iso8601_parse_ms(start)) < 0) ||
	    (end && (q.end_ms = ncm_iso8601_parse_ms(end)) < 0))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "start and end must be "
				       "ISO 8601 times such as 2026-12-06T10:00:00.000Z");
	return ncm_rest_paged(req, 20, 100, "id", history_fill, &q);
}

/* DELETE /v1/location/history/{deviceId}/{id} */
enum MHD_Result ncm_rest_location_history_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_loc_caller c = { 0 };
	struct ncm_loc_fail fail;
	enum MHD_Result ret;
	char *end, via[300];
	long long id = strtoll(req->params[1], &end, 10);
	int rc;

	if (caller_of(req, &c, via, sizeof(via), &ret))
		return ret;
	if (ncm_loc_svc_fault(&c, "HISTORY", &fail))
		return reply_fail(req, &fail);
	if (*end || id <= 0)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "no location %s for device "
				       "%s", req->params[1], req->params[0]);
	rc = ncm_store_loc_history_delete(ncm_rt_db(), req->params[0], id, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}
