/* SPDX-License-Identifier: MIT
 * on_message.c: every PUBLISH a device sends, after the ACL allowed it, dispatched by its row of
 * the topic table (core/topic.c). The broker sends the PUBACK after this callback returns, so
 * whatever is stored here is committed before the device hears "acknowledged", and replies
 * published here go out after the PUBACK (they are queued for the broker's next loop), which
 * nRF Connect SDK firmware requires for the shadow request (docs/protocol-mqtt.md#what-firmware-needs item 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "fota.h"
#include "fota_svc.h"
#include "log.h"
#include "messages.h"
#include "mqtt_internal.h"
#include "runtime.h"
#include "shadow_svc.h"
#include "topic.h"
#include "usage.h"
#include "utf8.h"
#include "jsontext.h"

/* The journal record of the incoming publish; reason is the topic's row (or why it failed). */
static void journal_in(const char *device, const struct mosquitto_evt_message *ed,
		       const char *reason)
{
	struct ncm_journal_rec rec = { 0 };

	rec.kind = "mqtt.publish";
	rec.device = device;
	rec.topic = ed->topic;
	rec.status = ed->qos;
	rec.payload = ed->payload;
	rec.payload_len = ed->payloadlen;
	rec.binary = !ncm_utf8_valid(ed->payload, ed->payloadlen);
	rec.reason = reason;
	ncm_usage_mqtt(device, 1, ed->topic, ed->payloadlen, ed->qos);
	ncm_rt_journal(&rec);
}

static void journal_refused(const char *device, const char *topic, const char *reason)
{
	struct ncm_journal_rec rec = { 0 };

	rec.kind = "mqtt.bad_message";
	rec.device = device;
	rec.topic = topic;
	rec.reason = reason;
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_NOTICE, "mqtt: %s on %s: %s", device, topic, reason);
}

/* A store failure (a full disk, an I/O error): journaled, and for QoS 1 the device is
 * disconnected without its PUBACK, so it sends the message again on its next connection.
 * Mosquitto 2.0.11 sends the PUBACK only after this callback returns, and an error other than
 * MOSQ_ERR_ACL_DENIED from it drops the client instead (src/handle_publish.c,
 * handle__publish). */
static int store_failed(const char *device, const struct mosquitto_evt_message *ed,
			const char *why)
{
	struct ncm_journal_rec rec = { 0 };
	char reason[600];

	snprintf(reason, sizeof(reason), "not stored: %s", why);
	rec.kind = "mqtt.store_failed";
	rec.device = device;
	rec.topic = ed->topic;
	rec.status = ed->qos;
	rec.reason = reason;
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_ERR, "mqtt: cannot store message from %s on %s: %s", device, ed->topic,
		why);
	if (ed->qos == 0)
		return MOSQ_ERR_SUCCESS;
	ncm_clients_set_kick_reason(device, reason);
	return MOSQ_ERR_UNKNOWN;
}

/* d2c, d2c/bulk and d2c/bin (docs/protocol-mqtt.md#data-channel-topics,
 * docs/protocol-mqtt.md#device-messages): committed to the message log (one
 * write, ncm_rt_messages_commit) before the callback returns, so before the PUBACK, then
 * journaled. A d2c payload must be JSON and a bulk payload a JSON array; anything else is
 * journaled with the reason and not stored (the device still gets its PUBACK, as from nRF
 * Cloud's broker, which does not answer data-channel messages). Location requests on d2c (by
 * appId) are answered after the store (on_location.c). Returns what the message callback
 * returns. */
