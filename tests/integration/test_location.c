/* SPDX-License-Identifier: MIT
 * test_location.c: location services against the real server (docs/protocol-rest.md#service-keys-and-evaluation-tokens, docs/location.md#location-over-rest,
 * docs/location.md#location-history; docs/location.md#mqtt-reply-topics, docs/location.md#location-over-mqtt): ground fix from fixtures and derived positions (the same after a
 * restart), every location endpoint with each scheme it accepts and the refusals, the A-GNSS
 * Range loop of the device library (1700-byte fragments, all 206 with a lower-case
 * content-range), ground fix, A-GNSS and P-GPS over MQTT on their reply topics, the prediction
 * file download, run-time answers, injected location errors and the history.
 */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "harness.h"

#define JSON "application/json"
#define FIX_CELL "{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829}"
#define UNKNOWN_CELL "{\"mcc\":242,\"mnc\":2,\"tac\":77,\"eci\":123456}"
#define AP(mac) "{\"macAddress\":\"" mac "\",\"signalStrength\":-60}"

static struct srv s;
static char api[256]; /* "Bearer <API key>" */

static void start(void)
{
	suite_start(&s, NULL, api, sizeof(api));
}

#define rest_ok(method, path, auth, body, want) rest_json(&s, method, path, auth, body, want)

