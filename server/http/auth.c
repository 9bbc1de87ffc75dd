/* SPDX-License-Identifier: MIT
 * auth.c: "Authorization: Bearer <token>" for the REST API (docs/protocol-rest.md#authentication, docs/protocol-rest.md#compatibility-checklist item 2). A token
 * without dots is an API key. A JWT is the evaluation token when it is the one we issued; a
 * service-key JWT when its aud is the team ID (it must verify with the team's service key);
 * otherwise a device JWT: device ID from sub, else from iss after the first '.', ES256 against
 * the device's registered public key or its certificate's key, exp and iat checked with the
 * configured skew. Every refusal names its exact reason (code 40100) and is journaled. A device
 * JWT that verified before is not verified again while its device and key stay the same and
 * its time claims still hold (tokcache.h); any other token takes the whole check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "devices.h"
#include "jwt.h"
#include "keycache.h"
#include "log.h"
#include "pki.h"
#include "runtime.h"
#include "team.h"
#include "tokcache.h"

const char *ncm_auth_scheme_name(unsigned s)
{
	switch (s) {
	case NCM_AUTH_API_KEY: return "API key";
	case NCM_AUTH_DEVICE_JWT: return "device JWT";
	case NCM_AUTH_SERVICE_JWT: return "service-key JWT";
	case NCM_AUTH_EVAL_TOKEN: return "evaluation token";
	}
	return "credential";
}

static int refuse(struct ncm_req *req, enum MHD_Result *ret, unsigned status, const char *device,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int refuse(struct ncm_req *req, enum MHD_Result *ret, unsigned status, const char *device,
		  const char *fmt, ...)
{
	struct ncm_journal_rec rec = { 0 };
	char msg[512], what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(what, sizeof(what), "%s %s", req->method, req->url);
	rec.kind = "http.auth_refused";
	rec.device = device;
	rec.topic = what;
	rec.status = (int)status;
	rec.reason = msg;
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_NOTICE, "auth: %s refused (%u): %s", what, status, msg);
	*ret = ncm_reply_error(req, status, 40100, "%s", msg);
	return 0;
}

EVP_PKEY *ncm_auth_service_key(void)
{
	struct ncm_team_token t;
	EVP_PKEY *key = NULL;

	if (ncm_store_team_token_get(ncm_rt_db(), NCM_TOKEN_SERVICE, &t, NULL))
		return NULL;
	if (t.key_pem)
		ncm_pki_key_from_pem(t.key_pem, strlen(t.key_pem), &key, NULL);
	ncm_team_token_release(&t);
	return key;
}

/* 1 when token is the team's unexpired evaluation token; -1 when it is the team's but expired. */
static int is_eval_token(const char *token, size_t len)
{
	struct ncm_team_token t;
	int rc = 0;

	if (ncm_store_team_token_get(ncm_rt_db(), NCM_TOKEN_EVALUATION, &t, NULL))
		return 0;
	if (strlen(t.token) == len && CRYPTO_memcmp(t.token, token, len) == 0)
		rc = t.expires_ms && t.expires_ms < ncm_rt_now_ms() ? -1 : 1;
	ncm_team_token_release(&t);
	return rc;
}

/* 1 when the token with hash th verified before for a device that still exists with the same
 * key material, and its time claims still hold; fills req->auth.device_id then. Otherwise the
 * token is forgotten and 0 (the caller checks it in full, refusing it as it did before). */
static int known_device_jwt(struct ncm_req *req, const unsigned char *th)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_tokcache_hit hit;
	struct ncm_device dev = { 0 };
	unsigned char kh[NCM_TOKCACHE_HASH];
	int ok = 0;

	if (!ncm_tokcache_find(th, &hit))
		return 0;
	if (!ncm_store_device_get(ncm_rt_db(), hit.device_id, &dev, NULL)) {
		ncm_tokcache_key_hash(&dev, kh);
		ok = !CRYPTO_memcmp(kh, hit.key_hash, sizeof(kh)) &&
		     !ncm_jwt_check_time(&hit.times, (time_t)(ncm_rt_now_ms() / 1000),
					 rt->cfg.jwt_skew, NULL);
		if (ok)
			snprintf(req->auth.device_id, sizeof(req->auth.device_id), "%s", dev.id);
	}
	ncm_device_release(&dev);
	if (!ok)
		ncm_tokcache_drop(th);
	return ok;
}

