/* SPDX-License-Identifier: MIT
 * test_protocol.c: nRF Cloud's MQTT protocol as unmodified nRF Connect SDK firmware speaks it
 * (issue: shadows and MQTT protocol): the connect sequence of spec/mqtt.md §3.2 for G1, G2 and G3
 * with the library's message IDs and the PUBACK-before-reply order on the wire, the desired →
 * delta → reported round trip, bad input on every topic, connection state, persistent sessions,
 * the account device, the size guard and message durability.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "harness.h"
#include "rawmqtt.h"

static struct srv s;

static void teardown(void)
{
	srv_cleanup(&s);
}

/* A lab-CA certificate for id in the test folder (auto-onboarded on first connect). */
static void lab_device(const char *id, char *crt, char *key, size_t size)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	X509 *cert = NULL;
	EVP_PKEY *k = NULL;

	ck_assert_msg(ncm_ca_load(s.data, &ca, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ncm_ca_issue_device(&ca, id, time(NULL), &cert, &k, &err), 0);
	ck_assert_int_eq(ncm_ca_write_device(s.dir, id, cert, k, &err), 0);
	snprintf(crt, size, "%s/%s.crt", s.dir, id);
	snprintf(key, size, "%s/%s.key", s.dir, id);
	X509_free(cert);
	EVP_PKEY_free(k);
	ncm_ca_release(&ca);
}

enum gen { G1 = 1, G2, G3 };

struct gen_topics {
	const char *control[4];
	size_t n_control;
	char get[256], get_reply[256], update[256], delta[256];
};

/* spec/mqtt.md §2.2 and §9, with <id> filled in. */
static void topics_of(enum gen g, const char *id, struct gen_topics *t, char bufs[4][256])
{
	memset(t, 0, sizeof(*t));
	switch (g) {
	case G1:
		snprintf(bufs[0], 256, "%s/shadow/get/accepted", id);
		snprintf(bufs[1], 256, "$aws/things/%s/shadow/get/rejected", id);
		snprintf(bufs[2], 256, "$aws/things/%s/shadow/update/delta", id);
		t->n_control = 3;
		snprintf(t->get, sizeof(t->get), "$aws/things/%s/shadow/get", id);
		snprintf(t->get_reply, sizeof(t->get_reply), "%s", bufs[0]);
		snprintf(t->update, sizeof(t->update), "$aws/things/%s/shadow/update", id);
		snprintf(t->delta, sizeof(t->delta), "%s", bufs[2]);
		break;
	case G2:
		snprintf(bufs[0], 256, "%s/shadow/get/accepted/trim", id);
		snprintf(bufs[1], 256, "%s/shadow/get/rejected", id);
		snprintf(bufs[2], 256, "%s/shadow/update/delta/full", id);
		t->n_control = 3;
		snprintf(t->get, sizeof(t->get), "%s/shadow/get/trim", id);
		snprintf(t->get_reply, sizeof(t->get_reply), "%s", bufs[0]);
		snprintf(t->update, sizeof(t->update), "%s/shadow/update", id);
		snprintf(t->delta, sizeof(t->delta), "%s", bufs[2]);
		break;
	case G3:
		snprintf(bufs[0], 256, "%s/shadow/get/accepted/tf", id);
		snprintf(bufs[1], 256, "%s/shadow/get/rejected", id);
		snprintf(bufs[2], 256, "%s/shadow/update/delta/trim", id);
		snprintf(bufs[3], 256, "%s/shadow/update/delta/trim/err", id);
		t->n_control = 4;
		snprintf(t->get, sizeof(t->get), "%s/shadow/get/tf", id);
		snprintf(t->get_reply, sizeof(t->get_reply), "%s", bufs[0]);
		snprintf(t->update, sizeof(t->update), "%s/shadow/update", id);
		snprintf(t->delta, sizeof(t->delta), "%s", bufs[2]);
		break;
	}
	for (size_t i = 0; i < t->n_control; i++)
		t->control[i] = bufs[i];
}

