/* SPDX-License-Identifier: MIT
 * fuzz_location.c: fuzz target for ground-fix request bodies (core/location.h), the JSON that
 * devices POST to /v1/location/ground-fix and publish as GROUND_FIX "data". The input is the
 * body (and, when it has a "data" object, that too, as the MQTT edge passes it), resolved with
 * every hiConf/fallback combination around two centres, against lookups that are pure functions
 * of their arguments; the input is also fed to the MAC normaliser. Uses core only.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "fuzz.h"
#include "location.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NRF_CODE_INVALID 42200
#define NRF_CODE_INTERNAL 50010

/* Trondheim as the server's default, and a corner where positions wrap the pole and the
 * antimeridian. */
static const struct ncm_loc_config configs[] = {
	{ 63.4305, 10.3951, 20000.0 },
	{ 89.99, -179.999, 3000000.0 },
};

/* 1 when s is 17 characters of hex pairs split by ':', the hex digits in [lo, lo + 6). */
static int is_mac(const char *s, char lo)
{
	int i;

	for (i = 0; i < 17; i++) {
		char c = s[i];

		if (i % 3 == 2) {
			if (c != ':')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= lo && c < lo + 6))) {
			return 0;
		}
	}
	return s[17] == '\0';
}

/* A position anywhere on the globe, edges included, from a number. */
static void pos_from(uint64_t h, struct ncm_loc_pos *pos)
{
	pos->lat = (double)(h % 180001) / 1000.0 - 90.0;
	pos->lon = (double)(h / 180001 % 360001) / 1000.0 - 180.0;
	pos->unc = (double)(h / 180001 / 360001 % 5000);
}

/* Known when eci % 3 == 0; every 27th known cell sits on the corner (90, 180) with no
 * uncertainty. */
static int cell_lookup(void *ud, uint32_t mcc, uint32_t mnc, uint32_t tac, uint32_t eci,
		       struct ncm_loc_pos *pos)
{
	(void)ud;
	if (eci % 3)
		return 0;
	if (eci % 27 == 0) {
		*pos = (struct ncm_loc_pos){ 90.0, 180.0, 0.0 };
		return 1;
	}
	pos_from((uint64_t)mcc * 1000003u + (uint64_t)mnc * 10007u + (uint64_t)tac * 101u + eci,
		 pos);
	return 1;
}

/* Known when the last hex digit is even, an anchor when it is 0; anchors whose MAC starts
 * with 'f' get a name longer than the buffer. */
static int wifi_lookup(void *ud, const char *mac, struct ncm_loc_pos *pos, char *name,
		       size_t name_size)
{
	uint64_t v = 0;
	int i;

	(void)ud;
	/* location.h: the lookup gets the MAC normalised to lower case. */
	FUZZ_CHECK(mac && is_mac(mac, 'a'));
	FUZZ_CHECK(name && name_size > 0);
	if ((mac[16] >= '0' && mac[16] <= '9' ? mac[16] - '0' : mac[16] - 'a' + 10) % 2)
		return 0;
	for (i = 0; i < 17; i++)
		if (i % 3 != 2)
			v = v << 4 | (uint64_t)(mac[i] <= '9' ? mac[i] - '0' : mac[i] - 'a' + 10);
	pos_from(v, pos);
	if (mac[16] == '0')
		snprintf(name, name_size, "%s %s%s", mac[0] == 'f' ? "anchor with a name longer "
			 "than any buffer location.h gives a lookup for it," : "anchor", mac,
			 mac[0] == 'f' ? " and then some more" : "");
	return 1;
}

static const struct ncm_loc_lookup lookup = { cell_lookup, wifi_lookup, NULL };

struct outcome {
	int rc, nrf_code;
	struct ncm_err_info err;
	struct ncm_loc_result res;
};

static void fix(const json_t *body, const struct ncm_loc_flags *flags,
		const struct ncm_loc_config *cfg, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->rc = ncm_loc_ground_fix(body, flags, cfg, &lookup, &o->res, &o->nrf_code, &o->err);
}

static int same_place(const struct outcome *a, const struct outcome *b)
{
	size_t i;

	if (a->res.pos.lat != b->res.pos.lat || a->res.pos.lon != b->res.pos.lon ||
	    a->res.with != b->res.with || a->res.n_anchors != b->res.n_anchors)
		return 0;
	for (i = 0; i < a->res.n_anchors && i < NCM_LOC_MAX_ANCHORS; i++)
		if (strcmp(a->res.anchors[i].mac, b->res.anchors[i].mac) ||
		    strcmp(a->res.anchors[i].name, b->res.anchors[i].name))
			return 0;
	return 1;
}

static int same(const struct outcome *a, const struct outcome *b)
{
	if (a->rc != b->rc || a->nrf_code != b->nrf_code)
		return 0;
	if (a->rc)
		return a->err.code == b->err.code && !strcmp(a->err.msg, b->err.msg);
	return same_place(a, b) && a->res.pos.unc == b->res.pos.unc;
}

