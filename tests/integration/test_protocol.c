/* SPDX-License-Identifier: MIT
 * test_protocol.c: nRF Cloud's MQTT protocol as unmodified nRF Connect SDK firmware speaks it
 * (issue: shadows and MQTT protocol): the connect sequence of docs/protocol-mqtt.md#connect-sequence for G1, G2 and G3
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

/* A lab-CA certificate for id in the test folder (auto-onboarded on first connect). */
#define lab_device(id, crt, key, size) srv_lab_device(&s, NULL, id, crt, key, size)

enum gen { G1 = 1, G2, G3 };

struct gen_topics {
	const char *control[4];
	size_t n_control;
	char get[256], get_reply[256], update[256], delta[256];
};

/* docs/protocol-mqtt.md#shadow-topics, docs/protocol-mqtt.md#topic-table, with <id> filled in. */
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

/* The pairing data the device needs, from the get reply of its generation (docs/protocol-mqtt.md#the-shadow-get-reply). */
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

/* The whole fresh-session connect sequence of docs/protocol-mqtt.md#connect-sequence, then a desired change →
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

	/* the shadow request: its PUBACK must come before the reply (docs/protocol-mqtt.md#what-firmware-needs item 5) */
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

	/* pairing-complete report, id 301 (docs/protocol-mqtt.md#what-the-device-writes); reported now matches desired: no delta */
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

	/* data channel, then FOTA (docs/protocol-mqtt.md#subscription-order) */
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
	/* G1 and G2 deltas carry metadata, G3's trimmed delta does not (docs/protocol-mqtt.md#deltas) */
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


