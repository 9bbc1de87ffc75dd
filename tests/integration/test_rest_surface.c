/* SPDX-License-Identifier: MIT
 * test_rest_surface.c: the wider nRF Cloud REST surface (docs/protocol-rest.md#rest-surface)
 * against the real server: account usage, invoices and tags; device tags and images; alerts
 * fed by d2c messages over MQTT and REST; binary logs fed by d2c/bin; anchors feeding
 * ground-fix ANCHOR answers; contributions; geocoding from fixture places; the team MQTT
 * device; the BLE gateway refusals; and GET /v1/openapi.json against the 82 nRF Cloud
 * operations. Each operation with its refusals, and the journal of the calls.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "harness.h"

#define JSON "application/json"
#define DEV "/v1/devices/" FIXTURE_DEVICE

static struct srv s;
static char api[256];

static void start(void)
{
	suite_start(&s, NULL, api, sizeof(api));
}

static json_t *ok(const char *method, const char *path, const char *body, long want)
{
	return rest_json(&s, method, path, api, body, want);
}

/* A request answered status with an empty body. */
static void empty(const char *method, const char *path, const char *ctype, const char *body,
		  long status)
{
	char *resp = NULL;
	long got = http_rest_auth(&s, method, path, api, ctype, body, body ? strlen(body) : 0,
				  &resp, NULL);

	ck_assert_msg(got == status && !*resp, "%s %s: want %ld empty, got %ld %s", method, path,
		      status, got, resp);
	free(resp);
}

static void err(const char *method, const char *path, const char *body, long status, int code,
		const char *part)
{
	expect_nrf_error(&s, method, path, api, body ? JSON : NULL, body, status, code, part);
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	ck_assert_msg(v != NULL, "no string %s", k);
	return v;
}

static json_t *items(json_t *page)
{
	json_t *a = json_object_get(page, "items");

	ck_assert(json_is_array(a));
	return a;
}

/* The page token of a list answer, URL-encoded into buf. */
static const char *next_token(const json_t *page, char *buf, size_t size)
{
	const char *t = json_string_value(json_object_get(page, "pageNextToken"));
	char *e;

	ck_assert_msg(t != NULL, "no pageNextToken");
	e = curl_easy_escape(NULL, t, 0);
	snprintf(buf, size, "%s", e);
	curl_free(e);
	return buf;
}

/* ---- Account ---- */

START_TEST(account_usage_invoices_and_tags)
{
	char path[512], tok[256];
	json_t *j;

	start();
	empty("PUT", DEV "/tags", JSON, "[\"west\",\"east\"]", 202);
	j = ok("GET", "/v1/account/tags", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 2);
	ck_assert_str_eq(json_string_value(json_array_get(items(j), 0)), "east");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
	json_decref(j);
	/* ListDeviceTags pages */
	j = ok("GET", "/v1/devices/tags?pageLimit=1", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 1);
	ck_assert_str_eq(json_string_value(json_array_get(items(j), 0)), "east");
	snprintf(path, sizeof(path), "/v1/devices/tags?pageLimit=1&pageNextToken=%s",
		 next_token(j, tok, sizeof(tok)));
	json_decref(j);
	j = ok("GET", path, NULL, 200);
	ck_assert_str_eq(json_string_value(json_array_get(items(j), 0)), "west");
	ck_assert(!json_object_get(j, "pageNextToken"));
	json_decref(j);
	err("GET", "/v1/devices/tags?pageLimit=0", NULL, 400, 40000, "pageLimit");
	err("GET", "/v1/devices/tags", NULL, 400, 40000, "pageLimit is required");
	err("GET", "/v1/devices/tags?pageLimit=5&pageNextToken=%25%25", NULL, 400, 40000,
	    "pageNextToken");

	j = ok("GET", "/v1/account/usage/summary", NULL, 200);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(j, "currentDevices"),
							    "total")), 1);
	ck_assert(json_is_integer(json_object_get(json_object_get(j, "currentDevices"),
						  "bluetoothLE")));
	/* the current and the previous month, YYYY-MM (AccountApi.md FetchApiUsageSummary) */
	ck_assert_int_eq(json_array_size(json_object_get(j, "services")), 2);
	{
		json_t *cur = json_array_get(json_object_get(j, "services"), 0);
		json_t *prev = json_array_get(json_object_get(j, "services"), 1);

		ck_assert(json_is_integer(json_object_get(cur, "storedDeviceMessages")));
		ck_assert_int_eq(strlen(str(cur, "date")), 7);
		ck_assert_int_eq(strlen(str(prev, "date")), 7);
		ck_assert_str_lt(str(prev, "date"), str(cur, "date"));
		ck_assert(json_is_object(json_object_get(cur, "locationServices")));
	}
	json_decref(j);
	j = ok("GET", "/v1/account/usage?inclusiveStart=2026-01-01&exclusiveEnd=2026-02-01", NULL,
	       200);
	ck_assert_int_eq(json_array_size(items(j)), 0);
	json_decref(j);
	j = ok("GET", "/v1/account/usage?inclusiveStart=2026-01&exclusiveEnd=2026-03", NULL, 200);
	json_decref(j);
	err("GET", "/v1/account/usage", NULL, 422, 42200, "inclusiveStart");
	err("GET", "/v1/account/usage?inclusiveStart=yesterday&exclusiveEnd=2026-02", NULL, 422,
	    42200, "YYYY-MM");
	err("GET", "/v1/account/usage?inclusiveStart=2026-01&exclusiveEnd=2026-02-01", NULL, 422,
	    42200, "both");
	err("GET", "/v1/account/usage?inclusiveStart=2026-13&exclusiveEnd=2026-14", NULL, 422,
	    42200, NULL);
	j = ok("GET", "/v1/account/invoices", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 0);
	json_decref(j);
	/* API key only: no credentials and a device JWT are refused */
	expect_nrf_error(&s, "GET", "/v1/account/invoices", NULL, NULL, NULL, 401, 40100, NULL);
	{
		char *jwt = fixture_device_jwt(&s);

		expect_nrf_error(&s, "GET", "/v1/account/tags", jwt, NULL, NULL, 403, 40100,
				 "not accepted");
		free(jwt);
	}
	/* journaled like every REST call */
	ck_assert_int_ge(journal_count(&s, "http.request", NULL, NULL), 8);
}
END_TEST

