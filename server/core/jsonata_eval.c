/* SPDX-License-Identifier: MIT
 * jsonata_eval.c: the JSONata evaluator and the public entry points (jsonata.h). It follows
 * jsonata-js 2.0's evaluation rules: paths map each step over a sequence and flatten one level
 * (constructed arrays excepted), a sequence of one is its item unless marked by '[]', empty is
 * undefined; predicates filter by boolean or index; '@' and '#' turn a path into a stream of
 * tuple bindings; object constructors group; functions are lambdas, built-ins, partial
 * applications, regexes, transforms and '~>' chains. Every evaluation is bounded: steps,
 * nesting depth and arena bytes (jsonata.h). Pure: no I/O, no globals. Any thread.
 */
#include "jsonata_internal.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Noreturn void ncm_jx_fail(struct jctx *cx, int code, const char *ref, size_t pos,
			   const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	size_t p = 1, i;

	/* positions count UTF-16 units, as JSONata's do */
	for (i = 0; i < pos && i < cx->srclen; i++) {
		unsigned char b = (unsigned char)cx->src[i];

		if ((b & 0xc0) != 0x80)
			p += b >= 0xf0 ? 2 : 1;
	}
	if (pos > cx->srclen)
		p += pos - cx->srclen;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cx->err) {
		cx->err->code = code;
		cx->err->position = p;
		snprintf(cx->err->ref, sizeof(cx->err->ref), "%s", ref ? ref : "");
		if (ref)
			snprintf(cx->err->message, sizeof(cx->err->message), "%.7s: %.240s", ref, msg);
		else
			snprintf(cx->err->message, sizeof(cx->err->message), "%s", msg);
	}
	longjmp(cx->jb, 1);
}

/* The evaluation's timestamp: the clock is read once, and only by an expression that asks
 * for it ($now(), $millis(), $random()), so evaluation stays a pure function otherwise. */
long long ncm_jx_now_ms(struct jctx *cx)
{
	struct timespec ts;

	if (cx->now_ms < 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		cx->now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		cx->rand_state = (unsigned)ts.tv_nsec | 1u;
	}
	return cx->now_ms;
}

void ncm_jx_tick(struct jctx *cx, size_t pos)
{
	if (++cx->steps > cx->max_steps)
		ncm_jx_fail(cx, 3, "U1001", pos, "evaluation takes more than %zu steps",
			    cx->max_steps);
}

struct jenv *ncm_jx_env(struct jctx *cx, struct jenv *parent)
{
	struct jenv *e = ncm_jx_alloc(cx, sizeof(*e));

	e->parent = parent;
	return e;
}

void ncm_jx_bind(struct jctx *cx, struct jenv *env, const char *name, struct jv *v)
{
	struct jbind *b;

	for (b = env->b; b; b = b->next)
		if (!strcmp(b->name, name)) {
			b->v = v;
			return;
		}
	b = ncm_jx_alloc(cx, sizeof(*b));
	b->name = name;
	b->v = v;
	b->next = env->b;
	env->b = b;
}

/* Variables first (an undefined binding falls through, as in jsonata-js), then built-ins. */
struct jv *ncm_jx_lookup(struct jenv *env, const char *name)
{
	struct jbind *b;

	for (; env; env = env->parent)
		for (b = env->b; b; b = b->next)
			if (!strcmp(b->name, name) && b->v)
				return b->v;
	return NULL;
}

int ncm_jx_is_seq(const struct jv *v)
{
	return v && v->t == J_ARR && v->seq;
}

static struct jv *lookup_var(struct jctx *cx, struct jenv *env, const char *name)
{
	struct jv *v = ncm_jx_lookup(env, name);
	const struct jbuiltin *bi;
	struct jfn *f;

	if (v)
		return v;
	bi = ncm_jx_builtin(name);
	if (!bi)
		return NULL;
	f = ncm_jx_alloc(cx, sizeof(*f));
	f->kind = F_BUILTIN;
	f->bi = bi;
	f->sig = ncm_jx_parse_sig(cx, bi->sig, strlen(bi->sig), 0);
	return ncm_jx_func(cx, f);
}

/* createSequence(v): a sequence of one item, even when v is undefined (jsonata-js then
 * evaluates steps and predicates once against undefined). */
static struct jv *seq1(struct jctx *cx, struct jv *v)
{
	struct jv *s = ncm_jx_seq(cx);

	ncm_jx_push(cx, s, v);
	return s;
}

int ncm_jx_boolean(struct jctx *cx, const struct jv *v)
{
	size_t i;

	if (!v)
		return -1;
	switch (v->t) {
	case J_NULL: return 0;
	case J_BOOL: return v->b;
	case J_NUM:
		if (isnan(v->n))
			return 0;
		if (!isfinite(v->n))
			ncm_jx_fail(cx, 2, "D1001", 0, "Number out of range");
		return v->n != 0;
	case J_STR: return v->slen > 0;
	case J_FUNC: return 0;
	case J_OBJ:
		for (i = 0; i < v->on; i++)
			if (v->o[i].v)
				return 1;
		return 0;
	case J_ARR:
		if (v->an == 1)
			return ncm_jx_boolean(cx, v->a[0]) == 1;
		for (i = 0; i < v->an; i++)
			if (ncm_jx_boolean(cx, v->a[i]) == 1)
				return 1;
		return 0;
	}
	return 0;
}

static int boolize(struct jctx *cx, const struct jv *v)
{
	return ncm_jx_boolean(cx, v) == 1;
}

static const char *type_word(const struct jv *v)
{
	if (!v)
		return "undefined";
	switch (v->t) {
	case J_NULL: return "null";
	case J_BOOL: return "boolean";
	case J_NUM: return "number";
	case J_STR: return "string";
	case J_ARR: return "array";
	case J_OBJ: return "object";
	case J_FUNC: return "function";
	}
	return "?";
}

static int is_number(struct jctx *cx, const struct jv *v, size_t pos)
{
	if (!v || v->t != J_NUM || isnan(v->n))
		return 0;
	if (!isfinite(v->n))
		ncm_jx_fail(cx, 2, "D1001", pos, "Number out of range");
	return 1;
}

/* fn.append: a concatenation, which in jsonata-js (Array.prototype.concat) is always a plain
 * array, never a sequence, even when a was one. */
struct jv *ncm_jx_append(struct jctx *cx, struct jv *a, struct jv *b)
{
	struct jv *r;
	size_t i;

