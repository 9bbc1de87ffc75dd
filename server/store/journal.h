/* SPDX-License-Identifier: MIT
 * journal.h: the journal of everything that happened (docs/record-replay.md#journal-records), a ring bounded by a
 * maximum number of records: adding record N drops every record older than N - max.
 * Any thread, with that thread's connection.
 */
#ifndef NCM_JOURNAL_H
#define NCM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct ncm_journal_rec {
	int64_t seq;           /* set by the store; ignored by add */
	int64_t ts_ms;
	const char *kind;      /* "mqtt.connect", "mqtt.refused", "mqtt.acl_denied", ... */
	const char *device;    /* client or device ID, or NULL */
	const char *topic;     /* topic, or method and path, or NULL */
	int status;            /* HTTP status or protocol return code; 0 when none */
	const char *reason;    /* why, for refusals and disconnects; or NULL */
	const void *payload;   /* or NULL */
	size_t payload_len;
	int binary;            /* 1 when payload is not UTF-8 text */
};

#define NCM_JOURNAL_DEFAULT_MAX 100000

/* Appends rec (setting rec->seq) and trims the ring to max records (max <= 0:
 * NCM_JOURNAL_DEFAULT_MAX). */
int ncm_store_journal_add(struct ncm_db *db, struct ncm_journal_rec *rec, int64_t max,
			  struct ncm_err_info *err);

/* Appends n records in one transaction (rec->seq > 0: stored under that seq, which must be
 * above every stored one; 0: the next one), setting each rec->seq, and trims the ring. */
int ncm_store_journal_add_many(struct ncm_db *db, struct ncm_journal_rec *recs, size_t n,
			       int64_t max, struct ncm_err_info *err);

/* The highest seq ever given (the ring's counter survives clearing it); -1 on failure. */
int64_t ncm_store_journal_last_seq(struct ncm_db *db);

/* Records may be written behind (the runtime queues them and writes them in batches): readers
 * and the clear below first call the sync function, which writes every queued record with db.
 * ncm_store_journal_sync calls it (NCM_OK when none is set); reset calls it too. */
typedef int (*ncm_journal_sync_fn)(struct ncm_db *db, struct ncm_err_info *err);
void ncm_store_journal_set_sync(ncm_journal_sync_fn fn);
int ncm_store_journal_sync(struct ncm_db *db, struct ncm_err_info *err);

struct ncm_journal_filter {
	const char *kind;   /* exact kind, or a prefix ending in '.' ("mqtt."); NULL: any */
	const char *device; /* NULL: any */
	const char *topic;  /* MQTT filter ('+', '#') the topic must match; NULL: any */
	int64_t after_seq;  /* only records with seq > after_seq */
	int64_t since_ms;   /* only records at or after this time; 0: any */
	int64_t until_ms;   /* only records before this time; 0: any */
	int limit;          /* <= 0: 1000 */
};

/* Calls cb for each matching record, oldest first; the record is borrowed for the call. A
 * non-zero return from cb stops and is returned. */
typedef int (*ncm_journal_cb)(const struct ncm_journal_rec *rec, void *userdata);
int ncm_store_journal_foreach(struct ncm_db *db, const struct ncm_journal_filter *f,
			      ncm_journal_cb cb, void *userdata, struct ncm_err_info *err);

/* Number of records matching f (its limit ignored); negative on a store failure. */
int64_t ncm_store_journal_count(struct ncm_db *db, const struct ncm_journal_filter *f,
				struct ncm_err_info *err);

/* Drops the oldest records until the rest take at most max_bytes (payload, topic and reason,
 * plus 64 bytes a record); max_bytes <= 0: no cap. */
int ncm_store_journal_trim_bytes(struct ncm_db *db, int64_t max_bytes, struct ncm_err_info *err);

/* Removes every record (the sequence keeps counting up). */
int ncm_store_journal_clear(struct ncm_db *db, struct ncm_err_info *err);

#endif
