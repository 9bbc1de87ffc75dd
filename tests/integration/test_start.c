/* SPDX-License-Identifier: MIT
 * test_start.c: what `nrfcloud-mock serve` writes into <data>/run before it starts the broker
 * (docs/performance.md#start-up): run/mosquitto.conf and run/config.json are rewritten when
 * their text changes and left alone (same file, no write) when a restart uses the same flags.
 * The broker is /bin/true here (--mosquitto), so only the preparation runs.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[PATH_MAX], data[PATH_MAX];

/* Runs `nrfcloud-mock serve` on data with the broker replaced by /bin/true; its exit status. */
static int serve(const char *mqtt_port)
{
	const char *fixtures = getenv("NCM_FIXTURES");
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(getenv("NCM_BIN"), "nrfcloud-mock", "serve", "--data", data, "--fixtures",
		      fixtures, "--mqtt-port", mqtt_port, "--https-port", "0", "--admin-port", "0",
		      "--mqtt-bind", "127.0.0.1", "--https-bind", "127.0.0.1", "--mosquitto",
		      "/bin/true", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void run_file(const char *name, struct stat *st)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/run/%s", data, name);
	ck_assert_msg(stat(path, st) == 0, "%s missing", path);
}

static int contains(const char *name, const char *text)
{
	char path[PATH_MAX * 2], buf[16384];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/%s", data, name);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

START_TEST(run_files_kept_when_unchanged)
{
	struct stat conf1, json1, conf2, json2;

	ck_assert_int_eq(serve("28831"), 0);
	run_file("mosquitto.conf", &conf1);
	run_file("config.json", &json1);
	ck_assert_int_eq(json1.st_mode & 0777, 0600);
	ck_assert_int_eq(conf1.st_mode & 0777, 0644);
	ck_assert(contains("mosquitto.conf", "listener 28831 127.0.0.1"));

	/* a restart with the same flags: the very same files (a rewrite is a new inode) */
	ck_assert_int_eq(serve("28831"), 0);
	run_file("mosquitto.conf", &conf2);
	run_file("config.json", &json2);
	ck_assert_uint_eq(conf2.st_ino, conf1.st_ino);
	ck_assert_uint_eq(json2.st_ino, json1.st_ino);

	/* other flags: both written again, with the new port */
	ck_assert_int_eq(serve("28832"), 0);
	run_file("mosquitto.conf", &conf2);
	run_file("config.json", &json2);
	ck_assert_uint_ne(conf2.st_ino, conf1.st_ino);
	ck_assert_uint_ne(json2.st_ino, json1.st_ino);
	ck_assert_int_eq(json2.st_mode & 0777, 0600);
	ck_assert(contains("mosquitto.conf", "listener 28832 127.0.0.1"));
	ck_assert(!contains("mosquitto.conf", "28831"));
}
END_TEST

int main(void)
{
	SRunner *sr;
	Suite *s = suite_create("start");
	TCase *tc = tcase_create("run-files");
	int failed;
	char cmd[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "/tmp/ncm-start-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/data", dir);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, run_files_kept_when_unchanged);
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
