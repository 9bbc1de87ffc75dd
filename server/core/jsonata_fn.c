/* SPDX-License-Identifier: MIT
 * jsonata_fn.c: JSONata's standard function library (string, numeric, aggregation, boolean,
 * array, object, higher-order, date/time, $eval), the argument validation against each
 * function's signature (jsonata-js signature.js: T0410/T0411/T0412, context arguments, array
 * coercion), the stable merge sort $sort and order-by share, and regular expressions on
 * PCRE2 with JavaScript's options. What is missing or differs is listed in docs/jsonata.md.
 * Pure: no I/O; the clock is read once per evaluation (jsonata_eval.c). Any thread.
 */
#include "jsonata_internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A(i) ((i) < n ? a[i] : NULL)

/* ---- signatures ---- */

static char symbol_of(const struct jv *v)
{
	if (!v)
		return 'm';
	switch (v->t) {
	case J_FUNC: return 'f';
	case J_STR: return 's';
	case J_NUM: return 'n';
	case J_BOOL: return 'b';
	case J_NULL: return 'l';
	case J_ARR: return 'a';
	case J_OBJ: return 'o';
	}
	return 'm';
}

/* Backtracking match of the argument symbols against the parameters (each a class with an
 * optional ? or +), greedy like the reference's regex; spans[i] = how many args param i took. */
static int sig_match(const struct jsig *sig, int pi, const char *syms, int si, int *spans)
{
	const struct jsig_param *p;
	int max, k;

	if (pi == sig->n)
		return syms[si] == '\0';
	p = &sig->p[pi];
	max = 0;
	while (syms[si + max] && strchr(p->cls, syms[si + max]) &&
	       (p->quant == '+' || max < 1))
		max++;
	for (k = max; k >= (p->quant == '?' ? 0 : 1); k--) {
		spans[pi] = k;
		if (sig_match(sig, pi + 1, syms, si + k, spans))
			return 1;
	}
	return 0;
}

static const char *array_type_name(char c)
{
	switch (c) {
	case 'a': return "arrays";
	case 'b': return "booleans";
	case 'f': return "functions";
	case 'n': return "numbers";
	case 'o': return "objects";
	case 's': return "strings";
	}
	return "values";
}

int ncm_jx_validate(struct jctx *cx, struct jsig *sig, struct jv **args, int nargs,
		    struct jv *input, const char *fname, size_t pos, int *outn,
		    struct jv ***outargs, int soft)
{
	char syms[64];
	int spans[JSIG_MAX], i, k, ai = 0, on = 0;
	struct jv **out;

	if (nargs > 60)
		ncm_jx_fail(cx, 2, "T0410", pos, "Too many arguments to function %s", fname);
	for (i = 0; i < nargs; i++)
		syms[i] = symbol_of(args[i]);
	syms[nargs] = '\0';
	if (!sig_match(sig, 0, syms, 0, spans)) {
		if (soft)
			return -1;
		/* where it went wrong: the longest prefix of parameters that still matches */
		int good = 0;

		for (i = 0; i < sig->n; i++) {
			struct jsig sub = *sig;
			int j, best = -1;

			sub.n = i + 1;
			for (j = nargs; j >= 0; j--) {
				char save = syms[j];

				syms[j] = '\0';
				if (sig_match(&sub, 0, syms, 0, spans))
					best = j;
				syms[j] = save;
				if (best >= 0)
					break;
			}
			if (best < 0)
				break;
			good = best;
		}
		ncm_jx_fail(cx, 2, "T0410", pos,
			    "Argument %d of function %s does not match function signature", good + 1,
			    fname);
	}
	out = ncm_jx_alloc(cx, (size_t)(nargs + sig->n + 1) * sizeof(*out));
	for (i = 0; i < sig->n; i++) {
		const struct jsig_param *p = &sig->p[i];

		if (spans[i] == 0) {
			if (p->context) {
				char c = symbol_of(input);

				if (!strchr(p->cls, c) && soft)
					return -1;
				if (!strchr(p->cls, c))
					ncm_jx_fail(cx, 2, "T0411", pos,
						    "Context value is not a compatible type with argument "
						    "%d of function %s", ai + 1, fname);
				out[on++] = input;
			} else {
				out[on++] = ai < nargs ? args[ai] : NULL;
				ai++;
			}
			continue;
		}
		for (k = 0; k < spans[i]; k++) {
			struct jv *v = args[ai];

			if (p->type == 'a' && v) {
				if (p->sub) {
					int ok = 1;

					if (v->t != J_ARR) {
						ok = symbol_of(v) == p->sub;
					} else if (v->an > 0) {
						size_t q;

						for (q = 0; q < v->an; q++)
							if (symbol_of(v->a[q]) != p->sub)
								ok = 0;
					}
					if (!ok && soft)
						return -1;
					if (!ok)
						ncm_jx_fail(cx, 2, "T0412", pos,
							    "Argument %d of function %s must be an array of %s",
							    ai + 1, fname, array_type_name(p->sub));
				}
				if (v->t != J_ARR) {
					struct jv *w = ncm_jx_arr(cx);

					ncm_jx_push(cx, w, v);
					v = w;
				}
			}
			out[on++] = v;
			ai++;
		}
	}
	*outn = on;
	*outargs = out;
	return 0;
}

/* ---- helpers ---- */

static struct jv *seq(struct jctx *cx)
{
	return ncm_jx_seq(cx);
}

static size_t cp_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Byte offset of code point k (n when past the end). */
static size_t cp_offset(const char *s, size_t n, size_t k)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (c == k)
				return i;
			c++;
		}
	return n;
}

/* UTF-16 length of bytes [0, n): what JavaScript reports as a string index. */
static size_t u16_index(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if ((b & 0xc0) != 0x80)
			c += b >= 0xf0 ? 2 : 1;
	}
	return c;
}

static struct jv *strv(struct jctx *cx, const char *s, size_t n)
{
	return ncm_jx_str(cx, s, n);
}

static const char *memmem_(const char *h, size_t hn, const char *nd, size_t nn)
{
	size_t i;

	if (nn == 0)
		return h;
	for (i = 0; i + nn <= hn; i++)
		if (h[i] == nd[0] && !memcmp(h + i, nd, nn))
			return h + i;
	return NULL;
}

