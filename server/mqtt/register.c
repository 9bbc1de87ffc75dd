/* SPDX-License-Identifier: MIT
 * register.c: the callback table, registered in plugin init and removed in cleanup (the shape of
 * Mosquitto's plugins/dynamic-security/plugin.c).
 */
#include <stddef.h>

#include <mosquitto.h>

#include "clients.h"
#include "log.h"
#include "mqtt_internal.h"
#include "wake.h"


static const struct {
	int event;
	MOSQ_FUNC_generic_callback cb;
	const char *name;
} callbacks[] = {
	{ MOSQ_EVT_BASIC_AUTH, ncm_mqtt_on_basic_auth, "basic auth" },
	{ MOSQ_EVT_ACL_CHECK, ncm_mqtt_on_acl_check, "acl check" },
	{ MOSQ_EVT_DISCONNECT, ncm_mqtt_on_disconnect, "disconnect" },
	{ MOSQ_EVT_MESSAGE, ncm_mqtt_on_message, "message" },
	{ MOSQ_EVT_TICK, ncm_mqtt_on_tick, "tick" },
};

int ncm_mqtt_register(mosquitto_plugin_id_t *id, ncm_mqtt_ready_fn on_ready)
{
	size_t i;
	int rc;

	ncm_mqtt_tick_set_ready(on_ready);
	if (ncm_mqtt_trust_partial_chains())
		return MOSQ_ERR_UNKNOWN;
	ncm_mqtt_tls_watch_open();
	if (ncm_mqtt_wake_start()) {
		ncm_log(NCM_LOG_ERR, "mqtt: cannot start the wake-up connection");
		return MOSQ_ERR_UNKNOWN;
	}
	for (i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++) {
		rc = mosquitto_callback_register(id, callbacks[i].event, callbacks[i].cb, NULL,
						 NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			ncm_log(NCM_LOG_ERR, "mqtt: cannot register the %s callback (%d)",
				callbacks[i].name, rc);
			return rc;
		}
	}
	return MOSQ_ERR_SUCCESS;
}

void ncm_mqtt_unregister(mosquitto_plugin_id_t *id)
{
	size_t i;

	for (i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++)
		mosquitto_callback_unregister(id, callbacks[i].event, callbacks[i].cb, NULL);
	ncm_mqtt_wake_stop();
	ncm_clients_clear();
	ncm_mqtt_delayed_clear();
	ncm_mqtt_hold_clear();
	ncm_mqtt_tls_watch_close();
	ncm_mqtt_preconnect_clear();
}
