/* SPDX-License-Identifier: MIT
 * publish.c: sends an outbox on the broker thread. Messages are routed like any publish (to the
 * clients whose subscriptions match, through the READ ACL), as nRF Cloud delivers them; each is
 * journaled as "mqtt.send". Broker thread only.
 */
#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "log.h"
#include "mqtt_internal.h"
#include "devid.h"
#include "runtime.h"
#include "topic.h"
#include "utf8.h"

/* Publishes as the cloud; a publish for a device is journaled once its fate is known
 * (hold.c), any other one now. */
static int publish(const char *topic, const void *payload, size_t len, int qos,
		   const char *device_id, int reply)
{
	struct ncm_journal_rec rec = { 0 };
	char owner[NCM_DEVID_MAX + 1];
	int rc;

	rc = mosquitto_broker_publish_copy(NULL, topic, (int)len, payload, qos, false, NULL);
	rec.kind = "mqtt.send";
	/* a publish for several devices (a FOTA job's pushes) names each by its topic */
	if (!device_id && !ncm_topic_device(ncm_rt()->prefix, topic, owner, sizeof(owner)))
		device_id = owner;
	if (rc == MOSQ_ERR_SUCCESS && device_id &&
	    ncm_mqtt_probe_add(device_id, topic, payload, len, qos, reply) == 0)
		return rc;
	rec.device = device_id;
	rec.topic = topic;
	rec.status = qos;
	rec.payload = payload;
	rec.payload_len = len;
	rec.binary = !ncm_utf8_valid(payload, len);
	if (rc != MOSQ_ERR_SUCCESS) {
		rec.reason = "broker refused the publish";
		ncm_log(NCM_LOG_ERR, "mqtt: cannot publish on %s (%d)", topic, rc);
	}
	ncm_rt_journal(&rec);
	return rc;
}

int ncm_mqtt_publish(const char *topic, const void *payload, size_t len, int qos,
		     const char *device_id)
{
	return publish(topic, payload, len, qos, device_id, 0);
}

void ncm_mqtt_publish_outbox(struct ncm_outbox *out, const char *device_id)
{
	struct ncm_outmsg *m;

	/* every outbox published here answers the device's own request (shadow, jobs,
	 * location): a reply the device may subscribe to a moment later */
	for (m = out->head; m; m = m->next)
		publish(m->topic, m->payload, m->len, 1, device_id, 1);
}
