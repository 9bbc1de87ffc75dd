/* SPDX-License-Identifier: MIT
 * gnss_model.c: a deterministic GPS + QZSS constellation and its ephemeris / almanac elements
 * (see gnss_model.h). The model is deliberately simple: Kepler orbits with fixed elements
 * (plus the nodes' drift), so every satellite has one position at any time, and the elements
 * we pack decode (GPS ICD-200 user algorithm) to that position give or take the harmonic
 * terms, which we fill with plausible values the model ignores (a few hundred metres). It must
 * not depend on anything but libm: no clock reads, no rand().
 */
#include "gnss_model.h"

#include <math.h>
#include <stddef.h>

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)

/* WGS-84 values the ICD uses for the user algorithm. */
#define MU 3.986005e14              /* m^3/s^2 */
#define OMEGA_E 7.2921151467e-5     /* rad/s */
#define EARTH_R 6371e3              /* mean radius, for a spherical receiver */

/* GPS: six planes 60 degrees apart at 55 degrees, radius 26560 km, the nodes precessing as the
 * real ones do (about -8e-9 rad/s). Satellites 1..32 go round-robin over the planes. */
#define GPS_A 26560e3
#define GPS_INCL (55.0 * DEG)
#define GPS_RAAN_DOT (-8.0e-9)
#define GPS_DELTA_N 4.5e-9
#define GPS_PLANES 6

/* QZSS: five quasi-zenith (inclined geosynchronous) orbits at 41 degrees whose figure-eight
 * ground tracks cross the equator at 139 E, phased 72 degrees apart; node drift is left out
 * since the real ones are station-kept. Near-circular here, so the almanac's 16-bit
 * eccentricity holds it. The almanac's inclination is relative to 0.25 semicircles (IS-QZSS). */
#define QZSS_INCL (41.0 * DEG)
#define QZSS_NODE_LON (139.0 * DEG)

struct orbit {
	double a, e, incl, w;     /* m, -, rad, rad */
	double n, dn;             /* mean motion used by the model (incl. dn), correction; rad/s */
	double raan0, raan_dot;   /* inertial node at gps_s 0, rad; rad/s */
	double l0;                /* mean argument of latitude (w + M) at gps_s 0 */
	double i_ref;             /* the almanac's reference inclination */
	double af0, af1, tgd;     /* s, s/s, s */
	double idot;              /* rad/s */
	double crs, crc, cus, cuc, cis, cic;  /* m, m, rad x4 */
};

/* A fixed pseudo-random value in [0, 1) for (sv, salt): the per-satellite spread of
 * eccentricity, clock and harmonic terms. */
static double spread(unsigned sv, unsigned salt)
{
	uint32_t x = sv * 0x9e3779b9u ^ (salt + 1) * 0x85ebca6bu;

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return (double)x / 4294967296.0;
}

static double wrap_pi(double x)
{
	x = fmod(x, 2 * PI);
	if (x >= PI)
		x -= 2 * PI;
	else if (x < -PI)
		x += 2 * PI;
	return x;
}

/* v * 2^pow2, rounded, as an integer. */
static int64_t scaled(double v, int pow2)
{
	return llround(ldexp(v, pow2));
}

/* An angle in semicircles on `bits` signed bits with the LSB 2^-(bits-1): +1 semicircle is the
 * same angle as -1, so it wraps. */
static int32_t semicircles(double rad, int bits)
{
	int64_t v = scaled(wrap_pi(rad) / PI, bits - 1);

	if (v >= (int64_t)1 << (bits - 1))
		v -= (int64_t)1 << bits;
	return (int32_t)v;
}

