/* SPDX-License-Identifier: MIT
 * locations.c: the loc_cells, loc_wifi and loc_history tables (see locations.h).
 */
#include "locations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int num_field(const json_t *o, const char *key, double lo, double hi, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) && *out >= lo && *out <= hi ? 0 : -1;
}

static int uint_field(const json_t *o, const char *key, json_int_t hi, uint32_t *out)
{
	const json_t *v = json_object_get(o, key);
	json_int_t n;

	if (json_is_string(v)) {  /* mnc "01" as devices and nRF Cloud allow (docs/location.md#ground-fix) */
		char *end;
		long long l = strtoll(json_string_value(v), &end, 10);

		if (!json_string_value(v)[0] || *end || l < 0 || l > hi)
			return -1;
		*out = (uint32_t)l;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 0 || n > hi)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

/* lat, lon and uncertainty of an entry; msg names the first bad one. */
static int position(const json_t *e, struct ncm_loc_pos *pos, const char **msg)
{
	if (num_field(e, "lat", -90, 90, &pos->lat))
		*msg = "lat must be a number in -90..90";
	else if (num_field(e, "lon", -180, 180, &pos->lon))
		*msg = "lon must be a number in -180..180";
	else if (num_field(e, "uncertainty", 0, 1e7, &pos->unc))
		*msg = "uncertainty must be a number of metres, 0..10000000";
	else
		return 0;
	return -1;
}

static int put_cell(struct ncm_db *db, const json_t *e, int replace, const char *where,
		    size_t i, struct ncm_err_info *err)
{
	struct ncm_loc_pos pos;
	uint32_t mcc, mnc, tac, eci;
	sqlite3_stmt *st = NULL;
	const char *msg = NULL;
	char sql[160];
	int rc = NCM_OK;

	if (!json_is_object(e))
		msg = "must be an object";
	else if (uint_field(e, "mcc", 999, &mcc))
		msg = "mcc must be 0..999";
	else if (uint_field(e, "mnc", 999, &mnc))
		msg = "mnc must be 0..999";
	else if (uint_field(e, "tac", 0xffffff, &tac))
		msg = "tac must be 0..16777215";
	else if (uint_field(e, "eci", 0xfffffff, &eci))
		msg = "eci must be 0..268435455 (28 bits)";
	else
		position(e, &pos, &msg);
	if (msg)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s: cells[%zu]: %s", where, i, msg);
	snprintf(sql, sizeof(sql), "INSERT OR %s INTO loc_cells (mcc, mnc, tac, eci, lat, lon, unc)"
		 " VALUES (?, ?, ?, ?, ?, ?, ?)", replace ? "REPLACE" : "IGNORE");
	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing cell");
	sqlite3_bind_int64(st, 1, mcc);
	sqlite3_bind_int64(st, 2, mnc);
	sqlite3_bind_int64(st, 3, tac);
	sqlite3_bind_int64(st, 4, eci);
	sqlite3_bind_double(st, 5, pos.lat);
	sqlite3_bind_double(st, 6, pos.lon);
	sqlite3_bind_double(st, 7, pos.unc);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing cell");
	sqlite3_finalize(st);
	return rc;
}

static int put_ap(struct ncm_db *db, const json_t *e, int anchor, int replace, const char *where,
		  size_t i, struct ncm_err_info *err)
{
	const char *list = anchor ? "anchors" : "wifi";
	const char *name = json_string_value(json_object_get(e, "name"));
	struct ncm_loc_pos pos;
	sqlite3_stmt *st = NULL;
	const char *msg = NULL;
	char mac[18], sql[160];
	int rc = NCM_OK;

	if (!json_is_object(e))
		msg = "must be an object";
	else if (ncm_loc_mac_normalise(json_string_value(json_object_get(e, "macAddress")), mac))
		msg = "macAddress must be a MAC address such as \"aa:bb:cc:dd:ee:ff\"";
	else if (anchor && (!name || !name[0] || strlen(name) >= sizeof(((struct ncm_loc_anchor
									    *)0)->name)))
		msg = "name must be a non-empty string of at most 63 bytes";
	else
		position(e, &pos, &msg);
	if (msg)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s: %s[%zu]: %s", where, list, i, msg);
	snprintf(sql, sizeof(sql), "INSERT OR %s INTO loc_wifi (mac, lat, lon, unc, anchor)"
		 " VALUES (?, ?, ?, ?, ?)", replace ? "REPLACE" : "IGNORE");
	if (sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing access point");
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, pos.lat);
	sqlite3_bind_double(st, 3, pos.lon);
	sqlite3_bind_double(st, 4, pos.unc);
	sqlite3_bind_text(st, 5, anchor ? name : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing access point");
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_loc_load(struct ncm_db *db, const json_t *doc, int replace, const char *where,
		       int *loaded, struct ncm_err_info *err)
{
	static const char *const keys[] = { "cells", "wifi", "anchors" };
	const json_t *e;
	const char *key;
	json_t *v;
	size_t i, k;
	int rc = NCM_OK, n = 0;

	if (!json_is_object(doc))
		return ncm_err_set(err, NCM_ERR_INVAL, "%s: must be an object with \"cells\", "
				   "\"wifi\" or \"anchors\" arrays", where);
	json_object_foreach((json_t *)doc, key, v) {
		for (k = 0; k < 3 && strcmp(key, keys[k]); k++)
			;
		if (k == 3)
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: unknown key \"%s\" (cells, wifi "
					   "and anchors are known)", where, key);
		if (!json_is_array(v))
			return ncm_err_set(err, NCM_ERR_INVAL, "%s: %s must be an array", where,
					   key);
	}
	for (k = 0; k < 3 && !rc; k++) {
		json_array_foreach(json_object_get(doc, keys[k]), i, e) {
			rc = k == 0 ? put_cell(db, e, replace, where, i, err)
				    : put_ap(db, e, k == 2, replace, where, i, err);
			if (rc)
				break;
			n++;
		}
	}
	if (loaded)
		*loaded = n;
	return rc;
}

int ncm_store_loc_clear(struct ncm_db *db, const char *what, struct ncm_err_info *err)
{
	const char *sql = !strcmp(what, "cells") ? "DELETE FROM loc_cells" : "DELETE FROM loc_wifi";

	if (sqlite3_exec(ncm_db_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "clearing location answers");
	return NCM_OK;
}

int ncm_store_loc_export(struct ncm_db *db, json_t **doc, struct ncm_err_info *err)
{
	json_t *cells = json_array(), *wifi = json_array(), *anchors = json_array();
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK, step;

	*doc = NULL;
	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT mcc, mnc, tac, eci, lat, lon, unc FROM "
			       "loc_cells ORDER BY mcc, mnc, tac, eci", -1, &st, NULL) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading cells");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(cells, json_pack(
			"{s:I,s:I,s:I,s:I,s:f,s:f,s:f}", "mcc", sqlite3_column_int64(st, 0), "mnc",
			sqlite3_column_int64(st, 1), "tac", sqlite3_column_int64(st, 2), "eci",
			sqlite3_column_int64(st, 3), "lat", sqlite3_column_double(st, 4), "lon",
			sqlite3_column_double(st, 5), "uncertainty", sqlite3_column_double(st, 6)));
	sqlite3_finalize(st);
	if (step != SQLITE_DONE || sqlite3_prepare_v2(ncm_db_handle(db), "SELECT mac, lat, lon, "
			       "unc, anchor FROM loc_wifi ORDER BY mac", -1, &st, NULL) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading access points");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 4);
		json_t *e = json_pack("{s:s,s:f,s:f,s:f}", "macAddress",
				      (const char *)sqlite3_column_text(st, 0), "lat",
				      sqlite3_column_double(st, 1), "lon",
				      sqlite3_column_double(st, 2), "uncertainty",
				      sqlite3_column_double(st, 3));

		if (name && name[0]) {
			json_object_set_new(e, "name", json_string(name));
			json_array_append_new(anchors, e);
		} else {
			json_array_append_new(wifi, e);
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		rc = ncm_db_fail(db, err, "reading access points");
		goto out;
	}
	*doc = json_pack("{s:O,s:O,s:O}", "cells", cells, "wifi", wifi, "anchors", anchors);
	if (!*doc)
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
out:
	json_decref(cells);
	json_decref(wifi);
	json_decref(anchors);
	return rc;
}

int ncm_store_loc_cell(void *ud, uint32_t mcc, uint32_t mnc, uint32_t tac, uint32_t eci,
		       struct ncm_loc_pos *pos)
{
	struct ncm_db *db = ud;
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT lat, lon, unc FROM loc_cells WHERE "
			       "mcc = ? AND mnc = ? AND tac = ? AND eci = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, mcc);
	sqlite3_bind_int64(st, 2, mnc);
	sqlite3_bind_int64(st, 3, tac);
	sqlite3_bind_int64(st, 4, eci);
	if (sqlite3_step(st) == SQLITE_ROW) {
		pos->lat = sqlite3_column_double(st, 0);
		pos->lon = sqlite3_column_double(st, 1);
		pos->unc = sqlite3_column_double(st, 2);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int ncm_store_loc_wifi(void *ud, const char *mac, struct ncm_loc_pos *pos, char *name,
		       size_t name_size)
{
	struct ncm_db *db = ud;
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT lat, lon, unc, anchor FROM loc_wifi "
			       "WHERE mac = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		pos->lat = sqlite3_column_double(st, 0);
		pos->lon = sqlite3_column_double(st, 1);
		pos->unc = sqlite3_column_double(st, 2);
		snprintf(name, name_size, "%s", (const char *)sqlite3_column_text(st, 3));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int ncm_store_loc_history_add(struct ncm_db *db, struct ncm_loc_fix *fix,
			      struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "INSERT INTO loc_history (device_id, service, "
			       "inserted_ms, lat, lon, unc, anchors) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing location history");
	sqlite3_bind_text(st, 1, fix->device_id ? fix->device_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fix->service, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, fix->inserted_ms);
	sqlite3_bind_double(st, 4, fix->lat);
	sqlite3_bind_double(st, 5, fix->lon);
	sqlite3_bind_double(st, 6, fix->unc);
	sqlite3_bind_text(st, 7, fix->anchors, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing location history");
	else
		fix->id = sqlite3_last_insert_rowid(ncm_db_handle(db));
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_loc_history_list(struct ncm_db *db, const char *device_id, int64_t start_ms,
			       int64_t end_ms, int64_t before, int limit, ncm_loc_fix_cb cb,
			       void *userdata, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	struct ncm_loc_fix f;
	int rc = NCM_OK, step;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "SELECT id, device_id, service, inserted_ms, "
			       "lat, lon, unc, anchors FROM loc_history WHERE (?1 IS NULL OR "
			       "device_id = ?1) AND (?2 = 0 OR inserted_ms >= ?2) AND (?3 = 0 OR "
			       "inserted_ms < ?3) AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading location history");
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start_ms);
	sqlite3_bind_int64(st, 3, end_ms);
	sqlite3_bind_int64(st, 4, before);
	sqlite3_bind_int(st, 5, limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		f.id = sqlite3_column_int64(st, 0);
		f.device_id = (const char *)sqlite3_column_text(st, 1);
		f.service = (const char *)sqlite3_column_text(st, 2);
		f.inserted_ms = sqlite3_column_int64(st, 3);
		f.lat = sqlite3_column_double(st, 4);
		f.lon = sqlite3_column_double(st, 5);
		f.unc = sqlite3_column_double(st, 6);
		f.anchors = (const char *)sqlite3_column_text(st, 7);
		rc = cb(&f, userdata);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "reading location history");
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_loc_history_delete(struct ncm_db *db, const char *device_id, int64_t id,
				 struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db), "DELETE FROM loc_history WHERE device_id = ? "
			       "AND id = ?", -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "deleting location history");
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "deleting location history");
	else if (!sqlite3_changes(ncm_db_handle(db)))
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "device %s has no location %lld",
				 device_id, (long long)id);
	sqlite3_finalize(st);
	return rc;
}
