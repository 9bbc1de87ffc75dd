/* SPDX-License-Identifier: MIT
 * db.c: opening connections and the numbered schema migrations (see db.h). Only store modules
 * write SQL; nothing above server/store sees sqlite3.
 */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* One cached prepared statement: the SQL text is the key. */
struct stmt_slot {
	char *sql;
	sqlite3_stmt *st;
	int in_use;
};

struct ncm_db {
	sqlite3 *h;
	int depth;   /* nesting of ncm_db_begin */
	int failed;  /* an inner transaction rolled back: the outer commit must not succeed */
	int shared;  /* a file others in this process open too: writers take write_lock */
	int wait_ms; /* longest wait for the write lock (in-process, then SQLite's); 0: default */
	struct stmt_slot *stmts;
	size_t n_stmts;
	unsigned touched; /* bits of enum ncm_db_epoch written in the open transaction */
};

#define DEFAULT_WAIT_MS 10000

/* Writers in this process take turns on this lock before BEGIN IMMEDIATE: SQLite's own busy
 * handler polls with sleeps of 1 to 100 ms, so two threads of one process contending for the
 * write lock through it lose milliseconds per conflict (REST writes under MQTT load waited
 * seconds). A mutex hands over at once; SQLite's busy timeout then only ever waits for another
 * process. Recursive, so one thread may hold transactions on two connections as before. */
static pthread_mutex_t write_lock;
static pthread_once_t write_lock_once = PTHREAD_ONCE_INIT;

static void write_lock_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&write_lock, &a);
	pthread_mutexattr_destroy(&a);
}

/* Takes the in-process write lock, waiting at most db->wait_ms; 0 or NCM_ERR_IO. */
static int write_lock_take(struct ncm_db *db, struct ncm_err_info *err)
{
	struct timespec until;
	int ms = db->wait_ms > 0 ? db->wait_ms : DEFAULT_WAIT_MS;

	if (!db->shared)
		return NCM_OK;
	if (!pthread_mutex_trylock(&write_lock))
		return NCM_OK;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&write_lock, &until) == 0)
		return NCM_OK;
	return ncm_err_set(err, NCM_ERR_IO, "store: database is locked (waited %d ms for "
			   "another writer in this process)", ms);
}

static void write_lock_give(struct ncm_db *db)
{
	if (db->shared)
		pthread_mutex_unlock(&write_lock);
}

/* A trigger that moves start_stamp.gen away from the stamp's (migration 9). */
#define START_GEN_TRIGGER(name, event, table)                                          \
	"CREATE TRIGGER start_gen_" name " AFTER " event " ON " table " BEGIN"          \
	" UPDATE start_stamp SET gen = gen + 1 WHERE id = 1 AND gen = stamp_gen; END;"

