/* SPDX-License-Identifier: MIT
 * test_location.c: ground fix answers (core/location.c, docs/location.md#ground-fix):
 * the body schema, MCELL/SCELL/WIFI/ANCHOR selection with hiConf and fallback, fixture
 * positions, and the deterministic derivation for everything else.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "location.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Trondheim, where LOCT's sample requests resolve; 20 km of spread. */
static const struct ncm_loc_config cfg = { 63.4305, 10.3951, 20000.0 };

/* ---- fixtures behind the lookups ---- */

struct fx_cell {
	uint32_t mcc, mnc, tac, eci;
	struct ncm_loc_pos pos;
};

struct fx_ap {
	const char *mac;
	struct ncm_loc_pos pos;
	const char *name;
};

static const struct fx_cell fx_cells[] = {
	{ 242, 2, 2305, 33703712, { 63.4237397, 10.3833246, 2416 } },
	{ 242, 1, 30401, 21627653, { 63.4255726, 10.4383009, 440 } },
};

static const struct fx_ap fx_aps[] = {
	{ "40:01:7a:c9:10:22", { 63.4214, 10.4376, 20 }, "" },
	{ "80:e0:1d:2a:92:f2", { 63.4216, 10.4380, 40 }, "" },
	{ "9a:15:44:ac:6c:3a", { 63.4300, 10.4000, 10 }, "" },
	{ "aa:bb:cc:00:00:01", { 63.5000, 10.5000, 5 }, "PDX office" },
	{ "aa:bb:cc:00:00:02", { 63.5002, 10.5004, 7 }, "Lab" },
	{ "02:00:00:00:00:01", { 10.0, 179.9999, 30 }, "" },
	{ "02:00:00:00:00:02", { 10.0, -179.9999, 30 }, "" },
};

static int calls_with_upper_mac;

static int fx_cell_lookup(void *ud, uint32_t mcc, uint32_t mnc, uint32_t tac, uint32_t eci,
			  struct ncm_loc_pos *pos)
{
	size_t i;

	(void)ud;
	for (i = 0; i < COUNT(fx_cells); i++) {
		const struct fx_cell *c = &fx_cells[i];

		if (c->mcc == mcc && c->mnc == mnc && c->tac == tac && c->eci == eci) {
			*pos = c->pos;
			return 1;
		}
	}
	return 0;
}

static int fx_wifi_lookup(void *ud, const char *mac, struct ncm_loc_pos *pos, char *name,
			  size_t name_size)
{
	size_t i;

	(void)ud;
	for (i = 0; mac[i]; i++)
		calls_with_upper_mac += mac[i] >= 'A' && mac[i] <= 'F';
	for (i = 0; i < COUNT(fx_aps); i++) {
		if (strcmp(fx_aps[i].mac, mac) == 0) {
			*pos = fx_aps[i].pos;
			snprintf(name, name_size, "%s", fx_aps[i].name);
			return 1;
		}
	}
	return 0;
}

/* Nine anchors, for the cap on the list. */
static int many_anchors_lookup(void *ud, const char *mac, struct ncm_loc_pos *pos, char *name,
			       size_t name_size)
{
	(void)ud;
	pos->lat = 50.0;
	pos->lon = 8.0;
	pos->unc = 3;
	snprintf(name, name_size, "anchor %c", mac[16]);
	return 1;
}

static const struct ncm_loc_lookup fx = { fx_cell_lookup, fx_wifi_lookup, NULL };
static const struct ncm_loc_lookup nothing_known = { NULL, NULL, NULL };

/* ---- helpers ---- */

static double dist_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = 3.14159265358979323846 / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

/* Resolves body (JSON text) and asserts success. */
static void fix(const char *text, const struct ncm_loc_flags *flags,
		const struct ncm_loc_lookup *lookup, struct ncm_loc_result *res)
{
	json_error_t jerr;
	json_t *body = json_loads(text, 0, &jerr);
	struct ncm_err_info err = { 0 };
	int nrf_code = -1, ret;

	ck_assert_msg(body, "bad test JSON: %s", jerr.text);
	ret = ncm_loc_ground_fix(body, flags, &cfg, lookup, res, &nrf_code, &err);
	json_decref(body);
	ck_assert_msg(ret == NCM_OK, "%s: %s", text, err.msg);
	ck_assert_int_eq(nrf_code, 0);
}

static void assert_with(const struct ncm_loc_result *res, enum ncm_loc_with want)
{
	ck_assert_str_eq(ncm_loc_with_name(res->with), ncm_loc_with_name(want));
}

