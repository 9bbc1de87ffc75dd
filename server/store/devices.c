/* SPDX-License-Identifier: MIT
 * devices.c: device rows and certificate revocation (see devices.h).
 */
#include "devices.h"
#include "shadows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_COLS                                                                        \
	"id, cert_pem, fingerprint, pubkey_pem, name, tags, sub_type, onboarded_by,"        \
	" created_ms, last_connect_ms, last_disconnect_ms, fw_types, updated_ms"

void ncm_device_release(struct ncm_device *d)
{
	free(d->cert_pem);
	free(d->pubkey_pem);
	free(d->name);
	free(d->tags_json);
	free(d->sub_type);
	free(d->fw_types_json);
	memset(d, 0, sizeof(*d));
}

static char *col_dup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static void col_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? s : "");
}

/* Reads one row of DEVICE_COLS into d; NCM_ERR_NOMEM when a copy fails. */
static int device_from_row(sqlite3_stmt *st, struct ncm_device *d)
{
	memset(d, 0, sizeof(*d));
	col_copy(st, 0, d->id, sizeof(d->id));
	d->cert_pem = col_dup(st, 1);
	col_copy(st, 2, d->fingerprint, sizeof(d->fingerprint));
	d->pubkey_pem = col_dup(st, 3);
	d->name = col_dup(st, 4);
	if (!d->name)
		d->name = strdup(d->id);
	d->tags_json = col_dup(st, 5);
	if (!d->tags_json)
		d->tags_json = strdup("[]");
	d->sub_type = col_dup(st, 6);
	col_copy(st, 7, d->onboarded_by, sizeof(d->onboarded_by));
	d->created_ms = sqlite3_column_int64(st, 8);
	d->last_connect_ms = sqlite3_column_int64(st, 9);
	d->last_disconnect_ms = sqlite3_column_int64(st, 10);
	d->fw_types_json = col_dup(st, 11);
	if (!d->fw_types_json)
		d->fw_types_json = strdup("[]");
	d->updated_ms = sqlite3_column_int64(st, 12);
	if (!d->updated_ms)
		d->updated_ms = d->created_ms;
	if (!d->name || !d->tags_json || !d->fw_types_json ||
	    (sqlite3_column_type(st, 1) != SQLITE_NULL && !d->cert_pem) ||
	    (sqlite3_column_type(st, 3) != SQLITE_NULL && !d->pubkey_pem) ||
	    (sqlite3_column_type(st, 6) != SQLITE_NULL && !d->sub_type)) {
		ncm_device_release(d);
		return NCM_ERR_NOMEM;
	}
	return NCM_OK;
}

int ncm_store_device_get(struct ncm_db *db, const char *id, struct ncm_device *out,
			 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ncm_db_prepare(db, "SELECT " DEVICE_COLS " FROM devices WHERE id = ?", &st) !=
	    SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading device");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no device '%s'", id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = ncm_db_fail(db, err, "reading device");
		goto out;
	}
	rc = device_from_row(st, out);
	if (rc)
		ncm_err_set(err, rc, "store: out of memory");
out:
	ncm_db_finish(db, st);
	return rc;
}

static void bind_opt_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, idx);
}

