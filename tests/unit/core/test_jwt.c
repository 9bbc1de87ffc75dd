/* SPDX-License-Identifier: MIT
 * test_jwt.c: unit tests for ES256 JWT parsing, verification, time checks, signing and the
 * base64url codec (server/core/jwt.c). Every key is made at test time; `now` is a fixed
 * instant; the fuzz loop uses a fixed seed so any failure replays.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "err.h"
#include "jwt.h"
#include "pki.h"

#define NOW ((time_t)1735689600) /* 2025-01-01T00:00:00Z */
#define UUID "50503041-3633-4261-803d-1e2b8f70111a"
#define MODEM_ISS "nRF9160." UUID
#define H_ES256 "{\"alg\":\"ES256\"}"
#define C_SUB "{\"sub\":\"d\"}"
#define PYJWT_HEADER_B64 "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9"
#define NOT_P256 "key is not EC P-256: algorithm confusion refused"
#define FUZZ_ROUNDS 20000

/* ---- helpers ---- */

static EVP_PKEY *p256_key(void)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = NULL;

	ck_assert_msg(ncm_pki_key_new(&key, &err) == NCM_OK, "key_new: %s", err.msg);
	return key;
}

static EVP_PKEY *public_only(EVP_PKEY *key)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *pub = NULL;
	char *pem = NULL;

	ck_assert_int_eq(ncm_pki_pubkey_to_pem(key, &pem), NCM_OK);
	ck_assert_msg(ncm_pki_pubkey_from_pem(pem, strlen(pem), &pub, &err) == NCM_OK, "%s",
		      err.msg);
	free(pem);
	return pub;
}

static char *b64(const void *data, size_t len)
{
	char *s = NULL;

	ck_assert_int_eq(ncm_b64url_encode(data, len, &s), NCM_OK);
	return s;
}

/* "<b64 hdr>.<b64 claims>.<b64 sig_len bytes of 0x11>", malloc'd. */
static char *make_token(const char *hdr, const char *claims, size_t sig_len)
{
	unsigned char sig[128];
	char *h = NULL, *c = NULL, *s = NULL, *tok = NULL;
	size_t n;

	ck_assert_uint_le(sig_len, sizeof(sig));
	memset(sig, 0x11, sig_len);
	h = b64(hdr, strlen(hdr));
	c = b64(claims, strlen(claims));
	s = b64(sig, sig_len);
	n = strlen(h) + strlen(c) + strlen(s) + 3;
	tok = malloc(n);
	ck_assert_ptr_nonnull(tok);
	snprintf(tok, n, "%s.%s.%s", h, c, s);
	free(h);
	free(c);
	free(s);
	return tok;
}

/* Appends text to segment seg (0..2) of tok; returns a new malloc'd token. */
static char *append_to_segment(const char *tok, int seg, const char *text)
{
	const char *p = tok;
	size_t at, n = strlen(tok) + strlen(text) + 1;
	char *out = malloc(n);
	int i;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i <= seg; i++) {
		p = strchr(p, '.');
		if (!p) {
			p = tok + strlen(tok);
			break;
		}
		if (i < seg)
			p++;
	}
	at = (size_t)(p - tok);
	memcpy(out, tok, at);
	strcpy(out + at, text);
	strcat(out, tok + at);
	return out;
}

static char *sign_text(const char *claims_json, EVP_PKEY *key)
{
	struct ncm_err_info err = { 0 };
	json_error_t jerr;
	json_t *claims = json_loads(claims_json, 0, &jerr);
	char *tok = NULL;

	ck_assert_msg(claims != NULL, "bad test JSON %s: %s", claims_json, jerr.text);
	ck_assert_msg(ncm_jwt_sign_es256(claims, key, &tok, &err) == NCM_OK, "sign: %s", err.msg);
	json_decref(claims);
	return tok;
}

static void parse_ok(const char *tok, struct ncm_jwt *jwt)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(ncm_jwt_parse(tok, strlen(tok), jwt, &err) == NCM_OK, "parse %s: %s", tok,
		      err.msg);
}

static int is_zeroed(const struct ncm_jwt *jwt)
{
	static const struct ncm_jwt zero;

	return !memcmp(jwt, &zero, sizeof(zero));
}

static void expect_refused(const char *tok, size_t len, int code, const char *msg)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	int rc;

	memset(&jwt, 0x5a, sizeof(jwt));
	rc = ncm_jwt_parse(tok, len, &jwt, &err);
	ck_assert_msg(rc == code, "%s: code %d (%s), want %d", tok ? tok : "(null)", rc, err.msg,
		      code);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_msg(is_zeroed(&jwt), "a refused parse must leave *out zeroed");
}

/* ---- a signed token parses and verifies ---- */