static void assert_pos(const struct ncm_loc_pos *got, double lat, double lon, double unc)
{
	ck_assert_msg(got->lat == lat && got->lon == lon && got->unc == unc,
		      "got %.9f,%.9f ±%.3f, want %.9f,%.9f ±%.3f", got->lat, got->lon, got->unc,
		      lat, lon, unc);
}

static const struct ncm_loc_flags defaults = { 0, 1 };
static const struct ncm_loc_flags hi_conf = { 1, 1 };
static const struct ncm_loc_flags no_fallback = { 0, 0 };

/* ---- names and MACs ---- */

START_TEST(with_names_are_the_cloud_spellings)
{
	ck_assert_str_eq(ncm_loc_with_name(NCM_LOC_MCELL), "MCELL");
	ck_assert_str_eq(ncm_loc_with_name(NCM_LOC_SCELL), "SCELL");
	ck_assert_str_eq(ncm_loc_with_name(NCM_LOC_WIFI), "WIFI");
	ck_assert_str_eq(ncm_loc_with_name(NCM_LOC_ANCHOR), "ANCHOR");
}
END_TEST

START_TEST(macs_normalise_to_lower_case_colons)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "AA:bb:CC:dd:EE:ff", "aa:bb:cc:dd:ee:ff" },
		{ "aa-BB-cc-DD-ee-FF", "aa:bb:cc:dd:ee:ff" },
		{ "40:01:7a:c9:10:22", "40:01:7a:c9:10:22" },
		/* locally administered and group addresses: the cloud takes them (LOCT data) */
		{ "9A:15:44:AC:6C:3A", "9a:15:44:ac:6c:3a" },
		{ "02:00:00:00:00:00", "02:00:00:00:00:00" },
		{ "01:00:5e:00:00:fb", "01:00:5e:00:00:fb" },
		{ "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff" },
	};
	static const char *const bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff:", "aabbccddeeff",
		"aa:bb-cc:dd:ee:ff", "aa.bb.cc.dd.ee.ff", "gg:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:fg",
		" aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff ", "aa::bb:cc:dd:ee:f", "a:bb:cc:dd:ee:fff",
	};
	char out[18];
	size_t i;

	for (i = 0; i < COUNT(good); i++) {
		memset(out, 'x', sizeof(out));
		ck_assert_msg(ncm_loc_mac_normalise(good[i].in, out) == 0, "'%s' refused",
			      good[i].in);
		ck_assert_str_eq(out, good[i].out);
	}
	for (i = 0; i < COUNT(bad); i++)
		ck_assert_msg(ncm_loc_mac_normalise(bad[i], out) == -1, "'%s' taken", bad[i]);
	ck_assert_int_eq(ncm_loc_mac_normalise(NULL, out), -1);
}
END_TEST

/* ---- derivation ---- */

START_TEST(derive_is_pinned_so_every_machine_agrees)
{
	/* Computed once (and by an independent Python implementation of the same steps); a change
	 * here changes every unknown cell's position for every user of the mock. */
	struct ncm_loc_pos p;

	ncm_loc_derive("cell:242:2:2305:33703712", &cfg, &p);
	assert_pos(&p, 63.3358553, 10.1882806, 2173);
	ncm_loc_derive("wifi:40:01:7a:c9:10:22,80:e0:1d:2a:92:f2", &cfg, &p);
	assert_pos(&p, 63.3696787, 10.0854358, 50);
}
END_TEST

START_TEST(derive_gives_the_same_answer_every_time)
{
	struct ncm_loc_pos a, b;
	int i;

	ncm_loc_derive("cell:310:260:333:21858829", &cfg, &a);
	for (i = 0; i < 100; i++) {
		ncm_loc_derive("cell:310:260:333:21858829", &cfg, &b);
		ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	}
}
END_TEST

START_TEST(derive_gives_different_keys_different_places)
{
	static const char *const keys[] = {
		"cell:242:2:2305:33703712", "cell:242:2:2305:33703713", "cell:242:2:2306:33703712",
		"cell:242:1:2305:33703712", "cell:243:2:2305:33703712", "wifi:aa:bb:cc:dd:ee:ff",
		"wifi:aa:bb:cc:dd:ee:fe", "something else",
	};
	struct ncm_loc_pos p[COUNT(keys)];
	size_t i, j;

	for (i = 0; i < COUNT(keys); i++)
		ncm_loc_derive(keys[i], &cfg, &p[i]);
	for (i = 0; i < COUNT(keys); i++)
		for (j = i + 1; j < COUNT(keys); j++)
			ck_assert_msg(dist_m(p[i].lat, p[i].lon, p[j].lat, p[j].lon) > 1.0,
				      "'%s' and '%s' share a place", keys[i], keys[j]);
}
END_TEST

