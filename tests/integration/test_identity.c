/* SPDX-License-Identifier: MIT
 * test_identity.c: device identity over mutual TLS, topic ACLs, the admin device API and
 * durability, against the real server (mosquitto + plugin) on free ports (issue: foundation).
 */
#include <check.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ca.h"
#include "file.h"
#include "harness.h"
#include "pki.h"

static struct srv s;

/* Issues a lab-CA (or other-CA) certificate for id into <s.dir>/<id>.crt/.key. */
static void issue_from(const char *data_dir, const char *id, char *crt, char *key, size_t size)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	X509 *cert = NULL;
	EVP_PKEY *k = NULL;

	ck_assert_msg(ncm_ca_load(data_dir, &ca, &err) == 0, "%s", err.msg);
	ck_assert_msg(ncm_ca_issue_device(&ca, id, time(NULL), &cert, &k, &err) == 0, "%s",
		      err.msg);
	ck_assert_msg(ncm_ca_write_device(s.dir, id, cert, k, &err) == 0, "%s", err.msg);
	snprintf(crt, size, "%s/%s.crt", s.dir, id);
	snprintf(key, size, "%s/%s.key", s.dir, id);
	X509_free(cert);
	EVP_PKEY_free(k);
	ncm_ca_release(&ca);
}

static char *read_text(const char *path)
{
	char *text = NULL;

	ck_assert_msg(ncm_file_read(path, 1 << 20, &text, NULL, NULL) == 0, "read %s", path);
	return text;
}

START_TEST(serve_announces_ports_and_health_reports_both_listeners)
{
	long status;
	char *body = NULL;
	json_t *j;

	srv_start(&s, NULL);
	ck_assert_str_eq(s.tenant, "7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a");
	ck_assert_str_eq(s.prefix, "prod/7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a/");
	ck_assert_str_eq(s.api_key, "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233");
	j = admin_json(&s, "GET", "/health", NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
	ck_assert(json_is_true(json_object_get(j, "mqtt")));
	ck_assert(json_is_true(json_object_get(j, "https")));
	json_decref(j);

	/* the HTTPS listener answers unknown paths with nRF Cloud's error body */
	status = http_rest(&s, "GET", "/v1/no-such-thing", NULL, &body);
	ck_assert_int_eq(status, 404);
	j = json_loads(body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 40420);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")),
				     "/v1/no-such-thing"));
	json_decref(j);
	free(body);

	status = http_admin(&s, "POST", "/health", "{}", &body);
	ck_assert_int_eq(status, 405);
	ck_assert_ptr_nonnull(strstr(body, "use GET"));
	free(body);
}
END_TEST

START_TEST(lab_device_connects_and_round_trips_messages_on_its_topics)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256];
	struct dev d;
	struct msg *m;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	ck_assert_int_eq(journal_wait(&s, "mqtt.connect", FIXTURE_DEVICE, NULL, 1), 1);

	/* device -> cloud: the PUBACK comes after the message is in the journal */
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, FIXTURE_DEVICE);
	ck_assert_int_eq(dev_publish(&d, topic, "{\"appId\":\"TEMP\",\"data\":\"21.5\"}", 1), 0);
	ck_assert_int_eq(journal_count(&s, "mqtt.publish", FIXTURE_DEVICE, "d2c"), 1);

	/* cloud -> device on the v2.2+ c2d wildcard */
	snprintf(topic, sizeof(topic), "%sm/d/%s/+/r", s.prefix, FIXTURE_DEVICE);
	ck_assert_int_eq(dev_subscribe(&d, topic, 1), 1);
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"topic\":\"%sm/d/%s/c2d/r\",\"payload\":{\"appId\":\"LED\",\"data\":\"on\"},"
		 "\"qos\":1}", s.prefix, FIXTURE_DEVICE);
	j = admin_json(&s, "POST", "/mock/v1/publish", body, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	m = dev_wait_message(&d, 1);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->payload, "{\"appId\":\"LED\",\"data\":\"on\"}");
	ck_assert_ptr_nonnull(strstr(m->topic, "/c2d/r"));

	/* a message for another device does not reach this one */
	snprintf(body, sizeof(body),
		 "{\"topic\":\"%sm/d/nrf-other/c2d/r\",\"payload\":\"x\",\"qos\":1}", s.prefix);
	json_decref(admin_json(&s, "POST", "/mock/v1/publish", body, &status));
	snprintf(body, sizeof(body),
		 "{\"topic\":\"%sm/d/%s/c2d/r\",\"payload\":\"second\",\"qos\":1}", s.prefix,
		 FIXTURE_DEVICE);
	json_decref(admin_json(&s, "POST", "/mock/v1/publish", body, &status));
	m = dev_wait_message(&d, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->payload, "second");
	dev_close(&d);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE, "closed", 1), 1);
}
END_TEST

