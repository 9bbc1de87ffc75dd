/* SPDX-License-Identifier: MIT
 * test_exact.c: the rules real clients caught the mock getting wrong (issue 11,
 * docs/compatibility.md), each replayed at the wire level with the raw MQTT client or plain
 * HTTP: the delta rule (no delta storm), the shadow version across delete and restart, trailing
 * NUL bytes after JSON, replies held until the device subscribes, NCS firmware bundles, the
 * certificate and association endpoints, number text, TLS refusals in the journal, location
 * history meta and the G3 transform without result.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rawmqtt.h"

static struct srv s;
static char api[256]; /* "Bearer <API key>" */

#define JSON_CT "application/json"

static void teardown(void)
{
	srv_cleanup(&s);
}

/* Connects device id with the raw client (clean session), issuing it a lab-CA certificate in
 * the test folder on its first connect. */
static void raw_device(struct raw *r, const char *id)
{
	char crt[PATH_MAX], key[PATH_MAX];

	snprintf(crt, sizeof(crt), "%s/%s.crt", s.dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", s.dir, id);
	if (access(crt, R_OK) != 0)
		srv_lab_device(&s, NULL, id, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(r, &s, id, crt, key, 1200, 1, NULL), 0);
}

static void raw_sub1(struct raw *r, int id, const char *topic)
{
	struct raw_pkt p;

	raw_subscribe(r, id, (const char *const[]){ topic }, 1);
	raw_expect(r, &p, RAW_SUBACK, id, NULL);
	ck_assert_int_eq(p.rc[0], 1);
	raw_pkt_release(&p);
}

/* Publishes payload (QoS 1, id) and waits for its PUBACK. */
static void raw_pub_acked(struct raw *r, int id, const char *topic, const char *payload,
			  size_t len)
{
	struct raw_pkt p;

	raw_publish(r, id, 1, topic, payload, len);
	raw_expect(r, &p, RAW_PUBACK, id, NULL);
	raw_pkt_release(&p);
}

/* The next packet must be a PUBLISH on topic; its JSON payload (new reference). */
static json_t *raw_json_on(struct raw *r, const char *topic)
{
	struct raw_pkt p;
	json_t *j;

	raw_expect(r, &p, RAW_PUBLISH, 0, topic);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON on %s: %s", topic, p.payload);
	raw_pkt_release(&p);
	return j;
}

static json_int_t shadow_version(const char *id)
{
	char path[256];
	long status;
	json_t *j;
	json_int_t v;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert(json_is_integer(json_object_get(j, "version")));
	v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v;
}

static void admin_patch_shadow(const char *id, const char *body)
{
	char path[256];
	long status;
	json_t *j;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "PATCH", path, body, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
}

/* Item 1: NCS <= 2.7 answers a delta without "control" with a reported control update
 * (nrf_cloud_device_control_update()). With a desired-only key in the shadow the mock used to
 * answer each of those with the same delta again, 110 times in 20 s. Exactly one now: after
 * each answer is acknowledged a PINGREQ round trip proves nothing else was queued (the broker
 * queues a reply to an update before it reads the next packet), and so does a get. */
START_TEST(delta_storm_device_answering_with_control_gets_one_delta)
{
	const char *id = "storm-1";
	char delta[256], update[256], get[256], get_acc[256];
	struct raw r;
	json_t *j;
	json_int_t v;
	int round;

	srv_start(&s, NULL);
	raw_device(&r, id);
	snprintf(delta, sizeof(delta), "$aws/things/%s/shadow/update/delta", id);
	snprintf(update, sizeof(update), "$aws/things/%s/shadow/update", id);
	snprintf(get, sizeof(get), "%s/shadow/get/trim", id);
	snprintf(get_acc, sizeof(get_acc), "%s/shadow/get/accepted/trim", id);
	raw_sub1(&r, 100, delta);
	raw_sub1(&r, 101, get_acc);

	admin_patch_shadow(id, "{\"state\":{\"desired\":{\"config\":{\"interval\":42}}}}");
	j = raw_json_on(&r, delta);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
				 json_object_get(j, "state"), "config"), "interval")), 42);
	ck_assert_ptr_null(json_object_get(json_object_get(j, "state"), "control"));
	json_decref(j);
	v = shadow_version(id);

	/* the firmware loop: every delta lacking control is answered with control */
	for (round = 0; round < 3; round++) {
		static const char ctl[] =
			"{\"state\":{\"reported\":{\"control\":{\"alertsEn\":false,\"logLvl\":3}}}}";

		raw_pub_acked(&r, 1000 + round, update, ctl, strlen(ctl));
		raw_expect_quiet(&r);
		/* a second observable round trip: the get answer is the next packet */
		raw_pub_acked(&r, 200 + round, get, "", 0);
		j = raw_json_on(&r, get_acc);
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
					 json_object_get(j, "desired"), "config"), "interval")), 42);
		json_decref(j);
		raw_expect_quiet(&r);
	}
	/* three accepted reports, no more: the version did not run away */
	ck_assert_int_eq(shadow_version(id), v + 3);
	raw_close(&r);
}
END_TEST

