/* SPDX-License-Identifier: MIT
 * sim.h: the device engine's transport: runs many ncm_dev cores in one event loop (poll over
 * every device's libmosquitto socket and libcurl's download sockets, driven with
 * mosquitto_loop_read/write/misc and curl_multi), starts them at a ramp, writes events as JSON
 * lines and prints the summary. Credentials come in memory from the caller (server/cli/cmd_sim.c).
 * One thread; not reentrant.
 */
#ifndef NCM_SIM_H
#define NCM_SIM_H

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dev.h"

struct ncm_sim_cred {
	char id[129];
	X509 *cert;      /* owned by the caller */
	EVP_PKEY *key;   /* owned by the caller */
};

struct ncm_sim_opts {
	const char *server;       /* MQTT and HTTPS address (127.0.0.1) */
	int mqtt_port;
	int https_port;           /* REST devices */
	const char *tls_name;     /* name checked in the server certificate (NULL: server) */
	const char *cafile;       /* PEM of the CA that signs the server certificate */
	double ramp;              /* new connections per second (0: all at once) */
	int duration_ms;          /* run time; 0 = until SIGINT/SIGTERM */
	int hold_ms;              /* stop this long after every device was first ready (0: no) */
	int stall_ms;             /* a download piece with no byte for this long is a stall */
	FILE *events;             /* JSON lines, one per device event (may be NULL) */
	int print_c2d;            /* print c2d messages on stdout */
	int pty_fd;               /* the lab shell's master side for device 0, or -1 */
	int connect_window;       /* at most this many connects without CONNACK (0: no limit) */
	const struct ncm_dev_profile *profile;
};

struct ncm_sim_summary {
	unsigned long devices, connected, ready, sent, received, deltas, c2d, errors;
	unsigned long fota_succeeded, fota_failed, fota_rejected, agnss, pgps, locations;
	unsigned long reconnects;
	long long ms;             /* run time */
	long long connect_ms;     /* time until every device had its first CONNACK */
	long long ready_ms;       /* time until every device was first ready */
};

/* Runs the devices until the duration ends or a signal arrives; fills sum. Returns 0, or -1
 * after printing why on stderr (nothing could start). */
int ncm_sim_run(const struct ncm_sim_opts *o, const struct ncm_sim_cred *creds, size_t n,
		struct ncm_sim_summary *sum);

/* The summary line (no newline) into buf. */
void ncm_sim_summary_line(const struct ncm_sim_summary *s, const struct ncm_dev_profile *p,
			  char *buf, size_t size);

/* Lab shell (device/sim_shell.c, docs/lab-shell.md): one command line for dev; the answer
 * line(s) go to fd. */
void ncm_sim_shell_line(struct ncm_dev *dev, const char *line, int64_t now, int fd,
			struct ncm_dev_out *out);

#endif
