/* SPDX-License-Identifier: MIT
 * jsonata_parse.c: the recursive-descent parser of the JSONata subset (jsonata.h). It pulls
 * tokens from jsonata_lex.c, counts constructor depth explicitly, builds the AST of
 * jsonata_internal.h and rejects, with a 1-based position and a message naming the feature,
 * everything outside the subset. Knows nothing of evaluation (jsonata_eval.c). Pure: no I/O, no
 * globals.
 */
#include "jsonata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int parse_expr(struct ncm_jsonata_parser *p);

static int tok_is(const struct ncm_jsonata_parser *p, const char *op)
{
	size_t n = p->tok.end - p->tok.start;

	return p->tok.kind == NCM_JSONATA_TOK_PUNCT && strlen(op) == n &&
	       !memcmp(p->s + p->tok.start, op, n);
}

static int tok_word(const struct ncm_jsonata_parser *p, const struct ncm_jsonata_tok *t,
		    const char *w)
{
	size_t n = t->end - t->start;

	return t->kind == NCM_JSONATA_TOK_NAME && strlen(w) == n && !memcmp(p->s + t->start, w, n);
}

static int is_literal_word(const struct ncm_jsonata_parser *p, const struct ncm_jsonata_tok *t)
{
	return tok_word(p, t, "true") || tok_word(p, t, "false") || tok_word(p, t, "null");
}

/* "'text'" or "end of expression", for "found ..." in messages. */
static void describe(const struct ncm_jsonata_parser *p, const struct ncm_jsonata_tok *t,
		     char *buf)
{
	char text[NCM_JSONATA_SHOW_SIZE];

	if (t->kind == NCM_JSONATA_TOK_EOF) {
		snprintf(buf, NCM_JSONATA_SHOW_SIZE + 2, "end of expression");
		return;
	}
	ncm_jsonata_show(text, p->s + t->start, t->end - t->start);
	snprintf(buf, NCM_JSONATA_SHOW_SIZE + 2, "'%s'", text);
}

/* Adds a node; takes over val (released on failure). */
static int new_node(struct ncm_jsonata_parser *p, enum ncm_jsonata_node_kind kind, size_t pos,
		    json_t *val)
{
	struct ncm_jsonata_node *grown;
	size_t cap;

	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 32;
		grown = realloc(p->nodes, cap * sizeof(*grown));
		if (!grown) {
			json_decref(val);
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, pos, NCM_JSONATA_MSG_OOM);
			return -1;
		}
		p->nodes = grown;
		p->cap = cap;
	}
	p->nodes[p->n] = (struct ncm_jsonata_node){ kind, pos, val, -1, -1 };
	return (int)p->n++;
}

/* Appends child to parent's children; *last tracks the previous one. */
static void link_child(struct ncm_jsonata_parser *p, int parent, int *last, int child)
{
	if (*last < 0)
		p->nodes[parent].child = child;
	else
		p->nodes[*last].next = child;
	*last = child;
}

/* $name, $ or $$ at the lookahead: a variable, or a function call when '(' follows. */
static int fail_var(struct ncm_jsonata_parser *p)
{
	char text[NCM_JSONATA_SHOW_SIZE];
	size_t k = ncm_jsonata_skip_space(p, p->tok.end);

	ncm_jsonata_show(text, p->s + p->tok.start, p->tok.end - p->tok.start);
	if (k < p->len && p->s[k] == '(')
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "function calls (%s) are not supported", text);
	else
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "variables (%s) are not supported", text);
	return -1;
}

/* Fails with the feature the lookahead starts, looked up in table; 0 if it starts none. */
static int fail_feature(struct ncm_jsonata_parser *p, const struct feature *table, size_t n,
			size_t at)
{
	size_t i;

	if (p->tok.kind != NCM_JSONATA_TOK_PUNCT)
		return 0;
	for (i = 0; i < n; i++) {
		if (tok_is(p, table[i].op)) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, at, "%s", table[i].msg);
			return -1;
		}
	}
	return 0;
}

static void fail_literal_step(struct ncm_jsonata_parser *p, const struct ncm_jsonata_tok *t,
			      size_t at)
{
	char text[NCM_JSONATA_SHOW_SIZE];

	ncm_jsonata_show(text, p->s + t->start, t->end - t->start);
	ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, at,
			 "the literal value %s cannot be used as a step within a path", text);
}

