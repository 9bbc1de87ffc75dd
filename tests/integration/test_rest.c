/* SPDX-License-Identifier: MIT
 * test_rest.c: nRF Cloud's /v1 REST API against the real server (docs/protocol-rest.md, docs/protocol-rest.md#compatibility-checklist):
 * bearer authentication with every refusal reason, the account and its tokens, devices (list,
 * pages, filters, transform, name, tags, shadow PATCH, delete), REST changes reaching MQTT
 * devices, onboarding with certificates from any CA and public keys, the account device,
 * messages, and routing errors.
 */
#include <check.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ca.h"
#include "file.h"
#include "harness.h"
#include "jwt.h"
#include "pki.h"
#include "rawmqtt.h"

#define ISO_MS "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"
#define ULID "^[0-9A-HJKMNP-TV-Z]{26}$"
#define JSON "application/json"

static struct srv s;
static char api[256]; /* "Bearer <API key>" */

static void start(void)
{
	suite_start(&s, NULL, api, sizeof(api));
}

/* ---- HTTP helpers ---- */

static long call(const char *method, const char *path, const char *auth, const char *ctype,
		 const char *body, char **resp)
{
	return http_rest_auth(&s, method, path, auth, ctype, body, body ? strlen(body) : 0, resp,
			      NULL);
}

#define rest_ok(method, path, auth, body, want) rest_json(&s, method, path, auth, body, want)

/* A request that must answer status with an empty body (nRF Cloud's 202s). */
static void expect_empty(const char *method, const char *path, const char *auth,
			 const char *ctype, const char *body, long status)
{
	char *resp = NULL;
	long got = call(method, path, auth, ctype, body, &resp);

	ck_assert_msg(got == status && !*resp, "%s %s: want %ld with no body, got %ld %s", method,
		      path, status, got, resp);
	free(resp);
}

/* A request that must answer nRF Cloud's error body {"code","message"} with status and code;
 * the message equals msg, or starts with it when msg ends in "..." (msg may be NULL). */
static void expect_error(const char *method, const char *path, const char *auth,
			 const char *ctype, const char *body, long status, int code,
			 const char *msg)
{
	char *resp = NULL;
	long got = call(method, path, auth, ctype, body, &resp);
	json_t *j = json_loads(resp, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));
	size_t n = msg ? strlen(msg) : 0;

	ck_assert_msg(got == status, "%s %s: want %ld, got %ld %s", method, path, status, got,
		      resp);
	ck_assert_msg(json_is_integer(json_object_get(j, "code")) && m, "not an nRF error: %s",
		      resp);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), code);
	if (msg && n > 3 && !strcmp(msg + n - 3, "..."))
		ck_assert_msg(!strncmp(m, msg, n - 3), "message '%s' does not start with '%.*s'",
			      m, (int)(n - 3), msg);
	else if (msg)
		ck_assert_str_eq(m, msg);
	json_decref(j);
	free(resp);
}

/* A GET refused by authentication: status, code 40100, the message, and its journal entry. */
static void refused(const char *path, const char *auth, long status, const char *msg)
{
	char part[512];
	size_t n = strlen(msg);

	expect_error("GET", path, auth, NULL, NULL, status, 40100, msg);
	if (n > 3 && !strcmp(msg + n - 3, "..."))
		n -= 3;
	snprintf(part, sizeof(part), "%.*s", (int)n, msg);
	ck_assert_int_ge(journal_wait(&s, "http.auth_refused", NULL, part, 1), 1);
}

static void healthy(void)
{
	long status;

	json_decref(admin_json(&s, "GET", "/health", NULL, &status));
	ck_assert_int_eq(status, 200);
}

static int matches(const char *re, const char *text)
{
	regex_t r;
	int ok;

	ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = text && regexec(&r, text, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

/* Every character as %XX. */
static void pct_all(const char *in, char *out, size_t size)
{
	size_t used = 0;

	for (; *in && used + 4 < size; in++)
		used += (size_t)snprintf(out + used, size - used, "%%%02X", (unsigned char)*in);
	out[used] = '\0';
}

static json_t *get(json_t *j, const char *dotted)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return j;
}

static const char *str(json_t *j, const char *dotted)
{
	return json_string_value(get(j, dotted));
}

/* ---- keys, certificates and JWTs ---- */

static EVP_PKEY *load_key(const char *path)
{
	EVP_PKEY *k = NULL;
	char *pem = NULL;
	size_t len = 0;

	ck_assert_msg(ncm_file_read(path, 1 << 20, &pem, &len, NULL) == 0, "read %s", path);
	ck_assert_int_eq(ncm_pki_key_from_pem(pem, len, &k, NULL), 0);
	free(pem);
	return k;
}

static char *read_text(const char *path)
{
	char *text = NULL;

	ck_assert_msg(ncm_file_read(path, 1 << 20, &text, NULL, NULL) == 0, "read %s", path);
	return text;
}

/* "Bearer <ES256 JWT of claims>" (claims stolen), malloc'd. */
static char *jwt_of(EVP_PKEY *key, json_t *claims)
{
	struct ncm_err_info err = { 0 };
	char *tok = NULL, *out;

	ck_assert_msg(ncm_jwt_sign_es256(claims, key, &tok, &err) == 0, "%s", err.msg);
	json_decref(claims);
	ck_assert_int_ge(asprintf(&out, "Bearer %s", tok), 0);
	free(tok);
	return out;
}

/* A device JWT {"sub":id,"iat","exp"} signed with the key in key_path. */
static char *device_jwt(const char *id, const char *key_path, long iat_off, long exp_off)
{
	EVP_PKEY *k = load_key(key_path);
	long now = (long)time(NULL);
	char *out = jwt_of(k, json_pack("{s:s,s:I,s:I}", "sub", id, "iat",
					(json_int_t)(now + iat_off), "exp",
					(json_int_t)(now + exp_off)));

	EVP_PKEY_free(k);
	return out;
}

static char *fixture_jwt(void)
{
	char crt[PATH_MAX], key[PATH_MAX];

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	return device_jwt(FIXTURE_DEVICE, key, 0, 600);
}

/* "Bearer <b64url(header)>.<b64url(claims)>.<sig>" from texts, for malformed tokens. */
static void raw_jwt(const char *header, const char *claims, const char *sig, char *out,
		    size_t size)
{
	char *h = NULL, *c = NULL;

	ncm_b64url_encode(header, strlen(header), &h);
	ncm_b64url_encode(claims, strlen(claims), &c);
	snprintf(out, size, "Bearer %s.%s.%s", h, c, sig);
	free(h);
	free(c);
}

#define lab_device_in(dir, id, crt, key, size) srv_lab_device(&s, dir, id, crt, key, size)
#define lab_device(id, crt, key, size) lab_device_in(s.dir, id, crt, key, size)

/* A device certificate for id from a CA made here (the server never saw it), or self-signed
 * (issuer = subject, signed by the device's own key) when self_signed; files in s.dir. */
static void foreign_device(const char *id, int self_signed, char *crt, char *key, size_t size)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *ca_key = NULL, *k = NULL;
	X509 *ca = NULL, *cert = NULL;
	time_t now = time(NULL);

	ck_assert_int_eq(ncm_pki_key_new(&k, &err), 0);
	if (self_signed) {
		ck_assert_int_eq(ncm_pki_ca_new(k, id, now, 365, &ca, &err), 0);
		ck_assert_int_eq(ncm_pki_device_cert_new(ca, k, k, id, now, 365, &cert, &err), 0);
	} else {
		ck_assert_int_eq(ncm_pki_key_new(&ca_key, &err), 0);
		ck_assert_int_eq(ncm_pki_ca_new(ca_key, "Own Test CA", now, 365, &ca, &err), 0);
		ck_assert_int_eq(ncm_pki_device_cert_new(ca, ca_key, k, id, now, 365, &cert, &err),
				 0);
	}
	ck_assert_int_eq(ncm_ca_write_device(s.dir, id, cert, k, &err), 0);
	snprintf(crt, size, "%s/%s.crt", s.dir, id);
	snprintf(key, size, "%s/%s.key", s.dir, id);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ca_key);
}

