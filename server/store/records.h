/* SPDX-License-Identifier: MIT
 * records.h: small JSON records of the wider REST surface (docs/protocol-rest.md#rest-surface):
 * device alerts, location contributions, device images and team MQTT devices, one table keyed
 * by (kind, id), with the device a record belongs to, a status and its times. Any thread, with
 * that thread's connection.
 */
#ifndef NCM_RECORDS_H
#define NCM_RECORDS_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"

#define NCM_REC_ALERT "alert"
#define NCM_REC_CONTRIBUTION "contribution"
#define NCM_REC_IMAGE "image"
#define NCM_REC_TEAM_DEVICE "team-device"

struct ncm_record {
	const char *kind;
	const char *id;
	const char *device_id;   /* "" when none */
	const char *status;      /* "" when none */
	int64_t created_ms;
	int64_t updated_ms;
	const char *body;        /* JSON text */
};

/* Inserts the record, or replaces device, status and body of an existing one (its creation
 * time kept). */
int ncm_store_record_put(struct ncm_db *db, const struct ncm_record *r, struct ncm_err_info *err);

/* Calls cb with the record (borrowed for the call); NCM_ERR_NOT_FOUND when absent. */
typedef int (*ncm_record_cb)(const struct ncm_record *r, void *userdata);
int ncm_store_record_get(struct ncm_db *db, const char *kind, const char *id, ncm_record_cb cb,
			 void *userdata, struct ncm_err_info *err);

/* Sets the status; NCM_ERR_NOT_FOUND when absent. */
int ncm_store_record_set_status(struct ncm_db *db, const char *kind, const char *id,
				const char *status, int64_t now_ms, struct ncm_err_info *err);

/* NCM_ERR_NOT_FOUND when absent. */
int ncm_store_record_delete(struct ncm_db *db, const char *kind, const char *id,
			    struct ncm_err_info *err);

/* Records of kind in id order (descending when desc), after the id after ("" or NULL: from the
 * start), at most limit; device_ids is a comma-separated list (NULL: any), status NULL: any. */
struct ncm_record_filter {
	const char *kind;
	const char *device_ids;
	const char *status;
	const char *after;
	int desc;
	int limit;
};
int ncm_store_record_list(struct ncm_db *db, const struct ncm_record_filter *f, ncm_record_cb cb,
			  void *userdata, struct ncm_err_info *err);

/* A new random UUID (version 4), as nRF Cloud's record IDs are ("Universally unique
 * identifier"). */
void ncm_store_record_uuid(char out[37]);
/* The same, NCM_ERR_CRYPTO (out untouched) when there is no randomness instead of a fixed
 * stand-in. */
int ncm_store_uuid_random(char out[37]);

/* The alert hook of the message store: a d2c JSON message with appId "ALERT" (the SDK's
 * nrf_cloud_alert library) also becomes an ACTIVE alert. */
int ncm_store_alert_from_message(struct ncm_db *db, const char *device_id, int64_t received_ms,
				 const void *payload, size_t len, struct ncm_err_info *err);

#endif