/* One path step at the lookahead (a name, a `quoted name` or a string literal). */
static int parse_step(struct ncm_jsonata_parser *p)
{
	struct ncm_jsonata_tok t = p->tok;
	char text[NCM_JSONATA_SHOW_SIZE + 2];
	json_t *name = NULL;
	int idx;

	switch (t.kind) {
	case NCM_JSONATA_TOK_NAME:
		if (is_literal_word(p, &t)) {
			fail_literal_step(p, &t, t.start);
			return -1;
		}
		name = json_stringn(p->s + t.start, t.end - t.start);
		break;
	case NCM_JSONATA_TOK_QNAME:
		name = json_stringn(p->s + t.start + 1, t.end - t.start - 2);
		break;
	case NCM_JSONATA_TOK_STRING:
		/* JSONata turns string literals inside a path into field names. */
		name = ncm_jsonata_decode_string(p, t.start, t.end);
		if (!name)
			return -1;
		break;
	case NCM_JSONATA_TOK_NUMBER:
		fail_literal_step(p, &t, t.start);
		return -1;
	case NCM_JSONATA_TOK_VAR:
		return fail_var(p);
	case NCM_JSONATA_TOK_PUNCT:
		if (tok_is(p, "[") || tok_is(p, "{")) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, t.start,
					 "constructors as path steps (.[...], .{...}) "
					 "are not supported");
			return -1;
		}
		if (fail_feature(p, prefix_features, COUNT(prefix_features), t.start))
			return -1;
		/* fall through */
	default:
		describe(p, &t, text);
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, t.start,
				 "expected a field name after '.', found %s", text);
		return -1;
	}
	if (!name) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, t.start, NCM_JSONATA_MSG_OOM);
		return -1;
	}
	idx = new_node(p, NCM_JSONATA_NODE_STEP, t.start, name);
	if (idx < 0 || ncm_jsonata_next(p))
		return -1;
	if (tok_is(p, "(")) {
		ncm_jsonata_show(text, p->s + t.start, t.end - t.start);
		if (tok_word(p, &t, "function"))
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, t.start,
					 "lambda functions (function(...){...}) are not supported");
		else
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, t.start,
					 "function calls (%s(...)) are not supported", text);
		return -1;
	}
	return idx;
}

/* step ('.' step)*. first, when set, is a string literal already read that turned out to be
 * the first step ("a".b is a path in JSONata); it is taken over. */
static int parse_path(struct ncm_jsonata_parser *p, size_t start, json_t *first)
{
	int path, step, last = -1;

	path = new_node(p, NCM_JSONATA_NODE_PATH, start, NULL);
	if (path < 0) {
		json_decref(first);
		return -1;
	}
	step = first ? new_node(p, NCM_JSONATA_NODE_STEP, start, first) : parse_step(p);
	if (step < 0)
		return -1;
	link_child(p, path, &last, step);
	while (tok_is(p, ".")) {
		if (ncm_jsonata_next(p))
			return -1;
		step = parse_step(p);
		if (step < 0)
			return -1;
		link_child(p, path, &last, step);
	}
	return path;
}

/* A literal value node; number and true/false/null literals cannot start a path. */
static int literal(struct ncm_jsonata_parser *p, const struct ncm_jsonata_tok *t, json_t *v,
		   size_t at)
{
	if (!v) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, at, NCM_JSONATA_MSG_OOM);
		return -1;
	}
	if (ncm_jsonata_next(p)) {
		json_decref(v);
		return -1;
	}
	if (tok_is(p, ".")) {
		json_decref(v);
		fail_literal_step(p, t, at);
		return -1;
	}
	return new_node(p, NCM_JSONATA_NODE_LIT, at, v);
}

/* The lookahead where an object key should be: anything that starts an expression is a
 * computed key, anything else a syntax error. */
static int fail_key(struct ncm_jsonata_parser *p)
{
	char text[NCM_JSONATA_SHOW_SIZE + 2];
	enum ncm_jsonata_tok_kind k = p->tok.kind;

	if (k == NCM_JSONATA_TOK_NAME || k == NCM_JSONATA_TOK_QNAME ||
	    k == NCM_JSONATA_TOK_NUMBER || k == NCM_JSONATA_TOK_VAR ||
	    (k == NCM_JSONATA_TOK_PUNCT && strchr("[{(-*%/|^", p->s[p->tok.start]))) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "object keys other than string literals are not supported");
		return -1;
	}
	describe(p, &p->tok, text);
	ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, p->tok.start,
			 "expected a string key or '}' in object constructor, found %s", text);
	return -1;
}

