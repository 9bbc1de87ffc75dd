/* SPDX-License-Identifier: MIT
 * cmd_replay.c: `nrfcloud-mock replay FILE` (issue: test control): plays the device side of a
 * recording (serve --record, or GET /mock/v1/journal as JSON Lines) against a running server.
 * Each recorded device connects over mutual TLS (its files in --certs or <data>/devices, else a
 * certificate issued now by the lab CA in --data), repeats its recorded subscribes and publishes
 * with the recorded timing scaled by --speed, and collects what the server sends it. With
 * --check, what it got is compared with what the recording says the server sent on topics the
 * device had subscribed, ignoring fields that change from run to run; each mismatch is printed
 * with its topic and the exit status is 1. The device's REST calls (recorded with its device
 * JWT) are made again in their place in time with a JWT replay signs with the device's key,
 * and --check compares their status and JSON answer the same way. --import-messages turns
 * nRF Cloud's GET /v1/messages output into a recording instead (replay_import.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mosquitto.h>
#include <openssl/evp.h>

#include <curl/curl.h>

#include "ca.h"
#include "cli.h"
#include "db.h"
#include "devid.h"
#include "file.h"
#include "replay.h"
#include "team.h"
#include "topic.h"

#define MAX_DEVICES 10000
#define QUIET_MS 3000
#define CONNECT_TIMEOUT_MS 20000

struct payload {
	char *data;
	size_t len;
};

struct step {
	int64_t ts;
	size_t order;
	int subscribe;            /* 1: SUBSCRIBE topic, 0: PUBLISH topic payload */
	int rest;                 /* 1: a REST call: method topic (path and query) with body p */
	int qos;
	char *topic;
	struct payload p;
	struct rdev *dev;
	char method[16];          /* REST */
	long want_status;         /* REST: the recorded status */
	char *want_answer;        /* REST: the recorded JSON answer, or NULL */
};

struct msg {
	char *topic;
	struct payload p;
	int matched;
};

struct rdev {
	char id[NCM_DEVID_MAX + 1];
	char crt[PATH_MAX], key[PATH_MAX];
	struct mosquitto *m;
	json_t *subs;             /* topic filters recorded so far (while reading) */
	json_t *live;             /* those of its recorded connection at this point (while
				   * reading): what the server sent it on them, it received */
	struct msg *expected, *received;
	size_t n_expected, n_received, cap_expected, cap_received;
	int connack;              /* -1 until CONNACK */
	int issued;               /* crt and key were issued into the temporary folder */
	int keepalive;            /* as recorded in its first mqtt.connect */
	int clean;
	struct ncm_replay_http http;
};

struct replay {
	struct rdev *devs;
	size_t n_devs;
	struct step *steps;
	size_t n_steps, cap_steps;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t received;          /* all devices */
	size_t pending;           /* subscribes and publishes not acknowledged yet */
};

#define fail(...) ncm_cli_fail("replay", __VA_ARGS__)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 16) * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

/* A record's payload: text, or base64 when "binary" is true. */
static int record_payload(const json_t *rec, struct payload *out)
{
	const char *text = json_string_value(json_object_get(rec, "payload"));
	size_t n = text ? strlen(text) : 0;
	int got;

	out->data = NULL;
	out->len = 0;
	if (!text)
		return 0;
	if (!json_is_true(json_object_get(rec, "binary"))) {
		out->data = strndup(text, n);
		out->len = n;
		return out->data ? 0 : -1;
	}
	if (n % 4)
		return -1;
	out->data = malloc(n / 4 * 3 + 1);
	if (!out->data)
		return -1;
	got = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)text, (int)n);
	if (got < 0)
		return -1;
	out->len = (size_t)got - (n && text[n - 1] == '=') - (n > 1 && text[n - 2] == '=');
	return 0;
}

static struct rdev *device(struct replay *r, const char *id, const char *only)
{
	size_t i, len = strlen(id);
	const char *p;

