/* SPDX-License-Identifier: MIT
 * admin_devices.c: /mock/v1/devices: list, read, add (with a certificate, or one the lab CA
 * issues) and delete (which also disconnects the device before answering).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "ca.h"
#include "cmdq.h"
#include "devices.h"
#include "devid.h"
#include "log.h"
#include "pki.h"
#include "runtime.h"
#include "shadows.h"
#include "jsontext.h"

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

enum MHD_Result ncm_admin_devices_get(struct ncm_req *req)
{
	struct ncm_err_info err;
	json_t *items = json_array();

	NCM_REQUIRE_ADMIN(req);
	/* the connect times written behind (connstate.h) first */
	ncm_store_shadow_sync(ncm_rt_db(), NULL);
	if (ncm_store_device_foreach(ncm_rt_db(), list_cb, items, &err)) {
		json_decref(items);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	return ncm_reply_json(req, MHD_HTTP_OK,
			      json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items),
					"items", items));
}

enum MHD_Result ncm_admin_device_get(struct ncm_req *req)
{
	struct ncm_err_info err;
	struct ncm_device d;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	ncm_store_shadow_sync(ncm_rt_db(), NULL);
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
		/* a self-signed certificate is its own trust anchor (docs/architecture.md#trusting-new-device-cas) */
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

enum MHD_Result ncm_admin_devices_post(struct ncm_req *req)
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

	NCM_REQUIRE_ADMIN(req);
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
	d.tags_json = v ? ncm_json_dumps(v, JSON_COMPACT) : strdup("[]");
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
enum MHD_Result ncm_admin_device_delete(struct ncm_req *req)
{
	struct ncm_err_info err;
	struct ncm_cmd *cmd;
	int rc;

	NCM_REQUIRE_ADMIN(req);
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

