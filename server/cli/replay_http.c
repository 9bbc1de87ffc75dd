/* SPDX-License-Identifier: MIT
 * replay_http.c: a recorded device's REST calls, made again with a JWT replay signs itself (see
 * replay.h).
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "file.h"
#include "jwt.h"
#include "pki.h"

struct buf {
	char *p;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	char *grown = realloc(b->p, b->len + size * nmemb + 1);

	if (!grown)
		return 0;
	b->p = grown;
	memcpy(b->p + b->len, ptr, size * nmemb);
	b->len += size * nmemb;
	b->p[b->len] = '\0';
	return size * nmemb;
}

/* "Authorization: Bearer <JWT>" of the device, malloc'd; NULL with err. */
static char *auth_header(const struct ncm_replay_http *h, char *err, size_t err_size)
{
	struct ncm_err_info e = { 0 };
	json_int_t now = (json_int_t)time(NULL);
	EVP_PKEY *key = NULL;
	json_t *claims = NULL;
	char *pem = NULL, *jwt = NULL, *out = NULL;
	size_t len = 0;

	if (!h->key && (ncm_file_read(h->key_path, 1 << 20, &pem, &len, &e) ||
			ncm_pki_key_from_pem(pem, len, &key, &e))) {
		snprintf(err, err_size, "%s: %s", h->key_path, e.msg);
		goto out;
	}
	claims = json_pack("{s:s,s:I,s:I}", "sub", h->device_id, "iat", now, "exp", now + 3600);
	if (!claims || ncm_jwt_sign_es256(claims, h->key ? h->key : key, &jwt, &e)) {
		snprintf(err, err_size, "cannot sign a JWT for %s: %s", h->device_id, e.msg);
		goto out;
	}
	if (asprintf(&out, "Authorization: Bearer %s", jwt) < 0)
		out = NULL;
out:
	json_decref(claims);
	EVP_PKEY_free(key);
	free(pem);
	free(jwt);
	return out;
}

int ncm_replay_http_call(struct ncm_replay_http *h, const char *method, const char *path_query,
			 const char *body, long *status, char **answer, char *err,
			 size_t err_size)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = { NULL, 0 };
	char url[8192], *auth;
	CURLcode cc;
	int rc = -1;

	*status = 0;
	if (answer)
		*answer = NULL;
	if (!h->curl && !(h->curl = curl_easy_init())) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	auth = auth_header(h, err, err_size);
	if (!auth)
		return -1;
	snprintf(url, sizeof(url), "%s%s", h->base, path_query);
	hdrs = curl_slist_append(hdrs, auth);
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	/* a request without a body is sent without one (no Content-Length: 0, no form type),
	 * as the device sent it */
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_NOBODY, strcmp(method, "HEAD") ? 0L : 1L);
	if (body) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->cafile);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(h->curl);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
		rc = 0;
	} else {
		snprintf(err, err_size, "%s %s: %s", method, url, curl_easy_strerror(cc));
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	free(auth);
	if (answer && !rc)
		*answer = b.p ? b.p : strdup("");
	else
		free(b.p);
	return rc;
}

void ncm_replay_http_close(struct ncm_replay_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

int ncm_replay_http_target(const json_t *rec, const json_t *details, char *method,
			   size_t method_size, char *buf, size_t size)
{
	const char *topic = json_string_value(json_object_get(rec, "topic"));
	const char *sp = topic ? strchr(topic, ' ') : NULL, *key;
	json_t *query = json_object_get(details, "query"), *v;
	size_t used;
	char sep = '?';

	if (!sp || (size_t)(sp - topic) >= method_size || sp[1] != '/')
		return -1;
	snprintf(method, method_size, "%.*s", (int)(sp - topic), topic);
	used = (size_t)snprintf(buf, size, "%s", sp + 1);
	if (used >= size)
		return -1;
	json_object_foreach(query, key, v) {
		char *k = curl_easy_escape(NULL, key, 0);
		char *val = json_is_string(v) ? curl_easy_escape(NULL, json_string_value(v), 0)
					      : NULL;
		int n = snprintf(buf + used, size - used, "%c%s%s%s", sep, k ? k : "",
				 val ? "=" : "", val ? val : "");

		curl_free(k);
		curl_free(val);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
		sep = '&';
	}
	return 0;
}
