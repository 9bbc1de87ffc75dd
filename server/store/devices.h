/* SPDX-License-Identifier: MIT
 * devices.h: device rows (docs/architecture.md#identity-and-the-lab-ca): identity (certificate and fingerprint, or public key),
 * name, tags, subType, how it was onboarded, and connection times. Device IDs compare
 * case-insensitively (docs/protocol-rest.md#device-ids). Deleting a device revokes its certificate, so
 * auto-onboarding cannot bring a deleted device back on its next connect.
 */
#ifndef NCM_DEVICES_H
#define NCM_DEVICES_H

#include <stdint.h>

#include "db.h"
#include "devid.h"
#include "pki.h"

struct ncm_device {
	char id[NCM_DEVID_MAX + 1];
	char *cert_pem;                        /* NULL when registered by public key only */
	char fingerprint[NCM_PKI_FP_LEN + 1];  /* "" without certificate */
	char *pubkey_pem;                      /* NULL when unknown */
	char *name;                            /* never NULL after a get: defaults to the ID */
	char *tags_json;                       /* JSON array text, "[]" by default */
	char *sub_type;                        /* NULL when unset */
	char onboarded_by[16];                 /* "fixture", "admin", "auto", "rest" */
	char *fw_types_json;                   /* firmware types given at onboarding, JSON array */
	int64_t created_ms;
	int64_t last_connect_ms;               /* 0: never */
	int64_t last_disconnect_ms;            /* 0: never */
	int64_t updated_ms;                    /* last change of name, tags or credentials */
};

/* Frees the strings of d (not d itself) and zeroes it. */
void ncm_device_release(struct ncm_device *d);

/* NCM_ERR_NOT_FOUND when there is no such device. *out is the caller's (ncm_device_release). */
int ncm_store_device_get(struct ncm_db *db, const char *id, struct ncm_device *out,
			 struct ncm_err_info *err);

/* Inserts d; NCM_ERR_CONFLICT when the ID or the certificate fingerprint exists already. Clears
 * any revocation of d's fingerprint (re-adding a deleted device is allowed). */
int ncm_store_device_insert(struct ncm_db *db, const struct ncm_device *d,
			    struct ncm_err_info *err);

/* Deletes the device and its shadow, and revokes its certificate fingerprint;
 * NCM_ERR_NOT_FOUND if absent. */
int ncm_store_device_delete(struct ncm_db *db, const char *id, int64_t now_ms,
			    struct ncm_err_info *err);

/* Calls cb for every device in ID order; a non-zero return from cb stops and is returned. The
 * device passed to cb is borrowed for the duration of the call. */
typedef int (*ncm_store_device_cb)(const struct ncm_device *d, void *userdata);
int ncm_store_device_foreach(struct ncm_db *db, ncm_store_device_cb cb, void *userdata,
			     struct ncm_err_info *err);

/* Records a connect (connected = 1) or disconnect time. */
int ncm_store_device_touch(struct ncm_db *db, const char *id, int connected, int64_t now_ms,
			   struct ncm_err_info *err);

/* Renames the device; NCM_ERR_NOT_FOUND when absent. */
int ncm_store_device_set_name(struct ncm_db *db, const char *id, const char *name,
			      int64_t now_ms, struct ncm_err_info *err);

/* Replaces the tags (a JSON array text); NCM_ERR_NOT_FOUND when absent. */
int ncm_store_device_set_tags(struct ncm_db *db, const char *id, const char *tags_json,
			      int64_t now_ms, struct ncm_err_info *err);

/* Replaces the device's certificate (with its fingerprint) or public key. A new certificate
 * also drops an older public key, so the certificate's key is the one that verifies the
 * device's JWTs (one key per device, docs/protocol-rest.md#device-public-keys); a new public key keeps the
 * certificate (MQTT still needs it) but takes over JWT verification. NCM_ERR_NOT_FOUND when absent; NCM_ERR_CONFLICT when the
 * certificate belongs to another device. */
int ncm_store_device_set_credentials(struct ncm_db *db, const char *id, const char *cert_pem,
				     const char *fingerprint, const char *pubkey_pem,
				     int64_t now_ms, struct ncm_err_info *err);

/* 1 and the deleted device's ID in device_out (size NCM_DEVID_MAX + 1) when fingerprint
 * belongs to a deleted device; 0 when not; negative on a store failure. */
int ncm_store_cert_revoked(struct ncm_db *db, const char *fingerprint, char *device_out);

#endif
