/* SPDX-License-Identifier: MIT
 * clients.h: the connected devices, keyed by the broker's client pointer rather than the client
 * ID, so that a client-ID takeover's late DISCONNECT of the old connection does not mark the new
 * one offline (docs/architecture.md#mosquitto-facts-that-shape-the-code, "no MOSQ_EVT_CONNECT"). Broker thread only.
 */
#ifndef NCM_MQTT_CLIENTS_H
#define NCM_MQTT_CLIENTS_H

#include <stddef.h>

#include "devid.h"

struct mosquitto;

struct ncm_client {
	const struct mosquitto *client;
	char device_id[NCM_DEVID_MAX + 1];
	char kick_reason[600]; /* why we are disconnecting it, "" when the client went itself */
	struct ncm_client *next;     /* in the pointer's bucket */
	struct ncm_client *next_dev; /* in the device ID's bucket */
};

/* Records a connection; replaces an entry with the same pointer. NULL on no memory. */
struct ncm_client *ncm_clients_add(const struct mosquitto *client, const char *device_id);
struct ncm_client *ncm_clients_get(const struct mosquitto *client);
/* Number of entries, other than except, for device_id (a newer connection of the same ID). */
size_t ncm_clients_count_device(const char *device_id, const struct ncm_client *except);
/* Sets the kick reason on every connection of device_id (NULL: of every device). */
void ncm_clients_set_kick_reason(const char *device_id, const char *reason);
/* How many entries the last ncm_clients_count_device or ncm_clients_set_kick_reason looked
 * at: a few, however many devices are connected (tests/unit/mqtt/test_clients.c). */
size_t ncm_clients_visited(void);
void ncm_clients_remove(const struct mosquitto *client);
void ncm_clients_clear(void);

#endif
