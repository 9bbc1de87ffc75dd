/* SPDX-License-Identifier: MIT
 * test_sim.c: `nrfcloud-mock sim` against the real server, per nRF Connect SDK generation
 * (docs/sim.md): connect and pairing with the info sections, a REST config change that reaches
 * the device and is reported back with exactly one delta, c2d, stored d2c, ground fix, A-GNSS
 * in split parts, P-GPS download, FOTA success, FOTA through firmware_reset/firmware_stall
 * faults with resume, FOTA reject and fail-at, and the lab shell on a pty. The sim's events
 * (--events on a FIFO) and stdout are read by a thread, so the test waits on events.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "harness.h"

#define MODEM_BUNDLE "MODEM*5e1f0a2b*mfw_nrf9160_1.3.5"

static struct srv s;
static char api[256];

/* A running sim: its events and stdout lines, collected by a thread. */
struct simp {
	pid_t pid;
	char fifo[PATH_MAX];
	int ev_fd, out_fd;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *text;            /* every line so far, events and stdout */
	size_t len;
	int done;
};

static struct simp *live[4];

static void setup(void)
{
	srv_start(&s, NULL);
	snprintf(api, sizeof(api), "Bearer %s", s.api_key);
}

static void sim_stop(struct simp *p);

static void teardown(void)
{
	size_t i;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i])
			sim_stop(live[i]);
	srv_cleanup(&s);
}