static double num(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	ck_assert_msg(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

static const char *str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* The answer of a ground fix that must succeed. */
static json_t *fix(const char *query, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "/v1/location/ground-fix%s", query);
	return rest_ok("POST", path, api, body, 200);
}

/* ---- the schema-v1 binary format (docs/location.md#a-gnss-and-a-gps), decoded independently ---- */

static size_t elem_size(unsigned type)
{
	static const size_t sizes[] = { 0, 14, 62, 31, 8, 8, 4, 16, 15, 4, 0, 31, 62, 4 };

	return type < sizeof(sizes) / sizeof(sizes[0]) ? sizes[type] : 0;
}

/* Elements per type in a payload; fails the test unless it is well-formed schema v1 with TOWs
 * before the clock. */
static void decode(const uint8_t *p, size_t len, unsigned counts[16])
{
	size_t off = 1;
	int tow_seen = 0;

	ck_assert_msg(len > 1 && p[0] == 1, "not schema v1 (%zu bytes)", len);
	while (off < len) {
		unsigned type, n;

		ck_assert_msg(off + 3 <= len, "block header cut at %zu of %zu", off, len);
		type = p[off];
		n = p[off + 1] | (unsigned)p[off + 2] << 8;
		ck_assert_msg(elem_size(type) && n, "bad block type %u count %u at %zu", type, n,
			      off);
		ck_assert_msg(off + 3 + n * elem_size(type) <= len, "block %u cut", type);
		if (type == 6)
			tow_seen = 1;
		ck_assert_msg(type != 7 || tow_seen || !counts[6], "clock before TOWs");
		counts[type] += n;
		off += 3 + n * elem_size(type);
	}
}

/* ---- one keep-alive HTTPS connection, as the device library uses ---- */

struct buf {
	uint8_t *p;
	size_t len;
};

static size_t on_buf(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	uint8_t *grown = realloc(b->p, b->len + size * nmemb + 1);

	ck_assert_ptr_nonnull(grown);
	b->p = grown;
	memcpy(b->p + b->len, ptr, size * nmemb);
	b->len += size * nmemb;
	b->p[b->len] = 0;
	return size * nmemb;
}

struct conn {
	CURL *c;
	long connects;
};

static void conn_open(struct conn *k)
{
	k->c = curl_easy_init();
	k->connects = 0;
	ck_assert_ptr_nonnull(k->c);
}

static void conn_close(struct conn *k)
{
	curl_easy_cleanup(k->c);
}

/* One request on the connection; body/headers are collected into b and h (reset first). */
static long conn_do(struct conn *k, const char *method, const char *path, const char *auth,
		    const char *range, const char *body, struct buf *b, struct buf *h)
{
	struct curl_slist *hdrs = NULL;
	char url[1024], line[2048];
	long status = 0, n = 0;

	free(b->p);
	free(h->p);
	memset(b, 0, sizeof(*b));
	memset(h, 0, sizeof(*h));
	snprintf(url, sizeof(url), "https://localhost:%d%s", s.https_port, path);
	curl_easy_setopt(k->c, CURLOPT_URL, url);
	curl_easy_setopt(k->c, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(k->c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(k->c, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(k->c, CURLOPT_POSTFIELDS, body);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (auth) {
		snprintf(line, sizeof(line), "Authorization: %s", auth);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (range) {
		snprintf(line, sizeof(line), "Range: %s", range);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Accept: */*");
	curl_easy_setopt(k->c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->c, CURLOPT_WRITEFUNCTION, on_buf);
	curl_easy_setopt(k->c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(k->c, CURLOPT_HEADERFUNCTION, on_buf);
	curl_easy_setopt(k->c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(k->c, CURLOPT_CAINFO, s.ca);
	curl_easy_setopt(k->c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(k->c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(k->c) == CURLE_OK) {
		curl_easy_getinfo(k->c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(k->c, CURLINFO_NUM_CONNECTS, &n);
		k->connects += n;
	}
	curl_slist_free_all(hdrs);
	return status;
}

/* Downloads path in fragments of frag bytes the way the SDK does (docs/location.md#a-gnss-and-a-gps: every
 * answer 206, the total read from a case-sensitive "content-range: bytes a-b/total"), over one
 * connection. lower: the header must be lower case. Returns the bytes, *len their number. */
static uint8_t *fragment_loop(const char *method, const char *path, const char *auth,
			      const char *body, size_t frag, int lower, size_t *len)
{
	struct buf b = { 0 }, h = { 0 }, all = { 0 };
	struct conn k;
	size_t total = SIZE_MAX, from = 0;
	char range[64];
	int rounds = 0;

	conn_open(&k);
	while (from < total) {
		const char *cr;
		unsigned long long a, z, t;
		long st;

		snprintf(range, sizeof(range), "bytes=%zu-%zu", from, from + frag - 1);
		st = conn_do(&k, method, path, auth, range, body, &b, &h);
		ck_assert_msg(st == 206, "%s %s %s: want 206, got %ld", method, path, range, st);
		cr = strstr((char *)h.p, "content-range: bytes ");
		if (!cr && !lower)
			cr = strstr((char *)h.p, "Content-Range: bytes ");
		ck_assert_msg(cr, "no content-range: bytes header in: %s", (char *)h.p);
		ck_assert_int_eq(sscanf(cr + 21, "%llu-%llu/%llu", &a, &z, &t), 3);
		ck_assert_msg(a == from && z - a + 1 == b.len && b.len <= frag,
			      "range %llu-%llu for %s, %zu bytes", a, z, range, b.len);
		total = (size_t)t;
		on_buf((char *)b.p, 1, b.len, &all);
		from += b.len;
		rounds++;
	}
	ck_assert_msg(k.connects == 1, "%d fragments took %ld connections", rounds, k.connects);
	conn_close(&k);
	free(b.p);
	free(h.p);
	*len = all.len;
	return all.p;
}

/* ---- 1. ground fix answers ---- */

START_TEST(fixture_cells_give_their_position_and_unknown_ones_the_same_derived_one_always)
{
	json_t *a, *b, *c;
	double lat, lon, unc;

	start();
	/* a fixture cell alone: SCELL at exactly its fixture position */
	a = fix("", "{\"lte\":[" FIX_CELL "]}");
	ck_assert_double_eq(num(a, "lat"), 63.4216434);
	ck_assert_double_eq(num(a, "lon"), 10.4377611);
	ck_assert_double_eq(num(a, "uncertainty"), 1200);
	ck_assert_str_eq(str(a, "fulfilledWith"), "SCELL");
	json_decref(a);
	/* with neighbour measurements: MCELL, still the fixture position */
	a = fix("", "{\"lte\":[{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829,"
		"\"nmr\":[{\"earfcn\":6300,\"pci\":143,\"rsrp\":-90}]}]}");
	ck_assert_str_eq(str(a, "fulfilledWith"), "MCELL");
	ck_assert_double_eq(num(a, "lat"), 63.4216434);
	ck_assert_double_eq(num(a, "lon"), 10.4377611);
	json_decref(a);
	/* known access points win over cells */
	a = fix("", "{\"lte\":[" FIX_CELL "],\"wifi\":{\"accessPoints\":[" AP("f4:ec:38:0a:41:10")
		"," AP("F4:EC:38:0A:41:11") "," AP("f4:ec:38:0a:41:12") "]}}");
	ck_assert_str_eq(str(a, "fulfilledWith"), "WIFI");
	ck_assert_double_lt(num(a, "uncertainty"), 100);
	ck_assert_double_lt(fabs(num(a, "lat") - 63.4214), 0.001);
	json_decref(a);
	/* an anchor among them: ANCHOR, named */
	a = fix("", "{\"wifi\":{\"accessPoints\":[" AP("f4:ec:38:0a:42:01") ","
		AP("f4:ec:38:0a:41:10") "]}}");
	ck_assert_str_eq(str(a, "fulfilledWith"), "ANCHOR");
	ck_assert_str_eq(str(json_array_get(json_object_get(a, "anchors"), 0), "name"),
			 "lab-bench-1");
	/* upper case, as the answer schema writes MACs (application-protocols ground-fix.json) */
	ck_assert_str_eq(str(json_array_get(json_object_get(a, "anchors"), 0), "macAddress"),
			 "F4:EC:38:0A:42:01");
	json_decref(a);

	/* an unknown cell: derived, the same every time and after a restart, near the centre */
	a = fix("", "{\"lte\":[" UNKNOWN_CELL "]}");
	b = fix("", "{\"lte\":[" UNKNOWN_CELL "]}");
	ck_assert_msg(json_equal(a, b), "same request, different answers");
	ck_assert_double_lt(fabs(num(a, "lat") - 63.4305), 0.5);
	ck_assert_double_lt(fabs(num(a, "lon") - 10.3951), 1.0);
	c = fix("", "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":77,\"eci\":123457}]}");
	ck_assert_msg(num(c, "lat") != num(a, "lat") || num(c, "lon") != num(a, "lon"),
		      "different cells, same position");
	json_decref(c);
	lat = num(a, "lat");
	lon = num(a, "lon");
	unc = num(a, "uncertainty");
	srv_stop(&s, SIGTERM);
	srv_start(&s, NULL);
	json_decref(b);
	b = fix("", "{\"lte\":[" UNKNOWN_CELL "]}");
	ck_assert_double_eq(num(b, "lat"), lat);
	ck_assert_double_eq(num(b, "lon"), lon);
	ck_assert_double_eq(num(b, "uncertainty"), unc);
	json_decref(b);
	/* hiConf: 95% instead of 68%, a wider circle around the same point */
	b = fix("?hiConf=true", "{\"lte\":[" UNKNOWN_CELL "]}");
	ck_assert_double_eq(num(b, "lat"), lat);
	ck_assert_double_gt(num(b, "uncertainty"), unc);
	json_decref(b);
	json_decref(a);
}
END_TEST

START_TEST(ground_fix_refusals_old_forms_and_run_time_answers)
{
	char *resp = NULL;
	json_t *a;

	start();
	/* one access point and no cells (LOCT ground-fix.spec.ts) */
	expect_nrf_error(&s, "POST", "/v1/location/ground-fix", api, JSON,
			 "{\"wifi\":{\"accessPoints\":[" AP("f4:ec:38:0a:41:10") "]}}", 422, 42200,
			 NULL);
	expect_nrf_error(&s, "POST", "/v1/location/ground-fix", api, JSON, "{\"lte\":[{\"mcc\":1}",
			 400, 40000, "not JSON");
	expect_nrf_error(&s, "POST", "/v1/location/ground-fix", api, JSON,
			 "{\"lte\":[{\"mcc\":242,\"mnc\":1,\"tac\":3}]}", 422, 42200, "eci");
	expect_nrf_error(&s, "POST", "/v1/location/ground-fix?hiConf=maybe", api, JSON,
			 "{\"lte\":[" FIX_CELL "]}", 400, 40000, "hiConf");
	/* doReply=false: 200 and no body */
	ck_assert_int_eq(http_rest_auth(&s, "POST", "/v1/location/ground-fix?doReply=false", api,
					JSON, "{\"lte\":[" FIX_CELL "]}",
					strlen("{\"lte\":[" FIX_CELL "]}"), &resp, NULL), 200);
	ck_assert_str_eq(resp, "");
	free(resp);
	/* the older forms */
	a = rest_ok("POST", "/v1/location/cell", api, "{\"lte\":[" FIX_CELL "]}", 200);
	ck_assert_double_eq(num(a, "lat"), 63.4216434);
	json_decref(a);
	a = rest_ok("POST", "/v1/location/wifi", api, "{\"accessPoints\":[" AP("f4:ec:38:0a:41:10")
		    "," AP("f4:ec:38:0a:41:11") "]}", 200);
	ck_assert_str_eq(str(a, "fulfilledWith"), "WIFI");
	json_decref(a);
	a = rest_ok("GET", "/v1/location/single-cell?mcc=242&mnc=1&tac=3003&eci=21858829&rsrp=-90",
		    api, NULL, 200);
	ck_assert_str_eq(str(a, "fulfilledWith"), "SCELL");
	ck_assert_double_eq(num(a, "lon"), 10.4377611);
	json_decref(a);
	expect_nrf_error(&s, "GET", "/v1/location/single-cell?mcc=242&mnc=x", api, NULL, NULL, 422,
			 42200, "mnc");

	/* answers changed at run time, gone again after a reset */
	a = admin_json(&s, "PUT", "/mock/v1/location/cells", "[{\"mcc\":242,\"mnc\":2,\"tac\":77,"
		       "\"eci\":123456,\"lat\":-45.5,\"lon\":100.25,\"uncertainty\":321}]", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "loaded")), 1);
	json_decref(a);
	a = fix("", "{\"lte\":[" UNKNOWN_CELL "]}");
	ck_assert_double_eq(num(a, "lat"), -45.5);
	ck_assert_double_eq(num(a, "lon"), 100.25);
	ck_assert_double_eq(num(a, "uncertainty"), 321);
	json_decref(a);
	a = admin_json(&s, "PUT", "/mock/v1/location/wifi", "[{\"macAddress\":\"00:11:22:33:44:55\","
		       "\"lat\":1,\"lon\":2,\"uncertainty\":3},{\"macAddress\":\"00:11:22:33:44:56\","
		       "\"name\":\"door\",\"lat\":1,\"lon\":2,\"uncertainty\":3}]", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "loaded")), 2);
	json_decref(a);
	ck_assert_int_eq(http_admin(&s, "PUT", "/mock/v1/location/wifi",
				    "[{\"macAddress\":\"nope\",\"lat\":1,\"lon\":2,\"uncertainty\":3}]",
				    &resp), 400);
	ck_assert_msg(strstr(resp, "wifi[0]: macAddress"), "%s", resp);
	free(resp);
	a = admin_json(&s, "GET", "/mock/v1/location", NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(a, "anchors")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
		a, "stats"), "GROUND_FIX"), "requests")), 4);
	json_decref(a);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/reset", NULL, NULL), 200);
	a = fix("", "{\"lte\":[" UNKNOWN_CELL "]}");
	ck_assert_double_ne(num(a, "lat"), -45.5);
	json_decref(a);
	a = admin_json(&s, "GET", "/mock/v1/location", NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(a, "anchors")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(a, "cells")), 4);
	json_decref(a);
}
END_TEST

