/* SPDX-License-Identifier: MIT
 * agnss.c: A-GNSS assistance data in schema v1 (see agnss.h): the request's types, the GPS time
 * of a Unix time, the payload for a time and place, and its split into MQTT-sized messages.
 * The satellites come from gnss_model.c; this file chooses which elements go out and packs the
 * rest (time, UTC, ionosphere, location, integrity). Pure: no clock reads, no rand().
 */
#include "agnss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnss_model.h"

#define GPS_EPOCH_UNIX 315964800  /* 1980-01-06 00:00:00 UTC */
#define TYPE_BIT(t) (1u << (t))
#define TYPES_VALID (0x3feu | TYPE_BIT(11) | TYPE_BIT(12) | TYPE_BIT(13))
#define BLOCK_HEADER 3            /* u8 type, u16 count */
#define QUOTE_MAX 32              /* longest excerpt of a bad type quoted in a message */

/* Element sizes of the SDK's packed structs (include/nrf_cloud_agnss_schema_v1.h); the system
 * clock is struct nrf_cloud_agnss_system_time without its sv_tow array plus 4 bytes, which is
 * what get_next_agnss_element() in src/nrf_cloud_agnss.c consumes. */
static const uint8_t element_sizes[] = {
	[NCM_AGNSS_GPS_UTC] = 14, [NCM_AGNSS_GPS_EPHEMERIDES] = 62,
	[NCM_AGNSS_GPS_ALMANAC] = 31, [NCM_AGNSS_KLOBUCHAR] = 8, [NCM_AGNSS_NEQUICK] = 8,
	[NCM_AGNSS_GPS_TOWS] = 4, [NCM_AGNSS_GPS_SYSTEM_CLOCK] = 16, [NCM_AGNSS_LOCATION] = 15,
	[NCM_AGNSS_GPS_INTEGRITY] = 4, [NCM_AGNSS_QZSS_ALMANAC] = 31,
	[NCM_AGNSS_QZSS_EPHEMERIDES] = 62, [NCM_AGNSS_QZSS_INTEGRITY] = 4,
};

/* Block order of nRF Cloud's answers (tests/data/agnss/nrfc_agnsspayload*.bin): ephemerides
 * (a message of their own), then almanac, TOWs, clock, location, UTC, Klobuchar, integrity.
 * NeQuick joins the other ionosphere model; QZSS, which those samples lack, comes last. */
static const uint8_t block_order[] = {
	NCM_AGNSS_GPS_EPHEMERIDES, NCM_AGNSS_GPS_ALMANAC, NCM_AGNSS_GPS_TOWS,
	NCM_AGNSS_GPS_SYSTEM_CLOCK, NCM_AGNSS_LOCATION, NCM_AGNSS_GPS_UTC, NCM_AGNSS_KLOBUCHAR,
	NCM_AGNSS_NEQUICK, NCM_AGNSS_GPS_INTEGRITY, NCM_AGNSS_QZSS_EPHEMERIDES,
	NCM_AGNSS_QZSS_ALMANAC, NCM_AGNSS_QZSS_INTEGRITY,
};

