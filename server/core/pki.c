/* SPDX-License-Identifier: MIT
 * pki.c: the lab CA's certificate work with the OpenSSL 3 API (see pki.h): P-256 keys, the CA
 * root, server and device certificates, CSR parsing and checks, certificate facts and PEM
 * conversion. No files, no clock, no shared state.
 */
#include "pki.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "devid.h"

#define CSR_MAX (64 * 1024)
#define SERIAL_LEN 16
#define DAYS_MAX (100 * 365)
#define KEYGEN_PREFIX "%KEYGEN:"
#define P256_NAME SN_X9_62_prime256v1
#define NOT_A_CSR "not a certificate signing request: neither PEM, DER nor AT%KEYGEN output"

/* Sets err to code with "what: <OpenSSL's reason>" and empties the thread's OpenSSL error
 * queue, so that a later SSL_get_error() on the same thread is not misled by our leftovers. */
static int ssl_fail(struct ncm_err_info *err, int code, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char reason[256];

	if (e) {
		ERR_error_string_n(e, reason, sizeof(reason));
		ncm_err_set(err, code, "%s (%s)", what, reason);
	} else {
		ncm_err_set(err, code, "%s", what);
	}
	ERR_clear_error();
	return code;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const unsigned char **p, const unsigned char **end)
{
	while (*p < *end && is_space(**p))
		(*p)++;
	while (*end > *p && is_space((*end)[-1]))
		(*end)--;
}

int ncm_pki_key_new(EVP_PKEY **out, struct ncm_err_info *err)
{
	EVP_PKEY *key;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the new key");
	*out = NULL;
	key = EVP_EC_gen(P256_NAME);
	if (!key)
		return ssl_fail(err, NCM_ERR_CRYPTO, "cannot generate an EC P-256 key");
	*out = key;
	return NCM_OK;
}

/* Sets a CN-only name. The CN is written as a UTF8String directly (not through the MBSTRING
 * path) because that path enforces the X.520 64-character limit, and device IDs reach 128. */
static int name_set_cn(X509_NAME *name, const char *cn, struct ncm_err_info *err)
{
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
					(const unsigned char *)cn, -1, -1, 0))
		return ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the certificate's CN");
	return NCM_OK;
}

/* A random positive serial of exactly SERIAL_LEN bytes: the top bit is cleared (positive) and
 * the first byte is never zero, so the DER INTEGER keeps all 16 bytes. */
static int set_random_serial(X509 *x, struct ncm_err_info *err)
{
	unsigned char buf[SERIAL_LEN];
	BIGNUM *bn = NULL;
	int rc = NCM_OK;

	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot draw a random serial number");
		goto out;
	}
	buf[0] &= 0x7f;
	if (!buf[0])
		buf[0] = 0x01;
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the serial number");
out:
	BN_free(bn);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* The common part of every certificate: v3, random serial, subject CN=cn, issuer (the issuer
 * certificate's subject, or the new subject when self-signed), validity from now - BACKDATE for
 * days, and the public key. Extensions and the signature are left to the caller. */
static int cert_start(X509 *issuer, EVP_PKEY *pub, const char *cn, time_t now, int days,
		      X509 **out, struct ncm_err_info *err)
{
	X509 *x = NULL;
	time_t from = now - NCM_PKI_BACKDATE_S;
	int rc;

	*out = NULL;
	if (days < 1 || days > DAYS_MAX) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "validity of %d days is outside 1..%d", days,
				 DAYS_MAX);
		goto out;
	}
	x = X509_new();
	if (!x) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a certificate");
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3)) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the certificate version");
		goto out;
	}
	rc = set_random_serial(x, err);
	if (rc)
		goto out;
	rc = name_set_cn(X509_get_subject_name(x), cn, err);
	if (rc)
		goto out;
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
					      X509_get_subject_name(x))) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the issuer name");
		goto out;
	}
	if (!ASN1_TIME_adj(X509_getm_notBefore(x), from, 0, 0) ||
	    !ASN1_TIME_adj(X509_getm_notAfter(x), from, days, 0)) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the validity period");
		goto out;
	}
	if (!X509_set_pubkey(x, pub)) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot set the certificate's public key");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

