/* SPDX-License-Identifier: MIT
 * test_agnss.c: A-GNSS schema-v1 payloads (core/agnss.c, docs/location.md#a-gnss-and-a-gps).
 * Every payload is read back by a decoder written here from the spec's layout alone (its own
 * element sizes, not agnss.c's), which also reads nRF Cloud's real answers in tests/data/agnss
 * (directory from NCM_TEST_DATA_DIR, set by tests/meson.build) and refuses the broken samples.
 * Ephemerides are checked by decoding them with the GPS ICD-200 user algorithm.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agnss.h"

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)
#define MU 3.986005e14
#define OMEGA_E 7.2921151467e-5
#define EARTH_R 6371e3
#define MQTT_MAX 2144  /* the SDK's MQTT payload buffer with A-GNSS */

/* ---- the independent decoder ---- */

/* docs/location.md#a-gnss-and-a-gps: UTC 14, ephemeris 62, almanac 31, Klobuchar 8, NeQuick 8, TOW 4, clock 16,
 * location 15, integrity 4; 10 is P-GPS only. */
static const size_t spec_size[14] = {
	0, 14, 62, 31, 8, 8, 4, 16, 15, 4, 0, 31, 62, 4,
};

struct elem {
	unsigned type;
	const uint8_t *p;
};