/* Tokens that may follow a complete operand but would extend it: all unsupported. */
static int check_follow(struct ncm_jsonata_parser *p, size_t operand_pos)
{
	char text[NCM_JSONATA_SHOW_SIZE];

	if (tok_word(p, &p->tok, "and") || tok_word(p, &p->tok, "or")) {
		ncm_jsonata_show(text, p->s + p->tok.start, p->tok.end - p->tok.start);
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "boolean operators (%s) are not supported", text);
		return -1;
	}
	if (tok_word(p, &p->tok, "in")) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "the membership operator (in) is not supported");
		return -1;
	}
	if (tok_is(p, "(")) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, operand_pos,
				 "function calls (...) are not supported");
		return -1;
	}
	return fail_feature(p, infix_features, COUNT(infix_features), p->tok.start);
}

static int enter(struct ncm_jsonata_parser *p)
{
	if (++p->depth > NCM_JSONATA_MAX_DEPTH) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, p->tok.start,
				 "constructors nested deeper than %d levels",
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
static int after_member(struct ncm_jsonata_parser *p, const char *close, const char *what)
{
	char text[NCM_JSONATA_SHOW_SIZE + 2];

	if (tok_is(p, close))
		return 0;
	if (!tok_is(p, ",")) {
		describe(p, &p->tok, text);
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, p->tok.start,
				 "expected ',' or '%s' in %s constructor, found %s",
				 close, what, text);
		return -1;
	}
	return ncm_jsonata_next(p) ? -1 : 1;
}

/* "key": expr, with the lookahead on the key; obj's earlier pairs are checked for the key. */
static int parse_pair(struct ncm_jsonata_parser *p, int obj)
{
	char text[NCM_JSONATA_SHOW_SIZE + 2];
	struct ncm_jsonata_tok k = p->tok;
	int pair, value, i;
	json_t *key;

	if (k.kind != NCM_JSONATA_TOK_STRING)
		return fail_key(p);
	key = ncm_jsonata_decode_string(p, k.start, k.end);
	if (!key)
		return -1;
	/* JSONata rejects this too (D1009): two pairs would claim one key. */
	for (i = p->nodes[obj].child; i >= 0; i = p->nodes[i].next) {
		if (same_key(p->nodes[i].val, key)) {
			ncm_jsonata_show(text, json_string_value(key), json_string_length(key));
			json_decref(key);
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, k.start,
					 "multiple key definitions evaluate to the same key: "
					 "\"%s\"", text);
			return -1;
		}
	}
	pair = new_node(p, NCM_JSONATA_NODE_PAIR, k.start, key);
	if (pair < 0 || ncm_jsonata_next(p))
		return -1;
	if (!tok_is(p, ":")) {
		if (tok_is(p, ".")) {
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, k.start,
					 "object keys other than string literals "
					 "are not supported");
			return -1;
		}
		if (check_follow(p, k.start))
			return -1;
		describe(p, &p->tok, text);
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, p->tok.start,
				 "expected ':' after object key, found %s", text);
		return -1;
	}
	if (ncm_jsonata_next(p))
		return -1;
	value = parse_expr(p);
	if (value < 0)
		return -1;
	p->nodes[pair].child = value;
	return pair;
}

/* { "key": expr, ... } with the lookahead on '{'. */
static int parse_object(struct ncm_jsonata_parser *p)
{
	int obj, pair, more, last = -1;

	if (enter(p))
		return -1;
	obj = new_node(p, NCM_JSONATA_NODE_OBJECT, p->tok.start, NULL);
	if (obj < 0 || ncm_jsonata_next(p))
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
	return ncm_jsonata_next(p) ? -1 : obj;
}

/* [ expr, ... ] with the lookahead on '['. */
static int parse_array(struct ncm_jsonata_parser *p)
{
	int arr, el, more, last = -1;

	if (enter(p))
		return -1;
	arr = new_node(p, NCM_JSONATA_NODE_ARRAY, p->tok.start, NULL);
	if (arr < 0 || ncm_jsonata_next(p))
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
	return ncm_jsonata_next(p) ? -1 : arr;
}

