/* SPDX-License-Identifier: MIT
 * rest_fota.c: FOTA jobs and executions over REST (docs/fota.md#rest-polling-devices, docs/fota.md#fota-jobs): create a job for
 * devices and/or tags (every body variant Nordic's tools send), read and list jobs with their
 * execution statistics, apply, cancel, delete; a device's current execution (kept while it runs,
 * so FOTAPOLL's re-polls keep seeing it) and its status reports; execution lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "devices.h"
#include "firmware.h"
#include "fota.h"
#include "fota_jobs.h"
#include "fota_svc.h"
#include "log.h"
#include "rest_common.h"
#include "runtime.h"
#include "jsontext.h"

static void uuid4(char out[37])
{
	unsigned char b[16];

	RAND_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

struct stats {
	json_int_t n, queued, in_progress, downloading, succeeded, failed, timed_out, rejected,
		cancelled;
};

static int stats_cb(const struct ncm_execution *e, void *userdata)
{
	struct stats *s = userdata;

	s->n++;
	switch (ncm_exec_status_parse(e->status)) {
	case NCM_EXEC_QUEUED: s->queued++; break;
	case NCM_EXEC_IN_PROGRESS: s->in_progress++; break;
	case NCM_EXEC_DOWNLOADING: s->downloading++; break;
	case NCM_EXEC_SUCCEEDED: s->succeeded++; break;
	case NCM_EXEC_FAILED: s->failed++; break;
	case NCM_EXEC_TIMED_OUT: s->timed_out++; break;
	case NCM_EXEC_REJECTED: s->rejected++; break;
	case NCM_EXEC_CANCELLED: s->cancelled++; break;
	default: break;
	}
	return 0;
}

/* FOTAV2Job (docs/fota.md#fota-jobs). */
static json_t *job_json(const struct ncm_job *j)
{
	struct stats s = { 0 };
	struct ncm_bundle b = { 0 };
	json_t *o, *target, *uris = json_array(), *files, *f;
	char created[40], updated[40], url[1024], host[300];
	size_t i;

	ncm_store_exec_foreach(ncm_rt_db(), j->job_id, NULL, 0, stats_cb, &s, NULL);
	ncm_store_bundle_get(ncm_rt_db(), j->bundle_id, &b, NULL);
	files = b.files_json ? json_loads(b.files_json, 0, NULL) : NULL;
	json_array_foreach(files, i, f) {
		ncm_fota_file_url(b.bundle_id, json_string_value(json_object_get(f, "file")), url,
				  sizeof(url));
		json_array_append_new(uris, json_string(url));
	}
	json_decref(files);
	ncm_fota_host(host, sizeof(host));
	ncm_rt_iso8601(j->created_ms, created, sizeof(created));
	ncm_rt_iso8601(j->updated_ms, updated, sizeof(updated));
	target = json_loads(j->target_json ? j->target_json : "{}", 0, NULL);
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:s,s:s,s:I,s:s,s:s,s:o},"
		      "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
		      "jobId", j->job_id, "status", j->status, "createdAt", created,
		      "lastUpdatedAt", updated, "target", target ? target : json_object(),
		      "firmware", "bundleId", j->bundle_id, "host", host, "fileSize",
		      (json_int_t)b.size, "firmwareType", b.type, "version", b.version, "uris", uris,
		      "executionStats", "devices", s.n + j->skipped, "executions", s.n, "queued",
		      s.queued, "inProgress", s.in_progress, "downloading", s.downloading,
		      "succeeded", s.succeeded, "failed", s.failed, "timedOut", s.timed_out,
		      "rejected", s.rejected, "cancelled", s.cancelled, "removed", (json_int_t)0,
		      "completedExecutions",
		      s.succeeded + s.failed + s.timed_out + s.rejected + s.cancelled);
	if (o && j->name)
		json_object_set_new(o, "name", json_string(j->name));
	if (o && j->description)
		json_object_set_new(o, "description", json_string(j->description));
	if (o && j->completed_ms) {
		ncm_rt_iso8601(j->completed_ms, created, sizeof(created));
		json_object_set_new(o, "completedAt", json_string(created));
	}
	ncm_bundle_release(&b);
	return o;
}

