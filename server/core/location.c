/* SPDX-License-Identifier: MIT
 * location.c: ground fix answers (see location.h; docs/location.md#ground-fix). Checks
 * the request body, picks MCELL/SCELL/WIFI/ANCHOR, and places what no fixture knows by a
 * SHA-256 of its identifiers. Pure: no globals, I/O, clock or random numbers; the fixture store
 * is reached only through the caller's lookups.
 *
 * Rules, with where each comes from (APPPROT = nRFCloud/application-protocols, LOCT =
 * NordicSemiconductor/nrfcloud-location-services-tests-js, SDK = nrfconnect/sdk-nrf):
 * - Body: cells in "lte" (and, per docs/location.md#ground-fix, "ltecatm" and "nbiot") need integer mcc,
 *   mnc, tac, eci; nmr items need earfcn and pci; each access point needs macAddress, six hex
 *   pairs split by colons or dashes; pci is 0..503 and earfcn 0..262143 (APPPROT
 *   schemas/deviceToCloud/ground_fix/ground-fix.json). mnc may also be a numeric string
 *   (docs/location.md#ground-fix). Ranges of mcc/mnc/tac/eci are ours (3GPP field widths, inference).
 *   Keys the schema does not know are ignored rather than refused (inference: leniency).
 * - At least 2 access points (SDK include/net/nrf_cloud_location.h,
 *   NRF_CLOUD_LOCATION_WIFI_AP_CNT_MIN); one AP and no cells is a 422 (LOCT
 *   api-verification/ground-fix.spec.ts). Duplicated MACs count once (inference).
 * - Locally administered MACs are accepted: LOCT test-data/wifipayload2.json and
 *   combined-lte-wifi.json send several (9a:15:..., aa:15:...) to the real service, which
 *   resolves them (inference: the cloud does not refuse them; the SDK drops them itself).
 * - Wi-Fi is preferred, SCELL/MCELL are what it falls back to (APPPROT
 *   schemas/cloudToDevice/ground_fix/ground-fix.json, FulfilledWith). ANCHOR answers carry an
 *   anchors list of {macAddress, name} with upper-case colon MACs (same file, its pattern, and
 *   ground-fix-example-with-anchors.json); the SDK counts and names them (nrf_cloud_location.h).
 * - hiConf: the uncertainty is a 95% rather than a 68% radius (APPPROT deviceToCloud
 *   ground-fix.json config.hiConf; SDK nrf_cloud_location.h). The factor is ours: for a circular
 *   normal error the p-radius is sigma * sqrt(-2 ln(1 - p)), so 95%/68% = 1.62 (inference).
 * - fallback: on, the cloud answers from the tracking area when it has no cell or AP position;
 *   off, it answers 404 instead (same two files). Here derived positions stand in for the
 *   cloud's database, so nothing is ever unknown and there is no 404 (inference, the point of
 *   the mock). What fallback changes: with Wi-Fi that cannot be resolved (fewer than 2 APs in the
 *   fixtures) and cells none of which is in the fixtures, on answers from the cells, off answers a
 *   WIFI position derived from the MACs. A fixture cell is a tower position, not an area
 *   estimate, so it answers whatever fallback says (inference).
 * - SCELL for one cell without neighbours, MCELL otherwise: the SDK sends a multi-cell request
 *   when it has neighbour data (SDK samples/cellular/nrf_cloud_rest_cell_location/README.rst);
 *   the label the cloud gives back is inference. MCELL shrinks a fixture cell's uncertainty by
 *   0.885, LOCT's ratio for one serving cell alone (2416 m) and with one neighbour (2139 m)
 *   (ground-fix.spec.ts; inference that it generalises). The position stays the fixture's.
 * - Derived uncertainty bands SCELL 1000-3000 m, MCELL 200-1000 m, WIFI 15-80 m are ours,
 *   chosen around LOCT's expectations (440-2416 m for cells, 15-60 m for Wi-Fi).
 */
#include "location.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define NRF_CODE_INVALID 42200

/* Caps on what one request may carry. The SDK sends a serving cell, a few GCI cells and up to
 * 17 neighbours, and LOCT's largest request has 30 APs; these leave room. */
#define MAX_CELLS 64
#define MAX_NMR 64
#define MAX_APS 128

