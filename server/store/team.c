/* SPDX-License-Identifier: MIT
 * team.c: the team row and its API keys (see team.h).
 */
#include "team.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? s : "");
}

int ncm_store_team_get(struct ncm_db *db, struct ncm_team *team, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(team, 0, sizeof(*team));
	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "SELECT tenant_id, name, stage,"
			       " (SELECT key FROM api_keys ORDER BY created_ms, key LIMIT 1)"
			       " FROM team WHERE id = 1", -1, &st, NULL) != SQLITE_OK) {
		rc = ncm_db_fail(db, err, "reading team");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "store: no team");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = ncm_db_fail(db, err, "reading team");
		goto out;
	}
	copy_col(st, 0, team->tenant_id, sizeof(team->tenant_id));
	copy_col(st, 1, team->name, sizeof(team->name));
	copy_col(st, 2, team->stage, sizeof(team->stage));
	copy_col(st, 3, team->api_key, sizeof(team->api_key));
	rc = NCM_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int ncm_store_team_put(struct ncm_db *db, const struct ncm_team *team, int64_t now_ms,
		       struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO team (id, tenant_id, name, stage)"
			       " VALUES (1, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, team->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, team->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, team->stage, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (team->api_key[0]) {
		if (sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO api_keys (key, created_ms)"
				       " VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, team->api_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now_ms);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	return ncm_db_commit(db, err);
fail:
	rc = ncm_db_fail(db, err, "writing team");
	sqlite3_finalize(st);
	ncm_db_rollback(db);
	return rc;
}

int ncm_store_team_key_valid(struct ncm_db *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ncm_db_prepare(db, "SELECT 1 FROM api_keys WHERE key = ?", &st) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	ncm_db_finish(db, st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int ncm_team_prefix(const struct ncm_team *team, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s/", team->stage, team->tenant_id);

	return n < 0 || (size_t)n >= size ? NCM_ERR_TOO_BIG : NCM_OK;
}

void ncm_team_token_release(struct ncm_team_token *t)
{
	free(t->key_pem);
	free(t->token);
	memset(t, 0, sizeof(*t));
}

int ncm_store_team_token_get(struct ncm_db *db, const char *kind, struct ncm_team_token *out,
			     struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	const char *k, *tok;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ncm_db_prepare(db, "SELECT key_pem, token, created_ms, expires_ms FROM team_tokens"
			   " WHERE kind = ?", &st) != SQLITE_OK)
		return ncm_db_fail(db, err, "reading team token");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		tok = (const char *)sqlite3_column_text(st, 1);
		out->key_pem = k ? strdup(k) : NULL;
		out->token = strdup(tok ? tok : "");
		out->created_ms = sqlite3_column_int64(st, 2);
		out->expires_ms = sqlite3_column_int64(st, 3);
		rc = (!out->token || (k && !out->key_pem))
			     ? ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory")
			     : NCM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = ncm_err_set(err, NCM_ERR_NOT_FOUND, "the team has no %s token", kind);
	} else {
		rc = ncm_db_fail(db, err, "reading team token");
	}
	ncm_db_finish(db, st);
	if (rc)
		ncm_team_token_release(out);
	return rc;
}

int ncm_store_team_token_put(struct ncm_db *db, const char *kind,
			     const struct ncm_team_token *t, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc = NCM_OK;

	if (sqlite3_prepare_v2(ncm_db_handle(db),
			       "INSERT OR REPLACE INTO team_tokens"
			       " (kind, key_pem, token, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return ncm_db_fail(db, err, "writing team token");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->key_pem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->created_ms);
	sqlite3_bind_int64(st, 5, t->expires_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = ncm_db_fail(db, err, "writing team token");
	sqlite3_finalize(st);
	return rc;
}

/* Rotating the API key (the portal's Account page): the team's keys are replaced by new_key in
 * one transaction, so the old ones stop working at once. */
int ncm_store_team_key_rotate(struct ncm_db *db, const char *new_key, int64_t now_ms,
			      struct ncm_err_info *err)
{
	sqlite3 *h = ncm_db_handle(db);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	if (sqlite3_exec(h, "DELETE FROM api_keys", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "INSERT INTO api_keys (key, created_ms) VALUES (?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, new_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return ncm_db_commit(db, err);
fail:
	rc = ncm_db_fail(db, err, "rotating the API key");
	sqlite3_finalize(st);
	ncm_db_rollback(db);
	return rc;
}
