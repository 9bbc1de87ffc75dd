/* SPDX-License-Identifier: MIT
 * jsonata_internal.h: what the three parts of the JSONata subset share and nothing outside them
 * may include: the tokens jsonata_lex.c produces, the AST jsonata_parse.c builds, the parser
 * state the evaluator (jsonata_eval.c) reads, and the one error recorder all three use. The
 * public contract is jsonata.h. Pure: no I/O, no globals. Any thread.
 */
#ifndef NCM_JSONATA_INTERNAL_H
#define NCM_JSONATA_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "jsonata.h"

/* struct ncm_jsonata_error.code values. */
enum ncm_jsonata_code {
	NCM_JSONATA_ERR_SYNTAX = 1,
	NCM_JSONATA_ERR_UNSUPPORTED = 2,
	NCM_JSONATA_ERR_LIMIT = 3, /* too long, too deep, too much work, out of memory */
};

#define NCM_JSONATA_MSG_OOM "out of memory"

/* Bytes of source text quoted in a message (the message buffer is 256 bytes), and the size of
 * a buffer that holds them after ncm_jsonata_show. */
#define NCM_JSONATA_SHOW_MAX 40
#define NCM_JSONATA_SHOW_SIZE (NCM_JSONATA_SHOW_MAX + 8)

enum ncm_jsonata_tok_kind {
	NCM_JSONATA_TOK_EOF,
	NCM_JSONATA_TOK_NAME,   /* field name, or the words true, false, null, and, or, in */
	NCM_JSONATA_TOK_QNAME,  /* `quoted name`, backticks included */
	NCM_JSONATA_TOK_STRING, /* "..." or '...', quotes included, escapes not yet checked */
	NCM_JSONATA_TOK_NUMBER, /* unsigned; a leading '-' is a NCM_JSONATA_TOK_PUNCT */
	NCM_JSONATA_TOK_VAR,    /* $, $$ or $name */
	NCM_JSONATA_TOK_PUNCT,  /* one- or two-character operator */
};

struct ncm_jsonata_tok {
	enum ncm_jsonata_tok_kind kind;
	size_t start; /* byte offsets into the expression, end exclusive */
	size_t end;
};

enum ncm_jsonata_node_kind {
	NCM_JSONATA_NODE_LIT,
	NCM_JSONATA_NODE_PATH,
	NCM_JSONATA_NODE_STEP,
	NCM_JSONATA_NODE_OBJECT,
	NCM_JSONATA_NODE_PAIR,
	NCM_JSONATA_NODE_ARRAY,
};

/* Nodes live in one array and refer to each other by index, so growing it is safe. */
struct ncm_jsonata_node {
	enum ncm_jsonata_node_kind kind;
	size_t pos;  /* byte offset of the first character, for errors */
	json_t *val; /* LIT: the value; STEP: the field name; PAIR: the key (owned references) */
	int child;   /* PATH: first step; OBJECT: first pair; ARRAY: first element; PAIR: the
		      * value */
	int next;    /* next sibling, -1 at the end */
};

struct ncm_jsonata_parser {
	const char *s; /* the expression (borrowed), len bytes, not NUL-terminated */
	size_t len;
	size_t pos;                 /* where the tokenizer continues */
	struct ncm_jsonata_tok tok; /* the lookahead token */
	int depth;                  /* constructors currently open */
	struct ncm_jsonata_node *nodes; /* owned, with the references in val */
	size_t n, cap;
	struct ncm_jsonata_error *err; /* borrowed */
};

/* jsonata_lex.c */

/* Records an error in p->err with the 1-based JSONata position of byte off; only the first
 * error is kept (the leftmost problem is the one reported). */
void ncm_jsonata_fail(struct ncm_jsonata_parser *p, int code, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Up to NCM_JSONATA_SHOW_MAX bytes of s for a message into buf (NCM_JSONATA_SHOW_SIZE bytes):
 * valid UTF-8 is kept, anything else becomes '?', so the message stays a valid JSON string. */
void ncm_jsonata_show(char *buf, const char *s, size_t n);

/* The first byte at or after i that is not white space (p->len at the end). */
size_t ncm_jsonata_skip_space(const struct ncm_jsonata_parser *p, size_t i);

/* 1 when a number token starts at byte i (i may be p->len). */
int ncm_jsonata_number_at(const struct ncm_jsonata_parser *p, size_t i);

/* Reads the next token into p->tok; -1 with p->err filled on a lexical error. */
int ncm_jsonata_next(struct ncm_jsonata_parser *p);

/* The value of the string literal token [start, end) (quotes included), with JSON escapes
 * decoded. New reference, or NULL with p->err filled. */
json_t *ncm_jsonata_decode_string(struct ncm_jsonata_parser *p, size_t start, size_t end);

/* The value of the number token [start, end), negated when neg (the '-' at sign_pos, which
 * errors point at). New reference, or NULL with p->err filled. */
json_t *ncm_jsonata_number_value(struct ncm_jsonata_parser *p, size_t start, size_t end,
				 int neg, size_t sign_pos);

/* jsonata_parse.c */

/* Parses expr (len bytes, borrowed; NULL is an error) into p, clearing err (borrowed, kept in
 * p) first. Returns the index of the root node, or -1 with err filled. p must be released with
 * ncm_jsonata_parser_release either way. */
int ncm_jsonata_parse(struct ncm_jsonata_parser *p, const char *expr, size_t len,
		      struct ncm_jsonata_error *err);
void ncm_jsonata_parser_release(struct ncm_jsonata_parser *p);

#endif
