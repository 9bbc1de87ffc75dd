/* SPDX-License-Identifier: MIT
 * locations.h: what the location services answer from (cells, Wi-Fi access points and anchors:
 * fixtures/location/ and PUT /mock/v1/location/...) and the location history (
 * docs/location.md#location-history). Any thread, with that thread's connection.
 */
#ifndef NCM_STORE_LOCATIONS_H
#define NCM_STORE_LOCATIONS_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"
#include "location.h"

/* Loads answers from a document {"cells":[{"mcc","mnc","tac","eci","lat","lon",
 * "uncertainty"}], "wifi":[{"macAddress","lat","lon","uncertainty"}], "anchors":[{"macAddress",
 * "name","lat","lon","uncertainty"}]} (any of the three). replace: an entry that exists is
 * overwritten (run-time changes), else kept (fixtures are additive). All or nothing is the
 * caller's transaction; errors name the entry ("<where>: cells[2].lat: ..."). *loaded counts
 * the entries (may be NULL). */
int ncm_store_loc_load(struct ncm_db *db, const json_t *doc, int replace, const char *where,
		       int *loaded, struct ncm_err_info *err);

/* Deletes the cells ("cells"), or access points and anchors ("wifi"). */
int ncm_store_loc_clear(struct ncm_db *db, const char *what, struct ncm_err_info *err);

/* Everything stored, in the document form above (new reference). */
int ncm_store_loc_export(struct ncm_db *db, json_t **doc, struct ncm_err_info *err);

/* Lookups (struct ncm_loc_lookup shapes; ud is the struct ncm_db *). */
int ncm_store_loc_cell(void *db, uint32_t mcc, uint32_t mnc, uint32_t tac, uint32_t eci,
		       struct ncm_loc_pos *pos);
int ncm_store_loc_wifi(void *db, const char *mac, struct ncm_loc_pos *pos, char *name,
		       size_t name_size);

/* One fix of the history. */
struct ncm_loc_fix {
	int64_t id;              /* set by the store */
	const char *device_id;
	const char *service;     /* MCELL, SCELL, WIFI, ANCHOR, GNSS, ..., with _EVAL */
	int64_t inserted_ms;
	double lat, lon, unc;
	const char *anchors;     /* JSON array text, or NULL */
};

int ncm_store_loc_history_add(struct ncm_db *db, struct ncm_loc_fix *fix,
			      struct ncm_err_info *err);

/* Calls cb for history fixes, newest first, with id below before (0: from the newest), of
 * device_id (NULL: all), inserted in [start_ms, end_ms) (0: open), at most limit. The fix is
 * borrowed for the call. */
typedef int (*ncm_loc_fix_cb)(const struct ncm_loc_fix *fix, void *userdata);
int ncm_store_loc_history_list(struct ncm_db *db, const char *device_id, int64_t start_ms,
			       int64_t end_ms, int64_t before, int limit, ncm_loc_fix_cb cb,
			       void *userdata, struct ncm_err_info *err);

/* NCM_ERR_NOT_FOUND when device_id has no fix id. */
int ncm_store_loc_history_delete(struct ncm_db *db, const char *device_id, int64_t id,
				 struct ncm_err_info *err);

#endif
