/* SPDX-License-Identifier: MIT
 * pki.h: the lab CA's certificate work, with OpenSSL only: P-256 keys, the CA root, the server
 * certificate, device certificates, CSR parsing (PEM, DER and the modem's AT%KEYGEN form) and
 * certificate facts (CN, fingerprint, SANs, issuer check). No files, no clock: callers pass
 * `now` and do their own I/O. Every function is thread-safe (no shared state).
 *
 * Ownership: functions named *_new and out-parameters of type X509 ** / EVP_PKEY ** /
 * X509_REQ ** / char ** hand the caller a new object it must free (X509_free, EVP_PKEY_free,
 * X509_REQ_free, free). Input objects are borrowed.
 */
#ifndef NCM_PKI_H
#define NCM_PKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

#define NCM_PKI_FP_LEN 64 /* SHA-256 fingerprint as lower-case hex, without separators */

/* Validity periods, in days. */
#define NCM_PKI_CA_DAYS (25 * 365)
#define NCM_PKI_SERVER_DAYS (10 * 365)
#define NCM_PKI_DEVICE_DAYS (10 * 365)

/* Certificates are back-dated by this many seconds so that a device whose clock is a little
 * behind does not see them as not yet valid (docs/protocol-mqtt.md#tls). */
#define NCM_PKI_BACKDATE_S (24 * 3600)

/* A new EC P-256 (prime256v1) key pair. */
int ncm_pki_key_new(EVP_PKEY **out, struct ncm_err_info *err);

/* A self-signed CA root for key: CN=cn, basicConstraints critical CA:TRUE, keyUsage
 * keyCertSign+cRLSign, subject key identifier; valid from now - NCM_PKI_BACKDATE_S for days. */
int ncm_pki_ca_new(EVP_PKEY *key, const char *cn, time_t now, int days, X509 **out,
		   struct ncm_err_info *err);

/* A TLS server certificate for key, signed by ca/ca_key: CN = sans[0], subjectAltName holds
 * every entry of sans (an entry that parses as an IPv4 or IPv6 address becomes an IP SAN, any
 * other a DNS SAN), extendedKeyUsage serverAuth, keyUsage digitalSignature, CA:FALSE,
 * authority key identifier. n_sans >= 1. */
int ncm_pki_server_cert_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *const *sans,
			    size_t n_sans, time_t now, int days, X509 **out,
			    struct ncm_err_info *err);

/* A device (client) certificate for the public key in pub, signed by ca/ca_key: subject CN =
 * device_id only, extendedKeyUsage clientAuth, keyUsage digitalSignature, CA:FALSE, authority
 * key identifier, random positive 16-byte serial. device_id must pass ncm_devid_check. */
int ncm_pki_device_cert_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub, const char *device_id,
			    time_t now, int days, X509 **out, struct ncm_err_info *err);

/* Parses a certificate signing request from:
 *  - PEM ("-----BEGIN CERTIFICATE REQUEST-----" or "NEW CERTIFICATE REQUEST"),
 *  - DER,
 *  - the modem's AT%KEYGEN answer: base64url(DER CSR), optionally followed by '.' and a
 *    base64url COSE_Sign1 attestation (ignored). Surrounding white space, double quotes and a
 *    leading "%KEYGEN:" are accepted, so the modem's whole response line can be pasted.
 * NCM_ERR_INVAL with a message when the data is none of these. len is capped at 64 KiB
 * (NCM_ERR_TOO_BIG above it). */
int ncm_pki_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
		      struct ncm_err_info *err);

/* Checks a parsed CSR: its self-signature verifies (NCM_ERR_INVAL "CSR signature does not
 * verify"), its key is EC P-256 (NCM_ERR_UNSUPPORTED naming the key type found), and its
 * subject CN exists and is a valid device ID (NCM_ERR_INVAL). On success copies the CN into
 * id_out (size >= NCM_DEVID_MAX + 1). */
int ncm_pki_csr_check(X509_REQ *req, char *id_out, size_t id_size, struct ncm_err_info *err);

/* Subject CN of cert into out; NCM_ERR_NOT_FOUND if there is none, NCM_ERR_TOO_BIG if it does
 * not fit, NCM_ERR_INVAL if it contains a NUL byte. */
int ncm_pki_cert_cn(X509 *cert, char *out, size_t size);

/* SHA-256 of the DER certificate as NCM_PKI_FP_LEN lower-case hex digits plus NUL. */
int ncm_pki_cert_fingerprint(X509 *cert, char out[NCM_PKI_FP_LEN + 1]);

/* 1 when cert's signature verifies with ca's public key and its issuer name equals ca's subject;
 * 0 otherwise. */
int ncm_pki_cert_issued_by(X509 *cert, X509 *ca);

/* 1 when cert's public key and pub are the same key; 0 otherwise. */
int ncm_pki_cert_has_key(X509 *cert, EVP_PKEY *pub);

/* Human-readable facts about a certificate, for `ca show` and the admin API. */
struct ncm_pki_info {
	char subject[256];     /* RFC 2253 one-line form */
	char issuer[256];
	char fingerprint[NCM_PKI_FP_LEN + 1];
	time_t not_before;
	time_t not_after;
	char sans[1024];       /* "DNS:a, DNS:b, IP:127.0.0.1", or "" */
};
int ncm_pki_cert_info(X509 *cert, struct ncm_pki_info *info, struct ncm_err_info *err);

/* The SAN entries of cert as plain strings ("localhost", "127.0.0.1", "::1"), in certificate
 * order: *out is a malloc'd array of malloc'd strings, *n its length; free with
 * ncm_pki_strv_free. */
int ncm_pki_cert_sans(X509 *cert, char ***out, size_t *n, struct ncm_err_info *err);
void ncm_pki_strv_free(char **v, size_t n);

/* PEM conversion. *_to_pem return a malloc'd NUL-terminated string. key_to_pem writes the
 * PKCS#8 private key ("BEGIN PRIVATE KEY"); pubkey_to_pem writes "BEGIN PUBLIC KEY". */
int ncm_pki_cert_to_pem(X509 *cert, char **out);
int ncm_pki_key_to_pem(EVP_PKEY *key, char **out);
int ncm_pki_pubkey_to_pem(EVP_PKEY *key, char **out);
int ncm_pki_cert_from_pem(const char *pem, size_t len, X509 **out, struct ncm_err_info *err);
int ncm_pki_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, struct ncm_err_info *err);
int ncm_pki_pubkey_from_pem(const char *pem, size_t len, EVP_PKEY **out,
			    struct ncm_err_info *err);

#endif
