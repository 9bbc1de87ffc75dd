/* SPDX-License-Identifier: MIT
 * atcmd.c: the nRF91 modem's AT dialogue as data (see atcmd.h and docs/lab.md#the-at-dialogue).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "atcmd.h"

/* Bytes a modem's AT answer never holds: control characters other than CR, LF and TAB, and
 * anything outside 7-bit ASCII (a wrong baud rate or a console log looks like this). */
static int bad_byte(unsigned char c)
{
	if (c == '\r' || c == '\n' || c == '\t')
		return 0;
	return c < 0x20 || c >= 0x7f;
}

static int line_is(const char *l, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(l, word, n);
}

/* A final result line ends the answer: "OK", "ERROR", "+CME ERROR: <n>" (3GPP TS 27.007 §9.2;
 * the nRF91 modem sends the numeric form after AT+CMEE=1 and plain ERROR otherwise). */
static enum ncm_at_final final_of(const char *l, size_t n, int *code)
{
	char num[16];
	const char *p;
	size_t k;

	if (line_is(l, n, "OK"))
		return NCM_AT_OK;
	if (line_is(l, n, "ERROR"))
		return NCM_AT_ERROR;
	if (n > 11 && (!memcmp(l, "+CME ERROR:", 11) || !memcmp(l, "+CMS ERROR:", 11))) {
		p = l + 11;
		while (p < l + n && *p == ' ')
			p++;
		k = (size_t)(l + n - p);
		if (!k || k >= sizeof(num))
			return NCM_AT_PENDING;
		memcpy(num, p, k);
		num[k] = '\0';
		for (size_t i = 0; i < k; i++)
			if (!isdigit((unsigned char)num[i]))
				return NCM_AT_PENDING;
		*code = atoi(num);
		return NCM_AT_CME;
	}
	return NCM_AT_PENDING;
}

enum ncm_at_final ncm_at_reply_scan(const char *buf, size_t len, struct ncm_at_reply *r)
{
	size_t i, start = 0;
	int quoted = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == 0x1b && !quoted) {
			/* an ANSI colour sequence (ESC [ params final) from a Zephyr log sharing the
			 * UART: noise, not garbage (nrfcredstore strips these too, comms.py) */
			size_t j = i + 1;

			if (j < len && buf[j] == '[') {
				for (j++; j < len && !(buf[j] >= 0x40 && buf[j] <= 0x7e); j++)
					if ((unsigned char)buf[j] < 0x20 || (unsigned char)buf[j] >= 0x7f)
						break;
				if (j == len)
					return NCM_AT_PENDING; /* the rest has not arrived yet */
				if (buf[j] >= 0x40 && buf[j] <= 0x7e) {
					i = j;
					continue;
				}
			} else if (j == len) {
				return NCM_AT_PENDING;
			}
		}
		if (bad_byte(c)) {
			r->final = NCM_AT_GARBAGE;
			r->garbage_at = i;
			return r->final;
		}
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted || (c != '\n' && c != '\r'))
			continue;
		/* a line ends here (CR, LF or CR LF) */
		size_t n = i - start;
		const char *l = buf + start;

		start = i + 1;
		if (!n)
			continue;
		enum ncm_at_final f = final_of(l, n, &r->cme);

		if (f != NCM_AT_PENDING) {
			r->final = f;
			return f;
		}
		if (r->n < NCM_AT_MAX_LINES) {
			r->line[r->n] = l;
			r->len[r->n] = n;
			r->n++;
		}
	}
	return NCM_AT_PENDING;
}

char *ncm_at_reply_line(const struct ncm_at_reply *r, const char *prefix)
{
	size_t i, plen = strlen(prefix), skip;
	char *out;

	for (i = 0; i < r->n; i++) {
		const char *l = r->line[i];
		size_t n = r->len[i];

		if (plen) {
			if (n < plen || memcmp(l, prefix, plen))
				continue;
			skip = plen;
			while (skip < n && l[skip] == ' ')
				skip++;
		} else {
			/* the plain answer: not a +/% line, not a log line */
			if (l[0] == '+' || l[0] == '%' || memchr(l, 0x1b, n))
				continue;
			skip = 0;
		}
		out = malloc(n - skip + 1);
		if (!out)
			return NULL;
		memcpy(out, l + skip, n - skip);
		out[n - skip] = '\0';
		return out;
	}
	return NULL;
}

