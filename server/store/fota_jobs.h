/* SPDX-License-Identifier: MIT
 * fota_jobs.h: FOTA jobs and their executions, one per target device (docs/fota.md#rest-polling-devices,
 * docs/fota.md#fota-jobs). Statuses are stored as their REST names; core/fota.c owns the transitions. Any thread,
 * with that thread's connection.
 */
#ifndef NCM_FOTA_JOBS_H
#define NCM_FOTA_JOBS_H

#include <stdint.h>

#include "db.h"

struct ncm_job {
	char job_id[40];
	char bundle_id[128];
	char *name;          /* or NULL */
	char *description;   /* or NULL */
	char status[32];     /* CREATED, IN_PROGRESS, COMPLETED, CANCELLED, ... */
	char *target_json;   /* {"deviceIds":[..],"tags":[..]} */
	int auto_apply;
	int skipped;         /* targets that do not support the bundle's type: counted, not queued */
	int64_t created_ms, updated_ms, completed_ms;
};

struct ncm_execution {
	char job_id[40];
	char device_id[136];
	char status[16];
	char *detail;        /* or NULL */
	int progress;        /* DOWNLOADING percent, -1 when none */
	int64_t created_ms, updated_ms;
};

void ncm_job_release(struct ncm_job *j);
void ncm_execution_release(struct ncm_execution *e);

int ncm_store_job_put(struct ncm_db *db, const struct ncm_job *j, struct ncm_err_info *err);
int ncm_store_job_get(struct ncm_db *db, const char *id, struct ncm_job *out,
		      struct ncm_err_info *err);
int ncm_store_job_delete(struct ncm_db *db, const char *id, struct ncm_err_info *err);
typedef int (*ncm_job_cb)(const struct ncm_job *j, void *userdata);
/* Jobs in creation order after after_id ("" for the start; created_ms, then ID), at most limit. */
int ncm_store_job_foreach(struct ncm_db *db, const char *after_id, int limit, ncm_job_cb cb,
			  void *userdata, struct ncm_err_info *err);

int ncm_store_exec_put(struct ncm_db *db, const struct ncm_execution *e,
		       struct ncm_err_info *err);
int ncm_store_exec_get(struct ncm_db *db, const char *job_id, const char *device_id,
		       struct ncm_execution *out, struct ncm_err_info *err);
typedef int (*ncm_exec_cb)(const struct ncm_execution *e, void *userdata);
/* Executions of job_id and/or device_id (NULL: any), oldest first, at most limit. */
int ncm_store_exec_foreach(struct ncm_db *db, const char *job_id, const char *device_id,
			   int limit, ncm_exec_cb cb, void *userdata, struct ncm_err_info *err);
/* The device's current execution (docs/fota.md#rest-polling-devices): the oldest QUEUED, IN_PROGRESS or
 * DOWNLOADING one whose job is IN_PROGRESS, of a bundle of type fw_type when not NULL.
 * NCM_ERR_NOT_FOUND when none. */
int ncm_store_exec_current(struct ncm_db *db, const char *device_id, const char *fw_type,
			   struct ncm_execution *out, struct ncm_err_info *err);

#endif
