/* SPDX-License-Identifier: MIT
 * gnss_model.h: the satellite constellation behind the generated A-GNSS (agnss.c) and P-GPS
 * (pgps.c) data. Internal to core: a deterministic orbit model (no clock reads, no rand()) and
 * the packing of its orbits into the SDK's schema-v1 ephemeris and almanac elements, with the
 * GPS ICD-200 scale factors. Times are seconds since the GPS epoch on the GPS time scale.
 */
#ifndef NCM_GNSS_MODEL_H
#define NCM_GNSS_MODEL_H

#include <stdint.h>

#define NCM_GNSS_GPS_COUNT 32      /* PRN 1..32 */
#define NCM_GNSS_QZSS_FIRST 193    /* QZSS PRNs as the SDK passes them as sv_id */
#define NCM_GNSS_QZSS_COUNT 5      /* 193..197 */

#define NCM_GNSS_EPHEMERIS_SIZE 62
#define NCM_GNSS_ALMANAC_SIZE 31

#define NCM_GNSS_SEC_PER_DAY 86400
#define NCM_GNSS_SEC_PER_WEEK 604800

/* Little-endian writers for the packed elements. */
static inline uint8_t *ncm_le_put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
	return p + 1;
}

static inline uint8_t *ncm_le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline uint8_t *ncm_le_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

/* Elevation in degrees of satellite sv (1..32 GPS, 193..197 QZSS) seen from (lat, lon) on a
 * spherical Earth at gps_s. */
double ncm_gnss_elevation_deg(unsigned sv, int64_t gps_s, double lat_deg, double lon_deg);

/* Writes sv's ephemeris (struct nrf_cloud_agnss_ephemeris, 62 bytes) with toe = toc = toe_gps_s,
 * which must be a multiple of 16 s. */
void ncm_gnss_ephemeris_pack(unsigned sv, int64_t toe_gps_s, uint8_t out[NCM_GNSS_EPHEMERIS_SIZE]);

/* Writes sv's almanac (struct nrf_cloud_agnss_almanac, 31 bytes) for toa = toa_gps_s, which must
 * be a multiple of 4096 s. */
void ncm_gnss_almanac_pack(unsigned sv, int64_t toa_gps_s, uint8_t out[NCM_GNSS_ALMANAC_SIZE]);

#endif
