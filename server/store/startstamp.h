/* SPDX-License-Identifier: MIT
 * startstamp.h: the start stamp (docs/performance.md#start-up). `serve` checks the lab CA and
 * loads the fixtures at every start; both are idempotent, so a start whose inputs are the same
 * as at the last check can skip them. The stamp is a fingerprint of those inputs (the CA
 * files, the fixture files, the build and the flags that matter; made by the CLI), kept in the
 * store with the store's generation at the time: a counter that triggers move whenever a team,
 * device, firmware bundle or location answer is added, removed or re-keyed, by this program or
 * by anything else writing state.db (migration 9). The check is skipped only when both match.
 */
#ifndef NCM_STARTSTAMP_H
#define NCM_STARTSTAMP_H

#include "db.h"

/* 1 when the store at db_path holds exactly stamp and nothing the stamp covers changed since it
 * was recorded; 0 otherwise, also when the store cannot be read or has no stamp yet. Opens the
 * file without creating it and without migrating it, and only reads. */
int ncm_store_start_stamp_matches(const char *db_path, const char *stamp);

/* Records stamp (NULL: none) as checked against the store as it is now, and counts the check.
 * Call it in the same write transaction as the check, so no other writer comes between. */
int ncm_store_start_stamp_put(struct ncm_db *db, const char *stamp, struct ncm_err_info *err);

/* How many checks have been recorded (-1 on error); for tests and diagnostics. */
long long ncm_store_start_stamp_checks(struct ncm_db *db);

#endif
