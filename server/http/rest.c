/* SPDX-License-Identifier: MIT
 * rest.c: the route table of the HTTPS listener: nRF Cloud's /v1 REST API, one handler file
 * per resource family (rest_<resource>.c), and the schemes each endpoint accepts (
 * docs/protocol-rest.md#device-endpoints, docs/protocol-rest.md#user-endpoints: API key everywhere; device JWTs where the device library calls; service tokens on
 * the location endpoints). Specific paths come before {id} patterns. A path in no row gets nRF
 * Cloud's 404 body from the router (docs/protocol-rest.md#errors).
 */
#include "rest_common.h"

#define KEY NCM_AUTH_API_KEY
#define KEY_DEV (NCM_AUTH_API_KEY | NCM_AUTH_DEVICE_JWT)
/* location services: also service-key JWTs and the evaluation token (docs/protocol-rest.md#service-keys-and-evaluation-tokens) */
#define LOC (KEY_DEV | NCM_AUTH_SERVICE_JWT | NCM_AUTH_EVAL_TOKEN)
#define SMALL (64 * 1024)
#define CSV (4 * 1024 * 1024)
#define FIRMWARE (64 * 1024 * 1024)

const struct ncm_route ncm_rest_routes[] = {
	{ "GET", "/v1/status", ncm_rest_status_get, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/v1/account", ncm_rest_account_get, 0, KEY, 0 },
	{ "POST", "/v1/account/service-key-and-token", ncm_rest_service_key_post, SMALL, KEY, 0 },
	{ "GET", "/v1/account/service-token", ncm_rest_service_token_get, 0, KEY, 0 },
	{ "POST", "/v1/account/service-evaluation-token", ncm_rest_eval_token_post, SMALL, KEY, 0 },
	{ "GET", "/v1/account/service-evaluation-token", ncm_rest_eval_token_get, 0, KEY, 0 },

	{ "GET", "/v1/devices", ncm_rest_devices_get, 0, KEY, 0 },
	{ "POST", "/v1/devices", ncm_rest_onboard_csv_post, CSV, KEY, 0 },
	{ "POST", "/v1/devices/certificates", ncm_rest_certificates_post, CSV, KEY, 0 },
	{ "POST", "/v1/devices/public-keys", ncm_rest_public_keys_post, CSV, KEY, 0 },
	{ "POST", "/v1/devices/account", ncm_rest_account_device_post, SMALL, KEY, 0 },
	{ "DELETE", "/v1/devices/account", ncm_rest_account_device_delete, 0, KEY, 0 },
	{ "GET", "/v1/devices/{id}", ncm_rest_device_get, 0, KEY_DEV, 1 },
	{ "POST", "/v1/devices/{id}", ncm_rest_onboard_one_post, SMALL, KEY, 0 },
	{ "DELETE", "/v1/devices/{id}", ncm_rest_device_delete, SMALL, KEY, 0 },
	{ "PUT", "/v1/devices/{id}/name", ncm_rest_device_name_put, SMALL, KEY, 0 },
	{ "PUT", "/v1/devices/{id}/tags", ncm_rest_device_tags_put, SMALL, KEY, 0 },
	{ "PATCH", "/v1/devices/{id}/state", ncm_rest_device_state_patch, SMALL, KEY_DEV, 1 },
	{ "POST", "/v1/devices/{id}/messages", ncm_rest_device_message_post, 256 * 1024, KEY_DEV,
	  1 },

	{ "GET", "/v1/messages", ncm_rest_messages_get, 0, KEY, 0 },

	{ "POST", "/v1/location/ground-fix", ncm_rest_ground_fix_post, SMALL, LOC, 0 },
	{ "POST", "/v1/location/cell", ncm_rest_location_cell_post, SMALL, LOC, 0 },
	{ "POST", "/v1/location/wifi", ncm_rest_location_wifi_post, SMALL, LOC, 0 },
	{ "GET", "/v1/location/single-cell", ncm_rest_single_cell_get, 0, LOC, 0 },
	{ "POST", "/v1/location/agnss", ncm_rest_agnss, SMALL, LOC, 0 },
	{ "HEAD", "/v1/location/agnss", ncm_rest_agnss, 0, LOC, 0 },
	{ "GET", "/v1/location/agps", ncm_rest_agps_get, 0, LOC, 0 },
	{ "HEAD", "/v1/location/agps", ncm_rest_agps_get, 0, LOC, 0 },
	{ "GET", "/v1/location/pgps", ncm_rest_pgps_get, 0, LOC, 0 },
	{ "GET", "/v1/location/pgnss", ncm_rest_pgps_get, 0, LOC, 0 },
	{ "POST", "/v1/location/gnss", ncm_rest_gnss_post, SMALL, LOC, 0 },
	{ "GET", "/v1/location/history", ncm_rest_location_history_get, 0,
	  NCM_AUTH_API_KEY | NCM_AUTH_SERVICE_JWT, 0 },
	{ "DELETE", "/v1/location/history/{deviceId}/{id}", ncm_rest_location_history_delete, 0,
	  KEY, 0 },

	{ "GET", "/v1/bulk-ops-requests", ncm_rest_bulk_ops_get, 0, KEY, 0 },
	{ "GET", "/v1/bulk-ops-requests/{id}", ncm_rest_bulk_op_get, 0, KEY, 0 },
	{ "GET", "/v1/firmwares", ncm_rest_firmwares_get, 0, KEY, 0 },
	{ "POST", "/v1/firmwares", ncm_rest_firmware_post, FIRMWARE, KEY, 0 },
	{ "DELETE", "/v1/firmwares/{bundleId}", ncm_rest_firmware_delete, 0, KEY, 0 },

	{ "GET", "/v1/fota-jobs", ncm_rest_fota_jobs_get, 0, KEY, 0 },
	{ "POST", "/v1/fota-jobs", ncm_rest_fota_job_post, SMALL, KEY, 0 },
	{ "GET", "/v1/fota-jobs/{jobId}", ncm_rest_fota_job_get, 0, KEY, 0 },
	{ "DELETE", "/v1/fota-jobs/{jobId}", ncm_rest_fota_job_delete, 0, KEY, 0 },
	{ "POST", "/v1/fota-jobs/{jobId}/apply", ncm_rest_fota_job_apply, SMALL, KEY, 0 },
	{ "PUT", "/v1/fota-jobs/{jobId}/cancel", ncm_rest_fota_job_cancel, SMALL, KEY, 0 },
	{ "GET", "/v1/fota-job-executions/{deviceId}", ncm_rest_fota_executions_get, 0, KEY_DEV,
	  1 },
	{ "GET", "/v1/fota-job-executions/{deviceId}/current", ncm_rest_fota_current_get, 0,
	  KEY_DEV, 1 },
	{ "GET", "/v1/fota-job-executions/{deviceId}/{jobId}", ncm_rest_fota_execution_get, 0,
	  KEY_DEV, 1 },
	{ "PATCH", "/v1/fota-job-executions/{deviceId}/{jobId}", ncm_rest_fota_execution_patch,
	  SMALL, KEY_DEV, 1 },
	{ "GET", "/v1/fota-job-execution-statuses/{jobId}", ncm_rest_fota_execution_statuses_get,
	  0, KEY, 0 },

	/* fetched without credentials by nrfcloud-utils (docs/protocol-rest.md#onboarding) */
	{ "GET", "/bulk-ops/{id}/errors.json", ncm_rest_bulk_op_errors_get, 0, NCM_AUTH_NONE, 0 },
	{ "GET", "/bulk-ops/{id}/uploaded", ncm_rest_bulk_op_uploaded_get, 0, NCM_AUTH_NONE, 0 },
	/* P-GPS prediction files, where /v1/location/pgps points devices (docs/location.md#p-gps) */
	{ "GET", "/public/{file}", ncm_rest_pgps_file_get, 0, NCM_AUTH_NONE, 0 },
	{ "HEAD", "/public/{file}", ncm_rest_pgps_file_get, 0, NCM_AUTH_NONE, 0 },
	/* firmware images: the host and path of job documents, one-way TLS, no credentials, as
	 * devices download them (docs/fota.md#image-download); last, since it matches any 3-level path */
	{ "GET", "/{tenant}/{bundle}/{file}", ncm_files_get, 0, NCM_AUTH_NONE, 0 },
	{ "HEAD", "/{tenant}/{bundle}/{file}", ncm_files_get, 0, NCM_AUTH_NONE, 0 },
};
const size_t ncm_rest_routes_count = sizeof(ncm_rest_routes) / sizeof(ncm_rest_routes[0]);
