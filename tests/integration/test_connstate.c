/* SPDX-License-Identifier: MIT
 * test_connstate.c: the connection state a connect or disconnect records (the shadow's
 * reported.connection and the device's connect times) is written behind, off the broker
 * thread (docs/performance.md#what-makes-the-hot-paths-fast), and still exact: a REST or admin
 * read right after the CONNACK sees the device connected, the device's own shadow get right
 * after its CONNACK sees it too, shadow versions count every connect and disconnect in order,
 * and a clean stop writes what is queued.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "rawmqtt.h"

static struct srv s;

static void teardown(void)
{
	srv_cleanup(&s);
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The device as REST GET /v1/devices/<id> answers it (a new reference). */
static json_t *rest_device(const char *id)
{
	char path[256], auth[256];

	snprintf(path, sizeof(path), "/v1/devices/%s", id);
	snprintf(auth, sizeof(auth), "Bearer %s", s.api_key);
	return rest_json(&s, "GET", path, auth, NULL, 200);
}

static const char *reported_status(json_t *device)
{
	json_t *reported = json_object_get(json_object_get(device, "state"), "reported");

	return json_string_value(json_object_get(json_object_get(reported, "connection"),
						 "status")) ?: "";
}

/* The admin API's view of the device (a new reference). */
static json_t *admin_device(const char *id)
{
	char path[256];
	long status;
	json_t *j;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	return j;
}

static long long shadow_version(const char *id)
{
	char path[256];
	long status;
	long long v;
	json_t *j;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v;
}

START_TEST(rest_and_admin_reads_right_after_connack_see_the_connection)
{
	const char *id = "cs-rest-1";
	long long before, connect_at;
	struct raw r;
	json_t *j;

	srv_start(&s, NULL);
	before = now_ms();
	raw_connect_lab(&r, &s, id);
	/* no waiting: the CONNACK is all the client knows */
	j = rest_device(id);
	ck_assert_str_eq(reported_status(j), "connected");
	json_decref(j);
	j = admin_device(id);
	connect_at = json_integer_value(json_object_get(j, "lastConnectAt"));
	ck_assert_int_ge(connect_at, before);
	json_decref(j);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 1), 1);
	j = rest_device(id);
	ck_assert_str_eq(reported_status(j), "disconnected");
	json_decref(j);
	j = admin_device(id);
	ck_assert_int_ge(json_integer_value(json_object_get(j, "lastDisconnectAt")), connect_at);
	json_decref(j);
	/* and again, with the device known: no onboarding commit in between */
	raw_connect_lab(&r, &s, id);
	j = rest_device(id);
	ck_assert_str_eq(reported_status(j), "connected");
	json_decref(j);
	raw_close(&r);
}
END_TEST

START_TEST(the_devices_own_get_right_after_connack_sees_it_connected)
{
	const char *id = "cs-get-1";
	char get[256], accepted[256];
	struct raw_pkt p;
	struct raw r;
	json_t *j;

	srv_start(&s, NULL);
	snprintf(get, sizeof(get), "$aws/things/%s/shadow/get", id);
	snprintf(accepted, sizeof(accepted), "$aws/things/%s/shadow/get/accepted", id);
	raw_connect_lab(&r, &s, id);
	raw_subscribe(&r, 1, (const char *const[]){ accepted }, 1);
	raw_expect(&r, &p, RAW_SUBACK, 1, NULL);
	raw_publish(&r, 0, 0, get, "", 0);
	j = raw_expect_json(&r, accepted);
	ck_assert_str_eq(reported_status(j), "connected");
	json_decref(j);
	raw_close(&r);
}
END_TEST

START_TEST(shadow_versions_count_every_connect_and_disconnect_in_order)
{
	const char *id = "cs-many-1";
	const int n = 15;
	long long v0;
	struct raw r;
	json_t *j;
	int i;

	srv_start(&s, NULL);
	raw_connect_lab(&r, &s, id);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 1), 1);
	v0 = shadow_version(id);
	for (i = 0; i < n; i++) {
		raw_connect_lab(&r, &s, id);
		raw_close(&r);
	}
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, n + 1), n + 1);
	ck_assert_int_eq(shadow_version(id), v0 + 2 * n);
	j = rest_device(id);
	ck_assert_str_eq(reported_status(j), "disconnected");
	json_decref(j);
}
END_TEST

/* Another process holds the store's write lock: connects and disconnects go on at once (the
 * broker thread writes nothing for them), their states queue, and once the lock is free they
 * are written together, one shadow version each, in order. */
START_TEST(states_queued_behind_a_held_write_lock_are_all_written_in_order)
{
	const char *id = "cs-lock-1";
	char db_path[PATH_MAX];
	const int n = 5;
	sqlite3 *other = NULL;
	long long v0;
	struct raw r;
	json_t *j;
	int i;

	srv_start(&s, NULL);
	raw_connect_lab(&r, &s, id);
	raw_close(&r);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 1), 1);
	v0 = shadow_version(id);
	snprintf(db_path, sizeof(db_path), "%s/state.db", s.data);
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < n; i++) {
		raw_connect_lab(&r, &s, id);
		raw_close(&r);
	}
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, n + 1), n + 1);
	ck_assert_int_eq(shadow_version(id), v0 + 2 * n);
	j = rest_device(id);
	ck_assert_str_eq(reported_status(j), "disconnected");
	json_decref(j);
}
END_TEST

START_TEST(a_clean_stop_writes_the_queued_states)
{
	const char *id = "cs-stop-1";
	struct raw r;
	json_t *j;

	srv_start(&s, NULL);
	raw_connect_lab(&r, &s, id);
	/* at once: the connect's state may still be queued */
	srv_stop(&s, SIGTERM);
	raw_close(&r);
	srv_start(&s, NULL);
	j = admin_device(id);
	ck_assert_int_gt(json_integer_value(json_object_get(j, "lastConnectAt")), 0);
	json_decref(j);
	j = rest_device(id);
	ck_assert_str_ne(reported_status(j), "");
	json_decref(j);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "rest_admin", rest_and_admin_reads_right_after_connack_see_the_connection },
		{ "own_get", the_devices_own_get_right_after_connack_sees_it_connected },
		{ "versions", shadow_versions_count_every_connect_and_disconnect_in_order },
		{ "locked", states_queued_behind_a_held_write_lock_are_all_written_in_order },
		{ "clean_stop", a_clean_stop_writes_the_queued_states },
	};

	return run_suite("connstate", tests, sizeof(tests) / sizeof(tests[0]), NULL, teardown,
			 120);
}