	if (!a)
		return b;
	if (!b)
		return a;
	r = ncm_jx_arr(cx);
	if (a->t == J_ARR) {
		for (i = 0; i < a->an; i++)
			ncm_jx_push(cx, r, a->a[i]);
	} else {
		ncm_jx_push(cx, r, a);
	}
	if (b->t == J_ARR)
		for (i = 0; i < b->an; i++)
			ncm_jx_push(cx, r, b->a[i]);
	else
		ncm_jx_push(cx, r, b);
	return r;
}

static struct jv *eval(struct jctx *cx, struct jnode *n, struct jv *input, struct jenv *env);

/* fn.lookup: a field of an object, mapped (and flattened one level) over arrays. */
static struct jv *lookup_field(struct jctx *cx, struct jv *input, const char *k, size_t klen)
{
	struct jv *r, *m;
	size_t i, j;

	if (!input)
		return NULL;
	if (input->t == J_ARR) {
		r = ncm_jx_seq(cx);
		for (i = 0; i < input->an; i++) {
			ncm_jx_tick(cx, 0);
			m = lookup_field(cx, input->a[i], k, klen);
			if (!m)
				continue;
			if (m->t == J_ARR)
				for (j = 0; j < m->an; j++)
					ncm_jx_push(cx, r, m->a[j]);
			else
				ncm_jx_push(cx, r, m);
		}
		return r;
	}
	if (input->t == J_OBJ)
		return ncm_jx_get(input, k, klen);
	return NULL;
}

static void flatten_into(struct jctx *cx, struct jv *out, struct jv *v)
{
	size_t i;

	if (v && v->t == J_ARR) {
		for (i = 0; i < v->an; i++)
			flatten_into(cx, out, v->a[i]);
	} else if (v) {
		ncm_jx_push(cx, out, v);
	}
}

static struct jv *eval_wildcard(struct jctx *cx, struct jv *input)
{
	struct jv *r = ncm_jx_seq(cx);
	size_t i, *ix;

	if (input && input->t == J_ARR && input->outer && input->an > 0)
		input = input->a[0];
	if (input && input->t == J_ARR) { /* Object.keys() of an array: its indexes */
		for (i = 0; i < input->an; i++) {
			struct jv *v = input->a[i];

			ncm_jx_tick(cx, 0);
			if (v && v->t == J_ARR) {
				struct jv *flat = ncm_jx_arr(cx);

				flatten_into(cx, flat, v);
				r = ncm_jx_append(cx, r, flat);
			} else if (v) {
				ncm_jx_push(cx, r, v);
			}
		}
	} else if (input && input->t == J_OBJ) {
		ix = ncm_jx_keys_order(cx, input);
		for (i = 0; i < input->on; i++) {
			struct jv *v = input->o[ix[i]].v;

			ncm_jx_tick(cx, 0);
			if (v && v->t == J_ARR) {
				struct jv *flat = ncm_jx_arr(cx);

				flatten_into(cx, flat, v);
				r = ncm_jx_append(cx, r, flat);
			} else if (v) {
				ncm_jx_push(cx, r, v);
			}
		}
	}
	return r;
}

static void descend(struct jctx *cx, struct jv *v, struct jv *out, int depth)
{
	size_t i, *ix;

	ncm_jx_tick(cx, 0);
	if (depth > 1000)
		ncm_jx_fail(cx, 3, NULL, 0, "input nested too deeply for **");
	if (!v)
		return;
	if (v->t != J_ARR)
		ncm_jx_push(cx, out, v);
	if (v->t == J_ARR) {
		for (i = 0; i < v->an; i++)
			descend(cx, v->a[i], out, depth + 1);
	} else if (v->t == J_OBJ) {
		ix = ncm_jx_keys_order(cx, v);
		for (i = 0; i < v->on; i++)
			if (v->o[ix[i]].v)
				descend(cx, v->o[ix[i]].v, out, depth + 1);
	}
}

static struct jv *eval_descendants(struct jctx *cx, struct jv *input)
{
	struct jv *r;

	if (!input)
		return NULL;
	r = ncm_jx_seq(cx);
	descend(cx, input, r, 0);
	return r->an == 1 ? r->a[0] : r;
}

static int is_array_of_numbers(const struct jv *v)
{
	size_t i;

	if (!v || v->t != J_ARR)
		return 0;
	for (i = 0; i < v->an; i++)
		if (!v->a[i] || v->a[i]->t != J_NUM)
			return 0;
	return 1;
}

static struct jenv *frame_from_tuple(struct jctx *cx, struct jenv *env, struct jv *tuple)
{
	struct jenv *e = ncm_jx_env(cx, env);
	size_t i;

	for (i = 0; tuple && i < tuple->on; i++)
		ncm_jx_bind(cx, e, tuple->o[i].k, tuple->o[i].v);
	return e;
}

static struct jv *eval_filter(struct jctx *cx, struct jnode *pred, struct jv *input,
			      struct jenv *env)
{
	struct jv *r = ncm_jx_seq(cx), *item, *res, *ctx;
	struct jenv *e;
	size_t i, k;

	if (input && input->t == J_ARR && input->tuple)
		r->tuple = 1;
	if (!input || input->t != J_ARR)
		input = seq1(cx, input);
	if (pred->type == N_NUMBER) {
		double idx = floor(pred->lit->n);

		if (idx < 0)
			idx += (double)input->an;
		if (idx >= 0 && idx < (double)input->an) {
			item = input->a[(size_t)idx];
			if (item && item->t == J_ARR)
				return item;
			if (item)
				ncm_jx_push(cx, r, item);
		}
		return r;
	}
	for (i = 0; i < input->an; i++) {
		item = input->a[i];
		ctx = item;
		e = env;
		ncm_jx_tick(cx, pred->pos);
		if (input->tuple) {
			ctx = ncm_jx_get(item, "@", 1);
			e = frame_from_tuple(cx, env, item);
		}
		res = eval(cx, pred, ctx, e);
		if (res && res->t == J_NUM && isfinite(res->n))
			res = seq1(cx, res);
		if (is_array_of_numbers(res)) {
			for (k = 0; k < res->an; k++) {
				double ii = floor(res->a[k]->n);

				if (ii < 0)
					ii += (double)input->an;
				if (ii == (double)i)
					ncm_jx_push(cx, r, item);
			}
		} else if (ncm_jx_boolean(cx, res) == 1) {
			ncm_jx_push(cx, r, item); /* even undefined, as jsonata-js does */
		}
	}
	return r;
}

static struct jv *eval_stages(struct jctx *cx, struct jnode *step, struct jv *input,
			      struct jenv *env)
{
	int s;
	size_t i;