struct decoded {
	uint32_t types;
	unsigned count[14];
	struct elem *elems;     /* in payload order */
	size_t n;
	uint32_t tow_svs, eph_svs, alm_svs, qeph_svs, qalm_svs;  /* QZSS: bit sv - 193 */
	unsigned bad_svs;       /* orbit elements with an sv_id repeated or out of range */
	uint16_t date_day;
	uint32_t tod, sv_mask, frac_ms;
	const uint8_t *loc, *utc;
	char why[160];
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void decoded_free(struct decoded *d)
{
	free(d->elems);
	d->elems = NULL;
}

/* Sets bit (sv - first) of *set for an sv in first..first+n-1 not seen before. */
static int sv_once(uint32_t *set, unsigned sv, unsigned first, unsigned n)
{
	if (sv < first || sv >= first + n || (*set & 1u << (sv - first)))
		return -1;
	*set |= 1u << (sv - first);
	return 0;
}

/* One message as the device parses it: 0 when every byte is a well-formed element, else -1
 * with d->why. */
static int decode(const uint8_t *buf, size_t len, struct decoded *d)
{
	size_t off = 1, i, count, size;
	unsigned type, prev = 0;
	int seen_clock = 0;

	memset(d, 0, sizeof(*d));
	if (len < 2 || buf[0] != 1) {
		snprintf(d->why, sizeof(d->why), "no version byte 1 and block (len %zu)", len);
		return -1;
	}
	d->elems = malloc(len * sizeof(*d->elems));
	ck_assert_ptr_nonnull(d->elems);
	while (off < len) {
		if (len - off < 3) {
			snprintf(d->why, sizeof(d->why), "truncated header at %zu", off);
			goto bad;
		}
		type = buf[off];
		count = rd16(buf + off + 1);
		size = type < 14 ? spec_size[type] : 0;
		if (!size || !count || (len - off - 3) / size < count) {
			snprintf(d->why, sizeof(d->why), "bad block type %u count %zu at %zu", type,
				 count, off);
			goto bad;
		}
		if (type == 6 && seen_clock) {
			snprintf(d->why, sizeof(d->why), "TOWs after the clock at %zu", off);
			goto bad;
		}
		if (type == 7 && d->count[6] && prev != 6) {
			snprintf(d->why, sizeof(d->why), "clock not right after the TOWs at %zu",
				 off);
			goto bad;
		}
		off += 3;
		for (i = 0; i < count; i++, off += size) {
			const uint8_t *e = buf + off;
			int dup = 0, tow_dup = 0;

			d->elems[d->n].type = type;
			d->elems[d->n++].p = e;
			switch (type) {
			case 1: d->utc = e; break;
			case 2: dup = sv_once(&d->eph_svs, e[0], 1, 32); break;
			case 3: dup = sv_once(&d->alm_svs, e[0], 1, 32); break;
			case 6: tow_dup = sv_once(&d->tow_svs, e[0], 1, 32); break;
			case 7:
				seen_clock = 1;
				d->date_day = rd16(e);
				d->tod = rd32(e + 2);
				d->frac_ms = rd16(e + 6);
				d->sv_mask = rd32(e + 8);
				break;
			case 8: d->loc = e; break;
			case 11: dup = sv_once(&d->qalm_svs, e[0], 193, 10); break;
			case 12: dup = sv_once(&d->qeph_svs, e[0], 193, 10); break;
			}
			/* the SDK files TOWs at sv_tow[sv_id - 1]: a bad one is fatal */
			if (tow_dup) {
				snprintf(d->why, sizeof(d->why), "TOW sv_id %u repeated or out of "
					 "range", e[0]);
				goto bad;
			}
			d->bad_svs += dup != 0;
		}
		d->types |= 1u << type;
		d->count[type] += (unsigned)count;
		prev = type;
	}
	return 0;
bad:
	decoded_free(d);
	return -1;
}

/* ---- GPS ICD-200 user algorithm, for ephemerides ---- */

static double sc(int64_t v, int pow2)
{
	return ldexp((double)v, -pow2) * PI;
}

/* ECEF position of an ephemeris (62-byte element) at t seconds of the GPS week. */
static void icd_position(const uint8_t *e, double t, double x[3])
{
	double toe = rd16(e + 16) * 16.0, a = pow(ldexp(rd32(e + 38), -19), 2);
	double ecc = ldexp(rd32(e + 32), -33), tk = t - toe, m, ea, nu, phi, u, r, incl, om;
	int i;

	if (tk > 302400)
		tk -= 604800;
	else if (tk < -302400)
		tk += 604800;
	m = sc((int32_t)rd32(e + 24), 31) +
	    (sqrt(MU / (a * a * a)) + sc((int16_t)rd16(e + 22), 43)) * tk;
	for (ea = m, i = 0; i < 30; i++)
		ea = m + ecc * sin(ea);
	nu = atan2(sqrt(1 - ecc * ecc) * sin(ea), cos(ea) - ecc);
	phi = nu + sc((int32_t)rd32(e + 18), 31);
	u = phi + ldexp((int16_t)rd16(e + 54), -29) * sin(2 * phi) +
	    ldexp((int16_t)rd16(e + 60), -29) * cos(2 * phi);
	r = a * (1 - ecc * cos(ea)) + ldexp((int16_t)rd16(e + 50), -5) * sin(2 * phi) +
	    ldexp((int16_t)rd16(e + 56), -5) * cos(2 * phi);
	incl = sc((int32_t)rd32(e + 42), 31) + ldexp((int16_t)rd16(e + 52), -29) * sin(2 * phi) +
	       ldexp((int16_t)rd16(e + 58), -29) * cos(2 * phi) +
	       sc((int16_t)rd16(e + 36), 43) * tk;
	om = sc((int32_t)rd32(e + 46), 31) + (sc((int32_t)rd32(e + 28), 43) - OMEGA_E) * tk -
	     OMEGA_E * toe;
	x[0] = r * cos(u) * cos(om) - r * sin(u) * cos(incl) * sin(om);
	x[1] = r * cos(u) * sin(om) + r * sin(u) * cos(incl) * cos(om);
	x[2] = r * sin(u) * sin(incl);
}

static double elevation(const double s[3], double lat, double lon)
{
	double up[3] = { cos(lat * DEG) * cos(lon * DEG), cos(lat * DEG) * sin(lon * DEG),
			 sin(lat * DEG) };
	double d[3], dist = 0, dot = 0;
	int i;

	for (i = 0; i < 3; i++) {
		d[i] = s[i] - EARTH_R * up[i];
		dist += d[i] * d[i];
		dot += d[i] * up[i];
	}
	return asin(dot / sqrt(dist)) / DEG;
}

static double radius(const double x[3])
{
	return sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
}

/* ---- what a generated payload must hold ---- */

static unsigned popcount(uint32_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static const unsigned all_types[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13 };

/* GPS time by hand: seconds since 1980-01-06 plus 18 leap seconds (requests here are after
 * 2017). */
static int64_t gps_seconds(int64_t unix_s)
{
	return unix_s - 315964800 + 18;
}

/* Ephemeris fields against the ICD ranges and the request's hour. */
static void check_ephemeris(const uint8_t *e, int64_t gps_s, int qzss)
{
	uint32_t tow = (uint32_t)(gps_s % 604800);
	double sqrt_a = ldexp(rd32(e + 38), -19), ecc = ldexp(rd32(e + 32), -33);
	double i0 = sc((int32_t)rd32(e + 42), 31) / DEG, x[3];

	ck_assert_uint_eq(e[1], 0);                                /* healthy */
	ck_assert_uint_lt(rd16(e + 2), 1024);                      /* 10-bit IODC */
	ck_assert_uint_eq(rd16(e + 16), (tow - tow % 3600) / 16);  /* toe: this hour */
	ck_assert_uint_eq(rd16(e + 4), rd16(e + 16));              /* toc = toe */
	ck_assert_msg(ecc >= 0 && ecc < 0.03, "e %g", ecc);
	if (qzss) {
		ck_assert_msg(fabs(sqrt_a - 6493.4) < 1, "QZSS sqrt_a %g", sqrt_a);
		ck_assert_msg(fabs(i0 - 41) < 1.5, "QZSS i0 %g", i0);
	} else {
		ck_assert_msg(fabs(sqrt_a - 5153.7) < 1, "sqrt_a %g", sqrt_a);
		ck_assert_msg(fabs(i0 - 55) < 1.5, "i0 %g", i0);
	}
	icd_position(e, tow, x);
	ck_assert_msg(fabs(radius(x) - sqrt_a * sqrt_a) < 0.03 * sqrt_a * sqrt_a + 1000,
		      "sv %u radius %g", e[0], radius(x));
}

/* Everything a payload for req must satisfy; d is the decoded payload. */
static void check_contents(const struct ncm_agnss_req *req, const struct decoded *d)
{
	uint32_t want = req->types ? req->types : NCM_AGNSS_TYPES_DEFAULT;
	int64_t g = gps_seconds(req->unix_s);
	size_t i;

	ck_assert_msg(d->types == want, "types 0x%x, want 0x%x", d->types, want);
	ck_assert_uint_eq(d->bad_svs, 0);
	for (i = 0; i < 12; i++)
		if (want & 1u << all_types[i])
			ck_assert_uint_gt(d->count[all_types[i]], 0);
	if (want & 1u << 7) {
		ck_assert_uint_eq(d->count[7], 1);
		ck_assert_uint_eq(d->date_day, g / 86400);
		ck_assert_uint_eq(d->tod, g % 86400);
		ck_assert_uint_eq(d->frac_ms, 0);
		ck_assert_uint_eq(d->sv_mask, d->tow_svs);
	}
	if ((want & 1u << 6) && (want & 1u << 2))
		ck_assert_uint_eq(d->tow_svs, d->eph_svs);
	if (!req->filtered || !req->mask_deg) {
		if (want & 1u << 2)
			ck_assert_uint_eq(d->eph_svs, 0xffffffffu);
		if (want & 1u << 12)
			ck_assert_uint_eq(d->qeph_svs, 0x1f);
	}
	if (want & 1u << 3)
		ck_assert_uint_eq(d->alm_svs, 0xffffffffu);
	if (want & 1u << 11)
		ck_assert_uint_eq(d->qalm_svs, 0x1f);
	if (want & 1u << 6)
		ck_assert_uint_eq(d->count[6], popcount(d->tow_svs));
	if (d->utc) {
		ck_assert_int_eq((int8_t)d->utc[10], 18);                  /* delta_tls */
		ck_assert_uint_eq(d->utc[9], (g / 604800) & 0xff);         /* wn_t */
		ck_assert_int_eq((int8_t)d->utc[13], 18);                  /* delta_tlsf */
	}
	if (d->loc) {
		double lat = (int32_t)rd32(d->loc) * 90.0 / 8388608.0;
		double lon = (int32_t)rd32(d->loc + 4) * 360.0 / 16777216.0;
		double k = d->loc[10], r = 10 * (pow(1.1, k) - 1);

		/* within one step of the modem's coding: 1.2 m of latitude, 2.4 m x cos(lat) of
		 * longitude; two at +-180, which the coding's range stops one step short of */
		ck_assert_msg(fabs(lat - req->lat) <= 90.0 / 8388608 + 1e-12, "lat %.7f for %.7f",
			      lat, req->lat);
		ck_assert_msg(fabs(lon - req->lon) <= (fabs(req->lon) > 179.9999 ? 2 : 1) * 360.0 /
			      16777216 + 1e-12, "lon %.7f for %.7f", lon, req->lon);
		ck_assert_uint_eq(d->loc[10], d->loc[11]);
		ck_assert_msg(r >= req->unc_m || k == 127, "K %g gives %g m < %u", k, r,
			      req->unc_m);
		ck_assert_msg(k == 0 || 10 * (pow(1.1, k - 1) - 1) < req->unc_m, "K %g too big", k);
		ck_assert_uint_eq(d->loc[14], 68);
	}
	for (i = 0; i < d->n; i++) {
		const uint8_t *e = d->elems[i].p;

		if (d->elems[i].type == 2 || d->elems[i].type == 12)
			check_ephemeris(e, g, d->elems[i].type == 12);
		if (d->elems[i].type == 3 || d->elems[i].type == 11) {
			uint32_t tow = (uint32_t)(g % 604800);

			ck_assert_uint_eq(e[1], (g / 604800) & 0xff);      /* wn */
			ck_assert_uint_eq(e[2], tow / 4096);               /* toa, 2^12 s */
			ck_assert_msg(fabs(ldexp(rd32(e + 11), -11) -
					   (d->elems[i].type == 3 ? 5153.7 : 6493.4)) < 1,
				      "almanac sqrt_a");
		}
		if (d->elems[i].type == 6)
			ck_assert_msg(rd16(e + 1) || e[3], "TOW %u without tlm or flags", e[0]);
	}
}

static void build_ok(const struct ncm_agnss_req *req, uint8_t **buf, size_t *len)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(ncm_agnss_build(req, buf, len, &err) == NCM_OK, "build: %s", err.msg);
}

static void check_payload(const struct ncm_agnss_req *req, const uint8_t *buf, size_t len)
{
	struct decoded d;

	ck_assert_msg(decode(buf, len, &d) == 0, "types 0x%x: %s", req->types, d.why);
	check_contents(req, &d);
	decoded_free(&d);
}

static void build_and_check(const struct ncm_agnss_req *req)
{
	uint8_t *buf;
	size_t len;

	build_ok(req, &buf, &len);
	check_payload(req, buf, len);
	free(buf);
}

static const struct ncm_agnss_req base_req = {
	.unix_s = 1700000000, .lat = 63.4305, .lon = 10.3951, .unc_m = 5000,
};

/* Splits at max and checks each part standalone and their elements against the whole. */
static size_t split_and_check(const uint8_t *buf, size_t len, size_t max)
{
	struct ncm_err_info err = { 0 };
	struct ncm_agnss_part *parts;
	struct decoded whole, d;
	size_t n, i, j, k = 0;
	int clock_part = -1;

	ck_assert_int_eq(decode(buf, len, &whole), 0);
	ck_assert_msg(ncm_agnss_split(buf, len, max, &parts, &n, &err) == NCM_OK, "split %zu: %s",
		      max, err.msg);
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++) {
		ck_assert_uint_le(parts[i].len, max);
		ck_assert_msg(decode(parts[i].data, parts[i].len, &d) == 0, "part %zu: %s", i,
			      d.why);
		for (j = 0; j < d.n; j++, k++) {
			size_t size = spec_size[d.elems[j].type];

			ck_assert_uint_lt(k, whole.n);
			ck_assert_uint_eq(d.elems[j].type, whole.elems[k].type);
			ck_assert_mem_eq(d.elems[j].p, whole.elems[k].p, size);
		}
		if (d.count[7]) {
			/* the clock's message holds all the TOWs */
			ck_assert_int_eq(clock_part, -1);
			clock_part = (int)i;
			ck_assert_uint_eq(d.count[6], whole.count[6]);
		}
		decoded_free(&d);
	}
	ck_assert_uint_eq(k, whole.n);
	if (len <= max) {
		ck_assert_uint_eq(n, 1);
		ck_assert_mem_eq(parts[0].data, buf, len);
	}
	ncm_agnss_parts_free(parts, n);
	decoded_free(&whole);
	return n;
}