START_TEST(sign_parse_verify_round_trip)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *key = p256_key();
	const char *last = NULL;
	char *tok = sign_text("{\"sub\":\"nrf-352656100000001\",\"iat\":1735689600,"
			      "\"exp\":1735690200,\"jti\":\"j-1\"}", key);

	parse_ok(tok, &jwt);
	ck_assert_str_eq(jwt.alg, "ES256");
	ck_assert_str_eq(json_string_value(json_object_get(jwt.header, "typ")), "JWT");
	ck_assert_str_eq(jwt.sub, "nrf-352656100000001");
	ck_assert_ptr_null(jwt.iss);
	ck_assert_ptr_null(jwt.aud);
	ck_assert(jwt.has_exp && jwt.exp == 1735690200);
	ck_assert(jwt.has_iat && jwt.iat == 1735689600);
	ck_assert(!jwt.has_nbf);
	ck_assert_str_eq(json_string_value(json_object_get(jwt.claims, "jti")), "j-1");
	ck_assert_uint_eq(jwt.sig_len, 64);
	last = strrchr(tok, '.');
	ck_assert_uint_eq(strlen(jwt.signing_input), (size_t)(last - tok));
	ck_assert(!strncmp(jwt.signing_input, tok, (size_t)(last - tok)));
	ck_assert_msg(ncm_jwt_verify_signature(&jwt, key, &err) == NCM_OK, "%s", err.msg);
	ck_assert_msg(ncm_jwt_check_time(&jwt, NOW + 10, 0, &err) == NCM_OK, "%s", err.msg);
	ncm_jwt_release(&jwt);
	ck_assert(is_zeroed(&jwt));
	ncm_jwt_release(&jwt);
	ncm_jwt_release(NULL);
	free(tok);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(signed_header_is_pyjwt_header_byte_for_byte)
{
	EVP_PKEY *key = p256_key();
	char *tok = sign_text("{\"aud\":\"team\"}", key);

	ck_assert(!strncmp(tok, PYJWT_HEADER_B64 ".", strlen(PYJWT_HEADER_B64) + 1));
	free(tok);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(public_only_key_verifies)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *key = p256_key(), *pub = public_only(key);
	char *tok = sign_text(C_SUB, key);

	parse_ok(tok, &jwt);
	ck_assert_msg(ncm_jwt_verify_signature(&jwt, pub, &err) == NCM_OK, "%s", err.msg);
	ncm_jwt_release(&jwt);
	free(tok);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(real_time_claims_are_floored)
{
	struct ncm_jwt jwt;
	char *tok = make_token(H_ES256, "{\"exp\":1700000000.9,\"iat\":-1.5,\"nbf\":1e300}", 64);

	parse_ok(tok, &jwt);
	ck_assert(jwt.has_exp && jwt.exp == 1700000000);
	ck_assert(jwt.has_iat && jwt.iat == -2);
	ck_assert(jwt.has_nbf && jwt.nbf == INT64_MAX);
	ncm_jwt_release(&jwt);
	free(tok);
}
END_TEST

START_TEST(sign_refuses_bad_claims_and_keys)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *pub = public_only(key);
	EVP_PKEY *p384 = EVP_EC_gen("secp384r1");
	json_t *arr = json_array(), *obj = json_pack("{s:s}", "sub", "d");
	char *tok = NULL;

	ck_assert_ptr_nonnull(p384);
	ck_assert_int_eq(ncm_jwt_sign_es256(arr, key, &tok, &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "JWT claims must be a JSON object");
	ck_assert_int_eq(ncm_jwt_sign_es256(NULL, key, &tok, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_jwt_sign_es256(obj, NULL, &tok, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_jwt_sign_es256(obj, key, NULL, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_jwt_sign_es256(obj, pub, &tok, &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "key has no private part: cannot sign a JWT");
	ck_assert_int_eq(ncm_jwt_sign_es256(obj, p384, &tok, &err), NCM_ERR_UNSUPPORTED);
	ck_assert_str_eq(err.msg, NOT_P256);
	ck_assert_ptr_null(tok);
	json_decref(arr);
	json_decref(obj);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

/* header 36 + '.' + b64(body) + '.' + 86 = 8192 when b64(body) is 8068 chars, a 6051-byte
 * body: {"sub":"d","pad":"<6031 x>"}. One more pad byte crosses the cap. */
static char *padded_claims(size_t pad)
{
	char *s = malloc(pad + 32);

	ck_assert_ptr_nonnull(s);
	strcpy(s, "{\"sub\":\"d\",\"pad\":\"");
	memset(s + strlen(s), 'x', pad);
	strcpy(s + 18 + pad, "\"}");
	return s;
}

START_TEST(token_of_8192_bytes_passes_and_8193_is_refused)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *key = p256_key();
	json_t *claims = NULL;
	char *text = padded_claims(6031), *tok = sign_text(text, key), *big = NULL;

	ck_assert_uint_eq(strlen(tok), NCM_JWT_MAX_LEN);
	parse_ok(tok, &jwt);
	ck_assert_msg(ncm_jwt_verify_signature(&jwt, key, &err) == NCM_OK, "%s", err.msg);
	ncm_jwt_release(&jwt);

	big = append_to_segment(tok, 2, "A");
	ck_assert_uint_eq(strlen(big), NCM_JWT_MAX_LEN + 1);
	expect_refused(big, strlen(big), NCM_ERR_TOO_BIG, "JWT longer than 8192 bytes");
	free(big);
	free(tok);
	free(text);

	/* The signer refuses to make what the parser would refuse. */
	text = padded_claims(6032);
	claims = json_loads(text, 0, NULL);
	tok = NULL;
	ck_assert_int_eq(ncm_jwt_sign_es256(claims, key, &tok, &err), NCM_ERR_TOO_BIG);
	ck_assert_str_eq(err.msg, "JWT longer than 8192 bytes");
	ck_assert_ptr_null(tok);
	json_decref(claims);
	free(text);
	text = padded_claims(20000);
	claims = json_loads(text, 0, NULL);
	ck_assert_int_eq(ncm_jwt_sign_es256(claims, key, &tok, &err), NCM_ERR_TOO_BIG);
	json_decref(claims);
	free(text);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- the device ID comes from sub, else from iss ---- */

static const char *device_id_of(const char *claims, char *buf, size_t size, char **tok,
				struct ncm_jwt *jwt)
{
	*tok = make_token(H_ES256, claims, 64);
	parse_ok(*tok, jwt);
	return ncm_jwt_device_id(jwt, buf, size);
}

START_TEST(device_id_is_sub)
{
	struct ncm_jwt jwt;
	char buf[136], *tok = NULL;
	const char *id = device_id_of("{\"sub\":\"nrf-352656100000001\",\"iss\":\"" MODEM_ISS
				      "\"}", buf, sizeof(buf), &tok, &jwt);

	ck_assert_str_eq(id, "nrf-352656100000001");
	ck_assert_str_eq(buf, "nrf-352656100000001");
	ncm_jwt_release(&jwt);
	free(tok);
}
END_TEST

START_TEST(device_id_is_text_after_first_dot_of_iss_without_sub)
{
	struct ncm_jwt jwt;
	char buf[136], small[8], *tok = NULL;
	const char *id = device_id_of("{\"iss\":\"" MODEM_ISS "\",\"jti\":\"" MODEM_ISS ".1\"}",
				      buf, sizeof(buf), &tok, &jwt);

	ck_assert_str_eq(id, UUID);
	ck_assert_str_eq(buf, UUID);
	/* A buffer too small gets nothing rather than a cut ID; the borrowed ID stays whole. */
	memset(small, 'z', sizeof(small));
	id = ncm_jwt_device_id(&jwt, small, sizeof(small));
	ck_assert_str_eq(id, UUID);
	ck_assert_str_eq(small, "");
	ck_assert_str_eq(ncm_jwt_device_id(&jwt, NULL, 0), UUID);
	ncm_jwt_release(&jwt);
	free(tok);

	id = device_id_of("{\"iss\":\"chip.a.b\"}", buf, sizeof(buf), &tok, &jwt);
	ck_assert_str_eq(id, "a.b");
	ncm_jwt_release(&jwt);
	free(tok);
}
END_TEST

START_TEST(no_device_id_without_sub_or_dotted_iss)
{
	const char *none[] = { "{}", "{\"iss\":\"nodot\"}", "{\"iss\":\"nRF9160.\"}",
			       "{\"sub\":\"\",\"iss\":\"" MODEM_ISS "\"}", "{\"aud\":\"team\"}" };
	struct ncm_jwt jwt;
	char buf[136], *tok = NULL;
	size_t i;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		ck_assert_msg(device_id_of(none[i], buf, sizeof(buf), &tok, &jwt) == NULL, "%s",
			      none[i]);
		ck_assert_str_eq(buf, "");
		ncm_jwt_release(&jwt);
		free(tok);
	}
	ck_assert_ptr_null(ncm_jwt_device_id(NULL, buf, sizeof(buf)));
}
END_TEST

/* ---- aud is a string or the first string of an array ---- */

START_TEST(aud_string_and_array)
{
	const char *cases[][2] = {
		{ "{\"aud\":\"team-1\"}", "team-1" },
		{ "{\"aud\":[\"team-1\",\"other\"]}", "team-1" },
		{ "{\"aud\":[1,null,\"team-2\"]}", "team-2" },
		{ "{\"aud\":[]}", NULL },
		{ "{\"aud\":[1,2]}", NULL },
		{ "{}", NULL },
	};
	struct ncm_jwt jwt;
	size_t i;
	char *tok = NULL;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = make_token(H_ES256, cases[i][0], 64);
		parse_ok(tok, &jwt);
		if (cases[i][1])
			ck_assert_str_eq(jwt.aud, cases[i][1]);
		else
			ck_assert_msg(jwt.aud == NULL, "%s", cases[i][0]);
		ncm_jwt_release(&jwt);
		free(tok);
	}
}
END_TEST

/* ---- a token verifies only with its own P-256 key ---- */

START_TEST(wrong_key_is_denied)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *key = p256_key(), *other = p256_key();
	char *tok = sign_text(C_SUB, key);

	parse_ok(tok, &jwt);
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, other, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT signature does not verify");
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, NULL, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_jwt_verify_signature(NULL, key, &err), NCM_ERR_INVAL);
	ncm_jwt_release(&jwt);
	free(tok);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(keys_other_than_p256_are_unsupported)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *keys[3];
	char *tok = make_token(H_ES256, C_SUB, 64);
	size_t i;

	keys[0] = EVP_EC_gen("secp384r1");
	keys[1] = EVP_RSA_gen(2048);
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	parse_ok(tok, &jwt);
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(keys[i]);
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, keys[i], &err),
				 NCM_ERR_UNSUPPORTED);
		ck_assert_str_eq(err.msg, NOT_P256);
		EVP_PKEY_free(keys[i]);
	}
	ncm_jwt_release(&jwt);
	free(tok);
}
END_TEST

