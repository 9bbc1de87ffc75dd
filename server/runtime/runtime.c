/* SPDX-License-Identifier: MIT
 * runtime.c: shared process state of the plugin (see runtime.h).
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "connstate.h"
#include "faults.h"
#include "file.h"
#include "journal_tap.h"
#include "usage.h"
#include "jqueue.h"
#include "location_svc.h"
#include "log.h"
#include "msglog.h"
#include "waiters.h"
#include "jsontext.h"

#define CONFIG_MAX (64 * 1024)

static struct ncm_runtime rt;
static pthread_key_t db_key;
static int db_key_made;
static atomic_int broker_ready;
static atomic_int https_port;
static atomic_int admin_port;
static _Atomic int record_fd = -1; /* atomic: PUT /mock/v1/record opens it later */
static struct ncm_msglog *msglog;
static atomic_int mqtt_socks, open_files;
static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int record_paused;
static char record_opened[PATH_MAX]; /* the file PUT /mock/v1/record opened, if any */

/* Connections opened at start for the HTTP worker threads, handed out on a thread's first
 * use: opening one later needs file descriptors, which a flood of idle connections may have
 * used up (then every request of that thread would fail). */
#define DB_POOL 16
static struct ncm_db *db_pool[DB_POOL];
static int db_pool_n;
static pthread_mutex_t db_pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void db_key_free(void *p)
{
	ncm_db_close(p);
}

/* The messages' sync function: stores what the message log holds, with the reader's db. */
static int msglog_sync(struct ncm_db *db, struct ncm_err_info *err)
{
	if (!db)
		return ncm_err_set(err, NCM_ERR_IO, "store: no database connection");
	return msglog ? ncm_msglog_apply(msglog, db, err) : NCM_OK;
}

/* Fills the pool up to n connections. Each is opened outside the lock: opening one loads the
 * schema (about 0.35 ms), and a thread that needs its connection meanwhile opens its own. */
static int db_pool_fill(int n, struct ncm_err_info *err)
{
	struct ncm_db *db;
	int i, rc;

	for (i = 0; i < n && i < DB_POOL; i++) {
		rc = ncm_db_open(rt.db_path, &db, err);
		if (rc)
			return rc;
		pthread_mutex_lock(&db_pool_lock);
		if (db_pool_n < DB_POOL) {
			db_pool[db_pool_n++] = db;
			db = NULL;
		}
		pthread_mutex_unlock(&db_pool_lock);
		ncm_db_close(db);
	}
	return NCM_OK;
}

static pthread_t db_filler;
static int db_filler_started, db_filler_n;

static void *db_filler_main(void *arg)
{
	struct ncm_err_info err = { 0 };

	(void)arg;
	if (db_pool_fill(db_filler_n, &err))
		ncm_log(NCM_LOG_WARNING, "runtime: connections for the worker threads: %s", err.msg);
	return NULL;
}

/* On a thread of its own, with every signal blocked (the broker's main thread takes them):
 * the start no longer waits for eight schema loads in a row (docs/performance.md#start-up).
 * Without a thread, here and now. */
int ncm_rt_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int ncm_rt_db_prepare(int n, struct ncm_err_info *err)
{
	int rc;

	if (db_filler_started)
		return NCM_OK;
	db_filler_n = n;
	rc = ncm_rt_thread_create(&db_filler, db_filler_main, NULL);
	if (rc)
		return db_pool_fill(n, err);
	db_filler_started = 1;
	return NCM_OK;
}

