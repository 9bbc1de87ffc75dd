/* SPDX-License-Identifier: MIT
 * replay_mqtt.c: the replayed devices' MQTT sessions: one libmosquitto client each over mutual
 * TLS 1.2, connected with the recorded keep-alive and clean-session flag; its subscribes and
 * publishes are counted until acknowledged, and what the server sends it is collected for
 * --check.
 *
 * Every client runs on one event loop on the calling thread (poll over all sockets, then
 * mosquitto_loop_read/write/misc for the ready ones), not a network thread each: a thread per
 * device made the connects and the first packets wait on thread start-up (libmosquitto 2.0.11's
 * thread polls every 10 ms until its client connects, lib/thread_mosq.c) and on switches
 * between hundreds of threads on two cores. All devices share one TLS context
 * (MOSQ_OPT_SSL_CTX, without MOSQ_OPT_SSL_CTX_WITH_DEFAULTS so libmosquitto leaves it as it is,
 * lib/net_mosq.c net__init_ssl_ctx): the CA is loaded once, and each connection gets its
 * device's certificate and key, parsed once before the run, from the context's certificate
 * callback, found by the connection's socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "replay_run.h"

#define fail(...) ncm_cli_fail("replay", __VA_ARGS__)

int64_t ncm_replay_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The device whose connection is on socket fd. */
static struct ncm_replay_dev *dev_by_fd(struct ncm_replay *r, int fd)
{
	size_t i;

	if (fd >= 0 && (size_t)fd < r->n_by_fd && r->by_fd[fd] && r->by_fd[fd]->m &&
	    mosquitto_socket(r->by_fd[fd]->m) == fd)
		return r->by_fd[fd];
	/* a handshake that got this far inside mosquitto_connect_async, before its socket
	 * was noted */
	for (i = 0; i < r->n_devs; i++)
		if (r->devs[i].m && mosquitto_socket(r->devs[i].m) == fd)
			return &r->devs[i];
	return NULL;
}

/* Notes that d's connection is on its current socket. */
static void note_fd(struct ncm_replay *r, struct ncm_replay_dev *d)
{
	int fd = mosquitto_socket(d->m);
	size_t n;

	if (fd < 0)
		return;
	if ((size_t)fd >= r->n_by_fd) {
		struct ncm_replay_dev **p;

		n = (size_t)fd * 2 + 64;
		p = realloc(r->by_fd, n * sizeof(*p));
		if (!p)
			return;
		memset(p + r->n_by_fd, 0, (n - r->n_by_fd) * sizeof(*p));
		r->by_fd = p;
		r->n_by_fd = n;
	}
	r->by_fd[fd] = d;
}

/* The TLS context's certificate callback: the server asked for a client certificate; the
 * connection gets its device's certificate, chain and key. */
static int device_cert(SSL *ssl, void *arg)
{
	struct ncm_replay_dev *d = dev_by_fd(arg, SSL_get_fd(ssl));
	int i;

	if (!d || SSL_use_certificate(ssl, d->cert) != 1 || SSL_use_PrivateKey(ssl, d->pkey) != 1)
		return 0;
	for (i = 0; d->chain && i < sk_X509_num(d->chain); i++)
		if (SSL_add1_chain_cert(ssl, sk_X509_value(d->chain, i)) != 1)
			return 0;
	return 1;
}

int ncm_replay_tls(struct ncm_replay *r, const char *server, const char *cafile)
{
	X509_VERIFY_PARAM *param;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return fail(1, "cannot make a TLS context");
	r->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		return fail(2, "%s: cannot load the CA certificate", cafile);
	/* as libmosquitto checks it without MOSQ_OPT_SSL_CTX: the chain, and the server's name
	 * (or address) in its certificate */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	param = SSL_CTX_get0_param(ctx);
	if (X509_VERIFY_PARAM_set1_ip_asc(param, server) != 1) {
		ERR_clear_error();
		if (X509_VERIFY_PARAM_set1_host(param, server, 0) != 1)
			return fail(2, "%s: not a host name", server);
	}
	SSL_CTX_set_cert_cb(ctx, device_cert, r);
	/* no session ticket: a replayed connection is never resumed, and making one (OpenSSL 3.0
	 * encodes the session, the device's certificate in it, and decodes it again to copy it)
	 * was 8 % of the server's CPU time replaying 200 devices */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return 0;
}

/* The replay the callbacks report to (the event loop runs on one thread, one replay at a time). */
static struct ncm_replay *the_replay;

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct ncm_replay_dev *d = obj;

	(void)m;
	if (d->connack == 0 && d->lost_at)
		the_replay->reconnects++;
	if (d->connack < 0 && ++the_replay->connacks == the_replay->n_devs)
		the_replay->all_connected_ms = ncm_replay_now_ms();
	d->connack = rc;
	d->lost_at = 0;
}