static void connect_lab(struct raw *r, const char *id, int clean, int *sp)
{
	char crt[PATH_MAX], key[PATH_MAX];

	snprintf(crt, sizeof(crt), "%s/%s.crt", s.dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", s.dir, id);
	if (access(crt, R_OK))
		lab_device(id, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(r, &s, id, crt, key, 60, clean, sp), 0);
}

static void subscribe_one(struct raw *r, int id, const char *topic)
{
	struct raw_pkt p;

	raw_subscribe(r, id, (const char *const[]){ topic }, 1);
	raw_expect(r, &p, RAW_SUBACK, id, NULL);
	ck_assert_int_eq(p.rc[0], 1);
}

START_TEST(bad_input_on_every_shadow_topic_gets_its_error_reply)
{
	char t[256], big[12000];
	struct raw r;
	struct raw_pkt p;
	json_t *j;
	const char *id = "bad-input-1";
	static const struct {
		const char *payload;
		const char *message_part;
	} bad_updates[] = {
		{ "{\"state\":", "invalid json" },
		{ "[1,2]", "invalid json" },
		{ "{\"desired\":{}}", "Missing required node: state" },
		{ "{\"state\":\"on\"}", "State node must be an object" },
		{ "{\"state\":{\"desired\":\"red\"}}", "Invalid desired" },
		{ "{\"state\":{\"wanted\":{}}}", "invalid node: 'wanted'" },
		{ "{\"state\":{\"reported\":{}},\"version\":\"x\"}", "Invalid version" },
		{ "{\"state\":{\"reported\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":"
		  "{\"g\":{\"h\":{\"i\":1}}}}}}}}}}}", "nesting" },
	};

	srv_start(&s, NULL);
	connect_lab(&r, id, 1, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/rejected", id);
	subscribe_one(&r, 1, t);
	snprintf(t, sizeof(t), "%s/shadow/update/delta/trim/err", id);
	subscribe_one(&r, 2, t);
	for (size_t i = 0; i < sizeof(bad_updates) / sizeof(bad_updates[0]); i++) {
		/* the AWS topic answers on update/rejected */
		snprintf(t, sizeof(t), "$aws/things/%s/shadow/update", id);
		raw_publish(&r, 10, 1, t, bad_updates[i].payload, strlen(bad_updates[i].payload));
		raw_expect(&r, &p, RAW_PUBACK, 10, NULL);
		snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/rejected", id);
		j = raw_expect_json(&r, t);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 400);
		ck_assert_msg(strstr(json_string_value(json_object_get(j, "message")),
				     bad_updates[i].message_part) != NULL,
			      "%s: %s", bad_updates[i].payload,
			      json_string_value(json_object_get(j, "message")));
		json_decref(j);
		/* nRF Cloud's own update topic also answers on the G3 error topic */
		snprintf(t, sizeof(t), "%s/shadow/update", id);
		raw_publish(&r, 11, 1, t, bad_updates[i].payload, strlen(bad_updates[i].payload));
		raw_expect(&r, &p, RAW_PUBACK, 11, NULL);
		snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/rejected", id);
		json_decref(raw_expect_json(&r, t));
		snprintf(t, sizeof(t), "%s/shadow/update/delta/trim/err", id);
		j = raw_expect_json(&r, t);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "err")), 400);
		json_decref(j);
	}
	/* a version conflict is 409 */
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update", id);
	raw_publish(&r, 12, 1, t, "{\"state\":{\"reported\":{\"a\":1}},\"version\":999}", strlen("{\"state\":{\"reported\":{\"a\":1}},\"version\":999}"));
	raw_expect(&r, &p, RAW_PUBACK, 12, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/rejected", id);
	j = raw_expect_json(&r, t);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 409);
	json_decref(j);
	/* over the 8 KB cap is 413, and the stored shadow is unchanged */
	memset(big, 'x', sizeof(big));
	{
		static const char head[] = "{\"state\":{\"reported\":{\"blob\":\"";

		memcpy(big, head, sizeof(head) - 1);
	}
	memcpy(big + sizeof(big) - 5, "\"}}}", 4);
	big[sizeof(big) - 1] = '\0';
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update", id);
	raw_publish(&r, 13, 1, t, big, strlen(big));
	raw_expect(&r, &p, RAW_PUBACK, 13, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/rejected", id);
	j = raw_expect_json(&r, t);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 413);
	json_decref(j);

	/* a transform that fails (D3001) answers an error object on accepted/tf */
	snprintf(t, sizeof(t), "%s/shadow/get/accepted/tf", id);
	subscribe_one(&r, 3, t);
	snprintf(t, sizeof(t), "%s/shadow/get/rejected", id);
	subscribe_one(&r, 4, t);
	snprintf(t, sizeof(t), "%s/shadow/get/tf", id);
	raw_publish(&r, 14, 1, t, "{\"t\":\"$string(1/0)\"}", strlen("{\"t\":\"$string(1/0)\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 14, NULL);
	snprintf(t, sizeof(t), "%s/shadow/get/accepted/tf", id);
	j = raw_expect_json(&r, t);
	ck_assert(json_is_integer(json_object_get(j, "err")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "position")), 1);
	ck_assert(json_is_string(json_object_get(j, "message")));
	json_decref(j);
	/* a transform request that is not JSON answers on get/rejected */
	snprintf(t, sizeof(t), "%s/shadow/get/tf", id);
	raw_publish(&r, 15, 1, t, "t=state", strlen("t=state"));
	raw_expect(&r, &p, RAW_PUBACK, 15, NULL);
	snprintf(t, sizeof(t), "%s/shadow/get/rejected", id);
	j = raw_expect_json(&r, t);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 400);
	json_decref(j);
	raw_expect_quiet(&r);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.bad_message", id, "invalid json", 2), 2);
	j = admin_json(&s, "GET", "/health", NULL, &(long){ 0 });
	json_decref(j);
}
END_TEST