static void *reader(void *arg)
{
	struct simp *p = arg;
	struct pollfd pf[2] = { { p->ev_fd, POLLIN, 0 }, { p->out_fd, POLLIN, 0 } };
	char buf[4096];
	int open_fds = 2;

	while (open_fds) {
		int i;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pf[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			pthread_mutex_lock(&p->lock);
			p->text = realloc(p->text, p->len + (size_t)n + 1);
			memcpy(p->text + p->len, buf, (size_t)n);
			p->len += (size_t)n;
			p->text[p->len] = 0;
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
		}
	}
	pthread_mutex_lock(&p->lock);
	p->done = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Starts nrfcloud-mock sim against s with the NULL-terminated extra flags. */
static struct simp *sim_start(const char *const *extra)
{
	struct simp *p = calloc(1, sizeof(*p));
	char port[16], *argv[48];
	int out[2], n = 0;
	size_t slot;

	ck_assert_ptr_nonnull(p);
	snprintf(p->fifo, sizeof(p->fifo), "%s/sim-events-%d-%ld.fifo", s.dir, (int)getpid(),
		 (long)random());
	ck_assert_int_eq(mkfifo(p->fifo, 0600), 0);
	ck_assert_int_eq(pipe(out), 0);
	snprintf(port, sizeof(port), "%d", s.mqtt_port);
	argv[n++] = getenv("NCM_BIN");
	argv[n++] = "sim";
	argv[n++] = "--data";
	argv[n++] = s.data;
	argv[n++] = "--mqtt-port";
	argv[n++] = port;
	argv[n++] = "--events";
	argv[n++] = p->fifo;
	argv[n++] = "--reconnect-min";
	argv[n++] = "200";
	argv[n++] = "--reboot-time";
	argv[n++] = "200";
	while (extra && *extra && n < 46)
		argv[n++] = (char *)*extra++;
	argv[n] = NULL;
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (!p->pid) {
		dup2(out[1], 1);
		close(out[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	p->out_fd = out[0];
	p->ev_fd = open(p->fifo, O_RDONLY); /* blocks until the sim opens it */
	ck_assert_int_ge(p->ev_fd, 0);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	ck_assert_int_eq(pthread_create(&p->th, NULL, reader, p), 0);
	for (slot = 0; slot < sizeof(live) / sizeof(live[0]) && live[slot]; slot++)
		;
	ck_assert_uint_lt(slot, sizeof(live) / sizeof(live[0]));
	live[slot] = p;
	return p;
}

static size_t occurrences(const char *text, const char *part)
{
	size_t n = 0;

	while (text && (text = strstr(text, part))) {
		n++;
		text += strlen(part);
	}
	return n;
}

/* Waits until the sim's output holds `part` at least n times; fails after ms. */
static void sim_wait(struct simp *p, const char *part, size_t n, int ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (occurrences(p->text, part) < n && !p->done && rc == 0)
		rc = pthread_cond_timedwait(&p->cond, &p->lock, &until);
	ck_assert_msg(occurrences(p->text, part) >= n, "no %zu x '%s' from sim; got:\n%s", n, part,
		      p->text ? p->text : "");
	pthread_mutex_unlock(&p->lock);
}

/* SIGTERM, reap, and the summary line (malloc'd) when there is one. */
static char *sim_finish(struct simp *p)
{
	char *line = NULL, *at;
	size_t i;

	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
	pthread_join(p->th, NULL);
	close(p->ev_fd);
	close(p->out_fd);
	unlink(p->fifo);
	at = p->text ? strstr(p->text, "sim: ") : NULL;
	if (at)
		line = strndup(at, strcspn(at, "\n"));
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == p)
			live[i] = NULL;
	free(p->text);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	return line;
}

static void sim_stop(struct simp *p)
{
	free(sim_finish(p));
}

static json_t *shadow_of(const char *id)
{
	char path[256];
	json_t *j;

	snprintf(path, sizeof(path), "/mock/v1/devices/%s/shadow", id);
	j = admin_json(&s, "GET", path, NULL, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static json_t *at(json_t *j, const char *dotted)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return j;
}

/* The shadow's state (the admin answer may wrap it in "state"). */
static json_t *state_of(json_t *sh)
{
	json_t *st = json_object_get(sh, "state");

	return st ? st : sh;
}

static const char *delta_topic(const char *ncs, const char *id, char *buf, size_t size)
{
	if (!strcmp(ncs, "2.5"))
		snprintf(buf, size, "$aws/things/%s/shadow/update/delta", id);
	else if (!strcmp(ncs, "2.8"))
		snprintf(buf, size, "%s/shadow/update/delta/full", id);
	else
		snprintf(buf, size, "%s/shadow/update/delta/trim", id);
	return buf;
}

/* POST /mock/v1/wait for a record (topic and payload may be NULL; payload is a JSON subset);
 * returns the HTTP status (200 found, 408 not). */
static long wait_record(const char *kind, const char *device, const char *topic,
			const char *payload_json, int ms)
{
	json_t *q = json_pack("{s:i, s:s, s:s}", "timeout_ms", ms, "kind", kind, "device", device);
	char *body, *resp = NULL;
	long st;

	if (topic)
		json_object_set_new(q, "topic", json_string(topic));
	if (payload_json)
		json_object_set_new(q, "payload", json_loads(payload_json, 0, NULL));
	body = json_dumps(q, JSON_COMPACT);
	json_decref(q);
	st = http_admin(&s, "POST", "/mock/v1/wait", body, &resp);
	free(body);
	free(resp);
	return st;
}

/* Connect, pairing report with the info sections, subscriptions of the generation. */
static void connects_and_pairs(const char *ncs, const char *prefix)
{
	const char *args[] = { "--ncs", ncs, "--id-prefix", prefix, NULL };
	struct simp *p = sim_start(args);
	char id[64], topic[256], *sum;
	json_t *sh, *st;

	snprintf(id, sizeof(id), "%s000001", prefix);
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	snprintf(topic, sizeof(topic), "%s%s/jobs/req", s.prefix, id);
	ck_assert_int_eq(wait_record("mqtt.publish", id, topic, NULL, WAIT_MS), 200);
	/* CONNECT: the SDK's keep-alive, a clean first session */
	ck_assert_int_eq(wait_record("mqtt.connect", id, NULL,
				     "{\"keepalive\":1200,\"cleanSession\":true}", WAIT_MS),
			 200);
	ck_assert_int_ge(journal_count_topic(&s, "mqtt.subscribe", id,
					     delta_topic(ncs, id, topic, sizeof(topic))), 1);
	sh = shadow_of(id);
	st = state_of(sh);
	ck_assert_str_eq(json_string_value(at(st, "reported.pairing.state")), "paired");
	ck_assert_str_eq(json_string_value(at(st, "reported.device.deviceInfo.sdkVer")), ncs);
	ck_assert_str_eq(json_string_value(json_array_get(
				 at(st, "reported.device.serviceInfo.fota_v2"), 1)), "MODEM");
	ck_assert_int_eq(json_integer_value(at(st, "reported.connection.keepalive")), 1200);
	ck_assert_ptr_nonnull(at(st, "reported.control.logLvl"));
	json_decref(sh);
	sum = sim_finish(p);
	ck_assert_ptr_nonnull(sum);
	ck_assert_ptr_nonnull(strstr(sum, "1 connected, 1 ready"));
	ck_assert_ptr_nonnull(strstr(sum, ", 0 errors"));
	free(sum);
}

START_TEST(ncs_2_5_connects_and_pairs)
{
	connects_and_pairs("2.5", "g1-");
}
END_TEST

START_TEST(ncs_2_8_connects_and_pairs)
{
	connects_and_pairs("2.8", "g2-");
}
END_TEST

START_TEST(ncs_3_3_connects_and_pairs)
{
	connects_and_pairs("3.3", "g3-");
}
END_TEST

/* A REST config change: one delta, the device reports the config back; c2d reaches it; its
 * telemetry is stored. */
static void config_c2d_d2c(const char *ncs, const char *prefix)
{
	const char *args[] = { "--ncs", ncs, "--id-prefix", prefix, "--telemetry-interval", "1",
			       NULL };
	struct simp *p = sim_start(args);
	char id[64], path[256], topic[256], d2c[256];
	json_t *j;

	snprintf(id, sizeof(id), "%s000001", prefix);
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	snprintf(path, sizeof(path), "/v1/devices/%s/state", id);
	{
		const char *b = "{\"desired\":{\"config\":{\"sampleInterval\":60}}}";

		ck_assert_int_eq(http_rest_auth(&s, "PATCH", path, api, "application/json", b,
						strlen(b), NULL, NULL),
				 202);
	}
	sim_wait(p, "\"sampleInterval\":60", 1, WAIT_MS);
	ck_assert_int_eq(wait_record("mqtt.publish", id, NULL,
				     "{\"state\":{\"reported\":{\"config\":{\"sampleInterval\":60}}}}",
				     WAIT_MS),
			 200);
	/* c2d on the v2.2+ wildcard */
	snprintf(path, sizeof(path), "/mock/v1/devices/%s/messages", id);
	ck_assert_int_eq(http_admin(&s, "POST", path, "{\"appId\":\"LED\",\"data\":\"on\"}", NULL),
			 200);
	sim_wait(p, "\"ev\":\"c2d\"", 1, WAIT_MS);
	sim_wait(p, "\"appId\":\"LED\"", 2, WAIT_MS); /* the event line and the printed line */
	/* d2c stored */
	snprintf(d2c, sizeof(d2c), "%sm/d/%s/d2c", s.prefix, id);
	ck_assert_int_eq(wait_record("mqtt.publish", id, d2c, NULL, WAIT_MS), 200);
	snprintf(path, sizeof(path), "/v1/messages?deviceId=%s", id);
	j = rest_json(&s, "GET", path, api, NULL, 200);
	ck_assert_int_ge(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	/* exactly one delta: the device's answers (its control reply, then its config report,
	 * journaled before the c2d above) raised no other */
	ck_assert_int_eq(journal_count_topic(&s, "mqtt.send", id,
					     delta_topic(ncs, id, topic, sizeof(topic))),
			 1);
	sim_stop(p);
	/* after the answers settled, still one */
	ck_assert_int_eq(journal_count_topic(&s, "mqtt.send", id,
					     delta_topic(ncs, id, topic, sizeof(topic))),
			 1);
}

START_TEST(ncs_2_5_config_change_is_reported_back_with_exactly_one_delta)
{
	config_c2d_d2c("2.5", "c1-");
}
END_TEST

START_TEST(ncs_2_8_config_change_is_reported_back_with_exactly_one_delta)
{
	config_c2d_d2c("2.8", "c2-");
}
END_TEST

START_TEST(ncs_3_3_config_change_is_reported_back_with_exactly_one_delta)
{
	config_c2d_d2c("3.3", "c3-");
}
END_TEST

/* Ground fix, A-GNSS in split parts (each checked as schema v1), P-GPS downloaded. */
START_TEST(location_services_per_generation)
{
	const char *gens[] = { "2.5", "2.8", "3.3" };
	size_t i;

	for (i = 0; i < 3; i++) {
		char prefix[16];
		const char *args[] = { "--ncs", gens[i], "--id-prefix", prefix, "--agnss", "--pgps",
				       "--location-interval", "1", NULL };
		struct simp *p;
		char *sum;

		snprintf(prefix, sizeof(prefix), "l%zu-", i);
		p = sim_start(args);
		sim_wait(p, "\"ev\":\"location\"", 1, WAIT_MS);
		sim_wait(p, "\"ev\":\"agnss\"", 1, WAIT_MS);
		sim_wait(p, "\"parts\":2", 1, WAIT_MS); /* split in two self-contained parts */
		sim_wait(p, "\"ev\":\"pgps\"", 1, WAIT_MS);
		sum = sim_finish(p);
		ck_assert_ptr_nonnull(strstr(sum, ", 0 errors"));
		ck_assert_ptr_nonnull(strstr(sum, "1 agnss, 1 pgps"));
		free(sum);
	}
}
END_TEST

/* REST devices: A-GNSS by POST /v1/location/agnss in 1700-byte Range fragments (two for the
 * full set: one fragment would mean no Range was sent, as the server then answers the whole
 * payload), checked whole as schema v1; P-GPS by GET /v1/location/pgps and the ranged file
 * download; the ground fix by POST /v1/location/ground-fix. */
START_TEST(rest_transport_agnss_pgps_and_ground_fix)
{
	char hport[16];
	const char *args[] = { "--ncs", "3.3", "--id-prefix", "rl-", "--transport", "rest",
			       "--https-port", hport, "--agnss", "--pgps", "--location-interval",
			       "1", NULL };
	struct simp *p;
	char *sum;

	snprintf(hport, sizeof(hport), "%d", s.https_port);
	p = sim_start(args);
	sim_wait(p, "\"ev\":\"agnss\"", 1, WAIT_MS);
	sim_wait(p, "\"parts\":2", 1, WAIT_MS);
	sim_wait(p, "\"ev\":\"pgps\"", 1, WAIT_MS);
	sim_wait(p, "\"ev\":\"location\"", 1, WAIT_MS);
	sum = sim_finish(p);
	ck_assert_msg(strstr(sum, ", 0 errors") && strstr(sum, "1 agnss, 1 pgps"), "%s", sum);
	free(sum);
	ck_assert_int_ge(journal_wait(&s, "http.request", "rl-000001", NULL, 5), 5);
}
END_TEST

/* --ncs 2.1: the G1 protocol as NCS <= v2.1 spoke it: the literal c2d topic, CELL_POS for
 * cell positions, and every location answer (CELL_POS, binary A-GPS, P-GPS) on c2d. */
START_TEST(ncs_2_1_cell_pos_and_answers_on_c2d)
{
	const char *args[] = { "--ncs", "2.1", "--id-prefix", "c1-", "--agnss", "--pgps",
			       "--location-interval", "1", NULL };
	struct simp *p;
	char d2c[256], c2d[256], *sum;

	snprintf(d2c, sizeof(d2c), "%sm/d/c1-000001/d2c", s.prefix);
	snprintf(c2d, sizeof(c2d), "%sm/d/c1-000001/c2d/r", s.prefix);
	p = sim_start(args);
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	ck_assert_int_eq(wait_record("mqtt.publish", "c1-000001", d2c,
				     "{\"appId\":\"CELL_POS\",\"messageType\":\"DATA\"}", WAIT_MS),
			 200);
	/* the answer went where c2d messages go (the server's pairing names .../+/r) */
	ck_assert_int_eq(wait_record("mqtt.send", "c1-000001", c2d,
				     "{\"appId\":\"CELL_POS\",\"messageType\":\"DATA\"}", WAIT_MS),
			 200);
	sim_wait(p, "\"ev\":\"location\"", 1, WAIT_MS);
	sim_wait(p, "\"ev\":\"agnss\"", 1, WAIT_MS);
	sim_wait(p, "\"ev\":\"pgps\"", 1, WAIT_MS);
	sum = sim_finish(p);
	ck_assert_msg(!strstr(sum, " 0 locations"), "%s", sum);
	ck_assert_msg(strstr(sum, ", 0 errors") && strstr(sum, "1 agnss, 1 pgps") &&
			      strstr(sum, "(ncs 2.1)"),
		      "%s", sum);
	free(sum);
}
END_TEST

static void create_job(const char *id, char job[64])
{
	char body[256];
	json_t *j;

	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"%s\"]}", MODEM_BUNDLE,
		 id);
	j = rest_json(&s, "POST", "/v1/fota-jobs", api, body, 201);
	snprintf(job, 64, "%s", json_string_value(json_object_get(j, "jobId")));
	json_decref(j);
}

/* The execution's status once the server journaled `want` for it. */
static const char *execution_status(const char *id, const char *job, char *buf, size_t size,
				    const char *want)
{
	char path[256];
	json_t *j;

	snprintf(path, sizeof(path), "%s %s", job, want);
	ck_assert_int_eq(wait_record("fota.status", id, path, NULL, WAIT_MS), 200);
	snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/%s", id, job);
	j = rest_json(&s, "GET", path, api, NULL, 200);
	snprintf(buf, size, "%s", json_string_value(json_object_get(j, "status")) ?: "");
	json_decref(j);
	return buf;
}

/* A FOTA job over MQTT: downloaded in 1700-byte ranges, rebooted, SUCCEEDED with the new
 * modem version in the shadow; fault (NULL: none) breaks the download once on the way. */
static void fota(const char *ncs, const char *prefix, const char *fault, const char *flag)
{
	const char *args[] = { "--ncs", ncs, "--id-prefix", prefix, "--stall-timeout", "1000",
			       flag ? "--fota" : NULL, flag, NULL };
	struct simp *p = sim_start(args);
	char id[64], job[64], st[32], *sum;
	json_t *sh;

	snprintf(id, sizeof(id), "%s000001", prefix);
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	/* a job targets devices whose shadow lists fota_v2 when it is created; a v2.5 device
	 * reports its info sections in an update after it is ready, so wait for that update's
	 * update/accepted, which the server sends once the shadow is stored (later generations
	 * send them in the pairing report, before they are ready) */
	if (!strcmp(ncs, "2.5"))
		ck_assert_int_eq(wait_record("mqtt.send", id, NULL,
					     "{\"state\":{\"reported\":{\"device\":"
					     "{\"serviceInfo\":{}}}}}",
					     WAIT_MS),
				 200);
	if (fault)
		ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", fault, NULL), 201);
	create_job(id, job);
	if (flag && !strcmp(flag, "reject")) {
		sim_wait(p, "\"status\":\"REJECTED\"", 1, WAIT_MS);
		ck_assert_str_eq(execution_status(id, job, st, sizeof(st), "REJECTED"), "REJECTED");
		sim_stop(p);
		return;
	}
	if (flag) {
		sim_wait(p, "\"status\":\"FAILED\"", 1, WAIT_MS);
		ck_assert_str_eq(execution_status(id, job, st, sizeof(st), "FAILED"), "FAILED");
		sim_stop(p);
		return;
	}
	if (fault)
		sim_wait(p, "\"status\":\"resume\"", 1, 20000);
	sim_wait(p, "\"status\":\"SUCCEEDED\"", 1, 30000);
	sim_wait(p, "\"modem\":\"mfw_nrf9160_1.3.5\"", 1, WAIT_MS); /* ready after the reboot */
	ck_assert_int_eq(wait_record("mqtt.publish", id, NULL,
				     "{\"state\":{\"reported\":{\"device\":{\"deviceInfo\":"
				     "{\"modemFirmware\":\"mfw_nrf9160_1.3.5\"}}}}}",
				     WAIT_MS),
			 200);
	sum = sim_finish(p);
	ck_assert_ptr_nonnull(strstr(sum, "fota 1 succeeded 0 failed 0 rejected"));
	free(sum);
	/* the server saw the reboot's and the final disconnect: all the device sent before is
	 * stored (one broker thread, in order) */
	ck_assert_int_ge(journal_wait(&s, "mqtt.disconnect", id, NULL, 2), 2);
	sh = shadow_of(id);
	ck_assert_str_eq(json_string_value(at(state_of(sh),
					      "reported.device.deviceInfo.modemFirmware")),
			 "mfw_nrf9160_1.3.5");
	json_decref(sh);
	ck_assert_str_eq(execution_status(id, job, st, sizeof(st), "SUCCEEDED"), "SUCCEEDED");
}

START_TEST(fota_succeeds_per_generation)
{
	fota("2.5", "f1-", NULL, NULL);
	fota("2.8", "f2-", NULL, NULL);
	fota("3.3", "f3-", NULL, NULL);
}
END_TEST

START_TEST(fota_resumes_after_a_reset)
{
	fota("3.3", "r1-", "{\"action\":\"firmware_reset\",\"at_byte\":700,\"count\":1}", NULL);
}
END_TEST

START_TEST(fota_resumes_after_a_stall)
{
	fota("2.5", "r2-",
	     "{\"action\":\"firmware_stall\",\"at_byte\":700,\"delay_ms\":60000,\"count\":1}",
	     NULL);
}
END_TEST

START_TEST(fota_reject_and_fail_at_reach_the_cloud)
{
	fota("2.8", "x1-", NULL, "reject");
	fota("3.3", "x2-", NULL, "fail-at=50");
}
END_TEST

/* An MCUboot application image of about 6 kB (header, body, the SHA-256 TLV) in a bundle
 * uploaded with POST /v1/firmwares; its bundle ID into id. */
static void upload_mcuboot_app(const char *version, char id[128])
{
	static unsigned char img[6200];
	const size_t hdr = 32, body = 6000;
	size_t i, off = hdr + body, zip_len;
	unsigned int n = 0;
	struct zipw z;
	unsigned char *zip;
	char manifest[512], file[64], *resp = NULL, *uri;
	json_t *j;
	long status;

	memset(img, 0, sizeof(img));
	img[0] = 0x3d, img[1] = 0xb8, img[2] = 0xf3, img[3] = 0x96;
	img[8] = (unsigned char)hdr;
	img[12] = (unsigned char)(body & 0xff), img[13] = (unsigned char)(body >> 8);
	for (i = hdr; i < off; i++)
		img[i] = (unsigned char)(i * 31 + 7);
	img[off] = 0x07, img[off + 1] = 0x69, img[off + 2] = 4 + 4 + 32;
	img[off + 4] = 0x10, img[off + 6] = 32;
	ck_assert_int_eq(EVP_Digest(img, off, img + off + 8, &n, EVP_sha256(), NULL), 1);
	snprintf(file, sizeof(file), "app_update-%s.bin", version);
	snprintf(manifest, sizeof(manifest),
		 "{\"name\":\"sim\",\"fwversion\":\"%s\",\"format-version\":1,"
		 "\"files\":[{\"file\":\"%s\",\"type\":\"application\",\"size\":%zu}]}",
		 version, file, off + 40);
	memset(&z, 0, sizeof(z));
	zip_add(&z, "manifest.json", manifest, strlen(manifest), 1);
	zip_add(&z, file, img, off + 40, 0);
	zip = zip_finish(&z, &zip_len);
	status = http_rest_auth(&s, "POST", "/v1/firmwares", api, "application/zip",
				(const char *)zip, zip_len, &resp, NULL);
	free(zip);
	j = json_loads(resp ? resp : "", 0, NULL);
	ck_assert_msg(status == 202 && j, "upload: %ld %s", status, resp);
	free(resp);
	/* https://<host>:<port>/<tenant>/<bundleId>/<file> */
	uri = strstr(json_string_value(json_array_get(json_object_get(j, "uris"), 0)), s.tenant);
	ck_assert_ptr_nonnull(uri);
	uri += strlen(s.tenant) + 1;
	snprintf(id, 128, "%.*s", (int)(strchr(uri, '/') - uri), uri);
	json_decref(j);
}

/* The sim checks an APP image's own SHA-256 (its MCUboot TLV): the intact image succeeds and
 * the device reports the new version; the same job for a second device whose download the
 * firmware_corrupt fault flips (what a user does to see a device refuse a damaged image) is
 * FAILED with "Error applying update" and no reboot. */
START_TEST(fota_checks_the_image_sha256)
{
	const char *args[] = { "--ncs", "3.3", "--id-prefix", "h1-", "--devices", "2", NULL };
	struct simp *p;
	char bundle[128], body[512], job[64], st[32], path[256];
	json_t *j;

	upload_mcuboot_app("v2.0.1", bundle);
	p = sim_start(args);
	sim_wait(p, "\"ev\":\"ready\"", 2, WAIT_MS);
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"h1-000001\"]}",
		 bundle);
	j = rest_json(&s, "POST", "/v1/fota-jobs", api, body, 201);
	snprintf(job, sizeof(job), "%s", json_string_value(json_object_get(j, "jobId")));
	json_decref(j);
	sim_wait(p, "\"status\":\"verified\"", 1, WAIT_MS);
	sim_wait(p, "\"status\":\"SUCCEEDED\"", 1, 30000);
	sim_wait(p, "\"app\":\"v2.0.1\"", 1, WAIT_MS);
	ck_assert_str_eq(execution_status("h1-000001", job, st, sizeof(st), "SUCCEEDED"),
			 "SUCCEEDED");

	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults",
				    "{\"action\":\"firmware_corrupt\",\"count\":4}", NULL),
			 201);
	snprintf(body, sizeof(body), "{\"bundleId\":\"%s\",\"deviceIds\":[\"h1-000002\"]}",
		 bundle);
	j = rest_json(&s, "POST", "/v1/fota-jobs", api, body, 201);
	snprintf(job, sizeof(job), "%s", json_string_value(json_object_get(j, "jobId")));
	json_decref(j);
	sim_wait(p, "\"status\":\"mismatch\"", 1, 30000);
	sim_wait(p, "\"status\":\"FAILED\"", 1, WAIT_MS);
	ck_assert_str_eq(execution_status("h1-000002", job, st, sizeof(st), "FAILED"), "FAILED");
	snprintf(path, sizeof(path), "/v1/fota-job-executions/h1-000002/%s", job);
	j = rest_json(&s, "GET", path, api, NULL, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "statusDetail")) ?: "",
			 "Error applying update");
	json_decref(j);
	sim_stop(p);
	/* the fault is armed for the four pieces; anything left is cleared (a fault still armed
	 * at shutdown shows up as a 696-byte leak in the sanitizer build's server) */
	ck_assert_int_eq(http_admin(&s, "DELETE", "/mock/v1/faults", NULL, NULL) / 100, 2);
}
END_TEST

