/* SPDX-License-Identifier: MIT
 * jwt.c: compact ES256 JSON Web Tokens as nRF Cloud uses them (see jwt.h; docs/protocol-rest.md#device-jwts,
 * docs/protocol-rest.md#service-keys-and-evaluation-tokens): strict parsing, the ES256 signature check, the time checks, signing of the service
 * tokens the mock hands out, and the base64url codec they all rest on. OpenSSL 3 EVP only; no
 * I/O, no clock, no shared state.
 */
#include "jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#define ES256_SIG_LEN 64
#define ES256_HALF (ES256_SIG_LEN / 2)
#define DER_SIG_MAX 128          /* a DER ECDSA-Sig-Value on P-256 is at most 72 bytes */
#define P256_NAME "prime256v1"
#define ALG_SHOWN_MAX 32         /* longer alg values are cut in messages */
#define NOT_P256 "key is not EC P-256: algorithm confusion refused"
#define NO_VERIFY "JWT signature does not verify"
/* PyJWT's header for service-key tokens, byte for byte (docs/protocol-rest.md#service-keys-and-evaluation-tokens). */
#define SIGN_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Sets err to code with "what (<OpenSSL's reason>)" and empties the thread's OpenSSL error
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

static int nomem(struct ncm_err_info *err)
{
	return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
}

/* ---- base64url (RFC 4648 §5, no padding as RFC 7515 §2 requires) ---- */

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

int ncm_b64url_encode(const void *data, size_t len, char **out)
{
	const unsigned char *p = data;
	char *s = NULL;
	size_t i, j = 0;
	uint32_t v;

	if (!out)
		return NCM_ERR_INVAL;
	*out = NULL;
	if (!data && len)
		return NCM_ERR_INVAL;
	if (len > (SIZE_MAX - 4) / 4 * 3)
		return NCM_ERR_TOO_BIG;
	s = malloc(len / 3 * 4 + 4);
	if (!s)
		return NCM_ERR_NOMEM;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		s[j++] = b64url_alphabet[v >> 18 & 63];
		s[j++] = b64url_alphabet[v >> 12 & 63];
		s[j++] = b64url_alphabet[v >> 6 & 63];
		s[j++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		s[j++] = b64url_alphabet[v >> 18 & 63];
		s[j++] = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		s[j++] = b64url_alphabet[v >> 18 & 63];
		s[j++] = b64url_alphabet[v >> 12 & 63];
		s[j++] = b64url_alphabet[v >> 6 & 63];
	}
	s[j] = '\0';
	*out = s;
	return NCM_OK;
}

/* Unused low bits of the last character must be zero: then every byte string has exactly one
 * encoding, and a token cannot be altered into another string that still verifies. */
int ncm_b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
	unsigned char *buf = NULL;
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, v, rc = NCM_ERR_INVAL;

	if (!out || !out_len)
		return NCM_ERR_INVAL;
	*out = NULL;
	*out_len = 0;
	if ((!text && len) || len % 4 == 1)
		return NCM_ERR_INVAL;
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return NCM_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		v = b64url_value((unsigned char)text[i]);
		if (v < 0)
			goto out;
		acc = (acc << 6 | (uint32_t)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc)
		goto out;
	*out = buf;
	*out_len = n;
	buf = NULL;
	rc = NCM_OK;
out:
	free(buf);
	return rc;
}

/* ---- parsing ---- */

/* Copies at most ALG_SHOWN_MAX bytes of s into buf for a message, with anything but printable
 * ASCII shown as '?', so a hostile alg cannot put control bytes into logs or replies. */