START_TEST(d2c_bulk_and_bin_messages_are_stored_and_bad_ones_journaled)
{
	char t[256], path[256];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j, *items;
	const char *id = "data-1";
	static const unsigned char bin[] = { 0x6e, 0x52, 0x46, 0x43, 0x01, 0x00, 0x00, 0x00, 0xff };

	srv_start(&s, NULL);
	connect_lab(&r, id, 1, NULL);
	snprintf(t, sizeof(t), "%sm/d/%s/d2c", s.prefix, id);
	raw_publish(&r, 1000, 1, t, "{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"21\"}", strlen("{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"21\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 1000, NULL);
	raw_publish(&r, 1001, 1, t, "not json", strlen("not json"));
	raw_expect(&r, &p, RAW_PUBACK, 1001, NULL);
	snprintf(t, sizeof(t), "%sm/d/%s/d2c/bulk", s.prefix, id);
	raw_publish(&r, 1002, 1, t, "[{\"appId\":\"LOG\",\"msg\":\"a\"},{\"appId\":\"LOG\",\"msg\":\"b\"}]", strlen("[{\"appId\":\"LOG\",\"msg\":\"a\"},{\"appId\":\"LOG\",\"msg\":\"b\"}]"));
	raw_expect(&r, &p, RAW_PUBACK, 1002, NULL);
	raw_publish(&r, 1003, 1, t, "{\"appId\":\"LOG\"}", strlen("{\"appId\":\"LOG\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 1003, NULL);
	snprintf(t, sizeof(t), "%sm/d/%s/d2c/bin", s.prefix, id);
	raw_publish(&r, 1004, 1, t, bin, sizeof(bin));
	raw_expect(&r, &p, RAW_PUBACK, 1004, NULL);
	raw_close(&r);

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 4);
	items = json_object_get(j, "items");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "appId")), "TEMP");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(items, 1),
									   "message"), "msg")), "a");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(items, 2),
									   "message"), "msg")), "b");
	ck_assert(json_is_true(json_object_get(json_array_get(items, 3), "binary")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 3), "message")),
			 "blJGQwEAAAD/");
	json_decref(j);
	ck_assert_int_eq(journal_wait(&s, "mqtt.bad_message", id, "not JSON", 1), 1);
	ck_assert_int_eq(journal_wait(&s, "mqtt.bad_message", id, "must be a JSON array", 1), 1);
}
END_TEST

static const char *connection_status(const char *id, char *reason, size_t size)
{
	static char status_buf[64];
	char path[256];
	long status;
	json_t *j, *c;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	c = json_object_get(json_object_get(json_object_get(j, "state"), "reported"), "connection");
	snprintf(status_buf, sizeof(status_buf), "%s",
		 json_string_value(json_object_get(c, "status")) ?: "");
	if (reason)
		snprintf(reason, size, "%s", json_string_value(json_object_get(c, "disconnectReason")) ?: "");
	json_decref(j);
	return status_buf;
}

START_TEST(connection_state_is_reported_in_the_shadow)
{
	char reason[256], path[256];
	struct raw r;
	long status;
	json_t *j;
	const char *id = "conn-1";

	srv_start(&s, NULL);
	connect_lab(&r, id, 1, NULL);
	ck_assert_str_eq(connection_status(id, NULL, 0), "connected");
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 1), 1);
	ck_assert_str_eq(connection_status(id, reason, sizeof(reason)), "disconnected");
	ck_assert_ptr_nonnull(strstr(reason, "closed by the client"));
	/* a device the admin API deletes is disconnected with that reason */
	connect_lab(&r, id, 1, NULL);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s", id);
	j = admin_json(&s, "DELETE", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	struct raw_pkt p;

	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_close(&r);
}
END_TEST

