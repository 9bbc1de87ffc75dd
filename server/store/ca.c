/* SPDX-License-Identifier: MIT
 * ca.c: the lab CA's files (see ca.h). Certificate work itself is core/pki.c.
 */
#include "ca.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "file.h"
#include "log.h"
#include "pki.h"

int ncm_ca_path(const char *data_dir, const char *name, char *buf, size_t size)
{
	return ncm_path(buf, size, "%s/ca/%s", data_dir, name);
}

static int load_pem_file(const char *data_dir, const char *name, char **pem, size_t *len,
			 struct ncm_err_info *err)
{
	char path[PATH_MAX];

	if (ncm_ca_path(data_dir, name, path, sizeof(path)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "ca: data path too long");
	return ncm_file_read(path, NCM_CA_MAX_PEM, pem, len, err);
}

int ncm_ca_load(const char *data_dir, struct ncm_ca *ca, struct ncm_err_info *err)
{
	char *pem = NULL;
	size_t len;
	int rc;

	memset(ca, 0, sizeof(*ca));
	rc = load_pem_file(data_dir, "ca.pem", &pem, &len, err);
	if (rc)
		goto out;
	rc = ncm_pki_cert_from_pem(pem, len, &ca->cert, err);
	if (rc)
		goto out;
	free(pem);
	pem = NULL;
	rc = load_pem_file(data_dir, "ca.key", &pem, &len, err);
	if (rc)
		goto out;
	rc = ncm_pki_key_from_pem(pem, len, &ca->key, err);
	if (rc)
		goto out;
	if (!ncm_pki_cert_has_key(ca->cert, ca->key))
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ca: ca.key does not belong to ca.pem");
out:
	if (pem)
		OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	if (rc)
		ncm_ca_release(ca);
	return rc;
}

void ncm_ca_release(struct ncm_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	memset(ca, 0, sizeof(*ca));
}

/* Writes a key (0600) and then its certificate (0644): a certificate on disk always has its
 * key, so a crash between the two leaves at worst an orphan key that the next run replaces. */
static int write_pair(const char *cert_path, const char *key_path, X509 *cert, EVP_PKEY *key,
		      struct ncm_err_info *err)
{
	char *pem = NULL;
	int rc;