int ncm_rt_init(const char *config_path, struct ncm_err_info *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int rc;

	memset(&rt, 0, sizeof(rt));
	rc = ncm_file_read(config_path, CONFIG_MAX, &text, &len, err);
	if (rc)
		return rc;
	rc = ncm_config_from_json(text, len, &rt.cfg, err);
	free(text);
	if (rc)
		return rc;
	if (ncm_config_db_path(&rt.cfg, rt.db_path, sizeof(rt.db_path)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "runtime: data path too long");
	if (!db_key_made) {
		if (pthread_key_create(&db_key, db_key_free))
			return ncm_err_set(err, NCM_ERR_NOMEM, "runtime: no thread key");
		db_key_made = 1;
	}
	if (!ncm_rt_db())
		return ncm_err_set(err, NCM_ERR_IO, "runtime: cannot open %s", rt.db_path);
	/* ncm_rt_init runs on the broker thread: its commits hold up every device, so it waits
	 * at most a moment for the write lock and fails instead (the device is then disconnected
	 * without its PUBACK and sends again) */
	ncm_db_set_wait_ms(ncm_rt_db(), NCM_RT_BROKER_WAIT_MS);
	/* the journal writer's connection checkpoints the WAL (it commits whenever anything
	 * happens), so the fsync of a checkpoint never runs on the broker thread */
	ncm_db_set_no_checkpoints(ncm_rt_db());
	rc = ncm_store_team_get(ncm_rt_db(), &rt.team, err);
	if (rc)
		return rc;
	/* d2c messages are committed to the message log, then stored behind; what a previous
	 * run logged and did not store yet is stored now */
	if (ncm_path(path, sizeof(path), "%s/messages.log", rt.cfg.data_dir))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "runtime: data path too long");
	rc = ncm_msglog_open(path, ncm_rt_db(), &msglog, err);
	if (!rc)
		rc = ncm_msglog_apply(msglog, ncm_rt_db(), err);
	if (rc)
		return rc;
	ncm_store_message_set_sync(msglog_sync);
	rc = ncm_jq_start(ncm_rt_db(), rt.cfg.journal_max, err);
	if (rc)
		return rc;
	ncm_connstate_start();
	if (ncm_team_prefix(&rt.team, rt.prefix, sizeof(rt.prefix)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "runtime: team prefix too long");
	if (rt.cfg.record_path[0]) {
		record_fd = open(rt.cfg.record_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (record_fd < 0)
			return ncm_err_set(err, NCM_ERR_IO, "runtime: cannot open --record %s: %s",
					   rt.cfg.record_path, strerror(errno));
	}
	return ncm_ca_load(rt.cfg.data_dir, &rt.ca, err);
}

void ncm_rt_cleanup(void)
{
	struct ncm_db *db;

	ncm_faults_clear(); /* faults still armed at stop are owned by no one else */
	ncm_jq_stop();
	ncm_connstate_stop(ncm_rt_db());
	if (msglog) {
		struct ncm_err_info err = { 0 };

		if (ncm_rt_db() && ncm_msglog_apply(msglog, ncm_rt_db(), &err))
			ncm_log(NCM_LOG_ERR, "messages: left in the message log: %s", err.msg);
		ncm_store_message_set_sync(NULL);
		ncm_msglog_close(msglog);
		msglog = NULL;
	}
	if (record_fd >= 0) {
		close(record_fd);
		record_fd = -1;
	}
	if (db_key_made) {
		db = pthread_getspecific(db_key);
		pthread_setspecific(db_key, NULL);
		ncm_db_close(db);
	}
	if (db_filler_started) {
		pthread_join(db_filler, NULL);
		db_filler_started = 0;
	}
	pthread_mutex_lock(&db_pool_lock);
	while (db_pool_n > 0)
		ncm_db_close(db_pool[--db_pool_n]);
	pthread_mutex_unlock(&db_pool_lock);
	ncm_ca_release(&rt.ca);
	ncm_loc_svc_reset();
	ncm_journal_tap_clear();
	ncm_usage_clear();
}

const struct ncm_runtime *ncm_rt(void)
{
	return &rt;
}

struct ncm_db *ncm_rt_db(void)
{
	struct ncm_err_info err;
	struct ncm_db *db = pthread_getspecific(db_key);

	if (db)
		return db;
	pthread_mutex_lock(&db_pool_lock);
	if (db_pool_n > 0)
		db = db_pool[--db_pool_n];
	pthread_mutex_unlock(&db_pool_lock);
	if (!db && ncm_db_open(rt.db_path, &db, &err)) {
		ncm_log(NCM_LOG_ERR, "%s", err.msg);
		return NULL;
	}
	pthread_setspecific(db_key, db);
	return db;
}

int ncm_rt_messages_commit(const struct ncm_message *msgs, size_t n, struct ncm_err_info *err)
{
	if (!msglog)
		return ncm_err_set(err, NCM_ERR_IO, "store: no message log");
	return ncm_msglog_append(msglog, msgs, n, err);
}

int64_t ncm_rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ncm_rt_iso8601(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(ms % 1000));
}

json_t *ncm_rt_journal_json(const struct ncm_journal_rec *rec)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:i}", "seq", (json_int_t)rec->seq, "ts",
			      (json_int_t)rec->ts_ms, "kind", rec->kind ? rec->kind : "",
			      "status", rec->status);
	unsigned char *b64;

	if (!o)
		return NULL;
	if (rec->device)
		json_object_set_new(o, "device", json_string(rec->device));
	if (rec->topic)
		json_object_set_new(o, "topic", json_string(rec->topic));
	if (rec->reason)
		json_object_set_new(o, "reason", json_string(rec->reason));
	if (!rec->payload)
		return o;
	if (!rec->binary) {
		json_object_set_new(o, "payload",
				    json_stringn(rec->payload, rec->payload_len));
		return o;
	}
	b64 = malloc(4 * ((rec->payload_len + 2) / 3) + 1);
	if (b64) {
		EVP_EncodeBlock(b64, rec->payload, (int)rec->payload_len);
		json_object_set_new(o, "payload", json_string((char *)b64));
		json_object_set_new(o, "binary", json_true());
		free(b64);
	}
	return o;
}