/* ---- Devices: image ---- */

START_TEST(device_image_put_and_delete)
{
	start();
	empty("PUT", DEV "/image", "image/png", "\x89PNG....", 202);
	empty("DELETE", DEV "/image", NULL, NULL, 202);
	empty("DELETE", DEV "/image", NULL, NULL, 202);
	expect_nrf_error(&s, "PUT", "/v1/devices/nobody/image", api, "image/png", "x", 404, 40410,
			 "nobody");
	err("DELETE", "/v1/devices/nobody/image", NULL, 404, 40410, "nobody");
	expect_nrf_error(&s, "PUT", DEV "/image", api, "image/png", "", 400, 40000, "empty");
}
END_TEST

/* ---- Alerts ---- */

START_TEST(alerts_from_mqtt_and_rest_are_listed_archived_and_restored)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256], path[512], tok[256];
	struct dev d;
	json_t *j, *a;
	const char *id;

	start();
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, FIXTURE_DEVICE);
	/* nrf_cloud_alert_encode's shape */
	ck_assert_int_eq(dev_publish(&d, topic, "{\"appId\":\"ALERT\",\"type\":1,\"value\":3.5,"
				     "\"ts\":1765000000000,\"seq\":1,\"desc\":\"hot\"}", 1), 0);
	ck_assert_int_eq(dev_publish(&d, topic, "{\"appId\":\"TEMP\",\"data\":\"21\"}", 1), 0);
	dev_close(&d);
	empty("POST", DEV "/messages", JSON,
	      "{\"message\":{\"appId\":\"ALERT\",\"type\":2,\"seq\":2},\"topic\":\"d/"
	      FIXTURE_DEVICE "/d2c\"}", 202);

	j = ok("GET", "/v1/alerts", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 2);
	a = json_array_get(items(j), 0); /* newest first */
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(a, "originalMessage"),
							    "type")), 2);
	a = json_array_get(items(j), 1);
	ck_assert_str_eq(str(a, "deviceId"), FIXTURE_DEVICE);
	ck_assert_str_eq(str(a, "status"), "ACTIVE");
	ck_assert_str_eq(str(a, "createdAt"), "2025-12-06T05:46:40.000Z");
	ck_assert_int_eq(strlen(str(a, "id")), 36);
	snprintf(path, sizeof(path), "/v1/alerts/%s/archive", str(a, "id"));
	json_decref(j);

	j = ok("PATCH", path, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "ARCHIVED");
	ck_assert(json_object_get(j, "statusChangedAt") != NULL);
	id = str(j, "id");
	(void)id;
	json_decref(j);
	j = ok("GET", "/v1/alerts?status=ARCHIVED", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 1);
	json_decref(j);
	j = ok("GET", "/v1/alerts?status=ACTIVE&pageSort=asc&pageLimit=1", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 1);
	ck_assert(!json_object_get(j, "pageNextToken"));
	json_decref(j);
	j = ok("GET", "/v1/alerts?pageLimit=1&pageSort=asc", NULL, 200);
	snprintf(path + 200, 300, "/v1/alerts?pageLimit=1&pageSort=asc&pageNextToken=%s",
		 next_token(j, tok, sizeof(tok)));
	json_decref(j);
	j = ok("GET", path + 200, NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(json_array_get(items(j), 0), "originalMessage"),
				 "type")), 2);
	json_decref(j);
	j = ok("GET", "/v1/alerts?deviceIds=nobody," FIXTURE_DEVICE, NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 2);
	json_decref(j);
	j = ok("GET", "/v1/alerts?deviceIds=nobody", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 0);
	json_decref(j);

	memcpy(path + strlen(path) - 7, "restore", 7);
	j = ok("PATCH", path, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "ACTIVE");
	json_decref(j);
	err("PATCH", "/v1/alerts/00000000-0000-4000-8000-000000000000/archive", NULL, 404, 40410,
	    "alert");
	err("PATCH", "/v1/alerts/x/restore", NULL, 404, 40410, "alert");
	err("GET", "/v1/alerts?status=GONE", NULL, 400, 40000, "status");
	err("GET", "/v1/alerts?pageSort=up", NULL, 400, 40000, "pageSort");
	expect_nrf_error(&s, "GET", "/v1/alerts", NULL, NULL, NULL, 401, 40100, NULL);
}
END_TEST