/* POSTs a CSV to path; returns the bulk-ops request after checking its ID and that every value
 * is a string (nrfcloud-utils writes them as "key,value" lines). */
static json_t *bulk(const char *path, const char *ctype, const char *csv)
{
	char *resp = NULL, url[256];
	long status = call("POST", path, api, ctype, csv, &resp);
	json_t *j = json_loads(resp, 0, NULL), *op, *v;
	const char *id = str(j, "bulkOpsRequestId"), *k;

	ck_assert_msg(status == 202, "POST %s (%s): %ld %s", path, ctype, status, resp);
	ck_assert_int_eq(json_object_size(j), 1);
	ck_assert_msg(matches(ULID, id), "bulkOpsRequestId '%s'", id);
	snprintf(url, sizeof(url), "/v1/bulk-ops-requests/%s", id);
	op = rest_ok("GET", url, api, NULL, 200);
	ck_assert_str_eq(str(op, "bulkOpsRequestId"), id);
	json_object_foreach(op, k, v)
		ck_assert_msg(json_is_string(v), "bulk-ops value %s is not a string", k);
	json_decref(j);
	free(resp);
	return op;
}

/* deviceId,,tags,fwTypes,"<PEM of file>"\n */
static char *csv_row(const char *id, const char *tags, const char *fw, const char *pem_path)
{
	char *pem = read_text(pem_path), *row = NULL;

	ck_assert_int_ge(asprintf(&row, "%s,,%s,%s,\"%s\"\n", id, tags, fw, pem), 0);
	free(pem);
	return row;
}

static void write_text(const char *path, const char *text)
{
	ck_assert_int_eq(ncm_file_write(path, text, strlen(text), 0600, NULL), 0);
}

/* deviceId,"<PEM>"\n: pem itself, or read from the file pem names when it is a path. */
static char *pem_row(const char *id, const char *pem)
{
	char *text = pem[0] == '/' ? read_text(pem) : strdup(pem);
	char *row = NULL;

	ck_assert_int_ge(asprintf(&row, "%s,\"%s\"\n", id, text), 0);
	free(text);
	return row;
}

/* A new P-256 key written to <s.dir>/<name>.key (path into path); returns its public PEM. */
static char *new_key_file(const char *name, char *path, size_t size)
{
	struct ncm_err_info err;
	EVP_PKEY *k = NULL;
	char *pem = NULL;

	ck_assert_int_eq(ncm_pki_key_new(&k, &err), 0);
	snprintf(path, size, "%s/%s.key", s.dir, name);
	ncm_pki_key_to_pem(k, &pem);
	write_text(path, pem);
	free(pem);
	ncm_pki_pubkey_to_pem(k, &pem);
	EVP_PKEY_free(k);
	return pem;
}

/* ---- 1. authentication ---- */

