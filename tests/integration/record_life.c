/* SPDX-License-Identifier: MIT
 * record_life.c: makes fixtures/recordings/device-life.jsonl, a recording (serve --record) of
 * devices' whole life against a real server: one device per protocol generation (G1, G2, G3:
 * docs/protocol-mqtt.md#protocol-generations) connects and pairs its shadow, reports, subscribes to its data and FOTA
 * topics, asks for its job, sends a d2c message and a ground-fix request; the G3 device (the
 * fixture device) also receives a FOTA job and makes REST calls with its own JWT. Not a test:
 * run it when the protocol changes (fixtures/recordings/README.md says how); test_replay plays
 * the result against a fresh server with --check.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rawmqtt.h"

#define G1_ID "nrf-352656100000011"
#define G2_ID "nrf-352656100000012"
#define BUNDLE "MODEM*5e1f0a2b*mfw_nrf9160_1.3.5"
#define CELL "{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829}"

/* The transform nRF Connect SDK v3.3+ sends with its shadow request (docs/protocol-mqtt.md#connect-sequence). */
#define SDK_TRANSFORM                                                                        \
	"{\"t\":\"{ \\\"nrfcloud_mqtt_topic_prefix\\\": state.desired.nrfcloud_mqtt_topic_prefix," \
	" \\\"pairing\\\": state.desired.pairing }\"}"

static struct srv s;

static void pub(struct raw *r, int id, const char *topic, const char *payload)
{
	struct raw_pkt p;

	raw_publish(r, id, 1, topic, payload, strlen(payload));
	raw_expect(r, &p, RAW_PUBACK, id, NULL);
	raw_pkt_release(&p);
}

static void sub(struct raw *r, int id, const char *const *topics, size_t n)
{
	struct raw_pkt p;

	raw_subscribe(r, id, topics, n);
	raw_expect(r, &p, RAW_SUBACK, id, NULL);
	raw_pkt_release(&p);
}

static void expect(struct raw *r, const char *topic)
{
	struct raw_pkt p;

	raw_expect(r, &p, RAW_PUBLISH, 0, topic);
	raw_pkt_release(&p);
}

/* One device's first connection in generation g (1..3) on r; the fixture device (fixture) gets
 * its fixture's desired config as a delta and applies it, the others ask for a job (none). */
static void life(struct raw *r, int g, const char *id, int fixture)
{
	char t[8][300], body[1536];
	const char *control[4];

	/* docs/protocol-mqtt.md#topic-table: the control topics of each generation */
	snprintf(t[0], 300, g == 1 ? "%s/shadow/get/accepted" : g == 2 ?
		 "%s/shadow/get/accepted/trim" : "%s/shadow/get/accepted/tf", id);
	snprintf(t[1], 300, g == 1 ? "$aws/things/%s/shadow/get/rejected" :
		 "%s/shadow/get/rejected", id);
	snprintf(t[2], 300, g == 1 ? "$aws/things/%s/shadow/update/delta" : g == 2 ?
		 "%s/shadow/update/delta/full" : "%s/shadow/update/delta/trim", id);
	control[0] = t[0];
	control[1] = t[1];
	control[2] = t[2];
	sub(r, 100, control, 3);
	snprintf(t[3], 300, g == 1 ? "$aws/things/%s/shadow/get" : g == 2 ?
		 "%s/shadow/get/trim" : "%s/shadow/get/tf", id);
	pub(r, 200, t[3], g == 3 ? SDK_TRANSFORM : "");
	expect(r, t[0]);
	/* the pairing-complete report (docs/protocol-mqtt.md#what-the-device-writes) with the FOTA types the firmware takes */
	snprintf(t[4], 300, g == 1 ? "$aws/things/%s/shadow/update" : "%s/shadow/update", id);
	snprintf(body, sizeof(body),
		 "{\"state\":{\"reported\":{\"pairing\":{\"state\":\"paired\",\"topics\":{"
		 "\"d2c\":\"%sm/d/%s/d2c\",\"c2d\":\"%sm/d/%s/+/r\"}},\"connection\":{"
		 "\"keepalive\":1200},\"nrfcloud_mqtt_topic_prefix\":\"%s\",\"device\":{"
		 "\"serviceInfo\":{\"fota_v2\":[\"APP\",\"MODEM\"]}}}}}",
		 s.prefix, id, s.prefix, id, s.prefix);
	pub(r, 301, t[4], body);
	if (fixture) {
		/* the fixture device's desired config comes as a delta; the device applies it */
		expect(r, t[2]);
		pub(r, 302, t[4], "{\"state\":{\"reported\":{\"config\":{"
		    "\"sampleInterval\":300}}}}");
	}
	/* data and FOTA topics (docs/protocol-mqtt.md#subscription-order) */
	snprintf(t[5], 300, "%sm/d/%s/+/r", s.prefix, id);
	snprintf(t[6], 300, "%s%s/jobs/rcv", s.prefix, id);
	control[0] = t[5];
	control[1] = t[6];
	sub(r, 101, control, 2);
	snprintf(t[7], 300, "%s%s/jobs/req", s.prefix, id);
	if (!fixture)
		pub(r, 201, t[7], "[\"\"]");
	snprintf(t[7], 300, "%sm/d/%s/d2c", s.prefix, id);
	pub(r, 400, t[7], "{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"21.5\"}");
	pub(r, 401, t[7], "{\"appId\":\"GROUND_FIX\",\"messageType\":\"DATA\",\"data\":{\"lte\":["
	    CELL "]}}");
	snprintf(t[7], 300, "%sm/d/%s/ground_fix/r", s.prefix, id);
	expect(r, t[7]);
}