#define SDK_TRANSFORM                                                                        \
	"{\"t\":\"{ \\\"nrfcloud_mqtt_topic_prefix\\\": state.desired.nrfcloud_mqtt_topic_prefix," \
	" \\\"pairing\\\": state.desired.pairing }\"}"

/* The pairing data the device needs, from the get reply of its generation (§3.3). */
static json_t *desired_of_reply(enum gen g, const struct raw_pkt *p)
{
	json_t *j = json_loadb((const char *)p->payload, p->len, 0, NULL), *d;

	ck_assert_msg(j != NULL, "reply is not JSON: %s", p->payload);
	d = json_object_get(j, g == G3 ? "tf" : "desired");
	ck_assert_msg(json_is_object(d), "reply has no %s: %s", g == G3 ? "tf" : "desired",
		      p->payload);
	json_incref(d);
	json_decref(j);
	return d;
}

/* The whole fresh-session connect sequence of spec/mqtt.md §3.2, then a desired change →
 * delta → reported update → delta cleared round trip. */
static void play_generation(enum gen g, const char *id)
{
	char crt[PATH_MAX], key[PATH_MAX], bufs[4][256], c2d[256], jobs[256], body[1024];
	struct gen_topics t;
	struct raw r;
	struct raw_pkt p;
	json_t *desired, *j;
	const char *prefix, *d2c, *c2d_sub;
	long status;
	int sp = -1;

	srv_start(&s, NULL);
	lab_device(id, crt, key, sizeof(crt));
	topics_of(g, id, &t, bufs);
	ck_assert_int_eq(raw_connect(&r, &s, id, crt, key, 1200, 1, &sp), 0);
	ck_assert_int_eq(sp, 0);

	raw_subscribe(&r, 100, t.control, t.n_control);
	raw_expect(&r, &p, RAW_SUBACK, 100, NULL);
	ck_assert_int_eq(p.n_rc, (int)t.n_control);
	for (int i = 0; i < p.n_rc; i++)
		ck_assert_int_eq(p.rc[i], 1);

	/* the shadow request: its PUBACK must come before the reply (§7 item 5) */
	if (g == G3)
		raw_publish(&r, 200, 1, t.get, SDK_TRANSFORM, strlen(SDK_TRANSFORM));
	else
		raw_publish(&r, 200, 1, t.get, "", 0);
	raw_expect(&r, &p, RAW_PUBACK, 200, NULL);
	raw_expect(&r, &p, RAW_PUBLISH, 0, t.get_reply);
	desired = desired_of_reply(g, &p);
	raw_pkt_release(&p);
	prefix = json_string_value(json_object_get(desired, "nrfcloud_mqtt_topic_prefix"));
	ck_assert_str_eq(prefix, s.prefix);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(desired, "pairing"),
							   "state")), "paired");
	d2c = json_string_value(json_object_get(
		json_object_get(json_object_get(desired, "pairing"), "topics"), "d2c"));
	c2d_sub = json_string_value(json_object_get(
		json_object_get(json_object_get(desired, "pairing"), "topics"), "c2d"));
	snprintf(c2d, sizeof(c2d), "%sm/d/%s/+/r", s.prefix, id);
	ck_assert_str_eq(c2d_sub, c2d);
	snprintf(body, sizeof(body), "%sm/d/%s/d2c", s.prefix, id);
	ck_assert_str_eq(d2c, body);

	/* pairing-complete report, id 301 (§3.6); reported now matches desired: no delta */
	snprintf(body, sizeof(body),
		 "{\"state\":{\"reported\":{\"pairing\":{\"state\":\"paired\",\"topics\":{"
		 "\"d2c\":\"%s\",\"c2d\":\"%s\"}},\"connection\":{\"keepalive\":1200},"
		 "\"nrfcloud_mqtt_topic_prefix\":\"%s\",\"control\":{\"alertsEn\":false,"
		 "\"logLvl\":3},\"device\":{\"serviceInfo\":{\"fota_v2\":[\"APP\",\"MODEM\"]}}},"
		 "\"desired\":{\"pairing\":{\"topics\":{\"c2d\":\"%s\"}}}}}",
		 d2c, c2d_sub, prefix, c2d_sub);
	raw_publish(&r, 301, 1, t.update, body, strlen(body));
	raw_expect(&r, &p, RAW_PUBACK, 301, NULL);
	raw_expect_quiet(&r);

	/* data channel, then FOTA (§2.6) */
	raw_subscribe(&r, 101, (const char *const[]){ c2d_sub }, 1);
	raw_expect(&r, &p, RAW_SUBACK, 101, NULL);
	ck_assert_int_eq(p.rc[0], 1);
	snprintf(jobs, sizeof(jobs), "%s%s/jobs/rcv", s.prefix, id);
	raw_subscribe(&r, 103, (const char *const[]){ jobs }, 1);
	raw_expect(&r, &p, RAW_SUBACK, 103, NULL);
	snprintf(jobs, sizeof(jobs), "%s%s/jobs/req", s.prefix, id);
	raw_publish(&r, 201, 1, jobs, "[\"\"]", 4);
	raw_expect(&r, &p, RAW_PUBACK, 201, NULL);

	/* the cloud changes desired: the delta reaches the device on its generation's topic */
	char path[256];

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "PATCH", path, "{\"state\":{\"desired\":{\"config\":{\"interval\":60}}}}",
		       &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	raw_expect(&r, &p, RAW_PUBLISH, 0, t.delta);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert(json_is_integer(json_object_get(j, "version")));
	ck_assert(json_is_integer(json_object_get(j, "timestamp")));
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "state"), "config"), "interval")),
			 60);
	ck_assert_ptr_null(json_object_get(json_object_get(j, "state"), "pairing"));
	ck_assert_ptr_null(json_object_get(json_object_get(j, "state"),
					   "nrfcloud_mqtt_topic_prefix"));
	/* G1 and G2 deltas carry metadata, G3's trimmed delta does not (§3.4) */
	ck_assert(g == G3 ? json_object_get(j, "metadata") == NULL
			  : json_is_object(json_object_get(j, "metadata")));
	json_decref(j);
	raw_pkt_release(&p);

	/* the device reports it: the delta is gone and nothing more is sent */
	snprintf(body, sizeof(body), "{\"state\":{\"reported\":{\"config\":{\"interval\":60}}}}");
	raw_publish(&r, 1000, 1, t.update, body, strlen(body));
	raw_expect(&r, &p, RAW_PUBACK, 1000, NULL);
	raw_expect_quiet(&r);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_null(json_object_get(json_object_get(j, "state"), "delta"));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(j, "state"), "reported"), "config"), "interval")),
			 60);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(j, "state"), "reported"), "connection"), "status")),
			 "connected");
	json_decref(j);
	json_decref(desired);
	raw_close(&r);
}

START_TEST(g1_device_pairs_and_syncs_its_shadow)
{
	play_generation(G1, "g1-device");
}
END_TEST

START_TEST(g2_device_pairs_and_syncs_its_shadow)
{
	play_generation(G2, "g2-device");
}
END_TEST

START_TEST(g3_device_pairs_and_syncs_its_shadow)
{
	play_generation(G3, "g3-device");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("protocol");
	SRunner *sr;
	int failed;
	struct {
		const char *name;
		const TTest *t;
	} tests[] = {
		{ "g1", g1_device_pairs_and_syncs_its_shadow },
		{ "g2", g2_device_pairs_and_syncs_its_shadow },
		{ "g3", g3_device_pairs_and_syncs_its_shadow },
	};
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		TCase *tc = tcase_create(tests[i].name);

		tcase_add_checked_fixture(tc, NULL, teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, tests[i].t);
		suite_add_tcase(su, tc);
	}
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