/* GPS - UTC from each Unix time on (IERS Bulletin C); 18 since 2017-01-01. */
static const struct {
	int64_t unix_s;
	int8_t offset;
} leaps[] = {
	{ 362793600, 1 }, { 394329600, 2 }, { 425865600, 3 }, { 489024000, 4 },
	{ 567993600, 5 }, { 631152000, 6 }, { 662688000, 7 }, { 709948800, 8 },
	{ 741484800, 9 }, { 773020800, 10 }, { 820454400, 11 }, { 867715200, 12 },
	{ 915148800, 13 }, { 1136073600, 14 }, { 1230768000, 15 }, { 1341100800, 16 },
	{ 1435708800, 17 }, { 1483228800, 18 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Values for the elements the orbit model does not give. */
#define TOW_TLM 122        /* the TLM message nRF Cloud's answers carry for every satellite */
#define TOW_FLAGS 1        /* anti-spoofing on, no alert */
#define LOC_CONFIDENCE 68  /* percent, as nRF Cloud's answers */
#define LOC_UNC_ALT_K 127  /* altitude 0 +- ~990 m, as nRF Cloud's answers */
#define LOC_K_MAX 127

size_t ncm_agnss_element_size(unsigned type)
{
	return type < COUNT(element_sizes) ? element_sizes[type] : 0;
}

/* Index into leaps[] of the last leap at or before unix_s; -1 before the first. */
static int leap_index(int64_t unix_s)
{
	int i;

	for (i = (int)COUNT(leaps) - 1; i >= 0; i--)
		if (unix_s >= leaps[i].unix_s)
			return i;
	return -1;
}

void ncm_gps_time_from_unix(int64_t unix_s, struct ncm_gps_time *out)
{
	int li = leap_index(unix_s);
	int64_t gps_s = unix_s - GPS_EPOCH_UNIX + (li < 0 ? 0 : leaps[li].offset);

	/* before the GPS epoch there is no GPS time: the epoch itself stands in */
	if (gps_s < 0)
		gps_s = 0;
	out->day = (uint32_t)(gps_s / NCM_GNSS_SEC_PER_DAY);
	out->tod = (uint32_t)(gps_s % NCM_GNSS_SEC_PER_DAY);
	out->week = (uint32_t)(gps_s / NCM_GNSS_SEC_PER_WEEK);
	out->tow = (uint32_t)(gps_s % NCM_GNSS_SEC_PER_WEEK);
}

static int type_ok(long long t)
{
	return t >= 1 && t <= 13 && (TYPES_VALID & TYPE_BIT(t));
}

int ncm_agnss_types_from_json(const json_t *types, uint32_t *out, struct ncm_err_info *err)
{
	uint32_t set = 0;
	size_t i;
	json_t *v;

	if (!types || json_is_null(types) || (json_is_array(types) && !json_array_size(types))) {
		*out = NCM_AGNSS_TYPES_DEFAULT;
		return NCM_OK;
	}
	if (!json_is_array(types))
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: types must be an array of integers");
	json_array_foreach(types, i, v) {
		if (!json_is_integer(v))
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: types[%zu] is not an "
					   "integer", i);
		if (!type_ok(json_integer_value(v)))
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: type %lld is not an A-GNSS "
					   "type (1..9, 11..13)",
					   (long long)json_integer_value(v));
		set |= TYPE_BIT(json_integer_value(v));
	}
	*out = set;
	return NCM_OK;
}

/* Copies up to QUOTE_MAX bytes of [s, s + n) with anything outside printable ASCII as '?': the
 * message may end up in a JSON error body. */
static const char *excerpt(const char *s, size_t n, char buf[QUOTE_MAX + 4])
{
	size_t i;

	for (i = 0; i < n && i < QUOTE_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > QUOTE_MAX)
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

int ncm_agnss_types_from_list(const char *list, uint32_t *out, struct ncm_err_info *err)
{
	char quote[QUOTE_MAX + 4];
	uint32_t set = 0;
	const char *p = list, *item;
	unsigned v;

	if (!list || !*list) {
		*out = NCM_AGNSS_TYPES_DEFAULT;
		return NCM_OK;
	}
	for (;;) {
		item = p;
		v = 0;
		/* two digits at most: nothing longer is a type, and v cannot overflow */
		while (*p >= '0' && *p <= '9' && p - item < 3)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == item || (*p != ',' && *p != '\0') || (*item == '0' && p - item > 1) ||
		    !type_ok(v)) {
			while (*p && *p != ',')
				p++;
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: type '%s' is not an A-GNSS "
					   "type (1..9, 11..13)",
					   excerpt(item, (size_t)(p - item), quote));
		}
		set |= TYPE_BIT(v);
		if (!*p)
			break;
		p++;
	}
	*out = set;
	return NCM_OK;
}

