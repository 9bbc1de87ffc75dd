/* SPDX-License-Identifier: MIT
 * rest_device_image.c: PUT|DELETE /v1/devices/{deviceId}/image (UpdateDeviceImage,
 * DeleteDeviceImage; docs/protocol-rest.md#rest-surface, Devices; operation list: nRF Cloud's
 * OpenAPI as NauEngineering/python_nRF_cloud_client AllDevicesApi.md has it). The
 * picture the portal shows for a device: the mock keeps its content type, size and a
 * SHA-256, answers 202 like the other device setters, and 404 40410 for an unknown device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "devices.h"
#include "records.h"
#include "rest_common.h"
#include "runtime.h"

/* 1 when the device exists; else answered 404 40410 (or 500). */
static int device_known(struct ncm_req *req, enum MHD_Result *ret)
{
	struct ncm_device d = { 0 };
	int known = ncm_rest_device_load(req, &d, ret);

	ncm_device_release(&d);
	return known;
}

enum MHD_Result ncm_rest_device_image_put(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_record r = { 0 };
	const char *ctype = ncm_req_header(req, "Content-Type");
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *text;
	enum MHD_Result ret;
	json_t *body;
	size_t i;
	int rc;

	if (!device_known(req, &ret))
		return ret;
	if (!req->body_len)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "the image is empty");
	SHA256((const unsigned char *)req->body, req->body_len, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	body = json_pack("{s:s,s:I,s:s}", "contentType", ctype ? ctype : "application/octet-stream",
			 "size", (json_int_t)req->body_len, "sha256", hex);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	r.kind = NCM_REC_IMAGE;
	r.id = req->params[0];
	r.device_id = req->params[0];
	r.created_ms = ncm_rt_now_ms();
	r.body = text;
	rc = ncm_store_record_put(ncm_rt_db(), &r, &err);
	free(text);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

enum MHD_Result ncm_rest_device_image_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	enum MHD_Result ret;
	int rc;

	if (!device_known(req, &ret))
		return ret;
	rc = ncm_store_record_delete(ncm_rt_db(), NCM_REC_IMAGE, req->params[0], &err);
	if (rc && rc != NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}
