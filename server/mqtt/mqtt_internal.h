/* SPDX-License-Identifier: MIT
 * mqtt_internal.h: the broker callbacks, one file each. Broker thread only.
 */
#ifndef NCM_MQTT_INTERNAL_H
#define NCM_MQTT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mqtt.h"
#include "outbox.h"

int ncm_mqtt_on_basic_auth(int event, void *event_data, void *userdata);
int ncm_mqtt_on_acl_check(int event, void *event_data, void *userdata);
int ncm_mqtt_on_disconnect(int event, void *event_data, void *userdata);
int ncm_mqtt_on_tick(int event, void *event_data, void *userdata);
int ncm_mqtt_on_message(int event, void *event_data, void *userdata);

/* Makes client-certificate verification accept a trusted certificate that is not self-signed
 * as a chain's end (tls.c says why). 0, or -1. */
int ncm_mqtt_trust_partial_chains(void);

/* tls_watch.c: journals TLS-level refusals from the broker's log file (see there). open: at
 * plugin start (-1 when the log cannot be read: refusals are then only in the broker's log);
 * tick: reads what was logged since; close: at unload. */
int ncm_mqtt_tls_watch_open(void);
void ncm_mqtt_tls_watch_tick(void);
void ncm_mqtt_tls_watch_close(void);
/* preconnect.c: the auth event marks the client's socket as having sent CONNECT; the tick
 * shuts down sockets that did not within --mqtt-connect-timeout. Broker thread. */
struct mosquitto;
void ncm_mqtt_preconnect_seen(struct mosquitto *client);
void ncm_mqtt_preconnect_tick(int64_t now_ms);
/* Forgets every socket (plugin cleanup). */
void ncm_mqtt_preconnect_clear(void);

/* Sets the function the first tick calls. */
void ncm_mqtt_tick_set_ready(ncm_mqtt_ready_fn fn);

/* Publishes as the cloud (routed to subscribers) and journals it; device_id names whom it is
 * for in the journal. Returns a MOSQ_ERR_* code. */
int ncm_mqtt_publish(const char *topic, const void *payload, size_t len, int qos,
		     const char *device_id);
/* Publishes every message of out (QoS 1), in order, as replies to device_id's request (held
 * until it subscribes, hold.c). */
void ncm_mqtt_publish_outbox(struct ncm_outbox *out, const char *device_id);

/* A location request (docs/location.md#location-over-mqtt) in msg, a d2c message of device: answered on its reply
 * topic. 1 when msg was one (by appId), else 0. */
int ncm_mqtt_location_request(const char *device, const char *topic, const json_t *msg);

/* delayed.c: holds a copy of a delivery to client_id and sends it to that client alone
 * delay_ms later (a "delay_deliveries" fault). 0, or -1 on no memory. */
int ncm_mqtt_delay_delivery(const char *client_id, const char *topic, const void *payload,
			    int len, int qos, int retain, int delay_ms);
/* Sends the held deliveries that are due (the tick). */
void ncm_mqtt_delayed_flush(int64_t now_ms);
/* Drops every held delivery (unload). */
void ncm_mqtt_delayed_clear(void);

/* hold.c: delivery outcomes and replies held until the device subscribes
 * (docs/compatibility.md#replies-held-until-the-device-subscribes). probe_add remembers a publish for device_id (reply: an
 * answer to the device's own request, which may be held); -1 when it could not (the caller
 * journals the publish itself). probe_seen resolves it when the broker checks the device's READ
 * access for it (outcome goes into the journal record). hold_subscribed sends held replies
 * matching filter to client_id. hold_tick resolves what nobody took and expires holds;
 * hold_clear drops everything (reset, unload). */
int ncm_mqtt_probe_add(const char *device_id, const char *topic, const void *payload,
		       size_t len, int qos, int reply);
void ncm_mqtt_probe_seen(const char *device_id, const char *topic, const void *payload,
			 size_t len, const char *outcome);
void ncm_mqtt_hold_subscribed(const char *client_id, const char *device_id, const char *filter);
void ncm_mqtt_hold_tick(int64_t now_ms);
void ncm_mqtt_hold_clear(void);

/* Asks the broker to disconnect every connection of device_id, recording why. */
void ncm_mqtt_kick(const char *device_id, const char *reason);

#endif
