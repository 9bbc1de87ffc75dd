/* SPDX-License-Identifier: MIT
 * jsonata_eval.c: the evaluator of the JSONata subset (jsonata.h) and its public entry points.
 * It walks the AST jsonata_parse.c built and follows jsonata-js's sequence rules for paths (map
 * over arrays, flatten, unwrap singletons, empty is undefined) and constructors. The input is
 * only read: intermediate sequences hold borrowed pointers and every value handed back is a
 * deep copy, so no reference count of the input is ever touched. Pure: no I/O, no globals.
 */
#include "jsonata_internal.h"

#include <stdlib.h>
#include <string.h>

/* Values an evaluation may visit or collect: far above any shadow, but it bounds the work (and
 * memory) if a caller hands in a jansson value with reference cycles. */
#define WORK_MAX (1u << 22)

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
	struct ncm_jsonata_parser *p;
	size_t work; /* values visited or collected so far */
};

static json_t *eval_node(struct eval *ev, int idx, const struct ctx *c);

static void ev_fail(struct eval *ev, size_t pos, const char *msg)
{
	ncm_jsonata_fail(ev->p, NCM_JSONATA_ERR_LIMIT, pos, "%s", msg);
}

/* Counts one unit of work; fails once WORK_MAX is reached. */
static int tick(struct eval *ev, size_t pos)
{
	if (++ev->work > WORK_MAX) {
		ncm_jsonata_fail(ev->p, NCM_JSONATA_ERR_LIMIT, pos,
				 "evaluation visits more than %u values", WORK_MAX);
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
			ev_fail(ev, pos, NCM_JSONATA_MSG_OOM);
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
				ev_fail(ev, pos, NCM_JSONATA_MSG_OOM);
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
static json_t *eval_path(struct eval *ev, const struct ncm_jsonata_node *nd, const struct ctx *c)
{
	const struct ncm_jsonata_node *nodes = ev->p->nodes, *st;
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
		ev_fail(ev, nd->pos, NCM_JSONATA_MSG_OOM);
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		el = copy(ev, in.v[i], nd->pos);
		if (!el || json_array_append_new(res, el)) {
			ev_fail(ev, nd->pos, NCM_JSONATA_MSG_OOM);
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
static json_t *eval_object(struct eval *ev, const struct ncm_jsonata_node *nd, const struct ctx *c)
{
	const struct ncm_jsonata_node *nodes = ev->p->nodes;
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
		ev_fail(ev, nd->pos, NCM_JSONATA_MSG_OOM);
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
			ev_fail(ev, nodes[pair].pos, NCM_JSONATA_MSG_OOM);
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
static json_t *eval_array(struct eval *ev, const struct ncm_jsonata_node *nd, const struct ctx *c)
{
	const struct ncm_jsonata_node *nodes = ev->p->nodes;
	json_t *arr = NULL, *ret = NULL, *v;
	int el, bad;

	arr = json_array();
	if (!arr) {
		ev_fail(ev, nd->pos, NCM_JSONATA_MSG_OOM);
		goto out;
	}
	for (el = nd->child; el >= 0; el = nodes[el].next) {
		v = eval_node(ev, el, c);
		if (!v) {
			if (ev->p->err->code)
				goto out;
			continue;
		}
		if (nodes[el].kind != NCM_JSONATA_NODE_ARRAY && json_is_array(v)) {
			bad = json_array_extend(arr, v);
			json_decref(v);
		} else {
			bad = json_array_append_new(arr, v);
		}
		if (bad) {
			ev_fail(ev, nodes[el].pos, NCM_JSONATA_MSG_OOM);
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
	const struct ncm_jsonata_node *nd = &ev->p->nodes[idx];

	switch (nd->kind) {
	case NCM_JSONATA_NODE_LIT:
		return json_incref(nd->val);
	case NCM_JSONATA_NODE_PATH:
		return eval_path(ev, nd, c);
	case NCM_JSONATA_NODE_OBJECT:
		return eval_object(ev, nd, c);
	case NCM_JSONATA_NODE_ARRAY:
		return eval_array(ev, nd, c);
	default:
		return NULL;
	}
}

json_t *ncm_jsonata_eval(const char *expr, size_t len, const json_t *input,
			 struct ncm_jsonata_error *err)
{
	struct ncm_jsonata_error local;
	struct ncm_jsonata_parser p = { 0 };
	struct eval ev = { 0 };
	/* Like jsonata-js, the input is the single value of the outermost sequence, so an input
	 * array is mapped over rather than kept whole by a one-step path. */
	struct ctx top = { NULL, &input, input ? 1 : 0, 1 };
	json_t *res = NULL;
	int root;

	if (!err)
		err = &local;
	root = ncm_jsonata_parse(&p, expr, len, err);
	if (root < 0)
		goto out;
	ev.p = &p;
	res = eval_node(&ev, root, &top);
	if (err->code) {
		json_decref(res);
		res = NULL;
	}
out:
	ncm_jsonata_parser_release(&p);
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