/* Re-encodes the token with segment seg replaced by b64(text), keeping the others. */
static char *replace_segment(const char *tok, int seg, const char *text)
{
	const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char *enc = b64(text, strlen(text)), *out = malloc(strlen(tok) + strlen(enc) + 1);

	ck_assert_ptr_nonnull(out);
	if (seg == 0)
		sprintf(out, "%s%s", enc, d1);
	else
		sprintf(out, "%.*s%s%s", (int)(d1 + 1 - tok), tok, enc, d2);
	free(enc);
	return out;
}

START_TEST(tampered_token_is_denied)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	EVP_PKEY *key = p256_key();
	char *tok = sign_text("{\"sub\":\"victim\",\"exp\":1735690200}", key), *bad = NULL;
	size_t n;

	/* claims changed, original signature kept */
	bad = replace_segment(tok, 1, "{\"sub\":\"attacker\",\"exp\":1735690200}");
	parse_ok(bad, &jwt);
	ck_assert_str_eq(jwt.sub, "attacker");
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT signature does not verify");
	ncm_jwt_release(&jwt);
	free(bad);

	/* exp pushed out, same signature */
	bad = replace_segment(tok, 1, "{\"sub\":\"victim\",\"exp\":1999999999}");
	parse_ok(bad, &jwt);
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	ncm_jwt_release(&jwt);
	free(bad);

	/* header changed */
	bad = replace_segment(tok, 0, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"x\"}");
	parse_ok(bad, &jwt);
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	ncm_jwt_release(&jwt);
	free(bad);

	/* one signature byte flipped */
	parse_ok(tok, &jwt);
	jwt.sig[10] ^= 0x01;
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	/* r = s = 0, and r, s >= the group order: refused, not crashed on */
	memset(jwt.sig, 0, sizeof(jwt.sig));
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	memset(jwt.sig, 0xff, sizeof(jwt.sig));
	ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key, &err), NCM_ERR_DENIED);
	ncm_jwt_release(&jwt);

	/* The last signature character carries 4 unused bits: setting one gives a second
	 * spelling of the same bytes, which is refused. */
	bad = strdup(tok);
	n = strlen(bad);
	ck_assert(bad[n - 1] == 'A' || bad[n - 1] == 'Q' || bad[n - 1] == 'g' ||
		  bad[n - 1] == 'w');
	bad[n - 1]++; /* A->B, Q->R, g->h, w->x: one unused bit set */
	expect_refused(bad, n, NCM_ERR_INVAL, "JWT signature is not valid base64url");
	free(bad);
	free(tok);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- malformed tokens are refused with a precise reason ---- */

