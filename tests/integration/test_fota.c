/* SPDX-License-Identifier: MIT
 * test_fota.c: firmware over the air against the real server (docs/fota.md#fota-over-mqtt,
 * docs/fota.md#rest-polling-devices, docs/fota.md#firmware-bundles, docs/fota.md#fota-jobs): bundles uploaded as ZIPs this file writes (stored and deflated entries),
 * the MQTT job sequence of nRF Connect SDK firmware with the image downloaded in 1700-byte
 * Range requests over one keep-alive TLS connection, the REST polling sequence (FOTAPOLL) with
 * the device's own JWT and its unescaped status bodies, and every refusal: types a device does
 * not support, cancelled jobs, other devices' jobs, malformed status arrays, bad bundles, bad
 * ranges and paths outside the firmware folder; bundle listing and deletion, deferred jobs,
 * tags and the deviceIdentifiers body; execution list shapes.
 */
#include <check.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "file.h"
#include "harness.h"
#include "jwt.h"
#include "pki.h"

#define ISO_MS "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"
#define UUID "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#define JSON "application/json"
#define FRAGMENT 1700 /* CONFIG_NRF_CLOUD_FOTA_DOWNLOAD_FRAGMENT_SIZE default (docs/fota.md#image-download) */
#define IMAGE_SIZE (100 * 1024) /* 60 full fragments and a short one of 400 bytes */

static struct srv s;
static char api[256]; /* "Bearer <API key>" */

static void start(void)
{
	suite_start(&s, NULL, api, sizeof(api));
}

/* ---- JSON and text helpers ---- */

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

static json_int_t num(json_t *j, const char *dotted)
{
	json_t *v = get(j, dotted);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", dotted);
	return json_integer_value(v);
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

/* ---- REST helpers (as in test_rest.c) ---- */

static long call(const char *method, const char *path, const char *auth, const char *ctype,
		 const char *body, char **resp)
{
	return http_rest_auth(&s, method, path, auth, ctype, body, body ? strlen(body) : 0, resp,
			      NULL);
}

#define rest_ok(method, path, auth, body, want) rest_json(&s, method, path, auth, body, want)

/* A request that must answer status with an empty body. */
static void expect_empty(const char *method, const char *path, const char *auth,
			 const char *body, long status)
{
	char *resp = NULL;
	long got = call(method, path, auth, body ? JSON : NULL, body, &resp);

	ck_assert_msg(got == status && !*resp, "%s %s: want %ld with no body, got %ld %s", method,
		      path, status, got, resp);
	free(resp);
}

/* nRF Cloud's error body with status and code, the message containing part (harness.h). */
#define expect_error(method, path, auth, ctype, body, body_len, status, code, part) \
	expect_nrf_error_n(&s, method, path, auth, ctype, body, body_len, status, code, part)

/* ---- device JWTs ---- */

static char *device_jwt_pem(const char *id, const char *key_pem, size_t key_len)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *k = NULL;
	long now = (long)time(NULL);
	json_t *claims = json_pack("{s:s,s:I,s:I}", "sub", id, "iat", (json_int_t)now, "exp",
				   (json_int_t)(now + 600));
	char *tok = NULL, *out;

	ck_assert_int_eq(ncm_pki_key_from_pem(key_pem, key_len, &k, NULL), 0);
	ck_assert_msg(ncm_jwt_sign_es256(claims, k, &tok, &err) == 0, "%s", err.msg);
	json_decref(claims);
	EVP_PKEY_free(k);
	out = malloc(strlen(tok) + 8);
	sprintf(out, "Bearer %s", tok);
	free(tok);
	return out;
}

/* "Bearer <JWT>" of the fixture device, signed with its key, malloc'd. */
static char *fixture_jwt(void)
{
	char crt[PATH_MAX], key[PATH_MAX], *pem = NULL, *out;
	size_t len = 0;

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_msg(ncm_file_read(key, 1 << 20, &pem, &len, NULL) == 0, "read %s", key);
	out = device_jwt_pem(FIXTURE_DEVICE, pem, len);
	free(pem);
	return out;
}

/* A device added through the admin API (the lab CA issues its certificate) with tags (a JSON
 * array text or NULL); returns "Bearer <its JWT>", malloc'd. */
static char *add_device(const char *id, const char *tags)
{
	char body[512], *out;
	const char *pem;
	long status;
	json_t *j;

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"tags\":%s}", id, tags ? tags : "[]");
	j = admin_json(&s, "POST", "/mock/v1/devices", body, &status);
	ck_assert_msg(status == 201, "adding %s: %ld", id, status);
	pem = json_string_value(json_object_get(j, "privateKey"));
	ck_assert_ptr_nonnull(pem);
	out = device_jwt_pem(id, pem, strlen(pem));
	json_decref(j);
	return out;
}

/* The device reports the FOTA types it supports (types: JSON array text), as the SDK does in
 * its service info (docs/protocol-rest.md#shadow-update); auth is the API key or the device's JWT. */
static void supports(const char *id, const char *types, const char *auth)
{
	char path[256], body[256];

	snprintf(path, sizeof(path), "/v1/devices/%s/state", id);
	snprintf(body, sizeof(body),
		 "{\"reported\":{\"device\":{\"serviceInfo\":{\"fota_v2\":%s}}}}", types);
	expect_empty("PATCH", path, auth ? auth : api, body, 202);
}

/* A bundle ZIP: manifest.json (deflated) naming file of type (a manifest file type), and the
 * image (stored or deflated). */
static unsigned char *typed_bundle_zip(const char *type, const char *version, const char *file,
				       const void *img, size_t len, int deflate_image,
				       size_t *zip_len)
{
	struct zipw z;
	char manifest[512];

	memset(&z, 0, sizeof(z));
	snprintf(manifest, sizeof(manifest),
		 "{\"name\":\"fota test\",\"fwversion\":\"%s\",\"format-version\":1,"
		 "\"files\":[{\"file\":\"%s\",\"type\":\"%s\",\"size\":%zu}]}",
		 version, file, type, len);
	zip_add(&z, "manifest.json", manifest, strlen(manifest), 1);
	zip_add(&z, file, img, len, deflate_image);
	return zip_finish(&z, zip_len);
}

static unsigned char *bundle_zip(const char *version, const char *file, const void *img,
				 size_t len, int deflate_image, size_t *zip_len)
{
	return typed_bundle_zip("application", version, file, img, len, deflate_image, zip_len);
}

/* ---- bundles ---- */

struct bundle {
	char id[128];        /* APP*xxxxxxxx*<version> */
	char file[64];
	char path[512];      /* /<tenant>/<bundleId>/<file> */
	unsigned char *img;
	size_t len;
};

static void sha256(const void *data, size_t len, unsigned char md[32])
{
	unsigned int n = 0;

	ck_assert_int_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
}

static long upload(const void *zip, size_t len, const char *ctype, char **resp)
{
	return http_rest_auth(&s, "POST", "/v1/firmwares", api, ctype, (const char *)zip, len,
			      resp, NULL);
}

/* Uploads a random image of len bytes as a bundle of a manifest file type (whose bundle IDs
 * start with prefix) and checks the 202 {"uris":[...]} answer:
 * https://<fota host>:<port>/<tenant>/<bundleId>/<file>. */
static void upload_typed(struct bundle *b, const char *type, const char *prefix_re,
			 const char *version, size_t len, int deflate_image)
{
	unsigned char *zip;
	size_t zip_len, plen;
	char *resp = NULL, prefix[256], re[256];
	const char *uri, *slash;
	json_t *j;
	long status;

	memset(b, 0, sizeof(*b));
	b->len = len;
	b->img = malloc(len);
	ck_assert_int_eq(RAND_bytes(b->img, (int)len), 1);
	snprintf(b->file, sizeof(b->file), "app_update-%s.bin", version);
	zip = typed_bundle_zip(type, version, b->file, b->img, len, deflate_image, &zip_len);
	status = upload(zip, zip_len, "application/zip", &resp);
	free(zip);
	j = json_loads(resp, 0, NULL);
	ck_assert_msg(status == 202 && j, "upload: %ld %s", status, resp);
	free(resp);
	ck_assert_int_eq(json_array_size(json_object_get(j, "uris")), 1);
	uri = json_string_value(json_array_get(json_object_get(j, "uris"), 0));
	snprintf(prefix, sizeof(prefix), "https://firmware.nrfcloud.lab:%d/%s/", s.https_port,
		 s.tenant);
	plen = strlen(prefix);
	ck_assert_msg(uri && !strncmp(uri, prefix, plen), "uri %s does not start with %s", uri,
		      prefix);
	slash = strchr(uri + plen, '/');
	ck_assert_ptr_nonnull(slash);
	ck_assert_str_eq(slash + 1, b->file);
	snprintf(b->id, sizeof(b->id), "%.*s", (int)(slash - (uri + plen)), uri + plen);
	snprintf(re, sizeof(re), "^%s\\*[0-9a-zA-Z]{8}\\*%s$", prefix_re, version);
	ck_assert_msg(matches(re, b->id), "bundle ID %s", b->id);
	snprintf(b->path, sizeof(b->path), "/%s/%s/%s", s.tenant, b->id, b->file);
	json_decref(j);
}

static void upload_bundle(struct bundle *b, const char *version, size_t len, int deflate_image)
{
	upload_typed(b, "application", "APP", version, len, deflate_image);
}

static void bundle_release(struct bundle *b)
{
	free(b->img);
	b->img = NULL;
}

/* ---- jobs ---- */