/* Migration N is migrations[N - 1]; append only, never edit a released one. */
static const char *const migrations[] = {
	/* 1: team, devices, revoked certificates, journal ring */
	"CREATE TABLE team ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  tenant_id TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  stage TEXT NOT NULL);"
	"CREATE TABLE api_keys ("
	"  key TEXT PRIMARY KEY,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE devices ("
	"  id TEXT PRIMARY KEY COLLATE NOCASE,"
	"  cert_pem TEXT,"
	"  fingerprint TEXT UNIQUE,"
	"  pubkey_pem TEXT,"
	"  name TEXT,"
	"  tags TEXT NOT NULL DEFAULT '[]',"
	"  sub_type TEXT,"
	"  onboarded_by TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  last_connect_ms INTEGER NOT NULL DEFAULT 0,"
	"  last_disconnect_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE revoked_certs ("
	"  fingerprint TEXT PRIMARY KEY,"
	"  device_id TEXT NOT NULL,"
	"  revoked_ms INTEGER NOT NULL);"
	"CREATE TABLE journal ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts_ms INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  device TEXT,"
	"  topic TEXT,"
	"  status INTEGER,"
	"  reason TEXT,"
	"  payload BLOB,"
	"  binary INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX journal_device ON journal(device, seq);"
	"CREATE INDEX journal_kind ON journal(kind, seq);",
	/* 2: shadows and device messages */
	"CREATE TABLE shadows ("
	"  device_id TEXT PRIMARY KEY COLLATE NOCASE,"
	"  doc TEXT NOT NULL,"
	"  version INTEGER NOT NULL);"
	"CREATE TABLE messages ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  device_id TEXT NOT NULL COLLATE NOCASE,"
	"  topic TEXT NOT NULL,"
	"  received_ms INTEGER NOT NULL,"
	"  app_id TEXT,"
	"  payload BLOB NOT NULL,"
	"  binary INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX messages_device ON messages(device_id, seq);",
	/* 3: team tokens, bulk operations, firmware types given at onboarding */
	"CREATE TABLE team_tokens ("
	"  kind TEXT PRIMARY KEY,"
	"  key_pem TEXT,"
	"  token TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER);"
	"CREATE TABLE bulk_ops ("
	"  id TEXT PRIMARY KEY,"
	"  endpoint TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  requested_ms INTEGER NOT NULL,"
	"  completed_ms INTEGER,"
	"  uploaded BLOB,"
	"  errors TEXT);"
	"ALTER TABLE devices ADD COLUMN fw_types TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE devices ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;",
	/* 4: firmware bundles, FOTA jobs and their executions */
	"CREATE TABLE firmware ("
	"  bundle_id TEXT PRIMARY KEY,"
	"  type TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  name TEXT,"
	"  description TEXT,"
	"  files TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE fota_jobs ("
	"  job_id TEXT PRIMARY KEY,"
	"  bundle_id TEXT NOT NULL,"
	"  name TEXT,"
	"  description TEXT,"
	"  status TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  auto_apply INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  completed_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE fota_executions ("
	"  job_id TEXT NOT NULL,"
	"  device_id TEXT NOT NULL COLLATE NOCASE,"
	"  status TEXT NOT NULL,"
	"  status_detail TEXT,"
	"  progress INTEGER NOT NULL DEFAULT -1,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (job_id, device_id));"
	"CREATE INDEX fota_exec_device ON fota_executions(device_id, created_ms);",
	/* 5: location answers (cells, access points and anchors) and the location history */
	"CREATE TABLE loc_cells ("
	"  mcc INTEGER NOT NULL,"
	"  mnc INTEGER NOT NULL,"
	"  tac INTEGER NOT NULL,"
	"  eci INTEGER NOT NULL,"
	"  lat REAL NOT NULL,"
	"  lon REAL NOT NULL,"
	"  unc REAL NOT NULL,"
	"  PRIMARY KEY (mcc, mnc, tac, eci));"
	"CREATE TABLE loc_wifi ("
	"  mac TEXT PRIMARY KEY,"
	"  lat REAL NOT NULL,"
	"  lon REAL NOT NULL,"
	"  unc REAL NOT NULL,"
	"  anchor TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE loc_history ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  device_id TEXT NOT NULL COLLATE NOCASE,"
	"  service TEXT NOT NULL,"
	"  inserted_ms INTEGER NOT NULL,"
	"  lat REAL NOT NULL,"
	"  lon REAL NOT NULL,"
	"  unc REAL NOT NULL,"
	"  anchors TEXT);"
	"CREATE INDEX loc_history_device ON loc_history(device_id, id);",
	/* 6: a location history fix's meta (GNSS altitude, speed, heading, accuracy) */
	"ALTER TABLE loc_history ADD COLUMN meta TEXT;",
	/* 7: how far the device-message log (msglog.c) is applied */
	"CREATE TABLE msglog_applied ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL);"
	"INSERT INTO msglog_applied (id, seq) VALUES (1, 0);",
	/* 8: records of the wider REST surface (alerts, contributions, device images, team MQTT
	 * devices) and the times of anchors made through /v1/location/anchors */
	"CREATE TABLE records ("
	"  kind TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  device_id TEXT NOT NULL DEFAULT '' COLLATE NOCASE,"
	"  status TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  body TEXT NOT NULL DEFAULT '{}',"
	"  PRIMARY KEY (kind, id));"
	"ALTER TABLE loc_wifi ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE loc_wifi ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;",
	/* 9: the start stamp (startstamp.h): gen counts the changes that decide what the
	 * fixture check at start does (a team, device, bundle or location answer added, removed
	 * or given another key); it moves once per stamp, so a bulk delete stays cheap */
	"CREATE TABLE start_stamp ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  gen INTEGER NOT NULL,"
	"  stamp TEXT,"
	"  stamp_gen INTEGER NOT NULL DEFAULT -1,"
	"  checks INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO start_stamp (id, gen) VALUES (1, 0);"
	START_GEN_TRIGGER("team_ins", "INSERT", "team")
	START_GEN_TRIGGER("team_del", "DELETE", "team")
	START_GEN_TRIGGER("devices_ins", "INSERT", "devices")
	START_GEN_TRIGGER("devices_del", "DELETE", "devices")
	START_GEN_TRIGGER("devices_key", "UPDATE OF id", "devices")
	START_GEN_TRIGGER("firmware_ins", "INSERT", "firmware")
	START_GEN_TRIGGER("firmware_del", "DELETE", "firmware")
	START_GEN_TRIGGER("firmware_key", "UPDATE OF bundle_id", "firmware")
	START_GEN_TRIGGER("cells_ins", "INSERT", "loc_cells")
	START_GEN_TRIGGER("cells_del", "DELETE", "loc_cells")
	START_GEN_TRIGGER("cells_key", "UPDATE OF mcc, mnc, tac, eci", "loc_cells")
	START_GEN_TRIGGER("wifi_ins", "INSERT", "loc_wifi")
	START_GEN_TRIGGER("wifi_del", "DELETE", "loc_wifi")
	START_GEN_TRIGGER("wifi_key", "UPDATE OF mac", "loc_wifi"),
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == NCM_DB_SCHEMA_VERSION,
	       "NCM_DB_SCHEMA_VERSION must be the number of migrations");

