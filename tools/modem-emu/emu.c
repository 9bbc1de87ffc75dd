/* SPDX-License-Identifier: MIT
 * emu.c: the emulated nRF9160's AT commands (see emu.h). Answer formats are the ones Nordic's
 * own credential tools parse: nrfcredstore (command_interface.py, credstore.py: "%CMNG: <tag>,
 * <type>,\"<SHA-256 hex>\"", "%KEYGEN: \"<body>.<cose>\"", a bare IMEI line for AT+CGSN) and
 * nrfcloud-utils (modem_credentials_parser.py: the COSE_Sign1 after the '.'), and the rules of
 * Nordic's AT command reference summarised in docs/lab.md#the-at-dialogue.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "atcmd.h"
#include "emu.h"
#include "pki.h"

#define DEFAULT_IMEI "352656100999001"
#define DEFAULT_UUID "50503041-3633-4261-803d-1e2b8f70e001"
#define DEFAULT_FW "mfw_nrf9160_1.3.5"
#define MAX_ARGS 8

/* A growing answer. */
struct out {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->oom)
		return;
	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0) {
		o->oom = 1;
		return;
	}
	if (o->n + (size_t)k + 1 > o->cap) {
		size_t cap = (o->n + (size_t)k + 1) * 2;
		char *np = realloc(o->p, cap);

		if (!np) {
			o->oom = 1;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	o->n += (size_t)k;
}

static int save(struct emu *e)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", e->store_path);
	if (json_dump_file(e->store, tmp, JSON_INDENT(2) | JSON_SORT_KEYS))
		return -1;
	return rename(tmp, e->store_path);
}

int emu_open(struct emu *e, const char *path, const char *imei, const char *uuid,
	     const char *firmware)
{
	json_error_t jerr;

	snprintf(e->store_path, sizeof(e->store_path), "%s", path);
	e->cmee = 0;
	if (!e->capacity)
		e->capacity = 64 * 1024;
	if (access(path, F_OK) == 0) {
		e->store = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(e->store) ||
		    !json_is_array(json_object_get(e->store, "credentials"))) {
			snprintf(e->err, sizeof(e->err), "%s: not a modem-emu store (%s)", path,
				 e->store ? "no credentials array" : jerr.text);
			return -1;
		}
		return 0;
	}
	e->store = json_pack("{s:s, s:s, s:s, s:[]}", "imei", imei ? imei : DEFAULT_IMEI,
			     "uuid", uuid ? uuid : DEFAULT_UUID, "firmware",
			     firmware ? firmware : DEFAULT_FW, "credentials");
	if (!e->store || save(e)) {
		snprintf(e->err, sizeof(e->err), "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void emu_close(struct emu *e)
{
	json_decref(e->store);
	e->store = NULL;
	for (size_t i = 0; i < e->n_inject; i++) {
		free(e->inject[i].prefix);
		free(e->inject[i].answer);
	}
	e->n_inject = 0;
}

int emu_add_inject(struct emu *e, const char *spec)
{
	const char *bar = strchr(spec, '|');
	char *ans;
	size_t i, n = 0;

	if (!bar || bar == spec || e->n_inject == EMU_MAX_INJECT)
		return -1;
	ans = malloc(2 * strlen(bar) + 1);
	if (!ans)
		return -1;
	for (i = 1; bar[i]; i++) {
		if (bar[i] == '\\' && bar[i + 1] == 'n') {
			ans[n++] = '\r';
			ans[n++] = '\n';
			i++;
		} else {
			ans[n++] = bar[i];
		}
	}
	ans[n] = '\0';
	e->inject[e->n_inject].prefix = strndup(spec, (size_t)(bar - spec));
	e->inject[e->n_inject].answer = ans;
	e->n_inject++;
	return 0;
}

static const char *str(struct emu *e, const char *key)
{
	const char *v = json_string_value(json_object_get(e->store, key));

	return v ? v : "";
}

/* Write and delete need the radio off: refused in CFUN 1, 2 and 21 with CME 518 (Nordic AT
 * reference, %CMNG; the same rule makes NCS's modem_key_mgmt return -EPERM while LTE is on). */
static int radio_on(const struct emu *e)
{
	return e->cfun == 1 || e->cfun == 2 || e->cfun == 21;
}

static void cme(struct emu *e, struct out *o, int code)
{
	if (e->cmee)
		put(o, "+CME ERROR: %d\r\n", code);
	else
		put(o, "ERROR\r\n");
}

/* Splits the part after '=' at commas outside double quotes; quoted fields lose their quotes
 * (and keep everything inside, CR LF included). Returns the number of fields, -1 on a missing
 * closing quote. quoted[i] says whether field i was quoted. */
static int split_args(char *s, char **args, int *quoted, int max)
{
	int n = 0;

	while (n < max) {
		if (*s == '"') {
			char *q = strchr(s + 1, '"');

			if (!q)
				return -1;
			*q = '\0';
			args[n] = s + 1;
			quoted[n++] = 1;
			s = q + 1;
			if (!*s)
				return n;
			if (*s != ',')
				return -1;
			s++;
		} else {
			char *c = strchr(s, ',');

			args[n] = s;
			quoted[n++] = 0;
			if (!c)
				return n;
			*c = '\0';
			s = c + 1;
		}
	}
	return -1;
}

static int parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (*end || errno || *v > max) ? -1 : 0;
}

static json_t *find_cred(struct emu *e, unsigned long tag, int type, size_t *index)
{
	json_t *creds = json_object_get(e->store, "credentials"), *c;
	size_t i;

	json_array_foreach(creds, i, c) {
		if ((unsigned long)json_integer_value(json_object_get(c, "tag")) == tag &&
		    json_integer_value(json_object_get(c, "type")) == type) {
			if (index)
				*index = i;
			return c;
		}
	}
	return NULL;
}

static size_t used_bytes(struct emu *e)
{
	json_t *creds = json_object_get(e->store, "credentials"), *c;
	size_t i, n = 0;

	json_array_foreach(creds, i, c)
		n += json_string_length(json_object_get(c, "content"));
	return n;
}

/* Stores content in tag/type (replacing what was there). 0, or the CME code. */
static int put_cred(struct emu *e, unsigned long tag, int type, const char *content)
{
	json_t *creds = json_object_get(e->store, "credentials"), *old;
	size_t idx = 0, have = strlen(content), freed = 0;

	old = find_cred(e, tag, type, &idx);
	if (old)
		freed = json_string_length(json_object_get(old, "content"));
	if (used_bytes(e) - freed + have > e->capacity)
		return 515;
	if (old)
		json_array_remove(creds, idx);
	json_array_append_new(creds, json_pack("{s:I, s:i, s:s}", "tag", (json_int_t)tag,
					       "type", type, "content", content));
	return save(e) ? 515 : 0;
}

static int cred_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t tx = json_integer_value(json_object_get(x, "tag"));
	json_int_t ty = json_integer_value(json_object_get(y, "tag"));

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return (int)(json_integer_value(json_object_get(x, "type")) -
		     json_integer_value(json_object_get(y, "type")));
}

