/* SPDX-License-Identifier: MIT
 * fuzz_agnss.c: fuzz target for schema-v1 A-GNSS payloads (core/agnss.h): the recorded answers
 * users drop in to be overlaid on generated data, and what the MQTT edge splits into
 * device-sized messages. The input is the payload: split at a size taken from its first two
 * bytes, at one from its last two and at the SDK's 2144, and overlaid both ways with a payload
 * generated once. Every answer is checked against a small walker of its own. Uses core only.
 */
#include <string.h>

#include "agnss.h"
#include "err.h"
#include "fuzz.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define HEADER 3         /* u8 type, u16 LE count */
#define SDK_BUFFER 2144  /* CONFIG_NRF_CLOUD_MQTT_PAYLOAD_BUFFER_LEN's default, the split size */
#define TYPE_TOWS 6
#define TYPE_CLOCK 7
#define TYPE_MAX 13

/* Element sizes by type (LOCT verify-agnss-data.ts; SDK nrf_cloud_agnss_schema_v1.h), kept
 * apart from agnss.c so that a wrong size there shows. */
static const size_t esize[TYPE_MAX + 1] = {
	[1] = 14, [2] = 62, [3] = 31, [4] = 8, [5] = 8, [6] = 4, [7] = 16, [8] = 15, [9] = 4,
	[11] = 31, [12] = 62, [13] = 4,
};

struct blk {
	unsigned type;
	size_t count;
	const uint8_t *data;
};

/* A walked payload: its blocks (malloc'd) when valid. */
struct walked {
	int valid;
	struct blk *b;
	size_t n;
	size_t elements;
};

/* Schema v1: version 1, then at least one block of a known type with a non-zero count and all
 * its elements. */
static void walk(const uint8_t *p, size_t len, struct walked *w)
{
	size_t off = 1, sz, count;

	memset(w, 0, sizeof(*w));
	if (len < 2 || p[0] != 1)
		return;
	/* the smallest block is a header and one 4-byte element */
	w->b = malloc((len / (HEADER + 4) + 1) * sizeof(*w->b));
	FUZZ_CHECK(w->b != NULL);
	while (off < len) {
		if (len - off < HEADER)
			goto bad;
		count = p[off + 1] | (size_t)p[off + 2] << 8;
		sz = p[off] <= TYPE_MAX ? esize[p[off]] : 0;
		if (!sz || !count || count * sz > len - off - HEADER)
			goto bad;
		w->b[w->n++] = (struct blk){ p[off], count, p + off + HEADER };
		w->elements += count;
		off += HEADER + count * sz;
	}
	w->valid = 1;
	return;
bad:
	free(w->b);
	memset(w, 0, sizeof(*w));
}

/* The element bytes of every block of type (or, for type 0, of all blocks with each element's
 * type before it), in order; malloc'd. */
static uint8_t *stream(const struct walked *w, unsigned type, size_t *len)
{
	size_t i, k, n = 0;
	uint8_t *s, *p;

	for (i = 0; i < w->n; i++)
		if (!type || w->b[i].type == type)
			n += w->b[i].count * (esize[w->b[i].type] + !type);
	s = p = malloc(n ? n : 1);
	FUZZ_CHECK(s != NULL);
	for (i = 0; i < w->n; i++) {
		size_t sz = esize[w->b[i].type];

		if (type && w->b[i].type != type)
			continue;
		for (k = 0; k < w->b[i].count; k++) {
			if (!type)
				*p++ = (uint8_t)w->b[i].type;
			memcpy(p, w->b[i].data + k * sz, sz);
			p += sz;
		}
	}
	*len = n;
	return s;
}

static int same_stream(const struct walked *a, const struct walked *b, unsigned type)
{
	size_t la, lb;
	uint8_t *sa = stream(a, type, &la), *sb = stream(b, type, &lb);
	int same = la == lb && !memcmp(sa, sb, la);

	free(sa);
	free(sb);
	return same;
}

static uint32_t types_of(const struct walked *w)
{
	uint32_t set = 0;
	size_t i;

	for (i = 0; i < w->n; i++)
		set |= 1u << w->b[i].type;
	return set;
}

