/* SPDX-License-Identifier: MIT
 * test_hotpath.c: what the hot-path caches (docs/performance.md) must never change. A device
 * JWT that verified once is not verified again (server/http/tokcache.c), yet the very same
 * token string is refused, with the answer it gets without the cache, once the device's
 * certificate or public key changes, once the device is deleted, and once the token expires.
 * Firmware downloads answer from open files (server/runtime/fwcache.c), yet a bundle emptied
 * by a reset is no longer served. A device's GET answer is kept (server/http/answercache.c),
 * yet every change of the device or of its shadow, from REST or from the device over MQTT,
 * shows in the next GET.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/rand.h>

#include "file.h"
#include "harness.h"
#include "jwt.h"
#include "pki.h"

#define DEVICE_PATH "/v1/devices/" FIXTURE_DEVICE

static struct srv s;
static char api[256]; /* "Bearer <API key>" */

/* "Bearer <ES256 JWT {"sub":id,"iat":now,"exp":now+exp_off}>" signed with the key in
 * key_path, malloc'd. */
static char *device_jwt(const char *id, const char *key_path, long exp_off)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *k = NULL;
	char *pem = NULL, *tok = NULL, *out;
	size_t len = 0;
	long now = (long)time(NULL);
	json_t *claims = json_pack("{s:s,s:I,s:I}", "sub", id, "iat", (json_int_t)now, "exp",
				   (json_int_t)(now + exp_off));

	ck_assert_msg(ncm_file_read(key_path, 1 << 20, &pem, &len, NULL) == 0, "read %s",
		      key_path);
	ck_assert_int_eq(ncm_pki_key_from_pem(pem, len, &k, NULL), 0);
	ck_assert_msg(ncm_jwt_sign_es256(claims, k, &tok, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(asprintf(&out, "Bearer %s", tok), 0);
	free(tok);
	free(pem);
	json_decref(claims);
	EVP_PKEY_free(k);
	return out;
}

static void accepted(const char *auth)
{
	json_decref(rest_json(&s, "GET", DEVICE_PATH, auth, NULL, 200));
}

/* GET DEVICE_PATH with auth is refused 401 with code 40100 and exactly message. */
static void refused(const char *auth, const char *message)
{
	char *resp = NULL;
	long status = http_rest_auth(&s, "GET", DEVICE_PATH, auth, NULL, NULL, 0, &resp, NULL);
	json_t *j = json_loads(resp ? resp : "", 0, NULL);

	ck_assert_msg(status == 401, "want 401, got %ld %s", status, resp);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 40100);
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")) ?: "", message);
	json_decref(j);
	free(resp);
}

/* POST path (a CSV bulk operation) with one row "<id>,"<PEM of pem_path>"": 202. */
static void register_pem(const char *path, const char *id, const char *pem_path)
{
	char *pem = NULL, *row = NULL, *resp = NULL;
	long status;

	ck_assert_int_eq(ncm_file_read(pem_path, 1 << 20, &pem, NULL, NULL), 0);
	ck_assert_int_ge(asprintf(&row, "%s,\"%s\"\n", id, pem), 0);
	status = http_rest_auth(&s, "POST", path, api, "text/csv", row, strlen(row), &resp, NULL);
	ck_assert_msg(status == 202, "POST %s: %ld %s", path, status, resp);
	free(resp);
	free(row);
	free(pem);
}