static void cmng_line(struct out *o, json_t *c, int with_content)
{
	const char *content = json_string_value(json_object_get(c, "content"));
	char sha[65];

	ncm_at_sha256_hex(content, strlen(content), sha);
	put(o, "%%CMNG: %lld,%lld,\"%s\"", (long long)json_integer_value(json_object_get(c, "tag")),
	    (long long)json_integer_value(json_object_get(c, "type")), sha);
	if (with_content)
		put(o, ",\"%s\"", content);
	put(o, "\r\n");
}

/* AT%CMNG=<opcode>[,<sec_tag>[,<type>[,<content>[,<passwd>]]]]: 0 write, 1 list, 2 read,
 * 3 delete. */
static void cmd_cmng(struct emu *e, struct out *o, char *args_s)
{
	char *a[MAX_ARGS];
	int q[MAX_ARGS], n = split_args(args_s, a, q, MAX_ARGS), rc;
	unsigned long op, tag = 0, type = 0;
	json_t *c;

	if (n < 1 || parse_num(a[0], 3, &op) || (n >= 2 && parse_num(a[1], 4294967295UL, &tag)) ||
	    (n >= 3 && parse_num(a[2], 11, &type))) {
		put(o, "ERROR\r\n");
		return;
	}
	switch (op) {
	case 0:
		if (n < 4 || !q[3] || type > 5) {
			put(o, "ERROR\r\n");
			return;
		}
		if (radio_on(e)) {
			cme(e, o, 518);
			return;
		}
		rc = put_cred(e, tag, (int)type, a[3]);
		if (rc)
			cme(e, o, rc);
		else
			put(o, "OK\r\n");
		return;
	case 1: {
		json_t *creds = json_object_get(e->store, "credentials");
		size_t i, k = 0, total = json_array_size(creds);
		json_t **v = calloc(total + 1, sizeof(*v));

		if (!v) {
			o->oom = 1;
			return;
		}
		json_array_foreach(creds, i, c) {
			if (n >= 2 && (unsigned long)json_integer_value(json_object_get(c, "tag")) != tag)
				continue;
			if (n >= 3 && (unsigned long)json_integer_value(json_object_get(c, "type")) != type)
				continue;
			v[k++] = c;
		}
		qsort(v, k, sizeof(*v), cred_cmp);
		for (i = 0; i < k; i++)
			cmng_line(o, v[i], 0);
		free(v);
		put(o, "OK\r\n");
		return;
	}
	case 2:
		if (n != 3) {
			put(o, "ERROR\r\n");
			return;
		}
		c = find_cred(e, tag, (int)type, NULL);
		if (!c) {
			cme(e, o, 513);
			return;
		}
		if (type == 2) {
			cme(e, o, 514); /* private keys never leave the modem */
			return;
		}
		cmng_line(o, c, 1);
		put(o, "OK\r\n");
		return;
	default: { /* 3: delete */
		size_t idx;

		if (n != 3) {
			put(o, "ERROR\r\n");
			return;
		}
		if (radio_on(e)) {
			cme(e, o, 518);
			return;
		}
		if (!find_cred(e, tag, (int)type, &idx)) {
			cme(e, o, 513);
			return;
		}
		json_array_remove(json_object_get(e->store, "credentials"), idx);
		if (save(e))
			cme(e, o, 515);
		else
			put(o, "OK\r\n");
		return;
	}
	}
}

