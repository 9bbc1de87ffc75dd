/* SPDX-License-Identifier: MIT
 * journal.c: the bounded journal ring (see journal.h).
 */
#include "journal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "topic.h"

static ncm_journal_sync_fn sync_hook;

void ncm_store_journal_set_sync(ncm_journal_sync_fn fn)
{
	sync_hook = fn;
}

int ncm_store_journal_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	return sync_hook ? sync_hook(db, err) : NCM_OK;
}

/* One INSERT per record, then one trim; rec->seq > 0 keeps the caller's seq (the write-behind
 * queue numbers records when they happen), 0 lets SQLite number it. */
/* Journal bytes as ncm_store_journal_trim_bytes counts them: written since it last sized the
 * table, and the table's size then (-1: not known). A record's size is an upper bound (a
 * rolled-back or count-trimmed write is still counted), so the sizing is skipped only when
 * the table cannot be over its cap. */
static atomic_int_fast64_t added_bytes;
static atomic_int_fast64_t known_bytes = -1;
static char known_file[4096]; /* the database file known_bytes is of (the sizing's caller
			       * is one thread, the broker's) */

static int64_t rec_bytes(const struct ncm_journal_rec *rec)
{
	return (int64_t)(rec->payload ? rec->payload_len : 0) +
	       (int64_t)(rec->topic ? strlen(rec->topic) : 0) +
	       (int64_t)(rec->reason ? strlen(rec->reason) : 0) + 64;
}

int ncm_store_journal_add_many(struct ncm_db *db, struct ncm_journal_rec *recs, size_t n,
			       int64_t max, struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int64_t seq = 0;
	size_t i;
	int rc;

	if (max <= 0)
		max = NCM_JOURNAL_DEFAULT_MAX;
	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	if (ncm_db_prepare(db, "INSERT INTO journal"
			   " (seq, ts_ms, kind, device, topic, status, reason, payload, binary)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &st) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		struct ncm_journal_rec *rec = &recs[i];

		sqlite3_reset(st);
		if (rec->seq > 0)
			sqlite3_bind_int64(st, 1, rec->seq);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, rec->ts_ms);
		sqlite3_bind_text(st, 3, rec->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rec->device, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rec->topic, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, rec->status);
		sqlite3_bind_text(st, 7, rec->reason, -1, SQLITE_STATIC);
		if (rec->payload)
			sqlite3_bind_blob64(st, 8, rec->payload, rec->payload_len, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 8);
		sqlite3_bind_int(st, 9, rec->binary ? 1 : 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		seq = sqlite3_last_insert_rowid(h);
		rec->seq = seq;
		atomic_fetch_add(&added_bytes, rec_bytes(rec));
	}
	ncm_db_finish(db, st);
	st = NULL;
	if (seq > max) {
		if (ncm_db_prepare(db, "DELETE FROM journal WHERE seq <= ?", &st) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(st, 1, seq - max);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	ncm_db_finish(db, st);
	return ncm_db_commit(db, err);
fail:
	rc = ncm_db_fail(db, err, "writing journal");
	ncm_db_finish(db, st);
	ncm_db_rollback(db);
	return rc;
}

int ncm_store_journal_add(struct ncm_db *db, struct ncm_journal_rec *rec, int64_t max,
			  struct ncm_err_info *err)
{
	rec->seq = 0;
	return ncm_store_journal_add_many(db, rec, 1, max, err);
}

int64_t ncm_store_journal_last_seq(struct ncm_db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t seq = -1;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
			       " WHERE name = 'journal'), 0), coalesce((SELECT max(seq) FROM journal),"
			       " 0))", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

/* Runs cb over the records matching f, in seq order; the MQTT topic filter is applied here,
 * SQLite cannot. limit counts matching records (< 0: no limit). */
static int journal_scan(struct ncm_db *db, const struct ncm_journal_filter *f, int limit,
			ncm_journal_cb cb, void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_journal_rec rec;
	size_t klen = f->kind ? strlen(f->kind) : 0;
	int prefix = klen && f->kind[klen - 1] == '.';
	int rc = SQLITE_DONE, seen = 0;

	rc = ncm_store_journal_sync(db, err);
	if (rc)
		return rc;
	rc = SQLITE_DONE;
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT seq, ts_ms, kind, device, topic, status, reason, payload,"
			       " binary FROM journal WHERE seq > ?1"
			       " AND (?2 IS NULL OR kind = ?2 OR (?3 AND substr(kind, 1, ?4) = ?2))"
			       " AND (?5 IS NULL OR device = ?5 COLLATE NOCASE)"
			       " AND ts_ms >= ?6 AND (?7 = 0 OR ts_ms < ?7)"
			       " ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading journal");
		goto out;
	}
	sqlite3_bind_int64(st, 1, f->after_seq);
	sqlite3_bind_text(st, 2, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, prefix);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)klen);
	sqlite3_bind_text(st, 5, f->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, f->since_ms);
	sqlite3_bind_int64(st, 7, f->until_ms);
	while ((limit < 0 || seen < limit) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&rec, 0, sizeof(rec));
		rec.seq = sqlite3_column_int64(st, 0);
		rec.ts_ms = sqlite3_column_int64(st, 1);
		rec.kind = (const char *)sqlite3_column_text(st, 2);
		rec.device = (const char *)sqlite3_column_text(st, 3);
		rec.topic = (const char *)sqlite3_column_text(st, 4);
		rec.status = sqlite3_column_int(st, 5);
		rec.reason = (const char *)sqlite3_column_text(st, 6);
		rec.payload = sqlite3_column_blob(st, 7);
		rec.payload_len = (size_t)sqlite3_column_bytes(st, 7);
		rec.binary = sqlite3_column_int(st, 8);
		if (f->topic && !ncm_topic_matches(f->topic, rec.topic))
			continue;
		seen++;
		rc = cb ? cb(&rec, userdata) : NCM_OK;
		if (rc)
			goto out;
	}
	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == NCM_OK)
		     ? NCM_OK
		     : ncm_db_fail(db, err, "reading journal");
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_journal_foreach(struct ncm_db *db, const struct ncm_journal_filter *f,
			      ncm_journal_cb cb, void *userdata, struct ncm_err_info *err)
{
	return journal_scan(db, f, f->limit > 0 ? f->limit : 1000, cb, userdata, err);
}

