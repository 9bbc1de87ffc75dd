/* SPDX-License-Identifier: MIT
 * provision_onboard.c: the last step of `provision`: onboard the device with the certificate the
 * modem now holds, through a running server's admin API or straight into the data folder's store
 * (docs/lab.md#onboarding). Failures are one line on stderr that says the modem is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "cli.h"
#include "db.h"
#include "devices.h"
#include "log.h"
#include "pki.h"

#define fail(...) ncm_cli_fail("provision", __VA_ARGS__)

static size_t collect(char *data, size_t size, size_t n, void *user)
{
	char **acc = user;
	size_t old = *acc ? strlen(*acc) : 0, add = size * n;
	char *p = realloc(*acc, old + add + 1);

	if (!p)
		return 0;
	memcpy(p + old, data, add);
	p[old + add] = '\0';
	*acc = p;
	return add;
}

static long http(const char *method, const char *url, const char *token, const char *body,
		 char **resp)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[192];
	long status = 0;

	*resp = NULL;
	if (!c)
		return 0;
	h = curl_slist_append(h, "Content-Type: application/json");
	if (token && *token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static const char *answer_message(const char *resp)
{
	static char msg[200];
	json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));

	snprintf(msg, sizeof(msg), "%s", m ? m : resp ? resp : "no body");
	json_decref(j);
	return msg;
}

/* POST /mock/v1/devices {"id","certificate"} (docs/lab.md#onboarding); with replace, a device
 * that exists already is deleted first. */
int ncm_cli_onboard_api(const char *server, const char *token, const char *id, const char *pem,
		       int replace)
{
	char url[1024], *resp = NULL, *body;
	json_t *j = json_pack("{s:s, s:s}", "id", id, "certificate", pem);
	long st;

	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body)
		return fail(1, "out of memory");
	snprintf(url, sizeof(url), "%s/mock/v1/devices", server);
	st = http("POST", url, token, body, &resp);
	if (st == 409 && replace) {
		free(resp);
		snprintf(url, sizeof(url), "%s/mock/v1/devices/%s", server, id);
		st = http("DELETE", url, token, NULL, &resp);
		if (st / 100 == 2) {
			free(resp);
			snprintf(url, sizeof(url), "%s/mock/v1/devices", server);
			st = http("POST", url, token, body, &resp);
		}
	}
	free(body);
	if (st / 100 != 2) {
		if (!st)
			fail(1, "the modem is provisioned, but %s does not answer: start 'nrfcloud-mock "
			     "serve' or onboard later with: curl -d @<id>.json %s/mock/v1/devices",
			     server, server);
		else if (st == 409)
			fail(1, "the modem is provisioned, but device %s exists on the server with "
			     "another certificate: run again with --replace", id);
		else
			fail(1, "the modem is provisioned, but onboarding failed: HTTP %ld: %s", st,
			     answer_message(resp));
		free(resp);
		return 1;
	}
	free(resp);
	return 0;
}

/* Store notices (schema migrations of a fresh data folder) are not news here; warnings are. */
static void quiet_sink(enum ncm_log_level level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level >= NCM_LOG_WARNING)
		fprintf(stderr, "nrfcloud-mock provision: %s\n", msg);
}

/* Inserts the device into <data>/state.db (the server need not run; one that runs sees it). */
int ncm_cli_onboard_data(const struct ncm_config *cfg, const char *id, const char *pem,
			X509 *cert, int replace)
{
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 };
	struct ncm_db *db = NULL;
	char path[PATH_MAX];
	int rc;

	ncm_config_db_path(cfg, path, sizeof(path));
	ncm_log_set_sink(quiet_sink, NULL);
	if (ncm_db_open(path, &db, &err))
		return fail(1, "the modem is provisioned, but %s: %s", path, err.msg);
	snprintf(d.id, sizeof(d.id), "%s", id);
	d.cert_pem = (char *)pem;
	ncm_pki_cert_fingerprint(cert, d.fingerprint);
	d.tags_json = (char *)"[]";
	snprintf(d.onboarded_by, sizeof(d.onboarded_by), "admin");
	d.created_ms = (int64_t)time(NULL) * 1000;
	rc = ncm_store_device_insert(db, &d, &err);
	if (rc == NCM_ERR_CONFLICT && replace) {
		rc = ncm_store_device_delete(db, id, (int64_t)time(NULL) * 1000, &err);
		if (!rc)
			rc = ncm_store_device_insert(db, &d, &err);
	}
	ncm_db_close(db);
	if (rc == NCM_ERR_CONFLICT)
		return fail(1, "the modem is provisioned, but device %s exists in %s with another "
			    "certificate: run again with --replace", id, path);
	if (rc)
		return fail(1, "the modem is provisioned, but onboarding failed: %s", err.msg);
	return 0;
}