	if (only && *only) {
		for (p = only; (p = strstr(p, id)); p += len)
			if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
				break;
		if (!p)
			return NULL;
	}
	for (i = 0; i < r->n_devs; i++)
		if (!strcmp(r->devs[i].id, id))
			return &r->devs[i];
	if (r->n_devs == MAX_DEVICES || ncm_devid_check(id, NULL))
		return NULL;
	snprintf(r->devs[r->n_devs].id, sizeof(r->devs[0].id), "%s", id);
	r->devs[r->n_devs].subs = json_array();
	r->devs[r->n_devs].live = json_array();
	r->devs[r->n_devs].connack = -1;
	r->devs[r->n_devs].keepalive = -1;
	r->devs[r->n_devs].clean = 1;
	return &r->devs[r->n_devs++];
}

static int subscribed(const struct rdev *d, const char *topic)
{
	size_t i;
	json_t *f;

	json_array_foreach(d->live, i, f)
		if (ncm_topic_matches(json_string_value(f), topic))
			return 1;
	return 0;
}

/* 1 when the device already subscribed to exactly this filter. */
static int subscribed_exactly(const struct rdev *d, const char *filter)
{
	size_t i;
	json_t *f;

	json_array_foreach(d->subs, i, f)
		if (!strcmp(json_string_value(f), filter))
			return 1;
	return 0;
}

/* A device's REST call (one it made with its own JWT) as a step, with what it was answered. */
static int load_rest(struct replay *r, const json_t *rec, const char *id, const char *only,
		     const char *path, size_t lineno)
{
	json_t *details = json_loads(json_string_value(json_object_get(rec, "payload")) ?: "", 0,
				     NULL);
	const json_t *body = json_object_get(details, "request");
	const json_t *answer = json_object_get(details, "response");
	char target[4096];
	struct rdev *d;
	struct step *s;
	int rc = 0;

	if (!details || strcmp(json_string_value(json_object_get(details, "auth")) ?: "",
			       "device JWT") || !(d = device(r, id, only)))
		goto out;
	if (grow((void **)&r->steps, &r->cap_steps, r->n_steps, sizeof(struct step))) {
		rc = fail(1, "out of memory");
		goto out;
	}
	s = &r->steps[r->n_steps];
	memset(s, 0, sizeof(*s));
	if (ncm_replay_http_target(rec, details, s->method, sizeof(s->method), target,
				   sizeof(target))) {
		rc = fail(2, "%s:%zu: not a REST request record", path, lineno);
		goto out;
	}
	r->n_steps++;
	s->rest = 1;
	s->ts = json_integer_value(json_object_get(rec, "ts"));
	s->order = r->n_steps;
	s->dev = d;
	s->topic = strdup(target);
	s->want_status = (long)json_integer_value(json_object_get(rec, "status"));
	if (json_is_string(body))
		s->p.data = strdup(json_string_value(body));
	else if (body)
		s->p.data = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	s->p.len = s->p.data ? strlen(s->p.data) : 0;
	if (answer)
		s->want_answer = json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
out:
	json_decref(details);
	return rc;
}

/* Reads the recording: device subscribes and publishes become steps; what the server sent to
 * a device on a topic it had subscribed becomes what --check expects. */
