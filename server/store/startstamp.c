/* SPDX-License-Identifier: MIT
 * startstamp.c: the start stamp in the store (see startstamp.h).
 */
#include "startstamp.h"

#include <string.h>

int ncm_store_start_stamp_matches(const char *db_path, const char *stamp)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int match = 0;

	/* a plain connection: ncm_db_open would migrate and set up a writer, which the plugin
	 * does right after anyway; a store without migration 9 has no table and never matches */
	if (sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(h, 2000);
	if (sqlite3_prepare_v2(h, "SELECT 1 FROM start_stamp WHERE id = 1 AND stamp = ?1"
			       " AND stamp_gen = gen", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, stamp, -1, SQLITE_STATIC) != SQLITE_OK)
		goto out;
	match = sqlite3_step(st) == SQLITE_ROW;
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
	return match;
}

int ncm_store_start_stamp_put(struct ncm_db *db, const char *stamp, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (ncm_db_prepare(db, "UPDATE start_stamp SET stamp = ?1, stamp_gen = gen,"
			   " checks = checks + 1 WHERE id = 1", &st) != SQLITE_OK)
		return ncm_db_fail(db, err, "recording the start stamp");
	if ((stamp ? sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(ncm_db_handle(db)) != 1)
		rc = ncm_db_fail(db, err, "recording the start stamp");
	ncm_db_finish(db, st);
	return rc;
}

long long ncm_store_start_stamp_checks(struct ncm_db *db)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (ncm_db_prepare(db, "SELECT checks FROM start_stamp WHERE id = 1", &st) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	ncm_db_finish(db, st);
	return n;
}
