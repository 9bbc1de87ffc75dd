/* SPDX-License-Identifier: MIT
 * jqueue.h: journal records are written behind. A record gets its seq when it happens and is
 * queued; a writer thread stores the queue in batches (one transaction each), and every reader
 * of the journal first stores what is queued (ncm_store_journal_sync), so journal answers and
 * /mock/v1/wait stay exact. A record is not part of the caller's transaction: a kill -9 can
 * lose the last few tens of milliseconds of the stored journal (the --record file has them; stored
 * data never depends on a journal record). docs/performance.md#durability.
 */
#ifndef NCM_JQUEUE_H
#define NCM_JQUEUE_H

#include <stdint.h>

#include "db.h"
#include "journal.h"

/* Numbers records after the highest seq in db, keeps at most max queued (<= 0: the default)
 * and starts the writer thread. */
int ncm_jq_start(struct ncm_db *db, int64_t max, struct ncm_err_info *err);
/* Stores what is queued and stops the writer thread. */
void ncm_jq_stop(void);

/* Queues a copy of rec and sets rec->seq. Any thread; never touches the database. */
int ncm_jq_add(struct ncm_journal_rec *rec);

/* Wakes the writer thread for other work written behind with the journal (the shadows' sync,
 * ncm_store_shadow_sync). Any thread. */
void ncm_jq_kick(void);

/* Stores every queued record with db (the journal's sync function). */
int ncm_jq_sync(struct ncm_db *db, struct ncm_err_info *err);

#endif
