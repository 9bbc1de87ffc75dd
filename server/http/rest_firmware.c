/* SPDX-License-Identifier: MIT
 * rest_firmware.c: /v1/firmwares (docs/fota.md#firmware-bundles): upload a bundle ZIP (raw, or base64 as
 * text/plain) whose manifest.json names its image files, list bundles (millisecond
 * lastModified, modemOnly), delete one. Images go to <data>/firmware/<tenant>/<bundleId>/ and
 * the file server hands them out with Range (files.c).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "file.h"
#include "firmware.h"
#include "fota.h"
#include "fota_svc.h"
#include "log.h"
#include "rest_common.h"
#include "runtime.h"
#include "zip.h"
#include "jsontext.h"

static void sha256_hex(const unsigned char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	size_t i;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Modem images come as ZIPs without our manifest (mfw_nrf91*.zip holds .cbor/.bin update
 * images); nRF Cloud does not let users upload them (docs/fota.md#firmware-bundles). */
static int looks_like_modem(const struct ncm_zip *zip)
{
	size_t i;

	for (i = 0; i < zip->n_entries; i++)
		if (strstr(zip->entries[i].name, ".cbor") || strstr(zip->entries[i].name, "mfw_") ||
		    strstr(zip->entries[i].name, "firmware.update.image"))
			return 1;
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw);

/* Bytes of uploads being written now (counted against --firmware-max-bytes with what is
 * stored, so two uploads at once cannot both take the last room). */
static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t in_flight;

static int sum_cb(const struct ncm_bundle *b, void *userdata)
{
	*(int64_t *)userdata += b->size;
	return NCM_OK;
}

/* Checks a bundle that unpacks to want bytes against --firmware-bundle-max-bytes and, with the
 * bundles stored and uploads under way, --firmware-max-bytes (before anything is unpacked: a
 * small ZIP may declare gigabytes, and inflating stops at the declared size). On success the
 * bytes are reserved until budget_release. NCM_ERR_TOO_BIG with the reason. */
static int budget_take(int64_t want, struct ncm_err_info *err)
{
	const struct ncm_config *cfg = &ncm_rt()->cfg;
	int64_t stored = 0;
	int rc = NCM_OK;

	if (cfg->firmware_bundle_max > 0 && want > cfg->firmware_bundle_max)
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "bundle unpacks to %lld bytes, more than "
				   "the %lld allowed per bundle (--firmware-bundle-max-bytes)",
				   (long long)want, (long long)cfg->firmware_bundle_max);
	pthread_mutex_lock(&budget_lock);
	if (ncm_store_bundle_foreach(ncm_rt_db(), NULL, 0, INT_MAX, sum_cb, &stored, err))
		rc = NCM_ERR_IO;
	else if (cfg->firmware_max_bytes > 0 &&
		 stored + in_flight + want > cfg->firmware_max_bytes)
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "no room for firmware: %lld bytes stored, "
				 "%lld more would pass the %lld allowed (--firmware-max-bytes); "
				 "delete bundles first", (long long)(stored + in_flight),
				 (long long)want, (long long)cfg->firmware_max_bytes);
	else
		in_flight += want;
	pthread_mutex_unlock(&budget_lock);
	return rc;
}

static void budget_release(int64_t n)
{
	pthread_mutex_lock(&budget_lock);
	in_flight -= n;
	pthread_mutex_unlock(&budget_lock);
}

enum MHD_Result ncm_rest_firmware_post(struct ncm_req *req)
{
	int64_t reserved = 0, declared = 0;
	int made_dir = 0;
	const char *ct = ncm_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	const struct ncm_zip_entry *me;
	struct ncm_err_info err = { 0 };
	struct ncm_manifest m;
	struct ncm_bundle b = { 0 };
	struct ncm_zip *zip = calloc(1, sizeof(*zip));
	unsigned char *raw = NULL, *data = NULL, rnd[4];
	size_t raw_len = req->body_len, len, i;
	json_t *manifest = NULL, *files = json_array(), *uris = json_array();
	char dir[PATH_MAX], path[PATH_MAX], sha[65], url[1024];
	enum MHD_Result ret;
	int status = MHD_HTTP_BAD_REQUEST, code = 40000, rc;
	char folder[256], entry_name[600];

