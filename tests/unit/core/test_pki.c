/* SPDX-License-Identifier: MIT
 * test_pki.c: unit tests for the lab CA's certificate work (server/core/pki.c). Every key, CA
 * and CSR is made at test time with the OpenSSL API; `now` is a fixed instant.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "devid.h"
#include "err.h"
#include "pki.h"

#define NOW ((time_t)1735689600) /* 2025-01-01T00:00:00Z */
#define DAY 86400

static const char *const server_sans[] = { "mock.example", "localhost", "127.0.0.1", "::1",
					    "10.1.2.3" };
#define N_SERVER_SANS (sizeof(server_sans) / sizeof(server_sans[0]))

struct lab {
	EVP_PKEY *key;
	X509 *cert;
};

static EVP_PKEY *p256_key(void)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = NULL;

	ck_assert_int_eq(ncm_pki_key_new(&key, &err), NCM_OK);
	ck_assert_ptr_nonnull(key);
	return key;
}

static void lab_make(struct lab *lab, const char *cn)
{
	struct ncm_err_info err = { 0 };

	lab->key = p256_key();
	lab->cert = NULL;
	ck_assert_msg(ncm_pki_ca_new(lab->key, cn, NOW, NCM_PKI_CA_DAYS, &lab->cert, &err) ==
		      NCM_OK, "ca_new: %s", err.msg);
}

static void lab_free(struct lab *lab)
{
	X509_free(lab->cert);
	EVP_PKEY_free(lab->key);
}

static X509 *server_cert(struct lab *lab, EVP_PKEY *key)
{
	struct ncm_err_info err = { 0 };
	X509 *cert = NULL;

	ck_assert_msg(ncm_pki_server_cert_new(lab->cert, lab->key, key, server_sans, N_SERVER_SANS,
					      NOW, NCM_PKI_SERVER_DAYS, &cert, &err) == NCM_OK,
		      "server_cert_new: %s", err.msg);
	return cert;
}

static X509 *device_cert(struct lab *lab, EVP_PKEY *key, const char *id)
{
	struct ncm_err_info err = { 0 };
	X509 *cert = NULL;

	ck_assert_msg(ncm_pki_device_cert_new(lab->cert, lab->key, key, id, NOW,
					      NCM_PKI_DEVICE_DAYS, &cert, &err) == NCM_OK,
		      "device_cert_new: %s", err.msg);
	return cert;
}

/* 1 when cert chains to ca for purpose (X509_PURPOSE_SSL_SERVER / _CLIENT) at NOW. */
static int chain_verifies(X509 *cert, X509 *ca, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int ok;

	ck_assert_ptr_nonnull(store);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, NOW);
	ck_assert_int_eq(X509_VERIFY_PARAM_set_purpose(param, purpose), 1);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* A CSR signed by key; cn NULL gives a subject without CN (O=Nordic only). */
static X509_REQ *csr_make(EVP_PKEY *key, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name;
	const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();

	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(X509_REQ_set_version(req, X509_REQ_VERSION_1), 1);
	name = X509_REQ_get_subject_name(req);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_ASC,
						    (const unsigned char *)"Nordic", -1, -1, 0),
			 1);
	if (cn)
		ck_assert_int_eq(X509_NAME_add_entry_by_NID(name, NID_commonName,
							    V_ASN1_UTF8STRING,
							    (const unsigned char *)cn, -1, -1, 0),
				 1);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	ck_assert_int_gt(X509_REQ_sign(req, key, md), 0);
	return req;
}

static unsigned char *csr_der(X509_REQ *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

static unsigned char *csr_der_for(EVP_PKEY *key, const char *cn, size_t *len)
{
	X509_REQ *req = csr_make(key, cn);
	unsigned char *der = csr_der(req, len);

	X509_REQ_free(req);
	return der;
}

static char *csr_pem(X509_REQ *req, int new_header)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long len;

	ck_assert_ptr_nonnull(bio);
	if (new_header)
		ck_assert_int_eq(PEM_write_bio_X509_REQ_NEW(bio, req), 1);
	else
		ck_assert_int_eq(PEM_write_bio_X509_REQ(bio, req), 1);
	len = BIO_get_mem_data(bio, &data);
	ck_assert_int_gt(len, 0);
	s = strndup(data, (size_t)len);
	ck_assert_ptr_nonnull(s);
	BIO_free(bio);
	return s;
}