/* POST /v1/fota-jobs with body: 201 {"jobId": a UUID of at most 36 characters}. */
static void create_job(const char *body, char job[64])
{
	json_t *j = rest_ok("POST", "/v1/fota-jobs", api, body, 201);
	const char *id = json_string_value(json_object_get(j, "jobId"));

	ck_assert_msg(id && strlen(id) <= 36 && matches(UUID, id), "jobId %s", id);
	snprintf(job, 64, "%s", id);
	json_decref(j);
}

static void job_for(const char *bundle_id, const char *device, char job[64])
{
	char body[512];

	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\"]}", bundle_id,
		 device);
	create_job(body, job);
}

static json_t *job_get(const char *job)
{
	char path[256];

	snprintf(path, sizeof(path), "/v1/fota-jobs/%s", job);
	return rest_ok("GET", path, api, NULL, 200);
}

/* ---- image download: one libcurl handle, so one keep-alive TLS connection ---- */

struct dl {
	CURL *c;
	struct curl_slist *resolve, *hdrs;
	char url[1024];
	struct growbuf body, head;
	long connects; /* sum of CURLINFO_NUM_CONNECTS */
	int requests;
};

static size_t on_bytes(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	growbuf_add(userdata, ptr, size * nmemb);
	return size * nmemb;
}

/* Opens a downloader for https://<host>/<path> as the device would (host "name:port" of the
 * job document, resolved to loopback, TLS checked against the lab CA and that name). */
