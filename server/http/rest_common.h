/* SPDX-License-Identifier: MIT
 * rest_common.h: what the REST handlers (rest_<resource>.c) share: the route table pieces,
 * times in nRF Cloud's ISO 8601 form, opaque page tokens, the device object, URLs of this
 * server, and handing messages to the broker thread.
 */
#ifndef NCM_HTTP_REST_COMMON_H
#define NCM_HTTP_REST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "devices.h"
#include "isotime.h"
#include "outbox.h"
#include "publish.h"
#include "request.h"


/* Page size from ?pageLimit= (default def, 1..max); -1 (and answered 400) when malformed. */
int ncm_rest_page_limit(struct ncm_req *req, int def, int max, enum MHD_Result *ret);

/* Opaque page tokens (docs/protocol-rest.md#pages): base64url of a key, so a client may pass them URL-
 * encoded or not. encode returns a malloc'd token; decode a malloc'd key, or NULL when the
 * token is not one of ours. */
char *ncm_rest_page_token(const char *key);
char *ncm_rest_page_key(const char *token);

/* Standard base64 (with or without padding) into a malloc'd buffer; -1 when malformed. */
int ncm_rest_b64_decode(const char *text, unsigned char **out, size_t *len);

/* Fills items with at most limit entries that come after the page key after ("" or NULL: the
 * start). */
typedef int (*ncm_rest_page_fill)(const char *after, int limit, json_t *items, void *userdata,
				  struct ncm_err_info *err);

/* Answers a list with nRF Cloud's pages (docs/protocol-rest.md#pages): ?pageLimit (def, at most max) and
 * ?pageNextToken; asks fill for one more than a page to know whether there is a next one, whose
 * token is the key_field value of the page's last item (key_field NULL: the items are strings,
 * the last one is the key). {"items","total","pageNextToken"?}. */
enum MHD_Result ncm_rest_paged(struct ncm_req *req, int def, int max, const char *key_field,
			       ncm_rest_page_fill fill, void *userdata);

/* 1 when the device req->params[0] exists, *d filled (release it either way); else 0 with
 * nRF Cloud's 404 40410 (or a 500) answered in *ret. */
int ncm_rest_device_load(struct ncm_req *req, struct ncm_device *d, enum MHD_Result *ret);

/* 1 when ?name= is "true" (or "1"). */
int ncm_rest_query_bool(struct ncm_req *req, const char *name);

/* The GenericDevice object (docs/protocol-rest.md#devices) of d, with firmware.* mirrored from the
 * shadow's reported device info (docs/protocol-rest.md#compatibility-checklist item 5); state (and its metadata) only when asked. shadow
 * may be NULL. New reference. */
json_t *ncm_rest_device_json(const struct ncm_device *d, const json_t *shadow, int with_state,
			     int with_meta);

/* "https://<api host>[:port]" of this server, as clients reach it (port left out when 443). */
void ncm_rest_base_url(char *buf, size_t size);

/* 202 with an empty body (what nRF Cloud answers to PATCH state, name, tags, onboarding). */
enum MHD_Result ncm_rest_accepted(struct ncm_req *req);

/* Handlers, by resource family. */
enum MHD_Result ncm_rest_account_get(struct ncm_req *req);
enum MHD_Result ncm_rest_service_key_post(struct ncm_req *req);
enum MHD_Result ncm_rest_service_token_get(struct ncm_req *req);
enum MHD_Result ncm_rest_eval_token_post(struct ncm_req *req);
enum MHD_Result ncm_rest_eval_token_get(struct ncm_req *req);
enum MHD_Result ncm_rest_status_get(struct ncm_req *req);

enum MHD_Result ncm_rest_devices_get(struct ncm_req *req);
enum MHD_Result ncm_rest_device_get(struct ncm_req *req);
enum MHD_Result ncm_rest_device_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_device_name_put(struct ncm_req *req);
enum MHD_Result ncm_rest_device_tags_put(struct ncm_req *req);
enum MHD_Result ncm_rest_device_state_patch(struct ncm_req *req);

enum MHD_Result ncm_rest_onboard_csv_post(struct ncm_req *req);
enum MHD_Result ncm_rest_onboard_one_post(struct ncm_req *req);
enum MHD_Result ncm_rest_certificates_post(struct ncm_req *req);
enum MHD_Result ncm_rest_public_keys_post(struct ncm_req *req);
enum MHD_Result ncm_rest_bulk_ops_get(struct ncm_req *req);
enum MHD_Result ncm_rest_bulk_op_get(struct ncm_req *req);
enum MHD_Result ncm_rest_bulk_op_errors_get(struct ncm_req *req);
enum MHD_Result ncm_rest_bulk_op_uploaded_get(struct ncm_req *req);

enum MHD_Result ncm_rest_account_device_post(struct ncm_req *req);
enum MHD_Result ncm_rest_device_certificate_post(struct ncm_req *req);
enum MHD_Result ncm_rest_association_put(struct ncm_req *req);
enum MHD_Result ncm_rest_association_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_account_device_delete(struct ncm_req *req);

