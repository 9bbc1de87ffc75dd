/* SPDX-License-Identifier: MIT
 * test_replay.c: `nrfcloud-mock replay` against a real server (issue: test control): a session
 * recorded with serve --record replays with --check against a fresh server and passes; with a
 * fault that changes one reply, --check fails naming the topic. A device's REST calls replay
 * with JWTs replay signs, and a changed answer is named the same way. nRF Cloud's GET
 * /v1/messages output imports as a recording of d2c traffic.
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

/* After each case (the harness removes both servers first). */
static void remove_recording(void)
{
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

/* Starts server a with serve --record into rec_path. */
static void start_recording(void)
{
	const char *extra[] = { "--record", rec_path, NULL };

	snprintf(rec_path, sizeof(rec_path), "/tmp/ncm-replay-rec-%d.jsonl", (int)getpid());
	unlink(rec_path);
	srv_start(&a, extra);
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

#define GROUND_FIX "{\"lte\":[{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829}]}"

/* The fixture device's REST calls with its own JWT, as firmware using nrf_cloud_rest makes. */
static void rest_session(struct srv *s)
{
	char *jwt = fixture_device_jwt(s), *resp = NULL;
	json_t *j;

	ck_assert_int_eq(http_rest_auth(s, "PATCH", "/v1/devices/" FIXTURE_DEVICE "/state", jwt,
					"application/json", "{\"reported\":{\"temp\":20}}",
					strlen("{\"reported\":{\"temp\":20}}"), &resp, NULL), 202);
	free(resp);
	j = rest_json(s, "POST", "/v1/location/ground-fix?hiConf=true", jwt, GROUND_FIX, 200);
	json_decref(j);
	ck_assert_int_eq(http_rest_auth(s, "GET", "/v1/fota-job-executions/" FIXTURE_DEVICE
					"/current", jwt, NULL, NULL, 0, &resp, NULL), 404);
	free(resp);
	free(jwt);
}

START_TEST(rest_calls_replay_with_the_devices_own_jwts_and_a_changed_answer_is_named)
{
	char *out = NULL, mport[16], hport[16], *resp = NULL;
	json_t *items;
	long status;
	int rc;

	start_recording();
	rest_session(&a);
	srv_stop(&a, SIGTERM);

	srv_start(&b, NULL);
	snprintf(mport, sizeof(mport), "%d", b.mqtt_port);
	snprintf(hport, sizeof(hport), "%d", b.https_port);
	{
		const char *args[] = { rec_path, "--data", b.data, "--mqtt-port", mport,
				       "--https-port", hport, "--speed", "max", "--check", NULL };

		rc = replay(args, &out);
		ck_assert_msg(rc == 0, "replay --check failed (%d):\n%s", rc, out);
		ck_assert_msg(strstr(out, "3 REST calls, 0 mismatches"), "%s", out);
		free(out);
		/* the server saw the calls with the device's JWT, bodies included */
		items = journal_items(&b, "http.request", FIXTURE_DEVICE);
		ck_assert_int_eq(json_array_size(items), 3);
		resp = json_dumps(items, 0);
		ck_assert_msg(!strstr(resp, "Bearer") && !strstr(resp, "eyJ"),
			      "credentials in the journal: %s", resp);
		free(resp);
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
			json_array_get(items, 0), "payload")), "\"auth\":\"device JWT\""));
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
			json_array_get(items, 1), "payload")), "\"query\":{\"hiConf\":\"true\"}"));
		json_decref(items);

		/* another position for the cell: --check names the ground fix */
		json_decref(admin_json(&b, "PUT", "/mock/v1/location/cells",
				       "[{\"mcc\":242,\"mnc\":1,\"tac\":3003,\"eci\":21858829,"
				       "\"lat\":1,\"lon\":2,\"uncertainty\":3}]", &status));
		ck_assert_int_eq(status, 200);
		rc = replay(args, &out);
		ck_assert_msg(rc == 1, "replay --check should fail (%d):\n%s", rc, out);
		ck_assert_msg(strstr(out, "MISMATCH " FIXTURE_DEVICE
				     " POST /v1/location/ground-fix?hiConf=true") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "1 mismatches"), "%s", out);
		free(out);
	}
}
END_TEST

