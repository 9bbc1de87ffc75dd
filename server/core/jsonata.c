/* SPDX-License-Identifier: MIT
 * jsonata.c: the JSONata subset of jsonata.h. A tokenizer and a recursive-descent parser with an
 * explicit depth counter build a small AST and reject, with a 1-based position, everything
 * outside the subset; the evaluator then follows jsonata-js's sequence rules for paths (map over
 * arrays, flatten, unwrap singletons, empty is undefined) and constructors. The input is only
 * read: intermediate sequences hold borrowed pointers and every value handed back is a deep
 * copy, so no reference count of the input is ever touched. Pure: no I/O, no globals.
 */
#include "jsonata.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_SYNTAX 1
#define CODE_UNSUPPORTED 2
#define CODE_LIMIT 3

/* Bytes of source text quoted in a message (the message buffer is 256 bytes). */
#define SHOW_MAX 40
#define SHOW_SIZE (SHOW_MAX + 8)

/* Values an evaluation may visit or collect: far above any shadow, but it bounds the work (and
 * memory) if a caller hands in a jansson value with reference cycles. */
#define WORK_MAX (1u << 22)

/* Largest integer a JavaScript number (JSONata's only number type) holds exactly. */
#define SAFE_INT 9007199254740992.0

enum tok_kind { T_EOF, T_NAME, T_QNAME, T_STRING, T_NUMBER, T_VAR, T_PUNCT };

struct tok {
	enum tok_kind kind;
	size_t start; /* byte offsets into the expression, end exclusive */
	size_t end;
};

enum node_kind { N_LIT, N_PATH, N_STEP, N_OBJECT, N_PAIR, N_ARRAY };

/* Nodes live in one array and refer to each other by index, so growing it is safe. */
struct node {
	enum node_kind kind;
	size_t pos;  /* byte offset of the first character, for errors */
	json_t *val; /* N_LIT: the value; N_STEP: the field name; N_PAIR: the key */
	int child;   /* N_PATH: first step; N_OBJECT: first pair; N_ARRAY: first element;
		      * N_PAIR: the value */
	int next;    /* next sibling, -1 at the end */
};

struct parser {
	const char *s;
	size_t len;
	size_t pos; /* where the tokenizer continues */
	struct tok tok; /* the lookahead token */
	int depth;      /* constructors currently open */
	struct node *nodes;
	size_t n, cap;
	struct ncm_jsonata_error *err;
};

/* A context value: one JSON value (NULL is undefined), or a sequence of borrowed values. */
struct ctx {
	const json_t *one;
	const json_t *const *v;
	size_t n;
	int many;
};

/* A growable sequence of borrowed pointers into the input. */
struct vec {
	const json_t **v;
	size_t n, cap;
};

struct eval {
	struct parser *p;
	size_t work;
};

/* Token text to feature message, for tokens right after a complete operand. */
struct feature {
	const char *op;
	const char *msg;
};

static const struct feature infix_features[] = {
	{ "+", "arithmetic operators (+) are not supported" },
	{ "-", "arithmetic operators (-) are not supported" },
	{ "*", "arithmetic operators (*) are not supported" },
	{ "/", "arithmetic operators (/) are not supported" },
	{ "%", "arithmetic operators (%) are not supported" },
	{ "&", "string concatenation (&) is not supported" },
	{ "=", "comparison operators (=) are not supported" },
	{ "!=", "comparison operators (!=) are not supported" },
	{ "<", "comparison operators (<) are not supported" },
	{ "<=", "comparison operators (<=) are not supported" },
	{ ">", "comparison operators (>) are not supported" },
	{ ">=", "comparison operators (>=) are not supported" },
	{ "?", "conditional expressions (? :) are not supported" },
	{ "?:", "the default operator (?:) is not supported" },
	{ "??", "the coalescing operator (?\?) is not supported" },
	{ "~>", "function application (~>) is not supported" },
	{ ":=", "variable binding (:=) is not supported" },
	{ "..", "ranges (..) are not supported" },
	{ "[", "predicates and filters ([...]) are not supported" },
	{ "{", "grouping (expr{...}) is not supported" },
	{ "@", "context variable binding (@) is not supported" },
	{ "#", "positional variable binding (#) is not supported" },
	{ "^", "sorting (^(...)) is not supported" },
	{ "|", "transforms (|...|) are not supported" },
	{ "**", "descendant wildcards (**) are not supported" },
};