/* Minimal CBOR writer (RFC 8949) for the COSE_Sign1 after a %KEYGEN answer's '.'. */
struct cbor {
	unsigned char b[1024];
	size_t n;
	int bad;
};

static void cb_head(struct cbor *c, int major, uint64_t v)
{
	unsigned char h[9];
	size_t k;

	if (v < 24) {
		h[0] = (unsigned char)(major << 5 | v);
		k = 1;
	} else if (v < 256) {
		h[0] = (unsigned char)(major << 5 | 24);
		h[1] = (unsigned char)v;
		k = 2;
	} else if (v < 65536) {
		h[0] = (unsigned char)(major << 5 | 25);
		h[1] = (unsigned char)(v >> 8);
		h[2] = (unsigned char)v;
		k = 3;
	} else {
		h[0] = (unsigned char)(major << 5 | 26);
		for (int i = 0; i < 4; i++)
			h[1 + i] = (unsigned char)(v >> (24 - 8 * i));
		k = 5;
	}
	if (c->n + k > sizeof(c->b)) {
		c->bad = 1;
		return;
	}
	memcpy(c->b + c->n, h, k);
	c->n += k;
}

static void cb_bytes(struct cbor *c, const void *p, size_t len)
{
	cb_head(c, 2, len);
	if (c->n + len > sizeof(c->b)) {
		c->bad = 1;
		return;
	}
	memcpy(c->b + c->n, p, len);
	c->n += len;
}

static void cb_int(struct cbor *c, long long v)
{
	if (v >= 0)
		cb_head(c, 0, (uint64_t)v);
	else
		cb_head(c, 1, (uint64_t)(-1 - v));
}