/* ---- 2. schemes ---- */

struct endpoint {
	const char *method, *path, *body;
	long ok;
};

static const struct endpoint endpoints[] = {
	{ "POST", "/v1/location/ground-fix", "{\"lte\":[" FIX_CELL "]}", 200 },
	{ "POST", "/v1/location/cell", "{\"lte\":[" FIX_CELL "]}", 200 },
	{ "POST", "/v1/location/wifi", "{\"accessPoints\":[" AP("f4:ec:38:0a:41:10") ","
	  AP("f4:ec:38:0a:41:11") "]}", 200 },
	{ "GET", "/v1/location/single-cell?mcc=242&mnc=1&tac=3003&eci=21858829", NULL, 200 },
	{ "POST", "/v1/location/agnss", "{\"types\":[1,6,7]}", 206 },
	{ "HEAD", "/v1/location/agnss?types=1,6,7", NULL, 200 },
	{ "GET", "/v1/location/agps?types=1,6,7", NULL, 206 },
	{ "HEAD", "/v1/location/agps?requestType=rtAssistance", NULL, 200 },
	{ "GET", "/v1/location/pgps?predictionCount=6", NULL, 200 },
	{ "GET", "/v1/location/pgnss?predictionCount=6", NULL, 200 },
	{ "POST", "/v1/location/gnss", "{\"lat\":63.42,\"lon\":10.43,\"acc\":12.5}", 202 },
};

