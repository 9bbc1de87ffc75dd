/* SPDX-License-Identifier: MIT
 * mqtt_load.c: the MQTT load generator of the benchmarks, in C on libmosquitto so the client is
 * not what limits the figures. Every mode prints one line of JSON. Loopback only.
 *   mqtt_load certs DATA OUT N             issue N device certificates bench-NNNN from the
 *                                          lab CA of the data folder DATA into OUT
 *   mqtt_load d2c PORT CA DIR N MSGS WINDOW PREFIX
 *                                          N devices (threads) each publish MSGS QoS 1
 *                                          messages on PREFIX m/d/<id>/d2c with WINDOW in
 *                                          flight; rate of acknowledged messages
 *   mqtt_load connect PORT CA DIR N THREADS
 *                                          N mTLS connects (CONNECT, CONNACK, DISCONNECT)
 *                                          over THREADS threads; connects per second
 *   mqtt_load shadow PORT CA DIR COUNT     shadow update -> update/accepted latency of one
 *                                          device (bench-0000), COUNT updates one at a time
 *   mqtt_load echo PORT CA DIR COUNT       publish -> own subscription latency (the transport
 *                                          floor, for a broker without a shadow service)
 *   mqtt_load delta PORT CA DIR COUNT HTTPS_PORT API_KEY
 *                                          REST PATCH .../state (desired) -> update/delta
 *                                          at the device, COUNT times one at a time
 * DIR holds <id>.crt and <id>.key for each device.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <mosquitto.h>

#include "ca.h"

static const char *port_s, *cafile, *dir;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_latency(const char *what, double *lat, int n, int failed)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("{\"mode\":\"%s\",\"count\":%d,\"failed\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
	       "\"p99_ms\":%.3f}\n", what, n, failed, lat[n / 2] * 1e3, lat[(int)(n * 0.9)] * 1e3,
	       lat[(int)(n * 0.99)] * 1e3);
}

/* One client: a device's connection with its own state, driven by libmosquitto's thread. */
struct cl {
	struct mosquitto *m;
	char id[32];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int connack;     /* -1 until CONNACK */
	int subacked;
	int acked;       /* PUBACKs */
	int got;         /* messages received */
	char last[512];  /* last payload received */
	int msgs, window, sent;
	const char *topic;
	double t_done;
};

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct cl *c = ud;

	(void)m;
	pthread_mutex_lock(&c->lock);
	c->connack = rc;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted)
{
	struct cl *c = ud;

	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	pthread_mutex_lock(&c->lock);
	c->subacked++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* d2c: keeps WINDOW messages in flight; a PUBACK releases the next one */
static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	struct cl *c = ud;
	char payload[64];
	int len;

	(void)mid;
	pthread_mutex_lock(&c->lock);
	c->acked++;
	if (c->topic && c->sent < c->msgs) {
		len = snprintf(payload, sizeof(payload), "{\"appId\":\"BENCH\",\"data\":%d}",
			       c->sent++);
		mosquitto_publish(m, NULL, c->topic, len, payload, 1, false);
	}
	if (c->acked == c->msgs)
		c->t_done = now();
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	struct cl *c = ud;

	(void)m;
	pthread_mutex_lock(&c->lock);
	c->got++;
	snprintf(c->last, sizeof(c->last), "%.*s", msg->payloadlen, (const char *)msg->payload);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Waits until *field reaches want (under c->lock), up to 30 s; 0 or -1. */
static int wait_for(struct cl *c, int *field, int want)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&c->lock);
	while (*field < want && !rc)
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	rc = *field >= want ? 0 : -1;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Connects device id; 0 when CONNACK accepted. */
static int cl_connect(struct cl *c, const char *id, int threaded)
{
	char crt[512], key[512];
	int rc;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->connack = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", dir, id);
	c->m = mosquitto_new(id, true, c);
	if (!c->m || mosquitto_tls_set(c->m, cafile, NULL, crt, key, NULL) ||
	    mosquitto_tls_insecure_set(c->m, true))
		return -1;
	/* no Nagle on the client either: a small publish must not wait for an ACK */
	mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(c->m, on_connect);
	mosquitto_subscribe_callback_set(c->m, on_subscribe);
	mosquitto_publish_callback_set(c->m, on_publish);
	mosquitto_message_callback_set(c->m, on_message);
	if (mosquitto_connect(c->m, "127.0.0.1", atoi(port_s), 60))
		return -1;
	if (!threaded) {
		while (c->connack < 0)
			if ((rc = mosquitto_loop(c->m, 1000, 1)) != MOSQ_ERR_SUCCESS)
				return -1;
		return c->connack;
	}
	if (mosquitto_loop_start(c->m))
		return -1;
	if (wait_for(c, &c->connack, 0))
		return -1;
	return c->connack;
}