static void dl_open(struct dl *d, const char *host, const char *path)
{
	char resolve[512];

	memset(d, 0, sizeof(*d));
	snprintf(resolve, sizeof(resolve), "%s:127.0.0.1", host);
	d->resolve = curl_slist_append(NULL, resolve);
	snprintf(d->url, sizeof(d->url), "https://%s/%s", host, path);
	d->c = curl_easy_init();
	ck_assert_ptr_nonnull(d->c);
	curl_easy_setopt(d->c, CURLOPT_URL, d->url);
	curl_easy_setopt(d->c, CURLOPT_RESOLVE, d->resolve);
	curl_easy_setopt(d->c, CURLOPT_CAINFO, s.ca);
	curl_easy_setopt(d->c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(d->c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(d->c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(d->c, CURLOPT_WRITEDATA, &d->body);
	curl_easy_setopt(d->c, CURLOPT_HEADERFUNCTION, on_bytes);
	curl_easy_setopt(d->c, CURLOPT_HEADERDATA, &d->head);
	curl_easy_setopt(d->c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(d->c, CURLOPT_NOSIGNAL, 1L);
	d->hdrs = curl_slist_append(NULL, "Connection: keep-alive");
	curl_easy_setopt(d->c, CURLOPT_HTTPHEADER, d->hdrs);
}

static void dl_close(struct dl *d)
{
	curl_easy_cleanup(d->c);
	curl_slist_free_all(d->resolve);
	curl_slist_free_all(d->hdrs);
	free(d->body.p);
	free(d->head.p);
}

/* One "Range: bytes=from-(from+1699)" request: must answer 206 HTTP/1.1 with a lower-case
 * content-range naming the bytes sent and the total, over the one connection. Appends the bytes
 * to *img and returns how many came. */
static size_t dl_fragment(struct dl *d, size_t from, size_t total, struct growbuf *img)
{
	char range[64], want[128];
	long status = 0, version = 0, connects = -1;
	size_t last = from + FRAGMENT - 1 < total - 1 ? from + FRAGMENT - 1 : total - 1;
	CURLcode rc;

	d->body.n = d->head.n = 0;
	snprintf(range, sizeof(range), "%zu-%zu", from, from + FRAGMENT - 1);
	curl_easy_setopt(d->c, CURLOPT_RANGE, range);
	rc = curl_easy_perform(d->c);
	ck_assert_msg(rc == CURLE_OK, "range %s: %s", range, curl_easy_strerror(rc));
	curl_easy_getinfo(d->c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(d->c, CURLINFO_HTTP_VERSION, &version);
	curl_easy_getinfo(d->c, CURLINFO_NUM_CONNECTS, &connects);
	d->connects += connects;
	d->requests++;
	ck_assert_msg(status == 206, "range %s answered %ld", range, status);
	ck_assert_int_eq(version, CURL_HTTP_VERSION_1_1);
	ck_assert_msg(d->connects == 1, "after %d requests %ld connections (one keep-alive "
		      "connection expected)", d->requests, d->connects);
	growbuf_add(&d->head, "", 1);
	snprintf(want, sizeof(want), "\r\ncontent-range: bytes %zu-%zu/%zu\r\n", from, last, total);
	ck_assert_msg(strstr((char *)d->head.p, want), "range %s: no '%s' in\n%s", range, want + 2,
		      d->head.p);
	ck_assert_uint_eq(d->body.n, last - from + 1);
	growbuf_add(img, d->body.p, d->body.n);
	return d->body.n;
}

/* Downloads the whole image in fragments; at every 10 % (10, 20, ... 100) calls progress. The
 * last fragment must be short. Returns the assembled image (malloc'd). */
static unsigned char *download(const char *host, const char *path, size_t total,
			       void (*progress)(int pct, void *ud), void *ud)
{
	struct growbuf img = { 0 };
	struct dl d;
	size_t got, off = 0;
	int next = 10;

	dl_open(&d, host, path);
	while (off < total) {
		got = dl_fragment(&d, off, total, &img);
		off += got;
		if (off == total)
			ck_assert_msg(got < FRAGMENT, "last fragment is %zu bytes", got);
		while (next <= 100 && off * 100 >= (size_t)next * total) {
			if (progress)
				progress(next, ud);
			next += 10;
		}
	}
	ck_assert_int_eq(next, 110);
	ck_assert_int_eq(d.requests, (int)((total + FRAGMENT - 1) / FRAGMENT));
	ck_assert_int_eq(d.connects, 1);
	dl_close(&d);
	return img.p;
}

static void same_image(const unsigned char *got, const struct bundle *b)
{
	unsigned char a[32], w[32];

	sha256(got, b->len, a);
	sha256(b->img, b->len, w);
	ck_assert_msg(!memcmp(a, w, 32), "SHA-256 of the download differs from the image");
}

/* ---- raw file requests (any method, any Range, the path sent as it is) ---- */

struct fetched {
	long status;
	struct growbuf body, head;
};

static void fetch(const char *method, const char *path, const char *range, struct fetched *f)
{
	char url[2048], hdr[256];
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();

	memset(f, 0, sizeof(*f));
	snprintf(url, sizeof(url), "https://localhost:%d%s", s.https_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CAINFO, s.ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_bytes);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &f->head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (range) {
		snprintf(hdr, sizeof(hdr), "Range: %s", range);
		hdrs = curl_slist_append(hdrs, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	growbuf_add(&f->head, "", 1);
	f->head.n--;
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
}

static void fetched_release(struct fetched *f)
{
	free(f->body.p);
	free(f->head.p);
}

static void expect_fetch(const char *method, const char *path, const char *range, long status,
			 const char *header_line)
{
	struct fetched f;

	fetch(method, path, range, &f);
	ck_assert_msg(f.status == status, "%s %s (Range %s): want %ld, got %ld", method, path,
		      range ? range : "-", status, f.status);
	ck_assert_msg(!header_line || strstr((char *)f.head.p, header_line),
		      "%s %s: no '%s' in\n%s", method, path, header_line, f.head.p);
	fetched_release(&f);
}

/* ---- MQTT helpers ---- */

static void topic_of(char *buf, size_t size, const char *id, const char *leaf)
{
	snprintf(buf, size, "%s%s/%s", s.prefix, id, leaf);
}

static void connect_fixture(struct dev *d)
{
	char crt[PATH_MAX], key[PATH_MAX], rcv[256];

	srv_device_files(&s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(dev_connect(d, &s, FIXTURE_DEVICE, crt, key, NULL), 0);
	topic_of(rcv, sizeof(rcv), FIXTURE_DEVICE, "jobs/rcv");
	ck_assert_int_eq(dev_subscribe(d, rcv, 1), 1);
}

static void report(struct dev *d, const char *payload)
{
	char topic[256];

	topic_of(topic, sizeof(topic), FIXTURE_DEVICE, "jobs/update");
	ck_assert_msg(dev_publish(d, topic, payload, 1) == 0, "no PUBACK for %s", payload);
}

static int rcv_sent(const char *id)
{
	char topic[256];

	topic_of(topic, sizeof(topic), id, "jobs/rcv");
	return journal_count_topic(&s, "mqtt.send", NULL, topic);
}

/* Waits (POST /mock/v1/wait) until a push on id's jobs/rcv is journaled: the broker thread
 * journals a delivery once it knows the device subscribed (docs/compatibility.md#replies-held-until-the-device-subscribes), which can
 * be after the REST answer that queued it, and after the device has the message. */
static void wait_rcv_sent(const char *id)
{
	char topic[256], body[512];
	long status = 0;
	json_t *j;

	topic_of(topic, sizeof(topic), id, "jobs/rcv");
	snprintf(body, sizeof(body), "{\"kind\":\"mqtt.send\",\"topic\":\"%s\",\"timeout_ms\":%d}",
		 topic, WAIT_MS);
	j = admin_json(&s, "POST", "/mock/v1/wait", body, &status);
	ck_assert_msg(status == 200, "no mqtt.send on %s journaled (%ld)", topic, status);
	json_decref(j);
}

/* Checks a job document from jobs/rcv (docs/fota.md#job-document) against the job, the firmware type
 * number and the bundle. */
static void check_typed_document(const struct msg *m, const char *job, int type,
				 const struct bundle *b)
{
	json_t *j = json_loadb(m->payload, (size_t)m->len, 0, NULL);
	char host[128], path[512];

	ck_assert_msg(json_is_array(j) && json_array_size(j) == 5, "job document %s", m->payload);
	ck_assert_str_eq(json_string_value(json_array_get(j, 0)), job);
	ck_assert_uint_le(strlen(job), 36);
	ck_assert(json_is_integer(json_array_get(j, 1)));
	ck_assert_int_eq(json_integer_value(json_array_get(j, 1)), type);
	ck_assert(json_is_integer(json_array_get(j, 2)));
	ck_assert_int_eq(json_integer_value(json_array_get(j, 2)), (json_int_t)b->len);
	snprintf(host, sizeof(host), "firmware.nrfcloud.lab:%d", s.https_port);
	ck_assert_str_eq(json_string_value(json_array_get(j, 3)), host);
	/* the path as the device uses it after a '/' (docs/fota.md#image-download) */
	snprintf(path, sizeof(path), "%s/%s/%s", s.tenant, b->id, b->file);
	ck_assert_str_eq(json_string_value(json_array_get(j, 4)), path);
	json_decref(j);
}

static void check_job_document(const struct msg *m, const char *job, const struct bundle *b)
{
	check_typed_document(m, job, 0, b);
}

struct mqtt_progress {
	struct dev *d;
	const char *job;
	int reports;
};

static void mqtt_progress(int pct, void *ud)
{
	struct mqtt_progress *p = ud;
	char payload[128];

	snprintf(payload, sizeof(payload), "[\"%s\",7,%d]", p->job, pct);
	report(p->d, payload);
	p->reports++;
}

/* ==== 1. the MQTT sequence (docs/fota.md#status-updates) ==== */

START_TEST(mqtt_device_takes_a_job_downloads_it_in_ranges_over_one_connection_and_succeeds_after_reboot)
{
	struct bundle b;
	struct dev d;
	struct msg *m;
	struct mqtt_progress prog;
	char job[64], req[256], payload[256], host[128], path[512], what[128];
	unsigned char *got;
	json_t *j, *items, *it;
	int sent, publishes, msgs;
	size_t i;
	static const int want_status[] = { 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 1, 3 };

	start();
	upload_bundle(&b, "1.2.3", IMAGE_SIZE, 0);
	supports(FIXTURE_DEVICE, "[\"APP\",\"MODEM\"]", NULL);
	connect_fixture(&d);
	job_for(b.id, FIXTURE_DEVICE, job);

	/* pushed unsolicited, then again in answer to [""]; the push is journaled for its
	 * device, found from the topic */
	wait_rcv_sent(FIXTURE_DEVICE);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 1);
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/rcv");
	ck_assert_int_eq(journal_count_topic(&s, "mqtt.send", FIXTURE_DEVICE, req), 1);
	m = dev_wait_message(&d, 1);
	ck_assert_msg(m != NULL, "no job document pushed on jobs/rcv");
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/rcv");
	ck_assert_str_eq(m->topic, req);
	check_job_document(m, job, &b);
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/req");
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	m = dev_wait_message(&d, 2);
	ck_assert_msg(m != NULL, "no job document in answer to [\"\"]");
	check_job_document(m, job, &b);
	j = json_loadb(m->payload, (size_t)m->len, 0, NULL);
	snprintf(host, sizeof(host), "%s", json_string_value(json_array_get(j, 3)));
	snprintf(path, sizeof(path), "%s", json_string_value(json_array_get(j, 4)));
	json_decref(j);

	/* download start, then every 10 % */
	snprintf(payload, sizeof(payload), "[\"%s\",7,0]", job);
	report(&d, payload);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "IN_PROGRESS");
	ck_assert_int_eq(num(j, "executionStats.downloading"), 1);
	json_decref(j);
	prog = (struct mqtt_progress){ &d, job, 0 };
	got = download(host, path, b.len, mqtt_progress, &prog);
	ck_assert_int_eq(prog.reports, 10);
	same_image(got, &b);
	free(got);

	/* downloaded: IN_PROGRESS, then the device reboots and reports SUCCEEDED at pairing */
	snprintf(payload, sizeof(payload), "[\"%s\",1,\"\"]", job);
	report(&d, payload);
	dev_close(&d);
	connect_fixture(&d);
	snprintf(payload, sizeof(payload), "[\"%s\",3,\"\"]", job);
	report(&d, payload);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "COMPLETED");
	ck_assert_int_eq(num(j, "executionStats.succeeded"), 1);
	ck_assert_int_eq(num(j, "executionStats.completedExecutions"), 1);
	ck_assert_int_eq(num(j, "executionStats.downloading"), 0);
	ck_assert_msg(matches(ISO_MS, str(j, "completedAt")), "completedAt %s",
		      str(j, "completedAt"));
	json_decref(j);

	/* the PUBACK got lost: the same final report again is acknowledged and changes nothing */
	report(&d, payload);
	ck_assert_int_eq(journal_count(&s, "fota.status_refused", FIXTURE_DEVICE, NULL), 0);
	ck_assert_int_eq(journal_count(&s, "mqtt.bad_message", FIXTURE_DEVICE, NULL), 0);
	ck_assert(dev_connected(&d));

	/* a finished job is never offered again: [""] gets no answer */
	sent = rcv_sent(FIXTURE_DEVICE);
	publishes = journal_count(&s, "mqtt.publish", FIXTURE_DEVICE, NULL);
	msgs = dev_messages(&d);
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.publish", FIXTURE_DEVICE, NULL, publishes + 1),
			 publishes + 1);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), sent);
	ck_assert_int_eq(dev_messages(&d), msgs);

	/* the journal tells the whole lifecycle, in order */
	items = journal_items(&s, "fota.status", FIXTURE_DEVICE);
	ck_assert_int_eq(json_array_size(items), sizeof(want_status) / sizeof(want_status[0]));
	json_array_foreach(items, i, it) {
		int st = want_status[i];

		snprintf(what, sizeof(what), "%s %s", job,
			 i < 11 ? "DOWNLOADING" : st == 1 ? "IN_PROGRESS" : "SUCCEEDED");
		ck_assert_str_eq(str(it, "topic"), what);
		ck_assert_int_eq(num(it, "status"), st);
	}
	json_decref(items);
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

/* ==== 2. the REST polling sequence (FOTAPOLL, docs/fota.md#rest-polling-devices) ==== */

/* GET /v1/fota-job-executions/<device>/current<query> as the SDK sends it (a Content-Type of
 * "any/any", no body): the status, and the JSON body in *out (may be NULL). */
static long current(const char *device, const char *query, const char *auth, json_t **out)
{
	char path[256], *resp = NULL;
	long status;

	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/current%s", device, query);
	status = http_rest_auth(&s, "GET", path, auth, "*/*", NULL, 0, &resp, NULL);
	if (out) {
		*out = json_loads(resp, 0, NULL);
		ck_assert_msg(*out != NULL, "GET %s: %ld %s", path, status, resp);
	}
	free(resp);
	return status;
}

struct rest_progress {
	const char *jwt, *job;
	int polls;
};

static void rest_progress(int pct, void *ud)
{
	struct rest_progress *p = ud;
	json_t *j;

	(void)pct;
	ck_assert_int_eq(current(FIXTURE_DEVICE, "", p->jwt, &j), 200);
	ck_assert_str_eq(str(j, "jobId"), p->job);
	ck_assert_str_eq(str(j, "status"), "IN_PROGRESS");
	json_decref(j);
	p->polls++;
}

START_TEST(rest_device_polls_its_current_job_patches_unescaped_statuses_and_downloads_in_ranges)
{
	struct bundle b;
	struct rest_progress prog;
	char job[64], job2[64], path[512], host[128], want_path[512], *resp = NULL;
	char *jwt;
	unsigned char *got;
	json_t *j;
	long status;

	start();
	jwt = fixture_jwt();
	upload_bundle(&b, "2.0.0-rc1", IMAGE_SIZE, 0);
	supports(FIXTURE_DEVICE, "[\"APP\",\"MODEM\",\"BOOT\"]", jwt);
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", jwt, NULL, NULL,
		     0, 404, 40499, NULL);
	job_for(b.id, FIXTURE_DEVICE, job);

	ck_assert_int_eq(current(FIXTURE_DEVICE, "", jwt, &j), 200);
	ck_assert_str_eq(str(j, "jobId"), job);
	ck_assert_str_eq(str(j, "status"), "QUEUED");
	ck_assert_str_eq(str(j, "deviceId"), FIXTURE_DEVICE);
	snprintf(host, sizeof(host), "firmware.nrfcloud.lab:%d", s.https_port);
	ck_assert_str_eq(str(j, "jobDocument.host"), host);
	snprintf(want_path, sizeof(want_path), "%s/%s/%s", s.tenant, b.id, b.file);
	ck_assert_str_eq(str(j, "jobDocument.path"), want_path);
	ck_assert_str_eq(str(j, "jobDocument.firmwareType"), "APP");
	ck_assert_int_eq(num(j, "jobDocument.fileSize"), (json_int_t)b.len);
	ck_assert_str_eq(str(j, "jobDocument.version"), "2.0.0-rc1");
	ck_assert_str_eq(str(j, "jobDocument.bundleId"), b.id);
	snprintf(path, sizeof(path), "%s", str(j, "jobDocument.path"));
	json_decref(j);

	/* IN_PROGRESS before downloading; the execution stays current while it runs */
	snprintf(want_path, sizeof(want_path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE,
		 job);
	status = call("PATCH", want_path, jwt, JSON, "{\"status\":\"IN_PROGRESS\"}", &resp);
	ck_assert_msg(status == 200, "PATCH IN_PROGRESS: %ld %s", status, resp);
	free(resp);
	prog = (struct rest_progress){ jwt, job, 0 };
	got = download(host, path, b.len, rest_progress, &prog);
	ck_assert_int_eq(prog.polls, 10);
	same_image(got, &b);
	free(got);

	/* after reboot: the SDK's template, with a space after the comma */
	status = call("PATCH", want_path, jwt, JSON,
		      "{\"status\":\"SUCCEEDED\", \"details\":\"FOTA update completed successfully\"}",
		      &resp);
	ck_assert_msg(status == 200, "PATCH SUCCEEDED: %ld %s", status, resp);
	free(resp);
	/* the answer got lost and the device sends it again: still 200, nothing changes */
	status = call("PATCH", want_path, jwt, JSON,
		      "{\"status\":\"SUCCEEDED\", \"details\":\"FOTA update completed successfully\"}",
		      &resp);
	ck_assert_msg(status == 200, "repeated PATCH SUCCEEDED: %ld %s", status, resp);
	free(resp);
	/* but a terminal execution does not change to another status */
	expect_error("PATCH", want_path, jwt, JSON, "{\"status\":\"FAILED\"}", 19, 409, 40900,
		     "SUCCEEDED");
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", jwt, NULL, NULL,
		     0, 404, 40499, NULL);
	j = rest_ok("GET", want_path, jwt, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "SUCCEEDED");
	ck_assert_str_eq(str(j, "statusDetail"), "FOTA update completed successfully");
	json_decref(j);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "COMPLETED");
	json_decref(j);

	/* details are not JSON-escaped by the SDK: quotes inside are kept */
	job_for(b.id, FIXTURE_DEVICE, job2);
	snprintf(want_path, sizeof(want_path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE,
		 job2);
	status = call("PATCH", want_path, jwt, JSON,
		      "{\"status\":\"FAILED\", \"details\":\"Error \"during\" download\"}", &resp);
	ck_assert_msg(status == 200, "PATCH FAILED with unescaped quotes: %ld %s", status, resp);
	free(resp);
	j = rest_ok("GET", want_path, jwt, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "FAILED");
	ck_assert_str_eq(str(j, "statusDetail"), "Error \"during\" download");
	json_decref(j);
	j = rest_ok("GET", want_path, api, NULL, 200);
	ck_assert_str_eq(str(j, "statusDetail"), "Error \"during\" download");
	json_decref(j);
	ck_assert_int_ge(journal_wait(&s, "fota.status", FIXTURE_DEVICE, "Error \"during\"", 1), 1);

	/* a status body that is neither JSON nor the template, and an unknown status */
	expect_error("PATCH", want_path, jwt, JSON, "nonsense", 8, 400, 40000, NULL);
	expect_error("PATCH", want_path, jwt, JSON, "{\"status\":\"DONE\"}", 17, 400, 40000,
		     "DONE");
	free(jwt);
	bundle_release(&b);
}
END_TEST

/* ==== 3. refusals ==== */

START_TEST(a_job_for_a_device_without_the_firmware_type_gets_no_execution_and_sends_nothing)
{
	struct bundle b;
	struct dev d;
	char job[64], req[256];
	json_t *j;

	start();
	upload_bundle(&b, "1.0.0", 4096, 0);
	supports(FIXTURE_DEVICE, "[\"MODEM\"]", NULL);
	connect_fixture(&d);
	job_for(b.id, FIXTURE_DEVICE, job);
	/* pushes happen before the 201: none was made */
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 0);
	j = job_get(job);
	ck_assert_int_eq(num(j, "executionStats.devices"), 1);
	ck_assert_int_eq(num(j, "executionStats.executions"), 0);
	ck_assert_int_eq(num(j, "executionStats.queued"), 0);
	json_decref(j);
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/req");
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 0);
	ck_assert_int_eq(dev_messages(&d), 0);
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", api, NULL, NULL,
		     0, 404, 40499, NULL);
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