/* ---- tests ---- */

START_TEST(element_sizes_are_the_sdk_structs)
{
	unsigned t;

	for (t = 0; t < 14; t++)
		ck_assert_uint_eq(ncm_agnss_element_size(t), spec_size[t]);
	ck_assert_uint_eq(ncm_agnss_element_size(14), 0);
	ck_assert_uint_eq(ncm_agnss_element_size(253), 0);
	ck_assert_uint_eq(ncm_agnss_element_size(~0u), 0);
}
END_TEST

START_TEST(gps_time_of_known_dates)
{
	struct ncm_gps_time g;

	/* 1700000000 = 2023-11-14 22:13:20 UTC, a Tuesday. + 18 s - 315964800 = 1384035218 s of
	 * GPS time: 16018 days (16018 x 86400 = 1383955200) + 80018 s (22:13:38); week
	 * 16018 / 7 = 2288 (Tuesday = day 2), tow 2 x 86400 + 80018 = 252818. */
	ncm_gps_time_from_unix(1700000000, &g);
	ck_assert_uint_eq(g.week, 2288);
	ck_assert_uint_eq(g.tow, 252818);
	ck_assert_uint_eq(g.day, 16018);
	ck_assert_uint_eq(g.tod, 80018);
	/* the epoch, and a week later (no leap second yet) */
	ncm_gps_time_from_unix(315964800, &g);
	ck_assert_uint_eq(g.day + g.tod + g.week + g.tow, 0);
	ncm_gps_time_from_unix(315964800 + 604800, &g);
	ck_assert_uint_eq(g.week, 1);
	ck_assert_uint_eq(g.tow, 0);
	/* around the 2017 leap second: 2016-12-31 23:59:59 UTC is 17 s behind GPS time, 2017-01-01
	 * 00:00:00 is 18 s behind: GPS day 13510 (a Sunday, week 1930) at 16 s and 18 s */
	ncm_gps_time_from_unix(1483228799, &g);
	ck_assert_uint_eq(g.day, 13510);
	ck_assert_uint_eq(g.tod, 16);
	ncm_gps_time_from_unix(1483228800, &g);
	ck_assert_uint_eq(g.tod, 18);
	ck_assert_uint_eq(g.week, 1930);
	ck_assert_uint_eq(g.tow, 18);
	/* nRF Cloud's sample (tests/data/agnss/nrfc_agnsspayload2.bin) says GPS day 15193
	 * 28314 s: 2021-08-11 07:51:36 UTC */
	ncm_gps_time_from_unix(1628668296, &g);
	ck_assert_uint_eq(g.day, 15193);
	ck_assert_uint_eq(g.tod, 28314);
	/* before the GPS epoch: the epoch */
	ncm_gps_time_from_unix(0, &g);
	ck_assert_uint_eq(g.day + g.tod + g.week + g.tow, 0);
}
END_TEST

