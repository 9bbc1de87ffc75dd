/* SPDX-License-Identifier: MIT
 * connstate.h: what a connect or disconnect records (the device's connect or disconnect time
 * and its shadow's reported.connection) is written behind, off the broker thread: the broker
 * thread queues it, the journal's writer thread writes the queue in one transaction, and every
 * reader of a shadow first writes what is queued (ncm_store_shadow_sync), so a REST or admin
 * read after the CONNACK sees the device connected, and shadow versions stay in order.
 * docs/performance.md#what-makes-the-hot-paths-fast.
 */
#ifndef NCM_CONNSTATE_H
#define NCM_CONNSTATE_H

#include <stdint.h>

#include "db.h"

/* Installs the shadows' sync function (ncm_store_shadow_set_sync). */
void ncm_connstate_start(void);
/* Writes what is queued with db (may be NULL: then it is dropped) and removes the sync
 * function. */
void ncm_connstate_stop(struct ncm_db *db);

/* Queues the connection state of device_id: connected with keepalive, or disconnected with
 * reason (NULL: "unknown") and whether the client closed it; at_ms is when. Any thread; never
 * touches the database. Wakes the writer thread. */
void ncm_connstate_post(const char *device_id, int connected, int keepalive,
			const char *reason, int client_initiated, int64_t at_ms);

/* Writes every queued state with db, in the order they were queued, in one transaction
 * (nested in the caller's, if any). NCM_OK at once when nothing is queued. When the write lock
 * cannot be had, nothing is lost (the writer thread tries again); when the write itself fails
 * (a full disk), the states are dropped and logged, as a connect is let in without them. */
int ncm_connstate_sync(struct ncm_db *db, struct ncm_err_info *err);

/* How many states are queued or being written (tests, the writer thread). */
long ncm_connstate_pending(void);

#endif