/* ---- Binary logs ---- */

START_TEST(binary_logs_url_serves_the_d2c_bin_payloads)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256], *resp = NULL;
	struct dev d;
	json_t *j;
	const char *url, *p;
	long status;

	start();
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c/bin", s.prefix, FIXTURE_DEVICE);
	ck_assert_int_eq(dev_publish(&d, topic, "LOG1", 1), 0);
	ck_assert_int_eq(dev_publish(&d, topic, "LOG2", 1), 0);
	dev_close(&d);

	j = ok("GET", "/v1/binary-logs/url?deviceId=" FIXTURE_DEVICE, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "contentLength")), 8);
	url = str(j, "url");
	p = strstr(url, "/binary-logs/");
	ck_assert_ptr_nonnull(p);
	status = http_rest_auth(&s, "GET", p, NULL, NULL, NULL, 0, &resp, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(resp, "LOG1LOG2");
	free(resp);
	json_decref(j);

	err("GET", "/v1/binary-logs/url", NULL, 422, 42200, "deviceId");
	err("GET", "/v1/binary-logs/url?deviceId=nobody", NULL, 404, 40410, "nobody");
	err("GET", "/v1/binary-logs/url?deviceId=" FIXTURE_DEVICE
	    "&start=2026-01-01T00:00:00Z&end=2026-01-03T00:00:00Z", NULL, 422, 42200, "24 hours");
	expect_nrf_error(&s, "GET", "/binary-logs/" FIXTURE_DEVICE "/x.bin", NULL, NULL, NULL, 404,
			 40420, NULL);
}
END_TEST

/* ---- Anchors ---- */