struct sb {
	struct jctx *cx;
	char *p;
	size_t n, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = ncm_jx_alloc(b->cx, cap);
		if (b->n)
			memcpy(p, b->p, b->n);
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static struct jv *sb_val(struct sb *b)
{
	return strv(b->cx, b->p ? b->p : "", b->n);
}

/* ---- sort (jsonata-js's merge sort: stable, right first when gt(left, right)) ---- */

struct jv *ncm_jx_sort(struct jctx *cx, struct jv *arr,
		       int (*gt)(struct jctx *, struct jv *, struct jv *, void *), void *ud)
{
	size_t n = arr->an, w, i;
	struct jv **src, **dst, **t;
	struct jv *r;

	if (n <= 1)
		return arr;
	src = ncm_jx_alloc(cx, n * sizeof(*src));
	dst = ncm_jx_alloc(cx, n * sizeof(*dst));
	memcpy(src, arr->a, n * sizeof(*src));
	/* top-down split sizes differ from bottom-up, but a stable merge sort yields the same
	 * order for a consistent comparator */
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t l = i, m = i + w < n ? i + w : n, h = i + 2 * w < n ? i + 2 * w : n;
			size_t a = l, b = m, k = l;

			while (a < m && b < h) {
				ncm_jx_tick(cx, 0);
				if (gt(cx, src[a], src[b], ud))
					dst[k++] = src[b++];
				else
					dst[k++] = src[a++];
			}
			while (a < m)
				dst[k++] = src[a++];
			while (b < h)
				dst[k++] = src[b++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	r = ncm_jx_arr(cx);
	r->a = src;
	r->an = r->acap = n;
	return r;
}

static int default_gt(struct jctx *cx, struct jv *x, struct jv *y, void *ud)
{
	(void)cx;
	(void)ud;
	if (x->t == J_NUM)
		return x->n > y->n;
	return strcmp(x->s, y->s) > 0;
}

struct fn_cmp {
	struct jv *fn;
};

static int fn_gt(struct jctx *cx, struct jv *x, struct jv *y, void *ud)
{
	struct fn_cmp *c = ud;
	struct jv *args[2] = { x, y };

	return ncm_jx_boolean(cx, ncm_jx_apply(cx, c->fn, args, 2, NULL, 0)) == 1;
}

/* ---- regex ---- */

static void free_code(void *p)
{
	pcre2_code_free(p);
}

void *ncm_jx_regex_compile(struct jctx *cx, const char *pat, size_t n, const char *flags,
			   size_t pos)
{
	uint32_t opt = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY |
		       PCRE2_MATCH_UNSET_BACKREF;
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code;
	struct jcleanup *slot;

	if (strchr(flags, 'i'))
		opt |= PCRE2_CASELESS;
	if (strchr(flags, 'm'))
		opt |= PCRE2_MULTILINE;
	slot = ncm_jx_cleanup_slot(cx); /* before the code exists: this may unwind */
	code = pcre2_compile((PCRE2_SPTR)pat, n, opt, &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[120];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		ncm_jx_fail(cx, 1, "S0303", pos, "Invalid regular expression: %s", (char *)msg);
	}
	slot->fn = free_code;
	slot->p = code;
	return code;
}

static void free_mctx(void *p)
{
	pcre2_match_context_free(p);
}

struct rmatch {
	size_t start, end; /* bytes */
	int ng;
	struct jv **groups;
};

/* The first match of re in s at or after byte from; 0 when none. */
static int rx_exec(struct jctx *cx, struct jnode *re, const char *s, size_t n, size_t from,
		   struct rmatch *m)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov, *off;
	uint32_t ncap = 0;
	int rc, i;

	/* everything that may fail (and unwind) happens before md exists or after it is freed */
	ncm_jx_tick(cx, re->pos);
	if (!cx->mctx) {
		/* bounds backtracking: a pathological pattern fails in milliseconds */
		struct jcleanup *slot = ncm_jx_cleanup_slot(cx);

		cx->mctx = pcre2_match_context_create(NULL);
		if (!cx->mctx)
			ncm_jx_fail(cx, 3, NULL, re->pos, NCM_JSONATA_MSG_OOM);
		slot->fn = free_mctx;
		slot->p = cx->mctx;
		pcre2_set_match_limit(cx->mctx, 1000000);
		pcre2_set_depth_limit(cx->mctx, 10000);
	}
	pcre2_pattern_info(re->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	off = ncm_jx_alloc(cx, (2 * (size_t)ncap + 2) * sizeof(*off));
	md = pcre2_match_data_create_from_pattern(re->re, NULL);
	if (!md)
		ncm_jx_fail(cx, 3, NULL, re->pos, NCM_JSONATA_MSG_OOM);
	rc = pcre2_match(re->re, (PCRE2_SPTR)s, n, from, 0, md, cx->mctx);
	if (rc > 0) {
		ov = pcre2_get_ovector_pointer(md);
		for (i = 0; i < 2 * (int)ncap + 2; i++)
			off[i] = i < 2 * rc ? ov[i] : PCRE2_UNSET;
	}
	pcre2_match_data_free(md);
	if (rc < 0) {
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT)
			ncm_jx_fail(cx, 3, "U1001", re->pos,
				    "regular expression needs too much backtracking");
		ncm_jx_fail(cx, 3, NULL, re->pos, "regular expression failed (%d)", rc);
	}
	if (rc == 0) /* the ovector was too small: cannot happen with match data from the pattern */
		ncm_jx_fail(cx, 3, NULL, re->pos, "regular expression failed (ovector)");
	m->start = off[0];
	m->end = off[1];
	m->ng = (int)ncap;
	m->groups = ncm_jx_alloc(cx, (size_t)(m->ng + 1) * sizeof(*m->groups));
	for (i = 1; i <= m->ng; i++) {
		if (off[2 * i] != PCRE2_UNSET)
			m->groups[i - 1] = strv(cx, s + off[2 * i], off[2 * i + 1] - off[2 * i]);
		else
			m->groups[i - 1] = NULL;
	}
	return 1;
}

/* The match after m, as jsonata-js's next(): none past the end, D1004 on an empty one. */
static int rx_next(struct jctx *cx, struct jnode *re, const char *s, size_t n,
		   struct rmatch *m)
{
	if (m->end >= n)
		return 0;
	if (!rx_exec(cx, re, s, n, m->end, m))
		return 0;
	if (m->start == m->end)
		ncm_jx_fail(cx, 2, "D1004", re->pos, "Regular expression matches zero length string");
	return 1;
}

static struct jv *groups_arr(struct jctx *cx, struct rmatch *m)
{
	struct jv *g = ncm_jx_arr(cx);
	int i;

	for (i = 0; i < m->ng; i++)
		ncm_jx_push(cx, g, m->groups[i]);
	return g;
}

struct jv *ncm_jx_regex_call(struct jctx *cx, struct jnode *re, const char *s, size_t slen,
			     size_t from)
{
	struct rmatch m;
	struct jv *o;

	if (!rx_exec(cx, re, s, slen, from, &m))
		return NULL;
	o = ncm_jx_obj(cx);
	ncm_jx_set(cx, o, "match", 5, strv(cx, s + m.start, m.end - m.start));
	ncm_jx_set(cx, o, "start", 5, ncm_jx_num(cx, (double)u16_index(s, m.start)));
	ncm_jx_set(cx, o, "end", 3, ncm_jx_num(cx, (double)u16_index(s, m.end)));
	ncm_jx_set(cx, o, "groups", 6, groups_arr(cx, &m));
	return o;
}

/* A matcher argument: a regex literal (directly, or through a partial/lambda we cannot
 * see into, which is refused). */
static struct jnode *matcher(struct jctx *cx, struct jv *f, const char *fname)
{
	if (f->f->kind == F_REGEX)
		return f->f->node;
	ncm_jx_fail(cx, 2, NULL, 0,
		    "a custom matcher function in $%s is not supported by this implementation",
		    fname);
}

/* ---- aggregation ---- */

static struct jv *f_sum(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	double t = 0;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->an; i++)
		t += a[0]->a[i]->n;
	return ncm_jx_num(cx, t);
}

static struct jv *f_count(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return ncm_jx_num(cx, A(0) ? (double)a[0]->an : 0);
}

static struct jv *minmax(struct jctx *cx, struct jv **a, int n, int max)
{
	double r;
	size_t i;

	if (!A(0) || a[0]->an == 0)
		return NULL;
	r = a[0]->a[0]->n;
	for (i = 1; i < a[0]->an; i++)
		if (max ? a[0]->a[i]->n > r : a[0]->a[i]->n < r)
			r = a[0]->a[i]->n;
	return ncm_jx_num(cx, r);
}

static struct jv *f_max(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return minmax(cx, a, n, 1);
}

static struct jv *f_min(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return minmax(cx, a, n, 0);
}

static struct jv *f_average(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	double t = 0;
	size_t i;

	(void)in;
	if (!A(0) || a[0]->an == 0)
		return NULL;
	for (i = 0; i < a[0]->an; i++)
		t += a[0]->a[i]->n;
	return ncm_jx_num(cx, t / (double)a[0]->an);
}

/* ---- strings ---- */

static struct jv *f_string(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return ncm_jx_string(cx, A(0), A(1) ? A(1)->b : 0, 0);
}

static struct jv *f_substring(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *s = A(0);
	double len, start, end;
	size_t b0, b1;

	(void)in;
	if (!s)
		return NULL;
	len = (double)cp_count(s->s, s->slen);
	if (!A(1)) /* slice(undefined[, NaN]) */
		return A(2) ? strv(cx, "", 0) : s;
	start = A(1)->n;
	if (len + start < 0)
		start = 0;
	if (A(2)) {
		if (A(2)->n <= 0)
			return strv(cx, "", 0);
		end = start >= 0 ? start + A(2)->n : len + start + A(2)->n;
		end = trunc(end);
	} else {
		end = len;
	}
	/* Array.prototype.slice: truncate toward zero, negative from the end */
	start = trunc(start);
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (start < 0)
		start = 0;
	if (end > len)
		end = len;
	if (start >= end)
		return strv(cx, "", 0);
	b0 = cp_offset(s->s, s->slen, (size_t)start);
	b1 = cp_offset(s->s, s->slen, (size_t)end);
	return strv(cx, s->s + b0, b1 - b0);
}

