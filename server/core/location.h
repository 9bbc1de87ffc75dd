/* SPDX-License-Identifier: MIT
 * location.h: ground fix (cellular and/or Wi-Fi) answers as nRF Cloud gives them (
 * docs/location.md#ground-fix): fixture positions for known cells, access points and anchors; for
 * unknown ones a deterministic position derived from their identifiers around a configurable
 * centre, so the same request gives the same answer on every machine. Pure: the caller passes
 * lookups into its fixture store.
 */
#ifndef NCM_LOCATION_H
#define NCM_LOCATION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct ncm_loc_pos {
	double lat, lon;  /* degrees */
	double unc;       /* metres (68% confidence unless hiConf) */
};

/* Lookups into the fixtures. Each returns 1 and fills *pos when the item is known, else 0.
 * wifi gets the MAC normalised to lower case "aa:bb:cc:dd:ee:ff" and fills name with the
 * anchor's name, or "" for a plain access point. */
struct ncm_loc_lookup {
	int (*cell)(void *ud, uint32_t mcc, uint32_t mnc, uint32_t tac, uint32_t eci,
		    struct ncm_loc_pos *pos);
	int (*wifi)(void *ud, const char *mac, struct ncm_loc_pos *pos, char *name,
		    size_t name_size);
	void *ud;
};

/* Where derived positions go: within radius_m of the centre. */
struct ncm_loc_config {
	double centre_lat, centre_lon;
	double radius_m;
};

/* Request options (query flags of REST, "config" of MQTT); defaults hi_conf 0, fallback 1. */
struct ncm_loc_flags {
	int hi_conf;
	int fallback;
};

enum ncm_loc_with {
	NCM_LOC_MCELL,
	NCM_LOC_SCELL,
	NCM_LOC_WIFI,
	NCM_LOC_ANCHOR,
};

/* "MCELL", "SCELL", "WIFI", "ANCHOR". */
const char *ncm_loc_with_name(enum ncm_loc_with with);

#define NCM_LOC_MAX_ANCHORS 8

struct ncm_loc_anchor {
	char mac[18];
	char name[64];
};

struct ncm_loc_result {
	struct ncm_loc_pos pos;  /* lat/lon rounded to 7 decimals (cm), unc to whole metres */
	enum ncm_loc_with with;
	size_t n_anchors;
	struct ncm_loc_anchor anchors[NCM_LOC_MAX_ANCHORS];
};

/* Fewest access points nRF Cloud positions with (LOCT ground-fix.spec.ts: fewer and no cells
 * is 422). */
#define NCM_LOC_WIFI_MIN_APS 2

/* Resolves a ground-fix body {"lte"|"ltecatm"|"nbiot":[cells], "wifi":{"accessPoints":[..]}}.
 * 0 on success. On failure *nrf_code is the nRF Cloud error code to answer (42200 for a body
 * that breaks the schema or has fewer than NCM_LOC_WIFI_MIN_APS access points and no cells)
 * and err says exactly what was wrong ("lte[0].eci: missing", ...). */
int ncm_loc_ground_fix(const json_t *body, const struct ncm_loc_flags *flags,
		       const struct ncm_loc_config *cfg, const struct ncm_loc_lookup *lookup,
		       struct ncm_loc_result *res, int *nrf_code, struct ncm_err_info *err);

/* A deterministic position for identifiers no fixture knows: key is a canonical string of them
 * ("cell:<mcc>:<mnc>:<tac>:<eci>", "wifi:<mac>,<mac>..."). Same key, same answer. */
void ncm_loc_derive(const char *key, const struct ncm_loc_config *cfg, struct ncm_loc_pos *pos);

/* Normalises a MAC ("AA:bb:CC:dd:EE:ff" or with '-') into out ("aa:bb:cc:dd:ee:ff", 18 bytes).
 * -1 when it is not a MAC. */
int ncm_loc_mac_normalise(const char *mac, char out[18]);

#endif