/* Adds one extension written in OpenSSL's configuration syntax ("critical,CA:TRUE"). issuer is
 * the signing certificate (x itself for a self-signed one), used by authorityKeyIdentifier. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value, struct ncm_err_info *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	int rc = NCM_OK;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509V3_set_ctx_nodb(&ctx);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext || !X509_add_ext(x, ext, -1)) {
		char what[128];

		snprintf(what, sizeof(what), "cannot add the %s extension", OBJ_nid2ln(nid));
		rc = ssl_fail(err, NCM_ERR_CRYPTO, what);
	}
	X509_EXTENSION_free(ext);
	return rc;
}

static int sign_cert(X509 *x, EVP_PKEY *key, struct ncm_err_info *err)
{
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		return ssl_fail(err, NCM_ERR_CRYPTO, "cannot sign the certificate");
	return NCM_OK;
}

/* Checks the arguments every CA-signed certificate needs, including that ca_key is the key of
 * ca, so a mismatched pair fails here rather than producing certificates nobody can verify. */
static int check_issuer(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub, X509 **out,
			struct ncm_err_info *err)
{
	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the new certificate");
	*out = NULL;
	if (!ca || !ca_key)
		return ncm_err_set(err, NCM_ERR_INVAL, "no CA certificate or CA key given");
	if (!pub)
		return ncm_err_set(err, NCM_ERR_INVAL, "no key given for the new certificate");
	if (X509_check_private_key(ca, ca_key) != 1)
		return ssl_fail(err, NCM_ERR_INVAL, "the CA key does not match the CA certificate");
	return NCM_OK;
}

int ncm_pki_ca_new(EVP_PKEY *key, const char *cn, time_t now, int days, X509 **out,
		   struct ncm_err_info *err)
{
	X509 *x = NULL;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the new CA certificate");
	*out = NULL;
	if (!key)
		return ncm_err_set(err, NCM_ERR_INVAL, "no key given for the CA certificate");
	if (!cn || !*cn)
		return ncm_err_set(err, NCM_ERR_INVAL, "the CA certificate needs a CN");
	rc = cert_start(NULL, key, cn, now, days, &x, err);
	if (rc)
		goto out;
	rc = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE", err);
	if (!rc)
		rc = add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign", err);
	if (!rc)
		rc = add_ext(x, x, NID_subject_key_identifier, "hash", err);
	if (!rc)
		rc = sign_cert(x, key, err);
	if (rc)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

static int dns_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '*';
}

/* A SAN that is not an IP address must look like a DNS name: letters, digits, '.', '-', '_'
 * and '*' (wildcards), at most 253 characters. */
static int dns_name_check(const char *s, size_t len, struct ncm_err_info *err)
{
	size_t i;

	if (len > 253)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "subjectAltName '%.64s...' is longer than a DNS name can be", s);
	for (i = 0; i < len; i++) {
		if (!dns_char_ok(s[i]))
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "subjectAltName '%s' is neither an IP address nor a DNS "
					   "name (byte 0x%02x at position %zu)", s,
					   (unsigned char)s[i], i + 1);
	}
	return NCM_OK;
}

/* One subjectAltName entry: an IPv4 or IPv6 address becomes an IP SAN, anything else a DNS
 * SAN. */
static int san_entry_new(const char *s, GENERAL_NAME **out, struct ncm_err_info *err)
{
	unsigned char ip[16];
	GENERAL_NAME *gen = NULL;
	ASN1_STRING *val = NULL;
	int type, ip_len = 0, rc = NCM_OK;
	size_t len;

	*out = NULL;
	if (!s || !*s) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "a subjectAltName entry is empty");
		goto out;
	}
	len = strlen(s);
	if (inet_pton(AF_INET, s, ip) == 1)
		ip_len = 4;
	else if (inet_pton(AF_INET6, s, ip) == 1)
		ip_len = 16;
	if (!ip_len) {
		rc = dns_name_check(s, len, err);
		if (rc)
			goto out;
	}
	type = ip_len ? GEN_IPADD : GEN_DNS;
	val = ip_len ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
	gen = GENERAL_NAME_new();
	if (!val || !gen) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a subjectAltName entry");
		goto out;
	}
	if (!ASN1_STRING_set(val, ip_len ? (const void *)ip : (const void *)s,
			     ip_len ? ip_len : (int)len)) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a subjectAltName entry");
		goto out;
	}
	GENERAL_NAME_set0_value(gen, type, val);
	val = NULL;
	*out = gen;
	gen = NULL;
out:
	ASN1_STRING_free(val);
	GENERAL_NAME_free(gen);
	return rc;
}

