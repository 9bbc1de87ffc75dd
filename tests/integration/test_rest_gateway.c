/* SPDX-License-Identifier: MIT
 * test_rest_gateway.c: the BLE gateway operations relayed to a gateway
 * (docs/protocol-rest.md#ble-gateways). A real MQTT client holding a gateway device's
 * certificate subscribes to its c2g topic, receives each forwarded operation and answers reads
 * on g2c; the REST caller gets nRF Cloud's statuses and the value the gateway reported. Also
 * the refusals (a device that is not a gateway or not a BLE device, an unknown device, bad
 * bodies), a read the gateway does not answer, and the journal of it all.
 */
#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define JSON "application/json"
#define GW "gw-1"
#define PERIPH "C0:FF:EE:00:00:01"
#define CHAR_PATH "/v1/devices/" PERIPH "/characteristics/2A19"
#define DESC_PATH CHAR_PATH "/descriptors/2902"

static struct srv s;
static char api[256];
static char c2g[256], g2c[256];

/* Starts the server and onboards GW as a gateway (subType "lte-gateway"), writing the
 * certificate and key the lab CA issued for it into the test folder. */
static void start(void)
{
	json_t *d;
	char path[PATH_MAX];
	FILE *f;
	long st = 0;

	suite_start(&s, NULL, api, sizeof(api));
	d = admin_json(&s, "POST", "/mock/v1/devices",
		       "{\"id\":\"" GW "\",\"subType\":\"lte-gateway\"}", &st);
	ck_assert_msg(st == 200 || st == 201, "onboarding the gateway: %ld", st);
	snprintf(path, sizeof(path), "%s/" GW ".crt", s.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(json_string_value(json_object_get(d, "certificate")), f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/" GW ".key", s.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(json_string_value(json_object_get(d, "privateKey")), f);
	fclose(f);
	json_decref(d);
	snprintf(c2g, sizeof(c2g), "%sm/d/" GW "/c2g", s.prefix);
	snprintf(g2c, sizeof(g2c), "%sm/d/" GW "/g2c", s.prefix);
}

/* Connects the gateway and subscribes it to its c2g topic. */
static void gateway_up(struct dev *d)
{
	char crt[PATH_MAX], key[PATH_MAX];

	snprintf(crt, sizeof(crt), "%s/" GW ".crt", s.dir);
	snprintf(key, sizeof(key), "%s/" GW ".key", s.dir);
	ck_assert_int_eq(dev_connect(d, &s, GW, crt, key, NULL), 0);
	ck_assert_int_eq(dev_subscribe(d, c2g, 1), 1);
}

/* The n-th message the gateway received: on c2g, a gateway operation; its "operation". */
static json_t *operation(struct dev *d, int n)
{
	struct msg *m = dev_wait_message(d, n);
	json_t *j, *op;

	if (!m) {
		json_t *j = journal_items(&s, NULL, NULL);
		char *t = json_dumps(j, JSON_INDENT(1));

		fprintf(stderr, "%s\n", t);
		free(t);
		json_decref(j);
	}
	ck_assert_msg(m != NULL, "the gateway got no message %d", n);
	ck_assert_str_eq(m->topic, c2g);
	j = json_loadb(m->payload, (size_t)m->len, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %.*s", m->len, m->payload);
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "operation");
	op = json_incref(json_object_get(j, "operation"));
	json_decref(j);
	ck_assert_ptr_nonnull(op);
	return op;
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	ck_assert_msg(v != NULL, "no string %s", k);
	return v;
}

/* A request answered status with an empty body. */
static void empty(const char *method, const char *path, const char *body, long status)
{
	char *resp = NULL;
	long got = http_rest_auth(&s, method, path, api, body ? JSON : NULL, body,
				  body ? strlen(body) : 0, &resp, NULL);

	ck_assert_msg(got == status && !*resp, "%s %s: want %ld empty, got %ld %s", method, path,
		      status, got, resp);
	free(resp);
}

static void err(const char *method, const char *path, const char *body, long status, int code,
		const char *part)
{
	expect_nrf_error(&s, method, path, api, body ? JSON : NULL, body, status, code, part);
}

/* A REST call made on a thread of its own while the test plays the gateway. */
struct call {
	pthread_t t;
	const char *method, *path;
	long status;
	char *resp;
};

static void *call_run(void *p)
{
	struct call *c = p;

	c->status = http_rest_auth(&s, c->method, c->path, api, NULL, NULL, 0, &c->resp, NULL);
	return NULL;
}

static void call_start(struct call *c, const char *method, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->path = path;
	ck_assert_int_eq(pthread_create(&c->t, NULL, call_run, c), 0);
}

/* Joins the call; its answer must be status with a JSON body, returned. */
static json_t *call_end(struct call *c, long status)
{
	json_t *j;

	pthread_join(c->t, NULL);
	ck_assert_msg(c->status == status, "%s %s: want %ld, got %ld %s", c->method, c->path,
		      status, c->status, c->resp ? c->resp : "");
	j = json_loads(c->resp, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", c->resp);
	free(c->resp);
	return j;
}

/* The gateway's g2c event of type about attr ("characteristic" or "descriptor") of PERIPH. */
static void report(struct dev *d, const char *type, const char *attr, const char *uuid,
		   const char *value)
{
	char ev[1024];

	snprintf(ev, sizeof(ev),
		 "{\"type\":\"event\",\"gatewayId\":\"" GW "\",\"requestId\":null,\"event\":"
		 "{\"type\":\"%s\",\"timestamp\":\"2026-12-08T03:00:00.000Z\",\"device\":{\"id\":"
		 "\"" PERIPH "\",\"address\":{\"address\":\"" PERIPH "\",\"type\":\"random\"}},"
		 "\"%s\":{\"uuid\":\"%s\",\"path\":\"180F/2A19%s\",\"value\":%s}}}",
		 type, attr, uuid, strcmp(attr, "descriptor") ? "" : "/2902", value);
	ck_assert_int_eq(dev_publish(d, g2c, ev, 1), 0);
}

/* AddPeripheral puts the peripheral in the gateway's desired.desiredConnections (204), once. */
static void add_peripheral(void)
{
	json_t *dev, *list;

	empty("PUT", "/v1/devices/" GW "/" PERIPH, NULL, 204);
	empty("PUT", "/v1/devices/" GW "/" PERIPH, NULL, 204);
	dev = rest_json(&s, "GET", "/v1/devices/" GW, api, NULL, 200);
	ck_assert_str_eq(str(dev, "type"), "Gateway");
	list = json_object_get(json_object_get(json_object_get(dev, "state"), "desired"),
			       "desiredConnections");
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_str_eq(json_string_value(json_array_get(list, 0)), PERIPH);
	json_decref(dev);
}

START_TEST(reads_are_relayed_and_answered_by_the_gateway)
{
	struct dev d = { 0 };
	struct call c;
	json_t *op, *v;

	start();
	gateway_up(&d);
	add_peripheral();

	/* characteristic */
	call_start(&c, "GET", CHAR_PATH);
	op = operation(&d, 1);
	ck_assert_str_eq(str(op, "type"), "device_characteristic_value_read");
	ck_assert_str_eq(str(op, "deviceAddress"), PERIPH);
	ck_assert_str_eq(str(op, "characteristicUUID"), "2A19");
	json_decref(op);
	/* another attribute's result does not answer it */
	report(&d, "device_characteristic_value_read_result", "characteristic", "2A00", "[1]");
	report(&d, "device_characteristic_value_read_result", "characteristic", "2A19", "[87]");
	v = call_end(&c, 200);
	ck_assert_int_eq(json_array_size(v), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 87);
	json_decref(v);

	/* descriptor */
	call_start(&c, "GET", DESC_PATH);
	op = operation(&d, 2);
	ck_assert_str_eq(str(op, "type"), "device_descriptor_value_read");
	ck_assert_str_eq(str(op, "characteristicUUID"), "2A19");
	ck_assert_str_eq(str(op, "descriptorUUID"), "2902");
	json_decref(op);
	report(&d, "device_descriptor_value_read_result", "descriptor", "2902", "[1,0]");
	v = call_end(&c, 200);
	ck_assert_int_eq(json_array_size(v), 2);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 1);
	json_decref(v);

	/* journaled: the REST calls, the operations sent and the events received */
	ck_assert_int_ge(journal_count_topic(&s, "mqtt.send", GW, c2g), 2);
	ck_assert_int_ge(journal_count_topic(&s, "mqtt.publish", GW, g2c), 3);
	ck_assert_int_ge(journal_count(&s, "http.request", NULL, NULL), 5);
	dev_close(&d);
}
END_TEST

START_TEST(scan_discover_and_writes_are_relayed_and_accepted)
{
	struct dev d = { 0 };
	json_t *op;

	start();
	gateway_up(&d);
	add_peripheral();

	empty("POST", "/v1/devices/" GW "/scan",
	      "{\"scanTimeout\":5,\"scanReporting\":\"batch\",\"filter\":{\"rssi\":-70}}", 202);
	op = operation(&d, 1);
	ck_assert_str_eq(str(op, "type"), "scan");
	ck_assert_int_eq(json_integer_value(json_object_get(op, "scanType")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(op, "scanTimeout")), 5);
	ck_assert_str_eq(str(op, "scanReporting"), "batch");
	json_decref(op);
	empty("POST", "/v1/devices/" GW "/scan", NULL, 202); /* the body is optional */
	op = operation(&d, 2);
	ck_assert_str_eq(str(op, "type"), "scan");
	json_decref(op);

	empty("POST", "/v1/devices/" GW "/discover/" PERIPH, NULL, 202);
	op = operation(&d, 3);
	ck_assert_str_eq(str(op, "type"), "device_discover");
	ck_assert_str_eq(str(op, "deviceAddress"), PERIPH);
	json_decref(op);

	empty("PUT", CHAR_PATH, "[1,2,255]", 202);
	op = operation(&d, 4);
	ck_assert_str_eq(str(op, "type"), "device_characteristic_value_write");
	ck_assert_str_eq(str(op, "deviceAddress"), PERIPH);
	ck_assert_str_eq(str(op, "characteristicUUID"), "2A19");
	ck_assert_int_eq(json_array_size(json_object_get(op, "characteristicValue")), 3);
	json_decref(op);

	empty("PUT", DESC_PATH, "[1,0]", 202);
	op = operation(&d, 5);
	ck_assert_str_eq(str(op, "type"), "device_descriptor_value_write");
	ck_assert_str_eq(str(op, "descriptorUUID"), "2902");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(op, "descriptorValue"),
							   0)), 1);
	json_decref(op);
	ck_assert_int_ge(journal_count_topic(&s, "mqtt.send", GW, c2g), 5);
	dev_close(&d);
}
END_TEST

