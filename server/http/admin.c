/* SPDX-License-Identifier: MIT
 * admin.c: the admin API on the plain-HTTP admin listener (design.md §5): /health, the lab CA
 * certificate, devices and the journal. With --admin-token set, /mock/v1 requires
 * "Authorization: Bearer <token>"; /health never does, so container health checks work.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cmdq.h"
#include "devices.h"
#include "devid.h"
#include "file.h"
#include "journal.h"
#include "log.h"
#include "pki.h"
#include "request.h"
#include "runtime.h"

#define DEVICE_BODY_MAX (64 * 1024)

/* 1 when the request may use /mock/v1; otherwise it has been answered. */
static int authorized(struct ncm_req *req, enum MHD_Result *ret)
{
	const char *want = ncm_rt()->cfg.admin_token;
	const char *auth = ncm_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n = strlen(want);

	if (!want[0])
		return 1;
	if (auth && !strncasecmp(auth, "Bearer ", 7) && strlen(auth + 7) == n &&
	    CRYPTO_memcmp(auth + 7, want, n) == 0)
		return 1;
	*ret = ncm_reply_error(req, MHD_HTTP_UNAUTHORIZED, 40100,
			       auth ? "admin token does not match --admin-token"
				    : "admin API needs \"Authorization: Bearer <admin token>\"");
	return 0;
}

#define REQUIRE_ADMIN(req)                              \
	do {                                            \
		enum MHD_Result r_;                     \
		if (!authorized(req, &r_))              \
			return r_;                      \
	} while (0)

static enum MHD_Result get_health(struct ncm_req *req)
{
	int mqtt = ncm_rt_broker_ready(), https = ncm_rt_https_port() > 0;

	return ncm_reply_json(req, mqtt && https ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			      json_pack("{s:s,s:b,s:b,s:s}", "status",
					mqtt && https ? "ok" : "starting", "mqtt", mqtt, "https",
					https, "version", NCM_VERSION));
}

static enum MHD_Result get_ca_pem(struct ncm_req *req)
{
	char path[PATH_MAX];
	char *pem = NULL;
	enum MHD_Result ret;

	ncm_ca_path(ncm_rt()->cfg.data_dir, "ca.pem", path, sizeof(path));
	if (ncm_file_read(path, NCM_CA_MAX_PEM, &pem, NULL, NULL))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "cannot read the lab CA certificate");
	ret = ncm_reply_text(req, MHD_HTTP_OK, "application/x-pem-file", pem);
	free(pem);
	return ret;
}

static json_t *device_json(const struct ncm_device *d)
{
	json_t *o, *tags = json_loads(d->tags_json ? d->tags_json : "[]", 0, NULL);

	o = json_pack("{s:s,s:s,s:o,s:s?,s:s?,s:s?,s:s?,s:s,s:I,s:I,s:I}", "id", d->id, "name",
		      d->name ? d->name : d->id, "tags", tags ? tags : json_array(), "subType",
		      d->sub_type, "certificate", d->cert_pem, "fingerprint",
		      d->fingerprint[0] ? d->fingerprint : NULL, "publicKey", d->pubkey_pem,
		      "onboardedBy", d->onboarded_by, "createdAt", (json_int_t)d->created_ms,
		      "lastConnectAt", (json_int_t)d->last_connect_ms, "lastDisconnectAt",
		      (json_int_t)d->last_disconnect_ms);
	return o;
}

static int list_cb(const struct ncm_device *d, void *userdata)
{
	return json_array_append_new(userdata, device_json(d)) ? NCM_ERR_NOMEM : NCM_OK;
}

static enum MHD_Result get_devices(struct ncm_req *req)
{
	struct ncm_err_info err;
	json_t *items = json_array();

	REQUIRE_ADMIN(req);
	if (ncm_store_device_foreach(ncm_rt_db(), list_cb, items, &err)) {
		json_decref(items);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	return ncm_reply_json(req, MHD_HTTP_OK,
			      json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items),
					"items", items));
}

