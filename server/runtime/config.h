/* SPDX-License-Identifier: MIT
 * config.h: the settings of one instance (docs/cli.md). `serve` fills them from flags and
 * NRFCLOUD_MOCK_<FLAG> variables and writes them to <data>/run/config.json; the plugin, started
 * by the broker, reads that file back. Both sides use the same struct and the same JSON code.
 */
#ifndef NCM_CONFIG_H
#define NCM_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NCM_DEFAULT_DATA "./nrfcloud-mock-data"
#define NCM_DEFAULT_MQTT_PORT 8883
#define NCM_DEFAULT_HTTPS_PORT 8443
#define NCM_DEFAULT_ADMIN_PORT 8080

struct ncm_config {
	char data_dir[PATH_MAX];      /* absolute after ncm_config_finish */
	char fixtures_dir[PATH_MAX];  /* "" for none */
	char mqtt_host[256];
	char api_host[256];
	char fota_host[256];
	int impersonate;
	char mqtt_bind[64];
	int mqtt_port;
	char https_bind[64];
	int https_port;
	char admin_bind[64];
	int admin_port;
	int auto_onboard;
	int64_t journal_max;
	int device_buffer;            /* largest PUBLISH payload a device takes (bytes) */
	int shadow_max;               /* shadow size cap (bytes of desired + reported) */
	int jwt_skew;                 /* clock skew tolerated on JWT exp and iat (seconds) */
	char location_centre[64];     /* "lat,lon" that derived location answers spread around */
	int location_radius;          /* metres from the centre they stay within */
	int reply_hold_ms;            /* how long a reply waits for the device's subscription */
	char admin_token[128];        /* "" for none */
	char user[64];                /* broker user when started as root; "" keeps the caller */
	char record_path[PATH_MAX];   /* "" for none */
	char plugin_path[PATH_MAX];
	char mosquitto_path[PATH_MAX];
	/* limits (docs/limits.md) */
	int admin_insecure;           /* allow a non-loopback --admin-bind without a token */
	int https_max_conn;           /* HTTPS listener connections at once */
	int https_max_per_ip;         /* of those from one address; 0 for no per-address cap */
	int admin_max_conn;           /* admin listener connections at once */
	int mqtt_max_conn;            /* MQTT connections at once; 0: what the fd limit allows */
	int http_timeout;             /* seconds an idle HTTPS or admin connection is kept */
	int mqtt_connect_timeout;     /* seconds a new MQTT connection has to send CONNECT */
	int64_t firmware_max_bytes;   /* all firmware images together */
	int64_t firmware_bundle_max;  /* the images of one bundle */
	int64_t journal_max_bytes;    /* journal payload bytes kept */
	int mqtt_watch_denied;        /* broker debug log on, to catch $SYS publishes */
};

void ncm_config_defaults(struct ncm_config *cfg);

/* Applies --impersonate to the host names and makes data_dir absolute. */
int ncm_config_finish(struct ncm_config *cfg, struct ncm_err_info *err);

/* The centre of location_centre; -1 when it is not "lat,lon" in range. */
int ncm_config_location_centre(const struct ncm_config *cfg, double *lat, double *lon);

/* <data>/state.db, <data>/run, <data>/devices */
int ncm_config_db_path(const struct ncm_config *cfg, char *buf, size_t size);
int ncm_config_run_dir(const struct ncm_config *cfg, char *buf, size_t size);
/* The broker's internal Unix socket listener (the plugin's wake-up connection, mqtt/wake.c);
 * non-zero when the path does not fit a socket address (then there is none). */
int ncm_config_wake_socket(const struct ncm_config *cfg, char *buf, size_t size);
int ncm_config_devices_dir(const struct ncm_config *cfg, char *buf, size_t size);

/* JSON round trip; to_json returns a malloc'd string. */
int ncm_config_to_json(const struct ncm_config *cfg, char **out);
int ncm_config_from_json(const char *text, size_t len, struct ncm_config *cfg,
			 struct ncm_err_info *err);

#endif