#define EARTH_RADIUS_M 6371008.8
#define PI 3.14159265358979323846

/* Derived cells of one tracking area fall within this of the area's own point. */
#define CLUSTER_M 2000.0

#define SCELL_UNC_MIN 1000.0
#define SCELL_UNC_MAX 3000.0
#define MCELL_UNC_MIN 200.0
#define MCELL_UNC_MAX 1000.0
#define WIFI_UNC_MIN 15.0
#define WIFI_UNC_MAX 80.0
#define MCELL_FIXTURE_FACTOR 0.885

struct cell {
	uint32_t mcc, mnc, tac, eci;
	size_t n_nmr;
};

struct ap {
	char mac[18];
	int has_rssi;
	int rssi;
};

struct request {
	struct cell cells[MAX_CELLS];
	size_t n_cells;
	struct ap aps[MAX_APS];  /* distinct, in request order */
	size_t n_aps;
};

const char *ncm_loc_with_name(enum ncm_loc_with with)
{
	switch (with) {
	case NCM_LOC_MCELL: return "MCELL";
	case NCM_LOC_SCELL: return "SCELL";
	case NCM_LOC_WIFI: return "WIFI";
	case NCM_LOC_ANCHOR: return "ANCHOR";
	}
	return "?";
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ncm_loc_mac_normalise(const char *mac, char out[18])
{
	static const char digits[] = "0123456789abcdef";
	char sep;
	int i;

	if (!mac || strlen(mac) != 17)
		return -1;
	sep = mac[2];
	if (sep != ':' && sep != '-')
		return -1;
	for (i = 0; i < 6; i++) {
		int hi = hex_val(mac[3 * i]), lo = hex_val(mac[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && mac[3 * i + 2] != sep))
			return -1;
		out[3 * i] = digits[hi];
		out[3 * i + 1] = digits[lo];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

/* ---- geometry and hashing ---- */

static double wrap_lon(double lon)
{
	if (lon >= -180.0 && lon <= 180.0)
		return lon;
	lon = fmod(lon + 180.0, 360.0);
	if (lon < 0)
		lon += 360.0;
	return lon - 180.0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double round7(double v)
{
	return round(v * 1e7) / 1e7;
}

/* The point dist_m away from (lat, lon) along the great circle leaving at bearing (radians from
 * north). Good at the poles and across the antimeridian. */
static void destination(double lat, double lon, double dist_m, double bearing, double *olat,
			double *olon)
{
	double p1 = lat * PI / 180.0, l1 = lon * PI / 180.0, d = dist_m / EARTH_RADIUS_M;
	double sp2 = sin(p1) * cos(d) + cos(p1) * sin(d) * cos(bearing);
	double p2 = asin(clamp(sp2, -1.0, 1.0));
	double l2 = l1 + atan2(sin(bearing) * sin(d) * cos(p1), cos(d) - sin(p1) * sp2);

	*olat = clamp(p2 * 180.0 / PI, -90.0, 90.0);
	*olon = wrap_lon(l2 * 180.0 / PI);
}

/* A uniform double in [0, 1) from 8 hash bytes, read big-endian so every machine agrees. */
static double unit(const unsigned char *b)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return (double)(x >> 11) / 9007199254740992.0;
}

/* A point uniform over the disc of radius r around (lat, lon), from 16 hash bytes: the square
 * root makes equal areas equally likely. */
static void in_disc(double lat, double lon, double r, const unsigned char *h, double *olat,
		    double *olon)
{
	destination(lat, lon, r * sqrt(unit(h)), 2.0 * PI * unit(h + 8), olat, olon);
}

/* Length of "cell:<mcc>:<mnc>:<tac>" when key is "cell:<mcc>:<mnc>:<tac>:<eci>" with decimal
 * numbers, else 0. */
static size_t area_prefix_len(const char *key)
{
	const char *p = key + 5, *last = NULL;
	int fields = 0;

	if (strncmp(key, "cell:", 5) != 0)
		return 0;
	for (;;) {
		const char *start = p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return 0;
		fields++;
		if (*p == '\0')
			break;
		if (*p != ':')
			return 0;
		last = p++;
	}
	return fields == 4 ? (size_t)(last - key) : 0;
}

void ncm_loc_derive(const char *key, const struct ncm_loc_config *cfg, struct ncm_loc_pos *pos)
{
	unsigned char h[SHA256_DIGEST_LENGTH], ha[SHA256_DIGEST_LENGTH];
	double clat = 0, clon = 0, radius = 0, lat, lon, lo = SCELL_UNC_MIN, hi = SCELL_UNC_MAX;
	size_t area_len;

	if (!key)
		key = "";
	if (cfg) {
		clat = isfinite(cfg->centre_lat) ? clamp(cfg->centre_lat, -90.0, 90.0) : 0.0;
		clon = isfinite(cfg->centre_lon) ? wrap_lon(cfg->centre_lon) : 0.0;
		radius = isfinite(cfg->radius_m) ? clamp(cfg->radius_m, 0.0, PI * EARTH_RADIUS_M)
						 : 0.0;
	}
	SHA256((const unsigned char *)key, strlen(key), h);
	area_len = area_prefix_len(key);
	if (area_len) {
		/* The area's point sits far enough inside the disc that its cluster stays in it. */
		double cluster = fmin(CLUSTER_M, radius / 4.0), alat, alon;

		SHA256((const unsigned char *)key, area_len, ha);
		in_disc(clat, clon, radius - cluster, ha, &alat, &alon);
		in_disc(alat, alon, cluster, h, &lat, &lon);
	} else {
		in_disc(clat, clon, radius, h, &lat, &lon);
		if (strncmp(key, "wifi:", 5) == 0) {
			lo = WIFI_UNC_MIN;
			hi = WIFI_UNC_MAX;
		}
	}
	pos->lat = round7(lat);
	pos->lon = round7(lon);
	pos->unc = round(lo + unit(h + 16) * (hi - lo));
}

/* ---- the request body ---- */

/* Reads obj[key] as an integer in [min, max] into *out. *present says whether it was there; a
 * missing key is an error only when required. mnc_string lets a string of 1-3 digits stand in
 * (docs/location.md#ground-fix). */
static int get_int(const json_t *obj, const char *key, const char *path, int required,
		   int mnc_string, json_int_t min, json_int_t max, json_int_t *out, int *present,
		   struct ncm_err_info *err)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t i = 0;

	*present = v != NULL;
	if (!v) {
		if (required)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: missing", path, key);
		return 0;
	}
	if (json_is_integer(v)) {
		i = json_integer_value(v);
	} else if (mnc_string && json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(s), k;

		if (n < 1 || n > 3)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: not a number", path, key);
		for (k = 0; k < n; k++) {
			if (s[k] < '0' || s[k] > '9')
				return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: not a number", path,
						   key);
			i = i * 10 + (s[k] - '0');
		}
	} else {
		return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: not an integer", path, key);
	}
	if (i < min || i > max)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: out of range", path, key);
	*out = i;
	return 0;
}

/* Optional measurement values: checked for type only, since devices report what their modem
 * measured and a mock refusing a plausible value would fail a test for the wrong reason. */
static int check_number(const json_t *obj, const char *key, const char *path,
			struct ncm_err_info *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v && !json_is_number(v))
		return ncm_err_set(err, NCM_ERR_INVAL, "%s.%s: not a number", path, key);
	return 0;
}

