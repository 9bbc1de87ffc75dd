/* SPDX-License-Identifier: MIT
 * sim_loop.c: the transport of `nrfcloud-mock sim`: one thread, one event loop over every
 * device's MQTT socket (libmosquitto driven with mosquitto_loop_read/write/misc, never its
 * threads) and libcurl's download sockets. The MQTT sockets are in one epoll set, which
 * curl_multi_wait watches as its one extra descriptor, so a wake-up costs what the ready
 * sockets cost, not the number of devices (docs/sim.md#scale); timers (reconnects, telemetry,
 * connect timeouts) are swept every SWEEP_MS. It turns socket events into ncm_dev_on_* calls
 * and carries out the actions the cores return. Each device has its own SSL_CTX built in
 * memory (its certificate and key; the CA store shared), so no files are written per device.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mosquitto.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "jwt.h"
#include "sim.h"

#define MAX_PENDING 64        /* acknowledgements a device waits for at once */
#define MAX_BODY (1L << 20)   /* one download piece */
#define MISC_EVERY_MS 1000
#define CONNECT_TIMEOUT_MS 60000 /* TCP + TLS + CONNACK */
#define SWEEP_MS 100          /* timer granularity: connects, ticks, connect timeouts */
#define MAX_EVENTS 512        /* socket events taken per wake-up */

struct pending {
	int mid;
	int tag;
};

struct dl {
	CURL *easy;
	struct client *c;
	struct dl *next;         /* REST calls in flight */
	int rest;                /* a REST call (tag = enum ncm_rest_tag), else a download */
	struct curl_slist *hdrs;
	char *req_body;
	int tag;
	long status, total;
	char *body;
	size_t len;
};

struct client {
	struct ncm_dev dev;
	struct mosquitto *m;
	SSL_CTX *ctx;
	int started;             /* booted (ramp) */
	int closing;             /* the core asked for this disconnect */
	int want_connect;        /* a CONNECT action waits for connect_at */
	int clean;
	int64_t connect_at;
	int ever_ready, ever_connected;
	struct pending pend[MAX_PENDING];
	size_t n_pend;
	struct dl *dls[2];
	struct dl *rest;         /* REST calls in flight */
	int jitp_done;           /* REST: the provisioning connect was accepted */
	int tcp_up;              /* the socket was writable once (TCP connect done) */
	int64_t attempt_at;      /* when this connection attempt started */
	EVP_PKEY *key;           /* signs REST JWTs (the caller's) */
	int reg_fd;              /* the socket in the epoll set (-1: none) */
	uint32_t reg_ev;         /* and the events asked for */
	int connecting;          /* counts in the sim's connects in flight */
};

