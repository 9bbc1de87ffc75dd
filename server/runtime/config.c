/* SPDX-License-Identifier: MIT
 * config.c: instance settings and their JSON form (see config.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "file.h"
#include "journal.h"

void ncm_config_defaults(struct ncm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", NCM_DEFAULT_DATA);
	snprintf(cfg->mqtt_host, sizeof(cfg->mqtt_host), "mqtt.nrfcloud.lab");
	snprintf(cfg->api_host, sizeof(cfg->api_host), "api.nrfcloud.lab");
	snprintf(cfg->fota_host, sizeof(cfg->fota_host), "firmware.nrfcloud.lab");
	snprintf(cfg->mqtt_bind, sizeof(cfg->mqtt_bind), "0.0.0.0");
	snprintf(cfg->https_bind, sizeof(cfg->https_bind), "0.0.0.0");
	snprintf(cfg->admin_bind, sizeof(cfg->admin_bind), "127.0.0.1");
	cfg->mqtt_port = NCM_DEFAULT_MQTT_PORT;
	cfg->https_port = NCM_DEFAULT_HTTPS_PORT;
	cfg->admin_port = NCM_DEFAULT_ADMIN_PORT;
	cfg->auto_onboard = 1;
	cfg->journal_max = NCM_JOURNAL_DEFAULT_MAX;
	/* CONFIG_NRF_CLOUD_MQTT_PAYLOAD_BUFFER_LEN's default (docs/protocol-mqtt.md#what-firmware-needs item 9) */
	cfg->device_buffer = 2048;
	cfg->shadow_max = 8192;
	cfg->jwt_skew = 60;
	/* Trondheim, where Nordic Semiconductor is */
	snprintf(cfg->location_centre, sizeof(cfg->location_centre), "63.4305,10.3951");
	cfg->location_radius = 20000;
	/* nRF Cloud answers through rules and lambdas, later than the firmware's subscribe
	 * (docs/compatibility.md#replies-held-until-the-device-subscribes) */
	cfg->reply_hold_ms = 3000;
	snprintf(cfg->mosquitto_path, sizeof(cfg->mosquitto_path), "/usr/sbin/mosquitto");
	cfg->https_max_conn = 4096;
	cfg->https_max_per_ip = 512;
	cfg->admin_max_conn = 256;
	cfg->http_timeout = 30;
	cfg->mqtt_connect_timeout = 30;
	cfg->firmware_max_bytes = (int64_t)2 << 30;
	cfg->firmware_bundle_max = (int64_t)256 << 20;
	cfg->journal_max_bytes = (int64_t)256 << 20;
}

/* Makes a relative path absolute against the current folder, dropping leading "./". */
static int make_absolute(char *path, size_t size)
{
	char cwd[PATH_MAX], abs[PATH_MAX];
	const char *rel = path;

	if (!path[0] || path[0] == '/')
		return NCM_OK;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (!getcwd(cwd, sizeof(cwd)) || ncm_path(abs, sizeof(abs), "%s/%s", cwd, rel) ||
	    strlen(abs) >= size)
		return NCM_ERR_TOO_BIG;
	snprintf(path, size, "%s", abs);
	return NCM_OK;
}

int ncm_config_finish(struct ncm_config *cfg, struct ncm_err_info *err)
{
	double lat, lon;

	if (cfg->impersonate) {
		/* nRF Cloud's own names (docs/architecture.md#identity-and-the-lab-ca), for lab DNS that points them here */
		snprintf(cfg->mqtt_host, sizeof(cfg->mqtt_host), "mqtt.nrfcloud.com");
		snprintf(cfg->api_host, sizeof(cfg->api_host), "api.nrfcloud.com");
		snprintf(cfg->fota_host, sizeof(cfg->fota_host), "firmware.nrfcloud.com");
	}
	if (make_absolute(cfg->data_dir, sizeof(cfg->data_dir)) ||
	    make_absolute(cfg->fixtures_dir, sizeof(cfg->fixtures_dir)) ||
	    make_absolute(cfg->record_path, sizeof(cfg->record_path)))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "data or fixtures path too long");
	if (ncm_config_location_centre(cfg, &lat, &lon))
		return ncm_err_set(err, NCM_ERR_INVAL, "location centre \"%s\" must be "
				   "\"lat,lon\" in degrees (-90..90, -180..180)",
				   cfg->location_centre);
	if (cfg->location_radius < 1 || cfg->location_radius > 20000000)
		return ncm_err_set(err, NCM_ERR_INVAL, "location radius must be 1..20000000 m");
	if (cfg->https_max_conn < 1 || cfg->admin_max_conn < 1 || cfg->http_timeout < 1 ||
	    cfg->mqtt_connect_timeout < 1)
		return ncm_err_set(err, NCM_ERR_INVAL, "--https-max-connections, "
				   "--admin-max-connections, --http-timeout and "
				   "--mqtt-connect-timeout must be at least 1");
	return NCM_OK;
}

int ncm_config_location_centre(const struct ncm_config *cfg, double *lat, double *lon)
{
	const char *lon_start;
	char *end;

	*lat = strtod(cfg->location_centre, &end);
	if (end == cfg->location_centre || *end != ',')
		return -1;
	lon_start = end + 1;
	*lon = strtod(lon_start, &end);
	if (*end || end == lon_start || !(*lat >= -90 && *lat <= 90) ||
	    !(*lon >= -180 && *lon <= 180))
		return -1;
	return 0;
}

