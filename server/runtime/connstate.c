/* SPDX-License-Identifier: MIT
 * connstate.c: connection states written behind (see connstate.h). A writer takes the
 * process's write lock (ncm_db_begin) before it takes the queue, so whoever holds the lock has
 * written everything taken before it: a reader that got the lock and found the queue empty
 * sees every state queued before it asked. The count of unwritten states is what makes a
 * reader with nothing to write cost one atomic load.
 */
#include "connstate.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "jqueue.h"
#include "log.h"
#include "shadow_svc.h"
#include "shadows.h"

struct state {
	struct state *next;
	int connected, keepalive, client_initiated;
	int64_t at_ms;
	char *reason; /* NULL when connected; points into the same allocation */
	char device_id[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct state *head, *tail;
static atomic_long unwritten; /* queued + taken and not yet committed */
static atomic_int started;    /* between start and stop: states posted later are dropped */
/* this thread is writing the queue: the shadow reads of its own writes must not recurse */
static _Thread_local int writing;

static int sync_hook(struct ncm_db *db, struct ncm_err_info *err)
{
	return ncm_connstate_sync(db, err);
}

void ncm_connstate_start(void)
{
	ncm_store_shadow_set_sync(sync_hook);
	atomic_store(&started, 1);
}

void ncm_connstate_stop(struct ncm_db *db)
{
	struct ncm_err_info err = { 0 };
	struct state *s, *next;

	atomic_store(&started, 0);
	if (db && ncm_connstate_sync(db, &err))
		ncm_log(NCM_LOG_WARNING, "connection states not recorded at exit: %s", err.msg);
	ncm_store_shadow_set_sync(NULL);
	pthread_mutex_lock(&lock);
	for (s = head; s; s = next) {
		next = s->next;
		free(s);
	}
	head = tail = NULL;
	atomic_store(&unwritten, 0);
	pthread_mutex_unlock(&lock);
}

void ncm_connstate_post(const char *device_id, int connected, int keepalive,
			const char *reason, int client_initiated, int64_t at_ms)
{
	size_t id_len = strlen(device_id) + 1;
	size_t reason_len = connected ? 0 : strlen(reason ? reason : "unknown") + 1;
	struct state *s;

	if (!atomic_load(&started))
		return;
	s = malloc(sizeof(*s) + id_len + reason_len);
	if (!s) {
		ncm_log(NCM_LOG_ERR, "connection state of %s not recorded: out of memory",
			device_id);
		return;
	}
	s->next = NULL;
	s->connected = connected;
	s->keepalive = keepalive;
	s->client_initiated = client_initiated;
	s->at_ms = at_ms;
	memcpy(s->device_id, device_id, id_len);
	s->reason = NULL;
	if (!connected) {
		s->reason = s->device_id + id_len;
		memcpy(s->reason, reason ? reason : "unknown", reason_len);
	}
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = s;
	else
		head = s;
	tail = s;
	atomic_fetch_add(&unwritten, 1);
	pthread_mutex_unlock(&lock);
	ncm_jq_kick();
}

long ncm_connstate_pending(void)
{
	return atomic_load(&unwritten);
}

struct ref {
	const struct state *s;
	size_t order;
};

/* By device, then in the order queued. */
static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->s->device_id, y->s->device_id);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Writes the states of one device, refs[0..n), in order: each its connect or disconnect
 * time, and the shadow's connection state with one read and one write of the shadow (each
 * change still one version). Only a store failure fails the batch; a shadow that refuses the
 * state (grown past its size limit) is logged and skipped, as before. */
static int write_device(struct ncm_db *db, const struct ref *refs, size_t n,
			struct ncm_conn_change *changes, struct ncm_err_info *err)
{
	const char *id = refs[0].s->device_id;
	struct ncm_err_info e = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct state *s = refs[i].s;

		if (ncm_store_device_touch(db, id, s->connected, s->at_ms, err))
			return -1;
		changes[i].connected = s->connected;
		changes[i].keepalive = s->keepalive;
		changes[i].client_initiated = s->client_initiated;
		changes[i].reason = s->reason;
	}
	rc = ncm_svc_shadow_connections(db, id, changes, n, &e);
	if (rc == 500) {
		ncm_err_set(err, NCM_ERR_IO, "%s", e.msg);
		return -1;
	}
	if (rc)
		ncm_log(NCM_LOG_WARNING, "connection state of %s not recorded: %s", id, e.msg);
	return 0;
}

/* Writes the states of list (n of them), grouped by device. */
static int write_all(struct ncm_db *db, const struct state *list, size_t n,
		     struct ncm_err_info *err)
{
	struct ncm_conn_change *changes = calloc(n, sizeof(*changes));
	struct ref *refs = calloc(n, sizeof(*refs));
	const struct state *s;
	size_t i, j;
	int rc = 0;

	if (!changes || !refs) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (s = list, i = 0; s; s = s->next, i++) {
		refs[i].s = s;
		refs[i].order = i;
	}
	qsort(refs, n, sizeof(*refs), ref_cmp);
	for (i = 0; i < n && !rc; i = j) {
		for (j = i + 1; j < n && !strcmp(refs[j].s->device_id, refs[i].s->device_id); j++)
			;
		rc = write_device(db, refs + i, j - i, changes, err);
	}
out:
	free(changes);
	free(refs);
	return rc;
}

int ncm_connstate_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	struct ncm_err_info e = { 0 };
	struct state *list, *s, *next;
	long n = 0;
	int rc;

	if (writing || atomic_load(&unwritten) == 0)
		return NCM_OK;
	if (!db)
		return ncm_err_set(err, NCM_ERR_IO, "store: no database connection");
	rc = ncm_db_begin(db, err);
	if (rc)
		return rc; /* nothing taken: the writer thread tries again */
	pthread_mutex_lock(&lock);
	list = head;
	head = tail = NULL;
	pthread_mutex_unlock(&lock);
	for (s = list; s; s = s->next)
		n++;
	writing = 1;
	rc = n ? write_all(db, list, (size_t)n, &e) : NCM_OK;
	writing = 0;
	if (!rc)
		rc = ncm_db_commit(db, &e);
	if (rc) {
		ncm_db_rollback(db);
		ncm_log(NCM_LOG_WARNING, "%ld connection states not recorded: %s", n,
			e.msg[0] ? e.msg : "store failure");
		rc = ncm_err_set(err, NCM_ERR_IO, "%s", e.msg[0] ? e.msg : "store failure");
	}
	atomic_fetch_sub(&unwritten, n);
	for (s = list; s; s = next) {
		next = s->next;
		free(s);
	}
	return rc;
}
