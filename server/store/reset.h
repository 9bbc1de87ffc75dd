/* SPDX-License-Identifier: MIT
 * reset.h: returns the store to an empty world (POST /mock/v1/reset, docs/admin-api.md): every
 * table but the team, its API keys and tokens (and, when asked, the devices) is emptied in one
 * transaction. The caller reloads the fixtures.
 */
#ifndef NCM_RESET_H
#define NCM_RESET_H

#include "db.h"

int ncm_store_reset(struct ncm_db *db, int keep_devices, struct ncm_err_info *err);

#endif