static struct jv *f_substring_before(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	const char *p;

	(void)in;
	if (!A(0))
		return NULL;
	if (!A(1)) /* String.indexOf(undefined) looks for "undefined" */
		a[1] = ncm_jx_cstr(cx, "undefined");
	p = memmem_(a[0]->s, a[0]->slen, A(1)->s, A(1)->slen);
	return p ? strv(cx, a[0]->s, (size_t)(p - a[0]->s)) : a[0];
}

static struct jv *f_substring_after(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	const char *p;
	size_t off;

	(void)in;
	if (!A(0))
		return NULL;
	if (!A(1)) /* jsonata-js fails reading the length of undefined */
		ncm_jx_fail(cx, 2, NULL, 0, "$substringAfter() needs a string");
	p = memmem_(a[0]->s, a[0]->slen, A(1)->s, A(1)->slen);
	if (!p)
		return a[0];
	off = (size_t)(p - a[0]->s) + A(1)->slen;
	return strv(cx, a[0]->s + off, a[0]->slen - off);
}

static unsigned map_cp(unsigned cp, int upper)
{
	static const unsigned short tonos[][2] = { /* Greek with accents: lower, upper */
		{ 0x3ac, 0x386 }, { 0x3ad, 0x388 }, { 0x3ae, 0x389 }, { 0x3af, 0x38a },
		{ 0x3cc, 0x38c }, { 0x3cd, 0x38e }, { 0x3ce, 0x38f }, { 0x3c2, 0x3a3 },
	};
	size_t i;

	if (upper) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7) ||
		    (cp >= 0x3b1 && cp <= 0x3c9 && cp != 0x3c2) || (cp >= 0x430 && cp <= 0x44f))
			return cp - 0x20;
		if (cp == 0xff)
			return 0x178;
		if (cp >= 0x450 && cp <= 0x45f)
			return cp - 0x50;
		if (cp >= 0x100 && cp <= 0x17f && cp != 0x131 && cp != 0x138 && cp != 0x149)
			return (cp >= 0x139 && cp <= 0x148) || cp >= 0x179 ? (cp % 2 ? cp : cp - 1)
									    : (cp % 2 ? cp - 1 : cp);
		for (i = 0; i < sizeof(tonos) / sizeof(tonos[0]); i++)
			if (tonos[i][0] == cp)
				return tonos[i][1];
	} else {
		if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) ||
		    (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) || (cp >= 0x410 && cp <= 0x42f))
			return cp + 0x20;
		if (cp == 0x178)
			return 0xff;
		if (cp >= 0x400 && cp <= 0x40f)
			return cp + 0x50;
		if (cp >= 0x100 && cp <= 0x17f && cp != 0x130 && cp != 0x138 && cp != 0x149)
			return (cp >= 0x139 && cp <= 0x148) || cp >= 0x179 ? (cp % 2 ? cp + 1 : cp)
									    : (cp % 2 ? cp : cp + 1);
		for (i = 0; i < sizeof(tonos) / sizeof(tonos[0]) - 1; i++)
			if (tonos[i][1] == cp)
				return tonos[i][0];
	}
	return cp;
}

static void put_cp(struct sb *b, unsigned cp)
{
	char o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_put(b, o, n);
}

/* Case mapping for Latin (ASCII, Latin-1, Latin Extended-A), Greek and Cyrillic, with
 * ß -> SS as JavaScript does (docs/jsonata.md#limits). */
static struct jv *casemap(struct jctx *cx, struct jv *s, int upper)
{
	struct sb b = { cx, NULL, 0, 0 };
	size_t i = 0;

	while (i < s->slen) {
		unsigned char c = (unsigned char)s->s[i];
		int len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, j;
		unsigned cp = len == 1 ? c : c & (0xffu >> (len + 1));

		for (j = 1; j < len && i + (size_t)j < s->slen; j++)
			cp = (cp << 6) | ((unsigned char)s->s[i + j] & 0x3f);
		i += (size_t)len;
		if (upper && cp == 0xdf) {
			sb_put(&b, "SS", 2);
			continue;
		}
		put_cp(&b, map_cp(cp, upper));
	}
	return sb_val(&b);
}

static struct jv *f_lowercase(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? casemap(cx, a[0], 0) : NULL;
}

static struct jv *f_uppercase(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? casemap(cx, a[0], 1) : NULL;
}

static struct jv *f_length(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_num(cx, (double)cp_count(a[0]->s, a[0]->slen)) : NULL;
}

static struct jv *f_trim(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	size_t i;
	int ws = 0;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->slen; i++) {
		char c = a[0]->s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			ws = 1;
			continue;
		}
		if (ws && b.n)
			sb_put(&b, " ", 1);
		ws = 0;
		sb_put(&b, &c, 1);
	}
	return sb_val(&b);
}

static struct jv *f_pad(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	const char *ch = " ";
	size_t chlen = 1, chcp = 1, k;
	double w, padlen;

	(void)in;
	if (!A(0))
		return NULL;
	if (A(2) && A(2)->slen) {
		ch = A(2)->s;
		chlen = A(2)->slen;
		chcp = cp_count(ch, chlen);
	}
	if (!A(1))
		return a[0]; /* Math.abs(undefined) is NaN: no padding */
	w = A(1)->n;
	padlen = fabs(w) - (double)cp_count(a[0]->s, a[0]->slen);
	if (!(padlen > 0))
		return a[0];
	if (padlen != floor(padlen)) /* new Array(fraction) in jsonata-js */
		ncm_jx_fail(cx, 2, NULL, 0, "Invalid array length");
	if (padlen > 1e6)
		ncm_jx_fail(cx, 3, NULL, 0, "$pad width too large");
	if (w > 0)
		sb_put(&b, a[0]->s, a[0]->slen);
	for (k = 0; k < (size_t)padlen; k += chcp) {
		size_t take = (size_t)padlen - k < chcp ? cp_offset(ch, chlen, (size_t)padlen - k)
							: chlen;

		ncm_jx_tick(cx, 0);
		sb_put(&b, ch, take);
	}
	if (w <= 0)
		sb_put(&b, a[0]->s, a[0]->slen);
	return sb_val(&b);
}

static struct jv *f_contains(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct rmatch m;

	(void)in;
	if (!A(0))
		return NULL;
	if (!A(1))
		ncm_jx_fail(cx, 2, NULL, 0, "$contains() needs a string or a regular expression");
	if (A(1)->t == J_STR)
		return ncm_jx_bool(cx, memmem_(a[0]->s, a[0]->slen, a[1]->s, a[1]->slen) != NULL);
	return ncm_jx_bool(cx, rx_exec(cx, matcher(cx, a[1], "contains"), a[0]->s, a[0]->slen,
				       0, &m));
}

static struct jv *f_match(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jnode *re;
	struct rmatch m;
	struct jv *r;
	double limit = A(2) ? A(2)->n : -1;
	double count = 0;

	(void)in;
	if (!A(0))
		return NULL;
	if (A(2) && A(2)->n < 0)
		ncm_jx_fail(cx, 2, "D3040", 0,
			    "Third argument of match function must evaluate to a positive number");
	re = matcher(cx, a[1], "match");
	r = seq(cx);
	if (A(2) && limit == 0)
		return r;
	if (!rx_exec(cx, re, a[0]->s, a[0]->slen, 0, &m))
		return r;
	do {
		struct jv *o = ncm_jx_obj(cx);

		ncm_jx_set(cx, o, "match", 5, strv(cx, a[0]->s + m.start, m.end - m.start));
		ncm_jx_set(cx, o, "index", 5, ncm_jx_num(cx, (double)u16_index(a[0]->s, m.start)));
		ncm_jx_set(cx, o, "groups", 6, groups_arr(cx, &m));
		ncm_jx_push(cx, r, o);
		count++;
	} while ((!A(2) || count < limit) && rx_next(cx, re, a[0]->s, a[0]->slen, &m));
	return r;
}

