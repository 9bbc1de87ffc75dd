/* SPDX-License-Identifier: MIT
 * jsonata_internal.h: what the parts of the JSONata engine share and nothing outside them may
 * include: the value model (jsonata_val.c), the AST (jsonata_parse.c, fed by jsonata_lex.c),
 * the evaluator state (jsonata_eval.c), the function library (jsonata_fn.c) and the date and
 * number pictures (jsonata_time.c). The public contract is jsonata.h; docs/jsonata.md
 * describes the semantics and the limits.
 *
 * Memory: everything an evaluation makes (AST, values, environments) lives in one arena that is
 * dropped as a whole at the end, so values are shared freely and never reference counted. The
 * arena has a byte budget, which is the hard limit on the memory (and output size) of one
 * evaluation. Pure: no I/O, no globals. Any thread.
 */
#ifndef NCM_JSONATA_INTERNAL_H
#define NCM_JSONATA_INTERNAL_H

#include <setjmp.h>
#include <stddef.h>

#include <jansson.h>

#include "jsonata.h"

#define NCM_JSONATA_MSG_OOM "out of memory"

/* ---- arena ---- */

struct jarena_chunk;
struct jcleanup {
	void (*fn)(void *);
	void *p;
	struct jcleanup *next;
};

struct jarena {
	struct jarena_chunk *head;
	size_t used, budget; /* bytes handed out, and the most allowed */
	struct jcleanup *cleanups;
};

/* ---- values ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ, J_FUNC };

struct jv;
struct jfn;

struct jprop {
	const char *k;
	size_t klen;
	struct jv *v;
};

/* A JSONata value; NULL is undefined. Arrays carry jsonata-js's hidden flags. */
struct jv {
	enum jtype t;
	unsigned char b;     /* J_BOOL */
	unsigned char seq;   /* array is a sequence (flattened by paths, unwrapped when single) */
	unsigned char keep;  /* sequence keeps a single item as an array ([] on a step) */
	unsigned char cons;  /* array built by a constructor at a path's start or end */
	unsigned char outer; /* the outer wrapper around an array input */
	unsigned char tuple; /* sequence of tuple bindings (objects: "@" plus variables) */
	double n;            /* J_NUM */
	const char *s;       /* J_STR: NUL-terminated, slen bytes of UTF-8 */
	size_t slen;
	struct jv **a; /* J_ARR */
	size_t an, acap;
	struct jprop *o; /* J_OBJ, in insertion order */
	size_t on, ocap;
	struct jfn *f; /* J_FUNC */
};

/* ---- AST ---- */

enum jnode_type {
	N_PATH, N_BINARY, N_NEG, N_ARRAY, N_OBJECT, N_NAME, N_STRING, N_NUMBER, N_VALUE,
	N_WILDCARD, N_DESCENDANT, N_PARENT, N_CONDITION, N_BLOCK, N_BIND, N_REGEX,
	N_FUNCTION, N_PARTIAL, N_VARIABLE, N_LAMBDA, N_APPLY, N_TRANSFORM, N_SORT,
	N_PLACEHOLDER,
};

/* Binary operators. */
enum jop {
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_CONCAT, OP_AND, OP_OR, OP_IN, OP_RANGE,
};

struct jnode;

struct jstage {
	int is_index;        /* 0: filter by expr; 1: bind the position to var */
	struct jnode *expr;
	const char *var;
};

struct jpair {
	struct jnode *k, *v;
};

struct jsig;

struct jnode {
	enum jnode_type type;
	enum jop op;
	size_t pos;       /* byte offset, for errors */
	struct jv *lit;   /* STRING, NUMBER, VALUE literal; NAME/VARIABLE name as a string */
	const char *name; /* NAME, VARIABLE (without $), FUNCTION/PARTIAL procedure name */
	struct jnode *lhs, *rhs, *cond, *then, *els;
	struct jnode **items; /* PATH steps, ARRAY items, BLOCK expressions, call arguments,
			       * LAMBDA parameters (VARIABLE nodes), SORT terms */
	int nitems;
	struct jpair *pairs; /* OBJECT constructor or group-by */
	int npairs;
	struct jnode *group;  /* a group-by (an N_OBJECT) on this node or path */
	struct jstage *stages; /* predicates and index binds on a path step */
	int nstages;
	struct jnode **preds; /* predicates on an expression that is not a path step */
	int npreds;
	const char *focus, *index; /* @$v and #$v binds */
	unsigned char tuple, keep_array, consarray, keep_singleton, descending;
	void *re;          /* REGEX: compiled pattern (pcre2_code) */
	struct jsig *sig;  /* LAMBDA signature, or NULL */
};