static void shown(const char *s, char buf[ALG_SHOWN_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] && i < ALG_SHOWN_MAX; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

/* Decodes one base64url segment holding a JSON object. Duplicate keys are refused: two readers
 * that keep different duplicates would see different claims under one signature. */
static int segment_object(const char *seg, size_t len, const char *what, json_t **out,
			  struct ncm_err_info *err)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	json_error_t jerr;
	json_t *obj = NULL;
	int rc;

	*out = NULL;
	rc = ncm_b64url_decode(seg, len, &raw, &raw_len);
	if (rc == NCM_ERR_NOMEM) {
		rc = nomem(err);
		goto out;
	}
	if (rc) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "JWT %s not valid base64url", what);
		goto out;
	}
	/* Without JSON_ALLOW_NUL jansson refuses "\u0000", so every string we hand out as a
	 * C string (alg, sub, iss, aud) is the whole JSON string. */
	obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(obj)) {
		json_decref(obj);
		rc = ncm_err_set(err, NCM_ERR_INVAL, "JWT %s not a JSON object", what);
		goto out;
	}
	*out = obj;
out:
	free(raw);
	return rc;
}

/* Only ES256 is accepted, whatever the token asks for (docs/protocol-rest.md#device-jwts: the modem and the
 * SDK sign ES256 only; docs/protocol-rest.md#service-keys-and-evaluation-tokens: service keys are ES256 too). */
static int check_header(struct ncm_jwt *jwt, struct ncm_err_info *err)
{
	json_t *alg = json_object_get(jwt->header, "alg");
	char buf[ALG_SHOWN_MAX + 4];

	if (!alg)
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT has no alg");
	if (!json_is_string(alg))
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT alg must be a string");
	jwt->alg = json_string_value(alg);
	if (!strcmp(jwt->alg, "none"))
		return ncm_err_set(err, NCM_ERR_INVAL, "alg none not allowed");
	if (strcmp(jwt->alg, "ES256")) {
		shown(jwt->alg, buf);
		return ncm_err_set(err, NCM_ERR_INVAL, "alg %s not allowed; only ES256", buf);
	}
	/* RFC 7515 §4.1.11: extensions listed in crit must be understood; we know none. */
	if (json_object_get(jwt->header, "crit"))
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT header crit is not supported");
	return NCM_OK;
}

/* floor() without libm; reals beyond int64_t saturate (1e300 as exp simply never expires). */
static int64_t real_floor(double r)
{
	int64_t t;

	if (r != r)
		return 0;
	if (r >= 9223372036854775808.0)
		return INT64_MAX;
	if (r < -9223372036854775808.0)
		return INT64_MIN;
	t = (int64_t)r;
	if ((double)t > r)
		t--;
	return t;
}

static int claim_time(json_t *claims, const char *name, int *has, int64_t *val,
		      struct ncm_err_info *err)
{
	json_t *v = json_object_get(claims, name);

	if (!v)
		return NCM_OK;
	if (json_is_integer(v))
		*val = (int64_t)json_integer_value(v);
	else if (json_is_real(v))
		*val = real_floor(json_real_value(v));
	else
		return ncm_err_set(err, NCM_ERR_INVAL, "claim %s must be a number", name);
	*has = 1;
	return NCM_OK;
}

static int claim_string(json_t *claims, const char *name, const char **val,
			struct ncm_err_info *err)
{
	json_t *v = json_object_get(claims, name);

	if (!v)
		return NCM_OK;
	if (!json_is_string(v))
		return ncm_err_set(err, NCM_ERR_INVAL, "claim %s must be a string", name);
	*val = json_string_value(v);
	return NCM_OK;
}

/* RFC 7519 §4.1.3 allows aud as a string or an array; the team ID of a service-key JWT is the
 * aud (docs/protocol-rest.md#service-keys-and-evaluation-tokens), and an array's first string is taken as it. */
static int claim_aud(json_t *claims, const char **val, struct ncm_err_info *err)
{
	json_t *aud = json_object_get(claims, "aud"), *v = NULL;
	size_t i;

	if (!aud)
		return NCM_OK;
	if (json_is_string(aud)) {
		*val = json_string_value(aud);
		return NCM_OK;
	}
	if (!json_is_array(aud))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "claim aud must be a string or an array of strings");
	json_array_foreach(aud, i, v) {
		if (json_is_string(v)) {
			*val = json_string_value(v);
			break;
		}
	}
	return NCM_OK;
}

