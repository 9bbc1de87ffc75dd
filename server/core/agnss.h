/* SPDX-License-Identifier: MIT
 * agnss.h: A-GNSS / A-GPS assistance data in nRF Cloud's binary "schema v1" (docs/location.md#a-gnss-and-a-gps;
 * SDK include/nrf_cloud_agnss_schema_v1.h): byte 0 = version 1, then blocks of
 * u8 type, u16 LE count, count x element (packed little-endian). Generated, plausible and
 * internally consistent for a given time and place; split into self-contained MQTT messages.
 * Pure: the caller passes the time.
 */
#ifndef NCM_AGNSS_H
#define NCM_AGNSS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define NCM_AGNSS_SCHEMA_VERSION 1

enum ncm_agnss_type {
	NCM_AGNSS_GPS_UTC = 1,
	NCM_AGNSS_GPS_EPHEMERIDES = 2,
	NCM_AGNSS_GPS_ALMANAC = 3,
	NCM_AGNSS_KLOBUCHAR = 4,
	NCM_AGNSS_NEQUICK = 5,
	NCM_AGNSS_GPS_TOWS = 6,
	NCM_AGNSS_GPS_SYSTEM_CLOCK = 7,
	NCM_AGNSS_LOCATION = 8,
	NCM_AGNSS_GPS_INTEGRITY = 9,
	/* 10 is reserved for P-GPS prediction data */
	NCM_AGNSS_QZSS_ALMANAC = 11,
	NCM_AGNSS_QZSS_EPHEMERIDES = 12,
	NCM_AGNSS_QZSS_INTEGRITY = 13,
};

/* Bit t set = type t. The SPEC default when a request names no types: 1,2,3,4,6,7,9. */
#define NCM_AGNSS_TYPES_DEFAULT                                                               \
	((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 7) | (1u << 9))

/* Size in bytes of one element of type (1:14, 2:62, 3:31, 4:8, 5:8, 6:4, 7:16, 8:15, 9:4,
 * 11:31, 12:62, 13:4); 0 for 0, 10 and unknown types. */
size_t ncm_agnss_element_size(unsigned type);

/* GPS time of a Unix time (UTC seconds): GPS epoch 1980-01-06, leap seconds (18 since 2017)
 * added. day = days since the GPS epoch, tod = seconds of that day, week and tow likewise. */
struct ncm_gps_time {
	uint32_t day;
	uint32_t tod;
	uint32_t week;
	uint32_t tow;
};
void ncm_gps_time_from_unix(int64_t unix_s, struct ncm_gps_time *out);

struct ncm_agnss_req {
	int64_t unix_s;    /* the time the data is for (the request's arrival) */
	uint32_t types;    /* bits of enum ncm_agnss_type; 0 means NCM_AGNSS_TYPES_DEFAULT */
	int filtered;      /* ephemerides (GPS and QZSS) only for satellites above mask_deg */
	int mask_deg;      /* elevation mask, 0..90, used when filtered */
	double lat, lon;   /* receiver position (the serving cell's), degrees */
	uint32_t unc_m;    /* its uncertainty, metres, for the location element */
};

/* Parses the "types" of a request: a JSON array of integers (NULL or empty: default set), or
 * a comma list "1,2,3" (the REST query form). Types must be 1..9 or 11..13; anything else is
 * NCM_ERR_INVAL naming the value. */
int ncm_agnss_types_from_json(const json_t *types, uint32_t *out, struct ncm_err_info *err);
int ncm_agnss_types_from_list(const char *list, uint32_t *out, struct ncm_err_info *err);

/* The whole data set for req as one schema-v1 payload (malloc'd, *len bytes): the requested
 * blocks in nRF Cloud's order (GPS TOWs always directly before the system clock), each with at
 * least one element; for 32 GPS satellites (1..32) and QZSS PRNs 193..197 (QZSS sv_id as the
 * SDK passes them). Deterministic: the same req gives the same bytes. */
int ncm_agnss_build(const struct ncm_agnss_req *req, uint8_t **out, size_t *len,
		    struct ncm_err_info *err);

/* Replaces, in the generated payload gen, the blocks of every type that the recorded payload
 * rec (a schema-v1 answer a user recorded from nRF Cloud) holds by rec's blocks of that type,
 * in gen's order (so TOWs stay before the clock); types rec lacks stay generated, types gen
 * lacks (not requested) are not added. *out is malloc'd. NCM_ERR_INVAL when either is not a
 * well-formed schema-v1 payload, naming which. */
int ncm_agnss_overlay(const uint8_t *gen, size_t gen_len, const uint8_t *rec, size_t rec_len,
		      uint8_t **out, size_t *out_len, struct ncm_err_info *err);

/* One self-contained message of a split payload. */
struct ncm_agnss_part {
	uint8_t *data;
	size_t len;
};

/* Splits a schema-v1 payload into messages of at most max bytes (the SDK's MQTT buffer is
 * 2144), each starting with the version byte and holding whole elements (a block may be split
 * into several blocks of the same type with smaller counts); the TOW block and the system
 * clock stay in one message, TOWs first. *parts is malloc'd; free with ncm_agnss_parts_free.
 * NCM_ERR_INVAL for a payload that is not schema v1, NCM_ERR_TOO_BIG when max cannot hold the
 * version byte, a block header and one element (or TOWs + clock). */
int ncm_agnss_split(const uint8_t *payload, size_t len, size_t max, struct ncm_agnss_part **parts,
		    size_t *n, struct ncm_err_info *err);
void ncm_agnss_parts_free(struct ncm_agnss_part *parts, size_t n);

#endif
