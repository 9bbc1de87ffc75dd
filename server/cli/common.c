/* SPDX-License-Identifier: MIT
 * common.c: what the subcommands share: the settings' flags and the CA setup (see cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "ca.h"
#include "cli.h"

#define S(name, field, meta, help) \
	{ name, NCM_OPT_STR, cfg->field, sizeof(cfg->field), meta, help }
#define I(name, type, field, meta, help) { name, type, &cfg->field, 0, meta, help }

const struct ncm_opt *ncm_cli_config_opts(struct ncm_config *cfg, int serve_only, size_t *n)
{
	static struct ncm_opt opts[48];
	const struct ncm_opt all[] = {
		S("data", data_dir, "DIR", "data folder (CA, state.db, devices)"),
		S("mqtt-host", mqtt_host, "NAME", "public MQTT host name, in the server certificate"),
		S("api-host", api_host, "NAME", "public REST host name, in the server certificate"),
		S("fota-host", fota_host, "NAME", "public firmware host name, in the certificate"),
		I("impersonate", NCM_OPT_BOOL, impersonate, NULL,
		  "use nRF Cloud's own host names (mqtt/api/firmware.nrfcloud.com)"),
		/* serve only from here */
		S("fixtures", fixtures_dir, "DIR", "fixtures folder (team.json, devices/)"),
		I("mqtt-port", NCM_OPT_INT, mqtt_port, "N", "MQTT over mutual TLS port; 0 picks one"),
		S("mqtt-bind", mqtt_bind, "ADDR", "MQTT listen address"),
		I("https-port", NCM_OPT_INT, https_port, "N", "HTTPS (REST, firmware) port; 0 picks one"),
		S("https-bind", https_bind, "ADDR", "HTTPS listen address"),
		I("admin-port", NCM_OPT_INT, admin_port, "N", "admin HTTP port; 0 picks one"),
		S("admin-bind", admin_bind, "ADDR", "admin listen address"),
		S("admin-token", admin_token, "TOKEN", "require this bearer token on /mock/v1"),
		I("auto-onboard", NCM_OPT_BOOL, auto_onboard, NULL,
		  "onboard lab-CA devices on their first connect"),
		I("journal-max", NCM_OPT_I64, journal_max, "N", "journal ring size in records"),
		I("device-buffer", NCM_OPT_INT, device_buffer, "BYTES",
		  "largest MQTT payload sent to a device (firmware's payload buffer)"),
		I("shadow-max", NCM_OPT_INT, shadow_max, "BYTES", "shadow size cap"),
		I("jwt-skew", NCM_OPT_INT, jwt_skew, "SECONDS",
		  "clock skew tolerated on JWT exp and iat"),
		S("location-centre", location_centre, "LAT,LON",
		  "where answers for unknown cells and access points spread around"),
		I("location-radius", NCM_OPT_INT, location_radius, "METRES",
		  "how far from the centre they may be"),
		I("reply-hold-ms", NCM_OPT_INT, reply_hold_ms, "MS",
		  "how long a reply waits for the device to subscribe (0: not at all)"),
		S("user", user, "NAME", "when started as root, run the broker as this user"),
		S("record", record_path, "FILE", "append every journal record here (JSON Lines)"),
		S("plugin", plugin_path, "FILE", "the nrfcloud-mock.so plugin to load"),
		S("mosquitto", mosquitto_path, "FILE", "the mosquitto broker to run"),
		/* limits (docs/limits.md) */
		I("admin-insecure", NCM_OPT_BOOL, admin_insecure, NULL,
		  "allow a non-loopback --admin-bind without --admin-token"),
		I("https-max-connections", NCM_OPT_INT, https_max_conn, "N",
		  "HTTPS connections at once (more are closed at accept)"),
		I("https-max-per-ip", NCM_OPT_INT, https_max_per_ip, "N",
		  "HTTPS connections at once from one address; 0 for no cap"),
		I("admin-max-connections", NCM_OPT_INT, admin_max_conn, "N",
		  "admin API connections at once"),
		I("mqtt-max-connections", NCM_OPT_INT, mqtt_max_conn, "N",
		  "MQTT connections at once; 0: what the open-file limit leaves"),
		I("http-timeout", NCM_OPT_INT, http_timeout, "SECONDS",
		  "close an HTTPS or admin connection idle this long"),
		I("mqtt-connect-timeout", NCM_OPT_INT, mqtt_connect_timeout, "SECONDS",
		  "close an MQTT connection that sends no CONNECT within this time"),
		I("firmware-max-bytes", NCM_OPT_I64, firmware_max_bytes, "BYTES",
		  "disk budget for all firmware images (413 past it)"),
		I("firmware-bundle-max-bytes", NCM_OPT_I64, firmware_bundle_max, "BYTES",
		  "largest unpacked firmware bundle (413 past it)"),
		I("journal-max-bytes", NCM_OPT_I64, journal_max_bytes, "BYTES",
		  "journal payload bytes kept (oldest records go first)"),
		I("mqtt-watch-denied", NCM_OPT_BOOL, mqtt_watch_denied, NULL,
		  "disconnect and journal publishes to $SYS/... (broker debug log)"),
	};
	size_t i, count = serve_only ? sizeof(all) / sizeof(all[0]) : 5;

	for (i = 0; i < count; i++)
		opts[i] = all[i];
	*n = count;
	return opts;
}

size_t ncm_cli_server_sans(const struct ncm_config *cfg, const char *names[6])
{
	const char *hosts[] = { cfg->mqtt_host, cfg->api_host, cfg->fota_host,
				"localhost", "127.0.0.1", "::1" };
	size_t i, j, n = 0;

	for (i = 0; i < 6; i++) {
		if (!hosts[i][0])
			continue;
		for (j = 0; j < n && strcasecmp(names[j], hosts[i]); j++)
			;
		if (j == n)
			names[n++] = hosts[i];
	}
	return n;
}

int ncm_cli_ca_init(const struct ncm_config *cfg, time_t now)
{
	struct ncm_err_info err = { 0 };
	const char *sans[6];
	size_t n = ncm_cli_server_sans(cfg, sans);
	int created, reissued;

	if (ncm_ca_init(cfg->data_dir, sans, n, now, &created, &reissued, &err)) {
		fprintf(stderr, "nrfcloud-mock: %s\n", err.msg);
		return err.code == NCM_ERR_INVAL ? 2 : 1;
	}
	if (created)
		fprintf(stderr, "nrfcloud-mock: created the lab CA in %s/ca\n", cfg->data_dir);
	if (reissued)
		fprintf(stderr, "nrfcloud-mock: issued the server certificate for %s, %s, %s\n",
			cfg->mqtt_host, cfg->api_host, cfg->fota_host);
	return 0;
}

int ncm_cli_fail(const char *cmd, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nrfcloud-mock %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}
