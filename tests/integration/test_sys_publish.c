/* SPDX-License-Identifier: MIT
 * test_sys_publish.c: a device publishing to "$SYS/..." (docs/limits.md#sys-publish). Mosquitto
 * 2.0.11 refuses such a publish itself, before the plugin's ACL check, acknowledges it (QoS 1)
 * and drops it. With --mqtt-watch-denied the device is disconnected and the refusal journaled as
 * mqtt.acl_denied like any other ACL violation, for QoS 1 and QoS 0; other devices go on
 * publishing. Without the flag the publish is acknowledged and nothing happens, which is what
 * the flag is for. The broker logs to its file alone, flag or not, and the plugin copies to
 * stderr the lines that are neither packet debug nor per-connection lines, also when the broker
 * stops before its first loop.
 * Journal records are waited for with POST /mock/v1/wait, never by sleeping.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rawmqtt.h"

static struct srv s;

/* Waits (POST /mock/v1/wait) for a record of kind for device, on topic when not NULL, and
 * returns it (a new reference); fails the test on a timeout. */
static json_t *wait_record(const char *kind, const char *device, const char *topic)
{
	char body[1024];
	long status;
	json_t *j, *rec;

	snprintf(body, sizeof(body), "{\"kind\":\"%s\",\"device\":\"%s\"%s%s%s,\"timeout_ms\":%d}",
		 kind, device, topic ? ",\"topic\":\"" : "", topic ? topic : "", topic ? "\"" : "",
		 WAIT_MS);
	j = admin_json(&s, "POST", "/mock/v1/wait", body, &status);
	ck_assert_msg(status == 200, "no %s record for %s (%ld)", kind, device, status);
	rec = json_incref(json_object_get(j, "record"));
	json_decref(j);
	ck_assert_ptr_nonnull(rec);
	return rec;
}

/* The next thing on r must be the end of the connection (the broker closed it). */
static void expect_closed(struct raw *r)
{
	struct raw_pkt p;

	raw_read(r, &p, WAIT_MS);
	ck_assert_msg(p.type == -1, "connection still open (packet type %d)", p.type);
	raw_pkt_release(&p);
}

/* Publishes to topic (one the broker refuses itself) at qos from a fresh device id and checks:
 * PUBACK for QoS 1, then the disconnect, an mqtt.acl_denied record naming the topic and the
 * broker's refusal, and the disconnect journaled as a policy violation. */
static void dollar_publish_is_refused(const char *id, int qos, const char *topic)
{
	struct raw r;
	struct raw_pkt p;
	json_t *rec;
	const char *reason;

	raw_connect_lab(&r, &s, id);
	raw_publish(&r, 7, qos, topic, "{\"x\":1}", 7);
	if (qos)
		raw_expect(&r, &p, RAW_PUBACK, 7, NULL); /* MQTT 3.1.1 cannot refuse it */
	expect_closed(&r);
	raw_close(&r);

	rec = wait_record("mqtt.acl_denied", id, topic);
	reason = json_string_value(json_object_get(rec, "reason"));
	ck_assert_ptr_nonnull(reason);
	ck_assert_msg(strstr(reason, "publish") && strstr(reason, topic) && strstr(reason, id),
		      "reason: %s", reason);
	ck_assert_msg(strstr(reason, "refused by the broker"), "reason: %s", reason);
	ck_assert_msg(strstr(reason, qos ? "QoS 1, acknowledged and dropped" : "QoS 0, dropped"),
		      "reason: %s", reason);
	json_decref(rec);
	rec = wait_record("mqtt.disconnect", id, NULL);
	reason = json_string_value(json_object_get(rec, "reason"));
	ck_assert_msg(reason && strstr(reason, "policy violation") && strstr(reason, topic),
		      "disconnect reason: %s", reason ? reason : "(none)");
	json_decref(rec);
	/* one refusal, one record */
	ck_assert_int_eq(journal_count(&s, "mqtt.acl_denied", id, NULL), 1);
}

/* A d2c message from id is stored and acknowledged. */
static void d2c_works(const char *id)
{
	char topic[256], want[512];
	struct raw r;
	struct raw_pkt p;
	json_t *rec;

	raw_connect_lab(&r, &s, id);
	snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", s.prefix, id);
	raw_publish(&r, 3, 1, topic, "{\"appId\":\"TEMP\",\"data\":\"21\"}",
		    strlen("{\"appId\":\"TEMP\",\"data\":\"21\"}"));
	raw_expect(&r, &p, RAW_PUBACK, 3, NULL);
	rec = wait_record("mqtt.publish", id, topic);
	snprintf(want, sizeof(want), "%s", json_string_value(json_object_get(rec, "topic")));
	ck_assert_str_eq(want, topic);
	json_decref(rec);
	raw_expect_quiet(&r); /* still connected */
	raw_close(&r);
}

static const char *const watch[] = { "--mqtt-watch-denied", NULL };

