/* SPDX-License-Identifier: MIT
 * rest_contribute.c: /v1/location/contribute[/{id}] (ContributeLocationData,
 * GetContributions, DeleteContribution; nRF Cloud's OpenAPI as NauEngineering/
 * python_nRF_cloud_client ContributeApi.md lists them; docs/protocol-rest.md#rest-surface):
 * location data a team gives back to the location service. The mock keeps each JSON object
 * as sent, answers its id, lists them newest first in pages, and deletes them (202; 404 40410
 * for an unknown id). nRF Cloud uses them in the team's later location answers; the mock does
 * not. Schemes: service evaluation token and JSON Web Tokens, not the API key; 200 {"id"} on
 * create, 202 on delete, pageSort (ContributeApi.md, ContributeLocationData200Response.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "rest_common.h"
#include "runtime.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10

enum MHD_Result ncm_rest_contribution_post(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_record r = { 0 };
	json_t *in = json_loadb(req->body, req->body_len, 0, NULL);
	char id[37], *text;
	int rc;

	if (!json_is_object(in) || !json_object_size(in)) {
		json_decref(in);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "the body must be a non-empty JSON object");
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

static int append(const struct ncm_record *r, void *userdata)
{
	json_t *data = json_loads(r->body, 0, NULL);
	char when[40];

	ncm_rt_iso8601(r->created_ms, when, sizeof(when));
	json_array_append_new(userdata, json_pack("{s:s,s:s,s:o}", "id", r->id, "createdAt", when,
						  "data", data ? data : json_object()));
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