struct sim {
	const struct ncm_sim_opts *o;
	struct client *c;
	size_t n;
	CURLM *multi;
	struct curl_slist *resolve;
	X509_STORE *store;
	struct ncm_sim_summary *sum;
	struct ncm_dev_out out;
	int64_t t0;
	size_t ready_count, connected_count;
	int stopping;            /* tearing down: disconnects are ours */
	int epfd;                /* every MQTT socket */
	size_t inflight;         /* connection attempts without CONNACK yet */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sim *S; /* callbacks find the run here (one run per process) */

static int refuse_socketpair; /* set while libmosquitto makes or connects a client */

/* libmosquitto 2.0.11 opens a socketpair per client, in mosquitto_new() and again in every
 * mosquitto_connect_async(), only to wake its own mosquitto_loop(), which the sim never calls.
 * Two descriptors per device besides its socket capped a run at a third of the open-file limit
 * (6 664 devices under this machine's hard limit of 20 000). libmosquitto carries on without
 * the pair when it cannot be made (lib/mosquitto.c mosquitto_reinitialise(), lib/connect.c
 * mosquitto__connect_init(): "Unable to open socket pair", a warning). This definition in the
 * executable is found before libc's by libmosquitto's calls; it refuses only while
 * start_connect() has the flag set and is the plain system call otherwise. */
int socketpair(int domain, int type, int protocol, int sv[2])
{
	if (refuse_socketpair) {
		errno = EMFILE;
		return -1;
	}
	return (int)syscall(SYS_socketpair, domain, type, protocol, sv);
}

static void apply(struct client *c, int64_t now);
static void sync_fd(struct client *c);

/* ---- events ---- */

static void event(struct client *c, const char *text, int64_t now)
{
	json_t *j = json_loads(text, 0, NULL);
	const char *ev = json_string_value(json_object_get(j, "ev"));
	const char *status = json_string_value(json_object_get(j, "status"));

	if (ev) {
		if (!strcmp(ev, "ready")) {
			if (!c->ever_ready) {
				c->ever_ready = 1;
				S->sum->ready++;
				if (++S->ready_count == S->n)
					S->sum->ready_ms = (long long)(now - S->t0);
			}
		} else if (!strcmp(ev, "connected")) {
			if (!c->ever_connected) {
				c->ever_connected = 1;
				S->sum->connected++;
				if (++S->connected_count == S->n)
					S->sum->connect_ms = (long long)(now - S->t0);
			}
		} else if (!strcmp(ev, "disconnected")) {
			S->sum->reconnects++;
		} else if (!strcmp(ev, "fota") && status) {
			S->sum->fota_succeeded += !strcmp(status, "SUCCEEDED");
			S->sum->fota_failed += !strcmp(status, "FAILED");
			S->sum->fota_rejected += !strcmp(status, "REJECTED");
		} else if (!strcmp(ev, "agnss")) {
			S->sum->agnss++;
		} else if (!strcmp(ev, "pgps")) {
			S->sum->pgps++;
		} else if (!strcmp(ev, "location")) {
			S->sum->locations++;
		} else if (!strcmp(ev, "c2d") && S->o->print_c2d) {
			printf("c2d %s %s\n", c->dev.id, text);
			fflush(stdout);
		}
	}
	if (S->o->events) {
		json_object_set_new(j, "t", json_integer(now));
		char *line = json_dumps(j, JSON_COMPACT);

		if (line) {
			fprintf(S->o->events, "%s\n", line);
			fflush(S->o->events);
		}
		free(line);
	}
	if (S->o->pty_fd >= 0 && c == &S->c[0] && ev) {
		/* the lab shell's event lines (docs/lab-shell.md#events) */
		char *line = json_dumps(j, JSON_COMPACT);

		if (line) {
			dprintf(S->o->pty_fd, "@ev %s\r\n", line);
			free(line);
		}
	}
	json_decref(j);
}

/* ---- acknowledgement tags ---- */

static void remember(struct client *c, int mid, int tag)
{
	if (c->n_pend == MAX_PENDING)
		memmove(c->pend, c->pend + 1, (--c->n_pend) * sizeof(*c->pend));
	c->pend[c->n_pend].mid = mid;
	c->pend[c->n_pend].tag = tag;
	c->n_pend++;
}

static int take_tag(struct client *c, int mid)
{
	size_t i;
	int tag;

	for (i = 0; i < c->n_pend; i++)
		if (c->pend[i].mid == mid) {
			tag = c->pend[i].tag;
			memmove(c->pend + i, c->pend + i + 1, (c->n_pend - i - 1) * sizeof(*c->pend));
			c->n_pend--;
			return tag;
		}
	return -1;
}

/* ---- connects in flight (--connect-window) ---- */

static void set_connecting(struct client *c, int on)
{
	if (on && !c->connecting)
		S->inflight++;
	else if (!on && c->connecting)
		S->inflight--;
	c->connecting = on;
}

/* ---- libmosquitto callbacks (called from inside loop_read/loop_write) ---- */

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags)
{
	struct client *c = obj;
	int64_t now = wall_ms();

	(void)m;
	set_connecting(c, 0);
	if (c->dev.p->rest) {
		/* a REST device's just-in-time provisioning: one TLS connection with its
		 * certificate, which onboards it (rest/src/nrf_cloud_rest.c nrf_cloud_rest_jitp(),
		 * v2.5.0; the mock onboards on the MQTT CONNECT), then only HTTPS */
		if (rc)
			return; /* the disconnect callback backs off */
		c->jitp_done = 1;
		c->closing = 1;
		mosquitto_disconnect(c->m);
		ncm_dev_rest_start(&c->dev, now, &S->out);
		apply(c, now);
		return;
	}
	ncm_dev_on_connack(&c->dev, rc, flags & 1, now, &S->out);
	apply(c, now);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct client *c = obj;
	int64_t now = wall_ms();

	(void)m;
	(void)rc;
	c->n_pend = 0;
	set_connecting(c, 0);
	if (getenv("NCM_SIM_DEBUG"))
		fprintf(stderr, "sim: %s: connection lost: %s (errno %s)\n", c->dev.id,
			mosquitto_strerror(rc), strerror(errno));
	if (c->closing || S->stopping) {
		c->closing = 0;
		return;
	}
	ncm_dev_on_disconnect(&c->dev, now, &S->out);
	apply(c, now);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct client *c = obj;
	int64_t now = wall_ms();
	int tag = take_tag(c, mid);

	(void)m;
	if (tag < 0)
		return;
	ncm_dev_on_suback(&c->dev, tag, granted, (size_t)n, now, &S->out);
	apply(c, now);
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct client *c = obj;
	int64_t now = wall_ms();
	int tag = take_tag(c, mid);

	(void)m;
	if (tag <= 0)
		return;
	ncm_dev_on_puback(&c->dev, tag, now, &S->out);
	apply(c, now);
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *text)
{
	struct client *c = obj;

	(void)m;
	(void)level;
	fprintf(stderr, "sim: %s: %s\n", c->dev.id, text);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct client *c = obj;
	int64_t now = wall_ms();

	(void)m;
	ncm_dev_on_message(&c->dev, msg->topic, msg->payload, (size_t)msg->payloadlen, now,
			   &S->out);
	apply(c, now);
}

