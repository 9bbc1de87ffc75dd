/* SPDX-License-Identifier: MIT
 * messages.c: the messages table (see messages.h).
 */
#include "messages.h"
#include "records.h"

#include <stdio.h>
#include <string.h>

static ncm_message_sync_fn sync_hook;

void ncm_store_message_set_sync(ncm_message_sync_fn fn)
{
	sync_hook = fn;
}

int ncm_store_message_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	return sync_hook ? sync_hook(db, err) : NCM_OK;
}

int ncm_store_message_add(struct ncm_db *db, const struct ncm_message *m,
			  struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (ncm_db_prepare(db, "INSERT INTO messages (device_id, topic, received_ms, app_id,"
			   " payload, binary) VALUES (?, ?, ?, ?, ?, ?)", &st) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing message");
	sqlite3_bind_text(st, 1, m->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->received_ms);
	sqlite3_bind_text(st, 4, m->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 5, m->payload ? m->payload : "", m->payload_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, m->binary ? 1 : 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing message");
	else if (m->app_id && !strcmp(m->app_id, "ALERT"))
		rc = ncm_store_alert_from_message(db, m->device_id, m->received_ms, m->payload, m->payload_len, err);
	ncm_db_finish(db, st);
	return rc;
}

int ncm_store_message_foreach(struct ncm_db *db, const char *device_id, int64_t after_seq,
			      int limit, ncm_message_cb cb, void *userdata,
			      struct ncm_err_info *err)
{
	struct ncm_message_filter f = { 0 };

	f.device_id = device_id;
	f.cursor = after_seq;
	f.limit = limit > 0 ? limit : 1000;
	return ncm_store_message_query(db, &f, cb, userdata, err);
}

int ncm_store_message_query(struct ncm_db *db, const struct ncm_message_filter *f,
			    ncm_message_cb cb, void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_message m;
	char sql[1024];
	int rc;

	rc = ncm_store_message_sync(db, err);
	if (rc)
		return rc;
	snprintf(sql, sizeof(sql),
		 "SELECT seq, device_id, topic, received_ms, app_id, payload, binary FROM messages"
		 " WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR app_id = ?2)"
		 " AND (?3 IS NULL OR topic = ?3 OR topic = ?4 || 'm/' || ?3 OR topic = ?4 || ?3)"
		 " AND received_ms %s ?5 AND (?6 = 0 OR received_ms %s ?6)"
		 " AND (?7 = 0 OR seq %s ?7) ORDER BY seq %s LIMIT ?8",
		 f->start_exclusive ? ">" : ">=", f->end_inclusive ? "<=" : "<",
		 f->desc ? "<" : ">", f->desc ? "DESC" : "ASC");
	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "querying messages");
	sqlite3_bind_text(st, 1, f->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f->prefix ? f->prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->start_ms);
	sqlite3_bind_int64(st, 6, f->end_ms);
	sqlite3_bind_int64(st, 7, f->cursor);
	sqlite3_bind_int(st, 8, f->limit > 0 ? f->limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.seq = sqlite3_column_int64(st, 0);
		m.device_id = (const char *)sqlite3_column_text(st, 1);
		m.topic = (const char *)sqlite3_column_text(st, 2);
		m.received_ms = sqlite3_column_int64(st, 3);
		m.app_id = (const char *)sqlite3_column_text(st, 4);
		m.payload = sqlite3_column_blob(st, 5);
		m.payload_len = (size_t)sqlite3_column_bytes(st, 5);
		m.binary = sqlite3_column_int(st, 6);
		rc = cb(&m, userdata);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "querying messages");
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t ncm_store_message_count(struct ncm_db *db, const char *device_id)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (ncm_store_message_sync(db, NULL))
		return -1;
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT count(*) FROM messages WHERE ?1 IS NULL OR device_id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