START_TEST(reports_on_a_cancelled_job_are_refused_over_mqtt_and_rest)
{
	struct bundle b;
	struct dev d;
	char job[64], path[256], payload[128];
	json_t *j;

	start();
	upload_bundle(&b, "1.0.1", 4096, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	connect_fixture(&d);
	job_for(b.id, FIXTURE_DEVICE, job);
	ck_assert_ptr_nonnull(dev_wait_message(&d, 1));
	snprintf(payload, sizeof(payload), "[\"%s\",7,0]", job);
	report(&d, payload);

	snprintf(path, sizeof(path), "/v1/fota-jobs/%s/cancel", job);
	expect_empty("PUT", path, api, NULL, 202);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "CANCELLED");
	ck_assert_int_eq(num(j, "executionStats.cancelled"), 1);
	json_decref(j);
	expect_error("PUT", path, api, NULL, NULL, 0, 409, 40900, "CANCELLED");

	/* the device had not heard yet: its progress is refused, it stays connected */
	snprintf(payload, sizeof(payload), "[\"%s\",7,10]", job);
	report(&d, payload);
	ck_assert_int_ge(journal_wait(&s, "fota.status_refused", FIXTURE_DEVICE, "cancelled", 1),
			 1);
	ck_assert(dev_connected(&d));
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE, job);
	expect_error("PATCH", path, api, JSON, "{\"status\":\"SUCCEEDED\"}", 22, 409, 40900,
		     "cancelled");
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "CANCELLED");
	json_decref(j);
	/* and a cancelled job is nobody's current job */
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", api, NULL, NULL,
		     0, 404, 40499, NULL);
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

START_TEST(a_device_cannot_report_on_another_devices_job)
{
	struct bundle b;
	struct dev d;
	char job[64], path[256], payload[128], *jwt, *other_jwt;
	json_t *j;

	start();
	jwt = fixture_jwt();
	other_jwt = add_device("fota-other-1", NULL);
	upload_bundle(&b, "1.0.2", 4096, 0);
	supports("fota-other-1", "[\"APP\"]", other_jwt);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	job_for(b.id, "fota-other-1", job);
	connect_fixture(&d);

	snprintf(payload, sizeof(payload), "[\"%s\",3,\"\"]", job);
	report(&d, payload);
	ck_assert_int_ge(journal_wait(&s, "fota.status_refused", FIXTURE_DEVICE, NULL, 1), 1);
	ck_assert_int_ge(journal_wait(&s, "mqtt.bad_message", FIXTURE_DEVICE, NULL, 1), 1);
	ck_assert(dev_connected(&d));
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE, job);
	expect_error("PATCH", path, jwt, JSON, "{\"status\":\"SUCCEEDED\"}", 22, 404, 40410, NULL);
	expect_error("GET", path, jwt, NULL, NULL, 0, 404, 40410, NULL);
	/* its own JWT does not reach the other device's executions */
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", "fota-other-1", job);
	expect_error("PATCH", path, jwt, JSON, "{\"status\":\"SUCCEEDED\"}", 22, 403, 40100, NULL);
	/* the other device's execution is untouched */
	j = rest_ok("GET", path, other_jwt, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "QUEUED");
	json_decref(j);
	j = job_get(job);
	ck_assert_int_eq(num(j, "executionStats.queued"), 1);
	ck_assert_int_eq(num(j, "executionStats.succeeded"), 0);
	json_decref(j);
	dev_close(&d);
	free(jwt);
	free(other_jwt);
	bundle_release(&b);
}
END_TEST