START_TEST(persistent_session_keeps_subscriptions_and_clean_session_does_not)
{
	char c2d[256], path[256];
	struct raw r;
	long status;
	json_t *j;
	int sp = -1;
	const char *id = "sess-1";

	srv_start(&s, NULL);
	connect_lab(&r, id, 0, &sp);
	ck_assert_int_eq(sp, 0);
	snprintf(c2d, sizeof(c2d), "%sm/d/%s/+/r", s.prefix, id);
	subscribe_one(&r, 101, c2d);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 1), 1);

	/* clean_session=0 again: the session is present and the subscription still works */
	connect_lab(&r, id, 0, &sp);
	ck_assert_int_eq(sp, 1);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages", id);
	j = admin_json(&s, "POST", path, "{\"appId\":\"LED\",\"data\":\"on\"}", &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	snprintf(c2d, sizeof(c2d), "%sm/d/%s/c2d/r", s.prefix, id);
	j = raw_expect_json(&r, c2d);
	ck_assert_str_eq(json_string_value(json_object_get(j, "appId")), "LED");
	json_decref(j);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 2), 2);

	/* clean_session=1: no session, never session_present=1 */
	connect_lab(&r, id, 1, &sp);
	ck_assert_int_eq(sp, 0);
	raw_close(&r);
}
END_TEST

START_TEST(account_device_sees_the_team_and_devices_do_not_see_each_other)
{
	char acct[128], t[256], body[256];
	struct raw a, d, o;
	struct raw_pkt p;
	json_t *j;
	int sp;

	srv_start(&s, NULL);
	snprintf(acct, sizeof(acct), "account-%s", s.tenant);
	connect_lab(&a, acct, 1, &sp);
	snprintf(t, sizeof(t), "%sm/#", s.prefix);
	subscribe_one(&a, 1, t);
	connect_lab(&d, "acct-dev-1", 1, &sp);
	snprintf(t, sizeof(t), "%sm/d/acct-dev-1/+/r", s.prefix);
	subscribe_one(&d, 101, t);
	connect_lab(&o, "acct-dev-2", 1, &sp);
	snprintf(t, sizeof(t), "%sm/d/acct-dev-2/+/r", s.prefix);
	subscribe_one(&o, 101, t);

	/* device → cloud reaches the account device */
	snprintf(t, sizeof(t), "%sm/d/acct-dev-1/d2c", s.prefix);
	raw_publish(&d, 1000, 1, t, "{\"appId\":\"BUTTON\",\"data\":\"1\"}", strlen("{\"appId\":\"BUTTON\",\"data\":\"1\"}"));
	raw_expect(&d, &p, RAW_PUBACK, 1000, NULL);
	j = raw_expect_json(&a, t);
	json_decref(j);
	/* the account device sends c2d to one device; the other sees nothing */
	snprintf(t, sizeof(t), "%sm/d/acct-dev-1/c2d/r", s.prefix);
	snprintf(body, sizeof(body), "{\"appId\":\"LED\"}");
	raw_publish(&a, 2, 1, t, body, strlen(body));
	/* its own m/# subscription covers c2d too; the broker may deliver that copy before the
	 * PUBACK of a client's publish */
	for (int got = 0, seen_ack = 0, seen_copy = 0; got < 2; got++) {
		raw_read(&a, &p, WAIT_MS);
		if (p.type == RAW_PUBACK && p.id == 2)
			seen_ack = 1;
		else if (p.type == RAW_PUBLISH && !strcmp(p.topic, t))
			seen_copy = 1;
		if (p.type == RAW_PUBLISH && p.qos)
			raw_puback(&a, p.id);
		raw_pkt_release(&p);
		if (got == 1)
			ck_assert(seen_ack && seen_copy);
	}
	json_decref(raw_expect_json(&d, t));
	raw_expect_quiet(&o);
	raw_close(&o);
	/* the account device may not use shadow topics */
	snprintf(t, sizeof(t), "$aws/things/acct-dev-1/shadow/update");
	raw_publish(&a, 3, 1, t, "{}", strlen("{}"));
	raw_read(&a, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_close(&a);
	raw_close(&d);
	ck_assert_int_ge(journal_wait(&s, "mqtt.acl_denied", acct, "account device", 1), 1);
}
END_TEST

START_TEST(replies_never_exceed_the_device_buffer)
{
	const char *extra[] = { "--device-buffer", "600", NULL };
	char t[256], path[256], body[2048];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j;
	const char *id = "small-buf-1";

	srv_start(&s, extra);
	connect_lab(&r, id, 1, NULL);
	snprintf(t, sizeof(t), "%s/shadow/get/accepted/trim", id);
	subscribe_one(&r, 100, t);
	snprintf(t, sizeof(t), "%s/shadow/get/rejected", id);
	subscribe_one(&r, 101, t);
	/* a reported section that alone is larger than the buffer: the trimmed reply drops it */
	snprintf(body, sizeof(body), "{\"state\":{\"reported\":{\"notes\":\"%0700d\"}}}", 0);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "PATCH", path, body, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	snprintf(t, sizeof(t), "%s/shadow/get/trim", id);
	raw_publish(&r, 200, 1, t, "", strlen(""));
	raw_expect(&r, &p, RAW_PUBACK, 200, NULL);
	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, RAW_PUBLISH);
	ck_assert_int_le(p.len, 600);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert(json_is_object(json_object_get(j, "desired")));
	ck_assert_ptr_null(json_object_get(json_object_get(j, "reported"), "notes"));
	json_decref(j);
	raw_pkt_release(&p);
	ck_assert_int_ge(journal_wait(&s, "shadow.oversize", id, "trimmed", 1), 1);
	/* desired itself too large: refused on get/rejected */
	snprintf(body, sizeof(body), "{\"state\":{\"desired\":{\"notes\":\"%0700d\"}}}", 0);
	j = admin_json(&s, "PATCH", path, body, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	snprintf(t, sizeof(t), "%s/shadow/get/trim", id);
	raw_publish(&r, 201, 1, t, "", strlen(""));
	raw_expect(&r, &p, RAW_PUBACK, 201, NULL);
	snprintf(t, sizeof(t), "%s/shadow/get/rejected", id);
	j = raw_expect_json(&r, t);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 413);
	json_decref(j);
	raw_close(&r);
}
END_TEST