/* Satellites of one system to send: first..first+n-1 as bits 0..n-1. Filtered, those at or
 * above the mask; when none is, the highest alone, since a requested type always gets a block
 * with at least one element. */
static uint32_t pick(const struct ncm_agnss_req *req, int64_t gps_s, unsigned first, unsigned n)
{
	uint32_t all = n >= 32 ? 0xffffffffu : (1u << n) - 1, set = 0;
	double el, best_el = -1000;
	unsigned i, best = 0;

	if (!req->filtered || req->mask_deg <= 0)
		return all;
	for (i = 0; i < n; i++) {
		el = ncm_gnss_elevation_deg(first + i, gps_s, req->lat, req->lon);
		if (el >= req->mask_deg)
			set |= 1u << i;
		if (el > best_el) {
			best_el = el;
			best = i;
		}
	}
	return set ? set : 1u << best;
}

static unsigned popcount(uint32_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* The modem's coding (nrf_modem_gnss.h, struct nrf_modem_gnss_agnss_data_location):
 * N <= X * 2^bits / range < N + 1, within -8388607..8388607. */
static int32_t coord(double x, double range, int bits)
{
	double n = floor(ldexp(x, bits) / range);

	return (int32_t)fmax(-8388607, fmin(8388607, n));
}

/* Smallest K whose r = 10 (1.1^K - 1) m covers unc_m (same header). */
static uint8_t unc_k(uint32_t unc_m)
{
	uint8_t k = 0;

	while (k < LOC_K_MAX && 10 * (pow(1.1, k) - 1) < unc_m)
		k++;
	return k;
}

struct plan {
	struct ncm_gps_time gt;
	int64_t gps_s;
	uint32_t types, gps_svs, qzss_svs;
	int leap;               /* index into leaps[] */
};

static unsigned block_count(const struct plan *pl, unsigned type)
{
	switch (type) {
	case NCM_AGNSS_GPS_EPHEMERIDES:
	case NCM_AGNSS_GPS_TOWS:
		return popcount(pl->gps_svs);
	case NCM_AGNSS_GPS_ALMANAC:
		return NCM_GNSS_GPS_COUNT;
	case NCM_AGNSS_QZSS_EPHEMERIDES:
		return popcount(pl->qzss_svs);
	case NCM_AGNSS_QZSS_ALMANAC:
		return NCM_GNSS_QZSS_COUNT;
	default:
		return 1;
	}
}

static uint8_t *put_utc(uint8_t *p, const struct plan *pl)
{
	const int li = pl->leap;
	/* the day at whose end the last leap second came, as week mod 256 and day of week;
	 * nRF Cloud's answers count the day from 0 (Sunday): 2016-12-31 is week 137, day 6 */
	uint32_t day = li < 0 ? 0 :
		(uint32_t)((leaps[li].unix_s - NCM_GNSS_SEC_PER_DAY - GPS_EPOCH_UNIX) /
			   NCM_GNSS_SEC_PER_DAY);
	int8_t dtls = li < 0 ? 0 : leaps[li].offset;

	p = ncm_le_put32(p, (uint32_t)1);                /* a1, 2^-50 s/s */
	p = ncm_le_put32(p, (uint32_t)(int32_t)-2);      /* a0, 2^-30 s */
	p = ncm_le_put8(p, (uint8_t)(pl->gt.tow / 4096)); /* tot, 2^12 s */
	p = ncm_le_put8(p, (uint8_t)pl->gt.week);        /* wn_t mod 256 */
	p = ncm_le_put8(p, (uint8_t)dtls);               /* delta_tls */
	p = ncm_le_put8(p, (uint8_t)(day / 7));          /* wn_lsf mod 256 */
	p = ncm_le_put8(p, (uint8_t)(day % 7));          /* dn */
	return ncm_le_put8(p, (uint8_t)dtls);            /* delta_tlsf: no leap announced */
}

static uint8_t *put_location(uint8_t *p, const struct ncm_agnss_req *req)
{
	uint8_t k = unc_k(req->unc_m);

	p = ncm_le_put32(p, (uint32_t)coord(req->lat, 90, 23));
	p = ncm_le_put32(p, (uint32_t)coord(req->lon, 360, 24));
	p = ncm_le_put16(p, 0);                /* altitude, m */
	p = ncm_le_put8(p, k);                 /* unc_semimajor */
	p = ncm_le_put8(p, k);                 /* unc_semiminor */
	p = ncm_le_put8(p, 0);                 /* orientation_major */
	p = ncm_le_put8(p, LOC_UNC_ALT_K);
	return ncm_le_put8(p, LOC_CONFIDENCE);
}

static uint8_t *put_block(uint8_t *p, const struct plan *pl, const struct ncm_agnss_req *req,
			  unsigned type)
{
	/* toe: the hour we are in; toa: 4096-s units counted from the start of the week */
	int64_t toe = pl->gps_s - pl->gps_s % 3600;
	int64_t toa = pl->gps_s - pl->gt.tow % 4096;
	unsigned i;

	p = ncm_le_put8(p, (uint8_t)type);
	p = ncm_le_put16(p, (uint16_t)block_count(pl, type));
	switch (type) {
	case NCM_AGNSS_GPS_UTC:
		return put_utc(p, pl);
	case NCM_AGNSS_GPS_EPHEMERIDES:
		for (i = 0; i < NCM_GNSS_GPS_COUNT; i++)
			if (pl->gps_svs & (1u << i)) {
				ncm_gnss_ephemeris_pack(1 + i, toe, p);
				p += NCM_GNSS_EPHEMERIS_SIZE;
			}
		return p;
	case NCM_AGNSS_GPS_ALMANAC:
		for (i = 0; i < NCM_GNSS_GPS_COUNT; i++, p += NCM_GNSS_ALMANAC_SIZE)
			ncm_gnss_almanac_pack(1 + i, toa, p);
		return p;
	case NCM_AGNSS_KLOBUCHAR:
		/* alpha 2^-30, 2^-27, 2^-24, 2^-24 s...; beta 2^11, 2^14, 2^16, 2^16 s...: a
		 * typical mid-latitude broadcast set */
		{
			static const int8_t k[8] = { 12, 1, -1, -1, 44, 0, -3, 1 };

			for (i = 0; i < 8; i++)
				p = ncm_le_put8(p, (uint8_t)k[i]);
		}
		return p;
	case NCM_AGNSS_NEQUICK:
		p = ncm_le_put16(p, 258);     /* ai0, 2^-2 sfu: 64.5 */
		p = ncm_le_put16(p, 34);      /* ai1, 2^-8 sfu/deg */
		p = ncm_le_put16(p, 0);       /* ai2, 2^-15 sfu/deg^2 */
		p = ncm_le_put8(p, 0);        /* storm_cond: no storm ... */
		return ncm_le_put8(p, 0x1f);  /* storm_valid: ... in all five regions */
	case NCM_AGNSS_GPS_TOWS:
		for (i = 0; i < NCM_GNSS_GPS_COUNT; i++)
			if (pl->gps_svs & (1u << i)) {
				p = ncm_le_put8(p, (uint8_t)(1 + i));
				p = ncm_le_put16(p, TOW_TLM);
				p = ncm_le_put8(p, TOW_FLAGS);
			}
		return p;
	case NCM_AGNSS_GPS_SYSTEM_CLOCK:
		p = ncm_le_put16(p, (uint16_t)pl->gt.day);
		p = ncm_le_put32(p, pl->gt.tod);
		p = ncm_le_put16(p, 0);
		/* the SDK ORs in the TOWs it collected; nRF Cloud sends 0, we name them */
		p = ncm_le_put32(p, pl->types & TYPE_BIT(NCM_AGNSS_GPS_TOWS) ? pl->gps_svs : 0);
		return ncm_le_put32(p, 0);
	case NCM_AGNSS_LOCATION:
		return put_location(p, req);
	case NCM_AGNSS_GPS_INTEGRITY:
	case NCM_AGNSS_QZSS_INTEGRITY:
		return ncm_le_put32(p, 0);    /* no satellite flagged unhealthy */
	case NCM_AGNSS_QZSS_EPHEMERIDES:
		for (i = 0; i < NCM_GNSS_QZSS_COUNT; i++)
			if (pl->qzss_svs & (1u << i)) {
				ncm_gnss_ephemeris_pack(NCM_GNSS_QZSS_FIRST + i, toe, p);
				p += NCM_GNSS_EPHEMERIS_SIZE;
			}
		return p;
	case NCM_AGNSS_QZSS_ALMANAC:
		for (i = 0; i < NCM_GNSS_QZSS_COUNT; i++, p += NCM_GNSS_ALMANAC_SIZE)
			ncm_gnss_almanac_pack(NCM_GNSS_QZSS_FIRST + i, toa, p);
		return p;
	}
	return p;
}

int ncm_agnss_build(const struct ncm_agnss_req *req, uint8_t **out, size_t *len,
		    struct ncm_err_info *err)
{
	struct plan pl;
	uint8_t *buf = NULL, *p;
	size_t size = 1, i;
	unsigned t;

	*out = NULL;
	*len = 0;
	pl.types = req->types ? req->types : NCM_AGNSS_TYPES_DEFAULT;
	for (t = 0; t < 32; t++)
		if ((pl.types & TYPE_BIT(t)) && !type_ok(t))
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: type %u is not an A-GNSS "
					   "type (1..9, 11..13)", t);
	if (req->filtered && (req->mask_deg < 0 || req->mask_deg > 90))
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: mask %d is outside 0..90",
				   req->mask_deg);
	if (!(req->lat >= -90 && req->lat <= 90 && req->lon >= -180 && req->lon <= 180))
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: position %g, %g is not a latitude "
				   "and longitude", req->lat, req->lon);
	if (req->unix_s < GPS_EPOCH_UNIX)
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: time %lld is before the GPS epoch",
				   (long long)req->unix_s);
	ncm_gps_time_from_unix(req->unix_s, &pl.gt);
	if (pl.gt.day > UINT16_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: time %lld is past GPS day 65535",
				   (long long)req->unix_s);
	pl.gps_s = (int64_t)pl.gt.week * NCM_GNSS_SEC_PER_WEEK + pl.gt.tow;
	pl.leap = leap_index(req->unix_s);
	pl.gps_svs = pick(req, pl.gps_s, 1, NCM_GNSS_GPS_COUNT);
	pl.qzss_svs = pick(req, pl.gps_s, NCM_GNSS_QZSS_FIRST, NCM_GNSS_QZSS_COUNT);

	for (i = 0; i < COUNT(block_order); i++)
		if (pl.types & TYPE_BIT(block_order[i]))
			size += BLOCK_HEADER + block_count(&pl, block_order[i]) *
				element_sizes[block_order[i]];
	buf = malloc(size);
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "agnss: out of memory for %zu bytes", size);
	p = ncm_le_put8(buf, NCM_AGNSS_SCHEMA_VERSION);
	for (i = 0; i < COUNT(block_order); i++)
		if (pl.types & TYPE_BIT(block_order[i]))
			p = put_block(p, &pl, req, block_order[i]);
	*out = buf;
	*len = size;
	return NCM_OK;
}

