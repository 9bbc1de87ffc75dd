/* SPDX-License-Identifier: MIT
 * usage.h: data usage counters (docs/portal.md#data-usage): bytes in and out per device, per UTC
 * day and per protocol, the lab's answer to the portal's SIM usage. Kept in memory (a restart or
 * POST /mock/v1/reset starts them again). Any thread.
 */
#ifndef NCM_USAGE_H
#define NCM_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ncm_usage_kind {
	NCM_USAGE_MQTT_PAYLOAD, /* PUBLISH payload bytes */
	NCM_USAGE_MQTT_WIRE,    /* PUBLISH + acknowledgement packets, before TLS */
	NCM_USAGE_HTTPS,        /* REST request and answer bodies */
	NCM_USAGE_FIRMWARE,     /* firmware file bytes served */
	NCM_USAGE_KINDS
};

/* Adds bytes_in (device to cloud) and bytes_out (cloud to device) to device's row for today;
 * device NULL or "" counts as unattributed ("" in the JSON). */
void ncm_usage_add(const char *device, enum ncm_usage_kind kind, uint64_t bytes_in,
		   uint64_t bytes_out);

/* One PUBLISH: payload and wire bytes; in = 1 when the device sent it, 0 when it received it. */
void ncm_usage_mqtt(const char *device, int in, const char *topic, size_t payload_len, int qos);

/* {"days":[{"day":"2026-12-07","device":"...","mqttPayload":{"in":..,"out":..},
 * "mqttWire":{...},"https":{...},"firmware":{...}}],"totals":{...}}, for one device or all
 * (device NULL), newest day first. New reference. */
json_t *ncm_usage_json(const char *device);

/* Forgets everything. */
void ncm_usage_clear(void);

#endif
