/* SPDX-License-Identifier: MIT
 * jsonata_lex.c: the tokenizer of the JSONata subset (jsonata.h): tokens with byte offsets,
 * string and number literals decoded to jansson values, UTF-8 checks, and the error recorder
 * that turns a byte offset into the 1-based position JSONata reports. Knows nothing of the
 * grammar (jsonata_parse.c) or of evaluation (jsonata_eval.c). Pure: no I/O, no globals.
 */
#include "jsonata_internal.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest integer a JavaScript number (JSONata's only number type) holds exactly. */
#define SAFE_INT 9007199254740992.0

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Two-character operators are tried first, so "!=" is not read as "!" and "=". */
static const char *const ops2[] = { "..", ":=", "!=", "<=", ">=", "~>", "**", "?:", "??", "/*" };
static const char ops1[] = ".[]{}(),:;?+-*/%&=<>|@#^";

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* 1-based position of byte off as JSONata reports it: in UTF-16 code units, so an astral
 * character counts twice. Stray bytes count once, which keeps it at most off + 1. */
static size_t char_pos(const char *s, size_t off)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, units = 0;

	if (!s)
		return 1;
	for (i = 0; i < off; i++) {
		if ((u[i] & 0xc0) == 0x80)
			continue;
		units += (u[i] >= 0xf0 && utf8_seq(u + i, off - i) == 4) ? 2 : 1;
	}
	return units + 1;
}

/* Invalid UTF-8 and control bytes become '?', so a message stays a valid JSON string. */
void ncm_jsonata_show(char *buf, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = utf8_seq(u + i, n - i);
		if (o + (k ? k : 1) > NCM_JSONATA_SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (k && u[i] >= 0x20 && u[i] != 0x7f) {
			memcpy(buf + o, u + i, k);
			o += k;
			i += k;
		} else {
			buf[o++] = '?';
			i++;
		}
	}
	buf[o] = '\0';
}

/* Records an error; the first problem found (the leftmost) is the one reported. */
void ncm_jsonata_fail(struct ncm_jsonata_parser *p, int code, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->err->code)
		return;
	p->err->code = code;
	p->err->position = char_pos(p->s, off);
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(unsigned char c)
{
	return is_name_start(c) || is_digit(c);
}

size_t ncm_jsonata_skip_space(const struct ncm_jsonata_parser *p, size_t i)
{
	while (i < p->len && is_space((unsigned char)p->s[i]))
		i++;
	return i;
}

int ncm_jsonata_number_at(const struct ncm_jsonata_parser *p, size_t i)
{
	return i < p->len && is_digit((unsigned char)p->s[i]);
}

static int scan_string(struct ncm_jsonata_parser *p, size_t i)
{
	const unsigned char *s = (const unsigned char *)p->s;
	unsigned char q = s[i];
	size_t k = i + 1;

	for (;;) {
		if (k >= p->len) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
					 "unterminated string literal");
			return -1;
		}
		if (s[k] == '\0' || (s[k] == '\\' && k + 1 < p->len && s[k + 1] == '\0')) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, s[k] ? k + 1 : k,
					 "NUL character in expression");
			return -1;
		}
		if (s[k] == q)
			break;
		/* An escaped byte never ends the literal; ncm_jsonata_decode_string checks it. */
		k += s[k] == '\\' ? 2 : 1;
	}
	p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_STRING, i, k + 1 };
	p->pos = k + 1;
	return 0;
}

static int scan_quoted_name(struct ncm_jsonata_parser *p, size_t i)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t k = i + 1, j, n;

	while (k < p->len && s[k] != '`') {
		if (s[k] == '\0') {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, k,
					 "NUL character in expression");
			return -1;
		}
		k++;
	}
	if (k >= p->len) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i, "unterminated quoted name (`...`)");
		return -1;
	}
	/* Field names are JSON strings, so they must be valid UTF-8. */
	for (j = i + 1; j < k; j += n) {
		n = utf8_seq(s + j, k - j);
		if (!n) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, j,
					 "invalid UTF-8 in quoted name");
			return -1;
		}
	}
	p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_QNAME, i, k + 1 };
	p->pos = k + 1;
	return 0;
}

/* JSON number syntax without the sign: 0 | [1-9][0-9]*, then .[0-9]+ and [eE][+-]?[0-9]+ only
 * when complete (so "1..5" is 1, "..", 5 as in JSONata). */
static size_t scan_number(const struct ncm_jsonata_parser *p, size_t i)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t k = i, j;

	if (s[k] == '0') {
		k++;
	} else {
		while (k < p->len && is_digit(s[k]))
			k++;
	}
	if (k + 1 < p->len && s[k] == '.' && is_digit(s[k + 1])) {
		k++;
		while (k < p->len && is_digit(s[k]))
			k++;
	}
	if (k < p->len && (s[k] == 'e' || s[k] == 'E')) {
		j = k + 1;
		if (j < p->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < p->len && is_digit(s[j])) {
			k = j;
			while (k < p->len && is_digit(s[k]))
				k++;
		}
	}
	return k;
}