/* Every derived point lies within the radius, also around the poles and the antimeridian, and
 * the points do spread over the disc rather than bunch at the centre. */
START_TEST(derive_stays_within_radius_of_the_centre)
{
	static const struct ncm_loc_config cfgs[] = {
		{ 63.4305, 10.3951, 20000.0 },
		{ 89.999, 0.0, 50000.0 },
		{ -90.0, 45.0, 5000.0 },
		{ 0.0, 179.999, 30000.0 },
		{ -33.9, -179.9999, 1000.0 },
		{ 10.0, 20.0, 100.0 },
		{ 10.0, 20.0, 0.0 },
	};
	size_t c;

	for (c = 0; c < COUNT(cfgs); c++) {
		const struct ncm_loc_config *k = &cfgs[c];
		double far = 0;
		unsigned eci;

		for (eci = 0; eci < 600; eci++) {
			char key[64];
			struct ncm_loc_pos p;
			double d;

			if (eci % 3 == 0)
				snprintf(key, sizeof(key), "cell:242:2:%u:%u", eci % 7, eci * 7919);
			else if (eci % 3 == 1)
				snprintf(key, sizeof(key), "cell:%u:1:%u:%u", 200 + eci, eci, eci);
			else
				snprintf(key, sizeof(key), "wifi:02:00:00:00:%02x:%02x", eci / 256,
					 eci % 256);
			ncm_loc_derive(key, k, &p);
			ck_assert(p.lat >= -90.0 && p.lat <= 90.0);
			ck_assert(p.lon >= -180.0 && p.lon <= 180.0);
			d = dist_m(k->centre_lat, k->centre_lon, p.lat, p.lon);
			ck_assert_msg(d <= k->radius_m + 0.05, "%s: %.2f m from the centre, radius %.0f",
				      key, d, k->radius_m);
			if (d > far)
				far = d;
		}
		ck_assert_msg(far >= 0.8 * k->radius_m, "farthest %.0f of %.0f", far, k->radius_m);
	}
}
END_TEST

START_TEST(derive_keeps_a_tracking_area_together)
{
	struct ncm_loc_pos first, p, other;
	double spread = 0;
	unsigned eci;

	ncm_loc_derive("cell:242:2:2305:1000", &cfg, &first);
	for (eci = 1001; eci < 1050; eci++) {
		char key[64];
		double d;

		snprintf(key, sizeof(key), "cell:242:2:2305:%u", eci);
		ncm_loc_derive(key, &cfg, &p);
		d = dist_m(first.lat, first.lon, p.lat, p.lon);
		ck_assert_msg(d <= 4000.0 + 0.05, "%s: %.0f m from its neighbour", key, d);
		if (d > spread)
			spread = d;
	}
	ck_assert_msg(spread > 500.0, "cells of one area all in %.0f m", spread);
	/* another tracking area of the same network is elsewhere (not a law, but true here) */
	ncm_loc_derive("cell:242:2:2306:1000", &cfg, &other);
	ck_assert(dist_m(first.lat, first.lon, other.lat, other.lon) > 4000.0);
}
END_TEST

START_TEST(derive_gives_plausible_whole_metre_uncertainties)
{
	unsigned i;

	for (i = 0; i < 300; i++) {
		char cell[64], wifi[64];
		struct ncm_loc_pos c, w;

		snprintf(cell, sizeof(cell), "cell:262:1:%u:%u", i, i * 31);
		snprintf(wifi, sizeof(wifi), "wifi:10:00:00:00:%02x:01,10:00:00:00:%02x:02", i % 256,
			 i / 2);
		ncm_loc_derive(cell, &cfg, &c);
		ncm_loc_derive(wifi, &cfg, &w);
		ck_assert(c.unc >= 1000 && c.unc <= 3000 && c.unc == floor(c.unc));
		ck_assert(w.unc >= 15 && w.unc <= 80 && w.unc == floor(w.unc));
		ck_assert(c.lat * 1e7 == round(c.lat * 1e7));
	}
}
END_TEST

/* ---- cells ---- */

START_TEST(a_fixture_cell_gives_exactly_its_position)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712}]}", &defaults, &fx,
	    &res);
	assert_with(&res, NCM_LOC_SCELL);
	assert_pos(&res.pos, 63.4237397, 10.3833246, 2416);
	ck_assert_uint_eq(res.n_anchors, 0);

	/* neighbours make it MCELL: same position, the uncertainty shrinks by 0.885 */
	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712,\"earfcn\":6300,"
	    "\"rsrp\":-97,\"rsrq\":-9,\"adv\":65535,"
	    "\"nmr\":[{\"earfcn\":6300,\"pci\":426,\"rsrp\":-104,\"rsrq\":-18}]}]}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_MCELL);
	assert_pos(&res.pos, 63.4237397, 10.3833246, round(2416 * 0.885));
}
END_TEST