struct refusal {
	const char *hdr;
	const char *claims;
	size_t sig;
	const char *raw;    /* used as is when set */
	int seg;            /* with append: which segment gets the text */
	const char *append;
	int code;
	const char *msg;
};

#define BAD(h, c, s, m) { h, c, s, NULL, 0, NULL, NCM_ERR_INVAL, m }
#define RAW(r, m) { NULL, NULL, 0, r, 0, NULL, NCM_ERR_INVAL, m }
#define EDIT(seg, text, m) { H_ES256, C_SUB, 64, NULL, seg, text, NCM_ERR_INVAL, m }
#define HDR_B64 "JWT header is not valid base64url"
#define CLM_B64 "JWT claims are not valid base64url"
#define SIG_B64 "JWT signature is not valid base64url"
#define HDR_OBJ "JWT header is not a JSON object"
#define CLM_OBJ "JWT claims are not a JSON object"

static const struct refusal refusals[] = {
	BAD("{\"alg\":\"none\"}", C_SUB, 0, "alg none not allowed"),
	BAD("{\"alg\":\"none\",\"typ\":\"JWT\"}", C_SUB, 64, "alg none not allowed"),
	BAD("{\"alg\":\"HS256\"}", C_SUB, 32, "alg HS256 not allowed; only ES256"),
	BAD("{\"alg\":\"RS256\"}", C_SUB, 64, "alg RS256 not allowed; only ES256"),
	BAD("{\"alg\":\"ES384\"}", C_SUB, 96, "alg ES384 not allowed; only ES256"),
	BAD("{\"alg\":\"es256\"}", C_SUB, 64, "alg es256 not allowed; only ES256"),
	BAD("{\"alg\":\"None\"}", C_SUB, 0, "alg None not allowed; only ES256"),
	BAD("{\"alg\":\"\\u0007ES256\"}", C_SUB, 64, "alg ?ES256 not allowed; only ES256"),
	BAD("{\"alg\":\"0123456789012345678901234567890123456789\"}", C_SUB, 64,
	    "alg 01234567890123456789012345678901... not allowed; only ES256"),
	BAD("{\"typ\":\"JWT\"}", C_SUB, 64, "JWT has no alg"),
	BAD("{}", C_SUB, 64, "JWT has no alg"),
	BAD("{\"alg\":256}", C_SUB, 64, "JWT alg must be a string"),
	BAD("{\"alg\":null}", C_SUB, 64, "JWT alg must be a string"),
	BAD("{\"alg\":[\"ES256\"]}", C_SUB, 64, "JWT alg must be a string"),
	BAD("{\"alg\":\"ES256\",\"crit\":[\"exp\"]}", C_SUB, 64,
	    "JWT header crit is not supported"),
	RAW("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkIn0", "JWT must have 3 segments, got 2"),
	RAW("eyJhbGciOiJFUzI1NiJ9", "JWT must have 3 segments, got 1"),
	EDIT(2, ".AAAA", "JWT must have 3 segments, got 4"),
	RAW("....", "JWT must have 3 segments, got 5"),
	BAD("", C_SUB, 64, HDR_OBJ),
	BAD(H_ES256, "", 64, CLM_OBJ),
	BAD(H_ES256, C_SUB, 0, "ES256 signature must be 64 bytes, got 0"),
	RAW("..", HDR_OBJ),
	EDIT(0, "+A", HDR_B64),
	EDIT(0, "/A", HDR_B64),
	EDIT(1, "*A", CLM_B64),
	EDIT(1, "%A", CLM_B64),
	EDIT(2, "+A", SIG_B64),
	EDIT(2, "\xc3\xa9", SIG_B64),
	EDIT(0, "==", HDR_B64),
	EDIT(1, "=", CLM_B64),
	EDIT(2, "==", SIG_B64),
	EDIT(0, "A", HDR_B64),
	EDIT(1, "AB", CLM_B64),
	RAW("Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkIn0.AAAA", HDR_B64),
	RAW(" eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkIn0.AAAA", HDR_B64),
	BAD("[\"ES256\"]", C_SUB, 64, HDR_OBJ),
	BAD("not json", C_SUB, 64, HDR_OBJ),
	BAD("{\"alg\":\"ES256\",\"alg\":\"none\"}", C_SUB, 64, HDR_OBJ),
	BAD(H_ES256, "not json", 64, CLM_OBJ),
	BAD(H_ES256, "[{\"sub\":\"d\"}]", 64, CLM_OBJ),
	BAD(H_ES256, "\"sub\"", 64, CLM_OBJ),
	BAD(H_ES256, "42", 64, CLM_OBJ),
	BAD(H_ES256, "{\"sub\":\"a\",\"sub\":\"b\"}", 64, CLM_OBJ),
	BAD(H_ES256, "{\"sub\":\"d\"}x", 64, CLM_OBJ),
	BAD(H_ES256, "{\"sub\":\"d\"", 64, CLM_OBJ),
	BAD(H_ES256, "{\"sub\":\"a\\u0000b\"}", 64, CLM_OBJ),
	BAD(H_ES256, C_SUB, 63, "ES256 signature must be 64 bytes, got 63"),
	BAD(H_ES256, C_SUB, 65, "ES256 signature must be 64 bytes, got 65"),
	BAD(H_ES256, C_SUB, 72, "ES256 signature must be 64 bytes, got 72"),
	BAD(H_ES256, "{\"exp\":\"1735690200\"}", 64, "claim exp must be a number"),
	BAD(H_ES256, "{\"exp\":null}", 64, "claim exp must be a number"),
	BAD(H_ES256, "{\"iat\":true}", 64, "claim iat must be a number"),
	BAD(H_ES256, "{\"nbf\":{}}", 64, "claim nbf must be a number"),
	BAD(H_ES256, "{\"sub\":352656100000001}", 64, "claim sub must be a string"),
	BAD(H_ES256, "{\"sub\":null}", 64, "claim sub must be a string"),
	BAD(H_ES256, "{\"iss\":[\"nRF9160.x\"]}", 64, "claim iss must be a string"),
	BAD(H_ES256, "{\"aud\":5}", 64, "claim aud must be a string or an array of strings"),
	BAD(H_ES256, "{\"aud\":{\"team\":1}}", 64,
	    "claim aud must be a string or an array of strings"),
};