static char *b64url(const unsigned char *p, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *s = malloc(n);
	int k;

	if (!s)
		return NULL;
	k = EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	while (k > 0 && s[k - 1] == '=')
		k--;
	s[k] = '\0';
	for (int i = 0; i < k; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

static int uuid_bytes(const char *uuid, unsigned char out[16])
{
	size_t k = 0;

	for (const char *p = uuid; *p && k < 32; p++) {
		if (*p == '-')
			continue;
		if (!isxdigit((unsigned char)p[0]))
			return -1;
		int v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);

		if (k % 2 == 0)
			out[k / 2] = (unsigned char)(v << 4);
		else
			out[k / 2] |= (unsigned char)v;
		k++;
	}
	return k == 32 ? 0 : -1;
}

/* The COSE_Sign1 (tag 18) the modem appends: protected {1: -7 (ES256)}, unprotected
 * {4: cbor(-2) (identity key)}, payload [9 (CSR message) or 8 (public key message), device UUID,
 * cbor(sec tag), SHA-256 of the body, nonce], signature r||s. The real modem signs with its
 * factory identity key; the emulator has none and signs with the new key (docs/lab.md). */
static char *cose_sign1(EVP_PKEY *key, const char *uuid, unsigned long tag, int msg_type,
			const unsigned char *body, size_t body_len)
{
	struct cbor payload = { 0 }, tagc = { 0 }, tbs = { 0 }, out = { 0 };
	unsigned char prot[] = { 0xa1, 0x01, 0x26 }, kid[] = { 0x21 }, u[16], md[32], nonce[16];
	unsigned char sig[72], rs[64];
	const unsigned char *sp = sig;
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	char *res = NULL;

	if (uuid_bytes(uuid, u))
		memset(u, 0, sizeof(u));
	EVP_Digest(body, body_len, md, NULL, EVP_sha256(), NULL);
	RAND_bytes(nonce, sizeof(nonce));
	cb_int(&tagc, (long long)tag);
	cb_head(&payload, 4, 5);
	cb_int(&payload, msg_type);
	cb_bytes(&payload, u, sizeof(u));
	cb_bytes(&payload, tagc.b, tagc.n);
	cb_bytes(&payload, md, sizeof(md));
	cb_bytes(&payload, nonce, sizeof(nonce));
	/* Sig_structure = ["Signature1", protected, external_aad, payload] (RFC 9052 §4.4) */
	cb_head(&tbs, 4, 4);
	cb_head(&tbs, 3, 10);
	memcpy(tbs.b + tbs.n, "Signature1", 10);
	tbs.n += 10;
	cb_bytes(&tbs, prot, sizeof(prot));
	cb_bytes(&tbs, "", 0);
	cb_bytes(&tbs, payload.b, payload.n);
	ctx = EVP_MD_CTX_new();
	if (payload.bad || tbs.bad || !ctx ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, tbs.b, tbs.n) != 1)
		goto out;
	es = d2i_ECDSA_SIG(NULL, &sp, (long)siglen);
	if (!es || BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32) != 32)
		goto out;
	cb_head(&out, 6, 18);
	cb_head(&out, 4, 4);
	cb_bytes(&out, prot, sizeof(prot));
	cb_head(&out, 5, 1);
	cb_int(&out, 4);
	cb_bytes(&out, kid, sizeof(kid));
	cb_bytes(&out, payload.b, payload.n);
	cb_bytes(&out, rs, sizeof(rs));
	if (!out.bad)
		res = b64url(out.b, out.n);
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return res;
}

/* "CN=x,O=y" -> subject entries; 0, or -1 when an attribute is malformed. */
static int subject_from_attrs(X509_NAME *name, const char *attrs)
{
	char *dup = strdup(attrs), *save = NULL, *tok;
	int rc = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok) {
			rc = -1;
			break;
		}
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(name, tok, MBSTRING_UTF8, (unsigned char *)eq + 1,
						-1, -1, 0)) {
			rc = -1;
			break;
		}
	}
	free(dup);
	return rc;
}

/* AT%KEYGEN=<sec_tag>,2,<format>[,"<attributes>"]: a new P-256 key in <sec_tag> type 2, and
 * the CSR (format 0) or the public key (format 1) as %KEYGEN: "<base64url DER>.<COSE>". */
static void cmd_keygen(struct emu *e, struct out *o, char *args_s)
{
	char *a[MAX_ARGS], *key_pem = NULL, *key_text = NULL, *body = NULL, *cose = NULL;
	int q[MAX_ARGS], n = split_args(args_s, a, q, MAX_ARGS), der_len, rc;
	unsigned long tag, type, fmt;
	unsigned char *der = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;

	if (n < 3 || n > 4 || parse_num(a[0], 4294967295UL, &tag) || parse_num(a[1], 11, &type) ||
	    parse_num(a[2], 1, &fmt) || type != 2 || (n == 4 && !q[3])) {
		put(o, "ERROR\r\n");
		return;
	}
	if (radio_on(e)) {
		cme(e, o, 518);
		return;
	}
	if (ncm_pki_key_new(&key, NULL) || ncm_pki_key_to_pem(key, &key_pem) ||
	    ncm_at_credential_text(key_pem, strlen(key_pem), &key_text, NULL)) {
		cme(e, o, 523);
		goto out;
	}
	if (fmt == 0) {
		req = X509_REQ_new();
		X509_NAME *name = X509_NAME_new();

		if (!req || !name ||
		    (n == 4 ? subject_from_attrs(name, a[3])
			    : !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
							  (const unsigned char *)str(e, "uuid"),
							  -1, -1, 0)) ||
		    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key) ||
		    !X509_REQ_sign(req, key, EVP_sha256())) {
			X509_NAME_free(name);
			if (n == 4)
				put(o, "ERROR\r\n");
			else
				cme(e, o, 523);
			goto out;
		}
		X509_NAME_free(name);
		der_len = i2d_X509_REQ(req, &der);
	} else {
		der_len = i2d_PUBKEY(key, &der);
	}
	if (der_len <= 0) {
		cme(e, o, 523);
		goto out;
	}
	body = b64url(der, (size_t)der_len);
	cose = cose_sign1(key, str(e, "uuid"), tag, fmt == 0 ? 9 : 8, der, (size_t)der_len);
	if (!body || !cose) {
		cme(e, o, 523);
		goto out;
	}
	rc = put_cred(e, tag, 2, key_text);
	if (rc) {
		cme(e, o, rc);
		goto out;
	}
	put(o, "%%KEYGEN: \"%s.%s\"\r\nOK\r\n", body, cose);