START_TEST(an_empty_neighbour_list_is_still_single_cell)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712,\"nmr\":[]}]}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_SCELL);
}
END_TEST

START_TEST(a_known_other_cell_answers_when_the_serving_cell_is_unknown)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":1,\"tac\":1,\"eci\":1},"
	    "{\"mcc\":242,\"mnc\":1,\"tac\":30401,\"eci\":21627653}]}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_MCELL);
	assert_pos(&res.pos, 63.4255726, 10.4383009, round(440 * 0.885));
}
END_TEST

START_TEST(unknown_cells_get_the_derived_position_of_the_serving_cell)
{
	struct ncm_loc_result s, m;
	struct ncm_loc_pos d;

	ncm_loc_derive("cell:310:260:333:21858829", &cfg, &d);
	fix("{\"lte\":[{\"mcc\":310,\"mnc\":260,\"tac\":333,\"eci\":21858829}]}", &defaults,
	    &nothing_known, &s);
	assert_with(&s, NCM_LOC_SCELL);
	assert_pos(&s.pos, d.lat, d.lon, d.unc);

	/* unknown to the fixtures too, and a lookup that knows nothing changes nothing */
	fix("{\"lte\":[{\"mcc\":310,\"mnc\":260,\"tac\":333,\"eci\":21858829,"
	    "\"nmr\":[{\"earfcn\":41490,\"pci\":143}]}]}",
	    &defaults, &fx, &m);
	assert_with(&m, NCM_LOC_MCELL);
	ck_assert(m.pos.lat == d.lat && m.pos.lon == d.lon);
	ck_assert(m.pos.unc >= 200 && m.pos.unc <= 1000);
	ck_assert_double_eq(m.pos.unc, round(200 + (d.unc - 1000) * 0.4));
}
END_TEST

START_TEST(catm_and_nbiot_cells_and_string_mncs_are_taken)
{
	struct ncm_loc_result res;
	struct ncm_loc_pos d;

	fix("{\"nbiot\":[{\"mcc\":242,\"mnc\":\"02\",\"tac\":2305,\"eci\":33703712}]}", &defaults,
	    &fx, &res);
	assert_with(&res, NCM_LOC_SCELL);
	assert_pos(&res.pos, 63.4237397, 10.3833246, 2416);

	/* lte, then ltecatm, then nbiot: the first is the serving cell */
	ncm_loc_derive("cell:1:1:1:1", &cfg, &d);
	fix("{\"nbiot\":[{\"mcc\":3,\"mnc\":3,\"tac\":3,\"eci\":3}],"
	    "\"ltecatm\":[{\"mcc\":1,\"mnc\":\"1\",\"tac\":1,\"eci\":1}]}",
	    &defaults, &nothing_known, &res);
	assert_with(&res, NCM_LOC_MCELL);
	ck_assert(res.pos.lat == d.lat && res.pos.lon == d.lon);
}
END_TEST

START_TEST(hi_conf_scales_to_95_percent)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712}]}", &hi_conf, &fx,
	    &res);
	assert_with(&res, NCM_LOC_SCELL);
	/* 2416 * sqrt(ln 0.05 / ln 0.32) = 2416 * 1.62146 */
	assert_pos(&res.pos, 63.4237397, 10.3833246, 3917);

	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7a:c9:10:22\"},"
	    "{\"macAddress\":\"80:e0:1d:2a:92:f2\"}]}}",
	    &hi_conf, &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	ck_assert_double_eq(res.pos.unc, 49); /* 30 * 1.62146 */
}
END_TEST

START_TEST(null_flags_mean_the_cloud_defaults)
{
	struct ncm_loc_result a, b;
	json_t *body = json_pack("{s:[{s:i,s:i,s:i,s:i}],s:{s:[{s:s},{s:s}]}}", "lte", "mcc", 9,
				 "mnc", 9, "tac", 9, "eci", 9, "wifi", "accessPoints", "macAddress",
				 "00:00:00:00:00:01", "macAddress", "00:00:00:00:00:02");
	int code;

	ck_assert_int_eq(ncm_loc_ground_fix(body, NULL, &cfg, NULL, &a, &code, NULL), NCM_OK);
	ck_assert_int_eq(ncm_loc_ground_fix(body, &defaults, &cfg, NULL, &b, &code, NULL), NCM_OK);
	json_decref(body);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	assert_with(&a, NCM_LOC_SCELL); /* unknown APs fall back to the cells */
}
END_TEST

