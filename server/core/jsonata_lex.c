/* SPDX-License-Identifier: MIT
 * jsonata_lex.c: the JSONata tokenizer. It follows the reference implementation's lexical
 * rules (jsonata-js 2.0 tokenizer): white space and comments are skipped, '/' starts a regex
 * literal where an operand is expected, strings take JSON escapes in either quote, numbers are
 * unsigned, `backquoted` names, $variables, and the words and/or/in/true/false/null. Errors
 * carry the reference's S01xx codes. Pure. Any thread.
 */
#include "jsonata_lex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char single_ops[] = ".[]{}(),@#;:?+-*/%|=<>^&!~";

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const char *s, size_t n, size_t i, unsigned *v)
{
	size_t k;

	*v = 0;
	if (i + 4 > n)
		return 0;
	for (k = i; k < i + 4; k++) {
		char c = s[k];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

static void lex_string(struct jlex *lx, struct jtok *t)
{
	const char *s = lx->s;
	char q = s[lx->pos];
	char *out = ncm_jx_alloc(lx->cx, lx->len - lx->pos + 1);
	size_t o = 0, i = lx->pos + 1;
	unsigned cp, lo;

	while (i < lx->len) {
		char c = s[i];

		if (c == '\\') {
			i++;
			c = i < lx->len ? s[i] : '\0';
			switch (c) {
			case '"': out[o++] = '"'; break;
			case '\\': out[o++] = '\\'; break;
			case '/': out[o++] = '/'; break;
			case 'b': out[o++] = '\b'; break;
			case 'f': out[o++] = '\f'; break;
			case 'n': out[o++] = '\n'; break;
			case 'r': out[o++] = '\r'; break;
			case 't': out[o++] = '\t'; break;
			case 'u':
				if (!hex4(s, lx->len, i + 1, &cp))
					ncm_jx_fail(lx->cx, 1, "S0104", i,
						    "The escape sequence \\u must be followed by 4 hex digits");
				i += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && i + 2 < lx->len && s[i + 1] == '\\' &&
				    s[i + 2] == 'u' && hex4(s, lx->len, i + 3, &lo) && lo >= 0xdc00 &&
				    lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				} else if (cp >= 0xd800 && cp < 0xe000) {
					cp = 0xfffd; /* a lone surrogate has no UTF-8 form */
				}
				put_utf8(out, &o, cp);
				break;
			default:
				ncm_jx_fail(lx->cx, 1, "S0103", i, "Unsupported escape sequence: \\%c",
					    c ? c : ' ');
			}
			i++;
			continue;
		}
		if (c == q) {
			t->type = TK_STR;
			t->s = out;
			t->slen = o;
			lx->pos = i + 1;
			return;
		}
		out[o++] = c;
		i++;
	}
	ncm_jx_fail(lx->cx, 1, "S0101", lx->len,
		    "String literal must be terminated by a matching quote");
}

static void lex_regex(struct jlex *lx, struct jtok *t)
{
	const char *s = lx->s;
	size_t start = lx->pos, i = start, fstart;
	int depth = 0;

	while (i < lx->len) {
		char c = s[i];

		if (c == '/' && depth == 0) {
			size_t bs = 0;

			while (i >= start + bs + 1 && s[i - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0) {
				if (i == start)
					ncm_jx_fail(lx->cx, 1, "S0301", i,
						    "Empty regular expressions are not allowed");
				t->type = TK_REGEX;
				t->s = ncm_jx_strndup(lx->cx, s + start, i - start);
				t->slen = i - start;
				i++;
				fstart = i;
				while (i < lx->len && (s[i] == 'i' || s[i] == 'm'))
					i++;
				t->flags = ncm_jx_strndup(lx->cx, s + fstart, i - fstart);
				lx->pos = i;
				return;
			}
		}
		if ((c == '(' || c == '[' || c == '{') && (i == 0 || s[i - 1] != '\\'))
			depth++;
		if ((c == ')' || c == ']' || c == '}') && (i == 0 || s[i - 1] != '\\'))
			depth--;
		i++;
	}
	ncm_jx_fail(lx->cx, 1, "S0302", lx->len, "No terminating / in regular expression");
}

/* The next token into t; prefix is the reference's flag: 1 after an operand (a '/' divides),
 * 0 where an operand may start (a '/' opens a regex). */
void ncm_jx_lex(struct jlex *lx, struct jtok *t, int prefix)
{
	const char *s = lx->s;
	size_t n = lx->len, i;

	memset(t, 0, sizeof(*t));
	for (;;) {
		while (lx->pos < n && is_space(s[lx->pos]))
			lx->pos++;
		if (lx->pos + 1 < n && s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
			size_t start = lx->pos;

			lx->pos += 2;
			while (!(lx->pos + 1 < n && s[lx->pos] == '*' && s[lx->pos + 1] == '/')) {
				if (++lx->pos >= n)
					ncm_jx_fail(lx->cx, 1, "S0106", start, "Comment has no closing tag");
			}
			lx->pos += 2;
			continue;
		}
		break;
	}
	t->pos = lx->pos;
	if (lx->pos >= n) {
		t->type = TK_END;
		return;
	}
	if (!prefix && s[lx->pos] == '/') {
		lx->pos++;
		lex_regex(lx, t);
		return;
	}
	if (lx->pos + 1 < n) {
		static const char *const two[] = { "..", ":=", "!=", ">=", "<=", "**", "~>" };
		size_t k;

		for (k = 0; k < sizeof(two) / sizeof(two[0]); k++)
			if (s[lx->pos] == two[k][0] && s[lx->pos + 1] == two[k][1]) {
				t->type = TK_OP;
				memcpy(t->op, two[k], 2);
				lx->pos += 2;
				return;
			}
	}
	if (s[lx->pos] && strchr(single_ops, s[lx->pos])) {
		t->type = TK_OP;
		t->op[0] = s[lx->pos++];
		return;
	}
	if (s[lx->pos] == '"' || s[lx->pos] == '\'') {
		lex_string(lx, t);
		return;
	}
	if (s[lx->pos] >= '0' && s[lx->pos] <= '9') {
		/* 0|[1-9][0-9]* then (\.[0-9]+)? then ([Ee][-+]?[0-9]+)? */
		char buf[400];

		i = lx->pos;
		if (s[i] == '0')
			i++;
		else
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;

			if (j < n && (s[j] == '+' || s[j] == '-'))
				j++;
			if (j < n && s[j] >= '0' && s[j] <= '9') {
				while (j < n && s[j] >= '0' && s[j] <= '9')
					j++;
				i = j;
			}
		}
		if (i - lx->pos >= sizeof(buf))
			ncm_jx_fail(lx->cx, 1, "S0102", lx->pos, "Number out of range");
		memcpy(buf, s + lx->pos, i - lx->pos);
		buf[i - lx->pos] = '\0';
		t->num = strtod(buf, NULL);
		if (!isfinite(t->num))
			ncm_jx_fail(lx->cx, 1, "S0102", lx->pos, "Number out of range: %s", buf);
		t->type = TK_NUM;
		lx->pos = i;
		return;
	}
	if (s[lx->pos] == '`') {
		const char *e = memchr(s + lx->pos + 1, '`', n - lx->pos - 1);

		if (!e)
			ncm_jx_fail(lx->cx, 1, "S0105", n,
				    "Quoted property name must be terminated with a backquote (`)");
		t->type = TK_NAME;
		t->slen = (size_t)(e - (s + lx->pos + 1));
		t->s = ncm_jx_strndup(lx->cx, s + lx->pos + 1, t->slen);
		lx->pos = (size_t)(e - s) + 1;
		return;
	}
	i = lx->pos;
	while (i < n && !is_space(s[i]) && !(s[i] && strchr(single_ops, s[i])))
		i++;
	if (s[lx->pos] == '$') {
		t->type = TK_VAR;
		t->slen = i - lx->pos - 1;
		t->s = ncm_jx_strndup(lx->cx, s + lx->pos + 1, t->slen);
		lx->pos = i;
		return;
	}
	t->slen = i - lx->pos;
	t->s = ncm_jx_strndup(lx->cx, s + lx->pos, t->slen);
	lx->pos = i;
	if (!strcmp(t->s, "or") || !strcmp(t->s, "in") || !strcmp(t->s, "and")) {
		t->type = TK_OP;
		strcpy(t->op, t->s);
	} else if (!strcmp(t->s, "true") || !strcmp(t->s, "false")) {
		t->type = TK_VALUE;
		t->vkind = t->s[0] == 't' ? 1 : 0;
	} else if (!strcmp(t->s, "null")) {
		t->type = TK_VALUE;
		t->vkind = 2;
	} else if (t->slen == 0) {
		/* a NUL byte or other character the name rule stops on */
		ncm_jx_fail(lx->cx, 1, "S0204", t->pos, "Unknown operator");
	} else {
		t->type = TK_NAME;
	}
}