/* A kicked device reconnects after its back-off with clean session 0. Its first connection
 * was clean (no saved session yet), so the first reconnect finds no session and subscribes
 * again; kicked once more, it resumes the session without subscribing (NCS persistent
 * sessions, nrf_cloud_transport.c nct_save_session_state()). */
START_TEST(kicked_device_reconnects_into_its_persistent_session)
{
	const char *args[] = { "--ncs", "2.8", "--id-prefix", "ps-", NULL };
	const char *kick = "{\"action\":\"kick\",\"match\":{\"device\":\"ps-000001\"}}";
	struct simp *p = sim_start(args);
	char c2d[256];

	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", kick, NULL), 201);
	sim_wait(p, "\"ev\":\"ready\"", 2, WAIT_MS);
	ck_assert_int_eq(http_admin(&s, "POST", "/mock/v1/faults", kick, NULL), 201);
	sim_wait(p, "\"session\":true", 1, WAIT_MS);
	sim_wait(p, "\"ev\":\"ready\"", 3, WAIT_MS);
	ck_assert_int_eq(wait_record("mqtt.connect", "ps-000001", NULL, "{\"cleanSession\":false}",
				     WAIT_MS),
			 200);
	/* nothing subscribed after the last CONNECT (the server journals a session's
	 * subscriptions when it keeps them at the kick, before) */
	{
		json_t *conns = journal_items(&s, "mqtt.connect", "ps-000001");
		json_t *subs = journal_items(&s, "mqtt.subscribe", "ps-000001");
		json_int_t last = json_integer_value(json_object_get(
			json_array_get(conns, json_array_size(conns) - 1), "ts"));
		size_t i, after = 0;

		ck_assert_uint_eq(json_array_size(conns), 3);
		for (i = 0; i < json_array_size(subs); i++)
			after += json_integer_value(json_object_get(json_array_get(subs, i), "ts")) >=
				 last;
		ck_assert_uint_eq(after, 0);
		json_decref(conns);
		json_decref(subs);
	}
	snprintf(c2d, sizeof(c2d), "%sm/d/ps-000001/+/r", s.prefix);
	ck_assert_int_ge(journal_count_topic(&s, "mqtt.subscribe", "ps-000001", c2d), 2);
	sim_stop(p);
}
END_TEST

