/* SPDX-License-Identifier: MIT
 * bulkops.c: the bulk_ops table (see bulkops.h).
 */
#include "bulkops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ncm_bulk_op_release(struct ncm_bulk_op *op)
{
	free(op->errors_json);
	memset(op, 0, sizeof(*op));
}

int ncm_store_bulk_op_put(struct ncm_db *db, const struct ncm_bulk_op *op, const void *uploaded,
			  size_t len, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "INSERT OR REPLACE INTO bulk_ops (id, endpoint, status, requested_ms,"
			       " completed_ms, uploaded, errors) VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing bulk operation");
	sqlite3_bind_text(st, 1, op->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, op->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, op->requested_ms);
	sqlite3_bind_int64(st, 5, op->completed_ms);
	sqlite3_bind_blob64(st, 6, uploaded ? uploaded : "", len, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, op->errors_json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing bulk operation");
	sqlite3_finalize(st);
	return rc;
}

static void from_row(sqlite3_stmt *st, struct ncm_bulk_op *op)
{
	const char *e;

	memset(op, 0, sizeof(*op));
	snprintf(op->id, sizeof(op->id), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(op->endpoint, sizeof(op->endpoint), "%s",
		 (const char *)sqlite3_column_text(st, 1));
	snprintf(op->status, sizeof(op->status), "%s", (const char *)sqlite3_column_text(st, 2));
	op->requested_ms = sqlite3_column_int64(st, 3);
	op->completed_ms = sqlite3_column_int64(st, 4);
	e = (const char *)sqlite3_column_text(st, 5);
	op->errors_json = e ? strdup(e) : NULL;
}

int ncm_store_bulk_op_get(struct ncm_db *db, const char *id, struct ncm_bulk_op *out,
			  struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT id, endpoint, status, requested_ms, completed_ms, errors"
			       " FROM bulk_ops WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading bulk operation");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		from_row(st, out);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no bulk operation '%s'", id);
	} else {
		rc = ncm_db_fail(db, err, "reading bulk operation");
	}
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_bulk_op_foreach(struct ncm_db *db, const char *after_id, int limit,
			      ncm_bulk_op_cb cb, void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_bulk_op op;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT id, endpoint, status, requested_ms, completed_ms, errors"
			       " FROM bulk_ops WHERE id > ? ORDER BY id LIMIT ?", -1, &st,
			       NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "listing bulk operations");
	sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		from_row(st, &op);
		rc = cb(&op, userdata);
		ncm_bulk_op_release(&op);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "listing bulk operations");
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_bulk_op_uploaded(struct ncm_db *db, const char *id, char **data, size_t *len,
			       struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	const void *blob;
	int rc;

	*data = NULL;
	*len = 0;
	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT uploaded FROM bulk_ops WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading bulk operation");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		blob = sqlite3_column_blob(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*data = malloc(*len + 1);
		if (*data) {
			memcpy(*data, blob ? blob : "", *len);
			(*data)[*len] = '\0';
			rc = NCM_OK;
		} else {
			rc = ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory");
		}
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no bulk operation '%s'", id);
	} else {
		rc = ncm_db_fail(db, err, "reading bulk operation");
	}
	sqlite3_finalize(st);
	return rc;
}