/* autoApply as a boolean, or as the string "true"/"false" nrfcloud-utils sends (docs/fota.md#fota-jobs). */
static int auto_apply_of(const json_t *v, int *out)
{
	if (!v)
		*out = 1;
	else if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_string(v) && !strcasecmp(json_string_value(v), "true"))
		*out = 1;
	else if (json_is_string(v) && !strcasecmp(json_string_value(v), "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

struct target_ctx {
	json_t *tags;      /* wanted tags */
	json_t *ids;       /* collected device IDs */
};

static int tag_cb(const struct ncm_device *d, void *userdata)
{
	struct target_ctx *c = userdata;
	json_t *have = json_loads(d->tags_json ? d->tags_json : "[]", 0, NULL), *t, *w;
	size_t i, k;
	int hit = 0;

	json_array_foreach(have, i, t)
		json_array_foreach(c->tags, k, w)
			hit |= json_equal(t, w);
	json_decref(have);
	if (hit)
		json_array_append_new(c->ids, json_string(d->id));
	return 0;
}

static enum MHD_Result job_pushed(struct ncm_req *req)
{
	return ncm_reply_json(req, MHD_HTTP_CREATED, json_incref(req->result));
}

/* POST /v1/fota-jobs: {bundleId, autoApply?, name?, description?, deviceIds | deviceIdentifiers |
 * tags}. One execution per target that supports the bundle's type; others are counted only.
 * A job that starts now is handed to the broker thread for its devices' jobs/rcv before the 201
 * {"jobId"}; the broker sends it (and journals it) at once to a subscribed device, or holds it
 * until the device subscribes (docs/compatibility.md#replies-held-until-the-device-subscribes). */
enum MHD_Result ncm_rest_fota_job_post(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_job j = { 0 };
	struct ncm_bundle b = { 0 };
	struct target_ctx tc = { NULL, json_array() };
	json_t *body, *ids, *v, *target = NULL;
	const char *bundle_id;
	enum MHD_Result ret;
	size_t i;
	int auto_apply;

	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	bundle_id = json_string_value(json_object_get(body, "bundleId"));
	if (!json_is_object(body) || !bundle_id) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "body must be a JSON object with a bundleId");
		goto out;
	}
	/* FOTA job text limits (docs/fota.md#fota-jobs) */
	if ((json_object_get(body, "name") &&
	     (!json_is_string(json_object_get(body, "name")) ||
	      json_string_length(json_object_get(body, "name")) > 64)) ||
	    (json_object_get(body, "description") &&
	     (!json_is_string(json_object_get(body, "description")) ||
	      json_string_length(json_object_get(body, "description")) > 1024))) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "name must be a string of at most 64 characters and "
				      "description of at most 1024");
		goto out;
	}
	if (auto_apply_of(json_object_get(body, "autoApply"), &auto_apply)) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "autoApply must be true or false");
		goto out;
	}
	if (ncm_store_bundle_get(ncm_rt_db(), bundle_id, &b, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
		goto out;
	}
	ids = json_object_get(body, "deviceIds");
	if (!ids)
		ids = json_object_get(body, "deviceIdentifiers");
	tc.tags = json_object_get(body, "tags");
	if ((ids && (!json_is_array(ids) || json_array_size(ids) > 100)) ||
	    (tc.tags && (!json_is_array(tc.tags) || json_array_size(tc.tags) > 100)) ||
	    (!json_array_size(ids) && !json_array_size(tc.tags))) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "give deviceIds (or deviceIdentifiers) and/or tags: arrays of "
				      "1 to 100 strings");
		goto out;
	}
	json_array_foreach(ids, i, v)
		if (json_is_string(v))
			json_array_append(tc.ids, v);
	if (json_array_size(tc.tags))
		ncm_store_device_foreach(ncm_rt_db(), tag_cb, &tc, NULL);
	uuid4(j.job_id);
	snprintf(j.bundle_id, sizeof(j.bundle_id), "%s", b.bundle_id);
	if (json_is_string(json_object_get(body, "name")))
		j.name = strdup(json_string_value(json_object_get(body, "name")));
	if (json_is_string(json_object_get(body, "description")))
		j.description = strdup(json_string_value(json_object_get(body, "description")));
	/* "o" steals: borrowed arrays get a reference of their own, new ones are handed over */
	target = json_pack("{s:o,s:o}", "deviceIds", ids ? json_incref(ids) : json_array(), "tags",
			   tc.tags ? json_incref(tc.tags) : json_array());
	j.target_json = ncm_json_dumps(target, JSON_COMPACT);
	j.auto_apply = auto_apply;
	snprintf(j.status, sizeof(j.status), "%s",
		 auto_apply ? "IN_PROGRESS" : "CREATED");
	j.created_ms = j.updated_ms = ncm_rt_now_ms();
	if (ncm_db_begin(ncm_rt_db(), &err))
		goto fail;
	json_array_foreach(tc.ids, i, v) {
		struct ncm_execution e = { 0 }, existing;

		if (!ncm_fota_device_supports(ncm_rt_db(), json_string_value(v), b.type)) {
			j.skipped++;
			continue;
		}
		if (!ncm_store_exec_get(ncm_rt_db(), j.job_id, json_string_value(v), &existing,
					NULL)) {
			ncm_execution_release(&existing);
			continue;
		}
		snprintf(e.job_id, sizeof(e.job_id), "%s", j.job_id);
		snprintf(e.device_id, sizeof(e.device_id), "%s", json_string_value(v));
		snprintf(e.status, sizeof(e.status), "QUEUED");
		e.progress = -1;
		e.created_ms = e.updated_ms = j.created_ms;
		if (ncm_store_exec_put(ncm_rt_db(), &e, &err))
			goto fail_tx;
	}
	if (ncm_store_job_put(ncm_rt_db(), &j, &err) ||
	    ncm_fota_job_refresh(ncm_rt_db(), j.job_id, &err) ||
	    (auto_apply && ncm_fota_push(ncm_rt_db(), j.job_id, &out)) ||
	    ncm_db_commit(ncm_rt_db(), &err))
		goto fail_tx;
	ncm_log(NCM_LOG_NOTICE, "rest: FOTA job %s for bundle %s", j.job_id, b.bundle_id);
	req->result = json_pack("{s:s}", "jobId", j.job_id);
	ret = ncm_http_publish_then(req, &out, NULL, NULL, NULL, job_pushed);
	goto out;