static enum MHD_Result get_device(struct ncm_req *req)
{
	struct ncm_err_info err;
	struct ncm_device d;
	int rc;

	REQUIRE_ADMIN(req);
	rc = ncm_store_device_get(ncm_rt_db(), req->params[0], &d, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	json_t *o = device_json(&d);

	ncm_device_release(&d);
	return ncm_reply_json(req, MHD_HTTP_OK, o);
}

/* Takes the optional certificate of a POST body: checks it names the device, and makes sure
 * the MQTT listener will trust it (its CA given as caCertificate, the lab CA, or itself when
 * self-signed). Fills d->cert_pem and d->fingerprint. */
static int take_certificate(struct ncm_device *d, const char *pem, const char *ca_pem,
			    json_t *warnings, struct ncm_err_info *err)
{
	const struct ncm_runtime *rt = ncm_rt();
	char cn[NCM_DEVID_MAX + 2];
	X509 *cert = NULL, *ca = NULL;
	int rc;

	rc = ncm_pki_cert_from_pem(pem, strlen(pem), &cert, err);
	if (rc)
		goto out;
	if (ncm_pki_cert_cn(cert, cn, sizeof(cn)) || strcmp(cn, d->id)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "certificate CN must be the device ID '%s' (MQTT requires client "
				 "ID = CN)", d->id);
		goto out;
	}
	if (ca_pem) {
		rc = ncm_pki_cert_from_pem(ca_pem, strlen(ca_pem), &ca, err);
		if (rc)
			goto out;
		if (!ncm_pki_cert_issued_by(cert, ca)) {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "certificate is not signed by caCertificate");
			goto out;
		}
		rc = ncm_ca_trust_add(rt->cfg.data_dir, ca, err);
	} else if (ncm_pki_cert_issued_by(cert, cert)) {
		/* a self-signed certificate is its own trust anchor (spec/platform.md) */
		rc = ncm_ca_trust_add(rt->cfg.data_dir, cert, err);
	} else if (!ncm_pki_cert_issued_by(cert, rt->ca.cert)) {
		json_array_append_new(warnings,
				      json_string("certificate is not from the lab CA and no "
						  "caCertificate was given: the MQTT listener "
						  "will not trust it"));
	}
	if (rc)
		goto out;
	rc = ncm_pki_cert_to_pem(cert, &d->cert_pem);
	if (!rc)
		rc = ncm_pki_cert_fingerprint(cert, d->fingerprint);
out:
	X509_free(ca);
	X509_free(cert);
	return rc;
}

static enum MHD_Result post_devices(struct ncm_req *req)
{
	struct ncm_device d = { 0 };
	struct ncm_err_info err = { 0 };
	json_error_t jerr;
	json_t *body = NULL, *v, *out = NULL, *warnings = json_array();
	const char *id, *cert_pem = NULL, *ca_pem = NULL;
	char *key_pem = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	enum MHD_Result ret;
	int rc, status = MHD_HTTP_BAD_REQUEST;

