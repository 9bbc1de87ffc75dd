/* SPDX-License-Identifier: MIT
 * rest_onboarding.c: onboarding devices with their certificates or public keys (
 * docs/protocol-rest.md#device-public-keys, docs/protocol-rest.md#onboarding): POST /v1/devices (CSV), POST /v1/devices/{id} (JSON), POST
 * /v1/devices/certificates and /v1/devices/public-keys (CSV), each answered 202 with a bulk-ops
 * request ID, and the bulk-ops requests with their error summaries. A certificate from any CA,
 * or self-signed, goes into the MQTT listener's trust folder, so the device can connect at once;
 * its key (or the registered public key) verifies the device's JWTs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "bulkops.h"
#include "ca.h"
#include "csv.h"
#include "devices.h"
#include "log.h"
#include "pki.h"
#include "rest_common.h"
#include "runtime.h"

#define CSV_MAX (4 * 1024 * 1024)

static const char *endpoint_of(enum ncm_onboard_kind kind)
{
	switch (kind) {
	case NCM_ONBOARD_DEVICES: return "ONBOARD_DEVICES";
	case NCM_ONBOARD_CERTIFICATES: return "REGISTER_CERTIFICATES";
	case NCM_ONBOARD_PUBLIC_KEYS: return "REGISTER_PUBLIC_KEYS";
	}
	return "ONBOARD_DEVICES";
}

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Registers one device's credentials. NCM_OK, or an error with msg (without the row prefix). */
static int onboard(const struct ncm_onboard_row *row, enum ncm_onboard_kind kind, char *msg,
		   size_t size)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 }, existing;
	X509 *cert = NULL;
	EVP_PKEY *pub = NULL;
	json_t *arr;
	char *pem = NULL, cn[NCM_DEVID_MAX + 2] = "";
	int rc, exists;

	if (row->is_public_key) {
		rc = ncm_pki_pubkey_from_pem(row->pem, strlen(row->pem), &pub, &err);
		if (!rc && !(EVP_PKEY_is_a(pub, "EC") && EVP_PKEY_get_bits(pub) == 256))
			rc = ncm_err_set(&err, NCM_ERR_UNSUPPORTED,
					 "public key must be EC P-256 (ES256)");
		if (!rc)
			rc = ncm_pki_pubkey_to_pem(pub, &pem);
	} else {
		rc = ncm_pki_cert_from_pem(row->pem, strlen(row->pem), &cert, &err);
		/* MQTT admits a device only when its client ID is the certificate's CN */
		if (!rc && (ncm_pki_cert_cn(cert, cn, sizeof(cn)) || strcmp(cn, row->device_id)))
			rc = ncm_err_set(&err, NCM_ERR_INVAL,
					 "certificate CN '%.64s' is not the device ID", cn);
		if (!rc)
			rc = ncm_pki_cert_to_pem(cert, &pem);
		if (!rc)
			rc = ncm_pki_cert_fingerprint(cert, d.fingerprint);
	}
	if (rc) {
		snprintf(msg, size, "%s", err.msg[0] ? err.msg : "invalid PEM");
		goto out;
	}
	exists = ncm_store_device_get(ncm_rt_db(), row->device_id, &existing, NULL) == NCM_OK;
	if (exists)
		ncm_device_release(&existing);
	if (exists && kind == NCM_ONBOARD_DEVICES) {
		snprintf(msg, size, "device %s is already onboarded", row->device_id);
		rc = NCM_ERR_CONFLICT;
		goto out;
	}
	if (cert && !ncm_pki_cert_issued_by(cert, rt->ca.cert) &&
	    ncm_ca_trust_add(rt->cfg.data_dir, cert, &err)) {
		snprintf(msg, size, "cannot trust the certificate: %.400s", err.msg);
		rc = NCM_ERR_IO;
		goto out;
	}
	if (exists) {
		rc = ncm_store_device_set_credentials(ncm_rt_db(), row->device_id,
						      cert ? pem : NULL, cert ? d.fingerprint : NULL,
						      cert ? NULL : pem, ncm_rt_now_ms(), &err);
	} else {
		snprintf(d.id, sizeof(d.id), "%s", row->device_id);
		if (cert)
			d.cert_pem = pem;
		else
			d.pubkey_pem = pem;
		pem = NULL;
		if (row->sub_type)
			d.sub_type = strdup(row->sub_type);
		arr = string_array(row->tags, row->n_tags);
		d.tags_json = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		arr = string_array(row->fw_types, row->n_fw_types);
		d.fw_types_json = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		snprintf(d.onboarded_by, sizeof(d.onboarded_by), "rest");
		d.created_ms = ncm_rt_now_ms();
		rc = ncm_store_device_insert(ncm_rt_db(), &d, &err);
	}
	if (rc)
		snprintf(msg, size, "%s", err.msg);