/* ---- Wi-Fi ---- */

START_TEST(known_access_points_give_wifi)
{
	struct ncm_loc_result res;

	/* no signal strengths: the plain mean; the cells are not needed */
	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712}],"
	    "\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7A:C9:10:22\"},"
	    "{\"macAddress\":\"00:00:00:00:00:09\"},{\"macAddress\":\"80-e0-1d-2a-92-f2\"}]}}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	assert_pos(&res.pos, 63.4215, 10.4378, 30);
	ck_assert_uint_eq(res.n_anchors, 0);
	ck_assert_int_eq(calls_with_upper_mac, 0);

	/* with signal strengths the stronger AP pulls the answer toward it */
	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7a:c9:10:22\","
	    "\"signalStrength\":-40},{\"macAddress\":\"80:e0:1d:2a:92:f2\","
	    "\"signalStrength\":-80}]}}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	ck_assert(res.pos.lat > 63.4214 && res.pos.lat < 63.4215);
	ck_assert(res.pos.unc < 30 && res.pos.unc >= 20);
}
END_TEST

START_TEST(locally_administered_access_points_count)
{
	struct ncm_loc_result res;

	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"9a:15:44:ac:6c:3a\"},"
	    "{\"macAddress\":\"40:01:7a:c9:10:22\"}]}}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	assert_pos(&res.pos, 63.4257, 10.4188, 15);
}
END_TEST

START_TEST(access_points_either_side_of_the_antimeridian_average_onto_it)
{
	struct ncm_loc_result res;

	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"02:00:00:00:00:01\"},"
	    "{\"macAddress\":\"02:00:00:00:00:02\"}]}}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	ck_assert_double_eq(res.pos.lat, 10.0);
	ck_assert(fabs(res.pos.lon) == 180.0);
}
END_TEST

START_TEST(anchors_give_anchor_with_their_names_in_request_order)
{
	struct ncm_loc_result res;

	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7a:c9:10:22\"},"
	    "{\"macAddress\":\"AA:BB:CC:00:00:02\"},{\"macAddress\":\"00:00:00:00:00:09\"},"
	    "{\"macAddress\":\"aa:bb:cc:00:00:01\"}]}}",
	    &defaults, &fx, &res);
	assert_with(&res, NCM_LOC_ANCHOR);
	ck_assert_uint_eq(res.n_anchors, 2);
	ck_assert_str_eq(res.anchors[0].mac, "AA:BB:CC:00:00:02");
	ck_assert_str_eq(res.anchors[0].name, "Lab");
	ck_assert_str_eq(res.anchors[1].mac, "AA:BB:CC:00:00:01");
	ck_assert_str_eq(res.anchors[1].name, "PDX office");
	assert_pos(&res.pos, 63.5001, 10.5002, 6);
}
END_TEST

START_TEST(the_anchor_list_is_capped)
{
	static const struct ncm_loc_lookup all_anchors = { NULL, many_anchors_lookup, NULL };
	struct ncm_loc_result res;

	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"00:00:00:00:00:01\"},"
	    "{\"macAddress\":\"00:00:00:00:00:02\"},{\"macAddress\":\"00:00:00:00:00:03\"},"
	    "{\"macAddress\":\"00:00:00:00:00:04\"},{\"macAddress\":\"00:00:00:00:00:05\"},"
	    "{\"macAddress\":\"00:00:00:00:00:06\"},{\"macAddress\":\"00:00:00:00:00:07\"},"
	    "{\"macAddress\":\"00:00:00:00:00:08\"},{\"macAddress\":\"00:00:00:00:00:09\"}]}}",
	    &defaults, &all_anchors, &res);
	assert_with(&res, NCM_LOC_ANCHOR);
	ck_assert_uint_eq(res.n_anchors, NCM_LOC_MAX_ANCHORS);
	ck_assert_str_eq(res.anchors[0].name, "anchor 1");
	ck_assert_str_eq(res.anchors[7].name, "anchor 8");
	assert_pos(&res.pos, 50.0, 8.0, 3);
}
END_TEST

