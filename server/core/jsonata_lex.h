/* SPDX-License-Identifier: MIT
 * jsonata_lex.h: the tokens of the JSONata tokenizer (jsonata_lex.c), read by the parser
 * (jsonata_parse.c) only. Pure. Any thread.
 */
#ifndef NCM_JSONATA_LEX_H
#define NCM_JSONATA_LEX_H

#include "jsonata_internal.h"

enum jtok_type { TK_END, TK_NAME, TK_VAR, TK_OP, TK_STR, TK_NUM, TK_VALUE, TK_REGEX };

struct jtok {
	enum jtok_type type;
	size_t pos;        /* byte offset of the token's start */
	char op[4];        /* TK_OP: "+", "..", "and" */
	const char *s;     /* TK_NAME, TK_VAR (without $), TK_STR (decoded), TK_REGEX */
	size_t slen;
	const char *flags; /* TK_REGEX */
	double num;        /* TK_NUM */
	int vkind;         /* TK_VALUE: 0 false, 1 true, 2 null */
};

struct jlex {
	struct jctx *cx;
	const char *s;
	size_t len, pos;
};

void ncm_jx_lex(struct jlex *lx, struct jtok *t, int prefix);

#endif
