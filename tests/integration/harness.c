/* SPDX-License-Identifier: MIT
 * harness.c: the real server, a device client and an HTTP client for integration tests
 * (see harness.h).
 */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "ca.h"
#include "file.h"
#include "jwt.h"
#include "pki.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dump_log(const struct srv *s)
{
	char line[1024];
	FILE *f = fopen(s->log, "r");

	if (!f)
		return;
	fprintf(stderr, "---- server log %s ----\n", s->log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

static void parse_line(struct srv *s, const char *line)
{
	sscanf(line, "mqtt-port %d", &s->mqtt_port);
	sscanf(line, "https-port %d", &s->https_port);
	sscanf(line, "admin-port %d", &s->admin_port);
	sscanf(line, "ca %4095s", s->ca);
	sscanf(line, "api-key %127s", s->api_key);
	sscanf(line, "tenant-id %63s", s->tenant);
	sscanf(line, "topic-prefix %127s", s->prefix);
}

void srv_start(struct srv *s, const char *const *extra)
{
	const char *bin = getenv("NCM_BIN"), *fixtures = getenv("NCM_FIXTURES");
	const char *argv[48];
	char buf[8192], line[1024];
	size_t used = 0, n_args = 0;
	int pipefd[2], logfd, ready = 0;
	int64_t deadline;

	ck_assert_msg(bin && fixtures, "NCM_BIN and NCM_FIXTURES must be set (run through meson)");
	/* a server that closes a connection must fail an assertion, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	if (!s->dir[0]) {
		snprintf(s->dir, sizeof(s->dir), "/tmp/ncm-test-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(s->dir));
		/* the broker may run as another user (--user): let it reach the data folder */
		chmod(s->dir, 0755);
		snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
		snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	}
	argv[n_args++] = bin;
	argv[n_args++] = "serve";
	argv[n_args++] = "--data";
	argv[n_args++] = s->data;
	argv[n_args++] = "--fixtures";
	argv[n_args++] = fixtures;
	argv[n_args++] = "--mqtt-bind";
	argv[n_args++] = "127.0.0.1";
	argv[n_args++] = "--https-bind";
	argv[n_args++] = "127.0.0.1";
	argv[n_args++] = "--mqtt-port";
	argv[n_args++] = "0";
	argv[n_args++] = "--https-port";
	argv[n_args++] = "0";
	argv[n_args++] = "--admin-port";
	argv[n_args++] = "0";
	while (extra && *extra && n_args < 46)
		argv[n_args++] = *extra++;
	argv[n_args] = NULL;

	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	ck_assert_int_ge(logfd, 0);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		dup2(pipefd[1], 1);
		dup2(logfd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	close(logfd);
	deadline = now_ms() + 30000;
	while (!ready && now_ms() < deadline) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			break;
		n = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			size_t len = (size_t)(nl - buf);

			snprintf(line, sizeof(line), "%.*s", (int)len, buf);
			parse_line(s, line);
			if (!strcmp(line, "ready"))
				ready = 1;
			memmove(buf, nl + 1, used - len);
			used -= len + 1;
		}
	}
	/* keep the pipe open in the child: close our end so writes after ready do not block */
	close(pipefd[0]);
	if (!ready) {
		dump_log(s);
		srv_stop(s, SIGKILL);
	}
	ck_assert_msg(ready, "server did not print 'ready'");
	ck_assert_int_gt(s->mqtt_port, 0);
	ck_assert_int_gt(s->https_port, 0);
	ck_assert_int_gt(s->admin_port, 0);
}

/* Fails the test when the server's log shows a sanitizer report (sanitizer builds preload the
 * runtime into the broker, so a fault in the plugin ends up there). */
static void check_log(const struct srv *s)
{
	char line[1024];
	FILE *f = fopen(s->log, "r");
	int bad = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "AddressSanitizer") || strstr(line, "LeakSanitizer") ||
		    strstr(line, "runtime error:"))
			bad = 1;
	fclose(f);
	if (bad)
		dump_log(s);
	ck_assert_msg(!bad, "sanitizer report in %s", s->log);
}