/* ---- TLS ---- */

static SSL_CTX *client_ctx(const struct ncm_sim_cred *cred)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_VERIFY_PARAM *param;
	const char *name = S->o->tls_name ? S->o->tls_name : S->o->server;

	if (!ctx)
		return NULL;
	/* the modem speaks TLS 1.2 only (nrf_socket.h NRF_SPROTO_TLS1v2) */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	X509_STORE_up_ref(S->store);
	SSL_CTX_set_cert_store(ctx, S->store);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	param = SSL_CTX_get0_param(ctx);
	/* peer_verify required and the host name checked (nct_provision(), v2.5.0..v3.3.0) */
	if (X509_VERIFY_PARAM_set1_ip_asc(param, name) != 1)
		X509_VERIFY_PARAM_set1_host(param, name, 0);
	if (SSL_CTX_use_certificate(ctx, cred->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, cred->key) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- downloads ---- */

static size_t dl_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct dl *d = ud;
	size_t n = size * nmemb;
	char *b;

	if (d->len + n > MAX_BODY)
		return 0;
	b = realloc(d->body, d->len + n + 1);
	if (!b)
		return 0;
	memcpy(b + d->len, p, n);
	d->body = b;
	d->len += n;
	return n;
}

/* "Content-Range: bytes a-b/total": the total after '/' (downloader transports/http.c) */
static size_t dl_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct dl *d = ud;
	size_t n = size * nmemb;
	const char *slash;

	if (n > 14 && !strncasecmp(p, "content-range:", 14)) {
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), p);
		slash = strchr(line, '/');
		if (slash)
			d->total = strtol(slash + 1, NULL, 10);
	}
	return n;
}

static void dl_start(struct client *c, int tag, const char *url, long from, long to)
{
	struct dl *d = calloc(1, sizeof(*d));
	char range[64];
	int slot = tag == NCM_DL_FOTA ? 0 : 1;

	if (!d)
		abort();
	if (c->dls[slot]) {
		curl_multi_remove_handle(S->multi, c->dls[slot]->easy);
		curl_easy_cleanup(c->dls[slot]->easy);
		free(c->dls[slot]->body);
		free(c->dls[slot]);
	}
	c->dls[slot] = d;
	d->c = c;
	d->tag = tag;
	d->easy = curl_easy_init();
	snprintf(range, sizeof(range), "%ld-%ld", from, to);
	curl_easy_setopt(d->easy, CURLOPT_URL, url);
	curl_easy_setopt(d->easy, CURLOPT_RANGE, range);
	curl_easy_setopt(d->easy, CURLOPT_CAINFO, S->o->cafile);
	curl_easy_setopt(d->easy, CURLOPT_CONNECT_TO, S->resolve);
	curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, dl_body);
	curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->easy, CURLOPT_HEADERFUNCTION, dl_header);
	curl_easy_setopt(d->easy, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d);
	curl_easy_setopt(d->easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2 |
						      CURL_SSLVERSION_MAX_TLSv1_2);
	curl_easy_setopt(d->easy, CURLOPT_NOSIGNAL, 1L);
	/* a stall: no byte for stall_ms (the fota_download socket timeout's role) */
	curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_TIME,
			 (long)(S->o->stall_ms > 1000 ? S->o->stall_ms / 1000 : 1));
	curl_easy_setopt(d->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_multi_add_handle(S->multi, d->easy);
}

