/* SPDX-License-Identifier: MIT
 * test_store.c: unit tests for the SQLite store (server/store/db.c, team.c, devices.c,
 * journal.c). Tests use ":memory:" databases except where a real file is the point
 * (durability, migrations, WAL); those use a mkdtemp folder under /tmp, removed afterwards.
 */
#include <check.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "devices.h"
#include "err.h"
#include "firmware.h"
#include "journal.h"
#include "log.h"
#include "records.h"
#include "reset.h"
#include "team.h"

#define FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define FP_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* Counts "applied migration" log lines, and keeps the test output quiet. */
static int migrations_logged;

static void count_sink(enum ncm_log_level level, const char *msg, void *userdata)
{
	(void)level;
	(void)userdata;
	if (strstr(msg, "applied migration"))
		migrations_logged++;
}

static struct ncm_db *mem_db(void)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = NULL;

	ck_assert_msg(ncm_db_open(":memory:", &db, &err) == NCM_OK, "open: %s", err.msg);
	ck_assert_ptr_nonnull(db);
	return db;
}

static struct ncm_db *file_db(const char *path)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = NULL;

	ck_assert_msg(ncm_db_open(path, &db, &err) == NCM_OK, "open %s: %s", path, err.msg);
	ck_assert_ptr_nonnull(db);
	return db;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Every test folder lives in one folder per run, made by main() and removed by it after the
 * suite, so a test that fails before its rm_tree leaves nothing behind in /tmp. */
