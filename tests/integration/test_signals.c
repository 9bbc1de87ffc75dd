/* SPDX-License-Identifier: MIT
 * test_signals.c: stopping on a signal. Every thread the plugin (and libmicrohttpd under it)
 * starts blocks all signals, so SIGTERM, SIGINT and SIGHUP reach Mosquitto's main thread, which
 * handles them. The journal writer and the internal wake-up connection's thread used to leave
 * them unblocked; starts were seen where the first SIGTERM did not stop the broker. And a stop
 * frees what is still armed: faults used to stay allocated (a leak report in the sanitizer
 * build, which srv_stop turns into a failure).
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct srv s;

/* The SigBlk mask of task tid of process pid, or -1 when it cannot be read. */
static long long blocked_of(pid_t pid, const char *tid)
{
	char path[128], line[256];
	long long mask = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7))
			mask = strtoll(line + 7, NULL, 16);
	fclose(f);
	return mask;
}

START_TEST(no_thread_but_the_main_one_takes_termination_signals)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char dir[64];
	struct dirent *e;
	DIR *d;
	int threads = 0;
	size_t i;

	srv_start(&s, NULL);
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)s.pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		long long mask;

		if (e->d_name[0] == '.' || atoi(e->d_name) == (int)s.pid)
			continue;
		mask = blocked_of(s.pid, e->d_name);
		if (mask < 0)
			continue; /* the thread ended meanwhile */
		threads++;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			ck_assert_msg(mask & (1LL << (sigs[i] - 1)),
				      "thread %s does not block signal %d (SigBlk %llx)",
				      e->d_name, sigs[i], mask);
	}
	closedir(d);
	ck_assert_int_gt(threads, 2);
	srv_stop(&s, SIGTERM);
}
END_TEST

START_TEST(a_stop_with_faults_armed_frees_them)
{
	long status = 0;
	json_t *j;

	srv_start(&s, NULL);
	j = admin_json(&s, "POST", "/mock/v1/faults",
		       "{\"action\":\"rest_status\",\"match\":{\"route\":\"GET /v1/account\"},"
		       "\"status\":503}", &status);
	ck_assert_int_eq(status, 201);
	json_decref(j);
	srv_stop(&s, SIGTERM);
}
END_TEST

static const struct suite_def suite = {
	.name = "signals", .timeout_s = 60, .servers = { &s },
};

SUITE_MAIN(suite, { "threads_block_signals", no_thread_but_the_main_one_takes_termination_signals },
	   { "faults_armed_at_stop", a_stop_with_faults_armed_frees_them })
