/* SPDX-License-Identifier: MIT
 * cmd_sim.c: `nrfcloud-mock sim` (docs/sim.md): N simulated nRF91 devices that behave like
 * nRF Connect SDK nrf_cloud firmware of one generation (--ncs 2.5|2.8|3.3), in one process
 * and one event loop (device/). This file reads the flags, gets each device's credentials
 * (certificates issued now by the lab CA in --data, or <id>.crt/<id>.key from --certs), runs
 * the engine and prints the summary line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mosquitto.h>
#include <openssl/pem.h>

#include "ca.h"
#include "cli.h"
#include "devid.h"
#include "file.h"
#include "sim.h"

#define fail(...) ncm_cli_fail("sim", __VA_ARGS__)
#define MAX_SIM_DEVICES 100000

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

/* Every <id>.crt with its <id>.key in dir, sorted, at most max (0: all). */
static int creds_from_dir(const char *dir, size_t max, struct ncm_sim_cred **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[PATH_MAX];
	size_t cnt = 0, cap = 0, i, total;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return fail(2, "--certs %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".crt") || len - 4 > NCM_DEVID_MAX)
			continue;
		if (cnt == cap) {
			void *p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(char *));

			if (!p)
				abort();
			names = p;
		}
		names[cnt++] = strndup(e->d_name, len - 4);
	}
	closedir(d);
	if (cnt)
		qsort(names, cnt, sizeof(char *), cmp_str);
	total = cnt;
	if (max && cnt > max)
		cnt = max;
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	for (i = 0; i < cnt && !rc; i++) {
		struct ncm_sim_cred *c = &(*out)[i];

		snprintf(c->id, sizeof(c->id), "%s", names[i]);
		if (ncm_devid_check(c->id, NULL)) {
			rc = fail(2, "--certs: %s.crt: not a device ID", c->id);
			break;
		}
		if (!ncm_path(path, sizeof(path), "%s/%s.crt", dir, c->id))
			c->cert = read_cert(path);
		if (!ncm_path(path, sizeof(path), "%s/%s.key", dir, c->id))
			c->key = read_key(path);
		if (!c->cert || !c->key)
			rc = fail(2, "--certs: %s: cannot read %s.crt and %s.key", dir, c->id,
				  c->id);
		(*n)++;
	}
	for (i = 0; i < total; i++)
		free(names[i]);
	free(names);
	if (!rc && !*n)
		rc = fail(2, "--certs %s: no <id>.crt and <id>.key files", dir);
	return rc;
}

static void creds_free(struct ncm_sim_cred *c, size_t n)
{
	size_t i;

	for (i = 0; c && i < n; i++) {
		X509_free(c[i].cert);
		EVP_PKEY_free(c[i].key);
	}
	free(c);
}

static int parse_fota(const char *s, struct ncm_dev_profile *p)
{
	char *end;
	long v;

	if (!strcmp(s, "accept")) {
		p->fota = NCM_FOTA_ACCEPT;
		return 0;
	}
	if (!strcmp(s, "reject")) {
		p->fota = NCM_FOTA_REJECT;
		return 0;
	}
	if (!strncmp(s, "fail-at=", 8)) {
		v = strtol(s + 8, &end, 10);
		if (*end || end == s + 8 || v < 0 || v > 100)
			return -1;
		p->fota = NCM_FOTA_FAIL_AT;
		p->fota_fail_pct = (int)v;
		return 0;
	}
	return -1;
}

/* Opens a pseudo-terminal for the lab shell and prints its name. The line is raw from the
 * start (a new pty is canonical with echo): otherwise event lines written before the tester
 * opens its side would be echoed back and read as commands, as a UART never does. */
static int open_pty(void)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY);
	struct termios t;

	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	printf("pty %s\n", ptsname(fd));
	fflush(stdout);
	return fd;
}

static void usage(const struct ncm_opt *opts, size_t n)
{
	printf("usage: nrfcloud-mock sim [flags]\n\n"
	       "Runs simulated nRF91 devices that behave like nRF Connect SDK nrf_cloud firmware\n"
	       "against a running server (docs/sim.md). Each device connects over mutual TLS with\n"
	       "its files in <data>/devices (issued by the lab CA in --data on first use and kept),\n"
	       "or with the files in --certs.\n"
	       "The last line sums up; --events FILE writes one JSON line per device event.\n\n"
	       "flags:\n");
	ncm_opts_usage(opts, n);
}