START_TEST(messages_from_get_v1_messages_import_as_a_recording_that_replays)
{
	char *out = NULL, port[16], in_path[PATH_MAX], out_path[PATH_MAX], *text = NULL;
	char body[2048];
	json_t *j;
	FILE *f;
	int rc;

	srv_start(&b, NULL);
	snprintf(in_path, sizeof(in_path), "%s/messages.json", b.dir);
	snprintf(out_path, sizeof(out_path), "%s/imported.jsonl", b.dir);
	/* the shape nRF Cloud answers, newest first, from another team's account */
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"tenantId\":\"t\",\"topic\":\"prod/0000/m/d/%s/d2c\","
		 "\"deviceId\":\"%s\",\"receivedAt\":\"2026-12-01T10:00:02.500Z\","
		 "\"message\":{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"22\"}},"
		 "{\"tenantId\":\"t\",\"topic\":\"prod/0000/m/d/%s/d2c\",\"deviceId\":\"%s\","
		 "\"receivedAt\":\"2026-12-01T10:00:01Z\",\"message\":{\"appId\":\"TEMP\","
		 "\"messageType\":\"DATA\",\"data\":\"21\"}}],\"total\":2}",
		 FIXTURE_DEVICE, FIXTURE_DEVICE, FIXTURE_DEVICE, FIXTURE_DEVICE);
	f = fopen(in_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(body, f);
	fclose(f);
	{
		const char *args[] = { "--import-messages", in_path, "--out", out_path, "--data",
				       b.data, NULL };

		rc = replay(args, &out);
		ck_assert_msg(rc == 0, "import failed (%d): %s", rc, out);
		ck_assert_msg(strstr(out, "2 messages imported"), "%s", out);
		free(out);
	}
	ck_assert_int_eq(ncm_file_read(out_path, 1 << 20, &text, NULL, NULL), 0);
	/* oldest first, on this server's prefix */
	ck_assert_msg(strstr(text, "\\\"21\\\"") < strstr(text, "\\\"22\\\"") &&
		      strstr(text, "\\\"21\\\""), "%s", text);
	ck_assert_msg(strstr(text, b.prefix), "%s", text);
	free(text);
	snprintf(port, sizeof(port), "%d", b.mqtt_port);
	{
		const char *args[] = { out_path, "--data", b.data, "--mqtt-port", port, "--speed",
				       "max", NULL };

		rc = replay(args, &out);
		ck_assert_msg(rc == 0, "replay failed (%d): %s", rc, out);
		ck_assert_msg(strstr(out, "2 messages published"), "%s", out);
		free(out);
	}
	{
		char api[256];

		snprintf(api, sizeof(api), "Bearer %s", b.api_key);
		j = rest_json(&b, "GET", "/v1/messages?deviceId=" FIXTURE_DEVICE, api, NULL, 200);
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
		json_decref(j);
	}
	/* not messages: refused with the reason */
	f = fopen(in_path, "w");
	fputs("{\"items\":[{\"topic\":1}]}", f);
	fclose(f);
	{
		const char *args[] = { "--import-messages", in_path, NULL };

		ck_assert_int_eq(replay(args, &out), 2);
		ck_assert_msg(strstr(out, "item 0 is not a device message"), "%s", out);
		free(out);
	}
}
END_TEST

/* fixtures/recordings/device-life.jsonl (made by tests/integration/record_life.c) against a
 * fresh server: every generation's connect and shadow sync, d2c, a FOTA job, a ground fix over
 * MQTT and REST. The job is the world's, not the device's: it is made first, as the recording
 * made it while the device was away. */
START_TEST(the_shipped_device_life_recording_replays_clean)
{
	static const char *const must_have[] = {
		"\"topic\":\"$aws/things/nrf-352656100000011/shadow/get\"",
		"\"topic\":\"nrf-352656100000012/shadow/get/trim\"",
		"\"topic\":\"nrf-352656100000001/shadow/get/tf\"",
		"/nrf-352656100000001/jobs/rcv\",\"payload\"",
		"/ground_fix/r\"", "/d2c\"",
		"\"kind\":\"http.request\",\"status\":200,\"device\":\"" FIXTURE_DEVICE,
	};
	char path[PATH_MAX], mport[16], hport[16], *text = NULL, *out = NULL, api[256];
	long status;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/recordings/device-life.jsonl", getenv("NCM_FIXTURES"));
	ck_assert_int_eq(ncm_file_read(path, 8 << 20, &text, NULL, NULL), 0);
	for (i = 0; i < sizeof(must_have) / sizeof(must_have[0]); i++)
		ck_assert_msg(strstr(text, must_have[i]), "%s lacks %s", path, must_have[i]);
	free(text);

	srv_start(&b, NULL);
	snprintf(api, sizeof(api), "Bearer %s", b.api_key);
	json_decref(admin_json(&b, "PATCH", "/mock/v1/devices/" FIXTURE_DEVICE "/shadow",
			       "{\"state\":{\"reported\":{\"device\":{\"serviceInfo\":{"
			       "\"fota_v2\":[\"APP\",\"MODEM\"]}}}}}", &status));
	ck_assert_int_eq(status, 200);
	json_decref(rest_json(&b, "POST", "/v1/fota-jobs", api, "{\"bundleId\":"
			      "\"MODEM*5e1f0a2b*mfw_nrf9160_1.3.5\",\"deviceIds\":[\""
			      FIXTURE_DEVICE "\"]}", 201));
	snprintf(mport, sizeof(mport), "%d", b.mqtt_port);
	snprintf(hport, sizeof(hport), "%d", b.https_port);
	{
		const char *args[] = { path, "--data", b.data, "--mqtt-port", mport, "--https-port",
				       hport, "--speed", "max", "--check", NULL };

		rc = replay(args, &out);
		ck_assert_msg(rc == 0, "replay --check failed (%d):\n%s", rc, out);
		ck_assert_msg(strstr(out, "replay: 3 devices"), "%s", out);
		ck_assert_msg(strstr(out, "3 REST calls, 0 mismatches"), "%s", out);
		free(out);
	}
}
END_TEST

START_TEST(a_recorded_session_replays_clean_and_a_changed_reply_is_named)
{
	char *out = NULL, port[16], body[512];
	long status;
	int rc;

	start_recording();
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

static const struct suite_def suite = {
	.name = "replay", .timeout_s = 120, .servers = { &a, &b }, .teardown = remove_recording,
};

SUITE_MAIN(suite,
		{ "replay", a_recorded_session_replays_clean_and_a_changed_reply_is_named },
		{ "rest", rest_calls_replay_with_the_devices_own_jwts_and_a_changed_answer_is_named },
		{ "import", messages_from_get_v1_messages_import_as_a_recording_that_replays },
		{ "device_life", the_shipped_device_life_recording_replays_clean })