static int data_channel(const char *device, enum ncm_topic_kind kind,
			const struct mosquitto_evt_message *ed)
{
	struct ncm_err_info err = { 0 };
	struct ncm_message one = { 0 }, *msgs = &one;
	const char *payload = ed->payload;
	json_error_t jerr;
	json_t *arr = NULL, *el, *location = NULL;
	char reason[256], **texts = NULL;
	size_t i, n = 1;
	int rc = NCM_OK;

	one.device_id = device;
	one.topic = ed->topic;
	one.received_ms = ncm_rt_now_ms();
	one.payload = payload;
	one.payload_len = ed->payloadlen;
	switch (kind) {
	case NCM_TOPIC_D2C_BIN:
		one.binary = 1;
		break;
	case NCM_TOPIC_D2C_BULK:
		arr = json_loadb(payload, ed->payloadlen, 0, &jerr);
		if (!json_is_array(arr)) {
			snprintf(reason, sizeof(reason), "bulk payload must be a JSON array%s%s",
				 arr ? "" : ": ", arr ? "" : jerr.text);
			json_decref(arr);
			goto refuse;
		}
		/* one row per element, each its own JSON text */
		n = json_array_size(arr);
		msgs = calloc(n ? n : 1, sizeof(*msgs));
		texts = calloc(n ? n : 1, sizeof(*texts));
		if (!msgs || !texts) {
			rc = ncm_err_set(&err, NCM_ERR_NOMEM, "out of memory");
			break;
		}
		json_array_foreach(arr, i, el) {
			texts[i] = ncm_json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY |
							  JSON_PRESERVE_ORDER);
			if (!texts[i]) {
				rc = ncm_err_set(&err, NCM_ERR_NOMEM, "out of memory");
				break;
			}
			msgs[i] = one;
			msgs[i].payload = texts[i];
			msgs[i].payload_len = strlen(texts[i]);
			msgs[i].app_id = json_string_value(json_object_get(el, "appId"));
		}
		break;
	default:
		location = json_loadb(payload, ed->payloadlen, 0, &jerr);
		if (!location) {
			snprintf(reason, sizeof(reason), "d2c payload is not JSON: %s", jerr.text);
			goto refuse;
		}
		one.app_id = json_string_value(json_object_get(location, "appId"));
		break;
	}
	if (!rc && n)
		rc = ncm_rt_messages_commit(msgs, n, &err);
	for (i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	if (msgs != &one)
		free(msgs);
	json_decref(arr);
	if (rc) {
		json_decref(location);
		journal_in(device, ed, ncm_topic_kind_name(kind));
		return store_failed(device, ed, err.msg[0] ? err.msg : "store failure");
	}
	/* journaled after the commit: whoever waits for this record finds the message stored;
	 * the reply's own journal records follow the request's */
	journal_in(device, ed, ncm_topic_kind_name(kind));
	if (location)
		ncm_mqtt_location_request(device, ed->topic, location);
	json_decref(location);
	return MOSQ_ERR_SUCCESS;
refuse:
	journal_in(device, ed, ncm_topic_kind_name(kind));
	journal_refused(device, ed->topic, reason);
	return MOSQ_ERR_SUCCESS;
}

static void shadow_request(const char *device, enum ncm_topic_kind kind,
			   const struct mosquitto_evt_message *ed)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_db *db = ncm_rt_db();
	int rc;

	journal_in(device, ed, ncm_topic_kind_name(kind));
	if (!db)
		return;
	switch (kind) {
	case NCM_TOPIC_AWS_UPDATE:
	case NCM_TOPIC_SHADOW_UPDATE:
		rc = ncm_svc_shadow_update(db, device,
					   kind == NCM_TOPIC_AWS_UPDATE ? NCM_ORIGIN_AWS_TOPIC
									: NCM_ORIGIN_NRF_TOPIC,
					   ed->payload, ed->payloadlen, &out, NULL, &err);
		break;
	case NCM_TOPIC_AWS_DELETE:
		rc = ncm_svc_shadow_delete(db, device, &out, &err);
		break;
	default:
		rc = ncm_svc_shadow_get(db, device, kind, ed->payload, ed->payloadlen, &out, &err);
		break;
	}
	if (rc && rc != 404)
		journal_refused(device, ed->topic, err.msg[0] ? err.msg : "shadow request refused");
	ncm_mqtt_publish_outbox(&out, device);
	ncm_outbox_release(&out);
}

/* FOTA over MQTT (docs/fota.md#job-request, docs/fota.md#status-updates): jobs/req [""] answers the device's current job on
 * jobs/rcv (nothing when none); jobs/update [jobId, status, detail] moves its execution. */