out:
	free(pem);
	EVP_PKEY_free(pub);
	X509_free(cert);
	ncm_device_release(&d);
	return rc;
}

/* Content types of docs/protocol-rest.md#onboarding (text/plain with or without a charset, text/csv,
 * application/octet-stream); a missing one is taken as CSV too. */
static int csv_content_type(struct ncm_req *req)
{
	const char *ct = ncm_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);

	return !ct || !strncasecmp(ct, "text/plain", 10) || !strncasecmp(ct, "text/csv", 8) ||
	       !strncasecmp(ct, "application/octet-stream", 24);
}

static enum MHD_Result bulk(struct ncm_req *req, enum ncm_onboard_kind kind)
{
	struct ncm_onboard_row row;
	struct ncm_bulk_op op = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_csv csv = { 0 };
	unsigned char rnd[10];
	json_t *errors = json_array();
	char msg[512], line[600];
	enum MHD_Result ret;
	size_t i;

	if (!csv_content_type(req)) {
		ret = ncm_reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, 40000,
				      "Content-Type must be text/csv, text/plain or "
				      "application/octet-stream");
		goto out;
	}
	if (ncm_csv_parse(req->body, req->body_len, &csv, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200, "invalid CSV: %s",
				      err.msg);
		goto out;
	}
	for (i = 0; i < csv.n_rows; i++) {
		if (ncm_csv_onboard_row(&csv.rows[i], i, kind, &row, &err)) {
			json_array_append_new(errors, json_string(err.msg));
			continue;
		}
		if (onboard(&row, kind, msg, sizeof(msg))) {
			snprintf(line, sizeof(line), "[%zu]: %s", i, msg);
			json_array_append_new(errors, json_string(line));
		}
	}
	RAND_bytes(rnd, sizeof(rnd));
	ncm_ulid((unsigned long long)ncm_rt_now_ms(), rnd, op.id);
	snprintf(op.endpoint, sizeof(op.endpoint), "%s", endpoint_of(kind));
	snprintf(op.status, sizeof(op.status), "%s",
		 json_array_size(errors) ? "FAILED" : "SUCCEEDED");
	op.requested_ms = op.completed_ms = ncm_rt_now_ms();
	if (json_array_size(errors))
		op.errors_json = json_dumps(errors, JSON_COMPACT);
	if (ncm_store_bulk_op_put(ncm_rt_db(), &op, req->body, req->body_len, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto out;
	}
	ncm_log(NCM_LOG_NOTICE, "rest: %s %s: %zu rows, %zu failed", op.endpoint, op.id,
		csv.n_rows, json_array_size(errors));
	ret = ncm_reply_json(req, MHD_HTTP_ACCEPTED,
			     json_pack("{s:s}", "bulkOpsRequestId", op.id));
out:
	ncm_bulk_op_release(&op);
	ncm_csv_release(&csv);
	json_decref(errors);
	return ret;
}

enum MHD_Result ncm_rest_onboard_csv_post(struct ncm_req *req)
{
	return bulk(req, NCM_ONBOARD_DEVICES);
}

enum MHD_Result ncm_rest_certificates_post(struct ncm_req *req)
{
	return bulk(req, NCM_ONBOARD_CERTIFICATES);
}

enum MHD_Result ncm_rest_public_keys_post(struct ncm_req *req)
{
	return bulk(req, NCM_ONBOARD_PUBLIC_KEYS);
}

/* The strings of a JSON array joined with '|', as the CSV form carries them. */
static char *join(const json_t *arr)
{
	size_t cap = 1, used = 0, i;
	json_t *v;
	char *out;

	json_array_foreach(arr, i, v)
		cap += json_string_length(v) + 1;
	out = calloc(1, cap);
	if (!out)
		return NULL;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v))
			used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "|" : "",
						 json_string_value(v));
	}
	return out;
}

/* POST /v1/devices/{id}: {"certificate","subType"?,"tags"?,"supportedFirmwareTypes"?}; 202 with
 * an empty body (docs/protocol-rest.md#onboarding). The fields go through the same checks as a CSV row. */