START_TEST(types_from_json_takes_integers_1_to_9_and_11_to_13)
{
	static const struct {
		const char *json;
		uint32_t want;  /* 0: refused */
		const char *in_msg;
	} rows[] = {
		{ "null", NCM_AGNSS_TYPES_DEFAULT, NULL },
		{ "[]", NCM_AGNSS_TYPES_DEFAULT, NULL },
		{ "[1,2,3]", 0xe, NULL },
		{ "[13,11,9]", (1u << 13) | (1u << 11) | (1u << 9), NULL },
		{ "[2,2,2]", 1u << 2, NULL },
		{ "[1,2,3,4,5,6,7,8,9,11,12,13]", 0x3bfe, NULL },
		{ "[10]", 0, "10" },
		{ "[0]", 0, "0" },
		{ "[14]", 0, "14" },
		{ "[1,-1]", 0, "-1" },
		{ "[1,99999999999]", 0, "99999999999" },
		{ "[\"2\"]", 0, "types[0]" },
		{ "[1,2.0]", 0, "types[1]" },
		{ "[true]", 0, "types[0]" },
		{ "{\"a\":1}", 0, "array" },
		{ "\"1,2\"", 0, "array" },
		{ "5", 0, "array" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ncm_err_info err = { 0 };
		json_t *j = json_loads(rows[i].json, JSON_DECODE_ANY, NULL);
		uint32_t out = 0xdead;
		int rc;

		ck_assert_ptr_nonnull(j);
		rc = ncm_agnss_types_from_json(j, &out, &err);
		if (rows[i].want) {
			ck_assert_msg(rc == NCM_OK, "%s: %s", rows[i].json, err.msg);
			ck_assert_uint_eq(out, rows[i].want);
		} else {
			ck_assert_msg(rc == NCM_ERR_INVAL, "%s accepted", rows[i].json);
			ck_assert_msg(strstr(err.msg, rows[i].in_msg), "%s: '%s' lacks '%s'",
				      rows[i].json, err.msg, rows[i].in_msg);
		}
		json_decref(j);
	}
	ck_assert_int_eq(ncm_agnss_types_from_json(NULL, &(uint32_t){ 0 }, NULL), NCM_OK);
}
END_TEST

START_TEST(types_from_list_takes_a_plain_comma_list)
{
	static const struct {
		const char *list;
		uint32_t want;  /* 0: refused */
		const char *in_msg;
	} rows[] = {
		{ "", NCM_AGNSS_TYPES_DEFAULT, NULL },
		{ "1,2,3", 0xe, NULL },
		{ "13", 1u << 13, NULL },
		{ "9,11", (1u << 9) | (1u << 11), NULL },
		{ "1,2,3,4,5,6,7,8,9,11,12,13", 0x3bfe, NULL },
		{ "10", 0, "'10'" },
		{ "1,10,2", 0, "'10'" },
		{ "0", 0, "'0'" },
		{ "01", 0, "'01'" },
		{ "1,,2", 0, "''" },
		{ "1,", 0, "''" },
		{ ",1", 0, "''" },
		{ "1 ,2", 0, "'1 '" },
		{ " 1", 0, "' 1'" },
		{ "a", 0, "'a'" },
		{ "-1", 0, "'-1'" },
		{ "+1", 0, "'+1'" },
		{ "1000", 0, "'1000'" },
		{ "1;2", 0, "'1;2'" },
		{ "\x01", 0, "'?'" },
		{ "12345678901234567890123456789012345678901234567890", 0,
		  "'12345678901234567890123456789012...'" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ncm_err_info err = { 0 };
		uint32_t out = 0xdead;
		int rc = ncm_agnss_types_from_list(rows[i].list, &out, &err);

		if (rows[i].want) {
			ck_assert_msg(rc == NCM_OK, "'%s': %s", rows[i].list, err.msg);
			ck_assert_uint_eq(out, rows[i].want);
		} else {
			ck_assert_msg(rc == NCM_ERR_INVAL, "'%s' accepted", rows[i].list);
			ck_assert_msg(strstr(err.msg, rows[i].in_msg), "'%s': '%s' lacks %s",
				      rows[i].list, err.msg, rows[i].in_msg);
		}
	}
	ck_assert_int_eq(ncm_agnss_types_from_list(NULL, &(uint32_t){ 0 }, NULL), NCM_OK);
}
END_TEST

/* The acceptance criterion: every combination of types a device can ask for. */
/* Under valgrind (NCM_VALGRIND, set by the test setup) the exhaustive loops take a sample:
 * valgrind is there for memory errors, which the plain and sanitizer runs of every case would
 * show too, and it is some fifty times slower. */
static unsigned sample_step(unsigned full)
{
	return getenv("NCM_VALGRIND") ? full : 1;
}

/* Builds, decodes and splits the payload of one subset of all_types (bit i = all_types[i]). */
static void check_subset(unsigned subset)
{
	struct ncm_agnss_req req = base_req;
	uint8_t *buf;
	size_t len;
	unsigned i;

	req.types = 0;
	for (i = 0; i < 12; i++)
		if (subset & 1u << i)
			req.types |= 1u << all_types[i];
	build_ok(&req, &buf, &len);
	check_payload(&req, buf, len);
	ck_assert_uint_ge(split_and_check(buf, len, MQTT_MAX), 1);
	if (subset % 64 == 0)
		split_and_check(buf, len, 300);
	free(buf);
}

START_TEST(every_types_combination_decodes_and_splits)
{
	unsigned subset, step = sample_step(31);

	for (subset = 0; subset < 4096; subset += step)
		check_subset(subset);
	if (step > 1)
		check_subset(4095);
}
END_TEST

START_TEST(the_default_set_is_types_1_2_3_4_6_7_9_and_needs_two_messages)
{
	struct ncm_agnss_req req = base_req;
	struct decoded d;
	uint8_t *buf;
	size_t len;

	build_ok(&req, &buf, &len);
	check_payload(&req, buf, len);
	ck_assert_int_eq(decode(buf, len, &d), 0);
	ck_assert_uint_eq(d.types, 0x2de);
	decoded_free(&d);
	ck_assert_uint_gt(len, MQTT_MAX);
	ck_assert_uint_ge(split_and_check(buf, len, MQTT_MAX), 2);
	split_and_check(buf, len, 300);
	/* the smallest max that holds the 32 TOWs and the clock: 1 + 3 + 128 + 3 + 16 */
	split_and_check(buf, len, 151);
	split_and_check(buf, len, (size_t)-1);
	free(buf);
}
END_TEST

START_TEST(the_same_request_gives_the_same_bytes)
{
	struct ncm_agnss_req req = base_req;
	uint8_t *a, *b;
	size_t la, lb;

	req.types = 0x3bfe;
	req.filtered = 1;
	req.mask_deg = 10;
	build_ok(&req, &a, &la);
	build_ok(&req, &b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_mem_eq(a, b, la);
	free(b);
	/* another hour moves the satellites */
	req.unix_s += 3600;
	build_ok(&req, &b, &lb);
	ck_assert_msg(la != lb || memcmp(a, b, la), "an hour later gives the same payload");
	free(a);
	free(b);
}
END_TEST

/* Elevations from the ephemerides themselves (ICD algorithm) against the mask. */
static void check_filtered(double lat, double lon, int64_t unix_s, unsigned eph_type)
{
	struct ncm_agnss_req req = base_req;
	uint8_t *all, *buf;
	size_t all_len, len, i;
	struct decoded whole, d;
	unsigned prev = 1000, n, first = eph_type == 2 ? 1 : 193, system_n = eph_type == 2 ? 32 : 5;
	double el_all[32], t = (double)(gps_seconds(unix_s) % 604800);
	int mask;

	req.unix_s = unix_s;
	req.lat = lat;
	req.lon = lon;
	req.types = 1u << eph_type | 1u << 6 | 1u << 7;
	build_ok(&req, &all, &all_len);
	ck_assert_int_eq(decode(all, all_len, &whole), 0);
	ck_assert_uint_eq(whole.count[eph_type], system_n);
	for (i = 0; i < whole.n; i++)
		if (whole.elems[i].type == eph_type) {
			double x[3];

			icd_position(whole.elems[i].p, t, x);
			el_all[whole.elems[i].p[0] - first] = elevation(x, lat, lon);
		}
	req.filtered = 1;
	for (mask = 0; mask <= 90; mask += 5) {
		req.mask_deg = mask;
		build_ok(&req, &buf, &len);
		check_payload(&req, buf, len);
		ck_assert_int_eq(decode(buf, len, &d), 0);
		n = d.count[eph_type];
		ck_assert_uint_ge(n, 1);
		ck_assert_msg(n <= prev, "mask %d keeps %u, more than %u", mask, n, prev);
		if (mask == 0)
			ck_assert_uint_eq(n, system_n);
		if (eph_type == 2)
			ck_assert_uint_eq(d.sv_mask, d.eph_svs);
		for (i = 0; i < system_n; i++) {
			int in = eph_type == 2 ? !!(d.eph_svs & 1u << i) : !!(d.qeph_svs & 1u << i);

			if (!mask)
				continue;
			/* the model and the ICD decoding differ by the harmonic terms only */
			if (in && n > 1)
				ck_assert_msg(el_all[i] >= mask - 0.1, "sv %zu at %.2f kept for %d",
					      first + i, el_all[i], mask);
			if (!in)
				ck_assert_msg(el_all[i] < mask + 0.1, "sv %zu at %.2f dropped "
					      "for %d", first + i, el_all[i], mask);
		}
		prev = n;
		decoded_free(&d);
		free(buf);
	}
	decoded_free(&whole);
	free(all);
}

START_TEST(filtered_ephemerides_are_those_above_the_mask)
{
	static const struct {
		double lat, lon;
	} places[] = { { 63.43, 10.39 }, { 0, 0 }, { -33.9, 151.2 }, { 35.7, 139.7 },
		       { 89.9, -45 }, { -90, 0 }, { 40.7, -74.0 } };
	size_t i;
	int h;

	for (i = 0; i < sizeof(places) / sizeof(places[0]); i += sample_step(3))
		for (h = 0; h < 24; h += 7 * (int)sample_step(3)) {
			check_filtered(places[i].lat, places[i].lon, 1700000000 + h * 3600, 2);
			check_filtered(places[i].lat, places[i].lon, 1700000000 + h * 3600, 12);
		}
}
END_TEST

START_TEST(a_typical_place_sees_a_typical_sky)
{
	struct ncm_agnss_req req = base_req;
	struct decoded d;
	uint8_t *buf;
	size_t len;

	req.filtered = 1;
	req.mask_deg = 5;
	req.types = 1u << 2;
	build_ok(&req, &buf, &len);
	ck_assert_int_eq(decode(buf, len, &d), 0);
	ck_assert_msg(d.count[2] >= 6 && d.count[2] <= 16, "%u satellites above 5 deg",
		      d.count[2]);
	decoded_free(&d);
	free(buf);
	/* a filtered set fits one message */
	ck_assert_uint_le(len, MQTT_MAX);
}
END_TEST

START_TEST(the_location_element_codes_the_request)
{
	static const double places[][2] = {
		{ 63.4305, 10.3951 }, { 0, 0 }, { -33.8688, 151.2093 }, { 90, 180 },
		{ -90, -180 }, { 45.0000001, -179.9999999 }, { -0.0000001, 0.0000001 },
	};
	static const uint32_t uncs[] = { 0, 1, 10, 100, 4890, 1800000, 10000000 };
	struct ncm_agnss_req req = base_req;
	size_t i;

	req.types = 1u << 8;
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		req.lat = places[i][0];
		req.lon = places[i][1];
		req.unc_m = uncs[i % (sizeof(uncs) / sizeof(uncs[0]))];
		build_and_check(&req);
	}
}
END_TEST

START_TEST(bad_requests_are_refused)
{
	struct ncm_agnss_req req = base_req;
	struct ncm_err_info err = { 0 };
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 7;

	req.types = 1u << 10;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "10"));
	req.types = 1u << 14 | 1u << 1;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	req = base_req;
	req.filtered = 1;
	req.mask_deg = 91;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "91"));
	req = base_req;
	req.lat = 90.5;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	req.lat = NAN;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	req = base_req;
	req.lon = -181;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
	req = base_req;
	req.unix_s = 315964799;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, NULL), NCM_ERR_INVAL);
	/* GPS day 65536 is in 2159 */
	req.unix_s = 315964800 + 65536LL * 86400;
	ck_assert_int_eq(ncm_agnss_build(&req, &buf, &len, &err), NCM_ERR_INVAL);
}
END_TEST

