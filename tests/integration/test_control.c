/* SPDX-License-Identifier: MIT
 * test_control.c: the journal of everything that happened (issue: test control): filters,
 * JSON Lines, count, clearing, the bounded ring, binary payloads in base64, no secrets, and
 * --record, which appends the same lines as they happen.
 */
#include <check.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ca.h"
#include "file.h"
#include "harness.h"
#include "rawmqtt.h"

static struct srv s;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	char **buf = userdata;
	size_t old = *buf ? strlen(*buf) : 0, n = size * nmemb;
	char *grown = realloc(*buf, old + n + 1);

	if (!grown)
		return 0;
	memcpy(grown + old, ptr, n);
	grown[old + n] = '\0';
	*buf = grown;
	return n;
}

/* GET on the admin API with extra request headers; the body in *resp. */
static long http_admin_headers(const char *path, const char *const *headers, char **resp)
{
	struct curl_slist *hdrs = NULL;
	char url[512];
	long status = 0;
	CURL *c = curl_easy_init();

	*resp = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s.admin_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	while (headers && *headers)
		hdrs = curl_slist_append(hdrs, *headers++);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (!*resp)
		*resp = strdup("");
	return status;
}

static void connect_fixture(struct raw *r)
{
	char crt[PATH_MAX], key[PATH_MAX];

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(r, &s, FIXTURE_DEVICE, crt, key, 60, 1, NULL), 0);
}

/* n QoS 1 d2c messages {"appId":"SEQ","data":i}, each acknowledged. */
static void publish_n(struct raw *r, const char *suffix, int n)
{
	char topic[256], payload[64];
	struct raw_pkt p;
	int i;

	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c%s", s.prefix, FIXTURE_DEVICE, suffix);
	for (i = 0; i < n; i++) {
		int len = snprintf(payload, sizeof(payload), "{\"appId\":\"SEQ\",\"data\":%d}", i);

		raw_publish(r, 1000 + i, 1, topic, payload, (size_t)len);
		raw_expect(r, &p, RAW_PUBACK, 1000 + i, NULL);
	}
}

static json_int_t count(const char *query)
{
	char path[512];
	long status;
	json_t *j;
	json_int_t n;

	snprintf(path, sizeof(path), "/mock/v1/journal/count%s", query);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	n = json_integer_value(json_object_get(j, "count"));
	json_decref(j);
	return n;
}

/* desired.config.sampleInterval of the shadow at admin path shadow_path. */
static json_int_t sample_interval(const char *shadow_path)
{
	long status;
	json_t *j = admin_json(&s, "GET", shadow_path, NULL, &status);
	json_int_t v = json_integer_value(json_object_get(json_object_get(json_object_get(
		json_object_get(j, "state"), "desired"), "config"), "sampleInterval"));

	ck_assert_int_eq(status, 200);
	json_decref(j);
	return v;
}

START_TEST(journal_filters_by_kind_device_topic_and_time)
{
	char q[512], *body = NULL;
	struct raw r;
	long status;
	json_t *j;
	json_int_t before;

	srv_start(&s, NULL);
	connect_fixture(&r);
	publish_n(&r, "", 3);
	raw_close(&r);
	ck_assert_int_eq(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE, NULL, 1), 1);

	ck_assert_int_eq(count("?kind=mqtt.publish"), 3);
	ck_assert_int_eq(count("?kind=mqtt.&device=" FIXTURE_DEVICE), count("?kind=mqtt."));
	snprintf(q, sizeof(q), "?topic=%sm/d/%%2B/d2c", s.prefix);
	ck_assert_int_eq(count(q), 3);
	ck_assert_int_eq(count("?topic=%23"), 3); /* records with a topic: not connect, disconnect */
	ck_assert_int_eq(count("?device=nobody"), 0);
	/* since/until in milliseconds or ISO 8601 */
	ck_assert_int_eq(count("?until=1000"), 0);
	ck_assert_int_eq(count("?since=2001-01-01T00:00:00Z"), count(""));
	ck_assert_int_eq(count("?since=2999-01-01T00:00:00.000Z"), 0);
	status = http_admin(&s, "GET", "/mock/v1/journal/count?since=yesterday", NULL, &body);
	ck_assert_int_eq(status, 400);
	free(body);
	/* limit */
	j = admin_json(&s, "GET", "/mock/v1/journal?kind=mqtt.publish&limit=2", NULL, &status);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	before = json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0),
						    "seq"));
	ck_assert_int_gt(before, 0);
	json_decref(j);
	/* clearing */
	j = admin_json(&s, "DELETE", "/mock/v1/journal", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	ck_assert_int_eq(count("?kind=mqtt.publish"), 0);
}
END_TEST