enum MHD_Result ncm_rest_onboard_one_post(struct ncm_req *req)
{
	struct ncm_csv_row csvrow = { 0 };
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };
	json_t *body;
	char *fields[5] = { NULL };
	char msg[512];
	enum MHD_Result ret;
	size_t i;
	int rc;

	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(body) || !json_is_string(json_object_get(body, "certificate"))) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "body must be {\"certificate\":PEM, \"subType\"?, \"tags\"?, "
				      "\"supportedFirmwareTypes\"?}");
		goto out;
	}
	fields[0] = strdup(req->params[0]);
	for (i = 0; i < 2; i++) {
		const json_t *a = json_object_get(body, i ? "supportedFirmwareTypes" : "tags");

		if (a && !json_is_array(a)) {
			ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					      "\"%s\" must be an array of strings",
					      i ? "supportedFirmwareTypes" : "tags");
			goto out;
		}
	}
	fields[1] = strdup(json_string_value(json_object_get(body, "subType")) ?: "");
	fields[2] = join(json_object_get(body, "tags"));
	fields[3] = join(json_object_get(body, "supportedFirmwareTypes"));
	fields[4] = strdup(json_string_value(json_object_get(body, "certificate")));
	csvrow.n_fields = 5;
	for (i = 0; i < 5; i++)
		csvrow.fields[i] = fields[i];
	if (ncm_csv_onboard_row(&csvrow, 0, NCM_ONBOARD_DEVICES, &row, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200, "%s",
				      err.msg + (strncmp(err.msg, "[0]: ", 5) ? 0 : 5));
		goto out;
	}
	rc = onboard(&row, NCM_ONBOARD_DEVICES, msg, sizeof(msg));
	if (rc == NCM_ERR_CONFLICT)
		ret = ncm_reply_error(req, MHD_HTTP_CONFLICT, 40900, "%s", msg);
	else if (rc)
		ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200, "%s", msg);
	else
		ret = ncm_rest_accepted(req);
out:
	for (i = 0; i < 5; i++)
		free(fields[i]);
	json_decref(body);
	return ret;
}

/* The bulk-ops request document: every value a string, keys without a value left out, because
 * nrfcloud-utils writes them as "key,value" lines (docs/protocol-rest.md#onboarding). */
static json_t *bulk_op_json(const struct ncm_bulk_op *op)
{
	char base[300], url[400], when[40];
	json_t *o;

	ncm_rest_base_url(base, sizeof(base));
	ncm_rt_iso8601(op->requested_ms, when, sizeof(when));
	o = json_pack("{s:s,s:s,s:s,s:s}", "bulkOpsRequestId", op->id, "endpoint", op->endpoint,
		      "status", op->status, "requestedAt", when);
	if (op->completed_ms) {
		ncm_rt_iso8601(op->completed_ms, when, sizeof(when));
		json_object_set_new(o, "completedAt", json_string(when));
	}
	snprintf(url, sizeof(url), "%s/bulk-ops/%s/uploaded", base, op->id);
	json_object_set_new(o, "uploadedDataUrl", json_string(url));
	if (op->errors_json) {
		snprintf(url, sizeof(url), "%s/bulk-ops/%s/errors.json", base, op->id);
		json_object_set_new(o, "errorSummaryUrl", json_string(url));
	}
	return o;
}

enum MHD_Result ncm_rest_bulk_op_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_bulk_op op;
	enum MHD_Result ret;
	int rc = ncm_store_bulk_op_get(ncm_rt_db(), req->params[0], &op, &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	ret = ncm_reply_json(req, MHD_HTTP_OK, bulk_op_json(&op));
	ncm_bulk_op_release(&op);
	return ret;
}

static int list_cb(const struct ncm_bulk_op *op, void *userdata)
{
	return json_array_append_new(userdata, bulk_op_json(op)) ? NCM_ERR_NOMEM : NCM_OK;
}

static int bulk_ops_fill(const char *after, int limit, json_t *items, void *userdata,
			 struct ncm_err_info *err)
{
	(void)userdata;
	return ncm_store_bulk_op_foreach(ncm_rt_db(), after, limit, list_cb, items, err);
}

enum MHD_Result ncm_rest_bulk_ops_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, 10, 100, "bulkOpsRequestId", bulk_ops_fill, NULL);
}

/* The error summary, fetched without credentials as nrfcloud-utils does (docs/protocol-rest.md#onboarding):
 * {"errors":["[<0-based row>]: <message>", ...]}. */
enum MHD_Result ncm_rest_bulk_op_errors_get(struct ncm_req *req)
{
	struct ncm_bulk_op op;
	enum MHD_Result ret;
	json_t *errors;

	if (ncm_store_bulk_op_get(ncm_rt_db(), req->params[0], &op, NULL))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "no such error summary");
	errors = op.errors_json ? json_loads(op.errors_json, 0, NULL) : json_array();
	ret = ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "errors",
							 errors ? errors : json_array()));
	ncm_bulk_op_release(&op);
	return ret;
}

enum MHD_Result ncm_rest_bulk_op_uploaded_get(struct ncm_req *req)
{
	enum MHD_Result ret;
	char *data = NULL;
	size_t len;

	if (ncm_store_bulk_op_uploaded(ncm_rt_db(), req->params[0], &data, &len, NULL))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "no such upload");
	ret = ncm_reply_text(req, MHD_HTTP_OK, "text/csv", data);
	free(data);
	return ret;
}