START_TEST(split_refuses_what_is_not_schema_v1)
{
	static const struct {
		const char *bytes;
		size_t len;
	} rows[] = {
		{ "", 0 },
		{ "\x01", 1 },
		{ "\x02\x04\x01\x00" "abcdefgh", 12 },          /* version 2 */
		{ "\x01\x04\x00\x00", 4 },                      /* count 0 */
		{ "\x01\x0a\x01\x00" "abcd", 8 },               /* type 10 */
		{ "\x01\xfd\x01\x00" "abcd", 8 },               /* type 253 */
		{ "\x01\x04\x01\x00" "abcdefg", 11 },           /* one byte short */
		{ "\x01\x04\x01\x00" "abcdefgh\x09", 13 },      /* a stray byte */
		{ "\x01\x04\x01\x00" "abcdefgh\x09\x01", 14 },  /* half a header */
	};
	struct ncm_agnss_part *parts = (void *)1;
	size_t i, n = 5;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ncm_err_info err = { 0 };

		ck_assert_msg(ncm_agnss_split((const uint8_t *)rows[i].bytes, rows[i].len,
					      MQTT_MAX, &parts, &n, &err) == NCM_ERR_INVAL,
			      "row %zu accepted", i);
		ck_assert_ptr_null(parts);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(err.msg[0], "row %zu: no message", i);
	}
	ck_assert_int_eq(ncm_agnss_split(NULL, 0, MQTT_MAX, &parts, &n, NULL), NCM_ERR_INVAL);
}
END_TEST