/* --certs DIR: every <id>.crt/<id>.key there (the server's lab CA issued them) and ca.pem. */
START_TEST(devices_from_a_certs_folder)
{
	char dir[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], cmd[PATH_MAX * 2];
	const char *args[] = { "--ncs", "3.3", "--certs", dir, "--devices", "0", NULL };
	struct simp *p;
	char *sum;

	snprintf(dir, sizeof(dir), "%s/certs", s.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	srv_lab_device(&s, dir, "cf-a", crt, key, sizeof(crt));
	srv_lab_device(&s, dir, "cf-b", crt, key, sizeof(crt));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/ca.pem'", s.ca, dir);
	ck_assert_int_eq(system(cmd), 0);
	p = sim_start(args);
	sim_wait(p, "\"ev\":\"ready\"", 2, WAIT_MS);
	sum = sim_finish(p);
	ck_assert_ptr_nonnull(strstr(sum, "2 devices (ncs 3.3), 2 connected, 2 ready"));
	free(sum);
	ck_assert_int_ge(journal_count(&s, "mqtt.connect", "cf-a", NULL), 1);
	ck_assert_int_ge(journal_count(&s, "mqtt.connect", "cf-b", NULL), 1);
}
END_TEST

/* --transport rest: provisioning connect, then state, messages, ground fix and a FOTA job over
 * HTTPS with device JWTs. */
START_TEST(rest_transport_state_messages_location_and_fota)
{
	char hport[16];
	const char *args[] = { "--ncs", "2.5", "--id-prefix", "rt-", "--transport", "rest",
			       "--https-port", hport, "--telemetry-interval", "1",
			       "--location-interval", "1", "--fota-poll", "1", NULL };
	struct simp *p;
	char job[64], path[256], st[32];
	json_t *j, *sh;

	snprintf(hport, sizeof(hport), "%d", s.https_port);
	p = sim_start(args);
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	/* the info sections arrived by PATCH .../state */
	sh = shadow_of("rt-000001");
	ck_assert_str_eq(json_string_value(at(state_of(sh), "reported.device.connectionInfo.protocol")),
			 "REST");
	json_decref(sh);
	sim_wait(p, "\"ev\":\"location\"", 1, WAIT_MS);
	ck_assert_int_ge(journal_wait(&s, "http.request", "rt-000001", NULL, 3), 3);
	create_job("rt-000001", job);
	sim_wait(p, "\"status\":\"SUCCEEDED\"", 1, 30000);
	sim_wait(p, "\"modem\":\"mfw_nrf9160_1.3.5\"", 1, WAIT_MS);
	ck_assert_str_eq(execution_status("rt-000001", job, st, sizeof(st), "SUCCEEDED"),
			 "SUCCEEDED");
	sim_stop(p);
	snprintf(path, sizeof(path), "/v1/messages?deviceId=rt-000001");
	j = rest_json(&s, "GET", path, api, NULL, 200);
	ck_assert_int_ge(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	sh = shadow_of("rt-000001");
	ck_assert_str_eq(json_string_value(at(state_of(sh),
					      "reported.device.deviceInfo.modemFirmware")),
			 "mfw_nrf9160_1.3.5");
	json_decref(sh);
}
END_TEST

/* The lab shell on a pty: status, send, an event line. */
START_TEST(lab_shell_on_a_pty)
{
	const char *args[] = { "--ncs", "3.3", "--id-prefix", "p1-", "--pty", NULL };
	struct simp *p = sim_start(args);
	char name[128], buf[4096], *nl, *q;
	int fd;
	size_t got = 0;
	struct pollfd pf;

	sim_wait(p, "pty /dev/", 1, WAIT_MS);
	pthread_mutex_lock(&p->lock);
	q = strstr(p->text, "pty /dev/") + 4;
	nl = strchr(q, '\n');
	snprintf(name, sizeof(name), "%.*s", (int)(nl - q), q);
	pthread_mutex_unlock(&p->lock);
	fd = open(name, O_RDWR | O_NOCTTY);
	ck_assert_int_ge(fd, 0);
	{
		/* raw: no echo, no line editing */
		struct termios t;

		tcgetattr(fd, &t);
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	sim_wait(p, "\"ev\":\"ready\"", 1, WAIT_MS);
	ck_assert_int_gt(write(fd, "status\n", 7), 0);
	ck_assert_int_gt(write(fd, "send TEMP 21.5\n", 15), 0);
	pf.fd = fd;
	pf.events = POLLIN;
	while (got < sizeof(buf) - 1 && !(strstr(buf, "\"command\":\"send\"")) &&
	       poll(&pf, 1, WAIT_MS) > 0) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
	}
	ck_assert_msg(strstr(buf, "@ok {\"id\":\"p1-000001\",\"state\":\"ready\""), "%s", buf);
	ck_assert_msg(strstr(buf, "@ok {\"command\":\"send\"}"), "%s", buf);
	{
		char d2c[256];

		snprintf(d2c, sizeof(d2c), "%sm/d/p1-000001/d2c", s.prefix);
		ck_assert_int_eq(wait_record("mqtt.publish", "p1-000001", d2c,
					     "{\"appId\":\"TEMP\",\"data\":\"21.5\"}", WAIT_MS),
				 200);
	}
	close(fd);
	sim_stop(p);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "ncs_2_5_connects_and_pairs", ncs_2_5_connects_and_pairs },
		{ "ncs_2_8_connects_and_pairs", ncs_2_8_connects_and_pairs },
		{ "ncs_3_3_connects_and_pairs", ncs_3_3_connects_and_pairs },
		{ "ncs_2_5_config_change_is_reported_back_with_exactly_one_delta",
		  ncs_2_5_config_change_is_reported_back_with_exactly_one_delta },
		{ "ncs_2_8_config_change_is_reported_back_with_exactly_one_delta",
		  ncs_2_8_config_change_is_reported_back_with_exactly_one_delta },
		{ "ncs_3_3_config_change_is_reported_back_with_exactly_one_delta",
		  ncs_3_3_config_change_is_reported_back_with_exactly_one_delta },
		{ "location_services_per_generation", location_services_per_generation },
		{ "fota_succeeds_per_generation", fota_succeeds_per_generation },
		{ "fota_resumes_after_a_reset", fota_resumes_after_a_reset },
		{ "fota_resumes_after_a_stall", fota_resumes_after_a_stall },
		{ "fota_reject_and_fail_at_reach_the_cloud", fota_reject_and_fail_at_reach_the_cloud },
		{ "fota_checks_the_image_sha256", fota_checks_the_image_sha256 },
		{ "lab_shell_on_a_pty", lab_shell_on_a_pty },
		{ "devices_from_a_certs_folder", devices_from_a_certs_folder },
		{ "kicked_device_reconnects_into_its_persistent_session",
		  kicked_device_reconnects_into_its_persistent_session },
		{ "rest_transport_state_messages_location_and_fota",
		  rest_transport_state_messages_location_and_fota },
		{ "rest_transport_agnss_pgps_and_ground_fix", rest_transport_agnss_pgps_and_ground_fix },
		{ "ncs_2_1_cell_pos_and_answers_on_c2d", ncs_2_1_cell_pos_and_answers_on_c2d },
	};

	signal(SIGPIPE, SIG_IGN);
	return run_suite("sim", tests, sizeof(tests) / sizeof(tests[0]), setup, teardown, 180);
}