static int add_sans(X509 *x, const char *const *sans, size_t n_sans, struct ncm_err_info *err)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gen = NULL;
	size_t i;
	int rc = NCM_OK;

	gens = GENERAL_NAMES_new();
	if (!gens) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate the subjectAltName list");
		goto out;
	}
	for (i = 0; i < n_sans; i++) {
		rc = san_entry_new(sans[i], &gen, err);
		if (rc)
			goto out;
		if (!sk_GENERAL_NAME_push(gens, gen)) {
			rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot grow the subjectAltName list");
			goto out;
		}
		gen = NULL;
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot add the subjectAltName extension");
out:
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The extensions shared by server and device certificates, then the EKU (serverAuth or
 * clientAuth) and the signature. */
static int finish_leaf(X509 *x, X509 *ca, EVP_PKEY *ca_key, const char *eku,
		       struct ncm_err_info *err)
{
	int rc;

	rc = add_ext(x, ca, NID_basic_constraints, "CA:FALSE", err);
	if (!rc)
		rc = add_ext(x, ca, NID_key_usage, "critical,digitalSignature", err);
	if (!rc)
		rc = add_ext(x, ca, NID_ext_key_usage, eku, err);
	if (!rc)
		rc = add_ext(x, ca, NID_authority_key_identifier, "keyid,issuer", err);
	if (!rc)
		rc = sign_cert(x, ca_key, err);
	return rc;
}

int ncm_pki_server_cert_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *const *sans,
			    size_t n_sans, time_t now, int days, X509 **out,
			    struct ncm_err_info *err)
{
	X509 *x = NULL;
	int rc;

	rc = check_issuer(ca, ca_key, key, out, err);
	if (rc)
		return rc;
	if (!sans || n_sans < 1 || !sans[0] || !*sans[0])
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "the server certificate needs at least one subjectAltName");
	rc = cert_start(ca, key, sans[0], now, days, &x, err);
	if (rc)
		goto out;
	rc = add_sans(x, sans, n_sans, err);
	if (!rc)
		rc = finish_leaf(x, ca, ca_key, "serverAuth", err);
	if (rc)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

int ncm_pki_device_cert_new(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub, const char *device_id,
			    time_t now, int days, X509 **out, struct ncm_err_info *err)
{
	X509 *x = NULL;
	int rc;

	rc = check_issuer(ca, ca_key, pub, out, err);
	if (rc)
		return rc;
	rc = ncm_devid_check(device_id, err);
	if (rc)
		return rc;
	rc = cert_start(ca, pub, device_id, now, days, &x, err);
	if (!rc)
		rc = finish_leaf(x, ca, ca_key, "clientAuth", err);
	if (rc)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

/* PEM pass-phrase callback that refuses: without it OpenSSL would prompt on the terminal for
 * an encrypted PEM block. u points to a flag recording that a pass phrase was asked for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	if (u)
		*(int *)u = 1;
	return -1;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes base64url ('-' and '_', padding optional). Returns NCM_ERR_INVAL on a character
 * outside the alphabet or an impossible length; *out is malloc'd (at least one byte). */
static int b64url_decode(const unsigned char *s, size_t len, unsigned char **out,
			 size_t *out_len)
{
	unsigned char *buf = NULL;
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, v, rc = NCM_OK;

	*out = NULL;
	*out_len = 0;
	if (len >= 1 && s[len - 1] == '=')
		len--;
	if (len >= 1 && s[len - 1] == '=')
		len--;
	if (!len || len % 4 == 1) {
		rc = NCM_ERR_INVAL;
		goto out;
	}
	buf = malloc(len * 3 / 4 + 1);
	if (!buf) {
		rc = NCM_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		v = b64url_value(s[i]);
		if (v < 0) {
			rc = NCM_ERR_INVAL;
			goto out;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out = buf;
	*out_len = n;
	buf = NULL;
out:
	free(buf);
	return rc;
}

/* d2i of a whole buffer: fails when the DER is malformed or followed by extra bytes. */
static int csr_from_der(const unsigned char *der, size_t len, X509_REQ **out, const char *form,
			struct ncm_err_info *err)
{
	const unsigned char *p = der;
	X509_REQ *req = NULL;
	int rc = NCM_OK;

	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (!req) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "%s certificate request is truncated or malformed", form);
		goto out;
	}
	if (p != der + len) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "%s certificate request is followed by %zu extra bytes", form,
				 (size_t)(der + len - p));
		goto out;
	}
	*out = req;
	req = NULL;
out:
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