static int load(struct replay *r, const char *path, const char *only)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f)
		return fail(2, "cannot read %s: %s", path, strerror(errno));
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		json_t *rec;
		const char *kind, *id, *topic;
		struct rdev *d;

		lineno++;
		if (len <= 1)
			continue;
		rec = json_loads(line, 0, NULL);
		kind = json_string_value(json_object_get(rec, "kind"));
		id = json_string_value(json_object_get(rec, "device"));
		topic = json_string_value(json_object_get(rec, "topic"));
		if (!rec || !kind) {
			rc = fail(2, "%s:%zu: not a journal record", path, lineno);
		} else if (id && !strcmp(kind, "mqtt.connect") && (d = device(r, id, only)) &&
			   d->keepalive < 0) {
			/* the connection as the device made it: the shadow reports its keepalive */
			json_t *who = json_loads(json_string_value(json_object_get(rec, "payload"))
						 ?: "", 0, NULL);

			d->keepalive = (int)json_integer_value(json_object_get(who, "keepalive"));
			d->clean = !json_is_false(json_object_get(who, "cleanSession"));
			json_decref(who);
		} else if (id && !strcmp(kind, "mqtt.disconnect") && (d = device(r, id, only)) &&
			   d->clean) {
			/* a clean session's subscriptions end with its connection: what the server
			 * sends until the device is back, it never gets */
			json_array_clear(d->live);
		} else if (id && topic && !strcmp(kind, "http.request")) {
			rc = load_rest(r, rec, id, only, path, lineno);
		} else if (!id || !topic || (strcmp(kind, "mqtt.subscribe") &&
					     strcmp(kind, "mqtt.publish") &&
					     strcmp(kind, "mqtt.send"))) {
			/* other records: nothing a device does */
		} else if (!(d = device(r, id, only))) {
			/* not replayed */
		} else if (!strcmp(kind, "mqtt.send")) {
			if (subscribed(d, topic)) {
				struct msg *m;

				if (grow((void **)&d->expected, &d->cap_expected, d->n_expected,
					 sizeof(*m))) {
					rc = fail(1, "out of memory");
				} else {
					m = &d->expected[d->n_expected];
					memset(m, 0, sizeof(*m));
					m->topic = strdup(topic);
					if (record_payload(rec, &m->p))
						rc = fail(2, "%s:%zu: bad payload", path, lineno);
					d->n_expected++;
				}
			}
		} else if (!strcmp(kind, "mqtt.subscribe") && subscribed_exactly(d, topic)) {
			/* one replayed connection holds the subscriptions of all the recorded ones:
			 * a filter a reconnected device subscribed again is already there */
			if (!subscribed(d, topic))
				json_array_append_new(d->live, json_string(topic));
		} else if (grow((void **)&r->steps, &r->cap_steps, r->n_steps, sizeof(struct step))) {
			rc = fail(1, "out of memory");
		} else {
			struct step *s = &r->steps[r->n_steps++];

			memset(s, 0, sizeof(*s));
			s->ts = json_integer_value(json_object_get(rec, "ts"));
			s->order = r->n_steps;
			s->dev = d;
			s->topic = strdup(topic);
			s->qos = (int)json_integer_value(json_object_get(rec, "status"));
			s->qos = s->qos < 0 || s->qos > 1 ? 1 : s->qos;
			s->subscribe = !strcmp(kind, "mqtt.subscribe");
			if (s->subscribe) {
				json_array_append_new(d->subs, json_string(topic));
				json_array_append_new(d->live, json_string(topic));
			}
			else if (record_payload(rec, &s->p))
				rc = fail(2, "%s:%zu: bad payload", path, lineno);
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Files for a device: --certs DIR, else <data>/devices, else issued now into tmp. */
static int credentials(struct rdev *d, const char *certs, const char *data,
		       const struct ncm_ca *ca, const char *tmp)
{
	struct ncm_err_info err = { 0 };
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	const char *dirs[2] = { certs, NULL };
	char devdir[PATH_MAX];
	size_t i;
	int rc;

	if (!ncm_path(devdir, sizeof(devdir), "%s/devices", data))
		dirs[1] = devdir;
	for (i = 0; i < 2; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		if (ncm_path(d->crt, sizeof(d->crt), "%s/%s.crt", dirs[i], d->id) ||
		    ncm_path(d->key, sizeof(d->key), "%s/%s.key", dirs[i], d->id))
			continue;
		if (!access(d->crt, R_OK) && !access(d->key, R_OK))
			return 0;
	}
	if (!ca)
		return fail(2, "%s: no %s.crt and .key in --certs and no lab CA to issue them",
			    d->id, d->id);
	rc = ncm_ca_issue_device(ca, d->id, time(NULL), &cert, &key, &err);
	if (!rc)
		rc = ncm_ca_write_device(tmp, d->id, cert, key, &err);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (rc)
		return fail(1, "%s: %s", d->id, err.msg);
	d->issued = 1;
	if (ncm_path(d->crt, sizeof(d->crt), "%s/%s.crt", tmp, d->id) ||
	    ncm_path(d->key, sizeof(d->key), "%s/%s.key", tmp, d->id))
		return fail(1, "path too long");
	return 0;
}

static void remove_issued(const struct replay *r, const char *tmp)
{
	size_t i;

	for (i = 0; i < r->n_devs; i++) {
		if (!r->devs[i].issued)
			continue;
		unlink(r->devs[i].crt);
		unlink(r->devs[i].key);
	}
	rmdir(tmp);
}

static struct replay *the_replay;

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct rdev *d = obj;

	(void)m;
	pthread_mutex_lock(&the_replay->lock);
	d->connack = rc;
	pthread_cond_broadcast(&the_replay->cond);
	pthread_mutex_unlock(&the_replay->lock);
}