	REQUIRE_ADMIN(req);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		rc = ncm_err_set(&err, NCM_ERR_INVAL, "body must be a JSON object: %s",
				 body ? "got another JSON type" : jerr.text);
		goto out;
	}
	id = json_string_value(json_object_get(body, "id"));
	if (ncm_devid_check(id, &err))
		goto out;
	snprintf(d.id, sizeof(d.id), "%s", id);
	v = json_object_get(body, "certificate");
	if (v && !json_is_string(v)) {
		ncm_err_set(&err, NCM_ERR_INVAL, "\"certificate\" must be a PEM string");
		goto out;
	}
	cert_pem = json_string_value(v);
	v = json_object_get(body, "caCertificate");
	if (v && (!json_is_string(v) || !cert_pem)) {
		ncm_err_set(&err, NCM_ERR_INVAL,
			    "\"caCertificate\" must be a PEM string and needs \"certificate\"");
		goto out;
	}
	ca_pem = json_string_value(v);
	v = json_object_get(body, "name");
	if (json_is_string(v))
		d.name = strdup(json_string_value(v));
	v = json_object_get(body, "subType");
	if (json_is_string(v))
		d.sub_type = strdup(json_string_value(v));
	v = json_object_get(body, "tags");
	if (v && !json_is_array(v)) {
		ncm_err_set(&err, NCM_ERR_INVAL, "\"tags\" must be an array of strings");
		goto out;
	}
	d.tags_json = v ? json_dumps(v, JSON_COMPACT) : strdup("[]");
	if (cert_pem) {
		if (take_certificate(&d, cert_pem, ca_pem, warnings, &err))
			goto out;
	} else {
		if (ncm_ca_issue_device(&ncm_rt()->ca, d.id, ncm_rt_now_ms() / 1000, &cert, &key,
					&err) ||
		    ncm_pki_cert_to_pem(cert, &d.cert_pem) ||
		    ncm_pki_cert_fingerprint(cert, d.fingerprint) ||
		    ncm_pki_key_to_pem(key, &key_pem)) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			if (!err.msg[0])
				ncm_err_set(&err, NCM_ERR_CRYPTO, "cannot issue a certificate");
			goto out;
		}
	}
	snprintf(d.onboarded_by, sizeof(d.onboarded_by), "admin");
	d.created_ms = ncm_rt_now_ms();
	rc = ncm_store_device_insert(ncm_rt_db(), &d, &err);
	if (rc) {
		status = rc == NCM_ERR_CONFLICT ? MHD_HTTP_CONFLICT : MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto out;
	}
	ncm_log(NCM_LOG_NOTICE, "admin: added device %s", d.id);
	out = device_json(&d);
	if (key_pem) {
		json_object_set_new(out, "privateKey", json_string(key_pem));
		json_object_set_new(out, "caCertificate", json_string(NULL));
	}
	if (json_array_size(warnings))
		json_object_set(out, "warnings", warnings);
	status = MHD_HTTP_CREATED;
out:
	if (status == MHD_HTTP_CREATED) {
		if (key_pem) {
			char *ca = NULL;

			ncm_pki_cert_to_pem(ncm_rt()->ca.cert, &ca);
			json_object_set_new(out, "caCertificate", json_string(ca ? ca : ""));
			free(ca);
		}
		ret = ncm_reply_json(req, (unsigned int)status, out);
	} else {
		ncm_log(NCM_LOG_NOTICE, "admin: device not added: %s", err.msg);
		ret = ncm_reply_error(req, (unsigned int)status, status == 409 ? 40900 : 40000,
				      "%s", err.msg);
	}
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_device_release(&d);
	json_decref(warnings);
	json_decref(body);
	return ret;
}

static void kick_done(struct ncm_cmd *cmd, void *userdata)
{
	(void)cmd;
	ncm_req_resume(userdata);
}

static enum MHD_Result delete_device_resumed(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_OK,
			      json_pack("{s:s,s:b}", "id", req->params[0], "deleted", 1));
}

/* Deletes the device, then has the broker thread disconnect it before answering, so that a
 * test that sees the answer can rely on the device being gone. */
static enum MHD_Result delete_device(struct ncm_req *req)
{
	struct ncm_err_info err;
	struct ncm_cmd *cmd;
	int rc;

	REQUIRE_ADMIN(req);
	rc = ncm_store_device_delete(ncm_rt_db(), req->params[0], ncm_rt_now_ms(), &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40414, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	ncm_log(NCM_LOG_NOTICE, "admin: deleted device %s", req->params[0]);
	cmd = ncm_cmd_new(NCM_CMD_KICK, req->params[0], "device deleted through the admin API");
	if (!cmd)
		return MHD_NO;
	cmd->done = kick_done;
	cmd->userdata = req;
	ncm_req_suspend(req, delete_device_resumed);
	ncm_cmdq_push(cmd);
	return MHD_YES;
}

struct publish_async {
	int result;
};

static void publish_done(struct ncm_cmd *cmd, void *userdata)
{
	struct ncm_req *req = userdata;

	((struct publish_async *)req->async)->result = cmd->result;
	ncm_req_resume(req);
}

static enum MHD_Result publish_resumed(struct ncm_req *req)
{
	int result = ((struct publish_async *)req->async)->result;

