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

#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include "ca.h"
#include "pki.h"

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
	j = raw_expect_json(&r, delta);
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
		j = raw_expect_json(&r, get_acc);
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
	j = raw_expect_json(&r, t_del_acc);
	deleted_version = json_integer_value(json_object_get(j, "version"));
	ck_assert_int_ge(deleted_version, 3);
	json_decref(j);

	/* the demo publishes strlen + 1 bytes: the JSON ends with a NUL (item 3) */
	static const char want[] = "{\"state\":{\"desired\":{\"powerOn\":1}},\"clientToken\":\"021909\"}";
	raw_pub_acked(&r, 11, t_update, want, sizeof(want));
	j = raw_expect_json(&r, t_upd_acc);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), deleted_version + 1);
	json_decref(j);
	j = raw_expect_json(&r, t_delta);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "state"),
							    "powerOn")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), deleted_version + 1);
	json_decref(j);
	raw_expect_quiet(&r);

	static const char rep[] = "{\"state\":{\"reported\":{\"powerOn\":1}},\"clientToken\":\"021910\"}";
	raw_pub_acked(&r, 12, t_update, rep, sizeof(rep));
	j = raw_expect_json(&r, t_upd_acc);
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
	j = raw_expect_json(&r, t_del_acc);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), v0);
	json_decref(j);
	raw_pub_acked(&r, 11, t_delete, "", 0);
	j = raw_expect_json(&r, t_del_rej);
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
	j = raw_expect_json(&r, t_del_acc);
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

/* ---- item 5: firmware bundles as NCS builds them ---- */

struct zbuf {
	unsigned char *p;
	size_t n, cap;
};

