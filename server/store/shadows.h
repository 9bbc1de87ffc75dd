/* SPDX-License-Identifier: MIT
 * shadows.h: stored shadow documents (core/shadow.h shape), one per device. Read-modify-write
 * callers wrap get and put in ncm_db_begin/commit so concurrent updates from the broker thread
 * and HTTP threads serialize. Any thread, with that thread's connection.
 */
#ifndef NCM_SHADOWS_H
#define NCM_SHADOWS_H

#include <jansson.h>

#include "db.h"

/* Shadow writes may be queued to be written behind (the connection state a connect or
 * disconnect records, runtime/connstate.c): ncm_store_shadow_get and ncm_store_shadow_version
 * first call the sync function, which writes what is queued with db, so every reader sees them.
 * ncm_store_shadow_sync calls it (NCM_OK when none is set); readers of what it also writes
 * (the devices' connect times) call it themselves. */
typedef int (*ncm_shadow_sync_fn)(struct ncm_db *db, struct ncm_err_info *err);
void ncm_store_shadow_set_sync(ncm_shadow_sync_fn fn);
int ncm_store_shadow_sync(struct ncm_db *db, struct ncm_err_info *err);

/* *doc gets a new reference, or NULL (and NCM_ERR_NOT_FOUND) when the device has none. */
int ncm_store_shadow_get(struct ncm_db *db, const char *device_id, json_t **doc,
			 struct ncm_err_info *err);
/* The stored document of device_id as its text (malloc'd into *text, *len bytes, NUL added),
 * deleted shadows included: for callers that only compare it with what they saw before.
 * NCM_ERR_NOT_FOUND without a stored document. */
int ncm_store_shadow_text(struct ncm_db *db, const char *device_id, char **text, size_t *len);

/* Stores doc (borrowed) as the device's shadow, replacing any previous one. */
int ncm_store_shadow_put(struct ncm_db *db, const char *device_id, const json_t *doc,
			 struct ncm_err_info *err);

/* Deletes the device's shadow document but keeps its version: ncm_store_shadow_get answers
 * NCM_ERR_NOT_FOUND afterwards, ncm_store_shadow_version still the last version (AWS keeps a
 * deleted shadow's version; docs/compatibility.md#shadow-version-across-delete). Deleting the device removes
 * the row for good. */
int ncm_store_shadow_delete(struct ncm_db *db, const char *device_id, struct ncm_err_info *err);

/* The version of the device's shadow, live or deleted; NCM_ERR_NOT_FOUND (and 0) when the device
 * never had one. */
int ncm_store_shadow_version(struct ncm_db *db, const char *device_id, long long *version,
			     struct ncm_err_info *err);

#endif