static void jobs_request(const char *device, enum ncm_topic_kind kind,
			 const struct mosquitto_evt_message *ed)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	enum ncm_exec_status status;
	const char *job_id, *detail;
	json_error_t jerr;
	json_t *root;
	int progress;

	journal_in(device, ed, ncm_topic_kind_name(kind));
	root = json_loadb(ed->payload, ed->payloadlen, 0, &jerr);
	if (kind == NCM_TOPIC_JOBS_REQ) {
		if (!json_is_array(root))
			journal_refused(device, ed->topic, "job request must be a JSON array such "
				       "as [\"\"]");
		else
			ncm_fota_request(ncm_rt_db(), device, &out);
	} else if (ncm_fota_status_array_parse(root, &job_id, &status, &progress, &detail, &err) ||
		   ncm_fota_report(ncm_rt_db(), device, job_id, status, progress, detail, &err)) {
		journal_refused(device, ed->topic, err.msg);
	}
	json_decref(root);
	ncm_mqtt_publish_outbox(&out, device);
	ncm_outbox_release(&out);
}

/* The length of a JSON payload without the NUL bytes (and whitespace) after it. The AWS
 * embedded C SDK demos publish strlen + 1 bytes, and AWS IoT accepts the trailing NUL
 * (docs/compatibility.md#trailing-nul-bytes); jansson would call it invalid JSON. */
static int json_payload_len(const void *payload, int len)
{
	const unsigned char *p = payload;

	while (len > 0 && (p[len - 1] == '\0' || p[len - 1] == ' ' || p[len - 1] == '\t' ||
			   p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	return len;
}

/* The topics whose payload the mock parses as JSON. */
static int reads_json(enum ncm_topic_kind kind)
{
	switch (kind) {
	case NCM_TOPIC_AWS_GET:
	case NCM_TOPIC_G2_GET_TRIM:
	case NCM_TOPIC_G3_GET_TF:
	case NCM_TOPIC_AWS_UPDATE:
	case NCM_TOPIC_SHADOW_UPDATE:
	case NCM_TOPIC_AWS_DELETE:
	case NCM_TOPIC_D2C:
	case NCM_TOPIC_D2C_BULK:
	case NCM_TOPIC_JOBS_REQ:
	case NCM_TOPIC_JOBS_UPDATE:
		return 1;
	default:
		return 0;
	}
}

int ncm_mqtt_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *raw = event_data, trimmed;
	struct mosquitto_evt_message *ed = raw;
	struct ncm_client *c;
	enum ncm_topic_kind kind;

	(void)event;
	(void)userdata;
	c = ncm_clients_get(ed->client);
	if (!c) {
		journal_in(mosquitto_client_id(ed->client), ed, "unknown client");
		return MOSQ_ERR_SUCCESS;
	}
	kind = ncm_topic_classify(c->device_id, ncm_rt()->prefix, ed->topic);
	/* every topic the mock reads as JSON sees the payload without trailing NULs; d2c/bin and
	 * the topics it only routes keep their bytes. The broker still routes the original. */
	if (reads_json(kind) && ed->payload && ed->payloadlen > 0) {
		trimmed = *raw;
		trimmed.payloadlen = (uint32_t)json_payload_len(raw->payload, (int)raw->payloadlen);
		ed = &trimmed;
	}
	switch (kind) {
	case NCM_TOPIC_AWS_GET:
	case NCM_TOPIC_G2_GET_TRIM:
	case NCM_TOPIC_G3_GET_TF:
	case NCM_TOPIC_AWS_UPDATE:
	case NCM_TOPIC_SHADOW_UPDATE:
	case NCM_TOPIC_AWS_DELETE:
		shadow_request(c->device_id, kind, ed);
		break;
	case NCM_TOPIC_D2C:
	case NCM_TOPIC_D2C_BULK:
	case NCM_TOPIC_D2C_BIN:
		return data_channel(c->device_id, kind, ed);
	case NCM_TOPIC_JOBS_REQ:
	case NCM_TOPIC_JOBS_UPDATE:
		jobs_request(c->device_id, kind, ed);
		break;
	default:
		/* BLE FOTA topics and the account device's c2d publishes: journaled, and routed
		 * by the broker to subscribers */
		journal_in(c->device_id, ed, ncm_topic_kind_name(kind));
		break;
	}
	return MOSQ_ERR_SUCCESS;
}
