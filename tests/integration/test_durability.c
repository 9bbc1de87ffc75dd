/* SPDX-License-Identifier: MIT
 * test_durability.c: what the store promises (docs/performance.md#durability): a QoS 1 message
 * is acknowledged only after its commit (to the message log), so kill -9 at any moment loses
 * none that was acknowledged; a store that cannot be written (a full disk) gets the device
 * disconnected without the PUBACK and the failure journaled; an MQTT shadow update that cannot
 * be stored (a full disk, a write lock another process holds) is answered update/rejected 500;
 * nothing stalls the broker for seconds; the journal and the messages, written behind in
 * batches, stay exact for their readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "rawmqtt.h"

static struct srv s;
static char mounted[PATH_MAX];

static void teardown(void)
{
	if (mounted[0]) {
		umount2(mounted, MNT_DETACH);
		mounted[0] = '\0';
	}
	srv_cleanup(&s);
}

static void d2c_topic(const char *id, char *t, size_t size)
{
	snprintf(t, size, "%sm/d/%s/d2c", s.prefix, id);
}

/* The "data" values of id's stored messages, as a bitmap of n entries; returns how many. */
static int stored_seqs(const char *id, unsigned char *seen, int n)
{
	char path[256];
	long status;
	json_t *j, *items, *it;
	size_t i;
	int count = 0;

	memset(seen, 0, (size_t)n);
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages?limit=%d", id, n + 10);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	items = json_object_get(j, "items");
	json_array_foreach(items, i, it) {
		json_int_t v = json_integer_value(
			json_object_get(json_object_get(it, "message"), "data"));

		ck_assert_msg(v >= 0 && v < n, "unexpected message %lld", (long long)v);
		ck_assert_msg(!seen[v], "message %lld stored twice", (long long)v);
		seen[v] = 1;
		count++;
	}
	json_decref(j);
	return count;
}

/* Several devices stream QoS 1 messages with many in flight; the server is killed while they
 * are: every acknowledged message is stored after the restart, none twice, none unsent. */
START_TEST(kill_9_mid_stream_loses_no_acknowledged_message_of_any_device)
{
	enum { DEVICES = 4, N = 600, WINDOW = 64, KILL_AFTER = 900 };
	static const char *const ids[DEVICES] = { "dur-a", "dur-b", "dur-c", "dur-d" };
	struct raw r[DEVICES];
	unsigned char *acked[DEVICES], seen[N];
	int sent[DEVICES] = { 0 }, n_acked[DEVICES] = { 0 }, total = 0, d, i;
	char t[DEVICES][256], payload[64];
	struct raw_pkt p;

	srv_start(&s, NULL);
	for (d = 0; d < DEVICES; d++) {
		raw_connect_lab(&r[d], &s, ids[d]);
		d2c_topic(ids[d], t[d], sizeof(t[d]));
		acked[d] = calloc(N, 1);
	}
	/* round robin: top each device's window up, then read one packet from each */
	while (total < KILL_AFTER) {
		for (d = 0; d < DEVICES; d++) {
			while (sent[d] < N && sent[d] - n_acked[d] < WINDOW) {
				int len = snprintf(payload, sizeof(payload),
						   "{\"appId\":\"SEQ\",\"data\":%d}", sent[d]);

				raw_publish(&r[d], 1 + sent[d], 1, t[d], payload, (size_t)len);
				sent[d]++;
			}
			raw_read(&r[d], &p, WAIT_MS);
			ck_assert_msg(p.type == RAW_PUBACK, "%s: got %d after %d acks", ids[d],
				      p.type, n_acked[d]);
			ck_assert_int_eq(p.id, 1 + n_acked[d]);
			acked[d][p.id - 1] = 1;
			n_acked[d]++;
			total++;
		}
	}
	srv_stop(&s, SIGKILL);
	for (d = 0; d < DEVICES; d++)
		raw_close(&r[d]);
	srv_start(&s, NULL);
	for (d = 0; d < DEVICES; d++) {
		int n = stored_seqs(ids[d], seen, N);

		for (i = 0; i < N; i++) {
			ck_assert_msg(!acked[d][i] || seen[i], "%s: acknowledged message %d lost",
				      ids[d], i);
			ck_assert_msg(!seen[i] || i < sent[d], "%s: message %d was never sent",
				      ids[d], i);
		}
		ck_assert_int_ge(n, n_acked[d]);
		free(acked[d]);
	}
}
END_TEST

/* Another process holds the store's write lock: a d2c message is still acknowledged at once
 * (its commit is the message log, not the database), a shadow update is answered
 * update/rejected 500 after the broker thread's short wait (not the seconds of a busy timeout),
 * the broker keeps serving; once the lock is gone the message is stored, once. */