	for (s = 0; s < step->nstages; s++) {
		struct jstage *st = &step->stages[s];

		if (!st->is_index) {
			input = eval_filter(cx, st->expr, input, env);
		} else {
			for (i = 0; input && input->t == J_ARR && i < input->an; i++)
				ncm_jx_set(cx, input->a[i], st->var, strlen(st->var),
					   ncm_jx_num(cx, (double)i));
		}
	}
	return input;
}

static struct jv *eval_sort(struct jctx *cx, struct jnode *sortn, struct jv *input,
			    struct jenv *env);

static struct jv *eval_step(struct jctx *cx, struct jnode *step, struct jv *input,
			    struct jenv *env, int last)
{
	struct jv *r, *res, *out;
	size_t i, j;
	int s;

	if (step->type == N_SORT) {
		r = eval_sort(cx, step, input, env);
		if (step->nstages)
			r = eval_stages(cx, step, r, env);
		return r;
	}
	r = ncm_jx_seq(cx);
	for (i = 0; i < input->an; i++) {
		res = eval(cx, step, input->a[i], env);
		for (s = 0; s < step->nstages; s++)
			res = eval_filter(cx, step->stages[s].expr, res, env);
		if (res)
			ncm_jx_push(cx, r, res);
	}
	if (last && r->an == 1 && r->a[0]->t == J_ARR && !r->a[0]->seq)
		return r->a[0];
	out = ncm_jx_seq(cx);
	for (i = 0; i < r->an; i++) {
		res = r->a[i];
		ncm_jx_tick(cx, step->pos);
		if (res->t != J_ARR || res->cons)
			ncm_jx_push(cx, out, res);
		else
			for (j = 0; j < res->an; j++)
				ncm_jx_push(cx, out, res->a[j]);
	}
	return out;
}

static struct jv *tuple_copy(struct jctx *cx, struct jv *t)
{
	struct jv *c = ncm_jx_obj(cx);
	size_t i;

	for (i = 0; i < t->on; i++)
		ncm_jx_set(cx, c, t->o[i].k, t->o[i].klen, t->o[i].v);
	return c;
}

static struct jv *eval_tuple_step(struct jctx *cx, struct jnode *step, struct jv *input,
				  struct jv *tb, struct jenv *env)
{
	struct jv *r, *res, *t, *at;
	size_t i, j;

	if (step->type == N_SORT) {
		if (tb) {
			r = eval_sort(cx, step, tb, env);
		} else {
			struct jv *sorted = eval_sort(cx, step, input, env);

			r = ncm_jx_seq(cx);
			r->tuple = 1;
			for (i = 0; sorted && i < sorted->an; i++) {
				t = ncm_jx_obj(cx);
				ncm_jx_set(cx, t, "@", 1, sorted->a[i]);
				if (step->index)
					ncm_jx_set(cx, t, step->index, strlen(step->index),
						   ncm_jx_num(cx, (double)i));
				ncm_jx_push(cx, r, t);
			}
		}
		if (step->nstages)
			r = eval_stages(cx, step, r, env);
		return r;
	}
	r = ncm_jx_seq(cx);
	r->tuple = 1;
	if (!tb) {
		tb = ncm_jx_seq(cx);
		for (i = 0; i < input->an; i++) {
			t = ncm_jx_obj(cx);
			ncm_jx_set(cx, t, "@", 1, input->a[i]);
			ncm_jx_push(cx, tb, t);
		}
	}
	for (i = 0; i < tb->an; i++) {
		at = ncm_jx_get(tb->a[i], "@", 1);
		res = eval(cx, step, at, frame_from_tuple(cx, env, tb->a[i]));
		if (!res)
			continue;
		if (res->t != J_ARR)
			res = seq1(cx, res);
		for (j = 0; j < res->an; j++) {
			ncm_jx_tick(cx, step->pos);
			t = tuple_copy(cx, tb->a[i]);
			if (res->tuple) {
				size_t k;

				for (k = 0; k < res->a[j]->on; k++)
					ncm_jx_set(cx, t, res->a[j]->o[k].k, res->a[j]->o[k].klen,
						   res->a[j]->o[k].v);
			} else {
				if (step->focus) {
					ncm_jx_set(cx, t, step->focus, strlen(step->focus), res->a[j]);
					ncm_jx_set(cx, t, "@", 1, at);
				} else {
					ncm_jx_set(cx, t, "@", 1, res->a[j]);
				}
				if (step->index)
					ncm_jx_set(cx, t, step->index, strlen(step->index),
						   ncm_jx_num(cx, (double)j));
			}
			ncm_jx_push(cx, r, t);
		}
	}
	if (step->nstages)
		r = eval_stages(cx, step, r, env);
	return r;
}

static struct jv *eval_group(struct jctx *cx, struct jnode *obj, struct jv *input,
			     struct jenv *env);

static struct jv *eval_path(struct jctx *cx, struct jnode *n, struct jv *input,
			    struct jenv *env)
{
	struct jv *in, *rs = NULL, *tb = NULL;
	int tuple = 0, i;
	size_t k;

	if (input && input->t == J_ARR && n->items[0]->type != N_VARIABLE)
		in = input;
	else
		in = seq1(cx, input);
	for (i = 0; i < n->nitems; i++) {
		struct jnode *step = n->items[i];

		if (step->tuple)
			tuple = 1;
		if (i == 0 && step->consarray)
			rs = eval(cx, step, in, env);
		else if (tuple)
			tb = eval_tuple_step(cx, step, in, tb, env);
		else
			rs = eval_step(cx, step, in, env, i == n->nitems - 1);
		if (!tuple && (!rs || (rs->t == J_ARR && rs->an == 0)))
			break;
		if (!step->focus) {
			in = rs;
			if (in && in->t != J_ARR)
				in = seq1(cx, in);
		}
	}
	if (tuple) {
		if (n->tuple) {
			rs = tb;
		} else {
			rs = ncm_jx_seq(cx);
			for (k = 0; tb && k < tb->an; k++)
				ncm_jx_push(cx, rs, ncm_jx_get(tb->a[k], "@", 1));
		}
	}
	if (n->keep_singleton) {
		if (rs && rs->t == J_ARR && rs->cons && !rs->seq)
			rs = seq1(cx, rs);
		if (rs && rs->t == J_ARR)
			rs->keep = 1;
	}
	if (n->group)
		rs = eval_group(cx, n->group, tuple ? tb : rs, env);
	return rs;
}