/* Nordic "nRF91 AT Commands", %CMNG and %KEYGEN: 513-528 are the modem's own extended codes;
 * 0-100 are 3GPP TS 27.007 §9.2.1 general errors. */
const char *ncm_at_cme_text(int code)
{
	switch (code) {
	case 0:
		return "phone failure (often: command not supported by this modem firmware)";
	case 3:
		return "operation not allowed";
	case 4:
		return "operation not supported";
	case 50:
		return "incorrect parameters";
	case 513:
		return "not found (no such sec tag / credential type)";
	case 514:
		return "no access (the credential cannot be read, e.g. a private key)";
	case 515:
		return "memory full (the modem's credential storage has no room)";
	case 518:
		return "not allowed in the current functional mode: LTE is on; send AT+CFUN=4 first";
	case 519:
		return "already exists";
	case 523:
		return "key generation failed";
	case 528:
		return "not allowed while the modem's power-off warning is active";
	default:
		return "unknown modem error code";
	}
}

int ncm_at_parse_cfun(const char *body, int *mode, struct ncm_err_info *err)
{
	char *end;
	long v;

	if (!body || !isdigit((unsigned char)*body))
		return ncm_err_set(err, NCM_ERR_INVAL, "'+CFUN: %s' is not a functional mode",
				   body ? body : "");
	v = strtol(body, &end, 10);
	while (*end == ' ')
		end++;
	if (*end || v > 255)
		return ncm_err_set(err, NCM_ERR_INVAL, "'+CFUN: %s' is not a functional mode", body);
	*mode = (int)v;
	return NCM_OK;
}

int ncm_at_parse_imei(const char *body, char out[16], struct ncm_err_info *err)
{
	const char *p = body;
	size_t i;

	if (!p)
		return ncm_err_set(err, NCM_ERR_INVAL, "no IMEI in the +CGSN answer");
	if (!strncmp(p, "+CGSN:", 6))
		p += 6;
	while (*p == ' ' || *p == '"')
		p++;
	for (i = 0; i < 15; i++)
		if (!isdigit((unsigned char)p[i]))
			return ncm_err_set(err, NCM_ERR_INVAL, "'%s' is not a 15-digit IMEI", body);
	if (p[15] && p[15] != '"')
		return ncm_err_set(err, NCM_ERR_INVAL, "'%s' is not a 15-digit IMEI", body);
	memcpy(out, p, 15);
	out[15] = '\0';
	return NCM_OK;
}

int ncm_at_reply_imei(const struct ncm_at_reply *r, char out[16])
{
	char line[80];

	for (size_t i = 0; i < r->n; i++) {
		if (r->len[i] >= sizeof(line))
			continue;
		memcpy(line, r->line[i], r->len[i]);
		line[r->len[i]] = '\0';
		if (!ncm_at_parse_imei(line, out, NULL))
			return NCM_OK;
	}
	return NCM_ERR_NOT_FOUND;
}

int ncm_at_parse_uuid(const char *body, char out[37], struct ncm_err_info *err)
{
	size_t i;

	if (!body || strlen(body) != 36)
		goto bad;
	for (i = 0; i < 36; i++) {
		unsigned char c = (unsigned char)body[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				goto bad;
		} else if (!isxdigit(c)) {
			goto bad;
		}
		out[i] = (char)tolower(c);
	}
	out[36] = '\0';
	return NCM_OK;
bad:
	return ncm_err_set(err, NCM_ERR_INVAL, "'%s' is not a modem UUID", body ? body : "");
}

static const char *quoted_field(const char *p, const char **start, size_t *n)
{
	const char *q;

	if (*p != '"')
		return NULL;
	q = strchr(p + 1, '"');
	if (!q)
		return NULL;
	*start = p + 1;
	*n = (size_t)(q - p - 1);
	return q + 1;
}

int ncm_at_parse_cmng(const char *body, struct ncm_at_cmng *out, struct ncm_err_info *err)
{
	const char *p = body, *s;
	char *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->content = "";
	if (!p || !isdigit((unsigned char)*p))
		goto bad;
	out->tag = strtoul(p, &end, 10);
	if (*end != ',' || !isdigit((unsigned char)end[1]))
		goto bad;
	out->type = (int)strtol(end + 1, &end, 10);
	p = end;
	if (!*p)
		return NCM_OK;
	if (*p != ',')
		goto bad;
	p = quoted_field(p + 1, &s, &n);
	if (!p || n != 64)
		goto bad;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			goto bad;
	memcpy(out->sha, s, 64);
	out->sha[64] = '\0';
	if (!*p)
		return NCM_OK;
	if (*p != ',')
		goto bad;
	p = quoted_field(p + 1, &out->content, &out->content_len);
	if (!p || *p)
		goto bad;
	return NCM_OK;
bad:
	return ncm_err_set(err, NCM_ERR_INVAL, "'%%CMNG: %.80s' is not a credential line",
			   body ? body : "");
}