static int csr_from_pem(const unsigned char *data, size_t len, X509_REQ **out,
			struct ncm_err_info *err)
{
	BIO *bio = NULL;
	X509_REQ *req = NULL;
	int asked = 0, rc = NCM_OK;

	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a memory BIO");
		goto out;
	}
	req = PEM_read_bio_X509_REQ(bio, NULL, no_passphrase, &asked);
	if (!req) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "PEM data holds no CERTIFICATE REQUEST block");
		else
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "PEM certificate request is malformed");
		goto out;
	}
	*out = req;
	req = NULL;
out:
	X509_REQ_free(req);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* The modem's AT%KEYGEN answer: [%KEYGEN:] ["] base64url(CSR) [.base64url(COSE)] ["], with
 * white space around each part. The attestation is only checked to be base64url. Messages name
 * AT%KEYGEN only once the input clearly meant to be one: it had the prefix or quotes, or its CSR
 * part decoded to something that starts like DER. */
static int csr_from_keygen(const unsigned char *p, const unsigned char *end, X509_REQ **out,
			   struct ncm_err_info *err)
{
	const size_t plen = sizeof(KEYGEN_PREFIX) - 1;
	const unsigned char *dot;
	unsigned char *der = NULL, *att = NULL;
	size_t der_len, att_len;
	int marked = 0, rc;

	if ((size_t)(end - p) >= plen && !strncasecmp((const char *)p, KEYGEN_PREFIX, plen)) {
		p += plen;
		marked = 1;
		trim(&p, &end);
	}
	if (p < end && (*p == '"' || end[-1] == '"')) {
		if (end - p < 2 || *p != '"' || end[-1] != '"') {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "AT%%KEYGEN output has an unbalanced double quote");
			goto out;
		}
		p++;
		end--;
		marked = 1;
		trim(&p, &end);
	}
	dot = memchr(p, '.', (size_t)(end - p));
	rc = b64url_decode(p, (size_t)((dot ? dot : end) - p), &der, &der_len);
	if (!rc && dot)
		rc = b64url_decode(dot + 1, (size_t)(end - dot - 1), &att, &att_len);
	if (rc == NCM_ERR_NOMEM) {
		rc = ncm_err_set(err, rc, "out of memory decoding a certificate request");
		goto out;
	}
	if (!marked && (!der || der[0] != 0x30)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "%s", NOT_A_CSR);
		goto out;
	}
	if (rc) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "AT%%KEYGEN output: %s is not base64url",
				 der ? "the attestation after '.'" : "the CSR part");
		goto out;
	}
	rc = csr_from_der(der, der_len, out, "AT%KEYGEN", err);
out:
	free(der);
	free(att);
	return rc;
}

int ncm_pki_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
		      struct ncm_err_info *err)
{
	const unsigned char *p = data, *begin, *end;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the certificate request");
	*out = NULL;
	if (len > CSR_MAX)
		return ncm_err_set(err, NCM_ERR_TOO_BIG,
				   "certificate request is %zu bytes; the limit is %d", len,
				   CSR_MAX);
	if (!data || !len)
		return ncm_err_set(err, NCM_ERR_INVAL, "certificate request is empty");
	/* DER first and on the untrimmed bytes: its last byte may well look like white space. */
	if (data[0] == 0x30)
		return csr_from_der(data, len, out, "DER", err);
	/* PEM from its first BEGIN line: OpenSSL wants that line to start at a line start */
	begin = memmem(data, len, "-----BEGIN", 10);
	if (begin)
		return csr_from_pem(begin, len - (size_t)(begin - data), out, err);
	end = data + len;
	trim(&p, &end);
	if (p == end)
		return ncm_err_set(err, NCM_ERR_INVAL, "certificate request is empty");
	return csr_from_keygen(p, end, out, err);
}

/* Names a public key for the "not supported" message, e.g. "RSA (2048 bits)", "EC on curve
 * secp384r1", "Ed25519". Returns 1 when the key is EC P-256 with a named curve. */
static int key_is_p256(EVP_PKEY *key, char *desc, size_t size)
{
	char group[64], enc[32];
	const char *name;
	int id = EVP_PKEY_get_base_id(key);

	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_group_name(key, group, sizeof(group), NULL)) {
			snprintf(desc, size, "EC with explicit curve parameters");
			return 0;
		}
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, enc,
						   sizeof(enc), NULL) &&
		    !strcmp(enc, OSSL_PKEY_EC_ENCODING_EXPLICIT)) {
			snprintf(desc, size, "EC on curve %s given as explicit parameters", group);
			return 0;
		}
		snprintf(desc, size, "EC on curve %s", group);
		return !strcmp(group, P256_NAME);
	}
	switch (id) {
	case EVP_PKEY_RSA: name = "RSA"; break;
	case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
	case EVP_PKEY_DSA: name = "DSA"; break;
	case EVP_PKEY_ED25519: name = "Ed25519"; break;
	case EVP_PKEY_ED448: name = "Ed448"; break;
	case EVP_PKEY_X25519: name = "X25519"; break;
	case EVP_PKEY_X448: name = "X448"; break;
	default:
		name = EVP_PKEY_get0_type_name(key);
		if (!name)
			name = "unknown";
	}
	if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA)
		snprintf(desc, size, "%s (%d bits)", name, EVP_PKEY_get_bits(key));
	else
		snprintf(desc, size, "%s", name);
	return 0;
}