static void expect_status(const struct endpoint *e, const char *auth, const char *custom,
			  long want)
{
	const char *hdrs[4] = { NULL, NULL, NULL, NULL };
	char a[2048], c[256], *resp = NULL;
	size_t n = 0;
	long got;

	if (auth) {
		snprintf(a, sizeof(a), "Authorization: %s", auth);
		hdrs[n++] = a;
	}
	if (custom) {
		snprintf(c, sizeof(c), "x-custom-device-id: %s", custom);
		hdrs[n++] = c;
	}
	if (e->body)
		hdrs[n++] = "Content-Type: application/json";
	got = http_rest_req(&s, e->method, e->path, hdrs, e->body, e->body ? strlen(e->body) : 0,
			    &resp, NULL);
	ck_assert_msg(got == want, "%s %s with %.30s: want %ld, got %ld %s", e->method, e->path,
		      auth ? auth : "(none)", want, got, resp);
	free(resp);
}

START_TEST(every_location_endpoint_takes_each_scheme_it_lists_and_refuses_the_rest)
{
	char service[2048], eval[2048], *device, *svc;
	json_t *j, *items, *it;
	size_t i, k;
	int eval_seen = 0, custom_seen = 0;

	start();
	device = fixture_device_jwt(&s);
	j = rest_ok("POST", "/v1/account/service-key-and-token", api, "{}", 200);
	snprintf(service, sizeof(service), "Bearer %s", str(j, "token"));
	/* a proxy's own JWT {"aud":<team>} signed with the service key (UTILS
	 * create_proxy_jwt.py) */
	svc = bearer_jwt(str(j, "key"), json_pack("{s:s}", "aud", s.tenant));
	json_decref(j);
	j = rest_ok("POST", "/v1/account/service-evaluation-token", api, NULL, 200);
	snprintf(eval, sizeof(eval), "Bearer %s", str(j, "token"));
	json_decref(j);
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		const struct endpoint *e = &endpoints[i];

		expect_status(e, api, FIXTURE_DEVICE, e->ok);
		expect_status(e, device, NULL, e->ok);
		expect_status(e, service, FIXTURE_DEVICE, e->ok);
		expect_status(e, svc, FIXTURE_DEVICE, e->ok);
		expect_status(e, eval, FIXTURE_DEVICE, e->ok);
		expect_status(e, NULL, NULL, 401);
		expect_status(e, "Bearer not-a-key", NULL, 401);
		expect_status(e, api, "bad id!", 400);
	}
	/* a GNSS fix must belong to a device */
	expect_nrf_error(&s, "POST", "/v1/location/gnss", api, JSON, "{\"lat\":1,\"lon\":2}", 422,
			 42200, "no device");
	/* the history is the team's: no device JWTs, no evaluation token */
	expect_nrf_error(&s, "GET", "/v1/location/history", device, NULL, NULL, 403, 40100, NULL);
	expect_nrf_error(&s, "GET", "/v1/location/history", eval, NULL, NULL, 403, 40100, NULL);
	j = rest_ok("GET", "/v1/location/history?pageLimit=100", svc, NULL, 200);
	json_decref(j);
	/* ground fixes under the evaluation token are *_EVAL; x-custom-device-id names the device */
	j = rest_ok("GET", "/v1/location/history?pageLimit=100&deviceId=" FIXTURE_DEVICE, api, NULL,
		    200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 4 * 5 + 5);
	json_array_foreach(items, k, it) {
		ck_assert_str_eq(str(it, "deviceId"), FIXTURE_DEVICE);
		ck_assert_msg(json_is_string(json_object_get(it, "lat")) &&
			      json_is_string(json_object_get(it, "lon")) &&
			      json_is_string(json_object_get(it, "uncertainty")),
			      "history numbers must be strings");
		eval_seen += strstr(str(it, "serviceType"), "_EVAL") != NULL;
		custom_seen += !strcmp(str(it, "serviceType"), "GNSS");
	}
	ck_assert_int_eq(eval_seen, 4);
	ck_assert_int_eq(custom_seen, 5);
	json_decref(j);
	free(device);
	free(svc);
}
END_TEST

/* ---- 3. A-GNSS over REST ---- */

