/* SPDX-License-Identifier: MIT
 * shadows.c: the shadows table (see shadows.h).
 */
#include "shadows.h"
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

static ncm_shadow_sync_fn sync_hook;

void ncm_store_shadow_set_sync(ncm_shadow_sync_fn fn)
{
	sync_hook = fn;
}

int ncm_store_shadow_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	return sync_hook ? sync_hook(db, err) : NCM_OK;
}

/* A deleted shadow stays as a row holding only its last version (see shadows.h). */
static int is_tombstone(const json_t *doc)
{
	return json_is_true(json_object_get(doc, "deleted"));
}

int ncm_store_shadow_get(struct ncm_db *db, const char *device_id, json_t **doc,
			 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	int rc;

	*doc = NULL;
	/* a reader that cannot write what is queued still reads what is stored */
	ncm_store_shadow_sync(db, NULL);
	if (ncm_db_prepare(db, "SELECT doc FROM shadows WHERE device_id = ?", &st) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading shadow");
		goto out;
	}
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no shadow for device '%s'", device_id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = ncm_db_fail(db, err, "reading shadow");
		goto out;
	}
	*doc = json_loadb((const char *)sqlite3_column_text(st, 0),
			  (size_t)sqlite3_column_bytes(st, 0), 0, &jerr);
	rc = *doc ? NCM_OK
		  : ncm_err_set(err, NCM_ERR_IO, "stored shadow of '%s' is not JSON: %s",
				device_id, jerr.text);
	if (*doc && is_tombstone(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "shadow of '%s' was deleted", device_id);
	}
out:
	if (st)
		ncm_db_finish(db, st);
	return rc;
}

int ncm_store_shadow_text(struct ncm_db *db, const char *device_id, char **text, size_t *len)
{
	sqlite3_stmt *st = NULL;
	const void *p;
	int rc;

	*text = NULL;
	*len = 0;
	ncm_store_shadow_sync(db, NULL);
	if (ncm_db_prepare(db, "SELECT doc FROM shadows WHERE device_id = ?", &st) != SQLITE_OK)
		return NCM_ERR_IO;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*text = malloc(*len + 1);
		if (*text) {
			if (*len)
				memcpy(*text, p, *len);
			(*text)[*len] = '\0';
		}
		rc = *text ? NCM_OK : NCM_ERR_NOMEM;
	} else {
		rc = rc == SQLITE_DONE ? NCM_ERR_NOT_FOUND : NCM_ERR_IO;
	}
	ncm_db_finish(db, st);
	return rc;
}

int ncm_store_shadow_put(struct ncm_db *db, const char *device_id, const json_t *doc,
			 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	char *text = ncm_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = NCM_OK;

	if (!text)
		return ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory");
	if (ncm_db_prepare(db,
			   "INSERT OR REPLACE INTO shadows (device_id, doc, version)"
			   " VALUES (?, ?, ?)", &st) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "writing shadow");
		goto out;
	}
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(doc, "version")));
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing shadow");
out:
	ncm_db_finish(db, st);
	free(text);
	return rc;
}

int ncm_store_shadow_delete(struct ncm_db *db, const char *device_id, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	/* AWS: "Deleting a shadow does not reset its version number to 0": the row stays as a
	 * tombstone that keeps the version (docs/compatibility.md#shadow-version-across-delete) */
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "UPDATE shadows SET doc = json_object('deleted', json('true'),"
			       " 'version', version) WHERE device_id = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting shadow");
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "deleting shadow");
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_shadow_version(struct ncm_db *db, const char *device_id, long long *version,
			     struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*version = 0;
	ncm_store_shadow_sync(db, NULL);
	if (ncm_db_prepare(db, "SELECT version FROM shadows WHERE device_id = ?", &st) !=
	    SQLITE_OK)
		return ncm_db_fail(db, err, "reading shadow version");
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no shadow for device '%s'", device_id);
	} else {
		rc = ncm_db_fail(db, err, "reading shadow version");
	}
	ncm_db_finish(db, st);
	return rc;
}