/* Names a public key OpenSSL could not decode by its algorithm OID (and, for EC, the curve
 * OID), e.g. an unknown curve. */
static void undecodable_key_name(X509_REQ *req, char *desc, size_t size)
{
	X509_PUBKEY *xpk = X509_REQ_get_X509_PUBKEY(req);
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *algor = NULL;
	const void *pval = NULL;
	char name[80] = "unknown", curve[80];
	int ptype = 0;

	if (xpk && X509_PUBKEY_get0_param(&alg, NULL, NULL, &algor, xpk) && alg)
		OBJ_obj2txt(name, sizeof(name), alg, 0);
	if (alg && OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && algor) {
		X509_ALGOR_get0(NULL, &ptype, &pval, algor);
		if (ptype == V_ASN1_OBJECT && pval) {
			OBJ_obj2txt(curve, sizeof(curve), pval, 0);
			snprintf(desc, size, "EC on curve %s", curve);
			return;
		}
	}
	snprintf(desc, size, "%s", name);
}

/* Copies the value of a name entry as UTF-8 into a new OPENSSL_malloc'd NUL-terminated string;
 * NCM_ERR_INVAL when it cannot be converted or holds a NUL byte. */
static int entry_utf8(X509_NAME_ENTRY *e, unsigned char **out)
{
	unsigned char *s = NULL;
	int len;

	*out = NULL;
	len = ASN1_STRING_to_UTF8(&s, X509_NAME_ENTRY_get_data(e));
	if (len < 0) {
		ERR_clear_error();
		return NCM_ERR_INVAL;
	}
	if (memchr(s, 0, (size_t)len)) {
		OPENSSL_free(s);
		return NCM_ERR_INVAL;
	}
	*out = s;
	return NCM_OK;
}

int ncm_pki_csr_check(X509_REQ *req, char *id_out, size_t id_size, struct ncm_err_info *err)
{
	struct ncm_err_info id_err = { 0 };
	char desc[160];
	unsigned char *cn = NULL;
	X509_NAME *subject;
	EVP_PKEY *pub;
	int idx, rc = NCM_OK;

	if (!req || !id_out || !id_size)
		return ncm_err_set(err, NCM_ERR_INVAL, "no certificate request or ID buffer given");
	id_out[0] = '\0';
	pub = X509_REQ_get0_pubkey(req);
	if (!pub) {
		undecodable_key_name(req, desc, sizeof(desc));
		ERR_clear_error();
		rc = ncm_err_set(err, NCM_ERR_UNSUPPORTED,
				 "key type %s not supported: device keys must be EC P-256 "
				 "(prime256v1)", desc);
		goto out;
	}
	if (!key_is_p256(pub, desc, sizeof(desc))) {
		rc = ncm_err_set(err, NCM_ERR_UNSUPPORTED,
				 "key type %s not supported: device keys must be EC P-256 "
				 "(prime256v1)", desc);
		goto out;
	}
	if (X509_REQ_verify(req, pub) != 1) {
		ERR_clear_error();
		rc = ncm_err_set(err, NCM_ERR_INVAL, "CSR signature does not verify");
		goto out;
	}
	subject = X509_REQ_get_subject_name(req);
	idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (idx < 0) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "CSR subject has no CN");
		goto out;
	}
	if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "CSR subject has more than one CN");
		goto out;
	}
	if (entry_utf8(X509_NAME_get_entry(subject, idx), &cn)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "CSR subject CN is not text (undecodable or holds a NUL byte)");
		goto out;
	}
	if (ncm_devid_check((const char *)cn, &id_err)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "CSR subject CN is not a valid device ID: %s",
				 id_err.msg);
		goto out;
	}
	if (strlen((const char *)cn) >= id_size) {
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG,
				 "device ID buffer of %zu bytes is too small for the CSR's CN",
				 id_size);
		goto out;
	}
	memcpy(id_out, cn, strlen((const char *)cn) + 1);
