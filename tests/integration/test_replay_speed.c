/* SPDX-License-Identifier: MIT
 * test_replay_speed.c: `nrfcloud-mock replay` as one event loop over many devices sharing one
 * TLS context (issue: hot path speed; docs/record-replay.md#replaying). Many devices recorded
 * on one server replay with --check on a fresh one, each device's publishes in its recorded
 * order, with more devices than the open-file limit it started with would let it connect; a
 * device still waiting for a message the recording says it got is waited for even when
 * another device got one more than recorded; a key that is not its certificate's is refused
 * before anything connects; a device the server drops connects again and plays on.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"

#define N_DEVICES 24
#define N_UPDATES 6

static struct srv a, b;
static char dir[PATH_MAX];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ncm-replay-speed-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[PATH_MAX + 16];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	dir[0] = '\0';
}

/* Writes lines (NULL-terminated) to <dir>/name; its path in path. */
static void write_lines(const char *name, const char *const *lines, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	while (*lines)
		fprintf(f, "%s\n", *lines++);
	ck_assert_int_eq(fclose(f), 0);
}

/* replay FILE ARGS... against s with --data s->data; exit status, stdout in out, stderr in
 * err. */
static int replay(const struct srv *s, const char *file, const char *const *more, char *out,
		  size_t out_size, char *err, size_t err_size)
{
	const char *args[24] = { "replay", file, "--mqtt-port" };
	char port[16], hport[16];
	size_t n = 3;

	snprintf(port, sizeof(port), "%d", s->mqtt_port);
	snprintf(hport, sizeof(hport), "%d", s->https_port);
	args[n++] = port;
	args[n++] = "--https-port";
	args[n++] = hport;
	while (more && *more && n < 22)
		args[n++] = *more++;
	args[n] = NULL;
	return cli_run(dir, s->data, args, out, out_size, err, err_size);
}

/* replay FILE --speed max --check against s, with the open-file limit of the replay process
 * lowered to soft (its hard limit unchanged), as a shell's `ulimit -Sn` does; exit status, and
 * stdout and stderr in out. */