/* The server dropped the connection (or the device was refused): it connects again after
 * NCM_REPLAY_RECONNECT_MS unless the run is ending or it was refused, as libmosquitto's own
 * network thread did; its unacknowledged QoS 1 messages are sent again then. */
static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct ncm_replay_dev *d = obj;

	(void)m;
	if (rc && !the_replay->closing && d->connack == 0)
		d->lost_at = ncm_replay_now_ms();
}

static void acked(struct ncm_replay_dev *d)
{
	if (d->pending)
		d->pending--;
	if (the_replay->pending)
		the_replay->pending--;
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m;
	(void)mid;
	acked(obj);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	acked(obj);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct ncm_replay_dev *d = obj;
	struct ncm_replay_msg *x;

	(void)m;
	if (ncm_replay_grow((void **)&d->received, &d->cap_received, d->n_received, sizeof(*x)))
		return;
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
	if (d->n_received == d->n_expected)
		the_replay->waiting--;
}

/* 1 while d's TLS handshake is still going on. */
static int handshaking(struct ncm_replay_dev *d)
{
	SSL *ssl = mosquitto_ssl_get(d->m);

	return ssl && !SSL_is_init_finished(ssl);
}

/* What d's socket waits for: always input; output when libmosquitto has something to write
 * (during the handshake only when OpenSSL asks to write). */
static short wanted(struct ncm_replay_dev *d)
{
	SSL *ssl = mosquitto_ssl_get(d->m);

	if (ssl && !SSL_is_init_finished(ssl))
		return POLLIN | (SSL_want_write(ssl) ? POLLOUT : 0);
	return POLLIN | (mosquitto_want_write(d->m) ? POLLOUT : 0);
}

/* Lets d's client read and write what its socket is ready for. */
static void serve(struct ncm_replay *r, struct ncm_replay_dev *d, short revents)
{
	int was = handshaking(d);

	if (revents & (POLLIN | POLLERR | POLLHUP) || (was && revents & POLLOUT))
		mosquitto_loop_read(d->m, 1);
	/* the CONNECT queued behind the handshake, or what a callback queued: written now,
	 * without a round through poll */
	if (mosquitto_socket(d->m) >= 0 && !handshaking(d) && mosquitto_want_write(d->m))
		mosquitto_loop_write(d->m, 1);
	if (was && !handshaking(d))
		note_fd(r, d);
}

void ncm_replay_pump(struct ncm_replay *r, int64_t until_ms)
{
	int64_t now = ncm_replay_now_ms();
	size_t i, n = 0;
	int timeout, got;

	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

		if (!d->m)
			continue;
		if (mosquitto_socket(d->m) < 0) {
			if (d->lost_at && now - d->lost_at >= NCM_REPLAY_RECONNECT_MS &&
			    !r->closing) {
				d->lost_at = now;
				if (!mosquitto_reconnect_async(d->m))
					note_fd(r, d);
			}
			continue;
		}
		r->pfds[n].fd = mosquitto_socket(d->m);
		r->pfds[n].events = wanted(d);
		r->pfds[n].revents = 0;
		r->pdevs[n++] = d;
	}
	timeout = until_ms < 0 ? 0 : until_ms - now > 1000 ? 1000 : (int)(until_ms - now);
	if (timeout < 0)
		timeout = 0;
	got = poll(r->pfds, n, timeout);
	for (i = 0; got > 0 && i < n; i++)
		if (r->pfds[i].revents)
			serve(r, r->pdevs[i], r->pfds[i].revents);
	now = ncm_replay_now_ms();
	if (now >= r->next_misc) {
		/* keep-alives (PINGREQ) and retries */
		for (i = 0; i < r->n_devs; i++)
			if (r->devs[i].m && mosquitto_socket(r->devs[i].m) >= 0)
				mosquitto_loop_misc(r->devs[i].m);
		r->next_misc = now + 1000;
	}
}

int ncm_replay_wait_acked(struct ncm_replay *r)
{
	int64_t until = ncm_replay_now_ms() + NCM_REPLAY_CONNECT_TIMEOUT_MS;

	while (r->pending && ncm_replay_now_ms() < until)
		ncm_replay_pump(r, until);
	return r->pending ? fail(1, "%zu subscribes or publishes were not acknowledged",
				 r->pending)
			  : 0;
}

