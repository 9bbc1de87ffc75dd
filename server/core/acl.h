/* SPDX-License-Identifier: MIT
 * acl.h: per-device topic access, the policy nRF Cloud's broker enforces: a device may publish
 * and subscribe only to its own topics (docs/protocol-mqtt.md#topic-table, all generations, with the team's
 * prefix); anything else disconnects it (docs/protocol-mqtt.md#shadow-topics, docs/protocol-mqtt.md#what-firmware-needs item 14). Pure; builds on
 * topic.h.
 */
#ifndef NCM_ACL_H
#define NCM_ACL_H

#include "err.h"
#include "topic.h"

enum ncm_acl_access {
	NCM_ACL_PUBLISH,     /* the device publishes on topic (a topic name) */
	NCM_ACL_SUBSCRIBE,   /* the device subscribes to topic (a filter) */
	NCM_ACL_UNSUBSCRIBE, /* the device unsubscribes from topic (a filter): always allowed */
	NCM_ACL_RECEIVE,     /* the broker delivers topic (a name) to the device */
};

/* Decides whether device_id (already authenticated) may perform access on topic under the
 * team prefix ("<stage>/<tenantId>/"). NCM_OK, or NCM_ERR_DENIED with err->msg naming the
 * reason, for example "publish to 'x/y' is not one of device nrf-1's topics" or
 * "subscribe to 'P m/d/D/d2c' is not allowed: it is a device-to-cloud topic".
 *  - PUBLISH: topic must be a PUB row of the device (no wildcards).
 *  - SUBSCRIBE: topic must be a SUB row of the device taken literally (including the
 *    "P m/d/D/+/r" filter), or a wildcard-free name of a SUB row; any other wildcard is denied.
 *  - RECEIVE: topic must be a SUB row of the device.
 *  - UNSUBSCRIBE: always NCM_OK (nothing can be gained by it).
 * An invalid device ID or prefix, or a NULL topic, is denied. */
int ncm_acl_check(const char *device_id, const char *prefix, enum ncm_acl_access access,
		  const char *topic, struct ncm_err_info *err);

/* 1 when device_id is the team's account device "account-<tenantId>" (the tenant taken from
 * prefix). The account device is a team-level client for cloud-side applications: it may
 * subscribe to and receive everything under "<prefix>m/" and publish to any device's c2d topics
 * ("<prefix>m/d/<id>/c2d", "<prefix>m/d/<id>/<x>/r"); no other topic. */
int ncm_acl_is_account(const char *device_id, const char *prefix);

#endif