int ncm_db_fail(struct ncm_db *db, struct ncm_err_info *err, const char *what)
{
	int rc = sqlite3_extended_errcode(db->h);
	int code = (rc & 0xff) == SQLITE_CONSTRAINT ? NCM_ERR_CONFLICT : NCM_ERR_IO;

	return ncm_err_set(err, code, "store: %s: %s", what, sqlite3_errmsg(db->h));
}

static int db_exec(struct ncm_db *db, const char *sql, struct ncm_err_info *err)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) == SQLITE_OK)
		return NCM_OK;
	rc = ncm_err_set(err, NCM_ERR_IO, "store: %s", msg ? msg : sqlite3_errmsg(db->h));
	sqlite3_free(msg);
	return rc;
}

int ncm_db_schema_version(struct ncm_db *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Applies every migration above the stored user_version, each in its own transaction, so a
 * crash mid-way leaves the schema at a known version. */
static int db_migrate(struct ncm_db *db, struct ncm_err_info *err)
{
	int n = (int)(sizeof(migrations) / sizeof(migrations[0]));
	int v, rc;
	char sql[64];

	for (;;) {
		rc = ncm_db_begin(db, err);
		if (rc)
			return rc;
		v = ncm_db_schema_version(db);
		if (v < 0 || v > n) {
			ncm_db_rollback(db);
			return ncm_err_set(err, NCM_ERR_IO,
					   "store: schema version %d is newer than this build (%d)",
					   v, n);
		}
		if (v == n) {
			ncm_db_rollback(db);
			return NCM_OK;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		rc = db_exec(db, migrations[v], err);
		if (!rc)
			rc = db_exec(db, sql, err);
		if (!rc)
			rc = ncm_db_commit(db, err);
		if (rc) {
			ncm_db_rollback(db);
			return rc;
		}
		ncm_log(NCM_LOG_INFO, "store: applied migration %d", v + 1);
	}
}

int ncm_db_open(const char *path, struct ncm_db **out, struct ncm_err_info *err)
{
	struct ncm_db *db = NULL;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory");
	if (sqlite3_open_v2(path, &db->h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = ncm_err_set(err, NCM_ERR_IO, "store: cannot open %s: %s", path,
				 db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto out;
	}
	pthread_once(&write_lock_once, write_lock_init);
	db->shared = strcmp(path, ":memory:") != 0;
	sqlite3_busy_timeout(db->h, DEFAULT_WAIT_MS);
	/* WAL with synchronous=NORMAL: a commit is a write(2) to the WAL, without fsync, so it
	 * survives the process dying (kill -9, a crash, docker stop) but an OS crash or a power
	 * cut can lose the last commits; the WAL is fsync'd at each checkpoint
	 * (docs/performance.md#durability). No memory map for reads: mapped pages count in the
	 * server's RSS, per connection, and a 256 MiB map let one long listing of messages grow
	 * it by the listing's size (test_harden rss, docs/limits.md). */
	rc = db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "PRAGMA foreign_keys=ON; PRAGMA mmap_size=0;", err);
	if (rc)
		goto out;
	rc = db_migrate(db, err);
out:
	if (rc) {
		ncm_db_close(db);
		return rc;
	}
	*out = db;
	return NCM_OK;
}

void ncm_db_close(struct ncm_db *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->n_stmts; i++) {
		sqlite3_finalize(db->stmts[i].st);
		free(db->stmts[i].sql);
	}
	free(db->stmts);
	if (db->depth > 0)
		write_lock_give(db);
	sqlite3_close(db->h);
	free(db);
}

void ncm_db_set_wait_ms(struct ncm_db *db, int ms)
{
	db->wait_ms = ms;
	sqlite3_busy_timeout(db->h, ms > 0 ? ms : DEFAULT_WAIT_MS);
}

void ncm_db_set_no_checkpoints(struct ncm_db *db)
{
	sqlite3_wal_autocheckpoint(db->h, 0);
}

/* The cache is a short array searched by text: a connection runs a few dozen distinct
 * statements, and comparing a string costs far less than parsing it again. A statement still
 * in use (a query whose callback runs the same query) gets a fresh uncached one. */
int ncm_db_prepare(struct ncm_db *db, const char *sql, sqlite3_stmt **out)
{
	struct stmt_slot *slot, *grown;
	size_t i;

	*out = NULL;
	for (i = 0; i < db->n_stmts; i++) {
		slot = &db->stmts[i];
		if (strcmp(slot->sql, sql))
			continue;
		if (slot->in_use)
			break;
		slot->in_use = 1;
		*out = slot->st;
		return SQLITE_OK;
	}
	if (i < db->n_stmts || db->n_stmts >= 256)
		return sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
	grown = realloc(db->stmts, (db->n_stmts + 1) * sizeof(*grown));
	if (!grown)
		return sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
	db->stmts = grown;
	slot = &db->stmts[db->n_stmts];
	slot->sql = strdup(sql);
	if (!slot->sql)
		return sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->st, NULL) !=
	    SQLITE_OK) {
		free(slot->sql);
		return sqlite3_errcode(db->h);
	}
	slot->in_use = 1;
	db->n_stmts++;
	*out = slot->st;
	return SQLITE_OK;
}

