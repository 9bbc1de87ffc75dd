/* SPDX-License-Identifier: MIT
 * fixtures.c: the fixture loader (see fixtures.h).
 */
#include "fixtures.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "devices.h"
#include "firmware.h"
#include "locations.h"
#include "devid.h"
#include "file.h"
#include "log.h"
#include "pairing.h"
#include "shadow.h"
#include "shadows.h"
#include "pki.h"
#include "records.h"
#include "team.h"
#include "jsontext.h"

static int random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	size_t i;

	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return NCM_ERR_CRYPTO;
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", buf[i]);
	return NCM_OK;
}

static json_t *load_json(const char *path, struct ncm_err_info *err)
{
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	json_t *root;

	if (ncm_file_read(path, NCM_FIXTURE_MAX_FILE, &text, &len, err))
		return NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s:%d:%d: %s", path, jerr.line,
			    jerr.column, jerr.text);
	else if (!json_is_object(root)) {
		ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: not a JSON object", path);
		json_decref(root);
		root = NULL;
	}
	free(text);
	return root;
}

static int copy_str(json_t *obj, const char *key, char *dst, size_t size, int required,
		    const char *path, struct ncm_err_info *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v && !required)
		return NCM_OK;
	if (!json_is_string(v))
		return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: \"%s\" must be a string",
				   path, key);
	if (json_string_length(v) >= size)
		return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: \"%s\" is too long", path,
				   key);
	snprintf(dst, size, "%s", json_string_value(v));
	return NCM_OK;
}

static int load_team(struct ncm_db *db, const char *dir, time_t now, struct ncm_err_info *err)
{
	struct ncm_team team = { 0 };
	char path[PATH_MAX];
	json_t *root = NULL, *keys, *k;
	size_t i;
	int rc;

	rc = ncm_store_team_get(db, &team, err);
	if (rc != NCM_ERR_NOT_FOUND)
		return rc;
	memset(&team, 0, sizeof(team));
	if (!dir || ncm_path(path, sizeof(path), "%s/team.json", dir) || !ncm_file_exists(path)) {
		snprintf(team.name, sizeof(team.name), "nrfcloud-mock");
		snprintf(team.stage, sizeof(team.stage), "prod");
		/* a UUID v4 in the lower-case form nRF Cloud's tenant IDs have
		 * (docs/protocol-rest.md#account) */
		if (ncm_store_uuid_random(team.tenant_id) || random_hex(team.api_key, 20))
			return ncm_err_set(err, NCM_ERR_CRYPTO, "fixtures: no randomness");
		ncm_log(NCM_LOG_NOTICE, "fixtures: no team.json; made team %s", team.tenant_id);
		return ncm_store_team_put(db, &team, (int64_t)now * 1000, err);
	}
	root = load_json(path, err);
	if (!root)
		return err ? err->code : NCM_ERR_INVAL;
	rc = copy_str(root, "tenantId", team.tenant_id, sizeof(team.tenant_id), 1, path, err);
	if (!rc)
		rc = copy_str(root, "name", team.name, sizeof(team.name), 1, path, err);
	snprintf(team.stage, sizeof(team.stage), "prod");
	if (!rc)
		rc = copy_str(root, "stage", team.stage, sizeof(team.stage), 0, path, err);
	if (rc)
		goto out;
	/* stage and tenant become MQTT topic levels (docs/protocol-mqtt.md#topic-prefix) */
	if (strpbrk(team.stage, "/+#") || strpbrk(team.tenant_id, "/+#") || !team.tenant_id[0] ||
	    !team.stage[0]) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "fixtures: %s: tenantId and stage must be non-empty and contain "
				 "no '/', '+' or '#'", path);
		goto out;
	}
	keys = json_object_get(root, "apiKeys");
	if (!json_is_array(keys) || json_array_size(keys) == 0) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "fixtures: %s: \"apiKeys\" must be a non-empty array of strings",
				 path);
		goto out;
	}
	/* every key is checked before anything is stored: a bad file stores no team at all */
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k) || json_string_length(k) == 0 ||
		    json_string_length(k) >= sizeof(team.api_key)) {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "fixtures: %s: apiKeys[%zu] must be a string of 1 to %zu "
					 "characters", path, i, sizeof(team.api_key) - 1);
			goto out;
		}
	}
	json_array_foreach(keys, i, k) {
		snprintf(team.api_key, sizeof(team.api_key), "%s", json_string_value(k));
		/* keys keep file order: each later key is a millisecond younger */
		rc = ncm_store_team_put(db, &team, (int64_t)now * 1000 + (int64_t)i, err);
		if (rc)
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

/* A fixture's initial shadow: {"desired":{..},"reported":{..}}, with the team prefix and the
 * pairing added to desired as for every device. */
static int load_shadow(struct ncm_db *db, const char *path, const char *id, json_t *state,
		       time_t now, struct ncm_err_info *err)
{
	struct ncm_team team;
	char prefix[256], msg[256] = "";
	json_t *base = NULL, *replaced = NULL, *final = NULL;
	int rc;

	rc = ncm_store_team_get(db, &team, err);
	if (rc)
		return rc;
	ncm_team_prefix(&team, prefix, sizeof(prefix));
	base = ncm_pairing_ensure(NULL, prefix, id, now, NULL);
	replaced = base ? ncm_shadow_replace(base, state, now, msg, sizeof(msg)) : NULL;
	if (!replaced) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: \"shadow\": %s", path,
				 msg[0] ? msg : "invalid");
		goto out;
	}
	final = ncm_pairing_ensure(replaced, prefix, id, now, NULL);
	rc = final ? ncm_store_shadow_put(db, id, final, err)
		   : ncm_err_set(err, NCM_ERR_NOMEM, "fixtures: out of memory");