void srv_stop(struct srv *s, int sig)
{
	int status = 0;

	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
	check_log(s);
	if (sig == SIGTERM && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		dump_log(s);
		ck_abort_msg("server did not exit cleanly on SIGTERM (status 0x%x)", status);
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void srv_cleanup(struct srv *s)
{
	srv_stop(s, SIGTERM);
	if (s->dir[0] && !getenv("NCM_KEEP_TMP"))
		nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
}

void srv_device_files(const struct srv *s, const char *id, char *crt, char *key, size_t size)
{
	snprintf(crt, size, "%s/devices/%s.crt", s->data, id);
	snprintf(key, size, "%s/devices/%s.key", s->data, id);
}

/* ---- HTTP ---- */

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t len = size * nmemb;
	char *grown = realloc(b->p, b->n + len + 1);

	if (!grown)
		return 0;
	b->p = grown;
	memcpy(b->p + b->n, ptr, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static long http(const struct srv *s, const char *url, const char *method, const char *body,
		 char **resp)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = { NULL, 0 };
	long status = 0;
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CAINFO, s->ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (resp)
		*resp = b.p ? b.p : strdup("");
	else
		free(b.p);
	return status;
}

long http_admin(const struct srv *s, const char *method, const char *path, const char *body,
		char **resp)
{
	char url[1024];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->admin_port, path);
	return http(s, url, method, body, resp);
}

long http_rest(const struct srv *s, const char *method, const char *path, const char *body,
	       char **resp)
{
	char url[1024];

	snprintf(url, sizeof(url), "https://localhost:%d%s", s->https_port, path);
	return http(s, url, method, body, resp);
}

long http_rest_req(const struct srv *s, const char *method, const char *path,
		   const char *const *headers, const char *body, size_t body_len, char **resp,
		   char **resp_headers)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = { NULL, 0 }, h = { NULL, 0 };
	char url[1024];
	long status = 0;
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "https://localhost:%d%s", s->https_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	/* a HEAD answer has a Content-Length but no body: curl must not wait for one */
	curl_easy_setopt(c, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_CAINFO, s->ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while (headers && *headers)
		hdrs = curl_slist_append(hdrs, *headers++);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (resp)
		*resp = b.p ? b.p : strdup("");
	else
		free(b.p);
	if (resp_headers)
		*resp_headers = h.p ? h.p : strdup("");
	else
		free(h.p);
	return status;
}

long http_rest_auth(const struct srv *s, const char *method, const char *path,
		    const char *auth_header_value, const char *content_type, const char *body,
		    size_t body_len, char **resp, char **resp_headers)
{
	const char *headers[3] = { NULL };
	char *auth = NULL, *ct = NULL;
	size_t n = 0;
	long status;

	if (auth_header_value) {
		auth = malloc(strlen(auth_header_value) + 32);
		ck_assert_ptr_nonnull(auth);
		sprintf(auth, "Authorization: %s", auth_header_value);
		headers[n++] = auth;
	}
	if (content_type) {
		ct = malloc(strlen(content_type) + 32);
		ck_assert_ptr_nonnull(ct);
		sprintf(ct, "Content-Type: %s", content_type);
		headers[n++] = ct;
	} else {
		headers[n++] = "Content-Type:"; /* not even curl's form-urlencoded default */
	}
	status = http_rest_req(s, method, path, headers, body, body_len, resp, resp_headers);
	free(auth);
	free(ct);
	return status;
}

json_t *admin_json(const struct srv *s, const char *method, const char *path, const char *body,
		   long *status)
{
	char *resp = NULL;
	json_error_t jerr;
	json_t *j;
	long st = http_admin(s, method, path, body, &resp);

	if (status)
		*status = st;
	j = json_loads(resp, 0, &jerr);
	ck_assert_msg(j != NULL, "%s %s answered %ld with non-JSON: %s", method, path, st, resp);
	free(resp);
	return j;
}

int journal_count(const struct srv *s, const char *kind, const char *device,
		  const char *reason_part)
{
	char path[512];
	long status;
	json_t *j, *items, *it;
	size_t i;
	int n = 0;

	snprintf(path, sizeof(path), "/mock/v1/journal?limit=100000&kind=%s%s%s", kind,
		 device ? "&device=" : "", device ? device : "");
	j = admin_json(s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	items = json_object_get(j, "items");
	json_array_foreach(items, i, it) {
		const char *reason = json_string_value(json_object_get(it, "reason"));

		if (!reason_part || (reason && strstr(reason, reason_part)))
			n++;
	}
	json_decref(j);
	return n;
}

/* The journal is written in the same broker step that decides, but over another connection
 * than the one that answers: poll until it shows up, with a deadline. */
int journal_wait(const struct srv *s, const char *kind, const char *device,
		 const char *reason_part, int n)
{
	int64_t deadline = now_ms() + WAIT_MS;
	int got;
	struct timespec pause = { 0, 20 * 1000000 };

	while ((got = journal_count(s, kind, device, reason_part)) < n && now_ms() < deadline)
		nanosleep(&pause, NULL);
	return got;
}

/* ---- MQTT device ---- */

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct dev *d = ud;

	/* a refused device stays refused: no automatic reconnect by the loop thread */
	if (rc)
		mosquitto_disconnect(m);
	pthread_mutex_lock(&d->lock);
	d->connack = rc;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	struct dev *d = ud;

	(void)rc;
	mosquitto_disconnect(m);
	pthread_mutex_lock(&d->lock);
	d->disconnected = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted)
{
	struct dev *d = ud;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&d->lock);
	d->subacks++;
	d->last_granted = n > 0 ? granted[0] : -1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	struct dev *d = ud;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&d->lock);
	d->pubacks++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	struct dev *d = ud;
	struct msg *x = calloc(1, sizeof(*x));

	(void)m;
	if (!x)
		return;
	x->topic = strdup(msg->topic);
	x->payload = malloc((size_t)msg->payloadlen + 1);
	memcpy(x->payload, msg->payload, (size_t)msg->payloadlen);
	x->payload[msg->payloadlen] = '\0';
	x->len = msg->payloadlen;
	pthread_mutex_lock(&d->lock);
	if (d->msgs_tail)
		d->msgs_tail->next = x;
	else
		d->msgs = x;
	d->msgs_tail = x;
	d->n_msgs++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Waits (with the lock held) until *flag >= want, or the deadline; returns the final value. */