/* Which TOWs-and-clock unit each block is in (0: none): a run of TOW blocks directly followed
 * by a clock block travels in one message (agnss.h). Fills grp (w->n entries); returns 1 when
 * max holds every unit and every other block's single element with the version byte. */
static int units(const struct walked *w, size_t max, unsigned *grp)
{
	size_t i = 0, j, unit;
	unsigned g = 0;
	int fits = 1;

	memset(grp, 0, w->n * sizeof(*grp));
	while (i < w->n) {
		if (w->b[i].type == TYPE_TOWS) {
			for (j = i, unit = 0; j < w->n && w->b[j].type == TYPE_TOWS; j++)
				unit += HEADER + w->b[j].count * esize[TYPE_TOWS];
			if (j < w->n && w->b[j].type == TYPE_CLOCK) {
				unit += HEADER + w->b[j].count * esize[TYPE_CLOCK];
				fits &= 1 + unit <= max;
				for (g++; i <= j; i++)
					grp[i] = g;
				continue;
			}
		}
		fits &= 1 + HEADER + esize[w->b[i].type] <= max;
		i++;
	}
	return fits;
}

static void check_split(const uint8_t *in, size_t len, const struct walked *w, size_t max)
{
	struct ncm_agnss_part *parts = NULL;
	struct ncm_err_info err = { 0 };
	struct walked pw, all = { 1, NULL, 0, 0 };
	unsigned *grp = NULL, *elem_grp = NULL;
	size_t n = 0, i, k, e, at;
	int rc, expect;

	if (w->valid) {
		grp = malloc((w->n + 1) * sizeof(*grp));
		elem_grp = malloc((w->elements + 1) * sizeof(*elem_grp));
		FUZZ_CHECK(grp && elem_grp);
		expect = units(w, max, grp) ? NCM_OK : NCM_ERR_TOO_BIG;
		for (i = 0, e = 0; i < w->n; i++)
			for (k = 0; k < w->b[i].count; k++)
				elem_grp[e++] = grp[i];
	} else {
		expect = NCM_ERR_INVAL;
	}
	rc = ncm_agnss_split(in, len, max, &parts, &n, &err);
	FUZZ_CHECK(rc == expect || rc == NCM_ERR_NOMEM);
	if (rc) {
		FUZZ_CHECK(err.code == rc && err.msg[0] && !parts && !n);
		goto out;
	}
	FUZZ_CHECK(parts && n >= 1);
	/* Every part is a schema-v1 payload of at most max bytes; together, in order, they hold
	 * the input's elements, and no part boundary cuts a TOWs-and-clock unit. */
	all.b = malloc(w->elements * sizeof(*all.b)); /* a block holds one element or more */
	FUZZ_CHECK(all.b != NULL);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(parts[i].data && parts[i].len <= max && parts[i].data[0] == 1);
		walk(parts[i].data, parts[i].len, &pw);
		FUZZ_CHECK(pw.valid && all.elements + pw.elements <= w->elements);
		at = all.elements;
		if (i)
			FUZZ_CHECK(!elem_grp[at] || elem_grp[at] != elem_grp[at - 1]);
		memcpy(all.b + all.n, pw.b, pw.n * sizeof(*pw.b));
		all.n += pw.n;
		all.elements += pw.elements;
		free(pw.b);
	}
	FUZZ_CHECK(all.elements == w->elements && same_stream(w, &all, 0));
out:
	free(all.b);
	free(grp);
	free(elem_grp);
	ncm_agnss_parts_free(parts, n);
}

/* Splits a valid payload at the sizes where one more byte changes the answer: those that hold
 * one element of a type (or a TOWs-and-clock unit) with the version byte, and one less. */