static void acked(void)
{
	pthread_mutex_lock(&the_replay->lock);
	if (the_replay->pending)
		the_replay->pending--;
	pthread_cond_broadcast(&the_replay->cond);
	pthread_mutex_unlock(&the_replay->lock);
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m;
	(void)obj;
	(void)mid;
	acked();
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	(void)m;
	(void)obj;
	(void)mid;
	(void)n;
	(void)granted;
	acked();
}

/* Waits until the server acknowledged every subscribe and publish. */
static int wait_acked(struct replay *r)
{
	struct timespec until;
	size_t left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CONNECT_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (r->pending &&
	       pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
		;
	left = r->pending;
	pthread_mutex_unlock(&r->lock);
	return left ? fail(1, "%zu subscribes or publishes were not acknowledged", left) : 0;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct rdev *d = obj;
	struct msg *x;

	(void)m;
	pthread_mutex_lock(&the_replay->lock);
	if (!grow((void **)&d->received, &d->cap_received, d->n_received, sizeof(*x))) {
		x = &d->received[d->n_received++];
		memset(x, 0, sizeof(*x));
		x->topic = strdup(msg->topic);
		x->p.data = malloc((size_t)msg->payloadlen + 1);
		if (x->p.data) {
			memcpy(x->p.data, msg->payload, (size_t)msg->payloadlen);
			x->p.data[msg->payloadlen] = '\0';
			x->p.len = (size_t)msg->payloadlen;
		}
		the_replay->received++;
	}
	pthread_cond_broadcast(&the_replay->cond);
	pthread_mutex_unlock(&the_replay->lock);
}

/* 1 when t is a UUID (8-4-4-4-12 hex digits): a job ID where a job document is an array
 * (docs/fota.md#job-document), or any other generated ID. */
static int is_uuid(const char *t)
{
	size_t i;

	if (strlen(t) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? t[i] != '-'
							     : !strchr("0123456789abcdefABCDEF", t[i]))
			return 0;
	return 1;
}

/* "firmware.nrfcloud.lab:41913" -> "firmware.nrfcloud.lab": a server on another port gives
 * the same host name (job documents, P-GPS answers); UUIDs become "<uuid>". 1 when v is a
 * string (changed or not). */
static int normalize_string(json_t *v)
{
	const char *t = json_string_value(v), *colon;

	if (!t)
		return 0;
	if (is_uuid(t)) {
		json_string_set(v, "<uuid>");
		return 1;
	}
	colon = strrchr(t, ':');
	if (colon && colon > t && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789.-") == (size_t)(colon - t) &&
	    memchr(t, '.', (size_t)(colon - t)))
		json_string_setn(v, t, (size_t)(colon - t));
	return 1;
}

/* Drops what legitimately differs between runs: times, versions, tokens, job and request IDs
 * (the shadow's metadata is all timestamps), and the server's ports and generated UUIDs. */
static void normalize(json_t *j)
{
	static const char *const volatile_keys[] = {
		"timestamp", "version", "clientToken", "metadata", "ts", "jobId", "requestId",
		"token", "executionId", "connectedAt", "lastConnect", "lastDisconnect",
		"createdAt", "lastUpdatedAt", "updatedAt", "insertedAt", "receivedAt",
	};
	const char *key;
	json_t *v;
	size_t i;
	void *tmp;

	if (json_is_object(j)) {
		for (i = 0; i < sizeof(volatile_keys) / sizeof(volatile_keys[0]); i++)
			json_object_del(j, volatile_keys[i]);
		json_object_foreach_safe(j, tmp, key, v)
			if (!normalize_string(v))
				normalize(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!normalize_string(v))
				normalize(v);
	}
}

static int same(const struct payload *a, const struct payload *b)
{
	json_t *ja = json_loadb(a->data ? a->data : "", a->len, 0, NULL);
	json_t *jb = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	int eq;

	if (ja && jb) {
		normalize(ja);
		normalize(jb);
		eq = json_equal(ja, jb);
	} else {
		eq = a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
	}
	json_decref(ja);
	json_decref(jb);
	return eq;
}

/* Prints each expected message nothing matched, with what came on its topic instead. */
static size_t check(struct replay *r)
{
	size_t i, k, e, mismatches = 0;

	for (i = 0; i < r->n_devs; i++) {
		struct rdev *d = &r->devs[i];

		for (e = 0; e < d->n_expected; e++) {
			struct msg *x = &d->expected[e];

			for (k = 0; k < d->n_received; k++) {
				struct msg *got = &d->received[k];

				if (!got->matched && !strcmp(got->topic, x->topic) &&
				    same(&x->p, &got->p)) {
					got->matched = x->matched = 1;
					break;
				}
			}
		}
		for (e = 0; e < d->n_expected; e++) {
			struct msg *x = &d->expected[e];

			if (x->matched)
				continue;
			mismatches++;
			printf("MISMATCH %s %s\n  - expected: %.*s\n", d->id, x->topic,
			       (int)(x->p.len > 2000 ? 2000 : x->p.len), x->p.data ? x->p.data : "");
			for (k = 0; k < d->n_received; k++)
				if (!d->received[k].matched && !strcmp(d->received[k].topic, x->topic))
					printf("  + got:      %.*s\n",
					       (int)(d->received[k].p.len > 2000 ? 2000
										  : d->received[k].p.len),
					       d->received[k].p.data ? d->received[k].p.data : "");
		}
		for (k = 0; k < d->n_received; k++) {
			struct msg *got = &d->received[k];
			int reported = 0;

			for (e = 0; e < d->n_expected; e++)
				reported |= !d->expected[e].matched &&
					    !strcmp(d->expected[e].topic, got->topic);
			if (got->matched || reported)
				continue;
			mismatches++;
			printf("UNEXPECTED %s %s\n  + got: %.*s\n", d->id, got->topic,
			       (int)(got->p.len > 2000 ? 2000 : got->p.len),
			       got->p.data ? got->p.data : "");
		}
	}
	return mismatches;
}

static int cmp_steps(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Waits until every device has what the recording says it got, or nothing came for
 * QUIET_MS. */
static void wait_quiet(struct replay *r, size_t want)
{
	struct timespec until;
	size_t last = (size_t)-1;

	pthread_mutex_lock(&r->lock);
	while (r->received < want && r->received != last) {
		last = r->received;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += QUIET_MS / 1000;
		while (r->received == last && r->received < want &&
		       pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&r->lock);
}

static int connect_all(struct replay *r, const char *server, int port, const char *cafile)
{
	struct timespec until;
	size_t i, done;
	int rc = 0;

	for (i = 0; i < r->n_devs && !rc; i++) {
		struct rdev *d = &r->devs[i];

		d->m = mosquitto_new(d->id, d->clean, d);
		if (!d->m)
			return fail(1, "out of memory");
		mosquitto_int_option(d->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_connect_callback_set(d->m, on_connect);
		mosquitto_message_callback_set(d->m, on_message);
		mosquitto_publish_callback_set(d->m, on_publish);
		mosquitto_subscribe_callback_set(d->m, on_subscribe);
		if (mosquitto_tls_set(d->m, cafile, NULL, d->crt, d->key, NULL) ||
		    mosquitto_tls_opts_set(d->m, 1, "tlsv1.2", NULL) ||
		    mosquitto_loop_start(d->m) ||
		    mosquitto_connect_async(d->m, server, port,
					    d->keepalive >= 5 ? d->keepalive : 1200))
			rc = fail(1, "%s: cannot connect to %s:%d", d->id, server, port);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CONNECT_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		for (i = done = 0; i < r->n_devs; i++)
			done += r->devs[i].connack >= 0;
		if (done == r->n_devs || rc ||
		    pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
			break;
	}
	for (i = 0; i < r->n_devs && !rc; i++)
		if (r->devs[i].connack != 0)
			rc = fail(1, "%s: %s", r->devs[i].id,
				  r->devs[i].connack < 0 ? "no CONNACK (TLS refused, or no server)"
							 : "CONNECT refused");
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void release(struct replay *r)
{
	size_t i, k;

	for (i = 0; i < r->n_devs; i++) {
		struct rdev *d = &r->devs[i];

		if (d->m) {
			mosquitto_disconnect(d->m);
			mosquitto_loop_stop(d->m, true);
			mosquitto_destroy(d->m);
		}
		for (k = 0; k < d->n_expected; k++) {
			free(d->expected[k].topic);
			free(d->expected[k].p.data);
		}
		for (k = 0; k < d->n_received; k++) {
			free(d->received[k].topic);
			free(d->received[k].p.data);
		}
		free(d->expected);
		free(d->received);
		json_decref(d->subs);
		json_decref(d->live);
		ncm_replay_http_close(&d->http);
	}
	for (i = 0; i < r->n_steps; i++) {
		free(r->steps[i].topic);
		free(r->steps[i].p.data);
		free(r->steps[i].want_answer);
	}
	free(r->steps);
	free(r->devs);
}

/* Makes a REST step again; with check, compares its status and JSON answer with the
 * recording. Returns 1 for a mismatch (printed), 0 otherwise. */
static int rest_step(struct step *s, int check_it)
{
	struct payload want = { s->want_answer, s->want_answer ? strlen(s->want_answer) : 0 };
	struct payload got = { NULL, 0 };
	char err[600];
	long status = 0;
	int differs;

	if (ncm_replay_http_call(&s->dev->http, s->method, s->topic, s->p.data, &status, &got.data,
				 err, sizeof(err))) {
		printf("MISMATCH %s %s %s\n  - expected: %ld\n  + got:      no answer: %s\n",
		       s->dev->id, s->method, s->topic, s->want_status, err);
		return 1;
	}
	got.len = strlen(got.data);
	differs = check_it && (status != s->want_status || (want.data && !same(&want, &got)));
	if (differs)
		printf("MISMATCH %s %s %s\n  - expected: %ld %.*s\n  + got:      %ld %.*s\n",
		       s->dev->id, s->method, s->topic, s->want_status,
		       (int)(want.len > 2000 ? 2000 : want.len), want.data ? want.data : "", status,
		       (int)(got.len > 2000 ? 2000 : got.len), got.data);
	free(got.data);
	return differs;
}

/* --import-messages: the recording goes to out_path (or standard output). The topics get the
 * team's prefix from <data>/state.db when there is one, else --prefix, else stay as they are. */
static int import_messages(const char *in_path, const char *out_path, const char *prefix,
			   const struct ncm_config *cfg)
{
	struct ncm_err_info e = { 0 };
	char db_path[PATH_MAX], team_prefix[256] = "", err[512], *text = NULL;
	struct ncm_team team;
	struct ncm_db *db = NULL;
	FILE *out = stdout;
	size_t len = 0;
	long n;

	if (ncm_file_read(in_path, 256 << 20, &text, &len, &e))
		return fail(2, "%s: %s", in_path, e.msg);
	if (!prefix[0] && !ncm_config_db_path(cfg, db_path, sizeof(db_path)) &&
	    !access(db_path, R_OK) && !ncm_db_open(db_path, &db, &e) &&
	    !ncm_store_team_get(db, &team, &e))
		ncm_team_prefix(&team, team_prefix, sizeof(team_prefix));
	ncm_db_close(db);
	if (out_path[0] && !(out = fopen(out_path, "w"))) {
		free(text);
		return fail(1, "cannot write %s: %s", out_path, strerror(errno));
	}
	n = ncm_replay_import_messages(text, len, prefix[0] ? prefix : team_prefix[0] ? team_prefix
										 : NULL,
				       out, err, sizeof(err));
	free(text);
	if (out != stdout && fclose(out))
		n = -1, snprintf(err, sizeof(err), "cannot write %s", out_path);
	if (n < 0)
		return fail(2, "%s: %s", in_path, err);
	fprintf(stderr, "replay: %ld messages imported from %s\n", n, in_path);
	return 0;
}

static void usage(const struct ncm_opt *opts, size_t n)
{
	printf("usage: nrfcloud-mock replay FILE [flags]\n\n"
	       "Plays the device side of a recording (serve --record, or the JSON Lines journal)\n"
	       "against a running server: its subscribes, publishes and REST calls.\n"
	       "nrfcloud-mock replay --import-messages MESSAGES.json [--out FILE] [--prefix P]\n"
	       "writes nRF Cloud's GET /v1/messages answer as such a recording.\n\nflags:\n");
	ncm_opts_usage(opts, n);
}

int ncm_cmd_replay(int argc, char **argv)
{
	struct ncm_config cfg;
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	struct replay r = { 0 };
	struct ncm_opt all[32];
	const struct ncm_opt *opts;
	char server[256] = "127.0.0.1", certs[PATH_MAX] = "", speed[32] = "1", only[4096] = "";
	char import_path[PATH_MAX] = "", out_path[PATH_MAX] = "", prefix[256] = "";
	char tmp[] = "/tmp/ncm-replay-XXXXXX", cafile[PATH_MAX];
	char *pos[NCM_MAX_POSITIONAL];
	int port = 8883, https_port = 8443, do_check = 0, help, rc, have_ca = 0, have_tmp = 0;
	size_t n, n_pos, i, want = 0, published = 0, mismatches = 0, calls = 0;
	double factor = 1;
	int64_t t0, start_ts;

	ncm_config_defaults(&cfg);
	opts = ncm_cli_config_opts(&cfg, 0, &n);
	memcpy(all, opts, n * sizeof(*opts));
	all[n++] = (struct ncm_opt){ "server", NCM_OPT_STR, server, sizeof(server), "HOST",
				     "the server's address (127.0.0.1)" };
	all[n++] = (struct ncm_opt){ "mqtt-port", NCM_OPT_INT, &port, 0, "N", "MQTT TLS port" };
	all[n++] = (struct ncm_opt){ "https-port", NCM_OPT_INT, &https_port, 0, "N",
				     "HTTPS port of the REST API" };
	all[n++] = (struct ncm_opt){ "certs", NCM_OPT_STR, certs, sizeof(certs), "DIR",
				     "device <id>.crt and <id>.key, and ca.pem" };
	all[n++] = (struct ncm_opt){ "speed", NCM_OPT_STR, speed, sizeof(speed), "X|max",
				     "time scale: 2 plays twice as fast; max does not wait" };
	all[n++] = (struct ncm_opt){ "check", NCM_OPT_BOOL, &do_check, 0, NULL,
				     "compare what the server sends with the recording" };
	all[n++] = (struct ncm_opt){ "devices", NCM_OPT_STR, only, sizeof(only), "ID,...",
				     "replay these devices only" };
	all[n++] = (struct ncm_opt){ "import-messages", NCM_OPT_STR, import_path,
				     sizeof(import_path), "FILE",
				     "write GET /v1/messages output as a recording instead" };
	all[n++] = (struct ncm_opt){ "out", NCM_OPT_STR, out_path, sizeof(out_path), "FILE",
				     "where --import-messages writes (standard output)" };
	all[n++] = (struct ncm_opt){ "prefix", NCM_OPT_STR, prefix, sizeof(prefix), "P",
				     "topic prefix for imported messages (the team's)" };
	rc = ncm_opts_parse("replay", all, n, argc, argv, pos, &n_pos, &help);
	if (rc)
		return rc;
	if (help) {
		usage(all, n);
		return 0;
	}
	if (ncm_config_finish(&cfg, &err))
		return fail(2, "%s", err.msg);
	if (import_path[0]) {
		if (n_pos)
			return fail(2, "--import-messages takes no recording FILE");
		return import_messages(import_path, out_path, prefix, &cfg);
	}
	if (n_pos != 1)
		return fail(2, "expected one recording FILE; see 'nrfcloud-mock replay --help'");
	if (strcmp(speed, "max")) {
		char *end;

		factor = strtod(speed, &end);
		if (*end || !(factor > 0))
			return fail(2, "--speed must be a positive number or max");
	} else {
		factor = 0;
	}
	r.devs = calloc(MAX_DEVICES, sizeof(*r.devs));
	if (!r.devs)
		return fail(1, "out of memory");
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	the_replay = &r;
	rc = load(&r, pos[0], only);
	if (!rc && !r.n_devs)
		rc = fail(2, "%s: no device traffic to replay", pos[0]);
	if (!rc && ncm_ca_load(cfg.data_dir, &ca, &err) == NCM_OK)
		have_ca = 1;
	if (!rc && !mkdtemp(tmp))
		rc = fail(1, "cannot make a temporary folder: %s", strerror(errno));
	else if (!rc)
		have_tmp = 1;
	for (i = 0; i < r.n_devs && !rc; i++) {
		if (!have_ca && !certs[0])
			rc = fail(2, "no lab CA in %s/ca and no --certs", cfg.data_dir);
		else
			rc = credentials(&r.devs[i], certs, cfg.data_dir, have_ca ? &ca : NULL,
					 tmp);
	}
	if (!rc && ((certs[0] && ncm_path(cafile, sizeof(cafile), "%s/ca.pem", certs)) ||
		    (!certs[0] && ncm_path(cafile, sizeof(cafile), "%s/ca/ca.pem", cfg.data_dir))))
		rc = fail(2, "path too long");
	for (i = 0; i < r.n_devs && !rc; i++) {
		struct ncm_replay_http *h = &r.devs[i].http;

		snprintf(h->base, sizeof(h->base), "https://%s:%d", server, https_port);
		h->cafile = cafile;
		snprintf(h->key_path, sizeof(h->key_path), "%s", r.devs[i].key);
		snprintf(h->device_id, sizeof(h->device_id), "%s", r.devs[i].id);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mosquitto_lib_init();
	t0 = now_ms();
	if (!rc)
		rc = connect_all(&r, server, port, cafile);
	if (r.n_steps)
		qsort(r.steps, r.n_steps, sizeof(*r.steps), cmp_steps);
	start_ts = r.n_steps ? r.steps[0].ts : 0;
	for (i = 0; i < r.n_steps && !rc; i++) {
		struct step *s = &r.steps[i];
		int64_t due = t0 + (factor > 0 ? (int64_t)((double)(s->ts - start_ts) / factor) : 0);

		if (factor > 0 && due > now_ms())
			sleep_ms(due - now_ms());
		if (s->rest) {
			/* in order with the device's MQTT traffic: what it published so far is
			 * acknowledged first, as the device waits for its PUBACKs */
			rc = wait_acked(&r);
			if (!rc)
				mismatches += (size_t)rest_step(s, do_check);
			calls++;
			continue;
		}
		pthread_mutex_lock(&r.lock);
		r.pending++;
		pthread_mutex_unlock(&r.lock);
		if (s->subscribe)
			rc = mosquitto_subscribe(s->dev->m, NULL, s->topic, s->qos);
		else
			rc = mosquitto_publish(s->dev->m, NULL, s->topic, (int)s->p.len, s->p.data,
					       s->qos, false);
		if (rc)
			rc = fail(1, "%s: %s on %s failed: %s", s->dev->id,
				  s->subscribe ? "subscribe" : "publish", s->topic,
				  mosquitto_strerror(rc));
		published += !s->subscribe;
	}
	for (i = 0; i < r.n_devs; i++)
		want += r.devs[i].n_expected;
	if (!rc)
		rc = wait_acked(&r);
	if (!rc)
		wait_quiet(&r, want);
	if (!rc && do_check)
		mismatches += check(&r);
	if (!rc) {
		int64_t ms = now_ms() - t0;

		printf("replay: %zu devices, %zu messages published, %zu received (%zu recorded), "
		       "%zu REST calls, %zu mismatches, %lld ms, %.0f messages/s\n", r.n_devs,
		       published, r.received, want, calls, mismatches, (long long)ms,
		       ms > 0 ? (double)(published + r.received) * 1000.0 / (double)ms : 0.0);
		rc = mismatches ? 1 : 0;
	}
	if (have_tmp)
		remove_issued(&r, tmp);
	release(&r);
	mosquitto_lib_cleanup();
	curl_global_cleanup();
	if (have_ca)
		ncm_ca_release(&ca);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	return rc;
}
