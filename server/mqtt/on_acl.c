/* SPDX-License-Identifier: MIT
 * on_acl.c: topic access for devices (core/acl.c decides). A publish or subscribe outside the
 * device's own topics disconnects it, as nRF Cloud's broker does (docs/protocol-mqtt.md#shadow-topics): returning
 * an error other than MOSQ_ERR_ACL_DENIED makes Mosquitto 2.0 drop the connection
 * (docs/architecture.md#mosquitto-facts-that-shape-the-code). Deliveries the device may not read are dropped silently.
 */
#include <stdio.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "acl.h"
#include "clients.h"
#include "faults.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"
#include "usage.h"

static const char *access_name(int access)
{
	switch (access) {
	case MOSQ_ACL_READ: return "receive";
	case MOSQ_ACL_WRITE: return "publish";
	case MOSQ_ACL_SUBSCRIBE: return "subscribe";
	case MOSQ_ACL_UNSUBSCRIBE: return "unsubscribe";
	}
	return "access";
}

int ncm_mqtt_on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct ncm_journal_rec rec = { 0 };
	struct ncm_fault_hit hit;
	struct ncm_err_info err = { 0 };
	struct ncm_client *c;
	enum ncm_acl_access access;

	(void)event;
	(void)userdata;
	c = ncm_clients_get(ed->client);
	if (!c) {
		ncm_log(NCM_LOG_WARNING, "acl: %s of '%s' by unknown client '%s' denied",
			access_name(ed->access), ed->topic, mosquitto_client_id(ed->client));
		return MOSQ_ERR_ACL_DENIED;
	}
	switch (ed->access) {
	case MOSQ_ACL_READ: access = NCM_ACL_RECEIVE; break;
	case MOSQ_ACL_WRITE: access = NCM_ACL_PUBLISH; break;
	case MOSQ_ACL_SUBSCRIBE: access = NCM_ACL_SUBSCRIBE; break;
	case MOSQ_ACL_UNSUBSCRIBE: access = NCM_ACL_UNSUBSCRIBE; break;
	default: return MOSQ_ERR_ACL_DENIED;
	}
	rec.device = c->device_id;
	rec.topic = ed->topic;
	if (ncm_acl_check(c->device_id, ncm_rt()->prefix, access, ed->topic, &err) == NCM_OK) {
		if (access == NCM_ACL_SUBSCRIBE &&
		    ncm_faults_fire(NCM_FAULT_REFUSE_SUBSCRIBE, c->device_id, NULL, NULL, &hit))
			return MOSQ_ERR_ACL_DENIED; /* SUBACK 0x80; journaled as fault.fired */
		/* a delivery the broker checks (subs.c) and then drops, for QoS 1 too */
		if (access == NCM_ACL_RECEIVE &&
		    ncm_faults_fire(NCM_FAULT_DROP_DELIVERIES, c->device_id, NULL, NULL, &hit)) {
			ncm_mqtt_probe_seen(c->device_id, ed->topic, ed->payload, ed->payloadlen,
					    "dropped: drop_deliveries fault");
			return MOSQ_ERR_ACL_DENIED;
		}
		/* refused now, sent to this client alone later (delayed.c) */
		if (access == NCM_ACL_RECEIVE &&
		    ncm_faults_fire(NCM_FAULT_DELAY_DELIVERIES, c->device_id, NULL, NULL, &hit) &&
		    !ncm_mqtt_delay_delivery(mosquitto_client_id(ed->client), ed->topic,
					     ed->payload, (int)ed->payloadlen, ed->qos, ed->retain,
					     hit.delay_ms)) {
			ncm_mqtt_probe_seen(c->device_id, ed->topic, ed->payload, ed->payloadlen,
					    "delayed: delay_deliveries fault");
			return MOSQ_ERR_ACL_DENIED;
		}
		/* the broker routes a publish to this device: it has a matching subscription
		 * (hold.c) */
		if (access == NCM_ACL_RECEIVE)
			ncm_mqtt_probe_seen(c->device_id, ed->topic, ed->payload, ed->payloadlen,
					    "delivered");
		if (access == NCM_ACL_SUBSCRIBE) {
			rec.kind = "mqtt.subscribe";
			rec.status = ed->qos;
			ncm_rt_journal(&rec);
			/* replies held for want of this subscription go out after its SUBACK */
			ncm_mqtt_hold_subscribed(mosquitto_client_id(ed->client), c->device_id,
						 ed->topic);
		}
		if (access == NCM_ACL_RECEIVE) ncm_usage_mqtt(c->device_id, 0, ed->topic, ed->payloadlen, ed->qos);
		return MOSQ_ERR_SUCCESS;
	}
	if (access == NCM_ACL_RECEIVE) {
		ncm_log(NCM_LOG_DEBUG, "acl: %s", err.msg);
		return MOSQ_ERR_ACL_DENIED;
	}
	ncm_log(NCM_LOG_NOTICE, "acl: %s; disconnecting", err.msg);
	rec.kind = "mqtt.acl_denied";
	rec.reason = err.msg;
	if (access == NCM_ACL_PUBLISH && ed->payload) {
		rec.payload = ed->payload;
		rec.payload_len = ed->payloadlen;
	}
	ncm_rt_journal(&rec);
	snprintf(c->kick_reason, sizeof(c->kick_reason), "policy violation: %s", err.msg);
	return MOSQ_ERR_AUTH;
}
