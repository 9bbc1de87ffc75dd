/* SPDX-License-Identifier: MIT
 * mqtt.h: the Mosquitto glue. Registers the broker callbacks (auth, ACL, disconnect, tick) that
 * translate broker events into core and store calls. Broker thread only.
 */
#ifndef NCM_MQTT_H
#define NCM_MQTT_H

#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

/* Called once, on the first TICK: by then every listener is bound and the loop runs. */
typedef void (*ncm_mqtt_ready_fn)(void);

int ncm_mqtt_register(mosquitto_plugin_id_t *id, ncm_mqtt_ready_fn on_ready);
void ncm_mqtt_unregister(mosquitto_plugin_id_t *id);

#endif
