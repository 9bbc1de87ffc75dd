/* SPDX-License-Identifier: MIT
 * mqttsize.h: how many bytes an MQTT 3.1.1 PUBLISH takes on the wire (before TLS), for the data
 * usage counters (docs/portal.md#data-usage). Pure arithmetic.
 */
#ifndef NCM_MQTTSIZE_H
#define NCM_MQTTSIZE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the PUBLISH packet: fixed header (1 byte + the Remaining Length varint) + topic
 * (2-byte length + name) + packet identifier (QoS > 0) + payload (MQTT 3.1.1 §2.2, §3.3). */
uint64_t ncm_mqtt_publish_wire_len(size_t topic_len, size_t payload_len, int qos);

/* Bytes of the acknowledgement the receiver sends back: PUBACK (4) for QoS 1, PUBREC + PUBREL +
 * PUBCOMP (12) for QoS 2, none for QoS 0 (MQTT 3.1.1 §3.4-§3.7). */
uint64_t ncm_mqtt_ack_wire_len(int qos);

#endif