START_TEST(journal_is_a_ring_bounded_by_journal_max)
{
	const char *extra[] = { "--journal-max", "40", NULL };
	struct raw r;
	long status;
	json_t *j, *items;

	srv_start(&s, extra);
	connect_fixture(&r);
	publish_n(&r, "", 100);
	raw_close(&r);
	ck_assert_int_eq(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE, NULL, 1), 1);
	ck_assert_int_eq(count(""), 40);
	/* the oldest went: what is left is the newest, in order */
	j = admin_json(&s, "GET", "/mock/v1/journal?limit=100", NULL, &status);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 40);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 39), "kind")),
			 "mqtt.disconnect");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 39), "seq")) -
				 json_integer_value(json_object_get(json_array_get(items, 0), "seq")),
			 39);
	json_decref(j);
}
END_TEST

START_TEST(binary_payloads_are_base64_and_secrets_never_appear)
{
	static const unsigned char bin[] = { 'n', 'R', 'F', 'C', 0x01, 0x00, 0xff, 0x00 };
	char topic[256], *lines = NULL, auth[200];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j, *key, *ev, *acct;

	srv_start(&s, NULL);
	connect_fixture(&r);
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c/bin", s.prefix, FIXTURE_DEVICE);
	raw_publish(&r, 7, 1, topic, bin, sizeof(bin));
	raw_expect(&r, &p, RAW_PUBACK, 7, NULL);
	raw_close(&r);
	j = admin_json(&s, "GET", "/mock/v1/journal?kind=mqtt.publish", NULL, &status);
	ck_assert(json_is_true(json_object_get(json_array_get(json_object_get(j, "items"), 0),
					       "binary")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "items"), 0), "payload")),
			 "blJGQwEA/wA=");
	json_decref(j);
	/* a REST call with the API key: the journal records it, never the key */
	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 200);
	/* answers that carry secrets: the service key and token, the evaluation token, the account
	 * device's private key; the journal keeps the answers but not these values */
	key = rest_json(&s, "POST", "/v1/account/service-key-and-token", auth, "{}", 200);
	ev = rest_json(&s, "POST", "/v1/account/service-evaluation-token", auth, NULL, 200);
	acct = rest_json(&s, "POST", "/v1/devices/account", auth, NULL, 200);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(acct, "privateKey")));
	ck_assert_int_ge(journal_wait(&s, "http.request", NULL, NULL, 4), 4);
	status = http_admin(&s, "GET", "/mock/v1/journal?limit=1000", NULL, &lines);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_null(strstr(lines, s.api_key));
	ck_assert_ptr_nonnull(strstr(lines, "GET /v1/account"));
	ck_assert_ptr_null(strstr(lines, "PRIVATE KEY"));
	ck_assert_ptr_null(strstr(lines, json_string_value(json_object_get(key, "token"))));
	ck_assert_ptr_null(strstr(lines, json_string_value(json_object_get(ev, "token"))));
	ck_assert_ptr_nonnull(strstr(lines, "<redacted>"));
	/* and the other fields of those answers are still there */
	ck_assert_ptr_nonnull(strstr(lines, "expires"));
	free(lines);
	json_decref(key);
	json_decref(ev);
	json_decref(acct);
}
END_TEST

START_TEST(record_file_gets_every_record_as_a_json_line_and_survives_kill_9)
{
	char rec[PATH_MAX], *text = NULL, *line, *save = NULL;
	struct raw r;
	json_t *j;
	int lines = 0, publishes = 0;
	int64_t last_seq = 0;

	snprintf(rec, sizeof(rec), "/tmp/ncm-record-%d.jsonl", (int)getpid());
	unlink(rec);
	{
		const char *extra[] = { "--record", rec, NULL };

		srv_start(&s, extra);
	}
	connect_fixture(&r);
	publish_n(&r, "", 5);
	/* right after the last PUBACK, without a clean shutdown */
	srv_stop(&s, SIGKILL);
	raw_close(&r);
	ck_assert_int_eq(ncm_file_read(rec, 1 << 20, &text, NULL, NULL), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		j = json_loads(line, 0, NULL);
		ck_assert_msg(j != NULL, "not a JSON line: %s", line);
		ck_assert_int_gt(json_integer_value(json_object_get(j, "seq")), last_seq);
		last_seq = json_integer_value(json_object_get(j, "seq"));
		publishes += !strcmp(json_string_value(json_object_get(j, "kind")), "mqtt.publish");
		json_decref(j);
		lines++;
	}
	ck_assert_int_eq(publishes, 5);
	ck_assert_int_ge(lines, 6); /* the connect too */
	free(text);
	unlink(rec);
}
END_TEST

START_TEST(journal_as_json_lines_is_the_recording_format)
{
	char rec[PATH_MAX], *file = NULL, *ndjson = NULL;
	const char *accept[] = { "Accept: application/x-ndjson", NULL };
	struct raw r;

	snprintf(rec, sizeof(rec), "/tmp/ncm-record-nd-%d.jsonl", (int)getpid());
	unlink(rec);
	{
		const char *extra[] = { "--record", rec, NULL };

		srv_start(&s, extra);
	}
	connect_fixture(&r);
	publish_n(&r, "", 2);
	raw_close(&r);
	ck_assert_int_eq(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE, NULL, 1), 1);
	ck_assert_int_eq(http_admin_headers("/mock/v1/journal?limit=1000", accept, &ndjson), 200);
	ck_assert_int_eq(ncm_file_read(rec, 1 << 20, &file, NULL, NULL), 0);
	ck_assert_str_eq(file, ndjson);
	free(file);
	free(ndjson);
	unlink(rec);
}
END_TEST

