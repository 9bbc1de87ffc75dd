/* SPDX-License-Identifier: MIT
 * cmd_serve.c: `nrfcloud-mock serve` (docs/architecture.md#process-model, docs/cli.md): prepares <data> (lab CA and server
 * certificate, state.db with the fixtures, run/config.json, run/mosquitto.conf) and then execs
 * Mosquitto with our plugin, so signals and exit codes are Mosquitto's own. The plugin prints
 * the listener ports and "ready" on stdout once every listener accepts connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "cli.h"
#include "db.h"
#include "file.h"
#include "fixtures.h"
#include "startstamp.h"

#ifndef NCM_SAN_PRELOAD
#define NCM_SAN_PRELOAD ""
#endif

/* The modem speaks TLS 1.2 with ECDHE-ECDSA AES-CBC suites, newer modem firmware also GCM
 * (docs/protocol-mqtt.md#connection, docs/protocol-mqtt.md#tls); TLS 1.3 clients get OpenSSL's defaults. */
#define MQTT_CIPHERS                                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:" \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"

#define fail(...) ncm_cli_fail("serve", __VA_ARGS__)

/* 1 when port can be bound on addr now. */
static int port_free(const struct sockaddr_storage *ss, socklen_t len, int port)
{
	struct sockaddr_storage probe = *ss;
	int fd, ok;

	if (probe.ss_family == AF_INET)
		((struct sockaddr_in *)&probe)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&probe)->sin6_port = htons((uint16_t)port);
	fd = socket(probe.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&probe, len) == 0;
	close(fd);
	return ok;
}

/* Port 0 means "pick a free port". libmicrohttpd reports the port it bound, Mosquitto does
 * not, so for MQTT we choose one here and hand that number on. It is taken below the kernel's
 * ephemeral range (ip_local_port_range): a port from inside it could meanwhile become the local
 * end of some outgoing connection and make Mosquitto's bind fail. */
static int pick_port(const char *addr, int *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	unsigned int seed;
	int low = 32768, high, tries;
	FILE *f;

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1)
		a4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1)
		a6->sin6_family = AF_INET6;
	else
		return -1;
	len = ss.ss_family == AF_INET ? sizeof(*a4) : sizeof(*a6);
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%d %d", &low, &high) != 2)
			low = 32768;
		fclose(f);
	}
	if (low > 12000) {
		seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
		for (tries = 0; tries < 200; tries++) {
			int p = 10000 + (int)(rand_r(&seed) % (unsigned int)(low - 10000));

			if (port_free(&ss, len, p)) {
				*port = p;
				return 0;
			}
		}
	}
	/* no room below the ephemeral range: let the kernel choose */
	{
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = -1;

		if (fd < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&ss, len) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
			*port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
			rc = 0;
		}
		close(fd);
		return rc;
	}
}

/* The plugin next to the command in a build folder (server/), else the installed one. */
static int find_plugin(struct ncm_config *cfg)
{
	char exe[PATH_MAX], path[PATH_MAX];
	ssize_t n;
	char *slash;

	if (cfg->plugin_path[0])
		return ncm_file_exists(cfg->plugin_path) ? 0 : -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (!ncm_path(path, sizeof(path), "%s/server/nrfcloud-mock.so", exe) &&
			    ncm_file_exists(path)) {
				snprintf(cfg->plugin_path, sizeof(cfg->plugin_path), "%s", path);
				return 0;
			}
		}
	}
	snprintf(cfg->plugin_path, sizeof(cfg->plugin_path), "%s/nrfcloud-mock.so",
		 NCM_PLUGIN_DIR);
	return ncm_file_exists(cfg->plugin_path) ? 0 : -1;
}

/* fixtures/ in the current folder (a source checkout), else the installed fixtures. */
static void find_fixtures(struct ncm_config *cfg)
{
	if (cfg->fixtures_dir[0])
		return;
	if (ncm_file_exists("fixtures/team.json"))
		snprintf(cfg->fixtures_dir, sizeof(cfg->fixtures_dir), "fixtures");
	else if (ncm_file_exists(NCM_FIXTURES_DIR "/team.json"))
		snprintf(cfg->fixtures_dir, sizeof(cfg->fixtures_dir), "%s", NCM_FIXTURES_DIR);
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return lchown(path, chown_uid, chown_gid) < 0 ? -1 : 0;
}

/* Started as root with --user: the broker drops to that user before it loads keys and before
 * the plugin opens state.db (docs/architecture.md#mosquitto-facts-that-shape-the-code), so the data folder becomes its. */