static void dl_done(struct dl *d, CURLcode res, int64_t now)
{
	struct client *c = d->c;
	int slot = d->tag == NCM_DL_FOTA ? 0 : 1;

	curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &d->status);
	curl_multi_remove_handle(S->multi, d->easy);
	curl_easy_cleanup(d->easy);
	if (d->rest) {
		struct dl **pp;

		for (pp = &c->rest; *pp && *pp != d; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = d->next;
		ncm_dev_on_rest(&c->dev, d->tag, res == CURLE_OK ? d->status : 0, d->total, d->body,
				d->len, now, &S->out);
		curl_slist_free_all(d->hdrs);
		free(d->req_body);
		free(d->body);
		free(d);
		apply(c, now);
		return;
	}
	c->dls[slot] = NULL;
	ncm_dev_on_http(&c->dev, d->tag, res == CURLE_OK ? d->status : -1, d->total, d->body,
			d->len, now, &S->out);
	free(d->body);
	free(d);
	apply(c, now);
}

/* A REST call with a fresh device JWT: {"sub":<id>,"iat","exp" 5 minutes on}
 * (CONFIG_NRF_CLOUD_REST_AUTOGEN_JWT_VALID_TIME_S, common/src/nrf_cloud_jwt.c). */
static void rest_start(struct client *c, const struct ncm_dev_act *a, int64_t now)
{
	struct dl *d = calloc(1, sizeof(*d));
	json_t *claims = json_pack("{s:s, s:I, s:I}", "sub", c->dev.id, "iat",
				   (json_int_t)(now / 1000), "exp", (json_int_t)(now / 1000 + 300));
	char *jwt = NULL, url[600], *auth;

	if (!d || !claims || ncm_jwt_sign_es256(claims, c->key, &jwt, NULL))
		abort();
	json_decref(claims);
	d->c = c;
	d->rest = 1;
	d->tag = a->tag;
	d->easy = curl_easy_init();
	if (asprintf(&auth, "Authorization: Bearer %s", jwt) < 0)
		abort();
	free(jwt);
	d->hdrs = curl_slist_append(NULL, auth);
	free(auth);
	snprintf(url, sizeof(url), "https://%s:%d%s",
		 S->o->tls_name ? S->o->tls_name : S->o->server, S->o->https_port, a->topic);
	curl_easy_setopt(d->easy, CURLOPT_URL, url);
	curl_easy_setopt(d->easy, CURLOPT_CUSTOMREQUEST, a->method);
	if (a->ranged) {
		char range[64];

		/* "Range: bytes=a-b" also on a POST (nrf_cloud_rest.c format_range_header()) */
		snprintf(range, sizeof(range), "Range: bytes=%ld-%ld", a->from, a->to);
		d->hdrs = curl_slist_append(d->hdrs, range);
		curl_easy_setopt(d->easy, CURLOPT_HEADERFUNCTION, dl_header);
		curl_easy_setopt(d->easy, CURLOPT_HEADERDATA, d);
	}
	if (a->payload) {
		d->req_body = strdup(a->payload);
		d->hdrs = curl_slist_append(d->hdrs, "Content-Type: application/json");
		curl_easy_setopt(d->easy, CURLOPT_POSTFIELDS, d->req_body);
		curl_easy_setopt(d->easy, CURLOPT_POSTFIELDSIZE, (long)a->len);
	}
	curl_easy_setopt(d->easy, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(d->easy, CURLOPT_CAINFO, S->o->cafile);
	curl_easy_setopt(d->easy, CURLOPT_CONNECT_TO, S->resolve);
	curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, dl_body);
	curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d);
	curl_easy_setopt(d->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->easy, CURLOPT_TIMEOUT_MS, 30000L);
	d->next = c->rest;
	c->rest = d;
	curl_multi_add_handle(S->multi, d->easy);
}

/* ---- actions ---- */