START_TEST(anchors_crud_feeds_ground_fix)
{
	char tok[256], path[512];
	json_t *j;

	start();
	empty("POST", "/v1/location/anchors", JSON,
	      "{\"macAddress\":\"AA-BB-CC-00-11-22\",\"lat\":63.43,\"lon\":10.39,"
	      "\"name\":\"desk #1!\"}", 202);
	empty("POST", "/v1/location/anchors", JSON,
	      "{\"macAddress\":\"aa:bb:cc:00:11:23\",\"lat\":1,\"lon\":2}", 202);
	j = ok("GET", "/v1/location/anchors/aa:bb:cc:00:11:22", NULL, 200);
	ck_assert_str_eq(str(j, "macAddress"), "AA:BB:CC:00:11:22");
	ck_assert_str_eq(str(j, "name"), "desk 1");
	ck_assert_double_eq(json_number_value(json_object_get(j, "lat")), 63.43);
	str(j, "createdAt");
	json_decref(j);

	j = ok("GET", "/v1/location/anchors?pageLimit=1", NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 1);
	snprintf(path, sizeof(path), "/v1/location/anchors?pageLimit=1&pageNextToken=%s",
		 next_token(j, tok, sizeof(tok)));
	json_decref(j);
	j = ok("GET", path, NULL, 200);
	ck_assert_str_eq(str(json_array_get(items(j), 0), "macAddress"), "AA:BB:CC:00:11:23");
	json_decref(j);

	/* the ground fix answers ANCHOR with the anchor's name */
	j = ok("POST", "/v1/location/ground-fix",
	       "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:00:11:22\","
	       "\"signalStrength\":-50},{\"macAddress\":\"f4:ec:38:0a:41:10\","
	       "\"signalStrength\":-60}]}}", 200);
	ck_assert_str_eq(str(j, "fulfilledWith"), "ANCHOR");
	ck_assert_str_eq(str(json_array_get(json_object_get(j, "anchors"), 0), "name"), "desk 1");
	json_decref(j);

	empty("PATCH", "/v1/location/anchors/AA:BB:CC:00:11:22", JSON, "{\"name\":\"moved\"}",
	      202);
	j = ok("GET", "/v1/location/anchors/AA-BB-CC-00-11-22", NULL, 200);
	ck_assert_str_eq(str(j, "name"), "moved");
	ck_assert_double_eq(json_number_value(json_object_get(j, "lon")), 10.39);
	json_decref(j);
	empty("DELETE", "/v1/location/anchors/AA:BB:CC:00:11:22", NULL, NULL, 202);
	err("GET", "/v1/location/anchors/AA:BB:CC:00:11:22", NULL, 404, 40410, "anchor");
	err("DELETE", "/v1/location/anchors/AA:BB:CC:00:11:22", NULL, 404, 40410, "anchor");
	err("PATCH", "/v1/location/anchors/AA:BB:CC:00:11:22", "{\"name\":\"x\"}", 404, 40410,
	    "anchor");
	err("GET", "/v1/location/anchors/not-a-mac", NULL, 404, 40410, "anchor");
	err("POST", "/v1/location/anchors", "{\"macAddress\":\"zz\",\"lat\":1,\"lon\":2}", 422,
	    42200, "macAddress");
	err("POST", "/v1/location/anchors", "{\"macAddress\":\"aa:bb:cc:00:11:24\",\"lat\":91,"
	    "\"lon\":2}", 422, 42200, "lat");
	err("POST", "/v1/location/anchors", "{\"macAddress\":\"aa:bb:cc:00:11:24\"}", 422, 42200,
	    "lat");
	err("POST", "/v1/location/anchors", "[1]", 400, 40000, "JSON object");
	err("PATCH", "/v1/location/anchors/aa:bb:cc:00:11:23", "{\"lat\":\"x\"}", 422, 42200,
	    "lat");
}
END_TEST

/* ---- Contributions and geocoding ---- */

START_TEST(contributions_and_geo)
{
	json_t *j;
	char path[256], id[64], *jwt;

	start();
	jwt = fixture_device_jwt(&s);
	/* LocationContribution (LocationContribution.md) */
	j = rest_json(&s, "POST", "/v1/location/contribute", jwt,
		      "{\"device\":{\"id\":\"" FIXTURE_DEVICE "\",\"modemVersion\":\"1.3.6\"},"
		      "\"contributions\":[{\"wifi\":[]}],"
		      "\"position\":{\"lat\":63.4,\"lon\":10.4,\"uncertainty\":20}}", 200);
	snprintf(id, sizeof(id), "%s", str(j, "id"));
	ck_assert_int_eq(strlen(id), 36);
	json_decref(j);
	j = rest_json(&s, "POST", "/v1/location/contribute", jwt,
		      "{\"contributions\":[{\"cell\":[]}],"
		      "\"position\":{\"lat\":1,\"lon\":2,\"uncertainty\":5}}", 200);
	json_decref(j);
	/* a page of ContributionItem {id, contributions, device, position, createdAt} */
	j = rest_json(&s, "GET", "/v1/location/contribute", jwt, NULL, 200);
	ck_assert_int_eq(json_array_size(items(j)), 2);
	ck_assert_str_eq(str(json_array_get(items(j), 1), "id"), id);
	ck_assert_double_eq(json_number_value(json_object_get(
				    json_object_get(json_array_get(items(j), 1), "position"), "lat")),
			    63.4);
	ck_assert_str_eq(str(json_object_get(json_array_get(items(j), 1), "device"), "id"),
			 FIXTURE_DEVICE);
	ck_assert(json_is_object(json_object_get(json_array_get(items(j), 0), "device")));
	ck_assert(json_is_array(json_object_get(json_array_get(items(j), 0), "contributions")));
	str(json_array_get(items(j), 0), "createdAt");
	json_decref(j);
	j = rest_json(&s, "GET", "/v1/location/contribute?pageSort=asc&pageLimit=1", jwt, NULL, 200);
	ck_assert_str_eq(str(json_array_get(items(j), 0), "id"), id);
	ck_assert(json_object_get(j, "pageNextToken") != NULL);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/location/contribute/%s", id);
	{
		char *resp = NULL;
		long st = http_rest_auth(&s, "DELETE", path, jwt, NULL, NULL, 0, &resp, NULL);

		ck_assert_msg(st == 202 && !*resp, "%ld %s", st, resp);
		free(resp);
	}
	expect_nrf_error(&s, "DELETE", path, jwt, NULL, NULL, 404, 40410, "contribution");
	expect_nrf_error(&s, "POST", "/v1/location/contribute", jwt, JSON, "{}", 400, 40000,
			 "contributions");
	expect_nrf_error(&s, "POST", "/v1/location/contribute", jwt, JSON, "nope", 400, 40000,
			 "JSON object");
	expect_nrf_error(&s, "POST", "/v1/location/contribute", jwt, JSON,
			 "{\"contributions\":[{\"wifi\":[]}],\"position\":{\"lat\":1,"
			 "\"lon\":2}}", 400, 40000, "uncertainty");
	expect_nrf_error(&s, "POST", "/v1/location/contribute", jwt, JSON,
			 "{\"contributions\":[{}],\"position\":{\"lat\":1,\"lon\":2,"
			 "\"uncertainty\":1}}", 400, 40000, "cell");
	expect_nrf_error(&s, "POST", "/v1/location/contribute", jwt, JSON,
			 "{\"contributions\":[{\"cell\":[]}],\"position\":{\"lat\":91,"
			 "\"lon\":2,\"uncertainty\":1}}", 400, 40000, "lat");
	expect_nrf_error(&s, "GET", "/v1/location/contribute?pageSort=up", jwt, NULL, NULL, 400,
			 40000, "pageSort");
	/* not with the API key (ContributeApi: evaluation token and JWTs) */
	err("GET", "/v1/location/contribute", NULL, 403, 40100, "not accepted");

	j = rest_json(&s, "GET", "/v1/location/geo?lat=63.42&lon=10.40", jwt, NULL, 200);
	ck_assert_str_eq(str(json_object_get(j, "address"), "city"), "Trondheim");
	ck_assert_str_eq(str(json_object_get(j, "address"), "countryCode"), "NO");
	ck_assert_int_gt(json_integer_value(json_object_get(j, "uncertainty")), 0);
	str(j, "formatted");
	json_decref(j);
	expect_nrf_error(&s, "GET", "/v1/location/geo?lat=0&lon=0", jwt, NULL, NULL, 404, 40410,
			 "no address");
	expect_nrf_error(&s, "GET", "/v1/location/geo?lat=95&lon=0", jwt, NULL, NULL, 422, 42200,
			 "lat");
	expect_nrf_error(&s, "GET", "/v1/location/geo?lat=1", jwt, NULL, NULL, 422, 42200, "lon");
	err("GET", "/v1/location/geo?lat=63.42&lon=10.40", NULL, 403, 40100, "not accepted");
	free(jwt);
}
END_TEST