void ncm_db_finish(struct ncm_db *db, sqlite3_stmt *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < db->n_stmts; i++) {
		if (db->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db->stmts[i].in_use = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

sqlite3 *ncm_db_handle(struct ncm_db *db)
{
	return db->h;
}

/* BEGIN IMMEDIATE and COMMIT from the statement cache: parsing them was a visible part of a
 * small transaction's cost. */
static int db_step_cached(struct ncm_db *db, const char *sql, struct ncm_err_info *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ncm_db_prepare(db, sql, &st) != SQLITE_OK)
		return ncm_err_set(err, NCM_ERR_IO, "store: %s", sqlite3_errmsg(db->h));
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		ncm_err_set(err, NCM_ERR_IO, "store: %s", sqlite3_errmsg(db->h));
	ncm_db_finish(db, st);
	return rc == SQLITE_DONE ? NCM_OK : NCM_ERR_IO;
}

/* Transactions nest by counting: only the outermost begin and commit reach SQLite, so a store
 * call that makes its own transaction can also run inside a caller's (one commit, one fsync). */
int ncm_db_begin(struct ncm_db *db, struct ncm_err_info *err)
{
	int rc = NCM_OK;

	if (db->depth == 0) {
		rc = write_lock_take(db, err);
		if (rc)
			return rc;
		rc = db_step_cached(db, "BEGIN IMMEDIATE", err);
		if (rc)
			write_lock_give(db);
	}
	if (!rc)
		db->depth++;
	return rc;
}

static atomic_uint_fast64_t epochs[NCM_DB_EPOCHS];

/* The counters of the tables the ended transaction wrote go up (see db.h). */
static void epochs_bump(struct ncm_db *db)
{
	unsigned i;

	for (i = 0; i < NCM_DB_EPOCHS; i++)
		if (db->touched & (1u << i))
			atomic_fetch_add(&epochs[i], 1);
	db->touched = 0;
}

void ncm_db_touch(struct ncm_db *db, enum ncm_db_epoch which)
{
	db->touched |= 1u << which;
	if (db->depth == 0 && sqlite3_get_autocommit(db->h))
		epochs_bump(db);
}

uint64_t ncm_db_epoch(enum ncm_db_epoch which)
{
	return atomic_load(&epochs[which]);
}

int ncm_db_commit(struct ncm_db *db, struct ncm_err_info *err)
{
	int rc;

	if (db->depth > 1) {
		db->depth--;
		return NCM_OK;
	}
	if (db->failed) {
		ncm_db_rollback(db);
		return ncm_err_set(err, NCM_ERR_IO, "store: a step of this transaction failed; "
				   "rolled back");
	}
	rc = db_step_cached(db, "COMMIT", err);
	if (!rc) {
		db->depth = 0;
		epochs_bump(db);
		write_lock_give(db);
	}
	return rc;
}

void ncm_db_rollback(struct ncm_db *db)
{
	if (db->depth > 1) {
		/* the outermost caller decides; it will see the error and roll back */
		db->depth--;
		db->failed = 1;
		return;
	}
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	epochs_bump(db); /* a rolled-back write changed nothing, but a cache may re-read */
	if (db->depth > 0)
		write_lock_give(db);
	db->depth = 0;
	db->failed = 0;
}
