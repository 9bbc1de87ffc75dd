/* SPDX-License-Identifier: MIT
 * journal_tap.h: the newest journal records kept in memory for live readers (the portal's
 * GET /mock/v1/events, docs/portal.md#live-events). A record is offered to waiters while the
 * transaction that stored it may still be open on the broker thread, so another thread's
 * connection cannot read it yet; the tap has it at once. It keeps records only while a reader
 * was active in the last minute, so a server nobody watches pays nothing. Any thread.
 */
#ifndef NCM_JOURNAL_TAP_H
#define NCM_JOURNAL_TAP_H

#include <stdint.h>

#include <jansson.h>

#include "journal.h"
#include "match.h"

/* Keeps rec (after the store set its seq) when a reader is around. */
void ncm_journal_tap(const struct ncm_journal_rec *rec);
/* A reader is around: keep records for the next minute. */
void ncm_journal_tap_touch(void);
/* Appends to items (a JSON array) the kept records with seq > after_seq matching p (payload
 * patterns are not applied), oldest first, at most max; returns how many. */
int ncm_journal_tap_after(int64_t after_seq, const struct ncm_record_pattern *p, json_t *items,
			  int max);
/* Forgets every kept record (a reset empties the journal). */
void ncm_journal_tap_clear(void);

#endif
