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
 * nRF Cloud's GET /v1/messages output into a recording instead (replay_import.c). This file is
 * the command line and the run; replay_load.c reads the recording, replay_mqtt.c runs the
 * devices' MQTT sessions, replay_check.c compares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include <curl/curl.h>

#include "db.h"
#include "file.h"
#include "replay_run.h"
#include "team.h"

#define fail(...) ncm_cli_fail("replay", __VA_ARGS__)

static int cmp_steps(const void *a, const void *b)
{
	const struct ncm_replay_step *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Room in the open-file limit for n devices: libmosquitto opens three descriptors per client
 * (its socket and a socket pair that wakes its loop), and a few more are needed (REST, files).
 * Raises the soft limit towards the hard one when the default (often 1024) is too small. */
static void room_for_devices(size_t n)
{
	rlim_t need = (rlim_t)n * 3 + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
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
	struct ncm_replay r = { 0 };
	struct ncm_opt all[32];
	const struct ncm_opt *opts;
	char server[256] = "127.0.0.1", certs[PATH_MAX] = "", speed[32] = "1", only[4096] = "";
	char import_path[PATH_MAX] = "", out_path[PATH_MAX] = "", prefix[256] = "";
	char cafile[PATH_MAX];
	char *pos[NCM_MAX_POSITIONAL];
	int port = 8883, https_port = 8443, do_check = 0, help, rc, have_ca = 0;
	size_t n, n_pos, i, want = 0, published = 0, mismatches = 0, calls = 0;
	double factor = 1;
	int64_t t0, t_load, t_connected = 0, start_ts;

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
	r.devs = calloc(NCM_REPLAY_MAX_DEVICES, sizeof(*r.devs));
	if (!r.devs)
		return fail(1, "out of memory");
	t_load = ncm_replay_now_ms();
	rc = ncm_replay_load(&r, pos[0], only);
	if (!rc && !r.n_devs)
		rc = fail(2, "%s: no device traffic to replay", pos[0]);
	if (!rc && ncm_ca_load(cfg.data_dir, &ca, &err) == NCM_OK)
		have_ca = 1;
	for (i = 0; i < r.n_devs && !rc; i++) {
		if (!have_ca && !certs[0])
			rc = fail(2, "no lab CA in %s/ca and no --certs", cfg.data_dir);
		else
			rc = ncm_replay_credentials(&r.devs[i], certs, cfg.data_dir, have_ca ? &ca : NULL);
	}
	if (!rc && ((certs[0] && ncm_path(cafile, sizeof(cafile), "%s/ca.pem", certs)) ||
		    (!certs[0] && ncm_path(cafile, sizeof(cafile), "%s/ca/ca.pem", cfg.data_dir))))
		rc = fail(2, "path too long");
	for (i = 0; i < r.n_devs && !rc; i++) {
		struct ncm_replay_http *h = &r.devs[i].http;

		snprintf(h->base, sizeof(h->base), "https://%s:%d", server, https_port);
		h->cafile = cafile;
		snprintf(h->key_path, sizeof(h->key_path), "%s", r.devs[i].key);
		h->key = r.devs[i].pkey;
		snprintf(h->device_id, sizeof(h->device_id), "%s", r.devs[i].id);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mosquitto_lib_init();
	room_for_devices(r.n_devs);
	if (!rc)
		rc = ncm_replay_tls(&r, server, cafile);
	if (r.n_steps)
		qsort(r.steps, r.n_steps, sizeof(*r.steps), cmp_steps);
	/* the clock starts here: reading the recording and the devices' certificates and keys
	 * (t_load) is not replaying; connecting is */
	t0 = ncm_replay_now_ms();
	t_load = t0 - t_load;
	if (!rc)
		rc = ncm_replay_connect_start(&r, server, port);
	/* in recorded time, the recording's clock starts once every device is connected; at
	 * max speed each device goes on as soon as its own CONNACK is in, while the others
	 * are still connecting */
	if (!rc && factor > 0)
		rc = ncm_replay_wait_connected(&r, NULL);
	start_ts = r.n_steps ? r.steps[0].ts : 0;
	for (i = 0; i < r.n_steps && !rc; i++) {
		struct ncm_replay_step *s = &r.steps[i];
		int64_t due = t0 + (factor > 0 ? (int64_t)((double)(s->ts - start_ts) / factor) : 0);

		if (s->dev->connack != 0 && (rc = ncm_replay_wait_connected(&r, s->dev)))
			break;

		while (factor > 0 && due > ncm_replay_now_ms())
			ncm_replay_pump(&r, due);
		if (s->rest) {
			/* in order with the device's MQTT traffic: what it published so far is
			 * acknowledged first, as the device waits for its PUBACKs */
			rc = ncm_replay_wait_acked(&r);
			if (!rc)
				mismatches += (size_t)ncm_replay_rest_step(s, do_check);
			calls++;
			continue;
		}
		rc = ncm_replay_send(&r, s);
		published += !s->subscribe;
	}
	for (i = 0; i < r.n_devs; i++)
		want += r.devs[i].n_expected;
	if (!rc)
		rc = ncm_replay_wait_connected(&r, NULL);
	t_connected = r.all_connected_ms;
	if (!rc)
		rc = ncm_replay_wait_acked(&r);
	if (!rc)
		ncm_replay_wait_quiet(&r, want);
	if (!rc && do_check)
		mismatches += ncm_replay_check(&r);
	if (!rc) {
		int64_t ms = ncm_replay_now_ms() - t0;

		printf("replay: %zu devices, %zu messages published, %zu received (%zu recorded), "
		       "%zu REST calls, %zu mismatches, %lld ms, %.0f messages/s (connecting %lld ms; "
		       "before that, loading %lld ms)\n", r.n_devs,
		       published, r.received, want, calls, mismatches, (long long)ms,
		       ms > 0 ? (double)(published + r.received) * 1000.0 / (double)ms : 0.0,
		       (long long)(t_connected - t0), (long long)t_load);
		if (r.reconnects)
			fprintf(stderr, "replay: %zu devices were dropped by the server and connected "
				"again\n", r.reconnects);
		rc = mismatches ? 1 : 0;
	}
	ncm_replay_release(&r);
	mosquitto_lib_cleanup();
	curl_global_cleanup();
	if (have_ca)
		ncm_ca_release(&ca);
	return rc;
}
