/* SPDX-License-Identifier: MIT
 * waiters.c: the waiter list (see waiters.h). One lock; a waiter is taken off the list before
 * its wake runs, so each wakes exactly once.
 */
#include "waiters.h"

#include <pthread.h>
#include <stddef.h>

#include "runtime.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ncm_waiter *head;

void ncm_waiters_add(struct ncm_waiter *w)
{
	pthread_mutex_lock(&lock);
	w->done = 0;
	w->next = head;
	head = w;
	pthread_mutex_unlock(&lock);
}

/* Unlinks w; the lock is held. */
static int unlink_locked(struct ncm_waiter *w)
{
	struct ncm_waiter **pp;

	for (pp = &head; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return 1;
		}
	}
	return 0;
}

int ncm_waiters_remove(struct ncm_waiter *w)
{
	int removed;

	pthread_mutex_lock(&lock);
	removed = unlink_locked(w);
	pthread_mutex_unlock(&lock);
	return removed;
}

void ncm_waiters_offer(const struct ncm_journal_rec *rec)
{
	struct ncm_waiter *w, *next, *woken = NULL;

	pthread_mutex_lock(&lock);
	for (w = head; w; w = next) {
		next = w->next;
		if (rec->seq <= w->after_seq ||
		    !ncm_record_matches(&w->pattern, rec->kind, rec->device, rec->topic,
					rec->payload, rec->payload_len))
			continue;
		unlink_locked(w);
		w->next = woken;
		woken = w;
	}
	pthread_mutex_unlock(&lock);
	for (w = woken; w; w = next) {
		next = w->next;
		w->wake(w, ncm_rt_journal_json(rec));
	}
}

void ncm_waiters_expire(int64_t now_ms)
{
	struct ncm_waiter *w, *next, *woken = NULL;

	pthread_mutex_lock(&lock);
	for (w = head; w; w = next) {
		next = w->next;
		if (w->deadline_ms > now_ms)
			continue;
		unlink_locked(w);
		w->next = woken;
		woken = w;
	}
	pthread_mutex_unlock(&lock);
	for (w = woken; w; w = next) {
		next = w->next;
		w->wake(w, NULL);
	}
}
