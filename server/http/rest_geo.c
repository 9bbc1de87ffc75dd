/* SPDX-License-Identifier: MIT
 * rest_geo.c: GET /v1/location/geo?lat=&lon= (GetAddressDataFromCoordinates; nRF Cloud's
 * OpenAPI as NauEngineering/python_nRF_cloud_client GeocodingApi.md lists it;
 * docs/protocol-rest.md#rest-surface). The mock has no geocoder: it answers from a small fixed
 * table of places, the nearest one within 50 km of the point, and 404 40499 (not found, no
 * error) when none is that close.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rest_common.h"

#define NEAR_KM 50.0

struct place {
	double lat, lon;
	const char *label, *city, *region, *country, *code, *postal;
};

/* The fixture table (docs/protocol-rest.md#rest-surface lists it). */
static const struct place places[] = {
	{ 63.4305, 10.3951, "Otto Nielsens vei 12, 7052 Trondheim, Norway", "Trondheim",
	  "Trondelag", "Norway", "NOR", "7052" },
	{ 59.9139, 10.7522, "Karl Johans gate 1, 0154 Oslo, Norway", "Oslo", "Oslo", "Norway",
	  "NOR", "0154" },
	{ 60.1699, 24.9384, "Mannerheimintie 1, 00100 Helsinki, Finland", "Helsinki", "Uusimaa",
	  "Finland", "FIN", "00100" },
	{ 45.5152, -122.6784, "SW Broadway, Portland, OR 97205, United States", "Portland",
	  "Oregon", "United States", "USA", "97205" },
	{ 52.5200, 13.4050, "Unter den Linden 1, 10117 Berlin, Germany", "Berlin", "Berlin",
	  "Germany", "DEU", "10117" },
	{ 35.6762, 139.6503, "1 Chiyoda, Tokyo 100-0001, Japan", "Tokyo", "Tokyo", "Japan", "JPN",
	  "100-0001" },
};

static double km_between(double la1, double lo1, double la2, double lo2)
{
	const double r = 6371.0, d = M_PI / 180.0;
	double a = sin((la2 - la1) * d / 2) * sin((la2 - la1) * d / 2) +
		   cos(la1 * d) * cos(la2 * d) * sin((lo2 - lo1) * d / 2) *
			   sin((lo2 - lo1) * d / 2);

	return 2 * r * asin(sqrt(a));
}

/* A number query parameter within [-lim, lim]; -1 when missing or not one. */
static int number(struct ncm_req *req, const char *name, double lim, double *out)
{
	const char *s = ncm_req_query(req, name);
	char *end;

	if (!s || !*s)
		return -1;
	*out = strtod(s, &end);
	return *end || !isfinite(*out) || fabs(*out) > lim ? -1 : 0;
}

enum MHD_Result ncm_rest_geo_get(struct ncm_req *req)
{
	const struct place *best = NULL;
	double lat, lon, best_km = NEAR_KM;
	size_t i;

	if (number(req, "lat", 90, &lat) || number(req, "lon", 180, &lon))
		return ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
				       "lat (-90..90) and lon (-180..180) are required numbers");
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		double km = km_between(lat, lon, places[i].lat, places[i].lon);

		if (km <= best_km) {
			best_km = km;
			best = &places[i];
		}
	}
	if (!best)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40499,
				       "no address known near %.5f,%.5f", lat, lon);
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:f,s:f,s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "lat", lat, "lon", lon,
			  "address", "label", best->label, "city", best->city, "region",
			  best->region, "country", best->country, "countryCode", best->code,
			  "postalCode", best->postal));
}
