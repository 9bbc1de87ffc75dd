/* SPDX-License-Identifier: MIT
 * records.c: the records table (see records.h).
 */
#include "records.h"
#include "messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

int ncm_store_record_put(struct ncm_db *db, const struct ncm_record *r, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "INSERT INTO records (kind, id, device_id, status, created_ms,"
			       " updated_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			       " ON CONFLICT (kind, id) DO UPDATE SET device_id = ?3, status = ?4,"
			       " updated_ms = ?6, body = ?7", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing record");
	sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->device_id ? r->device_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->status ? r->status : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, r->created_ms);
	sqlite3_bind_int64(st, 6, r->updated_ms ? r->updated_ms : r->created_ms);
	sqlite3_bind_text(st, 7, r->body ? r->body : "{}", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing record");
	sqlite3_finalize(st);
	return rc;
}

/* Runs a prepared SELECT of the record columns, calling cb per row. */
static int rows(struct ncm_db *db, sqlite3_stmt *st, ncm_record_cb cb, void *userdata, int *n,
		struct ncm_err_info *err)
{
	struct ncm_record r;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.kind = (const char *)sqlite3_column_text(st, 0);
		r.id = (const char *)sqlite3_column_text(st, 1);
		r.device_id = (const char *)sqlite3_column_text(st, 2);
		r.status = (const char *)sqlite3_column_text(st, 3);
		r.created_ms = sqlite3_column_int64(st, 4);
		r.updated_ms = sqlite3_column_int64(st, 5);
		r.body = (const char *)sqlite3_column_text(st, 6);
		(*n)++;
		if (cb && (rc = cb(&r, userdata)))
			return rc;
	}
	return rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "reading records");
}

/* Alerts come from device messages, which reach the messages table through the message log
 * (msglog.c): what the log holds is stored before alerts are read. */
static int sync_alerts(struct ncm_db *db, const char *kind, struct ncm_err_info *err)
{
	return strcmp(kind, NCM_REC_ALERT) ? NCM_OK : ncm_store_message_sync(db, err);
}

#define COLS "SELECT kind, id, device_id, status, created_ms, updated_ms, body FROM records"

int ncm_store_record_get(struct ncm_db *db, const char *kind, const char *id, ncm_record_cb cb,
			 void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if ((rc = sync_alerts(db, kind, err)))
		return rc;
	if (sqlite3_prepare_v2(ncm_db_handle(db), COLS " WHERE kind = ? AND id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading record");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = rows(db, st, cb, userdata, &n, err);
	sqlite3_finalize(st);
	if (!rc && !n)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no %s %s", kind, id);
	return rc;
}

/* Runs a one-row change; NCM_ERR_NOT_FOUND when it changed nothing. */
static int change(struct ncm_db *db, sqlite3_stmt *st, const char *what, const char *kind,
		  const char *id, struct ncm_err_info *err)
{
	int rc = NCM_OK;

	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, what);
	else if (sqlite3_changes(ncm_db_handle(db)) == 0)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no %s %s", kind, id);
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_record_set_status(struct ncm_db *db, const char *kind, const char *id,
				const char *status, int64_t now_ms, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "UPDATE records SET status = ?3, updated_ms = ?4 WHERE kind = ?1"
			       " AND id = ?2", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "updating record");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	return change(db, st, "updating record", kind, id, err);
}

int ncm_store_record_delete(struct ncm_db *db, const char *kind, const char *id,
			    struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "DELETE FROM records WHERE kind = ? AND id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting record");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return change(db, st, "deleting record", kind, id, err);
}

int ncm_store_record_list(struct ncm_db *db, const struct ncm_record_filter *f, ncm_record_cb cb,
			  void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	char sql[512];
	int rc, n = 0;

	if ((rc = sync_alerts(db, f->kind, err)))
		return rc;
	/* device_ids: a comma-separated list matched whole (',' || list || ',' LIKE '%,id,%') */
	snprintf(sql, sizeof(sql),
		 COLS " WHERE kind = ?1 AND (?2 IS NULL OR instr(',' || lower(?2) || ',',"
		 " ',' || lower(device_id) || ',') > 0) AND (?3 IS NULL OR status = ?3)"
		 " AND (?4 = '' OR id %s ?4) ORDER BY id %s LIMIT ?5",
		 f->desc ? "<" : ">", f->desc ? "DESC" : "ASC");
	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "listing records");
	sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->device_ids, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f->after ? f->after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, f->limit > 0 ? f->limit : 100);
	rc = rows(db, st, cb, userdata, &n, err);
	sqlite3_finalize(st);
	return rc;
}

/* Version 4 UUID text from 16 random bytes b (its version and variant bits set here). */
static void uuid_format(unsigned char b[16], char out[37])
{
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void ncm_store_record_uuid(char out[37])
{
	unsigned char b[16] = { 0 };

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0x5a, sizeof(b));
	uuid_format(b, out);
}

int ncm_store_uuid_random(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return NCM_ERR_CRYPTO;
	uuid_format(b, out);
	return NCM_OK;
}

/* An alert's id is a time-ordered UUID-shaped string (its first 12 hex digits are the
 * receive time in ms), so the list's id order is the order alerts arrived in. */
int ncm_store_alert_from_message(struct ncm_db *db, const char *device_id, int64_t received_ms,
				 const void *payload, size_t len, struct ncm_err_info *err)
{
	struct ncm_record r = { 0 };
	char id[37], head[14], *text;
	json_t *msg = json_loadb(payload, len, 0, NULL), *body;
	int rc;

	if (!json_is_object(msg)) {
		json_decref(msg);
		return NCM_OK; /* not an alert object: kept as a message only */
	}
	ncm_store_record_uuid(id);
	snprintf(head, sizeof(head), "%08llx-%04llx",
		 ((unsigned long long)received_ms >> 16) & 0xffffffffULL,
		 (unsigned long long)received_ms & 0xffffULL);
	memcpy(id, head, 13);
	body = json_pack("{s:O}", "originalMessage", msg);
	text = json_dumps(body, JSON_COMPACT);
	r.kind = NCM_REC_ALERT;
	r.id = id;
	r.device_id = device_id;
	r.status = "ACTIVE";
	r.created_ms = received_ms;
	r.body = text;
	rc = text ? ncm_store_record_put(db, &r, err) : ncm_err_set(err, NCM_ERR_NOMEM, "alert");
	free(text);
	json_decref(body);
	json_decref(msg);
	return rc;
}