static void replace_template(struct sb *b, struct jv *rep, struct rmatch *m, const char *s)
{
	const char *t = rep->s;
	size_t tn = rep->slen, pos = 0;

	while (pos < tn) {
		const char *d = memchr(t + pos, '$', tn - pos);
		size_t idx;

		if (!d) {
			sb_put(b, t + pos, tn - pos);
			return;
		}
		sb_put(b, t + pos, (size_t)(d - (t + pos)));
		pos = (size_t)(d - t) + 1;
		if (pos < tn && t[pos] == '$') {
			sb_put(b, "$", 1);
			pos++;
		} else if (pos < tn && t[pos] == '0') {
			sb_put(b, s + m->start, m->end - m->start);
			pos++;
		} else {
			int maxd = m->ng == 0 ? 1 : (int)floor(log10((double)m->ng)) + 1, k = 0;
			char digits[12];

			while (k < maxd && pos + (size_t)k < tn && t[pos + k] >= '0' && t[pos + k] <= '9')
				k++;
			if (k == 0) {
				sb_put(b, "$", 1);
				continue;
			}
			memcpy(digits, t + pos, (size_t)k);
			digits[k] = '\0';
			idx = (size_t)atoi(digits);
			if (maxd > 1 && (int)idx > m->ng && k > 1) {
				digits[--k] = '\0';
				idx = (size_t)atoi(digits);
			}
			if (m->ng > 0 && idx >= 1 && (int)idx <= m->ng && m->groups[idx - 1])
				sb_put(b, m->groups[idx - 1]->s, m->groups[idx - 1]->slen);
			/* position advances by the digits of the number read */
			snprintf(digits, sizeof(digits), "%zu", idx);
			pos += strlen(digits);
		}
	}
}

static struct jv *f_replace(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	struct jv *s = A(0), *pat = A(1), *rep = A(2);
	double limit = A(3) ? A(3)->n : -1, count = 0;
	size_t pos = 0;

	(void)in;
	if (!s)
		return NULL;
	if (!pat)
		ncm_jx_fail(cx, 2, NULL, 0, "$replace() needs a string or a regular expression");
	if (!rep && pat->t != J_STR)
		ncm_jx_fail(cx, 2, NULL, 0, "$replace() needs a replacement");
	if (!rep) /* jsonata-js concatenates undefined */
		rep = ncm_jx_cstr(cx, "undefined");
	if (pat->t == J_STR && pat->slen == 0)
		ncm_jx_fail(cx, 2, "D3010", 0,
			    "Second argument of replace function cannot be an empty string");
	if (A(3) && limit < 0)
		ncm_jx_fail(cx, 2, "D3011", 0,
			    "Fourth argument of replace function must evaluate to a positive number");
	if (A(3) && limit == 0)
		return s;
	if (pat->t == J_STR) {
		const char *p;

		while ((!A(3) || count < limit) &&
		       (p = memmem_(s->s + pos, s->slen - pos, pat->s, pat->slen))) {
			size_t at = (size_t)(p - s->s);
			struct jv *r = rep;

			sb_put(&b, s->s + pos, at - pos);
			if (r->t != J_STR) {
				/* a function replacement with a string pattern: jsonata-js
				 * concatenates the function itself, which stringifies as its source */
				ncm_jx_fail(cx, 2, NULL, 0,
					    "a function replacement with a string pattern is not supported");
			}
			sb_put(&b, r->s, r->slen);
			pos = at + pat->slen;
			count++;
			ncm_jx_tick(cx, 0);
		}
		sb_put(&b, s->s + pos, s->slen - pos);
		return sb_val(&b);
	} else {
		struct jnode *re = matcher(cx, pat, "replace");
		struct rmatch m;

		if (!rx_exec(cx, re, s->s, s->slen, 0, &m))
			return s;
		do {
			sb_put(&b, s->s + pos, m.start - pos);
			if (rep->t == J_STR) {
				replace_template(&b, rep, &m, s->s);
			} else {
				struct jv *mo = ncm_jx_obj(cx), *r;

				ncm_jx_set(cx, mo, "match", 5, strv(cx, s->s + m.start, m.end - m.start));
				ncm_jx_set(cx, mo, "start", 5,
					   ncm_jx_num(cx, (double)u16_index(s->s, m.start)));
				ncm_jx_set(cx, mo, "end", 3, ncm_jx_num(cx, (double)u16_index(s->s, m.end)));
				ncm_jx_set(cx, mo, "groups", 6, groups_arr(cx, &m));
				r = ncm_jx_apply(cx, rep, &mo, 1, NULL, 0);
				if (!r || r->t != J_STR)
					ncm_jx_fail(cx, 2, "D3012", 0,
						    "Attempted to replace a matched string with a "
						    "non-string value");
				sb_put(&b, r->s, r->slen);
			}
			pos = m.end;
			count++;
		} while ((!A(3) || count < limit) && rx_next(cx, re, s->s, s->slen, &m));
		sb_put(&b, s->s + pos, s->slen - pos);
		return sb_val(&b);
	}
}

static struct jv *f_split(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *s = A(0), *sep = A(1), *r = ncm_jx_arr(cx);
	double limit = A(2) ? A(2)->n : -1;
	size_t pos = 0;

	(void)in;
	if (!s)
		return NULL;
	if (!sep)
		ncm_jx_fail(cx, 2, NULL, 0, "$split() needs a string or a regular expression");
	if (A(2) && limit < 0)
		ncm_jx_fail(cx, 2, "D3020", 0,
			    "Third argument of split function must evaluate to a positive number");
	if (A(2))
		limit = floor(limit); /* String.prototype.split's ToUint32 */
	if (A(2) && limit == 0)
		return r;
	if (sep->t == J_STR) {
		if (sep->slen == 0) {
			size_t i = 0;

			while (i < s->slen && (!A(2) || (double)r->an < limit)) {
				size_t e = cp_offset(s->s, s->slen, 1 + cp_count(s->s, i));

				ncm_jx_push(cx, r, strv(cx, s->s + i, e - i));
				i = e;
			}
			return r;
		}
		for (;;) {
			const char *p = memmem_(s->s + pos, s->slen - pos, sep->s, sep->slen);

			if (A(2) && (double)r->an >= limit)
				return r;
			if (!p) {
				ncm_jx_push(cx, r, strv(cx, s->s + pos, s->slen - pos));
				return r;
			}
			ncm_jx_push(cx, r, strv(cx, s->s + pos, (size_t)(p - (s->s + pos))));
			pos = (size_t)(p - s->s) + sep->slen;
			ncm_jx_tick(cx, 0);
		}
	} else {
		struct jnode *re = matcher(cx, sep, "split");
		struct rmatch m;
		double count = 0;

		if (!rx_exec(cx, re, s->s, s->slen, 0, &m)) {
			ncm_jx_push(cx, r, s);
			return r;
		}
		do {
			ncm_jx_push(cx, r, strv(cx, s->s + pos, m.start > pos ? m.start - pos : 0));
			pos = m.end;
			count++;
		} while ((!A(2) || count < limit) && rx_next(cx, re, s->s, s->slen, &m));
		if (!A(2) || count < limit)
			ncm_jx_push(cx, r, strv(cx, s->s + pos, s->slen - pos));
		return r;
	}
}

static struct jv *f_join(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->an; i++) {
		if (i && A(1))
			sb_put(&b, a[1]->s, a[1]->slen);
		sb_put(&b, a[0]->a[i]->s, a[0]->a[i]->slen);
	}
	return sb_val(&b);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Buffer.from(str, 'binary'): each code point's low byte. */
static struct jv *f_base64encode(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	unsigned char *bytes;
	size_t i, k = 0;

	(void)in;
	if (!A(0))
		return NULL;
	bytes = ncm_jx_alloc(cx, a[0]->slen + 3);
	for (i = 0; i < a[0]->slen;) {
		unsigned char c = (unsigned char)a[0]->s[i];
		unsigned cp;
		int len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, j;

		cp = len == 1 ? c : c & (0xffu >> (len + 1));
		for (j = 1; j < len && i + (size_t)j < a[0]->slen; j++)
			cp = (cp << 6) | ((unsigned char)a[0]->s[i + j] & 0x3f);
		bytes[k++] = (unsigned char)(cp & 0xff);
		i += (size_t)len;
	}
	for (i = 0; i < k; i += 3) {
		unsigned v = (unsigned)bytes[i] << 16 | (i + 1 < k ? (unsigned)bytes[i + 1] << 8 : 0) |
			     (i + 2 < k ? bytes[i + 2] : 0);
		char q[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63],
			      i + 1 < k ? b64[(v >> 6) & 63] : '=', i + 2 < k ? b64[v & 63] : '=' };

		sb_put(&b, q, 4);
	}
	return sb_val(&b);
}

