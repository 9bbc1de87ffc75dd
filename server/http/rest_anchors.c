/* SPDX-License-Identifier: MIT
 * rest_anchors.c: /v1/location/anchors[/{macAddress}] (CreateAnchor, ListAnchors, FetchAnchor,
 * UpdateAnchor, DeleteAnchor; nRF Cloud's OpenAPI as NauEngineering/python_nRF_cloud_client
 * AnchorsApi.md, Anchor.md show them: create, update and delete answer 202 with no
 * body, fetch 200 Anchor, list a page of Anchors; MACs are standardised to colons; a name is
 * at most 32 characters, letters, digits, '_', '-' and ' ', others removed). Anchors live with
 * the location fixtures' access points (store/anchors.c), so a ground-fix request naming one
 * is answered ANCHOR with its name (docs/location.md, docs/protocol-rest.md#rest-surface).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "rest_common.h"
#include "runtime.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10
#define NAME_MAX_LEN 32

/* "aa:bb:cc:dd:ee:ff" (lower case) of 6 hex pairs split by ':' or '-'; -1 when not one. */
static int mac_norm(const char *in, char out[18])
{
	size_t i;

	if (!in || strlen(in) != 17)
		return -1;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (in[i] != ':' && in[i] != '-')
				return -1;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)in[i]))
				return -1;
			out[i] = (char)tolower((unsigned char)in[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

/* The name with what nRF Cloud removes removed, cut to 32 characters. */
static void name_clean(const char *in, char out[NAME_MAX_LEN + 1])
{
	size_t n = 0;

	for (; in && *in && n < NAME_MAX_LEN; in++)
		if (isalnum((unsigned char)*in) || *in == '_' || *in == '-' || *in == ' ')
			out[n++] = *in;
	out[n] = '\0';
}

static enum MHD_Result bad(struct ncm_req *req, const char *what)
{
	return ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200, "%s", what);
}

/* Reads lat/lon (required when create) and name into the outputs; -1 after answering. */
static int read_input(struct ncm_req *req, const json_t *in, int create, double *lat,
		      double *lon, char name[NAME_MAX_LEN + 1], enum MHD_Result *ret)
{
	const json_t *la = json_object_get(in, "lat"), *lo = json_object_get(in, "lon");
	const json_t *nm = json_object_get(in, "name");

	if ((create && (!la || !lo)) || (la && !json_is_number(la)) ||
	    (lo && !json_is_number(lo))) {
		*ret = bad(req, "lat and lon must be numbers");
		return -1;
	}
	if (la)
		*lat = json_number_value(la);
	if (lo)
		*lon = json_number_value(lo);
	if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
		*ret = bad(req, "lat must be within -90..90 and lon within -180..180");
		return -1;
	}
	if (nm && !json_is_string(nm)) {
		*ret = bad(req, "name must be a string");
		return -1;
	}
	if (nm)
		name_clean(json_string_value(nm), name);
	return 0;
}

static json_t *body_object(struct ncm_req *req, enum MHD_Result *ret)
{
	json_t *in = json_loadb(req->body, req->body_len, 0, NULL);

	if (!json_is_object(in)) {
		json_decref(in);
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "the body must be a JSON object");
		return NULL;
	}
	return in;
}

/* An anchor must have a name (an access point without one is a plain Wi-Fi fixture): the MAC
 * stands in when none is given. */
static enum MHD_Result put(struct ncm_req *req, const char *mac, double lat, double lon,
			   const char *name)
{
	struct ncm_err_info err = { 0 };

	if (ncm_store_anchor_put(ncm_rt_db(), mac, lat, lon, name[0] ? name : mac,
				 ncm_rt_now_ms(), &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

/* POST /v1/location/anchors (CreateAnchor): {macAddress, lat, lon, name?}; an existing anchor
 * of that MAC is replaced. */
enum MHD_Result ncm_rest_anchor_post(struct ncm_req *req)
{
	char mac[18], name[NAME_MAX_LEN + 1] = "";
	double lat = 0, lon = 0;
	enum MHD_Result ret;
	json_t *in = body_object(req, &ret);

	if (!in)
		return ret;
	if (mac_norm(json_string_value(json_object_get(in, "macAddress")), mac))
		ret = bad(req, "macAddress must be 6 hexadecimal pairs separated by colons or "
			       "dashes");
	else if (!read_input(req, in, 1, &lat, &lon, name, &ret))
		ret = put(req, mac, lat, lon, name);
	json_decref(in);
	return ret;
}

/* The anchor of {macAddress} in *out, or answered 404 40410 (-1). */
static int load(struct ncm_req *req, char mac[18], json_t **out, enum MHD_Result *ret)
{
	struct ncm_err_info err = { 0 };
	int rc;

	if (mac_norm(req->params[0], mac)) {
		*ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "anchor %s not found",
				       req->params[0]);
		return -1;
	}
	rc = ncm_store_anchor_get(ncm_rt_db(), mac, out, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		*ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "anchor %s not found",
				       req->params[0]);
	else if (rc)
		*ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return rc ? -1 : 0;
}

/* GET /v1/location/anchors/{macAddress} (FetchAnchor). */
enum MHD_Result ncm_rest_anchor_get(struct ncm_req *req)
{
	char mac[18];
	json_t *a = NULL;
	enum MHD_Result ret;

	if (load(req, mac, &a, &ret))
		return ret;
	return ncm_reply_json(req, MHD_HTTP_OK, a);
}

/* PATCH /v1/location/anchors/{macAddress} (UpdateAnchor): {lat?, lon?, name?}. */
enum MHD_Result ncm_rest_anchor_patch(struct ncm_req *req)
{
	char mac[18], name[NAME_MAX_LEN + 1] = "";
	json_t *a = NULL, *in;
	double lat, lon;
	enum MHD_Result ret;

	if (load(req, mac, &a, &ret))
		return ret;
	lat = json_number_value(json_object_get(a, "lat"));
	lon = json_number_value(json_object_get(a, "lon"));
	snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(a, "name")));
	json_decref(a);
	if (!(in = body_object(req, &ret)))
		return ret;
	if (!read_input(req, in, 0, &lat, &lon, name, &ret))
		ret = put(req, mac, lat, lon, name);
	json_decref(in);
	return ret;
}

/* DELETE /v1/location/anchors/{macAddress} (DeleteAnchor). */
enum MHD_Result ncm_rest_anchor_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	char mac[18];
	int rc;

	if (mac_norm(req->params[0], mac))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "anchor %s not found",
				       req->params[0]);
	rc = ncm_store_anchor_delete(ncm_rt_db(), mac, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "anchor %s not found",
				       req->params[0]);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

static int anchors_fill(const char *after, int limit, json_t *items, void *userdata,
			struct ncm_err_info *err)
{
	(void)userdata;
	return ncm_store_anchor_list(ncm_rt_db(), after, limit, items, err);
}

/* GET /v1/location/anchors (ListAnchors): pages in MAC order. */
enum MHD_Result ncm_rest_anchors_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "macAddress", anchors_fill, NULL);
}