START_TEST(write_lock_held_elsewhere_never_stalls_the_broker)
{
	const char *id = "dur-lock";
	char t[256], db_path[PATH_MAX], rejected[256], update[256];
	const char *msg = "{\"appId\":\"SEQ\",\"data\":0}";
	const char *upd = "{\"state\":{\"reported\":{\"x\":1}}}";
	unsigned char seen[4];
	sqlite3 *other = NULL;
	struct raw r, r2;
	struct raw_pkt p;
	json_t *j;

	srv_start(&s, NULL);
	raw_connect_lab(&r, &s, id);
	raw_connect_lab(&r2, &s, "dur-bystander");
	d2c_topic(id, t, sizeof(t));
	snprintf(rejected, sizeof(rejected), "$aws/things/%s/shadow/update/rejected", id);
	snprintf(update, sizeof(update), "$aws/things/%s/shadow/update", id);
	raw_subscribe(&r, 1, (const char *const[]){ rejected }, 1);
	raw_expect(&r, &p, RAW_SUBACK, 1, NULL);
	snprintf(db_path, sizeof(db_path), "%s/state.db", s.data);
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	/* the old busy timeout was 10 s: 3 s tells the short wait from it on a loaded machine */
	raw_publish(&r, 7, 1, t, msg, strlen(msg));
	raw_read(&r, &p, 3000);
	ck_assert_msg(p.type == RAW_PUBACK && p.id == 7, "expected PUBACK 7, got %d", p.type);
	raw_pkt_release(&p);
	raw_publish(&r, 8, 1, update, upd, strlen(upd));
	raw_read(&r, &p, 3000);
	ck_assert_msg(p.type == RAW_PUBACK && p.id == 8, "expected PUBACK 8, got %d", p.type);
	raw_pkt_release(&p);
	raw_read(&r, &p, 3000);
	ck_assert_msg(p.type == RAW_PUBLISH && !strcmp(p.topic, rejected),
		      "expected update/rejected, got %d %s", p.type, p.topic);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 500);
	json_decref(j);
	raw_pkt_release(&p);
	/* the broker kept serving meanwhile */
	raw_pingreq(&r2);
	raw_expect(&r2, &p, RAW_PINGRESP, 0, NULL);

	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(stored_seqs(id, seen, 4), 1);
	ck_assert_int_eq(journal_count(&s, "mqtt.store_failed", id, NULL), 0);
	raw_close(&r);
	raw_close(&r2);
}
END_TEST

/* A private mount namespace with a tmpfs of size bytes on dir, so a full disk is real and
 * nothing leaks to the host; 0 when this process may not mount (then the test says so). */
static int mount_small_fs(const char *dir, const char *size)
{
	char opts[64];

	/* source and type are ignored for MS_PRIVATE; named, not NULL, for valgrind */
	if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
		return 0;
	snprintf(opts, sizeof(opts), "size=%s", size);
	if (mount("tmpfs", dir, "tmpfs", 0, opts))
		return 0;
	snprintf(mounted, sizeof(mounted), "%s", dir);
	return 1;
}

/* Writes until the file system is full; returns the file's path in buf. */
static void fill_fs(const char *dir, char *buf, size_t size)
{
	static char chunk[16384];
	ssize_t n;
	int fd;

	snprintf(buf, size, "%s/filler", dir);
	fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	while ((n = write(fd, chunk, sizeof(chunk))) > 0)
		;
	ck_assert_msg(n < 0 && errno == ENOSPC, "expected ENOSPC, got %s", strerror(errno));
	/* whatever is left is less than a chunk: a byte at a time */
	while (write(fd, chunk, 1) == 1)
		;
	close(fd);
}

/* The data folder on a small tmpfs, filled up: a shadow update over MQTT is answered
 * update/rejected 500 and a QoS 1 d2c message is not acknowledged (the device is
 * disconnected); once space is back, both failures are in the journal and the message, sent
 * again, is stored. */