START_TEST(malformed_status_arrays_are_journaled_with_a_reason_and_the_device_stays_connected)
{
	struct bundle b;
	struct dev d;
	char job[64], payload[128], req[256];
	const char *bad[] = { "[\"x\"]", "[1,2,3]", "[\"id\",9,\"\"]", "[\"id\",7,\"abc%\"]",
			      "not JSON", "[\"0123456789012345678901234567890123456\",3,\"\"]",
			      "[\"id\",8,\"\"]", "{\"jobId\":\"id\"}" };
	json_t *items, *it;
	size_t i;
	int before;

	start();
	upload_bundle(&b, "1.0.3", 4096, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	connect_fixture(&d);
	job_for(b.id, FIXTURE_DEVICE, job);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		before = journal_count(&s, "mqtt.bad_message", FIXTURE_DEVICE, NULL);
		report(&d, bad[i]);
		ck_assert_msg(journal_wait(&s, "mqtt.bad_message", FIXTURE_DEVICE, NULL,
					   before + 1) == before + 1,
			      "%s: no mqtt.bad_message", bad[i]);
		ck_assert_msg(dev_connected(&d), "%s disconnected the device", bad[i]);
	}
	/* progress of the real job outside 0..100 */
	snprintf(payload, sizeof(payload), "[\"%s\",7,150]", job);
	report(&d, payload);
	ck_assert_int_ge(journal_wait(&s, "mqtt.bad_message", FIXTURE_DEVICE, "0..100", 1), 1);
	snprintf(payload, sizeof(payload), "[\"%s\",7,\"150\"]", job);
	report(&d, payload);
	ck_assert_int_ge(journal_wait(&s, "mqtt.bad_message", FIXTURE_DEVICE, "0..100", 2), 2);
	/* a job request that is not an array */
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/req");
	ck_assert_int_eq(dev_publish(&d, req, "{}", 1), 0);
	ck_assert_int_ge(journal_wait(&s, "mqtt.bad_message", FIXTURE_DEVICE, "JSON array", 1), 1);

	items = journal_items(&s, "mqtt.bad_message", FIXTURE_DEVICE);
	ck_assert_int_eq(json_array_size(items), sizeof(bad) / sizeof(bad[0]) + 3);
	json_array_foreach(items, i, it) {
		const char *reason = str(it, "reason");

		ck_assert_msg(reason && *reason, "bad message %zu has no reason", i);
	}
	ck_assert(strstr(str(json_array_get(items, 0), "reason"), "[jobId, status, detail]"));
	ck_assert(strstr(str(json_array_get(items, 1), "reason"), "job ID"));
	ck_assert(strstr(str(json_array_get(items, 2), "reason"), "not a FOTA status"));
	ck_assert(strstr(str(json_array_get(items, 5), "reason"), "36"));
	json_decref(items);

	/* nothing moved, and the device still gets its job */
	ck_assert_int_eq(journal_count(&s, "fota.status", FIXTURE_DEVICE, NULL), 0);
	before = dev_messages(&d);
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	ck_assert_ptr_nonnull(dev_wait_message(&d, before + 1));
	ck_assert(dev_connected(&d));
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

START_TEST(bad_bundles_are_refused_with_their_reason)
{
	unsigned char img[2048], *zip;
	size_t zip_len;
	struct zipw z;
	char manifest[256];

	start();
	RAND_bytes(img, sizeof(img));
	/* truncated: no end of central directory */
	zip = bundle_zip("1.0.0", "a.bin", img, sizeof(img), 0, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len / 2,
		     400, 40000, "not a ZIP archive");
	/* one flipped byte in the stored image: its CRC-32 no longer matches */
	zip[zip_len - 22 - 110 - 1000] ^= 0xff; /* before: the central directory, the end record */
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "CRC-32");
	free(zip);

	/* no manifest.json */
	memset(&z, 0, sizeof(z));
	zip_add(&z, "a.bin", img, sizeof(img), 0);
	zip = zip_finish(&z, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "bundle has no manifest.json");
	free(zip);

	/* a modem update image, as Nordic ships them: users cannot upload those */
	memset(&z, 0, sizeof(z));
	zip_add(&z, "firmware.update.image.signed.bin", img, sizeof(img), 1);
	zip = zip_finish(&z, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "modem");
	free(zip);

	/* fwversion outside [a-zA-Z0-9._-]{1,60} */
	zip = bundle_zip("1.0 beta", "a.bin", img, sizeof(img), 0, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "fwversion");
	free(zip);

	/* a manifest size that is not the file's */
	memset(&z, 0, sizeof(z));
	snprintf(manifest, sizeof(manifest),
		 "{\"fwversion\":\"1\",\"format-version\":1,\"files\":[{\"file\":\"a.bin\","
		 "\"type\":\"application\",\"size\":%zu}]}",
		 sizeof(img) + 1);
	zip_add(&z, "manifest.json", manifest, strlen(manifest), 0);
	zip_add(&z, "a.bin", img, sizeof(img), 0);
	zip = zip_finish(&z, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "manifest says");
	free(zip);

	/* a manifest naming a file the ZIP lacks */
	memset(&z, 0, sizeof(z));
	snprintf(manifest, sizeof(manifest),
		 "{\"fwversion\":\"1\",\"format-version\":1,\"files\":[{\"file\":\"b.bin\","
		 "\"type\":\"application\"}]}");
	zip_add(&z, "manifest.json", manifest, strlen(manifest), 0);
	zip_add(&z, "a.bin", img, sizeof(img), 0);
	zip = zip_finish(&z, &zip_len);
	expect_error("POST", "/v1/firmwares", api, "application/zip", (char *)zip, zip_len, 400,
		     40000, "b.bin");
	free(zip);

	/* not base64 as text/plain */
	expect_error("POST", "/v1/firmwares", api, "text/plain", "!!!!", 4, 400, 40000, "base64");
	/* nothing was stored */
	{
		json_t *j = rest_ok("GET", "/v1/firmwares?modemOnly=false", api, NULL, 200);
		json_t *it;
		size_t i;

		json_array_foreach(json_object_get(j, "items"), i, it)
			ck_assert_msg(strncmp(str(it, "bundleId"), "APP*", 4),
				      "a refused bundle was stored: %s", str(it, "bundleId"));
		json_decref(j);
	}
}
END_TEST

START_TEST(deflated_and_base64_bundles_are_served_byte_for_byte)
{
	struct bundle b;
	unsigned char *zip, md[32], want[32];
	size_t zip_len;
	struct fetched f;
	char *b64, *resp = NULL, path[512];
	const char *uri;
	json_t *j;
	long status;
	int n;

	start();
	/* the image deflated inside the ZIP */
	upload_bundle(&b, "3.1.4", 50000, 1);
	fetch("GET", b.path, NULL, &f);
	ck_assert_int_eq(f.status, 200);
	ck_assert_uint_eq(f.body.n, b.len);
	ck_assert(!memcmp(f.body.p, b.img, b.len));
	fetched_release(&f);
	bundle_release(&b);

	/* a streamed ZIP: sizes and CRC-32 in data descriptors after each entry */
	{
		struct zipw z;
		const char *manifest = "{\"fwversion\":\"s1\",\"format-version\":1,"
				       "\"files\":[{\"file\":\"s.bin\",\"type\":\"mcuboot\"}]}";

		b.len = 20000;
		b.img = malloc(b.len);
		RAND_bytes(b.img, (int)b.len);
		memset(&z, 0, sizeof(z));
		z.streamed = 1;
		zip_add(&z, "manifest.json", manifest, strlen(manifest), 1);
		zip_add(&z, "s.bin", b.img, b.len, 1);
		zip = zip_finish(&z, &zip_len);
		status = upload(zip, zip_len, "application/octet-stream", &resp);
		free(zip);
		j = json_loads(resp, 0, NULL);
		ck_assert_msg(status == 202 && j, "streamed ZIP upload: %ld %s", status, resp);
		free(resp);
		uri = json_string_value(json_array_get(json_object_get(j, "uris"), 0));
		ck_assert_ptr_nonnull(uri);
		ck_assert_ptr_nonnull(strstr(uri, "/APP*"));
		snprintf(path, sizeof(path), "%s", strchr(uri + strlen("https://"), '/'));
		json_decref(j);
		fetch("GET", path, NULL, &f);
		ck_assert_int_eq(f.status, 200);
		ck_assert_uint_eq(f.body.n, b.len);
		ck_assert(!memcmp(f.body.p, b.img, b.len));
		fetched_release(&f);
		bundle_release(&b);
	}

	/* base64 text, wrapped over lines as some tools send it */
	b.len = 3000;
	b.img = malloc(b.len);
	RAND_bytes(b.img, (int)b.len);
	zip = bundle_zip("b64", "x.bin", b.img, b.len, 0, &zip_len);
	b64 = malloc(4 * (zip_len / 3 + 1) + 1);
	n = EVP_EncodeBlock((unsigned char *)b64, zip, (int)zip_len);
	ck_assert_int_gt(n, 200);
	{
		/* wrap at 76 columns */
		char *wrapped = malloc((size_t)n + (size_t)n / 76 + 2), *w = wrapped;
		int i;

		for (i = 0; i < n; i++) {
			if (i && i % 76 == 0)
				*w++ = '\n';
			*w++ = b64[i];
		}
		*w = '\0';
		status = upload(wrapped, strlen(wrapped), "text/plain; charset=UTF8", &resp);
		free(wrapped);
	}
	free(b64);
	free(zip);
	j = json_loads(resp, 0, NULL);
	ck_assert_msg(status == 202 && j, "base64 upload: %ld %s", status, resp);
	free(resp);
	uri = json_string_value(json_array_get(json_object_get(j, "uris"), 0));
	ck_assert_ptr_nonnull(uri);
	ck_assert_ptr_nonnull(strstr(uri, "/x.bin"));
	snprintf(path, sizeof(path), "%s", strchr(uri + strlen("https://"), '/'));
	json_decref(j);
	fetch("GET", path, "bytes=0-", &f);
	ck_assert_int_eq(f.status, 206);
	ck_assert_uint_eq(f.body.n, b.len);
	sha256(f.body.p, f.body.n, md);
	sha256(b.img, b.len, want);
	ck_assert(!memcmp(md, want, 32));
	fetched_release(&f);
	bundle_release(&b);
}
END_TEST