	if (result)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "broker refused the publish (%d)", result);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b}", "published", 1));
}

/* Publishes as the cloud would (to whoever subscribed, through the ACL), for tests that play the
 * cloud side: {"topic":..., "payload": string or any JSON value, "qos": 0|1}. */
static enum MHD_Result post_publish(struct ncm_req *req)
{
	json_error_t jerr;
	json_t *body, *payload;
	const char *topic;
	struct ncm_cmd *cmd = NULL;
	char *text = NULL;
	json_int_t qos;

	REQUIRE_ADMIN(req);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	topic = json_string_value(json_object_get(body, "topic"));
	payload = json_object_get(body, "payload");
	qos = json_integer_value(json_object_get(body, "qos"));
	if (!topic || !*topic || strpbrk(topic, "+#") || !payload || qos < 0 || qos > 1) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"topic\": name without wildcards, "
				       "\"payload\": string or JSON, \"qos\": 0 or 1}");
	}
	text = json_is_string(payload) ? strdup(json_string_value(payload))
				       : json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	cmd = ncm_cmd_new(NCM_CMD_PUBLISH, NULL, topic);
	req->async = calloc(1, sizeof(struct publish_async));
	req->async_free = free;
	json_decref(body);
	if (!text || !cmd || !req->async) {
		free(text);
		ncm_cmd_free(cmd);
		return MHD_NO;
	}
	cmd->payload = text;
	cmd->payload_len = strlen(text);
	cmd->qos = (int)qos;
	cmd->done = publish_done;
	cmd->userdata = req;
	ncm_req_suspend(req, publish_resumed);
	ncm_cmdq_push(cmd);
	return MHD_YES;
}

static int journal_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s?,s:s?,s:i,s:s?}", "seq", (json_int_t)rec->seq,
			      "ts", (json_int_t)rec->ts_ms, "kind", rec->kind, "device",
			      rec->device, "topic", rec->topic, "status", rec->status, "reason",
			      rec->reason);

	if (!o)
		return NCM_ERR_NOMEM;
	if (rec->payload && !rec->binary)
		json_object_set_new(o, "payload",
				    json_stringn_nocheck(rec->payload, rec->payload_len));
	return json_array_append_new(userdata, o) ? NCM_ERR_NOMEM : NCM_OK;
}

static enum MHD_Result get_journal(struct ncm_req *req)
{
	struct ncm_journal_filter f = { 0 };
	struct ncm_err_info err;
	const char *s;
	json_t *items = json_array();

	REQUIRE_ADMIN(req);
	f.kind = ncm_req_query(req, "kind");
	f.device = ncm_req_query(req, "device");
	s = ncm_req_query(req, "after");
	f.after_seq = s ? strtoll(s, NULL, 10) : 0;
	s = ncm_req_query(req, "limit");
	f.limit = s ? atoi(s) : 0;
	if (ncm_store_journal_foreach(ncm_rt_db(), &f, journal_cb, items, &err)) {
		json_decref(items);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
}

const struct ncm_route ncm_admin_routes[] = {
	{ "GET", "/health", get_health, 0 },
	{ "GET", "/mock/v1/ca.pem", get_ca_pem, 0 },
	{ "GET", "/mock/v1/devices", get_devices, 0 },
	{ "POST", "/mock/v1/devices", post_devices, DEVICE_BODY_MAX },
	{ "GET", "/mock/v1/devices/{id}", get_device, 0 },
	{ "DELETE", "/mock/v1/devices/{id}", delete_device, 0 },
	{ "GET", "/mock/v1/journal", get_journal, 0 },
	{ "POST", "/mock/v1/publish", post_publish, 256 * 1024 },
};
const size_t ncm_admin_routes_count = sizeof(ncm_admin_routes) / sizeof(ncm_admin_routes[0]);