/* Buffer.from(str, 'base64').toString('binary'): bytes become U+0000..U+00FF. */
static struct jv *f_base64decode(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct sb b = { cx, NULL, 0, 0 };
	unsigned v = 0;
	int bits = 0;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->slen; i++) {
		char c = a[0]->s[i];
		const char *p;

		if (c == '=')
			break;
		if (c == '-')
			c = '+';
		if (c == '_')
			c = '/';
		p = c ? strchr(b64, c) : NULL;
		if (!p)
			continue;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			unsigned char byte = (unsigned char)((v >> (bits - 8)) & 0xff);
			char u[2];

			bits -= 8;
			if (byte < 0x80) {
				u[0] = (char)byte;
				sb_put(&b, u, 1);
			} else {
				u[0] = (char)(0xc0 | (byte >> 6));
				u[1] = (char)(0x80 | (byte & 0x3f));
				sb_put(&b, u, 2);
			}
		}
	}
	return sb_val(&b);
}

static struct jv *url_encode(struct jctx *cx, struct jv *s, const char *keep, const char *fn)
{
	struct sb b = { cx, NULL, 0, 0 };
	size_t i;

	for (i = 0; i < s->slen; i++) {
		unsigned char c = (unsigned char)s->s[i];
		char h[4];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c && strchr(keep, c))) {
			sb_put(&b, (char *)&c, 1);
			continue;
		}
		if (c == 0xed && i + 1 < s->slen && (unsigned char)s->s[i + 1] >= 0xa0)
			ncm_jx_fail(cx, 2, "D3140", 0, "Malformed URL passed to $%s()", fn);
		snprintf(h, sizeof(h), "%%%02X", c);
		sb_put(&b, h, 3);
	}
	return sb_val(&b);
}

static struct jv *f_encode_url_component(struct jctx *cx, struct jv **a, int n,
					 struct jv *in)
{
	(void)in;
	return A(0) ? url_encode(cx, a[0], "-_.!~*'()", "encodeUrlComponent") : NULL;
}

static struct jv *f_encode_url(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? url_encode(cx, a[0], "-_.!~*'();/?:@&=+$,#", "encodeUrl") : NULL;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct jv *url_decode(struct jctx *cx, struct jv *s, const char *reserved,
			     const char *fn)
{
	struct sb b = { cx, NULL, 0, 0 };
	unsigned char *raw = ncm_jx_alloc(cx, s->slen + 1);
	size_t i, k = 0;

	for (i = 0; i < s->slen; i++) {
		if (s->s[i] == '%') {
			int h, l;

			if (i + 2 >= s->slen + 0 || (h = hexv(s->s[i + 1])) < 0 ||
			    (l = hexv(s->s[i + 2])) < 0)
				ncm_jx_fail(cx, 2, "D3140", 0, "Malformed URL passed to $%s()", fn);
			if (h * 16 + l < 0x80 && strchr(reserved, h * 16 + l) && h * 16 + l) {
				/* decodeURI keeps escapes of reserved characters */
				memcpy(raw + k, s->s + i, 3);
				k += 3;
			} else {
				raw[k++] = (unsigned char)(h * 16 + l);
			}
			i += 2;
		} else {
			raw[k++] = (unsigned char)s->s[i];
		}
	}
	{
		json_t *probe = json_stringn((char *)raw, k);

		if (!probe)
			ncm_jx_fail(cx, 2, "D3140", 0, "Malformed URL passed to $%s()", fn);
		json_decref(probe);
	}
	sb_put(&b, (char *)raw, k);
	return sb_val(&b);
}

static struct jv *f_decode_url_component(struct jctx *cx, struct jv **a, int n,
					 struct jv *in)
{
	(void)in;
	return A(0) ? url_decode(cx, a[0], "", "decodeUrlComponent") : NULL;
}

static struct jv *f_decode_url(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? url_decode(cx, a[0], ";/?:@&=+$,#", "decodeUrl") : NULL;
}

/* ---- numbers ---- */

static int num_syntax(const char *s)
{
	/* ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$ */
	if (*s == '-')
		s++;
	if (!(*s >= '0' && *s <= '9'))
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static struct jv *f_number(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *v = A(0);
	double d;

	(void)in;
	if (!v)
		return NULL;
	if (v->t == J_NUM)
		return v;
	if (v->t == J_BOOL)
		return ncm_jx_num(cx, v->b);
	if (v->t == J_STR && strlen(v->s) == v->slen) {
		if (num_syntax(v->s)) {
			d = strtod(v->s, NULL);
			if (isfinite(d))
				return ncm_jx_num(cx, d);
		}
		if (v->slen > 2 && v->s[0] == '0') {
			int base = v->s[1] == 'x' || v->s[1] == 'X' ? 16 : v->s[1] == 'o' || v->s[1] == 'O' ? 8
				 : v->s[1] == 'b' || v->s[1] == 'B' ? 2 : 0;
			const char *p = v->s + 2;

			if (base) {
				d = 0;
				for (; *p; p++) {
					int dv = hexv(*p);

					if (dv < 0 || dv >= base)
						break;
					d = d * base + dv;
				}
				if (!*p)
					return ncm_jx_num(cx, d);
			}
		}
	}
	ncm_jx_fail(cx, 2, "D3030", 0, "Unable to cast value to a number");
}

static struct jv *f_abs(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_num(cx, fabs(a[0]->n)) : NULL;
}

static struct jv *f_floor(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_num(cx, floor(a[0]->n) + 0.0) : NULL;
}

static struct jv *f_ceil(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_num(cx, ceil(a[0]->n) + 0.0) : NULL;
}

static double js_round(double x)
{
	return floor(x + 0.5);
}

/* Shifts the decimal exponent as jsonata-js does, through the number's string form. */
static double shift10(double x, int by)
{
	char buf[48], *e;
	int ex = 0;

	ncm_jx_numfmt(buf, x);
	e = strchr(buf, 'e');
	if (e) {
		ex = atoi(e + 1);
		*e = '\0';
	}
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "e%d", ex + by);
	return strtod(buf, NULL);
}

static struct jv *f_round(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	double x, r;
	int prec = 0;

	(void)in;
	if (!A(0))
		return NULL;
	x = a[0]->n;
	if (A(1) && A(1)->n != 0) {
		prec = (int)A(1)->n;
		x = shift10(x, prec);
	}
	r = js_round(x);
	if (fabs(r - x) == 0.5 && fabs(fmod(r, 2)) == 1)
		r -= 1;
	if (prec)
		r = shift10(r, -prec);
	if (r == 0)
		r = 0;
	return ncm_jx_num(cx, r);
}

static struct jv *f_sqrt(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (!A(0))
		return NULL;
	if (a[0]->n < 0)
		ncm_jx_fail(cx, 2, "D3060", 0,
			    "The sqrt function cannot be applied to a negative number");
	return ncm_jx_num(cx, sqrt(a[0]->n));
}

static struct jv *f_power(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	double r;

	(void)in;
	if (!A(0))
		return NULL;
	r = A(1) ? pow(a[0]->n, A(1)->n) : NAN;
	if (!isfinite(r))
		ncm_jx_fail(cx, 2, "D3061", 0,
			    "The power function has resulted in a value that cannot be represented "
			    "as a JSON number");
	return ncm_jx_num(cx, r);
}

static struct jv *f_random(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)a;
	(void)n;
	(void)in;
	ncm_jx_now_ms(cx);
	cx->rand_state = cx->rand_state * 1103515245u + 12345u;
	return ncm_jx_num(cx, (double)(cx->rand_state >> 8) / 16777216.0);
}

