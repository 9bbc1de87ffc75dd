/* SPDX-License-Identifier: MIT
 * anchors.c: anchors in the loc_wifi table (see anchors.h).
 */
#include "anchors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int ncm_store_anchor_put(struct ncm_db *db, const char *mac, double lat, double lon,
			 const char *name, int64_t now_ms, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "INSERT INTO loc_wifi (mac, lat, lon, unc, anchor, created_ms,"
			       " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (mac)"
			       " DO UPDATE SET lat = ?2, lon = ?3, anchor = ?5, updated_ms = ?6,"
			       " created_ms = CASE WHEN anchor = '' THEN ?6 ELSE created_ms END",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing anchor");
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, lat);
	sqlite3_bind_double(st, 3, lon);
	sqlite3_bind_double(st, 4, NCM_ANCHOR_UNC_M);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing anchor");
	sqlite3_finalize(st);
	return rc;
}

/* "2026-12-06T10:00:00.123Z" of ms. */
static void iso(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", s, (int)(ms % 1000));
}

/* The Anchor object of the current row (MAC upper case, as ground-fix answers name it). */
static json_t *row_json(sqlite3_stmt *st)
{
	char mac[32], created[40], updated[40];
	size_t i;

	snprintf(mac, sizeof(mac), "%s", (const char *)sqlite3_column_text(st, 0));
	for (i = 0; mac[i]; i++)
		mac[i] = (char)toupper((unsigned char)mac[i]);
	iso(sqlite3_column_int64(st, 4), created, sizeof(created));
	iso(sqlite3_column_int64(st, 5), updated, sizeof(updated));
	return json_pack("{s:s,s:f,s:f,s:s,s:s,s:s}", "macAddress", mac, "lat",
			 sqlite3_column_double(st, 1), "lon", sqlite3_column_double(st, 2),
			 "name", (const char *)sqlite3_column_text(st, 3), "createdAt", created,
			 "updatedAt", updated);
}

#define COLS "SELECT mac, lat, lon, anchor, created_ms, updated_ms FROM loc_wifi WHERE anchor != ''"

int ncm_store_anchor_get(struct ncm_db *db, const char *mac, json_t **out,
			 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(ncm_db_handle(db), COLS " AND mac = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading anchor");
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row_json(st);
		rc = NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no anchor %s", mac);
	} else {
		rc = ncm_db_fail(db, err, "reading anchor");
	}
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_anchor_delete(struct ncm_db *db, const char *mac, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "DELETE FROM loc_wifi WHERE anchor != '' AND"
			       " mac = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting anchor");
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "deleting anchor");
	else if (sqlite3_changes(ncm_db_handle(db)) == 0)
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "no anchor %s", mac);
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_anchor_list(struct ncm_db *db, const char *after, int limit, json_t *items,
			  struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(ncm_db_handle(db), COLS " AND mac > lower(?) ORDER BY mac LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "listing anchors");
	sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, row_json(st));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? NCM_OK : ncm_db_fail(db, err, "listing anchors");
}
