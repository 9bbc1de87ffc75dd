/* SPDX-License-Identifier: MIT
 * location_svc.c: location services over both transports (see location_svc.h).
 */
#include "location_svc.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "file.h"
#include "fota_svc.h"
#include "journal.h"
#include "log.h"
#include "pgps.h"
#include "runtime.h"
#include "locations.h"
#include "jsontext.h"

/* Counters per service, in the order of services[]. */
static const char *const services[] = { "GROUND_FIX", "CELL_POS", "CELL", "WIFI", "SCELL",
					"AGNSS", "AGPS", "PGPS", "PGNSS", "GNSS" };
#define N_SERVICES (sizeof(services) / sizeof(services[0]))
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t stat_requests[N_SERVICES], stat_errors[N_SERVICES];

static void count(const char *service, int failed)
{
	size_t i;

	for (i = 0; i < N_SERVICES && strcmp(services[i], service); i++)
		;
	if (i == N_SERVICES)
		return;
	pthread_mutex_lock(&stats_lock);
	stat_requests[i]++;
	if (failed)
		stat_errors[i]++;
	pthread_mutex_unlock(&stats_lock);
}

json_t *ncm_loc_svc_stats(void)
{
	json_t *o = json_object();
	size_t i;

	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < N_SERVICES; i++)
		json_object_set_new(o, services[i], json_pack("{s:I,s:I}", "requests",
							      (json_int_t)stat_requests[i],
							      "errors",
							      (json_int_t)stat_errors[i]));
	pthread_mutex_unlock(&stats_lock);
	return o;
}

/* Recently made A-GNSS payloads, for the later fragments of a REST Range loop. */
#define CACHE_SLOTS 64
#define CACHE_MS (10 * 60 * 1000)
struct cached {
	char *key;
	uint8_t *data;
	size_t len;
	int64_t made_ms;
};
static struct cached cache[CACHE_SLOTS];

static void cache_drop(struct cached *e)
{
	free(e->key);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* A copy of the payload cached for key, if one is young enough: 1, else 0. */
static int cache_get(const char *key, uint8_t **data, size_t *len)
{
	int64_t now = ncm_rt_now_ms();
	int found = 0;
	size_t i;

	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < CACHE_SLOTS && !found; i++) {
		if (!cache[i].key || strcmp(cache[i].key, key) || now - cache[i].made_ms > CACHE_MS)
			continue;
		*data = malloc(cache[i].len ? cache[i].len : 1);
		if (*data) {
			memcpy(*data, cache[i].data, cache[i].len);
			*len = cache[i].len;
			found = 1;
		}
	}
	pthread_mutex_unlock(&stats_lock);
	return found;
}

/* Keeps a copy under key, in its old slot or the oldest one. */
static void cache_put(const char *key, const uint8_t *data, size_t len)
{
	struct cached e = { strdup(key), malloc(len ? len : 1), len, ncm_rt_now_ms() };
	size_t i, slot = 0;

	if (!e.key || !e.data) {
		cache_drop(&e);
		return;
	}
	memcpy(e.data, data, len);
	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].key && !strcmp(cache[i].key, key)) {
			slot = i;
			break;
		}
		if (cache[i].made_ms < cache[slot].made_ms)
			slot = i;
	}
	cache_drop(&cache[slot]);
	cache[slot] = e;
	pthread_mutex_unlock(&stats_lock);
}

void ncm_loc_svc_reset(void)
{
	size_t i;

	pthread_mutex_lock(&stats_lock);
	memset(stat_requests, 0, sizeof(stat_requests));
	memset(stat_errors, 0, sizeof(stat_errors));
	for (i = 0; i < CACHE_SLOTS; i++)
		cache_drop(&cache[i]);
	pthread_mutex_unlock(&stats_lock);
}

/* The journal record of a request ("location.request", its JSON) or of an answer
 * ("location.answer": the answer or a summary of binary data, status 200 or the failure's). */