static struct jv *f_format_base(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	static const char dig[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct jv *rv, *args[1];
	double v, radix = 10;
	char buf[80];
	int i = (int)sizeof(buf) - 1, neg;

	(void)in;
	if (!A(0))
		return NULL;
	args[0] = a[0];
	rv = f_round(cx, args, 1, NULL);
	v = rv->n;
	if (A(1)) {
		args[0] = a[1];
		radix = f_round(cx, args, 1, NULL)->n;
	}
	if (radix < 2 || radix > 36)
		ncm_jx_fail(cx, 2, "D3100", 0,
			    "The radix of the formatBase function must be between 2 and 36");
	if (fabs(v) >= 9007199254740992.0)
		ncm_jx_fail(cx, 2, NULL, 0, "$formatBase of a number this large is not supported");
	neg = v < 0;
	v = fabs(v);
	buf[i] = '\0';
	do {
		buf[--i] = dig[(int)fmod(v, radix)];
		v = floor(v / radix);
	} while (v > 0 && i > 1);
	if (neg)
		buf[--i] = '-';
	return ncm_jx_cstr(cx, buf + i);
}

/* ---- booleans ---- */

static struct jv *f_boolean(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_bool(cx, ncm_jx_boolean(cx, a[0]) == 1) : NULL;
}

static struct jv *f_not(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_bool(cx, ncm_jx_boolean(cx, a[0]) != 1) : NULL;
}

static struct jv *f_exists(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return ncm_jx_bool(cx, A(0) != NULL);
}

/* ---- higher order ---- */

static struct jv *hof_call(struct jctx *cx, struct jv *fn, struct jv *v, struct jv *i,
			   struct jv *arr)
{
	struct jv *args[3] = { v, i, arr };
	int ar = ncm_jx_arity(fn);

	return ncm_jx_apply(cx, fn, args, ar >= 3 ? 3 : ar >= 2 ? 2 : 1, NULL, 0);
}

static struct jv *f_map(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r, *x;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	r = seq(cx);
	for (i = 0; i < a[0]->an; i++) {
		x = hof_call(cx, a[1], a[0]->a[i], ncm_jx_num(cx, (double)i), a[0]);
		if (x)
			ncm_jx_push(cx, r, x);
	}
	return r;
}

static struct jv *f_filter(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	r = seq(cx);
	for (i = 0; i < a[0]->an; i++)
		if (ncm_jx_boolean(cx, hof_call(cx, a[1], a[0]->a[i], ncm_jx_num(cx, (double)i), a[0])) ==
		    1)
			ncm_jx_push(cx, r, a[0]->a[i]);
	return r;
}

static struct jv *f_single(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r = NULL;
	size_t i;
	int found = 0;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->an; i++) {
		int ok = 1;

		if (A(1))
			ok = ncm_jx_boolean(cx, hof_call(cx, a[1], a[0]->a[i], ncm_jx_num(cx, (double)i),
						     a[0])) == 1;
		if (!ok)
			continue;
		if (found)
			ncm_jx_fail(cx, 2, "D3138", 0,
				    "The $single() function expected exactly 1 matching result.  "
				    "Instead it matched more.");
		r = a[0]->a[i];
		found = 1;
	}
	if (!found)
		ncm_jx_fail(cx, 2, "D3139", 0,
			    "The $single() function expected exactly 1 matching result.  Instead it "
			    "matched 0.");
	return r;
}

static struct jv *f_reduce(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r, *args[4];
	size_t i;
	int ar;

	(void)in;
	if (!A(0))
		return NULL;
	ar = ncm_jx_arity(a[1]);
	if (ar < 2)
		ncm_jx_fail(cx, 2, "D3050", 0,
			    "The second argument of reduce function must be a function with at "
			    "least two arguments");
	if (!A(2) && a[0]->an > 0) {
		r = a[0]->a[0];
		i = 1;
	} else {
		r = A(2);
		i = 0;
	}
	for (; i < a[0]->an; i++) {
		args[0] = r;
		args[1] = a[0]->a[i];
		args[2] = ncm_jx_num(cx, (double)i);
		args[3] = a[0];
		r = ncm_jx_apply(cx, a[1], args, ar >= 4 ? 4 : ar >= 3 ? 3 : 2, NULL, 0);
	}
	return r;
}

static struct jv *f_zip(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r = ncm_jx_arr(cx), *t;
	size_t len = (size_t)-1, i;
	int k;

	(void)in;
	for (k = 0; k < n; k++) {
		size_t l = a[k] && a[k]->t == J_ARR ? a[k]->an : 0;

		if (l < len)
			len = l;
	}
	if (n == 0)
		return r;
	for (i = 0; i < len; i++) {
		t = ncm_jx_arr(cx);
		for (k = 0; k < n; k++)
			ncm_jx_push(cx, t, a[k]->a[i]);
		ncm_jx_push(cx, r, t);
	}
	return r;
}

static struct jv *f_sift(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r = ncm_jx_obj(cx), *o = A(0);
	size_t i, *ix;

	(void)in;
	if (!o)
		return NULL;
	ix = ncm_jx_keys_order(cx, o);
	for (i = 0; i < o->on; i++) {
		struct jprop *p = &o->o[ix[i]];

		if (!p->v)
			continue;
		if (ncm_jx_boolean(cx, hof_call(cx, a[1], p->v, strv(cx, p->k, p->klen), o)) == 1)
			ncm_jx_set(cx, r, p->k, p->klen, p->v);
	}
	return r->on ? r : NULL;
}

static struct jv *f_each(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r = seq(cx), *o = A(0), *x;
	size_t i, *ix;

	(void)in;
	if (!o)
		return r;
	ix = ncm_jx_keys_order(cx, o);
	for (i = 0; i < o->on; i++) {
		struct jprop *p = &o->o[ix[i]];

		if (!p->v)
			continue;
		x = hof_call(cx, a[1], p->v, strv(cx, p->k, p->klen), o);
		if (x)
			ncm_jx_push(cx, r, x);
	}
	return r;
}

/* ---- objects and arrays ---- */

static void keys_into(struct jctx *cx, struct jv *v, struct jv *seen)
{
	size_t i, *ix;

	if (!v)
		return;
	if (v->t == J_ARR) {
		for (i = 0; i < v->an; i++)
			keys_into(cx, v->a[i], seen);
	} else if (v->t == J_OBJ) {
		ix = ncm_jx_keys_order(cx, v);
		for (i = 0; i < v->on; i++)
			if (v->o[ix[i]].v)
				ncm_jx_set(cx, seen, v->o[ix[i]].k, v->o[ix[i]].klen, ncm_jx_bool(cx, 1));
	}
}

static struct jv *f_keys(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *seen = ncm_jx_obj(cx), *r = seq(cx);
	size_t i, *ix;

	(void)in;
	keys_into(cx, A(0), seen);
	ix = ncm_jx_keys_order(cx, seen);
	for (i = 0; i < seen->on; i++)
		ncm_jx_push(cx, r, strv(cx, seen->o[ix[i]].k, seen->o[ix[i]].klen));
	return r;
}

static struct jv *lookup_deep(struct jctx *cx, struct jv *v, struct jv *k)
{
	struct jv *r, *m;
	size_t i, j;