START_TEST(ranges_heads_and_paths_outside_a_bundle_are_answered_like_nrf_cloud)
{
	struct bundle b;
	struct fetched f;
	char path[1024], cr[128];

	start();
	upload_bundle(&b, "1.1.0", 10000, 0);

	/* malformed, reversed and multiple ranges */
	expect_fetch("GET", b.path, "bytes=abc", 400, NULL);
	expect_fetch("GET", b.path, "bytes=5-2", 400, NULL);
	expect_fetch("GET", b.path, "bytes=0-1,5-6", 400, NULL);
	expect_fetch("GET", b.path, "items=0-1", 400, NULL);
	/* past the end: 416 naming the size */
	snprintf(cr, sizeof(cr), "content-range: bytes */%zu\r\n", b.len);
	expect_fetch("GET", b.path, "bytes=999999-", 416, cr);
	snprintf(cr, sizeof(cr), "content-range: bytes */%zu\r\n", b.len);
	expect_fetch("GET", b.path, "bytes=10000-10001", 416, cr);
	/* a suffix and an open range */
	fetch("GET", b.path, "bytes=-100", &f);
	ck_assert_int_eq(f.status, 206);
	ck_assert_uint_eq(f.body.n, 100);
	ck_assert(!memcmp(f.body.p, b.img + b.len - 100, 100));
	ck_assert_ptr_nonnull(strstr((char *)f.head.p, "content-range: bytes 9900-9999/10000\r\n"));
	fetched_release(&f);
	fetch("GET", b.path, "bytes=9000-", &f);
	ck_assert_int_eq(f.status, 206);
	ck_assert_uint_eq(f.body.n, 1000);
	ck_assert(!memcmp(f.body.p, b.img + 9000, 1000));
	fetched_release(&f);
	/* no Range: the whole file */
	fetch("GET", b.path, NULL, &f);
	ck_assert_int_eq(f.status, 200);
	ck_assert_uint_eq(f.body.n, b.len);
	ck_assert(!memcmp(f.body.p, b.img, b.len));
	ck_assert_ptr_null(strstr((char *)f.head.p, "content-range"));
	fetched_release(&f);

	/* HEAD: the length, no body */
	fetch("HEAD", b.path, NULL, &f);
	ck_assert_int_eq(f.status, 200);
	ck_assert_msg(strcasestr((char *)f.head.p, "\r\ncontent-length: 10000\r\n"),
		      "HEAD has no Content-Length: %s", f.head.p);
	ck_assert_uint_eq(f.body.n, 0);
	fetched_release(&f);

	/* nothing outside a stored bundle's files */
	snprintf(path, sizeof(path), "/%s/%s/..%%2F..%%2Fca%%2Fca.key", s.tenant, b.id);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/%s/..%%2F..%%2F..%%2Fca%%2Fca.key", s.tenant, b.id);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/../../ca/ca.key", s.tenant);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/%s/..", s.tenant, b.id);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/%s/%%2E%%2E", s.tenant, b.id);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/..%%2F..%%2Fca/ca.key", s.tenant);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/APP*00000000*1.1.0/%s", s.tenant, b.file);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/%s/other.bin", s.tenant, b.id);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/00000000-0000-4000-8000-000000000000/%s/%s", b.id, b.file);
	expect_fetch("GET", path, NULL, 404, NULL);
	snprintf(path, sizeof(path), "/%s/%s/%s", s.tenant, b.id, "manifest.json");
	expect_fetch("GET", path, NULL, 404, NULL);
	expect_fetch("HEAD", "/x/y/z", NULL, 404, NULL);
	/* the server is fine afterwards */
	expect_fetch("GET", b.path, "bytes=0-0", 206, "content-range: bytes 0-0/10000\r\n");
	bundle_release(&b);
}
END_TEST

START_TEST(bundles_are_listed_with_millisecond_dates_and_deleted)
{
	struct bundle b;
	char path[512];
	json_t *j, *it, *found = NULL;
	size_t i;

	start();
	upload_bundle(&b, "4.0.0", 5000, 0);
	j = rest_ok("GET", "/v1/firmwares", api, NULL, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (!strcmp(str(it, "bundleId") ?: "", b.id))
			found = it;
	ck_assert_msg(found != NULL, "bundle %s not listed", b.id);
	ck_assert_str_eq(str(found, "version"), "4.0.0");
	ck_assert_str_eq(str(found, "type"), "APP");
	ck_assert_str_eq(str(found, "name"), "fota test");
	ck_assert_int_eq(num(found, "size"), 5000);
	ck_assert_int_eq(json_array_size(get(found, "filenames")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(get(found, "filenames"), 0)), b.file);
	ck_assert_msg(matches(ISO_MS, str(found, "lastModified")), "lastModified %s",
		      str(found, "lastModified"));
	json_decref(j);

	j = rest_ok("GET", "/v1/firmwares?modemOnly=true", api, NULL, 200);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		ck_assert_msg(strcmp(str(it, "bundleId") ?: "", b.id), "modemOnly lists %s", b.id);
		ck_assert_msg(!strcmp(str(it, "type"), "MODEM") ||
				      !strcmp(str(it, "type"), "MDM_FULL"),
			      "modemOnly lists a %s bundle", str(it, "type"));
	}
	json_decref(j);

	expect_fetch("GET", b.path, "bytes=0-9", 206, NULL);
	snprintf(path, sizeof(path), "/v1/firmwares/%s", b.id);
	expect_empty("DELETE", path, api, NULL, 202);
	expect_fetch("GET", b.path, "bytes=0-9", 404, NULL);
	expect_fetch("HEAD", b.path, NULL, 404, NULL);
	j = rest_ok("GET", "/v1/firmwares", api, NULL, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		ck_assert_msg(strcmp(str(it, "bundleId") ?: "", b.id), "deleted %s still listed",
			      b.id);
	json_decref(j);
	expect_error("DELETE", path, api, NULL, NULL, 0, 404, 40410, NULL);
	/* a job for it cannot be made any more */
	snprintf(path, sizeof(path), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\"]}", b.id,
		 FIXTURE_DEVICE);
	expect_error("POST", "/v1/fota-jobs", api, JSON, path, strlen(path), 404, 40410, NULL);
	bundle_release(&b);
}
END_TEST

START_TEST(a_job_with_auto_apply_false_waits_for_apply_before_it_is_pushed)
{
	struct bundle b;
	struct dev d;
	struct msg *m;
	char job[64], body[512], path[256], req[256];
	json_t *j;

	start();
	upload_bundle(&b, "5.0.0", 4096, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	connect_fixture(&d);
	/* nrfcloud-utils sends autoApply as a string */
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"name\":\"later\",\"description\":\"deferred\","
		 "\"deviceIds\":[\"%s\"],\"autoApply\":\"false\"}",
		 b.id, FIXTURE_DEVICE);
	create_job(body, job);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "CREATED");
	ck_assert_str_eq(str(j, "name"), "later");
	ck_assert_str_eq(str(j, "description"), "deferred");
	ck_assert_int_eq(num(j, "executionStats.executions"), 1);
	json_decref(j);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 0);
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/req");
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 0);
	ck_assert_int_eq(dev_messages(&d), 0);
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", api, NULL, NULL,
		     0, 404, 40499, NULL);

	snprintf(path, sizeof(path), "/v1/fota-jobs/%s/apply", job);
	expect_empty("POST", path, api, NULL, 202);
	m = dev_wait_message(&d, 1);
	ck_assert_msg(m != NULL, "applied job was not pushed");
	wait_rcv_sent(FIXTURE_DEVICE);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), 1);
	{
		json_t *doc = json_loads(m->payload, 0, NULL);

		ck_assert_str_eq(json_string_value(json_array_get(doc, 0)), job);
		json_decref(doc);
	}
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "IN_PROGRESS");
	json_decref(j);
	expect_error("POST", path, api, NULL, NULL, 0, 409, 40900, NULL);
	/* autoApply that is neither a boolean nor "true"/"false" */
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\"],"
		 "\"autoApply\":\"maybe\"}", b.id, FIXTURE_DEVICE);
	expect_error("POST", "/v1/fota-jobs", api, JSON, body, strlen(body), 400, 40000,
		     "autoApply");
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

START_TEST(jobs_target_tags_and_the_device_identifiers_body)
{
	struct bundle b;
	char job[64], body[512], path[256], *jwt_a, *jwt_b;
	json_t *j, *items;

	start();
	upload_bundle(&b, "6.0.0", 4096, 0);
	jwt_a = add_device("fota-tag-a", "[\"fleet-x\"]");
	jwt_b = add_device("fota-tag-b", "[\"fleet-x\",\"other\"]");
	supports("fota-tag-a", "[\"APP\"]", jwt_a);
	supports("fota-tag-b", "[\"MODEM\"]", jwt_b);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);

	/* tags: every device with one of them; only those that support APP get an execution */
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"name\":\"fleet\",\"tags\":[\"fleet-x\"]}",
		 b.id);
	create_job(body, job);
	j = job_get(job);
	ck_assert_int_eq(num(j, "executionStats.devices"), 2);
	ck_assert_int_eq(num(j, "executionStats.executions"), 1);
	ck_assert_int_eq(num(j, "executionStats.queued"), 1);
	ck_assert_int_eq(json_array_size(get(j, "target.tags")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(get(j, "target.tags"), 0)), "fleet-x");
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s", job);
	j = rest_ok("GET", path, api, NULL, 200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_str_eq(str(json_array_get(items, 0), "deviceId"), "fota-tag-a");
	json_decref(j);
	j = rest_ok("GET", "/v1/fota-job-executions/fota-tag-a/current", jwt_a, NULL, 200);
	ck_assert_str_eq(str(j, "jobId"), job);
	json_decref(j);
	expect_error("GET", "/v1/fota-job-executions/fota-tag-b/current", jwt_b, NULL, NULL, 0,
		     404, 40499, NULL);
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", api, NULL, NULL,
		     0, 404, 40499, NULL);

	/* the deprecated deviceIdentifiers body of nRF Cloud's own examples */
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"autoApply\":true,\"deviceIdentifiers\":[\"%s\"]}", b.id,
		 FIXTURE_DEVICE);
	create_job(body, job);
	j = job_get(job);
	ck_assert_str_eq(str(j, "status"), "IN_PROGRESS");
	ck_assert_int_eq(num(j, "executionStats.executions"), 1);
	json_decref(j);
	j = rest_ok("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "/current", api, NULL, 200);
	ck_assert_str_eq(str(j, "jobId"), job);
	json_decref(j);

	/* no target, an unknown bundle, not an object */
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\"}", b.id);
	expect_error("POST", "/v1/fota-jobs", api, JSON, body, strlen(body), 400, 40000, NULL);
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[]}", b.id);
	expect_error("POST", "/v1/fota-jobs", api, JSON, body, strlen(body), 400, 40000, NULL);
	snprintf(body, sizeof(body), "{\"bundleId\":\"APP*00000000*x\",\"deviceIds\":[\"%s\"]}",
		 FIXTURE_DEVICE);
	expect_error("POST", "/v1/fota-jobs", api, JSON, body, strlen(body), 404, 40410, NULL);
	expect_error("POST", "/v1/fota-jobs", api, JSON, "[]", 2, 400, 40000, NULL);
	free(jwt_a);
	free(jwt_b);
	bundle_release(&b);
}
END_TEST