START_TEST(malformed_token_refused_with_exact_reason)
{
	const struct refusal *r = &refusals[_i];
	char *tok = NULL, *edited = NULL;

	if (r->raw) {
		tok = strdup(r->raw);
	} else {
		tok = make_token(r->hdr, r->claims, r->sig);
		if (r->append) {
			edited = append_to_segment(tok, r->seg, r->append);
			free(tok);
			tok = edited;
		}
	}
	expect_refused(tok, strlen(tok), r->code, r->msg);
	free(tok);
}
END_TEST

START_TEST(empty_null_and_nul_tokens_are_refused)
{
	static const char nul_tok[] = "eyJhbGciOiJFUzI1NiJ9\0.eyJzdWIiOiJkIn0.AAAA";
	struct ncm_err_info err = { 0 };
	char *big = malloc(NCM_JWT_MAX_LEN + 2);

	expect_refused("", 0, NCM_ERR_INVAL, "JWT is empty");
	expect_refused(NULL, 0, NCM_ERR_INVAL, "JWT is empty");
	expect_refused(NULL, 10, NCM_ERR_INVAL, "JWT is empty");
	expect_refused(nul_tok, sizeof(nul_tok) - 1, NCM_ERR_INVAL, HDR_B64);
	ck_assert_int_eq(ncm_jwt_parse("a.b.c", 5, NULL, &err), NCM_ERR_INVAL);
	/* 8193 bytes of anything: refused unread, before the segments are counted */
	ck_assert_ptr_nonnull(big);
	memset(big, '.', NCM_JWT_MAX_LEN + 1);
	big[NCM_JWT_MAX_LEN + 1] = '\0';
	expect_refused(big, NCM_JWT_MAX_LEN + 1, NCM_ERR_TOO_BIG, "JWT longer than 8192 bytes");
	free(big);
}
END_TEST

/* ---- time claims are checked against the given clock ---- */

static int time_check(const char *claims, time_t now, int skew, struct ncm_err_info *err)
{
	struct ncm_jwt jwt;
	char *tok = make_token(H_ES256, claims, 64);
	int rc;

	parse_ok(tok, &jwt);
	memset(err, 0, sizeof(*err));
	rc = ncm_jwt_check_time(&jwt, now, skew, err);
	ncm_jwt_release(&jwt);
	free(tok);
	return rc;
}