/* base64url without padding, as the modem writes it. */
static char *b64url(const unsigned char *d, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *s = malloc(n / 3 * 4 + 5);
	size_t i, o = 0;
	unsigned long v;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8 | d[i + 2];
		s[o++] = abc[v >> 18 & 63];
		s[o++] = abc[v >> 12 & 63];
		s[o++] = abc[v >> 6 & 63];
		s[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)d[i] << 16;
		s[o++] = abc[v >> 18 & 63];
		s[o++] = abc[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8;
		s[o++] = abc[v >> 18 & 63];
		s[o++] = abc[v >> 12 & 63];
		s[o++] = abc[v >> 6 & 63];
	}
	s[o] = '\0';
	return s;
}

/* s with every "\n" turned into "\r\n", as a PEM pasted from a Windows terminal. */
static char *crlf(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	for (; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* A stand-in for the modem's COSE_Sign1 attestation: random bytes, base64url-encoded. */
static char *fake_attestation(void)
{
	unsigned char raw[97];

	ck_assert_int_eq(RAND_bytes(raw, sizeof(raw)), 1);
	raw[0] = 0xd2; /* CBOR tag 18, COSE_Sign1 */
	return b64url(raw, sizeof(raw));
}

/* Parses data and checks the CSR; returns the first failing code and fills err and id. */
static int csr_parse_check(const void *data, size_t len, char *id, size_t id_size,
			   struct ncm_err_info *err)
{
	X509_REQ *req = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ncm_pki_csr_parse(data, len, &req, err);
	if (rc) {
		ck_assert_ptr_null(req);
		return rc;
	}
	ck_assert_ptr_nonnull(req);
	rc = ncm_pki_csr_check(req, id, id_size, err);
	X509_REQ_free(req);
	return rc;
}

static void assert_csr_gives_id(const void *data, size_t len, const char *want)
{
	struct ncm_err_info err = { 0 };
	char id[NCM_DEVID_MAX + 1];

	ck_assert_msg(csr_parse_check(data, len, id, sizeof(id), &err) == NCM_OK, "csr: %s",
		      err.msg);
	ck_assert_str_eq(id, want);
}

/* Asserts that data fails parse or check with code and a message containing part. */
static void assert_csr_fails(const void *data, size_t len, int code, const char *part)
{
	struct ncm_err_info err = { 0 };
	char id[NCM_DEVID_MAX + 1];
	int rc = csr_parse_check(data, len, id, sizeof(id), &err);

	ck_assert_msg(rc == code, "want %s, got %s: %s", ncm_err_str(code), ncm_err_str(rc),
		      err.msg);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(strstr(err.msg, part), "message '%s' lacks '%s'", err.msg, part);
}

START_TEST(key_new_makes_an_ec_p256_key)
{
	EVP_PKEY *key = p256_key();
	char group[64];

	ck_assert(EVP_PKEY_is_a(key, "EC"));
	ck_assert_int_eq(EVP_PKEY_get_group_name(key, group, sizeof(group), NULL), 1);
	ck_assert_str_eq(group, "prime256v1");
	ck_assert_int_eq(EVP_PKEY_get_bits(key), 256);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(ca_is_a_self_signed_ca_that_verifies)
{
	struct lab lab;
	X509_EXTENSION *ext;
	char cn[64];
	int idx;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(X509_get_version(lab.cert), X509_VERSION_3);
	ck_assert_int_eq(ncm_pki_cert_cn(lab.cert, cn, sizeof(cn)), NCM_OK);
	ck_assert_str_eq(cn, "test lab CA");
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(lab.cert),
				       X509_get_issuer_name(lab.cert)), 0);
	ck_assert_int_eq(X509_verify(lab.cert, lab.key), 1);
	ck_assert(X509_get_extension_flags(lab.cert) & EXFLAG_SS);
	ck_assert_int_eq(X509_check_ca(lab.cert), 1);
	idx = X509_get_ext_by_NID(lab.cert, NID_basic_constraints, -1);
	ck_assert_int_ge(idx, 0);
	ext = X509_get_ext(lab.cert, idx);
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 1);
	ck_assert_uint_eq(X509_get_key_usage(lab.cert), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(lab.cert));
	ck_assert(ncm_pki_cert_issued_by(lab.cert, lab.cert));
	ck_assert(ncm_pki_cert_has_key(lab.cert, lab.key));
	ck_assert(chain_verifies(lab.cert, lab.cert, X509_PURPOSE_ANY));
	lab_free(&lab);
}
END_TEST