static void start_connect(struct client *c, int64_t now)
{
	int rc;

	c->want_connect = 0;
	if (c->m)
		mosquitto_destroy(c->m);
	c->reg_fd = -1; /* a closed socket left the epoll set by itself */
	refuse_socketpair = 1;
	c->m = mosquitto_new(c->dev.id, c->clean, c);
	refuse_socketpair = 0;
	if (!c->m)
		abort();
	mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_void_option(c->m, MOSQ_OPT_SSL_CTX, c->ctx);
	mosquitto_int_option(c->m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	mosquitto_connect_with_flags_callback_set(c->m, on_connect);
	mosquitto_disconnect_callback_set(c->m, on_disconnect);
	mosquitto_subscribe_callback_set(c->m, on_subscribe);
	mosquitto_publish_callback_set(c->m, on_publish);
	mosquitto_message_callback_set(c->m, on_message);
	if (getenv("NCM_SIM_DEBUG"))
		mosquitto_log_callback_set(c->m, on_log);
	c->n_pend = 0;
	c->closing = 0;
	c->tcp_up = 0;
	c->attempt_at = now;
	/* CONNECT: client ID only, no user name or password, MQTT 3.1.1
	 * (nct_init_mqtt(), v2.5.0..v3.3.0) */
	set_connecting(c, 1);
	refuse_socketpair = 1;
	rc = mosquitto_connect_async(c->m, S->o->server, S->o->mqtt_port, c->dev.p->keepalive);
	refuse_socketpair = 0;
	if (rc != MOSQ_ERR_SUCCESS) {
		set_connecting(c, 0);
		ncm_dev_on_disconnect(&c->dev, now, &S->out);
		apply(c, now);
	}
}

static void apply(struct client *c, int64_t now)
{
	struct ncm_dev_out out = S->out;
	size_t i;
	int mid, rc;

	/* the list is taken over so that nested callbacks get an empty one */
	memset(&S->out, 0, sizeof(S->out));
	for (i = 0; i < out.n; i++) {
		struct ncm_dev_act *a = &out.a[i];

		switch (a->kind) {
		case NCM_ACT_SUBSCRIBE:
			if (!c->m)
				break;
			rc = mosquitto_subscribe_multiple(c->m, &mid, (int)a->n_topics, a->topics,
							  a->qos, 0, NULL);
			if (rc == MOSQ_ERR_SUCCESS)
				remember(c, mid, a->tag);
			break;
		case NCM_ACT_PUBLISH:
			if (!c->m)
				break;
			rc = mosquitto_publish(c->m, &mid, a->topic, (int)a->len, a->payload,
					       a->qos, false);
			if (rc == MOSQ_ERR_SUCCESS && a->qos > 0)
				remember(c, mid, a->tag);
			break;
		case NCM_ACT_HTTP_GET:
			dl_start(c, a->tag, a->payload, a->from, a->to);
			break;
		case NCM_ACT_DISCONNECT:
			if (c->m && mosquitto_socket(c->m) >= 0) {
				/* never destroyed here: this may run inside its own callback */
				c->closing = 1;
				if (mosquitto_disconnect(c->m) != MOSQ_ERR_SUCCESS)
					c->closing = 0;
			}
			break;
		case NCM_ACT_CONNECT:
			c->want_connect = 1;
			c->clean = a->clean;
			c->connect_at = now + a->delay_ms;
			break;
		case NCM_ACT_EVENT:
			event(c, a->payload, now);
			break;
		case NCM_ACT_REST:
			rest_start(c, a, now);
			break;
		}
	}
	ncm_dev_out_release(&out);
	if (S->out.n) /* something a nested callback did not carry out */
		apply(c, now);
	sync_fd(c);
}

/* Reads every packet there is. libmosquitto's loop_read may stop after one packet (it tests
 * a stale errno), leaving whole packets in OpenSSL's buffer where poll() cannot see them: go on
 * while the TLS layer holds bytes. */
static void read_all(struct client *c)
{
	int i;

	for (i = 0; i < 1000 && c->m && mosquitto_socket(c->m) >= 0; i++) {
		SSL *ssl;

		errno = 0;
		if (mosquitto_loop_read(c->m, 1) != MOSQ_ERR_SUCCESS || !c->m)
			break;
		ssl = mosquitto_ssl_get(c->m);
		if (!ssl || SSL_pending(ssl) <= 0)
			break;
	}
}

/* POLLOUT when there is something to write: during the TLS handshake only when OpenSSL
 * waits to write (else the CONNECT queued behind it would make a writable socket spin the
 * loop while the server answers), before it (TCP connect pending) always. */
static short want_out(struct client *c)
{
	SSL *ssl = mosquitto_ssl_get(c->m);

	if (!ssl || !c->tcp_up)
		return POLLOUT;
	if (!SSL_is_init_finished(ssl))
		return SSL_want_write(ssl) ? POLLOUT : 0;
	return mosquitto_want_write(c->m) ? POLLOUT : 0;
}

/* Keeps the client's socket in the epoll set with the events it wants now. A socket that
 * libmosquitto closed has left the set by itself (its number may already be another
 * client's), so it is only forgotten, never deleted. */
static void sync_fd(struct client *c)
{
	int fd = c->m ? mosquitto_socket(c->m) : -1;
	struct epoll_event ev = { 0 };

	if (fd < 0) {
		c->reg_fd = -1;
		return;
	}
	ev.events = EPOLLIN | (want_out(c) ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)(c - S->c) << 32 | (uint32_t)fd;
	if (fd != c->reg_fd) {
		if (epoll_ctl(S->epfd, EPOLL_CTL_ADD, fd, &ev) && errno == EEXIST)
			epoll_ctl(S->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else if (ev.events != c->reg_ev) {
		epoll_ctl(S->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else {
		return;
	}
	c->reg_fd = fd;
	c->reg_ev = ev.events;
}

/* ---- the lab shell on a pty ---- */

static void shell_read(int64_t now)
{
	static char line[1024];
	static size_t n;
	char buf[256];
	ssize_t got = read(S->o->pty_fd, buf, sizeof(buf));
	ssize_t i;

	for (i = 0; i < got; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			if (!n)
				continue;
			line[n] = 0;
			n = 0;
			ncm_sim_shell_line(&S->c[0].dev, line, now, S->o->pty_fd, &S->out);
			apply(&S->c[0], now);
		} else if (n + 1 < sizeof(line)) {
			line[n++] = buf[i];
		}
	}
}

/* ---- the loop ---- */

/* Starts the client's connection when it is due and the connects in flight leave room
 * (--connect-window: a server that is slow to hand out CONNACKs gets new handshakes no faster
 * than it finishes them, instead of devices abandoning half-done ones after the timeout). */
static void try_connect(struct client *c, int64_t now)
{
	if (!c->want_connect || now < c->connect_at)
		return;
	if (c->dev.p->rest && c->jitp_done) {
		c->want_connect = 0;
		ncm_dev_rest_start(&c->dev, now, &S->out);
		apply(c, now);
		return;
	}
	if (c->m && mosquitto_socket(c->m) >= 0)
		return;
	if (S->o->connect_window > 0 && S->inflight >= (size_t)S->o->connect_window)
		return;
	start_connect(c, now);
	sync_fd(c);
}

/* The timers of one client: its connect, a connect attempt past CONNECT_TIMEOUT_MS, its
 * core's tick; and its epoll registration. */
static void sweep(struct client *c, int64_t now)
{
	int64_t due;

	try_connect(c, now);
	/* no CONNACK in CONNECT_TIMEOUT_MS: give up this attempt and back off, as the samples
	 * do when the cloud is not ready in time */
	if (c->m && !c->dev.p->rest && c->dev.state == NCM_DEV_CONNECTING && !c->want_connect &&
	    c->attempt_at && now - c->attempt_at > CONNECT_TIMEOUT_MS) {
		if (getenv("NCM_SIM_DEBUG"))
			fprintf(stderr, "sim: %s: no CONNACK in %d ms (tcp %s, tls %s)\n", c->dev.id,
				CONNECT_TIMEOUT_MS, c->tcp_up ? "up" : "pending",
				mosquitto_ssl_get(c->m) ? "started" : "not started");
		mosquitto_destroy(c->m);
		c->m = NULL;
		c->reg_fd = -1;
		c->attempt_at = 0;
		set_connecting(c, 0);
		ncm_dev_on_disconnect(&c->dev, now, &S->out);
		apply(c, now);
	}
	due = ncm_dev_next_due(&c->dev);
	if (due && now >= due) {
		ncm_dev_on_tick(&c->dev, now, &S->out);
		apply(c, now);
	}
	sync_fd(c);
}

static void raise_fd_limit(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < n * 2 + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int load_store(const char *cafile)
{
	S->store = X509_STORE_new();
	if (!S->store || X509_STORE_load_file(S->store, cafile) != 1) {
		fprintf(stderr, "nrfcloud-mock sim: cannot load the CA %s\n", cafile);
		return -1;
	}
	return 0;
}

void ncm_sim_summary_line(const struct ncm_sim_summary *s, const struct ncm_dev_profile *p,
			  char *buf, size_t size)
{
	double secs = s->ms > 0 ? (double)s->ms / 1000.0 : 1.0;

	snprintf(buf, size,
		 "sim: %lu devices (ncs %s), %lu connected, %lu ready, %lu sent, %lu received, "
		 "%lu deltas, %lu c2d, fota %lu succeeded %lu failed %lu rejected, %lu locations, "
		 "%lu agnss, %lu pgps, %lu reconnects, %lu errors, %lld ms, %.0f msg/s, "
		 "connect %.0f/s, ready %.0f/s",
		 s->devices, p->ncs, s->connected, s->ready, s->sent, s->received, s->deltas,
		 s->c2d, s->fota_succeeded, s->fota_failed, s->fota_rejected, s->locations,
		 s->agnss, s->pgps, s->reconnects, s->errors, s->ms,
		 (double)(s->sent + s->received) / secs,
		 (double)s->connected * 1000.0 / (double)(s->connect_ms > 0 ? s->connect_ms : s->ms > 0 ? s->ms : 1),
		 (double)s->ready * 1000.0 / (double)(s->ready_ms > 0 ? s->ready_ms : s->ms > 0 ? s->ms : 1));
}

int ncm_sim_run(const struct ncm_sim_opts *o, const struct ncm_sim_cred *creds, size_t n,
		struct ncm_sim_summary *sum)
{
	struct sim sim = { 0 };
	struct epoll_event *evs = NULL;
	size_t i, started = 0;
	int64_t now, next_misc = 0, next_sweep = 0, end;
	struct sigaction sa = { 0 };
	int rc = -1;
	char resolve[400];

	S = &sim;
	sim.o = o;
	sim.sum = sum;
	sim.n = n;
	memset(sum, 0, sizeof(*sum));
	sum->devices = n;
	raise_fd_limit(n);
	if (load_store(o->cafile))
		goto out;
	sim.epfd = epoll_create1(EPOLL_CLOEXEC);
	sim.c = calloc(n, sizeof(*sim.c));
	evs = calloc(MAX_EVENTS, sizeof(*evs));
	if (sim.epfd < 0 || !sim.c || !evs)
		goto out;
	for (i = 0; i < n; i++) {
		ncm_dev_init(&sim.c[i].dev, o->profile, creds[i].id, (unsigned)i);
		sim.c[i].reg_fd = -1;
		sim.c[i].key = creds[i].key;
		sim.c[i].ctx = client_ctx(&creds[i]);
		if (!sim.c[i].ctx) {
			fprintf(stderr, "nrfcloud-mock sim: %s: bad certificate or key\n",
				creds[i].id);
			goto out;
		}
	}
	sim.multi = curl_multi_init();
	/* download hosts in jobs and P-GPS answers are the server's public names: point them
	 * at --server the way lab DNS would, keeping the TLS name check */
	snprintf(resolve, sizeof(resolve), "::%s:", o->server);
	sim.resolve = curl_slist_append(NULL, resolve);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_flag = 0;
	sim.t0 = wall_ms();
	end = o->duration_ms > 0 ? sim.t0 + o->duration_ms : 0;
	while (!stop_flag) {
		int timeout = 50, numfds = 0, running = 0, nev, k;
		struct curl_waitfd wfd[2];
		unsigned nw = 0;
		CURLMsg *cm;
		int left;

		now = wall_ms();
		if (end && now >= end)
			break;
		if (o->hold_ms > 0 && sum->ready_ms > 0 && now >= sim.t0 + sum->ready_ms + o->hold_ms)
			break;
		/* ramp: how many should have booted by now */
		while (started < n &&
		       (o->ramp <= 0 || (double)started < (double)(now - sim.t0) * o->ramp / 1000.0 + 1)) {
			struct client *c = &sim.c[started];

			c->started = 1;
			ncm_dev_boot(&c->dev, now, &sim.out);
			apply(c, now);
			try_connect(c, now);
			started++;
		}
		if (now >= next_sweep) {
			next_sweep = now + SWEEP_MS;
			for (i = 0; i < started; i++)
				sweep(&sim.c[i], now);
		}
		wfd[nw].fd = sim.epfd;
		wfd[nw].events = CURL_WAIT_POLLIN;
		wfd[nw++].revents = 0;
		if (o->pty_fd >= 0) {
			wfd[nw].fd = o->pty_fd;
			wfd[nw].events = CURL_WAIT_POLLIN;
			wfd[nw++].revents = 0;
		}
		if (started < n)
			timeout = 10;
		curl_multi_wait(sim.multi, wfd, nw, timeout, &numfds);
		now = wall_ms();
		nev = epoll_wait(sim.epfd, evs, MAX_EVENTS, 0);
		for (k = 0; k < nev; k++) {
			struct client *c = &sim.c[evs[k].data.u64 >> 32];
			int fd = (int)(uint32_t)evs[k].data.u64;
			uint32_t re = evs[k].events;

			if (!c->m || mosquitto_socket(c->m) != fd)
				continue;
			if (re & (EPOLLIN | EPOLLERR | EPOLLHUP))
				read_all(c);
			if (c->m && mosquitto_socket(c->m) >= 0 && (re & EPOLLOUT)) {
				c->tcp_up = 1;
				mosquitto_loop_write(c->m, 1);
			}
			sync_fd(c);
		}
		if (nw > 1 && (wfd[1].revents & CURL_WAIT_POLLIN))
			shell_read(now);
		curl_multi_perform(sim.multi, &running);
		while ((cm = curl_multi_info_read(sim.multi, &left)))
			if (cm->msg == CURLMSG_DONE) {
				struct dl *d = NULL;

				curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE, (char **)&d);
				dl_done(d, cm->data.result, now);
			}
		if (now >= next_misc) {
			next_misc = now + MISC_EVERY_MS;
			for (i = 0; i < started; i++)
				if (sim.c[i].m && mosquitto_socket(sim.c[i].m) >= 0) {
					mosquitto_loop_misc(sim.c[i].m);
					sync_fd(&sim.c[i]);
				}
		}
	}
	rc = 0;
	sum->ms = (long long)(wall_ms() - sim.t0);
	{
		/* REST calls in flight (a final FOTA status, say) get up to 3 s to finish */
		int64_t until = wall_ms() + 3000;
		int running = 1;

		for (i = 0; i < n && running; i++)
			if (sim.c[i].rest)
				break;
		while (i < n && running && wall_ms() < until) {
			CURLMsg *cm;
			int left, nfds = 0;

			curl_multi_wait(sim.multi, NULL, 0, 50, &nfds);
			curl_multi_perform(sim.multi, &running);
			while ((cm = curl_multi_info_read(sim.multi, &left)))
				if (cm->msg == CURLMSG_DONE) {
					struct dl *d = NULL;

					curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE,
							  (char **)&d);
					if (d->rest)
						dl_done(d, cm->data.result, wall_ms());
				}
		}
	}
out:
	sim.stopping = 1;
	for (i = 0; sim.c && i < n; i++) {
		struct client *c = &sim.c[i];
		int k;

		sum->sent += c->dev.n_sent;
		sum->received += c->dev.n_received;
		sum->deltas += c->dev.n_deltas;
		sum->c2d += c->dev.n_c2d;
		sum->errors += c->dev.n_errors;
		while (c->rest) {
			struct dl *d = c->rest;

			c->rest = d->next;
			curl_multi_remove_handle(sim.multi, d->easy);
			curl_easy_cleanup(d->easy);
			curl_slist_free_all(d->hdrs);
			free(d->req_body);
			free(d->body);
			free(d);
		}
		for (k = 0; k < 2; k++)
			if (c->dls[k]) {
				curl_multi_remove_handle(sim.multi, c->dls[k]->easy);
				curl_easy_cleanup(c->dls[k]->easy);
				free(c->dls[k]->body);
				free(c->dls[k]);
			}
		if (c->m) {
			if (mosquitto_socket(c->m) >= 0) {
				int k;

				/* what callbacks queued (status reports, answers) goes out first */
				for (k = 0; k < 100 && mosquitto_socket(c->m) >= 0 &&
					    mosquitto_want_write(c->m); k++)
					mosquitto_loop_write(c->m, 1);
				c->closing = 1;
				mosquitto_disconnect(c->m);
				mosquitto_loop_write(c->m, 1);
			}
			mosquitto_destroy(c->m);
		}
		SSL_CTX_free(c->ctx);
		ncm_dev_release(&c->dev);
	}
	ncm_dev_out_release(&sim.out);
	if (sim.multi)
		curl_multi_cleanup(sim.multi);
	curl_slist_free_all(sim.resolve);
	X509_STORE_free(sim.store);
	free(sim.c);
	free(evs);
	if (sim.epfd >= 0)
		close(sim.epfd);
	S = NULL;
	return rc;
}
