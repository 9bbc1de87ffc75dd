/* SPDX-License-Identifier: MIT
 * runtime.h: what the broker glue and the HTTP glue share inside the plugin process: the
 * settings, the team, the lab CA, one SQLite connection per thread, the clock, the journal and
 * the readiness of each listener. Set up once by the plugin's init, before any thread starts.
 */
#ifndef NCM_RUNTIME_H
#define NCM_RUNTIME_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "ca.h"
#include "config.h"
#include "db.h"
#include "journal.h"
#include "messages.h"
#include "team.h"

struct ncm_runtime {
	struct ncm_config cfg;
	struct ncm_team team;
	char prefix[256];        /* "<stage>/<tenantId>/" */
	struct ncm_ca ca;
	char db_path[PATH_MAX];
};

/* The broker thread's longest wait for the store's write lock, in ms. */
#define NCM_RT_BROKER_WAIT_MS 250

/* Loads config_path, the team and the CA. Call once, on the broker thread, before threads. */
int ncm_rt_init(const char *config_path, struct ncm_err_info *err);
/* Closes the calling thread's connection and frees what init loaded. */
void ncm_rt_cleanup(void);

/* The shared state (read-only after init). */
const struct ncm_runtime *ncm_rt(void);

/* The calling thread's database connection, taken on first use from the ones opened by
 * ncm_rt_db_prepare (else opened then) and closed when the thread exits; NULL (and logged)
 * when it cannot be opened: every caller must handle that (HTTP answers 503). */
struct ncm_db *ncm_rt_db(void);
/* Opens n connections (at most 16) for threads about to start, while file descriptors are
 * still free: on a thread of its own, so the start does not wait for them (a thread that needs
 * its connection before then opens its own); ncm_rt_cleanup waits for it. */
int ncm_rt_db_prepare(int n, struct ncm_err_info *err);

/* pthread_create with every signal blocked in the new thread: Mosquitto handles SIGTERM, SIGINT
 * and SIGHUP on its main thread, so a thread of the plugin must never be the one that takes
 * them. Returns pthread_create's result. */
int ncm_rt_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Commits device messages: one write to the message log (msglog.h), stored in the messages
 * table behind; readers of messages see them at once. Once it returns NCM_OK they survive
 * the process dying. Any thread. */
int ncm_rt_messages_commit(const struct ncm_message *msgs, size_t n, struct ncm_err_info *err);

/* Wall clock in milliseconds since the epoch. */
int64_t ncm_rt_now_ms(void);

/* ms as nRF Cloud writes times: "2026-11-28T15:04:05.123Z" (milliseconds, UTC), into buf
 * (>= 32 bytes). */
void ncm_rt_iso8601(int64_t ms, char *buf, size_t size);

/* Appends a journal record (ts_ms filled when 0, seq set): queued and written behind in
 * batches (jqueue.h), offered to waiters at once, and appended to the --record file when there
 * is one (one JSON line, written at once, so a crash loses nothing written); a failure is
 * logged, never fatal. Never waits for the database. */
void ncm_rt_journal(struct ncm_journal_rec *rec);

/* A record as the journal API and recordings show it: {"seq","ts","kind","device"?,"topic"?,
 * "status","reason"?,"payload"?,"binary"?} with a binary payload in base64 and "binary":true.
 * New reference. */
json_t *ncm_rt_journal_json(const struct ncm_journal_rec *rec);

/* Readiness flags, any thread. */
void ncm_rt_set_broker_ready(void);
int ncm_rt_broker_ready(void);
void ncm_rt_set_https_port(int port);
int ncm_rt_https_port(void);
void ncm_rt_set_admin_port(int port);
int ncm_rt_admin_port(void);
/* MQTT sockets and all open files as last counted by the broker tick (mqtt/preconnect.c). */
void ncm_rt_set_fd_load(int mqtt_sockets, int open_files);
void ncm_rt_fd_load(int *mqtt_sockets, int *open_files);

/* Recording (the --record file) on or off at run time; see runtime.c. */
int ncm_rt_record_set(int on, struct ncm_err_info *err);
/* 1 when records are being written; path gets the file ("" when none). */
int ncm_rt_record_state(char *path, size_t size);

#endif
