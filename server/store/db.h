/* SPDX-License-Identifier: MIT
 * db.h: the SQLite system of record. One connection per thread (SQLite connections are not
 * shared across threads here); every connection runs in WAL mode with synchronous=NORMAL, so a
 * committed write survives kill -9 (the process dying), an OS crash or power cut may lose the
 * last commits, and readers never block the writer. Writers of one process take turns on an
 * in-process lock before SQLite's (see db.c).
 * Schema changes are numbered migrations applied on open (PRAGMA user_version).
 */
#ifndef NCM_DB_H
#define NCM_DB_H

#include <stdint.h>

#include <sqlite3.h>

#include "err.h"

struct ncm_db;

/* The schema version this build migrates to (the number of migrations in db.c). */
#define NCM_DB_SCHEMA_VERSION 9

/* Opens (creating if needed) the database at path, or ":memory:" for a private in-memory
 * database (tests). Applies pending migrations. The caller owns *out (ncm_db_close). */
int ncm_db_open(const char *path, struct ncm_db **out, struct ncm_err_info *err);
void ncm_db_close(struct ncm_db *db);

/* The raw handle, for store modules only. Borrowed. */
sqlite3 *ncm_db_handle(struct ncm_db *db);

/* The longest a write transaction waits for the write lock, in this process and then for
 * another process (SQLite's busy timeout); ms <= 0: the default, 10 s. The broker thread sets
 * a short one: it must never stall seconds on a lock. */
void ncm_db_set_wait_ms(struct ncm_db *db, int ms);

/* This connection never checkpoints the WAL on commit (another one does: a checkpoint syncs
 * the files, which the broker thread must not wait for). */
void ncm_db_set_no_checkpoints(struct ncm_db *db);

/* A prepared statement for sql from this connection's cache (prepared on first use), for store
 * modules. Give it back with ncm_db_finish, never sqlite3_finalize: it is reset and unbound
 * there. Returns an SQLite result code. */
int ncm_db_prepare(struct ncm_db *db, const char *sql, sqlite3_stmt **out);
void ncm_db_finish(struct ncm_db *db, sqlite3_stmt *st);

/* Schema version after migrations (the number of the last applied migration). */
int ncm_db_schema_version(struct ncm_db *db);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK, for callers that group several store calls. */
int ncm_db_begin(struct ncm_db *db, struct ncm_err_info *err);
int ncm_db_commit(struct ncm_db *db, struct ncm_err_info *err);
void ncm_db_rollback(struct ncm_db *db);

/* Change counters of tables that in-process caches copy (the firmware bundles that downloads
 * serve): a store module that writes such a table calls ncm_db_touch; the counter goes up when
 * the write is committed (at once outside a transaction, else when the outermost transaction
 * ends, committed or rolled back), so a cache that noted the counter before it read the table
 * never keeps a copy older than the table. Only writes of this process are counted: the tables
 * named here are written by the server alone. */
enum ncm_db_epoch { NCM_DB_EPOCH_FIRMWARE, NCM_DB_EPOCHS };
void ncm_db_touch(struct ncm_db *db, enum ncm_db_epoch which);
uint64_t ncm_db_epoch(enum ncm_db_epoch which);

/* Fills err from the connection's last error, prefixed with what was being done; returns
 * NCM_ERR_IO (or NCM_ERR_CONFLICT for a constraint violation). For store modules. */
int ncm_db_fail(struct ncm_db *db, struct ncm_err_info *err, const char *what);

#endif