/* ---- Team MQTT device ---- */

START_TEST(team_device_create_get_rotate_delete)
{
	char path[256], id[160], *cert1;
	json_t *j;

	start();
	snprintf(id, sizeof(id), "account-%s", s.tenant);
	snprintf(path, sizeof(path), "/v1/devices/mqtt-team/%s", id);
	err("GET", path, NULL, 404, 40410, "team device");
	j = ok("POST", "/v1/devices/mqtt-team", NULL, 201);
	ck_assert_str_eq(str(j, "clientId"), id);
	cert1 = strdup(str(j, "clientCert"));
	str(j, "privateKey");
	json_decref(j);
	j = ok("GET", path, NULL, 200);
	ck_assert_str_eq(str(j, "clientCert"), cert1);
	ck_assert(!json_object_get(j, "privateKey"));
	str(j, "caCert");
	json_decref(j);
	j = ok("PATCH", path, NULL, 201);
	str(j, "privateKey");
	ck_assert_str_ne(str(j, "clientCert"), cert1);
	json_decref(j);
	free(cert1);
	empty("DELETE", path, NULL, NULL, 202);
	err("GET", path, NULL, 404, 40410, "team device");
	err("PATCH", path, NULL, 404, 40410, "team device");
	err("DELETE", "/v1/devices/mqtt-team/someone-else", NULL, 404, 40410, "team device");
	err("GET", "/v1/devices/mqtt-team/someone-else", NULL, 404, 40410, "team device");
	err("DELETE", path, NULL, 404, 40414, NULL);
}
END_TEST

/* ---- BLE gateway operations ---- */

