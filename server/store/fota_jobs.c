/* SPDX-License-Identifier: MIT
 * fota_jobs.c: the fota_jobs and fota_executions tables (see fota_jobs.h).
 */
#include "fota_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_COLS                                                                              \
	"job_id, bundle_id, name, description, status, target, auto_apply, skipped, created_ms," \
	" updated_ms, completed_ms"
#define EXEC_COLS "job_id, device_id, status, status_detail, progress, created_ms, updated_ms"

static char *dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static void text_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? s : "");
}

void ncm_job_release(struct ncm_job *j)
{
	free(j->name);
	free(j->description);
	free(j->target_json);
	memset(j, 0, sizeof(*j));
}

void ncm_execution_release(struct ncm_execution *e)
{
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

static void job_from_row(sqlite3_stmt *st, struct ncm_job *j)
{
	memset(j, 0, sizeof(*j));
	text_col(st, 0, j->job_id, sizeof(j->job_id));
	text_col(st, 1, j->bundle_id, sizeof(j->bundle_id));
	j->name = dup_col(st, 2);
	j->description = dup_col(st, 3);
	text_col(st, 4, j->status, sizeof(j->status));
	j->target_json = dup_col(st, 5);
	j->auto_apply = sqlite3_column_int(st, 6);
	j->skipped = sqlite3_column_int(st, 7);
	j->created_ms = sqlite3_column_int64(st, 8);
	j->updated_ms = sqlite3_column_int64(st, 9);
	j->completed_ms = sqlite3_column_int64(st, 10);
}

static void exec_from_row(sqlite3_stmt *st, struct ncm_execution *e)
{
	memset(e, 0, sizeof(*e));
	text_col(st, 0, e->job_id, sizeof(e->job_id));
	text_col(st, 1, e->device_id, sizeof(e->device_id));
	text_col(st, 2, e->status, sizeof(e->status));
	e->detail = dup_col(st, 3);
	e->progress = sqlite3_column_int(st, 4);
	e->created_ms = sqlite3_column_int64(st, 5);
	e->updated_ms = sqlite3_column_int64(st, 6);
}

int ncm_store_job_put(struct ncm_db *db, const struct ncm_job *j, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "INSERT OR REPLACE INTO fota_jobs (" JOB_COLS ")"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing job");
	sqlite3_bind_text(st, 1, j->job_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->target_json ? j->target_json : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, j->auto_apply);
	sqlite3_bind_int(st, 8, j->skipped);
	sqlite3_bind_int64(st, 9, j->created_ms);
	sqlite3_bind_int64(st, 10, j->updated_ms);
	sqlite3_bind_int64(st, 11, j->completed_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing job");
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_job_get(struct ncm_db *db, const char *id, struct ncm_job *out,
		      struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT " JOB_COLS " FROM fota_jobs WHERE job_id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading job");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		job_from_row(st, out);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no FOTA job '%s'", id);
	} else {
		rc = ncm_db_fail(db, err, "reading job");
	}
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_job_delete(struct ncm_db *db, const char *id, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "DELETE FROM fota_jobs WHERE job_id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting job");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "deleting job");
	else if (sqlite3_changes(ncm_db_handle(db)) == 0)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no FOTA job '%s'", id);
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_job_foreach(struct ncm_db *db, const char *after_id, int limit, ncm_job_cb cb,
			  void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_job j;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT " JOB_COLS " FROM fota_jobs WHERE ?1 = '' OR"
			       " (created_ms, job_id) > (SELECT created_ms, job_id FROM fota_jobs"
			       " WHERE job_id = ?1) ORDER BY created_ms, job_id LIMIT ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "listing jobs");
	sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job_from_row(st, &j);
		rc = cb(&j, userdata);
		ncm_job_release(&j);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "listing jobs");
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_exec_put(struct ncm_db *db, const struct ncm_execution *e,
		       struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "INSERT OR REPLACE INTO fota_executions (" EXEC_COLS ")"
			       " VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing execution");
	sqlite3_bind_text(st, 1, e->job_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, e->progress);
	sqlite3_bind_int64(st, 6, e->created_ms);
	sqlite3_bind_int64(st, 7, e->updated_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing execution");
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_exec_get(struct ncm_db *db, const char *job_id, const char *device_id,
		       struct ncm_execution *out, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT " EXEC_COLS " FROM fota_executions"
			       " WHERE job_id = ? AND device_id = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading execution");
	sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exec_from_row(st, out);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "device %s has no execution of job %s",
				 device_id, job_id);
	} else {
		rc = ncm_db_fail(db, err, "reading execution");
	}
	sqlite3_finalize(st);
	return rc;
}

static int exec_query(struct ncm_db *db, const char *sql, const char *a, const char *b, int limit,
		      ncm_exec_cb cb, void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_execution e;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading executions");
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : 1000);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		exec_from_row(st, &e);
		rc = cb(&e, userdata);
		ncm_execution_release(&e);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "reading executions");
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_exec_foreach(struct ncm_db *db, const char *job_id, const char *device_id,
			   int limit, ncm_exec_cb cb, void *userdata, struct ncm_err_info *err)
{
	return exec_query(db,
			  "SELECT " EXEC_COLS " FROM fota_executions"
			  " WHERE (?1 IS NULL OR job_id = ?1) AND (?2 IS NULL OR device_id = ?2)"
			  " ORDER BY created_ms, job_id LIMIT ?3",
			  job_id, device_id, limit, cb, userdata, err);
}

static int first_cb(const struct ncm_execution *e, void *userdata)
{
	struct ncm_execution *out = userdata;

	*out = *e;
	out->detail = e->detail ? strdup(e->detail) : NULL;
	return 1;
}

int ncm_store_exec_current(struct ncm_db *db, const char *device_id, const char *fw_type,
			   struct ncm_execution *out, struct ncm_err_info *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = exec_query(db,
			"SELECT e.job_id, e.device_id, e.status, e.status_detail, e.progress,"
			" e.created_ms, e.updated_ms FROM fota_executions e"
			" JOIN fota_jobs j ON j.job_id = e.job_id"
			" LEFT JOIN firmware f ON f.bundle_id = j.bundle_id"
			" WHERE e.device_id = ?1 AND (?2 IS NULL OR f.type = ?2)"
			" AND j.status = 'IN_PROGRESS'"
			" AND e.status IN ('QUEUED', 'IN_PROGRESS', 'DOWNLOADING')"
			" ORDER BY e.created_ms, e.job_id LIMIT ?3",
			device_id, fw_type, 1, first_cb, out, err);
	if (rc == 1)
		return NCM_OK;
	if (rc == NCM_OK)
		return ncm_err_set(err, NCM_ERR_NOT_FOUND, "no pending FOTA job for device %s",
				   device_id);
	return rc;
}