/* ---- function signatures ---- */

#define JSIG_MAX 8
struct jsig_param {
	char cls[12];   /* the type letters accepted, 'm' for undefined */
	char quant;     /* 0, '?' or '+' */
	char type;      /* s n b l o a f j x or '(' for a choice */
	char sub;       /* array subtype letter, or 0 */
	unsigned char context;
};
struct jsig {
	struct jsig_param p[JSIG_MAX];
	int n;
};

/* ---- environment and functions ---- */

struct jbind {
	const char *name;
	struct jv *v;
	struct jbind *next;
};
struct jenv {
	struct jenv *parent;
	struct jbind *b;
};

struct jctx;
typedef struct jv *(*jbuiltin_fn)(struct jctx *cx, struct jv **args, int nargs,
				  struct jv *input);

struct jbuiltin {
	const char *name;
	const char *sig;
	jbuiltin_fn fn;
	int arity; /* what jsonata-js's implementation declares, for $map & co */
};

enum jfn_kind { F_LAMBDA, F_BUILTIN, F_PARTIAL, F_REGEX, F_CHAIN, F_TRANSFORM };

struct jfn {
	enum jfn_kind kind;
	const struct jbuiltin *bi; /* BUILTIN */
	struct jnode *node;        /* LAMBDA (the lambda), REGEX, TRANSFORM */
	struct jenv *env;          /* LAMBDA, TRANSFORM */
	struct jv *input;          /* LAMBDA */
	struct jsig *sig;          /* parsed signature, or NULL */
	struct jv *target;         /* PARTIAL: the function; CHAIN: first function */
	struct jv *second;         /* CHAIN: second function */
	struct jv **args;          /* PARTIAL: arguments, NULL entries are placeholders */
	unsigned char *hole;
	int nargs;
};

/* ---- evaluation context ---- */

struct jctx {
	struct jarena ar;
	jmp_buf jb;  /* errors unwind here */
	struct ncm_jsonata_error *err;
	const char *src; /* the expression */
	size_t srclen;
	size_t steps, max_steps;
	int depth, max_depth;
	struct jenv *global;
	long long now_ms; /* the evaluation's timestamp, for $now() and $millis() */
	unsigned rand_state;
	int eval_nesting; /* $eval recursion */
	void *mctx;       /* PCRE2 match context with the backtracking limits, made on first use */
};

/* Aborts the evaluation with a JSONata error: code is 1 (syntax), 2 (evaluation) or 3
 * (limit), ref the reference code ("T2001") or NULL, pos a byte offset. */