START_TEST(malformed_and_unknown_credentials_are_refused_with_401_and_their_reason)
{
	char tok[16384], other_key[PATH_MAX];
	const char *path = "/v1/devices/" FIXTURE_DEVICE;
	const char *claims = "{\"sub\":\"" FIXTURE_DEVICE "\"}";
	char *h = NULL, *c = NULL;

	start();
	refused(path, NULL, 401, "missing \"Authorization: Bearer <token>\" header");
	refused(path, "Basic x", 401, "Authorization header must be \"Bearer <token>\"");
	refused(path, "Bearer 0123456789abcdef", 401, "invalid API key");
	raw_jwt("{\"alg\":\"none\"}", claims, "", tok, sizeof(tok));
	refused(path, tok, 401, "alg none not allowed");
	raw_jwt("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims, "c2ln", tok, sizeof(tok));
	refused(path, tok, 401, "alg HS256 not allowed; only ES256");
	ncm_b64url_encode("{\"alg\":\"ES256\"}", 15, &h);
	ncm_b64url_encode(claims, strlen(claims), &c);
	snprintf(tok, sizeof(tok), "Bearer %s.%s", h, c);
	refused(path, tok, 401, "JWT must have 3 segments, got 2");
	snprintf(tok, sizeof(tok), "Bearer %s.%s.c2ln.c2ln", h, c);
	refused(path, tok, 401, "JWT must have 3 segments, got 4");
	snprintf(tok, sizeof(tok), "Bearer %s.%s.c2ln", h, "e30="); /* padding is not base64url */
	refused(path, tok, 401, "JWT claims are not valid base64url");
	snprintf(tok, sizeof(tok), "Bearer %s.%s.c2ln", "!!!", c);
	refused(path, tok, 401, "JWT header is not valid base64url");
	raw_jwt("{\"alg\":\"ES256\"}", "not json", "c2ln", tok, sizeof(tok));
	refused(path, tok, 401, "JWT claims are not a JSON object");
	free(h);
	free(c);
	memcpy(tok, "Bearer ", 7);
	memset(tok + 7, 'a', 9000);
	tok[9007] = '\0';
	refused(path, tok, 401, "bearer token longer than 8192 bytes");

	/* well-formed and signed, but by nobody the server knows */
	free(new_key_file("other", other_key, sizeof(other_key)));
	h = device_jwt("nrf-unknown-1", other_key, 0, 600);
	refused("/v1/devices/nrf-unknown-1", h, 401, "unknown device nrf-unknown-1");
	free(h);
	h = device_jwt(FIXTURE_DEVICE, other_key, 0, 600);
	refused(path, h, 401, "JWT signature does not verify (device " FIXTURE_DEVICE ")");
	free(h);
	ck_assert_int_ge(journal_count(&s, "http.auth_refused", NULL, NULL), 13);
	healthy();
}
END_TEST

START_TEST(device_jwts_are_checked_for_time_and_scope_and_api_keys_pass)
{
	char crt[PATH_MAX], key[PATH_MAX];
	const char *path = "/v1/devices/" FIXTURE_DEVICE;
	EVP_PKEY *k;
	json_t *j;
	char *t;
	long now = (long)time(NULL);

	start();
	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	/* expired 35 s ago is within the default 60 s skew; 120 s ago is not */
	t = device_jwt(FIXTURE_DEVICE, key, -600, -35);
	json_decref(rest_ok("GET", path, t, NULL, 200));
	free(t);
	t = device_jwt(FIXTURE_DEVICE, key, -600, -120);
	refused(path, t, 401, "JWT expired 1...");
	free(t);
	ck_assert_int_eq(journal_count(&s, "http.auth_refused", FIXTURE_DEVICE, "JWT expired"), 1);
	t = device_jwt(FIXTURE_DEVICE, key, 300, 900);
	refused(path, t, 401, "JWT iat is...");
	free(t);

	t = fixture_jwt();
	refused("/v1/account", t, 403, "device JWT not accepted by GET /v1/account");
	refused("/v1/devices/nrf-352656100000002", t, 403,
		"JWT of device " FIXTURE_DEVICE " may not access device nrf-352656100000002");
	j = rest_ok("GET", path, t, NULL, 200);
	ck_assert_str_eq(str(j, "id"), FIXTURE_DEVICE);
	json_decref(j);
	free(t);

	/* a modem JWT: the device ID after the first '.' of iss, no sub */
	k = load_key(key);
	t = jwt_of(k, json_pack("{s:s,s:I}", "iss", "nRF9160." FIXTURE_DEVICE, "exp",
				(json_int_t)(now + 600)));
	EVP_PKEY_free(k);
	json_decref(rest_ok("GET", path, t, NULL, 200));
	free(t);
	j = rest_ok("GET", path, api, NULL, 200);
	json_decref(j);
	healthy();
}
END_TEST

/* ---- 2. account ---- */

START_TEST(account_info_and_service_and_evaluation_tokens_behave_like_nrf_cloud)
{
	char auth[2048], old_auth[2048];
	EVP_PKEY *k = NULL;
	json_t *j, *key1, *key2, *ev1, *ev2;
	char *t;

	start();
	j = rest_ok("GET", "/v1/account", api, NULL, 200);
	ck_assert_str_eq(str(j, "mqttEndpoint"), "mqtt.nrfcloud.lab");
	ck_assert_str_eq(str(j, "mqttTopicPrefix"), s.prefix);
	ck_assert_str_eq(str(j, "team.tenantId"), s.tenant);
	json_decref(j);
	j = rest_ok("GET", "/v1/status", NULL, NULL, 200); /* no credentials needed */
	ck_assert_str_eq(str(j, "status"), "OK");
	json_decref(j);

	/* a service JWT {"aud":<team>} we sign with the key is recognised as one */
	key1 = rest_ok("POST", "/v1/account/service-key-and-token", api, "{}", 200);
	ck_assert_ptr_nonnull(strstr(str(key1, "key"), "PRIVATE KEY"));
	ck_assert_int_eq(ncm_pki_key_from_pem(str(key1, "key"), strlen(str(key1, "key")), &k, NULL),
			 0);
	t = jwt_of(k, json_pack("{s:s}", "aud", s.tenant));
	EVP_PKEY_free(k);
	snprintf(old_auth, sizeof(old_auth), "%s", t);
	free(t);
	refused("/v1/account", old_auth, 403, "service-key JWT not accepted by GET /v1/account");
	snprintf(auth, sizeof(auth), "Bearer %s", str(key1, "token"));
	refused("/v1/account", auth, 403, "service-key JWT not accepted by GET /v1/account");
	/* a new key: JWTs of the old one no longer verify */
	key2 = rest_ok("POST", "/v1/account/service-key-and-token", api, NULL, 200);
	ck_assert_str_ne(str(key1, "key"), str(key2, "key"));
	refused("/v1/account", old_auth, 401, "service-key JWT signature does not verify");
	j = rest_ok("GET", "/v1/account/service-token", api, NULL, 200);
	ck_assert_str_eq(str(j, "token"), str(key2, "token"));
	ck_assert_msg(matches(ISO_MS, str(j, "createdAt")), "createdAt %s", str(j, "createdAt"));
	json_decref(j);
	json_decref(key1);
	json_decref(key2);

	expect_error("GET", "/v1/account/service-evaluation-token", api, NULL, NULL, 404, 40410,
		     NULL);
	ev1 = rest_ok("POST", "/v1/account/service-evaluation-token", api, NULL, 200);
	ck_assert_msg(matches(ISO_MS, str(ev1, "expires")), "expires %s", str(ev1, "expires"));
	ck_assert_ptr_nonnull(str(ev1, "token"));
	ev2 = rest_ok("POST", "/v1/account/service-evaluation-token", api, NULL, 200);
	ck_assert_str_eq(str(ev1, "token"), str(ev2, "token"));
	json_decref(ev2);
	ev2 = rest_ok("GET", "/v1/account/service-evaluation-token", api, NULL, 200);
	ck_assert_str_eq(str(ev1, "token"), str(ev2, "token"));
	snprintf(auth, sizeof(auth), "Bearer %s", str(ev1, "token"));
	refused("/v1/account", auth, 403, "evaluation token not accepted by GET /v1/account");
	json_decref(ev1);
	json_decref(ev2);
	healthy();
}
END_TEST

/* ---- 3. devices ---- */

static json_t *find_item(json_t *list, const char *id)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, it)
		if (!strcmp(str(it, "id"), id))
			return it;
	return NULL;
}

START_TEST(device_list_has_the_generic_device_shape_and_state_only_when_asked)
{
	json_t *j, *d;

	start();
	j = rest_ok("GET", "/v1/devices", api, NULL, 200);
	d = find_item(j, FIXTURE_DEVICE);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(str(d, "name"), "Lab nRF9160 DK 1");
	ck_assert_str_eq(str(d, "type"), "Generic");
	ck_assert_str_eq(str(d, "tenantId"), s.tenant);
	ck_assert(json_is_array(get(d, "firmware.supports")));
	ck_assert_msg(matches(ISO_MS, str(d, "$meta.createdAt")), "createdAt %s",
		      str(d, "$meta.createdAt"));
	ck_assert_msg(matches(ISO_MS, str(d, "$meta.updatedAt")), "updatedAt %s",
		      str(d, "$meta.updatedAt"));
	ck_assert_ptr_null(json_object_get(d, "state"));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")),
			 json_array_size(json_object_get(j, "items")));
	json_decref(j);

	j = rest_ok("GET", "/v1/devices?includeState=true", api, NULL, 200);
	d = find_item(j, FIXTURE_DEVICE);
	ck_assert_int_eq(json_integer_value(get(d, "state.desired.config.sampleInterval")), 300);
	ck_assert_ptr_null(get(d, "state.metadata"));
	json_decref(j);
	j = rest_ok("GET", "/v1/devices?includeState=true&includeStateMeta=true", api, NULL, 200);
	ck_assert(json_is_object(get(find_item(j, FIXTURE_DEVICE), "state.metadata")));
	json_decref(j);
}
END_TEST

/* Pages through GET /v1/devices?pageLimit=10[&pageSort=desc] into ids; returns the page count. */
static int page_all(const char *sort, char ids[][32], size_t *n)
{
	char path[512], enc[400], tok[300] = "";
	json_t *j, *items, *it;
	size_t i;
	int pages = 0;

	*n = 0;
	do {
		snprintf(path, sizeof(path), "/v1/devices?pageLimit=10%s%s%s", sort,
			 tok[0] ? "&pageNextToken=" : "", tok);
		j = rest_ok("GET", path, api, NULL, 200);
		items = json_object_get(j, "items");
		ck_assert_int_eq(json_integer_value(json_object_get(j, "total")),
				 json_array_size(items));
		ck_assert_int_le(json_array_size(items), 10);
		json_array_foreach(items, i, it) {
			for (size_t k = 0; k < *n; k++)
				ck_assert_str_ne(ids[k], str(it, "id"));
			snprintf(ids[(*n)++], 32, "%s", str(it, "id"));
		}
		tok[0] = '\0';
		if (str(j, "pageNextToken")) {
			ck_assert_int_eq(json_array_size(items), 10);
			/* the second page is asked for with a fully URL-encoded token */
			if (pages == 0)
				pct_all(str(j, "pageNextToken"), enc, sizeof(enc));
			snprintf(tok, sizeof(tok), "%s",
				 pages == 0 ? enc : str(j, "pageNextToken"));
		}
		json_decref(j);
		pages++;
	} while (tok[0] && pages < 10);
	return pages;
}

