/* SPDX-License-Identifier: MIT
 * pairing.h: what every device's desired state must hold so that nRF Connect SDK firmware
 * reaches READY: the team's topic prefix and a "paired" pairing object with the data-channel
 * topics (docs/protocol-mqtt.md#the-shadow-get-reply, docs/protocol-mqtt.md#pairing, docs/protocol-mqtt.md#what-firmware-needs item 7). Pure; builds on shadow.h's document shape.
 */
#ifndef NCM_PAIRING_H
#define NCM_PAIRING_H

#include <time.h>

#include <jansson.h>

/* The desired pairing object for device_id under prefix ("<stage>/<tenantId>/"):
 * {"state":"paired","topics":{"d2c":"<P>m/d/<id>/d2c","c2d":"<P>m/d/<id>/+/r"}}. */
json_t *ncm_pairing_object(const char *prefix, const char *device_id);

/* Returns a copy of doc (a stored shadow document, or NULL for a new one) in which
 * state.desired.nrfcloud_mqtt_topic_prefix and state.desired.pairing exist: missing ones are
 * added with metadata timestamps of now; present ones are kept as they are (the device itself
 * rewrites pairing.topics.c2d, docs/protocol-mqtt.md#data-channel-topics). *changed is set to 1 when something was
 * added (may be NULL). The version is not changed. */
json_t *ncm_pairing_ensure(const json_t *doc, const char *prefix, const char *device_id,
			   time_t now, int *changed);

#endif
