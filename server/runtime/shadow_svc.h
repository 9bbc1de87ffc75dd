/* SPDX-License-Identifier: MIT
 * shadow_svc.h: device shadows as nRF Cloud serves them, for every control-channel generation
 * at once (docs/protocol-mqtt.md#protocol-generations, docs/protocol-mqtt.md#shadow-topics, docs/protocol-mqtt.md#shadows, docs/protocol-mqtt.md#topic-table): get requests (G1 AWS get, G2 get/trim, G3 get/tf
 * with a JSONata transform), updates from devices and from the cloud side, AWS delete, and the
 * connection state. Each call runs in one store transaction and returns the messages to publish
 * in an outbox; the caller publishes them after the commit (so an acknowledged update is
 * stored). Every message to a device respects the device buffer (--device-buffer): a reply that
 * would not fit is trimmed the way nRF Cloud trims or replaced by an error on the generation's
 * rejected/err topic, and journaled. Any thread, with that thread's connection.
 */
#ifndef NCM_SHADOW_SVC_H
#define NCM_SHADOW_SVC_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "outbox.h"
#include "topic.h"

/* Where an update comes from; decides where answers go. */
enum ncm_shadow_origin {
	NCM_ORIGIN_AWS_TOPIC,   /* $aws/things/<id>/shadow/update (G1, AWS clients) */
	NCM_ORIGIN_NRF_TOPIC,   /* <id>/shadow/update (G2, G3) */
	NCM_ORIGIN_CLOUD,       /* admin or REST API: no MQTT answers, only deltas */
};

/* G3 delta and transform replies are limited to this unless the request says otherwise
 * (docs/protocol-mqtt.md#shadow-topics, docs/protocol-mqtt.md#the-shadow-get-reply: NRF_CLOUD_TRANSFORM_MAX_RESPONSE_LEN). */
#define NCM_G3_MAX_RESPONSE 1792

/* Applies an update request. Returns 0 when accepted (and *accepted, when not NULL, gets the
 * update/accepted document), else the AWS error code (400, 409, 413) or 500 for a store
 * failure, with err->msg saying why. Deltas go out on all three delta topics (each generation's
 * device subscribes to its own). */
int ncm_svc_shadow_update(struct ncm_db *db, const char *device_id,
			  enum ncm_shadow_origin origin, const char *request, size_t len,
			  struct ncm_outbox *out, json_t **accepted, struct ncm_err_info *err);

/* Answers a get request that arrived on topic kind (NCM_TOPIC_AWS_GET, NCM_TOPIC_G2_GET_TRIM or
 * NCM_TOPIC_G3_GET_TF) with request as its payload. 0, or an error code as above. */
int ncm_svc_shadow_get(struct ncm_db *db, const char *device_id, enum ncm_topic_kind kind,
		       const char *request, size_t len, struct ncm_outbox *out,
		       struct ncm_err_info *err);

/* AWS delete ($aws/things/<id>/shadow/delete). */
int ncm_svc_shadow_delete(struct ncm_db *db, const char *device_id, struct ncm_outbox *out,
			  struct ncm_err_info *err);

/* Records reported.connection the way nRF Cloud does from broker lifecycle events: connected
 * with keepalive, or disconnected with the reason. Publishes nothing (a delta now would make a
 * device that is still pairing start over, docs/protocol-mqtt.md#what-firmware-needs item 11a). */
int ncm_svc_shadow_connection(struct ncm_db *db, const char *device_id, int connected,
			      int keepalive, const char *reason, int client_initiated,
			      struct ncm_err_info *err);

/* One connection change (see ncm_svc_shadow_connection); reason is borrowed. */
struct ncm_conn_change {
	int connected, keepalive, client_initiated;
	const char *reason;
};
/* Records n changes of one device in order, as n updates (n versions) with one read and one
 * write of its shadow, in one transaction (nested in the caller's). 0, or 500 on a store
 * failure, or the code of the last change the shadow refused (the others are kept). */
int ncm_svc_shadow_connections(struct ncm_db *db, const char *device_id,
			       const struct ncm_conn_change *changes, size_t n,
			       struct ncm_err_info *err);

/* The device's current document (creating it, with pairing, when there is none yet). */
int ncm_svc_shadow_read(struct ncm_db *db, const char *device_id, json_t **doc,
			struct ncm_err_info *err);

/* Replaces desired and reported as a whole (admin PUT); prefix and pairing are kept. */
int ncm_svc_shadow_replace(struct ncm_db *db, const char *device_id, const json_t *state,
			   struct ncm_outbox *out, json_t **doc, struct ncm_err_info *err);

#endif