static struct jv *eval_group(struct jctx *cx, struct jnode *obj, struct jv *input,
			     struct jenv *env)
{
	struct jv *result = ncm_jx_obj(cx), *groups = ncm_jx_obj(cx), *item, *key, *ent;
	int reduce = input && input->t == J_ARR && input->tuple;
	size_t i, g;
	int p;
	struct jv **data;
	int *exprix;

	if (!input || input->t != J_ARR)
		input = seq1(cx, input);
	if (input->an == 0) {
		struct jv *one = ncm_jx_seq(cx);

		ncm_jx_push(cx, one, NULL);
		input = one;
	}
	for (i = 0; i < input->an; i++) {
		struct jenv *e = env;
		struct jv *ctx;

		item = input->a[i];
		ctx = item;
		if (reduce) {
			if (!item) /* jsonata-js fails reading '@' of undefined here */
				ncm_jx_fail(cx, 2, NULL, obj->pos,
					    "a grouping over an empty tuple stream has no value");
			e = frame_from_tuple(cx, env, item);
			ctx = ncm_jx_get(item, "@", 1);
		}
		for (p = 0; p < obj->npairs; p++) {
			ncm_jx_tick(cx, obj->pos);
			key = eval(cx, obj->pairs[p].k, ctx, e);
			if (!key)
				continue;
			if (key->t != J_STR)
				ncm_jx_fail(cx, 2, "T1003", obj->pairs[p].k->pos,
					    "Key in object structure must evaluate to a string; got: %s",
					    type_word(key));
			ent = ncm_jx_get(groups, key->s, key->slen);
			if (ent) {
				if ((int)ent->n != p)
					ncm_jx_fail(cx, 2, "D1009", obj->pairs[p].k->pos,
						    "Multiple key definitions evaluate to same key: %s",
						    key->s);
				ent->a[0] = ncm_jx_append(cx, ent->a[0], item);
			} else {
				ent = ncm_jx_arr(cx);
				ent->n = p;
				ncm_jx_push(cx, ent, item);
				ncm_jx_set(cx, groups, key->s, key->slen, ent);
			}
		}
	}
	{
		size_t *ix = ncm_jx_keys_order(cx, groups);

		data = ncm_jx_alloc(cx, (groups->on + 1) * sizeof(*data));
		exprix = ncm_jx_alloc(cx, (groups->on + 1) * sizeof(*exprix));
		for (g = 0; g < groups->on; g++) {
			struct jv *ctx, *value;
			struct jenv *e = env;
			struct jprop *gp = &groups->o[ix[g]];

			ent = gp->v;
			ctx = ent->a[0];
			if (reduce) {
				/* reduceTupleStream: the bindings of all tuples, each merged */
				struct jv *tup = ncm_jx_obj(cx), *ts = ctx;
				size_t t, q;

				if (ts->t != J_ARR)
					ts = seq1(cx, ts);
				for (t = 0; t < ts->an; t++)
					for (q = 0; q < ts->a[t]->on; q++) {
						struct jprop *pp = &ts->a[t]->o[q];

						ncm_jx_set(cx, tup, pp->k, pp->klen,
							   t == 0 ? pp->v
								  : ncm_jx_append(cx, ncm_jx_get(tup, pp->k, pp->klen),
									   pp->v));
					}
				ctx = ncm_jx_get(tup, "@", 1);
				ncm_jx_del(tup, "@", 1);
				e = frame_from_tuple(cx, env, tup);
			}
			value = eval(cx, obj->pairs[(int)ent->n].v, ctx, e);
			if (value)
				ncm_jx_set(cx, result, gp->k, gp->klen, value);
		}
	}
	return result;
}

static int sort_gt(struct jctx *cx, struct jv *a, struct jv *b, void *ud);

struct sortctx {
	struct jnode *n;
	struct jenv *env;
	int tuple;
};

static struct jv *eval_sort(struct jctx *cx, struct jnode *sortn, struct jv *input,
			    struct jenv *env)
{
	struct sortctx sc = { sortn, env, input && input->t == J_ARR && input->tuple };

	if (!input)
		return NULL;
	if (input->t != J_ARR)
		input = seq1(cx, input);
	return ncm_jx_sort(cx, input, sort_gt, &sc);
}

static int sort_gt(struct jctx *cx, struct jv *a, struct jv *b, void *ud)
{
	struct sortctx *sc = ud;
	int t, comp = 0;

	for (t = 0; comp == 0 && t < sc->n->nitems; t++) {
		struct jnode *term = sc->n->items[t];
		struct jv *ca = a, *cb = b, *aa, *bb;
		struct jenv *ea = sc->env, *eb = sc->env;

		if (sc->tuple) {
			ca = ncm_jx_get(a, "@", 1);
			ea = frame_from_tuple(cx, sc->env, a);
			cb = ncm_jx_get(b, "@", 1);
			eb = frame_from_tuple(cx, sc->env, b);
		}
		aa = eval(cx, term->lhs, ca, ea);
		bb = eval(cx, term->lhs, cb, eb);
		if (!aa) {
			comp = bb ? 1 : 0;
			continue;
		}
		if (!bb) {
			comp = -1;
			continue;
		}
		if ((aa->t != J_STR && aa->t != J_NUM) || (bb->t != J_STR && bb->t != J_NUM))
			ncm_jx_fail(cx, 2, "T2008", sc->n->pos,
				    "The expressions within an order-by clause must evaluate to "
				    "numeric or string values");
		if (aa->t != bb->t)
			ncm_jx_fail(cx, 2, "T2007", sc->n->pos,
				    "Type mismatch when comparing values in order-by clause");
		if (aa->t == J_NUM) {
			if (aa->n == bb->n)
				continue;
			comp = aa->n < bb->n ? -1 : 1;
		} else {
			int c = strcmp(aa->s, bb->s);

			if (c == 0)
				continue;
			comp = c < 0 ? -1 : 1;
		}
		if (term->descending)
			comp = -comp;
	}
	return comp == 1;
}

static int cmp_str(const struct jv *a, const struct jv *b)
{
	size_t n = a->slen < b->slen ? a->slen : b->slen;
	int c = memcmp(a->s, b->s, n);

	if (c)
		return c;
	return a->slen < b->slen ? -1 : a->slen > b->slen;
}

static const char *op_text(enum jop op)
{
	static const char *const t[] = { "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">",
		">=", "&", "and", "or", "in", ".." };

	return t[op];
}

