/* SPDX-License-Identifier: MIT
 * test_msglog.c: the device-message log (server/store/msglog.c): appended messages are stored
 * exactly once however often apply runs, a torn last entry (the process died writing it) is
 * cut off on open, a log reopened after a crash stores what was not stored yet, and readers of
 * messages apply first through the sync hook.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "messages.h"
#include "msglog.h"

static char dir[64], db_path[128], log_path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ncm-msglog-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/state.db", dir);
	snprintf(log_path, sizeof(log_path), "%s/messages.log", dir);
}

static void teardown(void)
{
	unlink(log_path);
	unlink(db_path);
	snprintf(db_path + strlen(db_path), 8, "-wal");
	unlink(db_path);
	db_path[strlen(db_path) - 4] = '\0';
	snprintf(db_path + strlen(db_path), 8, "-shm");
	unlink(db_path);
	rmdir(dir);
}

static struct ncm_msglog *current;

static int sync_fn(struct ncm_db *db, struct ncm_err_info *err)
{
	return ncm_msglog_apply(current, db, err);
}

static void append(struct ncm_msglog *l, int from, int n)
{
	struct ncm_message m[8];
	char payload[8][32];
	int i;

	ck_assert_int_le(n, 8);
	for (i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		snprintf(payload[i], sizeof(payload[i]), "{\"data\":%d}", from + i);
		m[i].device_id = "dev-1";
		m[i].topic = "t/m/d/dev-1/d2c";
		m[i].received_ms = 1000 + from + i;
		m[i].app_id = i % 2 ? NULL : "TEMP";
		m[i].payload = payload[i];
		m[i].payload_len = strlen(payload[i]);
	}
	ck_assert_int_eq(ncm_msglog_append(l, m, (size_t)n, NULL), 0);
}

struct seen {
	int n;
	char last[64];
	int apps;
};

static int count_cb(const struct ncm_message *m, void *ud)
{
	struct seen *s = ud;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)m->payload_len, (const char *)m->payload);
	if (m->app_id && !strcmp(m->app_id, "TEMP"))
		s->apps++;
	return 0;
}

static struct seen stored(struct ncm_db *db)
{
	struct seen s = { 0 };

	ck_assert_int_eq(ncm_store_message_foreach(db, "dev-1", 0, 1000, count_cb, &s, NULL), 0);
	return s;
}

START_TEST(appended_messages_are_stored_once_and_readers_sync_first)
{
	struct ncm_db *db;
	struct seen s;

	ck_assert_int_eq(ncm_db_open(db_path, &db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	ncm_store_message_set_sync(sync_fn);
	append(current, 0, 5);
	/* no apply yet: the reader's sync stores them */
	s = stored(db);
	ck_assert_int_eq(s.n, 5);
	ck_assert_str_eq(s.last, "{\"data\":4}");
	ck_assert_int_eq(s.apps, 3);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 5);
	append(current, 5, 3);
	ck_assert_int_eq(stored(db).n, 8);
	ncm_store_message_set_sync(NULL);
	ncm_msglog_close(current);
	ncm_db_close(db);
}
END_TEST

/* The process died after logging and before storing, or while writing the last entry. */
START_TEST(reopened_log_stores_the_rest_and_drops_a_torn_tail)
{
	struct ncm_db *db;
	struct stat sb;
	int fd;

	ck_assert_int_eq(ncm_db_open(db_path, &db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	append(current, 0, 4);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0); /* stored, log emptied */
	append(current, 4, 2);                                  /* logged, not stored */
	ncm_msglog_close(current);
	/* half an entry: a write the process died in */
	fd = open(log_path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "NCML\x40\x00\x00\x00\x07", 9), 9);
	close(fd);

	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	ck_assert_int_eq(stat(log_path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 6);
	append(current, 6, 1);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 7);
	ck_assert_str_eq(stored(db).last, "{\"data\":6}");
	ck_assert_int_eq(stat(log_path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ncm_msglog_close(current);
	ncm_db_close(db);
}
END_TEST

/* Stored but not yet emptied (a crash between the commit and the truncate): not stored twice. */
START_TEST(entries_stored_before_a_crash_are_not_stored_again)
{
	struct ncm_db *db;
	char copy[160];
	char buf[4096];
	ssize_t n;
	int in, out;

	ck_assert_int_eq(ncm_db_open(db_path, &db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	append(current, 0, 3);
	/* keep the log's bytes as they were before apply emptied it */
	snprintf(copy, sizeof(copy), "%s.copy", log_path);
	in = open(log_path, O_RDONLY);
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ncm_msglog_close(current);
	ck_assert_int_eq(rename(copy, log_path), 0);

	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 3);
	append(current, 3, 1);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 4);
	ncm_msglog_close(current);
	ncm_db_close(db);
}
END_TEST

/* Reset applies inside its own transaction: if that rolls back, nothing logged is lost. */
START_TEST(apply_inside_a_rolled_back_transaction_loses_nothing)
{
	struct ncm_db *db;

	ck_assert_int_eq(ncm_db_open(db_path, &db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_open(log_path, db, &current, NULL), 0);
	append(current, 0, 8);
	append(current, 8, 8);
	ck_assert_int_eq(ncm_db_begin(db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ncm_db_rollback(db);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 16);
	/* and inside a transaction that commits: stored once */
	append(current, 16, 2);
	ck_assert_int_eq(ncm_db_begin(db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(ncm_db_commit(db, NULL), 0);
	ck_assert_int_eq(ncm_msglog_apply(current, db, NULL), 0);
	ck_assert_int_eq(stored(db).n, 18);
	ncm_msglog_close(current);
	ncm_db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msglog");
	TCase *tc = tcase_create("msglog");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, appended_messages_are_stored_once_and_readers_sync_first);
	tcase_add_test(tc, reopened_log_stores_the_rest_and_drops_a_torn_tail);
	tcase_add_test(tc, entries_stored_before_a_crash_are_not_stored_again);
	tcase_add_test(tc, apply_inside_a_rolled_back_transaction_loses_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
