/* SPDX-License-Identifier: MIT
 * pgps.c: P-GPS requests, file paths and prediction files (see pgps.h). The path carries the
 * whole request, so a file is made again from its path alone; the ephemerides come from
 * gnss_model.c, the same satellites A-GNSS answers describe. Pure: the caller passes the time.
 */
#include "pgps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agnss.h"
#include "gnss_model.h"

#define COUNT_MAX 84
#define INTERVAL_MIN 120
#define INTERVAL_MAX 480
#define DAY_MAX 65535
#define TOD_MAX 86399
#define PATH_MAX_LEN 64
#define PATH_PREFIX "public/"

/* The download, as nrf_cloud_pgps_process_update() in the SDK's src/nrf_cloud_pgps.c reads it:
 * struct nrf_cloud_pgps_header (16 bytes, include/nrf_cloud_pgps_schema_v1.h), then fixed-size
 * predictions of PGPS_PREDICTION_DL_SIZE bytes: struct nrf_cloud_pgps_prediction
 * (include/net/nrf_cloud_pgps.h) without the schema byte and the sentinel the device adds when
 * storing it, i.e. type 7, count 1, a 16-byte nrf_cloud_pgps_system_time, type 2, count 32 and
 * 32 ephemerides. Nothing follows the last prediction. */
#define HEADER_SIZE 16
#define ARRAY_TYPE 10             /* NRF_CLOUD_AGNSS__RSVD_PREDICTION_DATA */
#define NUM_SV 32
#define CLOCK_SIZE 16
#define PREDICTION_SIZE (3 + CLOCK_SIZE + 3 + NUM_SV * NCM_GNSS_EPHEMERIS_SIZE)  /* 2006 */

static int check(const struct ncm_pgps_req *req, struct ncm_err_info *err)
{
	int64_t end;

	if (req->count < 1 || req->count > COUNT_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "pgps: predictionCount %d is outside 1..%d",
				   req->count, COUNT_MAX);
	if (req->interval_min < INTERVAL_MIN || req->interval_min > INTERVAL_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "pgps: predictionIntervalMinutes %d is "
				   "outside %d..%d", req->interval_min, INTERVAL_MIN, INTERVAL_MAX);
	if (req->gps_day < 1 || req->gps_day > DAY_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "pgps: startGpsDay %d is outside 1..%d",
				   req->gps_day, DAY_MAX);
	if (req->gps_tod_s < 0 || req->gps_tod_s > TOD_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "pgps: startGpsTimeOfDaySeconds %d is "
				   "outside 0..%d", req->gps_tod_s, TOD_MAX);
	end = (int64_t)req->gps_day * NCM_GNSS_SEC_PER_DAY + req->gps_tod_s +
	      (int64_t)(req->count - 1) * req->interval_min * 60;
	if (end / NCM_GNSS_SEC_PER_DAY > DAY_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "pgps: startGpsDay %d: the predictions "
				   "would run past GPS day %d", req->gps_day, DAY_MAX);
	return NCM_OK;
}

int ncm_pgps_normalise(struct ncm_pgps_req *req, int64_t now_unix_s, struct ncm_err_info *err)
{
	struct ncm_gps_time gt;
	int64_t start;

	if (!req->count)
		req->count = NCM_PGPS_DEFAULT_COUNT;
	if (!req->interval_min)
		req->interval_min = NCM_PGPS_DEFAULT_INTERVAL;
	if (!req->gps_day) {
		/* "Newest data": from the whole GPS hour we are in. The device looks predictions
		 * up with its clock shifted 2 h ahead (PREDICTION_MIDPOINT_SHIFT_SEC in
		 * nrf_cloud_pgps.c) and takes the one whose [start, start + period) holds it, and
		 * it drops a download whose span misses that shifted time: a start at most an
		 * hour back keeps the first prediction current for the default 4-h period. */
		if (now_unix_s < 315964800)
			return ncm_err_set(err, NCM_ERR_INVAL, "pgps: no newest data before the "
					   "GPS epoch (time %lld)", (long long)now_unix_s);
		ncm_gps_time_from_unix(now_unix_s, &gt);
		start = (int64_t)gt.day * NCM_GNSS_SEC_PER_DAY + gt.tod;
		start -= start % 3600;
		if (start / NCM_GNSS_SEC_PER_DAY > DAY_MAX)
			return ncm_err_set(err, NCM_ERR_INVAL, "pgps: time %lld is past GPS day %d",
					   (long long)now_unix_s, DAY_MAX);
		req->gps_day = (int)(start / NCM_GNSS_SEC_PER_DAY);
		req->gps_tod_s = (int)(start % NCM_GNSS_SEC_PER_DAY);
	}
	return check(req, err);
}

