/* SPDX-License-Identifier: MIT
 * waiters.h: requests waiting for a journal record (POST /mock/v1/wait, docs/admin-api.md): every
 * journaled record is offered to the waiters, and the broker's tick ends those whose time is up,
 * so a test waits on an event instead of sleeping. Any thread; wake callbacks run on the thread
 * that journaled the record or on the broker thread.
 */
#ifndef NCM_WAITERS_H
#define NCM_WAITERS_H

#include <stdint.h>

#include <jansson.h>

#include "journal.h"
#include "match.h"

struct ncm_waiter {
	struct ncm_record_pattern pattern; /* borrowed from the owner for the waiter's life */
	int64_t after_seq;                 /* only records newer than this */
	int64_t deadline_ms;
	/* called once, with the matching record's JSON (a new reference) or NULL on timeout */
	void (*wake)(struct ncm_waiter *w, json_t *record);
	void *userdata;
	int done;                          /* owned by waiters.c */
	struct ncm_waiter *next;
};

/* Registers w (the caller keeps it alive until wake ran, or until it unregistered it). */
void ncm_waiters_add(struct ncm_waiter *w);
/* Removes w unless it already woke; 1 when it was removed (wake will not run), 0 when it woke
 * or is waking. */
int ncm_waiters_remove(struct ncm_waiter *w);
/* Offers a journaled record to every waiter. */
void ncm_waiters_offer(const struct ncm_journal_rec *rec);
/* Wakes every waiter past its deadline with NULL. */
void ncm_waiters_expire(int64_t now_ms);

#endif
