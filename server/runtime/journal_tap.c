/* SPDX-License-Identifier: MIT
 * journal_tap.c: a ring of the newest journal records (see journal_tap.h).
 */
#include "journal_tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define RING 2048
#define READER_MS 60000

struct kept {
	int64_t seq;
	char *kind, *device, *topic;
	json_t *json;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept ring[RING];
static size_t next;
static _Atomic int64_t reader_until;

static void drop(struct kept *k)
{
	free(k->kind);
	free(k->device);
	free(k->topic);
	json_decref(k->json);
	memset(k, 0, sizeof(*k));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void ncm_journal_tap(const struct ncm_journal_rec *rec)
{
	struct kept k;

	if (atomic_load(&reader_until) < ncm_rt_now_ms() || rec->seq <= 0)
		return;
	k.seq = rec->seq;
	k.kind = dup_or_null(rec->kind);
	k.device = dup_or_null(rec->device);
	k.topic = dup_or_null(rec->topic);
	k.json = ncm_rt_journal_json(rec);
	if (!k.json) {
		drop(&k);
		return;
	}
	pthread_mutex_lock(&lock);
	drop(&ring[next]);
	ring[next] = k;
	next = (next + 1) % RING;
	pthread_mutex_unlock(&lock);
}

void ncm_journal_tap_touch(void)
{
	atomic_store(&reader_until, ncm_rt_now_ms() + READER_MS);
}

int ncm_journal_tap_after(int64_t after_seq, const struct ncm_record_pattern *p, json_t *items,
			  int max)
{
	struct ncm_record_pattern q = *p;
	size_t i, at;
	int n = 0;

	q.payload = NULL;
	pthread_mutex_lock(&lock);
	/* oldest first: from the slot written next round the ring; seqs rise along it */
	for (i = 0; i < RING && n < max; i++) {
		at = (next + i) % RING;
		const struct kept *k = &ring[at];

		if (!k->json || k->seq <= after_seq ||
		    !ncm_record_matches(&q, k->kind, k->device, k->topic, NULL, 0))
			continue;
		/* a deep copy: the caller's thread owns it from here */
		json_array_append_new(items, json_deep_copy(k->json));
		n++;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void ncm_journal_tap_clear(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < RING; i++)
		drop(&ring[i]);
	next = 0;
	pthread_mutex_unlock(&lock);
}
