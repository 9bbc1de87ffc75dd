/* SPDX-License-Identifier: MIT
 * rest_geo.c: GET /v1/location/geo?lat=&lon= (GetAddressDataFromCoordinates; nRF Cloud's
 * OpenAPI as NauEngineering/python_nRF_cloud_client GeocodingApi.md lists it;
 * docs/protocol-rest.md#rest-surface). The mock has no geocoder: it answers from a small fixed
 * table of places, the nearest one within 50 km of the point, as ReverseGeoResponse {lat, lon
 * (the place's), uncertainty (metres from the point asked), formatted, address {country,
 * state, countryCode (ISO 3166-1 alpha-2), postalCode, city, street, streetNumber}}
 * (ReverseGeoResponse.md, ReverseGeoAddress.md); 404 40410 when none is that close, as nRF
 * Cloud answers 404 when it cannot place the point. Schemes: service evaluation token and JSON
 * Web Tokens, not the API key (GeocodingApi.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_common.h"

#define NEAR_KM 50.0

struct place {
	double lat, lon;
	const char *street, *number, *city, *state, *country, *code, *postal;
};

/* The fixture table (docs/protocol-rest.md#rest-surface lists it). */
static const struct place places[] = {
	{ 63.4305, 10.3951, "Otto Nielsens vei", "12", "Trondheim", "Trondelag", "Norway", "NO",
	  "7052" },
	{ 59.9139, 10.7522, "Karl Johans gate", "1", "Oslo", "Oslo", "Norway", "NO", "0154" },
	{ 60.1699, 24.9384, "Mannerheimintie", "1", "Helsinki", "Uusimaa", "Finland", "FI",
	  "00100" },
	{ 45.5241, -122.6884, "NW Everett St", "1000", "Portland", "Oregon", "United States",
	  "US", "97209" },
	{ 52.5200, 13.4050, "Unter den Linden", "1", "Berlin", "Berlin", "Germany", "DE",
	  "10117" },
	{ 35.6762, 139.6503, "Chiyoda", "1", "Tokyo", "Tokyo", "Japan", "JP", "100-0001" },
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
	char formatted[256];
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
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410,
				       "no address known near %.5f,%.5f", lat, lon);
	snprintf(formatted, sizeof(formatted), "%s %s, %s %s, %s, %s", best->street, best->number,
		 best->postal, best->city, best->state, best->country);
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:f,s:f,s:I,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "lat", best->lat,
			  "lon", best->lon, "uncertainty", (json_int_t)(best_km * 1000 + 0.5),
			  "formatted", formatted, "address", "country", best->country, "state",
			  best->state, "countryCode", best->code, "postalCode", best->postal, "city",
			  best->city, "street", best->street, "streetNumber", best->number));
}