static int orbit_of(unsigned sv, struct orbit *o)
{
	unsigned k;

	if (sv >= 1 && sv <= NCM_GNSS_GPS_COUNT) {
		unsigned plane = (sv - 1) % GPS_PLANES, slot = (sv - 1) / GPS_PLANES;
		/* planes 0 and 1 hold six satellites, the others five */
		unsigned per_plane = plane < 2 ? 6 : 5;

		o->a = GPS_A;
		o->e = 0.001 + 0.019 * spread(sv, 1);
		o->incl = GPS_INCL + (spread(sv, 2) - 0.5) * 2 * DEG;
		o->w = 2 * PI * spread(sv, 3);
		o->dn = GPS_DELTA_N;
		o->n = sqrt(MU / (GPS_A * GPS_A * GPS_A)) + o->dn;
		o->raan0 = (17.0 + 60.0 * plane) * DEG;
		o->raan_dot = GPS_RAAN_DOT;
		o->l0 = 2 * PI * slot / per_plane + plane * 15.0 * DEG;
		o->i_ref = 0.3 * PI;
	} else if (sv >= NCM_GNSS_QZSS_FIRST && sv < NCM_GNSS_QZSS_FIRST + NCM_GNSS_QZSS_COUNT) {
		k = sv - NCM_GNSS_QZSS_FIRST;
		o->a = cbrt(MU / (OMEGA_E * OMEGA_E));
		o->e = 0.0005 + 0.001 * spread(sv, 1);
		o->incl = QZSS_INCL + (spread(sv, 2) - 0.5) * DEG;
		o->w = 270.0 * DEG;
		o->dn = 0;
		o->n = OMEGA_E;
		/* at one revolution per sidereal day a satellite crosses the node (l = 0) at the
		 * Earth-fixed longitude raan0 + l0 every day */
		o->l0 = k * 72.0 * DEG;
		o->raan0 = QZSS_NODE_LON - o->l0;
		o->raan_dot = 0;
		o->i_ref = 0.25 * PI;
	} else {
		return -1;
	}
	o->af0 = (spread(sv, 4) - 0.5) * 1e-3;
	o->af1 = (spread(sv, 5) - 0.5) * 2e-11;
	o->tgd = (spread(sv, 6) - 0.5) * 1e-8;
	o->idot = (spread(sv, 7) - 0.5) * 1e-9;
	o->crs = (spread(sv, 8) - 0.5) * 200;
	o->crc = 150 + 200 * spread(sv, 9);
	o->cus = (spread(sv, 10) - 0.5) * 2e-5;
	o->cuc = (spread(sv, 11) - 0.5) * 2e-5;
	o->cis = (spread(sv, 12) - 0.5) * 2e-7;
	o->cic = (spread(sv, 13) - 0.5) * 2e-7;
	return 0;
}

/* Mean anomaly and Earth-fixed longitude of the ascending node at t. The Earth's rotation
 * angle is OMEGA_E * t from the GPS epoch: not sidereal time, but one consistent frame for
 * every satellite and every request. */
static void state_at(const struct orbit *o, int64_t t, double *m, double *node_lon)
{
	double td = (double)t;

	*m = wrap_pi(o->l0 - o->w + fmod(o->n * td, 2 * PI));
	*node_lon = wrap_pi(o->raan0 + fmod((o->raan_dot - OMEGA_E) * td, 2 * PI));
}

double ncm_gnss_elevation_deg(unsigned sv, int64_t gps_s, double lat_deg, double lon_deg)
{
	struct orbit o;
	double m, lam, ecc, u, rad, s[3], r[3], d[3], up[3], dist, dot;
	int i;

	if (orbit_of(sv, &o))
		return -90;
	state_at(&o, gps_s, &m, &lam);
	/* Kepler's equation by fixed-point iteration: e < 0.03 converges in a few steps */
	for (ecc = m, i = 0; i < 10; i++)
		ecc = m + o.e * sin(ecc);
	u = o.w + atan2(sqrt(1 - o.e * o.e) * sin(ecc), cos(ecc) - o.e);
	rad = o.a * (1 - o.e * cos(ecc));
	s[0] = rad * (cos(u) * cos(lam) - sin(u) * cos(o.incl) * sin(lam));
	s[1] = rad * (cos(u) * sin(lam) + sin(u) * cos(o.incl) * cos(lam));
	s[2] = rad * sin(u) * sin(o.incl);
	up[0] = cos(lat_deg * DEG) * cos(lon_deg * DEG);
	up[1] = cos(lat_deg * DEG) * sin(lon_deg * DEG);
	up[2] = sin(lat_deg * DEG);
	dist = 0;
	dot = 0;
	for (i = 0; i < 3; i++) {
		r[i] = EARTH_R * up[i];
		d[i] = s[i] - r[i];
		dist += d[i] * d[i];
		dot += d[i] * up[i];
	}
	return asin(dot / sqrt(dist)) / DEG;
}

/* IODC: the hour of the week plus 168 x (sv mod 6) stays within 10 bits, differs for every toe
 * of a satellite in a week, and so does its low byte (the IODE) within any 6 hours. */
static uint16_t iodc_of(unsigned sv, uint32_t toe_sow)
{
	return (uint16_t)(toe_sow / 3600 + 168 * (sv % 6));
}