static void cl_close(struct cl *c)
{
	if (!c->m)
		return;
	mosquitto_disconnect(c->m);
	mosquitto_loop_stop(c->m, false);
	mosquitto_destroy(c->m);
	c->m = NULL;
}

static void dev_id(int i, char *buf, size_t size)
{
	snprintf(buf, size, "bench-%04d", i);
}

static int cmd_certs(char **argv)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	X509 *cert;
	EVP_PKEY *k;
	char id[32];
	int i, n = atoi(argv[4]);

	if (ncm_ca_load(argv[2], &ca, &err)) {
		fprintf(stderr, "mqtt_load: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		dev_id(i, id, sizeof(id));
		if (ncm_ca_issue_device(&ca, id, time(NULL), &cert, &k, &err) ||
		    ncm_ca_write_device(argv[3], id, cert, k, &err)) {
			fprintf(stderr, "mqtt_load: %s\n", err.msg);
			return 1;
		}
		X509_free(cert);
		EVP_PKEY_free(k);
	}
	ncm_ca_release(&ca);
	printf("{\"certs\":%d}\n", n);
	return 0;
}

static int cmd_d2c(char **argv)
{
	int n = atoi(argv[5]), msgs = atoi(argv[6]), window = atoi(argv[7]), i, j, failed = 0;
	const char *prefix = argv[8];
	struct cl *cls = calloc((size_t)n, sizeof(*cls));
	char (*topics)[256] = calloc((size_t)n, 256);
	char id[32], payload[64];
	double t0, t_end = 0;

	for (i = 0; i < n; i++) {
		dev_id(i, id, sizeof(id));
		if (cl_connect(&cls[i], id, 1)) {
			fprintf(stderr, "mqtt_load: %s not connected\n", id);
			return 1;
		}
		mosquitto_max_inflight_messages_set(cls[i].m, (unsigned)window);
		snprintf(topics[i], 256, "%sm/d/%s/d2c", prefix, id);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		struct cl *c = &cls[i];

		pthread_mutex_lock(&c->lock);
		c->msgs = msgs;
		c->topic = topics[i];
		for (j = 0; j < window && c->sent < msgs; j++) {
			int len = snprintf(payload, sizeof(payload),
					   "{\"appId\":\"BENCH\",\"data\":%d}", c->sent++);

			mosquitto_publish(c->m, NULL, c->topic, len, payload, 1, false);
		}
		pthread_mutex_unlock(&c->lock);
	}
	for (i = 0; i < n; i++) {
		if (wait_for(&cls[i], &cls[i].acked, msgs))
			failed++;
		if (cls[i].t_done > t_end)
			t_end = cls[i].t_done;
	}
	for (i = 0; i < n; i++)
		cl_close(&cls[i]);
	printf("{\"mode\":\"d2c\",\"devices\":%d,\"messages\":%d,\"failed\":%d,\"seconds\":%.3f,"
	       "\"rate\":%.0f}\n", n, n * msgs, failed, t_end - t0, n * msgs / (t_end - t0));
	free(topics);
	free(cls);
	return failed ? 1 : 0;
}

struct conn_job {
	int from, count, failed;
};

static void *conn_run(void *arg)
{
	struct conn_job *j = arg;
	struct cl c;
	char id[32];
	int i;

	for (i = 0; i < j->count; i++) {
		dev_id(j->from + i, id, sizeof(id));
		if (cl_connect(&c, id, 0))
			j->failed++;
		if (c.m) {
			mosquitto_disconnect(c.m);
			mosquitto_loop(c.m, 10, 1);
			mosquitto_destroy(c.m);
		}
	}
	return NULL;
}