/* ---- splitting ---- */

struct block {
	unsigned type;
	size_t count;
	const uint8_t *data;
};

struct splitter {
	size_t max, cap;               /* bytes per part, and the most any part can need */
	struct ncm_agnss_part *parts;
	size_t n, alloc;
};

static int open_part(struct splitter *s)
{
	struct ncm_agnss_part *np;

	if (s->n == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 4;

		np = realloc(s->parts, alloc * sizeof(*np));
		if (!np)
			return NCM_ERR_NOMEM;
		s->parts = np;
		s->alloc = alloc;
	}
	s->parts[s->n].data = malloc(s->cap);
	if (!s->parts[s->n].data)
		return NCM_ERR_NOMEM;
	s->parts[s->n].data[0] = NCM_AGNSS_SCHEMA_VERSION;
	s->parts[s->n].len = 1;
	s->n++;
	return NCM_OK;
}

/* Room left in the current part; 0 when there is none yet. */
static size_t room(const struct splitter *s)
{
	return s->n ? s->max - s->parts[s->n - 1].len : 0;
}

static void append(struct splitter *s, unsigned type, size_t count, const uint8_t *data)
{
	struct ncm_agnss_part *pt = &s->parts[s->n - 1];
	size_t bytes = count * element_sizes[type];

	pt->data[pt->len] = (uint8_t)type;
	ncm_le_put16(pt->data + pt->len + 1, (uint16_t)count);
	memcpy(pt->data + pt->len + BLOCK_HEADER, data, bytes);
	pt->len += BLOCK_HEADER + bytes;
}