/* 1 when the server's stderr so far contains part. */
static int server_log_has(const char *part)
{
	char line[4096];
	FILE *f = fopen(s.log, "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, part) != NULL;
	fclose(f);
	return found;
}

/* 1 when <data>/run/broker.log contains part. */
static int broker_log_has(const char *part)
{
	char path[PATH_MAX + 32], line[4096];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/run/broker.log", s.data);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, part) != NULL;
	fclose(f);
	return found;
}

START_TEST(qos1_sys_publish_disconnects_and_is_journaled)
{
	srv_start(&s, watch);
	dollar_publish_is_refused("sys-qos1-device", 1, "$SYS/broker/x");
	/* another device publishing normally afterwards is not affected */
	d2c_works("sys-other-device");
	/* nor is the same device once it reconnects */
	d2c_works("sys-qos1-device");
	/* the broker logs debug lines to its file only; stderr gets the others, copied by the
	 * plugin (the broker's start was copied many ticks ago) */
	ck_assert(server_log_has("mosquitto version 2.0.11 running"));
	ck_assert(!server_log_has("Received PUBLISH from"));
	ck_assert(!server_log_has("Sending PUBACK to"));
}
END_TEST

START_TEST(qos0_sys_publish_disconnects_and_is_journaled)
{
	srv_start(&s, watch);
	dollar_publish_is_refused("sys-qos0-device", 0, "$SYS/broker/x");
	d2c_works("sys-other-device");
	/* the broker's own check refuses publishes to shared-subscription topics too */
	dollar_publish_is_refused("share-qos1-device", 1, "$share/g/x");
}
END_TEST

/* Without the flag the broker's own refusal stays silent: acknowledged, connected, no record.
 * (This is the behaviour the flag exists to change; docs/limits.md#sys-publish.) */
START_TEST(without_the_flag_the_broker_drops_it_silently)
{
	struct raw r;
	struct raw_pkt p;

	srv_start(&s, (const char *const[]){ "--no-mqtt-watch-denied", NULL });
	raw_connect_lab(&r, &s, "sys-quiet-device");
	raw_publish(&r, 9, 1, "$SYS/broker/x", "{}", 2);
	raw_expect(&r, &p, RAW_PUBACK, 9, NULL);
	raw_expect_quiet(&r); /* still connected after the broker read the publish */
	raw_close(&r);
	/* the d2c record of another device comes after anything the refusal would have caused */
	d2c_works("sys-other-device");
	ck_assert_int_eq(journal_count(&s, "mqtt.acl_denied", "sys-quiet-device", NULL), 0);

	/* the bridge state topics pass the broker's check and reach the plugin's, flag or not */
	raw_connect_lab(&r, &s, "sys-bridge-device");
	raw_publish(&r, 4, 0, "$SYS/broker/connection/x/state", "1", 1);
	expect_closed(&r);
	raw_close(&r);
	json_decref(wait_record("mqtt.acl_denied", "sys-bridge-device",
				"$SYS/broker/connection/x/state"));

	/* flag or not, the broker logs to its file alone (docs/cli.md#serve); after a clean
	 * stop (the plugin copies the last lines at exit) stderr has the start and stop lines
	 * and the plugin's own lines that say something, not the lines every connection writes,
	 * which stay in the file */
	srv_stop(&s, SIGTERM);
	ck_assert(server_log_has("mosquitto version 2.0.11 running"));
	ck_assert(server_log_has("mosquitto version 2.0.11 terminating"));
	ck_assert(server_log_has("auth: device sys-bridge-device disconnected: policy violation"));
	ck_assert(!server_log_has("New connection from"));
	ck_assert(!server_log_has("New client connected from"));
	ck_assert(!server_log_has("Client sys-quiet-device disconnected."));
	ck_assert(!server_log_has("auth: device sys-quiet-device disconnected"));
	ck_assert(!server_log_has("auth: device sys-other-device disconnected"));
	ck_assert(broker_log_has("New client connected from"));
	ck_assert(broker_log_has("as sys-quiet-device"));
}
END_TEST

/* The broker logs to its file alone and the plugin copies lines to stderr; a broker that stops
 * before its first loop (here the plugin cannot listen on HTTPS) must still say why on stderr,
 * with the flag (debug lines in the file) and without it. */
static void failed_start_says_why(const char *flag)
{
	static char out[4096], err[65536];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char port[16];
	int fd, rc;

	snprintf(s.dir, sizeof(s.dir), "/tmp/ncm-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s.dir));
	snprintf(s.data, sizeof(s.data), "%s/data", s.dir);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));
	rc = cli_run(s.dir, s.data,
		     (const char *const[]){ "serve", "--fixtures", getenv("NCM_FIXTURES"),
					    "--mqtt-bind", "127.0.0.1", "--https-bind", "127.0.0.1",
					    "--mqtt-port", "0", "--https-port", port, "--admin-port",
					    "0", flag, NULL },
		     out, sizeof(out), err, sizeof(err));
	close(fd);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(err, "Address already in use"), "stderr: %s", err);
	ck_assert_msg(strstr(err, "Plugin returned"), "stderr: %s", err);
}

START_TEST(with_the_flag_a_failed_start_still_says_why)
{
	failed_start_says_why("--mqtt-watch-denied");
}
END_TEST

START_TEST(without_the_flag_a_failed_start_still_says_why)
{
	failed_start_says_why("--no-mqtt-watch-denied");
}
END_TEST

static const struct suite_def suite = {
	.name = "sys_publish", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite,
		{ "qos1", qos1_sys_publish_disconnects_and_is_journaled },
		{ "qos0", qos0_sys_publish_disconnects_and_is_journaled },
		{ "no_watch", without_the_flag_the_broker_drops_it_silently },
		{ "failed_start", with_the_flag_a_failed_start_still_says_why },
		{ "failed_start_no_flag", without_the_flag_a_failed_start_still_says_why })