void ncm_gnss_ephemeris_pack(unsigned sv, int64_t toe_gps_s, uint8_t out[NCM_GNSS_EPHEMERIS_SIZE])
{
	struct orbit o;
	uint32_t sow = (uint32_t)(toe_gps_s % NCM_GNSS_SEC_PER_WEEK);
	double m, lam;
	uint8_t *p = out;
	size_t i;

	if (orbit_of(sv, &o)) {
		for (i = 0; i < NCM_GNSS_EPHEMERIS_SIZE; i++)
			out[i] = 0;
		out[0] = (uint8_t)sv;
		return;
	}
	state_at(&o, toe_gps_s, &m, &lam);
	p = ncm_le_put8(p, (uint8_t)sv);
	p = ncm_le_put8(p, 0);                                       /* health: all good */
	p = ncm_le_put16(p, iodc_of(sv, sow));
	p = ncm_le_put16(p, (uint16_t)(sow / 16));                   /* toc, 2^4 s */
	p = ncm_le_put8(p, 0);                                       /* af2, 2^-55 s/s^2 */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.af1, 43));   /* af1, 2^-43 s/s */
	p = ncm_le_put32(p, (uint32_t)(int32_t)scaled(o.af0, 31));   /* af0, 2^-31 s */
	p = ncm_le_put8(p, (uint8_t)(int8_t)scaled(o.tgd, 31));      /* tgd, 2^-31 s */
	p = ncm_le_put8(p, 0);                                       /* ura index: 2 m */
	p = ncm_le_put8(p, 0);                                       /* fit interval: 4 h */
	p = ncm_le_put16(p, (uint16_t)(sow / 16));                   /* toe, 2^4 s */
	p = ncm_le_put32(p, (uint32_t)semicircles(o.w, 32));         /* w, 2^-31 sc */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.dn / PI, 43));  /* delta_n, 2^-43 sc/s */
	p = ncm_le_put32(p, (uint32_t)semicircles(m, 32));           /* m0, 2^-31 sc */
	p = ncm_le_put32(p, (uint32_t)(int32_t)scaled(o.raan_dot / PI, 43)); /* omega_dot */
	p = ncm_le_put32(p, (uint32_t)scaled(o.e, 33));              /* e, 2^-33 */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.idot / PI, 43));    /* idot, 2^-43 sc/s */
	p = ncm_le_put32(p, (uint32_t)scaled(sqrt(o.a), 19));        /* sqrt_a, 2^-19 m^0.5 */
	p = ncm_le_put32(p, (uint32_t)semicircles(o.incl, 32));      /* i0, 2^-31 sc */
	/* ICD: Omega_k = Omega0 + (Omega_dot - OMEGA_E) t_k - OMEGA_E toe, so at toe the node's
	 * Earth-fixed longitude is Omega0 - OMEGA_E toe. */
	p = ncm_le_put32(p, (uint32_t)semicircles(lam + OMEGA_E * sow, 32));  /* omega0 */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.crs, 5));    /* crs, 2^-5 m */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.cis, 29));   /* cis, 2^-29 rad */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.cus, 29));   /* cus, 2^-29 rad */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.crc, 5));    /* crc, 2^-5 m */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.cic, 29));   /* cic, 2^-29 rad */
	ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.cuc, 29));       /* cuc, 2^-29 rad */
}

void ncm_gnss_almanac_pack(unsigned sv, int64_t toa_gps_s, uint8_t out[NCM_GNSS_ALMANAC_SIZE])
{
	struct orbit o;
	uint32_t sow = (uint32_t)(toa_gps_s % NCM_GNSS_SEC_PER_WEEK);
	double m, lam;
	uint8_t *p = out;
	size_t i;

	if (orbit_of(sv, &o)) {
		for (i = 0; i < NCM_GNSS_ALMANAC_SIZE; i++)
			out[i] = 0;
		out[0] = (uint8_t)sv;
		return;
	}
	state_at(&o, toa_gps_s, &m, &lam);
	p = ncm_le_put8(p, (uint8_t)sv);
	p = ncm_le_put8(p, (uint8_t)(toa_gps_s / NCM_GNSS_SEC_PER_WEEK));  /* wn mod 256 */
	p = ncm_le_put8(p, (uint8_t)(sow / 4096));                    /* toa, 2^12 s */
	p = ncm_le_put8(p, 0);                                        /* ioda */
	p = ncm_le_put16(p, (uint16_t)scaled(o.e, 21));               /* e, 2^-21 */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled((o.incl - o.i_ref) / PI, 19)); /* delta_i */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.raan_dot / PI, 38));  /* 2^-38 sc/s */
	p = ncm_le_put8(p, 0);                                        /* sv_health */
	p = ncm_le_put32(p, (uint32_t)scaled(sqrt(o.a), 11));         /* sqrt_a, 2^-11, 24 bits */
	p = ncm_le_put32(p, (uint32_t)semicircles(lam + OMEGA_E * sow, 24));  /* omega0, 2^-23 */
	p = ncm_le_put32(p, (uint32_t)semicircles(o.w, 24));          /* w, 2^-23 sc */
	p = ncm_le_put32(p, (uint32_t)semicircles(m, 24));  /* m0, 2^-23 sc */
	p = ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.af0, 20));    /* af0, 2^-20 s, 11 bits */
	ncm_le_put16(p, (uint16_t)(int16_t)scaled(o.af1, 38));        /* af1, 2^-38 s/s, 11 bits */
}
