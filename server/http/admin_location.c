/* SPDX-License-Identifier: MIT
 * admin_location.c: /mock/v1/location (issue: location services): what the location services
 * answer from, changed at run time. GET shows the cells, access points and anchors and the
 * request counters; PUT .../cells and PUT .../wifi add entries or replace those with the same
 * key (cell: mcc, mnc, tac, eci; access point: MAC; an entry with a "name" is an anchor);
 * DELETE .../cells and .../wifi remove them all. A reset goes back to fixtures/location/.
 */
#include <string.h>

#include "admin.h"
#include "location_svc.h"
#include "locations.h"
#include "runtime.h"

enum MHD_Result ncm_admin_location_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *doc = NULL;

	NCM_REQUIRE_ADMIN(req);
	if (ncm_store_loc_export(ncm_rt_db(), &doc, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	json_object_set_new(doc, "stats", ncm_loc_svc_stats());
	return ncm_reply_json(req, MHD_HTTP_OK, doc);
}

/* The load document of a PUT body: for cells, an array or {"cells":[...]}; for wifi, an array
 * (entries with "name" are anchors) or {"wifi":[...],"anchors":[...]}. New reference or NULL. */
static json_t *load_doc(json_t *body, int cells)
{
	json_t *wifi, *anchors, *e;
	size_t i;

	if (!json_is_array(body))
		return json_incref(body);
	if (cells)
		return json_pack("{s:O}", "cells", body);
	wifi = json_array();
	anchors = json_array();
	json_array_foreach(body, i, e)
		json_array_append(json_object_get(e, "name") ? anchors : wifi, e);
	return json_pack("{s:o,s:o}", "wifi", wifi, "anchors", anchors);
}

static enum MHD_Result put(struct ncm_req *req, int cells)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = ncm_rt_db();
	json_error_t jerr;
	json_t *body, *doc;
	const char *key;
	json_t *v;
	int loaded = 0, rc;

	NCM_REQUIRE_ADMIN(req);
	body = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!body)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "body is not JSON: %s",
				       jerr.text);
	doc = load_doc(body, cells);
	json_decref(body);
	json_object_foreach(doc, key, v) {
		if (cells != !strcmp(key, "cells")) {
			json_decref(doc);
			return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s takes %s",
					       req->url, cells ? "\"cells\"" : "\"wifi\" and "
					       "\"anchors\"");
		}
	}
	/* all or nothing */
	rc = ncm_db_begin(db, &err);
	if (!rc)
		rc = ncm_store_loc_load(db, doc, 1, "body", &loaded, &err);
	if (!rc)
		rc = ncm_db_commit(db, &err);
	if (rc)
		ncm_db_rollback(db);
	json_decref(doc);
	if (rc)
		return ncm_reply_error(req, rc == NCM_ERR_INVAL ? MHD_HTTP_BAD_REQUEST
							 : MHD_HTTP_INTERNAL_SERVER_ERROR,
				       rc == NCM_ERR_INVAL ? 40000 : 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:i}", "loaded", loaded));
}

enum MHD_Result ncm_admin_location_cells_put(struct ncm_req *req)
{
	return put(req, 1);
}

enum MHD_Result ncm_admin_location_wifi_put(struct ncm_req *req)
{
	return put(req, 0);
}

enum MHD_Result ncm_admin_location_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	const char *what = strstr(req->url, "/cells") ? "cells" : "wifi";

	NCM_REQUIRE_ADMIN(req);
	if (ncm_store_loc_clear(ncm_rt_db(), what, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "cleared", 1));
}