static void journal(const struct ncm_loc_caller *c, const char *kind, const char *service,
		    int status, const json_t *payload, const char *reason)
{
	struct ncm_journal_rec rec = { 0 };
	char *text, why[600];

	if (c->quiet)
		return;
	text = payload ? ncm_json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(why, sizeof(why), "%s%s%s", service, reason ? ": " : "", reason ? reason : "");
	rec.kind = kind;
	rec.device = c->device_id && c->device_id[0] ? c->device_id : NULL;
	rec.topic = c->via;
	rec.status = status;
	rec.reason = why;
	rec.payload = text;
	rec.payload_len = text ? strlen(text) : 0;
	ncm_rt_journal(&rec);
	free(text);
}

static int fail_with(struct ncm_loc_fail *fail, int status, int code, const char *fmt,
		     const char *detail)
{
	fail->status = status;
	fail->code = code;
	ncm_err_set(&fail->err, NCM_ERR_INVAL, fmt, detail);
	return -1;
}

/* Ends a request: counts it, journals the answer or the failure and logs failures. */
static int finish(const struct ncm_loc_caller *c, const char *service, int rc,
		  const json_t *answer, const struct ncm_loc_fail *fail)
{
	if (c->quiet)
		return rc;
	count(service, rc != 0);
	if (rc) {
		json_t *e = json_pack("{s:i,s:s}", "code", fail->code, "message", fail->err.msg);

		journal(c, "location.answer", service, fail->status, e, fail->err.msg);
		json_decref(e);
		ncm_log(NCM_LOG_NOTICE, "location: %s for %s refused (%d %d): %s", service,
			c->device_id && c->device_id[0] ? c->device_id : "(no device)",
			fail->status, fail->code, fail->err.msg);
	} else {
		journal(c, "location.answer", service, 200, answer, NULL);
	}
	return rc;
}

int ncm_loc_svc_fault(const struct ncm_loc_caller *c, const char *service,
		      struct ncm_loc_fail *fail)
{
	struct ncm_fault_hit hit;

	if (!ncm_faults_fire(NCM_FAULT_LOCATION_ERROR, c->device_id, "LOCATION", service, &hit))
		return 0;
	fail->status = hit.status;
	fail->code = hit.code;
	ncm_err_set(&fail->err, NCM_ERR_INVAL, "%s", hit.message[0] ? hit.message
							  : "injected location fault");
	return 1;
}

static void loc_config(struct ncm_loc_config *cfg)
{
	const struct ncm_config *c = &ncm_rt()->cfg;

	if (ncm_config_location_centre(c, &cfg->centre_lat, &cfg->centre_lon)) {
		cfg->centre_lat = 63.4305;
		cfg->centre_lon = 10.3951;
	}
	cfg->radius_m = c->location_radius > 0 ? c->location_radius : 20000;
}

static struct ncm_loc_lookup store_lookup(void)
{
	struct ncm_loc_lookup lk = { ncm_store_loc_cell, ncm_store_loc_wifi, ncm_rt_db() };

	return lk;
}

/* Writes a fix to the history (a failure there is logged, not the request's). */
static void history(const struct ncm_loc_caller *c, const char *type, double lat, double lon,
		    double unc, const json_t *anchors, const json_t *meta)
{
	struct ncm_loc_fix fix = { 0 };
	struct ncm_err_info err = { 0 };
	char service[32];
	char *anchors_text = anchors ? ncm_json_dumps(anchors, JSON_COMPACT) : NULL;
	char *meta_text = json_object_size(meta) ? ncm_json_dumps(meta, JSON_COMPACT) : NULL;

	/* APIHELP getLocationHistory.ts: cell and Wi-Fi fixes under an evaluation token */
	snprintf(service, sizeof(service), "%s%s", type,
		 c->eval && (!strcmp(type, "MCELL") || !strcmp(type, "SCELL") ||
			     !strcmp(type, "WIFI")) ? "_EVAL" : "");
	fix.device_id = c->device_id ? c->device_id : "";
	fix.service = service;
	fix.inserted_ms = ncm_rt_now_ms();
	fix.lat = lat;
	fix.lon = lon;
	fix.unc = unc;
	fix.anchors = anchors_text;
	fix.meta = meta_text;
	if (ncm_store_loc_history_add(ncm_rt_db(), &fix, &err))
		ncm_log(NCM_LOG_ERR, "location: cannot record the fix: %s", err.msg);
	free(anchors_text);
	free(meta_text);
}

