/* SPDX-License-Identifier: MIT
 * rest_association.c: the legacy JITP-era device endpoints real clients still call
 * (docs/compatibility.md#legacy-device-endpoints): CreateDeviceCertificate
 * (POST /v1/devices/{deviceId}/certificates, 201 with a lab-CA certificate), AssociateDevice
 * (PUT /v1/association/{deviceId}, 202) and DissociateDevice (DELETE /v1/association/{deviceId}),
 * with nRF Cloud's error codes. Must not depend on the broker (publishes go through publish.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "c2d.h"
#include "devices.h"
#include "devid.h"
#include "log.h"
#include "rest_common.h"
#include "runtime.h"

static enum MHD_Result cert_ready(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_CREATED, json_incref(req->result));
}

/* POST /v1/devices/{deviceId}/certificates: a new key and certificate for the device, issued by
 * the lab CA, and the CA a device must trust for the MQTT endpoint (the lab CA signs the
 * broker's certificate). The device row is created (onboarded by "rest") or its certificate
 * replaced, so the credentials connect whether or not --auto-onboard is on; a connection with
 * the old certificate is closed. */
enum MHD_Result ncm_rest_device_certificate_post(struct ncm_req *req)
{
	const char *id = req->params[0];
	struct ncm_err_info err = { 0 };
	struct ncm_rest_credentials c;
	struct ncm_outbox none = { 0 };
	enum MHD_Result ret;

	if (ncm_devid_check(id, &err))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", err.msg);
	if (ncm_rest_issue_credentials(req, id, id, "device", &c, &ret))
		goto out;
	ncm_log(NCM_LOG_NOTICE, "rest: issued a certificate for device %s", id);
	req->result = json_pack("{s:s,s:s,s:s,s:s}", "clientId", id, "caCert", c.ca_pem,
				"clientCert", c.cert_pem, "privateKey", c.key_pem);
	if (!req->result) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "out of memory");
		goto out;
	}
	ret = c.existed ? ncm_http_publish_then(req, &none, NULL, id, "device certificate replaced",
						cert_ready)
			: cert_ready(req);
out:
	ncm_rest_credentials_release(&c);
	return ret;
}

/* 1 when the body holds an ownership code: printable text after trimming, at most 64 bytes
 * (nRF Cloud's ownership codes are short PINs or UUID-like strings). */
static int ownership_code_valid(const char *body, size_t len)
{
	size_t i, start = 0, end = len;

	while (start < end && isspace((unsigned char)body[start]))
		start++;
	while (end > start && isspace((unsigned char)body[end - 1]))
		end--;
	if (end == start || end - start > 64)
		return 0;
	for (i = start; i < end; i++) {
		if (!isgraph((unsigned char)body[i]) && body[i] != ' ')
			return 0;
	}
	return 1;
}

/* PUT /v1/association/{deviceId} (AssociateDevice): the body is the ownership code as text.
 * The mock has one team, so a device it knows is already associated with this account:
 * 202, nothing changes. An empty or malformed code is 400 40102 (invalid ownership code); a
 * device the mock does not know is 404 40411 (no Nordic product with that ID and ownership
 * code). 40101 (associated with another account) cannot happen with one team. */
enum MHD_Result ncm_rest_association_put(struct ncm_req *req)
{
	const char *id = req->params[0];
	struct ncm_err_info err = { 0 };
	struct ncm_device d;

	if (ncm_devid_check(id, &err))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", err.msg);
	if (!ownership_code_valid(req->body ? req->body : "", req->body_len))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40102,
				       "invalid ownership code for device %s", id);
	if (ncm_store_device_get(ncm_rt_db(), id, &d, NULL) != NCM_OK)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40411,
				       "no product with device ID %s and that ownership code", id);
	ncm_device_release(&d);
	return ncm_rest_accepted(req);
}

static enum MHD_Result dissociated(struct ncm_req *req)
{
	return ncm_rest_accepted(req);
}

/* DELETE /v1/association/{deviceId} (DissociateDevice, deprecated): the device leaves the team,
 * as DELETE /v1/devices/{id} does (DISCON first, certificate revoked, connection closed); 202.
 * A device the mock does not know is 404 40413 (dissociate: no such device); the team's own
 * account device is no associated product: 400 40103 (device not associated with your
 * account). */
enum MHD_Result ncm_rest_association_delete(struct ncm_req *req)
{
	static const char discon[] = "{\"appId\":\"DEVICE\",\"messageType\":\"DISCON\"}";
	const char *id = req->params[0];
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	char account[NCM_DEVID_MAX + 1];
	int rc;

	snprintf(account, sizeof(account), "account-%s", ncm_rt()->team.tenant_id);
	if (!strcasecmp(id, account))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40103,
				       "device %s is not associated with your account", id);
	ncm_c2d_outbox(ncm_rt_db(), id, discon, sizeof(discon) - 1, &out);
	rc = ncm_store_device_delete(ncm_rt_db(), id, ncm_rt_now_ms(), &err);
	if (rc) {
		ncm_outbox_release(&out);
		return rc == NCM_ERR_NOT_FOUND
			       ? ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40413,
						 "cannot dissociate %s: no such device", id)
			       : ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s",
						 err.msg);
	}
	ncm_log(NCM_LOG_NOTICE, "rest: dissociated device %s", id);
	return ncm_http_publish_then(req, &out, id, id, "device dissociated through the REST API",
				     dissociated);
}