	if (!zip)
		return MHD_NO;
	if (ct && !strncasecmp(ct, "text/plain", 10)) {
		char *text = strndup(req->body, req->body_len);
		size_t n = 0, j;

		/* base64 text may be wrapped over lines */
		for (j = 0; text && text[j]; j++)
			if (text[j] != '\n' && text[j] != '\r' && text[j] != ' ')
				text[n++] = text[j];
		if (text)
			text[n] = '\0';
		if (!text || ncm_rest_b64_decode(text, &raw, &raw_len)) {
			free(text);
			ncm_err_set(&err, NCM_ERR_INVAL, "text/plain body must be a base64 ZIP");
			goto fail;
		}
		free(text);
	}
	if (ncm_zip_open(zip, raw ? raw : (unsigned char *)req->body, raw_len, &err))
		goto fail;
	rc = ncm_zip_find_manifest(zip, &me, folder, sizeof(folder), &err);
	if (rc == NCM_ERR_NOT_FOUND) {
		ncm_err_set(&err, NCM_ERR_INVAL, looks_like_modem(zip)
			    ? "modem firmware cannot be uploaded; Nordic provides modem bundles"
			    : "bundle has no manifest.json");
		goto fail;
	}
	if (rc)
		goto fail;
	if (ncm_zip_extract(zip, me, &data, &len, &err))
		goto fail;
	manifest = json_loadb((char *)data, len, 0, NULL);
	free(data);
	data = NULL;
	if (!manifest) {
		ncm_err_set(&err, NCM_ERR_INVAL, "manifest.json is not JSON");
		goto fail;
	}
	if (ncm_fota_manifest_parse(manifest, &m, &err))
		goto fail;
	if (m.type == NCM_FW_MODEM || m.type == NCM_FW_MDM_FULL) {
		ncm_err_set(&err, NCM_ERR_INVAL,
			    "modem firmware cannot be uploaded; Nordic provides modem bundles");
		goto fail;
	}
	for (i = 0; i < m.n_files; i++) {
		const struct ncm_zip_entry *fe = ncm_zip_find(zip, m.files[i]);

		declared += fe ? (int64_t)fe->size : 0;
	}
	if (budget_take(declared, &err)) {
		status = err.code == NCM_ERR_TOO_BIG ? MHD_HTTP_CONTENT_TOO_LARGE
						     : MHD_HTTP_INTERNAL_SERVER_ERROR;
		code = err.code == NCM_ERR_TOO_BIG ? 41300 : 50010;
		goto fail;
	}
	reserved = declared;
	RAND_bytes(rnd, sizeof(rnd));
	ncm_fota_bundle_id(m.type, rnd, m.version, b.bundle_id, sizeof(b.bundle_id));
	if (ncm_path(dir, sizeof(dir), "%s/firmware/%s/%s", ncm_rt()->cfg.data_dir,
		     ncm_rt()->team.tenant_id, b.bundle_id) ||
	    ncm_mkdir_p(dir, 0755, &err)) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		code = 50010;
		goto fail;
	}
	made_dir = 1;
	for (i = 0; i < m.n_files; i++) {
		const struct ncm_zip_entry *fe;

		/* file names are relative to the manifest's folder */
		snprintf(entry_name, sizeof(entry_name), "%s%s", folder, m.files[i]);
		fe = ncm_zip_find(zip, entry_name);
		if (!fe) {
			ncm_err_set(&err, NCM_ERR_INVAL, "manifest names '%s', which the ZIP lacks",
				    m.files[i]);
			goto fail;
		}
		if (ncm_zip_extract(zip, fe, &data, &len, &err))
			goto fail;
		if (m.sizes[i] && m.sizes[i] != len) {
			ncm_err_set(&err, NCM_ERR_INVAL, "'%s' is %zu bytes, manifest says %llu",
				    m.files[i], len, m.sizes[i]);
			goto fail;
		}
		sha256_hex(data, len, sha);
		if (ncm_path(path, sizeof(path), "%s/%s", dir, m.files[i]) ||
		    ncm_file_write(path, data, len, 0644, &err)) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			code = 50010;
			goto fail;
		}
		free(data);
		data = NULL;
		json_array_append_new(files, json_pack("{s:s,s:I,s:s}", "file", m.files[i],
						       "size", (json_int_t)len, "sha256", sha));
		b.size += (int64_t)len;
		ncm_fota_file_url(b.bundle_id, m.files[i], url, sizeof(url));
		json_array_append_new(uris, json_string(url));
	}
	snprintf(b.type, sizeof(b.type), "%s", ncm_fw_type_name(m.type));
	snprintf(b.version, sizeof(b.version), "%s", m.version);
	b.name = m.name ? strdup(m.name) : NULL;
	b.description = m.description ? strdup(m.description) : NULL;
	b.files_json = ncm_json_dumps(files, JSON_COMPACT);
	b.created_ms = ncm_rt_now_ms();
	if (ncm_store_bundle_put(ncm_rt_db(), &b, &err)) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		code = 50010;
		goto fail;
	}
	ncm_log(NCM_LOG_NOTICE, "rest: firmware bundle %s (%lld bytes)", b.bundle_id,
		(long long)b.size);
	ret = ncm_reply_json(req, MHD_HTTP_ACCEPTED, json_pack("{s:O}", "uris", uris));
	goto out;