START_TEST(agnss_rest_loop_reads_206_fragments_of_1700_bytes_until_the_total)
{
	const char *body = "{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829,\"rsrp\":-90,"
			   "\"types\":[1,2,3,4,6,7,8,9]}";
	unsigned counts[16] = { 0 }, c2[16] = { 0 };
	struct buf b = { 0 }, h = { 0 };
	struct conn k;
	uint8_t *data;
	size_t len, len2;
	char *cl;
	int requests;

	start();
	data = fragment_loop("POST", "/v1/location/agnss", api, body, 1700, 1, &len);
	ck_assert_uint_gt(len, 1700);
	decode(data, len, counts);
	ck_assert_uint_eq(counts[2], 32);
	ck_assert_uint_eq(counts[3], 32);
	ck_assert_uint_eq(counts[7], 1);
	ck_assert_uint_gt(counts[6], 0);
	ck_assert_uint_eq(counts[8], 1);
	ck_assert_uint_eq(counts[5] + counts[11] + counts[12] + counts[13], 0);
	free(data);
	/* the same over REST-mid's GET with a query, in the smallest fragment size */
	data = fragment_loop("GET", "/v1/location/agps?mcc=242&mnc=1&tac=3003&eci=21858829&"
			     "types=1,2,3,4,6,7,8,9", api, NULL, 128, 1, &len2);
	decode(data, len2, c2);
	ck_assert_uint_eq(len2, len);
	ck_assert_mem_eq(c2, counts, sizeof(counts));
	free(data);
	/* HEAD: the size only */
	conn_open(&k);
	ck_assert_int_eq(conn_do(&k, "HEAD", "/v1/location/agnss?mcc=242&mnc=1&tac=3003&"
				 "eci=21858829&types=1,2,3,4,6,7,8,9", api, NULL, NULL, &b, &h),
			 200);
	cl = strcasestr((char *)h.p, "content-length: ");
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(strtoull(cl + 16, NULL, 10), len);
	ck_assert_uint_eq(b.len, 0);
	/* a single fragment that holds everything is 206 too */
	ck_assert_int_eq(conn_do(&k, "POST", "/v1/location/agnss", api, "bytes=0-99999",
				 "{\"types\":[1]}", &b, &h), 206);
	ck_assert_uint_eq(b.len, 1 + 3 + 14);
	ck_assert_ptr_nonnull(strstr((char *)h.p, "content-range: bytes 0-17/18"));
	/* refusals */
	ck_assert_int_eq(conn_do(&k, "POST", "/v1/location/agnss", api, "bytes=500-600",
				 "{\"types\":[1]}", &b, &h), 416);
	/* a later fragment of data never made (or gone from the cache) is made anew quietly: it
	 * is not a new request in the journal or the counters */
	requests = journal_count(&s, "location.request", NULL, "AGNSS");
	ck_assert_int_eq(conn_do(&k, "POST", "/v1/location/agnss", api, "bytes=1700-3399",
				 "{\"types\":[2,3],\"mask\":7}", &b, &h), 206);
	/* 1 + (3 + 32 x 62) + (3 + 32 x 31) = 2983 bytes in all */
	ck_assert_uint_eq(b.len, 2983 - 1700);
	ck_assert_ptr_nonnull(strstr((char *)h.p, "content-range: bytes 1700-2982/2983"));
	ck_assert_int_eq(journal_count(&s, "location.request", NULL, "AGNSS"), requests);
	ck_assert_int_eq(conn_do(&k, "POST", "/v1/location/agnss", api, "bytes=0-10",
				 "{\"types\":[10]}", &b, &h), 422);
	ck_assert_msg(strstr((char *)b.p, "42200"), "%s", (char *)b.p);
	ck_assert_int_eq(conn_do(&k, "POST", "/v1/location/agnss", api, "bytes=0-10",
				 "{\"mask\":91}", &b, &h), 422);
	ck_assert_int_eq(conn_do(&k, "GET", "/v1/location/agps?requestType=rtNothing", api,
				 "bytes=0-10", NULL, &b, &h), 422);
	conn_close(&k);
	free(b.p);
	free(h.p);
}
END_TEST

/* A-GNSS recorded from nRF Cloud (fixtures/location/agnss/<name>.bin) answers the types it holds. */
START_TEST(recorded_agnss_in_the_fixtures_answers_the_types_it_holds)
{
	const char *data_dir = getenv("NCM_TEST_DATA_DIR");
	char fx[PATH_MAX], cmd[3 * PATH_MAX], *rec = NULL;
	const char *extra[] = { "--fixtures", fx, NULL };
	unsigned counts[16] = { 0 };
	uint8_t *data;
	size_t len, rec_len;
	FILE *f;

	/* the repository's fixtures plus a recording, in the test's folder (made by a first
	 * start) */
	ck_assert_ptr_nonnull(data_dir);
	start();
	srv_stop(&s, SIGTERM);
	snprintf(fx, sizeof(fx), "%s/fixtures-with-recording", s.dir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && mkdir -p '%s/location/agnss' && "
		 "cp '%s/agnss/nrfc_agnsspayload2.bin' '%s/location/agnss/'", getenv("NCM_FIXTURES"),
		 fx, fx, data_dir, fx);
	ck_assert_int_eq(system(cmd), 0);
	srv_start(&s, extra);
	/* almanacs only: exactly the recording's almanac block */
	data = fragment_loop("POST", "/v1/location/agnss", api, "{\"types\":[3]}", 1700, 1, &len);
	snprintf(cmd, sizeof(cmd), "%s/agnss/nrfc_agnsspayload2.bin", data_dir);
	f = fopen(cmd, "rb");
	ck_assert_ptr_nonnull(f);
	rec = malloc(2048);
	rec_len = fread(rec, 1, 2048, f);
	fclose(f);
	ck_assert_uint_eq(len, 1 + 3 + 31 * 31);
	ck_assert_uint_le(len, rec_len);
	ck_assert_mem_eq(data, rec, len);
	free(data);
	/* ephemerides are not in it: generated, all 32 */
	data = fragment_loop("POST", "/v1/location/agnss", api, "{\"types\":[2,3]}", 1700, 1, &len);
	decode(data, len, counts);
	ck_assert_uint_eq(counts[2], 32);
	ck_assert_uint_eq(counts[3], 31);
	free(data);
	free(rec);
}
END_TEST

/* ---- 4. MQTT ---- */

struct device {
	struct dev d;
	char topic_base[256]; /* <prefix>m/d/<id>/ */
};

static void device_up(struct device *dv)
{
	char crt[PATH_MAX], key[PATH_MAX], sub[300];

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&dv->d, &s, FIXTURE_DEVICE, crt, key, s.ca), 0);
	snprintf(dv->topic_base, sizeof(dv->topic_base), "%sm/d/%s/", s.prefix, FIXTURE_DEVICE);
	snprintf(sub, sizeof(sub), "%s+/r", dv->topic_base);
	ck_assert_int_eq(dev_subscribe(&dv->d, sub, 1), 1);
}

static void d2c(struct device *dv, const char *payload)
{
	char topic[300];

	snprintf(topic, sizeof(topic), "%sd2c", dv->topic_base);
	ck_assert_int_eq(dev_publish(&dv->d, topic, payload, 1), 0);
}

/* The n-th message, which must be on <base><leaf>. */
static struct msg *reply_on(struct device *dv, int n, const char *leaf)
{
	struct msg *m = dev_wait_message(&dv->d, n);
	char want[300];

	ck_assert_msg(m, "no message %d (want %s)", n, leaf);
	snprintf(want, sizeof(want), "%s%s", dv->topic_base, leaf);
	ck_assert_msg(!strcmp(m->topic, want), "message %d on %s, want %s: %.*s", n, m->topic, want,
		      m->len, m->payload);
	return m;
}

