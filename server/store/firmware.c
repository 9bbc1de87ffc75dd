/* SPDX-License-Identifier: MIT
 * firmware.c: the firmware table (see firmware.h).
 */
#include "firmware.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLS "bundle_id, type, version, name, description, files, size, created_ms"

void ncm_bundle_release(struct ncm_bundle *b)
{
	free(b->name);
	free(b->description);
	free(b->files_json);
	memset(b, 0, sizeof(*b));
}

static void from_row(sqlite3_stmt *st, struct ncm_bundle *b)
{
	const char *s;

	memset(b, 0, sizeof(*b));
	snprintf(b->bundle_id, sizeof(b->bundle_id), "%s", sqlite3_column_text(st, 0));
	snprintf(b->type, sizeof(b->type), "%s", sqlite3_column_text(st, 1));
	snprintf(b->version, sizeof(b->version), "%s", sqlite3_column_text(st, 2));
	s = (const char *)sqlite3_column_text(st, 3);
	b->name = s ? strdup(s) : NULL;
	s = (const char *)sqlite3_column_text(st, 4);
	b->description = s ? strdup(s) : NULL;
	b->files_json = strdup((const char *)sqlite3_column_text(st, 5));
	b->size = sqlite3_column_int64(st, 6);
	b->created_ms = sqlite3_column_int64(st, 7);
}

int ncm_store_bundle_put(struct ncm_db *db, const struct ncm_bundle *b, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "INSERT INTO firmware (" COLS ")"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing bundle");
	sqlite3_bind_text(st, 1, b->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, b->files_json ? b->files_json : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, b->size);
	sqlite3_bind_int64(st, 8, b->created_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing bundle");
	sqlite3_finalize(st);
	ncm_db_touch(db, NCM_DB_EPOCH_FIRMWARE);
	return rc;
}

int ncm_store_bundle_get(struct ncm_db *db, const char *id, struct ncm_bundle *out,
			 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ncm_db_prepare(db, "SELECT " COLS " FROM firmware WHERE bundle_id = ?", &st) !=
	    SQLITE_OK)
		return ncm_db_fail(db, err, "reading bundle");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		from_row(st, out);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no firmware bundle '%s'", id);
	} else {
		rc = ncm_db_fail(db, err, "reading bundle");
	}
	ncm_db_finish(db, st);
	return rc;
}

int ncm_store_bundle_delete(struct ncm_db *db, const char *id, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "DELETE FROM firmware WHERE bundle_id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting bundle");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "deleting bundle");
	else if (sqlite3_changes(ncm_db_handle(db)) == 0)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no firmware bundle '%s'", id);
	sqlite3_finalize(st);
	ncm_db_touch(db, NCM_DB_EPOCH_FIRMWARE);
	return rc;
}

int ncm_store_bundle_foreach(struct ncm_db *db, const char *after_id, int modem_only, int limit,
			     ncm_bundle_cb cb, void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_bundle b;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT " COLS " FROM firmware WHERE bundle_id > ?1"
			       " AND (?2 = 0 OR type IN ('MODEM', 'MDM_FULL'))"
			       " ORDER BY bundle_id LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "listing bundles");
	sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, modem_only);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		from_row(st, &b);
		rc = cb(&b, userdata);
		ncm_bundle_release(&b);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "listing bundles");
out:
	sqlite3_finalize(st);
	return rc;
}
