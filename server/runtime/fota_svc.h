/* SPDX-License-Identifier: MIT
 * fota_svc.h: FOTA as nRF Cloud runs it (docs/fota.md#fota-over-mqtt, docs/fota.md#rest-polling-devices, docs/fota.md#fota-jobs): which
 * devices a job targets, the MQTT job documents a device receives (on request or pushed when a
 * job starts), the status reports that move an execution, and the job status that follows.
 * Shared by the MQTT glue (jobs/req, jobs/update) and the REST handlers. Any thread, with that
 * thread's connection; messages to publish go into an outbox.
 */
#ifndef NCM_FOTA_SVC_H
#define NCM_FOTA_SVC_H

#include <jansson.h>

#include "db.h"
#include "fota.h"
#include "fota_jobs.h"
#include "outbox.h"

/* "<fota host>[:port]" as devices reach the file server: the port only when not 443. */
void ncm_fota_host(char *buf, size_t size);
/* "https://<fota host>[:port]/<tenant>/<bundle>/<file>". */
void ncm_fota_file_url(const char *bundle_id, const char *file, char *buf, size_t size);

/* 1 when the device's firmware.supports (reported fota_v2, else the types given at onboarding)
 * holds type_name. */
int ncm_fota_device_supports(struct ncm_db *db, const char *device_id, const char *type_name);

/* The MQTT job document of an execution (docs/fota.md#job-document), or NULL when its bundle is gone. */
json_t *ncm_fota_job_document_of(struct ncm_db *db, const struct ncm_execution *e);

/* The REST FOTAJobExecution object (docs/fota.md#rest-polling-devices). New reference. */
json_t *ncm_fota_execution_json(struct ncm_db *db, const struct ncm_execution *e);

/* Adds to out the device's current job on <prefix><id>/jobs/rcv (nothing when it has none). */
int ncm_fota_request(struct ncm_db *db, const char *device_id, struct ncm_outbox *out);

/* Pushes job_id's queued executions to their devices (the current job of each). */
int ncm_fota_push(struct ncm_db *db, const char *job_id, struct ncm_outbox *out);

/* A device's status report on its execution of job_id: checks the transition (NCM_ERR_NOT_FOUND
 * when the device has no execution of that job; NCM_ERR_CONFLICT when the execution or the job
 * is finished), records status, progress and detail, and completes the job when every execution
 * is final. The whole lifecycle is journaled ("fota.status"). */
int ncm_fota_report(struct ncm_db *db, const char *device_id, const char *job_id,
		    enum ncm_exec_status status, int progress, const char *detail,
		    struct ncm_err_info *err);

/* Recomputes and stores job_id's status from its executions. */
int ncm_fota_job_refresh(struct ncm_db *db, const char *job_id, struct ncm_err_info *err);

#endif
