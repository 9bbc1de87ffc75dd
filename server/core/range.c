/* SPDX-License-Identifier: MIT
 * range.c: one HTTP byte range per request (RFC 9110 §14; docs/architecture.md#libmicrohttpd-facts,
 * docs/fota.md#image-download; see range.h). The header is read in two passes: syntax first (unit, numbers, a second
 * range), then the numbers against the file, so a malformed header is a 400 whatever the file.
 */
#include "range.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Longest excerpt of the header quoted in a message. */
#define QUOTE_MAX 64

/* RFC 9110 caps nothing, but offsets end up in off_t: 2^63 - 1 is the largest we take. */
#define NUM_MAX ((uint64_t)INT64_MAX)

/* What the syntax pass found. */
struct spec {
	bool suffix;     /* "-n" */
	bool has_last;   /* "a-b" rather than "a-" */
	uint64_t a, b;   /* first and last, or n in a for a suffix */
};

/* Copies at most QUOTE_MAX bytes of s, any byte outside printable ASCII as '?', with "..." when
 * cut: the message lands in a JSON error body, where a control byte or half a UTF-8 sequence
 * would garble it. */
static const char *excerpt(const char *s, char buf[QUOTE_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 §5.6.2 tchar, for telling a foreign unit from garbage. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

static enum ncm_range_result invalid(struct ncm_err_info *err, const char *header,
				     const char *what)
{
	char q[QUOTE_MAX + 4];

	ncm_err_set(err, NCM_ERR_INVAL, "Range '%s' %s", excerpt(header, q), what);
	return NCM_RANGE_INVALID;
}

/* Reads 1*DIGIT at *p. Returns 0 on success, -1 when there is no digit, -2 past NUM_MAX. */
static int parse_num(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int rc = 0;

	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		/* keep consuming after an overflow so the caller's position stays sane */
		if (rc == 0 && v > (NUM_MAX - d) / 10)
			rc = -2;
		else if (rc == 0)
			v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return rc;
}

/* The syntax pass: unit, '=', one range-spec, then either the end or a second range. */
static enum ncm_range_result parse_spec(const char *header, struct spec *sp,
					struct ncm_err_info *err)
{
	const char *p = skip_ows(header), *unit = p;
	size_t unit_len;
	int rc;

	while (is_tchar(*p))
		p++;
	unit_len = (size_t)(p - unit);
	if (*p != '=' || unit_len == 0) {
		if (*skip_ows(header) == '\0') {
			ncm_err_set(err, NCM_ERR_INVAL, "Range header is empty");
			return NCM_RANGE_INVALID;
		}
		return invalid(err, header, "is malformed");
	}
	if (unit_len != 5 || strncasecmp(unit, "bytes", 5) != 0) {
		ncm_err_set(err, NCM_ERR_INVAL, "Range unit must be bytes");
		return NCM_RANGE_INVALID;
	}
	p = skip_ows(p + 1);

	if (*p == '-') {
		sp->suffix = true;
		p = skip_ows(p + 1);
		rc = parse_num(&p, &sp->a);
	} else {
		rc = parse_num(&p, &sp->a);
		if (rc == 0) {
			p = skip_ows(p);
			if (*p != '-')
				return invalid(err, header, "is malformed");
			p = skip_ows(p + 1);
			if (is_digit(*p)) {
				sp->has_last = true;
				rc = parse_num(&p, &sp->b);
			}
		}
	}
	if (rc == -2)
		return invalid(err, header, "has a number past 2^63 - 1");
	if (rc != 0)
		return invalid(err, header, "is malformed");

	p = skip_ows(p);
	if (*p == ',') {
		/* RFC 9110 allows a set; a multipart/byteranges answer is more than any firmware
		 * downloader asks for, so say so rather than pretend it is garbage. */
		ncm_err_set(err, NCM_ERR_UNSUPPORTED, "multiple ranges are not served");
		return NCM_RANGE_INVALID;
	}
	if (*p != '\0')
		return invalid(err, header, "is malformed");
	return NCM_RANGE_OK;
}

enum ncm_range_result ncm_range_parse(const char *header, uint64_t total, uint64_t *first,
				      uint64_t *last, struct ncm_err_info *err)
{
	struct spec sp = { 0 };
	enum ncm_range_result rc;
	char q[QUOTE_MAX + 4];

	if (!header)
		return NCM_RANGE_NONE;
	rc = parse_spec(header, &sp, err);
	if (rc != NCM_RANGE_OK)
		return rc;

	if (sp.has_last && sp.a > sp.b)
		return invalid(err, header, "is reversed");

	if (sp.suffix) {
		if (sp.a == 0) {
			ncm_err_set(err, NCM_ERR_INVAL, "Range '%s' asks for no bytes",
				    excerpt(header, q));
			return NCM_RANGE_UNSATISFIABLE;
		}
		/* RFC 9110 §14.1.3: no suffix of an empty representation is satisfiable */
		if (total == 0) {
			ncm_err_set(err, NCM_ERR_INVAL,
				    "Range asks for the last %llu bytes of an empty file",
				    (unsigned long long)sp.a);
			return NCM_RANGE_UNSATISFIABLE;
		}
		*first = sp.a >= total ? 0 : total - sp.a;
		*last = total - 1;
		return NCM_RANGE_OK;
	}

	if (sp.a >= total) {
		ncm_err_set(err, NCM_ERR_INVAL,
			    "Range starts at %llu, past the end of the %llu-byte file",
			    (unsigned long long)sp.a, (unsigned long long)total);
		return NCM_RANGE_UNSATISFIABLE;
	}
	*first = sp.a;
	*last = sp.has_last && sp.b < total - 1 ? sp.b : total - 1;
	return NCM_RANGE_OK;
}