/* Reads the payload's blocks into *blocks (malloc'd). */
static int read_blocks(const uint8_t *payload, size_t len, struct block **blocks, size_t *nb,
		       struct ncm_err_info *err)
{
	struct block *b;
	size_t off = 1, n = 0, esize;

	*blocks = NULL;
	if (!payload || len < 1 || payload[0] != NCM_AGNSS_SCHEMA_VERSION)
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: not a schema-v1 payload");
	if (len == 1)
		return ncm_err_set(err, NCM_ERR_INVAL, "agnss: the payload holds no blocks");
	/* the smallest block is a header and one 4-byte element */
	b = malloc(((len - 1) / (BLOCK_HEADER + 4) + 1) * sizeof(*b));
	if (!b)
		return ncm_err_set(err, NCM_ERR_NOMEM, "agnss: out of memory");
	while (off < len) {
		if (len - off < BLOCK_HEADER) {
			free(b);
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: truncated block header at "
					   "offset %zu", off);
		}
		b[n].type = payload[off];
		b[n].count = payload[off + 1] | (size_t)payload[off + 2] << 8;
		esize = ncm_agnss_element_size(b[n].type);
		if (!esize || !b[n].count ||
		    (len - off - BLOCK_HEADER) / esize < b[n].count) {
			free(b);
			return ncm_err_set(err, NCM_ERR_INVAL, "agnss: bad block (type %u, count "
					   "%zu) at offset %zu", payload[off],
					   (size_t)(payload[off + 1] | payload[off + 2] << 8), off);
		}
		b[n].data = payload + off + BLOCK_HEADER;
		off += BLOCK_HEADER + b[n].count * esize;
		n++;
	}
	*blocks = b;
	*nb = n;
	return NCM_OK;
}

