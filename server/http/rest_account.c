/* SPDX-License-Identifier: MIT
 * rest_account.c: /v1/account and its tokens, and /v1/status (docs/protocol-rest.md#service-keys-and-evaluation-tokens, docs/protocol-rest.md#account): the
 * account info tools read the team ID and MQTT settings from, the team's service key with its
 * token (the key signs the proxy JWTs that Location Services accept), and the evaluation token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "jwt.h"
#include "log.h"
#include "pki.h"
#include "rest_common.h"
#include "runtime.h"
#include "team.h"

#define YEAR_MS (365LL * 24 * 3600 * 1000)
#define EVAL_MS (30LL * 24 * 3600 * 1000)

enum MHD_Result ncm_rest_account_get(struct ncm_req *req)
{
	const struct ncm_runtime *rt = ncm_rt();
	json_t *keys = json_array();
	EVP_PKEY *key = ncm_auth_service_key();
	char *pub = NULL;

	if (key && !ncm_pki_pubkey_to_pem(key, &pub))
		json_array_append_new(keys, json_string(pub));
	free(pub);
	EVP_PKEY_free(key);
	/* the shape of SPEC AccountInfoArgs; the mock's own MQTT host and prefix */
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:s,s:[],s:{s:s,s:o,s:{},s:[],s:i}}",
			  "mqttEndpoint", rt->cfg.mqtt_host, "mqttTopicPrefix", rt->prefix, "team",
			  "tenantId", rt->team.tenant_id, "name", rt->team.name, "role", "owner",
			  "userId", rt->team.tenant_id, "tags", "plan", "name", "PRO",
			  "serviceKeys", keys, "proxyUsageDeclarations", "currentMonthCosts",
			  "currentMonthTotalCost", 0));
}

/* Makes a P-256 service key and a one-year token {"aud":<team>} signed with it (UTILS
 * create_proxy_jwt.py builds the same shape); replaces the previous key, so older tokens stop
 * verifying, as nRF Cloud does. */
enum MHD_Result ncm_rest_service_key_post(struct ncm_req *req)
{
	struct ncm_team_token t = { 0 };
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = NULL;
	json_t *claims = NULL;
	enum MHD_Result ret;
	int64_t now = ncm_rt_now_ms();

	if (ncm_pki_key_new(&key, &err) || ncm_pki_key_to_pem(key, &t.key_pem)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				      "cannot make a key: %s", err.msg);
		goto out;
	}
	claims = json_pack("{s:s,s:I,s:I}", "aud", ncm_rt()->team.tenant_id, "iat",
			   (json_int_t)(now / 1000), "exp", (json_int_t)((now + YEAR_MS) / 1000));
	if (ncm_jwt_sign_es256(claims, key, &t.token, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	t.created_ms = now;
	t.expires_ms = now + YEAR_MS;
	if (ncm_store_team_token_put(ncm_rt_db(), NCM_TOKEN_SERVICE, &t, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	ncm_log(NCM_LOG_NOTICE, "account: new service key; older service tokens no longer verify");
	ret = ncm_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:s,s:s}", "key", t.key_pem, "token", t.token));
out:
	json_decref(claims);
	EVP_PKEY_free(key);
	ncm_team_token_release(&t);
	return ret;
}

static enum MHD_Result token_reply(struct ncm_req *req, const char *kind, const char *time_key,
				   int expires)
{
	struct ncm_team_token t;
	struct ncm_err_info err = { 0 };
	char when[40];
	enum MHD_Result ret;
	int rc = ncm_store_team_token_get(ncm_rt_db(), kind, &t, &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	ncm_rt_iso8601(expires ? t.expires_ms : t.created_ms, when, sizeof(when));
	ret = ncm_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:s,s:s}", time_key, when, "token", t.token));
	ncm_team_token_release(&t);
	return ret;
}

enum MHD_Result ncm_rest_service_token_get(struct ncm_req *req)
{
	return token_reply(req, NCM_TOKEN_SERVICE, "createdAt", 0);
}

enum MHD_Result ncm_rest_eval_token_get(struct ncm_req *req)
{
	return token_reply(req, NCM_TOKEN_EVALUATION, "expires", 1);
}

/* One active evaluation token per team, valid 30 days (DOCS TokensAndKeys): a second POST while
 * it is valid returns the same token. It is a JWT signed by a key only the mock holds. */
enum MHD_Result ncm_rest_eval_token_post(struct ncm_req *req)
{
	struct ncm_team_token t = { 0 };
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = NULL;
	json_t *claims = NULL;
	enum MHD_Result ret;
	int64_t now = ncm_rt_now_ms();

	if (!ncm_store_team_token_get(ncm_rt_db(), NCM_TOKEN_EVALUATION, &t, NULL) &&
	    t.expires_ms > now) {
		ncm_team_token_release(&t);
		return ncm_rest_eval_token_get(req);
	}
	ncm_team_token_release(&t);
	claims = json_pack("{s:s,s:s,s:I,s:I}", "iss", "nrfcloud-mock", "sub",
			   ncm_rt()->team.tenant_id, "iat", (json_int_t)(now / 1000), "exp",
			   (json_int_t)((now + EVAL_MS) / 1000));
	if (ncm_pki_key_new(&key, &err) || ncm_jwt_sign_es256(claims, key, &t.token, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	t.created_ms = now;
	t.expires_ms = now + EVAL_MS;
	if (ncm_store_team_token_put(ncm_rt_db(), NCM_TOKEN_EVALUATION, &t, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	ret = ncm_rest_eval_token_get(req);
out:
	json_decref(claims);
	EVP_PKEY_free(key);
	ncm_team_token_release(&t);
	return ret;
}

enum MHD_Result ncm_rest_status_get(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_OK,
			      json_pack("{s:s,s:s,s:b}", "status", "OK", "version", NCM_VERSION,
					"mqtt", ncm_rt_broker_ready()));
}
