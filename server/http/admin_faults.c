/* SPDX-License-Identifier: MIT
 * admin_faults.c: /mock/v1/faults (docs/admin-api.md, issue: test control): POST adds a fault
 * (runtime/faults.h describes the body), GET lists the live ones, DELETE clears them all. A
 * "kick" fault acts at once: the answer comes after the device was disconnected.
 */
#include <string.h>

#include "admin.h"
#include "faults.h"
#include "publish.h"

static enum MHD_Result kicked(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_CREATED, json_incref(req->result));
}

enum MHD_Result ncm_admin_faults_post(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_fault_hit hit;
	struct ncm_outbox none = { 0 };
	enum ncm_fault_action action;
	json_t *spec, *created = NULL;
	const char *device;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	spec = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(spec)) {
		json_decref(spec);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be a JSON object such as {\"match\":{\"device\":"
				       "\"...\"},\"action\":\"refuse_connect\",\"count\":1}");
	}
	rc = ncm_faults_add(spec, &action, &created, &err);
	json_decref(spec);
	if (rc)
		return ncm_reply_error(req, rc == NCM_ERR_INVAL ? MHD_HTTP_BAD_REQUEST
						  : MHD_HTTP_CONTENT_TOO_LARGE, 40000, "%s", err.msg);
	if (action != NCM_FAULT_KICK)
		return ncm_reply_json(req, MHD_HTTP_CREATED, created);
	device = json_string_value(json_object_get(json_object_get(created, "match"), "device"));
	req->result = created;
	if (!ncm_faults_fire(NCM_FAULT_KICK, device, NULL, NULL, &hit))
		return kicked(req); /* a concurrent DELETE cleared it */
	return ncm_http_publish_then(req, &none, NULL, device, "fault injected: kick", kicked);
}

enum MHD_Result ncm_admin_faults_get(struct ncm_req *req)
{
	NCM_REQUIRE_ADMIN(req);
	return ncm_reply_json(req, MHD_HTTP_OK, ncm_faults_list());
}

enum MHD_Result ncm_admin_faults_delete(struct ncm_req *req)
{
	NCM_REQUIRE_ADMIN(req);
	ncm_faults_clear();
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "cleared", 1));
}
