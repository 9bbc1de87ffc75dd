/* SPDX-License-Identifier: MIT
 * preconnect.c: closes MQTT connections that send no CONNECT in time (--mqtt-connect-timeout).
 * Mosquitto 2.0.11 gives a new connection the keepalive of 60 s until its CONNECT arrives
 * (src/context.c, context__init) and checks it every 5 s at 1.5 times that (src/keepalive.c),
 * so a socket that never sends CONNECT holds a file descriptor for about 90 s, and there is no
 * option to shorten it; the plugin API has no event for a new socket either. So the broker tick
 * looks at the process's open sockets once a second: a TCP socket whose local port is the MQTT
 * listener's and that has not been seen in a CONNECT (the auth event marks it) for the timeout
 * is shut down; Mosquitto then sees the end of the stream and frees the client as usual.
 * The auth event gets the client's socket from the broker's struct mosquitto, which is not
 * public: its first members are the epoll ident and the socket (lib/mosquitto_internal.h,
 * v2.0.11). The socket found there is used only when it is connected to the client's address
 * on the MQTT port; otherwise the timeout stays off and that is logged once.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"

struct slot {
	ino_t ino;          /* the socket this entry is about (0: none) */
	int64_t first_ms;   /* when the scan first saw it */
	int connected;      /* a CONNECT came on it (or it was shut down) */
	int other;          /* not an MQTT client socket */
};

static struct slot *slots;
static size_t n_slots;
static int64_t last_scan_ms;
static int layout_bad;   /* the client's socket could not be found: timeout off */

static struct slot *slot_for(int fd)
{
	size_t want;
	struct slot *grown;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= n_slots) {
		want = (size_t)fd + 1024;
		grown = realloc(slots, want * sizeof(*slots));
		if (!grown)
			return NULL;
		memset(grown + n_slots, 0, (want - n_slots) * sizeof(*slots));
		slots = grown;
		n_slots = want;
	}
	return &slots[fd];
}

/* The local port of a TCP socket fd, or -1. */
static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* 1 when fd is a connected socket on the MQTT port whose peer has address addr. */
static int is_client_socket(int fd, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char text[INET6_ADDRSTRLEN];
	const void *a;

	if (fd < 0 || local_port(fd) != ncm_rt()->cfg.mqtt_port ||
	    getpeername(fd, (struct sockaddr *)&ss, &len))
		return 0;
	a = ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
				    : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (!inet_ntop(ss.ss_family, a, text, sizeof(text)))
		return 0;
	return addr && !strcmp(addr, text);
}

void ncm_mqtt_preconnect_seen(struct mosquitto *client)
{
	const int *head = (const int *)(const void *)client;
	const char *addr = mosquitto_client_address(client);
	struct slot *s;
	struct stat st;
	int fd = -1;

	if (layout_bad)
		return;
	/* built WITH_EPOLL (Debian's): ident, then sock; else sock first */
	if (is_client_socket(head[1], addr))
		fd = head[1];
	else if (is_client_socket(head[0], addr))
		fd = head[0];
	if (fd < 0) {
		layout_bad = 1;
		ncm_log(NCM_LOG_WARNING, "mqtt: cannot find a client's socket in this Mosquitto "
			"build; --mqtt-connect-timeout is off (Mosquitto's own 90 s applies)");
		return;
	}
	s = slot_for(fd);
	if (s && !fstat(fd, &st)) {
		if (s->ino != st.st_ino)
			s->first_ms = ncm_rt_now_ms();
		s->ino = st.st_ino;
		s->connected = 1;
		s->other = 0;
	}
}

void ncm_mqtt_preconnect_tick(int64_t now_ms)
{
	const int64_t timeout_ms = (int64_t)ncm_rt()->cfg.mqtt_connect_timeout * 1000;
	int port = ncm_rt()->cfg.mqtt_port, mqtt = 0, files = 0, closed = 0, dfd;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (now_ms - last_scan_ms < 1000)
		return;
	last_scan_ms = now_ms;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd, listening = 0;
		socklen_t len = sizeof(listening);
		struct slot *s;

		if (e->d_name[0] == '.')
			continue;
		files++;
		fd = atoi(e->d_name);
		if (fd == dfd || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
			continue;
		s = slot_for(fd);
		if (!s)
			continue;
		if (s->ino != st.st_ino) {
			/* a socket not seen before on this descriptor: is it an MQTT client? */
			s->ino = st.st_ino;
			s->connected = 0;
			s->first_ms = now_ms;
			s->other = local_port(fd) != port ||
				   getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ||
				   listening;
		}
		if (s->other)
			continue;
		mqtt++;
		if (!s->connected && !layout_bad && now_ms - s->first_ms >= timeout_ms) {
			shutdown(fd, SHUT_RDWR);
			s->connected = 1; /* Mosquitto closes it on its next read */
			closed++;
		}
	}
	closedir(d);
	ncm_rt_set_fd_load(mqtt, files);
	if (closed) {
		char reason[160];
		struct ncm_journal_rec rec = { 0 };

		snprintf(reason, sizeof(reason), "closed %d connection%s that sent no CONNECT "
			 "within %d s (--mqtt-connect-timeout)", closed, closed == 1 ? "" : "s",
			 ncm_rt()->cfg.mqtt_connect_timeout);
		ncm_log(NCM_LOG_NOTICE, "mqtt: %s", reason);
		rec.kind = "mqtt.connect_timeout";
		rec.status = closed;
		rec.reason = reason;
		ncm_rt_journal(&rec);
	}
}

void ncm_mqtt_preconnect_clear(void)
{
	free(slots);
	slots = NULL;
	n_slots = 0;
	last_scan_ms = 0;
	layout_bad = 0;
}