START_TEST(device_list_pages_through_every_device_once_in_both_orders)
{
	char body[64], asc[40][32], desc[40][32];
	size_t n_asc, n_desc, i;
	long status;

	start();
	for (i = 0; i < 25; i++) {
		snprintf(body, sizeof(body), "{\"id\":\"page-%02zu\"}", i);
		json_decref(admin_json(&s, "POST", "/mock/v1/devices", body, &status));
		ck_assert_int_eq(status, 201);
	}
	ck_assert_int_eq(page_all("", asc, &n_asc), 3);
	ck_assert_int_eq(n_asc, 26);
	for (i = 1; i < n_asc; i++)
		ck_assert_int_lt(strcmp(asc[i - 1], asc[i]), 0);
	ck_assert_int_eq(page_all("&pageSort=desc", desc, &n_desc), 3);
	ck_assert_int_eq(n_desc, 26);
	for (i = 0; i < n_asc; i++)
		ck_assert_str_eq(asc[i], desc[n_desc - 1 - i]);
	expect_error("GET", "/v1/devices?pageNextToken=%21%21%21", api, NULL, NULL, 400, 40000,
		     "invalid pageNextToken");
	expect_error("GET", "/v1/devices?pageLimit=0", api, NULL, NULL, 400, 40000, NULL);
}
END_TEST

static void expect_ids(const char *query, const char *want)
{
	char path[512], got[512] = "";
	json_t *j, *it;
	size_t i, used = 0;

	snprintf(path, sizeof(path), "/v1/devices?%s", query);
	j = rest_ok("GET", path, api, NULL, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", used ? "," : "",
					 str(it, "id"));
	ck_assert_msg(!strcmp(got, want), "%s: want [%s], got [%s]", query, want, got);
	json_decref(j);
}

START_TEST(device_list_filters_by_ids_tags_firmware_and_name)
{
	char body[64];
	long status;

	start();
	for (int i = 0; i < 4; i++) {
		snprintf(body, sizeof(body), "{\"id\":\"flt-%d\"}", i);
		json_decref(admin_json(&s, "POST", "/mock/v1/devices", body, &status));
		ck_assert_int_eq(status, 201);
	}
	expect_empty("PUT", "/v1/devices/flt-1/tags", api, JSON, "[\"blue\",\"x\"]", 202);
	expect_empty("PATCH", "/v1/devices/flt-2/state", api, JSON,
		     "{\"reported\":{\"device\":{\"serviceInfo\":{\"fota_v2\":[\"MODEM\"]}}}}", 202);
	expect_empty("PUT", "/v1/devices/flt-3/name", api, JSON, "\"Garden sensor\"", 202);
	expect_ids("deviceIds=flt-0,FLT-3", "flt-0,flt-3");
	expect_ids("deviceIdentifiers=flt-2", "flt-2");
	expect_ids("tags=blue", "flt-1");
	expect_ids("tags=blue,lab", "flt-1," FIXTURE_DEVICE);
	expect_ids("firmwareSupport=MODEM", "flt-2");
	expect_ids("firmwareSupport=BOOT", "");
	expect_ids("deviceNameFuzzy=nrf9160", FIXTURE_DEVICE);
	expect_ids("deviceNameFuzzy=garden&deviceIds=flt-3", "flt-3");
}
END_TEST

START_TEST(device_get_answers_404_for_unknown_ids_and_bare_transform_results)
{
	char path[512], *esc, *resp;
	json_t *j;

	start();
	j = rest_ok("GET", "/v1/devices/" FIXTURE_DEVICE, api, NULL, 200);
	ck_assert_str_eq(str(j, "id"), FIXTURE_DEVICE);
	ck_assert_int_eq(json_integer_value(get(j, "state.desired.config.sampleInterval")), 300);
	json_decref(j);
	expect_error("GET", "/v1/devices/nobody", api, NULL, NULL, 404, 40410,
		     "device nobody not found");

	esc = curl_easy_escape(NULL, "state.desired.config.sampleInterval", 0);
	snprintf(path, sizeof(path), "/v1/devices/%s?transform=%s", FIXTURE_DEVICE, esc);
	curl_free(esc);
	ck_assert_int_eq(call("GET", path, api, NULL, NULL, &resp), 200);
	ck_assert_str_eq(resp, "300");
	free(resp);
	/* the device library sends it as is */
	ck_assert_int_eq(call("GET", "/v1/devices/" FIXTURE_DEVICE
			      "?transform=state.desired.config.sampleInterval", api, NULL, NULL,
			      &resp), 200);
	ck_assert_str_eq(resp, "300");
	free(resp);
	expect_empty("GET", "/v1/devices/" FIXTURE_DEVICE "?transform=state.desired.config.nothing",
		     api, NULL, NULL, 200);
	esc = curl_easy_escape(NULL, "$string(1/0)", 0);
	snprintf(path, sizeof(path), "/v1/devices/%s?transform=%s", FIXTURE_DEVICE, esc);
	curl_free(esc);
	expect_error("GET", path, api, NULL, NULL, 400, 40000, "transform: ...");
}
END_TEST

START_TEST(device_name_and_tags_are_replaced_and_bad_tags_refused)
{
	const char *path = "/v1/devices/" FIXTURE_DEVICE;
	json_t *j;

	start();
	expect_empty("PUT", "/v1/devices/" FIXTURE_DEVICE "/name", api, JSON, "[\"New name\"]",
		     202);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "name"), "New name");
	json_decref(j);
	expect_empty("PUT", "/v1/devices/" FIXTURE_DEVICE "/name", api, JSON, "\"Other\"", 202);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "name"), "Other");
	json_decref(j);
	expect_error("PUT", "/v1/devices/nobody/name", api, JSON, "\"x\"", 404, 40410, NULL);
	expect_error("PUT", "/v1/devices/" FIXTURE_DEVICE "/name", api, JSON, "[]", 400, 40000,
		     NULL);

	expect_empty("PUT", "/v1/devices/" FIXTURE_DEVICE "/tags", api, JSON, "[\"a\",\"b\"]", 202);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "tags")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tags"), 0)), "a");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tags"), 1)), "b");
	json_decref(j);
	expect_error("PUT", "/v1/devices/" FIXTURE_DEVICE "/tags", api, JSON, "[\"bad tag\"]", 422,
		     42200, "tag 0 must match /^[a-zA-Z0-9_.@:#-]+$/");
}
END_TEST