struct wait_call {
	const char *body;
	long status;
	char *resp;
};

static void *wait_thread(void *arg)
{
	struct wait_call *w = arg;

	w->status = http_admin(&s, "POST", "/mock/v1/wait", w->body, &w->resp);
	return NULL;
}

START_TEST(wait_answers_at_once_for_an_event_during_the_wait_and_408_with_near_misses)
{
	char body[512], topic[256];
	struct wait_call w = { body, 0, NULL };
	struct raw r;
	struct raw_pkt p;
	pthread_t t;
	json_t *j;
	long status;
	char *resp = NULL;

	srv_start(&s, NULL);
	connect_fixture(&r);
	/* an event that already happened: answered at once */
	j = admin_json(&s, "POST", "/mock/v1/wait",
		       "{\"kind\":\"mqtt.connect\",\"device\":\"" FIXTURE_DEVICE "\","
		       "\"timeout_ms\":10000}", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "record"), "kind")),
			 "mqtt.connect");
	json_decref(j);

	/* an event that happens during the wait: a d2c message with a given payload field */
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, FIXTURE_DEVICE);
	snprintf(body, sizeof(body),
		 "{\"kind\":\"mqtt.publish\",\"topic\":\"%sm/d/+/d2c\","
		 "\"payload\":{\"appId\":\"BUTTON\"},\"timeout_ms\":15000}", s.prefix);
	ck_assert_int_eq(pthread_create(&t, NULL, wait_thread, &w), 0);
	/* a near miss first (another appId), then the match */
	raw_publish(&r, 10, 1, topic, "{\"appId\":\"TEMP\"}", strlen("{\"appId\":\"TEMP\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 10, NULL);
	raw_publish(&r, 11, 1, topic, "{\"appId\":\"BUTTON\"}", strlen("{\"appId\":\"BUTTON\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 11, NULL);
	pthread_join(t, NULL);
	ck_assert_msg(w.status == 200, "%ld %s", w.status, w.resp);
	ck_assert_ptr_nonnull(strstr(w.resp, "BUTTON"));
	free(w.resp);

	/* nothing comes: 408 naming the closest records */
	status = http_admin(&s, "POST", "/mock/v1/wait",
			    "{\"kind\":\"mqtt.publish\",\"device\":\"" FIXTURE_DEVICE "\","
			    "\"payload\":{\"appId\":\"NEVER\"},\"timeout_ms\":300}", &resp);
	ck_assert_int_eq(status, 408);
	j = json_loads(resp, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 40800);
	ck_assert_int_gt(json_array_size(json_object_get(j, "nearMisses")), 0);
	ck_assert_ptr_nonnull(strstr(resp, "TEMP"));
	json_decref(j);
	free(resp);
	/* a wait without a timeout is refused */
	status = http_admin(&s, "POST", "/mock/v1/wait", "{\"kind\":\"x\"}", &resp);
	ck_assert_int_eq(status, 400);
	free(resp);
	raw_close(&r);
}
END_TEST

START_TEST(reset_returns_to_the_fixtures_and_keeps_the_ca_and_the_team)
{
	char ca_before_path[PATH_MAX], *ca_before = NULL, *ca_after = NULL, auth[200], path[256];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	snprintf(ca_before_path, sizeof(ca_before_path), "%s/ca/ca.pem", s.data);
	ck_assert_int_eq(ncm_file_read(ca_before_path, 65536, &ca_before, NULL, NULL), 0);
	json_decref(admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"extra-1\"}", &status));
	ck_assert_int_eq(status, 201);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", FIXTURE_DEVICE);
	json_decref(admin_json(&s, "PATCH", path,
			       "{\"state\":{\"desired\":{\"config\":{\"sampleInterval\":5}}}}",
			       &status));
	connect_fixture(&r);
	publish_n(&r, "", 2);

	j = admin_json(&s, "POST", "/mock/v1/reset", NULL, &status);
	ck_assert_int_eq(status, 200);
	/* the answer says how long it took (speed is for benchmarks, not for assertions) */
	ck_assert(json_is_integer(json_object_get(j, "ms")));
	json_decref(j);
	/* every client was disconnected before the answer */
	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_close(&r);
	j = admin_json(&s, "GET", "/mock/v1/devices/extra-1", NULL, &status);
	ck_assert_int_eq(status, 404);
	json_decref(j);
	ck_assert_int_eq(sample_interval(path), 300);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages", FIXTURE_DEVICE);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
	json_decref(j);
	ck_assert_int_eq(ncm_file_read(ca_before_path, 65536, &ca_after, NULL, NULL), 0);
	ck_assert_str_eq(ca_before, ca_after);
	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 200);
	/* the fixture device connects again with its (re-issued) files */
	connect_fixture(&r);
	raw_close(&r);

	/* keep=devices keeps what was added */
	json_decref(admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"extra-2\"}", &status));
	json_decref(admin_json(&s, "POST", "/mock/v1/reset?keep=devices", NULL, &status));
	ck_assert_int_eq(status, 200);
	j = admin_json(&s, "GET", "/mock/v1/devices/extra-2", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	free(ca_before);
	free(ca_after);
}
END_TEST

/* ---- faults ---- */

static json_int_t add_fault(const char *body, long want)
{
	long status;
	json_t *j = admin_json(&s, "POST", "/mock/v1/faults", body, &status);
	json_int_t id = json_integer_value(json_object_get(j, "id"));

	ck_assert_msg(status == want, "POST /mock/v1/faults %s: want %ld, got %ld", body, want,
		      status);
	json_decref(j);
	return id;
}

/* The cloud changes the fixture device's desired config.sampleInterval (a delta follows). */
static void patch_sample_interval(int value)
{
	char body[128];
	long status;

	snprintf(body, sizeof(body), "{\"state\":{\"desired\":{\"config\":{\"sampleInterval\""
		 ":%d}}}}", value);
	json_decref(admin_json(&s, "PATCH", "/mock/v1/devices/" FIXTURE_DEVICE "/shadow", body,
			       &status));
	ck_assert_int_eq(status, 200);
}

static size_t live_faults(void)
{
	long status;
	json_t *j = admin_json(&s, "GET", "/mock/v1/faults", NULL, &status);
	size_t n = json_array_size(json_object_get(j, "items"));

	ck_assert_int_eq(status, 200);
	json_decref(j);
	return n;
}

START_TEST(faults_refuse_connect_and_subscribe_reject_shadow_updates_and_kick)
{
	char crt[PATH_MAX], key[PATH_MAX], body[512], topic[256], rejected[256];
	const char *topics[1];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	/* refusals name what was wrong */
	add_fault("{\"action\":\"explode\"}", 400);
	add_fault("{\"action\":\"refuse_connect\"}", 400);
	add_fault("{\"action\":\"rest_status\",\"match\":{\"device\":\"a\",\"route\":\"GET /*\"}}",
		  400);
	add_fault("{\"action\":\"rest_status\",\"match\":{\"route\":\"GET /*\"},\"status\":42}",
		  400);
	add_fault("[1]", 400);
	ck_assert_int_eq(live_faults(), 0);

	/* refuse_connect: the next CONNECT only, CONNACK 5 */
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"refuse_connect\",\"count\":1}",
		 FIXTURE_DEVICE);
	ck_assert_int_gt(add_fault(body, 201), 0);
	ck_assert_int_eq(live_faults(), 1);
	ck_assert_int_eq(raw_connect(&r, &s, FIXTURE_DEVICE, crt, key, 60, 1, NULL), 5);
	raw_close(&r);
	ck_assert_int_eq(journal_count(&s, "mqtt.refused", FIXTURE_DEVICE, "refuse_connect"), 1);
	ck_assert_int_eq(live_faults(), 0);
	ck_assert_int_eq(raw_connect(&r, &s, FIXTURE_DEVICE, crt, key, 60, 1, NULL), 0);

	/* refuse_subscribe: SUBACK 0x80 once, then granted */
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"refuse_subscribe\"}", FIXTURE_DEVICE);
	add_fault(body, 201);
	snprintf(rejected, sizeof(rejected), "$aws/things/%s/shadow/update/rejected",
		 FIXTURE_DEVICE);
	topics[0] = rejected;
	raw_subscribe(&r, 7, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 7, NULL);
	ck_assert_int_eq(p.rc[0], 0x80);
	raw_pkt_release(&p);
	raw_subscribe(&r, 8, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 8, NULL);
	ck_assert_int_eq(p.rc[0], 1);
	raw_pkt_release(&p);

	/* reject_shadow_update: update/rejected with the fault's code and message, nothing
	 * stored; the next update goes through */
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"reject_shadow_update\",\"code\":503,"
		 "\"message\":\"lab says no\"}", FIXTURE_DEVICE);
	add_fault(body, 201);
	snprintf(topic, sizeof(topic), "$aws/things/%s/shadow/update", FIXTURE_DEVICE);
	raw_publish(&r, 10, 1, topic, "{\"state\":{\"reported\":{\"faulty\":1}}}", 35);
	raw_expect(&r, &p, RAW_PUBACK, 10, NULL);
	raw_pkt_release(&p);
	raw_expect(&r, &p, RAW_PUBLISH, 0, rejected);
	j = json_loads((char *)p.payload, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 503);
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "lab says no");
	json_decref(j);
	raw_pkt_release(&p);
	snprintf(body, sizeof(body), "/mock/v1/devices/%s/shadow", FIXTURE_DEVICE);
	j = admin_json(&s, "GET", body, NULL, &status);
	ck_assert_ptr_null(json_object_get(json_object_get(json_object_get(j, "state"),
							   "reported"), "faulty"));
	json_decref(j);
	raw_publish(&r, 11, 1, topic, "{\"state\":{\"reported\":{\"faulty\":2}}}", 35);
	raw_expect(&r, &p, RAW_PUBACK, 11, NULL);
	raw_pkt_release(&p);
	j = admin_json(&s, "GET", body, NULL, &status);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 j, "state"), "reported"), "faulty")), 2);
	json_decref(j);

	/* count 0 lasts until cleared; DELETE clears */
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"refuse_subscribe\",\"count\":0}",
		 FIXTURE_DEVICE);
	add_fault(body, 201);
	/* another topic: re-subscribing an existing subscription leaks in Mosquitto 2.0.11 (fixed
	 * upstream in 2.0.12, "Fix leak." in src/subs.c), which the sanitizer build would report */
	snprintf(rejected, sizeof(rejected), "$aws/things/%s/shadow/get/accepted", FIXTURE_DEVICE);
	raw_subscribe(&r, 12, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 12, NULL);
	ck_assert_int_eq(p.rc[0], 0x80);
	raw_pkt_release(&p);
	ck_assert_int_eq(live_faults(), 1);
	json_decref(admin_json(&s, "DELETE", "/mock/v1/faults", NULL, &status));
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(live_faults(), 0);
	raw_subscribe(&r, 13, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 13, NULL);
	ck_assert_int_eq(p.rc[0], 1);
	raw_pkt_release(&p);

	/* drop_deliveries: the next delta never reaches the device, the one after does */
	snprintf(rejected, sizeof(rejected), "$aws/things/%s/shadow/update/delta", FIXTURE_DEVICE);
	raw_subscribe(&r, 14, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 14, NULL);
	raw_pkt_release(&p);
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"drop_deliveries\"}", FIXTURE_DEVICE);
	add_fault(body, 201);
	patch_sample_interval(61);
	raw_expect_quiet(&r);
	patch_sample_interval(62);
	raw_expect(&r, &p, RAW_PUBLISH, 0, rejected);
	ck_assert_ptr_nonnull(strstr((char *)p.payload, "62"));
	raw_pkt_release(&p);

	/* delay_deliveries: the next delta comes delay_ms late, after the one that follows it */
	add_fault("{\"match\":{\"device\":\"" FIXTURE_DEVICE "\"},\"action\":"
		  "\"delay_deliveries\",\"delay_ms\":300}", 201);
	patch_sample_interval(63);
	patch_sample_interval(64);
	raw_expect(&r, &p, RAW_PUBLISH, 0, rejected);
	ck_assert_ptr_nonnull(strstr((char *)p.payload, "64"));
	raw_pkt_release(&p);
	raw_expect(&r, &p, RAW_PUBLISH, 0, rejected);
	ck_assert_ptr_nonnull(strstr((char *)p.payload, "63"));
	raw_pkt_release(&p);

	/* kick: disconnected before the answer */
	snprintf(body, sizeof(body), "{\"match\":{\"device\":\"%s\"},\"action\":\"kick\"}",
		 FIXTURE_DEVICE);
	add_fault(body, 201);
	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_close(&r);
	ck_assert_int_eq(journal_count(&s, "fault.fired", FIXTURE_DEVICE, NULL), 7);

	/* refuse_connect without a CONNACK; CONNACK codes a plugin cannot send are refused */
	snprintf(body, sizeof(body), "{\"match\":{\"device\":\"%s\"},\"action\":"
		 "\"refuse_connect\",\"return_code\":\"none\"}", FIXTURE_DEVICE);
	add_fault(body, 201);
	ck_assert_int_eq(raw_connect(&r, &s, FIXTURE_DEVICE, crt, key, 60, 1, NULL), -1);
	raw_close(&r);
	snprintf(body, sizeof(body), "{\"match\":{\"device\":\"%s\"},\"action\":"
		 "\"refuse_connect\",\"return_code\":4}", FIXTURE_DEVICE);
	add_fault(body, 400);

	/* duration_ms: a fault past its time no longer fires (the server's own clock moves on
	 * through a 408 wait, no sleep here) */
	snprintf(body, sizeof(body), "{\"match\":{\"device\":\"%s\"},\"action\":"
		 "\"refuse_connect\",\"count\":0,\"duration_ms\":1}", FIXTURE_DEVICE);
	add_fault(body, 201);
	json_decref(admin_json(&s, "POST", "/mock/v1/wait",
			       "{\"timeout_ms\":20,\"kind\":\"never.happens\"}", &status));
	ck_assert_int_eq(status, 408);
	connect_fixture(&r);
	raw_close(&r);
	json_decref(admin_json(&s, "DELETE", "/mock/v1/faults", NULL, &status));

	/* a reset clears faults */
	snprintf(body, sizeof(body),
		 "{\"match\":{\"device\":\"%s\"},\"action\":\"refuse_connect\",\"count\":0}",
		 FIXTURE_DEVICE);
	add_fault(body, 201);
	json_decref(admin_json(&s, "POST", "/mock/v1/reset", NULL, &status));
	ck_assert_int_eq(live_faults(), 0);
	connect_fixture(&r);
	raw_close(&r);
}
END_TEST