START_TEST(ten_thousand_qos1_messages_survive_kill_9)
{
	enum { N = 10000, WINDOW = 200 };
	char t[256], payload[64], path[256];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j, *items, *it;
	size_t i;
	int sent = 0, acked = 0;
	const char *id = "bulk-writer";

	srv_start(&s, NULL);
	connect_lab(&r, id, 1, NULL);
	snprintf(t, sizeof(t), "%sm/d/%s/d2c", s.prefix, id);
	while (acked < N) {
		while (sent < N && sent - acked < WINDOW) {
			int n = snprintf(payload, sizeof(payload),
					 "{\"appId\":\"SEQ\",\"data\":%d}", sent);

			raw_publish(&r, 1 + sent % 60000, 1, t, payload, (size_t)n);
			sent++;
		}
		raw_read(&r, &p, WAIT_MS);
		ck_assert_msg(p.type == RAW_PUBACK, "got %d after %d acks", p.type, acked);
		ck_assert_int_eq(p.id, 1 + acked % 60000);
		acked++;
	}
	/* right after the last PUBACK */
	srv_stop(&s, SIGKILL);
	raw_close(&r);
	srv_start(&s, NULL);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages?limit=%d", id, N + 1);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), N);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), N);
	json_array_foreach(items, i, it)
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(it, "message"),
								    "data")), (json_int_t)i);
	json_decref(j);
}
END_TEST

