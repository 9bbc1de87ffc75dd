/* SPDX-License-Identifier: MIT
 * publish.h: HTTP handlers that must publish over MQTT (deltas, c2d messages, DISCON) hand
 * their messages to the broker thread (runtime/cmdq.h) and answer only once they are out.
 */
#ifndef NCM_HTTP_PUBLISH_H
#define NCM_HTTP_PUBLISH_H

#include "outbox.h"
#include "request.h"

/* Hands every message of out (taken) to the broker thread, suspends req, and runs on_done once
 * the broker has published them all (req->pub_failed counts refusals); with nothing to do,
 * on_done runs at once. device_id names whom the messages are for, in the journal. With
 * kick_device set, that device (NCM_KICK_ALL: every client) is then disconnected (reason
 * kick_reason) two broker ticks later, so the messages reach it first; on_done waits for the
 * kick too. */
#define NCM_KICK_ALL "*"
enum MHD_Result ncm_http_publish_then(struct ncm_req *req, struct ncm_outbox *out,
				      const char *device_id, const char *kick_device,
				      const char *kick_reason, ncm_handler on_done);

#endif