static int parse_nmr(const json_t *nmr, const char *path, struct ncm_err_info *err)
{
	char p[80];
	size_t i;
	json_int_t v;
	int present;

	if (!json_is_array(nmr))
		return ncm_err_set(err, NCM_ERR_INVAL, "%s.nmr: not an array", path);
	if (json_array_size(nmr) > MAX_NMR)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s.nmr: more than %d neighbours", path,
				   MAX_NMR);
	for (i = 0; i < json_array_size(nmr); i++) {
		const json_t *n = json_array_get(nmr, i);

		snprintf(p, sizeof(p), "%s.nmr[%zu]", path, i);
		if (!json_is_object(n))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: not an object", p);
		if (get_int(n, "earfcn", p, 1, 0, 0, 262143, &v, &present, err) ||
		    get_int(n, "pci", p, 1, 0, 0, 503, &v, &present, err) ||
		    check_number(n, "rsrp", p, err) || check_number(n, "rsrq", p, err) ||
		    check_number(n, "timeDiff", p, err))
			return NCM_ERR_INVAL;
	}
	return 0;
}

static int parse_cells(const json_t *body, const char *name, struct request *req,
		       struct ncm_err_info *err)
{
	const json_t *arr = json_object_get(body, name);
	char p[48];
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return ncm_err_set(err, NCM_ERR_INVAL, "%s: not an array", name);
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *c = json_array_get(arr, i), *nmr;
		json_int_t mcc = 0, mnc = 0, tac = 0, eci = 0, v;
		int present;

