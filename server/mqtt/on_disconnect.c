/* SPDX-License-Identifier: MIT
 * on_disconnect.c: a device's connection ended. Mosquitto 2.0.11 always passes reason -1
 * (docs/architecture.md#mosquitto-facts-that-shape-the-code), so the reason is what we recorded when we kicked it, or else that the
 * client or the network closed it. A DISCONNECT for a connection that a newer one with the same
 * client ID took over does not mark the device offline.
 */
#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "connstate.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"

int ncm_mqtt_on_disconnect(int event, void *event_data, void *userdata)
{
	static const char ordinary[] = "closed by the client or the network";
	struct mosquitto_evt_disconnect *ed = event_data;
	struct ncm_journal_rec rec = { 0 };
	struct ncm_client *c;
	const char *reason;

	(void)event;
	(void)userdata;
	c = ncm_clients_get(ed->client);
	if (!c)
		return MOSQ_ERR_SUCCESS;
	if (ncm_clients_count_device(c->device_id, c) > 0)
		reason = "taken over by a newer connection with the same client ID";
	else if (c->kick_reason[0])
		reason = c->kick_reason;
	else
		reason = ordinary;
	if (ncm_clients_count_device(c->device_id, c) == 0) {
		/* 2.0.11 cannot tell a clean DISCONNECT from a dropped socket: anything we did not
		 * kick counts as the client's own doing; the time and the shadow written behind
		 * (connstate.h) */
		ncm_connstate_post(c->device_id, 0, 0, reason, !c->kick_reason[0],
				   ncm_rt_now_ms());
	}
	/* an ordinary disconnect is per-connection chatter, like the connect line (on_auth.c):
	 * the journal has it; a kick or a takeover says more */
	ncm_log(reason == ordinary ? NCM_LOG_DEBUG : NCM_LOG_INFO,
		"auth: device %s disconnected: %s", c->device_id, reason);
	rec.kind = "mqtt.disconnect";
	rec.device = c->device_id;
	rec.reason = reason;
	ncm_rt_journal(&rec);
	ncm_clients_remove(ed->client);
	return MOSQ_ERR_SUCCESS;
}