START_TEST(ca_validity_runs_from_a_day_before_now_for_its_days)
{
	struct ncm_err_info err = { 0 };
	struct ncm_pki_info info;
	struct lab lab;

	/* 25 years from 2025 ends after 2049, so notAfter is a GeneralizedTime */
	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_info(lab.cert, &info, &err), NCM_OK);
	ck_assert_int_eq(info.not_before, NOW - NCM_PKI_BACKDATE_S);
	ck_assert_int_eq(info.not_after, info.not_before + (time_t)NCM_PKI_CA_DAYS * DAY);
	ck_assert_str_eq(info.sans, "");
	lab_free(&lab);
}
END_TEST

START_TEST(ca_new_refuses_zero_days_and_empty_cn)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key();
	X509 *cert = NULL;

	ck_assert_int_eq(ncm_pki_ca_new(key, "x", NOW, 0, &cert, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	ck_assert_str_ne(err.msg, "");
	ck_assert_int_eq(ncm_pki_ca_new(key, "", NOW, 10, &cert, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(server_cert_has_every_san_and_is_issued_by_the_ca_only)
{
	struct ncm_err_info err = { 0 };
	struct lab lab, other, same_name;
	EVP_PKEY *key = p256_key();
	X509 *cert;
	char **sans = NULL, cn[64];
	size_t n = 0, i;

	lab_make(&lab, "test lab CA");
	lab_make(&other, "other lab CA");
	lab_make(&same_name, "test lab CA");
	cert = server_cert(&lab, key);
	ck_assert_int_eq(ncm_pki_cert_sans(cert, &sans, &n, &err), NCM_OK);
	ck_assert_uint_eq(n, N_SERVER_SANS);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(sans[i], server_sans[i]);
	ncm_pki_strv_free(sans, n);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), NCM_OK);
	ck_assert_str_eq(cn, "mock.example");
	ck_assert_int_eq(X509_check_host(cert, "localhost", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_ip_asc(cert, "::1", 0), 1);
	ck_assert_int_eq(X509_check_ip_asc(cert, "10.1.2.3", 0), 1);
	ck_assert(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	ck_assert(ncm_pki_cert_issued_by(cert, lab.cert));
	ck_assert(!ncm_pki_cert_issued_by(cert, other.cert));
	ck_assert(!ncm_pki_cert_issued_by(cert, same_name.cert));
	ck_assert(ncm_pki_cert_has_key(cert, key));
	ck_assert(chain_verifies(cert, lab.cert, X509_PURPOSE_SSL_SERVER));
	ck_assert(!chain_verifies(cert, other.cert, X509_PURPOSE_SSL_SERVER));
	X509_free(cert);
	EVP_PKEY_free(key);
	lab_free(&same_name);
	lab_free(&other);
	lab_free(&lab);
}
END_TEST

START_TEST(server_cert_refuses_bad_sans)
{
	static const char *const bad[] = { "localhost", "not a host!" };
	struct ncm_err_info err = { 0 };
	struct lab lab;
	EVP_PKEY *key = p256_key();
	X509 *cert = NULL;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_server_cert_new(lab.cert, lab.key, key, bad, 2, NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a host!"));
	ck_assert_int_eq(ncm_pki_server_cert_new(lab.cert, lab.key, key, bad, 0, NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(leaf_certs_refuse_a_ca_key_that_is_not_the_cas)
{
	struct ncm_err_info err = { 0 };
	struct lab lab;
	EVP_PKEY *key = p256_key(), *wrong = p256_key();
	X509 *cert = NULL;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_device_cert_new(lab.cert, wrong, key, "dev-1", NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	ck_assert_ptr_nonnull(strstr(err.msg, "CA key does not match"));
	ck_assert_int_eq(ncm_pki_server_cert_new(lab.cert, wrong, key, server_sans, 1, NOW, 10,
						 &cert, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	EVP_PKEY_free(wrong);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(device_cert_has_the_id_as_cn_and_client_auth)
{
	struct ncm_err_info err = { 0 };
	struct ncm_pki_info info;
	struct lab lab, other;
	EVP_PKEY *key = p256_key();
	const ASN1_INTEGER *serial;
	X509 *cert;
	char cn[NCM_DEVID_MAX + 1];

	lab_make(&lab, "test lab CA");
	lab_make(&other, "other lab CA");
	cert = device_cert(&lab, key, "nrf-352656100000001");
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), NCM_OK);
	ck_assert_str_eq(cn, "nrf-352656100000001");
	ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(cert)), 1);
	ck_assert(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT);
	ck_assert(!(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER));
	ck_assert(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(cert));
	serial = X509_get0_serialNumber(cert);
	ck_assert_int_eq(ASN1_STRING_type(serial), V_ASN1_INTEGER);
	ck_assert_int_eq(ASN1_STRING_length(serial), 16);
	ck_assert(ncm_pki_cert_issued_by(cert, lab.cert));
	ck_assert(!ncm_pki_cert_issued_by(cert, other.cert));
	ck_assert(ncm_pki_cert_has_key(cert, key));
	ck_assert(chain_verifies(cert, lab.cert, X509_PURPOSE_SSL_CLIENT));
	ck_assert_int_eq(ncm_pki_cert_info(cert, &info, &err), NCM_OK);
	ck_assert_int_eq(info.not_after, info.not_before + (time_t)NCM_PKI_DEVICE_DAYS * DAY);
	X509_free(cert);
	EVP_PKEY_free(key);
	lab_free(&other);
	lab_free(&lab);
}
END_TEST

START_TEST(device_cert_serials_differ)
{
	struct lab lab;
	EVP_PKEY *key = p256_key();
	X509 *a, *b;

	lab_make(&lab, "test lab CA");
	a = device_cert(&lab, key, "dev-a");
	b = device_cert(&lab, key, "dev-a");
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
			 0);
	X509_free(b);
	X509_free(a);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(device_cert_accepts_a_128_character_id)
{
	struct lab lab;
	EVP_PKEY *key = p256_key();
	char id[NCM_DEVID_MAX + 1], cn[NCM_DEVID_MAX + 1];
	X509 *cert;

	memset(id, 'a', NCM_DEVID_MAX);
	id[NCM_DEVID_MAX] = '\0';
	lab_make(&lab, "test lab CA");
	cert = device_cert(&lab, key, id);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), NCM_OK);
	ck_assert_str_eq(cn, id);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, 10), NCM_ERR_TOO_BIG);
	X509_free(cert);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(device_cert_refuses_invalid_ids)
{
	struct ncm_err_info err = { 0 };
	struct lab lab;
	EVP_PKEY *key = p256_key();
	char long_id[NCM_DEVID_MAX + 2];
	X509 *cert = NULL;

	memset(long_id, 'a', NCM_DEVID_MAX + 1);
	long_id[NCM_DEVID_MAX + 1] = '\0';
	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_device_cert_new(lab.cert, lab.key, key, "bad/id", NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	ck_assert_ptr_nonnull(strstr(err.msg, "'/'"));
	ck_assert_int_eq(ncm_pki_device_cert_new(lab.cert, lab.key, key, "", NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_pki_device_cert_new(lab.cert, lab.key, key, long_id, NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_pki_device_cert_new(lab.cert, lab.key, key, NULL, NOW, 10, &cert,
						 &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(cert_cn_reports_a_missing_cn)
{
	EVP_PKEY *key = p256_key();
	X509 *cert = X509_new();
	char cn[16];

	ck_assert_ptr_nonnull(cert);
	ck_assert_int_eq(X509_set_pubkey(cert, key), 1);
	ck_assert_int_gt(X509_sign(cert, key, EVP_sha256()), 0);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), NCM_ERR_NOT_FOUND);
	X509_free(cert);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(fingerprint_is_lowercase_hex_sha256_of_the_der)
{
	struct lab lab;
	unsigned char *der = NULL, md[32];
	unsigned int md_len = 0;
	char fp[NCM_PKI_FP_LEN + 1], want[NCM_PKI_FP_LEN + 1];
	int len, i;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_fingerprint(lab.cert, fp), NCM_OK);
	ck_assert_uint_eq(strlen(fp), NCM_PKI_FP_LEN);
	ck_assert_uint_eq(strspn(fp, "0123456789abcdef"), NCM_PKI_FP_LEN);
	len = i2d_X509(lab.cert, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(md_len, 32);
	for (i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(fp, want);
	OPENSSL_free(der);
	lab_free(&lab);
}
END_TEST

START_TEST(cert_pem_round_trips)
{
	struct ncm_err_info err = { 0 };
	struct lab lab;
	X509 *back = NULL;
	char *pem = NULL;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_to_pem(lab.cert, &pem), NCM_OK);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	ck_assert_int_eq(ncm_pki_cert_from_pem(pem, strlen(pem), &back, &err), NCM_OK);
	ck_assert_int_eq(X509_cmp(lab.cert, back), 0);
	X509_free(back);
	free(pem);
	lab_free(&lab);
}
END_TEST

START_TEST(key_pem_round_trips_as_pkcs8)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *back = NULL;
	char *pem = NULL;

	ck_assert_int_eq(ncm_pki_key_to_pem(key, &pem), NCM_OK);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	ck_assert_int_eq(ncm_pki_key_from_pem(pem, strlen(pem), &back, &err), NCM_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	free(pem);
	EVP_PKEY_free(key);
}
END_TEST

/* The quick PKCS #8 P-256 path (pki.c read_private_key) leaves the other forms to the general
 * reader: SEC 1 ("EC PRIVATE KEY") and a key after another PEM block still load. */
START_TEST(key_from_pem_reads_sec1_and_a_key_after_another_block)
{
	struct ncm_err_info err = { 0 };
	struct lab lab;
	EVP_PKEY *key = p256_key(), *back = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *cert_pem = NULL, *key_pem = NULL, *both;
	long len;

	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL),
			 1);
	len = BIO_get_mem_data(bio, &data);
	ck_assert_ptr_nonnull(strstr(data, "-----BEGIN EC PRIVATE KEY-----"));
	ck_assert_int_eq(ncm_pki_key_from_pem(data, (size_t)len, &back, &err), NCM_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	back = NULL;
	BIO_free(bio);

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_to_pem(lab.cert, &cert_pem), NCM_OK);
	ck_assert_int_eq(ncm_pki_key_to_pem(key, &key_pem), NCM_OK);
	both = malloc(strlen(cert_pem) + strlen(key_pem) + 1);
	ck_assert_ptr_nonnull(both);
	strcpy(both, cert_pem);
	strcat(both, key_pem);
	ck_assert_int_eq(ncm_pki_key_from_pem(both, strlen(both), &back, &err), NCM_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	free(both);
	free(key_pem);
	free(cert_pem);
	lab_free(&lab);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(pubkey_pem_round_trips)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *back = NULL;
	char *pem = NULL;

	ck_assert_int_eq(ncm_pki_pubkey_to_pem(key, &pem), NCM_OK);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	ck_assert_ptr_null(strstr(pem, "PRIVATE"));
	ck_assert_int_eq(ncm_pki_pubkey_from_pem(pem, strlen(pem), &back, &err), NCM_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	free(pem);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(pem_readers_refuse_garbage_and_the_wrong_block)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *k = NULL;
	X509 *cert = NULL;
	char *pem = NULL;

	ck_assert_int_eq(ncm_pki_cert_from_pem("hello", 5, &cert, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	ck_assert_str_ne(err.msg, "");
	ck_assert_int_eq(ncm_pki_cert_from_pem("", 0, &cert, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_pki_pubkey_to_pem(key, &pem), NCM_OK);
	ck_assert_int_eq(ncm_pki_key_from_pem(pem, strlen(pem), &k, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(ncm_pki_cert_from_pem(pem, strlen(pem), &cert, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(cert);
	free(pem);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(key_from_pem_refuses_an_encrypted_key_without_prompting)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *back = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_128_cbc(), NULL, 0, NULL,
						       (void *)"secret"), 1);
	len = BIO_get_mem_data(bio, &data);
	ck_assert_int_eq(ncm_pki_key_from_pem(data, (size_t)len, &back, &err),
			 NCM_ERR_UNSUPPORTED);
	ck_assert_ptr_null(back);
	ck_assert_ptr_nonnull(strstr(err.msg, "encrypted"));
	BIO_free(bio);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(cert_has_key_tells_its_own_key_from_another)
{
	struct lab lab;
	EVP_PKEY *other = p256_key(), *pub = NULL;
	char *pem = NULL;
	struct ncm_err_info err = { 0 };

	lab_make(&lab, "test lab CA");
	ck_assert(ncm_pki_cert_has_key(lab.cert, lab.key));
	ck_assert(!ncm_pki_cert_has_key(lab.cert, other));
	ck_assert_int_eq(ncm_pki_pubkey_to_pem(lab.key, &pem), NCM_OK);
	ck_assert_int_eq(ncm_pki_pubkey_from_pem(pem, strlen(pem), &pub, &err), NCM_OK);
	ck_assert(ncm_pki_cert_has_key(lab.cert, pub));
	EVP_PKEY_free(pub);
	free(pem);
	EVP_PKEY_free(other);
	lab_free(&lab);
}
END_TEST

START_TEST(csr_pem_form_parses)
{
	EVP_PKEY *key = p256_key();
	X509_REQ *req = csr_make(key, "nrf-352656100000002");
	char *pem = csr_pem(req, 0);
	char *padded = NULL;

	ck_assert_ptr_nonnull(strstr(pem, "BEGIN CERTIFICATE REQUEST"));
	assert_csr_gives_id(pem, strlen(pem), "nrf-352656100000002");
	ck_assert_int_gt(asprintf(&padded, "\r\n  %s\r\n\r\n", pem), 0);
	assert_csr_gives_id(padded, strlen(padded), "nrf-352656100000002");
	free(padded);
	padded = crlf(pem);
	assert_csr_gives_id(padded, strlen(padded), "nrf-352656100000002");
	free(padded);
	free(pem);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_pem_new_header_form_parses)
{
	EVP_PKEY *key = p256_key();
	X509_REQ *req = csr_make(key, "dev-new-header");
	char *pem = csr_pem(req, 1);

	ck_assert_ptr_nonnull(strstr(pem, "BEGIN NEW CERTIFICATE REQUEST"));
	assert_csr_gives_id(pem, strlen(pem), "dev-new-header");
	free(pem);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_der_form_parses)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "dev_DER:1", &len);

	assert_csr_gives_id(der, len, "dev_DER:1");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_keygen_form_without_attestation_parses)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "nrf-keygen", &len);
	char *b64 = b64url(der, len);
	char *padded = NULL;

	ck_assert_ptr_null(strchr(b64, '='));
	assert_csr_gives_id(b64, strlen(b64), "nrf-keygen");
	ck_assert_int_gt(asprintf(&padded, " \t\"%s\"\r\n", b64), 0);
	assert_csr_gives_id(padded, strlen(padded), "nrf-keygen");
	free(padded);
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_keygen_form_with_attestation_parses)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "nrf-attested", &len);
	char *b64 = b64url(der, len), *att = fake_attestation(), *line = NULL;

	ck_assert_int_gt(asprintf(&line, "%s.%s", b64, att), 0);
	assert_csr_gives_id(line, strlen(line), "nrf-attested");
	free(line);
	free(att);
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_keygen_full_response_line_parses)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "nrf-352656100000003", &len);
	char *b64 = b64url(der, len), *att = fake_attestation(), *line = NULL;

	ck_assert_int_gt(asprintf(&line, "\r\n%%KEYGEN: \"%s.%s\"\r\n", b64, att), 0);
	assert_csr_gives_id(line, strlen(line), "nrf-352656100000003");
	free(line);
	line = NULL;
	ck_assert_int_gt(asprintf(&line, "%%KEYGEN:\"%s\"", b64), 0);
	assert_csr_gives_id(line, strlen(line), "nrf-352656100000003");
	free(line);
	free(att);
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_random_bytes_are_refused)
{
	unsigned char junk[1000];
	int i;

	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(RAND_bytes(junk, sizeof(junk)), 1);
		assert_csr_fails(junk, sizeof(junk), NCM_ERR_INVAL, "");
	}
	/* the last junk without the characters that pick another message (a double quote: the
	 * AT%KEYGEN quoting, a dot: an attestation token, '%': a response prefix); it failed 1 run
	 * in about 200 when a random byte was one of them */
	for (i = 0; i < (int)sizeof(junk); i++)
		if (junk[i] == '"' || junk[i] == '.' || junk[i] == '%')
			junk[i] = 'y';
	junk[0] = 'x';
	assert_csr_fails(junk, sizeof(junk), NCM_ERR_INVAL, "not a certificate signing request");
	assert_csr_fails("hello world", 11, NCM_ERR_INVAL, "not a certificate signing request");
	assert_csr_fails("QUJDRA", 6, NCM_ERR_INVAL, "not a certificate signing request");
	assert_csr_fails("%KEYGEN: \"not base64!\"", 22, NCM_ERR_INVAL, "AT%KEYGEN");
	assert_csr_fails("\"MIIB", 5, NCM_ERR_INVAL, "double quote");
	assert_csr_fails("MIIB.not base64", 15, NCM_ERR_INVAL, "attestation");
}
END_TEST

START_TEST(csr_empty_input_is_refused)
{
	assert_csr_fails("", 0, NCM_ERR_INVAL, "empty");
	assert_csr_fails(NULL, 0, NCM_ERR_INVAL, "empty");
	assert_csr_fails(" \r\n\t ", 5, NCM_ERR_INVAL, "empty");
}
END_TEST

START_TEST(csr_truncated_der_is_refused)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "dev-1", &len);
	char *b64;

	assert_csr_fails(der, len / 2, NCM_ERR_INVAL, "truncated");
	assert_csr_fails(der, len - 1, NCM_ERR_INVAL, "truncated");
	b64 = b64url(der, len - 7);
	assert_csr_fails(b64, strlen(b64), NCM_ERR_INVAL, "truncated");
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_der_with_trailing_bytes_is_refused)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "dev-1", &len);
	unsigned char *more = malloc(len + 3);

	ck_assert_ptr_nonnull(more);
	memcpy(more, der, len);
	memcpy(more + len, "abc", 3);
	assert_csr_fails(more, len + 3, NCM_ERR_INVAL, "extra bytes");
	free(more);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_pem_holding_only_a_certificate_is_refused)
{
	struct lab lab;
	char *pem = NULL;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_to_pem(lab.cert, &pem), NCM_OK);
	assert_csr_fails(pem, strlen(pem), NCM_ERR_INVAL, "no CERTIFICATE REQUEST");
	free(pem);
	lab_free(&lab);
}
END_TEST

START_TEST(csr_with_tampered_signature_fails_check)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "dev-tampered", &len);
	char *b64;

	der[len - 1] ^= 0x01; /* last byte of the ECDSA signature's s */
	assert_csr_fails(der, len, NCM_ERR_INVAL, "CSR signature does not verify");
	b64 = b64url(der, len);
	assert_csr_fails(b64, strlen(b64), NCM_ERR_INVAL, "CSR signature does not verify");
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_with_rsa_2048_key_is_unsupported)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	size_t len;
	unsigned char *der;

	ck_assert_ptr_nonnull(key);
	der = csr_der_for(key, "dev-rsa", &len);
	assert_csr_fails(der, len, NCM_ERR_UNSUPPORTED, "key type RSA (2048 bits) not supported");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_with_ec_p384_key_is_unsupported)
{
	EVP_PKEY *key = EVP_EC_gen("secp384r1");
	size_t len;
	unsigned char *der;

	ck_assert_ptr_nonnull(key);
	der = csr_der_for(key, "dev-p384", &len);
	assert_csr_fails(der, len, NCM_ERR_UNSUPPORTED, "EC on curve secp384r1");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_with_ed25519_key_is_unsupported)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t len;
	unsigned char *der;

	ck_assert_ptr_nonnull(key);
	der = csr_der_for(key, "dev-ed", &len);
	assert_csr_fails(der, len, NCM_ERR_UNSUPPORTED, "key type Ed25519 not supported");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_without_cn_is_refused)
{
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, NULL, &len);

	assert_csr_fails(der, len, NCM_ERR_INVAL, "CSR subject has no CN");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_with_invalid_cn_is_refused)
{
	EVP_PKEY *key = p256_key();
	char long_cn[NCM_DEVID_MAX + 2];
	unsigned char *der;
	size_t len;

	der = csr_der_for(key, "bad/id", &len);
	assert_csr_fails(der, len, NCM_ERR_INVAL, "not a valid device ID");
	OPENSSL_free(der);
	memset(long_cn, 'a', NCM_DEVID_MAX + 1);
	long_cn[NCM_DEVID_MAX + 1] = '\0';
	der = csr_der_for(key, long_cn, &len);
	assert_csr_fails(der, len, NCM_ERR_INVAL, "longer than 128");
	OPENSSL_free(der);
	long_cn[NCM_DEVID_MAX] = '\0';
	der = csr_der_for(key, long_cn, &len);
	assert_csr_gives_id(der, len, long_cn);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_check_refuses_a_too_small_id_buffer)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key();
	size_t len;
	unsigned char *der = csr_der_for(key, "dev-0123456789", &len);
	char id[8];

	ck_assert_int_eq(csr_parse_check(der, len, id, sizeof(id), &err), NCM_ERR_TOO_BIG);
	ck_assert_str_eq(id, "");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(csr_over_64_kib_is_too_big)
{
	size_t cap = 64 * 1024;
	unsigned char *big = malloc(cap + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'A', cap + 1);
	assert_csr_fails(big, cap + 1, NCM_ERR_TOO_BIG, "65537 bytes");
	assert_csr_fails(big, cap, NCM_ERR_INVAL, "not a certificate signing request");
	free(big);
}
END_TEST