static int wait_for(struct dev *d, const int *flag, int want)
{
	struct timespec ts;
	int v;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&d->lock);
	while (*flag < want && (flag == &d->disconnected || !d->disconnected))
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) == ETIMEDOUT)
			break;
	v = *flag;
	pthread_mutex_unlock(&d->lock);
	return v;
}

int dev_connect(struct dev *d, const struct srv *s, const char *client_id, const char *crt,
		const char *key, const char *cafile)
{
	struct timespec ts;
	int rc;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->connack = -1;
	d->m = mosquitto_new(client_id, true, d);
	ck_assert_ptr_nonnull(d->m);
	mosquitto_int_option(d->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(d->m, on_connect);
	mosquitto_disconnect_callback_set(d->m, on_disconnect);
	mosquitto_subscribe_callback_set(d->m, on_subscribe);
	mosquitto_publish_callback_set(d->m, on_publish);
	mosquitto_message_callback_set(d->m, on_message);
	ck_assert_int_eq(mosquitto_tls_set(d->m, cafile ? cafile : s->ca, NULL, crt, key, NULL),
			 MOSQ_ERR_SUCCESS);
	mosquitto_tls_opts_set(d->m, 1, "tlsv1.2", NULL);
	rc = mosquitto_connect(d->m, "localhost", s->mqtt_port, 60);
	if (rc != MOSQ_ERR_SUCCESS)
		return -1;
	mosquitto_loop_start(d->m);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&d->lock);
	while (d->connack < 0 && !d->disconnected)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) == ETIMEDOUT)
			break;
	rc = d->connack;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int dev_subscribe(struct dev *d, const char *topic, int qos)
{
	int before = d->subacks;

	ck_assert_int_eq(mosquitto_subscribe(d->m, NULL, topic, qos), MOSQ_ERR_SUCCESS);
	if (wait_for(d, &d->subacks, before + 1) <= before)
		return -1;
	return d->last_granted;
}

