/* SPDX-License-Identifier: MIT
 * jqueue.c: the journal's write-behind queue (see jqueue.h). Records are numbered when they
 * happen, under one lock, so the queue is in seq order; a writer thread stores them in batches
 * of up to BATCH records per transaction. A sync (any reader of the journal, with its own
 * connection) first takes the process's write lock (ncm_db_begin), then the queue: whoever
 * holds the write lock drains the queue head, so batches reach the table in seq order and a
 * reader that synced sees every record numbered before it asked.
 */
#include "jqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "messages.h"
#include "runtime.h"
#include "shadows.h"

#define BATCH 2048
#define RETRY_MS 100
#define GATHER_MS 20 /* a batch gathers this long: fewer, larger commits */

struct entry {
	struct ncm_journal_rec rec; /* its strings and payload live after the struct */
	struct entry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct entry *head, *tail;
static size_t queued;
static int64_t next_seq = 1;
static int64_t max_records = NCM_JOURNAL_DEFAULT_MAX;
static int stopping, running;
static int kicked; /* other work was queued for the writer (ncm_jq_kick) */
static atomic_int stopping_now; /* stopping, readable without the lock */
static pthread_t writer;
static unsigned long dropped;

static char *put(char **at, const char *s)
{
	char *p = *at;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(p, s, n);
	*at += n;
	return p;
}

/* One allocation holding the record and copies of everything it points to. */
static struct entry *entry_new(const struct ncm_journal_rec *rec)
{
	size_t n = sizeof(struct entry) + rec->payload_len;
	struct entry *e;
	char *at;

	n += rec->kind ? strlen(rec->kind) + 1 : 0;
	n += rec->device ? strlen(rec->device) + 1 : 0;
	n += rec->topic ? strlen(rec->topic) + 1 : 0;
	n += rec->reason ? strlen(rec->reason) + 1 : 0;
	e = malloc(n);
	if (!e)
		return NULL;
	e->rec = *rec;
	e->next = NULL;
	at = (char *)(e + 1);
	if (rec->payload) {
		memcpy(at, rec->payload, rec->payload_len);
		e->rec.payload = at;
		at += rec->payload_len;
	}
	e->rec.kind = put(&at, rec->kind);
	e->rec.device = put(&at, rec->device);
	e->rec.topic = put(&at, rec->topic);
	e->rec.reason = put(&at, rec->reason);
	return e;
}

int ncm_jq_add(struct ncm_journal_rec *rec)
{
	struct entry *e = entry_new(rec), *old;

	if (!e)
		return NCM_ERR_NOMEM;
	pthread_mutex_lock(&lock);
	rec->seq = e->rec.seq = next_seq++;
	if (tail)
		tail->next = e;
	else
		head = e;
	tail = e;
	/* the ring keeps max_records: an older queued record would be trimmed on arrival anyway
	 * (this bounds the queue's memory while the store cannot be written) */
	if (++queued > (size_t)max_records) {
		old = head;
		head = old->next;
		queued--;
		dropped++;
		free(old);
	}
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NCM_OK;
}

/* Stores one batch from the queue head; 1 when it stored records, 0 when the queue was empty,
 * negative on failure (the batch goes back to the head, in order). */
static int flush_batch(struct ncm_db *db, struct ncm_err_info *err)
{
	struct ncm_journal_rec *recs = NULL;
	struct entry *list, *last = NULL, *e, *next;
	size_t n = 0, i;
	int rc;

	rc = ncm_db_begin(db, err);
	if (rc)
		return -1;
	/* the shadow writes queued behind (connection states) share this commit; a failure
	 * drops them (they say so in the log) and fails the batch, which goes back */
	ncm_store_shadow_sync(db, NULL);
	pthread_mutex_lock(&lock);
	list = head;
	for (e = head; e && n < BATCH; e = e->next) {
		last = e;
		n++;
	}
	if (n) {
		head = last->next;
		if (!head)
			tail = NULL;
		last->next = NULL;
		queued -= n;
	}
	pthread_mutex_unlock(&lock);
	if (!n) {
		/* commit, not roll back: inside a caller's transaction a rollback fails it */
		return ncm_db_commit(db, err) ? -1 : 0;
	}
	recs = malloc(n * sizeof(*recs));
	if (!recs) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "journal: out of memory");
	} else {
		for (e = list, i = 0; e; e = e->next)
			recs[i++] = e->rec;
		rc = ncm_store_journal_add_many(db, recs, n, max_records, err);
		if (!rc)
			rc = ncm_db_commit(db, err);
	}
	free(recs);
	if (rc) {
		ncm_db_rollback(db);
		pthread_mutex_lock(&lock);
		last->next = head;
		head = list;
		if (!tail)
			tail = last;
		queued += n;
		pthread_mutex_unlock(&lock);
		return -1;
	}
	for (e = list; e; e = next) {
		next = e->next;
		free(e);
	}
	return 1;
}