START_TEST(record)
{
	const char *out = getenv("NCM_RECORDING_OUT");
	const char *extra[] = { "--record", out, NULL };
	char crt[PATH_MAX], key[PATH_MAX], *jwt, *resp = NULL, api[200], topic[300], req[300];
	const char *ids[] = { G1_ID, G2_ID, FIXTURE_DEVICE };
	struct raw r;
	int g;

	ck_assert_msg(out && out[0], "set NCM_RECORDING_OUT to the file to write");
	unlink(out);
	srv_start(&s, extra);
	for (g = 1; g <= 3; g++) {
		if (g < 3)
			srv_lab_device(&s, NULL, ids[g - 1], crt, key, sizeof(crt));
		else
			srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
		ck_assert_int_eq(raw_connect(&r, &s, ids[g - 1], crt, key, 1200, 1, NULL), 0);
		life(&r, g, ids[g - 1], g == 3);
		raw_close(&r);
	}
	/* a FOTA job for the fixture device while it is away; after its reboot it asks for it */
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	json_decref(rest_json(&s, "POST", "/v1/fota-jobs", api, "{\"bundleId\":\"" BUNDLE "\","
			      "\"deviceIds\":[\"" FIXTURE_DEVICE "\"]}", 201));
	ck_assert_int_eq(raw_connect(&r, &s, FIXTURE_DEVICE, crt, key, 1200, 1, NULL), 0);
	snprintf(topic, sizeof(topic), "%s%s/jobs/rcv", s.prefix, FIXTURE_DEVICE);
	sub(&r, 102, (const char *const[]){ topic }, 1);
	snprintf(req, sizeof(req), "%s%s/jobs/req", s.prefix, FIXTURE_DEVICE);
	pub(&r, 202, req, "[\"\"]");
	expect(&r, topic);
	raw_close(&r);
	/* the fixture device's REST calls (nrf_cloud_rest): state, ground fix, its job */
	jwt = fixture_device_jwt(&s);
	ck_assert_int_eq(http_rest_auth(&s, "PATCH", "/v1/devices/" FIXTURE_DEVICE "/state", jwt,
					"application/json", "{\"reported\":{\"temp\":21.5}}",
					strlen("{\"reported\":{\"temp\":21.5}}"), &resp, NULL), 202);
	free(resp);
	json_decref(rest_json(&s, "POST", "/v1/location/ground-fix", jwt, "{\"lte\":[" CELL "]}",
			      200));
	json_decref(rest_json(&s, "GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", jwt,
			      NULL, 200));
	free(jwt);
	srv_stop(&s, SIGTERM);
	srv_cleanup(&s);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = { { "record", record } };

	return run_suite("record-life", tests, 1, NULL, NULL, 120);
}
