/* SPDX-License-Identifier: MIT
 * rest_account_device.c: the team's account device (docs/protocol-rest.md#onboarding, the account device): a
 * team-level MQTT client "account-<tenantId>" that cloud-side applications use to see every
 * device's messages. POST /v1/devices/account returns {clientCert, privateKey} issued by the
 * lab CA (a new pair each time; the old certificate stops working); DELETE removes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "devices.h"
#include "log.h"
#include "pki.h"
#include "rest_common.h"
#include "runtime.h"

static void account_id(char *buf, size_t size)
{
	snprintf(buf, size, "account-%s", ncm_rt()->team.tenant_id);
}

/* 200 under the older name; 201 as CreateTeamDevice and RotateTeamDeviceCertificate
 * (MqttTeamDevicesApi.md of NauEngineering/python_nRF_cloud_client). */
static enum MHD_Result account_ready(struct ncm_req *req)
{
	int team = req->route && !strncmp(req->route->pattern, "/v1/devices/mqtt-team", 21);
	enum MHD_Result ret = ncm_reply_json(req, team ? MHD_HTTP_CREATED : MHD_HTTP_OK,
					     json_incref(req->result));

	return ret;
}

enum MHD_Result ncm_rest_account_device_post(struct ncm_req *req)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 }, old;
	struct ncm_outbox none = { 0 };
	char id[NCM_DEVID_MAX + 1], fp[NCM_PKI_FP_LEN + 1];
	char *cert_pem = NULL, *key_pem = NULL, *ca_pem = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	enum MHD_Result ret;
	int rc, existed;

	account_id(id, sizeof(id));
	if (ncm_ca_issue_device(&rt->ca, id, (time_t)(ncm_rt_now_ms() / 1000), &cert, &key, &err) ||
	    ncm_pki_cert_to_pem(cert, &cert_pem) || ncm_pki_key_to_pem(key, &key_pem) ||
	    ncm_pki_cert_to_pem(rt->ca.cert, &ca_pem) || ncm_pki_cert_fingerprint(cert, fp)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				      "cannot issue the account device certificate: %s", err.msg);
		goto out;
	}
	existed = ncm_store_device_get(ncm_rt_db(), id, &old, NULL) == NCM_OK;
	if (existed) {
		ncm_device_release(&old);
		rc = ncm_store_device_set_credentials(ncm_rt_db(), id, cert_pem, fp, NULL,
						      ncm_rt_now_ms(), &err);
	} else {
		snprintf(d.id, sizeof(d.id), "%s", id);
		d.cert_pem = strdup(cert_pem);
		snprintf(d.fingerprint, sizeof(d.fingerprint), "%s", fp);
		d.name = strdup("account device");
		snprintf(d.onboarded_by, sizeof(d.onboarded_by), "rest");
		d.created_ms = ncm_rt_now_ms();
		rc = ncm_store_device_insert(ncm_rt_db(), &d, &err);
	}
	if (rc) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	ncm_log(NCM_LOG_NOTICE, "rest: issued the account device %s", id);
	req->result = json_pack("{s:s,s:s,s:s,s:s}", "clientId", id, "clientCert", cert_pem,
				"privateKey", key_pem, "caCert", ca_pem);
	/* a new certificate replaces the old one: whoever holds the old is disconnected */
	ret = existed ? ncm_http_publish_then(req, &none, NULL, id,
					      "account device certificate replaced", account_ready)
		      : account_ready(req);
out:
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	free(cert_pem);
	free(ca_pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_device_release(&d);
	return ret;
}

static enum MHD_Result account_deleted(struct ncm_req *req)
{
	return ncm_rest_accepted(req);
}

enum MHD_Result ncm_rest_account_device_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_outbox none = { 0 };
	char id[NCM_DEVID_MAX + 1];
	int rc;

	account_id(id, sizeof(id));
	rc = ncm_store_device_delete(ncm_rt_db(), id, ncm_rt_now_ms(), &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40414, "the team has no account device");
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_http_publish_then(req, &none, NULL, id, "account device deleted",
				     account_deleted);
}