/* Classifies and checks a JWT; fills *scheme and req->auth.device_id, or refuses. */
static int check_jwt(struct ncm_req *req, const char *token, size_t len, unsigned *scheme,
		     enum MHD_Result *ret)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_err_info err = { 0 };
	struct ncm_device dev = { 0 };
	struct ncm_jwt jwt = { 0 };
	char idbuf[136];
	const char *id;
	EVP_PKEY *key = NULL;
	unsigned char th[NCM_TOKCACHE_HASH];
	int ok = 0, e;

	/* first: a device JWT (signed by the device's key) is never the team's evaluation token
	 * (issued by this server), and the store need not be asked */
	ncm_tokcache_hash(token, len, th);
	if (known_device_jwt(req, th)) {
		*scheme = NCM_AUTH_DEVICE_JWT;
		return 1;
	}
	e = is_eval_token(token, len);
	if (e < 0)
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL, "evaluation token expired");
	if (e > 0) {
		*scheme = NCM_AUTH_EVAL_TOKEN;
		return 1;
	}
	if (ncm_jwt_parse(token, len, &jwt, &err))
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL, "%s", err.msg);
	if (jwt.aud && !strcmp(jwt.aud, rt->team.tenant_id)) {
		key = ncm_auth_service_key();
		if (!key) {
			refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
			       "JWT aud is the team, but the team has no service key");
			goto out;
		}
		if (ncm_jwt_verify_signature(&jwt, key, &err) ||
		    ncm_jwt_check_time(&jwt, (time_t)(ncm_rt_now_ms() / 1000), rt->cfg.jwt_skew,
				       &err)) {
			refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL, "service-key %s", err.msg);
			goto out;
		}
		*scheme = NCM_AUTH_SERVICE_JWT;
		snprintf(req->auth.device_id, sizeof(req->auth.device_id), "%s",
			 jwt.sub ? jwt.sub : "");
		ok = 1;
		goto out;
	}
	id = ncm_jwt_device_id(&jwt, idbuf, sizeof(idbuf));
	if (!id) {
		refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
		       "JWT names no device: no sub, and no '.' in iss");
		goto out;
	}
	if (ncm_store_device_get(ncm_rt_db(), id, &dev, &err)) {
		refuse(req, ret, MHD_HTTP_UNAUTHORIZED, id, "unknown device %s", id);
		goto out;
	}
	key = ncm_keycache_device_key(&dev);
	if (!key) {
		refuse(req, ret, MHD_HTTP_UNAUTHORIZED, dev.id, "no key registered for device %s",
		       dev.id);
		goto out;
	}
	e = ncm_jwt_verify_signature(&jwt, key, &err);
	if (e || ncm_jwt_check_time(&jwt, (time_t)(ncm_rt_now_ms() / 1000), rt->cfg.jwt_skew,
				    &err)) {
		refuse(req, ret, MHD_HTTP_UNAUTHORIZED, dev.id, "%s (device %s)", err.msg, dev.id);
		goto out;
	}
	*scheme = NCM_AUTH_DEVICE_JWT;
	snprintf(req->auth.device_id, sizeof(req->auth.device_id), "%s", dev.id);
	ncm_tokcache_add(th, &dev, &jwt);
	ok = 1;
out:
	EVP_PKEY_free(key);
	ncm_device_release(&dev);
	ncm_jwt_release(&jwt);
	return ok;
}

int ncm_auth_check(struct ncm_req *req, enum MHD_Result *ret)
{
	const char *hdr = ncm_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *token;
	unsigned scheme = 0, allowed = req->route->auth;
	size_t len;
	int valid;

	memset(&req->auth, 0, sizeof(req->auth));
	if (!hdr)
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
			      "missing \"Authorization: Bearer <token>\" header");
	if (strncasecmp(hdr, "Bearer ", 7))
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
			      "Authorization header must be \"Bearer <token>\"");
	token = hdr + 7;
	while (*token == ' ')
		token++;
	len = strlen(token);
	while (len && token[len - 1] == ' ')
		len--;
	if (!len)
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL, "empty bearer token");
	if (len > NCM_JWT_MAX_LEN)
		return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
			      "bearer token longer than %d bytes", NCM_JWT_MAX_LEN);
	if (!memchr(token, '.', len)) {
		char *key = strndup(token, len);

		valid = key ? ncm_store_team_key_valid(ncm_rt_db(), key) : -1;
		free(key);
		if (valid != 1)
			return refuse(req, ret, MHD_HTTP_UNAUTHORIZED, NULL,
				      valid < 0 ? "cannot check the API key" : "invalid API key");
		scheme = NCM_AUTH_API_KEY;
	} else if (!check_jwt(req, token, len, &scheme, ret)) {
		return 0;
	}
	req->auth.scheme = scheme;
	if (!(allowed & scheme))
		return refuse(req, ret, MHD_HTTP_FORBIDDEN,
			      req->auth.device_id[0] ? req->auth.device_id : NULL,
			      "%s not accepted by %s %s", ncm_auth_scheme_name(scheme), req->method,
			      req->route->pattern);
	if (scheme == NCM_AUTH_DEVICE_JWT && req->route->device_param > 0 &&
	    (size_t)req->route->device_param <= req->n_params &&
	    strcasecmp(req->params[req->route->device_param - 1], req->auth.device_id))
		return refuse(req, ret, MHD_HTTP_FORBIDDEN, req->auth.device_id,
			      "JWT of device %s may not access device %s", req->auth.device_id,
			      req->params[req->route->device_param - 1]);
	return 1;
}