START_TEST(cert_info_fills_subject_fingerprint_validity_and_sans)
{
	struct ncm_err_info err = { 0 };
	struct ncm_pki_info info;
	struct lab lab;
	EVP_PKEY *key = p256_key();
	X509 *cert;
	char fp[NCM_PKI_FP_LEN + 1];

	lab_make(&lab, "test lab CA");
	cert = server_cert(&lab, key);
	ck_assert_int_eq(ncm_pki_cert_info(cert, &info, &err), NCM_OK);
	ck_assert_str_eq(info.subject, "CN=mock.example");
	ck_assert_str_eq(info.issuer, "CN=test lab CA");
	ck_assert_int_eq(ncm_pki_cert_fingerprint(cert, fp), NCM_OK);
	ck_assert_str_eq(info.fingerprint, fp);
	ck_assert_int_eq(info.not_before, NOW - NCM_PKI_BACKDATE_S);
	ck_assert_int_eq(info.not_after, NOW - NCM_PKI_BACKDATE_S +
					 (time_t)NCM_PKI_SERVER_DAYS * DAY);
	ck_assert_str_eq(info.sans,
			 "DNS:mock.example, DNS:localhost, IP:127.0.0.1, IP:::1, IP:10.1.2.3");
	X509_free(cert);
	EVP_PKEY_free(key);
	lab_free(&lab);
}
END_TEST