int ncm_at_credential_text(const char *text, size_t len, char **out, struct ncm_err_info *err)
{
	size_t i, n = 0;
	char *buf;

	*out = NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"')
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "a credential cannot hold '\"' (the AT string ends there)");
		if (c == 0 || c >= 0x7f || (c < 0x20 && c != '\r' && c != '\n'))
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "a credential must be printable ASCII text (byte 0x%02x "
					   "at offset %zu)", c, i);
	}
	/* drop trailing blank lines and spaces, keep one line end */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (!len)
		return ncm_err_set(err, NCM_ERR_INVAL, "the credential is empty");
	buf = malloc(2 * len + 3);
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			buf[n++] = '\r';
		buf[n++] = text[i];
	}
	buf[n++] = '\r';
	buf[n++] = '\n';
	buf[n] = '\0';
	*out = buf;
	return NCM_OK;
}

void ncm_at_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789ABCDEF";

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

char *ncm_at_cmd_write(unsigned long tag, int type, const char *content)
{
	size_t n = strlen(content) + 64;
	char *cmd = malloc(n);

	if (cmd)
		snprintf(cmd, n, "AT%%CMNG=0,%lu,%d,\"%s\"", tag, type, content);
	return cmd;
}

/* A growing string for the script. */
struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap + (size_t)k + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

char *ncm_at_script(const struct ncm_at_plan *p)
{
	struct sbuf b = { 0 };
	char *w;

	sb_add(&b, "# nrfcloud-mock provision: AT script for sec tag %lu\n", p->tag);
	sb_add(&b, "# Send each line that does not start with '#' and wait for OK.\n");
	sb_add(&b, "# 1. note the functional mode (restore it at the end), go offline, "
		   "numeric error codes\n");
	sb_add(&b, "AT+CFUN?\nAT+CFUN=4\nAT+CMEE=1\n");
	sb_add(&b, "# 2. identity: IMEI, modem UUID, modem firmware\n");
	sb_add(&b, "AT+CGSN\n");
	if (!p->id && p->id_from && !strcmp(p->id_from, "uuid"))
		sb_add(&b, "AT%%XMODEMUUID\n");
	sb_add(&b, "AT+CGMR\n");
	sb_add(&b, "# 3. a new P-256 key in the sec tag and its CSR; the device ID is %s%s\n",
	       p->id ? "" : "nrf-<IMEI> or the UUID (--id-from)", p->id ? p->id : "");
	sb_add(&b, "AT%%KEYGEN=%lu,2,0\n", p->tag);
	sb_add(&b, "# 4. sign the %%KEYGEN answer with the lab CA:\n"
		   "#    nrfcloud-mock ca sign-csr - --out <id>.crt   (paste the answer line)\n");
	sb_add(&b, "# 5. the device certificate (type 1), then %s (type 0)\n",
	       p->ca_label ? p->ca_label : "the CA");
	if (p->cert_text) {
		w = ncm_at_cmd_write(p->tag, 1, p->cert_text);
		if (!w)
			b.oom = 1;
		else
			sb_add(&b, "%s\n", w);
		free(w);
	} else {
		sb_add(&b, "AT%%CMNG=0,%lu,1,\"<the certificate of step 4, every line ending "
			   "CR LF>\"\n", p->tag);
	}
	w = ncm_at_cmd_write(p->tag, 0, p->ca_text ? p->ca_text : "");
	if (!w)
		b.oom = 1;
	else
		sb_add(&b, "%s\n", w);
	free(w);
	sb_add(&b, "# 6. verify: the SHA-256 of each stored credential must equal the local file's "
		   "(CR LF line ends)\n");
	sb_add(&b, "AT%%CMNG=1,%lu\n", p->tag);
	sb_add(&b, "# 7. back to the mode of step 1 (e.g. AT+CFUN=1), then onboard the device:\n"
		   "#    curl -d '{\"id\":\"<id>\",\"certificate\":\"...\"}' "
		   "http://127.0.0.1:8080/mock/v1/devices\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