/* One JSON line per record on the --record file, written in one write(2) under a lock so lines
 * from different threads never mix. */
static void record(const struct ncm_journal_rec *rec)
{
	json_t *o;
	char *line;
	size_t len;

	if (record_fd < 0 || atomic_load(&record_paused))
		return;
	o = ncm_rt_journal_json(rec);
	line = o ? ncm_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!line)
		return;
	len = strlen(line);
	line[len] = '\n';
	pthread_mutex_lock(&record_lock);
	if (write(record_fd, line, len + 1) != (ssize_t)(len + 1))
		ncm_log(NCM_LOG_ERR, "journal: cannot append to %s", rt.cfg.record_path);
	pthread_mutex_unlock(&record_lock);
	free(line);
}

void ncm_rt_journal(struct ncm_journal_rec *rec)
{
	if (!rec->ts_ms)
		rec->ts_ms = ncm_rt_now_ms();
	if (ncm_jq_add(rec)) {
		ncm_log(NCM_LOG_ERR, "journal: cannot record %s: out of memory", rec->kind);
		return;
	}
	record(rec);
	ncm_journal_tap(rec);
	ncm_waiters_offer(rec);
}

void ncm_rt_set_broker_ready(void)
{
	atomic_store(&broker_ready, 1);
}

int ncm_rt_broker_ready(void)
{
	return atomic_load(&broker_ready);
}

void ncm_rt_set_https_port(int port)
{
	atomic_store(&https_port, port);
}

int ncm_rt_https_port(void)
{
	return atomic_load(&https_port);
}

void ncm_rt_set_admin_port(int port)
{
	atomic_store(&admin_port, port);
}

int ncm_rt_admin_port(void)
{
	return atomic_load(&admin_port);
}

/* Recording on or off at run time (PUT /mock/v1/record, docs/portal.md#recording). Turning it on
 * without --record opens <data>/recording.jsonl (appending); off keeps the file open and writes
 * nothing more. */
int ncm_rt_record_set(int on, struct ncm_err_info *err)
{
	int fd, rc = NCM_OK;

	pthread_mutex_lock(&record_lock);
	if (on && record_fd < 0) {
		if (ncm_path(record_opened, sizeof(record_opened), "%s/recording.jsonl",
			     rt.cfg.data_dir)) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "data path too long");
			goto out;
		}
		fd = open(record_opened, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = ncm_err_set(err, NCM_ERR_IO, "cannot open %s: %s", record_opened,
					 strerror(errno));
			goto out;
		}
		record_fd = fd;
	}
	atomic_store(&record_paused, !on);
out:
	pthread_mutex_unlock(&record_lock);
	return rc;
}

int ncm_rt_record_state(char *path, size_t size)
{
	pthread_mutex_lock(&record_lock);
	snprintf(path, size, "%s", rt.cfg.record_path[0] ? rt.cfg.record_path : record_opened);
	pthread_mutex_unlock(&record_lock);
	return record_fd >= 0 && !atomic_load(&record_paused);
}

void ncm_rt_set_fd_load(int mqtt_sockets, int files)
{
	atomic_store(&mqtt_socks, mqtt_sockets);
	atomic_store(&open_files, files);
}

void ncm_rt_fd_load(int *mqtt_sockets, int *files)
{
	*mqtt_sockets = atomic_load(&mqtt_socks);
	*files = atomic_load(&open_files);
}