int ncm_jq_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	int rc;

	if (!db)
		return ncm_err_set(err, NCM_ERR_IO, "journal: no database connection");
	while ((rc = flush_batch(db, err)) > 0)
		;
	return rc < 0 ? NCM_ERR_IO : NCM_OK;
}

/* The writer thread: waits for records, stores what is queued, and retries after a pause
 * when the store refuses (a full disk, another process holding the lock). */
static void *writer_main(void *arg)
{
	struct ncm_err_info err = { 0 };
	struct timespec until, gather = { 0, GATHER_MS * 1000000L };
	unsigned long lost, reported = 0;
	int failed = 0, was_failing, behind_failed = 0;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head && !kicked && !stopping)
			pthread_cond_wait(&cond, &lock);
		kicked = 0;
		if ((failed || behind_failed) && !stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += RETRY_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&cond, &lock, &until);
		}
		if (!head && stopping)
			break;
		lost = dropped;
		pthread_mutex_unlock(&lock);
		/* let a batch gather: one transaction per record would take the write lock from
		 * the broker thread once per message */
		if (!atomic_load(&stopping_now))
			nanosleep(&gather, NULL);
		if (lost != reported) {
			ncm_log(NCM_LOG_ERR, "journal: %lu records dropped while the store could "
				"not be written", lost - reported);
			reported = lost;
		}
		was_failing = failed;
		failed = ncm_jq_sync(ncm_rt_db(), &err) != NCM_OK;
		/* a full disk fails every retry: say so when it starts and when it ends */
		if (failed && !was_failing)
			ncm_log(NCM_LOG_ERR, "journal: cannot write records (retrying every %d ms):"
				" %s", RETRY_MS, err.msg);
		else if (!failed && was_failing)
			ncm_log(NCM_LOG_NOTICE, "journal: writing records again");
		/* the shadow writes queued behind (connection states, connstate.c) */
		was_failing = behind_failed;
		behind_failed = !failed && ncm_store_shadow_sync(ncm_rt_db(), &err);
		if (behind_failed && !was_failing)
			ncm_log(NCM_LOG_ERR, "shadows: cannot write queued states (retrying every "
				"%d ms): %s", RETRY_MS, err.msg);
		/* and the messages logged meanwhile (each d2c message is journaled too) */
		if (!failed && ncm_store_message_sync(ncm_rt_db(), &err))
			ncm_log(NCM_LOG_ERR, "messages: cannot store logged messages: %s",
				err.msg);
		pthread_mutex_lock(&lock);
		if (behind_failed)
			kicked = 1; /* nothing was taken: try again after the pause */
		if (failed && stopping)
			break;
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void ncm_jq_kick(void)
{
	pthread_mutex_lock(&lock);
	kicked = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

int ncm_jq_start(struct ncm_db *db, int64_t max, struct ncm_err_info *err)
{
	int64_t last = ncm_store_journal_last_seq(db);

	if (last < 0)
		return ncm_err_set(err, NCM_ERR_IO, "journal: cannot read the last seq");
	pthread_mutex_lock(&lock);
	next_seq = last + 1;
	max_records = max > 0 ? max : NCM_JOURNAL_DEFAULT_MAX;
	stopping = 0;
	atomic_store(&stopping_now, 0);
	dropped = 0;
	pthread_mutex_unlock(&lock);
	ncm_store_journal_set_sync(ncm_jq_sync);
	if (ncm_rt_thread_create(&writer, writer_main, NULL))
		return ncm_err_set(err, NCM_ERR_NOMEM, "journal: cannot start the writer thread");
	running = 1;
	return NCM_OK;
}

void ncm_jq_stop(void)
{
	struct entry *e, *next;

	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = 1;
	atomic_store(&stopping_now, 1);
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(writer, NULL);
	running = 0;
	ncm_store_journal_set_sync(NULL);
	pthread_mutex_lock(&lock);
	for (e = head; e; e = next) {
		next = e->next;
		free(e);
	}
	head = tail = NULL;
	queued = 0;
	pthread_mutex_unlock(&lock);
}