static void zput(struct zbuf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void zput16(struct zbuf *b, unsigned v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	zput(b, x, 2);
}

static void zput32(struct zbuf *b, unsigned long v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	zput(b, x, 4);
}

/* A ZIP written the way Python's zipfile.ZipFile(name, 'w').write() does it for
 * scripts/bootloader/generate_zip.py (NCS v2.5.0): every entry stored (method 0), version 20,
 * no extra fields, entries in the order given. */
struct zipgen {
	struct zbuf out, cd;
	unsigned entries;
};

static void zipgen_add(struct zipgen *z, const char *name, const void *data, size_t len)
{
	unsigned long crc = crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
	size_t off = z->out.n, nl = strlen(name);

	zput32(&z->out, 0x04034b50);
	zput16(&z->out, 20);
	zput16(&z->out, 0);
	zput16(&z->out, 0);
	zput16(&z->out, 0x6000);
	zput16(&z->out, 0x5781);
	zput32(&z->out, crc);
	zput32(&z->out, (unsigned long)len);
	zput32(&z->out, (unsigned long)len);
	zput16(&z->out, (unsigned)nl);
	zput16(&z->out, 0);
	zput(&z->out, name, nl);
	zput(&z->out, data, len);

	zput32(&z->cd, 0x02014b50);
	zput16(&z->cd, 0x0314);
	zput16(&z->cd, 20);
	zput16(&z->cd, 0);
	zput16(&z->cd, 0);
	zput16(&z->cd, 0x6000);
	zput16(&z->cd, 0x5781);
	zput32(&z->cd, crc);
	zput32(&z->cd, (unsigned long)len);
	zput32(&z->cd, (unsigned long)len);
	zput16(&z->cd, (unsigned)nl);
	zput16(&z->cd, 0);
	zput16(&z->cd, 0);
	zput16(&z->cd, 0);
	zput16(&z->cd, 0);
	zput32(&z->cd, 0100644ul << 16);
	zput32(&z->cd, (unsigned long)off);
	zput(&z->cd, name, nl);
	z->entries++;
}

static unsigned char *zipgen_finish(struct zipgen *z, size_t *len)
{
	size_t cd_off = z->out.n;

	zput(&z->out, z->cd.p, z->cd.n);
	zput32(&z->out, 0x06054b50);
	zput16(&z->out, 0);
	zput16(&z->out, 0);
	zput16(&z->out, z->entries);
	zput16(&z->out, z->entries);
	zput32(&z->out, (unsigned long)z->cd.n);
	zput32(&z->out, (unsigned long)cd_off);
	zput16(&z->out, 0);
	free(z->cd.p);
	*len = z->out.n;
	return z->out.p;
}

/* dfu_application.zip as NCS v2.5's generate_zip.py writes it: app_update.bin, then
 * manifest.json (json.dumps(manifest, indent=4): format-version 0, time, files with the
 * build's key=value pairs, name), under folder ("" or "x/"). fwversion (NULL: none) is the
 * key nRF Cloud requires on top; format_version is 0 or 1. */
static unsigned char *ncs_bundle(const char *folder, int format_version, const char *fwversion,
				 const void *img, size_t img_len, size_t *zip_len)
{
	struct zipgen z;
	char manifest[2048], fw[128] = "", name[256];

	memset(&z, 0, sizeof(z));
	if (fwversion)
		snprintf(fw, sizeof(fw), ",\n    \"fwversion\": \"%s\"", fwversion);
	snprintf(manifest, sizeof(manifest),
		 "{\n    \"format-version\": %d,\n    \"time\": 1700000000,\n    \"files\": [\n"
		 "        {\n            \"load_address\": 65536,\n"
		 "            \"image_index\": \"0\",\n            \"slot_index_primary\": \"1\",\n"
		 "            \"slot_index_secondary\": \"2\",\n"
		 "            \"version_MCUBOOT\": \"0.0.0+0\",\n"
		 "            \"type\": \"application\",\n"
		 "            \"board\": \"nrf9160dk_nrf9160_ns\",\n"
		 "            \"soc\": \"nRF9160_xxAA\",\n            \"size\": %zu,\n"
		 "            \"file\": \"app_update.bin\",\n            \"modtime\": 1700000000\n"
		 "        }\n    ],\n    \"name\": \"asset_tracker_v2\"%s\n}",
		 format_version, img_len, fw);
	snprintf(name, sizeof(name), "%sapp_update.bin", folder);
	zipgen_add(&z, name, img, img_len);
	snprintf(name, sizeof(name), "%smanifest.json", folder);
	zipgen_add(&z, name, manifest, strlen(manifest));
	return zipgen_finish(&z, zip_len);
}

/* Uploads a bundle; the status, and the answer in *resp (malloc'd, may be NULL). */
static long upload_zip(const unsigned char *zip, size_t len, char **resp)
{
	return http_rest_auth(&s, "POST", "/v1/firmwares", api, "application/zip",
			      (const char *)zip, len, resp, NULL);
}

/* The file a 202 upload answer names, downloaded, equals img. */
static void download_matches(const char *resp, const unsigned char *img, size_t len)
{
	json_t *j = json_loads(resp, 0, NULL);
	const char *uri = json_string_value(json_array_get(json_object_get(j, "uris"), 0));
	const char *path;
	char *body = NULL;

	ck_assert_msg(uri != NULL, "no uri in %s", resp);
	path = strstr(uri + strlen("https://"), "/");
	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(http_rest(&s, "GET", path, NULL, &body), 200);
	ck_assert_int_eq(memcmp(body, img, len), 0);
	free(body);
	json_decref(j);
}

START_TEST(ncs_firmware_bundles_format_0_and_1_and_in_a_sub_folder)
{
	unsigned char img[3000], *zip;
	size_t zip_len, i;
	char *resp = NULL;
	long status;

	srv_start(&s, NULL);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	for (i = 0; i < sizeof(img); i++)
		img[i] = (unsigned char)(i * 7 + 1);

	/* NCS <= 2.5 writes format-version 0 */
	zip = ncs_bundle("", 0, "1.0.0", img, sizeof(img), &zip_len);
	status = upload_zip(zip, zip_len, &resp);
	ck_assert_msg(status == 202, "format-version 0: %ld %s", status, resp);
	download_matches(resp, img, sizeof(img));
	free(resp);
	free(zip);
	/* later NCS writes 1 */
	zip = ncs_bundle("", 1, "1.0.1", img, sizeof(img), &zip_len);
	status = upload_zip(zip, zip_len, &resp);
	ck_assert_msg(status == 202, "format-version 1: %ld %s", status, resp);
	free(resp);
	free(zip);
	/* the simulator's sample bundle: manifest.json in one sub-folder */
	zip = ncs_bundle("sample-bundle/", 0, "1.0.2", img, sizeof(img), &zip_len);
	status = upload_zip(zip, zip_len, &resp);
	ck_assert_msg(status == 202, "sub-folder: %ld %s", status, resp);
	download_matches(resp, img, sizeof(img));
	free(resp);
	free(zip);
	/* the build's own ZIP without fwversion stays refused, with the reason */
	zip = ncs_bundle("", 0, NULL, img, sizeof(img), &zip_len);
	expect_nrf_error_n(&s, "POST", "/v1/firmwares", api, "application/zip", (char *)zip,
			   zip_len, 400, 40000, "fwversion missing or invalid");
	free(zip);
	zip = ncs_bundle("", 2, "1.0.3", img, sizeof(img), &zip_len);
	expect_nrf_error_n(&s, "POST", "/v1/firmwares", api, "application/zip", (char *)zip,
			   zip_len, 400, 40000, "format-version must be 0 or 1");
	free(zip);
}
END_TEST

/* Item 4: Nordic's device simulator publishes jobs/req and subscribes to jobs/rcv 40 ms later.
 * A reply to a connected device without a matching subscription is held and delivered once it
 * subscribes; after --reply-hold-ms it is dropped; the journal says which. The waits are on
 * journal records, never sleeps. */
START_TEST(reply_waits_for_the_subscription_within_the_hold)
{
	static const char *const flags[] = { "--reply-hold-ms", "1500", NULL };
	const char *id = "hold-1";
	char get[256], acc[256];
	struct raw r;
	json_t *j;

	srv_start(&s, flags);
	raw_device(&r, id);
	snprintf(get, sizeof(get), "%s/shadow/get/trim", id);
	snprintf(acc, sizeof(acc), "%s/shadow/get/accepted/trim", id);

	/* subscribed first: delivered at once, and journaled as delivered */
	raw_sub1(&r, 1, acc);
	raw_pub_acked(&r, 10, get, "", 0);
	j = raw_expect_json(&r, acc);
	ck_assert(json_is_object(json_object_get(j, "desired")));
	json_decref(j);
	ck_assert_int_ge(journal_wait(&s, "mqtt.send", id, "delivered", 1), 1);
	raw_close(&r);

	/* request first, subscribe once the mock says it holds the reply */
	raw_device(&r, id);
	raw_pub_acked(&r, 11, get, "", 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.send", id, "held", 1), 1);
	raw_expect_quiet(&r);
	raw_sub1(&r, 2, acc);
	j = raw_expect_json(&r, acc);
	ck_assert(json_is_object(json_object_get(j, "desired")));
	json_decref(j);
	ck_assert_int_ge(journal_wait(&s, "mqtt.send", id, "until it subscribed", 1), 1);
	raw_close(&r);

	/* subscribing after the hold: dropped, and journaled so */
	raw_device(&r, id);
	raw_pub_acked(&r, 12, get, "", 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.send", id, "dropped: no subscriber", 1), 1);
	raw_sub1(&r, 3, acc);
	raw_expect_quiet(&r);
	raw_close(&r);
}
END_TEST

/* Item 7: numbers are written as JavaScript writes them (nRF Cloud is a JavaScript service):
 * 63.4216434, not 63.421643400000001, in a delta on the wire, the REST device and the
 * journal. */
START_TEST(numbers_are_written_in_their_shortest_form_everywhere)
{
	const char *id = "num-1";
	char delta[256], path[256], *resp = NULL;
	struct raw r;
	struct raw_pkt p;
	long status;

	srv_start(&s, NULL);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	raw_device(&r, id);
	snprintf(delta, sizeof(delta), "$aws/things/%s/shadow/update/delta", id);
	raw_sub1(&r, 1, delta);
	admin_patch_shadow(id, "{\"state\":{\"desired\":{\"lat\":63.4216434,\"step\":0.1,"
			       "\"tiny\":1e-7,\"whole\":2.0}}}");
	raw_expect(&r, &p, RAW_PUBLISH, 0, delta);
	ck_assert_msg(strstr((char *)p.payload, "\"lat\":63.4216434,") != NULL, "%s", p.payload);
	ck_assert_msg(strstr((char *)p.payload, "\"step\":0.1,") != NULL, "%s", p.payload);
	ck_assert_msg(strstr((char *)p.payload, "\"tiny\":1e-7") != NULL, "%s", p.payload);
	ck_assert_msg(strstr((char *)p.payload, "0000000") == NULL, "%s", p.payload);
	raw_pkt_release(&p);
	raw_close(&r);

	snprintf(path, sizeof(path), "/v1/devices/%s", id);
	status = http_rest_auth(&s, "GET", path, api, NULL, NULL, 0, &resp, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(resp, "63.4216434") && !strstr(resp, "63.42164340000"), "%s", resp);
	ck_assert_msg(strstr(resp, "0.1") && !strstr(resp, "0.10000000000000001"), "%s", resp);
	free(resp);
	resp = NULL;
	snprintf(path, sizeof(path), "/mock/v1/journal?device=%s&kind=mqtt.send", id);
	ck_assert_int_ge(journal_wait(&s, "mqtt.send", id, "delivered", 1), 1);
	ck_assert_int_eq(http_admin(&s, "GET", path, NULL, &resp), 200);
	ck_assert_msg(strstr(resp, "63.4216434") && !strstr(resp, "63.42164340000"), "%s", resp);
	free(resp);
}
END_TEST

/* ---- item 7: TLS-level refusals on the MQTT port ---- */

/* Writes a device certificate for id to <dir>/<name>.crt/.key: signed by the lab CA (rogue 0)
 * or by a CA nobody trusts (rogue 1), valid from now for days. */
static void tls_cert(const char *id, const char *name, int rogue, time_t now, int days,
		     char *crt, char *key, size_t size)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	EVP_PKEY *k = NULL, *rk = NULL;
	X509 *cert = NULL, *rc = NULL;
	FILE *f;

	ck_assert_int_eq(ncm_pki_key_new(&k, &err), 0);
	if (rogue) {
		ck_assert_int_eq(ncm_pki_key_new(&rk, &err), 0);
		ck_assert_int_eq(ncm_pki_ca_new(rk, "rogue CA", now, 365, &rc, &err), 0);
		ck_assert_int_eq(ncm_pki_device_cert_new(rc, rk, k, id, now, days, &cert, &err), 0);
	} else {
		ck_assert_msg(ncm_ca_load(s.data, &ca, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(ncm_pki_device_cert_new(ca.cert, ca.key, k, id, now, days, &cert,
							 &err), 0);
	}
	snprintf(crt, size, "%s/%s.crt", s.dir, name);
	snprintf(key, size, "%s/%s.key", s.dir, name);
	f = fopen(crt, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, cert);
	fclose(f);
	f = fopen(key, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(cert);
	X509_free(rc);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rk);
	ncm_ca_release(&ca);
}

/* A TLS 1.2 handshake with the MQTT port presenting crt/key (NULL: no certificate). 1 when it
 * completed (and the server did not refuse right after, which TLS 1.2 would show in the
 * handshake), else 0. */
static int tls_handshake(const char *crt, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *bio;
	SSL *ssl = NULL;
	char addr[64];
	int ok;

	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_load_verify_locations(ctx, s.ca, NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (crt) {
		ck_assert_int_eq(SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM), 1);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", s.mqtt_port);
	bio = BIO_new_ssl_connect(ctx);
	BIO_get_ssl(bio, &ssl);
	SSL_set_tlsext_host_name(ssl, "localhost");
	BIO_set_conn_hostname(bio, addr);
	ok = BIO_do_handshake(bio) == 1;
	ERR_clear_error();
	BIO_free_all(bio);
	SSL_CTX_free(ctx);
	return ok;
}

/* Unknown CA, expired, not yet valid and no client certificate are refused in the TLS
 * handshake, before MQTT; each is journaled as mqtt.refused with the reason and the peer
 * address. */
START_TEST(tls_refusals_are_journaled_with_reason_and_peer)
{
	char crt[PATH_MAX], key[PATH_MAX];
	time_t now = time(NULL);
	json_t *items;

	srv_start(&s, NULL);
	tls_cert("tls-rogue", "rogue", 1, now, 30, crt, key, sizeof(crt));
	ck_assert_int_eq(tls_handshake(crt, key), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.refused", NULL, "unknown CA", 1), 1);

	tls_cert("tls-old", "old", 0, now - 40 * 86400, 10, crt, key, sizeof(crt));
	ck_assert_int_eq(tls_handshake(crt, key), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.refused", NULL, "expired", 1), 1);

	tls_cert("tls-future", "future", 0, now + 40 * 86400, 10, crt, key, sizeof(crt));
	ck_assert_int_eq(tls_handshake(crt, key), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.refused", NULL, "not yet valid", 1), 1);

	ck_assert_int_eq(tls_handshake(NULL, NULL), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.refused", NULL, "no client certificate", 1), 1);

	items = journal_items(&s, "mqtt.refused", NULL);
	ck_assert_int_ge(json_array_size(items), 4);
	for (size_t i = 0; i < json_array_size(items); i++) {
		const char *r = json_string_value(json_object_get(json_array_get(items, i),
								  "reason"));

		ck_assert_msg(r && strstr(r, "127.0.0.1"), "no peer address in '%s'", r);
	}
	json_decref(items);
}
END_TEST

/* Item 7: a GNSS fix's accuracy, altitude, speed and heading reach the location history's
 * meta; a fix without them keeps meta {}. */
START_TEST(location_history_gnss_entries_carry_the_fix_in_meta)
{
	char *dev = NULL;
	const char *hdrs[] = { NULL, "Content-Type: application/json", NULL };
	static const char full[] = "{\"lat\":63.42,\"lon\":10.43,\"acc\":12.5,\"alt\":105.25,"
				   "\"spd\":1.5,\"hdg\":270}";
	static const char bare[] = "{\"lat\":63.43,\"lon\":10.44}";
	json_t *j, *items, *meta;
	char auth[2048];

	srv_start(&s, NULL);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
	dev = fixture_device_jwt(&s);
	snprintf(auth, sizeof(auth), "Authorization: %s", dev);
	hdrs[0] = auth;
	ck_assert_int_eq(http_rest_req(&s, "POST", "/v1/location/gnss", hdrs, full,
				       sizeof(full) - 1, NULL, NULL), 202);
	ck_assert_int_eq(http_rest_req(&s, "POST", "/v1/location/gnss", hdrs, bare,
				       sizeof(bare) - 1, NULL, NULL), 202);
	free(dev);
	j = rest_json(&s, "GET", "/v1/location/history?deviceId=" FIXTURE_DEVICE, api, NULL, 200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	/* newest first */
	meta = json_object_get(json_array_get(items, 0), "meta");
	ck_assert(json_is_object(meta));
	ck_assert_int_eq(json_object_size(meta), 0);
	meta = json_object_get(json_array_get(items, 1), "meta");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1),
							   "serviceType")), "GNSS");
	ck_assert(json_real_value(json_object_get(meta, "acc")) == 12.5);
	ck_assert(json_real_value(json_object_get(meta, "alt")) == 105.25);
	ck_assert(json_real_value(json_object_get(meta, "spd")) == 1.5);
	ck_assert_int_eq(json_integer_value(json_object_get(meta, "hdg")), 270);
	json_decref(j);
}
END_TEST

/* Item 7: a G3 transform whose result is undefined gets {} (what nRF Cloud's JavaScript
 * serialises {tf: undefined} to), not {"tf":null}. */
START_TEST(g3_transform_without_result_gets_an_empty_object)
{
	static const char req[] = "{\"t\":\"state.desired.nothing_here\"}";
	static const char ok[] = "{\"t\":\"state.desired.pairing.state\"}";
	const char *id = "g3-undef";
	char get[256], acc[256];
	struct raw r;
	struct raw_pkt p;

	srv_start(&s, NULL);
	raw_device(&r, id);
	snprintf(get, sizeof(get), "%s/shadow/get/tf", id);
	snprintf(acc, sizeof(acc), "%s/shadow/get/accepted/tf", id);
	raw_sub1(&r, 1, acc);
	raw_pub_acked(&r, 200, get, req, sizeof(req) - 1);
	raw_expect(&r, &p, RAW_PUBLISH, 0, acc);
	ck_assert_str_eq((char *)p.payload, "{}");
	raw_pkt_release(&p);
	/* a defined result is still {"tf":...}; the request may end with a NUL (item 3) */
	raw_pub_acked(&r, 201, get, ok, sizeof(ok));
	raw_expect(&r, &p, RAW_PUBLISH, 0, acc);
	ck_assert_str_eq((char *)p.payload, "{\"tf\":\"paired\"}");
	raw_pkt_release(&p);
	raw_close(&r);
}
END_TEST

/* Item 3: trailing NULs on every JSON topic are accepted, and what is stored has none. */
START_TEST(trailing_nul_bytes_are_accepted_on_every_json_topic)
{
	static const char d2c[] = "{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"21.5\"}\0";
	static const char bulk[] = "[{\"appId\":\"HUMID\",\"data\":\"40\"}]\0\0";
	static const char upd[] = "{\"state\":{\"reported\":{\"x\":1}}}\0";
	static const char jobs[] = "[\"\"]";
	const char *id = "nul-1";
	char t[512], path[256], *resp = NULL;
	struct raw r;
	json_t *j;
	long status;

	srv_start(&s, NULL);
	raw_device(&r, id);
	snprintf(t, sizeof(t), "%sm/d/%s/d2c", s.prefix, id);
	raw_pub_acked(&r, 1, t, d2c, sizeof(d2c));
	snprintf(t, sizeof(t), "%sm/d/%s/d2c/bulk", s.prefix, id);
	raw_pub_acked(&r, 2, t, bulk, sizeof(bulk));
	snprintf(t, sizeof(t), "%s/shadow/update", id);
	raw_pub_acked(&r, 3, t, upd, sizeof(upd));
	snprintf(t, sizeof(t), "%s%s/jobs/req", s.prefix, id);
	raw_pub_acked(&r, 4, t, jobs, sizeof(jobs));
	raw_expect_quiet(&r);
	raw_close(&r);
	ck_assert_int_eq(journal_count(&s, "mqtt.bad_message", id, NULL), 0);
	ck_assert_int_eq(journal_count(&s, "mqtt.refused", id, NULL), 0);

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages", id);
	status = http_admin(&s, "GET", path, NULL, &resp);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(resp, "21.5") && strstr(resp, "HUMID"), "%s", resp);
	ck_assert_msg(!strstr(resp, "\\u0000"), "stored with the NUL: %s", resp);
	free(resp);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 j, "state"), "reported"), "x")), 1);
	json_decref(j);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "delta_storm", delta_storm_device_answering_with_control_gets_one_delta },
		{ "aws_demo", aws_demo_sequence_gets_exactly_one_delta },
		{ "version_delete", shadow_version_survives_delete_rest_and_restart },
		{ "legacy_endpoints", device_certificate_association_and_v1_routing },
		{ "ncs_bundles", ncs_firmware_bundles_format_0_and_1_and_in_a_sub_folder },
		{ "reply_hold", reply_waits_for_the_subscription_within_the_hold },
		{ "numbers", numbers_are_written_in_their_shortest_form_everywhere },
		{ "location_meta", location_history_gnss_entries_carry_the_fix_in_meta },
		{ "g3_undefined", g3_transform_without_result_gets_an_empty_object },
		{ "trailing_nul", trailing_nul_bytes_are_accepted_on_every_json_topic },
		{ "tls_refusals", tls_refusals_are_journaled_with_reason_and_peer },
	};

	return run_suite("exact", tests, sizeof(tests) / sizeof(tests[0]), NULL, teardown, 120);
}