START_TEST(a_read_the_gateway_does_not_answer)
{
	struct dev d = { 0 };
	json_t *v;

	start();
	gateway_up(&d);
	add_peripheral();
	/* nothing known: 404 40410 once the wait is over */
	err("GET", CHAR_PATH, NULL, 404, 40410, "did not report one within");
	ck_assert_int_eq(dev_messages(&d), 1); /* the read did go out */
	/* a value the gateway reported on its own is what a later unanswered read returns, as
	 * nRF Cloud answers from the device state it keeps */
	report(&d, "device_characteristic_value_changed", "characteristic", "2A19", "[42]");
	v = rest_json(&s, "GET", CHAR_PATH, api, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 42);
	json_decref(v);
	dev_close(&d);
}
END_TEST

START_TEST(refusals)
{
	static const char *const gw_ops[][2] = {
		{ "POST", "/v1/devices/" FIXTURE_DEVICE "/scan" },
		{ "POST", "/v1/devices/" FIXTURE_DEVICE "/discover/" PERIPH },
		{ "PUT", "/v1/devices/" FIXTURE_DEVICE "/" PERIPH },
	};
	static const char *const ble_ops[][2] = {
		{ "GET", "/v1/devices/" FIXTURE_DEVICE "/characteristics/2A19" },
		{ "PUT", "/v1/devices/" FIXTURE_DEVICE "/characteristics/2A19" },
		{ "GET", "/v1/devices/" FIXTURE_DEVICE "/characteristics/2A19/descriptors/2902" },
		{ "PUT", "/v1/devices/" FIXTURE_DEVICE "/characteristics/2A19/descriptors/2902" },
	};
	static const char *const bad_scans[] = {
		"[]", "{\"scanType\":2}", "{\"scanTimeout\":70000}", "{\"scanReporting\":\"x\"}",
		"{\"filter\":{\"rssi\":\"low\"}}", "{\"scanTime\":3}", "not json",
	};
	static const char *const bad_values[] = {
		"[]", "[256]", "[-1]", "[1.5]", "{}", "\"01\"", "not json",
	};
	size_t i;

	start();
	/* nRF91 devices are neither gateways nor BLE devices */
	for (i = 0; i < 3; i++)
		err(gw_ops[i][0], gw_ops[i][1], "{}", 400, 40000, "is not a gateway");
	for (i = 0; i < 4; i++)
		err(ble_ops[i][0], ble_ops[i][1], strcmp(ble_ops[i][0], "GET") ? "[1]" : NULL,
		    400, 40000, "is not a BLE device");
	/* unknown devices; a peripheral no gateway was given */
	err("POST", "/v1/devices/nobody/scan", "{}", 404, 40410, "nobody");
	err("POST", "/v1/devices/nobody/discover/" PERIPH, NULL, 404, 40410, "nobody");
	err("PUT", "/v1/devices/nobody/" PERIPH, NULL, 404, 40410, "nobody");
	err("GET", CHAR_PATH, NULL, 404, 40410, "AddPeripheral");
	err("PUT", DESC_PATH, "[1]", 404, 40410, "AddPeripheral");
	/* bad bodies, to a gateway and a peripheral it has */
	for (i = 0; i < sizeof(bad_scans) / sizeof(bad_scans[0]); i++)
		err("POST", "/v1/devices/" GW "/scan", bad_scans[i], 400, 40000, NULL);
	empty("PUT", "/v1/devices/" GW "/" PERIPH, NULL, 204);
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		err("PUT", CHAR_PATH, bad_values[i], 400, 40000, "byte values");
		err("PUT", DESC_PATH, bad_values[i], 400, 40000, "byte values");
	}
	/* none of it reached the gateway, all of it is journaled */
	ck_assert_int_eq(journal_count_topic(&s, "mqtt.send", GW, c2g), 0);
	ck_assert_int_ge(journal_count(&s, "http.request", NULL, NULL), 30);
}
END_TEST

/* A gateway can subscribe to c2g and publish on g2c; another device cannot use the gateway's. */
START_TEST(gateway_topics_belong_to_the_gateway)
{
	struct dev d = { 0 }, other = { 0 };
	char crt[PATH_MAX], key[PATH_MAX];

	start();
	gateway_up(&d);
	ck_assert_int_eq(dev_publish(&d, g2c, "{\"type\":\"event\",\"event\":{}}", 1), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.publish", GW, "g2c", 1), 1);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&other, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	ck_assert_int_ne(dev_subscribe(&other, c2g, 1), 1);
	dev_close(&other);
	dev_close(&d);
}
END_TEST

static struct suite_def def = { "rest_gateway", 120, { &s }, NULL, NULL };

SUITE_MAIN(def, { "reads", reads_are_relayed_and_answered_by_the_gateway },
	   { "writes", scan_discover_and_writes_are_relayed_and_accepted },
	   { "timeout", a_read_the_gateway_does_not_answer }, { "refusals", refusals },
	   { "topics", gateway_topics_belong_to_the_gateway })