		snprintf(p, sizeof(p), "%s[%zu]", name, i);
		if (req->n_cells == MAX_CELLS)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: more than %d cells in all", p,
					   MAX_CELLS);
		if (!json_is_object(c))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: not an object", p);
		if (get_int(c, "eci", p, 1, 0, 0, 268435455, &eci, &present, err) ||
		    get_int(c, "mcc", p, 1, 0, 0, 999, &mcc, &present, err) ||
		    get_int(c, "mnc", p, 1, 1, 0, 999, &mnc, &present, err) ||
		    get_int(c, "tac", p, 1, 0, 0, 16777215, &tac, &present, err) ||
		    get_int(c, "earfcn", p, 0, 0, 0, 262143, &v, &present, err) ||
		    check_number(c, "rsrp", p, err) || check_number(c, "rsrq", p, err) ||
		    check_number(c, "adv", p, err))
			return NCM_ERR_INVAL;
		nmr = json_object_get(c, "nmr");
		if (nmr && parse_nmr(nmr, p, err))
			return NCM_ERR_INVAL;
		req->cells[req->n_cells].mcc = (uint32_t)mcc;
		req->cells[req->n_cells].mnc = (uint32_t)mnc;
		req->cells[req->n_cells].tac = (uint32_t)tac;
		req->cells[req->n_cells].eci = (uint32_t)eci;
		req->cells[req->n_cells].n_nmr = nmr ? json_array_size(nmr) : 0;
		req->n_cells++;
	}
	return 0;
}

static int parse_wifi(const json_t *body, struct request *req, struct ncm_err_info *err)
{
	const json_t *wifi = json_object_get(body, "wifi"), *aps;
	char p[48];
	size_t i, j;

	if (!wifi)
		return 0;
	if (!json_is_object(wifi))
		return ncm_err_set(err, NCM_ERR_INVAL, "wifi: not an object");
	aps = json_object_get(wifi, "accessPoints");
	if (!aps)
		return ncm_err_set(err, NCM_ERR_INVAL, "wifi.accessPoints: missing");
	if (!json_is_array(aps))
		return ncm_err_set(err, NCM_ERR_INVAL, "wifi.accessPoints: not an array");
	if (json_array_size(aps) > MAX_APS)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "wifi.accessPoints: more than %d access points", MAX_APS);
	for (i = 0; i < json_array_size(aps); i++) {
		const json_t *a = json_array_get(aps, i), *mac;
		json_int_t rssi = 0, v;
		int has_rssi, present;
		char norm[18];

		snprintf(p, sizeof(p), "wifi.accessPoints[%zu]", i);
		if (!json_is_object(a))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: not an object", p);
		mac = json_object_get(a, "macAddress");
		if (!mac)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.macAddress: missing", p);
		if (!json_is_string(mac))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.macAddress: not a string", p);
		if (ncm_loc_mac_normalise(json_string_value(mac), norm) != 0)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.macAddress: not a MAC address",
					   p);
		if (get_int(a, "signalStrength", p, 0, 0, -128, 0, &rssi, &has_rssi, err) ||
		    get_int(a, "channel", p, 0, 0, 0, 255, &v, &present, err) ||
		    get_int(a, "frequency", p, 0, 0, 0, 100000, &v, &present, err))
			return NCM_ERR_INVAL;
		if (json_object_get(a, "ssid") && !json_is_string(json_object_get(a, "ssid")))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s.ssid: not a string", p);
		for (j = 0; j < req->n_aps && strcmp(req->aps[j].mac, norm) != 0; j++)
			;
		if (j < req->n_aps)
			continue;
		memcpy(req->aps[req->n_aps].mac, norm, sizeof(norm));
		req->aps[req->n_aps].has_rssi = has_rssi;
		req->aps[req->n_aps].rssi = (int)rssi;
		req->n_aps++;
	}
	return 0;
}

