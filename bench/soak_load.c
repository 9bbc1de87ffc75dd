/* SPDX-License-Identifier: MIT
 * soak_load.c: holds N MQTT devices connected over mutual TLS for a while, each publishing a
 * small d2c message now and then (a trickle), all from one thread with poll(2) and
 * libmosquitto's loop_read/loop_write/loop_misc. Device certificates come from the lab CA of a
 * data folder (one key, one certificate per device ID). Used by bench/run-soak.sh against
 * nrfcloud-mock and against plain Mosquitto with the same load; not a test.
 *
 *   soak_load DATA_DIR HOST PORT PREFIX DEVICES SECONDS INTERVAL_S [FIRST]
 *
 * FIRST (default 0) is the index of the first device, so that several processes can share one
 * load: a libmosquitto client holds three descriptors (its socket and the socket pair
 * mosquitto_new makes), and one process's open-file limit caps how many it can hold.
 * PREFIX is the topic prefix ("<stage>/<tenant>/", or "" for plain Mosquitto). Connects the
 * devices one after another, prints "connected N" once they all have their CONNACK, then a
 * line every 10 s,
 * then "done connected=N lost=N published=N".
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <openssl/x509.h>

#include "ca.h"
#include "pki.h"

struct device {
	struct mosquitto *m;
	char id[32];
	int connected;
	int lost;
	long long next_pub_ms;
	long long pub_sent_ms;   /* when the publish now awaiting its PUBACK was sent (0: none) */
};

/* Why devices were lost (libmosquitto's rc in on_disconnect): MOSQ_ERR_KEEPALIVE means this
 * process closed the connection itself (no PINGRESP within a keep-alive), MOSQ_ERR_CONN_LOST
 * that the broker closed it or the socket failed. */
static int lost_keepalive, lost_conn, lost_other;
/* the load generator's own health: the longest gap between two service rounds, and the
 * longest PUBACK wait, in this report window and overall */
static long long gap_max_ms, gap_max_all_ms, ack_max_ms, ack_max_all_ms, last_service_ms;
static long long run_start_ms;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct device *d = ud;

	(void)m;
	if (rc == 0)
		d->connected = 1;
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	struct device *d = ud;

	(void)m;
	if (d->connected) {
		d->lost = 1;
		if (rc == MOSQ_ERR_KEEPALIVE)
			lost_keepalive++;
		else if (rc == MOSQ_ERR_CONN_LOST)
			lost_conn++;
		else
			lost_other++;
		/* libmosquitto 2.0.11's mosquitto_strerror has no text for MOSQ_ERR_KEEPALIVE */
		printf("lost %s t=%llds rc=%d (%s)%s\n", d->id, (now_ms() - run_start_ms) / 1000, rc,
		       rc == MOSQ_ERR_KEEPALIVE ? "keep-alive: no PINGRESP in time"
						: mosquitto_strerror(rc),
		       d->pub_sent_ms ? " with a PUBACK outstanding" : "");
		fflush(stdout);
	}
	d->connected = 0;
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	struct device *d = ud;
	long long wait;

	(void)m;
	(void)mid;
	if (!d->pub_sent_ms)
		return;
	wait = now_ms() - d->pub_sent_ms;
	d->pub_sent_ms = 0;
	if (wait > ack_max_ms)
		ack_max_ms = wait;
	if (wait > ack_max_all_ms)
		ack_max_all_ms = wait;
}

/* One round over devices [0, n): poll (up to timeout_ms), read and write what is ready, and
 * every second the keepalive work (PINGREQ) of each. */