START_TEST(unknown_access_points_get_a_position_derived_from_the_sorted_macs)
{
	struct ncm_loc_result a, b;
	struct ncm_loc_pos d;

	ncm_loc_derive("wifi:00:00:00:00:00:01,00:00:00:00:00:02,00:00:00:00:00:03", &cfg, &d);
	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"00:00:00:00:00:03\"},"
	    "{\"macAddress\":\"00:00:00:00:00:01\"},{\"macAddress\":\"00-00-00-00-00-02\"},"
	    "{\"macAddress\":\"00:00:00:00:00:01\"}]}}",
	    &defaults, &fx, &a);
	assert_with(&a, NCM_LOC_WIFI);
	assert_pos(&a.pos, d.lat, d.lon, d.unc);
	/* same set in another order: same answer */
	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"00:00:00:00:00:02\"},"
	    "{\"macAddress\":\"00:00:00:00:00:03\"},{\"macAddress\":\"00:00:00:00:00:01\"}]}}",
	    &defaults, &nothing_known, &b);
	ck_assert(memcmp(&a.pos, &b.pos, sizeof(a.pos)) == 0);

	/* one known AP is not enough either */
	fix("{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7a:c9:10:22\"},"
	    "{\"macAddress\":\"00:00:00:00:00:01\"}]}}",
	    &defaults, &fx, &a);
	ncm_loc_derive("wifi:00:00:00:00:00:01,40:01:7a:c9:10:22", &cfg, &d);
	assert_with(&a, NCM_LOC_WIFI);
	assert_pos(&a.pos, d.lat, d.lon, d.unc);
}
END_TEST

#define UNKNOWN_APS "\"wifi\":{\"accessPoints\":[{\"macAddress\":\"00:00:00:00:00:01\"}," \
		    "{\"macAddress\":\"00:00:00:00:00:02\"}]}"

START_TEST(fallback_decides_between_unknown_cells_and_unknown_access_points)
{
	struct ncm_loc_result res;
	struct ncm_loc_pos cell, wifi;

	ncm_loc_derive("cell:1:2:3:4", &cfg, &cell);
	ncm_loc_derive("wifi:00:00:00:00:00:01,00:00:00:00:00:02", &cfg, &wifi);

	fix("{\"lte\":[{\"mcc\":1,\"mnc\":2,\"tac\":3,\"eci\":4}]," UNKNOWN_APS "}", &defaults, &fx,
	    &res);
	assert_with(&res, NCM_LOC_SCELL);
	assert_pos(&res.pos, cell.lat, cell.lon, cell.unc);

	fix("{\"lte\":[{\"mcc\":1,\"mnc\":2,\"tac\":3,\"eci\":4}]," UNKNOWN_APS "}", &no_fallback,
	    &fx, &res);
	assert_with(&res, NCM_LOC_WIFI);
	assert_pos(&res.pos, wifi.lat, wifi.lon, wifi.unc);
}
END_TEST

START_TEST(a_fixture_cell_answers_unknown_access_points_without_fallback)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712}]," UNKNOWN_APS "}",
	    &no_fallback, &fx, &res);
	assert_with(&res, NCM_LOC_SCELL);
	assert_pos(&res.pos, 63.4237397, 10.3833246, 2416);
}
END_TEST

START_TEST(one_access_point_with_cells_answers_from_the_cells)
{
	struct ncm_loc_result res;

	fix("{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305,\"eci\":33703712}],"
	    "\"wifi\":{\"accessPoints\":[{\"macAddress\":\"40:01:7a:c9:10:22\"}]}}",
	    &no_fallback, &fx, &res);
	assert_with(&res, NCM_LOC_SCELL);
	assert_pos(&res.pos, 63.4237397, 10.3833246, 2416);
}
END_TEST

/* ---- schema errors ---- */