/* ---- answers ---- */

/* Weighted mean of positions, taking longitudes relative to the first so that points either
 * side of the antimeridian average to a point between them. */
struct mean {
	double w, lat, dlon, unc, lon0;
	size_t n;
};

static void mean_add(struct mean *m, const struct ncm_loc_pos *p, double w)
{
	if (m->n++ == 0)
		m->lon0 = p->lon;
	m->w += w;
	m->lat += w * p->lat;
	m->dlon += w * wrap_lon(p->lon - m->lon0);
	m->unc += w * p->unc;
}

static void mean_get(const struct mean *m, struct ncm_loc_pos *out)
{
	out->lat = m->lat / m->w;
	out->lon = wrap_lon(m->lon0 + m->dlon / m->w);
	out->unc = m->unc / m->w;
}

static void answer_cells(const struct request *req, const struct ncm_loc_config *cfg,
			 const struct ncm_loc_lookup *lookup, struct ncm_loc_result *res)
{
	const struct cell *c = req->cells;
	size_t i;

	res->with = req->n_cells == 1 && c[0].n_nmr == 0 ? NCM_LOC_SCELL : NCM_LOC_MCELL;
	for (i = 0; lookup && lookup->cell && i < req->n_cells; i++) {
		struct ncm_loc_pos pos;

		if (lookup->cell(lookup->ud, c[i].mcc, c[i].mnc, c[i].tac, c[i].eci, &pos)) {
			res->pos = pos;
			if (res->with == NCM_LOC_MCELL)
				res->pos.unc *= MCELL_FIXTURE_FACTOR;
			return;
		}
	}
	{
		char key[64];

		snprintf(key, sizeof(key), "cell:%u:%u:%u:%u", c[0].mcc, c[0].mnc, c[0].tac,
			 c[0].eci);
		ncm_loc_derive(key, cfg, &res->pos);
	}
	if (res->with == NCM_LOC_MCELL)
		res->pos.unc = MCELL_UNC_MIN + (res->pos.unc - SCELL_UNC_MIN) *
			       (MCELL_UNC_MAX - MCELL_UNC_MIN) / (SCELL_UNC_MAX - SCELL_UNC_MIN);
}

static int cmp_mac(const void *a, const void *b)
{
	return strcmp(((const struct ap *)a)->mac, ((const struct ap *)b)->mac);
}

static void answer_wifi_derived(const struct request *req, const struct ncm_loc_config *cfg,
				struct ncm_loc_result *res)
{
	struct ap sorted[MAX_APS];
	char key[5 + MAX_APS * 18 + 1];
	size_t i, off = 5;

	memcpy(sorted, req->aps, req->n_aps * sizeof(sorted[0]));
	qsort(sorted, req->n_aps, sizeof(sorted[0]), cmp_mac);
	memcpy(key, "wifi:", 5);
	for (i = 0; i < req->n_aps; i++) {
		if (i)
			key[off++] = ',';
		memcpy(key + off, sorted[i].mac, 17);
		off += 17;
	}
	key[off] = '\0';
	res->with = NCM_LOC_WIFI;
	ncm_loc_derive(key, cfg, &res->pos);
}

/* 1 when the access points answer (ANCHOR or WIFI from fixtures), 0 when too few are known. */
static int answer_wifi_known(const struct request *req, const struct ncm_loc_lookup *lookup,
			     struct ncm_loc_result *res)
{
	struct mean anchors = { 0 }, known = { 0 };
	int all_rssi = 1;
	size_t i, k;
	struct ncm_loc_pos pos[MAX_APS];
	int is_known[MAX_APS];