static void check_outcome(const json_t *body, const struct outcome *o)
{
	const struct ncm_loc_result *r = &o->res;
	int has_cells = json_object_get(body, "lte") || json_object_get(body, "ltecatm") ||
			json_object_get(body, "nbiot");
	size_t i;

	if (o->rc) {
		FUZZ_CHECK(o->rc == NCM_ERR_INVAL || o->rc == NCM_ERR_NOMEM);
		FUZZ_CHECK(o->nrf_code ==
			   (o->rc == NCM_ERR_INVAL ? NRF_CODE_INVALID : NRF_CODE_INTERNAL));
		FUZZ_CHECK(o->err.code == o->rc && o->err.msg[0]);
		FUZZ_CHECK(memchr(o->err.msg, '\0', sizeof(o->err.msg)) != NULL);
		return;
	}
	FUZZ_CHECK(o->nrf_code == 0);
	FUZZ_CHECK(isfinite(r->pos.lat) && r->pos.lat >= -90.0 && r->pos.lat <= 90.0);
	FUZZ_CHECK(isfinite(r->pos.lon) && r->pos.lon >= -180.0 && r->pos.lon <= 180.0);
	FUZZ_CHECK(isfinite(r->pos.unc) && r->pos.unc >= 0.0);
	FUZZ_CHECK(r->with == NCM_LOC_MCELL || r->with == NCM_LOC_SCELL ||
		   r->with == NCM_LOC_WIFI || r->with == NCM_LOC_ANCHOR);
	FUZZ_CHECK(strcmp(ncm_loc_with_name(r->with), "?") != 0);
	/* Cell answers need cells, Wi-Fi answers access points. */
	if (r->with == NCM_LOC_MCELL || r->with == NCM_LOC_SCELL)
		FUZZ_CHECK(has_cells);
	else
		FUZZ_CHECK(json_object_get(body, "wifi") != NULL);
	FUZZ_CHECK(r->n_anchors <= NCM_LOC_MAX_ANCHORS);
	FUZZ_CHECK((r->with == NCM_LOC_ANCHOR) == (r->n_anchors > 0));
	for (i = 0; i < r->n_anchors && i < NCM_LOC_MAX_ANCHORS; i++) {
		/* Upper-case MACs the lookup called anchors, with the name it gave. */
		FUZZ_CHECK(is_mac(r->anchors[i].mac, 'A'));
		FUZZ_CHECK(r->anchors[i].mac[16] == '0');
		FUZZ_CHECK(memchr(r->anchors[i].name, '\0', sizeof(r->anchors[i].name)) &&
			   !strncmp(r->anchors[i].name, "anchor ", 7));
	}
}

static void fix_all(const json_t *body, const struct ncm_loc_config *cfg)
{
	static const struct ncm_loc_flags defaults = { 0, 1 };
	struct outcome o[2][2], again, dflt;
	int hi, fb;

	for (hi = 0; hi < 2; hi++) {
		for (fb = 0; fb < 2; fb++) {
			struct ncm_loc_flags fl = { hi, fb };

			fix(body, &fl, cfg, &o[hi][fb]);
			check_outcome(body, &o[hi][fb]);
			fix(body, &fl, cfg, &again);
			FUZZ_CHECK(same(&o[hi][fb], &again));
			/* The flags never make a body valid or invalid. */
			FUZZ_CHECK(o[hi][fb].rc == o[0][0].rc);
		}
	}
	/* hiConf widens the radius, nothing else. */
	for (fb = 0; fb < 2 && !o[0][0].rc; fb++) {
		FUZZ_CHECK(same_place(&o[1][fb], &o[0][fb]));
		FUZZ_CHECK(o[1][fb].res.pos.unc >= o[0][fb].res.pos.unc);
	}
	/* No flags: the defaults, hiConf off and fallback on. */
	fix(body, NULL, cfg, &dflt);
	FUZZ_CHECK(same(&dflt, &o[defaults.hi_conf][defaults.fallback]));
}

static void check_mac(const char *s)
{
	char out[18], again[18];
	int i;

	memset(out, 0x7f, sizeof(out));
	if (ncm_loc_mac_normalise(s, out) != 0)
		return;
	FUZZ_CHECK(strlen(s) == 17);
	FUZZ_CHECK(is_mac(out, 'a'));
	/* The same MAC, only the case and the separator differ. */
	for (i = 0; i < 17; i++)
		FUZZ_CHECK(i % 3 == 2 ? s[i] == s[2] && (s[i] == ':' || s[i] == '-')
				      : (s[i] | 0x20) == out[i]);
	FUZZ_CHECK(ncm_loc_mac_normalise(out, again) == 0 && !memcmp(out, again, sizeof(out)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	char *s = malloc(size + 1);
	const json_t *inner;
	size_t i;

	FUZZ_CHECK(s != NULL);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	check_mac(s);
	if (body) {
		/* The MQTT form: {"appId":"GROUND_FIX","data":{...}}. */
		inner = json_object_get(body, "data");
		for (i = 0; i < COUNT(configs); i++) {
			fix_all(body, &configs[i]);
			if (inner)
				fix_all(inner, &configs[i]);
		}
	}
	json_decref(body);
	free(s);
	return 0;
}