	if (!v)
		return NULL;
	if (v->t == J_ARR) {
		r = seq(cx);
		for (i = 0; i < v->an; i++) {
			m = lookup_deep(cx, v->a[i], k);
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
	return v->t == J_OBJ ? ncm_jx_get(v, k->s, k->slen) : NULL;
}

static struct jv *f_lookup(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return lookup_deep(cx, A(0), A(1) ? A(1) : ncm_jx_cstr(cx, "undefined"));
}

static struct jv *f_append(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *x = A(0), *y = A(1), *r;
	size_t i;

	(void)in;
	if (!x)
		return y;
	if (!y)
		return x;
	r = ncm_jx_arr(cx);
	if (x->t != J_ARR)
		r->seq = 1;
	if (x->t == J_ARR)
		for (i = 0; i < x->an; i++)
			ncm_jx_push(cx, r, x->a[i]);
	else
		ncm_jx_push(cx, r, x);
	if (y->t == J_ARR)
		for (i = 0; i < y->an; i++)
			ncm_jx_push(cx, r, y->a[i]);
	else
		ncm_jx_push(cx, r, y);
	r->seq = 0;
	return r;
}

/* fn.spread, with fn.append's plain-array results. */
static struct jv *spread(struct jctx *cx, struct jv *v)
{
	struct jv *r, *s;
	size_t i, *ix;

	if (v && v->t == J_ARR) {
		r = seq(cx);
		for (i = 0; i < v->an; i++)
			r = ncm_jx_append(cx, r, spread(cx, v->a[i]));
		return r;
	}
	if (v && v->t == J_OBJ) {
		r = seq(cx);
		ix = ncm_jx_keys_order(cx, v);
		for (i = 0; i < v->on; i++) {
			if (!v->o[ix[i]].v)
				continue;
			s = ncm_jx_obj(cx);
			ncm_jx_set(cx, s, v->o[ix[i]].k, v->o[ix[i]].klen, v->o[ix[i]].v);
			ncm_jx_push(cx, r, s);
		}
		return r;
	}
	return v;
}

static struct jv *f_spread(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? spread(cx, a[0]) : NULL;
}

static struct jv *f_merge(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r = ncm_jx_obj(cx);
	size_t i, k, *ix;

	(void)in;
	if (!A(0))
		return NULL;
	for (i = 0; i < a[0]->an; i++) {
		struct jv *o = a[0]->a[i];

		ix = ncm_jx_keys_order(cx, o);
		for (k = 0; k < o->on; k++)
			if (o->o[ix[k]].v)
				ncm_jx_set(cx, r, o->o[ix[k]].k, o->o[ix[k]].klen, o->o[ix[k]].v);
	}
	return r;
}

static struct jv *f_reverse(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	if (a[0]->an <= 1)
		return a[0];
	r = ncm_jx_arr(cx);
	for (i = a[0]->an; i > 0; i--)
		ncm_jx_push(cx, r, a[0]->a[i - 1]);
	return r;
}

static struct jv *f_error(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	ncm_jx_fail(cx, 2, "D3137", 0, "%s",
		    A(0) && A(0)->slen ? A(0)->s : "$error() function evaluated");
}

static struct jv *f_assert(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (!A(0) || !a[0]->b)
		ncm_jx_fail(cx, 2, "D3141", 0, "%s",
			    A(1) && A(1)->slen ? A(1)->s : "$assert() statement failed");
	return NULL;
}

static struct jv *f_type(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	static const char *const names[] = { "null", "boolean", "number", "string", "array",
		"object", "function" };

	(void)in;
	if (A(0) && a[0]->t == J_NUM && !isfinite(a[0]->n))
		ncm_jx_fail(cx, 2, "D1001", 0, "Number out of range");
	return A(0) ? ncm_jx_cstr(cx, names[a[0]->t]) : NULL;
}

static struct jv *f_sort(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct fn_cmp c;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	if (a[0]->an <= 1)
		return a[0];
	if (!A(1)) {
		int nums = 1, strs = 1;

		for (i = 0; i < a[0]->an; i++) {
			nums &= a[0]->a[i] && a[0]->a[i]->t == J_NUM;
			strs &= a[0]->a[i] && a[0]->a[i]->t == J_STR;
		}
		if (!nums && !strs)
			ncm_jx_fail(cx, 2, "D3070", 0,
				    "The single argument form of the sort function can only be "
				    "applied to an array of strings or an array of numbers.  Use the "
				    "second argument to specify a comparison function");
		return ncm_jx_sort(cx, a[0], default_gt, NULL);
	}
	c.fn = a[1];
	return ncm_jx_sort(cx, a[0], fn_gt, &c);
}

static struct jv *f_shuffle(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *r;
	size_t i;

	(void)in;
	if (!A(0))
		return NULL;
	if (a[0]->an <= 1)
		return a[0];
	r = ncm_jx_arr(cx);
	for (i = 0; i < a[0]->an; i++)
		ncm_jx_push(cx, r, a[0]->a[i]);
	for (i = r->an - 1; i > 0; i--) {
		size_t j = (size_t)(f_random(cx, NULL, 0, NULL)->n * (double)(i + 1));
		struct jv *t = r->a[i];

		r->a[i] = r->a[j];
		r->a[j] = t;
	}
	return r;
}

static struct jv *f_distinct(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct jv *x = A(0), *r;
	size_t i, j;

	(void)in;
	if (!x || x->t != J_ARR || x->an <= 1)
		return x;
	r = x->seq ? seq(cx) : ncm_jx_arr(cx);
	for (i = 0; i < x->an; i++) {
		int dup = 0;

		for (j = 0; j < r->an && !dup; j++) {
			ncm_jx_tick(cx, 0);
			dup = ncm_jx_deep_equal(x->a[i], r->a[j]);
		}
		if (!dup)
			ncm_jx_push(cx, r, x->a[i]);
	}
	return r;
}

static struct jv *f_clone(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	return A(0) ? ncm_jx_clone(cx, a[0]) : NULL;
}

/* Parses and evaluates src under cx->jb (which the caller saved); 0 with *out, or -1. */
static int eval_protected(struct jctx *cx, struct jv *src, struct jv *context, struct jv **out)
{
	struct jnode *ast;
	struct jv *ctx = context;

	if (setjmp(cx->jb))
		return -1;
	ctx = context;
	ast = ncm_jx_parse(cx, src->s, src->slen);
	if (ctx && ctx->t == J_ARR && !ctx->seq) {
		struct jv *w = ncm_jx_seq(cx);

		ncm_jx_push(cx, w, ctx);
		w->outer = 1;
		ctx = w;
	}
	*out = ncm_jx_eval(cx, ast, ctx, cx->global);
	return 0;
}

/* $eval(expr [, context]): parsed and evaluated in the same arena and limits; its errors
 * become D3120 (syntax) and D3121 (evaluation), limits stay limits. */
static struct jv *f_eval(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	struct ncm_jsonata_error *save_err = cx->err, inner;
	jmp_buf save;
	const char *save_src = cx->src;
	size_t save_len = cx->srclen;
	int save_depth = cx->depth, rc;
	struct jv *r = NULL;

	if (!A(0))
		return NULL;
	if (cx->eval_nesting >= 8)
		ncm_jx_fail(cx, 3, NULL, 0, "$eval nested too deeply");
	cx->eval_nesting++;
	memcpy(save, cx->jb, sizeof(save));
	memset(&inner, 0, sizeof(inner));
	cx->err = &inner;
	cx->src = a[0]->s;
	cx->srclen = a[0]->slen;
	rc = eval_protected(cx, a[0], A(1) ? A(1) : in, &r);
	memcpy(cx->jb, save, sizeof(save));
	cx->err = save_err;
	cx->src = save_src;
	cx->srclen = save_len;
	cx->depth = save_depth;
	cx->eval_nesting--;
	if (rc == 0)
		return r;
	if (inner.code == 3) /* the message already starts with the code */
		ncm_jx_fail(cx, 3, inner.ref[0] ? inner.ref : NULL, 0, "%.200s",
			    inner.ref[0] ? inner.message + strlen(inner.ref) + 2 : inner.message);
	if (inner.code == 1)
		ncm_jx_fail(cx, 2, "D3120", 0,
			    "Syntax error in expression passed to function eval: %.150s",
			    inner.message);
	ncm_jx_fail(cx, 2, "D3121", 0,
		    "Dynamic error evaluating the expression passed to function eval: %.150s",
		    inner.message);
}

/* ---- date/time ---- */

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static struct jv *iso_from_ms(struct jctx *cx, double ms)
{
	long long t = (long long)floor(ms), days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
	long long rem = t - days * 86400000, y;
	unsigned mo, d;
	char buf[96];

	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		snprintf(buf, sizeof(buf), "%+07lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, mo, d,
			 rem / 3600000, rem / 60000 % 60, rem / 1000 % 60, rem % 1000);
	else
		snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, mo, d,
			 rem / 3600000, rem / 60000 % 60, rem / 1000 % 60, rem % 1000);
	return ncm_jx_cstr(cx, buf);
}

static struct jv *f_now(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (A(0) || A(1))
		return ncm_jx_format_datetime(cx, (double)ncm_jx_now_ms(cx), A(0), A(1));
	return iso_from_ms(cx, (double)ncm_jx_now_ms(cx));
}

static struct jv *f_millis(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)a;
	(void)n;
	(void)in;
	return ncm_jx_num(cx, (double)ncm_jx_now_ms(cx));
}