enum MHD_Result ncm_rest_messages_get(struct ncm_req *req);
enum MHD_Result ncm_rest_device_message_post(struct ncm_req *req);

enum MHD_Result ncm_rest_firmware_post(struct ncm_req *req);
enum MHD_Result ncm_rest_firmwares_get(struct ncm_req *req);
enum MHD_Result ncm_rest_firmware_delete(struct ncm_req *req);
enum MHD_Result ncm_files_get(struct ncm_req *req);

enum MHD_Result ncm_rest_ground_fix_post(struct ncm_req *req);
enum MHD_Result ncm_rest_location_cell_post(struct ncm_req *req);
enum MHD_Result ncm_rest_location_wifi_post(struct ncm_req *req);
enum MHD_Result ncm_rest_single_cell_get(struct ncm_req *req);
enum MHD_Result ncm_rest_agnss(struct ncm_req *req);
enum MHD_Result ncm_rest_agps_get(struct ncm_req *req);
enum MHD_Result ncm_rest_pgps_get(struct ncm_req *req);
enum MHD_Result ncm_rest_pgps_file_get(struct ncm_req *req);
enum MHD_Result ncm_rest_gnss_post(struct ncm_req *req);
enum MHD_Result ncm_rest_location_history_get(struct ncm_req *req);
enum MHD_Result ncm_rest_location_history_delete(struct ncm_req *req);

enum MHD_Result ncm_rest_fota_job_post(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_jobs_get(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_job_get(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_job_apply(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_job_cancel(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_job_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_current_get(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_execution_patch(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_executions_get(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_execution_get(struct ncm_req *req);
enum MHD_Result ncm_rest_fota_execution_statuses_get(struct ncm_req *req);

/* The wider surface (docs/protocol-rest.md#rest-surface). */
enum MHD_Result ncm_rest_openapi_get(struct ncm_req *req);
enum MHD_Result ncm_rest_usage_summary_get(struct ncm_req *req);
enum MHD_Result ncm_rest_usage_get(struct ncm_req *req);
enum MHD_Result ncm_rest_invoices_get(struct ncm_req *req);
enum MHD_Result ncm_rest_account_tags_get(struct ncm_req *req);
enum MHD_Result ncm_rest_device_tags_get(struct ncm_req *req);
enum MHD_Result ncm_rest_alerts_get(struct ncm_req *req);
enum MHD_Result ncm_rest_alert_archive(struct ncm_req *req);
enum MHD_Result ncm_rest_alert_restore(struct ncm_req *req);
enum MHD_Result ncm_rest_binary_logs_url_get(struct ncm_req *req);
enum MHD_Result ncm_rest_binary_logs_file_get(struct ncm_req *req);
enum MHD_Result ncm_rest_team_device_post(struct ncm_req *req);
enum MHD_Result ncm_rest_team_device_get(struct ncm_req *req);
enum MHD_Result ncm_rest_team_device_patch(struct ncm_req *req);
enum MHD_Result ncm_rest_team_device_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_device_image_put(struct ncm_req *req);
enum MHD_Result ncm_rest_device_image_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_gateway_scan_post(struct ncm_req *req);
enum MHD_Result ncm_rest_gateway_discover_post(struct ncm_req *req);
enum MHD_Result ncm_rest_gateway_attribute(struct ncm_req *req);
enum MHD_Result ncm_rest_gateway_add_peripheral(struct ncm_req *req);
enum MHD_Result ncm_rest_geo_get(struct ncm_req *req);
enum MHD_Result ncm_rest_anchors_get(struct ncm_req *req);
enum MHD_Result ncm_rest_anchor_post(struct ncm_req *req);
enum MHD_Result ncm_rest_anchor_get(struct ncm_req *req);
enum MHD_Result ncm_rest_anchor_patch(struct ncm_req *req);
enum MHD_Result ncm_rest_anchor_delete(struct ncm_req *req);
enum MHD_Result ncm_rest_contribution_post(struct ncm_req *req);
enum MHD_Result ncm_rest_contributions_get(struct ncm_req *req);
enum MHD_Result ncm_rest_contribution_delete(struct ncm_req *req);

/* A device's credentials issued over REST (rest_issue.c): malloc'd PEM texts. */
struct ncm_rest_credentials {
	char *cert_pem, *key_pem, *ca_pem;
	int existed; /* the device existed: its old certificate was replaced */
};

/* A new lab-CA key and certificate for id, stored (a new row named name, onboarded by
 * "rest", or the existing row's certificate replaced); 0, or -1 with the 500 answer in *ret
 * (what names the certificate in it). Release c either way. */
int ncm_rest_issue_credentials(struct ncm_req *req, const char *id, const char *name,
			       const char *what, struct ncm_rest_credentials *c,
			       enum MHD_Result *ret);
/* Frees c's texts, the private key wiped first. */
void ncm_rest_credentials_release(struct ncm_rest_credentials *c);

#endif