static int read_claims(struct ncm_jwt *jwt, struct ncm_err_info *err)
{
	json_t *c = jwt->claims;
	int rc;

	rc = claim_time(c, "exp", &jwt->has_exp, &jwt->exp, err);
	if (!rc)
		rc = claim_time(c, "iat", &jwt->has_iat, &jwt->iat, err);
	if (!rc)
		rc = claim_time(c, "nbf", &jwt->has_nbf, &jwt->nbf, err);
	if (!rc)
		rc = claim_string(c, "sub", &jwt->sub, err);
	if (!rc)
		rc = claim_string(c, "iss", &jwt->iss, err);
	if (!rc)
		rc = claim_aud(c, &jwt->aud, err);
	return rc;
}

int ncm_jwt_parse(const char *token, size_t len, struct ncm_jwt *out, struct ncm_err_info *err)
{
	const char *dot1 = NULL, *dot2 = NULL;
	unsigned char *sig = NULL;
	size_t dots = 0, i, sig_len = 0;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no place for the parsed JWT");
	memset(out, 0, sizeof(*out));
	if (!token || !len)
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT is empty");
	/* Bearer tokens are attacker-sized; real device and service JWTs are a few hundred
	 * bytes (docs/protocol-rest.md#device-jwts, docs/protocol-rest.md#service-keys-and-evaluation-tokens). */
	if (len > NCM_JWT_MAX_LEN)
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "JWT longer than %d bytes",
				   NCM_JWT_MAX_LEN);
	for (i = 0; i < len; i++) {
		if (token[i] != '.')
			continue;
		if (dots == 0)
			dot1 = token + i;
		else if (dots == 1)
			dot2 = token + i;
		dots++;
	}
	if (dots != 2)
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT must have 3 segments, got %zu",
				   dots + 1);
	/* The header first, so that an alg-confusion token is named as such. */
	rc = segment_object(token, (size_t)(dot1 - token), "header is", &out->header, err);
	if (!rc)
		rc = check_header(out, err);
	if (!rc)
		rc = segment_object(dot1 + 1, (size_t)(dot2 - dot1 - 1), "claims are", &out->claims,
				    err);
	if (rc)
		goto out;
	rc = ncm_b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sig, &sig_len);
	if (rc == NCM_ERR_NOMEM) {
		rc = nomem(err);
		goto out;
	}
	if (rc) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "JWT signature is not valid base64url");
		goto out;
	}
	/* JWS ES256 signatures are raw r || s, 32 bytes each (RFC 7518 §3.4), not DER. */
	if (sig_len != ES256_SIG_LEN) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ES256 signature must be %d bytes, got %zu",
				 ES256_SIG_LEN, sig_len);
		goto out;
	}
	memcpy(out->sig, sig, ES256_SIG_LEN);
	out->sig_len = ES256_SIG_LEN;
	rc = read_claims(out, err);
	if (rc)
		goto out;
	/* Both segments passed the base64url check, so the copy holds no NUL. */
	out->signing_input = malloc((size_t)(dot2 - token) + 1);
	if (!out->signing_input) {
		rc = nomem(err);
		goto out;
	}
	memcpy(out->signing_input, token, (size_t)(dot2 - token));
	out->signing_input[dot2 - token] = '\0';
out:
	free(sig);
	if (rc)
		ncm_jwt_release(out);
	return rc;
}

void ncm_jwt_release(struct ncm_jwt *jwt)
{
	if (!jwt)
		return;
	json_decref(jwt->header);
	json_decref(jwt->claims);
	free(jwt->signing_input);
	memset(jwt, 0, sizeof(*jwt));
}

/* sub wins whenever present; a modem-made JWT may leave it out because the device UUID is
 * already in iss as "<chip>.<uuid>" (docs/protocol-rest.md#device-jwts, "Rules for the device ID"). buf gets a
 * copy only when the whole ID fits: a cut ID could name another device. */
