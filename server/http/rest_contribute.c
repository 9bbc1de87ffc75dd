/* SPDX-License-Identifier: MIT
 * rest_contribute.c: /v1/location/contribute[/{id}] (ContributeLocationData,
 * GetContributions, DeleteContribution; nRF Cloud's OpenAPI as NauEngineering/
 * python_nRF_cloud_client ContributeApi.md lists them; docs/protocol-rest.md#rest-surface):
 * location data a team gives back to the location service. The body is a LocationContribution
 * {"device"?:{"manufacturer","firmwareVersion","modemVersion","id"},"contributions":[{"cell"?:
 * [..],"wifi"?:[..]}],"position":{"lat","lon","uncertainty"}} (LocationContribution.md,
 * ObservingDevice.md, Contribution.md, PositionResponse.md); the answer 200 {"id"} (a UUID,
 * ContributeLocationData200Response.md); the list a page of ContributionItem {"id",
 * "contributions","device","position","createdAt"} (ContributionItem.md), newest first unless
 * pageSort=asc; delete 202 (404 40410 for an unknown id). The mock keeps them as sent; nRF
 * Cloud uses them in the team's later location answers, the mock does not. Schemes: service
 * evaluation token and JSON Web Tokens, not the API key (ContributeApi.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "rest_common.h"
#include "runtime.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10

/* Why body is no LocationContribution, or NULL when it is one: "contributions" a non-empty
 * array of objects with a "cell" and/or "wifi" array, "position" {"lat","lon" numbers in range,
 * "uncertainty" an integer}, "device" an object when given. */
static const char *contribution_invalid(const json_t *body)
{
	const json_t *list = json_object_get(body, "contributions"), *c, *pos, *v;
	size_t i;

	if (!json_is_object(body))
		return "the body must be a JSON object (LocationContribution)";
	if (!json_is_array(list) || !json_array_size(list))
		return "contributions must be a non-empty array";
	json_array_foreach(list, i, c) {
		const json_t *cell = json_object_get(c, "cell"), *wifi = json_object_get(c, "wifi");

		if (!json_is_object(c) || (!cell && !wifi) || (cell && !json_is_array(cell)) ||
		    (wifi && !json_is_array(wifi)))
			return "each contribution must be {\"cell\": [..]} and/or {\"wifi\": [..]}";
	}
	pos = json_object_get(body, "position");
	v = json_object_get(pos, "lat");
	if (!json_is_object(pos) || !json_is_number(v) || fabs(json_number_value(v)) > 90)
		return "position must be {\"lat\", \"lon\", \"uncertainty\"} with lat -90..90";
	v = json_object_get(pos, "lon");
	if (!json_is_number(v) || fabs(json_number_value(v)) > 180)
		return "position.lon must be a number -180..180";
	v = json_object_get(pos, "uncertainty");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return "position.uncertainty must be a whole number of metres";
	v = json_object_get(body, "device");
	if (v && !json_is_object(v))
		return "device must be an object (ObservingDevice)";
	return NULL;
}

enum MHD_Result ncm_rest_contribution_post(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_record r = { 0 };
	json_t *in = json_loadb(req->body, req->body_len, 0, NULL);
	const char *why = contribution_invalid(in);
	char id[37], *text;
	int rc;

	if (why) {
		enum MHD_Result ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", why);

		json_decref(in);
		return ret;
	}
	/* time-ordered ids, so the id order is the order they came in (as alerts' are) */
	ncm_store_record_uuid(id);
	{
		char head[14];
		int64_t now = ncm_rt_now_ms();

		snprintf(head, sizeof(head), "%08llx-%04llx",
			 ((unsigned long long)now >> 16) & 0xffffffffULL,
			 (unsigned long long)now & 0xffffULL);
		memcpy(id, head, 13);
	}
	text = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	r.kind = NCM_REC_CONTRIBUTION;
	r.id = id;
	r.created_ms = ncm_rt_now_ms();
	r.body = text;
	rc = text ? ncm_store_record_put(ncm_rt_db(), &r, &err) : -1;
	free(text);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "id", id));
}

/* One ContributionItem: the stored contribution's contributions, device ({} when it named
 * none; the item requires one) and position, with its id and time. */
static int append(const struct ncm_record *r, void *userdata)
{
	json_t *data = json_loads(r->body, 0, NULL), *dev;
	char when[40];

	ncm_rt_iso8601(r->created_ms, when, sizeof(when));
	dev = json_object_get(data, "device");
	json_array_append_new(
		userdata,
		json_pack("{s:s,s:O?,s:o,s:O?,s:s}", "id", r->id, "contributions",
			  json_object_get(data, "contributions"), "device",
			  json_is_object(dev) ? json_incref(dev) : json_object(), "position",
			  json_object_get(data, "position"), "createdAt", when));
	json_decref(data);
	return 0;
}

static int contributions_fill(const char *after, int limit, json_t *items, void *userdata,
			      struct ncm_err_info *err)
{
	struct ncm_record_filter f = { 0 };

	f.kind = NCM_REC_CONTRIBUTION;
	f.after = after;
	f.desc = *(const int *)userdata;
	f.limit = limit;
	return ncm_store_record_list(ncm_rt_db(), &f, append, items, err);
}

/* GET /v1/location/contribute: newest first unless ?pageSort=asc. */
enum MHD_Result ncm_rest_contributions_get(struct ncm_req *req)
{
	const char *sort = ncm_req_query(req, "pageSort");
	int desc = !sort || !strcmp(sort, "desc");

	if (sort && strcmp(sort, "asc") && strcmp(sort, "desc"))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "pageSort must be asc or desc");
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", contributions_fill, &desc);
}

enum MHD_Result ncm_rest_contribution_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	int rc = ncm_store_record_delete(ncm_rt_db(), NCM_REC_CONTRIBUTION, req->params[0], &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "contribution %s not found",
				       req->params[0]);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}