out:
	json_decref(final);
	json_decref(replaced);
	json_decref(base);
	return rc;
}

/* 0 and the certificate when <dir>/<id>.crt and .key exist, belong together, name the device
 * and come from the lab CA: a fixture device keeps its identity across restarts and resets. */
static int reuse_device_files(const char *dir, const char *id, const struct ncm_ca *ca,
			      X509 **cert)
{
	char path[PATH_MAX], cn[NCM_DEVID_MAX + 1];
	char *pem = NULL;
	size_t len;
	EVP_PKEY *key = NULL;
	int rc = -1;

	*cert = NULL;
	if (ncm_path(path, sizeof(path), "%s/%s.crt", dir, id) ||
	    ncm_file_read(path, 65536, &pem, &len, NULL) ||
	    ncm_pki_cert_from_pem(pem, len, cert, NULL))
		goto out;
	free(pem);
	pem = NULL;
	if (ncm_path(path, sizeof(path), "%s/%s.key", dir, id) ||
	    ncm_file_read(path, 65536, &pem, &len, NULL) ||
	    ncm_pki_key_from_pem(pem, len, &key, NULL))
		goto out;
	if (ncm_pki_cert_has_key(*cert, key) && ncm_pki_cert_issued_by(*cert, ca->cert) &&
	    !ncm_pki_cert_cn(*cert, cn, sizeof(cn)) && !strcmp(cn, id))
		rc = 0;
out:
	if (pem)
		OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	EVP_PKEY_free(key);
	if (rc) {
		X509_free(*cert);
		*cert = NULL;
	}
	return rc;
}

/* Makes the device row for one fixture (root, from the file or document named path); issues a
 * certificate when it brings none. */
