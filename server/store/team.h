/* SPDX-License-Identifier: MIT
 * team.h: the one team of this instance (design.md §2): tenant ID, name, stage and API keys.
 * Any thread, with that thread's connection.
 */
#ifndef NCM_TEAM_H
#define NCM_TEAM_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define NCM_TEAM_KEY_MAX 128

struct ncm_team {
	char tenant_id[64];
	char name[128];
	char stage[16];
	char api_key[NCM_TEAM_KEY_MAX]; /* the oldest API key */
};

/* NCM_ERR_NOT_FOUND while no team was stored. */
int ncm_store_team_get(struct ncm_db *db, struct ncm_team *team, struct ncm_err_info *err);

/* Stores the team (replacing tenant, name and stage) and adds team->api_key to its keys. */
int ncm_store_team_put(struct ncm_db *db, const struct ncm_team *team, int64_t now_ms,
		       struct ncm_err_info *err);

/* 1 when key is one of the team's API keys, 0 when not, negative on a store failure. */
int ncm_store_team_key_valid(struct ncm_db *db, const char *key);

/* "<stage>/<tenantId>/" into buf: the MQTT topic prefix (spec/mqtt.md §2.1). */
int ncm_team_prefix(const struct ncm_team *team, char *buf, size_t size);

#endif