static struct jv *eval_binary(struct jctx *cx, struct jnode *n, struct jv *input,
			      struct jenv *env)
{
	struct jv *l = eval(cx, n->lhs, input, env), *r, *res;
	double a, b, d;
	size_t i;
	int c;

	if (n->op == OP_AND)
		return ncm_jx_bool(cx, boolize(cx, l) && boolize(cx, eval(cx, n->rhs, input, env)));
	if (n->op == OP_OR)
		return ncm_jx_bool(cx, boolize(cx, l) || boolize(cx, eval(cx, n->rhs, input, env)));
	r = eval(cx, n->rhs, input, env);
	switch (n->op) {
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
		if (l && !is_number(cx, l, n->pos))
			ncm_jx_fail(cx, 2, "T2001", n->pos,
				    "The left side of the %s operator must evaluate to a number",
				    op_text(n->op));
		if (r && !is_number(cx, r, n->pos))
			ncm_jx_fail(cx, 2, "T2002", n->pos,
				    "The right side of the %s operator must evaluate to a number",
				    op_text(n->op));
		if (!l || !r)
			return NULL;
		a = l->n;
		b = r->n;
		switch (n->op) {
		case OP_ADD: d = a + b; break;
		case OP_SUB: d = a - b; break;
		case OP_MUL: d = a * b; break;
		case OP_DIV: d = a / b; break;
		default: d = fmod(a, b); break;
		}
		return ncm_jx_num(cx, d);
	case OP_EQ: case OP_NE:
		if (!l || !r)
			return ncm_jx_bool(cx, 0);
		c = ncm_jx_deep_equal(l, r);
		return ncm_jx_bool(cx, n->op == OP_EQ ? c : !c);
	case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		/* typeof: NaN and Infinity are numbers here */
		if ((l && l->t != J_STR && l->t != J_NUM) || (r && r->t != J_STR && r->t != J_NUM))
			ncm_jx_fail(cx, 2, "T2010", n->pos,
				    "The expressions either side of operator %s must evaluate to "
				    "numeric or string values", op_text(n->op));
		if (!l || !r)
			return NULL;
		if (l->t != r->t)
			ncm_jx_fail(cx, 2, "T2009", n->pos,
				    "The values either side of operator %s must be of the same "
				    "data type", op_text(n->op));
		if (l->t == J_NUM && (isnan(l->n) || isnan(r->n)))
			return ncm_jx_bool(cx, 0);
		c = l->t == J_NUM ? (l->n < r->n ? -1 : l->n > r->n) : cmp_str(l, r);
		switch (n->op) {
		case OP_LT: return ncm_jx_bool(cx, c < 0);
		case OP_LE: return ncm_jx_bool(cx, c <= 0);
		case OP_GT: return ncm_jx_bool(cx, c > 0);
		default: return ncm_jx_bool(cx, c >= 0);
		}
	case OP_CONCAT: {
		struct jv *ls = l ? ncm_jx_string(cx, l, 0, n->pos) : NULL;
		struct jv *rs = r ? ncm_jx_string(cx, r, 0, n->pos) : NULL;
		size_t ln = ls ? ls->slen : 0, rn = rs ? rs->slen : 0;
		char *buf = ncm_jx_alloc(cx, ln + rn + 1);

		if (ln)
			memcpy(buf, ls->s, ln);
		if (rn)
			memcpy(buf + ln, rs->s, rn);
		res = ncm_jx_alloc(cx, sizeof(*res));
		res->t = J_STR;
		res->s = buf;
		res->slen = ln + rn;
		return res;
	}
	case OP_IN:
		if (!l || !r)
			return ncm_jx_bool(cx, 0);
		if (r->t != J_ARR)
			r = seq1(cx, r);
		for (i = 0; i < r->an; i++) {
			struct jv *x = r->a[i];

			if (!x || x->t != l->t)
				continue;
			if ((x->t == J_NUM && x->n == l->n) || (x->t == J_BOOL && x->b == l->b) ||
			    x->t == J_NULL || (x->t == J_STR && !cmp_str(x, l)) || x == l)
				return ncm_jx_bool(cx, 1);
		}
		return ncm_jx_bool(cx, 0);
	case OP_RANGE:
		if (l && !(l->t == J_NUM && ncm_jx_is_int(l->n)))
			ncm_jx_fail(cx, 2, "T2003", n->pos,
				    "The left side of the range operator (..) must evaluate to an "
				    "integer");
		if (r && !(r->t == J_NUM && ncm_jx_is_int(r->n)))
			ncm_jx_fail(cx, 2, "T2004", n->pos,
				    "The right side of the range operator (..) must evaluate to an "
				    "integer");
		if (!l || !r || l->n > r->n)
			return NULL;
		if (r->n - l->n + 1 > 1e7)
			ncm_jx_fail(cx, 2, "D2014", n->pos,
				    "The size of the sequence allocated by the range operator (..) "
				    "must not exceed 1e6.  Attempted to allocate %.0f.",
				    r->n - l->n + 1);
		res = ncm_jx_seq(cx);
		for (d = l->n; d <= r->n; d++) {
			ncm_jx_tick(cx, n->pos);
			ncm_jx_push(cx, res, ncm_jx_num(cx, d));
		}
		return res;
	default:
		break;
	}
	return NULL;
}

static struct jv *eval_array(struct jctx *cx, struct jnode *n, struct jv *input,
			     struct jenv *env)
{
	struct jv *r = ncm_jx_arr(cx), *v;
	int i;
	size_t k;

	for (i = 0; i < n->nitems; i++) {
		v = eval(cx, n->items[i], input, env);
		if (!v)
			continue;
		if (n->items[i]->type == N_ARRAY) {
			ncm_jx_push(cx, r, v);
		} else if (v->t == J_ARR) {
			for (k = 0; k < v->an; k++)
				ncm_jx_push(cx, r, v->a[k]);
		} else {
			ncm_jx_push(cx, r, v);
		}
	}
	if (n->consarray)
		r->cons = 1;
	return r;
}

static struct jv *make_fn(struct jctx *cx, enum jfn_kind kind)
{
	struct jfn *f = ncm_jx_alloc(cx, sizeof(*f));

	f->kind = kind;
	return ncm_jx_func(cx, f);
}

static struct jv *apply_depth(struct jctx *cx, struct jv *fn, struct jv **args, int nargs,
			      struct jv *input, size_t pos);

static struct jv *eval_function(struct jctx *cx, struct jnode *n, struct jv *input,
				struct jenv *env, struct jv *context, int has_context)
{
	struct jv *proc = eval(cx, n->lhs, input, env);
	struct jv **args;
	int i, k = 0;

