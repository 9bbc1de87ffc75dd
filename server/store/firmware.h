/* SPDX-License-Identifier: MIT
 * firmware.h: firmware bundles (docs/fota.md#firmware-bundles): ID, type, version, files with sizes and
 * SHA-256. The images themselves live under <data>/firmware/<tenantId>/<bundleId>/; this table
 * is what exists. Any thread, with that thread's connection.
 */
#ifndef NCM_FIRMWARE_H
#define NCM_FIRMWARE_H

#include <stdint.h>

#include "db.h"

struct ncm_bundle {
	char bundle_id[128];
	char type[16];        /* APP, MODEM, MDM_FULL, BOOT, ... */
	char version[64];
	char *name;           /* or NULL */
	char *description;    /* or NULL */
	char *files_json;     /* [{"file","size","sha256"}] */
	int64_t size;         /* of all files */
	int64_t created_ms;
};

void ncm_bundle_release(struct ncm_bundle *b);
int ncm_store_bundle_put(struct ncm_db *db, const struct ncm_bundle *b, struct ncm_err_info *err);
/* NCM_ERR_NOT_FOUND when absent. */
int ncm_store_bundle_get(struct ncm_db *db, const char *id, struct ncm_bundle *out,
			 struct ncm_err_info *err);
int ncm_store_bundle_delete(struct ncm_db *db, const char *id, struct ncm_err_info *err);
/* Bundles after after_id in ID order, modem_only: MODEM and MDM_FULL only; cb gets a borrowed
 * bundle; at most limit. */
typedef int (*ncm_bundle_cb)(const struct ncm_bundle *b, void *userdata);
int ncm_store_bundle_foreach(struct ncm_db *db, const char *after_id, int modem_only, int limit,
			     ncm_bundle_cb cb, void *userdata, struct ncm_err_info *err);

#endif