static int replay_limited(const struct srv *s, const char *file, rlim_t soft, char *out,
			  size_t out_size)
{
	char port[16], path[PATH_MAX], *text = NULL;
	struct rlimit rl;
	int st;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", s->mqtt_port);
	snprintf(path, sizeof(path), "%s/limited.out", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (getrlimit(RLIMIT_NOFILE, &rl))
			_exit(126);
		rl.rlim_cur = soft;
		if (setrlimit(RLIMIT_NOFILE, &rl) || !freopen(path, "w", stdout) ||
		    dup2(1, 2) < 0)
			_exit(126);
		execl(getenv("NCM_BIN"), "nrfcloud-mock", "replay", file, "--data", s->data,
		      "--mqtt-port", port, "--speed", "max", "--check", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(ncm_file_read(path, 1 << 20, &text, NULL, NULL), 0);
	snprintf(out, out_size, "%s", text);
	free(text);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The n-th shadow update of device i as a journal line of the device side. */
static char *update_line(int i, int n, int ts)
{
	char *line = NULL;

	ck_assert_int_ge(asprintf(&line, "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":"
				  "\"replay-speed-%02d\",\"topic\":\"$aws/things/replay-speed-%02d/"
				  "shadow/update\",\"status\":1,\"payload\":\"{\\\"state\\\":{"
				  "\\\"reported\\\":{\\\"n\\\":%d}}}\"}", ts, i, i, n), 0);
	return line;
}

static char *subscribe_line(int i, int ts)
{
	char *line = NULL;

	ck_assert_int_ge(asprintf(&line, "{\"ts\":%d,\"kind\":\"mqtt.subscribe\",\"device\":"
				  "\"replay-speed-%02d\",\"topic\":\"$aws/things/replay-speed-%02d/"
				  "shadow/update/accepted\",\"status\":1}", ts, i, i), 0);
	return line;
}

/* What the server sent device i on update/accepted for its n-th update, as recorded. */
static char *accepted_line(int i, int n, int ts)
{
	char *line = NULL;

	ck_assert_int_ge(asprintf(&line, "{\"ts\":%d,\"kind\":\"mqtt.send\",\"device\":"
				  "\"replay-speed-%02d\",\"topic\":\"$aws/things/replay-speed-%02d/"
				  "shadow/update/accepted\",\"status\":1,\"payload\":\"{\\\"state\\\":{"
				  "\\\"reported\\\":{\\\"n\\\":%d}}}\"}", ts, i, i, n), 0);
	return line;
}

static void free_lines(char **lines)
{
	size_t i;

	for (i = 0; lines[i]; i++)
		free(lines[i]);
}

/* N_DEVICES devices each subscribe and send N_UPDATES shadow updates, interleaved, recorded on
 * a; the recording replays with --check on a fresh server b at max speed (every device connects
 * at once; the replay started with a soft open-file limit too small for them), and b got each
 * device's updates in the order the device sent them. */
START_TEST(many_devices_replay_at_once_each_in_its_recorded_order)
{
	static char *lines[N_DEVICES * (N_UPDATES * 2 + 1) + 1];
	char session[PATH_MAX], rec[PATH_MAX], out[8192], err[8192], want[128];
	const char *rec_args[] = { "--record", rec, NULL };
	const char *max[] = { "--speed", "max", NULL };
	size_t n = 0;
	int i, k, ts = 1000, rc;

	make_dir();
	snprintf(rec, sizeof(rec), "%s/rec.jsonl", dir);
	srv_start(&a, rec_args);
	for (i = 0; i < N_DEVICES; i++)
		lines[n++] = subscribe_line(i, ts++);
	/* the device side waits for its answers (so the recording has them all) */
	for (k = 1; k <= N_UPDATES; k++)
		for (i = 0; i < N_DEVICES; i++) {
			lines[n++] = update_line(i, k, ts++);
			lines[n++] = accepted_line(i, k, ts++);
		}
	lines[n] = NULL;
	write_lines("session.jsonl", (const char *const *)lines, session, sizeof(session));
	free_lines(lines);
	rc = replay(&a, session, max, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(rc == 0, "recording replay failed (%d): %s %s", rc, out, err);
	srv_stop(&a, SIGTERM);

	/* three descriptors a device (libmosquitto's socket and socket pair): more than a soft
	 * limit of 40, which replay raises for itself */
	srv_start(&b, NULL);
	rc = replay_limited(&b, rec, 40, out, sizeof(out));
	ck_assert_msg(rc == 0, "replay --check failed (%d): %s", rc, out);
	snprintf(want, sizeof(want), "replay: %d devices, %d messages published, %d received "
		 "(%d recorded)", N_DEVICES, N_DEVICES * N_UPDATES, N_DEVICES * N_UPDATES,
		 N_DEVICES * N_UPDATES);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "0 mismatches"), "%s", out);
	ck_assert_msg(strstr(out, "connecting "), "%s", out);
	for (i = 0; i < N_DEVICES; i++) {
		char id[32];
		json_t *items, *item;
		size_t j;

		snprintf(id, sizeof(id), "replay-speed-%02d", i);
		items = journal_items(&b, "mqtt.publish", id);
		ck_assert_uint_eq(json_array_size(items), N_UPDATES);
		json_array_foreach(items, j, item) {
			char payload[64];

			snprintf(payload, sizeof(payload), "{\"state\":{\"reported\":{\"n\":%zu}}}",
				 j + 1);
			ck_assert_str_eq(json_string_value(json_object_get(item, "payload")),
					 payload);
		}
		json_decref(items);
	}
}
END_TEST

/* Device 0's recording misses the answer to its second update (it got one more than recorded);
 * device 1's answer comes 1.5 s late. --check waits for device 1's answer rather than stopping
 * once as many messages came as the recording has in all, so only device 0's extra one is
 * named. */
START_TEST(a_device_still_waiting_is_waited_for_when_another_got_one_more)
{
	char *lines[9] = { 0 }, session[PATH_MAX], out[8192], err[8192];
	const char *check[] = { "--speed", "max", "--check", NULL };
	long status;
	int rc;

	make_dir();
	srv_start(&b, NULL);
	lines[0] = subscribe_line(0, 1000);
	lines[1] = subscribe_line(1, 1001);
	lines[2] = update_line(0, 1, 1002);
	lines[3] = accepted_line(0, 1, 1003);
	lines[4] = update_line(0, 2, 1004);
	lines[5] = update_line(1, 1, 1005);
	lines[6] = accepted_line(1, 1, 1006);
	write_lines("session.jsonl", (const char *const *)lines, session, sizeof(session));
	free_lines(lines);
	json_decref(admin_json(&b, "POST", "/mock/v1/faults", "{\"match\":{\"device\":"
			       "\"replay-speed-01\"},\"action\":\"delay_deliveries\","
			       "\"delay_ms\":1500}", &status));
	ck_assert_int_eq(status, 201);
	rc = replay(&b, session, check, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(rc == 1, "replay --check should name the extra answer (%d): %s %s", rc,
		      out, err);
	ck_assert_msg(strstr(out, "UNEXPECTED replay-speed-00 $aws/things/replay-speed-00/shadow/"
				  "update/accepted"), "%s", out);
	ck_assert_msg(!strstr(out, "replay-speed-01"), "device 1 was not waited for: %s", out);
	ck_assert_msg(strstr(out, "3 received (2 recorded)"), "%s", out);
}
END_TEST

/* --certs with a key that is not the certificate's: refused (exit 2, naming the key) before
 * any device connects. */
START_TEST(a_key_that_is_not_its_certificates_is_refused_before_connecting)
{
	char *lines[2] = { 0 }, session[PATH_MAX], out[8192], err[8192];
	char crt[PATH_MAX], key[PATH_MAX], crt2[PATH_MAX], key2[PATH_MAX], ca[PATH_MAX + 16];
	char *pem = NULL;
	const char *args[] = { "--certs", dir, "--speed", "max", NULL };
	size_t len = 0;
	int rc;

	make_dir();
	srv_start(&b, NULL);
	srv_lab_device(&b, dir, "replay-speed-00", crt, key, sizeof(crt));
	srv_lab_device(&b, dir, "replay-speed-01", crt2, key2, sizeof(crt2));
	ck_assert_int_eq(ncm_file_read(key2, 1 << 16, &pem, &len, NULL), 0);
	ck_assert_int_eq(ncm_file_write(key, pem, len, 0600, NULL), 0);
	free(pem);
	snprintf(ca, sizeof(ca), "%s/ca/ca.pem", b.data);
	ck_assert_int_eq(ncm_file_read(ca, 1 << 16, &pem, &len, NULL), 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	ck_assert_int_eq(ncm_file_write(ca, pem, len, 0644, NULL), 0);
	free(pem);
	lines[0] = subscribe_line(0, 1000);
	write_lines("session.jsonl", (const char *const *)lines, session, sizeof(session));
	free_lines(lines);
	rc = replay(&b, session, args, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(rc == 2, "a mismatched key should be refused (%d): %s %s", rc, out, err);
	ck_assert_msg(strstr(err, "replay-speed-00.key: the key does not match"), "%s", err);
	ck_assert_int_eq(journal_count(&b, "mqtt.connect", "replay-speed-00", NULL), 0);
}
END_TEST

/* The server drops the device (fault kick) between its two updates, played in recorded time
 * 2.5 s apart: it connects again a second later and its second update is sent and
 * acknowledged; the run succeeds and says so. */
START_TEST(a_device_the_server_drops_connects_again_and_plays_on)
{
	char *lines[4] = { 0 }, session[PATH_MAX], outp[PATH_MAX], errp[PATH_MAX], port[16];
	char *out = NULL, *err = NULL;
	long status;
	int st;
	pid_t pid;

	make_dir();
	srv_start(&b, NULL);
	lines[0] = subscribe_line(0, 1000);
	lines[1] = update_line(0, 1, 1000);
	lines[2] = update_line(0, 2, 3500);
	write_lines("session.jsonl", (const char *const *)lines, session, sizeof(session));
	free_lines(lines);
	snprintf(port, sizeof(port), "%d", b.mqtt_port);
	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (!freopen(outp, "w", stdout) || !freopen(errp, "w", stderr))
			_exit(127);
		execl(getenv("NCM_BIN"), "nrfcloud-mock", "replay", session, "--data", b.data,
		      "--mqtt-port", port, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(journal_wait(&b, "mqtt.publish", "replay-speed-00", NULL, 1), 1);
	json_decref(admin_json(&b, "POST", "/mock/v1/faults", "{\"match\":{\"device\":"
			       "\"replay-speed-00\"},\"action\":\"kick\"}", &status));
	ck_assert_int_eq(status, 201);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(ncm_file_read(outp, 1 << 16, &out, NULL, NULL), 0);
	ck_assert_int_eq(ncm_file_read(errp, 1 << 16, &err, NULL, NULL), 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "replay failed: %s %s", out, err);
	ck_assert_msg(strstr(out, "replay: 1 devices, 2 messages published"), "%s", out);
	ck_assert_msg(strstr(err, "1 devices were dropped by the server and connected again"),
		      "%s", err);
	ck_assert_int_eq(journal_count(&b, "mqtt.connect", "replay-speed-00", NULL), 2);
	ck_assert_int_eq(journal_count(&b, "mqtt.publish", "replay-speed-00", NULL), 2);
	free(out);
	free(err);
}
END_TEST

static const struct suite_def suite = {
	.name = "replay_speed", .timeout_s = 120, .servers = { &a, &b }, .teardown = remove_dir,
};

SUITE_MAIN(suite,
		{ "many", many_devices_replay_at_once_each_in_its_recorded_order },
		{ "waiting", a_device_still_waiting_is_waited_for_when_another_got_one_more },
		{ "bad_key", a_key_that_is_not_its_certificates_is_refused_before_connecting },
		{ "dropped", a_device_the_server_drops_connects_again_and_plays_on })