static char tmp_root[40];

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under /tmp; rm_tree removes it and everything in it. */
static void make_tmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/XXXXXX", tmp_root);
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static int pragma_int(struct ncm_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(ncm_db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int table_exists(struct ncm_db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found;

	ck_assert_int_eq(sqlite3_prepare_v2(ncm_db_handle(db),
					    "SELECT 1 FROM sqlite_master WHERE type = 'table'"
					    " AND name = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static void put_team(struct ncm_db *db, const char *tenant, const char *key, int64_t now_ms)
{
	struct ncm_err_info err = { 0 };
	struct ncm_team t = { 0 };

	snprintf(t.tenant_id, sizeof(t.tenant_id), "%s", tenant);
	snprintf(t.name, sizeof(t.name), "lab team");
	snprintf(t.stage, sizeof(t.stage), "prod");
	snprintf(t.api_key, sizeof(t.api_key), "%s", key);
	ck_assert_msg(ncm_store_team_put(db, &t, now_ms, &err) == NCM_OK, "team put: %s", err.msg);
}

/* Inserts a device with the given ID and fingerprint ("" for none); other fields defaulted. */
static int add_device(struct ncm_db *db, const char *id, const char *fp, struct ncm_err_info *err)
{
	struct ncm_device d = { 0 };

	snprintf(d.id, sizeof(d.id), "%s", id);
	snprintf(d.fingerprint, sizeof(d.fingerprint), "%s", fp);
	snprintf(d.onboarded_by, sizeof(d.onboarded_by), "admin");
	d.created_ms = 1000;
	return ncm_store_device_insert(db, &d, err);
}

static void must_add_device(struct ncm_db *db, const char *id, const char *fp)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(add_device(db, id, fp, &err) == NCM_OK, "insert %s: %s", id, err.msg);
}

/* ---- database ---- */

START_TEST(open_applies_every_migration_in_order)
{
	struct ncm_db *db;

	migrations_logged = 0;
	db = mem_db();
	ck_assert_int_eq(ncm_db_schema_version(db), NCM_DB_SCHEMA_VERSION);
	ck_assert_int_eq(pragma_int(db, "PRAGMA user_version"), NCM_DB_SCHEMA_VERSION);
	ck_assert_int_eq(migrations_logged, NCM_DB_SCHEMA_VERSION);
	ck_assert(table_exists(db, "shadows"));
	ck_assert(table_exists(db, "messages"));
	ck_assert(table_exists(db, "team"));
	ck_assert(table_exists(db, "api_keys"));
	ck_assert(table_exists(db, "devices"));
	ck_assert(table_exists(db, "revoked_certs"));
	ck_assert(table_exists(db, "journal"));
	ncm_db_close(db);
}
END_TEST

START_TEST(reopening_a_file_db_keeps_data_and_does_not_rerun_migrations)
{
	char dir[64], path[128];
	struct ncm_err_info err = { 0 };
	struct ncm_device d;
	struct ncm_team t;
	struct ncm_db *db;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	migrations_logged = 0;
	db = file_db(path);
	ck_assert_int_eq(migrations_logged, NCM_DB_SCHEMA_VERSION);
	put_team(db, "tenant-1", "key-1", 1);
	must_add_device(db, "dev-1", FP_A);
	ncm_db_close(db);

	migrations_logged = 0;
	db = file_db(path);
	ck_assert_int_eq(migrations_logged, 0);
	ck_assert_int_eq(ncm_db_schema_version(db), NCM_DB_SCHEMA_VERSION);
	ck_assert_int_eq(ncm_store_team_get(db, &t, &err), NCM_OK);
	ck_assert_str_eq(t.tenant_id, "tenant-1");
	ck_assert_int_eq(ncm_store_team_key_valid(db, "key-1"), 1);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-1", &d, &err), NCM_OK);
	ck_assert_str_eq(d.fingerprint, FP_A);
	ncm_device_release(&d);
	ncm_db_close(db);
	rm_tree(dir);
}
END_TEST

START_TEST(file_db_is_in_wal_mode_with_normal_sync)
{
	char dir[64], path[128];
	const unsigned char *mode;
	sqlite3_stmt *st = NULL;
	struct ncm_db *db;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	db = file_db(path);
	ck_assert_int_eq(sqlite3_prepare_v2(ncm_db_handle(db), "PRAGMA journal_mode", -1, &st,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	mode = sqlite3_column_text(st, 0);
	ck_assert_ptr_nonnull(mode);
	ck_assert_str_eq((const char *)mode, "wal");
	sqlite3_finalize(st);
	/* 1 = NORMAL: commits survive the process dying, not an OS crash (docs/performance.md) */
	ck_assert_int_eq(pragma_int(db, "PRAGMA synchronous"), 1);
	ncm_db_close(db);
	rm_tree(dir);
}
END_TEST

/* A child process commits a device and is then killed with SIGKILL while its connection is still
 * open (no close, no checkpoint): the parent must find the device. The parent sends the SIGKILL
 * once the child reports the commit, rather than the child killing itself, because valgrind
 * turns a self-inflicted SIGKILL into an orderly exit with a leak report. */
START_TEST(committed_device_survives_sigkill_of_the_writer)
{
	char dir[64], path[128], wal[160];
	struct ncm_err_info err = { 0 };
	struct ncm_device d;
	struct ncm_db *db;
	int status, fds[2];
	char byte = 0;
	pid_t pid;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* no Check calls here: the child reports through the pipe or its exit code */
		struct ncm_db *cdb = NULL;
		struct ncm_device cd = { 0 };

		close(fds[0]);
		if (ncm_db_open(path, &cdb, NULL))
			_exit(2);
		snprintf(cd.id, sizeof(cd.id), "durable-1");
		snprintf(cd.fingerprint, sizeof(cd.fingerprint), FP_A);
		snprintf(cd.onboarded_by, sizeof(cd.onboarded_by), "admin");
		cd.created_ms = 42;
		if (ncm_store_device_insert(cdb, &cd, NULL))
			_exit(3);
		if (write(fds[1], "c", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &byte, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(byte, 'c');
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child did not die by SIGKILL (status 0x%x)", status);
	/* the child never closed the database: the commit lives in the WAL only */
	ck_assert(access(wal, F_OK) == 0);
	db = file_db(path);
	ck_assert_msg(ncm_store_device_get(db, "durable-1", &d, &err) == NCM_OK, "get: %s",
		      err.msg);
	ck_assert_str_eq(d.fingerprint, FP_A);
	ck_assert_int_eq(d.created_ms, 42);
	ncm_device_release(&d);
	ncm_db_close(db);
	rm_tree(dir);
}
END_TEST

/* ---- team ---- */

START_TEST(team_get_on_an_empty_db_is_not_found)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_team t;

	ck_assert_int_eq(ncm_store_team_get(db, &t, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(err.code, NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(ncm_store_team_key_valid(db, "anything"), 0);
	ncm_db_close(db);
}
END_TEST

START_TEST(team_put_and_get_round_trip_with_api_keys)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_team in = { 0 }, out;

	snprintf(in.tenant_id, sizeof(in.tenant_id), "7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a");
	snprintf(in.name, sizeof(in.name), "lab team");
	snprintf(in.stage, sizeof(in.stage), "beta");
	snprintf(in.api_key, sizeof(in.api_key), "first-key");
	ck_assert_int_eq(ncm_store_team_put(db, &in, 1000, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_team_get(db, &out, &err), NCM_OK);
	ck_assert_str_eq(out.tenant_id, in.tenant_id);
	ck_assert_str_eq(out.name, "lab team");
	ck_assert_str_eq(out.stage, "beta");
	ck_assert_str_eq(out.api_key, "first-key");
	ck_assert_int_eq(ncm_store_team_key_valid(db, "first-key"), 1);
	ck_assert_int_eq(ncm_store_team_key_valid(db, "other-key"), 0);
	ck_assert_int_eq(ncm_store_team_key_valid(db, "FIRST-KEY"), 0);
	ck_assert_int_eq(ncm_store_team_key_valid(db, ""), 0);

	/* a second put replaces the name and adds a younger key; the oldest stays in api_key */
	snprintf(in.name, sizeof(in.name), "renamed");
	snprintf(in.api_key, sizeof(in.api_key), "second-key");
	ck_assert_int_eq(ncm_store_team_put(db, &in, 2000, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_team_get(db, &out, &err), NCM_OK);
	ck_assert_str_eq(out.name, "renamed");
	ck_assert_str_eq(out.api_key, "first-key");
	ck_assert_int_eq(ncm_store_team_key_valid(db, "first-key"), 1);
	ck_assert_int_eq(ncm_store_team_key_valid(db, "second-key"), 1);
	ncm_db_close(db);
}
END_TEST

START_TEST(team_prefix_is_stage_then_tenant_with_trailing_slash)
{
	struct ncm_team t = { 0 };
	char buf[128], small[8];

	snprintf(t.tenant_id, sizeof(t.tenant_id), "7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a");
	snprintf(t.stage, sizeof(t.stage), "prod");
	ck_assert_int_eq(ncm_team_prefix(&t, buf, sizeof(buf)), NCM_OK);
	ck_assert_str_eq(buf, "prod/7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a/");
	ck_assert_int_eq(ncm_team_prefix(&t, small, sizeof(small)), NCM_ERR_TOO_BIG);
}
END_TEST

/* ---- devices ---- */

START_TEST(device_insert_and_get_round_trip_every_field)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_device in = { 0 }, out;

	snprintf(in.id, sizeof(in.id), "nrf-352656100000001");
	in.cert_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	snprintf(in.fingerprint, sizeof(in.fingerprint), FP_A);
	in.pubkey_pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
	in.name = "Lab DK 1";
	in.tags_json = "[\"lab\",\"dk\"]";
	in.sub_type = "nrf9160dk";
	snprintf(in.onboarded_by, sizeof(in.onboarded_by), "fixture");
	in.created_ms = 1735689600123;
	in.last_connect_ms = 1735689601000;
	in.last_disconnect_ms = 1735689602000;
	ck_assert_msg(ncm_store_device_insert(db, &in, &err) == NCM_OK, "insert: %s", err.msg);
	ck_assert_int_eq(ncm_store_device_get(db, "nrf-352656100000001", &out, &err), NCM_OK);
	ck_assert_str_eq(out.id, "nrf-352656100000001");
	ck_assert_str_eq(out.cert_pem, in.cert_pem);
	ck_assert_str_eq(out.fingerprint, FP_A);
	ck_assert_str_eq(out.pubkey_pem, in.pubkey_pem);
	ck_assert_str_eq(out.name, "Lab DK 1");
	ck_assert_str_eq(out.tags_json, "[\"lab\",\"dk\"]");
	ck_assert_str_eq(out.sub_type, "nrf9160dk");
	ck_assert_str_eq(out.onboarded_by, "fixture");
	ck_assert_int_eq(out.created_ms, 1735689600123);
	ck_assert_int_eq(out.last_connect_ms, 1735689601000);
	ck_assert_int_eq(out.last_disconnect_ms, 1735689602000);
	ncm_device_release(&out);
	ck_assert_ptr_null(out.name);
	ncm_db_close(db);
}
END_TEST

START_TEST(device_get_ignores_the_case_of_the_id)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_device out;

	must_add_device(db, "Dev-Mixed", FP_A);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-mixed", &out, &err), NCM_OK);
	ck_assert_str_eq(out.id, "Dev-Mixed");
	ncm_device_release(&out);
	ck_assert_int_eq(ncm_store_device_get(db, "DEV-MIXED", &out, &err), NCM_OK);
	ck_assert_str_eq(out.fingerprint, FP_A);
	ncm_device_release(&out);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-other", &out, &err), NCM_ERR_NOT_FOUND);
	ncm_db_close(db);
}
END_TEST

START_TEST(device_without_optional_fields_gets_defaults_and_name_is_the_id)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_device out;

	must_add_device(db, "bare-1", "");
	ck_assert_int_eq(ncm_store_device_get(db, "bare-1", &out, &err), NCM_OK);
	ck_assert_ptr_nonnull(out.name);
	ck_assert_str_eq(out.name, "bare-1");
	ck_assert_ptr_nonnull(out.tags_json);
	ck_assert_str_eq(out.tags_json, "[]");
	ck_assert_ptr_null(out.cert_pem);
	ck_assert_ptr_null(out.pubkey_pem);
	ck_assert_ptr_null(out.sub_type);
	ck_assert_str_eq(out.fingerprint, "");
	ck_assert_int_eq(out.last_connect_ms, 0);
	ck_assert_int_eq(out.last_disconnect_ms, 0);
	ncm_device_release(&out);
	/* several devices without a certificate do not collide on the empty fingerprint */
	must_add_device(db, "bare-2", "");
	ncm_db_close(db);
}
END_TEST

START_TEST(duplicate_id_is_a_conflict_in_any_case)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();

	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(add_device(db, "dev-1", FP_B, &err), NCM_ERR_CONFLICT);
	ck_assert_int_eq(err.code, NCM_ERR_CONFLICT);
	ck_assert_int_eq(add_device(db, "DEV-1", FP_C, &err), NCM_ERR_CONFLICT);
	/* the failed inserts rolled back: the store still takes writes */
	must_add_device(db, "dev-2", FP_B);
	ncm_db_close(db);
}
END_TEST

START_TEST(duplicate_fingerprint_under_another_id_is_a_conflict)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_device out;

	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(add_device(db, "dev-2", FP_A, &err), NCM_ERR_CONFLICT);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-2", &out, &err), NCM_ERR_NOT_FOUND);
	must_add_device(db, "dev-3", FP_C);
	ncm_db_close(db);
}
END_TEST

START_TEST(delete_removes_the_device_and_revokes_its_certificate)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	char who[NCM_DEVID_MAX + 1] = "";
	struct ncm_device out;

	must_add_device(db, "Dev-1", FP_A);
	must_add_device(db, "dev-2", FP_B);
	ck_assert_int_eq(ncm_store_cert_revoked(db, FP_A, who), 0);
	ck_assert_int_eq(ncm_store_device_delete(db, "dev-1", 5000, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_device_get(db, "Dev-1", &out, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(ncm_store_cert_revoked(db, FP_A, who), 1);
	ck_assert_str_eq(who, "Dev-1");
	/* the other device is untouched */
	ck_assert_int_eq(ncm_store_cert_revoked(db, FP_B, who), 0);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-2", &out, &err), NCM_OK);
	ncm_device_release(&out);
	ncm_db_close(db);
}
END_TEST

START_TEST(reinsert_with_the_same_fingerprint_clears_the_revocation)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	char who[NCM_DEVID_MAX + 1] = "";
	struct ncm_device out;

	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(ncm_store_device_delete(db, "dev-1", 5000, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_cert_revoked(db, FP_A, who), 1);
	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(ncm_store_cert_revoked(db, FP_A, who), 0);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-1", &out, &err), NCM_OK);
	ncm_device_release(&out);
	ncm_db_close(db);
}
END_TEST

START_TEST(delete_of_an_unknown_device_is_not_found)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();

	ck_assert_int_eq(ncm_store_device_delete(db, "nobody", 5000, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(err.code, NCM_ERR_NOT_FOUND);
	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(ncm_store_device_delete(db, "dev-1", 5000, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_device_delete(db, "dev-1", 6000, &err), NCM_ERR_NOT_FOUND);
	/* the failed deletes rolled back: the store still takes writes */
	must_add_device(db, "dev-2", FP_B);
	ncm_db_close(db);
}
END_TEST

struct visit {
	char ids[8][NCM_DEVID_MAX + 1];
	int n;
	int stop_after; /* 0: never */
};

static int visit_cb(const struct ncm_device *d, void *userdata)
{
	struct visit *v = userdata;

	ck_assert_int_lt(v->n, 8);
	ck_assert_ptr_nonnull(d->name);
	snprintf(v->ids[v->n], sizeof(v->ids[v->n]), "%s", d->id);
	v->n++;
	return v->stop_after && v->n == v->stop_after ? 77 : 0;
}

START_TEST(foreach_visits_devices_in_id_order_and_stops_on_nonzero)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct visit v = { 0 };

	ck_assert_int_eq(ncm_store_device_foreach(db, visit_cb, &v, &err), NCM_OK);
	ck_assert_int_eq(v.n, 0);
	must_add_device(db, "dev-c", FP_C);
	must_add_device(db, "dev-a", FP_A);
	must_add_device(db, "dev-d", "");
	must_add_device(db, "dev-b", FP_B);
	ck_assert_int_eq(ncm_store_device_foreach(db, visit_cb, &v, &err), NCM_OK);
	ck_assert_int_eq(v.n, 4);
	ck_assert_str_eq(v.ids[0], "dev-a");
	ck_assert_str_eq(v.ids[1], "dev-b");
	ck_assert_str_eq(v.ids[2], "dev-c");
	ck_assert_str_eq(v.ids[3], "dev-d");

	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	ck_assert_int_eq(ncm_store_device_foreach(db, visit_cb, &v, &err), 77);
	ck_assert_int_eq(v.n, 2);
	ck_assert_str_eq(v.ids[1], "dev-b");
	ncm_db_close(db);
}
END_TEST

START_TEST(touch_records_connect_and_disconnect_times)
{
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = mem_db();
	struct ncm_device out;

	must_add_device(db, "dev-1", FP_A);
	ck_assert_int_eq(ncm_store_device_touch(db, "dev-1", 1, 111, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-1", &out, &err), NCM_OK);
	ck_assert_int_eq(out.last_connect_ms, 111);
	ck_assert_int_eq(out.last_disconnect_ms, 0);
	ncm_device_release(&out);
	ck_assert_int_eq(ncm_store_device_touch(db, "DEV-1", 0, 222, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-1", &out, &err), NCM_OK);
	ck_assert_int_eq(out.last_connect_ms, 111);
	ck_assert_int_eq(out.last_disconnect_ms, 222);
	ncm_device_release(&out);
	ck_assert_int_eq(ncm_store_device_touch(db, "dev-1", 1, 333, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_device_get(db, "dev-1", &out, &err), NCM_OK);
	ck_assert_int_eq(out.last_connect_ms, 333);
	ck_assert_int_eq(out.last_disconnect_ms, 222);
	ck_assert_int_eq(out.created_ms, 1000);
	ncm_device_release(&out);
	ncm_db_close(db);
}
END_TEST

/* ---- journal ---- */

struct jseen {
	int n;
	int64_t first, last;
	int64_t seqs[16];
	int stop_after; /* 0: never */
};

static int jseen_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct jseen *s = userdata;

	if (s->n == 0)
		s->first = rec->seq;
	else
		ck_assert_int_gt(rec->seq, s->last);
	s->last = rec->seq;
	if (s->n < 16)
		s->seqs[s->n] = rec->seq;
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 5 : 0;
}

static void jadd(struct ncm_db *db, const char *kind, const char *device, int64_t max)
{
	struct ncm_err_info err = { 0 };
	struct ncm_journal_rec r = { 0 };

	r.ts_ms = 1000;
	r.kind = kind;
	r.device = device;
	ck_assert_msg(ncm_store_journal_add(db, &r, max, &err) == NCM_OK, "journal add: %s",
		      err.msg);
}

static struct jseen jquery(struct ncm_db *db, const char *kind, const char *device,
			   int64_t after, int limit)
{
	struct ncm_journal_filter f = { .kind = kind, .device = device, .after_seq = after,
					  .limit = limit };
	struct ncm_err_info err = { 0 };
	struct jseen s = { 0 };

	ck_assert_msg(ncm_store_journal_foreach(db, &f, jseen_cb, &s, &err) == NCM_OK,
		      "journal foreach: %s", err.msg);
	return s;
}

static void assert_seqs(const struct jseen *s, const int64_t *want, int n)
{
	int i;

	ck_assert_int_eq(s->n, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(s->seqs[i] == want[i], "record %d: seq %lld, want %lld", i,
			      (long long)s->seqs[i], (long long)want[i]);
}

START_TEST(journal_ring_of_100_keeps_exactly_the_newest_100_of_250)
{
	struct ncm_db *db = mem_db();
	struct jseen s;
	int i;

	for (i = 0; i < 250; i++)
		jadd(db, "mqtt.connect", "dev-1", 100);
	s = jquery(db, NULL, NULL, 0, 100000);
	ck_assert_int_eq(s.n, 100);
	ck_assert_int_eq(s.first, 151);
	ck_assert_int_eq(s.last, 250);
	/* the default limit is 1000, larger than the ring */
	s = jquery(db, NULL, NULL, 0, 0);
	ck_assert_int_eq(s.n, 100);
	ncm_db_close(db);
}
END_TEST

/* seq 1..7 */
static void journal_mix(struct ncm_db *db)
{
	jadd(db, "mqtt.connect", "Dev-1", 0);     /* 1 */
	jadd(db, "mqtt.refused", "dev-2", 0);     /* 2 */
	jadd(db, "rest.request", NULL, 0);        /* 3 */
	jadd(db, "mqtt.connect", "dev-1", 0);     /* 4 */
	jadd(db, "mqttx.other", "dev-1", 0);      /* 5 */
	jadd(db, "mqtt", "DEV-1", 0);             /* 6 */
	jadd(db, "mqtt.acl_denied", "DEV-1", 0);  /* 7 */
}

START_TEST(journal_filter_by_exact_kind)
{
	struct ncm_db *db = mem_db();
	struct jseen s;

	journal_mix(db);
	s = jquery(db, "mqtt.connect", NULL, 0, 0);
	assert_seqs(&s, (const int64_t[]){ 1, 4 }, 2);
	/* without a trailing '.', a kind is not a prefix */
	s = jquery(db, "mqtt", NULL, 0, 0);
	assert_seqs(&s, (const int64_t[]){ 6 }, 1);
	s = jquery(db, "mqtt.conn", NULL, 0, 0);
	ck_assert_int_eq(s.n, 0);
	s = jquery(db, NULL, NULL, 0, 0);
	ck_assert_int_eq(s.n, 7);
	ncm_db_close(db);
}
END_TEST

START_TEST(journal_filter_by_kind_prefix_ending_in_a_dot)
{
	struct ncm_db *db = mem_db();
	struct jseen s;

	journal_mix(db);
	s = jquery(db, "mqtt.", NULL, 0, 0);
	assert_seqs(&s, (const int64_t[]){ 1, 2, 4, 7 }, 4);
	s = jquery(db, "rest.", NULL, 0, 0);
	assert_seqs(&s, (const int64_t[]){ 3 }, 1);
	ncm_db_close(db);
}
END_TEST

START_TEST(journal_filter_by_device_ignores_case)
{
	struct ncm_db *db = mem_db();
	struct jseen s;

	journal_mix(db);
	s = jquery(db, NULL, "dev-1", 0, 0);
	assert_seqs(&s, (const int64_t[]){ 1, 4, 5, 6, 7 }, 5);
	s = jquery(db, NULL, "DEV-2", 0, 0);
	assert_seqs(&s, (const int64_t[]){ 2 }, 1);
	s = jquery(db, "mqtt.", "dEv-1", 0, 0);
	assert_seqs(&s, (const int64_t[]){ 1, 4, 7 }, 3);
	s = jquery(db, NULL, "dev-9", 0, 0);
	ck_assert_int_eq(s.n, 0);
	ncm_db_close(db);
}
END_TEST

START_TEST(journal_after_seq_and_limit_page_through_records)
{
	struct ncm_err_info err = { 0 };
	struct ncm_journal_filter f = { 0 };
	struct ncm_db *db = mem_db();
	struct jseen s = { 0 };

	journal_mix(db);
	s = jquery(db, NULL, NULL, 2, 0);
	assert_seqs(&s, (const int64_t[]){ 3, 4, 5, 6, 7 }, 5);
	s = jquery(db, NULL, NULL, 2, 2);
	assert_seqs(&s, (const int64_t[]){ 3, 4 }, 2);
	s = jquery(db, NULL, NULL, s.last, 2);
	assert_seqs(&s, (const int64_t[]){ 5, 6 }, 2);
	s = jquery(db, NULL, NULL, s.last, 2);
	assert_seqs(&s, (const int64_t[]){ 7 }, 1);
	s = jquery(db, NULL, NULL, 7, 2);
	ck_assert_int_eq(s.n, 0);
	s = jquery(db, "mqtt.", "dev-1", 1, 1);
	assert_seqs(&s, (const int64_t[]){ 4 }, 1);

	/* a non-zero callback return stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	ck_assert_int_eq(ncm_store_journal_foreach(db, &f, jseen_cb, &s, &err), 5);
	ck_assert_int_eq(s.n, 3);
	ncm_db_close(db);
}
END_TEST

struct jcopy {
	int n;
	int64_t ts_ms;
	char kind[32], device[32], topic[64], reason[64];
	int has_device, has_topic, has_reason;
	int status, binary;
	unsigned char payload[64];
	size_t payload_len;
	int has_payload;
};

static int jcopy_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct jcopy *c = userdata;

	c->n++;
	c->ts_ms = rec->ts_ms;
	snprintf(c->kind, sizeof(c->kind), "%s", rec->kind);
	c->has_device = rec->device != NULL;
	snprintf(c->device, sizeof(c->device), "%s", rec->device ? rec->device : "");
	c->has_topic = rec->topic != NULL;
	snprintf(c->topic, sizeof(c->topic), "%s", rec->topic ? rec->topic : "");
	c->has_reason = rec->reason != NULL;
	snprintf(c->reason, sizeof(c->reason), "%s", rec->reason ? rec->reason : "");
	c->status = rec->status;
	c->binary = rec->binary;
	c->has_payload = rec->payload != NULL;
	c->payload_len = rec->payload_len;
	ck_assert_uint_le(rec->payload_len, sizeof(c->payload));
	if (rec->payload_len)
		memcpy(c->payload, rec->payload, rec->payload_len);
	return 0;
}

START_TEST(journal_binary_payload_with_nul_bytes_round_trips)
{
	static const unsigned char bin[] = { 0x00, 0x01, 0xff, 0x00, 'a', 0x00, 0x80, 0x00 };
	struct ncm_journal_filter f = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_journal_rec r = { 0 };
	struct ncm_db *db = mem_db();
	struct jcopy c = { 0 };

	r.ts_ms = 1735689600555;
	r.kind = "mqtt.publish";
	r.device = "dev-1";
	r.topic = "prod/t/m/d/dev-1/d2c/bin";
	r.status = 0;
	r.reason = "because";
	r.payload = bin;
	r.payload_len = sizeof(bin);
	r.binary = 1;
	ck_assert_int_eq(ncm_store_journal_add(db, &r, 0, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_journal_foreach(db, &f, jcopy_cb, &c, &err), NCM_OK);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.ts_ms, 1735689600555);
	ck_assert_str_eq(c.kind, "mqtt.publish");
	ck_assert_str_eq(c.device, "dev-1");
	ck_assert_str_eq(c.topic, "prod/t/m/d/dev-1/d2c/bin");
	ck_assert_str_eq(c.reason, "because");
	ck_assert_int_eq(c.binary, 1);
	ck_assert(c.has_payload);
	ck_assert_uint_eq(c.payload_len, sizeof(bin));
	ck_assert(memcmp(c.payload, bin, sizeof(bin)) == 0);
	ncm_db_close(db);
}
END_TEST

START_TEST(journal_record_without_optional_fields_reads_back_as_null)
{
	struct ncm_journal_filter f = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_journal_rec r = { 0 };
	struct ncm_db *db = mem_db();
	struct jcopy c = { 0 };

	r.ts_ms = 7;
	r.kind = "http.request";
	r.status = 404;
	ck_assert_int_eq(ncm_store_journal_add(db, &r, 0, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_journal_foreach(db, &f, jcopy_cb, &c, &err), NCM_OK);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.status, 404);
	ck_assert(!c.has_device);
	ck_assert(!c.has_topic);
	ck_assert(!c.has_reason);
	ck_assert(!c.has_payload);
	ck_assert_uint_eq(c.payload_len, 0);
	ck_assert_int_eq(c.binary, 0);
	ncm_db_close(db);
}
END_TEST

/* A version 4 UUID in lower case: 8-4-4-4-12 hex digits, version digit 4, variant 8..b. */
static void check_uuid_v4(const char *u)
{
	size_t i;

	ck_assert_uint_eq(strlen(u), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_msg(u[i] == '-', "%s: no '-' at %zu", u, i);
		else
			ck_assert_msg(strchr("0123456789abcdef", u[i]) && u[i],
				      "%s: not lower-case hex at %zu", u, i);
	}
	ck_assert_msg(u[14] == '4', "%s: not version 4", u);
	ck_assert_msg(strchr("89ab", u[19]) != NULL, "%s: not the RFC 4122 variant", u);
}

START_TEST(record_and_random_uuids_are_lower_case_version_4_and_differ)
{
	char a[37], b[37], c[37];

	ncm_store_record_uuid(a);
	ck_assert_int_eq(ncm_store_uuid_random(b), NCM_OK);
	ck_assert_int_eq(ncm_store_uuid_random(c), NCM_OK);
	check_uuid_v4(a);
	check_uuid_v4(b);
	check_uuid_v4(c);
	ck_assert_str_ne(a, b);
	ck_assert_str_ne(b, c);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* the journal ring and fsync-heavy file tests are slow under valgrind */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))


/* ncm_db_epoch (db.h): the firmware table's counter moves when a write of it is committed (at
 * once outside a transaction, at the outermost commit or rollback inside one), and not for
 * other tables; caches of the table rely on it (runtime/fwcache.c). */
START_TEST(firmware_epoch_moves_when_a_firmware_write_ends)
{
	struct ncm_db *db = mem_db();
	struct ncm_bundle b = { .bundle_id = "APP*0000000a*1.0.0", .type = "APP",
				.version = "1.0.0", .files_json = (char *)"[]" };
	uint64_t e = ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE);

	ck_assert_int_eq(ncm_store_bundle_put(db, &b, NULL), NCM_OK);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 1);
	ck_assert_int_eq(ncm_db_begin(db, NULL), NCM_OK);
	ck_assert_int_eq(ncm_store_bundle_delete(db, b.bundle_id, NULL), NCM_OK);
	ck_assert_int_eq(ncm_db_begin(db, NULL), NCM_OK); /* nested */
	ck_assert_int_eq(ncm_db_commit(db, NULL), NCM_OK);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 1); /* not committed yet */
	ck_assert_int_eq(ncm_db_commit(db, NULL), NCM_OK);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 2);
	ck_assert_int_eq(ncm_db_begin(db, NULL), NCM_OK);
	ck_assert_int_eq(ncm_store_bundle_put(db, &b, NULL), NCM_OK);
	ncm_db_rollback(db);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 3);
	ck_assert_int_eq(ncm_store_reset(db, 1, NULL), NCM_OK);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 4);
	/* another table's write leaves it alone */
	ck_assert_int_eq(ncm_db_begin(db, NULL), NCM_OK);
	ck_assert_int_eq(ncm_db_commit(db, NULL), NCM_OK);
	ck_assert_uint_eq(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE), e + 4);
	ncm_db_close(db);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");

	ADD(s, open_applies_every_migration_in_order);
	ADD(s, reopening_a_file_db_keeps_data_and_does_not_rerun_migrations);
	ADD(s, file_db_is_in_wal_mode_with_normal_sync);
	ADD(s, committed_device_survives_sigkill_of_the_writer);
	ADD(s, team_get_on_an_empty_db_is_not_found);
	ADD(s, team_put_and_get_round_trip_with_api_keys);
	ADD(s, team_prefix_is_stage_then_tenant_with_trailing_slash);
	ADD(s, device_insert_and_get_round_trip_every_field);
	ADD(s, device_get_ignores_the_case_of_the_id);
	ADD(s, device_without_optional_fields_gets_defaults_and_name_is_the_id);
	ADD(s, duplicate_id_is_a_conflict_in_any_case);
	ADD(s, duplicate_fingerprint_under_another_id_is_a_conflict);
	ADD(s, delete_removes_the_device_and_revokes_its_certificate);
	ADD(s, reinsert_with_the_same_fingerprint_clears_the_revocation);
	ADD(s, delete_of_an_unknown_device_is_not_found);
	ADD(s, foreach_visits_devices_in_id_order_and_stops_on_nonzero);
	ADD(s, touch_records_connect_and_disconnect_times);
	ADD(s, journal_ring_of_100_keeps_exactly_the_newest_100_of_250);
	ADD(s, journal_filter_by_exact_kind);
	ADD(s, journal_filter_by_kind_prefix_ending_in_a_dot);
	ADD(s, journal_filter_by_device_ignores_case);
	ADD(s, journal_after_seq_and_limit_page_through_records);
	ADD(s, journal_binary_payload_with_nul_bytes_round_trips);
	ADD(s, journal_record_without_optional_fields_reads_back_as_null);
	ADD(s, record_and_random_uuids_are_lower_case_version_4_and_differ);
	ADD(s, firmware_epoch_moves_when_a_firmware_write_ends);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	snprintf(tmp_root, sizeof(tmp_root), "/tmp/ncm-test-store-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	ncm_log_set_sink(count_sink, NULL);
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_tree(tmp_root);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