int dev_publish(struct dev *d, const char *topic, const char *payload, int qos)
{
	int before = d->pubacks;

	if (mosquitto_publish(d->m, NULL, topic, (int)strlen(payload), payload, qos, false) !=
	    MOSQ_ERR_SUCCESS)
		return -1;
	return wait_for(d, &d->pubacks, before + 1) > before ? 0 : -1;
}

struct msg *dev_wait_message(struct dev *d, int n)
{
	struct msg *m;
	int i;

	if (wait_for(d, &d->n_msgs, n) < n)
		return NULL;
	pthread_mutex_lock(&d->lock);
	for (m = d->msgs, i = 1; m && i < n; m = m->next, i++)
		;
	pthread_mutex_unlock(&d->lock);
	return m;
}

int dev_wait_disconnect(struct dev *d)
{
	return wait_for(d, &d->disconnected, 1) >= 1;
}

void dev_close(struct dev *d)
{
	struct msg *m, *next;

	if (!d->m)
		return;
	mosquitto_disconnect(d->m);
	mosquitto_loop_stop(d->m, true);
	mosquitto_destroy(d->m);
	d->m = NULL;
	for (m = d->msgs; m; m = next) {
		next = m->next;
		free(m->topic);
		free(m->payload);
		free(m);
	}
	d->msgs = d->msgs_tail = NULL;
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
}

/* ---- added for test_fota ---- */

json_t *journal_items(const struct srv *s, const char *kind, const char *device)
{
	char path[512];
	long status;
	json_t *j, *items;

	snprintf(path, sizeof(path), "/mock/v1/journal?limit=100000&kind=%s%s%s", kind,
		 device ? "&device=" : "", device ? device : "");
	j = admin_json(s, "GET", path, NULL, &status);
	ck_assert_int_eq(status, 200);
	items = json_object_get(j, "items");
	ck_assert_msg(json_is_array(items), "journal answer has no items");
	json_incref(items);
	json_decref(j);
	return items;
}

int journal_count_topic(const struct srv *s, const char *kind, const char *device,
			const char *topic)
{
	json_t *items = journal_items(s, kind, device), *it;
	size_t i;
	int n = 0;

	json_array_foreach(items, i, it) {
		const char *t = json_string_value(json_object_get(it, "topic"));

		n += t && !strcmp(t, topic);
	}
	json_decref(items);
	return n;
}

int dev_connected(struct dev *d)
{
	int up;

	pthread_mutex_lock(&d->lock);
	up = d->connack == 0 && !d->disconnected;
	pthread_mutex_unlock(&d->lock);
	return up;
}

int dev_messages(struct dev *d)
{
	int n;

	pthread_mutex_lock(&d->lock);
	n = d->n_msgs;
	pthread_mutex_unlock(&d->lock);
	return n;
}