START_TEST(certificate_from_another_ca_is_refused)
{
	char other[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	const char *sans[] = { "localhost" };
	struct ncm_err_info err;
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	snprintf(other, sizeof(other), "%s/other-ca", s.dir);
	ck_assert_msg(ncm_ca_init(other, sans, 1, time(NULL), NULL, NULL, &err) == 0, "%s",
		      err.msg);
	issue_from(other, "rogue-1", crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, "rogue-1", crt, key, NULL), -1);
	dev_close(&d);
	j = admin_json(&s, "GET", "/mock/v1/devices/rogue-1", NULL, &status);
	ck_assert_int_eq(status, 404);
	json_decref(j);
}
END_TEST

START_TEST(client_id_that_differs_from_certificate_cn_is_refused)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct dev d;

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, "nrf-352656100000002", crt, key, NULL), 5);
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.refused", "nrf-352656100000002",
				      "does not match certificate CN 'nrf-352656100000001'", 1),
			 1);
	/* the record names the client ID, the certificate CN and where it came from */
	long status;
	json_t *j = admin_json(&s, "GET", "/mock/v1/journal?kind=mqtt.refused", NULL, &status);
	const char *payload = json_string_value(
		json_object_get(json_array_get(json_object_get(j, "items"), 0), "payload"));

	ck_assert_ptr_nonnull(payload);
	ck_assert_ptr_nonnull(strstr(payload, "\"clientId\":\"nrf-352656100000002\""));
	ck_assert_ptr_nonnull(strstr(payload, "\"cn\":\"nrf-352656100000001\""));
	ck_assert_ptr_nonnull(strstr(payload, "\"address\":\"127.0.0.1\""));
	json_decref(j);
}
END_TEST

START_TEST(unknown_device_is_refused_without_auto_onboard_until_added_by_admin)
{
	const char *extra[] = { "--no-auto-onboard", NULL };
	char crt[PATH_MAX], key[PATH_MAX], *pem, *body;
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, extra);
	issue_from(s.data, "lab-dut-0001", crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, "lab-dut-0001", crt, key, NULL), 5);
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.refused", "lab-dut-0001",
				      "not onboarded (auto-onboarding is off)", 1), 1);

	pem = read_text(crt);
	j = json_pack("{s:s,s:s,s:[s]}", "id", "lab-dut-0001", "certificate", pem, "tags", "hil");
	body = json_dumps(j, 0);
	json_decref(j);
	j = admin_json(&s, "POST", "/mock/v1/devices", body, &status);
	ck_assert_int_eq(status, 201);
	ck_assert_str_eq(json_string_value(json_object_get(j, "onboardedBy")), "admin");
	json_decref(j);
	free(body);
	free(pem);
	ck_assert_int_eq(dev_connect(&d, &s, "lab-dut-0001", crt, key, NULL), 0);
	dev_close(&d);
}
END_TEST

START_TEST(lab_device_is_onboarded_on_first_connect_with_auto_onboard)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	issue_from(s.data, "lab-dut-0002", crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, "lab-dut-0002", crt, key, NULL), 0);
	dev_close(&d);
	j = admin_json(&s, "GET", "/mock/v1/devices/lab-dut-0002", NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "onboardedBy")), "auto");
	ck_assert_int_gt(json_integer_value(json_object_get(j, "lastConnectAt")), 0);
	json_decref(j);
}
END_TEST

START_TEST(admin_issues_a_certificate_for_a_device_added_without_one)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct ncm_err_info err;
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, (const char *const[]){ "--no-auto-onboard", NULL });
	j = admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"lab-dut-0003\"}", &status);
	ck_assert_int_eq(status, 201);
	snprintf(crt, sizeof(crt), "%s/issued.crt", s.dir);
	snprintf(key, sizeof(key), "%s/issued.key", s.dir);
	const char *c = json_string_value(json_object_get(j, "certificate"));
	const char *k = json_string_value(json_object_get(j, "privateKey"));
	const char *ca = json_string_value(json_object_get(j, "caCertificate"));

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(strstr(ca, "BEGIN CERTIFICATE"));
	ck_assert_int_eq(ncm_file_write(crt, c, strlen(c), 0644, &err), 0);
	ck_assert_int_eq(ncm_file_write(key, k, strlen(k), 0600, &err), 0);
	json_decref(j);
	ck_assert_int_eq(dev_connect(&d, &s, "lab-dut-0003", crt, key, NULL), 0);
	dev_close(&d);
	/* the private key is handed out once and never kept */
	j = admin_json(&s, "GET", "/mock/v1/devices/lab-dut-0003", NULL, &status);
	ck_assert_ptr_null(json_object_get(j, "privateKey"));
	json_decref(j);
}
END_TEST