START_TEST(a_bootloader_bundle_reaches_only_devices_that_support_boot_as_type_2)
{
	struct bundle b;
	struct dev d;
	struct msg *m;
	char job[64], *jwt;
	json_t *j;

	start();
	jwt = add_device("fota-app-only", NULL);
	supports("fota-app-only", "[\"APP\",\"MODEM\"]", jwt);
	supports(FIXTURE_DEVICE, "[\"BOOT\",\"APP\"]", NULL);
	upload_typed(&b, "bootloader", "BOOT", "b1.0", 6000, 0);
	connect_fixture(&d);
	snprintf(b.path, sizeof(b.path), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\",\"%s\"]}",
		 b.id, FIXTURE_DEVICE, "fota-app-only");
	create_job(b.path, job);
	m = dev_wait_message(&d, 1);
	ck_assert_ptr_nonnull(m);
	check_typed_document(m, job, 2, &b);
	j = job_get(job);
	ck_assert_int_eq(num(j, "executionStats.devices"), 2);
	ck_assert_int_eq(num(j, "executionStats.executions"), 1);
	ck_assert_str_eq(str(j, "firmware.firmwareType"), "BOOT");
	json_decref(j);
	ck_assert_int_eq(current("fota-app-only", "", jwt, NULL), 404);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "", api, &j), 200);
	ck_assert_str_eq(str(j, "jobDocument.firmwareType"), "BOOT");
	json_decref(j);
	ck_assert_int_eq(rcv_sent("fota-app-only"), 0);
	dev_close(&d);
	free(jwt);
	bundle_release(&b);
}
END_TEST

/* docs/fota.md#fota-jobs: DELETE /v1/fota-jobs/{id} → 202 and does not touch executions; the
 * device can no longer take or report on it. */
START_TEST(a_deleted_job_is_gone_for_devices_but_its_executions_stay)
{
	struct bundle b;
	struct dev d;
	char job[64], path[256], payload[128], req[256];
	json_t *j;
	int sent;

	start();
	upload_bundle(&b, "11.0.0", 3000, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	connect_fixture(&d);
	job_for(b.id, FIXTURE_DEVICE, job);
	ck_assert_ptr_nonnull(dev_wait_message(&d, 1));
	snprintf(path, sizeof(path), "/v1/fota-jobs/%s", job);
	expect_empty("DELETE", path, api, NULL, 202);
	expect_error("GET", path, api, NULL, NULL, 0, 404, 40410, NULL);
	expect_error("DELETE", path, api, NULL, NULL, 0, 404, 40410, NULL);
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE, job);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "QUEUED");
	json_decref(j);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "", api, NULL), 404);
	sent = rcv_sent(FIXTURE_DEVICE);
	topic_of(req, sizeof(req), FIXTURE_DEVICE, "jobs/req");
	ck_assert_int_eq(dev_publish(&d, req, "[\"\"]", 1), 0);
	ck_assert_int_eq(rcv_sent(FIXTURE_DEVICE), sent);
	snprintf(payload, sizeof(payload), "[\"%s\",7,0]", job);
	report(&d, payload);
	ck_assert_int_ge(journal_wait(&s, "fota.status_refused", FIXTURE_DEVICE, NULL, 1), 1);
	ck_assert(dev_connected(&d));
	dev_close(&d);
	bundle_release(&b);
}
END_TEST

/* docs/fota.md#fota-jobs: CreateJobInput name is at most 64 characters, description at most 1024;
 * nRF Cloud refuses longer ones as a validation failure. */
START_TEST(job_names_and_descriptions_longer_than_nrf_cloud_allows_are_refused)
{
	struct bundle b;
	char body[4096], name[80], desc[1100], job[64], *resp = NULL;
	long status;
	json_t *j;

	start();
	upload_bundle(&b, "12.0.0", 3000, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	memset(name, 'n', 64);
	name[64] = '\0';
	memset(desc, 'd', 1024);
	desc[1024] = '\0';
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"name\":\"%s\",\"description\":\"%s\",\"deviceIds\":[\"%s\"]}",
		 b.id, name, desc, FIXTURE_DEVICE);
	create_job(body, job);
	j = job_get(job);
	ck_assert_str_eq(str(j, "name"), name);
	json_decref(j);
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"name\":\"%s\",\"deviceIds\":[\"%s\"]}", b.id, name,
		 FIXTURE_DEVICE);
	status = call("POST", "/v1/fota-jobs", api, JSON, body, &resp);
	ck_assert_msg(status == 400 || status == 422, "a 65-character name: %ld %s", status, resp);
	free(resp);
	memset(desc, 'd', 1025);
	desc[1025] = '\0';
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"description\":\"%s\",\"deviceIds\":[\"%s\"]}", b.id,
		 desc, FIXTURE_DEVICE);
	status = call("POST", "/v1/fota-jobs", api, JSON, body, &resp);
	ck_assert_msg(status == 400 || status == 422, "a 1025-character description: %ld %.80s",
		      status, resp);
	free(resp);
	bundle_release(&b);
}
END_TEST

/* ==== 4. execution lists ==== */

static void check_execution(json_t *e, const char *device, const char *job,
			    const struct bundle *b)
{
	char host[128], path[512];

	ck_assert_str_eq(str(e, "tenantId"), s.tenant);
	ck_assert_str_eq(str(e, "deviceId"), device);
	ck_assert_str_eq(str(e, "jobId"), job);
	ck_assert_msg(str(e, "executionId") && *str(e, "executionId"), "no executionId");
	ck_assert_msg(matches(ISO_MS, str(e, "createdAt")), "createdAt %s", str(e, "createdAt"));
	ck_assert_msg(matches(ISO_MS, str(e, "lastUpdatedAt")), "lastUpdatedAt %s",
		      str(e, "lastUpdatedAt"));
	snprintf(host, sizeof(host), "firmware.nrfcloud.lab:%d", s.https_port);
	snprintf(path, sizeof(path), "%s/%s/%s", s.tenant, b->id, b->file);
	ck_assert_str_eq(str(e, "jobDocument.host"), host);
	ck_assert_str_eq(str(e, "jobDocument.path"), path);
	ck_assert_str_eq(str(e, "jobDocument.firmwareType"), "APP");
	ck_assert_int_eq(num(e, "jobDocument.fileSize"), (json_int_t)b->len);
	ck_assert_str_eq(str(e, "jobDocument.version"), "7.0.0");
	ck_assert_str_eq(str(e, "jobDocument.bundleId"), b->id);
}

START_TEST(execution_lists_of_a_job_and_of_a_device_have_nrf_clouds_shapes)
{
	struct bundle b;
	char job1[64], job2[64], path[256], body[512], *jwt, *jwt2;
	json_t *j, *items, *it;
	size_t i;
	int seen1 = 0, seen2 = 0;

	start();
	jwt = fixture_jwt();
	upload_bundle(&b, "7.0.0", 4096, 0);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	jwt2 = add_device("fota-list-2", NULL);
	supports("fota-list-2", "[\"APP\"]", jwt2);
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\",\"%s\"]}", b.id,
		 FIXTURE_DEVICE, "fota-list-2");
	create_job(body, job1);
	job_for(b.id, FIXTURE_DEVICE, job2);
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE, job1);
	expect_empty("PATCH", path, jwt,
		     "{\"status\":\"FAILED\", \"details\":\"Error during download\"}", 200);

	/* statuses of one job: {deviceId, status, statusDetail?, lastUpdatedAt} */
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s", job1);
	j = rest_ok("GET", path, api, NULL, 200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	json_array_foreach(items, i, it) {
		const char *dev = str(it, "deviceId");

		ck_assert_msg(matches(ISO_MS, str(it, "lastUpdatedAt")), "lastUpdatedAt %s",
			      str(it, "lastUpdatedAt"));
		if (!strcmp(dev, FIXTURE_DEVICE)) {
			ck_assert_str_eq(str(it, "status"), "FAILED");
			ck_assert_str_eq(str(it, "statusDetail"), "Error during download");
		} else {
			ck_assert_str_eq(dev, "fota-list-2");
			ck_assert_str_eq(str(it, "status"), "QUEUED");
			ck_assert_ptr_null(get(it, "statusDetail"));
		}
		ck_assert_ptr_null(get(it, "jobDocument"));
	}
	json_decref(j);
	/* an API-key endpoint: a device JWT is refused */
	expect_error("GET", path, jwt, NULL, NULL, 0, 403, 40100, NULL);

	/* a device's executions: FOTAJobExecution items, with the device's own JWT too */
	j = rest_ok("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE, jwt, NULL, 200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	json_array_foreach(items, i, it) {
		if (!strcmp(str(it, "jobId"), job1)) {
			check_execution(it, FIXTURE_DEVICE, job1, &b);
			ck_assert_str_eq(str(it, "status"), "FAILED");
			ck_assert_str_eq(str(it, "statusDetail"), "Error during download");
			seen1++;
		} else {
			check_execution(it, FIXTURE_DEVICE, job2, &b);
			ck_assert_str_eq(str(it, "status"), "QUEUED");
			ck_assert_ptr_null(get(it, "statusDetail"));
			seen2++;
		}
	}
	ck_assert_int_eq(seen1, 1);
	ck_assert_int_eq(seen2, 1);
	json_decref(j);
	j = rest_ok("GET", "/v1/fota-job-executions/fota-list-2", api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	check_execution(json_array_get(json_object_get(j, "items"), 0), "fota-list-2", job1, &b);
	json_decref(j);
	expect_error("GET", "/v1/fota-job-executions/fota-list-2", jwt, NULL, NULL, 0, 403, 40100,
		     NULL);

	/* the job itself: FOTAV2Job */
	j = job_get(job1);
	ck_assert_str_eq(str(j, "jobId"), job1);
	ck_assert_str_eq(str(j, "status"), "IN_PROGRESS");
	ck_assert_msg(matches(ISO_MS, str(j, "createdAt")), "createdAt");
	ck_assert_str_eq(str(j, "firmware.bundleId"), b.id);
	ck_assert_str_eq(str(j, "firmware.firmwareType"), "APP");
	ck_assert_str_eq(str(j, "firmware.version"), "7.0.0");
	ck_assert_int_eq(num(j, "firmware.fileSize"), (json_int_t)b.len);
	ck_assert_int_eq(json_array_size(get(j, "firmware.uris")), 1);
	ck_assert_int_eq(json_array_size(get(j, "target.deviceIds")), 2);
	ck_assert_int_eq(num(j, "executionStats.devices"), 2);
	ck_assert_int_eq(num(j, "executionStats.executions"), 2);
	ck_assert_int_eq(num(j, "executionStats.failed"), 1);
	ck_assert_int_eq(num(j, "executionStats.queued"), 1);
	ck_assert_int_eq(num(j, "executionStats.completedExecutions"), 1);
	ck_assert_int_eq(num(j, "executionStats.removed"), 0);
	json_decref(j);
	j = rest_ok("GET", "/v1/fota-jobs", api, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	json_decref(j);
	free(jwt);
	free(jwt2);
	bundle_release(&b);
}
END_TEST

/* docs/fota.md#rest-polling-devices: FetchCurrentPendingFOTAJobExecution takes an optional firmwareType and
 * answers the earliest pending execution of that type. */
START_TEST(the_current_execution_honours_the_firmware_type_asked_for)
{
	struct bundle app, boot;
	char app_job[64], boot_job[64];
	json_t *j;

	start();
	supports(FIXTURE_DEVICE, "[\"APP\",\"BOOT\"]", NULL);
	upload_bundle(&app, "8.0.0", 3000, 0);
	upload_typed(&boot, "bootloader", "BOOT", "8.0.0b", 3000, 0);
	job_for(app.id, FIXTURE_DEVICE, app_job);
	job_for(boot.id, FIXTURE_DEVICE, boot_job);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "", api, &j), 200);
	ck_assert_str_eq(str(j, "jobId"), app_job);
	json_decref(j);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "?firmwareType=APP", api, &j), 200);
	ck_assert_str_eq(str(j, "jobId"), app_job);
	json_decref(j);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "?firmwareType=BOOT", api, &j), 200);
	ck_assert_msg(!strcmp(str(j, "jobId"), boot_job),
		      "?firmwareType=BOOT answered the %s job %s", str(j, "jobDocument.firmwareType"),
		      str(j, "jobId"));
	json_decref(j);
	ck_assert_int_eq(current(FIXTURE_DEVICE, "?firmwareType=MODEM", api, &j), 404);
	ck_assert_int_eq(num(j, "code"), 40499);
	json_decref(j);
	bundle_release(&app);
	bundle_release(&boot);
}
END_TEST