int run_suite(const char *suite, const struct suite_test *tests, size_t n, void (*setup)(void),
	      void (*teardown)(void), int timeout_s)
{
	Suite *su = suite_create(suite);
	SRunner *sr;
	size_t i;
	int failed;

	for (i = 0; i < n; i++) {
		TCase *tc = tcase_create(tests[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, timeout_s);
		tcase_add_test(tc, tests[i].t);
		suite_add_tcase(su, tc);
	}
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The suite suite_main runs; its setup and teardown run in each case's process. */
static const struct suite_def *current_suite;

static void suite_setup(void)
{
	if (current_suite->setup)
		current_suite->setup();
}

static void suite_teardown(void)
{
	size_t i;

	for (i = 0; i < sizeof(current_suite->servers) / sizeof(current_suite->servers[0]); i++)
		if (current_suite->servers[i])
			srv_cleanup(current_suite->servers[i]);
	if (current_suite->teardown)
		current_suite->teardown();
}

int suite_main(const struct suite_def *def, const struct suite_test *tests, size_t n)
{
	int rc;

	current_suite = def;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run_suite(def->name, tests, n, suite_setup, suite_teardown, def->timeout_s);
	curl_global_cleanup();
	return rc;
}

void suite_start(struct srv *s, const char *const *extra, char *api, size_t api_size)
{
	srv_start(s, extra);
	if (api)
		snprintf(api, api_size, "Bearer %s", s->api_key);
}

json_t *rest_json(const struct srv *s, const char *method, const char *path, const char *auth,
		  const char *body, long want)
{
	char *resp = NULL;
	long status = http_rest_auth(s, method, path, auth, body ? "application/json" : NULL, body,
				     body ? strlen(body) : 0, &resp, NULL);
	json_t *j = json_loads(resp ? resp : "", JSON_DECODE_ANY, NULL);

	ck_assert_msg(status == want && j, "%s %s: want %ld, got %ld %s", method, path, want,
		      status, resp);
	free(resp);
	return j;
}

void expect_nrf_error(const struct srv *s, const char *method, const char *path,
		      const char *auth, const char *ctype, const char *body, long status, int code,
		      const char *part)
{
	expect_nrf_error_n(s, method, path, auth, ctype, body, body ? strlen(body) : 0, status,
			   code, part);
}

void expect_nrf_error_n(const struct srv *s, const char *method, const char *path,
			const char *auth, const char *ctype, const char *body, size_t body_len,
			long status, int code, const char *part)
{
	char *resp = NULL;
	long got = http_rest_auth(s, method, path, auth, ctype, body, body_len, &resp, NULL);
	json_t *j = json_loads(resp, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	ck_assert_msg(got == status, "%s %s: want %ld, got %ld %s", method, path, status, got,
		      resp);
	ck_assert_msg(json_is_integer(json_object_get(j, "code")) && m, "%s %s: not an nRF "
		      "error: %s", method, path, resp);
	ck_assert_msg(json_integer_value(json_object_get(j, "code")) == code,
		      "%s %s: want code %d: %s", method, path, code, resp);
	ck_assert_msg(!part || strstr(m, part), "%s %s: message '%s' lacks '%s'", method, path, m,
		      part);
	json_decref(j);
	free(resp);
}

char *bearer_jwt(const char *key_pem, json_t *claims)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *k = NULL;
	char *tok = NULL, *out = NULL;

	ck_assert_int_eq(ncm_pki_key_from_pem(key_pem, strlen(key_pem), &k, NULL), 0);
	ck_assert_msg(ncm_jwt_sign_es256(claims, k, &tok, &err) == 0, "%s", err.msg);
	json_decref(claims);
	EVP_PKEY_free(k);
	ck_assert_int_ge(asprintf(&out, "Bearer %s", tok), 0);
	free(tok);
	return out;
}

char *fixture_device_jwt(const struct srv *s)
{
	char crt[PATH_MAX], key[PATH_MAX], *pem = NULL, *out;
	json_int_t now = (json_int_t)time(NULL);

	srv_device_files(s, FIXTURE_DEVICE, crt, key, sizeof(crt));
	ck_assert_msg(ncm_file_read(key, 1 << 20, &pem, NULL, NULL) == 0, "read %s", key);
	out = bearer_jwt(pem, json_pack("{s:s,s:I,s:I}", "sub", FIXTURE_DEVICE, "iat", now, "exp",
					now + 600));
	free(pem);
	return out;
}

void srv_lab_device(const struct srv *s, const char *dir, const char *id, char *crt, char *key,
		    size_t size)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	X509 *cert = NULL;
	EVP_PKEY *k = NULL;

	if (!dir)
		dir = s->dir;
	ck_assert_msg(ncm_ca_load(s->data, &ca, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ncm_ca_issue_device(&ca, id, time(NULL), &cert, &k, &err), 0);
	ck_assert_int_eq(ncm_ca_write_device(dir, id, cert, k, &err), 0);
	snprintf(crt, size, "%s/%s.crt", dir, id);
	snprintf(key, size, "%s/%s.key", dir, id);
	X509_free(cert);
	EVP_PKEY_free(k);
	ncm_ca_release(&ca);
}

/* ---- a ZIP writer: local file headers, central directory, end record ---- */

void growbuf_add(struct growbuf *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (len)
		memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void b_u16(struct growbuf *b, unsigned v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	growbuf_add(b, x, 2);
}

static void b_u32(struct growbuf *b, unsigned long v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	growbuf_add(b, x, 4);
}

#define DOS_DATE ((45u << 9) | (1u << 5) | 1u) /* 2025-01-01 */

void zip_add(struct zipw *z, const char *name, const void *data, size_t len, int deflated)
{
	unsigned long crc = crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
	size_t offset = z->out.n, clen = len, nlen = strlen(name);
	unsigned char *comp = NULL;
	const void *payload = data;
	unsigned method = 0;

	if (deflated) {
		z_stream zs;

		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(deflateInit2(&zs, z->fast ? Z_BEST_SPEED : Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8,
					      Z_DEFAULT_STRATEGY),
				 Z_OK);
		clen = deflateBound(&zs, (uLong)len);
		comp = malloc(clen);
		zs.next_in = (Bytef *)data;
		zs.avail_in = (uInt)len;
		zs.next_out = comp;
		zs.avail_out = (uInt)clen;
		ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
		clen = zs.total_out;
		deflateEnd(&zs);
		payload = comp;
		method = 8;
	}
	/* local file header */
	b_u32(&z->out, 0x04034b50);
	b_u16(&z->out, 20);
	b_u16(&z->out, z->streamed ? 8 : 0);
	b_u16(&z->out, method);
	b_u16(&z->out, 0);
	b_u16(&z->out, DOS_DATE);
	b_u32(&z->out, z->streamed ? 0 : crc);
	b_u32(&z->out, z->streamed ? 0 : (unsigned long)clen);
	b_u32(&z->out, z->streamed ? 0 : (unsigned long)len);
	b_u16(&z->out, (unsigned)nlen);
	b_u16(&z->out, 0);
	growbuf_add(&z->out, name, nlen);
	growbuf_add(&z->out, payload, clen);
	if (z->streamed) {
		b_u32(&z->out, 0x08074b50);
		b_u32(&z->out, crc);
		b_u32(&z->out, (unsigned long)clen);
		b_u32(&z->out, (unsigned long)len);
	}
	/* its central directory record */
	b_u32(&z->cd, 0x02014b50);
	b_u16(&z->cd, 20);
	b_u16(&z->cd, 20);
	b_u16(&z->cd, z->streamed ? 8 : 0);
	b_u16(&z->cd, method);
	b_u16(&z->cd, 0);
	b_u16(&z->cd, DOS_DATE);
	b_u32(&z->cd, crc);
	b_u32(&z->cd, (unsigned long)clen);
	b_u32(&z->cd, (unsigned long)len);
	b_u16(&z->cd, (unsigned)nlen);
	b_u16(&z->cd, 0);
	b_u16(&z->cd, 0);
	b_u16(&z->cd, 0);
	b_u16(&z->cd, 0);
	b_u32(&z->cd, 0);
	b_u32(&z->cd, (unsigned long)offset);
	growbuf_add(&z->cd, name, nlen);
	z->entries++;
	free(comp);
}

unsigned char *zip_finish(struct zipw *z, size_t *len)
{
	size_t cd_offset = z->out.n;

	growbuf_add(&z->out, z->cd.p, z->cd.n);
	b_u32(&z->out, 0x06054b50);
	b_u16(&z->out, 0);
	b_u16(&z->out, 0);
	b_u16(&z->out, z->entries);
	b_u16(&z->out, z->entries);
	b_u32(&z->out, (unsigned long)z->cd.n);
	b_u32(&z->out, (unsigned long)cd_offset);
	b_u16(&z->out, 0);
	free(z->cd.p);
	*len = z->out.n;
	return z->out.p;
}

/* ---- the CLI: one command run to completion ---- */

static void read_all(int fd, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
}

int cli_run(const char *dir, const char *data, const char *const *args, char *out,
	    size_t out_size, char *err, size_t err_size)
{
	const char *argv[64];
	char outp[PATH_MAX], errp[PATH_MAX];
	size_t n = 0;
	int st, fo, fe;
	pid_t pid;

	argv[n++] = getenv("NCM_BIN");
	while (*args) {
		ck_assert_uint_lt(n, sizeof(argv) / sizeof(argv[0]) - 3);
		argv[n++] = *args++;
	}
	argv[n++] = "--data";
	argv[n++] = data;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	fo = open(outp, O_RDONLY);
	fe = open(errp, O_RDONLY);
	read_all(fo, out, out_size);
	read_all(fe, err, err_size);
	close(fo);
	close(fe);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