START_TEST(shadow_patch_mirrors_firmware_and_checks_wrapper_and_version)
{
	const char *path = "/v1/devices/" FIXTURE_DEVICE, *spath = "/v1/devices/" FIXTURE_DEVICE
								      "/state";
	const char *body = "{\"desired\":{\"config\":{\"mode\":\"eco\"}}}";
	char match[64], auth[300], *t, *resp;
	json_t *j;
	long status;

	start();
	snprintf(auth, sizeof(auth), "Authorization: %s", api);
	expect_empty("PATCH", spath, api, JSON,
		     "{\"reported\":{\"device\":{\"deviceInfo\":{\"appVersion\":\"1.2.3\","
		     "\"appName\":\"app\",\"modemFirmware\":\"mfw_nrf9160_1.3.5\"},"
		     "\"serviceInfo\":{\"fota_v2\":[\"APP\",\"MODEM\"]}}}}", 202);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "firmware.app.name"), "app");
	ck_assert_str_eq(str(j, "firmware.app.version"), "1.2.3");
	ck_assert_str_eq(str(j, "firmware.modem"), "mfw_nrf9160_1.3.5");
	ck_assert_int_eq(json_array_size(get(j, "firmware.supports")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(get(j, "firmware.supports"), 0)), "APP");
	ck_assert_str_eq(json_string_value(json_array_get(get(j, "firmware.supports"), 1)),
			 "MODEM");
	ck_assert_str_eq(str(j, "state.reported.device.deviceInfo.appName"), "app");
	json_decref(j);
	/* numbers come back with every digit they were stored with */
	expect_empty("PATCH", spath, api, JSON, "{\"reported\":{\"t\":1796600072267.5,"
		     "\"x\":0.12345678901234567}}", 202);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert(json_real_value(get(j, "state.reported.t")) == 1796600072267.5);
	ck_assert(json_real_value(get(j, "state.reported.x")) == 0.12345678901234567);
	json_int_t version = json_integer_value(get(j, "state.version"));
	json_decref(j);

	expect_error("PATCH", spath, api, JSON, "{\"state\":{\"reported\":{\"a\":1}}}", 400, 40000,
		     "unexpected key \"state\": the body holds only desired and reported (no "
		     "\"state\" wrapper)");
	expect_error("PATCH", spath, api, JSON, "{}", 400, 40000, NULL);
	expect_error("PATCH", "/v1/devices/nobody/state", api, JSON, body, 404, 40410, NULL);

	/* If-Match: the current version passes, another conflicts */
	for (int right = 0; right < 2; right++) {
		snprintf(match, sizeof(match), "If-Match: %lld", (long long)version + !right * 7);
		status = http_rest_req(&s, "PATCH", spath,
				       (const char *const[]){ auth, "Content-Type: " JSON, match,
							      NULL },
				       body, strlen(body), &resp, NULL);
		ck_assert_msg(right ? status == 202 && !*resp
				    : status == 409 && strstr(resp, "\"code\":40900") != NULL,
			      "%s: %ld %s", match, status, resp);
		free(resp);
	}

	/* an If-Match that is no version number is refused, not read as version 0 */
	status = http_rest_req(&s, "PATCH", spath,
			       (const char *const[]){ auth, "Content-Type: " JSON,
						      "If-Match: \"\"", NULL },
			       body, strlen(body), &resp, NULL);
	ck_assert_msg(status == 400 && strstr(resp, "If-Match") != NULL, "%ld %s", status, resp);
	free(resp);

	/* the device itself, with its JWT */
	t = fixture_jwt();
	expect_empty("PATCH", spath, t, JSON, "{\"reported\":{\"config\":{\"mode\":\"eco\"}}}", 202);
	free(t);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "state.reported.config.mode"), "eco");
	ck_assert_str_eq(str(j, "state.desired.config.mode"), "eco");
	json_decref(j);
}
END_TEST

START_TEST(device_delete_answers_202_then_404)
{
	start();
	expect_empty("DELETE", "/v1/devices/" FIXTURE_DEVICE, api, NULL, NULL, 202);
	expect_error("GET", "/v1/devices/" FIXTURE_DEVICE, api, NULL, NULL, 404, 40410, NULL);
	expect_error("DELETE", "/v1/devices/" FIXTURE_DEVICE, api, NULL, NULL, 404, 40414,
		     "device " FIXTURE_DEVICE " not found");
	expect_error("DELETE", "/v1/devices/nobody", api, NULL, NULL, 404, 40414,
		     "device nobody not found");
}
END_TEST

/* ---- 4, 5. REST → MQTT ---- */

static void connect_fixture(struct raw *r, const char *topic)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct raw_pkt p;
	int sp;

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(r, &s, FIXTURE_DEVICE, crt, key, 60, 1, &sp), 0);
	raw_subscribe(r, 100, (const char *const[]){ topic }, 1);
	raw_expect(r, &p, RAW_SUBACK, 100, NULL);
	ck_assert_int_eq(p.rc[0], 1);
	raw_pkt_release(&p);
}

START_TEST(rest_desired_change_reaches_a_connected_device_as_a_delta)
{
	char topic[256];
	struct raw r;
	struct raw_pkt p;
	json_t *j;

	start();
	snprintf(topic, sizeof(topic), "%s/shadow/update/delta/trim", FIXTURE_DEVICE);
	connect_fixture(&r, topic);
	expect_empty("PATCH", "/v1/devices/" FIXTURE_DEVICE "/state", api, JSON,
		     "{\"desired\":{\"config\":{\"interval\":5}}}", 202);
	raw_expect(&r, &p, RAW_PUBLISH, 0, topic);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert_msg(j != NULL, "delta is not JSON: %s", p.payload);
	ck_assert_int_eq(json_integer_value(get(j, "state.config.interval")), 5);
	json_decref(j);
	raw_pkt_release(&p);
	raw_close(&r);
}
END_TEST

START_TEST(deleting_a_connected_device_sends_discon_then_closes_its_connection)
{
	char topic[256];
	struct raw r;
	struct raw_pkt p;

	start();
	snprintf(topic, sizeof(topic), "%sm/d/%s/+/r", s.prefix, FIXTURE_DEVICE);
	connect_fixture(&r, topic);
	expect_empty("DELETE", "/v1/devices/" FIXTURE_DEVICE, api, NULL, NULL, 202);
	snprintf(topic, sizeof(topic), "%sm/d/%s/c2d/r", s.prefix, FIXTURE_DEVICE);
	/* read, not raw_expect: its PUBACK could meet a connection that is already closed */
	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, RAW_PUBLISH);
	ck_assert_str_eq(p.topic, topic);
	ck_assert_str_eq((char *)p.payload, "{\"appId\":\"DEVICE\",\"messageType\":\"DISCON\"}");
	raw_pkt_release(&p);
	raw_read(&r, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_pkt_release(&p);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", FIXTURE_DEVICE,
				      "device deleted through the REST API", 1), 1);
}
END_TEST

/* ---- 6. onboarding ---- */