START_TEST(admin_device_api_refuses_bad_input_with_reasons)
{
	char crt[PATH_MAX], key[PATH_MAX], *pem, *body, big[80 * 1024];
	long status;
	json_t *j;

	srv_start(&s, NULL);
	j = admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":", &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")), "JSON"));
	json_decref(j);
	j = admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"bad/id\"}", &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")), "'/'"));
	json_decref(j);
	j = admin_json(&s, "POST", "/mock/v1/devices",
		       "{\"id\":\"x1\",\"certificate\":\"not a pem\"}", &status);
	ck_assert_int_eq(status, 400);
	json_decref(j);
	/* a certificate whose CN is another device */
	issue_from(s.data, "lab-dut-0004", crt, key, sizeof(crt));
	pem = read_text(crt);
	j = json_pack("{s:s,s:s}", "id", "lab-dut-0005", "certificate", pem);
	body = json_dumps(j, 0);
	json_decref(j);
	j = admin_json(&s, "POST", "/mock/v1/devices", body, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")), "CN"));
	json_decref(j);
	free(body);
	free(pem);
	/* the fixture device exists already */
	j = admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"NRF-352656100000001\"}",
		       &status);
	ck_assert_int_eq(status, 409);
	json_decref(j);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	j = admin_json(&s, "POST", "/mock/v1/devices", big, &status);
	ck_assert_int_eq(status, 413);
	json_decref(j);
	j = admin_json(&s, "DELETE", "/mock/v1/devices/nobody", NULL, &status);
	ck_assert_int_eq(status, 404);
	json_decref(j);
	/* the server is still serving */
	j = admin_json(&s, "GET", "/health", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
}
END_TEST

START_TEST(subscribe_to_another_devices_topic_disconnects_the_client)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256];
	struct dev d;

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	snprintf(topic, sizeof(topic), "%sm/d/nrf-352656100000002/+/r", s.prefix);
	mosquitto_subscribe(d.m, NULL, topic, 1);
	ck_assert(dev_wait_disconnect(&d));
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.acl_denied", FIXTURE_DEVICE, "not one of its", 1),
			 1);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE, "policy violation",
				      1), 1);

	/* publishing on a topic the device may only receive disconnects too */
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	snprintf(topic, sizeof(topic), "%s/shadow/get/accepted", FIXTURE_DEVICE);
	mosquitto_publish(d.m, NULL, topic, 2, "{}", 1, false);
	ck_assert(dev_wait_disconnect(&d));
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.acl_denied", FIXTURE_DEVICE, "cloud-to-device", 1),
			 1);
}
END_TEST

START_TEST(deleted_device_is_disconnected_and_refused_afterwards)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	j = admin_json(&s, "DELETE", "/mock/v1/devices/" FIXTURE_DEVICE, NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	ck_assert(dev_wait_disconnect(&d));
	dev_close(&d);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE,
				      "deleted through the admin API", 1), 1);
	/* auto-onboarding must not bring it back */
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 5);
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.refused", FIXTURE_DEVICE, "was deleted", 1), 1);
}
END_TEST