START_TEST(admin_put_replaces_the_shadow_but_keeps_prefix_and_pairing)
{
	char path[256];
	long status;
	json_t *j, *desired;

	srv_start(&s, NULL);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", FIXTURE_DEVICE);
	/* the fixture's initial shadow is there */
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(j, "state"), "desired"), "config"), "sampleInterval")),
			 300);
	json_decref(j);
	j = admin_json(&s, "PUT", path, "{\"desired\":{\"config\":{\"mode\":\"eco\"}}}", &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	j = admin_json(&s, "GET", path, NULL, &status);
	desired = json_object_get(json_object_get(j, "state"), "desired");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(desired, "config"), "mode")), "eco");
	ck_assert_ptr_null(json_object_get(json_object_get(desired, "config"), "sampleInterval"));
	ck_assert_str_eq(json_string_value(json_object_get(desired, "nrfcloud_mqtt_topic_prefix")), s.prefix);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(desired, "pairing"), "state")), "paired");
	json_decref(j);
	j = admin_json(&s, "PATCH", path, "{\"state\":{\"desired\":\"x\"}}", &status);
	ck_assert_int_eq(status, 400);
	json_decref(j);
	j = admin_json(&s, "GET", "/mock/v1/devices/nobody/shadow", NULL, &status);
	ck_assert_int_eq(status, 404);
	json_decref(j);
}
END_TEST

START_TEST(ua_wait_report_and_aws_delete_are_accepted)
{
	char t[256];
	struct raw r;
	struct raw_pkt p;
	json_t *j;
	const char *id = "ua-wait-1";
	/* the UA-wait report of docs/protocol-mqtt.md#what-the-device-writes, nulls for fields the shadow does not have */
	static const char ua_wait[] =
		"{\"state\":{\"reported\":{\"pairing\":{\"state\":\"not_associated\","
		"\"topics\":null,\"config\":null},\"connection\":{\"keepalive\":null},"
		"\"nrfcloud_mqtt_topic_prefix\":null,\"pairingStatus\":null,\"stage\":null}}}";

	srv_start(&s, NULL);
	connect_lab(&r, id, 1, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/accepted", id);
	subscribe_one(&r, 1, t);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update", id);
	raw_publish(&r, 300, 1, t, ua_wait, strlen(ua_wait));
	raw_expect(&r, &p, RAW_PUBACK, 300, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/update/accepted", id);
	j = raw_expect_json(&r, t);
	ck_assert(json_is_integer(json_object_get(j, "version")));
	json_decref(j);

	/* AWS delete: accepted with the version, then the next get has pairing again */
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/delete/accepted", id);
	subscribe_one(&r, 2, t);
	snprintf(t, sizeof(t), "%s/shadow/get/accepted", id);
	subscribe_one(&r, 3, t);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/delete", id);
	raw_publish(&r, 301, 1, t, "", 0);
	raw_expect(&r, &p, RAW_PUBACK, 301, NULL);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/delete/accepted", id);
	j = raw_expect_json(&r, t);
	ck_assert(json_is_integer(json_object_get(j, "version")));
	json_decref(j);
	snprintf(t, sizeof(t), "$aws/things/%s/shadow/get", id);
	raw_publish(&r, 302, 1, t, "", 0);
	raw_expect(&r, &p, RAW_PUBACK, 302, NULL);
	snprintf(t, sizeof(t), "%s/shadow/get/accepted", id);
	j = raw_expect_json(&r, t);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(j,
				 "desired"), "pairing"), "state")), "paired");
	json_decref(j);
	raw_close(&r);
}
END_TEST

static const struct suite_def suite = {
	.name = "protocol", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "g1", g1_device_pairs_and_syncs_its_shadow },
		{ "g2", g2_device_pairs_and_syncs_its_shadow },
		{ "g3", g3_device_pairs_and_syncs_its_shadow },
		{ "bad_input", bad_input_on_every_shadow_topic_gets_its_error_reply },
		{ "data", d2c_bulk_and_bin_messages_are_stored_and_bad_ones_journaled },
		{ "connection", connection_state_is_reported_in_the_shadow },
		{ "session", persistent_session_keeps_subscriptions_and_clean_session_does_not },
		{ "account", account_device_sees_the_team_and_devices_do_not_see_each_other },
		{ "buffer", replies_never_exceed_the_device_buffer },
		{ "durable", ten_thousand_qos1_messages_survive_kill_9 },
		{ "admin_put", admin_put_replaces_the_shadow_but_keeps_prefix_and_pairing },
		{ "ua_wait", ua_wait_report_and_aws_delete_are_accepted })