out:
	OPENSSL_free(cn);
	return rc;
}

int ncm_pki_cert_cn(X509 *cert, char *out, size_t size)
{
	unsigned char *cn = NULL;
	X509_NAME *subject;
	size_t len;
	int idx, rc = NCM_OK;

	if (!cert || !out || !size)
		return NCM_ERR_INVAL;
	out[0] = '\0';
	subject = X509_get_subject_name(cert);
	idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (idx < 0) {
		rc = NCM_ERR_NOT_FOUND;
		goto out;
	}
	rc = entry_utf8(X509_NAME_get_entry(subject, idx), &cn);
	if (rc)
		goto out;
	len = strlen((const char *)cn);
	if (len >= size) {
		rc = NCM_ERR_TOO_BIG;
		goto out;
	}
	memcpy(out, cn, len + 1);
out:
	OPENSSL_free(cn);
	return rc;
}

int ncm_pki_cert_fingerprint(X509 *cert, char out[NCM_PKI_FP_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	if (!cert || !out)
		return NCM_ERR_INVAL;
	out[0] = '\0';
	if (!X509_digest(cert, EVP_sha256(), md, &md_len) || md_len * 2 != NCM_PKI_FP_LEN) {
		ERR_clear_error();
		return NCM_ERR_CRYPTO;
	}
	for (i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[NCM_PKI_FP_LEN] = '\0';
	return NCM_OK;
}

int ncm_pki_cert_issued_by(X509 *cert, X509 *ca)
{
	EVP_PKEY *ca_pub;
	int ok;

	if (!cert || !ca)
		return 0;
	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)))
		return 0;
	ca_pub = X509_get0_pubkey(ca);
	ok = ca_pub && X509_verify(cert, ca_pub) == 1;
	ERR_clear_error();
	return ok;
}

int ncm_pki_cert_has_key(X509 *cert, EVP_PKEY *pub)
{
	EVP_PKEY *have;
	int ok;

	if (!cert || !pub)
		return 0;
	have = X509_get0_pubkey(cert);
	ok = have && EVP_PKEY_eq(have, pub) == 1;
	ERR_clear_error();
	return ok;
}

/* Copies src (len bytes) into dst, ending it with "..." when it had to be cut. */
static void copy_cut(char *dst, size_t size, const char *src, size_t len)
{
	if (len < size) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	memcpy(dst, src, size - 4);
	memcpy(dst + size - 4, "...", 4);
}

/* RFC 2253 one-line form of a name (non-ASCII escaped), cut to fit. */
static int name_oneline(const X509_NAME *name, char *out, size_t size, struct ncm_err_info *err)
{
	BIO *bio = NULL;
	char *data;
	long len;
	int rc = NCM_OK;

	bio = BIO_new(BIO_s_mem());
	if (!bio || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot format a certificate name");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	copy_cut(out, size, len > 0 ? data : "", len > 0 ? (size_t)len : 0);
out:
	BIO_free(bio);
	return rc;
}

static int asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return NCM_ERR_INVAL;
	}
	*out = timegm(&tm);
	return NCM_OK;
}

/* The plain text of a DNS or IP SAN ("localhost", "::1"). Returns 0 for other kinds of entry,
 * -1 when the entry is malformed (an address neither 4 nor 16 bytes long, a DNS name with a NUL
 * byte or over 255 bytes). */
static int san_plain(const GENERAL_NAME *gen, char *buf, size_t size)
{
	const ASN1_STRING *s;
	int type;

	s = GENERAL_NAME_get0_value(gen, &type);
	if (type == GEN_DNS) {
		if (!s || memchr(ASN1_STRING_get0_data(s), 0, (size_t)ASN1_STRING_length(s)) ||
		    (size_t)ASN1_STRING_length(s) >= size)
			return -1;
		memcpy(buf, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		buf[ASN1_STRING_length(s)] = '\0';
		return GEN_DNS;
	}
	if (type == GEN_IPADD) {
		if (!s)
			return -1;
		if (ASN1_STRING_length(s) == 4)
			return inet_ntop(AF_INET, ASN1_STRING_get0_data(s), buf,
					 (socklen_t)size) ? GEN_IPADD : -1;
		if (ASN1_STRING_length(s) == 16)
			return inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), buf,
					 (socklen_t)size) ? GEN_IPADD : -1;
		return -1;
	}
	return 0;
}