/* Item 1 and 2: the AWS IoT Device SDK for Embedded C shadow demo: delete, desired update,
 * reported update equal to desired. Exactly one delta, whose version is newer than the deleted
 * shadow's (the demo ignores older ones). */
START_TEST(aws_demo_sequence_gets_exactly_one_delta)
{
	const char *id = "aws-demo-1";
	char base[256], t_delete[300], t_del_acc[300], t_update[300], t_upd_acc[300], t_delta[300];
	struct raw r;
	json_t *j;
	json_int_t deleted_version;

	srv_start(&s, NULL);
	raw_device(&r, id);
	snprintf(base, sizeof(base), "$aws/things/%s/shadow/", id);
	snprintf(t_delete, sizeof(t_delete), "%sdelete", base);
	snprintf(t_del_acc, sizeof(t_del_acc), "%sdelete/accepted", base);
	snprintf(t_update, sizeof(t_update), "%supdate", base);
	snprintf(t_upd_acc, sizeof(t_upd_acc), "%supdate/accepted", base);
	snprintf(t_delta, sizeof(t_delta), "%supdate/delta", base);
	raw_sub1(&r, 1, t_del_acc);
	raw_sub1(&r, 2, t_upd_acc);
	raw_sub1(&r, 3, t_delta);
	/* the connect made a shadow (connection state); bump it a little further */
	admin_patch_shadow(id, "{\"state\":{\"reported\":{\"x\":1}}}");
	admin_patch_shadow(id, "{\"state\":{\"reported\":{\"x\":2}}}");

	raw_pub_acked(&r, 10, t_delete, "", 0);
	j = raw_json_on(&r, t_del_acc);
	deleted_version = json_integer_value(json_object_get(j, "version"));
	ck_assert_int_ge(deleted_version, 3);
	json_decref(j);

	/* the demo publishes strlen + 1 bytes: the JSON ends with a NUL (item 3) */
	static const char want[] = "{\"state\":{\"desired\":{\"powerOn\":1}},\"clientToken\":\"021909\"}";
	raw_pub_acked(&r, 11, t_update, want, sizeof(want));
	j = raw_json_on(&r, t_upd_acc);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), deleted_version + 1);
	json_decref(j);
	j = raw_json_on(&r, t_delta);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "state"),
							    "powerOn")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), deleted_version + 1);
	json_decref(j);
	raw_expect_quiet(&r);

	static const char rep[] = "{\"state\":{\"reported\":{\"powerOn\":1}},\"clientToken\":\"021910\"}";
	raw_pub_acked(&r, 12, t_update, rep, sizeof(rep));
	j = raw_json_on(&r, t_upd_acc);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), deleted_version + 2);
	ck_assert_str_eq(json_string_value(json_object_get(j, "clientToken")), "021910");
	json_decref(j);
	/* no delta carrying only the pairing fields */
	raw_expect_quiet(&r);
	raw_close(&r);
}
END_TEST

/* Item 2: the version survives delete over MQTT, is continued by REST updates, and survives a
 * restart; deleting a deleted shadow is 404 as on AWS. */
START_TEST(shadow_version_survives_delete_rest_and_restart)
{
	const char *id = "ver-keep-1";
	char t_delete[300], t_del_acc[300], t_del_rej[300], path[256];
	struct raw r;
	json_t *j;
	json_int_t v0, v;
	long status;

	srv_start(&s, NULL);
	raw_device(&r, id);
	snprintf(t_delete, sizeof(t_delete), "$aws/things/%s/shadow/delete", id);
	snprintf(t_del_acc, sizeof(t_del_acc), "$aws/things/%s/shadow/delete/accepted", id);
	snprintf(t_del_rej, sizeof(t_del_rej), "$aws/things/%s/shadow/delete/rejected", id);
	raw_sub1(&r, 1, t_del_acc);
	raw_sub1(&r, 2, t_del_rej);
	admin_patch_shadow(id, "{\"state\":{\"desired\":{\"a\":1}}}");
	admin_patch_shadow(id, "{\"state\":{\"desired\":{\"a\":2}}}");
	admin_patch_shadow(id, "{\"state\":{\"desired\":{\"a\":3}}}");
	v0 = shadow_version(id);
	ck_assert_int_ge(v0, 4);

	raw_pub_acked(&r, 10, t_delete, "", 0);
	j = raw_json_on(&r, t_del_acc);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), v0);
	json_decref(j);
	raw_pub_acked(&r, 11, t_delete, "", 0);
	j = raw_json_on(&r, t_del_rej);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 404);
	json_decref(j);
	raw_close(&r);

	/* REST: the next update continues the version */
	snprintf(path, sizeof(path), "/v1/devices/%s/state", id);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	status = http_rest_auth(&s, "PATCH", path, api, JSON_CT, "{\"desired\":{\"b\":1}}", 19,
				NULL, NULL);
	ck_assert_int_eq(status, 202);
	v = shadow_version(id);
	ck_assert_int_gt(v, v0);
	ck_assert_int_le(v, v0 + 2); /* + the disconnect's connection-state update */

	/* delete again, then restart: still continued */
	raw_device(&r, id);
	raw_sub1(&r, 1, t_del_acc);
	raw_pub_acked(&r, 12, t_delete, "", 0);
	j = raw_json_on(&r, t_del_acc);
	v0 = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	raw_close(&r);
	srv_stop(&s, SIGTERM);
	srv_start(&s, NULL);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "PATCH", path, "{\"state\":{\"desired\":{\"c\":1}}}", &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	ck_assert_int_gt(shadow_version(id), v0);
}
END_TEST


