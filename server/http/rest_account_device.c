/* SPDX-License-Identifier: MIT
 * rest_account_device.c: the team's account device (docs/protocol-rest.md#onboarding, the account device): a
 * team-level MQTT client "account-<tenantId>" that cloud-side applications use to see every
 * device's messages. POST /v1/devices/account returns {clientCert, privateKey} issued by the
 * lab CA (a new pair each time; the old certificate stops working); DELETE removes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "log.h"
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
	struct ncm_rest_credentials c;
	struct ncm_outbox none = { 0 };
	char id[NCM_DEVID_MAX + 1];
	enum MHD_Result ret;

	account_id(id, sizeof(id));
	if (ncm_rest_issue_credentials(req, id, "account device", "account device", &c, &ret))
		goto out;
	ncm_log(NCM_LOG_NOTICE, "rest: issued the account device %s", id);
	req->result = json_pack("{s:s,s:s,s:s,s:s}", "clientId", id, "clientCert", c.cert_pem,
				"privateKey", c.key_pem, "caCert", c.ca_pem);
	/* a new certificate replaces the old one: whoever holds the old is disconnected */
	ret = c.existed ? ncm_http_publish_then(req, &none, NULL, id,
						"account device certificate replaced", account_ready)
			: account_ready(req);
out:
	ncm_rest_credentials_release(&c);
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