START_TEST(bodies_that_break_the_schema_are_42200_with_the_path)
{
	static const struct {
		const char *body, *msg;
	} rows[] = {
		{ "[]", "body: not a JSON object" },
		{ "{}", "body: no cells and no access points" },
		{ "{\"lte\":[]}", "body: no cells and no access points" },
		{ "{\"wifi\":{\"accessPoints\":[]}}", "body: no cells and no access points" },
		{ "{\"lte\":{}}", "lte: not an array" },
		{ "{\"lte\":null}", "lte: not an array" },
		{ "{\"lte\":[5]}", "lte[0]: not an object" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":2305}]}", "lte[0].eci: missing" },
		{ "{\"lte\":[{\"mcc\":1,\"mnc\":1,\"tac\":1,\"eci\":1},{\"mcc\":1,\"mnc\":1,\"tac\":1}]}",
		  "lte[1].eci: missing" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"eci\":1}]}", "lte[0].tac: missing" },
		{ "{\"lte\":[{\"mnc\":2,\"tac\":1,\"eci\":1}]}", "lte[0].mcc: missing" },
		{ "{\"lte\":[{\"mcc\":242,\"tac\":1,\"eci\":1}]}", "lte[0].mnc: missing" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":\"1\"}]}",
		  "lte[0].eci: not an integer" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1.5}]}",
		  "lte[0].eci: not an integer" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":268435456}]}",
		  "lte[0].eci: out of range" },
		{ "{\"lte\":[{\"mcc\":1000,\"mnc\":2,\"tac\":1,\"eci\":1}]}",
		  "lte[0].mcc: out of range" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":-1,\"tac\":1,\"eci\":1}]}",
		  "lte[0].mnc: out of range" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":\"ab\",\"tac\":1,\"eci\":1}]}",
		  "lte[0].mnc: not a number" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":\"0012\",\"tac\":1,\"eci\":1}]}",
		  "lte[0].mnc: not a number" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":\"\",\"tac\":1,\"eci\":1}]}",
		  "lte[0].mnc: not a number" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":true,\"tac\":1,\"eci\":1}]}",
		  "lte[0].mnc: not an integer" },
		{ "{\"lte\":[{\"mcc\":\"242\",\"mnc\":2,\"tac\":1,\"eci\":1}]}",
		  "lte[0].mcc: not an integer" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"earfcn\":-1}]}",
		  "lte[0].earfcn: out of range" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"rsrp\":\"-90\"}]}",
		  "lte[0].rsrp: not a number" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"adv\":null}]}",
		  "lte[0].adv: not a number" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":{}}]}",
		  "lte[0].nmr: not an array" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":[1]}]}",
		  "lte[0].nmr[0]: not an object" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":[{\"earfcn\":1,"
		  "\"pci\":1},{\"earfcn\":6300}]}]}",
		  "lte[0].nmr[1].pci: missing" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":[{\"pci\":1}]}]}",
		  "lte[0].nmr[0].earfcn: missing" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":[{\"earfcn\":1,"
		  "\"pci\":504}]}]}",
		  "lte[0].nmr[0].pci: out of range" },
		{ "{\"lte\":[{\"mcc\":242,\"mnc\":2,\"tac\":1,\"eci\":1,\"nmr\":[{\"earfcn\":1,"
		  "\"pci\":1,\"timeDiff\":\"x\"}]}]}",
		  "lte[0].nmr[0].timeDiff: not a number" },
		{ "{\"ltecatm\":[{\"mcc\":242,\"mnc\":2,\"tac\":1}]}", "ltecatm[0].eci: missing" },
		{ "{\"nbiot\":\"x\"}", "nbiot: not an array" },
		{ "{\"wifi\":[]}", "wifi: not an object" },
		{ "{\"wifi\":{}}", "wifi.accessPoints: missing" },
		{ "{\"wifi\":{\"accessPoints\":{}}}", "wifi.accessPoints: not an array" },
		{ "{\"wifi\":{\"accessPoints\":[\"aa:bb:cc:dd:ee:ff\"]}}",
		  "wifi.accessPoints[0]: not an object" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\"},{}]}}",
		  "wifi.accessPoints[1].macAddress: missing" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\"},"
		  "{\"macAddress\":\"aa:bb:cc:dd:ee\"}]}}",
		  "wifi.accessPoints[1].macAddress: not a MAC address" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":17}]}}",
		  "wifi.accessPoints[0].macAddress: not a string" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\","
		  "\"signalStrength\":5}]}}",
		  "wifi.accessPoints[0].signalStrength: out of range" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\","
		  "\"ssid\":1}]}}",
		  "wifi.accessPoints[0].ssid: not a string" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\"}]}}",
		  "wifi.accessPoints: fewer than 2 access points and no cells" },
		{ "{\"wifi\":{\"accessPoints\":[{\"macAddress\":\"aa:bb:cc:dd:ee:ff\"},"
		  "{\"macAddress\":\"AA-BB-CC-DD-EE-FF\"}]}}",
		  "wifi.accessPoints: fewer than 2 access points and no cells" },
		/* the first error found is the one reported: cells before Wi-Fi */
		{ "{\"wifi\":{},\"lte\":[{}]}", "lte[0].eci: missing" },
	};
	size_t i;

	for (i = 0; i < COUNT(rows); i++) {
		json_error_t jerr;
		json_t *body = json_loads(rows[i].body, JSON_DECODE_ANY, &jerr);
		struct ncm_err_info err = { 0 };
		struct ncm_loc_result res;
		int code = 0, ret;

		ck_assert_msg(body, "bad test JSON %s: %s", rows[i].body, jerr.text);
		ret = ncm_loc_ground_fix(body, &defaults, &cfg, &fx, &res, &code, &err);
		json_decref(body);
		ck_assert_msg(ret == NCM_ERR_INVAL, "%s: returned %d", rows[i].body, ret);
		ck_assert_int_eq(err.code, NCM_ERR_INVAL);
		ck_assert_int_eq(code, 42200);
		ck_assert_msg(strcmp(err.msg, rows[i].msg) == 0, "%s: got '%s', want '%s'",
			      rows[i].body, err.msg, rows[i].msg);
	}
}
END_TEST