int ncm_agnss_overlay(const uint8_t *gen, size_t gen_len, const uint8_t *rec, size_t rec_len,
		      uint8_t **out, size_t *out_len, struct ncm_err_info *err)
{
	struct block *g = NULL, *r = NULL;
	size_t ng = 0, nr = 0, i, j, size = 1;
	uint32_t recorded = 0, done = 0;
	uint8_t *buf = NULL, *p = NULL;
	struct ncm_err_info why = { 0 };
	int rc;

	*out = NULL;
	rc = read_blocks(gen, gen_len, &g, &ng, err);
	if (rc)
		return rc;
	rc = read_blocks(rec, rec_len, &r, &nr, &why);
	if (rc) {
		free(g);
		return ncm_err_set(err, rc, "recorded A-GNSS data: %s", why.msg);
	}
	for (j = 0; j < nr; j++)
		recorded |= 1u << r[j].type;
	/* first pass sizes, second writes */
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			buf = malloc(size);
			if (!buf) {
				free(g);
				free(r);
				return ncm_err_set(err, NCM_ERR_NOMEM, "agnss: out of memory");
			}
			buf[0] = NCM_AGNSS_SCHEMA_VERSION;
			p = buf + 1;
			done = 0;
		}
		for (i = 0; i < ng; i++) {
			unsigned t = g[i].type;

			if (!(recorded & 1u << t)) {
				size_t bytes = g[i].count * element_sizes[t];

				if (pass) {
					*p = (uint8_t)t;
					ncm_le_put16(p + 1, (uint16_t)g[i].count);
					memcpy(p + BLOCK_HEADER, g[i].data, bytes);
					p += BLOCK_HEADER + bytes;
				} else {
					size += BLOCK_HEADER + bytes;
				}
				continue;
			}
			if (done & 1u << t)
				continue;
			done |= 1u << t;
			for (j = 0; j < nr; j++) {
				size_t bytes = r[j].count * element_sizes[t];

				if (r[j].type != t)
					continue;
				if (pass) {
					*p = (uint8_t)t;
					ncm_le_put16(p + 1, (uint16_t)r[j].count);
					memcpy(p + BLOCK_HEADER, r[j].data, bytes);
					p += BLOCK_HEADER + bytes;
				} else {
					size += BLOCK_HEADER + bytes;
				}
			}
		}
	}
	free(g);
	free(r);
	*out = buf;
	*out_len = size;
	return NCM_OK;
}