static int item_count(const char *path)
{
	json_t *j = rest_ok("GET", path, api, NULL, 200);
	int n = (int)json_array_size(json_object_get(j, "items"));

	json_decref(j);
	return n;
}

/* docs/fota.md#rest-polling-devices: GET /v1/fota-job-execution-statuses/{jobId}?status= */
START_TEST(execution_statuses_of_a_job_filter_by_status)
{
	struct bundle b;
	char job[64], path[256], body[512], *jwt;
	json_t *j;

	start();
	jwt = add_device("fota-filter-2", NULL);
	supports("fota-filter-2", "[\"APP\"]", jwt);
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	upload_bundle(&b, "9.0.0", 3000, 0);
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\",\"%s\"]}", b.id,
		 FIXTURE_DEVICE, "fota-filter-2");
	create_job(body, job);
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", FIXTURE_DEVICE, job);
	expect_empty("PATCH", path, api, "{\"status\":\"FAILED\"}", 200);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s", job);
	ck_assert_int_eq(item_count(path), 2);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s?status=FAILED", job);
	j = rest_ok("GET", path, api, NULL, 200);
	ck_assert_msg(json_array_size(json_object_get(j, "items")) == 1,
		      "?status=FAILED listed %zu executions",
		      json_array_size(json_object_get(j, "items")));
	ck_assert_str_eq(str(json_array_get(json_object_get(j, "items"), 0), "deviceId"),
			 FIXTURE_DEVICE);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s?status=QUEUED", job);
	ck_assert_int_eq(item_count(path), 1);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s?status=SUCCEEDED", job);
	ck_assert_int_eq(item_count(path), 0);
	free(jwt);
	bundle_release(&b);
}
END_TEST

/* Pages through path (which has a '?') with pageLimit=2: every item once, the jobId or
 * deviceId of each in seen; returns the page count. */
static int pages(const char *path, const char *key, char seen[][64], int max)
{
	char url[1024], tok[512] = "";
	json_t *j, *it;
	size_t i;
	int n_pages = 0, n = 0;

	do {
		snprintf(url, sizeof(url), "%s&pageLimit=2%s%s", path, tok[0] ? "&pageNextToken=" : "",
			 tok);
		j = rest_ok("GET", url, api, NULL, 200);
		ck_assert_msg(json_array_size(json_object_get(j, "items")) <= 2,
			      "%s: %zu items on a page of 2", url,
			      json_array_size(json_object_get(j, "items")));
		json_array_foreach(json_object_get(j, "items"), i, it) {
			ck_assert_int_lt(n, max);
			snprintf(seen[n++], 64, "%s", str(it, key));
		}
		snprintf(tok, sizeof(tok), "%s", str(j, "pageNextToken") ?: "");
		json_decref(j);
		n_pages++;
	} while (tok[0] && n_pages < 10);
	return n_pages;
}

/* docs/fota.md#rest-polling-devices: both execution lists are paginated (pageLimit, pageNextToken). */
START_TEST(execution_lists_page_with_page_limit_and_next_token)
{
	struct bundle b;
	char jobs[3][64], seen[8][64], path[256], body[512], *jwt;
	int i, k, found;

	start();
	supports(FIXTURE_DEVICE, "[\"APP\"]", NULL);
	for (i = 2; i <= 3; i++) {
		snprintf(path, sizeof(path), "fota-page-%d", i);
		jwt = add_device(path, NULL);
		supports(path, "[\"APP\"]", jwt);
		free(jwt);
	}
	upload_bundle(&b, "10.0.0", 3000, 0);
	for (i = 0; i < 3; i++)
		job_for(b.id, FIXTURE_DEVICE, jobs[i]);
	ck_assert_int_eq(pages("/v1/fota-job-executions/" FIXTURE_DEVICE "?x=1", "jobId", seen, 8),
			 2);
	for (i = 0; i < 3; i++) {
		for (k = 0, found = 0; k < 3; k++)
			found += !strcmp(seen[k], jobs[i]);
		ck_assert_int_eq(found, 1);
	}
	snprintf(body, sizeof(body),
		 "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\",\"fota-page-2\",\"fota-page-3\"]}", b.id,
		 FIXTURE_DEVICE);
	create_job(body, jobs[0]);
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s?x=1", jobs[0]);
	ck_assert_int_eq(pages(path, "deviceId", seen, 8), 2);
	expect_error("GET", "/v1/fota-job-executions/" FIXTURE_DEVICE "?pageLimit=0", api, NULL,
		     NULL, 0, 400, 40000, "pageLimit");
	snprintf(path, sizeof(path), "/v1/fota-job-execution-statuses/%s?pageLimit=0", jobs[0]);
	expect_error("GET", path, api, NULL, NULL, 0, 400, 40000, "pageLimit");
	bundle_release(&b);
}
END_TEST

static const struct suite_def suite = {
	.name = "fota", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "mqtt_sequence",
		  mqtt_device_takes_a_job_downloads_it_in_ranges_over_one_connection_and_succeeds_after_reboot },
		{ "rest_poll",
		  rest_device_polls_its_current_job_patches_unescaped_statuses_and_downloads_in_ranges },
		{ "unsupported_type",
		  a_job_for_a_device_without_the_firmware_type_gets_no_execution_and_sends_nothing },
		{ "cancelled", reports_on_a_cancelled_job_are_refused_over_mqtt_and_rest },
		{ "other_device", a_device_cannot_report_on_another_devices_job },
		{ "bad_status",
		  malformed_status_arrays_are_journaled_with_a_reason_and_the_device_stays_connected },
		{ "bad_bundles", bad_bundles_are_refused_with_their_reason },
		{ "deflate_base64", deflated_and_base64_bundles_are_served_byte_for_byte },
		{ "ranges_paths", ranges_heads_and_paths_outside_a_bundle_are_answered_like_nrf_cloud },
		{ "list_delete", bundles_are_listed_with_millisecond_dates_and_deleted },
		{ "auto_apply", a_job_with_auto_apply_false_waits_for_apply_before_it_is_pushed },
		{ "targets", jobs_target_tags_and_the_device_identifiers_body },
		{ "deleted_job", a_deleted_job_is_gone_for_devices_but_its_executions_stay },
		{ "bootloader", a_bootloader_bundle_reaches_only_devices_that_support_boot_as_type_2 },
		{ "execution_lists", execution_lists_of_a_job_and_of_a_device_have_nrf_clouds_shapes },
		{ "current_type", the_current_execution_honours_the_firmware_type_asked_for },
		{ "statuses_filter", execution_statuses_of_a_job_filter_by_status },
		{ "execution_pages", execution_lists_page_with_page_limit_and_next_token },
		{ "job_text_limits", job_names_and_descriptions_longer_than_nrf_cloud_allows_are_refused })
