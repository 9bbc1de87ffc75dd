/* SPDX-License-Identifier: MIT
 * c2d.h: where a cloud-to-device message for a device goes (docs/protocol-mqtt.md#data-channel-topics): always
 * <prefix>m/d/<id>/c2d/r, which v2.2+ firmware receives through its +/r subscription, and also
 * the literal <prefix>m/d/<id>/c2d when the device reported that it subscribed to that (<= v2.1).
 * Any thread, with that thread's connection.
 */
#ifndef NCM_C2D_H
#define NCM_C2D_H

#include <stddef.h>

#include "db.h"
#include "outbox.h"

/* Adds payload (copied) for device_id's c2d topics to out. 0, or -1 on no memory. */
int ncm_c2d_outbox(struct ncm_db *db, const char *device_id, const void *payload, size_t len,
		   struct ncm_outbox *out);

/* 1 when device_id reported that it listens on the legacy <prefix>m/d/<id>/c2d (<= v2.1), whose
 * name goes into topic. */
int ncm_c2d_legacy(struct ncm_db *db, const char *device_id, char *topic, size_t size);

#endif