void ncm_replay_wait_quiet(struct ncm_replay *r, size_t want)
{
	int64_t quiet_until = ncm_replay_now_ms() + NCM_REPLAY_QUIET_MS;
	size_t last = r->received;

	/* per device: a message one device got beyond the recording does not stand for one
	 * another device is still waiting for */
	while ((r->received < want || r->waiting) && ncm_replay_now_ms() < quiet_until) {
		ncm_replay_pump(r, quiet_until);
		if (r->received != last) {
			last = r->received;
			quiet_until = ncm_replay_now_ms() + NCM_REPLAY_QUIET_MS;
		}
	}
}

int ncm_replay_send(struct ncm_replay *r, struct ncm_replay_step *s)
{
	int rc;

	r->pending++;
	s->dev->pending++;
	if (s->subscribe)
		rc = mosquitto_subscribe(s->dev->m, NULL, s->topic, s->qos);
	else
		rc = mosquitto_publish(s->dev->m, NULL, s->topic, (int)s->p.len, s->p.data, s->qos,
				       false);
	if (rc) {
		r->pending--;
		s->dev->pending--;
		return fail(1, "%s: %s on %s failed: %s", s->dev->id,
			    s->subscribe ? "subscribe" : "publish", s->topic,
			    mosquitto_strerror(rc));
	}
	return 0;
}

int ncm_replay_connect_start(struct ncm_replay *r, const char *server, int port)
{
	size_t i;

	the_replay = r;
	r->pfds = calloc(r->n_devs ? r->n_devs : 1, sizeof(*r->pfds));
	r->pdevs = calloc(r->n_devs ? r->n_devs : 1, sizeof(*r->pdevs));
	if (!r->pfds || !r->pdevs)
		return fail(1, "out of memory");
	for (i = 0; i < r->n_devs; i++)
		r->waiting += r->devs[i].n_expected > 0;
	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

		d->m = mosquitto_new(d->id, d->clean, d);
		if (!d->m)
			return fail(1, "out of memory");
		mosquitto_int_option(d->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_int_option(d->m, MOSQ_OPT_TCP_NODELAY, 1);
		mosquitto_connect_callback_set(d->m, on_connect);
		mosquitto_disconnect_callback_set(d->m, on_disconnect);
		mosquitto_message_callback_set(d->m, on_message);
		mosquitto_publish_callback_set(d->m, on_publish);
		mosquitto_subscribe_callback_set(d->m, on_subscribe);
		/* the context as it is: libmosquitto would otherwise load CA and key files
		 * into it at each connect (its default is "with defaults") */
		if (mosquitto_int_option(d->m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) ||
		    mosquitto_void_option(d->m, MOSQ_OPT_SSL_CTX, r->ssl_ctx) ||
		    mosquitto_connect_async(d->m, server, port,
					    d->keepalive >= 5 ? d->keepalive : 1200))
			return fail(1, "%s: cannot connect to %s:%d", d->id, server, port);
		note_fd(r, d);
		/* handshakes already under way go on while the next ones start */
		if ((i & 15) == 15)
			ncm_replay_pump(r, -1);
	}
	r->connect_deadline = ncm_replay_now_ms() + NCM_REPLAY_CONNECT_TIMEOUT_MS;
	return 0;
}

int ncm_replay_wait_connected(struct ncm_replay *r, struct ncm_replay_dev *d)
{
	size_t i;

	while ((d ? d->connack < 0 : r->connacks < r->n_devs) &&
	       ncm_replay_now_ms() < r->connect_deadline)
		ncm_replay_pump(r, r->connect_deadline);
	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *x = d ? d : &r->devs[i];

		if (x->connack != 0)
			return fail(1, "%s: %s", x->id,
				    x->connack < 0 ? "no CONNACK (TLS refused, or no server)"
						   : "CONNECT refused");
		if (d)
			break;
	}
	return 0;
}

void ncm_replay_release(struct ncm_replay *r)
{
	size_t i, k;

	r->closing = 1;
	for (i = 0; i < r->n_devs; i++)
		if (r->devs[i].m && mosquitto_socket(r->devs[i].m) >= 0) {
			mosquitto_disconnect(r->devs[i].m);
			mosquitto_loop_write(r->devs[i].m, 1);
		}
	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

		if (d->m)
			mosquitto_destroy(d->m);
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
		X509_free(d->cert);
		sk_X509_pop_free(d->chain, X509_free);
		EVP_PKEY_free(d->pkey);
	}
	for (i = 0; i < r->n_steps; i++) {
		free(r->steps[i].topic);
		free(r->steps[i].p.data);
		free(r->steps[i].want_answer);
	}
	SSL_CTX_free(r->ssl_ctx);
	free(r->steps);
	free(r->devs);
	free(r->by_fd);
	free(r->pfds);
	free(r->pdevs);
}