static int parse_operand(struct ncm_jsonata_parser *p)
{
	struct ncm_jsonata_tok t = p->tok;
	char text[NCM_JSONATA_SHOW_SIZE + 2];
	json_t *v;
	size_t minus;

	switch (t.kind) {
	case NCM_JSONATA_TOK_STRING:
		v = ncm_jsonata_decode_string(p, t.start, t.end);
		if (!v)
			return -1;
		if (ncm_jsonata_next(p)) {
			json_decref(v);
			return -1;
		}
		if (tok_is(p, "."))
			return parse_path(p, t.start, v);
		return new_node(p, NCM_JSONATA_NODE_LIT, t.start, v);
	case NCM_JSONATA_TOK_NUMBER:
		v = ncm_jsonata_number_value(p, t.start, t.end, 0, t.start);
		return v ? literal(p, &t, v, t.start) : -1;
	case NCM_JSONATA_TOK_NAME:
		if (tok_word(p, &t, "true"))
			return literal(p, &t, json_true(), t.start);
		if (tok_word(p, &t, "false"))
			return literal(p, &t, json_false(), t.start);
		if (tok_word(p, &t, "null"))
			return literal(p, &t, json_null(), t.start);
		return parse_path(p, t.start, NULL);
	case NCM_JSONATA_TOK_QNAME:
		return parse_path(p, t.start, NULL);
	case NCM_JSONATA_TOK_VAR:
		return fail_var(p);
	case NCM_JSONATA_TOK_PUNCT:
		if (tok_is(p, "{"))
			return parse_object(p);
		if (tok_is(p, "["))
			return parse_array(p);
		if (tok_is(p, "-")) {
			/* A negative number literal; JSONata folds "- 1" the same way. */
			if (ncm_jsonata_number_at(p, ncm_jsonata_skip_space(p, t.end))) {
				minus = t.start;
				if (ncm_jsonata_next(p))
					return -1;
				t = p->tok;
				v = ncm_jsonata_number_value(p, t.start, t.end, 1, minus);
				return v ? literal(p, &t, v, minus) : -1;
			}
			ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, t.start,
					 "negation (-) of anything but a number literal "
					 "is not supported");
			return -1;
		}
		if (fail_feature(p, prefix_features, COUNT(prefix_features), t.start))
			return -1;
		break;
	case NCM_JSONATA_TOK_EOF:
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, t.start,
				 "unexpected end of expression");
		return -1;
	}
	describe(p, &t, text);
	ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, t.start, "unexpected %s", text);
	return -1;
}

static int parse_expr(struct ncm_jsonata_parser *p)
{
	size_t start = p->tok.start;
	int idx = parse_operand(p);

	if (idx < 0)
		return -1;
	/* Paths consume their dots and literals refuse them, so this follows a constructor. */
	if (tok_is(p, ".")) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_UNSUPPORTED, p->tok.start,
				 "paths on constructed values ({...}.name, [...].name) "
				 "are not supported");
		return -1;
	}
	return check_follow(p, start) ? -1 : idx;
}

/* The whole expression: one operand, then the end. */
int ncm_jsonata_parse(struct ncm_jsonata_parser *p, const char *expr, size_t len,
		      struct ncm_jsonata_error *err)
{
	char text[NCM_JSONATA_SHOW_SIZE + 2];
	int root;

	memset(err, 0, sizeof(*err));
	*p = (struct ncm_jsonata_parser){ .s = expr, .len = len, .err = err };
	if (!expr) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, 0, "no expression");
		return -1;
	}
	if (len > NCM_JSONATA_MAX_LEN) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_LIMIT, NCM_JSONATA_MAX_LEN,
				 "expression longer than %d bytes", NCM_JSONATA_MAX_LEN);
		return -1;
	}
	if (ncm_jsonata_next(p))
		return -1;
	if (p->tok.kind == NCM_JSONATA_TOK_EOF) {
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, p->tok.start, "empty expression");
		return -1;
	}
	root = parse_expr(p);
	if (root < 0)
		return -1;
	if (p->tok.kind != NCM_JSONATA_TOK_EOF) {
		describe(p, &p->tok, text);
		ncm_jsonata_fail(p, NCM_JSONATA_ERR_SYNTAX, p->tok.start,
				 "expected end of expression, found %s", text);
		return -1;
	}
	return root;
}

void ncm_jsonata_parser_release(struct ncm_jsonata_parser *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		json_decref(p->nodes[i].val);
	free(p->nodes);
	p->nodes = NULL;
	p->n = p->cap = 0;
}