static struct jv *f_from_millis(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (!A(0))
		return NULL;
	if (A(1) || A(2))
		return ncm_jx_format_datetime(cx, a[0]->n, A(1), A(2));
	if (fabs(a[0]->n) > 8.64e15)
		ncm_jx_fail(cx, 2, NULL, 0, "Invalid time value");
	return iso_from_ms(cx, a[0]->n);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!((*p)[i] >= '0' && (*p)[i] <= '9'))
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

/* ISO 8601 as jsonata-js accepts it for $toMillis: YYYY[-MM[-DD[THH:MM:SS[.f]]]][Z|±HH[:]MM],
 * read in UTC (a time without zone is refused: JavaScript would read it as local time). */
static struct jv *f_to_millis(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	const char *p;
	int y, mo = 1, d = 1, h = 0, mi = 0, s = 0, tzh = 0, tzm = 0, sign = 0, has_time = 0;
	double frac = 0, ms;

	(void)in;
	if (!A(0))
		return NULL;
	if (A(1))
		ncm_jx_fail(cx, 2, NULL, 0, "$toMillis() with a picture is not supported");
	p = a[0]->s;
	if (!digits(&p, 4, &y))
		goto bad;
	if (*p == '-') {
		p++;
		if (!digits(&p, 2, &mo))
			goto bad;
		if (*p == '-') {
			p++;
			if (!digits(&p, 2, &d))
				goto bad;
		}
	}
	if (*p == 'T') {
		p++;
		has_time = 1;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
		    !digits(&p, 2, &s))
			goto bad;
		if (*p == '.') {
			double scale = 0.1;

			p++;
			if (!(*p >= '0' && *p <= '9'))
				goto bad;
			while (*p >= '0' && *p <= '9') {
				frac += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (!digits(&p, 2, &tzh))
			goto bad;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &tzm))
			goto bad;
	} else if (has_time) {
		ncm_jx_fail(cx, 2, NULL, 0,
			    "$toMillis() of a time without a zone (local time) is not supported");
	}
	if (*p)
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 59)
		return NULL; /* Date.parse gives NaN, which jsonata returns as is */
	ms = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000.0 +
	     ((h * 60 + mi) * 60 + s) * 1000.0 + floor(frac * 1000 + 1e-9);
	ms -= sign * (tzh * 60 + tzm) * 60000.0;
	return ncm_jx_num(cx, ms);
bad:
	ncm_jx_fail(cx, 2, "D3110", 0,
		    "The argument of the toMillis function must be an ISO 8601 formatted "
		    "timestamp. Given \"%.60s\"", a[0]->s);
}

static double round_to(double x, int prec)
{
	double r;

	if (prec)
		x = shift10(x, prec);
	r = js_round(x);
	if (fabs(r - x) == 0.5 && fabs(fmod(r, 2)) == 1)
		r -= 1;
	if (prec)
		r = shift10(r, -prec);
	return r == 0 ? 0 : r;
}

static struct jv *f_format_number(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (!A(0))
		return NULL;
	if (!A(1))
		ncm_jx_fail(cx, 2, NULL, 0, "$formatNumber() without a picture is not supported");
	if (A(2))
		ncm_jx_fail(cx, 2, NULL, 0, "$formatNumber() options are not supported");
	return ncm_jx_format_number(cx, a[0]->n, a[1], round_to);
}

static struct jv *f_format_integer(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)in;
	if (!A(0))
		return NULL;
	if (!A(1))
		ncm_jx_fail(cx, 2, NULL, 0, "$formatInteger() without a picture is not supported");
	return ncm_jx_format_integer(cx, a[0]->n, a[1]);
}

static struct jv *f_unsupported(struct jctx *cx, struct jv **a, int n, struct jv *in)
{
	(void)a;
	(void)n;
	(void)in;
	ncm_jx_fail(cx, 2, NULL, 0, "this function is not supported by this implementation");
}

static const struct jbuiltin builtins[] = {
	{ "sum", "<a<n>:n>", f_sum, 1 },
	{ "count", "<a:n>", f_count, 1 },
	{ "max", "<a<n>:n>", f_max, 1 },
	{ "min", "<a<n>:n>", f_min, 1 },
	{ "average", "<a<n>:n>", f_average, 1 },
	{ "string", "<x-b?:s>", f_string, 1 },
	{ "substring", "<s-nn?:s>", f_substring, 3 },
	{ "substringBefore", "<s-s:s>", f_substring_before, 2 },
	{ "substringAfter", "<s-s:s>", f_substring_after, 2 },
	{ "lowercase", "<s-:s>", f_lowercase, 1 },
	{ "uppercase", "<s-:s>", f_uppercase, 1 },
	{ "length", "<s-:n>", f_length, 1 },
	{ "trim", "<s-:s>", f_trim, 1 },
	{ "pad", "<s-ns?:s>", f_pad, 3 },
	{ "match", "<s-f<s:o>n?:a<o>>", f_match, 3 },
	{ "contains", "<s-(sf):b>", f_contains, 2 },
	{ "replace", "<s-(sf)(sf)n?:s>", f_replace, 4 },
	{ "split", "<s-(sf)n?:a<s>>", f_split, 3 },
	{ "join", "<a<s>s?:s>", f_join, 2 },
	{ "formatNumber", "<n-so?:s>", f_format_number, 3 },
	{ "formatBase", "<n-n?:s>", f_format_base, 2 },
	{ "formatInteger", "<n-s:s>", f_format_integer, 2 },
	{ "parseInteger", "<s-s:n>", f_unsupported, 2 },
	{ "number", "<(nsb)-:n>", f_number, 1 },
	{ "floor", "<n-:n>", f_floor, 1 },
	{ "ceil", "<n-:n>", f_ceil, 1 },
	{ "round", "<n-n?:n>", f_round, 2 },
	{ "abs", "<n-:n>", f_abs, 1 },
	{ "sqrt", "<n-:n>", f_sqrt, 1 },
	{ "power", "<n-n:n>", f_power, 2 },
	{ "random", "<:n>", f_random, 0 },
	{ "boolean", "<x-:b>", f_boolean, 1 },
	{ "not", "<x-:b>", f_not, 1 },
	{ "map", "<af>", f_map, 2 },
	{ "zip", "<a+>", f_zip, 0 },
	{ "filter", "<af>", f_filter, 2 },
	{ "single", "<af?>", f_single, 2 },
	{ "reduce", "<afj?:j>", f_reduce, 3 },
	{ "sift", "<o-f?:o>", f_sift, 2 },
	{ "keys", "<x-:a<s>>", f_keys, 1 },
	{ "lookup", "<x-s:x>", f_lookup, 2 },
	{ "append", "<xx:a>", f_append, 2 },
	{ "exists", "<x:b>", f_exists, 1 },
	{ "spread", "<x-:a<o>>", f_spread, 1 },
	{ "merge", "<a<o>:o>", f_merge, 1 },
	{ "reverse", "<a:a>", f_reverse, 1 },
	{ "each", "<o-f:a>", f_each, 2 },
	{ "error", "<s?:x>", f_error, 1 },
	{ "assert", "<bs?:x>", f_assert, 2 },
	{ "type", "<x:s>", f_type, 1 },
	{ "sort", "<af?:a>", f_sort, 2 },
	{ "shuffle", "<a:a>", f_shuffle, 1 },
	{ "distinct", "<x:x>", f_distinct, 1 },
	{ "base64encode", "<s-:s>", f_base64encode, 1 },
	{ "base64decode", "<s-:s>", f_base64decode, 1 },
	{ "encodeUrlComponent", "<s-:s>", f_encode_url_component, 1 },
	{ "encodeUrl", "<s-:s>", f_encode_url, 1 },
	{ "decodeUrlComponent", "<s-:s>", f_decode_url_component, 1 },
	{ "decodeUrl", "<s-:s>", f_decode_url, 1 },
	{ "eval", "<sx?:x>", f_eval, 2 },
	{ "toMillis", "<s-s?:n>", f_to_millis, 2 },
	{ "fromMillis", "<n-s?s?:s>", f_from_millis, 3 },
	{ "clone", "<(oa)-:o>", f_clone, 1 },
	{ "now", "<s?s?:s>", f_now, 2 },
	{ "millis", "<:n>", f_millis, 0 },
};

const struct jbuiltin *ncm_jx_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}