/* The certificate's subjectAltName list; *out NULL (and OK) when it has none. */
static int get_sans(X509 *cert, GENERAL_NAMES **out, struct ncm_err_info *err)
{
	int crit = -1;

	*out = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (*out || crit == -1)
		return NCM_OK;
	ERR_clear_error();
	if (crit == -2)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "certificate has more than one subjectAltName extension");
	return ncm_err_set(err, NCM_ERR_INVAL, "certificate's subjectAltName is malformed");
}

/* "DNS:a, IP:127.0.0.1" for display; entries other than DNS and IP in OpenSSL's own form. */
static int sans_oneline(X509 *cert, char *out, size_t size, struct ncm_err_info *err)
{
	GENERAL_NAMES *gens = NULL;
	BIO *bio = NULL;
	char one[256], *data;
	long len;
	int i, kind, rc;

	out[0] = '\0';
	rc = get_sans(cert, &gens, err);
	if (rc || !gens)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a memory BIO");
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);

		if (i)
			BIO_puts(bio, ", ");
		kind = san_plain(gen, one, sizeof(one));
		if (kind == GEN_DNS)
			BIO_printf(bio, "DNS:%s", one);
		else if (kind == GEN_IPADD)
			BIO_printf(bio, "IP:%s", one);
		else
			GENERAL_NAME_print(bio, gen);
	}
	len = BIO_get_mem_data(bio, &data);
	copy_cut(out, size, len > 0 ? data : "", len > 0 ? (size_t)len : 0);
out:
	BIO_free(bio);
	GENERAL_NAMES_free(gens);
	return rc;
}

int ncm_pki_cert_info(X509 *cert, struct ncm_pki_info *info, struct ncm_err_info *err)
{
	int rc;

	if (!cert || !info)
		return ncm_err_set(err, NCM_ERR_INVAL, "no certificate or info buffer given");
	memset(info, 0, sizeof(*info));
	rc = name_oneline(X509_get_subject_name(cert), info->subject, sizeof(info->subject), err);
	if (rc)
		return rc;
	rc = name_oneline(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer), err);
	if (rc)
		return rc;
	if (ncm_pki_cert_fingerprint(cert, info->fingerprint))
		return ncm_err_set(err, NCM_ERR_CRYPTO,
				   "cannot compute the certificate fingerprint");
	if (asn1_time_to_time_t(X509_get0_notBefore(cert), &info->not_before) ||
	    asn1_time_to_time_t(X509_get0_notAfter(cert), &info->not_after))
		return ncm_err_set(err, NCM_ERR_INVAL, "certificate validity dates are malformed");
	return sans_oneline(cert, info->sans, sizeof(info->sans), err);
}

void ncm_pki_strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int ncm_pki_cert_sans(X509 *cert, char ***out, size_t *n, struct ncm_err_info *err)
{
	GENERAL_NAMES *gens = NULL;
	char **v = NULL, one[256];
	size_t count = 0;
	int i, kind, rc;

	if (!out || !n)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the SAN list");
	*out = NULL;
	*n = 0;
	if (!cert)
		return ncm_err_set(err, NCM_ERR_INVAL, "no certificate given");
	rc = get_sans(cert, &gens, err);
	if (rc || !gens)
		goto out;
	v = calloc((size_t)sk_GENERAL_NAME_num(gens) + 1, sizeof(*v));
	if (!v) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory listing SANs");
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		kind = san_plain(sk_GENERAL_NAME_value(gens, i), one, sizeof(one));
		if (kind < 0) {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "certificate's subjectAltName entry %d is malformed",
					 i + 1);
			goto out;
		}
		if (!kind)
			continue;
		v[count] = strdup(one);
		if (!v[count]) {
			rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory listing SANs");
			goto out;
		}
		count++;
	}
	*out = v;
	*n = count;
	v = NULL;
out:
	ncm_pki_strv_free(v, count);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Takes the contents of a memory BIO as a malloc'd NUL-terminated string. */
static int bio_to_string(BIO *bio, char **out)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len <= 0)
		return NCM_ERR_CRYPTO;
	s = malloc((size_t)len + 1);
	if (!s)
		return NCM_ERR_NOMEM;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*out = s;
	return NCM_OK;
}

enum pem_kind { PEM_CERT, PEM_KEY, PEM_PUBKEY };

