/* SPDX-License-Identifier: MIT
 * ca.h: the lab CA on disk (docs/architecture.md#identity-and-the-lab-ca). <data>/ca/ holds ca.pem and ca.key (the root, created
 * once and never replaced), server.pem and server.key (re-issued when the host names change),
 * and trust/, the capath folder the MQTT listener trusts (files named by subject hash, as
 * `openssl rehash` would, so onboarding can add device CAs without a restart;
 * docs/architecture.md#trusting-new-device-cas). Keys are written 0600.
 */
#ifndef NCM_CA_H
#define NCM_CA_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

#define NCM_CA_MAX_PEM (64 * 1024)

struct ncm_ca {
	X509 *cert;
	EVP_PKEY *key;
};

/* <data>/ca/<name> into buf. */
int ncm_ca_path(const char *data_dir, const char *name, char *buf, size_t size);

/* Creates the CA under data_dir if there is none (*created_ca = 1), and the server certificate
 * if there is none or its SANs differ from sans (*reissued = 1); makes sure the CA is in the
 * trust folder. Never replaces an existing CA; a CA certificate without its key (or the reverse)
 * is an error. Either out-flag may be NULL. */
int ncm_ca_init(const char *data_dir, const char *const *sans, size_t n_sans, time_t now,
		int *created_ca, int *reissued, struct ncm_err_info *err);

/* Loads the CA certificate and key. NCM_ERR_NOT_FOUND when there is no CA yet. */
int ncm_ca_load(const char *data_dir, struct ncm_ca *ca, struct ncm_err_info *err);
void ncm_ca_release(struct ncm_ca *ca);

/* Adds cert to the trust folder under its subject-hash name unless the same certificate is
 * there already. */
int ncm_ca_trust_add(const char *data_dir, X509 *cert, struct ncm_err_info *err);

/* A new P-256 key and a device certificate for it (CN = id) signed by the lab CA. */
int ncm_ca_issue_device(const struct ncm_ca *ca, const char *id, time_t now, X509 **cert,
			EVP_PKEY **key, struct ncm_err_info *err);

/* Writes <dir>/<id>.crt (0644) and <dir>/<id>.key (0600); creates dir if needed. */
int ncm_ca_write_device(const char *dir, const char *id, X509 *cert, EVP_PKEY *key,
			struct ncm_err_info *err);

#endif
