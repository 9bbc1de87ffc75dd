/* SPDX-License-Identifier: MIT
 * jwt.h: JSON Web Tokens as nRF Cloud uses them (docs/protocol-rest.md#device-jwts, docs/protocol-rest.md#service-keys-and-evaluation-tokens): ES256 only. Parsing
 * splits and decodes a compact JWT and refuses anything malformed with a precise reason;
 * verification checks the ES256 signature against a given public key and the time claims
 * against a clock passed in. Signing makes the service tokens the mock hands out. Pure (no
 * I/O, no clock reads); any thread.
 */
#ifndef NCM_JWT_H
#define NCM_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"

#define NCM_JWT_MAX_LEN 8192   /* longer bearer tokens are refused unread */

struct ncm_jwt {
	json_t *header;        /* decoded header object */
	json_t *claims;        /* decoded claims object */
	char *signing_input;   /* "<b64 header>.<b64 claims>", what the signature covers */
	unsigned char sig[64]; /* raw r || s (ES256) */
	size_t sig_len;
	/* claims, borrowed from claims (NULL / 0 when absent) */
	const char *alg;
	const char *sub;
	const char *iss;
	const char *aud;       /* a string aud, or the first string of an aud array */
	int has_exp, has_iat, has_nbf;
	int64_t exp, iat, nbf;
};

/* Parses token (len bytes, no "Bearer "). NCM_ERR_INVAL with err->msg naming the problem:
 * "JWT is empty", "JWT longer than 8192 bytes" (NCM_ERR_TOO_BIG), "JWT must have 3 segments,
 * got N", "JWT header is not valid base64url", "JWT claims are not valid base64url", "JWT header
 * is not a JSON object", "JWT claims are not a JSON object", "JWT has no alg", "alg none not
 * allowed", "alg HS256 not allowed" (any alg other than ES256: "alg X not allowed; only ES256"),
 * "JWT signature is not valid base64url", "ES256 signature must be 64 bytes, got N", "claim exp
 * must be a number" (likewise iat, nbf), "claim sub must be a string" (likewise iss). Duplicate
 * JSON keys are refused. Padding '=' is refused (base64url without padding, RFC 7515). On
 * success *out must be released with ncm_jwt_release. */
int ncm_jwt_parse(const char *token, size_t len, struct ncm_jwt *out, struct ncm_err_info *err);
void ncm_jwt_release(struct ncm_jwt *jwt);

/* The device ID a device JWT names (docs/protocol-rest.md#device-jwts): sub when present, else the text after
 * the first '.' of iss; NULL when neither gives one. Borrowed from jwt. */
const char *ncm_jwt_device_id(const struct ncm_jwt *jwt, char *buf, size_t size);

/* Checks the ES256 signature with key (an EC P-256 public or private key): NCM_ERR_DENIED
 * "JWT signature does not verify" when it does not; NCM_ERR_UNSUPPORTED when key is not EC
 * P-256 ("key is not EC P-256: algorithm confusion refused"). */
int ncm_jwt_verify_signature(const struct ncm_jwt *jwt, EVP_PKEY *key, struct ncm_err_info *err);

/* Checks the time claims at now with skew seconds of tolerance: NCM_ERR_DENIED with
 * "JWT expired N s ago" (exp + skew < now; N = now - exp), "JWT iat is N s in the future"
 * (iat - skew > now), "JWT not valid before N s from now" (nbf - skew > now). Missing claims
 * pass. */
int ncm_jwt_check_time(const struct ncm_jwt *jwt, time_t now, int skew,
		       struct ncm_err_info *err);

/* Signs claims (borrowed JSON object) with key (EC P-256 private key) as a compact ES256 JWT
 * with header {"alg":"ES256","typ":"JWT"}; *out is malloc'd. */
int ncm_jwt_sign_es256(const json_t *claims, EVP_PKEY *key, char **out,
		       struct ncm_err_info *err);

/* base64url without padding: encode into a malloc'd string; decode into a malloc'd buffer
 * (NCM_ERR_INVAL on any character outside the alphabet, on '=' or on an impossible length). */
int ncm_b64url_encode(const void *data, size_t len, char **out);
int ncm_b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#endif