struct bytes {
	unsigned char *p;
	size_t n;
};

static size_t on_bytes(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct bytes *b = userdata;
	unsigned char *grown = realloc(b->p, b->n + size * nmemb + 1);

	if (!grown)
		return 0;
	memcpy(grown + b->n, ptr, size * nmemb);
	b->p = grown;
	b->n += size * nmemb;
	return size * nmemb;
}

/* GET of a firmware file with an optional Range; the status (0 when the transfer failed), the
 * body (what arrived of it) in *body. */
static long get_file_within(const char *path, const char *range, struct bytes *body,
			    long timeout_ms)
{
	struct curl_slist *hdrs = NULL;
	char url[1024], hdr[128];
	long status = 0;
	CURL *c = curl_easy_init();

	memset(body, 0, sizeof(*body));
	snprintf(url, sizeof(url), "https://localhost:%d%s", s.https_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, s.ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (range) {
		snprintf(hdr, sizeof(hdr), "Range: %s", range);
		hdrs = curl_slist_append(hdrs, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return status;
}

static long get_file(const char *path, const char *range, struct bytes *body)
{
	return get_file_within(path, range, body, 20000L);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(faults_answer_rest_routes_late_or_with_a_status_and_spoil_firmware_downloads)
{
	char auth[200], path[512], src[PATH_MAX], *resp = NULL, *image = NULL;
	struct bytes b;
	size_t image_len = 0, i, flipped = 0;
	int64_t t0, elapsed;
	json_t *j;

	srv_start(&s, NULL);
	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	/* rest_status: twice, only on the matching route, then the real answer */
	add_fault("{\"match\":{\"route\":\"GET /v1/acc*\"},\"action\":\"rest_status\","
		  "\"status\":503,\"code\":50300,\"message\":\"maintenance\",\"count\":2}", 201);
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/devices", auth, NULL, NULL, 0, NULL, NULL),
			 200);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, &resp,
						NULL), 503);
		j = json_loads(resp, 0, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 50300);
		ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "maintenance");
		json_decref(j);
		free(resp);
		resp = NULL;
	}
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 200);

	/* rest_delay: the answer comes no sooner than asked (an upper bound would be timing) */
	add_fault("{\"match\":{\"route\":\"GET /v1/account\"},\"action\":\"rest_delay\","
		  "\"delay_ms\":400}", 201);
	t0 = now_ms();
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 200);
	elapsed = now_ms() - t0;
	ck_assert_msg(elapsed >= 400, "delayed answer after %lld ms", (long long)elapsed);
	ck_assert_int_eq(journal_count(&s, "fault.fired", NULL, "rest_delay"), 1);

	/* rest_close: no answer at all, once */
	add_fault("{\"match\":{\"route\":\"GET /v1/account\"},\"action\":\"rest_close\"}", 201);
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 0);
	ck_assert_int_eq(http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL),
			 200);

	/* firmware_200, firmware_corrupt and firmware_reset on the fixture delta image */
	snprintf(src, sizeof(src), "%s/firmware/mfw-delta-example.bin", getenv("NCM_FIXTURES"));
	ck_assert_int_eq(ncm_file_read(src, 1 << 20, &image, &image_len, NULL), 0);
	snprintf(path, sizeof(path),
		 "/%s/MODEM*5e1f0a2b*mfw_nrf9160_1.3.5/mfw_nrf9160_update_from_1.3.4_to_1.3.5.bin",
		 s.tenant);
	add_fault("{\"action\":\"firmware_200\"}", 201);
	ck_assert_int_eq(get_file(path, "bytes=0-99", &b), 200);
	ck_assert_uint_eq(b.n, image_len);
	free(b.p);
	ck_assert_int_eq(get_file(path, "bytes=0-99", &b), 206);
	ck_assert_uint_eq(b.n, 100);
	free(b.p);
	add_fault("{\"action\":\"firmware_corrupt\",\"match\":{\"route\":\"GET /*.bin\"}}", 201);
	ck_assert_int_eq(get_file(path, "bytes=100-1099", &b), 206);
	ck_assert_uint_eq(b.n, 1000);
	for (i = 0; i < b.n; i++) {
		int spoilt = ((100 + i) % 97 == 96);

		ck_assert_int_eq(b.p[i] != (unsigned char)image[100 + i], spoilt);
		flipped += (size_t)spoilt;
	}
	ck_assert_uint_gt(flipped, 0);
	free(b.p);
	ck_assert_int_eq(get_file(path, "bytes=100-1099", &b), 206);
	ck_assert_int_eq(memcmp(b.p, image + 100, 1000), 0);
	free(b.p);
	add_fault("{\"action\":\"firmware_reset\",\"at_byte\":500}", 201);
	ck_assert_int_eq(get_file(path, "bytes=100-1099", &b), 0);
	ck_assert_uint_eq(b.n, 500);
	ck_assert_int_eq(memcmp(b.p, image + 100, 500), 0);
	free(b.p);
	ck_assert_int_eq(get_file(path, "bytes=100-1099", &b), 206);
	ck_assert_uint_eq(b.n, 1000);
	free(b.p);
	/* firmware_stall: nothing for delay_ms after at_byte bytes, then the rest */
	add_fault("{\"action\":\"firmware_stall\",\"at_byte\":200,\"delay_ms\":400}", 201);
	t0 = now_ms();
	ck_assert_int_eq(get_file(path, "bytes=100-1099", &b), 206);
	elapsed = now_ms() - t0;
	ck_assert_msg(elapsed >= 400, "stalled download took %lld ms", (long long)elapsed);
	ck_assert_uint_eq(b.n, 1000);
	ck_assert_int_eq(memcmp(b.p, image + 100, 1000), 0);
	free(b.p);
	/* a client that gives up during a stall: it got the first bytes; the server lives on */
	add_fault("{\"action\":\"firmware_stall\",\"at_byte\":300,\"delay_ms\":3000}", 201);
	ck_assert_int_eq(get_file_within(path, "bytes=0-999", &b, 500L), 0);
	ck_assert_uint_eq(b.n, 300);
	free(b.p);
	ck_assert_int_eq(get_file(path, "bytes=0-999", &b), 206);
	ck_assert_int_eq(memcmp(b.p, image, 1000), 0);
	free(b.p);
	ck_assert_int_eq(journal_count(&s, "fault.fired", NULL, "firmware_"), 5);
	free(image);
}
END_TEST