static int hand_data_to_user(const struct ncm_config *cfg, const char **conf_user)
{
	struct passwd *pw;

	*conf_user = NULL;
	if (geteuid() != 0)
		return 0;
	if (!cfg->user[0] || !strcmp(cfg->user, "root")) {
		*conf_user = "root";
		return 0;
	}
	pw = getpwnam(cfg->user);
	if (!pw)
		return fail(2, "--user %s: no such user", cfg->user);
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	if (nftw(cfg->data_dir, chown_one, 16, FTW_PHYS) < 0)
		return fail(1, "cannot hand %s to user %s: %s", cfg->data_dir, cfg->user,
			    strerror(errno));
	*conf_user = cfg->user;
	return 0;
}

/* Writes a file of run/ (a new name, then rename(2), so a reader sees the old text or the new)
 * without fsync: both are written again at every start, so an OS crash cannot leave a stale
 * one in use, and the four fsyncs were most of the start-up time on a busy disk
 * (docs/performance.md#start-up). Nothing is written when the text is the same. */
static int write_run_file(const char *path, const char *text, size_t len, mode_t mode,
			  struct ncm_err_info *err)
{
	char tmp[PATH_MAX], *old = NULL;
	size_t old_len = 0, done = 0;
	struct stat st;
	int fd, same;
	ssize_t n;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode &&
	    (size_t)st.st_size == len && !ncm_file_read(path, len + 1, &old, &old_len, NULL)) {
		same = old_len == len && !memcmp(old, text, len);
		free(old);
		if (same)
			return 0;
	}
	if (ncm_path(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "path too long: %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ncm_err_set(err, NCM_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	ncm_err_set(err, NCM_ERR_IO, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err ? err->code : NCM_ERR_IO;
}

/* The broker logs to <run>/broker.log alone, which starts empty at every start: the plugin
 * reads it for TLS refusals (docs/compatibility.md#tls-refusals) and, with --mqtt-watch-denied
 * (docs/limits.md#sys-publish), for the debug line of a publish the broker refuses itself.
 * Mosquitto 2.0.11's log types apply to every destination, and each destination costs a
 * write(2) per line (it flushes after every line), so stderr is not one: the plugin copies to
 * stderr what a user needs and leaves out the per-connection lines and per-packet debug lines
 * (server/mqtt/tls_watch.c, told the file by NCM_BROKER_LOG_RELAY; docs/cli.md#serve). With TZ
 * unset, glibc's localtime() stats /etc/localtime on every call, i.e. for every log line's
 * time stamp; a TZ naming that same file keeps local time without it.
 * 0, or -1 when the path does not fit. */
static int broker_log_setup(const char *run_dir)
{
	char path[PATH_MAX];
	int fd;

	if (ncm_path(path, sizeof(path), "%s/broker.log", run_dir))
		return -1;
	/* not created here: the broker, perhaps as --user, creates it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	setenv("NCM_BROKER_LOG_RELAY", path, 1);
	setenv("TZ", ":/etc/localtime", 0);
	return 0;
}

static int write_mosquitto_conf(const struct ncm_config *cfg, const char *run_dir,
				const char *conf_user, const char *config_json, char *conf_path,
				size_t size)
{
	struct ncm_err_info err = { 0 };
	char *text = NULL, wake[PATH_MAX];
	size_t len;
	FILE *f;
	int rc;

	if (broker_log_setup(run_dir))
		return fail(1, "data path too long");
	f = open_memstream(&text, &len);
	if (!f)
		return fail(1, "out of memory");
	fprintf(f, "# written by 'nrfcloud-mock serve' at every start; edits are lost\n");
	fprintf(f, "per_listener_settings false\n"); /* true stops TICK in 2.0.11 (platform C.8) */
	fprintf(f, "allow_anonymous false\n");
	fprintf(f, "persistence false\n");
	/* replies go out at once, not after the client's delayed ACK (Nagle, ~40 ms) */
	fprintf(f, "set_tcp_nodelay true\n");
	/* every input has a bound: AWS IoT (and so nRF Cloud) caps payloads at 128 KB; a larger
	 * packet makes the broker drop the client */
	fprintf(f, "max_packet_size %d\n", 256 * 1024);
	/* the only destination: the plugin reads it and relays to stderr (broker_log_setup) */
	fprintf(f, "log_dest file %s/broker.log\n", run_dir);
	fprintf(f, "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
	if (cfg->mqtt_watch_denied)
		fprintf(f, "log_type debug\n");
	fprintf(f, "log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n");
	if (conf_user)
		fprintf(f, "user %s\n", conf_user);
	fprintf(f, "plugin %s\n", cfg->plugin_path);
	fprintf(f, "plugin_opt_config %s\n", config_json);
	fprintf(f, "\nlistener %d %s\n", cfg->mqtt_port, cfg->mqtt_bind);
	/* more are accepted and closed at once, so the HTTP listeners keep their descriptors */
	fprintf(f, "max_connections %d\n", cfg->mqtt_max_conn);
	fprintf(f, "protocol mqtt\n");
	fprintf(f, "capath %s/ca/trust\n", cfg->data_dir);
	fprintf(f, "certfile %s/ca/server.pem\n", cfg->data_dir);
	fprintf(f, "keyfile %s/ca/server.key\n", cfg->data_dir);
	fprintf(f, "require_certificate true\n");
	fprintf(f, "tls_version tlsv1.2\n"); /* 2.0.11 would otherwise allow TLS 1.1 */
	fprintf(f, "ciphers %s\n", MQTT_CIPHERS);
	/* last, so that when the plugin can connect here every listener is up: its own client
	 * that wakes the broker loop when other threads queue work (server/mqtt/wake.c); no TLS,
	 * the plugin refuses anyone but that client */
	if (!ncm_config_wake_socket(cfg, wake, sizeof(wake)))
		fprintf(f, "\nlistener 0 %s\nprotocol mqtt\n", wake);
	fclose(f);
	if (ncm_path(conf_path, size, "%s/mosquitto.conf", run_dir)) {
		free(text);
		return fail(1, "data path too long");
	}
	rc = write_run_file(conf_path, text, len, 0644, &err);
	free(text);
	return rc ? fail(1, "%s", err.msg) : 0;
}

/* Opens state.db, loads the fixtures and prints nothing: the plugin announces. The load and
 * the start stamp of what it read (made after the CA check, which may rewrite CA files) are
 * one transaction, so no other writer's change can slip in between and be stamped as checked. */
static int prepare_store(const struct ncm_config *cfg, time_t now)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	struct ncm_db *db = NULL;
	char db_path[PATH_MAX], stamp[NCM_CLI_STAMP_SIZE];
	int rc, stamped;

	ncm_config_db_path(cfg, db_path, sizeof(db_path));
	stamped = !ncm_cli_start_stamp(cfg, stamp);
	rc = ncm_ca_load(cfg->data_dir, &ca, &err);
	if (!rc)
		rc = ncm_db_open(db_path, &db, &err);
	if (!rc)
		rc = ncm_db_begin(db, &err);
	if (!rc) {
		rc = ncm_fixtures_load(db, cfg->fixtures_dir[0] ? cfg->fixtures_dir : NULL, &ca,
				       cfg->data_dir, now, &err);
		if (!rc)
			rc = ncm_store_start_stamp_put(db, stamped ? stamp : NULL, &err);
		if (!rc)
			rc = ncm_db_commit(db, &err);
		else
			ncm_db_rollback(db);
	}
	ncm_db_close(db);
	ncm_ca_release(&ca);
	if (rc)
		return fail(rc == NCM_ERR_INVAL ? 2 : 1, "%s", err.msg);
	return 0;
}

/* 1 when the start stamp in state.db is this start's: the CA check and the fixture load would
 * change nothing (store/startstamp.h). */
static int start_unchanged(const struct ncm_config *cfg)
{
	char db_path[PATH_MAX], stamp[NCM_CLI_STAMP_SIZE];

	return !ncm_config_db_path(cfg, db_path, sizeof(db_path)) && ncm_file_exists(db_path) &&
	       !ncm_cli_start_stamp(cfg, stamp) && ncm_store_start_stamp_matches(db_path, stamp);
}

/* File descriptors the process needs besides its connections: SQLite (3 per connection, one
 * connection per thread), listeners, epoll and event descriptors, logs, and the reserve that
 * keeps the admin API answering when every listener is full. */
#define FD_OVERHEAD 96

/* Raises the soft open-file limit to the hard one (the default soft 1024 is what let ~1000 idle
 * connections starve the REST listener) and splits it between the listeners: HTTPS and admin
 * keep their caps when they fit in half of it (else a quarter and a sixteenth), MQTT gets the
 * rest (or --mqtt-max-connections when that is smaller). */
static int budget_files(struct ncm_config *cfg)
{
	struct rlimit rl;
	long long files, rest;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return fail(1, "cannot read the open-file limit: %s", strerror(errno));
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			rl.rlim_cur = soft;
	}
	files = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT32_MAX ? INT32_MAX
									 : (long long)rl.rlim_cur;
	if (files < FD_OVERHEAD + 64)
		return fail(2, "the open-file limit (%lld) is too low to serve; raise it with "
			    "'ulimit -n' (at least %d)", files, FD_OVERHEAD + 64);
	if ((long long)cfg->https_max_conn + cfg->admin_max_conn + FD_OVERHEAD > files / 2) {
		if (cfg->https_max_conn > files / 4)
			cfg->https_max_conn = (int)(files / 4);
		if (cfg->admin_max_conn > files / 16)
			cfg->admin_max_conn = (int)(files / 16) < 8 ? 8 : (int)(files / 16);
	}
	rest = files - cfg->https_max_conn - cfg->admin_max_conn - FD_OVERHEAD;
	if (!cfg->mqtt_max_conn || cfg->mqtt_max_conn > rest)
		cfg->mqtt_max_conn = (int)rest;
	return 0;
}

