/* SPDX-License-Identifier: MIT
 * fota_svc.c: FOTA jobs, executions and their documents (see fota_svc.h).
 */
#include "fota_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware.h"
#include "log.h"
#include "runtime.h"
#include "devices.h"
#include "shadows.h"

void ncm_fota_host(char *buf, size_t size)
{
	int port = ncm_rt_https_port();

	if (port == 443)
		snprintf(buf, size, "%s", ncm_rt()->cfg.fota_host);
	else
		snprintf(buf, size, "%s:%d", ncm_rt()->cfg.fota_host, port);
}

void ncm_fota_file_url(const char *bundle_id, const char *file, char *buf, size_t size)
{
	char host[300];

	ncm_fota_host(host, sizeof(host));
	snprintf(buf, size, "https://%s/%s/%s/%s", host, ncm_rt()->team.tenant_id, bundle_id, file);
}

int ncm_fota_device_supports(struct ncm_db *db, const char *device_id, const char *type_name)
{
	struct ncm_device d;
	json_t *doc = NULL, *list = NULL, *v;
	size_t i;
	int found = 0;

	if (ncm_store_device_get(db, device_id, &d, NULL))
		return 0;
	ncm_store_shadow_get(db, device_id, &doc, NULL);
	list = json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(doc, "state"), "reported"), "device"), "serviceInfo"), "fota_v2");
	if (json_is_array(list)) {
		json_incref(list);
	} else {
		list = json_loads(d.fw_types_json ? d.fw_types_json : "[]", 0, NULL);
	}
	json_array_foreach(list, i, v)
		found |= json_is_string(v) && !strcmp(json_string_value(v), type_name);
	json_decref(list);
	json_decref(doc);
	ncm_device_release(&d);
	return found;
}

/* The bundle's first image file (its "path" for devices) and its size. */
static int bundle_file(const struct ncm_bundle *b, char *file, size_t size,
		       unsigned long long *bytes)
{
	json_t *files = json_loads(b->files_json, 0, NULL), *f = json_array_get(files, 0);
	const char *name = json_string_value(json_object_get(f, "file"));

	if (name) {
		snprintf(file, size, "%s", name);
		*bytes = (unsigned long long)json_integer_value(json_object_get(f, "size"));
	}
	json_decref(files);
	return name ? 0 : -1;
}

json_t *ncm_fota_job_document_of(struct ncm_db *db, const struct ncm_execution *e)
{
	struct ncm_job j;
	struct ncm_bundle b;
	char host[300], path[512], file[256];
	unsigned long long size = 0;
	json_t *doc = NULL;

	if (ncm_store_job_get(db, e->job_id, &j, NULL))
		return NULL;
	if (ncm_store_bundle_get(db, j.bundle_id, &b, NULL) == NCM_OK) {
		if (!bundle_file(&b, file, sizeof(file), &size)) {
			ncm_fota_host(host, sizeof(host));
			snprintf(path, sizeof(path), "%s/%s/%s", ncm_rt()->team.tenant_id,
				 b.bundle_id, file);
			doc = ncm_fota_job_document(e->job_id, ncm_fw_type_parse(b.type), size, host,
						    path);
		}
		ncm_bundle_release(&b);
	}
	ncm_job_release(&j);
	return doc;
}

json_t *ncm_fota_execution_json(struct ncm_db *db, const struct ncm_execution *e)
{
	json_t *doc = ncm_fota_job_document_of(db, e), *o;
	struct ncm_job j;
	char created[40], updated[40];
	const char *version = "";
	struct ncm_bundle b = { 0 };

	if (!ncm_store_job_get(db, e->job_id, &j, NULL)) {
		ncm_store_bundle_get(db, j.bundle_id, &b, NULL);
		ncm_job_release(&j);
	}
	version = b.version;
	ncm_rt_iso8601(e->created_ms, created, sizeof(created));
	ncm_rt_iso8601(e->updated_ms, updated, sizeof(updated));
	/* FOTAJobExecution (docs/fota.md#rest-polling-devices); the execution ID is the job ID, unique per device */
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "tenantId", ncm_rt()->team.tenant_id,
		      "status", e->status, "executionId", e->job_id, "jobId", e->job_id,
		      "createdAt", created, "lastUpdatedAt", updated, "deviceId", e->device_id);
	if (o && e->detail)
		json_object_set_new(o, "statusDetail", json_string(e->detail));
	if (o && doc)
		json_object_set_new(o, "jobDocument",
				    json_pack("{s:s,s:O,s:O,s:O,s:s,s:s}", "firmwareType",
					      ncm_fw_type_name((enum ncm_fw_type)json_integer_value(
						      json_array_get(doc, 1))) ?: "APP",
					      "fileSize", json_array_get(doc, 2), "host",
					      json_array_get(doc, 3), "path", json_array_get(doc, 4),
					      "version", version, "bundleId", b.bundle_id));
	json_decref(doc);
	ncm_bundle_release(&b);
	return o;
}

static int add_rcv(struct ncm_db *db, const struct ncm_execution *e, struct ncm_outbox *out)
{
	json_t *doc = ncm_fota_job_document_of(db, e);
	char topic[512];

	if (!doc)
		return 0;
	snprintf(topic, sizeof(topic), "%s%s/jobs/rcv", ncm_rt()->prefix, e->device_id);
	return ncm_outbox_add_json(out, topic, doc);
}

