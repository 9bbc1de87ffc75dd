/* SPDX-License-Identifier: MIT
 * on_message.c: every PUBLISH a device sends, after the ACL allowed it. It is journaled (and so
 * committed) before the broker sends the PUBACK, so an acknowledged message is never lost.
 * core/topic.c says what the topic is; protocol handling by topic lands here as it is built.
 */
#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "mqtt_internal.h"
#include "runtime.h"
#include "topic.h"
#include "utf8.h"

int ncm_mqtt_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	struct ncm_journal_rec rec = { 0 };
	struct ncm_client *c;

	(void)event;
	(void)userdata;
	c = ncm_clients_get(ed->client);
	rec.kind = "mqtt.publish";
	rec.device = c ? c->device_id : mosquitto_client_id(ed->client);
	rec.topic = ed->topic;
	rec.status = ed->qos;
	rec.payload = ed->payload;
	rec.payload_len = ed->payloadlen;
	rec.binary = !ncm_utf8_valid(ed->payload, ed->payloadlen);
	if (c)
		rec.reason = ncm_topic_kind_name(
			ncm_topic_classify(c->device_id, ncm_rt()->prefix, ed->topic));
	ncm_rt_journal(&rec);
	return MOSQ_ERR_SUCCESS;
}
