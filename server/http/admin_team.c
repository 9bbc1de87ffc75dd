/* SPDX-License-Identifier: MIT
 * admin_team.c: GET /mock/v1/team: the team a client needs to talk to this instance, the same
 * facts `serve` prints at start (API key, tenant ID, topic prefix). A container's start lines are
 * only in its log, so a CI job beside it reads them here instead (docs/docker.md#ci).
 */
#include "admin.h"
#include "runtime.h"
#include "team.h"

enum MHD_Result ncm_admin_team_get(struct ncm_req *req)
{
	struct ncm_err_info err;
	struct ncm_team team;
	char prefix[256];

	NCM_REQUIRE_ADMIN(req);
	/* read from the store, not from the start-time copy, so the answer follows a reset */
	if (ncm_store_team_get(ncm_rt_db(), &team, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	if (ncm_team_prefix(&team, prefix, sizeof(prefix)))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "team: topic prefix too long");
	return ncm_reply_json(req, MHD_HTTP_OK,
			      json_pack("{s:s,s:s,s:s,s:s,s:s}", "tenantId", team.tenant_id, "name",
					team.name, "stage", team.stage, "apiKey", team.api_key,
					"topicPrefix", prefix));
}