static int load_device_doc(struct ncm_db *db, json_t *root, const char *path,
			   const struct ncm_ca *ca, const char *out_dir, time_t now,
			   struct ncm_err_info *err)
{
	struct ncm_device d = { 0 }, existing;
	struct ncm_err_info why;
	char cn[NCM_DEVID_MAX + 1];
	json_t *v;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	if (!json_is_object(root))
		return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: not a JSON object", path);
	rc = copy_str(root, "id", d.id, sizeof(d.id), 1, path, err);
	if (rc)
		goto out;
	rc = ncm_devid_check(d.id, &why);
	if (rc) {
		ncm_err_set(err, rc, "fixtures: %s: %s", path, why.msg);
		goto out;
	}
	rc = ncm_store_device_get(db, d.id, &existing, NULL);
	if (rc == NCM_OK) {
		ncm_device_release(&existing);
		goto out;
	}
	v = json_object_get(root, "name");
	if (json_is_string(v))
		d.name = strdup(json_string_value(v));
	v = json_object_get(root, "subType");
	if (json_is_string(v))
		d.sub_type = strdup(json_string_value(v));
	v = json_object_get(root, "tags");
	d.tags_json = json_is_array(v) ? ncm_json_dumps(v, JSON_COMPACT) : strdup("[]");
	v = json_object_get(root, "certificate");
	if (json_is_string(v)) {
		rc = ncm_pki_cert_from_pem(json_string_value(v), json_string_length(v), &cert,
					   err);
		if (rc)
			goto out;
		if (ncm_pki_cert_cn(cert, cn, sizeof(cn)) || strcasecmp(cn, d.id)) {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "fixtures: %s: certificate CN is not the device ID %s",
					 path, d.id);
			goto out;
		}
	} else if (!reuse_device_files(out_dir, d.id, ca, &cert)) {
		/* the identity issued before (an earlier start or reset) stays the device's */
	} else {
		rc = ncm_ca_issue_device(ca, d.id, now, &cert, &key, err);
		if (!rc)
			rc = ncm_ca_write_device(out_dir, d.id, cert, key, err);
		if (rc)
			goto out;
		ncm_log(NCM_LOG_NOTICE, "fixtures: issued %s/%s.crt and .key", out_dir, d.id);
	}
	rc = ncm_pki_cert_to_pem(cert, &d.cert_pem);
	if (!rc)
		rc = ncm_pki_cert_fingerprint(cert, d.fingerprint);
	if (rc) {
		ncm_err_set(err, rc, "fixtures: %s: cannot encode certificate", path);
		goto out;
	}
	snprintf(d.onboarded_by, sizeof(d.onboarded_by), "fixture");
	d.created_ms = (int64_t)now * 1000;
	rc = ncm_store_device_insert(db, &d, err);
	if (!rc && json_object_get(root, "shadow"))
		rc = load_shadow(db, path, d.id, json_object_get(root, "shadow"), now, err);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_device_release(&d);
	return rc;
}

static int load_device(struct ncm_db *db, const char *path, const struct ncm_ca *ca,
		       const char *out_dir, time_t now, struct ncm_err_info *err)
{
	json_t *root = load_json(path, err);
	int rc;

	if (!root)
		return err ? err->code : NCM_ERR_INVAL;
	rc = load_device_doc(db, root, path, ca, out_dir, now, err);
	json_decref(root);
	return rc;
}


static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when path holds exactly data (an image copied by an earlier start or reset). */
static int same_file(const char *path, const char *data, size_t len)
{
	char *have = NULL;
	size_t have_len;
	int same;

	if (ncm_file_read(path, len + 1, &have, &have_len, NULL))
		return 0;
	same = have_len == len && !memcmp(have, data, len);
	free(have);
	return same;
}

/* A file's bytes in a fixtures document: base64 "data" (what GET /mock/v1/fixtures writes). */
static int decode_data(const char *b64, char **out, size_t *len)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *buf;
	int got;

	if (n % 4 || n > 96u * 1024 * 1024)
		return -1;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (got < 0) {
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (pad < 2 && n > pad && b64[n - 1 - pad] == '=')
		pad++;
	*out = (char *)buf;
	*len = (size_t)got - pad;
	return 0;
}

/* One preloaded bundle (see fixtures.h) from root (the file or document named path); images
 * come from "source" files in fixtures_dir/firmware or from base64 "data". Kept as it is when
 * stored already. */
static int load_bundle_doc(struct ncm_db *db, json_t *root, const char *fixtures_dir,
			   const char *path, const char *data_dir, time_t now,
			   struct ncm_err_info *err)
{
	struct ncm_bundle b = { 0 }, existing;
	struct ncm_team team;
	json_t *files_in, *f, *files = json_array();
	char src[PATH_MAX], dst_dir[PATH_MAX], dst[PATH_MAX], sha[65];
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *data = NULL;
	size_t len, i, k;
	int rc;