static void service(struct device *devs, int n, struct pollfd *pfd, int *pidx, int timeout_ms)
{
	static long long last_misc;
	int i, np = 0;
	long long t = now_ms();

	if (last_service_ms && t - last_service_ms > gap_max_ms)
		gap_max_ms = t - last_service_ms;
	if (gap_max_ms > gap_max_all_ms)
		gap_max_all_ms = gap_max_ms;
	last_service_ms = t;
	for (i = 0; i < n; i++) {
		int fd = mosquitto_socket(devs[i].m);

		if (fd < 0)
			continue;
		pfd[np].fd = fd;
		pfd[np].events = POLLIN | (mosquitto_want_write(devs[i].m) ? POLLOUT : 0);
		pidx[np++] = i;
	}
	if (poll(pfd, (nfds_t)np, timeout_ms) > 0) {
		for (i = 0; i < np; i++) {
			struct mosquitto *m = devs[pidx[i]].m;

			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				mosquitto_loop_read(m, 1);
			if (pfd[i].revents & POLLOUT)
				mosquitto_loop_write(m, 1);
		}
	}
	if (now_ms() - last_misc >= 1000) {
		for (i = 0; i < n; i++)
			mosquitto_loop_misc(devs[i].m);
		last_misc = now_ms();
	}
}

/* Writes <dir>/<id>.crt and .key for every device; the key is shared. */
static int make_certs(const char *data, const char *dir, struct device *devs, int n)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	EVP_PKEY *key = NULL;
	int i;

	if (ncm_ca_load(data, &ca, &err) || ncm_pki_key_new(&key, &err)) {
		fprintf(stderr, "soak_load: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		X509 *cert = NULL;

		if (ncm_pki_device_cert_new(ca.cert, ca.key, key, devs[i].id, time(NULL), 30, &cert,
					    &err) ||
		    ncm_ca_write_device(dir, devs[i].id, cert, key, &err)) {
			fprintf(stderr, "soak_load: %s\n", err.msg);
			X509_free(cert);
			return -1;
		}
		X509_free(cert);
	}
	EVP_PKEY_free(key);
	ncm_ca_release(&ca);
	return 0;
}