/* Writes text to <test dir>/<name>; its path in path. */
static void write_file(const char *name, const char *text, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", s.dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	fclose(f);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Item 6: CreateDeviceCertificate issues lab-CA credentials that connect (the simulator's JITP
 * path), AssociateDevice and DissociateDevice answer with nRF Cloud's codes, and no /v1 path
 * falls into the firmware file route. */
START_TEST(device_certificate_association_and_v1_routing)
{
	const char *id = "jitp-sim-1";
	char crt[PATH_MAX], key[PATH_MAX], path[256];
	struct raw r;
	json_t *j;
	char *ca;
	long status;

	srv_start(&s, NULL);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	/* the router bug: a three-segment /v1 path used to get 405 "use GET, HEAD" */
	expect_nrf_error(&s, "PUT", "/v1/foo/bar/baz", api, "text/plain", "x", 404, 40420, NULL);
	expect_nrf_error(&s, "GET", "/v1/foo/bar/baz", api, NULL, NULL, 404, 40420, NULL);
	expect_nrf_error(&s, "DELETE", "/v1/x/y/z", api, NULL, NULL, 404, 40420, NULL);

	snprintf(path, sizeof(path), "/v1/devices/%s/certificates", id);
	status = http_rest_auth(&s, "POST", path, NULL, NULL, NULL, 0, NULL, NULL);
	ck_assert_int_eq(status, 401);
	j = rest_json(&s, "POST", path, api, NULL, 201);
	ck_assert_str_eq(json_string_value(json_object_get(j, "clientId")), id);
	ca = read_text(s.ca);
	ck_assert_str_eq(json_string_value(json_object_get(j, "caCert")), ca);
	free(ca);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "clientCert")),
				     "BEGIN CERTIFICATE"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "privateKey")),
				     "PRIVATE KEY"));
	write_file("jitp.crt", json_string_value(json_object_get(j, "clientCert")), crt,
		   sizeof(crt));
	write_file("jitp.key", json_string_value(json_object_get(j, "privateKey")), key,
		   sizeof(key));
	json_decref(j);
	ck_assert_int_eq(raw_connect(&r, &s, id, crt, key, 60, 1, NULL), 0);
	raw_expect_quiet(&r);
	raw_close(&r);
	expect_nrf_error(&s, "POST", "/v1/devices/Bad%20Id!/certificates", api, NULL, NULL, 400,
			 40000, NULL);

	/* AssociateDevice: the ownership code is text/plain */
	snprintf(path, sizeof(path), "/v1/association/%s", id);
	status = http_rest_auth(&s, "PUT", path, api, "text/plain", "123456", 6, NULL, NULL);
	ck_assert_int_eq(status, 202);
	expect_nrf_error(&s, "PUT", path, api, "text/plain", "", 400, 40102, NULL);
	expect_nrf_error(&s, "PUT", "/v1/association/nobody-1", api, "text/plain", "123456", 404,
			 40411, NULL);
	status = http_rest_auth(&s, "PUT", path, NULL, "text/plain", "123456", 6, NULL, NULL);
	ck_assert_int_eq(status, 401);

	/* DissociateDevice */
	expect_nrf_error(&s, "DELETE", "/v1/association/nobody-1", api, NULL, NULL, 404, 40413,
			 NULL);
	snprintf(path, sizeof(path), "/v1/association/account-%s", s.tenant);
	expect_nrf_error(&s, "DELETE", path, api, NULL, NULL, 400, 40103, NULL);
	snprintf(path, sizeof(path), "/v1/association/%s", id);
	status = http_rest_auth(&s, "DELETE", path, api, NULL, NULL, 0, NULL, NULL);
	ck_assert_int_eq(status, 202);
	snprintf(path, sizeof(path), "/v1/devices/%s", id);
	expect_nrf_error(&s, "GET", path, api, NULL, NULL, 404, 40410, NULL);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "delta_storm", delta_storm_device_answering_with_control_gets_one_delta },
		{ "aws_demo", aws_demo_sequence_gets_exactly_one_delta },
		{ "version_delete", shadow_version_survives_delete_rest_and_restart },
		{ "legacy_endpoints", device_certificate_association_and_v1_routing },
	};

	return run_suite("exact", tests, sizeof(tests) / sizeof(tests[0]), NULL, teardown, 120);
}
