/* SPDX-License-Identifier: MIT
 * pgps.h: P-GPS prediction files (docs/location.md#p-gps; SDK
 * include/nrf_cloud_pgps_schema_v1.h, src/nrf_cloud_pgps.c): a 16-byte packed header, then
 * prediction_count predictions of (type 7, count 1, 16-byte system time) + (type 2, count 32,
 * 32 x 62-byte ephemerides), each valid for one period. Generated deterministically from the
 * request, so the file a path names can be made again from the path alone. Pure.
 */
#ifndef NCM_PGPS_H
#define NCM_PGPS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NCM_PGPS_DEFAULT_COUNT 42      /* CONFIG_NRF_CLOUD_PGPS_NUM_PREDICTIONS */
#define NCM_PGPS_DEFAULT_INTERVAL 240  /* minutes */

struct ncm_pgps_req {
	int count;         /* predictionCount; 0 = not given */
	int interval_min;  /* predictionIntervalMinutes; 0 = not given */
	int gps_day;       /* startGpsDay; 0 = not given ("newest data") */
	int gps_tod_s;     /* startGpsTimeOfDaySeconds */
};

/* Fills what the request left out (count 42, interval 240, start = the newest data at
 * now_unix_s) and checks ranges (count 1..84 as nRF Cloud's two-week limit, interval 120..480
 * minutes, day 1..65535, tod 0..86399). NCM_ERR_INVAL names the bad field. */
int ncm_pgps_normalise(struct ncm_pgps_req *req, int64_t now_unix_s, struct ncm_err_info *err);

/* The file path (without a leading '/') of a normalised request, in nRF Cloud's form
 * "public/<startDay>-<startTod>_<endDay>-<endTod>.bin" (end = the last prediction's start);
 * an interval other than 240 adds "_<interval>" before ".bin". -1 when size is too small. */
int ncm_pgps_path(const struct ncm_pgps_req *req, char *buf, size_t size);

/* Parses such a path back (with or without the leading '/'); NCM_ERR_INVAL when it is not
 * one this module makes. */
int ncm_pgps_parse_path(const char *path, struct ncm_pgps_req *req, struct ncm_err_info *err);

/* The prediction file of a normalised request (malloc'd, *len bytes). */
int ncm_pgps_build(const struct ncm_pgps_req *req, uint8_t **out, size_t *len,
		   struct ncm_err_info *err);

#endif