const char *ncm_jwt_device_id(const struct ncm_jwt *jwt, char *buf, size_t size)
{
	const char *id = NULL, *dot = NULL;
	size_t n;

	if (buf && size)
		buf[0] = '\0';
	if (!jwt)
		return NULL;
	if (jwt->sub) {
		if (*jwt->sub)
			id = jwt->sub;
	} else if (jwt->iss) {
		dot = strchr(jwt->iss, '.');
		if (dot && dot[1])
			id = dot + 1;
	}
	if (id && buf && size) {
		n = strlen(id);
		if (n < size)
			memcpy(buf, id, n + 1);
	}
	return id;
}

/* ---- signatures ---- */

/* Whatever the caller passes, only an EC P-256 key is used: an RSA or HMAC-able key must never
 * be coaxed into checking some other algorithm (docs/protocol-rest.md#device-jwts, ES256 only). */
static int key_check(EVP_PKEY *key, struct ncm_err_info *err)
{
	char group[64];

	if (!key)
		return ncm_err_set(err, NCM_ERR_INVAL, "no key given");
	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    NULL) ||
	    strcmp(group, P256_NAME)) {
		ERR_clear_error();
		return ncm_err_set(err, NCM_ERR_UNSUPPORTED, NOT_P256);
	}
	return NCM_OK;
}

static int raw_to_der(const unsigned char *raw, unsigned char **der, int *der_len,
		      struct ncm_err_info *err)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = NCM_OK;

	*der = NULL;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, ES256_HALF, NULL);
	s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot build an ECDSA signature");
		goto out;
	}
	*der_len = i2d_ECDSA_SIG(sig, der);
	if (*der_len <= 0) {
		*der = NULL;
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot encode an ECDSA signature");
	}
out:
	ECDSA_SIG_free(sig);
	return rc;
}

static int der_to_raw(const unsigned char *der, size_t der_len, unsigned char *raw,
		      struct ncm_err_info *err)
{
	const unsigned char *p = der;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *sig = NULL;
	int rc = NCM_OK;

	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot decode the ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, ES256_HALF) != ES256_HALF ||
	    BN_bn2binpad(s, raw + ES256_HALF, ES256_HALF) != ES256_HALF)
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "ECDSA signature does not fit ES256");
out:
	ECDSA_SIG_free(sig);
	return rc;
}

int ncm_jwt_verify_signature(const struct ncm_jwt *jwt, EVP_PKEY *key, struct ncm_err_info *err)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	int der_len = 0, rc;

	if (!jwt || !jwt->signing_input)
		return ncm_err_set(err, NCM_ERR_INVAL, "no parsed JWT to verify");
	rc = key_check(key, err);
	if (rc)
		return rc;
	if (jwt->sig_len != ES256_SIG_LEN)
		return ncm_err_set(err, NCM_ERR_DENIED, NO_VERIFY);
	rc = raw_to_der(jwt->sig, &der, &der_len, err);
	if (rc)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot start an ES256 verification");
		goto out;
	}
	/* 0 is a wrong signature, < 0 one OpenSSL would not even check (r or s out of range):
	 * both are the token's fault. */
	if (EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)jwt->signing_input,
			     strlen(jwt->signing_input)) != 1) {
		ERR_clear_error();
		rc = ncm_err_set(err, NCM_ERR_DENIED, NO_VERIFY);
		goto out;
	}
	rc = NCM_OK;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	if (b < 0 && a > INT64_MAX + b)
		return INT64_MAX;
	if (b > 0 && a < INT64_MIN + b)
		return INT64_MIN;
	return a - b;
}

/* exp is enforced when present; iat and exp are optional in every SDK path (
 * docs/protocol-rest.md#device-jwts). The sums are saturating, so hostile claims near INT64_MIN/MAX cannot wrap around. */
int ncm_jwt_check_time(const struct ncm_jwt *jwt, time_t now, int skew,
		       struct ncm_err_info *err)
{
	int64_t t = (int64_t)now, s = skew > 0 ? skew : 0;

