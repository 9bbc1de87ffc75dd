/* SPDX-License-Identifier: MIT
 * fota.h: FOTA vocabulary and state machines (docs/fota.md#fota-over-mqtt, docs/fota.md#rest-polling-devices, docs/fota.md#firmware-bundles, docs/fota.md#fota-jobs):
 * firmware types with their MQTT numbers, execution statuses with their MQTT numbers and REST
 * names, the execution and job transitions, the MQTT job document and status arrays, and the
 * firmware bundle manifest. Pure; no I/O, no clock; any thread.
 */
#ifndef NCM_FOTA_H
#define NCM_FOTA_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Firmware types; the values are the MQTT job document's numbers (enum nrf_cloud_fota_type). */
enum ncm_fw_type {
	NCM_FW_APP = 0,
	NCM_FW_MODEM = 1,
	NCM_FW_BOOT = 2,
	NCM_FW_SOFTDEVICE = 4,
	NCM_FW_MDM_FULL = 5,
	NCM_FW_SMP = 6,
	NCM_FW_INVALID = -1,
};

/* "APP", "MODEM", "BOOT", "SOFTDEVICE", "MDM_FULL", "SMP"; NULL for others. */
const char *ncm_fw_type_name(enum ncm_fw_type t);
/* The type named name (exact, upper case), or NCM_FW_INVALID. "BOOTLOADER" is BOOT. */
enum ncm_fw_type ncm_fw_type_parse(const char *name);

/* Execution statuses; values are the MQTT status numbers (enum nrf_cloud_fota_status). */
enum ncm_exec_status {
	NCM_EXEC_QUEUED = 0,
	NCM_EXEC_IN_PROGRESS = 1,
	NCM_EXEC_FAILED = 2,
	NCM_EXEC_SUCCEEDED = 3,
	NCM_EXEC_TIMED_OUT = 4,
	NCM_EXEC_CANCELLED = 5,
	NCM_EXEC_REJECTED = 6,
	NCM_EXEC_DOWNLOADING = 7,
	NCM_EXEC_INVALID = -1,
};

/* REST names: "QUEUED", ..., "CANCELLED" (double L), "DOWNLOADING". */
const char *ncm_exec_status_name(enum ncm_exec_status s);
/* From a REST name (exact; "CANCELED" with one L is accepted too) or NCM_EXEC_INVALID. */
enum ncm_exec_status ncm_exec_status_parse(const char *name);
/* FAILED, SUCCEEDED, TIMED_OUT, CANCELLED and REJECTED never change again (docs/fota.md#terminal-statuses). */
int ncm_exec_status_terminal(enum ncm_exec_status s);

/* Whether an execution may go from `from` to `to` when the DEVICE reports `to`: NCM_OK, or
 * NCM_ERR_CONFLICT with err naming why ("execution is already SUCCEEDED", "QUEUED is not a
 * status a device reports"). Allowed: QUEUED → IN_PROGRESS, DOWNLOADING, FAILED, REJECTED,
 * SUCCEEDED, TIMED_OUT, CANCELLED; IN_PROGRESS ↔ DOWNLOADING and IN_PROGRESS/DOWNLOADING → any
 * terminal; the same non-terminal status again (progress) is fine. Terminal → anything is
 * refused. */
int ncm_exec_transition(enum ncm_exec_status from, enum ncm_exec_status to,
			struct ncm_err_info *err);

/* Job statuses (FOTAV2Job.status). */
enum ncm_job_status {
	NCM_JOB_CREATED,               /* autoApply false: waiting for apply */
	NCM_JOB_IN_PROGRESS,
	NCM_JOB_COMPLETED,             /* every execution terminal */
	NCM_JOB_CANCELLED,
	NCM_JOB_DELETION_IN_PROGRESS,
};
const char *ncm_job_status_name(enum ncm_job_status s);

/* The job status that follows from its executions: CANCELLED and DELETION_IN_PROGRESS stay;
 * CREATED stays until applied (applied = 1 moves it on); then COMPLETED when every execution is
 * terminal (and there is at least one), else IN_PROGRESS. */
enum ncm_job_status ncm_job_status_next(enum ncm_job_status current, int applied,
					size_t n_executions, size_t n_terminal);

/* Parses a device's status array from jobs/update (docs/fota.md#status-updates):
 * [jobId (string, 1..36 chars), status (number 0..7, or a REST name string), detail (number for
 * DOWNLOADING progress 0..100, else a string; may be absent)]. Fills *job_id (borrowed from
 * root, which the caller parses), *status, *progress (-1 when none) and *detail (borrowed or
 * NULL). NCM_ERR_INVAL with err naming the problem. */
int ncm_fota_status_array_parse(const json_t *root, const char **job_id,
				enum ncm_exec_status *status, int *progress, const char **detail,
				struct ncm_err_info *err);

/* The MQTT job document (docs/fota.md#job-document): [execution id, type number, size, host, path]. */
json_t *ncm_fota_job_document(const char *execution_id, enum ncm_fw_type type,
			      unsigned long long size, const char *host, const char *path);

/* A firmware bundle manifest (docs/fota.md#firmware-bundles): {"name"?, "description"?, "fwversion"
 * (/^[a-zA-Z0-9._-]{1,60}$/), "format-version": 1, "files": [{"file": "*.bin", "type":
 * "application"|"mcuboot"|"bootloader"|"softdevice"|"init_packet", "size"}]}. Fills *out
 * (strings borrowed from root) and the bundle's firmware type (application/mcuboot → APP,
 * bootloader → BOOT, softdevice → SOFTDEVICE; modem manifests are refused by the caller).
 * NCM_ERR_INVAL naming the problem ("manifest fwversion missing or invalid", "manifest has no
 * files", "manifest file 'x' must be a .bin", "unknown file type 'x'", "format-version must be
 * 1"). */
struct ncm_manifest {
	const char *name, *description, *version;
	enum ncm_fw_type type;
	const char *files[8];
	size_t n_files;
	unsigned long long sizes[8];
};
int ncm_fota_manifest_parse(const json_t *root, struct ncm_manifest *out,
			    struct ncm_err_info *err);

/* A bundle ID of nRF Cloud's form "<TYPE>*<8 hex>*<version>" (docs/fota.md#firmware-bundles) from the type,
 * 4 random bytes and the version; out has at least 96 bytes. */
void ncm_fota_bundle_id(enum ncm_fw_type type, const unsigned char rnd[4], const char *version,
			char *out, size_t size);

#endif
