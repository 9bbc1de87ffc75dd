/* SPDX-License-Identifier: MIT
 * rest_team_device.c: /v1/devices/mqtt-team[/{deviceId}] (CreateTeamDevice,
 * GetTeamDeviceCertificate, RotateTeamDeviceCertificate, DeleteTeamDevice; nRF Cloud's OpenAPI
 * as NauEngineering/python_nRF_cloud_client MqttTeamDevicesApi.md lists them;
 * docs/protocol-rest.md#rest-surface). The team MQTT device is the team-level client that
 * POST /v1/devices/account makes under its older name ("account-<tenantId>",
 * rest_account_device.c): create and rotate issue a new certificate and key (the old one stops
 * working) and answer 201 DeviceCertificate {clientId, caCert, clientCert, privateKey}; get
 * answers 200 without the private key (never kept); delete 202. Any other {deviceId} is 404
 * 40410. Simple Token only (MqttTeamDevicesApi.md, DeviceCertificate.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "devices.h"
#include "pki.h"
#include "rest_common.h"
#include "runtime.h"

/* 1 when {deviceId} names the team device; else answered 404 40410. */
static int is_team_device(struct ncm_req *req, enum MHD_Result *ret)
{
	char id[NCM_DEVID_MAX + 1];

	snprintf(id, sizeof(id), "account-%s", ncm_rt()->team.tenant_id);
	if (!strcasecmp(req->params[0], id))
		return 1;
	*ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "team device %s not found",
			       req->params[0]);
	return 0;
}

enum MHD_Result ncm_rest_team_device_post(struct ncm_req *req)
{
	return ncm_rest_account_device_post(req);
}

enum MHD_Result ncm_rest_team_device_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 };
	enum MHD_Result ret;
	char *ca_pem = NULL;
	int rc;

	if (!is_team_device(req, &ret))
		return ret;
	if (ncm_pki_cert_to_pem(ncm_rt()->ca.cert, &ca_pem))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "cannot write the CA certificate");
	rc = ncm_store_device_get(ncm_rt_db(), req->params[0], &d, &err);
	if (rc == NCM_ERR_NOT_FOUND || (!rc && !d.cert_pem))
		ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "team device %s not found",
				      req->params[0]);
	else if (rc)
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	else
		ret = ncm_reply_json(req, MHD_HTTP_OK,
				     json_pack("{s:s,s:s,s:s}", "clientId", d.id, "clientCert",
					       d.cert_pem, "caCert", ca_pem));
	ncm_device_release(&d);
	free(ca_pem);
	return ret;
}

enum MHD_Result ncm_rest_team_device_patch(struct ncm_req *req)
{
	struct ncm_device d = { 0 };
	enum MHD_Result ret;

	if (!is_team_device(req, &ret))
		return ret;
	if (ncm_store_device_get(ncm_rt_db(), req->params[0], &d, NULL) != NCM_OK)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "team device %s not found",
				       req->params[0]);
	ncm_device_release(&d);
	return ncm_rest_account_device_post(req);
}

enum MHD_Result ncm_rest_team_device_delete(struct ncm_req *req)
{
	enum MHD_Result ret;

	if (!is_team_device(req, &ret))
		return ret;
	return ncm_rest_account_device_delete(req);
}