/* Reads the next token into p->tok. */
int ncm_jsonata_next(struct ncm_jsonata_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = ncm_jsonata_skip_space(p, p->pos), k;
	char text[NCM_JSONATA_SHOW_SIZE];

	if (i >= p->len) {
		p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_EOF, i, i };
		p->pos = i;
		return 0;
	}
	if (s[i] == '\0') {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i, "NUL character in expression");
		return -1;
	}
	if (s[i] == '"' || s[i] == '\'')
		return scan_string(p, i);
	if (s[i] == '`')
		return scan_quoted_name(p, i);
	if (is_digit(s[i])) {
		p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_NUMBER, i, scan_number(p, i) };
	} else if (is_name_start(s[i])) {
		for (k = i + 1; k < p->len && is_name_char(s[k]); k++)
			;
		p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_NAME, i, k };
	} else if (s[i] == '$') {
		/* $ (context), $$ (root) or $name: a variable or function in every case. */
		k = i + 1;
		if (k < p->len && s[k] == '$')
			k++;
		else
			while (k < p->len && is_name_char(s[k]))
				k++;
		p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_VAR, i, k };
	} else if (s[i] == 0xce && i + 1 < p->len && s[i + 1] == 0xbb) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, i,
				 "lambda functions (\xce\xbb(...){...}) are not supported");
		return -1;
	} else {
		for (k = 0; k < COUNT(ops2); k++) {
			if (i + 1 < p->len && s[i] == ops2[k][0] && s[i + 1] == ops2[k][1])
				break;
		}
		if (k < COUNT(ops2)) {
			if (!strcmp(ops2[k], "/*")) {
				ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, i,
						 "comments (/* ... */) are not supported");
				return -1;
			}
			p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_PUNCT, i, i + 2 };
		} else if (strchr(ops1, s[i])) {
			p->tok = (struct ncm_jsonata_tok){ NCM_JSONATA_TOK_PUNCT, i, i + 1 };
		} else {
			k = utf8_seq(s + i, p->len - i);
			ncm_jsonata_show(text, p->s + i, k ? k : 1);
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
					 "unexpected character '%s' "
					 "(quote other field names with backticks)", text);
			return -1;
		}
	}
	p->pos = p->tok.end;
	return 0;
}

static int hex4(const unsigned char *s, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (is_digit(s[i]))
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The value of the string literal token [start, end) (quotes included), with JSONata's JSON
 * escapes; scan_string already found the closing quote and ruled out NUL bytes. */
json_t *ncm_jsonata_decode_string(struct ncm_jsonata_parser *p, size_t start, size_t end)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = start + 1, stop = end - 1, n = 0, k;
	unsigned int cp, lo;
	json_t *out = NULL;
	char *buf = NULL;
	char esc[2] = { 0, 0 };

	/* Escapes only shrink, so the raw length is enough. */
	buf = malloc(stop - i + 1);
	if (!buf) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, start, NCM_JSONATA_MSG_OOM);
		goto out;
	}
	while (i < stop) {
		if (s[i] != '\\') {
			k = utf8_seq(s + i, stop - i);
			if (!k) {
				ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
						 "invalid UTF-8 in string literal");
				goto out;
			}
			memcpy(buf + n, s + i, k);
			n += k;
			i += k;
			continue;
		}
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			buf[n++] = (char)s[i + 1];
			break;
		case 'b':
			buf[n++] = '\b';
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'u':
			if (stop - i < 6 || hex4(s + i + 2, &cp)) {
				ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
						 "invalid unicode escape in string literal "
						 "(\\u needs four hex digits)");
				goto out;
			}
			if (cp >= 0xd800 && cp <= 0xdbff && stop - i >= 12 &&
			    s[i + 6] == '\\' && s[i + 7] == 'u' && !hex4(s + i + 8, &lo) &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				/* UTF-8 cannot carry half a surrogate pair. */
				ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
						 "unpaired surrogate in \\u escape");
				goto out;
			}
			n += put_utf8(buf + n, cp);
			i += 4;
			break;
		default:
			esc[0] = s[i + 1] >= 0x20 && s[i + 1] < 0x7f ? (char)s[i + 1] : '?';
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, i,
					 "invalid escape sequence \\%s in string literal", esc);
			goto out;
		}
		i += 2;
	}
	out = json_stringn(buf, n);
	if (!out)
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, start, NCM_JSONATA_MSG_OOM);
out:
	free(buf);
	return out;
}

/* The value of the number token [start, end), negated for a leading '-' at sign_pos. A whole
 * number that a JavaScript number holds exactly becomes an integer, so 1.0 and 1e3 print as 1
 * and 1000, as JSONata prints them. */
json_t *ncm_jsonata_number_value(struct ncm_jsonata_parser *p, size_t start, size_t end, int neg,
				 size_t sign_pos)
{
	size_t n = end - start;
	json_t *out = NULL;
	locale_t c_loc = (locale_t)0;
	char *buf = NULL;
	double v;

	buf = malloc(n + 2);
	if (!buf) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, sign_pos, NCM_JSONATA_MSG_OOM);
		goto out;
	}
	buf[0] = neg ? '-' : '+';
	memcpy(buf + 1, p->s + start, n);
	buf[n + 1] = '\0';
	/* The "C" locale, so a process locale with a decimal comma cannot change the value. */
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!c_loc) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, sign_pos, NCM_JSONATA_MSG_OOM);
		goto out;
	}
	v = strtod_l(buf, NULL, c_loc);
	if (!__builtin_isfinite(v)) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, sign_pos, "number out of range");
		goto out;
	}
	if (v >= -SAFE_INT && v <= SAFE_INT && (double)(json_int_t)v == v)
		out = json_integer((json_int_t)v);
	else
		out = json_real(v);
	if (!out)
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, sign_pos, NCM_JSONATA_MSG_OOM);
out:
	if (c_loc)
		freelocale(c_loc);
	free(buf);
	return out;
}
