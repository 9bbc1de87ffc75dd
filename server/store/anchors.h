/* SPDX-License-Identifier: MIT
 * anchors.h: the team's anchors (docs/protocol-rest.md#rest-surface, Location): Wi-Fi access
 * points at known places, kept in the same table as the location fixtures' access points
 * (loc_wifi, with a non-empty anchor name), so a ground-fix request that names them is
 * answered ANCHOR (core/location.c). MACs are stored lower case with colons.
 */
#ifndef NCM_ANCHORS_H
#define NCM_ANCHORS_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* Uncertainty given to anchors made through the REST API (the API takes none). */
#define NCM_ANCHOR_UNC_M 5.0

/* Inserts or replaces the anchor mac (normalised). */
int ncm_store_anchor_put(struct ncm_db *db, const char *mac, double lat, double lon,
			 const char *name, int64_t now_ms, struct ncm_err_info *err);

/* {"macAddress","lat","lon","name","createdAt","updatedAt"} of anchor mac in *out (new
 * reference); NCM_ERR_NOT_FOUND when there is no such anchor. */
int ncm_store_anchor_get(struct ncm_db *db, const char *mac, json_t **out,
			 struct ncm_err_info *err);

/* NCM_ERR_NOT_FOUND when there is no such anchor. */
int ncm_store_anchor_delete(struct ncm_db *db, const char *mac, struct ncm_err_info *err);

/* Appends at most limit anchors with a MAC above after ("": all) to items, in MAC order. */
int ncm_store_anchor_list(struct ncm_db *db, const char *after, int limit, json_t *items,
			  struct ncm_err_info *err);

#endif