	if (!json_is_object(root)) {
		json_decref(files);
		return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: not a JSON object", path);
	}
	rc = copy_str(root, "type", b.type, sizeof(b.type), 1, path, err);
	if (!rc)
		rc = copy_str(root, "version", b.version, sizeof(b.version), 1, path, err);
	if (!rc)
		rc = copy_str(root, "bundleId", b.bundle_id, sizeof(b.bundle_id), 0, path, err);
	if (!rc)
		rc = ncm_store_team_get(db, &team, err);
	if (rc)
		goto out;
	if (!b.bundle_id[0])
		snprintf(b.bundle_id, sizeof(b.bundle_id), "%s*00000000*%s", b.type, b.version);
	if (ncm_store_bundle_get(db, b.bundle_id, &existing, NULL) == NCM_OK) {
		ncm_bundle_release(&existing);
		goto out;
	}
	if (strchr(b.bundle_id, '/') || strstr(b.bundle_id, "..")) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: bad bundleId", path);
		goto out;
	}
	if (json_is_string(json_object_get(root, "name")))
		b.name = strdup(json_string_value(json_object_get(root, "name")));
	files_in = json_object_get(root, "files");
	if (!json_is_array(files_in) || !json_array_size(files_in)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: \"files\" must be a non-empty "
				 "array", path);
		goto out;
	}
	ncm_path(dst_dir, sizeof(dst_dir), "%s/firmware/%s/%s", data_dir, team.tenant_id,
		 b.bundle_id);
	rc = ncm_mkdir_p(dst_dir, 0755, err);
	json_array_foreach(files_in, i, f) {
		const char *file = json_string_value(json_object_get(f, "file"));
		const char *source = json_string_value(json_object_get(f, "source"));
		const char *b64 = json_string_value(json_object_get(f, "data"));

		if (rc)
			break;
		if (!b64 && !fixtures_dir)
			source = NULL;
		if (!file || (!source && !b64) || (source && strchr(source, '/')) ||
		    strchr(file, '/') || !strcmp(file, "..") || !strcmp(file, ".")) {
			rc = ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: files[%zu] needs a plain "
					 "\"file\" name and a \"source\" file name or base64 "
					 "\"data\"", path, i);
			break;
		}
		if ((!b64 && ncm_path(src, sizeof(src), "%s/firmware/%s", fixtures_dir, source)) ||
		    ncm_path(dst, sizeof(dst), "%s/%s", dst_dir, file)) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
			break;
		}
		if (b64 && decode_data(b64, &data, &len))
			rc = ncm_err_set(err, NCM_ERR_INVAL, "fixtures: %s: files[%zu].data is not "
					 "base64", path, i);
		else if (!b64)
			rc = ncm_file_read(src, 64u * 1024 * 1024, &data, &len, err);
		if (!rc && !same_file(dst, data, len))
			rc = ncm_file_write(dst, data, len, 0644, err);
		if (rc)
			break;
		EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
		for (k = 0; k < 32; k++)
			snprintf(sha + 2 * k, 3, "%02x", md[k]);
		free(data);
		data = NULL;
		json_array_append_new(files, json_pack("{s:s,s:I,s:s}", "file", file, "size",
						       (json_int_t)len, "sha256", sha));
		b.size += (int64_t)len;
	}
	if (rc)
		goto out;
	b.files_json = ncm_json_dumps(files, JSON_COMPACT);
	b.created_ms = (int64_t)now * 1000;
	rc = ncm_store_bundle_put(db, &b, err);
	if (!rc)
		ncm_log(NCM_LOG_NOTICE, "fixtures: firmware bundle %s", b.bundle_id);
out:
	free(data);
	json_decref(files);
	ncm_bundle_release(&b);
	return rc;
}

static int load_bundle(struct ncm_db *db, const char *fixtures_dir, const char *path,
		       const char *data_dir, time_t now, struct ncm_err_info *err)
{
	json_t *root = load_json(path, err);
	int rc;

	if (!root)
		return err ? err->code : NCM_ERR_INVAL;
	rc = load_bundle_doc(db, root, fixtures_dir, path, data_dir, now, err);
	json_decref(root);
	return rc;
}

/* The *.json names of folder dir/sub, sorted, so that which file wins never depends on the
 * file system. *names is a malloc'd array of malloc'd names. */
static int json_names(const char *dir, const char *sub, char ***names, size_t *n,
		      struct ncm_err_info *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t cap = 0, len;
	DIR *dh;

	*names = NULL;
	*n = 0;
	if (ncm_path(path, sizeof(path), "%s/%s", dir, sub))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
	dh = opendir(path);
	if (!dh)
		return NCM_OK;
	while ((e = readdir(dh))) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **grown = realloc(*names, (cap = cap ? cap * 2 : 16) * sizeof(**names));

			if (!grown)
				goto nomem;
			*names = grown;
		}
		(*names)[*n] = strdup(e->d_name);
		if (!(*names)[*n])
			goto nomem;
		(*n)++;
	}
	closedir(dh);
	qsort(*names, *n, sizeof(**names), cmp_names);
	return NCM_OK;
