/* SPDX-License-Identifier: MIT
 * admin_reset.c: POST /mock/v1/reset[?keep=devices] (docs/admin-api.md, issue: test control): back to
 * the fixtures between tests. Shadows, messages, the journal, bulk operations, firmware bundles
 * and FOTA jobs go (and the devices, unless kept), and so do injected faults; the fixtures load
 * again; every client is disconnected before the answer. The lab CA and the team (tenant, API
 * keys, tokens) survive.
 */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "faults.h"
#include "file.h"
#include "firmware.h"
#include "fixtures.h"
#include "location_svc.h"
#include "log.h"
#include "publish.h"
#include "reset.h"
#include "runtime.h"
#include "usage.h"
#include "journal_tap.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void ncm_admin_remove_stale_bundles(void)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_bundle b;
	struct dirent *e;
	char path[PATH_MAX], dir[PATH_MAX];
	DIR *dh;

	if (ncm_path(dir, sizeof(dir), "%s/firmware/%s", rt->cfg.data_dir, rt->team.tenant_id))
		return;
	dh = opendir(dir);
	if (!dh)
		return;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		if (ncm_store_bundle_get(ncm_rt_db(), e->d_name, &b, NULL) == NCM_OK) {
			ncm_bundle_release(&b);
			continue;
		}
		if (!ncm_path(path, sizeof(path), "%s/%s", dir, e->d_name))
			nftw(path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
	closedir(dh);
}

static enum MHD_Result reset_done(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_OK, json_incref(req->result));
}

enum MHD_Result ncm_admin_reset_post(struct ncm_req *req)
{
	const struct ncm_runtime *rt = ncm_rt();
	const char *keep = ncm_req_query(req, "keep");
	struct ncm_journal_rec rec = { 0 };
	struct ncm_outbox none = { 0 };
	struct ncm_err_info err = { 0 };
	int64_t t0 = ncm_rt_now_ms();
	int keep_devices = keep && !strcmp(keep, "devices");

	NCM_REQUIRE_ADMIN(req);
	if (keep && !keep_devices)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "keep may only be \"devices\"");
	/* one transaction (one sync to disk) for emptying and reloading */
	if (ncm_db_begin(ncm_rt_db(), &err) ||
	    ncm_store_reset(ncm_rt_db(), keep_devices, &err) ||
	    ncm_fixtures_load(ncm_rt_db(), rt->cfg.fixtures_dir[0] ? rt->cfg.fixtures_dir : NULL,
			      &rt->ca, rt->cfg.data_dir, (time_t)(t0 / 1000), &err) ||
	    ncm_db_commit(ncm_rt_db(), &err)) {
		ncm_db_rollback(ncm_rt_db());
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "reset: %s",
				       err.msg);
	}
	ncm_faults_clear();
	ncm_loc_svc_reset();
	ncm_usage_clear();
	ncm_journal_tap_clear();
	/* images of bundles the reset removed: fixture bundles are copied again as needed */
	ncm_admin_remove_stale_bundles();
	rec.kind = "mock.reset";
	rec.reason = keep_devices ? "devices kept" : "everything";
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_NOTICE, "admin: reset (%s) in %lld ms", rec.reason,
		(long long)(ncm_rt_now_ms() - t0));
	req->result = json_pack("{s:b,s:b,s:I}", "reset", 1, "keptDevices", keep_devices, "ms",
				(json_int_t)(ncm_rt_now_ms() - t0));
	return ncm_http_publish_then(req, &none, NULL, NCM_KICK_ALL, "mock reset", reset_done);
}
