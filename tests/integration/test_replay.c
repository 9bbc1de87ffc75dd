/* SPDX-License-Identifier: MIT
 * test_replay.c: `nrfcloud-mock replay` against a real server (issue: test control): a session
 * recorded with serve --record replays with --check against a fresh server and passes; with a
 * fault that changes one reply, --check fails naming the topic.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"
#include "rawmqtt.h"

static struct srv a, b;
static char rec_path[PATH_MAX];

static void teardown(void)
{
	srv_cleanup(&a);
	srv_cleanup(&b);
	unlink(rec_path);
}

/* Runs nrfcloud-mock replay with args; the exit status, stdout and stderr in *out. */
static int replay(const char *const *args, char **out)
{
	char log[PATH_MAX], *argv[32];
	size_t n = 0;
	int status = 0, fd;
	pid_t pid;

	snprintf(log, sizeof(log), "/tmp/ncm-replay-out-%d.txt", (int)getpid());
	argv[n++] = getenv("NCM_BIN");
	argv[n++] = "replay";
	while (*args && n < 30)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(ncm_file_read(log, 1 << 20, out, NULL, NULL), 0);
	unlink(log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The device side of a small session: subscribe to the shadow answers, get, update. */
static void record_session(void)
{
	char crt[PATH_MAX], key[PATH_MAX], t[4][256], upd[256], get[256];
	const char *topics[4];
	struct raw r;
	struct raw_pkt p;
	int i;

	srv_device_files(&a, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(&r, &a, FIXTURE_DEVICE, crt, key, 60, 1, NULL), 0);
	snprintf(t[0], sizeof(t[0]), "$aws/things/%s/shadow/get/accepted", FIXTURE_DEVICE);
	snprintf(t[1], sizeof(t[1]), "$aws/things/%s/shadow/update/accepted", FIXTURE_DEVICE);
	snprintf(t[2], sizeof(t[2]), "$aws/things/%s/shadow/update/rejected", FIXTURE_DEVICE);
	snprintf(t[3], sizeof(t[3]), "$aws/things/%s/shadow/update/delta", FIXTURE_DEVICE);
	for (i = 0; i < 4; i++)
		topics[i] = t[i];
	raw_subscribe(&r, 1, topics, 4);
	raw_expect(&r, &p, RAW_SUBACK, 1, NULL);
	raw_pkt_release(&p);
	snprintf(get, sizeof(get), "$aws/things/%s/shadow/get", FIXTURE_DEVICE);
	raw_publish(&r, 2, 1, get, "", 0);
	raw_expect(&r, &p, RAW_PUBACK, 2, NULL);
	raw_pkt_release(&p);
	raw_expect(&r, &p, RAW_PUBLISH, 0, t[0]);
	raw_pkt_release(&p);
	snprintf(upd, sizeof(upd), "$aws/things/%s/shadow/update", FIXTURE_DEVICE);
	raw_publish(&r, 3, 1, upd, "{\"state\":{\"reported\":{\"temp\":21}}}", 34);
	raw_expect(&r, &p, RAW_PUBACK, 3, NULL);
	raw_pkt_release(&p);
	raw_expect(&r, &p, RAW_PUBLISH, 0, t[1]);
	raw_pkt_release(&p);
	raw_close(&r);
}

START_TEST(a_recorded_session_replays_clean_and_a_changed_reply_is_named)
{
	char *out = NULL, port[16], body[512];
	long status;
	int rc;

	snprintf(rec_path, sizeof(rec_path), "/tmp/ncm-replay-rec-%d.jsonl", (int)getpid());
	unlink(rec_path);
	{
		const char *extra[] = { "--record", rec_path, NULL };

		srv_start(&a, extra);
	}
	record_session();
	srv_stop(&a, SIGTERM);

	srv_start(&b, NULL);
	snprintf(port, sizeof(port), "%d", b.mqtt_port);
	{
		const char *args[] = { rec_path, "--data", b.data, "--mqtt-port", port, "--speed",
				       "max", "--check", NULL };

		rc = replay(args, &out);
		ck_assert_msg(rc == 0, "replay --check failed (%d):\n%s", rc, out);
		ck_assert_ptr_nonnull(strstr(out, "replay: 1 devices, 2 messages published"));
		ck_assert_ptr_nonnull(strstr(out, "0 mismatches"));
		free(out);

		/* the server now rejects the update: --check names update/accepted */
		snprintf(body, sizeof(body), "{\"match\":{\"device\":\"%s\"},\"action\":"
			 "\"reject_shadow_update\",\"code\":400,\"message\":\"no\"}", FIXTURE_DEVICE);
		json_decref(admin_json(&b, "POST", "/mock/v1/faults", body, &status));
		ck_assert_int_eq(status, 201);
		rc = replay(args, &out);
		ck_assert_msg(rc == 1, "replay --check should fail (%d):\n%s", rc, out);
		ck_assert_msg(strstr(out, "MISMATCH " FIXTURE_DEVICE " $aws/things/" FIXTURE_DEVICE
					  "/shadow/update/accepted") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "/shadow/update/rejected") != NULL, "%s", out);
		free(out);
	}
	{
		const char *args[] = { "/nonexistent.jsonl", "--data", b.data, NULL };

		ck_assert_int_eq(replay(args, &out), 2);
		ck_assert_ptr_nonnull(strstr(out, "cannot read"));
		free(out);
	}
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "replay", a_recorded_session_replays_clean_and_a_changed_reply_is_named },
	};

	return run_suite("replay", tests, 1, NULL, teardown, 120);
}