START_TEST(a_null_body_or_err_is_allowed)
{
	struct ncm_err_info err = { 0 };
	struct ncm_loc_result res;
	json_t *body = json_object();
	int code = 0;

	ck_assert_int_eq(ncm_loc_ground_fix(NULL, NULL, &cfg, NULL, &res, &code, &err),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(code, 42200);
	ck_assert_str_eq(err.msg, "body: not a JSON object");
	code = 0;
	ck_assert_int_eq(ncm_loc_ground_fix(body, NULL, &cfg, NULL, &res, &code, NULL),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(code, 42200);
	json_decref(body);
}
END_TEST

START_TEST(oversized_requests_are_refused)
{
	json_t *aps = json_array(), *body;
	struct ncm_err_info err = { 0 };
	struct ncm_loc_result res;
	int code = 0, i;

	for (i = 0; i < 129; i++) {
		char mac[18];

		snprintf(mac, sizeof(mac), "00:00:00:00:%02x:%02x", i / 256, i % 256);
		json_array_append_new(aps, json_pack("{s:s}", "macAddress", mac));
	}
	body = json_pack("{s:{s:o}}", "wifi", "accessPoints", aps);
	ck_assert_int_eq(ncm_loc_ground_fix(body, NULL, &cfg, NULL, &res, &code, &err),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(code, 42200);
	ck_assert_str_eq(err.msg, "wifi.accessPoints: more than 128 access points");
	json_decref(body);

	/* 128 is fine, and derived from all of them */
	aps = json_array();
	for (i = 0; i < 128; i++) {
		char mac[18];

		snprintf(mac, sizeof(mac), "00:00:00:00:%02x:%02x", i / 256, i % 256);
		json_array_append_new(aps, json_pack("{s:s}", "macAddress", mac));
	}
	body = json_pack("{s:{s:o}}", "wifi", "accessPoints", aps);
	ck_assert_int_eq(ncm_loc_ground_fix(body, NULL, &cfg, NULL, &res, &code, &err), NCM_OK);
	assert_with(&res, NCM_LOC_WIFI);
	json_decref(body);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("location");
	SRunner *sr;
	int failed;

	ADD(s, with_names_are_the_cloud_spellings);
	ADD(s, macs_normalise_to_lower_case_colons);
	ADD(s, derive_is_pinned_so_every_machine_agrees);
	ADD(s, derive_gives_the_same_answer_every_time);
	ADD(s, derive_gives_different_keys_different_places);
	ADD(s, derive_stays_within_radius_of_the_centre);
	ADD(s, derive_keeps_a_tracking_area_together);
	ADD(s, derive_gives_plausible_whole_metre_uncertainties);
	ADD(s, a_fixture_cell_gives_exactly_its_position);
	ADD(s, an_empty_neighbour_list_is_still_single_cell);
	ADD(s, a_known_other_cell_answers_when_the_serving_cell_is_unknown);
	ADD(s, unknown_cells_get_the_derived_position_of_the_serving_cell);
	ADD(s, catm_and_nbiot_cells_and_string_mncs_are_taken);
	ADD(s, hi_conf_scales_to_95_percent);
	ADD(s, null_flags_mean_the_cloud_defaults);
	ADD(s, known_access_points_give_wifi);
	ADD(s, locally_administered_access_points_count);
	ADD(s, access_points_either_side_of_the_antimeridian_average_onto_it);
	ADD(s, anchors_give_anchor_with_their_names_in_request_order);
	ADD(s, the_anchor_list_is_capped);
	ADD(s, unknown_access_points_get_a_position_derived_from_the_sorted_macs);
	ADD(s, fallback_decides_between_unknown_cells_and_unknown_access_points);
	ADD(s, a_fixture_cell_answers_unknown_access_points_without_fallback);
	ADD(s, one_access_point_with_cells_answers_from_the_cells);
	ADD(s, bodies_that_break_the_schema_are_42200_with_the_path);
	ADD(s, a_null_body_or_err_is_allowed);
	ADD(s, oversized_requests_are_refused);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