	if (!jwt)
		return ncm_err_set(err, NCM_ERR_INVAL, "no parsed JWT to check");
	if (jwt->has_exp && jwt->exp < sat_sub(t, s))
		return ncm_err_set(err, NCM_ERR_DENIED, "JWT expired %lld s ago",
				   (long long)sat_sub(t, jwt->exp));
	if (jwt->has_iat && jwt->iat > sat_add(t, s))
		return ncm_err_set(err, NCM_ERR_DENIED, "JWT iat is %lld s in the future",
				   (long long)sat_sub(jwt->iat, t));
	if (jwt->has_nbf && jwt->nbf > sat_add(t, s))
		return ncm_err_set(err, NCM_ERR_DENIED, "JWT not valid before %lld s from now",
				   (long long)sat_sub(jwt->nbf, t));
	return NCM_OK;
}

static int has_private_key(EVP_PKEY *key)
{
	BIGNUM *priv = NULL;
	int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv);

	BN_clear_free(priv);
	ERR_clear_error();
	return ok == 1;
}

/* Length of the unpadded base64url form of n bytes. */
static size_t b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Appends base64url(data) and, when dot, a '.' to the token being built at *pos. */
static int append_b64(char *token, size_t *pos, const void *data, size_t len, int dot)
{
	char *enc = NULL;
	size_t n;
	int rc;

	rc = ncm_b64url_encode(data, len, &enc);
	if (rc)
		return rc;
	n = strlen(enc);
	memcpy(token + *pos, enc, n);
	*pos += n;
	if (dot)
		token[(*pos)++] = '.';
	token[*pos] = '\0';
	free(enc);
	return NCM_OK;
}

int ncm_jwt_sign_es256(const json_t *claims, EVP_PKEY *key, char **out,
		       struct ncm_err_info *err)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char der[DER_SIG_MAX], raw[ES256_SIG_LEN];
	char *body = NULL, *token = NULL;
	size_t der_len = sizeof(der), body_len, input_len = 0, cap;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no place for the signed JWT");
	*out = NULL;
	if (!json_is_object(claims))
		return ncm_err_set(err, NCM_ERR_INVAL, "JWT claims must be a JSON object");
	rc = key_check(key, err);
	if (rc)
		return rc;
	if (!has_private_key(key))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "key has no private part: cannot sign a JWT");
	body = json_dumps(claims, JSON_COMPACT);
	if (!body) {
		rc = nomem(err);
		goto out;
	}
	body_len = strlen(body);
	/* The mock must never hand out a token it would itself refuse (checked again below,
	 * exactly, once the length is known). */
	if (body_len > NCM_JWT_MAX_LEN) {
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "JWT longer than %d bytes", NCM_JWT_MAX_LEN);
		goto out;
	}
	cap = b64url_len(sizeof(SIGN_HEADER) - 1) + 1 + b64url_len(body_len) + 1 +
	      b64url_len(ES256_SIG_LEN) + 1;
	token = malloc(cap);
	if (!token) {
		rc = nomem(err);
		goto out;
	}
	rc = append_b64(token, &input_len, SIGN_HEADER, sizeof(SIGN_HEADER) - 1, 1);
	if (!rc)
		rc = append_b64(token, &input_len, body, body_len, 0);
	if (rc) {
		rc = nomem(err);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)token, input_len) != 1) {
		rc = ssl_fail(err, NCM_ERR_CRYPTO, "cannot sign the JWT");
		goto out;
	}
	rc = der_to_raw(der, der_len, raw, err);
	if (rc)
		goto out;
	token[input_len++] = '.';
	rc = append_b64(token, &input_len, raw, sizeof(raw), 0);
	if (rc) {
		rc = nomem(err);
		goto out;
	}
	if (input_len > NCM_JWT_MAX_LEN) {
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "JWT longer than %d bytes", NCM_JWT_MAX_LEN);
		goto out;
	}
	*out = token;
	token = NULL;
out:
	EVP_MD_CTX_free(ctx);
	free(body);
	free(token);
	return rc;
}