START_TEST(fixtures_export_and_load_round_trip_and_bad_documents_change_nothing)
{
	char path[256], *text, src[PATH_MAX], *image = NULL, fw[512];
	size_t image_len = 0;
	struct bytes b;
	struct raw r;
	long status;
	json_t *doc, *j, *dev;
	size_t i;

	srv_start(&s, NULL);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", FIXTURE_DEVICE);
	json_decref(admin_json(&s, "PATCH", path,
			       "{\"state\":{\"desired\":{\"config\":{\"sampleInterval\":77}}}}",
			       &status));
	json_decref(admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"extra-9\"}", &status));
	ck_assert_int_eq(status, 201);

	doc = admin_json(&s, "GET", "/mock/v1/fixtures", NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "devices")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "firmware")), 2);
	json_array_foreach(json_object_get(doc, "devices"), i, dev) {
		ck_assert(json_is_string(json_object_get(dev, "certificate")));
		if (!strcmp(json_string_value(json_object_get(dev, "id")), FIXTURE_DEVICE))
			ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
				json_object_get(json_object_get(dev, "shadow"), "desired"),
				"config"), "sampleInterval")), 77);
	}
	text = json_dumps(doc, JSON_COMPACT);

	/* back to the fixtures, then the exported world again */
	json_decref(admin_json(&s, "POST", "/mock/v1/reset", NULL, &status));
	j = admin_json(&s, "GET", "/mock/v1/devices/extra-9", NULL, &status);
	ck_assert_int_eq(status, 404);
	json_decref(j);
	j = admin_json(&s, "PUT", "/mock/v1/fixtures", text, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "devices")), 2);
	json_decref(j);
	j = admin_json(&s, "GET", "/mock/v1/devices/extra-9", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	ck_assert_int_eq(sample_interval(path), 77);
	connect_fixture(&r); /* the same certificate: its key files still fit */
	raw_close(&r);
	snprintf(src, sizeof(src), "%s/firmware/mfw-delta-example.bin", getenv("NCM_FIXTURES"));
	ck_assert_int_eq(ncm_file_read(src, 1 << 20, &image, &image_len, NULL), 0);
	snprintf(fw, sizeof(fw),
		 "/%s/MODEM*5e1f0a2b*mfw_nrf9160_1.3.5/mfw_nrf9160_update_from_1.3.4_to_1.3.5.bin",
		 s.tenant);
	ck_assert_int_eq(get_file(fw, NULL, &b), 200);
	ck_assert_uint_eq(b.n, image_len);
	ck_assert_int_eq(memcmp(b.p, image, image_len), 0);
	free(b.p);

	/* bad documents are refused with the reason and change nothing */
	j = admin_json(&s, "PUT", "/mock/v1/fixtures", "{\"devices\":[{\"id\":\"bad id!\"}]}",
		       &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")),
				     "devices[0]"));
	json_decref(j);
	j = admin_json(&s, "PUT", "/mock/v1/fixtures",
		       "{\"firmware\":[{\"type\":\"APP\",\"version\":\"1\",\"files\":[{\"file\":"
		       "\"a.bin\",\"data\":\"%%%\"}]}]}", &status);
	ck_assert_int_eq(status, 400);
	json_decref(j);
	ck_assert_int_eq(http_admin(&s, "PUT", "/mock/v1/fixtures", "{", NULL), 400);
	j = admin_json(&s, "GET", "/mock/v1/devices/extra-9", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	ck_assert_int_eq(get_file(fw, NULL, &b), 200);
	ck_assert_uint_eq(b.n, image_len);
	free(b.p);
	free(image);
	free(text);
	json_decref(doc);
}
END_TEST