static int cmd_connect(char **argv)
{
	int n = atoi(argv[5]), threads = atoi(argv[6]), i, failed = 0;
	struct conn_job *jobs = calloc((size_t)threads, sizeof(*jobs));
	pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
	double t0 = now(), el;

	for (i = 0; i < threads; i++) {
		jobs[i].from = i * (n / threads);
		jobs[i].count = n / threads;
		pthread_create(&tid[i], NULL, conn_run, &jobs[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		failed += jobs[i].failed;
	}
	el = now() - t0;
	printf("{\"mode\":\"connect\",\"connects\":%d,\"failed\":%d,\"seconds\":%.3f,"
	       "\"rate\":%.1f}\n", threads * (n / threads), failed, el, threads * (n / threads) / el);
	free(jobs);
	free(tid);
	return failed ? 1 : 0;
}

/* shadow and echo: one request at a time, the answer awaited before the next */
static int cmd_roundtrip(char **argv, int shadow)
{
	int count = atoi(argv[5]), i, failed = 0;
	double *lat = calloc((size_t)count, sizeof(*lat));
	char sub[256], pub[256], payload[256];
	struct cl c;

	if (cl_connect(&c, "bench-0000", 1))
		return 1;
	if (shadow) {
		snprintf(sub, sizeof(sub), "$aws/things/bench-0000/shadow/update/accepted");
		snprintf(pub, sizeof(pub), "$aws/things/bench-0000/shadow/update");
	} else {
		snprintf(sub, sizeof(sub), "bench/echo/bench-0000");
		snprintf(pub, sizeof(pub), "bench/echo/bench-0000");
	}
	mosquitto_subscribe(c.m, NULL, sub, 1);
	if (wait_for(&c, &c.subacked, 1))
		return 1;
	for (i = 0; i < count; i++) {
		int len = snprintf(payload, sizeof(payload),
				   "{\"state\":{\"reported\":{\"n\":%d}},\"clientToken\":\"t%d\"}", i,
				   i);
		double t0 = now();

		mosquitto_publish(c.m, NULL, pub, len, payload, 1, false);
		if (wait_for(&c, &c.got, i + 1))
			failed++;
		lat[i] = now() - t0;
	}
	cl_close(&c);
	print_latency(shadow ? "shadow" : "echo", lat, count, failed);
	free(lat);
	return failed ? 1 : 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int cmd_delta(char **argv)
{
	int count = atoi(argv[5]), i, failed = 0;
	double *lat = calloc((size_t)count, sizeof(*lat));
	char sub[256], url[256], auth[256], body[128];
	struct curl_slist *hdrs = NULL;
	struct cl c;
	CURL *h;
	long status;

	if (cl_connect(&c, "bench-0000", 1))
		return 1;
	snprintf(sub, sizeof(sub), "$aws/things/bench-0000/shadow/update/delta");
	mosquitto_subscribe(c.m, NULL, sub, 1);
	if (wait_for(&c, &c.subacked, 1))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	snprintf(url, sizeof(url), "https://localhost:%s/v1/devices/bench-0000/state", argv[6]);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[7]);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	for (i = 0; i < count; i++) {
		double t0;

		snprintf(body, sizeof(body), "{\"desired\":{\"bench\":{\"n\":%d}}}", i);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		t0 = now();
		if (curl_easy_perform(h) != CURLE_OK ||
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status < 200 || status > 299 || wait_for(&c, &c.got, i + 1))
			failed++;
		lat[i] = now() - t0;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	cl_close(&c);
	print_latency("delta", lat, count, failed);
	free(lat);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int rc = 2;

	mosquitto_lib_init();
	if (!strcmp(mode, "certs") && argc == 5) {
		rc = cmd_certs(argv);
		goto out;
	}
	if (argc >= 6) {
		port_s = argv[2];
		cafile = argv[3];
		dir = argv[4];
	}
	if (!strcmp(mode, "d2c") && argc == 9)
		rc = cmd_d2c(argv);
	else if (!strcmp(mode, "connect") && argc == 7)
		rc = cmd_connect(argv);
	else if (!strcmp(mode, "shadow") && argc == 6)
		rc = cmd_roundtrip(argv, 1);
	else if (!strcmp(mode, "echo") && argc == 6)
		rc = cmd_roundtrip(argv, 0);
	else if (!strcmp(mode, "delta") && argc == 8)
		rc = cmd_delta(argv);
	else
		fprintf(stderr, "usage: see the comment at the top of bench/mqtt_load.c\n");
out:
	mosquitto_lib_cleanup();
	return rc;
}