START_TEST(ground_fix_over_mqtt_answers_on_ground_fix_r_and_cell_pos_on_c2d)
{
	struct device dv;
	char topic[300];
	struct msg *m;
	json_t *j, *data;
	long status;
	int n = 0;

	start();
	device_up(&dv);
	d2c(&dv, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"data\":{\"lte\":["
	    FIX_CELL "]}}");
	m = reply_on(&dv, ++n, "ground_fix/r");
	j = json_loadb(m->payload, (size_t)m->len, 0, NULL);
	ck_assert_str_eq(str(j, "appId"), "GROUND_FIX");
	ck_assert_str_eq(str(j, "messageType"), "DATA");
	data = json_object_get(j, "data");
	ck_assert_double_eq(num(data, "lat"), 63.4216434);
	ck_assert_double_eq(num(data, "lon"), 10.4377611);
	ck_assert_double_eq(num(data, "uncertainty"), 1200);
	ck_assert_str_eq(str(data, "fulfilledWith"), "SCELL");
	json_decref(j);
	/* doReply false: nothing; the next message is the answer to the request after it */
	d2c(&dv, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"config\":{\"doReply\":false},"
	    "\"data\":{\"lte\":[" FIX_CELL "]}}");
	d2c(&dv, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"config\":{\"hiConf\":true},"
	    "\"data\":{\"lte\":[" FIX_CELL "]}}");
	m = reply_on(&dv, ++n, "ground_fix/r");
	ck_assert_msg(strstr(m->payload, "\"uncertainty\":1946"), "hiConf answer: %.*s", m->len,
		      m->payload);
	/* an injected error, and a validation error: {"appId","messageType","err"} */
	j = admin_json(&s, "POST", "/mock/v1/faults", "{\"match\":{\"device\":\"" FIXTURE_DEVICE
		       "\",\"service\":\"GROUND_FIX\"},\"action\":\"location_error\","
		       "\"code\":50010}", &status);
	ck_assert_int_eq(status, 201);
	json_decref(j);
	d2c(&dv, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"data\":{\"lte\":["
	    FIX_CELL "]}}");
	m = reply_on(&dv, ++n, "ground_fix/r");
	ck_assert_str_eq(m->payload, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\","
			 "\"err\":50010}");
	d2c(&dv, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"data\":{\"wifi\":{"
	    "\"accessPoints\":[" AP("f4:ec:38:0a:41:10") "]}}}");
	m = reply_on(&dv, ++n, "ground_fix/r");
	ck_assert_str_eq(m->payload, "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\","
			 "\"err\":42200}");
	ck_assert_int_ge(journal_count(&s, "fault.fired", FIXTURE_DEVICE, "location_error"), 1);

	/* <= v2.1: the device said it listens on the legacy c2d topic; CELL_POS answers there */
	snprintf(topic, sizeof(topic), "%sc2d", dv.topic_base);
	ck_assert_int_eq(dev_subscribe(&dv.d, topic, 1), 1);
	{
		char upd[600], aws[300];

		snprintf(upd, sizeof(upd), "{\"state\":{\"reported\":{\"pairing\":{\"state\":"
			 "\"paired\",\"topics\":{\"c2d\":\"%s\"}}}}}", topic);
		snprintf(aws, sizeof(aws), "$aws/things/%s/shadow/update", FIXTURE_DEVICE);
		ck_assert_int_eq(dev_publish(&dv.d, aws, upd, 1), 0);
	}
	d2c(&dv, "{\"appId\":\"CELL_POS\",\"messageType\":\"DATA\",\"data\":{\"lte\":["
	    FIX_CELL "]}}");
	/* c2d/r (the +/r wildcard) and the legacy topic, in either order */
	m = dev_wait_message(&dv.d, n + 2);
	ck_assert_ptr_nonnull(m);
	{
		int legacy = 0, i;

		for (i = n + 1; i <= n + 2; i++) {
			m = dev_wait_message(&dv.d, i);
			legacy += !strcmp(m->topic, topic);
			ck_assert_str_eq(m->payload, "{\"appId\":\"CELL_POS\",\"messageType\":"
					 "\"DATA\",\"data\":{\"lat\":63.4216434,\"lon\":"
					 "10.4377611,\"uncertainty\":1200}}");
		}
		ck_assert_int_eq(legacy, 1);
	}
	/* <= v2.1 took A-GPS and P-GPS answers on c2d too (docs/location.md#mqtt-reply-topics); v2.2+ on agps/r and
	 * pgps/r: a device that reported the legacy topic gets both */
	n += 2;
	d2c(&dv, "{\"appId\":\"AGPS\",\"messageType\":\"DATA\",\"data\":{\"types\":[1]}}");
	d2c(&dv, "{\"appId\":\"PGPS\",\"messageType\":\"DATA\",\"data\":{"
	    "\"predictionCount\":1,\"startGpsDay\":15286,\"startGpsTimeOfDaySeconds\":0}}");
	{
		char agps[300], pgps[300];
		int seen_agps = 0, seen_pgps = 0, seen_legacy = 0, i;

		snprintf(agps, sizeof(agps), "%sagps/r", dv.topic_base);
		snprintf(pgps, sizeof(pgps), "%spgps/r", dv.topic_base);
		for (i = n + 1; i <= n + 4; i++) {
			m = dev_wait_message(&dv.d, i);
			ck_assert_msg(m, "message %d of 4 missing", i - n);
			seen_agps += !strcmp(m->topic, agps) && m->payload[0] == 1;
			seen_pgps += !strcmp(m->topic, pgps) && m->payload[0] == '[';
			seen_legacy += !strcmp(m->topic, topic);
		}
		ck_assert_int_eq(seen_agps, 1);
		ck_assert_int_eq(seen_pgps, 1);
		ck_assert_int_eq(seen_legacy, 2);
	}
	dev_close(&dv.d);
}
END_TEST