START_TEST(device_with_a_certificate_from_an_unknown_ca_is_onboarded_by_csv_and_connects)
{
	char crt[PATH_MAX], key[PATH_MAX], *row, *t;
	struct raw r;
	long status;
	json_t *op, *j;
	int sp;

	start();
	foreign_device("own-ca-1", 0, crt, key, sizeof(crt));
	row = csv_row("own-ca-1", "tag1|tag2", "APP|MODEM", crt);
	op = bulk("/v1/devices", "text/plain", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "SUCCEEDED");
	ck_assert_str_eq(str(op, "endpoint"), "ONBOARD_DEVICES");
	ck_assert_ptr_null(json_object_get(op, "errorSummaryUrl"));
	json_decref(op);
	j = rest_ok("GET", "/v1/devices/own-ca-1", api, NULL, 200);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tags"), 1)), "tag2");
	ck_assert_str_eq(json_string_value(json_array_get(get(j, "firmware.supports"), 1)),
			 "MODEM");
	ck_assert(json_is_true(json_object_get(j, "cloudMqttEnabled")));
	json_decref(j);

	/* no restart: the MQTT listener trusts it at once */
	ck_assert_int_eq(raw_connect(&r, &s, "own-ca-1", crt, key, 60, 1, &sp), 0);
	raw_close(&r);
	/* its key signs its JWTs */
	t = device_jwt("own-ca-1", key, 0, 600);
	expect_empty("PATCH", "/v1/devices/own-ca-1/state", t, JSON, "{\"reported\":{\"x\":1}}",
		     202);
	free(t);
	j = admin_json(&s, "GET", "/mock/v1/devices/own-ca-1/shadow", NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_integer_value(get(j, "state.reported.x")), 1);
	json_decref(j);
	/* onboarding it again is a failed row, not a failed request */
	row = csv_row("own-ca-1", "", "", crt);
	op = bulk("/v1/devices", "text/csv", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "FAILED");
	json_decref(op);
}
END_TEST

START_TEST(device_with_a_self_signed_certificate_is_onboarded_and_connects)
{
	char crt[PATH_MAX], key[PATH_MAX], *row;
	struct raw r;
	json_t *op;
	int sp;

	start();
	foreign_device("own-ss-1", 1, crt, key, sizeof(crt));
	row = csv_row("own-ss-1", "", "", crt);
	op = bulk("/v1/devices", "application/octet-stream", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "SUCCEEDED");
	json_decref(op);
	ck_assert_int_eq(raw_connect(&r, &s, "own-ss-1", crt, key, 60, 1, &sp), 0);
	raw_close(&r);
}
END_TEST

START_TEST(csv_onboarding_takes_its_content_types_and_reports_bad_rows_in_a_summary)
{
	static const char *const types[] = { "text/plain;charset=UTF8", "text/csv",
					     "application/octet-stream" };
	char crt[PATH_MAX], key[PATH_MAX], id[32], *row, *two, *resp;
	const char *url, *p;
	json_t *op, *j;

	start();
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "ct-%d", i);
		lab_device(id, crt, key, sizeof(crt));
		row = csv_row(id, "", "", crt);
		op = bulk("/v1/devices", types[i], row);
		free(row);
		ck_assert_msg(!strcmp(str(op, "status"), "SUCCEEDED"), "%s: %s", types[i],
			      str(op, "status"));
		json_decref(op);
		snprintf(crt, sizeof(crt), "/v1/devices/%s", id);
		json_decref(rest_ok("GET", crt, api, NULL, 200));
	}

	/* one good row, one bad: accepted, then FAILED with a summary fetched without auth */
	lab_device("ct-good", crt, key, sizeof(crt));
	row = csv_row("ct-good", "", "", crt);
	ck_assert_int_ge(asprintf(&two, "%s%s", row, row), 0);
	memcpy(strstr(two + strlen(row), "ct-good"), "bad id!", 7);
	op = bulk("/v1/devices", "text/csv", two);
	ck_assert_str_eq(str(op, "status"), "FAILED");
	url = str(op, "errorSummaryUrl");
	ck_assert_ptr_nonnull(url);
	p = strstr(url, "://");
	ck_assert_ptr_nonnull(p);
	p = strchr(p + 3, '/');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(call("GET", p, NULL, NULL, NULL, &resp), 200);
	j = json_loads(resp, 0, NULL);
	ck_assert_msg(json_array_size(json_object_get(j, "errors")) == 1, "%s", resp);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
			 "[1]: invalid deviceId 'bad id!'");
	json_decref(j);
	free(resp);
	json_decref(op);
	json_decref(rest_ok("GET", "/v1/devices/ct-good", api, NULL, 200));

	expect_error("POST", "/v1/devices", api, "text/csv", "x-1,,,,\"-----BEGIN", 422, 42200,
		     "invalid CSV: ...");
	expect_error("POST", "/v1/devices", api, JSON, row, 415, 40000,
		     "Content-Type must be text/csv, text/plain or application/octet-stream");
	free(row);
	free(two);
}
END_TEST

START_TEST(onboarding_refuses_a_certificate_whose_cn_is_another_device)
{
	char crt[PATH_MAX], key[PATH_MAX], *row, *resp;
	const char *url, *p;
	json_t *op, *j, *dev;

	start();
	/* MQTT would never admit it: its client ID must be the certificate's CN */
	lab_device("cn-owner", crt, key, sizeof(crt));
	row = csv_row("cn-other", "", "", crt);
	op = bulk("/v1/devices", "text/csv", row);
	ck_assert_str_eq(str(op, "status"), "FAILED");
	url = str(op, "errorSummaryUrl");
	p = strchr(strstr(url, "://") + 3, '/');
	ck_assert_int_eq(call("GET", p, NULL, NULL, NULL, &resp), 200);
	j = json_loads(resp, 0, NULL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
			 "[0]: certificate CN 'cn-owner' is not the device ID");
	json_decref(j);
	free(resp);
	json_decref(op);
	free(row);
	expect_error("GET", "/v1/devices/cn-other", api, NULL, NULL, 404, 40410,
		     "device cn-other not found");
	/* and a device without subType has no subType key, as nRF Cloud leaves it out */
	dev = rest_ok("GET", "/v1/devices/" FIXTURE_DEVICE, api, NULL, 200);
	ck_assert_str_eq(str(dev, "subType"), "nrf9160dk");
	json_decref(dev);
	{
		long st;

		json_decref(admin_json(&s, "POST", "/mock/v1/devices", "{\"id\":\"no-subtype\"}",
				       &st));
		ck_assert_int_eq(st, 201);
	}
	dev = rest_ok("GET", "/v1/devices/no-subtype", api, NULL, 200);
	ck_assert_ptr_null(json_object_get(dev, "subType"));
	json_decref(dev);
}
END_TEST

START_TEST(single_device_public_key_and_certificate_registration)
{
	char crt[PATH_MAX], key[PATH_MAX], crt2[PATH_MAX], key2[PATH_MAX], path[PATH_MAX];
	char *pem, *body, *t, *row;
	struct raw r;
	json_t *op, *j;
	int sp;

	start();
	/* OnboardDevice: JSON, 202 with an empty body; twice is a conflict */
	lab_device("one-1", crt, key, sizeof(crt));
	pem = read_text(crt);
	j = json_pack("{s:s,s:[s]}", "certificate", pem, "tags", "solo");
	body = json_dumps(j, 0);
	json_decref(j);
	free(pem);
	expect_empty("POST", "/v1/devices/one-1", api, JSON, body, 202);
	expect_error("POST", "/v1/devices/one-1", api, JSON, body, 409, 40900,
		     "device one-1 is already onboarded");
	free(body);
	j = rest_ok("GET", "/v1/devices/one-1", api, NULL, 200);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tags"), 0)), "solo");
	json_decref(j);

	/* RegisterPublicKeys: then a JWT signed with that key works */
	pem = new_key_file("pk-1", key2, sizeof(key2));
	row = pem_row("pk-1", pem);
	row[strlen(row) - 1] = '\0'; /* a final line break is optional */
	free(pem);
	op = bulk("/v1/devices/public-keys", "application/octet-stream", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "SUCCEEDED");
	ck_assert_str_eq(str(op, "endpoint"), "REGISTER_PUBLIC_KEYS");
	json_decref(op);
	t = device_jwt("pk-1", key2, 0, 600);
	j = rest_ok("GET", "/v1/devices/pk-1", t, NULL, 200);
	ck_assert_str_eq(str(j, "id"), "pk-1");
	json_decref(j);
	free(t);

	/* RegisterCertificates replaces one-1's certificate: the new key signs, the old not */
	snprintf(path, sizeof(path), "%s/new", s.dir);
	lab_device_in(path, "one-1", crt2, key2, sizeof(crt2));
	row = pem_row("one-1", crt2);
	op = bulk("/v1/devices/certificates", "text/plain", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "SUCCEEDED");
	ck_assert_str_eq(str(op, "endpoint"), "REGISTER_CERTIFICATES");
	json_decref(op);
	t = device_jwt("one-1", key2, 0, 600);
	json_decref(rest_ok("GET", "/v1/devices/one-1", t, NULL, 200));
	free(t);
	t = device_jwt("one-1", key, 0, 600);
	refused("/v1/devices/one-1", t, 401, "JWT signature does not verify (device one-1)");
	free(t);
	ck_assert_int_eq(raw_connect(&r, &s, "one-1", crt2, key2, 60, 1, &sp), 0);
	raw_close(&r);
	ck_assert_int_ne(raw_connect(&r, &s, "one-1", crt, key, 60, 1, &sp), 0);
	raw_close(&r);
}
END_TEST