	if (!proc && n->lhs->type == N_PATH && n->lhs->items[0]->type == N_NAME &&
	    lookup_var(cx, env, n->lhs->items[0]->name))
		ncm_jx_fail(cx, 2, "T1005", n->pos,
			    "Attempted to invoke a non-function. Did you mean $%s?",
			    n->lhs->items[0]->name);
	args = ncm_jx_alloc(cx, (size_t)(n->nitems + 1) * sizeof(*args));
	if (has_context)
		args[k++] = context;
	for (i = 0; i < n->nitems; i++)
		args[k++] = eval(cx, n->items[i], input, env);
	if (!proc || proc->t != J_FUNC)
		ncm_jx_fail(cx, 2, "T1006", n->pos, "Attempted to invoke a non-function");
	return apply_depth(cx, proc, args, k, input, n->pos);
}

static struct jv *eval_partial(struct jctx *cx, struct jnode *n, struct jv *input,
			       struct jenv *env)
{
	struct jv *proc, *r;
	int i;

	r = make_fn(cx, F_PARTIAL);
	r->f->nargs = n->nitems;
	r->f->args = ncm_jx_alloc(cx, (size_t)(n->nitems + 1) * sizeof(*r->f->args));
	r->f->hole = ncm_jx_alloc(cx, (size_t)n->nitems + 1);
	for (i = 0; i < n->nitems; i++) {
		if (n->items[i]->type == N_PLACEHOLDER)
			r->f->hole[i] = 1;
		else
			r->f->args[i] = eval(cx, n->items[i], input, env);
	}
	proc = eval(cx, n->lhs, input, env);
	if (!proc && n->lhs->type == N_PATH && n->lhs->items[0]->type == N_NAME &&
	    lookup_var(cx, env, n->lhs->items[0]->name))
		ncm_jx_fail(cx, 2, "T1007", n->pos,
			    "Attempted to partially apply a non-function. Did you mean $%s?",
			    n->lhs->items[0]->name);
	if (!proc || proc->t != J_FUNC)
		ncm_jx_fail(cx, 2, "T1008", n->pos, "Attempted to partially apply a non-function");
	r->f->target = proc;
	return r;
}

static struct jv *eval_transform(struct jctx *cx, struct jnode *n, struct jenv *env)
{
	struct jv *r = make_fn(cx, F_TRANSFORM);

	r->f->node = n;
	r->f->env = env;
	r->f->sig = ncm_jx_parse_sig(cx, "<(oa):o>", 8, n->pos);
	return r;
}

static struct jv *run_transform(struct jctx *cx, struct jfn *f, struct jv *obj)
{
	struct jnode *n = f->node;
	struct jv *result, *matches, *upd, *del;
	size_t i, j, k;

	if (!obj)
		return NULL;
	result = ncm_jx_clone(cx, obj);
	matches = eval(cx, n->lhs, result, f->env);
	if (!matches)
		return result;
	if (matches->t != J_ARR)
		matches = seq1(cx, matches);
	for (i = 0; i < matches->an; i++) {
		struct jv *m = matches->a[i];

		upd = eval(cx, n->rhs, m, f->env);
		if (upd) {
			if (upd->t != J_OBJ)
				ncm_jx_fail(cx, 2, "T2011", n->rhs->pos,
					    "The insert/update clause of the transform expression must "
					    "evaluate to an object");
			if (upd->on && (!m || (m->t != J_OBJ && m->t != J_ARR)))
				/* jsonata-js fails setting a property on a primitive */
				ncm_jx_fail(cx, 2, NULL, n->rhs->pos,
					    "Cannot create a property on a %s in a transform",
					    type_word(m));
			if (m && m->t == J_OBJ)
				for (k = 0; k < upd->on; k++)
					if (upd->o[k].v)
						ncm_jx_set(cx, m, upd->o[k].k, upd->o[k].klen, upd->o[k].v);
		}
		if (n->els) {
			del = eval(cx, n->els, m, f->env);
			if (!del)
				continue;
			if (del->t != J_ARR)
				del = seq1(cx, del);
			for (j = 0; j < del->an; j++)
				if (!del->a[j] || del->a[j]->t != J_STR)
					ncm_jx_fail(cx, 2, "T2012", n->els->pos,
						    "The delete clause of the transform expression must "
						    "evaluate to a string or array of strings");
			if (m && m->t == J_OBJ)
				for (j = 0; j < del->an; j++)
					ncm_jx_del(m, del->a[j]->s, del->a[j]->slen);
		}
	}
	return result;
}

int ncm_jx_arity(const struct jv *fn)
{
	int i, n = 0;

	if (!fn || fn->t != J_FUNC)
		return 0;
	switch (fn->f->kind) {
	case F_LAMBDA:
		return fn->f->node->nitems;
	case F_BUILTIN:
		return fn->f->bi->arity;
	case F_PARTIAL:
		for (i = 0; i < fn->f->nargs; i++)
			n += fn->f->hole[i];
		return n;
	case F_REGEX:
	case F_TRANSFORM:
	case F_CHAIN:
		return 1;
	}
	return 0;
}

static struct jv *apply_inner(struct jctx *cx, struct jv *fn, struct jv **args, int nargs,
			      struct jv *input, size_t pos)
{
	struct jfn *f = fn->f;
	struct jv **va = args;
	int vn = nargs, i, k;