START_TEST(ble_operations_refuse_non_gateways)
{
	static const char *const gw_ops[][2] = {
		{ "POST", DEV "/scan" },
		{ "POST", DEV "/discover/aabbccddeeff" },
		{ "PUT", DEV "/aabbccddeeff" },
	};
	static const char *const ble_ops[][2] = {
		{ "GET", DEV "/characteristics/2A19" },
		{ "PUT", DEV "/characteristics/2A19" },
		{ "GET", DEV "/characteristics/2A19/descriptors/2902" },
		{ "PUT", DEV "/characteristics/2A19/descriptors/2902" },
	};
	size_t i;

	start();
	for (i = 0; i < 3; i++) {
		err(gw_ops[i][0], gw_ops[i][1], "{}", 400, 40000, "is not a gateway");
	}
	for (i = 0; i < 4; i++)
		err(ble_ops[i][0], ble_ops[i][1], strcmp(ble_ops[i][0], "GET") ? "{}" : NULL, 400,
		    40000, "is not a BLE device");
	err("POST", "/v1/devices/nobody/scan", "{}", 404, 40410, "nobody");
	err("PUT", "/v1/devices/nobody/aabbccddeeff", "{}", 404, 40410, "nobody");
	err("GET", "/v1/devices/nobody/characteristics/1", NULL, 404, 40410, "nobody");
	/* a gateway (subType containing "gateway"): relayed (test_rest_gateway.c), accepted */
	{
		char *resp = NULL;
		long st = http_admin(&s, "POST", "/mock/v1/devices",
				     "{\"id\":\"gw-1\",\"subType\":\"lte-gateway\"}", &resp);

		ck_assert_msg(st == 200 || st == 201, "%ld %s", st, resp);
		free(resp);
	}
	empty("POST", "/v1/devices/gw-1/scan", JSON, "{}", 202);
	empty("PUT", "/v1/devices/gw-1/aabbccddeeff", NULL, NULL, 204);
}
END_TEST

/* ---- OpenAPI ---- */

/* The 82 operations of nRF Cloud's v1 OpenAPI (the generated client
 * NauEngineering/python_nRF_cloud_client README lists them), as method, path, operationId. */