static void *delayed_rest_thread(void *arg)
{
	long *status = arg;
	char auth[200];

	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	*status = http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL);
	return NULL;
}

/* libmicrohttpd aborts when a daemon stops with a suspended request: a SIGTERM while a wait and
 * a delayed REST request are pending must still exit cleanly (srv_stop checks the status). */
START_TEST(sigterm_while_requests_wait_exits_cleanly)
{
	struct wait_call w = { "{\"timeout_ms\":60000,\"kind\":\"never.happens\"}", 0, NULL };
	pthread_t tw, tr;
	long rest_status = -1;

	srv_start(&s, NULL);
	add_fault("{\"match\":{\"route\":\"GET /v1/account\"},\"action\":\"rest_delay\","
		  "\"delay_ms\":60000}", 201);
	ck_assert_int_eq(pthread_create(&tw, NULL, wait_thread, &w), 0);
	ck_assert_int_eq(pthread_create(&tr, NULL, delayed_rest_thread, &rest_status), 0);
	ck_assert_int_eq(journal_wait(&s, "fault.fired", NULL, "rest_delay", 1), 1);
	srv_stop(&s, SIGTERM);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	/* answered early by the stop, or cut off: either, but never left hanging */
	ck_assert_msg(rest_status == 0 || rest_status == 200, "status %ld", rest_status);
	free(w.resp);
}
END_TEST