fail:
	ncm_log(NCM_LOG_NOTICE, "rest: firmware upload refused: %s", err.msg);
	/* nothing of a refused upload stays on disk */
	if (made_dir)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	ret = ncm_reply_error(req, (unsigned)status, code, "%s", err.msg);
out:
	if (reserved)
		budget_release(reserved);
	free(data);
	free(raw);
	free(zip);
	json_decref(manifest);
	json_decref(files);
	json_decref(uris);
	ncm_bundle_release(&b);
	return ret;
}

static json_t *bundle_json(const struct ncm_bundle *b)
{
	json_t *files = json_loads(b->files_json, 0, NULL), *f, *names = json_array(), *o;
	char when[40];
	size_t i;

	json_array_foreach(files, i, f)
		json_array_append(names, json_object_get(f, "file"));
	json_decref(files);
	ncm_rt_iso8601(b->created_ms, when, sizeof(when));
	o = json_pack("{s:s,s:s,s:s,s:o,s:I,s:s}", "bundleId", b->bundle_id, "version", b->version,
		      "type", b->type, "filenames", names, "size", (json_int_t)b->size,
		      "lastModified", when);
	if (b->name)
		json_object_set_new(o, "name", json_string(b->name));
	if (b->description)
		json_object_set_new(o, "description", json_string(b->description));
	return o;
}

static int list_cb(const struct ncm_bundle *b, void *userdata)
{
	return json_array_append_new(userdata, bundle_json(b)) ? NCM_ERR_NOMEM : NCM_OK;
}

static int firmwares_fill(const char *after, int limit, json_t *items, void *userdata,
			  struct ncm_err_info *err)
{
	struct ncm_req *req = userdata;

	return ncm_store_bundle_foreach(ncm_rt_db(), after, ncm_rest_query_bool(req, "modemOnly"),
					limit, list_cb, items, err);
}

enum MHD_Result ncm_rest_firmwares_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, 10, 100, "bundleId", firmwares_fill, req);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

enum MHD_Result ncm_rest_firmware_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	char dir[PATH_MAX];
	int rc = ncm_store_bundle_delete(ncm_rt_db(), req->params[0], &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	if (!ncm_path(dir, sizeof(dir), "%s/firmware/%s/%s", ncm_rt()->cfg.data_dir,
		      ncm_rt()->team.tenant_id, req->params[0]))
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return ncm_rest_accepted(req);
}