static const char *const nrf_ops[][3] = {
	{ "get", "/v1/account", "FetchAccountInfo" },
	{ "get", "/v1/account/usage/summary", "FetchApiUsageSummary" },
	{ "post", "/v1/account/service-evaluation-token", "GenerateServiceEvaluationToken" },
	{ "post", "/v1/account/service-key-and-token", "GenerateServiceKeyAndToken" },
	{ "get", "/v1/account/service-evaluation-token", "GetServiceEvaluationToken" },
	{ "get", "/v1/account/service-token", "GetServiceToken" },
	{ "get", "/v1/account/usage", "ListApiUsage" },
	{ "get", "/v1/account/invoices", "ListInvoices" },
	{ "get", "/v1/account/tags", "ListTags" },
	{ "patch", "/v1/alerts/{id}/archive", "ArchiveDeviceAlert" },
	{ "get", "/v1/alerts", "ListDeviceAlerts" },
	{ "patch", "/v1/alerts/{id}/restore", "RestoreDeviceAlert" },
	{ "delete", "/v1/devices/{deviceId}", "DeleteDevice" },
	{ "delete", "/v1/devices/{deviceId}/image", "DeleteDeviceImage" },
	{ "get", "/v1/devices/{deviceId}", "FetchDevice" },
	{ "get", "/v1/devices/tags", "ListDeviceTags" },
	{ "get", "/v1/devices", "ListDevices" },
	{ "put", "/v1/devices/{deviceId}/image", "UpdateDeviceImage" },
	{ "put", "/v1/devices/{deviceId}/name", "UpdateDeviceName" },
	{ "put", "/v1/devices/{deviceId}/tags", "UpdateDeviceTags" },
	{ "post", "/v1/location/anchors", "CreateAnchor" },
	{ "delete", "/v1/location/anchors/{macAddress}", "DeleteAnchor" },
	{ "get", "/v1/location/anchors/{macAddress}", "FetchAnchor" },
	{ "get", "/v1/location/anchors", "ListAnchors" },
	{ "patch", "/v1/location/anchors/{macAddress}", "UpdateAnchor" },
	{ "get", "/v1/location/agps", "GetAGPSAssistanceData" },
	{ "head", "/v1/location/agps", "GetFileSize" },
	{ "get", "/v1/binary-logs/url", "FetchBinaryLogsUrl" },
	{ "put", "/v1/devices/{gatewayId}/{peripheralId}", "AddPeripheral" },
	{ "get",
	  "/v1/devices/{deviceId}/characteristics/{characteristicId}/descriptors/{descriptorId}",
	  "FetchDescriptorValue" },
	{ "get", "/v1/devices/{deviceId}/characteristics/{characteristicId}",
	  "FetchCharacteristicValue" },
	{ "post", "/v1/devices/{gatewayId}/discover/{peripheralId}", "StartPeripheralDiscovery" },
	{ "put",
	  "/v1/devices/{deviceId}/characteristics/{characteristicId}/descriptors/{descriptorId}",
	  "UpdateDescriptorValue" },
	{ "put", "/v1/devices/{deviceId}/characteristics/{characteristicId}",
	  "UpdateCharacteristicValue" },
	{ "get", "/v1/bulk-ops-requests/{bulkOpsRequestId}", "FetchBulkOpsRequest" },
	{ "get", "/v1/bulk-ops-requests", "ListBulkOpsRequests" },
	{ "post", "/v1/location/cell", "GetLocationFromCells" },
	{ "post", "/v1/location/contribute", "ContributeLocationData" },
	{ "delete", "/v1/location/contribute/{id}", "DeleteContribution" },
	{ "get", "/v1/location/contribute", "GetContributions" },
	{ "get", "/v1/fota-job-executions/{deviceId}/current",
	  "FetchCurrentPendingFOTAJobExecution" },
	{ "get", "/v1/fota-job-executions/{deviceId}/{jobId}", "FetchFOTAJobExecution" },
	{ "get", "/v1/fota-job-execution-statuses/{jobId}", "ListFOTAJobExecutionStatuses" },
	{ "get", "/v1/fota-job-executions/{deviceId}", "ListFOTAJobExecutionsForDevice" },
	{ "patch", "/v1/fota-job-executions/{deviceId}/{jobId}", "UpdateFOTAJobExecutionStatus" },
	{ "post", "/v1/fota-jobs/{jobId}/apply", "ApplyFOTAJob" },
	{ "put", "/v1/fota-jobs/{jobId}/cancel", "CancelFOTAJob" },
	{ "post", "/v1/fota-jobs", "CreateFOTAJob" },
	{ "delete", "/v1/fota-jobs/{jobId}", "DeleteFOTAJob" },
	{ "get", "/v1/fota-jobs/{jobId}", "FetchFOTAJob" },
	{ "get", "/v1/fota-jobs", "ListFOTAJobs" },
	{ "delete", "/v1/firmwares/{bundleId}", "DeleteFirmware" },
	{ "get", "/v1/firmwares", "ListFirmware" },
	{ "post", "/v1/firmwares", "UploadFirmware" },
	{ "post", "/v1/location/agnss", "GetAssistanceData" },
	{ "head", "/v1/location/agnss", "GetAssistanceDataSize" },
	{ "get", "/v1/location/pgnss", "GetPredictionData" },
	{ "post", "/v1/location/gnss", "RecordGnssCoordinates" },
	{ "post", "/v1/devices/{deviceId}/scan", "StartScanForBLEDevices" },
	{ "get", "/v1/location/geo", "GetAddressDataFromCoordinates" },
	{ "post", "/v1/location/ground-fix", "GetLocationFromCellsOrWifiNetworks" },
	{ "put", "/v1/association/{deviceId}", "AssociateDevice" },
	{ "post", "/v1/devices/{deviceId}/certificates", "CreateDeviceCertificate" },
	{ "delete", "/v1/association/{deviceId}", "DissociateDevice" },
	{ "post", "/v1/devices/{deviceId}", "OnboardDevice" },
	{ "post", "/v1/devices", "OnboardDevices" },
	{ "post", "/v1/devices/certificates", "RegisterCertificates" },
	{ "post", "/v1/devices/public-keys", "RegisterPublicKeys" },
	{ "patch", "/v1/devices/{deviceId}/state", "UpdateDeviceState" },
	{ "delete", "/v1/location/history/{deviceId}/{id}", "DeleteLocationHistory" },
	{ "get", "/v1/location/history", "GetLocationHistory" },
	{ "get", "/v1/messages", "ListMessages" },
	{ "post", "/v1/devices/{deviceId}/messages", "SendDeviceMessage" },
	{ "post", "/v1/devices/mqtt-team", "CreateTeamDevice" },
	{ "delete", "/v1/devices/mqtt-team/{deviceId}", "DeleteTeamDevice" },
	{ "get", "/v1/devices/mqtt-team/{deviceId}", "GetTeamDeviceCertificate" },
	{ "patch", "/v1/devices/mqtt-team/{deviceId}", "RotateTeamDeviceCertificate" },
	{ "get", "/v1/openapi.json", "FetchOpenApiSpec" },
	{ "get", "/v1/location/pgps", "GetPredictedAssistanceData" },
	{ "get", "/v1/location/single-cell", "GetSingleCellLocation" },
	{ "get", "/v1/status", "GetSystemStatus" },
	{ "post", "/v1/location/wifi", "GetLocationFromWifiNetworks" },
};

/* The routes the mock has beyond nRF Cloud's operations (marked x-mock-only). */
static const char *const mock_ops[][2] = {
	{ "post", "/v1/devices/account" },
	{ "delete", "/v1/devices/account" },
	{ "get", "/bulk-ops/{id}/errors.json" },
	{ "get", "/bulk-ops/{id}/uploaded" },
	{ "get", "/binary-logs/{deviceId}/{file}" },
	{ "get", "/public/{file}" },
	{ "head", "/public/{file}" },
	{ "get", "/{tenant}/{bundle}/{file}" },
	{ "head", "/{tenant}/{bundle}/{file}" },
};