START_TEST(split_refuses_a_max_below_one_element_or_the_tows_and_clock)
{
	struct ncm_agnss_req req = base_req;
	struct ncm_err_info err = { 0 };
	struct ncm_agnss_part *parts;
	uint8_t *buf;
	size_t len, n;

	build_ok(&req, &buf, &len);
	ck_assert_int_eq(ncm_agnss_split(buf, len, 150, &parts, &n, &err), NCM_ERR_TOO_BIG);
	ck_assert_ptr_null(parts);
	ck_assert_int_eq(ncm_agnss_split(buf, len, 0, &parts, &n, &err), NCM_ERR_TOO_BIG);
	free(buf);
	/* ephemerides alone: 1 + 3 + 62 */
	req.types = 1u << 2;
	build_ok(&req, &buf, &len);
	ck_assert_uint_eq(split_and_check(buf, len, 66), 32);
	ck_assert_int_eq(ncm_agnss_split(buf, len, 65, &parts, &n, &err), NCM_ERR_TOO_BIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "65"));
	free(buf);
	/* TOWs without a clock split like any block */
	req.types = 1u << 6;
	build_ok(&req, &buf, &len);
	ck_assert_uint_eq(split_and_check(buf, len, 1 + 3 + 4), 32);
	free(buf);
}
END_TEST