int ncm_agnss_split(const uint8_t *payload, size_t len, size_t max, struct ncm_agnss_part **parts,
		    size_t *n, struct ncm_err_info *err)
{
	struct splitter s = { .max = max, .cap = max < len ? max : len };
	struct block *b = NULL;
	size_t nb = 0, i, j, unit, esize, k;
	const uint8_t *data;
	int rc;

	*parts = NULL;
	*n = 0;
	rc = read_blocks(payload, len, &b, &nb, err);
	if (rc)
		goto out;
	for (i = 0; i < nb; i++) {
		/* TOWs and the clock after them travel together: the SDK completes the clock
		 * element with the TOWs it met earlier in the same message */
		if (b[i].type == NCM_AGNSS_GPS_TOWS) {
			for (j = i, unit = 0; j < nb && b[j].type == NCM_AGNSS_GPS_TOWS; j++)
				unit += BLOCK_HEADER + b[j].count * element_sizes[b[j].type];
			if (j < nb && b[j].type == NCM_AGNSS_GPS_SYSTEM_CLOCK) {
				unit += BLOCK_HEADER + b[j].count * element_sizes[b[j].type];
				if (max < 1 || max - 1 < unit) {
					rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "agnss: %zu bytes "
							 "cannot hold the TOWs and the clock "
							 "(%zu bytes)", max, 1 + unit);
					goto out;
				}
				if (room(&s) < unit && (rc = open_part(&s)))
					goto nomem;
				for (; i <= j; i++)
					append(&s, b[i].type, b[i].count, b[i].data);
				i--;
				continue;
			}
		}
		esize = element_sizes[b[i].type];
		if (max < 1 + BLOCK_HEADER + esize) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "agnss: %zu bytes cannot hold one "
					 "element of type %u", max, b[i].type);
			goto out;
		}
		for (j = b[i].count, data = b[i].data; j; j -= k, data += k * esize) {
			if (room(&s) < BLOCK_HEADER + esize && (rc = open_part(&s)))
				goto nomem;
			k = (room(&s) - BLOCK_HEADER) / esize;
			if (k > j)
				k = j;
			append(&s, b[i].type, k, data);
		}
	}
	*parts = s.parts;
	*n = s.n;
	s.parts = NULL;
	s.n = 0;
	goto out;
nomem:
	rc = ncm_err_set(err, NCM_ERR_NOMEM, "agnss: out of memory splitting %zu bytes", len);
out:
	ncm_agnss_parts_free(s.parts, s.n);
	free(b);
	return rc;
}

void ncm_agnss_parts_free(struct ncm_agnss_part *parts, size_t n)
{
	size_t i;

	if (!parts)
		return;
	for (i = 0; i < n; i++)
		free(parts[i].data);
	free(parts);
}