int ncm_loc_svc_ground_fix(const struct ncm_loc_caller *c, const char *service,
			   const json_t *body, const struct ncm_loc_flags *flags, json_t **answer,
			   struct ncm_loc_fail *fail)
{
	struct ncm_loc_lookup lk = store_lookup();
	struct ncm_loc_result res;
	struct ncm_loc_config cfg;
	json_t *anchors = NULL;
	size_t i;
	int rc = 0;

	*answer = NULL;
	memset(fail, 0, sizeof(*fail));
	journal(c, "location.request", service, 0, body, NULL);
	if (ncm_loc_svc_fault(c, service, fail))
		return finish(c, service, -1, NULL, fail);
	loc_config(&cfg);
	if (ncm_loc_ground_fix(body, flags, &cfg, &lk, &res, &fail->code, &fail->err)) {
		fail->status = fail->code / 100 >= 400 && fail->code / 100 <= 599 ? fail->code / 100
										 : 400;
		return finish(c, service, -1, NULL, fail);
	}
	*answer = json_pack("{s:f,s:f,s:I,s:s}", "lat", res.pos.lat, "lon", res.pos.lon,
			    "uncertainty", (json_int_t)llround(res.pos.unc), "fulfilledWith",
			    ncm_loc_with_name(res.with));
	if (res.n_anchors) {
		anchors = json_array();
		for (i = 0; i < res.n_anchors; i++)
			json_array_append_new(anchors, json_pack("{s:s,s:s}", "macAddress",
								 res.anchors[i].mac, "name",
								 res.anchors[i].name));
		json_object_set(*answer, "anchors", anchors);
	}
	if (!*answer)
		rc = fail_with(fail, 500, 50010, "%s", "out of memory");
	else
		history(c, ncm_loc_with_name(res.with), res.pos.lat, res.pos.lon, res.pos.unc,
			anchors, NULL);
	json_decref(anchors);
	return finish(c, service, rc, *answer, fail);
}

/* What every request but a ground fix starts with: its journal record, an injected fault, and
 * a body that must be a JSON object. 0 to go on, else -1 with the request finished. */
static int begin(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		 struct ncm_loc_fail *fail)
{
	journal(c, "location.request", service, 0, req, NULL);
	if (!c->quiet && ncm_loc_svc_fault(c, service, fail))
		return finish(c, service, -1, NULL, fail);
	if (!json_is_object(req))
		return finish(c, service, fail_with(fail, 400, 40000, "%s", "the request must be "
						    "a JSON object"), NULL, fail);
	return 0;
}