	if (f->sig) {
		const char *name = f->kind == F_BUILTIN ? f->bi->name : "lambda";

		ncm_jx_validate(cx, f->sig, args, nargs, input, name, pos, &vn, &va, 0);
	}
	switch (f->kind) {
	case F_BUILTIN:
		return f->bi->fn(cx, va, vn, input);
	case F_LAMBDA: {
		struct jenv *e = ncm_jx_env(cx, f->env);
		struct jnode *l = f->node;

		for (i = 0; i < l->nitems; i++)
			ncm_jx_bind(cx, e, l->items[i]->name, i < vn ? va[i] : NULL);
		return eval(cx, l->rhs, f->input, e);
	}
	case F_PARTIAL: {
		struct jv **full = ncm_jx_alloc(cx, (size_t)(f->nargs + 1) * sizeof(*full));

		for (i = 0, k = 0; i < f->nargs; i++)
			full[i] = f->hole[i] ? (k < vn ? va[k++] : NULL) : f->args[i];
		if (f->target->f->kind == F_BUILTIN) {
			/* jsonata-js calls a partially applied built-in with the raw arguments,
			 * unchecked: only calls its signature leaves as they are agree */
			struct jv **chk;
			int cn, same = 0;

			for (i = 0; i < f->nargs; i++)
				if (full[i] && full[i]->t == J_FUNC)
					ncm_jx_fail(cx, 2, NULL, pos,
						    "a function argument to a partially applied $%s is "
						    "not supported", f->target->f->bi->name);
			if (ncm_jx_validate(cx, f->target->f->sig, full, f->nargs, NULL, "", pos, &cn,
					    &chk, 1) == 0) {
				same = cn >= f->nargs;
				for (i = 0; same && i < cn; i++)
					same = chk[i] == (i < f->nargs ? full[i] : NULL);
			}
			if (!same)
				ncm_jx_fail(cx, 2, NULL, pos,
					    "calling a partially applied $%s with arguments outside its "
					    "signature is not supported", f->target->f->bi->name);
		}
		return apply_depth(cx, f->target, full, f->nargs, input, pos);
	}
	case F_REGEX:
		if (vn < 1 || !va[0])
			return NULL;
		if (va[0]->t != J_STR)
			ncm_jx_fail(cx, 2, "T0410", pos, "Argument 1 of function does not match "
				    "function signature");
		return ncm_jx_regex_call(cx, f->node, va[0]->s, va[0]->slen, 0);
	case F_CHAIN: {
		struct jv *x = vn > 0 ? va[0] : NULL;

		x = apply_depth(cx, f->target, &x, 1, NULL, pos);
		return apply_depth(cx, f->second, &x, 1, NULL, pos);
	}
	case F_TRANSFORM:
		return run_transform(cx, f, vn > 0 ? va[0] : NULL);
	}
	return NULL;
}

static struct jv *apply_depth(struct jctx *cx, struct jv *fn, struct jv **args, int nargs,
			      struct jv *input, size_t pos)
{
	struct jv *r;

	if (!fn || fn->t != J_FUNC)
		ncm_jx_fail(cx, 2, "T1006", pos, "Attempted to invoke a non-function");
	if (++cx->depth > cx->max_depth)
		ncm_jx_fail(cx, 3, "U1001", pos,
			    "Stack overflow error: evaluation nested deeper than %d levels",
			    cx->max_depth);
	ncm_jx_tick(cx, pos);
	r = apply_inner(cx, fn, args, nargs, input, pos);
	cx->depth--;
	return r;
}

struct jv *ncm_jx_apply(struct jctx *cx, struct jv *fn, struct jv **args, int nargs,
			struct jv *input, size_t pos)
{
	return apply_depth(cx, fn, args, nargs, input, pos);
}

static struct jv *eval_apply(struct jctx *cx, struct jnode *n, struct jv *input,
			     struct jenv *env)
{
	struct jv *l = eval(cx, n->lhs, input, env), *fn, *r;

	if (n->rhs->type == N_FUNCTION)
		return eval_function(cx, n->rhs, input, env, l, 1);
	fn = eval(cx, n->rhs, input, env);
	if (!fn || fn->t != J_FUNC)
		ncm_jx_fail(cx, 2, "T2006", n->pos,
			    "The right side of the function application operator ~> must be a "
			    "function");
	if (l && l->t == J_FUNC) {
		r = make_fn(cx, F_CHAIN);
		r->f->target = l;
		r->f->second = fn;
		return r;
	}
	return apply_depth(cx, fn, &l, 1, NULL, n->pos);
}

static struct jv *eval_node(struct jctx *cx, struct jnode *n, struct jv *input,
			    struct jenv *env)
{
	struct jv *r = NULL;
	int i;

	switch (n->type) {
	case N_PATH:
		return eval_path(cx, n, input, env);
	case N_BINARY:
		return eval_binary(cx, n, input, env);
	case N_NEG:
		r = eval(cx, n->lhs, input, env);
		if (!r)
			return NULL;
		if (!is_number(cx, r, n->pos))
			ncm_jx_fail(cx, 2, "D1002", n->pos, "Cannot negate a non-numeric value");
		return ncm_jx_num(cx, -r->n);
	case N_ARRAY:
		return eval_array(cx, n, input, env);
	case N_OBJECT:
		return eval_group(cx, n, input, env);
	case N_NAME:
		return lookup_field(cx, input, n->lit->s, n->lit->slen);
	case N_STRING:
	case N_NUMBER:
	case N_VALUE:
		return n->lit;
	case N_WILDCARD:
		return eval_wildcard(cx, input);
	case N_DESCENDANT:
		return eval_descendants(cx, input);
	case N_PARENT:
	case N_PLACEHOLDER:
	case N_SORT:
		return NULL;
	case N_CONDITION:
		if (ncm_jx_boolean(cx, eval(cx, n->cond, input, env)) == 1)
			return eval(cx, n->then, input, env);
		return n->els ? eval(cx, n->els, input, env) : NULL;
	case N_BLOCK: {
		struct jenv *e = ncm_jx_env(cx, env);

		for (i = 0; i < n->nitems; i++)
			r = eval(cx, n->items[i], input, e);
		return r;
	}
	case N_BIND:
		r = eval(cx, n->rhs, input, env);
		ncm_jx_bind(cx, env, n->lhs->name, r);
		return r;
	case N_REGEX:
		r = make_fn(cx, F_REGEX);
		r->f->node = n;
		return r;
	case N_FUNCTION:
		return eval_function(cx, n, input, env, NULL, 0);
	case N_VARIABLE:
		if (!n->name[0])
			return input && input->t == J_ARR && input->outer ? input->a[0] : input;
		return lookup_var(cx, env, n->name);
	case N_LAMBDA:
		r = make_fn(cx, F_LAMBDA);
		r->f->node = n;
		r->f->env = env;
		r->f->input = input;
		r->f->sig = n->sig;
		return r;
	case N_PARTIAL:
		return eval_partial(cx, n, input, env);
	case N_APPLY:
		return eval_apply(cx, n, input, env);
	case N_TRANSFORM:
		return eval_transform(cx, n, env);
	}
	return NULL;
}

static struct jv *eval(struct jctx *cx, struct jnode *n, struct jv *input, struct jenv *env)
{
	struct jv *r;
	int i;