/* The shared body of the *_to_pem functions. */
static int to_pem(enum pem_kind kind, void *obj, char **out)
{
	BIO *bio = NULL;
	int ok, rc;

	if (!out)
		return NCM_ERR_INVAL;
	*out = NULL;
	if (!obj)
		return NCM_ERR_INVAL;
	bio = BIO_new(BIO_s_mem());
	if (!bio) {
		rc = NCM_ERR_NOMEM;
		goto out;
	}
	if (kind == PEM_CERT)
		ok = PEM_write_bio_X509(bio, obj);
	else if (kind == PEM_KEY)
		ok = PEM_write_bio_PrivateKey(bio, obj, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, obj);
	rc = ok ? bio_to_string(bio, out) : NCM_ERR_CRYPTO;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int ncm_pki_cert_to_pem(X509 *cert, char **out)
{
	return to_pem(PEM_CERT, cert, out);
}

int ncm_pki_key_to_pem(EVP_PKEY *key, char **out)
{
	return to_pem(PEM_KEY, key, out);
}

int ncm_pki_pubkey_to_pem(EVP_PKEY *key, char **out)
{
	return to_pem(PEM_PUBKEY, key, out);
}

/* A private key from PEM. PEM_read_bio_PrivateKey tries every decoder of every key type; the
 * keys this program writes (the lab CA's, the server's, issued devices') are unencrypted
 * PKCS #8 P-256 keys, which one decoder narrowed to them reads in a third of the time (the
 * first in a process 0.75 instead of 1.7 ms, part of every start: docs/performance.md#start-up).
 * Anything else (SEC 1, RSA, encrypted, other PEM blocks first) goes the general way. */
static EVP_PKEY *read_private_key(BIO *bio, int *asked)
{
	OSSL_DECODER_CTX *dc;
	EVP_PKEY *key = NULL;

	dc = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", "PrivateKeyInfo", "EC",
					   OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
	if (dc && OSSL_DECODER_from_bio(dc, bio) == 1 && key) {
		OSSL_DECODER_CTX_free(dc);
		return key;
	}
	OSSL_DECODER_CTX_free(dc);
	EVP_PKEY_free(key);
	ERR_clear_error();
	if (BIO_reset(bio) < 0)
		return NULL;
	return PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, asked);
}

/* The shared body of the *_from_pem functions; *out receives an X509 * or an EVP_PKEY *. */
static int from_pem(enum pem_kind kind, const char *pem, size_t len, void **out,
		    struct ncm_err_info *err)
{
	static const char *const what[] = { "certificate", "private key", "public key" };
	BIO *bio = NULL;
	void *obj = NULL;
	int asked = 0, rc = NCM_OK;

	*out = NULL;
	if (!pem || !len)
		return ncm_err_set(err, NCM_ERR_INVAL, "PEM %s is empty", what[kind]);
	if (len > INT_MAX)
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "PEM %s is %zu bytes; the limit is %d",
				   what[kind], len, INT_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		rc = ssl_fail(err, NCM_ERR_NOMEM, "cannot allocate a memory BIO");
		goto out;
	}
	if (kind == PEM_CERT)
		obj = PEM_read_bio_X509(bio, NULL, no_passphrase, &asked);
	else if (kind == PEM_KEY)
		obj = read_private_key(bio, &asked);
	else
		obj = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, &asked);
	if (!obj) {
		if (asked)
			rc = ncm_err_set(err, NCM_ERR_UNSUPPORTED,
					 "PEM %s is encrypted; an unencrypted one is needed",
					 what[kind]);
		else if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
			rc = ncm_err_set(err, NCM_ERR_INVAL, "no PEM %s found in the data",
					 what[kind]);
		else
			rc = ssl_fail(err, NCM_ERR_INVAL,
				      kind == PEM_CERT ? "PEM certificate is malformed" :
				      kind == PEM_KEY ? "PEM private key is malformed" :
							"PEM public key is malformed");
		goto out;
	}
	*out = obj;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int ncm_pki_cert_from_pem(const char *pem, size_t len, X509 **out, struct ncm_err_info *err)
{
	void *obj = NULL;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the PEM certificate");
	rc = from_pem(PEM_CERT, pem, len, &obj, err);
	*out = obj;
	return rc;
}

int ncm_pki_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, struct ncm_err_info *err)
{
	void *obj = NULL;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the PEM private key");
	rc = from_pem(PEM_KEY, pem, len, &obj, err);
	*out = obj;
	return rc;
}

int ncm_pki_pubkey_from_pem(const char *pem, size_t len, EVP_PKEY **out,
			    struct ncm_err_info *err)
{
	void *obj = NULL;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output for the PEM public key");
	rc = from_pem(PEM_PUBKEY, pem, len, &obj, err);
	*out = obj;
	return rc;
}