static int count_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	(void)rec;
	(*(int64_t *)userdata)++;
	return NCM_OK;
}

int64_t ncm_store_journal_count(struct ncm_db *db, const struct ncm_journal_filter *f,
				struct ncm_err_info *err)
{
	int64_t n = 0;

	if (journal_scan(db, f, -1, count_cb, &n, err))
		return -1;
	return n;
}

int ncm_store_journal_clear(struct ncm_db *db, struct ncm_err_info *err)
{
	char *msg = NULL;
	int rc;

	rc = ncm_store_journal_sync(db, err);
	if (rc)
		return rc;
	if (sqlite3_exec(ncm_db_handle(db), "DELETE FROM journal", NULL, NULL, &msg) != SQLITE_OK)
		rc = ncm_err_set(err, NCM_ERR_IO, "store: clearing journal: %s", msg ? msg : "?");
	sqlite3_free(msg);
	return rc;
}

int ncm_store_journal_trim_bytes(struct ncm_db *db, int64_t max_bytes, struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int64_t cut = -1, total = 0, added = atomic_exchange(&added_bytes, 0);
	int64_t known = atomic_load(&known_bytes);
	const char *file = sqlite3_db_filename(h, "main");
	int rc;

	if (max_bytes <= 0)
		return NCM_OK;
	if (!file || !file[0] || strcmp(file, known_file)) {
		/* another database (or an in-memory one): nothing is known of it */
		snprintf(known_file, sizeof(known_file), "%s", file && file[0] ? file : "");
		known = -1;
	}
	/* the sizing below reads the whole table: skipped while the size known from the last one
	 * plus what was written since stays under the cap (it read 10 % of the CPU under REST
	 * load, every 2 s, to find nothing to trim) */
	if (known >= 0 && known + added <= max_bytes) {
		atomic_store(&known_bytes, known + added);
		return NCM_OK;
	}
	if (sqlite3_prepare_v2(h, "SELECT ifnull(SUM(ifnull(length(payload), 0) +"
			       " ifnull(length(topic), 0) + ifnull(length(reason), 0) + 64), 0)"
			       " FROM journal", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "sizing journal");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ncm_db_fail(db, err, "sizing journal");
	if (total <= max_bytes) {
		atomic_store(&known_bytes, total);
		return NCM_OK;
	}
	atomic_store(&known_bytes, -1); /* trimmed below: sized again next time */
	/* the newest records first, a running total of their size; the first seq past the cap
	 * and everything older goes (64 bytes a record for its fixed columns and index entries) */
	if (sqlite3_prepare_v2(h, "SELECT seq FROM (SELECT seq, SUM(ifnull(length(payload), 0) +"
			       " ifnull(length(topic), 0) + ifnull(length(reason), 0) + 64)"
			       " OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS c"
			       " FROM journal) WHERE c > ? ORDER BY seq DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "sizing journal");
	sqlite3_bind_int64(st, 1, max_bytes);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		cut = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ncm_db_fail(db, err, "sizing journal");
	if (cut < 0)
		return NCM_OK;
	if (sqlite3_prepare_v2(h, "DELETE FROM journal WHERE seq <= ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "trimming journal");
	sqlite3_bind_int64(st, 1, cut);
	rc = sqlite3_step(st) == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "trimming journal");
	sqlite3_finalize(st);
	return rc;
}
