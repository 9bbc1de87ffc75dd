/* SPDX-License-Identifier: MIT
 * replay_mqtt.c: the replayed devices' MQTT sessions: one libmosquitto client each over mutual
 * TLS 1.2, connected with the recorded keep-alive and clean-session flag; its subscribes and
 * publishes are counted until acknowledged, and what the server sends it is collected for
 * --check. Callbacks run on each client's network thread, under the replay's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "replay_run.h"

#define fail(...) ncm_cli_fail("replay", __VA_ARGS__)

/* The replay the callbacks report to (one per process). */
static struct ncm_replay *the_replay;

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct ncm_replay_dev *d = obj;

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
int ncm_replay_wait_acked(struct ncm_replay *r)
{
	struct timespec until;
	size_t left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += NCM_REPLAY_CONNECT_TIMEOUT_MS / 1000;
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
	struct ncm_replay_dev *d = obj;
	struct ncm_replay_msg *x;

	(void)m;
	pthread_mutex_lock(&the_replay->lock);
	if (!ncm_replay_grow((void **)&d->received, &d->cap_received, d->n_received, sizeof(*x))) {
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

int ncm_replay_send(struct ncm_replay *r, struct ncm_replay_step *s)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	r->pending++;
	pthread_mutex_unlock(&r->lock);
	if (s->subscribe)
		rc = mosquitto_subscribe(s->dev->m, NULL, s->topic, s->qos);
	else
		rc = mosquitto_publish(s->dev->m, NULL, s->topic, (int)s->p.len, s->p.data, s->qos,
				       false);
	if (rc)
		return fail(1, "%s: %s on %s failed: %s", s->dev->id,
				       s->subscribe ? "subscribe" : "publish", s->topic,
				       mosquitto_strerror(rc));
	return 0;
}

/* Waits until every device has what the recording says it got, or nothing came for
 * NCM_REPLAY_QUIET_MS. */
void ncm_replay_wait_quiet(struct ncm_replay *r, size_t want)
{
	struct timespec until;
	size_t last = (size_t)-1;

	pthread_mutex_lock(&r->lock);
	while (r->received < want && r->received != last) {
		last = r->received;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += NCM_REPLAY_QUIET_MS / 1000;
		while (r->received == last && r->received < want &&
		       pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&r->lock);
}

int ncm_replay_connect_all(struct ncm_replay *r, const char *server, int port, const char *cafile)
{
	struct timespec until;
	size_t i, done;
	int rc = 0;

	the_replay = r;
	for (i = 0; i < r->n_devs && !rc; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

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
	until.tv_sec += NCM_REPLAY_CONNECT_TIMEOUT_MS / 1000;
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

void ncm_replay_release(struct ncm_replay *r)
{
	size_t i, k;

	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

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