	rc = ncm_pki_key_to_pem(key, &pem);
	if (rc) {
		ncm_err_set(err, rc, "ca: cannot encode key");
		goto out;
	}
	rc = ncm_file_write(key_path, pem, strlen(pem), 0600, err);
	if (rc)
		goto out;
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	pem = NULL;
	rc = ncm_pki_cert_to_pem(cert, &pem);
	if (rc) {
		ncm_err_set(err, rc, "ca: cannot encode certificate");
		goto out;
	}
	rc = ncm_file_write(cert_path, pem, strlen(pem), 0644, err);
out:
	free(pem);
	return rc;
}

static int write_cert_and_key(const char *data_dir, const char *cert_name, const char *key_name,
			      X509 *cert, EVP_PKEY *key, struct ncm_err_info *err)
{
	char cert_path[PATH_MAX], key_path[PATH_MAX];

	if (ncm_ca_path(data_dir, cert_name, cert_path, sizeof(cert_path)) ||
	    ncm_ca_path(data_dir, key_name, key_path, sizeof(key_path)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "ca: data path too long");
	return write_pair(cert_path, key_path, cert, key, err);
}

static int create_ca(const char *data_dir, time_t now, struct ncm_err_info *err)
{
	unsigned char rnd[4];
	char cn[64];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	/* a random suffix keeps two labs' roots apart (and their trust-folder hashes) */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ncm_err_set(err, NCM_ERR_CRYPTO, "ca: no randomness");
	snprintf(cn, sizeof(cn), "nrfcloud-mock lab CA %02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3]);
	rc = ncm_pki_key_new(&key, err);
	if (!rc)
		rc = ncm_pki_ca_new(key, cn, now, NCM_PKI_CA_DAYS, &cert, err);
	if (!rc)
		rc = write_cert_and_key(data_dir, "ca.pem", "ca.key", cert, key, err);
	if (!rc)
		ncm_log(NCM_LOG_NOTICE, "ca: created lab CA '%s' in %s/ca", cn, data_dir);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* 1 when the server certificate on disk is the lab CA's, has its key beside it, and carries
 * exactly the wanted SANs (in any order). */
static int server_cert_current(const char *data_dir, X509 *ca_cert, const char *const *sans,
			       size_t n_sans)
{
	struct ncm_err_info ignored;
	char *pem = NULL;
	char **have = NULL;
	size_t len, n_have = 0, i, j;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ok = 0;

	if (load_pem_file(data_dir, "server.pem", &pem, &len, &ignored) ||
	    ncm_pki_cert_from_pem(pem, len, &cert, &ignored))
		goto out;
	if (!ncm_pki_cert_issued_by(cert, ca_cert))
		goto out;
	free(pem);
	pem = NULL;
	if (load_pem_file(data_dir, "server.key", &pem, &len, &ignored) ||
	    ncm_pki_key_from_pem(pem, len, &key, &ignored) || !ncm_pki_cert_has_key(cert, key))
		goto out;
	if (ncm_pki_cert_sans(cert, &have, &n_have, &ignored) || n_have != n_sans)
		goto out;
	for (i = 0; i < n_sans; i++) {
		for (j = 0; j < n_have && strcasecmp(sans[i], have[j]); j++)
			;
		if (j == n_have)
			goto out;
	}
	ok = 1;
out:
	ncm_pki_strv_free(have, n_have);
	EVP_PKEY_free(key);
	X509_free(cert);
	if (pem)
		OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return ok;
}

int ncm_ca_init(const char *data_dir, const char *const *sans, size_t n_sans, time_t now,
		int *created_ca, int *reissued, struct ncm_err_info *err)
{
	char path[PATH_MAX], key_path[PATH_MAX];
	struct ncm_ca ca = { 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc, have_cert, have_key;

	if (created_ca)
		*created_ca = 0;
	if (reissued)
		*reissued = 0;
	if (ncm_ca_path(data_dir, "trust", path, sizeof(path)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "ca: data path too long");
	rc = ncm_mkdir_p(path, 0755, err);
	if (rc)
		return rc;
	ncm_ca_path(data_dir, "ca.pem", path, sizeof(path));
	ncm_ca_path(data_dir, "ca.key", key_path, sizeof(key_path));
	have_cert = ncm_file_exists(path);
	have_key = ncm_file_exists(key_path);
	if (have_cert != have_key)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "ca: %s exists but %s does not; refusing to replace the lab CA",
				   have_cert ? path : key_path, have_cert ? key_path : path);
	if (!have_cert) {
		rc = create_ca(data_dir, now, err);
		if (rc)
			return rc;
		if (created_ca)
			*created_ca = 1;
	}
	rc = ncm_ca_load(data_dir, &ca, err);
	if (rc)
		goto out;
	rc = ncm_ca_trust_add(data_dir, ca.cert, err);
	if (rc)
		goto out;
	if (server_cert_current(data_dir, ca.cert, sans, n_sans))
		goto out;
	rc = ncm_pki_key_new(&key, err);
	if (!rc)
		rc = ncm_pki_server_cert_new(ca.cert, ca.key, key, sans, n_sans, now,
					     NCM_PKI_SERVER_DAYS, &cert, err);
	if (!rc)
		rc = write_cert_and_key(data_dir, "server.pem", "server.key", cert, key, err);
	if (!rc && reissued)
		*reissued = 1;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_ca_release(&ca);
	return rc;
}

static pthread_mutex_t trust_lock = PTHREAD_MUTEX_INITIALIZER;

int ncm_ca_trust_add(const char *data_dir, X509 *cert, struct ncm_err_info *err)
{
	char path[PATH_MAX];
	char *pem = NULL, *have = NULL;
	unsigned long hash = X509_subject_name_hash(cert);
	size_t len;
	int rc, n;

	rc = ncm_pki_cert_to_pem(cert, &pem);
	if (rc)
		return ncm_err_set(err, rc, "ca: cannot encode certificate");
	/* the check for an existing file and the write are one step for this process */
	pthread_mutex_lock(&trust_lock);
	for (n = 0; n < 100; n++) {
		if (ncm_path(path, sizeof(path), "%s/ca/trust/%08lx.%d", data_dir, hash, n)) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "ca: data path too long");
			goto out;
		}
		rc = ncm_file_read(path, NCM_CA_MAX_PEM, &have, &len, err);
		if (rc == NCM_ERR_NOT_FOUND) {
			rc = ncm_file_write(path, pem, strlen(pem), 0644, err);
			goto out;
		}
		if (rc)
			goto out;
		if (len == strlen(pem) && !memcmp(have, pem, len))
			goto out;
		free(have);
		have = NULL;
	}
	rc = ncm_err_set(err, NCM_ERR_IO, "ca: too many trusted certificates with hash %08lx",
			 hash);
out:
	pthread_mutex_unlock(&trust_lock);
	free(have);
	free(pem);
	return rc;
}

int ncm_ca_issue_device(const struct ncm_ca *ca, const char *id, time_t now, X509 **cert,
			EVP_PKEY **key, struct ncm_err_info *err)
{
	int rc;

	*cert = NULL;
	rc = ncm_pki_key_new(key, err);
	if (rc)
		return rc;
	rc = ncm_pki_device_cert_new(ca->cert, ca->key, *key, id, now, NCM_PKI_DEVICE_DAYS, cert,
				     err);
	if (rc) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return rc;
}

int ncm_ca_write_device(const char *dir, const char *id, X509 *cert, EVP_PKEY *key,
			struct ncm_err_info *err)
{
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	int rc;

	rc = ncm_mkdir_p(dir, 0755, err);
	if (rc)
		return rc;
	if (ncm_path(cert_path, sizeof(cert_path), "%s/%s.crt", dir, id) ||
	    ncm_path(key_path, sizeof(key_path), "%s/%s.key", dir, id))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "path too long");
	return write_pair(cert_path, key_path, cert, key, err);
}
