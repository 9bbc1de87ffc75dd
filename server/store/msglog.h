/* SPDX-License-Identifier: MIT
 * msglog.h: the device-message log, the commit of a d2c message. Appending is one write(2) to
 * messages.log in the data folder (no fsync: like the database's WAL with synchronous=NORMAL
 * it survives the process dying, not an OS crash); the broker acknowledges a message only after
 * that. Applying moves logged entries into the messages table in one transaction, exactly once,
 * and empties the log when it has caught up. Readers of messages apply first (see
 * ncm_store_message_set_sync), so they never miss an acknowledged message.
 * docs/performance.md#durability.
 */
#ifndef NCM_MSGLOG_H
#define NCM_MSGLOG_H

#include "db.h"
#include "messages.h"

struct ncm_msglog;

/* Opens (creating) the log at path; db tells which entries are applied already. A torn last
 * entry (the process died writing it; never acknowledged) is cut off. */
int ncm_msglog_open(const char *path, struct ncm_db *db, struct ncm_msglog **out,
		    struct ncm_err_info *err);
void ncm_msglog_close(struct ncm_msglog *l);

/* Appends msgs (their seq ignored) in one write. Any thread. */
int ncm_msglog_append(struct ncm_msglog *l, const struct ncm_message *msgs, size_t n,
		      struct ncm_err_info *err);

/* Stores every logged entry not stored yet, with db, in one transaction. Any thread. */
int ncm_msglog_apply(struct ncm_msglog *l, struct ncm_db *db, struct ncm_err_info *err);

#endif