/* ---- nRF Cloud's own answers ---- */

static uint8_t *read_sample(const char *name, size_t *len)
{
	const char *dir = getenv("NCM_TEST_DATA_DIR");
	char path[4096];
	uint8_t *buf;
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/agnss/%s", dir ? dir : "tests/data", name);
	f = fopen(path, "rb");
	ck_assert_msg(f, "cannot open %s (set NCM_TEST_DATA_DIR)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_gt(size, 0);
	rewind(f);
	buf = malloc((size_t)size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

START_TEST(the_decoder_reads_nrf_clouds_answers)
{
	struct decoded d;
	uint8_t *buf;
	size_t len, i;

	buf = read_sample("nrfc_agnsspayload1.bin", &len);
	ck_assert_uint_eq(len, 1864);
	ck_assert_msg(decode(buf, len, &d) == 0, "%s", d.why);
	ck_assert_uint_eq(d.types, 1u << 2);
	ck_assert_uint_eq(d.count[2], 30);
	ck_assert_uint_eq(d.bad_svs, 0);
	for (i = 0; i < d.n; i++) {
		double x[3], sqrt_a = ldexp(rd32(d.elems[i].p + 38), -19);

		icd_position(d.elems[i].p, rd16(d.elems[i].p + 16) * 16.0, x);
		ck_assert_msg(fabs(radius(x) - sqrt_a * sqrt_a) < 1e6, "real sv %u",
			      d.elems[i].p[0]);
	}
	decoded_free(&d);
	split_and_check(buf, len, 300);
	free(buf);

	buf = read_sample("nrfc_agnsspayload2.bin", &len);
	ck_assert_uint_eq(len, 1160);
	ck_assert_msg(decode(buf, len, &d) == 0, "%s", d.why);
	ck_assert_uint_eq(d.types, (1u << 3) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 1) |
			  (1u << 4) | (1u << 9));
	ck_assert_uint_eq(d.count[3], 31);
	ck_assert_uint_eq(d.count[6], 30);
	ck_assert_uint_eq(d.bad_svs, 0);
	/* its clock and almanac agree: day 15193 is in week 2170, 2170 mod 256 = 122 */
	ck_assert_uint_eq(d.date_day, 15193);
	ck_assert_uint_eq(d.elems[0].p[1], (15193 / 7) & 0xff);
	/* and it is in Trondheim */
	ck_assert_msg(fabs((int32_t)rd32(d.loc) * 90.0 / 8388608 - 63.42) < 0.01, "lat");
	ck_assert_msg(fabs((int32_t)rd32(d.loc + 4) * 360.0 / 16777216 - 10.42) < 0.01, "lon");
	ck_assert_int_eq((int8_t)d.utc[10], 18);
	decoded_free(&d);
	split_and_check(buf, len, 300);
	split_and_check(buf, len, MQTT_MAX);
	free(buf);
}
END_TEST

START_TEST(the_decoder_refuses_the_broken_samples)
{
	struct ncm_err_info err = { 0 };
	struct ncm_agnss_part *parts;
	struct decoded d;
	uint8_t *buf;
	size_t len, n;

	buf = read_sample("agnsspayload1.bin", &len);
	ck_assert_int_eq(decode(buf, len, &d), -1);
	ck_assert_msg(strstr(d.why, "type 253") && strstr(d.why, "at 982"), "%s", d.why);
	ck_assert_int_eq(ncm_agnss_split(buf, len, MQTT_MAX, &parts, &n, &err), NCM_ERR_INVAL);
	free(buf);
	buf = read_sample("agnsspayload2.bin", &len);
	ck_assert_int_eq(decode(buf, len, &d), -1);
	ck_assert_msg(strstr(d.why, "type 2 count 30"), "%s", d.why);
	ck_assert_int_eq(ncm_agnss_split(buf, len, MQTT_MAX, &parts, &n, &err), NCM_ERR_INVAL);
	free(buf);
}
END_TEST

/* A recording of the real service stands in for the types it holds, in generated order. */
START_TEST(recorded_blocks_replace_generated_ones_of_their_types)
{
	struct ncm_agnss_req req = base_req;
	struct ncm_err_info err = { 0 };
	struct decoded d;
	uint8_t *gen, *rec, *out, bad[4] = { 1, 253, 1, 0 };
	size_t gen_len, rec_len, out_len, i;

	req.types = NCM_AGNSS_TYPES_DEFAULT;
	build_ok(&req, &gen, &gen_len);
	rec = read_sample("nrfc_agnsspayload2.bin", &rec_len);
	ck_assert_int_eq(ncm_agnss_overlay(gen, gen_len, rec, rec_len, &out, &out_len, &err), 0);
	ck_assert_msg(decode(out, out_len, &d) == 0, "%s", d.why);
	/* ephemerides generated (the recording has none), the rest recorded; the recording's
	 * location (8) is not added since the request did not ask for it */
	ck_assert_uint_eq(d.types, NCM_AGNSS_TYPES_DEFAULT);
	ck_assert_uint_eq(d.count[2], 32);
	ck_assert_uint_eq(d.count[3], 31);
	ck_assert_uint_eq(d.count[6], 30);
	ck_assert_uint_eq(d.date_day, 15193);
	for (i = 0; i < d.n && d.elems[i].type != 3; i++)
		;
	ck_assert_uint_lt(i, d.n);
	/* the recording's first almanac element, byte for byte (it starts at offset 4) */
	ck_assert_mem_eq(d.elems[i].p, rec + 4, 31);
	decoded_free(&d);
	free(out);
	ck_assert_int_eq(ncm_agnss_overlay(gen, gen_len, bad, sizeof(bad), &out, &out_len, &err),
			 NCM_ERR_INVAL);
	ck_assert_msg(strstr(err.msg, "recorded A-GNSS data"), "%s", err.msg);
	free(rec);
	free(gen);
}
END_TEST

START_TEST(an_older_time_gets_its_own_leap_seconds)
{
	struct ncm_agnss_req req = base_req;
	struct decoded d;
	uint8_t *buf;
	size_t len;

	/* 2014-05-13: GPS - UTC was 16 s, the last leap at the end of 2012-06-30 (week 1694,
	 * day 6 counting Sunday as 0, as nRF Cloud's answers do) */
	req.unix_s = 1400000000;
	req.types = 1u << 1 | 1u << 7;
	build_ok(&req, &buf, &len);
	ck_assert_int_eq(decode(buf, len, &d), 0);
	ck_assert_int_eq((int8_t)d.utc[10], 16);
	ck_assert_uint_eq(d.utc[11], 1694 & 0xff);
	ck_assert_uint_eq(d.utc[12], 6);
	ck_assert_uint_eq((uint64_t)d.date_day * 86400 + d.tod, 1400000000 - 315964800 + 16);
	decoded_free(&d);
	free(buf);
	/* and today's UTC element matches nRF Cloud's: week 137, day 6, 18 s */
	req.unix_s = 1700000000;
	build_ok(&req, &buf, &len);
	ck_assert_int_eq(decode(buf, len, &d), 0);
	ck_assert_uint_eq(d.utc[11], 137);
	ck_assert_uint_eq(d.utc[12], 6);
	decoded_free(&d);
	free(buf);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* the 4096 combinations are slow under valgrind */
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("agnss");
	SRunner *sr;
	int failed;

	ADD(s, element_sizes_are_the_sdk_structs);
	ADD(s, gps_time_of_known_dates);
	ADD(s, types_from_json_takes_integers_1_to_9_and_11_to_13);
	ADD(s, types_from_list_takes_a_plain_comma_list);
	ADD(s, every_types_combination_decodes_and_splits);
	ADD(s, the_default_set_is_types_1_2_3_4_6_7_9_and_needs_two_messages);
	ADD(s, the_same_request_gives_the_same_bytes);
	ADD(s, filtered_ephemerides_are_those_above_the_mask);
	ADD(s, a_typical_place_sees_a_typical_sky);
	ADD(s, the_location_element_codes_the_request);
	ADD(s, bad_requests_are_refused);
	ADD(s, split_refuses_what_is_not_schema_v1);
	ADD(s, split_refuses_a_max_below_one_element_or_the_tows_and_clock);
	ADD(s, the_decoder_reads_nrf_clouds_answers);
	ADD(s, the_decoder_refuses_the_broken_samples);
	ADD(s, recorded_blocks_replace_generated_ones_of_their_types);
	ADD(s, an_older_time_gets_its_own_leap_seconds);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