/* 1 when addr is a loopback address (127.0.0.0/8, ::1). */
static int loopback_addr(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static void usage(const struct ncm_opt *opts, size_t n)
{
	printf("usage: nrfcloud-mock serve [flags]\n\n"
	       "Runs Mosquitto with the nrfcloud-mock plugin: MQTT over mutual TLS, HTTPS for the\n"
	       "REST API and firmware files, and the admin API. Prints one line per listener, the\n"
	       "CA path, the API key and the tenant ID, then 'ready'.\n\nflags:\n");
	ncm_opts_usage(opts, n);
}

int ncm_cmd_serve(int argc, char **argv)
{
	struct ncm_config cfg;
	struct ncm_err_info err = { 0 };
	const struct ncm_opt *opts;
	char run_dir[PATH_MAX], config_json[PATH_MAX], conf_path[PATH_MAX];
	char *pos[NCM_MAX_POSITIONAL], *json = NULL;
	const char *conf_user = NULL;
	size_t n, n_pos;
	time_t now = time(NULL);
	int help, rc;

	ncm_config_defaults(&cfg);
	opts = ncm_cli_config_opts(&cfg, 1, &n);
	rc = ncm_opts_parse("serve", opts, n, argc, argv, pos, &n_pos, &help);
	if (rc)
		return rc;
	if (help) {
		usage(opts, n);
		return 0;
	}
	if (n_pos)
		return fail(2, "unexpected argument '%s'; see 'nrfcloud-mock serve --help'", pos[0]);
	find_fixtures(&cfg);
	if (ncm_config_finish(&cfg, &err))
		return fail(2, "%s", err.msg);
	if (cfg.mqtt_port > 65535 || cfg.https_port > 65535 || cfg.admin_port > 65535)
		return fail(2, "ports must be 0 to 65535");
	if (!loopback_addr(cfg.admin_bind) && !cfg.admin_token[0] && !cfg.admin_insecure)
		return fail(2, "--admin-bind %s is not a loopback address: anyone who reaches it could "
			    "reset the server or add devices; set --admin-token, or --admin-insecure "
			    "to serve it without one", cfg.admin_bind);
	rc = budget_files(&cfg);
	if (rc)
		return rc;
	if (find_plugin(&cfg))
		return fail(2, "plugin %s not found; build it or pass --plugin FILE",
			    cfg.plugin_path);
	if (!ncm_file_exists(cfg.mosquitto_path))
		return fail(2, "%s not found; install mosquitto or pass --mosquitto FILE",
			    cfg.mosquitto_path);
	if (cfg.mqtt_port == 0 && pick_port(cfg.mqtt_bind, &cfg.mqtt_port))
		return fail(2, "cannot find a free port on %s", cfg.mqtt_bind);
	if (ncm_config_run_dir(&cfg, run_dir, sizeof(run_dir)) ||
	    ncm_path(config_json, sizeof(config_json), "%s/config.json", run_dir))
		return fail(2, "data path too long");
	if (ncm_mkdir_p(run_dir, 0755, &err))
		return fail(1, "%s", err.msg);
	/* the lab CA and the fixtures are checked only when something they depend on changed
	 * since the last check (docs/performance.md#start-up) */
	if (!start_unchanged(&cfg)) {
		rc = ncm_cli_ca_init(&cfg, now);
		if (!rc)
			rc = prepare_store(&cfg, now);
		if (rc)
			return rc;
	}
	if (ncm_config_to_json(&cfg, &json))
		return fail(1, "out of memory");
	rc = write_run_file(config_json, json, strlen(json), 0600, &err);
	free(json);
	if (rc)
		return fail(1, "%s", err.msg);
	rc = hand_data_to_user(&cfg, &conf_user);
	if (!rc)
		rc = write_mosquitto_conf(&cfg, run_dir, conf_user, config_json, conf_path,
					  sizeof(conf_path));
	if (rc)
		return rc;
	if (NCM_SAN_PRELOAD[0])
		setenv("LD_PRELOAD", NCM_SAN_PRELOAD, 1);
	fflush(stdout);
	execl(cfg.mosquitto_path, "mosquitto", "-c", conf_path, (char *)NULL);
	return fail(1, "cannot run %s: %s", cfg.mosquitto_path, strerror(errno));
}