START_TEST(a_reused_device_jwt_is_refused_once_the_certificate_or_key_changes_or_it_is_deleted)
{
	char crt[PATH_MAX], key[PATH_MAX], crt2[PATH_MAX], key2[PATH_MAX], dir[PATH_MAX];
	char pub[PATH_MAX], *t, *t2, *pem = NULL, *resp = NULL;
	EVP_PKEY *k = NULL;
	long status;

	suite_start(&s, NULL, api, sizeof(api));
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	t = device_jwt(FIXTURE_DEVICE, key, 600);
	accepted(t);
	accepted(t); /* the same token again: known now */

	/* a new certificate for the device: its old token is refused as any token signed with
	 * the old key is */
	snprintf(dir, sizeof(dir), "%s/rotated", s.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	srv_lab_device(&s, dir, FIXTURE_DEVICE, crt2, key2, sizeof(crt2));
	register_pem("/v1/devices/certificates", FIXTURE_DEVICE, crt2);
	refused(t, "JWT signature does not verify (device " FIXTURE_DEVICE ")");
	refused(t, "JWT signature does not verify (device " FIXTURE_DEVICE ")");
	free(t);

	/* a token of the new key, used twice, then a public key registered for the device */
	t2 = device_jwt(FIXTURE_DEVICE, key2, 600);
	accepted(t2);
	accepted(t2);
	ck_assert_int_eq(ncm_pki_key_new(&k, NULL), 0);
	ck_assert_int_eq(ncm_pki_pubkey_to_pem(k, &pem), 0);
	EVP_PKEY_free(k);
	snprintf(pub, sizeof(pub), "%s/other.pub", dir);
	ck_assert_int_eq(ncm_file_write(pub, pem, strlen(pem), 0600, NULL), 0);
	free(pem);
	register_pem("/v1/devices/public-keys", FIXTURE_DEVICE, pub);
	refused(t2, "JWT signature does not verify (device " FIXTURE_DEVICE ")");
	free(t2);

	/* the certificate again, a token used twice, then the device deleted */
	register_pem("/v1/devices/certificates", FIXTURE_DEVICE, crt2);
	t2 = device_jwt(FIXTURE_DEVICE, key2, 600);
	accepted(t2);
	accepted(t2);
	status = http_rest_auth(&s, "DELETE", DEVICE_PATH, api, NULL, NULL, 0, &resp, NULL);
	ck_assert_msg(status == 202, "DELETE: %ld %s", status, resp);
	free(resp);
	refused(t2, "unknown device " FIXTURE_DEVICE);
	ck_assert_int_ge(journal_count(&s, "http.auth_refused", FIXTURE_DEVICE,
				       "JWT signature does not verify"), 3);
	free(t2);
}
END_TEST

START_TEST(a_reused_device_jwt_is_refused_once_it_expires)
{
	const char *const no_skew[] = { "--jwt-skew", "0", NULL };
	char crt[PATH_MAX], key[PATH_MAX], *t, *resp = NULL;
	time_t exp, sent, deadline;
	struct timespec pause = { 0, 100 * 1000000L };
	long status = 200;
	int accepted_n = 0;

	suite_start(&s, no_skew, api, sizeof(api));
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	t = device_jwt(FIXTURE_DEVICE, key, 3);
	exp = time(NULL) + 3; /* at most the token's exp: it was signed before */
	deadline = exp + 15;
	/* the token is known after its first use; each use is answered by the clock: 200 while
	 * now <= exp, then 401 (the expiry is the event this waits for, polled every 100 ms) */
	while (status == 200) {
		sent = time(NULL);
		ck_assert_msg(sent < deadline, "token still accepted %ld s after its exp",
			      (long)(sent - exp));
		free(resp);
		resp = NULL;
		status = http_rest_auth(&s, "GET", DEVICE_PATH, t, NULL, NULL, 0, &resp, NULL);
		if (status == 200) {
			ck_assert_msg(sent <= exp + 1, "accepted at %ld, exp %ld", (long)sent,
				      (long)exp);
			accepted_n++;
			nanosleep(&pause, NULL);
		}
	}
	ck_assert_msg(accepted_n >= 2, "the token was accepted %d times before it expired",
		      accepted_n);
	ck_assert_msg(status == 401, "after exp: %ld %s", status, resp);
	ck_assert_msg(strstr(resp, "\"JWT expired ") && strstr(resp, "(device " FIXTURE_DEVICE
								 ")\""),
		      "after exp: %s", resp);
	free(resp);
	ck_assert_int_eq(journal_count(&s, "http.auth_refused", FIXTURE_DEVICE, "JWT expired"), 1);
	free(t);
}
END_TEST

START_TEST(a_bundle_emptied_by_a_reset_is_no_longer_downloaded)
{
	const char *const range[] = { "Range: bytes=0-9", NULL };
	unsigned char img[4000], *zip;
	char manifest[256], path[512], *resp = NULL;
	const char *uri, *p;
	struct zipw z;
	size_t zip_len;
	json_t *j;
	long status;

	suite_start(&s, NULL, api, sizeof(api));
	ck_assert_int_eq(RAND_bytes(img, sizeof(img)), 1);
	memset(&z, 0, sizeof(z));
	snprintf(manifest, sizeof(manifest),
		 "{\"name\":\"hot\",\"fwversion\":\"9.9.9\",\"format-version\":1,"
		 "\"files\":[{\"file\":\"app.bin\",\"type\":\"application\",\"size\":%zu}]}",
		 sizeof(img));
	zip_add(&z, "manifest.json", manifest, strlen(manifest), 0);
	zip_add(&z, "app.bin", img, sizeof(img), 0);
	zip = zip_finish(&z, &zip_len);
	status = http_rest_auth(&s, "POST", "/v1/firmwares", api, "application/zip",
				(const char *)zip, zip_len, &resp, NULL);
	free(zip);
	j = json_loads(resp ? resp : "", 0, NULL);
	ck_assert_msg(status == 202 && j, "upload: %ld %s", status, resp);
	free(resp);
	resp = NULL;
	uri = json_string_value(json_array_get(json_object_get(j, "uris"), 0));
	ck_assert_ptr_nonnull(uri);
	p = strstr(uri, "://");
	ck_assert_ptr_nonnull(p);
	p = strchr(p + 3, '/');
	ck_assert_ptr_nonnull(p);
	snprintf(path, sizeof(path), "%s", p);
	json_decref(j);

	/* downloaded twice (the second from the open file), then the world is reset */
	ck_assert_int_eq(http_rest_req(&s, "GET", path, range, NULL, 0, &resp, NULL), 206);
	ck_assert(!memcmp(resp, img, 10));
	free(resp);
	resp = NULL;
	ck_assert_int_eq(http_rest_req(&s, "GET", path, range, NULL, 0, NULL, NULL), 206);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/reset", NULL, NULL), 200);
	ck_assert_int_eq(http_rest_req(&s, "GET", path, range, NULL, 0, NULL, NULL), 404);
	ck_assert_int_eq(http_rest_req(&s, "HEAD", path, NULL, NULL, 0, NULL, NULL), 404);
}
END_TEST


/* GET DEVICE_PATH with the API key: the answer's text (malloc'd). */
static char *device_text(void)
{
	char *resp = NULL;
	long status = http_rest_auth(&s, "GET", DEVICE_PATH, api, NULL, NULL, 0, &resp, NULL);

	ck_assert_msg(status == 200, "GET: %ld %s", status, resp);
	return resp;
}

/* The number at state.<part>.hot.n of a device answer, -1 when absent. */
static long hot_n(const char *answer, const char *part)
{
	json_t *j = json_loads(answer, 0, NULL);
	json_t *v = json_object_get(
		json_object_get(json_object_get(json_object_get(j, "state"), part), "hot"), "n");
	long n = json_is_integer(v) ? (long)json_integer_value(v) : -1;

	json_decref(j);
	return n;
}

START_TEST(a_kept_device_answer_follows_every_change_of_the_device_and_its_shadow)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256], *a, *b, *resp = NULL;
	struct dev d;
	json_t *j;
	long status;

	suite_start(&s, NULL, api, sizeof(api));
	a = device_text();
	b = device_text();
	ck_assert_str_eq(a, b); /* the second is the kept one: the same bytes */
	free(a);
	free(b);

	/* the shadow from REST */
	status = http_rest_auth(&s, "PATCH", DEVICE_PATH "/state", api, "application/json",
				"{\"desired\":{\"hot\":{\"n\":1}}}", 27, &resp, NULL);
	ck_assert_msg(status == 202, "PATCH: %ld %s", status, resp);
	free(resp);
	resp = NULL;
	a = device_text();
	ck_assert_int_eq(hot_n(a, "desired"), 1);
	free(a);

	/* the shadow from the device, over MQTT (acknowledged once stored) */
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(&d, &s, FIXTURE_DEVICE, crt, key, s.ca), 0);
	snprintf(topic, sizeof(topic), "$aws/things/%s/shadow/update", FIXTURE_DEVICE);
	ck_assert_int_eq(dev_publish(&d, topic, "{\"state\":{\"reported\":{\"hot\":{\"n\":2}}}}",
				     1), 0);
	dev_close(&d);
	a = device_text();
	ck_assert_int_eq(hot_n(a, "reported"), 2);
	ck_assert_int_eq(hot_n(a, "desired"), 1);
	free(a);

	/* the device's name */
	status = http_rest_auth(&s, "PUT", DEVICE_PATH "/name", api, "application/json",
				"\"Hot name\"", 10, &resp, NULL);
	ck_assert_msg(status == 202, "PUT name: %ld %s", status, resp);
	free(resp);
	a = device_text();
	j = json_loads(a, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")) ?: "", "Hot name");
	json_decref(j);
	free(a);
}
END_TEST

static const struct suite_def suite = {
	.name = "hotpath", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
	   { "jwt_key_change",
	     a_reused_device_jwt_is_refused_once_the_certificate_or_key_changes_or_it_is_deleted },
	   { "jwt_expiry", a_reused_device_jwt_is_refused_once_it_expires },
	   { "bundle_reset", a_bundle_emptied_by_a_reset_is_no_longer_downloaded },
	   { "device_answer", a_kept_device_answer_follows_every_change_of_the_device_and_its_shadow })