out:
	OPENSSL_free(der);
	free(body);
	free(cose);
	free(key_pem);
	free(key_text);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static int is(const char *cmd, const char *name)
{
	return !strcasecmp(cmd, name);
}

static int starts(const char *cmd, const char *prefix)
{
	return !strncasecmp(cmd, prefix, strlen(prefix));
}

/* Functional modes the nRF9160 accepts with AT+CFUN (Nordic AT reference, +CFUN). */
static int valid_cfun(unsigned long m)
{
	static const int modes[] = { 0, 1, 2, 4, 20, 21, 30, 31, 40, 41, 44 };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if ((unsigned long)modes[i] == m)
			return 1;
	return 0;
}

static void dispatch(struct emu *e, struct out *o, char *cmd)
{
	unsigned long v;
	const char *fw = str(e, "firmware"), *us;

	if (is(cmd, "AT")) {
		put(o, "OK\r\n");
	} else if (is(cmd, "AT+CFUN?")) {
		put(o, "+CFUN: %d\r\nOK\r\n", e->cfun);
	} else if (starts(cmd, "AT+CFUN=")) {
		if (parse_num(cmd + 8, 255, &v) || !valid_cfun(v)) {
			put(o, "ERROR\r\n");
			return;
		}
		e->cfun = (int)v;
		put(o, "OK\r\n");
	} else if (is(cmd, "AT+CMEE?")) {
		put(o, "+CMEE: %d\r\nOK\r\n", e->cmee);
	} else if (starts(cmd, "AT+CMEE=")) {
		if (parse_num(cmd + 8, 1, &v)) {
			put(o, "ERROR\r\n");
			return;
		}
		e->cmee = (int)v;
		put(o, "OK\r\n");
	} else if (is(cmd, "AT+CGSN") || is(cmd, "AT+CGSN=0")) {
		put(o, "%s\r\nOK\r\n", str(e, "imei"));
	} else if (is(cmd, "AT+CGSN=1")) {
		put(o, "+CGSN: \"%s\"\r\nOK\r\n", str(e, "imei"));
	} else if (is(cmd, "AT+CGMR")) {
		put(o, "%s\r\nOK\r\n", fw);
	} else if (is(cmd, "AT+CGMI")) {
		put(o, "Nordic Semiconductor ASA\r\nOK\r\n");
	} else if (is(cmd, "AT+CGMM")) {
		put(o, "nRF9160-SICA\r\nOK\r\n");
	} else if (is(cmd, "AT%SHORTSWVER")) {
		/* "mfw_nrf9160_1.3.5" -> "nrf9160_1.3.5" */
		us = strncmp(fw, "mfw_", 4) ? fw : fw + 4;
		put(o, "%%SHORTSWVER: %s\r\nOK\r\n", us);
	} else if (is(cmd, "AT%XMODEMUUID")) {
		put(o, "%%XMODEMUUID: %s\r\nOK\r\n", str(e, "uuid"));
	} else if (starts(cmd, "AT%CMNG=")) {
		cmd_cmng(e, o, cmd + 8);
	} else if (starts(cmd, "AT%KEYGEN=")) {
		cmd_keygen(e, o, cmd + 10);
	} else {
		put(o, "ERROR\r\n");
	}
}

int emu_handle(struct emu *e, const char *cmd, char **out, size_t *len)
{
	struct out o = { 0 };
	char *dup;

	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < e->n_inject; i++) {
		if (strncmp(cmd, e->inject[i].prefix, strlen(e->inject[i].prefix)))
			continue;
		if (!strcmp(e->inject[i].answer, "silent"))
			return 0;
		if (!strcmp(e->inject[i].answer, "garbage")) {
			static const unsigned char junk[] = { 0x00, 0xfe, 0x1b, 'O', 0xff, '\r', '\n' };

			*out = malloc(sizeof(junk));
			if (!*out)
				return -1;
			memcpy(*out, junk, sizeof(junk));
			*len = sizeof(junk);
			return 0;
		}
		*out = strdup(e->inject[i].answer);
		if (!*out)
			return -1;
		*len = strlen(*out);
		return 0;
	}
	dup = strdup(cmd);
	if (!dup)
		return -1;
	dispatch(e, &o, dup);
	free(dup);
	if (o.oom) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*len = o.n;
	return 0;
}