START_TEST(expired_35_s_ago)
{
	struct ncm_err_info err;

	/* exp = NOW - 35 */
	ck_assert_int_eq(time_check("{\"exp\":1735689565}", NOW, 0, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT expired 35 s ago");
	ck_assert_int_eq(time_check("{\"exp\":1735689565}", NOW, 34, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT expired 35 s ago");
	ck_assert_int_eq(time_check("{\"exp\":1735689565.7}", NOW, 0, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT expired 35 s ago");
}
END_TEST

START_TEST(expiry_within_skew_passes)
{
	struct ncm_err_info err;

	ck_assert_int_eq(time_check("{\"exp\":1735689565}", NOW, 35, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"exp\":1735689565}", NOW, 60, &err), NCM_OK);
	/* exp + skew < now is the rule: exp == now still passes */
	ck_assert_int_eq(time_check("{\"exp\":1735689600}", NOW, 0, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"exp\":1735689599}", NOW, 0, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT expired 1 s ago");
	/* a negative skew is no tolerance, not a stricter clock */
	ck_assert_int_eq(time_check("{\"exp\":1735689600}", NOW, -100, &err), NCM_OK);
}
END_TEST

START_TEST(iat_120_s_in_the_future)
{
	struct ncm_err_info err;

	/* iat = NOW + 120 */
	ck_assert_int_eq(time_check("{\"iat\":1735689720}", NOW, 60, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT iat is 120 s in the future");
	ck_assert_int_eq(time_check("{\"iat\":1735689720}", NOW, 120, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"iat\":1735689600}", NOW, 0, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"iat\":1}", NOW, 0, &err), NCM_OK);
}
END_TEST

START_TEST(nbf_in_the_future)
{
	struct ncm_err_info err;

	/* nbf = NOW + 90 */
	ck_assert_int_eq(time_check("{\"nbf\":1735689690}", NOW, 30, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT not valid before 90 s from now");
	ck_assert_int_eq(time_check("{\"nbf\":1735689690}", NOW, 90, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"nbf\":1735689000}", NOW, 0, &err), NCM_OK);
}
END_TEST

START_TEST(missing_and_extreme_time_claims)
{
	struct ncm_err_info err;

	ck_assert_int_eq(time_check("{}", NOW, 0, &err), NCM_OK);
	ck_assert_int_eq(time_check(C_SUB, 0, 0, &err), NCM_OK);
	/* saturating arithmetic: no wrap-around (UBSan would catch a signed overflow) */
	ck_assert_int_eq(time_check("{\"exp\":-9223372036854775808}", NOW, 60, &err),
			 NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT expired 9223372036854775807 s ago");
	ck_assert_int_eq(time_check("{\"exp\":-1e300}", NOW, 60, &err), NCM_ERR_DENIED);
	ck_assert_int_eq(time_check("{\"exp\":9223372036854775807}", NOW, 2147483647, &err),
			 NCM_OK);
	ck_assert_int_eq(time_check("{\"exp\":1e300}", NOW, 60, &err), NCM_OK);
	ck_assert_int_eq(time_check("{\"iat\":9223372036854775807}", NOW, 2147483647, &err),
			 NCM_ERR_DENIED);
	ck_assert_int_eq(time_check("{\"nbf\":1e300}", NOW, 60, &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "JWT not valid before 9223372035119086207 s from now");
	ck_assert_int_eq(time_check("{\"iat\":-9223372036854775808}", NOW, 60, &err), NCM_OK);
	ck_assert_int_eq(ncm_jwt_check_time(NULL, NOW, 0, &err), NCM_ERR_INVAL);
}
END_TEST

/* ---- random and mutated tokens never crash the parser ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const char *const json_values[] = {
	"1735689600", "-1", "0", "1.5", "-1e300", "1e300", "9223372036854775807",
	"-9223372036854775808", "\"x\"", "\"\"", "\".\"", "\"" MODEM_ISS "\"", "null", "true",
	"[]", "{}", "[\"a\",1]", "[1,\"b\"]", "\"ES256\"", "\"none\"", "\"HS256\"",
};
#define N_VALUES (sizeof(json_values) / sizeof(json_values[0]))
static const char *const claim_names[] = { "exp", "iat", "nbf", "sub", "iss", "aud", "jti",
					   "alg", "crit", "typ" };
#define N_NAMES (sizeof(claim_names) / sizeof(claim_names[0]))

/* A random JSON object over the names above (duplicates included, now and then). */
static void random_object(char *buf, size_t size)
{
	size_t n = rnd() % 6, i, at;

	at = (size_t)snprintf(buf, size, "{");
	for (i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s\"%s\":%s", i ? "," : "",
				       claim_names[rnd() % N_NAMES], json_values[rnd() % N_VALUES]);
	if (at < size)
		snprintf(buf + at, size - at, "}");
}

/* One token through every entry point; returns 1 when it parsed and verified with key. */
static int exercise(const char *tok, size_t len, EVP_PKEY *key)
{
	struct ncm_err_info err = { 0 };
	struct ncm_jwt jwt;
	char buf[16];
	int rc, ok = 0;

	rc = ncm_jwt_parse(tok, len, &jwt, &err);
	if (rc) {
		ck_assert_msg(rc == NCM_ERR_INVAL || rc == NCM_ERR_TOO_BIG, "code %d", rc);
		ck_assert(err.msg[0] != '\0');
		ck_assert(is_zeroed(&jwt));
		return 0;
	}
	ck_assert_str_eq(jwt.alg, "ES256");
	ck_assert_uint_eq(jwt.sig_len, 64);
	(void)ncm_jwt_device_id(&jwt, buf, sizeof(buf));
	rc = ncm_jwt_verify_signature(&jwt, key, &err);
	ck_assert_msg(rc == NCM_OK || rc == NCM_ERR_DENIED, "verify code %d", rc);
	ok = rc == NCM_OK;
	(void)ncm_jwt_check_time(&jwt, (time_t)(int32_t)rnd(), (int)(rnd() % 1000) - 500, &err);
	ncm_jwt_release(&jwt);
	return ok;
}

static void mutate(char *t, size_t *len, size_t cap)
{
	static const char pool[] = ".=+/- _\"{}\\Aa0\xff\x80";
	size_t pos = *len ? rnd() % *len : 0, n;

	switch (rnd() % 6) {
	case 0: /* replace with anything */
		if (*len)
			t[pos] = (char)(rnd() & 0xff);
		break;
	case 1: /* replace with an interesting character (the NUL at the end included) */
		if (*len)
			t[pos] = pool[rnd() % sizeof(pool)];
		break;
	case 2: /* delete */
		if (*len) {
			memmove(t + pos, t + pos + 1, *len - pos - 1);
			(*len)--;
		}
		break;
	case 3: /* insert */
		if (*len + 1 < cap) {
			memmove(t + pos + 1, t + pos, *len - pos);
			t[pos] = pool[rnd() % (sizeof(pool) - 1)];
			(*len)++;
		}
		break;
	case 4: /* truncate */
		*len = pos;
		break;
	default: /* duplicate a chunk at the end */
		n = rnd() % 64;
		if (n > *len - pos)
			n = *len - pos;
		if (*len + n < cap) {
			memmove(t + *len, t + pos, n);
			*len += n;
		}
	}
}

START_TEST(fuzz_20000_random_and_mutated_tokens)
{
	char *seeds[4], claims[512], header[512];
	char *t = malloc(NCM_JWT_MAX_LEN + 64);
	EVP_PKEY *key = p256_key();
	size_t len, i, k, n, s;
	int verified;
	char *tok = NULL;

	ck_assert_ptr_nonnull(t);
	seeds[0] = sign_text("{\"sub\":\"nrf-352656100000001\",\"exp\":1735690200}", key);
	seeds[1] = sign_text("{\"iss\":\"" MODEM_ISS "\",\"jti\":\"" MODEM_ISS ".7\","
			     "\"iat\":1735689600,\"exp\":1735690200}", key);
	seeds[2] = sign_text("{\"aud\":[\"team\",1],\"sub\":\"d\",\"nbf\":1.5}", key);
	seeds[3] = sign_text("{}", key);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		switch (i % 16) {
		case 0: /* random bytes */
			len = rnd() % 300;
			for (k = 0; k < len; k++)
				t[k] = (char)(rnd() & 0xff);
			exercise(t, len, key);
			break;
		case 1: /* random base64url-ish text with dots */
			len = i % 1024 == 1 ? NCM_JWT_MAX_LEN + rnd() % 4 - 1 : rnd() % 400;
			for (k = 0; k < len; k++)
				t[k] = "AZaz09-_.=+/"[rnd() % 12];
			exercise(t, len, key);
			break;
		case 2: /* random header and claims, random signature bytes and length */
			random_object(header, sizeof(header));
			random_object(claims, sizeof(claims));
			if (rnd() % 2)
				snprintf(header, sizeof(header), H_ES256);
			tok = make_token(header, claims, rnd() % 4 ? 64 : rnd() % 100);
			exercise(tok, strlen(tok), key);
			free(tok);
			break;
		case 3: /* random claims, properly signed: must verify whenever they parse */
			random_object(claims, sizeof(claims));
			{
				json_t *obj = json_loads(claims, JSON_REJECT_DUPLICATES, NULL);
				struct ncm_err_info err = { 0 };

				tok = NULL;
				if (obj && !ncm_jwt_sign_es256(obj, key, &tok, &err)) {
					struct ncm_jwt jwt;

					if (!ncm_jwt_parse(tok, strlen(tok), &jwt, &err)) {
						ck_assert_int_eq(ncm_jwt_verify_signature(&jwt, key,
											  &err),
								 NCM_OK);
						ncm_jwt_release(&jwt);
					}
				}
				free(tok);
				json_decref(obj);
			}
			break;
		default: /* a valid token, mutated 1 to 4 times */
			s = rnd() % 4;
			len = strlen(seeds[s]);
			memcpy(t, seeds[s], len);
			n = 1 + rnd() % 4;
			for (k = 0; k < n; k++)
				mutate(t, &len, NCM_JWT_MAX_LEN + 64);
			verified = exercise(t, len, key);
			/* Canonical base64url: a different string never verifies. */
			if (verified)
				ck_assert(len == strlen(seeds[s]) && !memcmp(t, seeds[s], len));
		}
	}
	for (s = 0; s < 4; s++) {
		ck_assert_int_eq(exercise(seeds[s], strlen(seeds[s]), key), 1);
		free(seeds[s]);
	}
	free(t);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- base64url round-trips and refuses what is not base64url ---- */

START_TEST(b64url_known_vectors)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} v[] = {
		{ "", 0, "" }, { "f", 1, "Zg" }, { "fo", 2, "Zm8" }, { "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg" }, { "fooba", 5, "Zm9vYmE" }, { "foobar", 6, "Zm9vYmFy" },
		{ "\xfb\xff", 2, "-_8" }, { "\xff\xfe\xfd", 3, "__79" },
	};
	unsigned char *dec = NULL;
	size_t i, n;
	char *enc = NULL;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enc = b64(v[i].in, v[i].len);
		ck_assert_str_eq(enc, v[i].out);
		ck_assert_int_eq(ncm_b64url_decode(enc, strlen(enc), &dec, &n), NCM_OK);
		ck_assert_uint_eq(n, v[i].len);
		ck_assert(!memcmp(dec, v[i].in, n));
		free(dec);
		free(enc);
	}
}
END_TEST

START_TEST(b64url_round_trip_lengths_0_to_64)
{
	unsigned char data[64] = { 0 }, *dec = NULL;
	size_t len, i, n;
	char *enc = NULL;

	for (len = 0; len <= 64; len++) {
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)(rnd() & 0xff);
		enc = b64(data, len);
		ck_assert_uint_eq(strlen(enc), len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0));
		ck_assert(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789-_") == strlen(enc));
		ck_assert_int_eq(ncm_b64url_decode(enc, strlen(enc), &dec, &n), NCM_OK);
		ck_assert_uint_eq(n, len);
		ck_assert(!memcmp(dec, data, len));
		free(dec);
		free(enc);
	}
}
END_TEST

START_TEST(b64url_decode_refusals)
{
	static const char *const bad[] = {
		"Zg==", "Zm8=", "=", "Z", "Zm9vY", "Zm9v+", "Zm9v/A", "Zm 9v", "Zm9v\n",
		"Zh", "Zm9", "-_9", "Zm.v", "Zm9v\xc3\xa9",
	};
	unsigned char *dec = (unsigned char *)"x";
	size_t i, n = 99;
	char *enc = NULL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ncm_b64url_decode(bad[i], strlen(bad[i]), &dec, &n) == NCM_ERR_INVAL,
			      "'%s' decoded", bad[i]);
		ck_assert_ptr_null(dec);
		ck_assert_uint_eq(n, 0);
	}
	ck_assert_int_eq(ncm_b64url_decode("Zm\0v", 4, &dec, &n), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_decode(NULL, 4, &dec, &n), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_decode("Zg", 2, NULL, &n), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_decode("Zg", 2, &dec, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_encode(NULL, 3, &enc), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_encode("x", 1, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_b64url_decode(NULL, 0, &dec, &n), NCM_OK);
	ck_assert_uint_eq(n, 0);
	free(dec);
}
END_TEST

/* ---- ES256 signatures match an independent EVP implementation ---- */

/* base64url -> bytes through OpenSSL's standard base64 decoder. */
static size_t std_b64_decode(const char *s, size_t len, unsigned char *out)
{
	char buf[512];
	size_t i, pad = (4 - len % 4) % 4;
	int n;

	ck_assert_uint_lt(len + pad, sizeof(buf));
	for (i = 0; i < len; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(buf + len, '=', pad);
	n = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)(len + pad));
	ck_assert_int_ge(n, 0);
	return (size_t)n - pad;
}

/* bytes -> base64url through OpenSSL's standard base64 encoder. */
static void std_b64url_encode(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len), i;

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

/* Verifies tok with key: raw r || s -> DER in this file, EVP_DigestVerify by name. */
static int independent_verify(const char *tok, EVP_PKEY *key)
{
	const char *dot = strrchr(tok, '.');
	unsigned char raw[128], *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int der_len, ok;

	ck_assert_uint_eq(std_b64_decode(dot + 1, strlen(dot + 1), raw), 64);
	ck_assert(ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)));
	der_len = i2d_ECDSA_SIG(sig, &der);
	ck_assert_int_gt(der_len, 0);
	ck_assert(EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)tok,
			      (size_t)(dot - tok)) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	return ok;
}

START_TEST(signatures_from_ncm_jwt_sign_verify_independently)
{
	EVP_PKEY *key = p256_key(), *pub = public_only(key), *other = p256_key();
	unsigned char body[512];
	const char *d1 = NULL, *d2 = NULL;
	char *tok = NULL;
	int i;

	/* 64 signatures: about one in 64 has an r or s with a leading zero byte to pad */
	for (i = 0; i < 64; i++) {
		tok = sign_text("{\"aud\":\"team\",\"exp\":1767225600}", key);
		ck_assert_msg(independent_verify(tok, pub), "signature %d: %s", i, tok);
		ck_assert(!independent_verify(tok, other));
		free(tok);
	}
	tok = sign_text("{\"aud\":\"team\",\"exp\":1767225600}", key);
	d1 = strchr(tok, '.');
	d2 = strchr(d1 + 1, '.');
	body[std_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), body)] = '\0';
	ck_assert_str_eq((char *)body, "{\"aud\":\"team\",\"exp\":1767225600}");
	free(tok);
	EVP_PKEY_free(other);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(signatures_made_with_evp_verify_with_ncm_jwt)
{
	static const char hdr[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"kid\":\"0a1b2c\"}";
	static const char claims[] = "{\"iss\":\"" MODEM_ISS "\",\"jti\":\"" MODEM_ISS
				     ".1a2b\",\"iat\":1735689600,\"exp\":1735690200}";
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = p256_key(), *pub = public_only(key);
	unsigned char der[128], raw[64];
	const unsigned char *p = NULL;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *sig = NULL;
	EVP_MD_CTX *ctx = NULL;
	struct ncm_jwt jwt;
	char tok[1024], buf[136];
	size_t der_len, at;
	int i;

	for (i = 0; i < 64; i++) {
		std_b64url_encode((const unsigned char *)hdr, strlen(hdr), tok);
		at = strlen(tok);
		tok[at++] = '.';
		std_b64url_encode((const unsigned char *)claims, strlen(claims), tok + at);
		at = strlen(tok);
		ctx = EVP_MD_CTX_new();
		der_len = sizeof(der);
		ck_assert(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1);
		ck_assert(EVP_DigestSign(ctx, der, &der_len, (unsigned char *)tok, at) == 1);
		EVP_MD_CTX_free(ctx);
		p = der;
		sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		ck_assert_ptr_nonnull(sig);
		ECDSA_SIG_get0(sig, &r, &s);
		ck_assert_int_eq(BN_bn2binpad(r, raw, 32), 32);
		ck_assert_int_eq(BN_bn2binpad(s, raw + 32, 32), 32);
		ECDSA_SIG_free(sig);
		tok[at++] = '.';
		std_b64url_encode(raw, sizeof(raw), tok + at);

		parse_ok(tok, &jwt);
		ck_assert_msg(ncm_jwt_verify_signature(&jwt, pub, &err) == NCM_OK, "%d: %s", i,
			      err.msg);
		ck_assert_str_eq(ncm_jwt_device_id(&jwt, buf, sizeof(buf)), UUID);
		ck_assert_int_eq(ncm_jwt_check_time(&jwt, NOW + 600, 0, &err), NCM_OK);
		ncm_jwt_release(&jwt);
	}
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- suite ---- */

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 300);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("jwt");
	SRunner *sr = NULL;
	TCase *tc = NULL;
	int failed;

	tc = tcase("a signed token parses and verifies");
	tcase_add_test(tc, sign_parse_verify_round_trip);
	tcase_add_test(tc, signed_header_is_pyjwt_header_byte_for_byte);
	tcase_add_test(tc, public_only_key_verifies);
	tcase_add_test(tc, real_time_claims_are_floored);
	tcase_add_test(tc, sign_refuses_bad_claims_and_keys);
	tcase_add_test(tc, token_of_8192_bytes_passes_and_8193_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase("the device ID comes from sub, else from the text after the dot in iss");
	tcase_add_test(tc, device_id_is_sub);
	tcase_add_test(tc, device_id_is_text_after_first_dot_of_iss_without_sub);
	tcase_add_test(tc, no_device_id_without_sub_or_dotted_iss);
	suite_add_tcase(s, tc);

	tc = tcase("aud is a string or the first string of an array");
	tcase_add_test(tc, aud_string_and_array);
	suite_add_tcase(s, tc);

	tc = tcase("a token verifies only with its own P-256 key");
	tcase_add_test(tc, wrong_key_is_denied);
	tcase_add_test(tc, keys_other_than_p256_are_unsupported);
	tcase_add_test(tc, tampered_token_is_denied);
	suite_add_tcase(s, tc);

	tc = tcase("malformed tokens are refused with a precise reason");
	tcase_add_loop_test(tc, malformed_token_refused_with_exact_reason, 0,
			    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, empty_null_and_nul_tokens_are_refused);
	suite_add_tcase(s, tc);

	tc = tcase("time claims are checked against the given clock with skew");
	tcase_add_test(tc, expired_35_s_ago);
	tcase_add_test(tc, expiry_within_skew_passes);
	tcase_add_test(tc, iat_120_s_in_the_future);
	tcase_add_test(tc, nbf_in_the_future);
	tcase_add_test(tc, missing_and_extreme_time_claims);
	suite_add_tcase(s, tc);

	tc = tcase("random and mutated tokens never crash the parser");
	tcase_add_test(tc, fuzz_20000_random_and_mutated_tokens);
	suite_add_tcase(s, tc);

	tc = tcase("base64url round-trips and refuses what is not base64url");
	tcase_add_test(tc, b64url_known_vectors);
	tcase_add_test(tc, b64url_round_trip_lengths_0_to_64);
	tcase_add_test(tc, b64url_decode_refusals);
	suite_add_tcase(s, tc);

	tc = tcase("ES256 signatures agree with an independent EVP implementation");
	tcase_add_test(tc, signatures_from_ncm_jwt_sign_verify_independently);
	tcase_add_test(tc, signatures_made_with_evp_verify_with_ncm_jwt);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
