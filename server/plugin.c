/* SPDX-License-Identifier: MIT
 * plugin.c: the Mosquitto plugin's entry points (plugin API v5) and the composition root: it
 * sets up the runtime, registers the broker callbacks (server/mqtt) and starts the HTTPS and
 * admin listeners (server/http). It is the only file that sees both of them. The plugin exports
 * exactly the three mosquitto_plugin_* symbols (plugin.map).
 */
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "http.h"
#include "log.h"
#include "mqtt.h"
#include "runtime.h"

static mosquitto_plugin_id_t *plugin_id;

static void log_to_broker(enum ncm_log_level level, const char *msg, void *userdata)
{
	static const int levels[] = { MOSQ_LOG_DEBUG, MOSQ_LOG_INFO, MOSQ_LOG_NOTICE,
				      MOSQ_LOG_WARNING, MOSQ_LOG_ERR };

	(void)userdata;
	mosquitto_log_printf(levels[level], "nrfcloud-mock: %s", msg);
}

/* The lines `serve` promises on stdout (docs/cli.md): one per listener with the port it got,
 * the CA path, the API key, the tenant ID, then "ready". Tests and scripts read them. */
static void announce(void)
{
	const struct ncm_runtime *rt = ncm_rt();

	printf("mqtt-port %d\n", rt->cfg.mqtt_port);
	printf("https-port %d\n", ncm_rt_https_port());
	printf("admin-port %d\n", ncm_rt_admin_port());
	printf("ca %s/ca/ca.pem\n", rt->cfg.data_dir);
	printf("api-key %s\n", rt->team.api_key);
	printf("tenant-id %s\n", rt->team.tenant_id);
	printf("topic-prefix %s\n", rt->prefix);
	printf("ready\n");
	fflush(stdout);
	ncm_log(NCM_LOG_NOTICE, "ready: mqtts %s:%d, https %s:%d, admin http %s:%d",
		rt->cfg.mqtt_bind, rt->cfg.mqtt_port, rt->cfg.https_bind, ncm_rt_https_port(),
		rt->cfg.admin_bind, ncm_rt_admin_port());
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	int i;

	for (i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5)
			return 5;
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
			  struct mosquitto_opt *options, int option_count)
{
	struct ncm_err_info err = { 0 };
	const char *config = NULL;
	int i;

	*userdata = NULL;
	plugin_id = identifier;
	ncm_log_set_sink(log_to_broker, NULL);
	for (i = 0; i < option_count; i++)
		if (!strcmp(options[i].key, "config"))
			config = options[i].value;
	if (!config) {
		ncm_log(NCM_LOG_ERR, "plugin: missing 'plugin_opt_config <file>'; start the "
				     "broker with 'nrfcloud-mock serve'");
		return MOSQ_ERR_INVAL;
	}
	if (ncm_rt_init(config, &err) || ncm_http_start(&err)) {
		ncm_log(NCM_LOG_ERR, "plugin: %s", err.msg);
		ncm_http_stop();
		ncm_rt_cleanup();
		return MOSQ_ERR_UNKNOWN;
	}
	if (ncm_mqtt_register(identifier, announce) != MOSQ_ERR_SUCCESS) {
		ncm_http_stop();
		ncm_rt_cleanup();
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	ncm_http_stop();
	if (plugin_id)
		ncm_mqtt_unregister(plugin_id);
	ncm_rt_cleanup();
	return MOSQ_ERR_SUCCESS;
}
