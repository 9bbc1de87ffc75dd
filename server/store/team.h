/* SPDX-License-Identifier: MIT
 * team.h: the one team of this instance (docs/architecture.md#identity-and-the-lab-ca): tenant ID, name, stage and API keys.
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
/* Replaces every API key of the team with new_key (see team.c). */
int ncm_store_team_key_rotate(struct ncm_db *db, const char *new_key, int64_t now_ms,
			      struct ncm_err_info *err);

/* "<stage>/<tenantId>/" into buf: the MQTT topic prefix (docs/protocol-mqtt.md#topic-prefix). */
int ncm_team_prefix(const struct ncm_team *team, char *buf, size_t size);


/* The team's service key and token, and its evaluation token (docs/protocol-rest.md#service-keys-and-evaluation-tokens). */
struct ncm_team_token {
	char *key_pem;      /* service private key; NULL for the evaluation token */
	char *token;
	int64_t created_ms;
	int64_t expires_ms; /* 0: none */
};

#define NCM_TOKEN_SERVICE "service"
#define NCM_TOKEN_EVALUATION "evaluation"

/* NCM_ERR_NOT_FOUND when the team has none of that kind. Release with ncm_team_token_release. */
int ncm_store_team_token_get(struct ncm_db *db, const char *kind, struct ncm_team_token *out,
			     struct ncm_err_info *err);
/* Stores (replacing) the kind's key and token. */
int ncm_store_team_token_put(struct ncm_db *db, const char *kind,
			     const struct ncm_team_token *t, struct ncm_err_info *err);
void ncm_team_token_release(struct ncm_team_token *t);

#endif