/* Deliveries a delay_deliveries fault holds back are dropped by a reset: the device that comes
 * back gets none of them (the server's own wait outlasts the delay). */
START_TEST(reset_drops_deliveries_held_back_by_a_fault)
{
	char delta[256];
	const char *topics[] = { delta };
	struct raw r;
	struct raw_pkt p;
	long status;

	srv_start(&s, NULL);
	connect_fixture(&r);
	snprintf(delta, sizeof(delta), "$aws/things/%s/shadow/update/delta", FIXTURE_DEVICE);
	raw_subscribe(&r, 1, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 1, NULL);
	raw_pkt_release(&p);
	add_fault("{\"match\":{\"device\":\"" FIXTURE_DEVICE "\"},\"action\":"
		  "\"delay_deliveries\",\"delay_ms\":300}", 201);
	patch_sample_interval(65);
	ck_assert_int_eq(journal_wait(&s, "fault.fired", FIXTURE_DEVICE, "delay_deliveries", 1),
			 1);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/reset", NULL, NULL), 200);
	raw_close(&r);
	connect_fixture(&r);
	raw_subscribe(&r, 2, topics, 1);
	raw_expect(&r, &p, RAW_SUBACK, 2, NULL);
	raw_pkt_release(&p);
	/* a wait that nothing ends (408) lasts longer than the delay */
	json_decref(admin_json(&s, "POST", "/mock/v1/wait", "{\"kind\":\"no.such.kind\","
			       "\"timeout_ms\":800}", &status));
	ck_assert_int_eq(status, 408);
	raw_expect_quiet(&r);
	raw_close(&r);
}
END_TEST

static const struct suite_def suite = {
	.name = "control", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "filters", journal_filters_by_kind_device_topic_and_time },
		{ "ring", journal_is_a_ring_bounded_by_journal_max },
		{ "binary_secrets", binary_payloads_are_base64_and_secrets_never_appear },
		{ "record_kill9", record_file_gets_every_record_as_a_json_line_and_survives_kill_9 },
		{ "ndjson", journal_as_json_lines_is_the_recording_format },
		{ "wait", wait_answers_at_once_for_an_event_during_the_wait_and_408_with_near_misses },
		{ "reset", reset_returns_to_the_fixtures_and_keeps_the_ca_and_the_team },
		{ "faults_mqtt", faults_refuse_connect_and_subscribe_reject_shadow_updates_and_kick },
		{ "faults_rest", faults_answer_rest_routes_late_or_with_a_status_and_spoil_firmware_downloads },
		{ "fixtures", fixtures_export_and_load_round_trip_and_bad_documents_change_nothing },
		{ "sigterm_suspended", sigterm_while_requests_wait_exits_cleanly },
		{ "reset_held", reset_drops_deliveries_held_back_by_a_fault })
