/* SPDX-License-Identifier: MIT
 * jsonata_val.c: the JSONata value model: an arena with a byte budget, values with
 * jsonata-js's hidden array flags, objects that enumerate their keys in JavaScript's order,
 * conversion from and to jansson, JavaScript number formatting and JSON.stringify as
 * jsonata's $string does it. Pure. Any thread.
 */
#include "jsonata_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jarena_chunk {
	struct jarena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define CHUNK_MIN (64 * 1024)

void *ncm_jx_alloc(struct jctx *cx, size_t n)
{
	struct jarena *ar = &cx->ar;
	struct jarena_chunk *c = ar->head;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (need < n || ar->used + need > ar->budget)
		ncm_jx_fail(cx, 3, "U1001", 0, "evaluation needs more than %zu bytes of memory",
			    ar->budget);
	if (!c || c->cap - c->used < need) {
		size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			ncm_jx_fail(cx, 3, NULL, 0, NCM_JSONATA_MSG_OOM);
		c->used = 0;
		c->cap = cap;
		c->next = ar->head;
		ar->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	ar->used += need;
	memset(p, 0, n);
	return p;
}

struct jcleanup *ncm_jx_cleanup_slot(struct jctx *cx)
{
	struct jcleanup *c = ncm_jx_alloc(cx, sizeof(*c));

	c->next = cx->ar.cleanups;
	cx->ar.cleanups = c;
	return c;
}

void ncm_jx_arena_free(struct jarena *ar)
{
	struct jcleanup *cl;
	struct jarena_chunk *c, *next;

	for (cl = ar->cleanups; cl; cl = cl->next)
		if (cl->fn)
			cl->fn(cl->p);
	for (c = ar->head; c; c = next) {
		next = c->next;
		free(c);
	}
	ar->head = NULL;
	ar->cleanups = NULL;
	ar->used = 0;
}

char *ncm_jx_strndup(struct jctx *cx, const char *s, size_t n)
{
	char *d = ncm_jx_alloc(cx, n + 1);

	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static struct jv *mk(struct jctx *cx, enum jtype t)
{
	struct jv *v = ncm_jx_alloc(cx, sizeof(*v));

	v->t = t;
	return v;
}

struct jv *ncm_jx_num(struct jctx *cx, double d)
{
	struct jv *v = mk(cx, J_NUM);

	v->n = d;
	return v;
}

struct jv *ncm_jx_str(struct jctx *cx, const char *s, size_t n)
{
	struct jv *v = mk(cx, J_STR);

	v->s = ncm_jx_strndup(cx, s, n);
	v->slen = n;
	return v;
}

struct jv *ncm_jx_cstr(struct jctx *cx, const char *s)
{
	return ncm_jx_str(cx, s, strlen(s));
}

struct jv *ncm_jx_bool(struct jctx *cx, int b)
{
	struct jv *v = mk(cx, J_BOOL);

	v->b = b ? 1 : 0;
	return v;
}

struct jv *ncm_jx_null(struct jctx *cx)
{
	return mk(cx, J_NULL);
}

struct jv *ncm_jx_arr(struct jctx *cx)
{
	return mk(cx, J_ARR);
}

struct jv *ncm_jx_seq(struct jctx *cx)
{
	struct jv *v = mk(cx, J_ARR);

	v->seq = 1;
	return v;
}

struct jv *ncm_jx_obj(struct jctx *cx)
{
	return mk(cx, J_OBJ);
}

struct jv *ncm_jx_func(struct jctx *cx, struct jfn *f)
{
	struct jv *v = mk(cx, J_FUNC);

	v->f = f;
	return v;
}

void ncm_jx_push(struct jctx *cx, struct jv *arr, struct jv *v)
{
	if (arr->an == arr->acap) {
		size_t cap = arr->acap ? arr->acap * 2 : 4;
		struct jv **a = ncm_jx_alloc(cx, cap * sizeof(*a));

		if (arr->an)
			memcpy(a, arr->a, arr->an * sizeof(*a));
		arr->a = a;
		arr->acap = cap;
	}
	arr->a[arr->an++] = v;
}

struct jv *ncm_jx_get(const struct jv *obj, const char *k, size_t klen)
{
	size_t i;

	if (!obj || obj->t != J_OBJ)
		return NULL;
	for (i = 0; i < obj->on; i++)
		if (obj->o[i].klen == klen && !memcmp(obj->o[i].k, k, klen))
			return obj->o[i].v;
	return NULL;
}

void ncm_jx_set(struct jctx *cx, struct jv *obj, const char *k, size_t klen, struct jv *v)
{
	size_t i;

	for (i = 0; i < obj->on; i++)
		if (obj->o[i].klen == klen && !memcmp(obj->o[i].k, k, klen)) {
			obj->o[i].v = v;
			return;
		}
	if (obj->on == obj->ocap) {
		size_t cap = obj->ocap ? obj->ocap * 2 : 4;
		struct jprop *o = ncm_jx_alloc(cx, cap * sizeof(*o));

		if (obj->on)
			memcpy(o, obj->o, obj->on * sizeof(*o));
		obj->o = o;
		obj->ocap = cap;
	}
	obj->o[obj->on].k = ncm_jx_strndup(cx, k, klen);
	obj->o[obj->on].klen = klen;
	obj->o[obj->on].v = v;
	obj->on++;
}

void ncm_jx_del(struct jv *obj, const char *k, size_t klen)
{
	size_t i;

	for (i = 0; i < obj->on; i++)
		if (obj->o[i].klen == klen && !memcmp(obj->o[i].k, k, klen)) {
			memmove(&obj->o[i], &obj->o[i + 1], (obj->on - i - 1) * sizeof(obj->o[0]));
			obj->on--;
			return;
		}
}

/* An array index in JavaScript's sense: a canonical decimal below 2^32 - 1. */
static int index_key(const char *k, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 10 || (n > 1 && k[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (k[i] < '0' || k[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(k[i] - '0');
	}
	if (v >= 4294967295ull)
		return 0;
	*out = v;
	return 1;
}

/* Fills ix (obj->on entries) with the property indexes in JavaScript's order. */
static void order_keys(const struct jv *obj, size_t *ix)
{
	size_t i, j, m = 0;
	unsigned long long a, b;

	for (i = 0; i < obj->on; i++)
		if (index_key(obj->o[i].k, obj->o[i].klen, &a)) {
			/* insertion sort of the index keys (few in practice) */
			for (j = m; j > 0; j--) {
				index_key(obj->o[ix[j - 1]].k, obj->o[ix[j - 1]].klen, &b);
				if (b <= a)
					break;
				ix[j] = ix[j - 1];
			}
			ix[j] = i;
			m++;
		}
	for (i = 0; i < obj->on; i++)
		if (!index_key(obj->o[i].k, obj->o[i].klen, &a))
			ix[m++] = i;
}

size_t *ncm_jx_keys_order(struct jctx *cx, const struct jv *obj)
{
	size_t *ix = ncm_jx_alloc(cx, (obj->on + 1) * sizeof(*ix));

	order_keys(obj, ix);
	return ix;
}

struct jv *ncm_jx_from_json(struct jctx *cx, const json_t *j, int depth)
{
	struct jv *v;
	size_t i;
	const char *k;
	json_t *m;

	if (!j)
		return NULL;
	if (depth > 256)
		ncm_jx_fail(cx, 3, NULL, 0, "input nested deeper than 256 levels");
	ncm_jx_tick(cx, 0);
	switch (json_typeof(j)) {
	case JSON_NULL:
		return ncm_jx_null(cx);
	case JSON_TRUE:
		return ncm_jx_bool(cx, 1);
	case JSON_FALSE:
		return ncm_jx_bool(cx, 0);
	case JSON_INTEGER:
		return ncm_jx_num(cx, (double)json_integer_value(j));
	case JSON_REAL:
		return ncm_jx_num(cx, json_real_value(j));
	case JSON_STRING:
		return ncm_jx_str(cx, json_string_value(j), json_string_length(j));
	case JSON_ARRAY:
		v = ncm_jx_arr(cx);
		for (i = 0; i < json_array_size(j); i++)
			ncm_jx_push(cx, v, ncm_jx_from_json(cx, json_array_get(j, i), depth + 1));
		return v;
	case JSON_OBJECT:
		v = ncm_jx_obj(cx);
		json_object_foreach((json_t *)j, k, m)
			ncm_jx_set(cx, v, k, strlen(k), ncm_jx_from_json(cx, m, depth + 1));
		return v;
	}
	return NULL;
}

/* v as jansson (NULL for undefined or on OOM); undefined items of arrays become null, as
 * JSON.stringify writes them. */
static json_t *to_json(const struct jv *v, int depth)
{
	json_t *j, *m;
	size_t i;

	if (!v || depth > 1000)
		return NULL;
	switch (v->t) {
	case J_NULL:
		return json_null();
	case J_BOOL:
		return json_boolean(v->b);
	case J_NUM:
		if (!isfinite(v->n))
			return json_null();
		if (ncm_jx_is_int(v->n) && fabs(v->n) < 9.2e18)
			return json_integer((json_int_t)v->n);
		return json_real(v->n);
	case J_STR:
		return json_stringn(v->s, v->slen);
	case J_FUNC:
		return json_string("");
	case J_ARR:
		j = json_array();
		for (i = 0; j && i < v->an; i++) {
			m = to_json(v->a[i], depth + 1);
			if (!m && v->a[i] && v->a[i]->t != J_FUNC)
				m = json_null();
			if (!m)
				m = json_null();
			json_array_append_new(j, m);
		}
		return j;
	case J_OBJ: {
		/* jansson keeps insertion order; JavaScript enumerates index keys first */
		size_t *ix = NULL, k;
		unsigned long long d;
		int any = 0;

		for (i = 0; i < v->on && !any; i++)
			any = index_key(v->o[i].k, v->o[i].klen, &d);
		if (any) {
			ix = malloc(v->on * sizeof(*ix));
			if (!ix)
				return NULL;
			order_keys(v, ix);
		}
		j = json_object();
		for (k = 0; j && k < v->on; k++) {
			const struct jprop *p = &v->o[ix ? ix[k] : k];

			if (!p->v)
				continue;
			m = to_json(p->v, depth + 1);
			if (m)
				json_object_setn_new(j, p->k, p->klen, m);
		}
		free(ix);
		return j;
	}
	}
	return NULL;
}

json_t *ncm_jx_to_json(const struct jv *v)
{
	return to_json(v, 0);
}

int ncm_jx_is_int(double d)
{
	return isfinite(d) && d == floor(d);
}

int ncm_jx_deep_equal(const struct jv *a, const struct jv *b)
{
	size_t i;

	if (a == b)
		return 1;
	if (!a || !b || a->t != b->t)
		return 0;
	switch (a->t) {
	case J_NULL:
		return 1;
	case J_BOOL:
		return a->b == b->b;
	case J_NUM:
		return a->n == b->n;
	case J_STR:
		return a->slen == b->slen && !memcmp(a->s, b->s, a->slen);
	case J_FUNC:
		return 0;
	case J_ARR:
		if (a->an != b->an)
			return 0;
		for (i = 0; i < a->an; i++)
			if (!ncm_jx_deep_equal(a->a[i], b->a[i]))
				return 0;
		return 1;
	case J_OBJ: {
		size_t na = 0, nb = 0;

		for (i = 0; i < a->on; i++)
			na += a->o[i].v != NULL;
		for (i = 0; i < b->on; i++)
			nb += b->o[i].v != NULL;
		if (na != nb)
			return 0;
		for (i = 0; i < a->on; i++) {
			if (!a->o[i].v)
				continue;
			if (!ncm_jx_deep_equal(a->o[i].v, ncm_jx_get(b, a->o[i].k, a->o[i].klen)))
				return 0;
		}
		return 1;
	}
	}
	return 0;
}

struct jv *ncm_jx_clone(struct jctx *cx, const struct jv *v)
{
	struct jv *c;
	size_t i;

	if (!v)
		return NULL;
	ncm_jx_tick(cx, 0);
	switch (v->t) {
	case J_ARR:
		c = ncm_jx_arr(cx);
		for (i = 0; i < v->an; i++)
			ncm_jx_push(cx, c, ncm_jx_clone(cx, v->a[i]));
		return c;
	case J_OBJ:
		c = ncm_jx_obj(cx);
		for (i = 0; i < v->on; i++)
			if (v->o[i].v)
				ncm_jx_set(cx, c, v->o[i].k, v->o[i].klen, ncm_jx_clone(cx, v->o[i].v));
		return c;
	case J_FUNC:
		return NULL; /* JSON.parse(JSON.stringify()) drops functions */
	default:
		c = mk(cx, v->t);
		*c = *v;
		return c;
	}
}

void ncm_jx_numfmt(char *buf, double d)
{
	char tmp[40], digits[24];
	int prec, exp10, nd, i, k;
	char *e, *p;

	if (d == 0) {
		strcpy(buf, "0");
		return;
	}
	if (!isfinite(d)) {
		strcpy(buf, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* the shortest %e that reads back as d */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	p = tmp;
	if (*p == '-') {
		*buf++ = '-';
		p++;
	}
	e = strchr(p, 'e');
	exp10 = atoi(e + 1);
	nd = 0;
	for (; p < e; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	k = exp10 + 1; /* position of the decimal point after the first digit */
	if (k >= 1 && k <= 21) {
		if (nd <= k) {
			memcpy(buf, digits, (size_t)nd);
			for (i = nd; i < k; i++)
				buf[i] = '0';
			buf[k] = '\0';
		} else {
			memcpy(buf, digits, (size_t)k);
			buf[k] = '.';
			memcpy(buf + k + 1, digits + k, (size_t)(nd - k));
			buf[nd + 1] = '\0';
		}
	} else if (k <= 0 && k > -6) {
		buf[0] = '0';
		buf[1] = '.';
		for (i = 0; i < -k; i++)
			buf[2 + i] = '0';
		memcpy(buf + 2 - k, digits, (size_t)nd);
		buf[2 - k + nd] = '\0';
	} else {
		i = 0;
		buf[i++] = digits[0];
		if (nd > 1) {
			buf[i++] = '.';
			memcpy(buf + i, digits + 1, (size_t)(nd - 1));
			i += nd - 1;
		}
		sprintf(buf + i, "e%c%d", k - 1 >= 0 ? '+' : '-', abs(k - 1));
	}
}

struct sbuf {
	struct jctx *cx;
	char *p;
	size_t n, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 64);
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = ncm_jx_alloc(b->cx, cap);
		if (b->n)
			memcpy(p, b->p, b->n);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, from = 0;
	char esc[8];

	sb_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *r = NULL;

		switch (c) {
		case '"': r = "\\\""; break;
		case '\\': r = "\\\\"; break;
		case '\n': r = "\\n"; break;
		case '\r': r = "\\r"; break;
		case '\t': r = "\\t"; break;
		case '\b': r = "\\b"; break;
		case '\f': r = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				r = esc;
			}
		}
		if (r) {
			sb_put(b, s + from, i - from);
			sb_put(b, r, strlen(r));
			from = i + 1;
		}
	}
	sb_put(b, s + from, n - from);
	sb_put(b, "\"", 1);
}

static void indent(struct sbuf *b, int pretty, int level)
{
	int i;

	if (!pretty)
		return;
	sb_put(b, "\n", 1);
	for (i = 0; i < level; i++)
		sb_put(b, "  ", 2);
}

static void stringify(struct sbuf *b, const struct jv *v, int pretty, int level)
{
	char num[40];
	size_t i, k;
	int first;

	ncm_jx_tick(b->cx, 0);
	if (level > 500)
		ncm_jx_fail(b->cx, 3, NULL, 0, "value nested too deeply to stringify");
	switch (v->t) {
	case J_NULL:
		sb_put(b, "null", 4);
		return;
	case J_BOOL:
		sb_put(b, v->b ? "true" : "false", v->b ? 4 : 5);
		return;
	case J_NUM:
		if (!isfinite(v->n)) {
			sb_put(b, "null", 4);
			return;
		}
		snprintf(num, sizeof(num), "%.15g", v->n);
		ncm_jx_numfmt(num, strtod(num, NULL));
		sb_put(b, num, strlen(num));
		return;
	case J_STR:
		sb_str(b, v->s, v->slen);
		return;
	case J_FUNC:
		sb_put(b, "\"\"", 2);
		return;
	case J_ARR:
		sb_put(b, "[", 1);
		for (i = 0; i < v->an; i++) {
			if (i)
				sb_put(b, ",", 1);
			indent(b, pretty, level + 1);
			if (v->a[i])
				stringify(b, v->a[i], pretty, level + 1);
			else
				sb_put(b, "null", 4);
		}
		if (v->an)
			indent(b, pretty, level);
		sb_put(b, "]", 1);
		return;
	case J_OBJ: {
		size_t *ix = ncm_jx_keys_order(b->cx, v);

		sb_put(b, "{", 1);
		first = 1;
		for (k = 0; k < v->on; k++) {
			const struct jprop *p = &v->o[ix[k]];

			if (!p->v)
				continue;
			if (!first)
				sb_put(b, ",", 1);
			first = 0;
			indent(b, pretty, level + 1);
			sb_str(b, p->k, p->klen);
			sb_put(b, pretty ? ": " : ":", pretty ? 2 : 1);
			stringify(b, p->v, pretty, level + 1);
		}
		if (!first)
			indent(b, pretty, level);
		sb_put(b, "}", 1);
		return;
	}
	}
}

struct jv *ncm_jx_stringify(struct jctx *cx, const struct jv *v, int pretty)
{
	struct sbuf b = { cx, NULL, 0, 0 };

	stringify(&b, v, pretty, 0);
	return ncm_jx_str(cx, b.p ? b.p : "", b.n);
}