int ncm_pgps_path(const struct ncm_pgps_req *req, char *buf, size_t size)
{
	int64_t end = (int64_t)req->gps_day * NCM_GNSS_SEC_PER_DAY + req->gps_tod_s +
		      (int64_t)(req->count - 1) * req->interval_min * 60;
	char suffix[16] = "";
	int n;

	if (req->interval_min != NCM_PGPS_DEFAULT_INTERVAL)
		snprintf(suffix, sizeof(suffix), "_%d", req->interval_min);
	n = snprintf(buf, size, PATH_PREFIX "%d-%d_%lld-%lld%s.bin", req->gps_day, req->gps_tod_s,
		     (long long)(end / NCM_GNSS_SEC_PER_DAY),
		     (long long)(end % NCM_GNSS_SEC_PER_DAY), suffix);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A decimal number of at most max_digits digits and no leading zero; advances *p. */
static int number(const char **p, int max_digits, long *out)
{
	const char *s = *p;
	long v = 0;

	while (*s >= '0' && *s <= '9' && s - *p < max_digits)
		v = v * 10 + (*s++ - '0');
	if (s == *p || (**p == '0' && s - *p > 1) || (*s >= '0' && *s <= '9'))
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int ncm_pgps_parse_path(const char *path, struct ncm_pgps_req *req, struct ncm_err_info *err)
{
	const char *p = path;
	long day0, tod0, day1, tod1, interval = NCM_PGPS_DEFAULT_INTERVAL;
	int64_t span, step;
	struct ncm_pgps_req r;

	if (!p || strlen(p) > PATH_MAX_LEN)
		goto bad;
	if (*p == '/')
		p++;
	if (strncmp(p, PATH_PREFIX, strlen(PATH_PREFIX)))
		goto bad;
	p += strlen(PATH_PREFIX);
	if (number(&p, 5, &day0) || *p++ != '-' || number(&p, 5, &tod0) || *p++ != '_' ||
	    number(&p, 5, &day1) || *p++ != '-' || number(&p, 5, &tod1))
		goto bad;
	if (*p == '_') {
		/* the default interval is never spelt out, so each request has one path */
		p++;
		if (number(&p, 3, &interval) || interval == NCM_PGPS_DEFAULT_INTERVAL)
			goto bad;
	}
	if (strcmp(p, ".bin") || tod0 > TOD_MAX || tod1 > TOD_MAX || interval < INTERVAL_MIN ||
	    interval > INTERVAL_MAX)
		goto bad;
	span = ((int64_t)day1 * NCM_GNSS_SEC_PER_DAY + tod1) -
	       ((int64_t)day0 * NCM_GNSS_SEC_PER_DAY + tod0);
	step = (int64_t)interval * 60;
	if (span < 0 || span % step || span / step + 1 > COUNT_MAX)
		goto bad;
	r.count = (int)(span / step + 1);
	r.interval_min = (int)interval;
	r.gps_day = (int)day0;
	r.gps_tod_s = (int)tod0;
	if (check(&r, NULL))
		goto bad;
	*req = r;
	return NCM_OK;
bad:
	return ncm_err_set(err, NCM_ERR_INVAL, "pgps: not a prediction file path");
}

int ncm_pgps_build(const struct ncm_pgps_req *req, uint8_t **out, size_t *len,
		   struct ncm_err_info *err)
{
	uint8_t *buf, *p;
	size_t size;
	int64_t t;
	int i, rc;
	unsigned sv;

	*out = NULL;
	*len = 0;
	rc = check(req, err);
	if (rc)
		return rc;
	size = HEADER_SIZE + (size_t)req->count * PREDICTION_SIZE;
	buf = malloc(size);
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "pgps: out of memory for %zu bytes", size);
	/* The SDK refuses a header whose period differs from its
	 * CONFIG_NRF_CLOUD_PGPS_PREDICTION_PERIOD or whose count exceeds its
	 * CONFIG_NRF_CLOUD_PGPS_NUM_PREDICTIONS: the file honours the request all the same, as
	 * it is the device that asked. gps_day is an int16_t there; days past 32767 (in 2069)
	 * are written as their low 16 bits. */
	p = ncm_le_put8(buf, 1);                                  /* schema_version */
	p = ncm_le_put8(p, ARRAY_TYPE);
	p = ncm_le_put16(p, 1);                                   /* num_items */
	p = ncm_le_put16(p, (uint16_t)req->count);
	p = ncm_le_put16(p, PREDICTION_SIZE);
	p = ncm_le_put16(p, (uint16_t)req->interval_min);
	p = ncm_le_put16(p, (uint16_t)req->gps_day);
	p = ncm_le_put32(p, (uint32_t)req->gps_tod_s);
	for (i = 0; i < req->count; i++) {
		/* each prediction is stamped with its start, which the SDK checks exactly
		 * against header start + i x period; its ephemerides are referenced to that
		 * time, which is the middle of the span the device uses it for */
		t = (int64_t)req->gps_day * NCM_GNSS_SEC_PER_DAY + req->gps_tod_s +
		    (int64_t)i * req->interval_min * 60;
		p = ncm_le_put8(p, NCM_AGNSS_GPS_SYSTEM_CLOCK);
		p = ncm_le_put16(p, 1);
		p = ncm_le_put16(p, (uint16_t)(t / NCM_GNSS_SEC_PER_DAY));
		p = ncm_le_put32(p, (uint32_t)(t % NCM_GNSS_SEC_PER_DAY));
		p = ncm_le_put16(p, 0);                           /* time_frac_ms */
		p = ncm_le_put32(p, 0);                           /* sv_mask */
		p = ncm_le_put32(p, 0);                           /* pad */
		p = ncm_le_put8(p, NCM_AGNSS_GPS_EPHEMERIDES);
		p = ncm_le_put16(p, NUM_SV);
		for (sv = 1; sv <= NUM_SV; sv++, p += NCM_GNSS_EPHEMERIS_SIZE)
			ncm_gnss_ephemeris_pack(sv, t - t % 16, p);   /* toe in 16-s units */
	}
	*out = buf;
	*len = size;
	return NCM_OK;
}