/* nRF Cloud keeps one key per device and a newer upload overwrites it (docs/protocol-rest.md#device-public-keys): a
 * certificate registered after a public key must be what verifies the device's JWTs. */
START_TEST(certificate_registered_after_a_public_key_verifies_the_devices_jwts)
{
	char crt[PATH_MAX], key[PATH_MAX], pk[PATH_MAX], *pem, *row, *t;
	json_t *op;

	start();
	/* not pk-2.key: lab_device("pk-2") writes that below */
	pem = new_key_file("pk-2-own", pk, sizeof(pk));
	row = pem_row("pk-2", pem);
	free(pem);
	json_decref(bulk("/v1/devices/public-keys", "text/csv", row));
	free(row);
	t = device_jwt("pk-2", pk, 0, 600);
	json_decref(rest_ok("GET", "/v1/devices/pk-2", t, NULL, 200));
	free(t);

	lab_device("pk-2", crt, key, sizeof(crt));
	row = pem_row("pk-2", crt);
	op = bulk("/v1/devices/certificates", "text/csv", row);
	free(row);
	ck_assert_str_eq(str(op, "status"), "SUCCEEDED");
	json_decref(op);
	t = device_jwt("pk-2", key, 0, 600);
	json_decref(rest_ok("GET", "/v1/devices/pk-2", t, NULL, 200));
	free(t);
	t = device_jwt("pk-2", pk, 0, 600);
	refused("/v1/devices/pk-2", t, 401, "JWT signature does not verify (device pk-2)");
	free(t);
}
END_TEST

/* ---- 7. account device ---- */

START_TEST(account_device_receives_messages_posted_over_rest_until_it_is_deleted)
{
	char crt[PATH_MAX], key[PATH_MAX], topic[256], id[128], body[256];
	const char *msg = "{\"appId\":\"TEMP\",\"data\":\"21\"}";
	struct raw a;
	struct raw_pkt p;
	json_t *j;
	int sp;

	start();
	j = rest_ok("POST", "/v1/devices/account", api, NULL, 200);
	snprintf(id, sizeof(id), "account-%s", s.tenant);
	ck_assert_str_eq(str(j, "clientId"), id);
	ck_assert_ptr_nonnull(strstr(str(j, "clientCert"), "BEGIN CERTIFICATE"));
	ck_assert_ptr_nonnull(strstr(str(j, "privateKey"), "PRIVATE KEY"));
	snprintf(crt, sizeof(crt), "%s/account.crt", s.dir);
	snprintf(key, sizeof(key), "%s/account.key", s.dir);
	write_text(crt, str(j, "clientCert"));
	write_text(key, str(j, "privateKey"));
	json_decref(j);
	ck_assert_int_eq(raw_connect(&a, &s, id, crt, key, 60, 1, &sp), 0);
	snprintf(topic, sizeof(topic), "%sm/#", s.prefix);
	raw_subscribe(&a, 1, (const char *const[]){ topic }, 1);
	raw_expect(&a, &p, RAW_SUBACK, 1, NULL);
	ck_assert_int_eq(p.rc[0], 1);

	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, FIXTURE_DEVICE);
	for (int i = 0; i < 2; i++) {
		snprintf(body, sizeof(body), "{\"message\":%s,\"topic\":\"%sd/%s/d2c\"}", msg,
			 i ? "m/" : "", FIXTURE_DEVICE);
		expect_empty("POST", "/v1/devices/" FIXTURE_DEVICE "/messages", api, JSON, body,
			     202);
		raw_expect(&a, &p, RAW_PUBLISH, 0, topic);
		ck_assert_str_eq((char *)p.payload, msg);
		raw_pkt_release(&p);
	}
	snprintf(body, sizeof(body), "{\"message\":%s,\"topic\":\"d/nrf-other/d2c\"}", msg);
	expect_error("POST", "/v1/devices/" FIXTURE_DEVICE "/messages", api, JSON, body, 400,
		     40000, "topic must be [m/]d/" FIXTURE_DEVICE "/d2c[/...]");
	raw_expect_quiet(&a);

	expect_empty("DELETE", "/v1/devices/account", api, NULL, NULL, 202);
	raw_read(&a, &p, WAIT_MS);
	ck_assert_int_eq(p.type, -1);
	raw_close(&a);
	expect_error("DELETE", "/v1/devices/account", api, NULL, NULL, 404, 40414, NULL);
}
END_TEST

/* ---- 8. messages ---- */

/* GET /v1/messages?query must list the messages whose data are the digits of want; next gets
 * the page token (must be there), or NULL when this must be the last page. */
static void expect_data(const char *query, const char *want, char *next)
{
	char path[512], got[128] = "";
	json_t *j, *it;
	size_t i, used = 0;

	snprintf(path, sizeof(path), "/v1/messages?%s", query);
	j = rest_ok("GET", path, api, NULL, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%lld",
					 (long long)json_integer_value(get(it, "message.data")));
	ck_assert_msg(!strcmp(got, want), "%s: want %s, got %s", query, want, got);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), strlen(want));
	ck_assert_msg((str(j, "pageNextToken") != NULL) == (next != NULL), "%s: pageNextToken",
		      query);
	if (next)
		snprintf(next, 256, "%s", str(j, "pageNextToken"));
	json_decref(j);
}

