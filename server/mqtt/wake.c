/* SPDX-License-Identifier: MIT
 * wake.c: waking the broker loop when another thread queues work for it. Mosquitto 2.0.11
 * runs the plugins' TICK after each epoll_wait, which waits up to 100 ms (src/mux_epoll.c,
 * src/loop.c), and offers no call to interrupt it; it also blocks only its own signals around
 * the wait. So the plugin keeps one MQTT connection to its own broker, on an internal Unix
 * socket listener (the last in mosquitto.conf): a thread that queued a command sends a PINGREQ
 * on it, epoll_wait returns for that socket, and the TICK that follows runs the command. The
 * connection authenticates with a random password made at each start (on_auth.c lets only it
 * in without a certificate); it never subscribes or publishes and is not a device.
 * One PINGREQ is in flight at a time (pending); the tick clears pending before it takes the
 * queue, so a command queued after that sends a new one: no wake-up is lost.
 */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cmdq.h"
#include "log.h"
#include "runtime.h"

#define USERNAME "nrfcloud-mock-internal-wake"
#define CONNECT_TRIES 10000 /* 1 ms apart: the listener opens after plugin init */

static char sock_path[108];
static char secret[33];
static atomic_int wake_fd = -1;
static atomic_int pending;
static pthread_t broker_thread, connector;
static int connector_started;
static atomic_int stopping;

static void put16(unsigned char **p, size_t n)
{
	*(*p)++ = (unsigned char)(n >> 8);
	*(*p)++ = (unsigned char)n;
}

static void put_str(unsigned char **p, const char *s)
{
	size_t n = strlen(s);

	put16(p, n);
	memcpy(*p, s, n);
	*p += n;
}

/* Connects to the internal listener and sends CONNECT (MQTT 3.1.1, clean session, no
 * keepalive, username and password); the CONNACK and PINGRESPs are read and dropped by
 * ncm_mqtt_wake_drain. The socket, or -1. */
static int open_connection(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned char pkt[256], *p = pkt + 2;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -1;
	}
	put_str(&p, "MQTT");
	*p++ = 4;    /* protocol level: 3.1.1 */
	*p++ = 0xc2; /* username, password, clean session */
	put16(&p, 0); /* no keepalive */
	put_str(&p, USERNAME);
	put_str(&p, USERNAME);
	put_str(&p, secret);
	pkt[0] = 0x10;
	pkt[1] = (unsigned char)(p - pkt - 2);
	if (send(fd, pkt, (size_t)(p - pkt), MSG_NOSIGNAL) != p - pkt) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Connects as soon as the broker listens; then every listener is up (the internal one is the
 * last), so the broker is ready: /health need not wait for the first tick. */
static void *connector_main(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	int i, fd = -1;

	(void)arg;
	for (i = 0; i < CONNECT_TRIES && !atomic_load(&stopping); i++) {
		fd = open_connection();
		if (fd >= 0)
			break;
		nanosleep(&ms, NULL);
	}
	if (fd < 0) {
		if (!atomic_load(&stopping))
			ncm_log(NCM_LOG_WARNING, "mqtt: cannot connect to %s; queued work waits "
				"for the broker's 100 ms tick", sock_path);
		return NULL;
	}
	atomic_store(&wake_fd, fd);
	ncm_rt_set_broker_ready();
	return NULL;
}

int ncm_mqtt_wake_check(const char *username, const char *password)
{
	size_t n = strlen(secret);

	if (!username || strcmp(username, USERNAME))
		return 0;
	return n && password && strlen(password) == n && !CRYPTO_memcmp(password, secret, n)
		       ? 1
		       : -1;
}

void ncm_mqtt_wake(void)
{
	static const unsigned char pingreq[2] = { 0xc0, 0x00 };
	int fd = atomic_load(&wake_fd);

	if (fd < 0 || pthread_equal(pthread_self(), broker_thread))
		return;
	if (atomic_exchange(&pending, 1))
		return;
	if (send(fd, pingreq, sizeof(pingreq), MSG_NOSIGNAL | MSG_DONTWAIT) != 2)
		atomic_store(&pending, 0);
}

void ncm_mqtt_wake_drain(void)
{
	unsigned char buf[512];
	int fd = atomic_load(&wake_fd), nfd;
	ssize_t n;

	atomic_store(&pending, 0);
	if (fd < 0)
		return;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	/* the broker closed it (a reset kicks every client): connect again, in place, so other
	 * threads never send on a number that was closed and reused */
	nfd = open_connection();
	if (nfd < 0) {
		ncm_log(NCM_LOG_WARNING, "mqtt: lost the wake-up connection to %s", sock_path);
		return;
	}
	dup3(nfd, fd, O_CLOEXEC);
	close(nfd);
}

int ncm_mqtt_wake_start(void)
{
	unsigned char raw[16];
	int i;

	broker_thread = pthread_self();
	atomic_store(&stopping, 0);
	if (ncm_config_wake_socket(&ncm_rt()->cfg, sock_path, sizeof(sock_path)))
		return 0; /* no internal listener: the tick alone runs queued work */
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	ncm_cmdq_set_wake(ncm_mqtt_wake);
	if (ncm_rt_thread_create(&connector, connector_main, NULL))
		return -1;
	connector_started = 1;
	return 0;
}

void ncm_mqtt_wake_stop(void)
{
	int fd;

	ncm_cmdq_set_wake(NULL);
	atomic_store(&stopping, 1);
	if (connector_started) {
		pthread_join(connector, NULL);
		connector_started = 0;
	}
	fd = atomic_exchange(&wake_fd, -1);
	if (fd >= 0)
		close(fd);
	memset(secret, 0, sizeof(secret));
}