fail_tx:
	ncm_db_rollback(ncm_rt_db());
fail:
	ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
out:
	ncm_outbox_release(&out);
	json_decref(target);
	json_decref(tc.ids);
	json_decref(body);
	ncm_job_release(&j);
	ncm_bundle_release(&b);
	return ret;
}

static int load_job(struct ncm_req *req, struct ncm_job *j, enum MHD_Result *ret)
{
	struct ncm_err_info err = { 0 };
	int rc = ncm_store_job_get(ncm_rt_db(), req->params[0], j, &err);

	if (!rc)
		return 1;
	*ret = rc == NCM_ERR_NOT_FOUND
		       ? ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg)
		       : ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return 0;
}

enum MHD_Result ncm_rest_fota_job_get(struct ncm_req *req)
{
	struct ncm_job j;
	enum MHD_Result ret;

	if (!load_job(req, &j, &ret))
		return ret;
	ret = ncm_reply_json(req, MHD_HTTP_OK, job_json(&j));
	ncm_job_release(&j);
	return ret;
}

static int jobs_cb(const struct ncm_job *j, void *userdata)
{
	return json_array_append_new(userdata, job_json(j)) ? NCM_ERR_NOMEM : NCM_OK;
}

static int jobs_fill(const char *after, int limit, json_t *items, void *userdata,
		     struct ncm_err_info *err)
{
	(void)userdata;
	return ncm_store_job_foreach(ncm_rt_db(), after, limit, jobs_cb, items, err);
}

enum MHD_Result ncm_rest_fota_jobs_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, 10, 100, "jobId", jobs_fill, NULL);
}

static enum MHD_Result accepted_after_push(struct ncm_req *req)
{
	return ncm_rest_accepted(req);
}