START_TEST(full_disk_rejects_shadow_updates_with_500_and_does_not_ack_d2c)
{
	const char *id = FIXTURE_DEVICE;
	char crt[PATH_MAX], key[PATH_MAX], t[256], rejected[256], update[256], filler[PATH_MAX];
	const char *msg = "{\"appId\":\"SEQ\",\"data\":0}";
	const char *upd = "{\"state\":{\"reported\":{\"x\":1}},\"clientToken\":\"full\"}";
	unsigned char seen[4];
	struct raw r;
	struct raw_pkt p;
	json_t *j;

	snprintf(s.dir, sizeof(s.dir), "/tmp/ncm-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s.dir));
	chmod(s.dir, 0755);
	snprintf(s.data, sizeof(s.data), "%s/data", s.dir);
	snprintf(s.log, sizeof(s.log), "%s/server.log", s.dir);
	ck_assert_int_eq(mkdir(s.data, 0755), 0);
	if (!mount_small_fs(s.data, "24m")) {
		/* no privilege to mount (an unprivileged container): nothing to prove here */
		fprintf(stderr, "SKIP full disk: cannot mount a tmpfs here (%s)\n",
			strerror(errno));
		return;
	}
	srv_start(&s, NULL);
	srv_device_files(&s, id, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(&r, &s, id, crt, key, 60, 1, NULL), 0);
	snprintf(rejected, sizeof(rejected), "$aws/things/%s/shadow/update/rejected", id);
	snprintf(update, sizeof(update), "$aws/things/%s/shadow/update", id);
	raw_subscribe(&r, 1, (const char *const[]){ rejected }, 1);
	raw_expect(&r, &p, RAW_SUBACK, 1, NULL);
	d2c_topic(id, t, sizeof(t));

	fill_fs(s.data, filler, sizeof(filler));
	raw_publish(&r, 2, 1, update, upd, strlen(upd));
	raw_expect(&r, &p, RAW_PUBACK, 2, NULL);
	raw_expect(&r, &p, RAW_PUBLISH, 0, rejected);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", p.payload);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 500);
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")),
			 "Internal service failure");
	json_decref(j);
	raw_pkt_release(&p);

	raw_publish(&r, 3, 1, t, msg, strlen(msg));
	raw_read(&r, &p, WAIT_MS);
	ck_assert_msg(p.type == -1, "expected the connection closed without PUBACK, got %d",
		      p.type);
	raw_pkt_release(&p);
	raw_close(&r);

	ck_assert_int_eq(unlink(filler), 0);
	ck_assert_int_eq(journal_wait(&s, "mqtt.store_failed", id, "No space left", 1), 1);
	ck_assert_int_ge(journal_wait(&s, "mqtt.publish", id, NULL, 2), 2);
	ck_assert_int_eq(stored_seqs(id, seen, 4), 0);
	ck_assert_int_eq(raw_connect(&r, &s, id, crt, key, 60, 1, NULL), 0);
	raw_publish(&r, 3, 1, t, msg, strlen(msg));
	raw_expect(&r, &p, RAW_PUBACK, 3, NULL);
	ck_assert_int_eq(stored_seqs(id, seen, 4), 1);
	raw_close(&r);
	srv_stop(&s, SIGTERM);
}
END_TEST

/* Journal records are written behind, yet every reader sees each one as soon as it happened:
 * the count right after the last PUBACK, /mock/v1/wait, the --record file, and the journal
 * after a clean restart. */
START_TEST(journal_written_behind_is_exact_for_every_reader)
{
	enum { N = 500 };
	const char *id = "dur-journal";
	char t[256], rec_path[PATH_MAX], payload[64], body[256], line[8192];
	struct raw r;
	struct raw_pkt p;
	long status;
	json_t *j;
	FILE *f;
	int i, lines = 0;

	snprintf(s.dir, sizeof(s.dir), "/tmp/ncm-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s.dir));
	chmod(s.dir, 0755);
	snprintf(s.data, sizeof(s.data), "%s/data", s.dir);
	snprintf(s.log, sizeof(s.log), "%s/server.log", s.dir);
	snprintf(rec_path, sizeof(rec_path), "%s/rec.jsonl", s.dir);
	srv_start(&s, (const char *const[]){ "--record", rec_path, NULL });
	raw_connect_lab(&r, &s, id);
	d2c_topic(id, t, sizeof(t));
	for (i = 0; i < N; i++) {
		int len = snprintf(payload, sizeof(payload), "{\"appId\":\"SEQ\",\"data\":%d}", i);

		raw_publish(&r, 1 + i, 1, t, payload, (size_t)len);
	}
	for (i = 0; i < N; i++)
		raw_expect(&r, &p, RAW_PUBACK, 1 + i, NULL);
	/* no polling: the answer must already count all of them */
	ck_assert_int_eq(journal_count(&s, "mqtt.publish", id, NULL), N);
	snprintf(body, sizeof(body),
		 "{\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"payload\":{\"data\":%d},"
		 "\"timeout_ms\":1}", id, N - 1);
	j = admin_json(&s, "POST", "/mock/v1/wait", body, &status);
	ck_assert_int_eq(status, 200);
	json_decref(j);
	raw_close(&r);

	f = fopen(rec_path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\"kind\":\"mqtt.publish\"") && strstr(line, id))
			lines++;
	fclose(f);
	ck_assert_int_eq(lines, N);

	srv_stop(&s, SIGTERM);
	srv_start(&s, NULL);
	ck_assert_int_eq(journal_count(&s, "mqtt.publish", id, NULL), N);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "kill_9", kill_9_mid_stream_loses_no_acknowledged_message_of_any_device },
		{ "write_lock", write_lock_held_elsewhere_never_stalls_the_broker },
		{ "full_disk", full_disk_rejects_shadow_updates_with_500_and_does_not_ack_d2c },
		{ "journal", journal_written_behind_is_exact_for_every_reader },
	};

	return run_suite("durability", tests, sizeof(tests) / sizeof(tests[0]), NULL, teardown,
			 180);
}
