/* SPDX-License-Identifier: MIT
 * rest_issue.c: issuing a device's credentials over REST (a new lab-CA key and certificate
 * stored for the device), shared by CreateDeviceCertificate and the account device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "devices.h"
#include "pki.h"
#include "rest_common.h"
#include "runtime.h"

/* Issues a key and certificate from the lab CA for id and stores the certificate: the device
 * row is created (onboarded by "rest", named name) or, when it exists, its certificate
 * replaced (c->existed set: the caller disconnects whoever holds the old one). On failure the
 * 500 50010 answer is queued in *ret ("cannot issue the <what> certificate" when issuing
 * failed) and -1 returned; release c in either case. */
int ncm_rest_issue_credentials(struct ncm_req *req, const char *id, const char *name,
			       const char *what, struct ncm_rest_credentials *c,
			       enum MHD_Result *ret)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 }, old;
	char fp[NCM_PKI_FP_LEN + 1];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (ncm_ca_issue_device(&rt->ca, id, (time_t)(ncm_rt_now_ms() / 1000), &cert, &key, &err) ||
	    ncm_pki_cert_to_pem(cert, &c->cert_pem) || ncm_pki_key_to_pem(key, &c->key_pem) ||
	    ncm_pki_cert_to_pem(rt->ca.cert, &c->ca_pem) || ncm_pki_cert_fingerprint(cert, fp)) {
		*ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "cannot issue the %s certificate: %s", what, err.msg);
		goto out;
	}
	c->existed = ncm_store_device_get(ncm_rt_db(), id, &old, NULL) == NCM_OK;
	if (c->existed) {
		ncm_device_release(&old);
		rc = ncm_store_device_set_credentials(ncm_rt_db(), id, c->cert_pem, fp, NULL,
						      ncm_rt_now_ms(), &err);
	} else {
		snprintf(d.id, sizeof(d.id), "%s", id);
		d.cert_pem = strdup(c->cert_pem);
		snprintf(d.fingerprint, sizeof(d.fingerprint), "%s", fp);
		d.name = strdup(name);
		snprintf(d.onboarded_by, sizeof(d.onboarded_by), "rest");
		d.created_ms = ncm_rt_now_ms();
		rc = d.cert_pem && d.name ? ncm_store_device_insert(ncm_rt_db(), &d, &err)
					  : ncm_err_set(&err, NCM_ERR_NOMEM, "out of memory");
	}
	if (rc) {
		*ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		rc = -1;
	}
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_device_release(&d);
	return rc;
}

void ncm_rest_credentials_release(struct ncm_rest_credentials *c)
{
	if (c->key_pem)
		OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	free(c->ca_pem);
	memset(c, 0, sizeof(*c));
}
