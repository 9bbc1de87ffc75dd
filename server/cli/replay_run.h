/* SPDX-License-Identifier: MIT
 * replay_run.h: what the files of `nrfcloud-mock replay` share while playing a recording: the
 * recording as per-device steps and expected messages (replay_load.c), the devices' MQTT
 * sessions (replay_mqtt.c), and the comparison of what came back (replay_check.c). The command
 * line and the run itself are cmd_replay.c (docs/record-replay.md#replaying).
 */
#ifndef NCM_REPLAY_RUN_H
#define NCM_REPLAY_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ca.h"
#include "cli.h"
#include "devid.h"
#include "replay.h"

#define NCM_REPLAY_MAX_DEVICES 10000
#define NCM_REPLAY_QUIET_MS 3000
#define NCM_REPLAY_CONNECT_TIMEOUT_MS 20000

struct mosquitto;

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
	char crt[PATH_MAX], key[PATH_MAX];
	struct mosquitto *m;
	json_t *subs;             /* topic filters recorded so far (while reading) */
	json_t *live;             /* those of its recorded connection at this point (while
				   * reading): what the server sent it on them, it received */
	struct ncm_replay_msg *expected, *received;
	size_t n_expected, n_received, cap_expected, cap_received;
	int connack;              /* -1 until CONNACK */
	int issued;               /* crt and key were issued into the temporary folder */
	int keepalive;            /* as recorded in its first mqtt.connect */
	int clean;
	struct ncm_replay_http http;
};

struct ncm_replay {
	struct ncm_replay_dev *devs;
	size_t n_devs;
	struct ncm_replay_step *steps;
	size_t n_steps, cap_steps;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t received;          /* all devices */
	size_t pending;           /* subscribes and publishes not acknowledged yet */
};

/* Makes room for element n of *arr (capacity *cap, elements of size bytes), doubling it. */
int ncm_replay_grow(void **arr, size_t *cap, size_t n, size_t size);

/* replay_load.c */

/* Reads the recording at path (devices named in only, a comma-separated list; NULL or "": all):
 * device subscribes, publishes and REST calls become steps; what the server sent a device on a
 * topic it had subscribed becomes what --check expects. r->devs must hold
 * NCM_REPLAY_MAX_DEVICES. 0, or the exit status after printing why. */
int ncm_replay_load(struct ncm_replay *r, const char *path, const char *only);
/* A device's certificate and key: from --certs DIR, else <data>/devices, else issued now by ca
 * into tmp. 0, or the exit status after printing why. */
int ncm_replay_credentials(struct ncm_replay_dev *d, const char *certs, const char *data,
			   const struct ncm_ca *ca, const char *tmp);
/* Removes the files credentials() issued into tmp, and tmp. */
void ncm_replay_remove_issued(const struct ncm_replay *r, const char *tmp);

/* replay_mqtt.c: one libmosquitto client per device, with its own network thread; r->lock
 * guards what the callbacks change. */

/* Connects every device to server:port trusting cafile, with its recorded keep-alive and
 * clean-session flag; waits for every CONNACK. 0, or the exit status after printing why. */
int ncm_replay_connect_all(struct ncm_replay *r, const char *server, int port, const char *cafile);
/* Sends a SUBSCRIBE or PUBLISH step; its acknowledgement is counted in r->pending. */
int ncm_replay_send(struct ncm_replay *r, struct ncm_replay_step *s);
/* Waits until the server acknowledged every subscribe and publish. */
int ncm_replay_wait_acked(struct ncm_replay *r);
/* Waits until the devices received want messages, or nothing came for NCM_REPLAY_QUIET_MS. */
void ncm_replay_wait_quiet(struct ncm_replay *r, size_t want);
/* Disconnects the devices and frees everything r holds (not r->lock and r->cond). */
void ncm_replay_release(struct ncm_replay *r);

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