START_TEST(agnss_over_mqtt_comes_in_self_contained_messages_within_the_buffer)
{
	unsigned want[16] = { 0 }, got[16] = { 0 }, one[16];
	struct device dv;
	struct msg *m;
	uint8_t *data;
	size_t len, i;
	int n = 0, parts = 0;

	start();
	/* what the whole answer holds, from the REST loop */
	data = fragment_loop("POST", "/v1/location/agnss", api, "{\"mcc\":244,\"mnc\":91,"
			     "\"tac\":4099,\"eci\":36078631,\"types\":[1,2,3,4,6,7,8,9,11,12,13]}",
			     1700, 1, &len);
	decode(data, len, want);
	free(data);
	device_up(&dv);
	d2c(&dv, "{\"appId\":\"AGNSS\",\"messageType\":\"DATA\",\"data\":{\"mcc\":244,\"mnc\":91,"
	    "\"tac\":4099,\"eci\":36078631,\"rsrp\":-47,\"types\":[1,2,3,4,6,7,8,9,11,12,13]}}");
	while (memcmp(got, want, sizeof(got))) {
		m = reply_on(&dv, ++n, "agnss/r");
		ck_assert_int_le(m->len, 2144);
		memset(one, 0, sizeof(one));
		decode((const uint8_t *)m->payload, (size_t)m->len, one);
		for (i = 0; i < 16; i++)
			got[i] += one[i];
		parts++;
		for (i = 0; i < 16; i++)
			ck_assert_msg(got[i] <= want[i], "type %zu: %u elements, want %u", i,
				      got[i], want[i]);
	}
	ck_assert_int_ge(parts, 2);
	/* A-GPS (v2.2-v2.5) on agps/r; an error as JSON on the same topic */
	d2c(&dv, "{\"appId\":\"AGPS\",\"messageType\":\"DATA\",\"data\":{\"types\":[1,4]}}");
	m = reply_on(&dv, ++n, "agps/r");
	memset(one, 0, sizeof(one));
	decode((const uint8_t *)m->payload, (size_t)m->len, one);
	ck_assert_uint_eq(one[1], 1);
	ck_assert_uint_eq(one[4], 1);
	d2c(&dv, "{\"appId\":\"AGNSS\",\"messageType\":\"DATA\",\"data\":{\"types\":[99]}}");
	m = reply_on(&dv, ++n, "agnss/r");
	ck_assert_str_eq(m->payload, "{\"appId\":\"AGNSS\",\"messageType\":\"DATA\","
			 "\"err\":42200}");
	dev_close(&dv.d);
}
END_TEST

START_TEST(pgps_over_mqtt_points_at_a_prediction_file_downloaded_in_ranges)
{
	struct device dv;
	struct msg *m;
	json_t *j, *r;
	uint8_t *file;
	size_t len;
	char path[512], host[300];
	int16_t count, size, period, day;
	int32_t tod;

	start();
	device_up(&dv);
	d2c(&dv, "{\"appId\":\"PGPS\",\"messageType\":\"DATA\",\"data\":{\"predictionCount\":6,"
	    "\"predictionIntervalMinutes\":240,\"startGpsDay\":15286,"
	    "\"startGpsTimeOfDaySeconds\":79200}}");
	m = reply_on(&dv, 1, "pgps/r");
	j = json_loadb(m->payload, (size_t)m->len, 0, NULL);
	ck_assert_msg(json_is_array(j) && json_array_size(j) == 2, "%s", m->payload);
	snprintf(host, sizeof(host), "firmware.nrfcloud.lab:%d", s.https_port);
	ck_assert_str_eq(json_string_value(json_array_get(j, 0)), host);
	ck_assert_str_eq(json_string_value(json_array_get(j, 1)), "public/15286-79200_15287-64800.bin");
	/* REST answers the same place */
	r = rest_ok("GET", "/v1/location/pgps?predictionCount=6&predictionIntervalMinutes=240&"
		    "startGpsDay=15286&startGpsTimeOfDaySeconds=79200", api, NULL, 200);
	ck_assert_str_eq(str(r, "path"), json_string_value(json_array_get(j, 1)));
	ck_assert_str_eq(str(r, "host"), host);
	json_decref(r);
	/* the device downloads it in 1500-byte ranges (CONFIG_NRF_CLOUD_PGPS_DOWNLOAD_FRAGMENT_SIZE) */
	snprintf(path, sizeof(path), "/%s", json_string_value(json_array_get(j, 1)));
	file = fragment_loop("GET", path, NULL, NULL, 1500, 1, &len);
	ck_assert_uint_ge(len, 16);
	ck_assert_int_eq(file[0], 1);   /* schema_version */
	ck_assert_int_eq(file[1], 10);  /* array_type: prediction data */
	memcpy(&count, file + 4, 2);
	memcpy(&size, file + 6, 2);
	memcpy(&period, file + 8, 2);
	memcpy(&day, file + 10, 2);
	memcpy(&tod, file + 12, 4);
	ck_assert_int_eq(count, 6);
	ck_assert_int_eq(period, 240);
	ck_assert_int_eq(day, 15286);
	ck_assert_int_eq(tod, 79200);
	ck_assert_uint_eq(len, 16 + (size_t)count * (size_t)size);
	/* each prediction: system time (type 7, one) then 32 ephemerides (type 2) */
	ck_assert_int_eq(file[16], 7);
	ck_assert_int_eq(file[16 + 3 + 16], 2);
	ck_assert_int_eq(file[16 + 3 + 16 + 1], 32);
	free(file);
	json_decref(j);
	/* a file name this server never made */
	expect_nrf_error(&s, "GET", "/public/nothing.bin", NULL, NULL, NULL, 404, 40420, NULL);
	/* errors: bad numbers */
	d2c(&dv, "{\"appId\":\"PGPS\",\"messageType\":\"DATA\",\"data\":{\"predictionCount\":-1}}");
	m = reply_on(&dv, 2, "pgps/r");
	ck_assert_str_eq(m->payload, "{\"appId\":\"PGPS\",\"messageType\":\"DATA\",\"err\":42200}");
	dev_close(&dv.d);
}
END_TEST