START_TEST(messages_are_listed_newest_first_in_pages_and_by_filter)
{
	char body[256], query[512], topic[256], tok[256];
	json_t *j, *it;
	size_t i;

	start();
	for (int n = 0; n < 5; n++) {
		snprintf(body, sizeof(body),
			 "{\"message\":{\"appId\":\"%s\",\"data\":%d},\"topic\":\"d/%s/d2c\"}",
			 n % 2 ? "HUMID" : "TEMP", n, FIXTURE_DEVICE);
		expect_empty("POST", "/v1/devices/" FIXTURE_DEVICE "/messages", api, JSON, body,
			     202);
	}
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, FIXTURE_DEVICE);
	j = rest_ok("GET", "/v1/messages?deviceId=" FIXTURE_DEVICE, api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 5);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		ck_assert_str_eq(str(it, "tenantId"), s.tenant);
		ck_assert_str_eq(str(it, "topic"), topic);
		ck_assert_str_eq(str(it, "deviceId"), FIXTURE_DEVICE);
		ck_assert_msg(matches(ISO_MS, str(it, "receivedAt")), "%s", str(it, "receivedAt"));
		ck_assert(json_is_object(json_object_get(it, "message")));
	}
	json_decref(j);
	expect_data("deviceId=" FIXTURE_DEVICE, "43210", NULL);
	expect_data("deviceId=" FIXTURE_DEVICE "&pageSort=asc", "01234", NULL);
	expect_data("deviceId=" FIXTURE_DEVICE "&appId=HUMID", "31", NULL);
	expect_data("appId=TEMP", "420", NULL);
	expect_data("deviceId=" FIXTURE_DEVICE "&inclusiveStart=2099-01-01T00:00:00Z", "", NULL);
	/* pages of 2 through all 5 */
	expect_data("deviceId=" FIXTURE_DEVICE "&pageLimit=2", "43", tok);
	snprintf(query, sizeof(query), "deviceId=%s&pageLimit=2&pageNextToken=%s", FIXTURE_DEVICE,
		 tok);
	expect_data(query, "21", tok);
	snprintf(query, sizeof(query), "deviceId=%s&pageLimit=2&pageNextToken=%s", FIXTURE_DEVICE,
		 tok);
	expect_data(query, "0", NULL);

	expect_error("GET", "/v1/messages?appId=TEMP&topic=x", api, NULL, NULL, 400, 40000,
		     "appId and topic cannot be combined...");
	expect_error("GET", "/v1/messages?start=yesterday", api, NULL, NULL, 400, 40000,
		     "start must be an ISO 8601 time such as 2026-01-31T12:00:00Z");
	expect_error("GET", "/v1/messages?pageNextToken=%21", api, NULL, NULL, 400, 40000,
		     "invalid pageNextToken");
}
END_TEST

/* Like every other /v1/devices/{id}/... endpoint: no messages for a device that is not there. */
START_TEST(posting_a_message_for_an_unknown_device_answers_404)
{
	start();
	expect_error("POST", "/v1/devices/nobody/messages", api, JSON,
		     "{\"message\":{\"appId\":\"TEMP\",\"data\":1},\"topic\":\"d/nobody/d2c\"}",
		     404, 40410, "device nobody not found");
	expect_data("deviceId=nobody", "", NULL);
}
END_TEST

/* ---- 9. routing and bodies ---- */

START_TEST(unknown_paths_wrong_methods_big_and_malformed_bodies_are_refused)
{
	char *big;
	size_t n = 70 * 1024;
	int i;

	start();
	expect_error("GET", "/v1/nothing", api, NULL, NULL, 404, 40420,
		     "resource not found: GET /v1/nothing");
	expect_error("GET", "/v1/nothing", NULL, NULL, NULL, 404, 40420, NULL);
	expect_error("DELETE", "/v1/account", api, NULL, NULL, 405, 40000,
		     "method DELETE not allowed for /v1/account; use GET");
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', n);
	big[0] = '"';
	big[n - 1] = '"';
	big[n] = '\0';
	expect_error("PUT", "/v1/devices/" FIXTURE_DEVICE "/name", api, JSON, big, 413, 40000,
		     "request body larger than 65536 bytes");
	/* a client that sends the body at once (no Expect: 100-continue) still gets the 413:
	 * answering before the body is read made the close a reset, and curl saw no answer */
	free(big);
	n = 4 * 1024 * 1024; /* more than the socket buffers hold */
	big = calloc(1, n);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 3; i++) {
		char auth[300];
		const char *headers[] = { auth, "Content-Type: application/json", "Expect:", NULL };

		snprintf(auth, sizeof(auth), "Authorization: %s", api);
		ck_assert_int_eq(http_rest_req(&s, "PUT", "/v1/devices/" FIXTURE_DEVICE "/name",
					       headers, big, n, NULL, NULL), 413);
	}
	free(big);
	expect_error("PUT", "/v1/devices/" FIXTURE_DEVICE "/name", api, JSON, "[\"x\"", 400, 40000,
		     NULL);
	expect_error("PUT", "/v1/devices/" FIXTURE_DEVICE "/tags", api, JSON, "[\"a\"", 400, 40000,
		     "body must be a JSON array of tags");
	expect_error("PATCH", "/v1/devices/" FIXTURE_DEVICE "/state", api, JSON, "{\"desired\":",
		     400, 40000, NULL);
	expect_error("PATCH", "/v1/devices/" FIXTURE_DEVICE "/state", api, JSON,
		     "{\"desired\":{},\"desired\":{}}", 400, 40000, NULL);
	expect_error("POST", "/v1/devices/" FIXTURE_DEVICE "/messages", api, JSON, "nope", 400,
		     40000, NULL);
	expect_error("POST", "/v1/devices/new-1", api, JSON, "{\"certificate\":", 400, 40000,
		     NULL);
	expect_error("POST", "/v1/account/service-key-and-token", NULL, JSON, "{", 401, 40100,
		     NULL);
	healthy();
	json_decref(rest_ok("GET", "/v1/status", NULL, NULL, 200));
}
END_TEST

static const struct suite_def suite = {
	.name = "rest", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "auth_refusals", malformed_and_unknown_credentials_are_refused_with_401_and_their_reason },
		{ "auth_jwt", device_jwts_are_checked_for_time_and_scope_and_api_keys_pass },
		{ "account", account_info_and_service_and_evaluation_tokens_behave_like_nrf_cloud },
		{ "list_shape", device_list_has_the_generic_device_shape_and_state_only_when_asked },
		{ "list_pages", device_list_pages_through_every_device_once_in_both_orders },
		{ "list_filters", device_list_filters_by_ids_tags_firmware_and_name },
		{ "device_get", device_get_answers_404_for_unknown_ids_and_bare_transform_results },
		{ "name_tags", device_name_and_tags_are_replaced_and_bad_tags_refused },
		{ "state_patch", shadow_patch_mirrors_firmware_and_checks_wrapper_and_version },
		{ "delete", device_delete_answers_202_then_404 },
		{ "delta", rest_desired_change_reaches_a_connected_device_as_a_delta },
		{ "discon", deleting_a_connected_device_sends_discon_then_closes_its_connection },
		{ "own_ca", device_with_a_certificate_from_an_unknown_ca_is_onboarded_by_csv_and_connects },
		{ "self_signed", device_with_a_self_signed_certificate_is_onboarded_and_connects },
		{ "csv", csv_onboarding_takes_its_content_types_and_reports_bad_rows_in_a_summary },
		{ "single_keys_certs", single_device_public_key_and_certificate_registration },
		{ "cn_mismatch", onboarding_refuses_a_certificate_whose_cn_is_another_device },
		{ "key_then_cert", certificate_registered_after_a_public_key_verifies_the_devices_jwts },
		{ "account_device", account_device_receives_messages_posted_over_rest_until_it_is_deleted },
		{ "messages", messages_are_listed_newest_first_in_pages_and_by_filter },
		{ "message_unknown", posting_a_message_for_an_unknown_device_answers_404 },
		{ "routing", unknown_paths_wrong_methods_big_and_malformed_bodies_are_refused })
