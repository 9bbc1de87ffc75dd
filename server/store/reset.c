/* SPDX-License-Identifier: MIT
 * reset.c: emptying the world (see reset.h).
 */
#include "reset.h"

#include <stdio.h>

#include "journal.h"
#include "messages.h"
#include "shadows.h"

int ncm_store_reset(struct ncm_db *db, int keep_devices, struct ncm_err_info *err)
{
	static const char *const always[] = { "shadows", "messages", "journal", "bulk_ops",
					      "firmware", "fota_jobs", "fota_executions",
					      "loc_cells", "loc_wifi", "loc_history", "records" };
	static const char *const devices[] = { "devices", "revoked_certs" };
	char sql[64];
	size_t i;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	/* records queued before the reset are stored now, so the reset empties them too */
	rc = ncm_store_journal_sync(db, err);
	if (!rc)
		rc = ncm_store_message_sync(db, err);
	/* and the connection states queued before it, so none lands on an emptied shadow */
	if (!rc)
		ncm_store_shadow_sync(db, NULL);
	for (i = 0; i < sizeof(always) / sizeof(always[0]) && !rc; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s", always[i]);
		if (sqlite3_exec(ncm_db_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = ncm_db_fail(db, err, "resetting");
	}
	for (i = 0; !keep_devices && i < sizeof(devices) / sizeof(devices[0]) && !rc; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s", devices[i]);
		if (sqlite3_exec(ncm_db_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = ncm_db_fail(db, err, "resetting");
	}
	ncm_db_touch(db, NCM_DB_EPOCH_FIRMWARE);
	if (!rc)
		rc = ncm_db_commit(db, err);
	if (rc)
		ncm_db_rollback(db);
	return rc;
}