/* ---- 5. faults and history ---- */

START_TEST(location_faults_fire_count_times_and_history_lists_and_deletes_fixes)
{
	char path[256], *resp = NULL;
	const char *hdrs[] = { NULL, "x-custom-device-id: " FIXTURE_DEVICE,
			       "Content-Type: application/json", NULL };
	char auth[300];
	json_t *j, *items, *first;
	long status;
	int i;

	start();
	j = admin_json(&s, "POST", "/mock/v1/faults", "{\"match\":{\"service\":\"GROUND_FIX\"},"
		       "\"action\":\"location_error\",\"code\":40499,\"count\":2}", &status);
	ck_assert_int_eq(status, 201);
	ck_assert_str_eq(str(json_object_get(j, "match"), "service"), "GROUND_FIX");
	json_decref(j);
	for (i = 0; i < 2; i++)
		expect_nrf_error(&s, "POST", "/v1/location/ground-fix", api, JSON,
				 "{\"lte\":[" FIX_CELL "]}", 404, 40499, NULL);
	json_decref(fix("", "{\"lte\":[" FIX_CELL "]}"));
	ck_assert_int_eq(journal_count(&s, "fault.fired", NULL, "location_error"), 2);
	/* faults must be well-formed: a service name, an error status and a 5-digit code */
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", "{\"match\":{\"service\":"
				    "\"ground fix\"},\"action\":\"location_error\"}", &resp), 400);
	free(resp);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", "{\"action\":"
				    "\"location_error\",\"status\":42}", &resp), 400);
	free(resp);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", "{\"action\":"
				    "\"location_error\",\"code\":0}", &resp), 400);
	free(resp);
	/* the history has its own service name */
	json_decref(admin_json(&s, "POST", "/mock/v1/faults", "{\"match\":{\"service\":"
			       "\"HISTORY\"},\"action\":\"location_error\",\"code\":50010}",
			       &status));
	ck_assert_int_eq(status, 201);
	expect_nrf_error(&s, "GET", "/v1/location/history", api, NULL, NULL, 500, 50010, NULL);

	/* the history: newest first, numbers as strings, one page at a time */
	snprintf(auth, sizeof(auth), "Authorization: %s", api);
	hdrs[0] = auth;
	for (i = 8; i >= 7; i--) {
		char body[64];

		snprintf(body, sizeof(body), "{\"lat\":63.5,\"lon\":10.5,\"acc\":%d}", i);
		ck_assert_int_eq(http_rest_req(&s, "POST", "/v1/location/gnss", hdrs, body,
					       strlen(body), &resp, NULL), 202);
		free(resp);
	}
	j = rest_ok("GET", "/v1/location/history?pageLimit=1&deviceId=" FIXTURE_DEVICE, api, NULL,
		    200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	first = json_array_get(items, 0);
	ck_assert_str_eq(str(first, "serviceType"), "GNSS");
	ck_assert_str_eq(str(first, "lat"), "63.5");
	ck_assert_str_eq(str(first, "uncertainty"), "7");
	ck_assert_ptr_nonnull(str(first, "insertedAt"));
	ck_assert_ptr_nonnull(str(j, "pageNextToken"));
	snprintf(path, sizeof(path), "/v1/location/history/%s/%s", FIXTURE_DEVICE,
		 str(first, "id"));
	json_decref(j);
	j = rest_ok("GET", "/v1/location/history?pageLimit=100", api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 3);
	ck_assert_str_eq(str(json_array_get(json_object_get(j, "items"), 2), "serviceType"),
			 "SCELL");
	json_decref(j);
	ck_assert_int_eq(http_rest_auth(&s, "DELETE", path, api, NULL, NULL, 0, &resp, NULL), 202);
	free(resp);
	expect_nrf_error(&s, "DELETE", path, api, NULL, NULL, 404, 40410, NULL);
	j = rest_ok("GET", "/v1/location/history?deviceId=" FIXTURE_DEVICE, api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	ck_assert_str_eq(str(json_array_get(json_object_get(j, "items"), 0), "uncertainty"), "8");
	json_decref(j);
	/* every request and answer is journaled */
	ck_assert_int_ge(journal_count(&s, "location.request", NULL, "GROUND_FIX"), 3);
	ck_assert_int_ge(journal_count(&s, "location.answer", NULL, "GROUND_FIX"), 3);
}
END_TEST

static const struct suite_def suite = {
	.name = "location", .timeout_s = 240, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "fixture_cells", fixture_cells_give_their_position_and_unknown_ones_the_same_derived_one_always },
		{ "refusals", ground_fix_refusals_old_forms_and_run_time_answers },
		{ "schemes", every_location_endpoint_takes_each_scheme_it_lists_and_refuses_the_rest },
		{ "agnss_rest", agnss_rest_loop_reads_206_fragments_of_1700_bytes_until_the_total },
		{ "recorded_agnss", recorded_agnss_in_the_fixtures_answers_the_types_it_holds },
		{ "ground_fix_mqtt", ground_fix_over_mqtt_answers_on_ground_fix_r_and_cell_pos_on_c2d },
		{ "agnss_mqtt", agnss_over_mqtt_comes_in_self_contained_messages_within_the_buffer },
		{ "pgps_mqtt", pgps_over_mqtt_points_at_a_prediction_file_downloaded_in_ranges },
		{ "faults_history", location_faults_fire_count_times_and_history_lists_and_deletes_fixes })
