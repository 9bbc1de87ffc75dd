/* SPDX-License-Identifier: MIT
 * replay_run.h: what the files of `nrfcloud-mock replay` share while playing a recording: the
 * recording as per-device steps and expected messages (replay_load.c), the devices' MQTT
 * sessions (replay_mqtt.c), and the comparison of what came back (replay_check.c). The command
 * line and the run itself are cmd_replay.c (docs/record-replay.md#replaying).
 */
#ifndef NCM_REPLAY_RUN_H
#define NCM_REPLAY_RUN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "ca.h"
#include "cli.h"
#include "devid.h"
#include "replay.h"

#define NCM_REPLAY_MAX_DEVICES 10000
#define NCM_REPLAY_QUIET_MS 3000
#define NCM_REPLAY_CONNECT_TIMEOUT_MS 20000
#define NCM_REPLAY_RECONNECT_MS 1000

struct mosquitto;
struct pollfd;

struct ncm_replay_payload {
	char *data;
	size_t len;
};

struct ncm_replay_step {
	int64_t ts;
	size_t order;
	int subscribe;            /* 1: SUBSCRIBE topic, 0: PUBLISH topic payload */
	int rest;                 /* 1: a REST call: method topic (path and query) with body p */
	int qos;
	char *topic;
	struct ncm_replay_payload p;
	struct ncm_replay_dev *dev;
	char method[16];          /* REST */
	long want_status;         /* REST: the recorded status */
	char *want_answer;        /* REST: the recorded JSON answer, or NULL */
};

struct ncm_replay_msg {
	char *topic;
	struct ncm_replay_payload p;
	int matched;
};

struct ncm_replay_dev {
	char id[NCM_DEVID_MAX + 1];
	char crt[PATH_MAX], key[PATH_MAX]; /* where its certificate and key came from */
	X509 *cert;               /* its certificate, parsed once before the run */
	STACK_OF(X509) *chain;    /* certificates after it in its .crt file, or NULL */
	EVP_PKEY *pkey;           /* its private key */
	struct mosquitto *m;
	json_t *subs;             /* topic filters recorded so far (while reading) */
	json_t *live;             /* those of its recorded connection at this point (while
				   * reading): what the server sent it on them, it received */
	struct ncm_replay_msg *expected, *received;
	size_t n_expected, n_received, cap_expected, cap_received;
	int connack;              /* -1 until CONNACK */
	int issued;               /* cert and key were issued now by the lab CA */
	size_t pending;           /* its subscribes and publishes not acknowledged yet */
	int64_t lost_at;          /* when the server dropped it (monotonic ms), or 0 */
	int keepalive;            /* as recorded in its first mqtt.connect */
	int clean;
	struct ncm_replay_http http;
};

struct ncm_replay {
	struct ncm_replay_dev *devs;
	size_t n_devs;
	struct ncm_replay_step *steps;
	size_t n_steps, cap_steps;
	SSL_CTX *ssl_ctx;         /* one TLS context for every device (replay_mqtt.c) */
	struct ncm_replay_dev **by_fd; /* the device whose socket is fd (n_by_fd entries) */
	size_t n_by_fd;
	struct pollfd *pfds;      /* the event loop's poll set, one per device */
	struct ncm_replay_dev **pdevs;
	int64_t next_misc;        /* when keep-alives are due to be looked at */
	int closing;              /* disconnecting at the end: no reconnects */
	size_t connacks;          /* devices that got their first CONNACK */
	int64_t all_connected_ms; /* when the last of them did (monotonic), or 0 */
	int64_t connect_deadline; /* when a missing CONNACK fails the replay */
	size_t received;          /* all devices */
	size_t waiting;           /* devices that received fewer messages than recorded */
	size_t pending;           /* subscribes and publishes not acknowledged yet */
	size_t reconnects;        /* devices the server dropped and that connected again */
};

/* Makes room for element n of *arr (capacity *cap, elements of size bytes), doubling it. */
int ncm_replay_grow(void **arr, size_t *cap, size_t n, size_t size);

/* replay_load.c */

/* Reads the recording at path (devices named in only, a comma-separated list; NULL or "": all):
 * device subscribes, publishes and REST calls become steps; what the server sent a device on a
 * topic it had subscribed becomes what --check expects. r->devs must hold
 * NCM_REPLAY_MAX_DEVICES. 0, or the exit status after printing why. */
int ncm_replay_load(struct ncm_replay *r, const char *path, const char *only);
/* A device's certificate and key, parsed into d->cert, d->chain and d->pkey: from --certs DIR,
 * else <data>/devices, else issued now by ca (in memory). 0, or the exit status after printing
 * why. */
int ncm_replay_credentials(struct ncm_replay_dev *d, const char *certs, const char *data,
			   const struct ncm_ca *ca);

/* replay_mqtt.c: one libmosquitto client per device, all driven by one event loop (poll) on the
 * calling thread, sharing one TLS context; callbacks run inside ncm_replay_pump. */

/* Makes the devices' TLS context: TLS 1.2, the server's certificate checked against cafile and
 * the name (or address) server; each device's certificate and key are given to its own
 * connection during the handshake. 0, or the exit status after printing why. */
int ncm_replay_tls(struct ncm_replay *r, const char *server, const char *cafile);
/* Starts connecting every device to server:port at once, with its recorded keep-alive and
 * clean-session flag; their handshakes go on in ncm_replay_pump. 0, or the exit status after
 * printing why. */
int ncm_replay_connect_start(struct ncm_replay *r, const char *server, int port);
/* Runs the loop until device d (NULL: every device) has its CONNACK, at most until
 * NCM_REPLAY_CONNECT_TIMEOUT_MS after the start. 0, or the exit status after printing why (no
 * CONNACK, or refused). */
int ncm_replay_wait_connected(struct ncm_replay *r, struct ncm_replay_dev *d);
/* Sends a SUBSCRIBE or PUBLISH step; its acknowledgement is counted in r->pending. */
int ncm_replay_send(struct ncm_replay *r, struct ncm_replay_step *s);
/* Runs the event loop until the monotonic time until_ms (-1: once, without waiting). */
void ncm_replay_pump(struct ncm_replay *r, int64_t until_ms);
/* Runs the loop until the server acknowledged every subscribe and publish. */
int ncm_replay_wait_acked(struct ncm_replay *r);
/* Runs the loop until the devices received want messages and each device as many as the
 * recording says it got, or nothing came for NCM_REPLAY_QUIET_MS. */
void ncm_replay_wait_quiet(struct ncm_replay *r, size_t want);
/* Disconnects the devices and frees everything r holds. */
void ncm_replay_release(struct ncm_replay *r);
/* Monotonic milliseconds. */
int64_t ncm_replay_now_ms(void);

/* replay_check.c */

/* 1 when a and b are equal as JSON once what legitimately changes between runs is dropped
 * (times, versions, tokens, IDs, UUIDs, the server's ports), or byte for byte when either is not
 * JSON. */
int ncm_replay_same(const struct ncm_replay_payload *a, const struct ncm_replay_payload *b);
/* Prints each expected message nothing matched (with what came on its topic instead) and each
 * unexpected one; returns how many. */
size_t ncm_replay_check(struct ncm_replay *r);
/* Makes a REST step again; with check_it, compares its status and JSON answer with the
 * recording. Returns 1 for a mismatch (printed), 0 otherwise. */
int ncm_replay_rest_step(struct ncm_replay_step *s, int check_it);

#endif