/* POST /v1/fota-jobs/{id}/apply: a CREATED job starts and is pushed to its devices. */
enum MHD_Result ncm_rest_fota_job_apply(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_job j;
	enum MHD_Result ret;

	if (!load_job(req, &j, &ret))
		return ret;
	if (strcmp(j.status, "CREATED")) {
		ret = ncm_reply_error(req, MHD_HTTP_CONFLICT, 40900,
				      "job %s is %s; only a CREATED job can be applied", j.job_id,
				      j.status);
		ncm_job_release(&j);
		return ret;
	}
	snprintf(j.status, sizeof(j.status), "IN_PROGRESS");
	j.updated_ms = ncm_rt_now_ms();
	if (ncm_db_begin(ncm_rt_db(), &err) || ncm_store_job_put(ncm_rt_db(), &j, &err) ||
	    ncm_fota_job_refresh(ncm_rt_db(), j.job_id, &err) ||
	    ncm_fota_push(ncm_rt_db(), j.job_id, &out) || ncm_db_commit(ncm_rt_db(), &err)) {
		ncm_db_rollback(ncm_rt_db());
		ncm_outbox_release(&out);
		ncm_job_release(&j);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	ncm_job_release(&j);
	return ncm_http_publish_then(req, &out, NULL, NULL, NULL, accepted_after_push);
}

static int cancel_cb(const struct ncm_execution *e, void *userdata)
{
	struct ncm_execution c;

	(void)userdata;
	if (ncm_exec_status_terminal(ncm_exec_status_parse(e->status)))
		return 0;
	c = *e;
	snprintf(c.status, sizeof(c.status), "CANCELLED");
	c.detail = (char *)"job cancelled";
	c.updated_ms = ncm_rt_now_ms();
	return ncm_store_exec_put(ncm_rt_db(), &c, NULL);
}

/* PUT /v1/fota-jobs/{id}/cancel[?reason=]: the job and its unfinished executions end
 * CANCELLED; a device that reports on it afterwards is refused. */
enum MHD_Result ncm_rest_fota_job_cancel(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_job j;
	enum MHD_Result ret;

	if (!load_job(req, &j, &ret))
		return ret;
	if (!strcmp(j.status, "COMPLETED") || !strcmp(j.status, "CANCELLED")) {
		ret = ncm_reply_error(req, MHD_HTTP_CONFLICT, 40900, "job %s is already %s",
				      j.job_id, j.status);
		ncm_job_release(&j);
		return ret;
	}
	snprintf(j.status, sizeof(j.status), "CANCELLED");
	j.updated_ms = ncm_rt_now_ms();
	if (ncm_db_begin(ncm_rt_db(), &err) ||
	    ncm_store_exec_foreach(ncm_rt_db(), j.job_id, NULL, 0, cancel_cb, NULL, &err) ||
	    ncm_store_job_put(ncm_rt_db(), &j, &err) || ncm_db_commit(ncm_rt_db(), &err)) {
		ncm_db_rollback(ncm_rt_db());
		ncm_job_release(&j);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	ncm_log(NCM_LOG_NOTICE, "rest: FOTA job %s cancelled", j.job_id);
	ncm_job_release(&j);
	return ncm_rest_accepted(req);
}

/* DELETE /v1/fota-jobs/{id}: 202; executions stay, as on nRF Cloud (docs/fota.md#fota-jobs). */
enum MHD_Result ncm_rest_fota_job_delete(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	int rc = ncm_store_job_delete(ncm_rt_db(), req->params[0], &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

/* GET /v1/fota-job-executions/{deviceId}/current[?firmwareType=]: 404 with code 40499 ("not found, but no
 * error", which the SDK does not log) when there is none (docs/fota.md#rest-polling-devices). */
enum MHD_Result ncm_rest_fota_current_get(struct ncm_req *req)
{
	const char *type = ncm_req_query(req, "firmwareType");
	struct ncm_execution e;
	enum MHD_Result ret;

	if (type && ncm_fw_type_parse(type) == NCM_FW_INVALID)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "firmwareType must be APP, MODEM, MDM_FULL, BOOT or SMP");
	if (type)
		type = ncm_fw_type_name(ncm_fw_type_parse(type));
	if (ncm_store_exec_current(ncm_rt_db(), req->params[0], type, &e, NULL))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40499,
				       "no pending FOTA job for device %s", req->params[0]);
	ret = ncm_reply_json(req, MHD_HTTP_OK, ncm_fota_execution_json(ncm_rt_db(), &e));
	ncm_execution_release(&e);
	return ret;
}

/* The device library writes details unescaped into its JSON template (docs/fota.md#rest-polling-devices):
 * {"status":"FAILED", "details":"<text>"}. When the body is not JSON, take the status and the
 * text between "details":" and the final "}. */
static int parse_status_body(const char *body, size_t len, char *status, size_t ssize,
			     char **details)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *s, *d, *end;

	*details = NULL;
	if (json_is_object(j)) {
		s = json_string_value(json_object_get(j, "status"));
		d = json_string_value(json_object_get(j, "details"));
		if (s)
			snprintf(status, ssize, "%s", s);
		if (d)
			*details = strdup(d);
		json_decref(j);
		return s ? 0 : -1;
	}
	json_decref(j);
	s = strstr(body, "\"status\"");
	if (!s || sscanf(s, "\"status\" : \"%31[A-Z_]\"", status) != 1)
		if (!s || sscanf(s, "\"status\":\"%31[A-Z_]\"", status) != 1)
			return -1;
	d = strstr(body, "\"details\"");
	if (d) {
		d = strchr(d + 9, '"');
		end = body + len;
		while (end > body && (end[-1] == '}' || end[-1] == ' ' || end[-1] == '\n' ||
				      end[-1] == '\r'))
			end--;
		if (d && end > d + 1 && end[-1] == '"')
			*details = strndup(d + 1, (size_t)(end - 1 - (d + 1)));
	}
	return 0;
}

/* PATCH /v1/fota-job-executions/{deviceId}/{jobId}: {"status", "details"?}; 200, which old
 * firmware requires and new firmware accepts (docs/protocol-rest.md#device-endpoints "Accepted statuses"). */
enum MHD_Result ncm_rest_fota_execution_patch(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	enum ncm_exec_status st;
	char status[32] = "";
	char *details = NULL;
	enum MHD_Result ret;
	int rc;

	if (parse_status_body(req->body, req->body_len, status, sizeof(status), &details)) {
		free(details);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"status\":\"<status>\", \"details\":\"...\"}");
	}
	st = ncm_exec_status_parse(status);
	if (st == NCM_EXEC_INVALID) {
		free(details);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "unknown status '%s'", status);
	}
	rc = ncm_fota_report(ncm_rt_db(), req->params[0], req->params[1], st, -1, details, &err);
	free(details);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	if (rc == NCM_ERR_CONFLICT)
		return ncm_reply_error(req, MHD_HTTP_CONFLICT, 40900, "%s", err.msg);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	ret = ncm_reply_text(req, MHD_HTTP_OK, "application/json", "");
	return ret;
}