	if (++cx->depth > cx->max_depth)
		ncm_jx_fail(cx, 3, "U1001", n->pos,
			    "Stack overflow error: evaluation nested deeper than %d levels",
			    cx->max_depth);
	ncm_jx_tick(cx, n->pos);
	r = eval_node(cx, n, input, env);
	for (i = 0; i < n->npreds; i++)
		r = eval_filter(cx, n->preds[i], r, env);
	if (n->type != N_PATH && n->group)
		r = eval_group(cx, n->group, r, env);
	if (r && r->t == J_ARR && r->seq && !r->tuple) {
		if (n->keep_array)
			r->keep = 1;
		if (r->an == 0)
			r = NULL;
		else if (r->an == 1 && !r->keep)
			r = r->a[0];
	}
	cx->depth--;
	return r;
}

struct jv *ncm_jx_eval(struct jctx *cx, struct jnode *n, struct jv *input, struct jenv *env)
{
	return eval(cx, n, input, env);
}

struct jv *ncm_jx_string(struct jctx *cx, struct jv *v, int pretty, size_t pos)
{
	if (!v)
		return NULL;
	if (v->t == J_STR)
		return v;
	if (v->t == J_FUNC)
		return ncm_jx_str(cx, "", 0);
	if (v->t == J_NUM && !isfinite(v->n))
		ncm_jx_fail(cx, 2, "D3001", pos,
			    "Attempting to invoke string function on Infinity or NaN");
	if (v->t == J_ARR && v->outer && v->an)
		v = v->a[0];
	return ncm_jx_stringify(cx, v, pretty);
}

/* ---- public API ---- */

static int ctx_init(struct jctx *cx, const char *expr, size_t len,
		    struct ncm_jsonata_error *err)
{
	memset(cx, 0, sizeof(*cx));
	cx->err = err;
	cx->src = expr;
	cx->srclen = len;
	cx->ar.budget = NCM_JSONATA_MAX_BYTES;
	cx->max_steps = NCM_JSONATA_MAX_STEPS;
	cx->max_depth = NCM_JSONATA_MAX_EVAL_DEPTH;
	cx->now_ms = -1; /* read on first use ($now, $millis, $random) */
	return 0;
}

/* The expression must be UTF-8 without NUL bytes (a JSON string from a device always is). */
static void check_text(struct jctx *cx, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 0;

		if (c == 0)
			ncm_jx_fail(cx, 1, NULL, i, "NUL byte in the expression");
		if (!len || i + len > n || !ncm_utf8_valid(s + i, len))
			ncm_jx_fail(cx, 1, NULL, i, "invalid UTF-8 in the expression");
		i += len;
	}
}

static struct jv *run(struct jctx *cx, const char *expr, size_t len, const json_t *input)
{
	struct jnode *ast;
	struct jv *in, *r;

	check_text(cx, expr, len);
	ast = ncm_jx_parse(cx, expr, len);
	in = ncm_jx_from_json(cx, input, 0);
	cx->global = ncm_jx_env(cx, NULL);
	ncm_jx_bind(cx, cx->global, "$", in);
	if (in && in->t == J_ARR) {
		struct jv *w = seq1(cx, in);

		w->outer = 1;
		in = w;
	}
	r = eval(cx, ast, in, cx->global);
	return r;
}

static int has_function(const struct jv *v, int depth)
{
	size_t i;

	if (!v || depth > 1000)
		return 0;
	if (v->t == J_FUNC)
		return 1;
	for (i = 0; v->t == J_ARR && i < v->an; i++)
		if (has_function(v->a[i], depth + 1))
			return 1;
	for (i = 0; v->t == J_OBJ && i < v->on; i++)
		if (has_function(v->o[i].v, depth + 1))
			return 1;
	return 0;
}

/* Runs the evaluation under cx->jb; 0 with *out set, or -1 with cx->err filled. */
static int protected_run(struct jctx *cx, const char *expr, size_t len, const json_t *input,
			 struct jv **out)
{
	if (setjmp(cx->jb))
		return -1;
	*out = run(cx, expr, len, input);
	return 0;
}

json_t *ncm_jsonata_eval(const char *expr, size_t len, const json_t *input,
			 struct ncm_jsonata_error *err)
{
	struct ncm_jsonata_error dummy;
	struct jctx *cx;
	struct jv *r = NULL;
	json_t *out = NULL;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!expr) {
		err->code = 1;
		err->position = 1;
		snprintf(err->message, sizeof(err->message), "no expression");
		return NULL;
	}
	if (len > NCM_JSONATA_MAX_LEN) {
		err->code = 3;
		err->position = NCM_JSONATA_MAX_LEN + 1;
		snprintf(err->message, sizeof(err->message),
			 "expression longer than %d bytes", NCM_JSONATA_MAX_LEN);
		return NULL;
	}
	cx = malloc(sizeof(*cx));
	if (!cx) {
		err->code = 3;
		err->position = 1;
		snprintf(err->message, sizeof(err->message), NCM_JSONATA_MSG_OOM);
		return NULL;
	}
	ctx_init(cx, expr, len, err);
	if (protected_run(cx, expr, len, input, &r) == 0) {
		if (r && has_function(r, 0)) {
			/* jsonata-js hands back its internal function object, which has no
			 * meaningful JSON form */
			err->code = 2;
			err->position = 1;
			snprintf(err->message, sizeof(err->message),
				 "a result that is or holds a function is not supported as JSON");
			r = NULL;
		}
		if (r) {
			out = ncm_jx_to_json(r);
			if (!out) {
				err->code = 3;
				err->position = 1;
				snprintf(err->message, sizeof(err->message), NCM_JSONATA_MSG_OOM);
			}
		}
	} else if (!err->code) {
		err->code = 3;
		err->position = 1;
		snprintf(err->message, sizeof(err->message), "evaluation failed");
	}
	ncm_jx_arena_free(&cx->ar);
	free(cx);
	return out;
}

json_t *ncm_jsonata_error_json(const struct ncm_jsonata_error *err)
{
	char msg[sizeof(err->message)];
	size_t i, n;

	if (!err)
		return NULL;
	n = strnlen(err->message, sizeof(err->message) - 1);
	memcpy(msg, err->message, n);
	msg[n] = '\0';
	/* keep the message valid UTF-8 for the device: anything jansson refuses becomes '?' */
	for (i = 0; i < n; i++)
		if ((unsigned char)msg[i] >= 0x80) {
			json_t *probe = json_string(msg);
			size_t k;

			if (probe) {
				json_decref(probe);
				break;
			}
			for (k = 0; k < n; k++)
				if ((unsigned char)msg[k] >= 0x80)
					msg[k] = '?';
			break;
		}
	return json_pack("{s:i,s:I,s:s}", "err", err->code, "position",
			 (json_int_t)err->position, "message", msg);
}