int ncm_store_device_insert(struct ncm_db *db, const struct ncm_device *d,
			    struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(h, "INSERT INTO devices (" DEVICE_COLS ")"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	bind_opt_text(st, 2, d->cert_pem);
	bind_opt_text(st, 3, d->fingerprint);
	bind_opt_text(st, 4, d->pubkey_pem);
	bind_opt_text(st, 5, d->name);
	sqlite3_bind_text(st, 6, d->tags_json ? d->tags_json : "[]", -1, SQLITE_STATIC);
	bind_opt_text(st, 7, d->sub_type);
	sqlite3_bind_text(st, 8, d->onboarded_by[0] ? d->onboarded_by : "admin", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, d->created_ms);
	sqlite3_bind_int64(st, 10, d->last_connect_ms);
	sqlite3_bind_int64(st, 11, d->last_disconnect_ms);
	sqlite3_bind_text(st, 12, d->fw_types_json ? d->fw_types_json : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, d->updated_ms ? d->updated_ms : d->created_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(h) & 0xff) == SQLITE_CONSTRAINT) {
			rc = ncm_err_set(err, NCM_ERR_CONFLICT,
					 "device '%s' or its certificate exists already", d->id);
			goto out;
		}
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (d->fingerprint[0]) {
		if (sqlite3_prepare_v2(h, "DELETE FROM revoked_certs WHERE fingerprint = ?", -1,
				       &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, d->fingerprint, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	return ncm_db_commit(db, err);
fail:
	rc = ncm_db_fail(db, err, "writing device");
out:
	sqlite3_finalize(st);
	ncm_db_rollback(db);
	return rc;
}

int ncm_store_device_delete(struct ncm_db *db, const char *id, int64_t now_ms,
			    struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	/* connection states queued before the delete are written now, so none lands on a device
	 * of the same ID added later */
	ncm_store_shadow_sync(db, NULL);
	if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO revoked_certs"
			       " (fingerprint, device_id, revoked_ms)"
			       " SELECT fingerprint, id, ? FROM devices"
			       " WHERE id = ? AND fingerprint IS NOT NULL", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, "DELETE FROM devices WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(h) == 0) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no device '%s'", id);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, "DELETE FROM shadows WHERE device_id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return ncm_db_commit(db, err);
fail:
	rc = ncm_db_fail(db, err, "deleting device");
out:
	sqlite3_finalize(st);
	ncm_db_rollback(db);
	return rc;
}

int ncm_store_device_foreach(struct ncm_db *db, ncm_store_device_cb cb, void *userdata,
			     struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_device d;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT " DEVICE_COLS " FROM devices ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "listing devices");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = device_from_row(st, &d);
		if (rc) {
			ncm_err_set(err, rc, "store: out of memory");
			goto out;
		}
		rc = cb(&d, userdata);
		ncm_device_release(&d);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "listing devices");
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_device_touch(struct ncm_db *db, const char *id, int connected, int64_t now_ms,
			   struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (ncm_db_prepare(db,
			   connected ? "UPDATE devices SET last_connect_ms = ? WHERE id = ?"
				     : "UPDATE devices SET last_disconnect_ms = ? WHERE id = ?",
			   &st) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "updating device");
		goto out;
	}
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "updating device");
out:
	ncm_db_finish(db, st);
	return rc;
}

/* Runs one UPDATE with text args and now_ms as ?1, id as the last argument. */
static int update_one(struct ncm_db *db, const char *sql, const char *const *args, size_t n,
		      const char *id, int64_t now_ms, const char *what, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, what);
	sqlite3_bind_int64(st, 1, now_ms);
	for (i = 0; i < n; i++)
		bind_opt_text(st, (int)i + 2, args[i]);
	sqlite3_bind_text(st, (int)n + 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, what);
	else if (sqlite3_changes(ncm_db_handle(db)) == 0)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no device '%s'", id);
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_device_set_name(struct ncm_db *db, const char *id, const char *name,
			      int64_t now_ms, struct ncm_err_info *err)
{
	return update_one(db, "UPDATE devices SET updated_ms = ?1, name = ?2 WHERE id = ?3",
			  (const char *const[]){ name }, 1, id, now_ms, "renaming device", err);
}

int ncm_store_device_set_tags(struct ncm_db *db, const char *id, const char *tags_json,
			      int64_t now_ms, struct ncm_err_info *err)
{
	return update_one(db, "UPDATE devices SET updated_ms = ?1, tags = ?2 WHERE id = ?3",
			  (const char *const[]){ tags_json }, 1, id, now_ms, "tagging device", err);
}

int ncm_store_device_set_credentials(struct ncm_db *db, const char *id, const char *cert_pem,
				     const char *fingerprint, const char *pubkey_pem,
				     int64_t now_ms, struct ncm_err_info *err)
{
	if (cert_pem)
		return update_one(db, "UPDATE devices SET updated_ms = ?1, cert_pem = ?2,"
				  " fingerprint = ?3, pubkey_pem = NULL WHERE id = ?4",
				  (const char *const[]){ cert_pem, fingerprint }, 2, id, now_ms,
				  "updating device certificate", err);
	return update_one(db, "UPDATE devices SET updated_ms = ?1, pubkey_pem = ?2 WHERE id = ?3",
			  (const char *const[]){ pubkey_pem }, 1, id, now_ms,
			  "updating device key", err);
}

int ncm_store_cert_revoked(struct ncm_db *db, const char *fingerprint, char *device_out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ncm_db_prepare(db, "SELECT device_id FROM revoked_certs WHERE fingerprint = ?",
			   &st) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, device_out, NCM_DEVID_MAX + 1);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	ncm_db_finish(db, st);
	return rc;
}
