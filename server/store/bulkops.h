/* SPDX-License-Identifier: MIT
 * bulkops.h: bulk-operation requests (onboarding CSVs, docs/protocol-rest.md#onboarding): what was uploaded,
 * for which endpoint, and how it ended, with the per-row errors of the error summary. Any
 * thread, with that thread's connection.
 */
#ifndef NCM_BULKOPS_H
#define NCM_BULKOPS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct ncm_bulk_op {
	char id[32];          /* ULID */
	char endpoint[32];    /* ONBOARD_DEVICES, REGISTER_CERTIFICATES, REGISTER_PUBLIC_KEYS */
	char status[16];      /* PENDING, IN_PROGRESS, SUCCEEDED, FAILED */
	int64_t requested_ms;
	int64_t completed_ms; /* 0 while not completed */
	char *errors_json;    /* JSON array of "[i]: message" strings, or NULL */
};

int ncm_store_bulk_op_put(struct ncm_db *db, const struct ncm_bulk_op *op, const void *uploaded,
			  size_t len, struct ncm_err_info *err);
/* NCM_ERR_NOT_FOUND when absent. Release with ncm_bulk_op_release. */
int ncm_store_bulk_op_get(struct ncm_db *db, const char *id, struct ncm_bulk_op *out,
			  struct ncm_err_info *err);
/* Operations in id order (ULIDs sort by time) after after_id ("" for the start), at most
 * limit; cb gets a borrowed op. */
typedef int (*ncm_bulk_op_cb)(const struct ncm_bulk_op *op, void *userdata);
int ncm_store_bulk_op_foreach(struct ncm_db *db, const char *after_id, int limit,
			      ncm_bulk_op_cb cb, void *userdata, struct ncm_err_info *err);
void ncm_bulk_op_release(struct ncm_bulk_op *op);

/* What was uploaded, as a malloc'd NUL-terminated copy. NCM_ERR_NOT_FOUND when absent. */
int ncm_store_bulk_op_uploaded(struct ncm_db *db, const char *id, char **data, size_t *len,
			       struct ncm_err_info *err);

#endif