int ncm_cmd_sim(int argc, char **argv)
{
	struct ncm_config cfg;
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	struct ncm_opt all[48];
	const struct ncm_opt *opts;
	struct ncm_dev_profile prof = { 0 };
	struct ncm_sim_opts so = { 0 };
	struct ncm_sim_summary sum;
	struct ncm_sim_cred *creds = NULL;
	char server[256] = "127.0.0.1", certs[PATH_MAX] = "", ncs[16] = "3.3";
	char prefix[64] = "sim-", fota[32] = "accept", events[PATH_MAX] = "";
	char transport[16] = "mqtt", tls_name[256] = "", cafile[PATH_MAX], devdir[PATH_MAX];
	char app_version[64] = "1.0.0", modem_fw[64] = "mfw_nrf9160_1.3.4", line[600];
	char *pos[NCM_MAX_POSITIONAL];
	int port = 8883, devices = 1, duration = 0, keepalive = 1200, clean = 0, help, rc;
	int telemetry = 0, location = 0, fragment = 1700, stall_ms = 10000, print_c2d = 1;
	int agnss = 0, pgps = 0, https_port = 8443, fota_poll = 30, hold = 0, window = 200;
	int pty = 0, reconnect_min = 1000, reconnect_max = 64000, reboot_ms = 1000, have_ca = 0;
	char ramp[32] = "0";
	size_t n, n_pos, n_creds = 0, i;
	FILE *ev = NULL;
	int pty_fd = -1;

	ncm_config_defaults(&cfg);
	opts = ncm_cli_config_opts(&cfg, 0, &n);
	memcpy(all, opts, n * sizeof(*opts));
	all[n++] = (struct ncm_opt){ "server", NCM_OPT_STR, server, sizeof(server), "HOST",
				     "the server's address (127.0.0.1)" };
	all[n++] = (struct ncm_opt){ "mqtt-port", NCM_OPT_INT, &port, 0, "N", "MQTT TLS port" };
	all[n++] = (struct ncm_opt){ "tls-name", NCM_OPT_STR, tls_name, sizeof(tls_name), "NAME",
				     "name to check in the server certificate (--server)" };
	all[n++] = (struct ncm_opt){ "certs", NCM_OPT_STR, certs, sizeof(certs), "DIR",
				     "use every <id>.crt/<id>.key there, and ca.pem" };
	all[n++] = (struct ncm_opt){ "devices", NCM_OPT_INT, &devices, 0, "N",
				     "how many devices (1; with --certs: at most N, 0 = all)" };
	all[n++] = (struct ncm_opt){ "ramp", NCM_OPT_STR, ramp, sizeof(ramp), "R[/s]",
				     "connections started per second (0 = all at once)" };
	all[n++] = (struct ncm_opt){ "connect-window", NCM_OPT_INT, &window, 0, "N",
				     "at most N connects waiting for CONNACK (200; 0 = no limit)" };
	all[n++] = (struct ncm_opt){ "duration", NCM_OPT_INT, &duration, 0, "S",
				     "stop after S seconds (0 = at SIGINT/SIGTERM)" };
	all[n++] = (struct ncm_opt){ "hold", NCM_OPT_INT, &hold, 0, "S",
				     "stop S seconds after every device was ready (--duration caps)" };
	all[n++] = (struct ncm_opt){ "ncs", NCM_OPT_STR, ncs, sizeof(ncs), "2.1|2.5|2.8|3.3",
				     "nRF Connect SDK generation to behave like (3.3)" };
	all[n++] = (struct ncm_opt){ "id-prefix", NCM_OPT_STR, prefix, sizeof(prefix), "P",
				     "device IDs are P000001, P000002, ... (sim-)" };
	all[n++] = (struct ncm_opt){ "keepalive", NCM_OPT_INT, &keepalive, 0, "S",
				     "MQTT keep-alive (1200, the SDK's default)" };
	all[n++] = (struct ncm_opt){ "clean-session", NCM_OPT_BOOL, &clean, 0, NULL,
				     "always clean sessions (default: persistent, like the SDK)" };
	all[n++] = (struct ncm_opt){ "telemetry-interval", NCM_OPT_INT, &telemetry, 0, "S",
				     "one GNSS/TEMP/RSRP/alert/log message per device every S s" };
	all[n++] = (struct ncm_opt){ "location-interval", NCM_OPT_INT, &location, 0, "S",
				     "one ground-fix request per device every S s" };
	all[n++] = (struct ncm_opt){ "agnss", NCM_OPT_BOOL, &agnss, 0, NULL,
				     "each device requests A-GNSS data once ready" };
	all[n++] = (struct ncm_opt){ "pgps", NCM_OPT_BOOL, &pgps, 0, NULL,
				     "each device requests P-GPS predictions once ready" };
	all[n++] = (struct ncm_opt){ "fota", NCM_OPT_STR, fota, sizeof(fota),
				     "accept|reject|fail-at=P", "what devices do with FOTA jobs" };
	all[n++] = (struct ncm_opt){ "fragment", NCM_OPT_INT, &fragment, 0, "N",
				     "FOTA download piece in bytes (1700)" };
	all[n++] = (struct ncm_opt){ "stall-timeout", NCM_OPT_INT, &stall_ms, 0, "MS",
				     "a download piece silent this long is retried (10000)" };
	all[n++] = (struct ncm_opt){ "events", NCM_OPT_STR, events, sizeof(events), "FILE",
				     "write one JSON line per device event" };
	all[n++] = (struct ncm_opt){ "print-c2d", NCM_OPT_BOOL, &print_c2d, 0, NULL,
				     "print c2d messages on standard output (on)" };
	all[n++] = (struct ncm_opt){ "pty", NCM_OPT_BOOL, &pty, 0, NULL,
				     "the first device's lab shell on a pseudo-terminal" };
	all[n++] = (struct ncm_opt){ "transport", NCM_OPT_STR, transport, sizeof(transport),
				     "mqtt|rest", "MQTT, or nrf_cloud_rest with device JWTs (mqtt)" };
	all[n++] = (struct ncm_opt){ "https-port", NCM_OPT_INT, &https_port, 0, "N",
				     "the server's HTTPS port, for --transport rest (8443)" };
	all[n++] = (struct ncm_opt){ "fota-poll", NCM_OPT_INT, &fota_poll, 0, "S",
				     "--transport rest: poll for FOTA jobs every S s (30)" };
	all[n++] = (struct ncm_opt){ "app-version", NCM_OPT_STR, app_version,
				     sizeof(app_version), "V", "reported appVersion (1.0.0)" };
	all[n++] = (struct ncm_opt){ "modem-fw", NCM_OPT_STR, modem_fw, sizeof(modem_fw), "V",
				     "reported modemFirmware (mfw_nrf9160_1.3.4)" };
	all[n++] = (struct ncm_opt){ "reconnect-min", NCM_OPT_INT, &reconnect_min, 0, "MS",
				     "first reconnect delay (1000), doubled up to --reconnect-max" };
	all[n++] = (struct ncm_opt){ "reconnect-max", NCM_OPT_INT, &reconnect_max, 0, "MS",
				     "longest reconnect delay (64000)" };
	all[n++] = (struct ncm_opt){ "reboot-time", NCM_OPT_INT, &reboot_ms, 0, "MS",
				     "time a device is offline for a reboot (1000)" };
	rc = ncm_opts_parse("sim", all, n, argc, argv, pos, &n_pos, &help);
	if (rc)
		return rc;
	if (help) {
		usage(all, n);
		return 0;
	}
	if (n_pos)
		return fail(2, "unexpected argument '%s'; see 'nrfcloud-mock sim --help'", pos[0]);
	if (ncm_config_finish(&cfg, &err))
		return fail(2, "%s", err.msg);
	if (!strcmp(ncs, "2.1")) {
		prof.gen = NCM_DEV_G1;
		prof.pre_v22 = 1; /* the G1 protocol as NCS <= v2.1 used it (docs/sim.md) */
	} else if (!strcmp(ncs, "2.5"))
		prof.gen = NCM_DEV_G1;
	else if (!strcmp(ncs, "2.8"))
		prof.gen = NCM_DEV_G2;
	else if (!strcmp(ncs, "3.3"))
		prof.gen = NCM_DEV_G3;
	else
		return fail(2, "--ncs must be 2.1, 2.5, 2.8 or 3.3 (one per protocol generation; "
			    "2.1 is 2.5's as NCS <= v2.1 used it)");
	if (strcmp(transport, "mqtt") && strcmp(transport, "rest"))
		return fail(2, "--transport must be mqtt or rest");
	prof.rest = !strcmp(transport, "rest");
	if (parse_fota(fota, &prof))
		return fail(2, "--fota must be accept, reject or fail-at=PERCENT");
	if (devices < 0 || devices > MAX_SIM_DEVICES || (!certs[0] && devices < 1))
		return fail(2, "--devices must be 1..%d", MAX_SIM_DEVICES);
	if (fragment < 128 || fragment > 1900)
		return fail(2, "--fragment must be 128..1900 (the SDK's range)");
	if (keepalive < 5 || keepalive > 1200)
		return fail(2, "--keepalive must be 5..1200 seconds");
	if (duration < 0 || hold < 0 || telemetry < 0 || location < 0 || stall_ms < 100 ||
	    reconnect_min < 1 || reconnect_max < reconnect_min || reboot_ms < 0)
		return fail(2, "durations must be positive (and --reconnect-max >= --reconnect-min)");
	if (window < 0)
		return fail(2, "--connect-window must be 0 (no limit) or more");
	{
		char *end;

		so.ramp = strtod(ramp, &end);
		if (end == ramp || (*end && strcmp(end, "/s")) || so.ramp < 0)
			return fail(2, "--ramp must be 0 or more connections per second (50 or 50/s)");
	}
	prof.ncs = ncs;
	prof.keepalive = keepalive;
	prof.persistent = !clean;
	prof.app_version = app_version;
	prof.modem_fw = modem_fw;
	prof.fragment = fragment;
	prof.pgps_fragment = 1500; /* CONFIG_NRF_CLOUD_PGPS_DOWNLOAD_FRAGMENT_SIZE */
	prof.rest_fragment = 1700; /* CONFIG_NRF_CLOUD_REST_FRAGMENT_SIZE */
	prof.telemetry_ms = telemetry * 1000;
	prof.location_ms = location * 1000;
	prof.reconnect_min_ms = reconnect_min;
	prof.reconnect_max_ms = reconnect_max;
	prof.reboot_ms = reboot_ms;
	prof.rest_poll_ms = fota_poll > 0 ? fota_poll * 1000 : 30000;
	prof.agnss_on_ready = agnss;
	prof.pgps_on_ready = pgps;

	if (certs[0]) {
		rc = creds_from_dir(certs, (size_t)devices, &creds, &n_creds);
		if (!rc && ncm_path(cafile, sizeof(cafile), "%s/ca.pem", certs))
			rc = fail(2, "path too long");
	} else {
		if (ncm_ca_load(cfg.data_dir, &ca, &err) != NCM_OK)
			return fail(2, "no lab CA in %s/ca (start the server there, or give --certs)",
				    cfg.data_dir);
		have_ca = 1;
		rc = ncm_path(cafile, sizeof(cafile), "%s/ca/ca.pem", cfg.data_dir)
			     ? fail(2, "path too long")
			     : 0;
		creds = calloc((size_t)devices, sizeof(*creds));
		if (!creds)
			rc = fail(1, "out of memory");
		for (i = 0; !rc && i < (size_t)devices; i++) {
			snprintf(creds[i].id, sizeof(creds[i].id), "%s%06zu", prefix, i + 1);
			if (ncm_devid_check(creds[i].id, &err)) {
				rc = fail(2, "--id-prefix: %s", err.msg);
				break;
			}
			/* a device keeps its key and certificate across runs, as a real one keeps
			 * them in its modem: the server pins the certificate it onboarded */
			if (!ncm_path(devdir, sizeof(devdir), "%s/devices/%s.crt", cfg.data_dir,
				      creds[i].id))
				creds[i].cert = read_cert(devdir);
			if (!ncm_path(devdir, sizeof(devdir), "%s/devices/%s.key", cfg.data_dir,
				      creds[i].id))
				creds[i].key = read_key(devdir);
			if (creds[i].cert && creds[i].key) {
				n_creds++;
				continue;
			}
			X509_free(creds[i].cert);
			EVP_PKEY_free(creds[i].key);
			creds[i].cert = NULL;
			creds[i].key = NULL;
			if (ncm_ca_issue_device(&ca, creds[i].id, time(NULL), &creds[i].cert,
						&creds[i].key, &err) ||
			    ncm_path(devdir, sizeof(devdir), "%s/devices", cfg.data_dir) ||
			    ncm_ca_write_device(devdir, creds[i].id, creds[i].cert, creds[i].key,
						&err)) {
				n_creds++;
				rc = fail(1, "%s: %s", creds[i].id, err.msg);
				break;
			}
			n_creds++;
		}
	}
	if (!rc && events[0] && !(ev = fopen(events, "w")))
		rc = fail(2, "--events %s: %s", events, strerror(errno));
	if (!rc && pty && (pty_fd = open_pty()) < 0)
		rc = fail(1, "cannot open a pseudo-terminal: %s", strerror(errno));
	if (!rc) {
		so.server = server;
		so.mqtt_port = port;
		so.https_port = https_port;
		so.tls_name = tls_name[0] ? tls_name : NULL;
		so.cafile = cafile;
		so.duration_ms = duration * 1000;
		so.hold_ms = hold * 1000;
		so.stall_ms = stall_ms;
		so.events = ev;
		so.print_c2d = print_c2d;
		so.pty_fd = pty_fd;
		so.connect_window = window;
		so.profile = &prof;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		mosquitto_lib_init();
		if (ncm_sim_run(&so, creds, n_creds, &sum))
			rc = 1;
		mosquitto_lib_cleanup();
		curl_global_cleanup();
		if (!rc) {
			ncm_sim_summary_line(&sum, &prof, line, sizeof(line));
			printf("%s\n", line);
			fflush(stdout);
		}
	}
	if (ev)
		fclose(ev);
	if (pty_fd >= 0)
		close(pty_fd);
	creds_free(creds, n_creds);
	if (have_ca)
		ncm_ca_release(&ca);
	return rc;
}
