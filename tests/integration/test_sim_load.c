/* SPDX-License-Identifier: MIT
 * test_sim_load.c: 500 simulated devices (`nrfcloud-mock sim`, docs/sim.md) against the real
 * server, started at 50/s and held for 30 seconds once all are ready (at most 170 s in all),
 * with telemetry: every device pairs, none errs, the run lasted the 30 s, and
 * the summary's counts add up. Heavy: skipped (77) under the valgrind and sanitizer setups.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"

#define DEVICES 500

static struct srv s;

static void teardown(void)
{
	srv_cleanup(&s);
}

/* "<n> <word>" in the summary line: n, or -1. */
static long count_of(const char *line, const char *word)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s", word);
	p = strstr(line, pat);
	if (!p)
		return -1;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtol(p, NULL, 10);
}

START_TEST(five_hundred_devices_for_thirty_seconds)
{
	char port[16], out[PATH_MAX], *text = NULL, *line;
	char *argv[] = { getenv("NCM_BIN"), "sim", "--data", s.data, "--mqtt-port", port,
			 "--devices", "500", "--ramp", "50", "--hold", "30", "--duration", "170",
			 "--telemetry-interval", "5", "--ncs", "3.3", "--id-prefix", "load-",
			 "--print-c2d", NULL };
	int status = 0, fd;
	pid_t pid;

	argv[sizeof(argv) / sizeof(argv[0]) - 2] = "--no-print-c2d";
	srv_start(&s, NULL);
	snprintf(port, sizeof(port), "%d", s.mqtt_port);
	snprintf(out, sizeof(out), "%s/sim-load.out", s.dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(ncm_file_read(out, 1 << 20, &text, NULL, NULL), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sim failed:\n%s", text);
	line = strstr(text, "sim: ");
	ck_assert_msg(line, "no summary:\n%s", text);
	ck_assert_int_eq(count_of(line, "devices"), DEVICES);
	ck_assert_msg(count_of(line, "ready,") == DEVICES, "not all ready: %s", line);
	ck_assert_msg(count_of(line, "connected,") == DEVICES, "%s", line);
	ck_assert_msg(count_of(line, "errors,") == 0, "%s", line);
	/* a connection attempt the loaded server leaves without CONNACK for a minute is retried
	 * after the back-off, as a device does; a few may happen on a busy machine */
	ck_assert_msg(count_of(line, "reconnects,") <= DEVICES / 10, "%s", line);
	ck_assert_msg(count_of(line, "ms,") >= 30000 && count_of(line, "ms,") < 170000,
		      "not held 30 s after all were ready: %s", line);
	/* per device at least: shadow request, pairing report, jobs/req and telemetry */
	ck_assert_msg(count_of(line, "sent,") >= DEVICES * 4, "%s", line);
	ck_assert_msg(count_of(line, "received,") >= DEVICES, "%s", line);
	/* the server stored their telemetry */
	ck_assert_int_ge(journal_count(&s, "mqtt.publish", "load-000500", NULL), 4);
	free(text);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "five_hundred_devices_for_thirty_seconds", five_hundred_devices_for_thirty_seconds },
	};

	if (getenv("NCM_VALGRIND") || getenv("ASAN_OPTIONS"))
		return 77; /* heavy: not under valgrind or the sanitizers */
	return run_suite("sim-load", tests, 1, NULL, teardown, 240);
}
