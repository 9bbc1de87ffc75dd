/* SPDX-License-Identifier: MIT
 * test_start_stamp.c: `serve` skips the lab-CA check and the fixture load when nothing they
 * depend on changed since the last check, and runs them when anything did
 * (docs/performance.md#start-up, server/store/startstamp.h): a fixture file added or edited
 * (even in place with its size and time kept), the store written by another program, a CA
 * file gone, other host names. The count of checks in state.db tells which happened. The
 * broker is /bin/true here (--mosquitto), so only the preparation runs.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEVICE_FILE "devices/nrf-352656100000001.json"

static char dir[PATH_MAX], data[PATH_MAX], fixtures[PATH_MAX], db_path[PATH_MAX];

/* Runs `nrfcloud-mock serve` on data and fixtures with the broker replaced by /bin/true, and
 * extra flags (NULL-terminated, at most 4); its exit status. */
static int serve(const char *extra1, const char *extra2)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(getenv("NCM_BIN"), "nrfcloud-mock", "serve", "--data", data, "--fixtures",
		      fixtures, "--mqtt-port", "28841", "--https-port", "0", "--admin-port", "0",
		      "--mqtt-bind", "127.0.0.1", "--https-bind", "127.0.0.1", "--mosquitto",
		      "/bin/true", extra1, extra2, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first column of the first row of sql on state.db, as an integer (-1: no row). */
static long long query(const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void exec_sql(const char *sql)
{
	sqlite3 *h = NULL;

	ck_assert_int_eq(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(h));
	sqlite3_close(h);
}

static long long checks(void)
{
	return query("SELECT checks FROM start_stamp");
}

static int has_device(const char *id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM devices WHERE id = '%s'", id);
	return query(sql) == 1;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Replaces the first "from" in fixtures/name by "to" (same length) in place, keeping the
 * file's size and modification time. */
static void edit_in_place(const char *name, const char *from, const char *to)
{
	char path[PATH_MAX * 2], buf[8192], *at;
	struct timespec times[2];
	struct stat st;
	ssize_t n;
	int fd;

	ck_assert_uint_eq(strlen(from), strlen(to));
	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	ck_assert_int_eq(stat(path, &st), 0);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	at = strstr(buf, from);
	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(pwrite(fd, to, strlen(to), at - buf), (ssize_t)strlen(to));
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	ck_assert_int_eq(futimens(fd, times), 0);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, n);
}

START_TEST(check_skipped_only_when_nothing_changed)
{
	char path[PATH_MAX * 2];

	/* a new data folder: checked, and stamped */
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 1);
	ck_assert(has_device("nrf-352656100000001"));
	ck_assert_int_eq(query("SELECT stamp IS NOT NULL AND stamp_gen = gen FROM start_stamp"), 1);

	/* the same inputs: not checked again */
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 1);

	/* a new fixture file is loaded at the next start */
	write_file("devices/extra.json", "{\"id\": \"nrf-352656100000002\", \"name\": \"extra\"}\n");
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 2);
	ck_assert(has_device("nrf-352656100000002"));
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 2);

	/* a fixture edited in place, with its size and modification time as they were */
	edit_in_place("devices/extra.json", "nrf-352656100000002", "nrf-352656100000003");
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 3);
	ck_assert(has_device("nrf-352656100000003"));

	/* the store written by another program: a fixture device deleted comes back, as it did
	 * before there was a stamp */
	exec_sql("DELETE FROM devices WHERE id = 'nrf-352656100000001'");
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 4);
	ck_assert(has_device("nrf-352656100000001"));

	/* writes that cannot change what the check does keep the stamp */
	exec_sql("UPDATE devices SET last_connect_ms = 42, name = 'renamed';"
		 "INSERT INTO messages (device_id, topic, received_ms, payload)"
		 " VALUES ('nrf-352656100000001', 't', 1, 'x')");
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 4);

	/* so does a bulk delete: the generation moves once, the next check stamps again */
	exec_sql("DELETE FROM loc_cells");
	ck_assert_int_eq(query("SELECT gen - stamp_gen FROM start_stamp"), 1);
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 5);
	ck_assert_int_gt(query("SELECT count(*) FROM loc_cells"), 0);

	/* a CA file gone: the check issues the server certificate again */
	snprintf(path, sizeof(path), "%s/ca/server.key", data);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 6);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(serve(NULL, NULL), 0);
	ck_assert_int_eq(checks(), 6);

	/* other host names: checked (and the certificate issued for them) */
	ck_assert_int_eq(serve("--mqtt-host", "mqtt.other.lab"), 0);
	ck_assert_int_eq(checks(), 7);
	ck_assert_int_eq(serve("--mqtt-host", "mqtt.other.lab"), 0);
	ck_assert_int_eq(checks(), 7);

	/* a fixture that became invalid is reported, whatever the stamp said */
	write_file("devices/bad.json", "{\"id\": \"not a device id\"}\n");
	ck_assert_int_eq(serve("--mqtt-host", "mqtt.other.lab"), 2);
}
END_TEST

int main(void)
{
	SRunner *sr;
	Suite *s = suite_create("start-stamp");
	TCase *tc = tcase_create("stamp");
	int failed;
	char cmd[PATH_MAX * 3];

	snprintf(dir, sizeof(dir), "/tmp/ncm-start-stamp-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", dir);
	snprintf(db_path, sizeof(db_path), "%s/state.db", data);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", getenv("NCM_FIXTURES"), fixtures);
	if (!getenv("NCM_FIXTURES") || system(cmd) != 0)
		return 1;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, check_skipped_only_when_nothing_changed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		failed++;
	return failed ? 1 : 0;
}