static void check_split_edges(const uint8_t *in, size_t len, const struct walked *w)
{
	uint32_t seen = 0;
	size_t i, j, unit;

	for (i = 0; w->valid && i < w->n; i++) {
		if (w->b[i].type == TYPE_TOWS && !(i && w->b[i - 1].type == TYPE_TOWS)) {
			for (j = i, unit = 1; j < w->n && w->b[j].type == TYPE_TOWS; j++)
				unit += HEADER + w->b[j].count * esize[TYPE_TOWS];
			if (j < w->n && w->b[j].type == TYPE_CLOCK) {
				unit += HEADER + w->b[j].count * esize[TYPE_CLOCK];
				check_split(in, len, w, unit - 1);
				check_split(in, len, w, unit);
			}
		}
		if (seen & 1u << w->b[i].type)
			continue;
		seen |= 1u << w->b[i].type;
		check_split(in, len, w, 1 + HEADER + esize[w->b[i].type] - 1);
		check_split(in, len, w, 1 + HEADER + esize[w->b[i].type]);
	}
}

/* overlay(gen, rec): rec's blocks replace gen's of the types rec has; gen's types, no more. */
static void check_overlay(const uint8_t *gen, size_t gen_len, const struct walked *gw,
			  const uint8_t *rec, size_t rec_len, const struct walked *rw)
{
	struct ncm_err_info err = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0;
	struct walked ow;
	uint32_t rec_types;
	unsigned t;
	int rc;

	rc = ncm_agnss_overlay(gen, gen_len, rec, rec_len, &out, &out_len, &err);
	if (!gw->valid || !rw->valid) {
		FUZZ_CHECK(rc == NCM_ERR_INVAL || rc == NCM_ERR_NOMEM);
		FUZZ_CHECK(err.code == rc && err.msg[0] && !out);
		/* agnss.h: the message names which payload was bad. */
		if (gw->valid && rc == NCM_ERR_INVAL)
			FUZZ_CHECK(strstr(err.msg, "recorded") != NULL);
		return;
	}
	if (rc) {
		FUZZ_CHECK(rc == NCM_ERR_NOMEM && err.code == rc && err.msg[0] && !out);
		return;
	}
	FUZZ_CHECK(out != NULL);
	walk(out, out_len, &ow);
	FUZZ_CHECK(ow.valid);
	FUZZ_CHECK(types_of(&ow) == types_of(gw));
	rec_types = types_of(rw);
	for (t = 1; t <= TYPE_MAX; t++)
		if (types_of(gw) & 1u << t)
			FUZZ_CHECK(same_stream(&ow, rec_types & 1u << t ? rw : gw, t));
	/* What the edge does next with it. */
	check_split(out, out_len, &ow, SDK_BUFFER);
	free(ow.b);
	free(out);
}

/* 4..4096 from two bytes, little-endian. */
static size_t max_from(uint8_t lo, uint8_t hi)
{
	return 4 + (size_t)(lo | hi << 8) % 4093;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Built once and kept (still reachable at exit): every type, for one time and place. */
	static uint8_t *gen;
	static size_t gen_len;
	static struct walked gw;
	/* An exact-size copy, so a read past size is caught by ASan or valgrind; no buffer at
	 * all for the empty input. */
	uint8_t *in = size ? malloc(size) : NULL;
	struct ncm_err_info err = { 0 };
	struct walked w;

	FUZZ_CHECK(in != NULL || !size);
	if (size)
		memcpy(in, data, size);
	if (!gen) {
		struct ncm_agnss_req req = {
			.unix_s = 1700000000, .types = 0x3feu | 1u << 11 | 1u << 12 | 1u << 13,
			.lat = 63.4305, .lon = 10.3951, .unc_m = 2000,
		};

		FUZZ_CHECK(ncm_agnss_build(&req, &gen, &gen_len, &err) == NCM_OK);
		walk(gen, gen_len, &gw);
		FUZZ_CHECK(gw.valid);
	}
	walk(in, size, &w);
	check_split(in, size, &w, size >= 2 ? max_from(in[0], in[1]) : 4);
	check_split(in, size, &w, size >= 2 ? max_from(in[size - 1], in[size - 2]) : 4096);
	check_split(in, size, &w, SDK_BUFFER);
	check_split_edges(in, size, &w);
	check_overlay(gen, gen_len, &gw, in, size, &w);
	check_overlay(in, size, &w, gen, gen_len, &gw);
	free(w.b);
	free(in);
	return 0;
}
