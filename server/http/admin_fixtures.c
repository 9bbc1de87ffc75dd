/* SPDX-License-Identifier: MIT
 * admin_fixtures.c: /mock/v1/fixtures (docs/admin-api.md, issue: test control). GET exports the
 * stored world as one fixtures document (store/fixtures.h: devices with certificates and
 * shadows, firmware bundles with their images in base64); PUT replaces the world with one, as
 * a reset that loads the document instead of the fixtures folder: everything but the lab CA
 * and the team goes, faults are cleared, every client is disconnected before the answer. A
 * document that does not load leaves the world as it was.
 */
#include <stdio.h>

#include "admin.h"
#include "faults.h"
#include "fixtures.h"
#include "log.h"
#include "publish.h"
#include "reset.h"
#include "runtime.h"

enum MHD_Result ncm_admin_fixtures_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *doc;

	NCM_REQUIRE_ADMIN(req);
	if (ncm_fixtures_export(ncm_rt_db(), ncm_rt()->cfg.data_dir, &doc, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, doc);
}

static enum MHD_Result loaded(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_OK, json_incref(req->result));
}

enum MHD_Result ncm_admin_fixtures_put(struct ncm_req *req)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_journal_rec rec = { 0 };
	struct ncm_outbox none = { 0 };
	struct ncm_err_info err = { 0 };
	json_error_t jerr;
	json_t *doc;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "fixtures document is not JSON: %s (line %d, column %d)",
				       jerr.text, jerr.line, jerr.column);
	rc = ncm_db_begin(ncm_rt_db(), &err);
	if (!rc)
		rc = ncm_store_reset(ncm_rt_db(), 0, &err);
	if (!rc)
		rc = ncm_fixtures_load_doc(ncm_rt_db(), doc, &rt->ca, rt->cfg.data_dir,
					   (time_t)(ncm_rt_now_ms() / 1000), &err);
	if (!rc)
		rc = ncm_db_commit(ncm_rt_db(), &err);
	if (rc) {
		ncm_db_rollback(ncm_rt_db());
		ncm_admin_remove_stale_bundles();
		ncm_log(NCM_LOG_NOTICE, "admin: fixtures document refused: %s", err.msg);
		json_decref(doc);
		return ncm_reply_error(req, rc == NCM_ERR_INVAL || rc == NCM_ERR_CONFLICT
						    ? MHD_HTTP_BAD_REQUEST
						    : MHD_HTTP_INTERNAL_SERVER_ERROR,
				       rc == NCM_ERR_INVAL || rc == NCM_ERR_CONFLICT ? 40000 : 50010,
				       "%s", err.msg);
	}
	ncm_faults_clear();
	ncm_admin_remove_stale_bundles();
	rec.kind = "mock.reset";
	rec.reason = "fixtures document loaded";
	ncm_rt_journal(&rec);
	req->result = json_pack("{s:b,s:I,s:I}", "loaded", 1, "devices",
				(json_int_t)json_array_size(json_object_get(doc, "devices")),
				"firmware",
				(json_int_t)json_array_size(json_object_get(doc, "firmware")));
	json_decref(doc);
	return ncm_http_publish_then(req, &none, NULL, NCM_KICK_ALL, "fixtures loaded", loaded);
}