START_TEST(cert_sans_of_a_cert_without_sans_is_empty)
{
	struct ncm_err_info err = { 0 };
	struct lab lab;
	char *sentinel[1] = { NULL };
	char **sans = sentinel;
	size_t n = 99;

	lab_make(&lab, "test lab CA");
	ck_assert_int_eq(ncm_pki_cert_sans(lab.cert, &sans, &n, &err), NCM_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(sans);
	lab_free(&lab);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* RSA key generation under valgrind is slow */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

static Suite *pki_suite(void)
{
	Suite *s = suite_create("pki");

	ADD(s, key_new_makes_an_ec_p256_key);
	ADD(s, ca_is_a_self_signed_ca_that_verifies);
	ADD(s, ca_validity_runs_from_a_day_before_now_for_its_days);
	ADD(s, ca_new_refuses_zero_days_and_empty_cn);
	ADD(s, server_cert_has_every_san_and_is_issued_by_the_ca_only);
	ADD(s, server_cert_refuses_bad_sans);
	ADD(s, leaf_certs_refuse_a_ca_key_that_is_not_the_cas);
	ADD(s, device_cert_has_the_id_as_cn_and_client_auth);
	ADD(s, device_cert_serials_differ);
	ADD(s, device_cert_accepts_a_128_character_id);
	ADD(s, device_cert_refuses_invalid_ids);
	ADD(s, cert_cn_reports_a_missing_cn);
	ADD(s, fingerprint_is_lowercase_hex_sha256_of_the_der);
	ADD(s, cert_pem_round_trips);
	ADD(s, key_pem_round_trips_as_pkcs8);
	ADD(s, key_from_pem_reads_sec1_and_a_key_after_another_block);
	ADD(s, pubkey_pem_round_trips);
	ADD(s, pem_readers_refuse_garbage_and_the_wrong_block);
	ADD(s, key_from_pem_refuses_an_encrypted_key_without_prompting);
	ADD(s, cert_has_key_tells_its_own_key_from_another);
	ADD(s, csr_pem_form_parses);
	ADD(s, csr_pem_new_header_form_parses);
	ADD(s, csr_der_form_parses);
	ADD(s, csr_keygen_form_without_attestation_parses);
	ADD(s, csr_keygen_form_with_attestation_parses);
	ADD(s, csr_keygen_full_response_line_parses);
	ADD(s, csr_random_bytes_are_refused);
	ADD(s, csr_empty_input_is_refused);
	ADD(s, csr_truncated_der_is_refused);
	ADD(s, csr_der_with_trailing_bytes_is_refused);
	ADD(s, csr_pem_holding_only_a_certificate_is_refused);
	ADD(s, csr_with_tampered_signature_fails_check);
	ADD(s, csr_with_rsa_2048_key_is_unsupported);
	ADD(s, csr_with_ec_p384_key_is_unsupported);
	ADD(s, csr_with_ed25519_key_is_unsupported);
	ADD(s, csr_without_cn_is_refused);
	ADD(s, csr_with_invalid_cn_is_refused);
	ADD(s, csr_check_refuses_a_too_small_id_buffer);
	ADD(s, csr_over_64_kib_is_too_big);
	ADD(s, cert_info_fills_subject_fingerprint_validity_and_sans);
	ADD(s, cert_sans_of_a_cert_without_sans_is_empty);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pki_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