/* path with every {param} replaced by "p1" (a segment no route takes literally). */
static void concrete(const char *pattern, char *out, size_t size)
{
	size_t n = 0;

	for (; *pattern && n + 3 < size; pattern++) {
		if (*pattern == '{') {
			pattern = strchr(pattern, '}');
			n += (size_t)snprintf(out + n, size - n, "p1");
			continue;
		}
		out[n++] = *pattern;
	}
	out[n] = '\0';
}

START_TEST(openapi_lists_exactly_the_routes_with_nrf_operation_ids)
{
	json_t *doc, *paths, *item, *op;
	const char *path, *method;
	size_t i, n_doc = 0, n_nrf = sizeof(nrf_ops) / sizeof(nrf_ops[0]);
	size_t n_mock = sizeof(mock_ops) / sizeof(mock_ops[0]);
	char *resp = NULL;
	long st;

	start();
	/* public, like nRF Cloud's */
	st = http_rest_auth(&s, "GET", "/v1/openapi.json", NULL, NULL, NULL, 0, &resp, NULL);
	ck_assert_int_eq(st, 200);
	doc = json_loads(resp, 0, NULL);
	free(resp);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(str(doc, "openapi"), "3.0.3");
	ck_assert(json_object_get(json_object_get(json_object_get(doc, "components"),
						  "securitySchemes"), "Simple Token") != NULL);
	paths = json_object_get(doc, "paths");
	ck_assert_int_eq(n_nrf, 82);
	/* every nRF Cloud operation is there, under its operationId */
	for (i = 0; i < n_nrf; i++) {
		op = json_object_get(json_object_get(paths, nrf_ops[i][1]), nrf_ops[i][0]);
		ck_assert_msg(op != NULL, "%s %s missing", nrf_ops[i][0], nrf_ops[i][1]);
		ck_assert_str_eq(str(op, "operationId"), nrf_ops[i][2]);
		ck_assert(!json_object_get(op, "x-mock-only"));
		ck_assert(json_is_array(json_object_get(op, "security")));
	}
	for (i = 0; i < n_mock; i++) {
		op = json_object_get(json_object_get(paths, mock_ops[i][1]), mock_ops[i][0]);
		ck_assert_msg(op != NULL, "%s %s missing", mock_ops[i][0], mock_ops[i][1]);
		ck_assert(json_is_true(json_object_get(op, "x-mock-only")));
	}
	/* and nothing else; every entry is a route: it never gets the router's 404/405 */
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, method, op) {
			char url[512], upper[16], routed[600];
			size_t k;

			n_doc++;
			for (k = 0; method[k] && k < sizeof(upper) - 1; k++)
				upper[k] = (char)(method[k] - 32);
			upper[k] = '\0';
			concrete(path, url, sizeof(url));
			/* an unrouted method on the path: the router's 405 names every method
			 * the table routes there, this one among them (no handler runs) */
			resp = NULL;
			st = http_rest_auth(&s, "OPTIONS", url, api, NULL, NULL, 0, &resp, NULL);
			snprintf(routed, sizeof(routed), "not allowed for %s; use ", url);
			ck_assert_msg(st == 405 && strstr(resp, routed) &&
					      strstr(strstr(resp, routed), upper),
				      "%s %s is not routed: %ld %s", upper, url, st, resp);
			free(resp);
			/* schemes are declared on every /v1 route but the public two */
			if (strncmp(path, "/v1/", 4) || !strcmp(path, "/v1/status") ||
			    !strcmp(path, "/v1/openapi.json"))
				ck_assert_int_eq(json_array_size(json_object_get(op, "security")), 0);
			else
				ck_assert_msg(json_array_size(json_object_get(op, "security")) > 0,
					      "%s %s: no scheme", upper, path);
		}
	}
	ck_assert_int_eq(n_doc, n_nrf + n_mock);
	json_decref(doc);
}
END_TEST

static const struct suite_def suite = {
	.name = "rest_surface", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
	{ "account", account_usage_invoices_and_tags },
	{ "device_image", device_image_put_and_delete },
	{ "alerts", alerts_from_mqtt_and_rest_are_listed_archived_and_restored },
	{ "binary_logs", binary_logs_url_serves_the_d2c_bin_payloads },
	{ "anchors", anchors_crud_feeds_ground_fix },
	{ "contribute_geo", contributions_and_geo },
	{ "team_device", team_device_create_get_rotate_delete },
	{ "ble", ble_operations_refuse_non_gateways },
	{ "openapi", openapi_lists_exactly_the_routes_with_nrf_operation_ids })
