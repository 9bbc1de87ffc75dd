/* SPDX-License-Identifier: MIT
 * rest_alerts.c: /v1/alerts (docs/protocol-rest.md#rest-surface, Alerts): the alerts devices
 * send (the SDK's nrf_cloud_alert library: a d2c JSON message with appId "ALERT", over MQTT or
 * POST /v1/devices/{id}/messages; store/messages.c turns each into an ACTIVE alert), listed
 * newest first and archived or restored. Shapes: nRF Cloud's OpenAPI as the public generated
 * client NauEngineering/python_nRF_cloud_client shows it (AlertsApi.md: 200 with
 * ArchivedAlert / ActiveAlert; DeviceAlert.md; PaginatedResultDeviceAlert).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "rest_common.h"
#include "runtime.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10

/* The DeviceAlert object of a record: {id, deviceId, createdAt?, receivedAt, status,
 * statusChangedAt?, originalMessage}; createdAt is the device's own "ts" (ms) when it sent one
 * (nrf_cloud_alert_encode). */
static json_t *alert_json(const struct ncm_record *r)
{
	json_t *body = json_loads(r->body, 0, NULL), *msg, *ts, *out;
	char when[40];

	msg = json_object_get(body, "originalMessage");
	ncm_rt_iso8601(r->created_ms, when, sizeof(when));
	out = json_pack("{s:s,s:s,s:s,s:s,s:O}", "id", r->id, "deviceId", r->device_id,
			"receivedAt", when, "status", r->status, "originalMessage",
			msg ? msg : json_object());
	if (!msg)
		json_decref(json_object_get(out, "originalMessage"));
	ts = json_object_get(msg, "ts");
	if (json_is_integer(ts) && json_integer_value(ts) > 0) {
		ncm_rt_iso8601(json_integer_value(ts), when, sizeof(when));
		json_object_set_new(out, "createdAt", json_string(when));
	}
	if (r->updated_ms != r->created_ms) {
		ncm_rt_iso8601(r->updated_ms, when, sizeof(when));
		json_object_set_new(out, "statusChangedAt", json_string(when));
	}
	json_decref(body);
	return out;
}

static int append(const struct ncm_record *r, void *userdata)
{
	json_array_append_new(userdata, alert_json(r));
	return 0;
}

struct list_ctx {
	const char *device_ids, *status;
	int desc;
};

static int alerts_fill(const char *after, int limit, json_t *items, void *userdata,
		       struct ncm_err_info *err)
{
	const struct list_ctx *c = userdata;
	struct ncm_record_filter f = { 0 };

	f.kind = NCM_REC_ALERT;
	f.device_ids = c->device_ids;
	f.status = c->status;
	f.after = after;
	f.desc = c->desc;
	f.limit = limit;
	return ncm_store_record_list(ncm_rt_db(), &f, append, items, err);
}

/* GET /v1/alerts (ListDeviceAlerts, API key): ?deviceIds= (comma-separated), ?status=ACTIVE|
 * ARCHIVED (both by default), ?pageSort=asc|desc (desc by default), pages. */
enum MHD_Result ncm_rest_alerts_get(struct ncm_req *req)
{
	struct list_ctx c = { 0 };
	const char *sort = ncm_req_query(req, "pageSort");

	c.device_ids = ncm_req_query(req, "deviceIds");
	c.status = ncm_req_query(req, "status");
	if (c.status && strcmp(c.status, "ACTIVE") && strcmp(c.status, "ARCHIVED"))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "status must be ACTIVE or ARCHIVED");
	if (sort && strcmp(sort, "asc") && strcmp(sort, "desc"))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "pageSort must be asc or desc");
	c.desc = !sort || !strcmp(sort, "desc");
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", alerts_fill, &c);
}

static int keep(const struct ncm_record *r, void *userdata)
{
	*(json_t **)userdata = alert_json(r);
	return 0;
}

/* Sets the alert's status and answers it (200), or 404 40410 for an unknown ID. */
static enum MHD_Result set_status(struct ncm_req *req, const char *status)
{
	struct ncm_err_info err = { 0 };
	json_t *out = NULL;
	int rc = ncm_store_record_set_status(ncm_rt_db(), NCM_REC_ALERT, req->params[0], status,
					     ncm_rt_now_ms(), &err);

	if (!rc)
		rc = ncm_store_record_get(ncm_rt_db(), NCM_REC_ALERT, req->params[0], keep, &out,
					  &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "alert %s not found",
				       req->params[0]);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, out);
}

/* PATCH /v1/alerts/{id}/archive (ArchiveDeviceAlert). */
enum MHD_Result ncm_rest_alert_archive(struct ncm_req *req)
{
	return set_status(req, "ARCHIVED");
}

/* PATCH /v1/alerts/{id}/restore (RestoreDeviceAlert). */
enum MHD_Result ncm_rest_alert_restore(struct ncm_req *req)
{
	return set_status(req, "ACTIVE");
}