int ncm_fota_request(struct ncm_db *db, const char *device_id, struct ncm_outbox *out)
{
	struct ncm_execution e;
	int rc;

	if (ncm_store_exec_current(db, device_id, NULL, &e, NULL))
		return 0; /* no job: nothing is sent (docs/protocol-mqtt.md#connect-sequence) */
	rc = add_rcv(db, &e, out);
	ncm_execution_release(&e);
	return rc;
}

struct push_ctx {
	struct ncm_db *db;
	struct ncm_outbox *out;
};

static int push_cb(const struct ncm_execution *e, void *userdata)
{
	struct push_ctx *c = userdata;
	struct ncm_execution cur;

	/* a device holding another job skips new ones (docs/fota.md#job-document): push only its current */
	if (ncm_store_exec_current(c->db, e->device_id, NULL, &cur, NULL))
		return 0;
	if (!strcmp(cur.job_id, e->job_id))
		add_rcv(c->db, &cur, c->out);
	ncm_execution_release(&cur);
	return 0;
}

int ncm_fota_push(struct ncm_db *db, const char *job_id, struct ncm_outbox *out)
{
	struct push_ctx c = { db, out };

	return ncm_store_exec_foreach(db, job_id, NULL, 0, push_cb, &c, NULL);
}

struct count_ctx {
	size_t n, terminal;
};

static int count_cb(const struct ncm_execution *e, void *userdata)
{
	struct count_ctx *c = userdata;

	c->n++;
	c->terminal += ncm_exec_status_terminal(ncm_exec_status_parse(e->status)) ? 1 : 0;
	return 0;
}

static enum ncm_job_status job_status_parse(const char *s)
{
	static const enum ncm_job_status all[] = { NCM_JOB_CREATED, NCM_JOB_IN_PROGRESS,
						   NCM_JOB_COMPLETED, NCM_JOB_CANCELLED,
						   NCM_JOB_DELETION_IN_PROGRESS };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(ncm_job_status_name(all[i]), s))
			return all[i];
	return NCM_JOB_IN_PROGRESS;
}

int ncm_fota_job_refresh(struct ncm_db *db, const char *job_id, struct ncm_err_info *err)
{
	struct count_ctx c = { 0, 0 };
	struct ncm_job j;
	enum ncm_job_status cur, next;
	int rc = ncm_store_job_get(db, job_id, &j, err);

	if (rc)
		return rc;
	rc = ncm_store_exec_foreach(db, job_id, NULL, 0, count_cb, &c, err);
	cur = job_status_parse(j.status);
	next = ncm_job_status_next(cur, cur != NCM_JOB_CREATED, c.n, c.terminal);
	if (!rc && next != cur) {
		snprintf(j.status, sizeof(j.status), "%s", ncm_job_status_name(next));
		j.updated_ms = ncm_rt_now_ms();
		if (next == NCM_JOB_COMPLETED)
			j.completed_ms = j.updated_ms;
		rc = ncm_store_job_put(db, &j, err);
	}
	ncm_job_release(&j);
	return rc;
}

int ncm_fota_report(struct ncm_db *db, const char *device_id, const char *job_id,
		    enum ncm_exec_status status, int progress, const char *detail,
		    struct ncm_err_info *err)
{
	struct ncm_journal_rec rec = { 0 };
	struct ncm_execution e = { 0 };
	struct ncm_job j = { 0 };
	char what[160];
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	rc = ncm_store_exec_get(db, job_id, device_id, &e, err);
	if (!rc)
		rc = ncm_store_job_get(db, job_id, &j, err);
	if (!rc && !strcmp(j.status, "CANCELLED"))
		rc = ncm_err_set(err, NCM_ERR_CONFLICT, "job %s was cancelled", job_id);
	/* a device re-sends its final report when the PUBACK got lost (docs/fota.md#status-updates):
	 * the same final status again is acknowledged and changes nothing */
	if (!rc && ncm_exec_status_parse(e.status) == status && ncm_exec_status_terminal(status)) {
		ncm_db_rollback(db);
		ncm_execution_release(&e);
		ncm_job_release(&j);
		return NCM_OK;
	}
	if (!rc)
		rc = ncm_exec_transition(ncm_exec_status_parse(e.status), status, err);
	if (rc)
		goto out;
	snprintf(e.status, sizeof(e.status), "%s", ncm_exec_status_name(status));
	if (status == NCM_EXEC_DOWNLOADING && progress >= 0)
		e.progress = progress;
	free(e.detail);
	e.detail = detail && *detail ? strdup(detail) : NULL;
	e.updated_ms = ncm_rt_now_ms();
	rc = ncm_store_exec_put(db, &e, err);
	if (!rc)
		rc = ncm_fota_job_refresh(db, job_id, err);
	if (!rc)
		rc = ncm_db_commit(db, err);
out:
	if (rc)
		ncm_db_rollback(db);
	snprintf(what, sizeof(what), "%s %s", job_id, ncm_exec_status_name(status) ?: "?");
	rec.kind = rc ? "fota.status_refused" : "fota.status";
	rec.device = device_id;
	rec.topic = what;
	rec.status = status == NCM_EXEC_DOWNLOADING ? progress : (int)status;
	rec.reason = rc ? (err ? err->msg : "refused") : detail;
	ncm_rt_journal(&rec);
	ncm_execution_release(&e);
	ncm_job_release(&j);
	return rc;
}