	if (!lookup || !lookup->wifi)
		return 0;
	for (i = 0; i < req->n_aps; i++) {
		char name[sizeof(res->anchors[0].name)] = "";

		is_known[i] = lookup->wifi(lookup->ud, req->aps[i].mac, &pos[i], name,
					   sizeof(name)) != 0;
		if (!is_known[i])
			continue;
		name[sizeof(name) - 1] = '\0';
		all_rssi &= req->aps[i].has_rssi;
		if (name[0] == '\0')
			continue;
		mean_add(&anchors, &pos[i], 1.0);
		if (res->n_anchors < NCM_LOC_MAX_ANCHORS) {
			struct ncm_loc_anchor *a = &res->anchors[res->n_anchors++];

			/* APPPROT's answer schema spells anchor MACs in upper case. */
			for (k = 0; k < sizeof(a->mac); k++)
				a->mac[k] = (char)(req->aps[i].mac[k] >= 'a' ?
						   req->aps[i].mac[k] - 'a' + 'A' : req->aps[i].mac[k]);
			memcpy(a->name, name, sizeof(a->name));
		}
	}
	if (anchors.n) {
		res->with = NCM_LOC_ANCHOR;
		mean_get(&anchors, &res->pos);
		return 1;
	}
	for (i = 0; i < req->n_aps; i++) {
		if (is_known[i])
			mean_add(&known, &pos[i], all_rssi ? pow(10.0, req->aps[i].rssi / 20.0) : 1.0);
	}
	if (known.n < NCM_LOC_WIFI_MIN_APS)
		return 0;
	res->with = NCM_LOC_WIFI;
	mean_get(&known, &res->pos);
	return 1;
}

static int any_cell_known(const struct request *req, const struct ncm_loc_lookup *lookup)
{
	size_t i;

	for (i = 0; lookup && lookup->cell && i < req->n_cells; i++) {
		const struct cell *c = &req->cells[i];
		struct ncm_loc_pos pos;

		if (lookup->cell(lookup->ud, c->mcc, c->mnc, c->tac, c->eci, &pos))
			return 1;
	}
	return 0;
}

int ncm_loc_ground_fix(const json_t *body, const struct ncm_loc_flags *flags,
		       const struct ncm_loc_config *cfg, const struct ncm_loc_lookup *lookup,
		       struct ncm_loc_result *res, int *nrf_code, struct ncm_err_info *err)
{
	static const char *const cell_keys[] = { "lte", "ltecatm", "nbiot" };
	struct ncm_loc_flags fl = { .hi_conf = 0, .fallback = 1 };
	struct request *req = NULL;
	size_t i;
	int ret;

	*nrf_code = 0;
	memset(res, 0, sizeof(*res));
	if (flags)
		fl = *flags;
	if (!json_is_object(body)) {
		ret = ncm_err_set(err, NCM_ERR_INVAL, "body: not a JSON object");
		goto out;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		ret = ncm_err_set(err, NCM_ERR_NOMEM, "location: out of memory");
		goto out;
	}
	for (i = 0; i < COUNT(cell_keys); i++) {
		ret = parse_cells(body, cell_keys[i], req, err);
		if (ret)
			goto out;
	}
	ret = parse_wifi(body, req, err);
	if (ret)
		goto out;
	if (req->n_cells == 0 && req->n_aps == 0) {
		ret = ncm_err_set(err, NCM_ERR_INVAL, "body: no cells and no access points");
		goto out;
	}
	if (req->n_cells == 0 && req->n_aps < NCM_LOC_WIFI_MIN_APS) {
		ret = ncm_err_set(err, NCM_ERR_INVAL,
				  "wifi.accessPoints: fewer than %d access points and no cells",
				  NCM_LOC_WIFI_MIN_APS);
		goto out;
	}

	if (req->n_aps < NCM_LOC_WIFI_MIN_APS)
		answer_cells(req, cfg, lookup, res);
	else if (answer_wifi_known(req, lookup, res))
		;
	else if (req->n_cells && (fl.fallback || any_cell_known(req, lookup)))
		answer_cells(req, cfg, lookup, res);
	else
		answer_wifi_derived(req, cfg, res);

	if (fl.hi_conf)
		res->pos.unc *= sqrt(log(0.05) / log(0.32));
	res->pos.lat = round7(clamp(res->pos.lat, -90.0, 90.0));
	res->pos.lon = round7(wrap_lon(res->pos.lon));
	res->pos.unc = round(res->pos.unc);
	ret = NCM_OK;
out:
	if (ret == NCM_ERR_INVAL)
		*nrf_code = NRF_CODE_INVALID;
	else if (ret)
		*nrf_code = 50010;
	free(req);
	return ret;
}