struct exec_list {
	const char *job, *device, *status;  /* what to list */
	int statuses_only;                  /* the short items of execution-statuses */
	const char *after;                  /* page key: the item after which to start */
	int seen_after;
	int limit;
	json_t *items;
};

/* The page key of an execution: the job for a device's list, the device for a job's. */
static const char *exec_key(const struct exec_list *l, const struct ncm_execution *e)
{
	return l->device ? e->job_id : e->device_id;
}

static int exec_cb(const struct ncm_execution *e, void *userdata)
{
	struct exec_list *l = userdata;
	char when[40];
	json_t *o;

	if (l->status && strcmp(e->status, l->status))
		return 0;
	if (l->after && !l->seen_after) {
		l->seen_after = !strcmp(exec_key(l, e), l->after);
		return 0;
	}
	if (json_array_size(l->items) >= (size_t)l->limit)
		return 1;
	if (l->statuses_only) {
		ncm_rt_iso8601(e->updated_ms, when, sizeof(when));
		o = json_pack("{s:s,s:s,s:s}", "deviceId", e->device_id, "status", e->status,
			      "lastUpdatedAt", when);
		if (o && e->detail)
			json_object_set_new(o, "statusDetail", json_string(e->detail));
	} else {
		o = ncm_fota_execution_json(ncm_rt_db(), e);
	}
	if (o)
		json_object_set_new(o, "_key", json_string(exec_key(l, e)));
	return json_array_append_new(l->items, o) ? NCM_ERR_NOMEM : NCM_OK;
}

static int exec_fill(const char *after, int limit, json_t *items, void *userdata,
		     struct ncm_err_info *err)
{
	struct exec_list *l = userdata;
	int rc;

	l->after = after && *after ? after : NULL;
	l->seen_after = 0;
	l->limit = limit;
	l->items = items;
	rc = ncm_store_exec_foreach(ncm_rt_db(), l->job, l->device, 0, exec_cb, l, err);
	return rc == 1 ? NCM_OK : rc;
}

/* Execution lists page by the key of their last item (a job ID or a device ID); the key rides
 * in a private "_key" field that is taken out before the answer. */
static enum MHD_Result exec_list_reply(struct ncm_req *req, const char *job, const char *device,
				       int statuses_only)
{
	struct exec_list l = { job, device, NULL, statuses_only, NULL, 0, 0, NULL };
	const char *status = ncm_req_query(req, "status");

	if (status && ncm_exec_status_parse(status) == NCM_EXEC_INVALID)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "unknown status '%s'",
				       status);
	l.status = status ? ncm_exec_status_name(ncm_exec_status_parse(status)) : NULL;
	return ncm_rest_paged(req, 10, 100, "_key", exec_fill, &l);
}

enum MHD_Result ncm_rest_fota_executions_get(struct ncm_req *req)
{
	return exec_list_reply(req, NULL, req->params[0], 0);
}

enum MHD_Result ncm_rest_fota_execution_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_execution e;
	enum MHD_Result ret;

	if (ncm_store_exec_get(ncm_rt_db(), req->params[1], req->params[0], &e, &err))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "%s", err.msg);
	ret = ncm_reply_json(req, MHD_HTTP_OK, ncm_fota_execution_json(ncm_rt_db(), &e));
	ncm_execution_release(&e);
	return ret;
}

enum MHD_Result ncm_rest_fota_execution_statuses_get(struct ncm_req *req)
{
	return exec_list_reply(req, req->params[0], NULL, 1);
}