int ncm_config_db_path(const struct ncm_config *cfg, char *buf, size_t size)
{
	return ncm_path(buf, size, "%s/state.db", cfg->data_dir);
}

int ncm_config_run_dir(const struct ncm_config *cfg, char *buf, size_t size)
{
	return ncm_path(buf, size, "%s/run", cfg->data_dir);
}

int ncm_config_wake_socket(const struct ncm_config *cfg, char *buf, size_t size)
{
	/* sizeof(struct sockaddr_un.sun_path) on Linux is 108, with its NUL */
	return ncm_path(buf, size < 108 ? size : 108, "%s/run/mqtt-wake.sock", cfg->data_dir);
}

int ncm_config_devices_dir(const struct ncm_config *cfg, char *buf, size_t size)
{
	return ncm_path(buf, size, "%s/devices", cfg->data_dir);
}

/* One table drives both directions, so a setting cannot be written and then forgotten. */
enum field_type { F_STR, F_INT, F_BOOL, F_I64 };
struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size;
};
#define STR(k, m) { k, F_STR, offsetof(struct ncm_config, m), sizeof(((struct ncm_config *)0)->m) }
#define NUM(k, t, m) { k, t, offsetof(struct ncm_config, m), 0 }
static const struct field fields[] = {
	STR("data", data_dir),
	STR("fixtures", fixtures_dir),
	STR("mqtt_host", mqtt_host),
	STR("api_host", api_host),
	STR("fota_host", fota_host),
	NUM("impersonate", F_BOOL, impersonate),
	STR("mqtt_bind", mqtt_bind),
	NUM("mqtt_port", F_INT, mqtt_port),
	STR("https_bind", https_bind),
	NUM("https_port", F_INT, https_port),
	STR("admin_bind", admin_bind),
	NUM("admin_port", F_INT, admin_port),
	NUM("auto_onboard", F_BOOL, auto_onboard),
	NUM("journal_max", F_I64, journal_max),
	NUM("device_buffer", F_INT, device_buffer),
	NUM("shadow_max", F_INT, shadow_max),
	NUM("jwt_skew", F_INT, jwt_skew),
	STR("location_centre", location_centre),
	NUM("location_radius", F_INT, location_radius),
	NUM("reply_hold_ms", F_INT, reply_hold_ms),
	STR("admin_token", admin_token),
	STR("user", user),
	STR("record", record_path),
	STR("plugin", plugin_path),
	STR("mosquitto", mosquitto_path),
	NUM("admin_insecure", F_BOOL, admin_insecure),
	NUM("https_max_connections", F_INT, https_max_conn),
	NUM("https_max_per_ip", F_INT, https_max_per_ip),
	NUM("admin_max_connections", F_INT, admin_max_conn),
	NUM("mqtt_max_connections", F_INT, mqtt_max_conn),
	NUM("http_timeout", F_INT, http_timeout),
	NUM("mqtt_connect_timeout", F_INT, mqtt_connect_timeout),
	NUM("firmware_max_bytes", F_I64, firmware_max_bytes),
	NUM("firmware_bundle_max_bytes", F_I64, firmware_bundle_max),
	NUM("journal_max_bytes", F_I64, journal_max_bytes),
	NUM("mqtt_watch_denied", F_BOOL, mqtt_watch_denied),
};

int ncm_config_to_json(const struct ncm_config *cfg, char **out)
{
	const char *base = (const char *)cfg;
	json_t *o = json_object();
	size_t i;

	*out = NULL;
	if (!o)
		return NCM_ERR_NOMEM;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		const void *p = base + f->offset;
		json_t *v = NULL;

		switch (f->type) {
		case F_STR: v = json_string(p); break;
		case F_INT: v = json_integer(*(const int *)p); break;
		case F_BOOL: v = json_boolean(*(const int *)p); break;
		case F_I64: v = json_integer(*(const int64_t *)p); break;
		}
		json_object_set_new(o, f->key, v);
	}
	*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *out ? NCM_OK : NCM_ERR_NOMEM;
}

int ncm_config_from_json(const char *text, size_t len, struct ncm_config *cfg,
			 struct ncm_err_info *err)
{
	char *base = (char *)cfg;
	json_error_t jerr;
	json_t *o, *v;
	size_t i;
	int rc = NCM_OK;

	ncm_config_defaults(cfg);
	o = json_loadb(text, len, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return ncm_err_set(err, NCM_ERR_INVAL, "config: line %d: %s", jerr.line,
				   jerr.text);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && !rc; i++) {
		const struct field *f = &fields[i];
		void *p = base + f->offset;

		v = json_object_get(o, f->key);
		if (!v)
			continue;
		switch (f->type) {
		case F_STR:
			if (!json_is_string(v) || json_string_length(v) >= f->size)
				rc = ncm_err_set(err, NCM_ERR_INVAL, "config: bad \"%s\"", f->key);
			else
				snprintf(p, f->size, "%s", json_string_value(v));
			break;
		case F_INT:
			if (!json_is_integer(v))
				rc = ncm_err_set(err, NCM_ERR_INVAL, "config: bad \"%s\"", f->key);
			else
				*(int *)p = (int)json_integer_value(v);
			break;
		case F_BOOL:
			*(int *)p = json_is_true(v);
			break;
		case F_I64:
			if (!json_is_integer(v))
				rc = ncm_err_set(err, NCM_ERR_INVAL, "config: bad \"%s\"", f->key);
			else
				*(int64_t *)p = json_integer_value(v);
			break;
		}
	}
	json_decref(o);
	return rc;
}