nomem:
	closedir(dh);
	return ncm_err_set(err, NCM_ERR_NOMEM, "fixtures: out of memory");
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* location/<name>: cells, access points and anchors the location services answer from. */
static int load_location(struct ncm_db *db, const char *dir, const char *name,
			 struct ncm_err_info *err)
{
	char path[PATH_MAX];
	json_t *root;
	int rc;

	if (ncm_path(path, sizeof(path), "%s/location/%s", dir, name))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
	root = load_json(path, err);
	if (!root)
		return err ? err->code : NCM_ERR_INVAL;
	rc = ncm_store_loc_load(db, root, 0, path, NULL, err);
	json_decref(root);
	return rc;
}

int ncm_fixtures_load(struct ncm_db *db, const char *dir, const struct ncm_ca *ca,
		      const char *data_dir, time_t now, struct ncm_err_info *err)
{
	char path[PATH_MAX], devices_out[PATH_MAX];
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	rc = load_team(db, dir, now, err);
	if (rc || !dir)
		return rc;
	if (ncm_path(devices_out, sizeof(devices_out), "%s/devices", data_dir))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
	rc = json_names(dir, "devices", &names, &n, err);
	for (i = 0; i < n && !rc; i++) {
		if (ncm_path(path, sizeof(path), "%s/devices/%s", dir, names[i]))
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
		else
			rc = load_device(db, path, ca, devices_out, now, err);
	}
	free_names(names, n);
	if (rc)
		return rc;
	rc = json_names(dir, "firmware", &names, &n, err);
	for (i = 0; i < n && !rc; i++) {
		if (ncm_path(path, sizeof(path), "%s/firmware/%s", dir, names[i]))
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
		else
			rc = load_bundle(db, dir, path, data_dir, now, err);
	}
	free_names(names, n);
	if (rc)
		return rc;
	rc = json_names(dir, "location", &names, &n, err);
	for (i = 0; i < n && !rc; i++)
		rc = load_location(db, dir, names[i], err);
	free_names(names, n);
	return rc;
}

int ncm_fixtures_load_doc(struct ncm_db *db, const json_t *doc, const struct ncm_ca *ca,
			  const char *data_dir, time_t now, struct ncm_err_info *err)
{
	const json_t *devices = json_object_get(doc, "devices");
	const json_t *firmware = json_object_get(doc, "firmware");
	char devices_out[PATH_MAX], where[64];
	json_t *v;
	size_t i;
	int rc = NCM_OK;

	if (!json_is_object(doc) || (devices && !json_is_array(devices)) ||
	    (firmware && !json_is_array(firmware)))
		return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: the document must be an object "
				   "with \"devices\" and \"firmware\" arrays");
	if (ncm_path(devices_out, sizeof(devices_out), "%s/devices", data_dir))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
	/* images are written before the caller commits: refuse a bad one before writing any */
	json_array_foreach(firmware, i, v) {
		json_t *f;
		size_t k, len;
		char *data;

		if (!json_is_array(json_object_get(v, "files")) ||
		    !json_array_size(json_object_get(v, "files")))
			return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: firmware[%zu]: \"files\" "
					   "must be a non-empty array", i);
		json_array_foreach(json_object_get(v, "files"), k, f) {
			const char *b64 = json_string_value(json_object_get(f, "data"));

			if (!b64 || decode_data(b64, &data, &len))
				return ncm_err_set(err, NCM_ERR_INVAL, "fixtures: firmware[%zu]."
						   "files[%zu]: \"data\" must be base64", i, k);
			free(data);
		}
	}
	json_array_foreach(devices, i, v) {
		snprintf(where, sizeof(where), "devices[%zu]", i);
		rc = load_device_doc(db, v, where, ca, devices_out, now, err);
		if (rc)
			return rc;
	}
	json_array_foreach(firmware, i, v) {
		snprintf(where, sizeof(where), "firmware[%zu]", i);
		rc = load_bundle_doc(db, v, NULL, where, data_dir, now, err);
		if (rc)
			return rc;
	}
	if (json_object_get(doc, "location"))
		rc = ncm_store_loc_load(db, json_object_get(doc, "location"), 0, "location", NULL,
					err);
	return rc;
}

struct export {
	struct ncm_db *db;
	const char *dir;   /* <data>/firmware/<tenant> */
	json_t *items;
	struct ncm_err_info *err;
};