int main(int argc, char **argv)
{
	const char *data, *host, *prefix;
	int port, n, first = 0, seconds, interval, i, connected = 0, lost = 0;
	long long published = 0, start, deadline, last_report, last_misc = 0;
	char dir[PATH_MAX], ca_path[PATH_MAX + 16], crt[PATH_MAX + 64], key[PATH_MAX + 64];
	char topic[256];
	struct device *devs;
	struct pollfd *pfd;
	int *pidx;
	struct rlimit rl;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: soak_load DATA_DIR HOST PORT PREFIX DEVICES SECONDS "
				"INTERVAL_S [FIRST]\n");
		return 2;
	}
	data = argv[1];
	host = argv[2];
	port = atoi(argv[3]);
	prefix = argv[4];
	n = atoi(argv[5]);
	seconds = atoi(argv[6]);
	interval = atoi(argv[7]);
	if (argc == 9)
		first = atoi(argv[8]);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (3 * (rlim_t)n + 64 > rl.rlim_cur) {
		fprintf(stderr, "soak_load: open-file limit %llu is too low for %d devices\n",
			(unsigned long long)rl.rlim_cur, n);
		return 1;
	}
	devs = calloc((size_t)n, sizeof(*devs));
	pfd = calloc((size_t)n, sizeof(*pfd));
	pidx = calloc((size_t)n, sizeof(*pidx));
	if (!devs || !pfd || !pidx)
		return 1;
	for (i = 0; i < n; i++)
		snprintf(devs[i].id, sizeof(devs[i].id), "nrf-35265619%07d", first + i);
	snprintf(dir, sizeof(dir), "%s/soak-devices", data);
	snprintf(ca_path, sizeof(ca_path), "%s/ca/ca.pem", data);
	if (make_certs(data, dir, devs, n))
		return 1;
	mosquitto_lib_init();
	srand((unsigned)getpid());
	start = run_start_ms = now_ms();
	for (i = 0; i < n; i++) {
		struct device *d = &devs[i];

		d->m = mosquitto_new(d->id, true, d);
		snprintf(crt, sizeof(crt), "%s/%s.crt", dir, d->id);
		snprintf(key, sizeof(key), "%s/%s.key", dir, d->id);
		if (!d->m || mosquitto_tls_set(d->m, ca_path, NULL, crt, key, NULL) ||
		    mosquitto_tls_insecure_set(d->m, true)) {
			fprintf(stderr, "soak_load: cannot set up %s\n", d->id);
			return 1;
		}
		mosquitto_connect_callback_set(d->m, on_connect);
		mosquitto_disconnect_callback_set(d->m, on_disconnect);
		mosquitto_publish_callback_set(d->m, on_publish);
		if (mosquitto_connect(d->m, host, port, 60) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "soak_load: %s cannot connect: %s\n", d->id,
				strerror(errno));
			return 1;
		}
		/* one at a time: the TLS handshake and CONNACK of this device before the next
		 * (mosquitto_loop uses select(), which stops at descriptor 1024: poll here) */
		{
			long long until = now_ms() + 5000;

			while (!d->connected && now_ms() < until) {
				struct pollfd p = { .fd = mosquitto_socket(d->m), .events = POLLIN };

				if (p.fd < 0)
					break;
				if (mosquitto_want_write(d->m))
					p.events |= POLLOUT;
				if (poll(&p, 1, 50) <= 0)
					continue;
				if (p.revents & (POLLIN | POLLHUP | POLLERR))
					mosquitto_loop_read(d->m, 1);
				if (p.revents & POLLOUT)
					mosquitto_loop_write(d->m, 1);
			}
		}
		if (i % 1000 == 999) {
			printf("connecting: %d\n", i + 1);
			fflush(stdout);
		}
		/* keep the earlier ones alive (PINGREQ, PUBACKs) while connecting */
		if (now_ms() - last_misc >= 1000) {
			service(devs, i + 1, pfd, pidx, 0);
			last_misc = now_ms();
		}
	}
	deadline = now_ms() + 10000;
	last_report = now_ms();
	for (;;) {
		long long t = now_ms();

		connected = 0;
		for (i = 0; i < n; i++)
			connected += devs[i].connected;
		if (deadline && (connected == n || t >= deadline)) {
			printf("connected %d\n", connected);
			fflush(stdout);
			deadline = 0;
			start = run_start_ms = t;
			gap_max_ms = ack_max_ms = gap_max_all_ms = ack_max_all_ms = 0;
			for (i = 0; i < n; i++)
				devs[i].next_pub_ms = t + (long long)(rand() % (interval * 1000 + 1));
		}
		if (!deadline && t - start >= (long long)seconds * 1000)
			break;
		if (!deadline && t - last_report >= 10000) {
			lost = 0;
			for (i = 0; i < n; i++)
				lost += devs[i].lost;
			printf("t=%llds connected=%d lost=%d published=%lld max-gap=%lldms "
			       "max-puback=%lldms\n", (t - start) / 1000, connected, lost, published,
			       gap_max_ms, ack_max_ms);
			fflush(stdout);
			last_report = t;
			gap_max_ms = ack_max_ms = 0;
		}
		for (i = 0; i < n; i++) {
			struct device *d = &devs[i];

			if (!deadline && d->connected && t >= d->next_pub_ms) {
				char payload[96];

				snprintf(topic, sizeof(topic), "%sm/d/%s/d2c", prefix, d->id);
				snprintf(payload, sizeof(payload),
					 "{\"appId\":\"TEMP\",\"messageType\":\"DATA\",\"data\":\"%d\"}",
					 rand() % 40);
				if (mosquitto_publish(d->m, NULL, topic, (int)strlen(payload), payload,
						      1, false) == MOSQ_ERR_SUCCESS) {
					published++;
					if (!d->pub_sent_ms)
						d->pub_sent_ms = t;
				}
				d->next_pub_ms = t + (long long)interval * 1000;
			}
		}
		service(devs, n, pfd, pidx, 100);
	}
	lost = 0;
	for (i = 0; i < n; i++) {
		lost += devs[i].lost;
		devs[i].connected = 0; /* our own DISCONNECT is no loss */
		mosquitto_disconnect(devs[i].m);
		mosquitto_loop_write(devs[i].m, 1);
		mosquitto_destroy(devs[i].m);
	}
	printf("done connected=%d lost=%d lost-keepalive=%d lost-conn=%d lost-other=%d "
	       "published=%lld max-gap-ms=%lld max-puback-ms=%lld\n", connected, lost,
	       lost_keepalive, lost_conn, lost_other, published, gap_max_all_ms, ack_max_all_ms);
	mosquitto_lib_cleanup();
	free(devs);
	free(pfd);
	free(pidx);
	return 0;
}