/* An optional integer member of req within lo..hi; -1 when present and bad. */
static int opt_int(const json_t *req, const char *key, long long lo, long long hi, long long *out)
{
	const json_t *v = json_object_get(req, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Recordings of the real service, <fixtures>/location/agnss/<name>.bin, stand in for the
 * types they hold (ncm_agnss_overlay), in name order, later files winning. A bad recording is
 * logged and skipped: the generated data still answers. */
static void overlay_recordings(uint8_t **data, size_t *len)
{
	const char *fixtures = ncm_rt()->cfg.fixtures_dir;
	char dir[PATH_MAX], path[PATH_MAX], *names[64];
	struct dirent *e;
	size_t n = 0, i, l;
	DIR *dh;

	if (!fixtures[0] || ncm_path(dir, sizeof(dir), "%s/location/agnss", fixtures))
		return;
	dh = opendir(dir);
	if (!dh)
		return;
	while ((e = readdir(dh)) && n < 64) {
		l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 4 || strcmp(e->d_name + l - 4, ".bin"))
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(dh);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		struct ncm_err_info err = { 0 };
		char *rec = NULL;
		uint8_t *out = NULL;
		size_t rec_len = 0, out_len = 0;

		if (ncm_path(path, sizeof(path), "%s/%s", dir, names[i]) ||
		    ncm_file_read(path, 1 << 20, &rec, &rec_len, &err) ||
		    ncm_agnss_overlay(*data, *len, (const uint8_t *)rec, rec_len, &out, &out_len,
				      &err)) {
			ncm_log(NCM_LOG_WARNING, "location: %s skipped: %s", path, err.msg);
		} else {
			free(*data);
			*data = out;
			*len = out_len;
		}
		free(rec);
		free(names[i]);
	}
}

/* ncm_loc_svc_agnss without the cache. */
static int agnss_new(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		     uint8_t **data, size_t *len, struct ncm_loc_fail *fail)
{
	static const struct { const char *key; long long hi; } cell_keys[] = {
		{ "mcc", 999 }, { "mnc", 999 }, { "tac", 0xffffff }, { "eci", 0xfffffff } };
	struct ncm_loc_lookup lk = store_lookup();
	struct ncm_loc_flags flags = { 0, 1 };
	struct ncm_agnss_req ar = { 0 };
	struct ncm_loc_result res;
	struct ncm_loc_config cfg;
	long long v, mask = 0;
	json_t *summary, *cell = NULL;
	const json_t *filtered;
	size_t i;
	int n_cell = 0, rc = 0, code;

	if (begin(c, service, req, fail))
		return -1;
	cell = json_object();
	for (i = 0; i < 4; i++) {
		int got = opt_int(req, cell_keys[i].key, 0, cell_keys[i].hi, &v);

		if (got < 0) {
			json_decref(cell);
			return finish(c, service, fail_with(fail, 422, 42200, "%s: must be an "
							    "integer in range", cell_keys[i].key),
				      NULL, fail);
		}
		if (got) {
			json_object_set_new(cell, cell_keys[i].key, json_integer(v));
			n_cell++;
		}
	}
	filtered = json_object_get(req, "filtered");
	if ((filtered && !json_is_boolean(filtered)) || opt_int(req, "mask", 0, 90, &mask) < 0 ||
	    ncm_agnss_types_from_json(json_object_get(req, "types"), &ar.types, &fail->err)) {
		json_decref(cell);
		if (!fail->err.msg[0])
			ncm_err_set(&fail->err, NCM_ERR_INVAL, "filtered must be a boolean and mask "
				    "an integer 0..90");
		fail->status = 422;
		fail->code = 42200;
		return finish(c, service, -1, NULL, fail);
	}
	loc_config(&cfg);
	/* the receiver is where its serving cell is (fixture or derived), else at the centre */
	ar.lat = cfg.centre_lat;
	ar.lon = cfg.centre_lon;
	ar.unc_m = (uint32_t)cfg.radius_m;
	if (n_cell == 4) {
		json_t *body = json_pack("{s:[O]}", "lte", cell);
		struct ncm_err_info ignored;

		if (body && !ncm_loc_ground_fix(body, &flags, &cfg, &lk, &res, &code, &ignored)) {
			ar.lat = res.pos.lat;
			ar.lon = res.pos.lon;
			ar.unc_m = (uint32_t)res.pos.unc;
		}
		json_decref(body);
	}
	json_decref(cell);
	ar.unix_s = ncm_rt_now_ms() / 1000;
	ar.filtered = json_is_true(filtered);
	ar.mask_deg = (int)mask;
	if (ncm_agnss_build(&ar, data, len, &fail->err)) {
		fail->status = 500;
		fail->code = 50010;
		return finish(c, service, -1, NULL, fail);
	}
	overlay_recordings(data, len);
	summary = json_pack("{s:I,s:f,s:f}", "bytes", (json_int_t)*len, "lat", ar.lat, "lon",
			    ar.lon);
	rc = finish(c, service, 0, summary, fail);
	json_decref(summary);
	return rc;
}

int ncm_loc_svc_agnss(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		      int fresh, uint8_t **data, size_t *len, struct ncm_loc_fail *fail)
{
	char *text = ncm_json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *key = NULL;
	int rc;

	*data = NULL;
	*len = 0;
	memset(fail, 0, sizeof(*fail));
	if (text && asprintf(&key, "%s|%s|%s", service, c->device_id ? c->device_id : "",
			     text) < 0)
		key = NULL;
	free(text);
	if (!fresh && key && cache_get(key, data, len)) {
		free(key);
		return 0;
	}
	if (!fresh) {
		struct ncm_loc_caller q = *c;

		ncm_log(NCM_LOG_WARNING, "location: %s data for %s left the cache before its last "
			"fragment: made anew", service, c->device_id ? c->device_id : "(no device)");
		q.quiet = 1;
		rc = agnss_new(&q, service, req, data, len, fail);
	} else {
		rc = agnss_new(c, service, req, data, len, fail);
	}
	if (!rc && key)
		cache_put(key, *data, *len);
	free(key);
	return rc;
}

int ncm_loc_svc_pgps(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		     char *host, size_t host_size, char *path, size_t path_size,
		     struct ncm_loc_fail *fail)
{
	static const struct { const char *key; long long hi; } keys[] = {
		{ "predictionCount", 65535 }, { "predictionIntervalMinutes", 65535 },
		{ "startGpsDay", 65535 }, { "startGpsTimeOfDaySeconds", 86399 } };
	struct ncm_pgps_req pr = { 0 };
	long long v[4] = { 0 };
	json_t *answer;
	size_t i;
	int rc;

	memset(fail, 0, sizeof(*fail));
	if (begin(c, service, req, fail))
		return -1;
	for (i = 0; i < 4; i++)
		if (opt_int(req, keys[i].key, 0, keys[i].hi, &v[i]) < 0)
			return finish(c, service, fail_with(fail, 422, 42200, "%s: must be a "
							    "non-negative integer in range",
							    keys[i].key), NULL, fail);
	pr.count = (int)v[0];
	pr.interval_min = (int)v[1];
	pr.gps_day = (int)v[2];
	pr.gps_tod_s = (int)v[3];
	if (ncm_pgps_normalise(&pr, ncm_rt_now_ms() / 1000, &fail->err)) {
		fail->status = 422;
		fail->code = 42200;
		return finish(c, service, -1, NULL, fail);
	}
	ncm_fota_host(host, host_size);
	if (ncm_pgps_path(&pr, path, path_size))
		return finish(c, service, fail_with(fail, 500, 50010, "%s", "path too long"), NULL,
			      fail);
	answer = json_pack("{s:s,s:s}", "host", host, "path", path);
	rc = finish(c, service, 0, answer, fail);
	json_decref(answer);
	return rc;
}

/* The meta of a GNSS fix in the location history: the fix's accuracy, altitude, speed and
 * heading under the PVT keys the device sent them with (acc, alt, spd, hdg; nrf_cloud_defs.h
 * NRF_CLOUD_JSON_GNSS_PVT_KEY_*), the numbers that are present
 * (docs/compatibility.md#location-history). New reference. */
static json_t *gnss_meta(const json_t *fix)
{
	static const char *const keys[] = { "acc", "alt", "spd", "hdg" };
	json_t *meta = json_object();
	size_t i;

	for (i = 0; meta && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(fix, keys[i]);

		if (json_is_number(v))
			json_object_set(meta, keys[i], v);
	}
	return meta;
}

int ncm_loc_svc_gnss(const struct ncm_loc_caller *c, const json_t *body,
		     struct ncm_loc_fail *fail)
{
	const json_t *lat = json_object_get(body, "lat"), *lon = json_object_get(body, "lon");
	const json_t *acc = json_object_get(body, "acc");
	const char *bad = NULL;
	json_t *meta;

	memset(fail, 0, sizeof(*fail));
	journal(c, "location.request", "GNSS", 0, body, NULL);
	if (ncm_loc_svc_fault(c, "GNSS", fail))
		return finish(c, "GNSS", -1, NULL, fail);
	if (!json_is_object(body))
		bad = "the body must be a JSON object {\"lat\",\"lon\",\"acc\"?,...}";
	else if (!json_is_number(lat) || fabs(json_number_value(lat)) > 90)
		bad = "lat: must be a number in -90..90";
	else if (!json_is_number(lon) || fabs(json_number_value(lon)) > 180)
		bad = "lon: must be a number in -180..180";
	else if (acc && (!json_is_number(acc) || json_number_value(acc) < 0))
		bad = "acc: must be a non-negative number of metres";
	else if (!c->device_id || !c->device_id[0])
		bad = "no device: use a device JWT or the x-custom-device-id header";
	if (bad)
		return finish(c, "GNSS", fail_with(fail, 422, 42200, "%s", bad), NULL, fail);
	meta = gnss_meta(body);
	history(c, "GNSS", json_number_value(lat), json_number_value(lon),
		acc ? json_number_value(acc) : 0, NULL, meta);
	json_decref(meta);
	return finish(c, "GNSS", 0, body, fail);
}