/* A new reference to obj[key], or a new empty object. */
static json_t *or_empty(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v ? json_incref(v) : json_object();
}

static int export_device(const struct ncm_device *d, void *userdata)
{
	struct export *x = userdata;
	json_t *o, *doc = NULL, *state;

	o = json_pack("{s:s,s:s,s:o}", "id", d->id, "name", d->name ? d->name : d->id, "tags",
		      json_loads(d->tags_json ? d->tags_json : "[]", 0, NULL) ?: json_array());
	if (!o)
		return ncm_err_set(x->err, NCM_ERR_NOMEM, "fixtures: out of memory");
	if (d->sub_type)
		json_object_set_new(o, "subType", json_string(d->sub_type));
	if (d->cert_pem)
		json_object_set_new(o, "certificate", json_string(d->cert_pem));
	if (ncm_store_shadow_get(x->db, d->id, &doc, NULL) == NCM_OK) {
		state = json_object_get(doc, "state");
		json_object_set_new(o, "shadow", json_pack("{s:o,s:o}", "desired",
							   or_empty(state, "desired"), "reported",
							   or_empty(state, "reported")));
		json_decref(doc);
	}
	json_array_append_new(x->items, o);
	return NCM_OK;
}

static int export_bundle(const struct ncm_bundle *b, void *userdata)
{
	struct export *x = userdata;
	json_t *files = json_loads(b->files_json ? b->files_json : "[]", 0, NULL), *f;
	json_t *out = json_array();
	char path[PATH_MAX], *data = NULL, *b64 = NULL;
	size_t i, len;
	int rc = NCM_OK;

	json_array_foreach(files, i, f) {
		const char *file = json_string_value(json_object_get(f, "file"));

		if (!file || ncm_path(path, sizeof(path), "%s/%s/%s", x->dir, b->bundle_id, file)) {
			rc = ncm_err_set(x->err, NCM_ERR_INVAL, "fixtures: bundle %s: bad file",
					 b->bundle_id);
			goto out;
		}
		rc = ncm_file_read(path, 64u * 1024 * 1024, &data, &len, x->err);
		if (rc)
			goto out;
		b64 = malloc(4 * ((len + 2) / 3) + 1);
		if (!b64) {
			rc = ncm_err_set(x->err, NCM_ERR_NOMEM, "fixtures: out of memory");
			goto out;
		}
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)data, (int)len);
		json_array_append_new(out, json_pack("{s:s,s:s}", "file", file, "data", b64));
		free(data);
		free(b64);
		data = b64 = NULL;
	}
	f = json_pack("{s:s,s:s,s:s,s:O}", "bundleId", b->bundle_id, "type", b->type, "version",
		      b->version, "files", out);
	if (f && b->name)
		json_object_set_new(f, "name", json_string(b->name));
	json_array_append_new(x->items, f);
out:
	free(data);
	free(b64);
	json_decref(out);
	json_decref(files);
	return rc;
}

int ncm_fixtures_export(struct ncm_db *db, const char *data_dir, json_t **doc,
			struct ncm_err_info *err)
{
	struct ncm_team team;
	char dir[PATH_MAX];
	struct export x = { db, dir, NULL, err };
	json_t *devices = json_array(), *firmware = json_array(), *location = NULL;
	int rc;

	*doc = NULL;
	rc = ncm_store_team_get(db, &team, err);
	if (!rc && ncm_path(dir, sizeof(dir), "%s/firmware/%s", data_dir, team.tenant_id))
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "fixtures: path too long");
	x.items = devices;
	if (!rc)
		rc = ncm_store_device_foreach(db, export_device, &x, err);
	x.items = firmware;
	if (!rc)
		rc = ncm_store_bundle_foreach(db, NULL, 0, 1000000, export_bundle, &x, err);
	if (!rc)
		rc = ncm_store_loc_export(db, &location, err);
	if (!rc) {
		*doc = json_pack("{s:s,s:s,s:o,s:o,s:o}", "format", "nrfcloud-mock-fixtures/1",
				 "tenantId", team.tenant_id, "devices", devices, "firmware",
				 firmware, "location", location);
		return *doc ? NCM_OK : ncm_err_set(err, NCM_ERR_NOMEM, "fixtures: out of memory");
	}
	json_decref(devices);
	json_decref(firmware);
	return rc;
}