_Noreturn void ncm_jx_fail(struct jctx *cx, int code, const char *ref, size_t pos,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* jsonata_val.c */
void *ncm_jx_alloc(struct jctx *cx, size_t n);
char *ncm_jx_strndup(struct jctx *cx, const char *s, size_t n);
/* A cleanup record run when the arena is freed, linked before the resource it will release
 * is made (so a failing allocation cannot leak it); fill in fn and p once it exists. */
struct jcleanup *ncm_jx_cleanup_slot(struct jctx *cx);
void ncm_jx_arena_free(struct jarena *ar);
struct jv *ncm_jx_num(struct jctx *cx, double d);
struct jv *ncm_jx_str(struct jctx *cx, const char *s, size_t n);
struct jv *ncm_jx_cstr(struct jctx *cx, const char *s);
struct jv *ncm_jx_bool(struct jctx *cx, int b);
struct jv *ncm_jx_null(struct jctx *cx);
struct jv *ncm_jx_arr(struct jctx *cx);
struct jv *ncm_jx_seq(struct jctx *cx);
struct jv *ncm_jx_obj(struct jctx *cx);
struct jv *ncm_jx_func(struct jctx *cx, struct jfn *f);
void ncm_jx_push(struct jctx *cx, struct jv *arr, struct jv *v);
struct jv *ncm_jx_get(const struct jv *obj, const char *k, size_t klen);
void ncm_jx_set(struct jctx *cx, struct jv *obj, const char *k, size_t klen, struct jv *v);
void ncm_jx_del(struct jv *obj, const char *k, size_t klen);
/* Indexes of obj's properties in the order JavaScript enumerates them (array-index keys
 * first, ascending, then the rest in insertion order). Arena memory. */
size_t *ncm_jx_keys_order(struct jctx *cx, const struct jv *obj);
struct jv *ncm_jx_from_json(struct jctx *cx, const json_t *j, int depth);
json_t *ncm_jx_to_json(const struct jv *v); /* NULL on undefined or OOM */
int ncm_jx_deep_equal(const struct jv *a, const struct jv *b);
struct jv *ncm_jx_clone(struct jctx *cx, const struct jv *v);
/* JavaScript's Number.prototype.toString() for finite d into buf (32 bytes). */
void ncm_jx_numfmt(char *buf, double d);
/* JSON.stringify with jsonata's replacer (numbers to 15 significant digits, functions as
 * ""), indented by 2 when pretty. */
struct jv *ncm_jx_stringify(struct jctx *cx, const struct jv *v, int pretty);
int ncm_jx_is_int(double d);

/* jsonata_lex.c / jsonata_parse.c */
struct jnode *ncm_jx_parse(struct jctx *cx, const char *s, size_t len);
struct jsig *ncm_jx_parse_sig(struct jctx *cx, const char *s, size_t len, size_t pos);

/* jsonata_eval.c */
struct jv *ncm_jx_eval(struct jctx *cx, struct jnode *n, struct jv *input, struct jenv *env);
struct jv *ncm_jx_apply(struct jctx *cx, struct jv *fn, struct jv **args, int nargs,
			struct jv *input, size_t pos);
int ncm_jx_boolean(struct jctx *cx, const struct jv *v); /* -1 for undefined */
int ncm_jx_arity(const struct jv *fn);
struct jenv *ncm_jx_env(struct jctx *cx, struct jenv *parent);
void ncm_jx_bind(struct jctx *cx, struct jenv *env, const char *name, struct jv *v);
struct jv *ncm_jx_lookup(struct jenv *env, const char *name);
void ncm_jx_tick(struct jctx *cx, size_t pos);
long long ncm_jx_now_ms(struct jctx *cx);
struct jv *ncm_jx_string(struct jctx *cx, struct jv *v, int pretty, size_t pos);
int ncm_jx_is_seq(const struct jv *v);
struct jv *ncm_jx_append(struct jctx *cx, struct jv *a, struct jv *b);

/* jsonata_time.c: $fromMillis/$now formatting; picture and tz may be NULL. */
struct jv *ncm_jx_format_datetime(struct jctx *cx, double ms, const struct jv *picture,
				  const struct jv *tz);

struct jv *ncm_jx_format_number(struct jctx *cx, double value, const struct jv *picture,
				double (*round_to)(double, int));

struct jv *ncm_jx_format_integer(struct jctx *cx, double value, const struct jv *picture);

/* jsonata_fn.c */
const struct jbuiltin *ncm_jx_builtin(const char *name);
/* Checks args against sig as jsonata-js does (context argument, arrays for 'a'); 0 with the
 * arguments to call with in *outargs, or (soft) -1 where it would fail with T0410-T0412. */
int ncm_jx_validate(struct jctx *cx, struct jsig *sig, struct jv **args, int nargs,
		    struct jv *input, const char *fname, size_t pos, int *outn,
		    struct jv ***outargs, int soft);
struct jv *ncm_jx_sort(struct jctx *cx, struct jv *arr,
		       int (*gt)(struct jctx *, struct jv *, struct jv *, void *), void *ud);
struct jv *ncm_jx_regex_call(struct jctx *cx, struct jnode *re, const char *s, size_t slen,
			     size_t from);
void *ncm_jx_regex_compile(struct jctx *cx, const char *pat, size_t n, const char *flags,
			   size_t pos);

#endif