/* The same for tokens where an operand should start. */
static const struct feature prefix_features[] = {
	{ "*", "wildcards (*) are not supported" },
	{ "**", "descendant wildcards (**) are not supported" },
	{ "%", "the parent operator (%) is not supported" },
	{ "/", "regular expressions (/.../) are not supported" },
	{ "(", "parenthesised expressions and blocks ((...)) are not supported" },
	{ "|", "transforms (|...|) are not supported" },
	{ "^", "sorting (^(...)) is not supported" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Two-character operators are tried first, so "!=" is not read as "!" and "=". */
static const char *const ops2[] = { "..", ":=", "!=", "<=", ">=", "~>", "**", "?:", "??", "/*" };
static const char ops1[] = ".[]{}(),:;?+-*/%&=<>|@#^";

static const char msg_oom[] = "out of memory";

static int parse_expr(struct parser *p);
static json_t *eval_node(struct eval *ev, int idx, const struct ctx *c);

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

/* Up to SHOW_MAX bytes of s for a message: valid UTF-8 is kept, anything else becomes '?', so
 * the message stays a valid JSON string. */
static void show(char *buf, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = utf8_seq(u + i, n - i);
		if (o + (k ? k : 1) > SHOW_MAX) {
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

static void fail(struct parser *p, int code, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records an error; the first problem found (the leftmost) is the one reported. */
static void fail(struct parser *p, int code, size_t off, const char *fmt, ...)
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

static size_t skip_space(const struct parser *p, size_t i)
{
	while (i < p->len && is_space((unsigned char)p->s[i]))
		i++;
	return i;
}

static int tok_is(const struct parser *p, const char *op)
{
	size_t n = p->tok.end - p->tok.start;

	return p->tok.kind == T_PUNCT && strlen(op) == n && !memcmp(p->s + p->tok.start, op, n);
}

static int tok_word(const struct parser *p, const struct tok *t, const char *w)
{
	size_t n = t->end - t->start;

	return t->kind == T_NAME && strlen(w) == n && !memcmp(p->s + t->start, w, n);
}

static int is_literal_word(const struct parser *p, const struct tok *t)
{
	return tok_word(p, t, "true") || tok_word(p, t, "false") || tok_word(p, t, "null");
}

/* "'text'" or "end of expression", for "found ..." in messages. */
static void describe(const struct parser *p, const struct tok *t, char *buf)
{
	char text[SHOW_SIZE];

	if (t->kind == T_EOF) {
		snprintf(buf, SHOW_SIZE + 2, "end of expression");
		return;
	}
	show(text, p->s + t->start, t->end - t->start);
	snprintf(buf, SHOW_SIZE + 2, "'%s'", text);
}

static int scan_string(struct parser *p, size_t i)
{
	const unsigned char *s = (const unsigned char *)p->s;
	unsigned char q = s[i];
	size_t k = i + 1;

	for (;;) {
		if (k >= p->len) {
			fail(p, CODE_SYNTAX, i, "unterminated string literal");
			return -1;
		}
		if (s[k] == '\0' || (s[k] == '\\' && k + 1 < p->len && s[k + 1] == '\0')) {
			fail(p, CODE_SYNTAX, s[k] ? k + 1 : k, "NUL character in expression");
			return -1;
		}
		if (s[k] == q)
			break;
		/* An escaped byte never ends the literal; decode_string checks the escape. */
		k += s[k] == '\\' ? 2 : 1;
	}
	p->tok = (struct tok){ T_STRING, i, k + 1 };
	p->pos = k + 1;
	return 0;
}

static int scan_quoted_name(struct parser *p, size_t i)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t k = i + 1, j, n;

	while (k < p->len && s[k] != '`') {
		if (s[k] == '\0') {
			fail(p, CODE_SYNTAX, k, "NUL character in expression");
			return -1;
		}
		k++;
	}
	if (k >= p->len) {
		fail(p, CODE_SYNTAX, i, "unterminated quoted name (`...`)");
		return -1;
	}
	/* Field names are JSON strings, so they must be valid UTF-8. */
	for (j = i + 1; j < k; j += n) {
		n = utf8_seq(s + j, k - j);
		if (!n) {
			fail(p, CODE_SYNTAX, j, "invalid UTF-8 in quoted name");
			return -1;
		}
	}
	p->tok = (struct tok){ T_QNAME, i, k + 1 };
	p->pos = k + 1;
	return 0;
}

/* JSON number syntax without the sign: 0 | [1-9][0-9]*, then .[0-9]+ and [eE][+-]?[0-9]+ only
 * when complete (so "1..5" is 1, "..", 5 as in JSONata). */
static size_t scan_number(const struct parser *p, size_t i)
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
static int next(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = skip_space(p, p->pos), k;
	char text[SHOW_SIZE];

	if (i >= p->len) {
		p->tok = (struct tok){ T_EOF, i, i };
		p->pos = i;
		return 0;
	}
	if (s[i] == '\0') {
		fail(p, CODE_SYNTAX, i, "NUL character in expression");
		return -1;
	}
	if (s[i] == '"' || s[i] == '\'')
		return scan_string(p, i);
	if (s[i] == '`')
		return scan_quoted_name(p, i);
	if (is_digit(s[i])) {
		p->tok = (struct tok){ T_NUMBER, i, scan_number(p, i) };
	} else if (is_name_start(s[i])) {
		for (k = i + 1; k < p->len && is_name_char(s[k]); k++)
			;
		p->tok = (struct tok){ T_NAME, i, k };
	} else if (s[i] == '$') {
		/* $ (context), $$ (root) or $name: a variable or function in every case. */
		k = i + 1;
		if (k < p->len && s[k] == '$')
			k++;
		else
			while (k < p->len && is_name_char(s[k]))
				k++;
		p->tok = (struct tok){ T_VAR, i, k };
	} else if (s[i] == 0xce && i + 1 < p->len && s[i + 1] == 0xbb) {
		fail(p, CODE_UNSUPPORTED, i,
		     "lambda functions (\xce\xbb(...){...}) are not supported");
		return -1;
	} else {
		for (k = 0; k < COUNT(ops2); k++) {
			if (i + 1 < p->len && s[i] == ops2[k][0] && s[i + 1] == ops2[k][1])
				break;
		}
		if (k < COUNT(ops2)) {
			if (!strcmp(ops2[k], "/*")) {
				fail(p, CODE_UNSUPPORTED, i,
				     "comments (/* ... */) are not supported");
				return -1;
			}
			p->tok = (struct tok){ T_PUNCT, i, i + 2 };
		} else if (strchr(ops1, s[i])) {
			p->tok = (struct tok){ T_PUNCT, i, i + 1 };
		} else {
			k = utf8_seq(s + i, p->len - i);
			show(text, p->s + i, k ? k : 1);
			fail(p, CODE_SYNTAX, i,
			     "unexpected character '%s' (quote other field names with backticks)",
			     text);
			return -1;
		}
	}
	p->pos = p->tok.end;
	return 0;
}

/* Adds a node; takes over val (released on failure). */
static int new_node(struct parser *p, enum node_kind kind, size_t pos, json_t *val)
{
	struct node *grown;
	size_t cap;

	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 32;
		grown = realloc(p->nodes, cap * sizeof(*grown));
		if (!grown) {
			json_decref(val);
			fail(p, CODE_LIMIT, pos, msg_oom);
			return -1;
		}
		p->nodes = grown;
		p->cap = cap;
	}
	p->nodes[p->n] = (struct node){ kind, pos, val, -1, -1 };
	return (int)p->n++;
}

/* Appends child to parent's children; *last tracks the previous one. */
static void link_child(struct parser *p, int parent, int *last, int child)
{
	if (*last < 0)
		p->nodes[parent].child = child;
	else
		p->nodes[*last].next = child;
	*last = child;
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
static json_t *decode_string(struct parser *p, size_t start, size_t end)
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
		fail(p, CODE_LIMIT, start, msg_oom);
		goto out;
	}
	while (i < stop) {
		if (s[i] != '\\') {
			k = utf8_seq(s + i, stop - i);
			if (!k) {
				fail(p, CODE_SYNTAX, i, "invalid UTF-8 in string literal");
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
				fail(p, CODE_SYNTAX, i, "invalid unicode escape in string "
				     "literal (\\u needs four hex digits)");
				goto out;
			}
			if (cp >= 0xd800 && cp <= 0xdbff && stop - i >= 12 &&
			    s[i + 6] == '\\' && s[i + 7] == 'u' && !hex4(s + i + 8, &lo) &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				/* UTF-8 cannot carry half a surrogate pair. */
				fail(p, CODE_SYNTAX, i, "unpaired surrogate in \\u escape");
				goto out;
			}
			n += put_utf8(buf + n, cp);
			i += 4;
			break;
		default:
			esc[0] = s[i + 1] >= 0x20 && s[i + 1] < 0x7f ? (char)s[i + 1] : '?';
			fail(p, CODE_SYNTAX, i, "invalid escape sequence \\%s in string literal",
			     esc);
			goto out;
		}
		i += 2;
	}
	out = json_stringn(buf, n);
	if (!out)
		fail(p, CODE_LIMIT, start, msg_oom);
out:
	free(buf);
	return out;
}

/* The value of the number token [start, end), negated for a leading '-' at sign_pos. A whole
 * number that a JavaScript number holds exactly becomes an integer, so 1.0 and 1e3 print as 1
 * and 1000, as JSONata prints them. */
static json_t *number_value(struct parser *p, size_t start, size_t end, int neg, size_t sign_pos)
{
	size_t n = end - start;
	json_t *out = NULL;
	locale_t c_loc = (locale_t)0;
	char *buf = NULL;
	double v;

	buf = malloc(n + 2);
	if (!buf) {
		fail(p, CODE_LIMIT, sign_pos, msg_oom);
		goto out;
	}
	buf[0] = neg ? '-' : '+';
	memcpy(buf + 1, p->s + start, n);
	buf[n + 1] = '\0';
	/* The "C" locale, so a process locale with a decimal comma cannot change the value. */
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!c_loc) {
		fail(p, CODE_LIMIT, sign_pos, msg_oom);
		goto out;
	}
	v = strtod_l(buf, NULL, c_loc);
	if (!__builtin_isfinite(v)) {
		fail(p, CODE_SYNTAX, sign_pos, "number out of range");
		goto out;
	}
	if (v >= -SAFE_INT && v <= SAFE_INT && (double)(json_int_t)v == v)
		out = json_integer((json_int_t)v);
	else
		out = json_real(v);
	if (!out)
		fail(p, CODE_LIMIT, sign_pos, msg_oom);
out:
	if (c_loc)
		freelocale(c_loc);
	free(buf);
	return out;
}

/* $name, $ or $$ at the lookahead: a variable, or a function call when '(' follows. */
static int fail_var(struct parser *p)
{
	char text[SHOW_SIZE];
	size_t k = skip_space(p, p->tok.end);

	show(text, p->s + p->tok.start, p->tok.end - p->tok.start);
	if (k < p->len && p->s[k] == '(')
		fail(p, CODE_UNSUPPORTED, p->tok.start, "function calls (%s) are not supported",
		     text);
	else
		fail(p, CODE_UNSUPPORTED, p->tok.start, "variables (%s) are not supported", text);
	return -1;
}

/* Fails with the feature the lookahead starts, looked up in table; 0 if it starts none. */
static int fail_feature(struct parser *p, const struct feature *table, size_t n, size_t at)
{
	size_t i;

	if (p->tok.kind != T_PUNCT)
		return 0;
	for (i = 0; i < n; i++) {
		if (tok_is(p, table[i].op)) {
			fail(p, CODE_UNSUPPORTED, at, "%s", table[i].msg);
			return -1;
		}
	}
	return 0;
}

static void fail_literal_step(struct parser *p, const struct tok *t, size_t at)
{
	char text[SHOW_SIZE];

	show(text, p->s + t->start, t->end - t->start);
	fail(p, CODE_SYNTAX, at, "the literal value %s cannot be used as a step within a path",
	     text);
}

/* One path step at the lookahead (a name, a `quoted name` or a string literal). */
static int parse_step(struct parser *p)
{
	struct tok t = p->tok;
	char text[SHOW_SIZE + 2];
	json_t *name = NULL;
	int idx;

	switch (t.kind) {
	case T_NAME:
		if (is_literal_word(p, &t)) {
			fail_literal_step(p, &t, t.start);
			return -1;
		}
		name = json_stringn(p->s + t.start, t.end - t.start);
		break;
	case T_QNAME:
		name = json_stringn(p->s + t.start + 1, t.end - t.start - 2);
		break;
	case T_STRING:
		/* JSONata turns string literals inside a path into field names. */
		name = decode_string(p, t.start, t.end);
		if (!name)
			return -1;
		break;
	case T_NUMBER:
		fail_literal_step(p, &t, t.start);
		return -1;
	case T_VAR:
		return fail_var(p);
	case T_PUNCT:
		if (tok_is(p, "[") || tok_is(p, "{")) {
			fail(p, CODE_UNSUPPORTED, t.start,
			     "constructors as path steps (.[...], .{...}) are not supported");
			return -1;
		}
		if (fail_feature(p, prefix_features, COUNT(prefix_features), t.start))
			return -1;
		/* fall through */
	default:
		describe(p, &t, text);
		fail(p, CODE_SYNTAX, t.start, "expected a field name after '.', found %s", text);
		return -1;
	}
	if (!name) {
		fail(p, CODE_LIMIT, t.start, msg_oom);
		return -1;
	}
	idx = new_node(p, N_STEP, t.start, name);
	if (idx < 0 || next(p))
		return -1;
	if (tok_is(p, "(")) {
		show(text, p->s + t.start, t.end - t.start);
		if (tok_word(p, &t, "function"))
			fail(p, CODE_UNSUPPORTED, t.start,
			     "lambda functions (function(...){...}) are not supported");
		else
			fail(p, CODE_UNSUPPORTED, t.start,
			     "function calls (%s(...)) are not supported", text);
		return -1;
	}
	return idx;
}

/* step ('.' step)*. first, when set, is a string literal already read that turned out to be
 * the first step ("a".b is a path in JSONata); it is taken over. */
static int parse_path(struct parser *p, size_t start, json_t *first)
{
	int path, step, last = -1;

	path = new_node(p, N_PATH, start, NULL);
	if (path < 0) {
		json_decref(first);
		return -1;
	}
	step = first ? new_node(p, N_STEP, start, first) : parse_step(p);
	if (step < 0)
		return -1;
	link_child(p, path, &last, step);
	while (tok_is(p, ".")) {
		if (next(p))
			return -1;
		step = parse_step(p);
		if (step < 0)
			return -1;
		link_child(p, path, &last, step);
	}
	return path;
}

/* A literal value node; number and true/false/null literals cannot start a path. */
static int literal(struct parser *p, const struct tok *t, json_t *v, size_t at)
{
	if (!v) {
		fail(p, CODE_LIMIT, at, msg_oom);
		return -1;
	}
	if (next(p)) {
		json_decref(v);
		return -1;
	}
	if (tok_is(p, ".")) {
		json_decref(v);
		fail_literal_step(p, t, at);
		return -1;
	}
	return new_node(p, N_LIT, at, v);
}

/* The lookahead where an object key should be: anything that starts an expression is a
 * computed key, anything else a syntax error. */
static int fail_key(struct parser *p)
{
	char text[SHOW_SIZE + 2];
	enum tok_kind k = p->tok.kind;

	if (k == T_NAME || k == T_QNAME || k == T_NUMBER || k == T_VAR ||
	    (k == T_PUNCT && strchr("[{(-*%/|^", p->s[p->tok.start]))) {
		fail(p, CODE_UNSUPPORTED, p->tok.start,
		     "object keys other than string literals are not supported");
		return -1;
	}
	describe(p, &p->tok, text);
	fail(p, CODE_SYNTAX, p->tok.start, "expected a string key or '}' in object constructor, "
	     "found %s", text);
	return -1;
}

/* Tokens that may follow a complete operand but would extend it: all unsupported. */
static int check_follow(struct parser *p, size_t operand_pos)
{
	char text[SHOW_SIZE];

	if (tok_word(p, &p->tok, "and") || tok_word(p, &p->tok, "or")) {
		show(text, p->s + p->tok.start, p->tok.end - p->tok.start);
		fail(p, CODE_UNSUPPORTED, p->tok.start, "boolean operators (%s) are not supported",
		     text);
		return -1;
	}
	if (tok_word(p, &p->tok, "in")) {
		fail(p, CODE_UNSUPPORTED, p->tok.start,
		     "the membership operator (in) is not supported");
		return -1;
	}
	if (tok_is(p, "(")) {
		fail(p, CODE_UNSUPPORTED, operand_pos, "function calls (...) are not supported");
		return -1;
	}
	return fail_feature(p, infix_features, COUNT(infix_features), p->tok.start);
}

static int enter(struct parser *p)
{
	if (++p->depth > NCM_JSONATA_MAX_DEPTH) {
		fail(p, CODE_LIMIT, p->tok.start, "constructors nested deeper than %d levels",
		     NCM_JSONATA_MAX_DEPTH);
		return -1;
	}
	return 0;
}

static int same_key(const json_t *a, const json_t *b)
{
	size_t n = json_string_length(a);

	return n == json_string_length(b) && !memcmp(json_string_value(a), json_string_value(b), n);
}

/* After a constructor member: ',' continues (1), the closing token ends (0), anything else is
 * an error (-1). */
static int after_member(struct parser *p, const char *close, const char *what)
{
	char text[SHOW_SIZE + 2];

	if (tok_is(p, close))
		return 0;
	if (!tok_is(p, ",")) {
		describe(p, &p->tok, text);
		fail(p, CODE_SYNTAX, p->tok.start,
		     "expected ',' or '%s' in %s constructor, found %s", close, what, text);
		return -1;
	}
	return next(p) ? -1 : 1;
}

/* "key": expr, with the lookahead on the key; obj's earlier pairs are checked for the key. */
static int parse_pair(struct parser *p, int obj)
{
	char text[SHOW_SIZE + 2];
	struct tok k = p->tok;
	int pair, value, i;
	json_t *key;

	if (k.kind != T_STRING)
		return fail_key(p);
	key = decode_string(p, k.start, k.end);
	if (!key)
		return -1;
	/* JSONata rejects this too (D1009): two pairs would claim one key. */
	for (i = p->nodes[obj].child; i >= 0; i = p->nodes[i].next) {
		if (same_key(p->nodes[i].val, key)) {
			show(text, json_string_value(key), json_string_length(key));
			json_decref(key);
			fail(p, CODE_SYNTAX, k.start,
			     "multiple key definitions evaluate to the same key: \"%s\"", text);
			return -1;
		}
	}
	pair = new_node(p, N_PAIR, k.start, key);
	if (pair < 0 || next(p))
		return -1;
	if (!tok_is(p, ":")) {
		if (tok_is(p, ".")) {
			fail(p, CODE_UNSUPPORTED, k.start,
			     "object keys other than string literals are not supported");
			return -1;
		}
		if (check_follow(p, k.start))
			return -1;
		describe(p, &p->tok, text);
		fail(p, CODE_SYNTAX, p->tok.start, "expected ':' after object key, found %s", text);
		return -1;
	}
	if (next(p))
		return -1;
	value = parse_expr(p);
	if (value < 0)
		return -1;
	p->nodes[pair].child = value;
	return pair;
}

/* { "key": expr, ... } with the lookahead on '{'. */
static int parse_object(struct parser *p)
{
	int obj, pair, more, last = -1;

	if (enter(p))
		return -1;
	obj = new_node(p, N_OBJECT, p->tok.start, NULL);
	if (obj < 0 || next(p))
		return -1;
	more = !tok_is(p, "}");
	while (more > 0) {
		pair = parse_pair(p, obj);
		if (pair < 0)
			return -1;
		link_child(p, obj, &last, pair);
		more = after_member(p, "}", "object");
	}
	if (more < 0)
		return -1;
	p->depth--;
	return next(p) ? -1 : obj;
}

/* [ expr, ... ] with the lookahead on '['. */
static int parse_array(struct parser *p)
{
	int arr, el, more, last = -1;

	if (enter(p))
		return -1;
	arr = new_node(p, N_ARRAY, p->tok.start, NULL);
	if (arr < 0 || next(p))
		return -1;
	more = !tok_is(p, "]");
	while (more > 0) {
		el = parse_expr(p);
		if (el < 0)
			return -1;
		link_child(p, arr, &last, el);
		more = after_member(p, "]", "array");
	}
	if (more < 0)
		return -1;
	p->depth--;
	return next(p) ? -1 : arr;
}

static int parse_operand(struct parser *p)
{
	struct tok t = p->tok;
	char text[SHOW_SIZE + 2];
	json_t *v;
	size_t k, minus;

	switch (t.kind) {
	case T_STRING:
		v = decode_string(p, t.start, t.end);
		if (!v)
			return -1;
		if (next(p)) {
			json_decref(v);
			return -1;
		}
		if (tok_is(p, "."))
			return parse_path(p, t.start, v);
		return new_node(p, N_LIT, t.start, v);
	case T_NUMBER:
		v = number_value(p, t.start, t.end, 0, t.start);
		return v ? literal(p, &t, v, t.start) : -1;
	case T_NAME:
		if (tok_word(p, &t, "true"))
			return literal(p, &t, json_true(), t.start);
		if (tok_word(p, &t, "false"))
			return literal(p, &t, json_false(), t.start);
		if (tok_word(p, &t, "null"))
			return literal(p, &t, json_null(), t.start);
		return parse_path(p, t.start, NULL);
	case T_QNAME:
		return parse_path(p, t.start, NULL);
	case T_VAR:
		return fail_var(p);
	case T_PUNCT:
		if (tok_is(p, "{"))
			return parse_object(p);
		if (tok_is(p, "["))
			return parse_array(p);
		if (tok_is(p, "-")) {
			/* A negative number literal; JSONata folds "- 1" the same way. */
			k = skip_space(p, t.end);
			if (k < p->len && is_digit((unsigned char)p->s[k])) {
				minus = t.start;
				if (next(p))
					return -1;
				t = p->tok;
				v = number_value(p, t.start, t.end, 1, minus);
				return v ? literal(p, &t, v, minus) : -1;
			}
			fail(p, CODE_UNSUPPORTED, t.start,
			     "negation (-) of anything but a number literal is not supported");
			return -1;
		}
		if (fail_feature(p, prefix_features, COUNT(prefix_features), t.start))
			return -1;
		break;
	case T_EOF:
		fail(p, CODE_SYNTAX, t.start, "unexpected end of expression");
		return -1;
	}
	describe(p, &t, text);
	fail(p, CODE_SYNTAX, t.start, "unexpected %s", text);
	return -1;
}

static int parse_expr(struct parser *p)
{
	size_t start = p->tok.start;
	int idx = parse_operand(p);

	if (idx < 0)
		return -1;
	/* Paths consume their dots and literals refuse them, so this follows a constructor. */
	if (tok_is(p, ".")) {
		fail(p, CODE_UNSUPPORTED, p->tok.start,
		     "paths on constructed values ({...}.name, [...].name) are not supported");
		return -1;
	}
	return check_follow(p, start) ? -1 : idx;
}

static void ev_fail(struct eval *ev, size_t pos, const char *msg)
{
	fail(ev->p, CODE_LIMIT, pos, "%s", msg);
}

/* Counts one unit of work; fails once WORK_MAX is reached. */
static int tick(struct eval *ev, size_t pos)
{
	if (++ev->work > WORK_MAX) {
		fail(ev->p, CODE_LIMIT, pos, "evaluation visits more than %u values", WORK_MAX);
		return -1;
	}
	return 0;
}

static int vec_push(struct eval *ev, struct vec *a, const json_t *j, size_t pos)
{
	const json_t **grown;
	size_t cap;

	if (tick(ev, pos))
		return -1;
	if (a->n == a->cap) {
		cap = a->cap ? a->cap * 2 : 16;
		grown = realloc(a->v, cap * sizeof(*grown));
		if (!grown) {
			ev_fail(ev, pos, msg_oom);
			return -1;
		}
		a->v = grown;
		a->cap = cap;
	}
	a->v[a->n++] = j;
	return 0;
}

/* Pushes v, or its elements when it is an array (one level of sequence flattening). */
static int push_flat(struct eval *ev, struct vec *a, const json_t *v, size_t pos)
{
	size_t i;

	if (!json_is_array(v))
		return vec_push(ev, a, v, pos);
	for (i = 0; i < json_array_size(v); i++)
		if (vec_push(ev, a, json_array_get(v, i), pos))
			return -1;
	return 0;
}

static size_t ctx_count(const struct ctx *c)
{
	if (c->many)
		return c->n;
	if (!c->one)
		return 0;
	return json_is_array(c->one) ? json_array_size(c->one) : 1;
}

static const json_t *ctx_item(const struct ctx *c, size_t i)
{
	if (c->many)
		return c->v[i];
	return json_is_array(c->one) ? json_array_get(c->one, i) : c->one;
}

/* A field looked up in an array (jsonata-js fn.lookup): the arrays nested in arr are walked in
 * order, and each object's field value is added, spread when it is an array. Iterative, so
 * deeply nested input cannot exhaust the stack. */
static int lookup_array(struct eval *ev, const json_t *arr, const json_t *key, struct vec *out,
			size_t pos)
{
	struct frame {
		const json_t *a;
		size_t i;
	} *st = NULL, *grown;
	size_t sn = 0, scap = 0;
	const json_t *e, *v;
	int ret = -1;

	do {
		if (sn == scap) {
			scap = scap ? scap * 2 : 8;
			grown = realloc(st, scap * sizeof(*grown));
			if (!grown) {
				ev_fail(ev, pos, msg_oom);
				goto out;
			}
			st = grown;
		}
		st[sn++] = (struct frame){ arr, 0 };
		arr = NULL;
		while (sn && !arr) {
			if (st[sn - 1].i >= json_array_size(st[sn - 1].a)) {
				sn--;
				continue;
			}
			e = json_array_get(st[sn - 1].a, st[sn - 1].i++);
			if (tick(ev, pos))
				goto out;
			if (json_is_array(e)) {
				arr = e;
			} else if (json_is_object(e)) {
				v = json_object_getn(e, json_string_value(key),
						     json_string_length(key));
				if (v && push_flat(ev, out, v, pos))
					goto out;
			}
		}
	} while (arr);
	ret = 0;
out:
	free(st);
	return ret;
}

static json_t *copy(struct eval *ev, const json_t *v, size_t pos)
{
	json_t *c = json_deep_copy(v);

	/* jansson also refuses to copy a value with a reference cycle. */
	if (!c)
		ev_fail(ev, pos, "cannot copy the value (out of memory, or a reference cycle)");
	return c;
}

/* jsonata-js evaluatePath/evaluateStep for name steps: each step looks its field up in every
 * value of the sequence and flattens the results one level, except that a lone array from the
 * last step is kept as it is; an empty sequence ends the path as undefined, a singleton is its
 * value. */
static json_t *eval_path(struct eval *ev, const struct node *nd, const struct ctx *c)
{
	const struct node *nodes = ev->p->nodes, *st;
	struct vec in = { 0 }, out = { 0 }, tmp = { 0 }, swap;
	const json_t *item, *v, *only;
	json_t *res = NULL, *el;
	size_t i, j, n, nres;
	int step;

	n = ctx_count(c);
	for (i = 0; i < n; i++)
		if (vec_push(ev, &in, ctx_item(c, i), nd->pos))
			goto out;
	for (step = nd->child; step >= 0; step = nodes[step].next) {
		st = &nodes[step];
		out.n = 0;
		nres = 0;
		only = NULL;
		for (i = 0; i < in.n; i++) {
			item = in.v[i];
			if (json_is_object(item)) {
				v = json_object_getn(item, json_string_value(st->val),
						     json_string_length(st->val));
			} else if (json_is_array(item)) {
				tmp.n = 0;
				if (lookup_array(ev, item, st->val, &tmp, st->pos))
					goto out;
				/* A sequence from an array: empty is undefined, one is its
				 * value. */
				v = tmp.n == 1 ? tmp.v[0] : NULL;
				if (tmp.n > 1) {
					nres++;
					only = NULL;
					for (j = 0; j < tmp.n; j++)
						if (vec_push(ev, &out, tmp.v[j], st->pos))
							goto out;
					continue;
				}
			} else {
				v = NULL;
			}
			if (!v)
				continue;
			nres++;
			only = v;
			if (push_flat(ev, &out, v, st->pos))
				goto out;
		}
		if (st->next < 0 && nres == 1 && json_is_array(only)) {
			res = copy(ev, only, st->pos);
			goto out;
		}
		if (!out.n)
			goto out;
		swap = in;
		in = out;
		out = swap;
	}
	if (in.n == 1) {
		res = copy(ev, in.v[0], nd->pos);
		goto out;
	}
	res = json_array();
	if (!res) {
		ev_fail(ev, nd->pos, msg_oom);
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		el = copy(ev, in.v[i], nd->pos);
		if (!el || json_array_append_new(res, el)) {
			ev_fail(ev, nd->pos, msg_oom);
			json_decref(res);
			res = NULL;
			goto out;
		}
	}
out:
	free(in.v);
	free(out.v);
	free(tmp.v);
	return res;
}

/* jsonata-js evaluateGroupExpression with literal keys: every key groups all values of the
 * context, so each value expression sees the context itself when it holds one value, else the
 * values concatenated (arrays spread); undefined values leave their key out. */
static json_t *eval_object(struct eval *ev, const struct node *nd, const struct ctx *c)
{
	const struct node *nodes = ev->p->nodes;
	struct ctx data = { 0 };
	struct vec all = { 0 };
	json_t *obj = NULL, *ret = NULL, *v;
	const json_t *key;
	size_t i, n = ctx_count(c);
	int pair;

	if (n == 1) {
		data.one = ctx_item(c, 0);
	} else if (n > 1) {
		for (i = 0; i < n; i++)
			if (push_flat(ev, &all, ctx_item(c, i), nd->pos))
				goto out;
		data = (struct ctx){ NULL, all.v, all.n, 1 };
	}
	obj = json_object();
	if (!obj) {
		ev_fail(ev, nd->pos, msg_oom);
		goto out;
	}
	for (pair = nd->child; pair >= 0; pair = nodes[pair].next) {
		v = eval_node(ev, nodes[pair].child, &data);
		if (!v) {
			if (ev->p->err->code)
				goto out;
			continue;
		}
		key = nodes[pair].val;
		if (json_object_setn_new(obj, json_string_value(key), json_string_length(key), v)) {
			ev_fail(ev, nodes[pair].pos, msg_oom);
			goto out;
		}
	}
	ret = obj;
	obj = NULL;
out:
	json_decref(obj);
	free(all.v);
	return ret;
}

/* jsonata-js evaluateArray: undefined members are skipped, arrays from other expressions are
 * spread into the result, arrays built by a nested constructor stay nested. */
static json_t *eval_array(struct eval *ev, const struct node *nd, const struct ctx *c)
{
	const struct node *nodes = ev->p->nodes;
	json_t *arr = NULL, *ret = NULL, *v;
	int el, bad;

	arr = json_array();
	if (!arr) {
		ev_fail(ev, nd->pos, msg_oom);
		goto out;
	}
	for (el = nd->child; el >= 0; el = nodes[el].next) {
		v = eval_node(ev, el, c);
		if (!v) {
			if (ev->p->err->code)
				goto out;
			continue;
		}
		if (nodes[el].kind != N_ARRAY && json_is_array(v)) {
			bad = json_array_extend(arr, v);
			json_decref(v);
		} else {
			bad = json_array_append_new(arr, v);
		}
		if (bad) {
			ev_fail(ev, nodes[el].pos, msg_oom);
			goto out;
		}
	}
	ret = arr;
	arr = NULL;
out:
	json_decref(arr);
	return ret;
}

/* Recursion follows the AST, whose depth the parser bounded. */
static json_t *eval_node(struct eval *ev, int idx, const struct ctx *c)
{
	const struct node *nd = &ev->p->nodes[idx];

	switch (nd->kind) {
	case N_LIT:
		return json_incref(nd->val);
	case N_PATH:
		return eval_path(ev, nd, c);
	case N_OBJECT:
		return eval_object(ev, nd, c);
	case N_ARRAY:
		return eval_array(ev, nd, c);
	default:
		return NULL;
	}
}

json_t *ncm_jsonata_eval(const char *expr, size_t len, const json_t *input,
			 struct ncm_jsonata_error *err)
{
	struct ncm_jsonata_error local;
	struct parser p = { 0 };
	struct eval ev = { 0 };
	/* Like jsonata-js, the input is the single value of the outermost sequence, so an input
	 * array is mapped over rather than kept whole by a one-step path. */
	struct ctx top = { NULL, &input, input ? 1 : 0, 1 };
	char text[SHOW_SIZE + 2];
	json_t *res = NULL;
	size_t i;
	int root;

	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	p.s = expr;
	p.len = len;
	p.err = err;
	if (!expr) {
		fail(&p, CODE_SYNTAX, 0, "no expression");
		return NULL;
	}
	if (len > NCM_JSONATA_MAX_LEN) {
		fail(&p, CODE_LIMIT, NCM_JSONATA_MAX_LEN, "expression longer than %d bytes",
		     NCM_JSONATA_MAX_LEN);
		return NULL;
	}
	if (next(&p))
		goto out;
	if (p.tok.kind == T_EOF) {
		fail(&p, CODE_SYNTAX, p.tok.start, "empty expression");
		goto out;
	}
	root = parse_expr(&p);
	if (root < 0)
		goto out;
	if (p.tok.kind != T_EOF) {
		describe(&p, &p.tok, text);
		fail(&p, CODE_SYNTAX, p.tok.start, "expected end of expression, found %s", text);
		goto out;
	}
	ev.p = &p;
	res = eval_node(&ev, root, &top);
	if (err->code) {
		json_decref(res);
		res = NULL;
	}
out:
	for (i = 0; i < p.n; i++)
		json_decref(p.nodes[i].val);
	free(p.nodes);
	return res;
}

json_t *ncm_jsonata_error_json(const struct ncm_jsonata_error *err)
{
	char clean[sizeof(err->message)];
	json_t *out = NULL, *msg = NULL, *ret = NULL;
	size_t n, i;

	if (!err)
		return NULL;
	n = strnlen(err->message, sizeof(err->message));
	msg = json_stringn(err->message, n);
	if (!msg) {
		/* A message filled in by hand may not be UTF-8; json_string refuses that. */
		for (i = 0; i < n; i++)
			clean[i] = (unsigned char)err->message[i] < 0x80 ? err->message[i] : '?';
		msg = json_stringn(clean, n);
	}
	out = json_object();
	if (!msg || !out || json_object_set_new(out, "err", json_integer(err->code)) ||
	    json_object_set_new(out, "position", json_integer((json_int_t)err->position)))
		goto out;
	/* set_new takes msg over even when it fails. */
	if (json_object_set_new(out, "message", msg)) {
		msg = NULL;
		goto out;
	}
	msg = NULL;
	ret = out;
	out = NULL;
out:
	json_decref(msg);
	json_decref(out);
	return ret;
}