START_TEST(kill_9_and_restart_keep_the_ca_and_the_devices)
{
	char ca_path[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	char *ca_before, *ca_after, *pem_before, *pem_after;
	struct dev d;
	long status;
	json_t *j;

	srv_start(&s, NULL);
	http_admin(&s, "GET", "/mock/v1/ca.pem", NULL, &pem_before);
	ck_assert_ptr_nonnull(strstr(pem_before, "BEGIN CERTIFICATE"));
	snprintf(ca_path, sizeof(ca_path), "%s/ca/ca.pem", s.data);
	ca_before = read_text(ca_path);
	j = admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"durable-1\"}", &status);
	ck_assert_int_eq(status, 201);
	json_decref(j);
	srv_stop(&s, SIGKILL);

	srv_start(&s, NULL);
	http_admin(&s, "GET", "/mock/v1/ca.pem", NULL, &pem_after);
	ca_after = read_text(ca_path);
	ck_assert_str_eq(ca_before, ca_after);
	ck_assert_str_eq(pem_before, pem_after);
	j = admin_json(&s, "GET", "/mock/v1/devices/durable-1", NULL, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	j = admin_json(&s, "GET", "/mock/v1/devices", NULL, &status);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
	json_decref(j);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	dev_close(&d);
	free(ca_before);
	free(ca_after);
	free(pem_before);
	free(pem_after);
}
END_TEST

/* A raw TLS handshake as the nRF91 modem does it: TLS 1.2 only, one CBC suite. */
static int handshake(const char *cipher, int max_version, const char *crt, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *bio;
	SSL *ssl = NULL;
	char addr[64];
	int ok;

	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, cipher);
	SSL_CTX_load_verify_locations(ctx, s.ca, NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM);
	SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", s.mqtt_port);
	bio = BIO_new_ssl_connect(ctx);
	BIO_get_ssl(bio, &ssl);
	SSL_set_tlsext_host_name(ssl, "mqtt.nrfcloud.lab");
	SSL_set1_host(ssl, "mqtt.nrfcloud.lab");
	BIO_set_conn_hostname(bio, addr);
	ok = BIO_do_handshake(bio) == 1 && SSL_get_verify_result(ssl) == X509_V_OK;
	BIO_free_all(bio);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

START_TEST(mqtt_listener_speaks_tls12_with_the_modems_cbc_suites_and_not_tls11)
{
	char crt[PATH_MAX], key[PATH_MAX];

	srv_start(&s, NULL);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert(handshake("ECDHE-ECDSA-AES128-SHA256", TLS1_2_VERSION, crt, key));
	ck_assert(handshake("ECDHE-ECDSA-AES128-SHA", TLS1_2_VERSION, crt, key));
	ck_assert(handshake("ECDHE-ECDSA-AES128-GCM-SHA256", TLS1_2_VERSION, crt, key));
	ck_assert(!handshake("ECDHE-ECDSA-AES128-SHA", TLS1_1_VERSION, crt, key));
}
END_TEST

START_TEST(root_can_run_the_broker_as_another_user)
{
	char crt[PATH_MAX], key[PATH_MAX], db[PATH_MAX];
	struct stat st;
	struct dev d;

	if (geteuid() != 0 || !getpwnam("mosquitto"))
		return; /* meaningful only as root with the Debian mosquitto user */
	srv_start(&s, (const char *const[]){ "--user", "mosquitto", NULL });
	snprintf(db, sizeof(db), "%s/state.db", s.data);
	ck_assert_int_eq(stat(db, &st), 0);
	ck_assert_int_eq(st.st_uid, getpwnam("mosquitto")->pw_uid);
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	dev_close(&d);
	ck_assert_int_eq(journal_wait(&s, "mqtt.connect", FIXTURE_DEVICE, NULL, 1), 1);
}
END_TEST

/* GET over HTTPS with the API key; the body in *resp. */
static long rest_get(const char *path, char **resp)
{
	char auth[200];

	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	return http_rest_auth(&s, "GET", path, auth, NULL, NULL, 0, resp, NULL);
}

START_TEST(fixture_firmware_bundles_are_preloaded_and_served)
{
	char path[512], *body = NULL;
	long status;
	json_t *j, *it;
	size_t i;
	int found = 0;

	srv_start(&s, NULL);
	status = rest_get("/v1/firmwares?modemOnly=true", &body);
	ck_assert_int_eq(status, 200);
	j = json_loads(body, 0, NULL);
	free(body);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		const char *id = json_string_value(json_object_get(it, "bundleId"));

		found += !strcmp(id, "MODEM*5e1f0a2b*mfw_nrf9160_1.3.5") ||
			 !strcmp(id, "MDM_FULL*7c3d9e10*mfw_nrf9160_1.3.5");
	}
	ck_assert_int_eq(found, 2);
	json_decref(j);
	/* the image is served with its size, where job documents will point */
	snprintf(path, sizeof(path), "/%s/MODEM*5e1f0a2b*mfw_nrf9160_1.3.5/"
		 "mfw_nrf9160_update_from_1.3.4_to_1.3.5.bin", s.tenant);
	status = http_rest(&s, "GET", path, NULL, &body);
	ck_assert_int_eq(status, 200);
	free(body);
}
END_TEST

static const struct suite_def suite = {
	.name = "identity", .timeout_s = 60, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "announce", serve_announces_ports_and_health_reports_both_listeners },
		{ "round_trip", lab_device_connects_and_round_trips_messages_on_its_topics },
		{ "other_ca", certificate_from_another_ca_is_refused },
		{ "cn_mismatch", client_id_that_differs_from_certificate_cn_is_refused },
		{ "no_auto_onboard", unknown_device_is_refused_without_auto_onboard_until_added_by_admin },
		{ "auto_onboard", lab_device_is_onboarded_on_first_connect_with_auto_onboard },
		{ "admin_issue", admin_issues_a_certificate_for_a_device_added_without_one },
		{ "admin_bad_input", admin_device_api_refuses_bad_input_with_reasons },
		{ "acl", subscribe_to_another_devices_topic_disconnects_the_client },
		{ "delete", deleted_device_is_disconnected_and_refused_afterwards },
		{ "kill9", kill_9_and_restart_keep_the_ca_and_the_devices },
		{ "tls", mqtt_listener_speaks_tls12_with_the_modems_cbc_suites_and_not_tls11 },
		{ "user", root_can_run_the_broker_as_another_user },
		{ "fixture_firmware", fixture_firmware_bundles_are_preloaded_and_served })
