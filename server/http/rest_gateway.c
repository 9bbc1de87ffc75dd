/* SPDX-License-Identifier: MIT
 * rest_gateway.c: the BLE gateway operations (docs/protocol-rest.md#ble-gateways):
 * StartScanForBLEDevices, StartPeripheralDiscovery, AddPeripheral and the characteristic and
 * descriptor reads and writes. Paths, statuses and bodies are nRF Cloud's OpenAPI as the client
 * generated from it shows them (NauEngineering/python_nRF_cloud_client, its GatewaysApi.md,
 * BluetoothLowEnergyDevicesApi.md and BLEScanConfig.md pages). The operations reach a gateway
 * (a device onboarded with a subType containing "gateway") as the c2g messages nRF Cloud's
 * gateway firmware reads (nRFCloud/lte-gateway src/gateway.c gateway_handler(), before the
 * 2023 rewrite), and its g2c events (src/ble_codec.c) answer the reads. Any other device gets
 * nRF Cloud's refusal: 400 40000, or 404 40410 when it is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "journal.h"
#include "jsontext.h"
#include "match.h"
#include "publish.h"
#include "rest_common.h"
#include "runtime.h"
#include "shadow_svc.h"
#include "waiters.h"

/* How long a read waits for the gateway's answer before the last reported value is used. */
#define READ_WAIT_MS 5000
/* A GATT attribute value is at most 512 bytes (Bluetooth Core 5.3, Vol 3, Part F, 3.2.9). */
#define VALUE_MAX 512

/* A gateway is a device whose subType contains "gateway" (docs/protocol-rest.md#onboarding;
 * the same test as the device object's "type", rest_common.c). */
static int is_gateway(const struct ncm_device *d)
{
	return d->sub_type && strcasestr(d->sub_type, "gateway");
}

/* "<prefix>m/d/<id>/<leaf>": a gateway reads c2g and sends g2c where other devices use c2d and
 * d2c (sdk-nrf nrf_cloud_transport.c nct_dc_connect() with CONFIG_NRF_CLOUD_GATEWAY). */
static void gw_topic(char *buf, size_t size, const char *gw, const char *leaf)
{
	snprintf(buf, size, "%sm/d/%s/%s", ncm_rt()->prefix, gw, leaf);
}

/* Loads {gatewayId} (req->params[0]); 1 when it is a gateway (its stored ID in id), else 0 with
 * nRF Cloud's refusal answered in *ret. */
static int load_gateway(struct ncm_req *req, char *id, size_t size, enum MHD_Result *ret)
{
	struct ncm_device d = { 0 };
	int ok;

	if (!ncm_rest_device_load(req, &d, ret)) {
		ncm_device_release(&d);
		return 0;
	}
	ok = is_gateway(&d);
	if (ok)
		snprintf(id, size, "%s", d.id);
	else
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "device %s is not a gateway", d.id);
	ncm_device_release(&d);
	return ok;
}

/* One entry of desiredConnections names the peripheral: the current form is a string, the
 * older one an object with "id" or "address" (lte-gateway src/ble_codec.c
 * gateway_shadow_desired_encode(), "desired_conns_strings"). */
static int entry_is(const json_t *e, const char *peripheral)
{
	const json_t *a;

	if (json_is_string(e))
		return !strcasecmp(json_string_value(e), peripheral);
	a = json_object_get(e, "address");
	if (json_is_object(a))
		a = json_object_get(a, "address");
	if (json_is_string(a) && !strcasecmp(json_string_value(a), peripheral))
		return 1;
	a = json_object_get(e, "id");
	return json_is_string(a) && !strcasecmp(json_string_value(a), peripheral);
}

/* The gateway's desired.desiredConnections (borrowed from doc), or NULL. */
static json_t *desired_connections(json_t *doc)
{
	return json_object_get(json_object_get(json_object_get(doc, "state"), "desired"),
			       "desiredConnections");
}

struct owner_scan {
	const char *peripheral;
	char gateway[NCM_DEVID_MAX + 1];
	int is_device;      /* the ID is an onboarded device (not a peripheral) */
};

static int owner_cb(const struct ncm_device *d, void *userdata)
{
	struct owner_scan *s = userdata;
	struct ncm_err_info err = { 0 };
	json_t *doc = NULL, *e;
	size_t i;

	if (!strcasecmp(d->id, s->peripheral))
		s->is_device = 1;
	if (!is_gateway(d) || s->gateway[0])
		return 0;
	if (ncm_svc_shadow_read(ncm_rt_db(), d->id, &doc, &err))
		return 0;
	json_array_foreach(desired_connections(doc), i, e)
		if (entry_is(e, s->peripheral)) {
			snprintf(s->gateway, sizeof(s->gateway), "%s", d->id);
			break;
		}
	json_decref(doc);
	return 0;
}

/* The gateway a BLE device (req->params[0]) was added to (AddPeripheral puts it in that
 * gateway's desired.desiredConnections, as nRF Cloud does): 1 with its ID in gw, else 0 with
 * nRF Cloud's refusal in *ret (an onboarded device that is no peripheral: 400; anything else
 * 404). */
static int find_owner(struct ncm_req *req, char *gw, size_t size, enum MHD_Result *ret)
{
	struct ncm_err_info err = { 0 };
	struct owner_scan s = { 0 };

	s.peripheral = req->params[0];
	if (ncm_store_device_foreach(ncm_rt_db(), owner_cb, &s, &err)) {
		*ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		return 0;
	}
	if (s.gateway[0]) {
		snprintf(gw, size, "%s", s.gateway);
		return 1;
	}
	if (s.is_device)
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "device %s is not a BLE device", req->params[0]);
	else
		*ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410,
				       "device %s not found (a BLE device is known once "
				       "AddPeripheral added it to a gateway)", req->params[0]);
	return 0;
}

/* Publishes {"type":"operation","operation":op} (op stolen) on the gateway's c2g topic, then
 * runs on_done (lte-gateway src/gateway.c gateway_handler() reads "type" and "operation"). */
static enum MHD_Result relay(struct ncm_req *req, const char *gw, json_t *op,
			     ncm_handler on_done)
{
	struct ncm_outbox out = { 0 };
	char topic[512];

	gw_topic(topic, sizeof(topic), gw, "c2g");
	if (!op || ncm_outbox_add_json(&out, topic, json_pack("{s:s,s:o}", "type", "operation",
							       "operation", op))) {
		ncm_outbox_release(&out);
		return MHD_NO;
	}
	return ncm_http_publish_then(req, &out, gw, NULL, NULL, on_done);
}

/* nRF Cloud answers the gateway operations at once, without the gateway's result: 202 with no
 * body (GatewaysApi.md, BluetoothLowEnergyDevicesApi.md). */
static enum MHD_Result relayed_accepted(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "the broker refused to publish the gateway operation");
	return ncm_rest_accepted(req);
}

/* The body of a write: a JSON array of byte values (List[float] in the generated client; the
 * gateway stores each as a byte, lte-gateway src/gateway.c). NULL with the refusal in *ret. */
static json_t *byte_array(struct ncm_req *req, enum MHD_Result *ret)
{
	json_t *body = json_loadb(req->body, req->body_len, 0, NULL), *v;
	size_t i;

	if (!json_is_array(body) || !json_array_size(body) || json_array_size(body) > VALUE_MAX)
		goto bad;
	json_array_foreach(body, i, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 255)
			goto bad;
	return body;
bad:
	json_decref(body);
	*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
			       "body must be a JSON array of 1 to %d byte values (0-255)",
			       VALUE_MAX);
	return NULL;
}

/* POST /v1/devices/{deviceId}/scan with an optional BLEScanConfig {"scanType":0|1,
 * "scanTimeout":0..65535,"scanReporting":"instant"|"batch","filter":{"rssi","name"}}
 * (BLEScanConfig.md): the gateway gets {"type":"scan","scanType":..} plus the other settings
 * given; 202. */
enum MHD_Result ncm_rest_gateway_scan_post(struct ncm_req *req)
{
	char gw[NCM_DEVID_MAX + 1];
	enum MHD_Result ret;
	json_t *body = NULL, *op, *v, *f;
	const char *key, *bad = NULL;

	if (!load_gateway(req, gw, sizeof(gw), &ret))
		return ret;
	if (req->body_len) {
		body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(body))
			bad = "body must be a BLEScanConfig object";
	}
	json_object_foreach(body, key, v) {
		if (bad)
			break;
		if (!strcmp(key, "scanType")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 1)
				bad = "scanType must be 0 (BLE devices) or 1 (beacons)";
		} else if (!strcmp(key, "scanTimeout")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535)
				bad = "scanTimeout must be 0..65535 seconds";
		} else if (!strcmp(key, "scanReporting")) {
			if (!json_is_string(v) || (strcmp(json_string_value(v), "instant") &&
						   strcmp(json_string_value(v), "batch")))
				bad = "scanReporting must be \"instant\" or \"batch\"";
		} else if (!strcmp(key, "filter")) {
			f = json_object_get(v, "rssi");
			if (!json_is_object(v) || (f && !json_is_number(f)) ||
			    ((f = json_object_get(v, "name")) && !json_is_string(f)))
				bad = "filter must be {\"rssi\": number, \"name\": string}";
		} else {
			bad = "unknown key: BLEScanConfig has scanType, scanTimeout, "
			      "scanReporting and filter";
		}
	}
	if (bad) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", bad);
		json_decref(body);
		return ret;
	}
	op = body ? json_deep_copy(body) : json_object();
	json_decref(body);
	if (!op)
		return MHD_NO;
	json_object_set_new(op, "type", json_string("scan"));
	if (!json_object_get(op, "scanType"))
		json_object_set_new(op, "scanType", json_integer(0));
	return relay(req, gw, op, relayed_accepted);
}

/* POST /v1/devices/{gatewayId}/discover/{peripheralId}: {"type":"device_discover",
 * "deviceAddress":<peripheralId>} to the gateway; 202 (nRF Cloud stores the result when the
 * gateway reports it, 30-60 s later, BluetoothLowEnergyDevicesApi.md). */
enum MHD_Result ncm_rest_gateway_discover_post(struct ncm_req *req)
{
	char gw[NCM_DEVID_MAX + 1];
	enum MHD_Result ret;

	if (!load_gateway(req, gw, sizeof(gw), &ret))
		return ret;
	return relay(req, gw, json_pack("{s:s,s:s}", "type", "device_discover", "deviceAddress",
					req->params[1]), relayed_accepted);
}

static enum MHD_Result peripheral_added(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "stored, but the broker refused to publish the delta");
	return ncm_reply_text(req, MHD_HTTP_NO_CONTENT, "application/json", "");
}

/* PUT /v1/devices/{gatewayId}/{peripheralId}: as nRF Cloud, adds the peripheral to the
 * gateway's desired.desiredConnections (a list of ID strings, the form current nRF Cloud
 * uses, lte-gateway src/ble_codec.c), so a connected gateway gets the delta and connects;
 * 204 (BluetoothLowEnergyDevicesApi.md AddPeripheral). Adding it again changes nothing. */
enum MHD_Result ncm_rest_gateway_add_peripheral(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	char gw[NCM_DEVID_MAX + 1], *text;
	enum MHD_Result ret;
	json_t *doc = NULL, *list, *e, *update;
	size_t i;
	int code;

	if (!load_gateway(req, gw, sizeof(gw), &ret))
		return ret;
	if (ncm_svc_shadow_read(ncm_rt_db(), gw, &doc, &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	list = json_array();
	json_array_foreach(desired_connections(doc), i, e) {
		if (entry_is(e, req->params[1])) {
			json_decref(list);
			json_decref(doc);
			return peripheral_added(req);
		}
		json_array_append(list, e);
	}
	json_decref(doc);
	json_array_append_new(list, json_string(req->params[1]));
	update = json_pack("{s:{s:{s:o}}}", "state", "desired", "desiredConnections", list);
	text = update ? ncm_json_dumps(update, JSON_COMPACT) : NULL;
	json_decref(update);
	if (!text)
		return MHD_NO;
	code = ncm_svc_shadow_update(ncm_rt_db(), gw, NCM_ORIGIN_CLOUD, text, strlen(text), &out,
				     NULL, &err);
	free(text);
	if (code) {
		ncm_outbox_release(&out);
		return ncm_reply_error(req, code == 400 || code == 413 ? MHD_HTTP_BAD_REQUEST
								  : MHD_HTTP_INTERNAL_SERVER_ERROR,
				       code == 400 || code == 413 ? 40000 : 50010, "%s", err.msg);
	}
	return ncm_http_publish_then(req, &out, gw, NULL, NULL, peripheral_added);
}

/* ---- characteristics and descriptors ---- */

/* A read in flight: the waiter for the gateway's result on g2c, and what it is about. */
struct read_ctx {
	struct ncm_waiter w;
	json_t *pattern;        /* owns w.pattern.payload */
	json_t *changed;        /* pattern of a value-changed event for the same attribute */
	char topic[512];        /* the gateway's g2c topic */
	char gw[NCM_DEVID_MAX + 1];
	const char *attr;       /* "characteristic" or "descriptor" */
	int64_t since_ms;
	json_t *record;         /* the answer's journal record, or NULL on timeout */
	struct ncm_req *req;
};

static void read_ctx_free(void *p)
{
	struct read_ctx *c = p;

	ncm_waiters_remove(&c->w);
	json_decref(c->pattern);
	json_decref(c->changed);
	json_decref(c->record);
	free(c);
}

static void read_woke(struct ncm_waiter *w, json_t *record)
{
	struct read_ctx *c = w->userdata;

	c->record = record;
	ncm_req_resume(c->req); /* last: the request may be answered and freed from here on */
}

/* The "value" of an event's attribute, from a journal record's payload text. New reference. */
static json_t *event_value(const char *attr, const char *payload, size_t len)
{
	json_t *ev = json_loadb(payload, len, 0, NULL), *v;

	v = json_object_get(json_object_get(json_object_get(ev, "event"), attr), "value");
	v = json_is_array(v) ? json_incref(v) : NULL;
	json_decref(ev);
	return v;
}

struct last_value {
	const struct read_ctx *c;
	json_t *value;
};

/* Keeps the newest value the gateway reported for the attribute (journal, oldest first). */
static int last_value_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct last_value *s = userdata;
	struct ncm_record_pattern p = s->c->w.pattern;
	json_t *v;

	if (!ncm_record_matches(&p, rec->kind, rec->device, rec->topic, rec->payload,
				rec->payload_len)) {
		p.payload = s->c->changed;
		if (!ncm_record_matches(&p, rec->kind, rec->device, rec->topic, rec->payload,
					rec->payload_len))
			return 0;
	}
	v = event_value(s->c->attr, rec->payload, rec->payload_len);
	if (v) {
		json_decref(s->value);
		s->value = v;
	}
	return 0;
}

/* Answers a read: the value the gateway reported for it (FetchCharacteristicValue and
 * FetchDescriptorValue answer 200 with the value as a JSON array); on timeout, the newest value
 * it reported earlier, which is what nRF Cloud serves ("cached as part of the device state",
 * BluetoothLowEnergyDevicesApi.md); without one, 404 40410. */
static enum MHD_Result read_answered(struct ncm_req *req)
{
	struct read_ctx *c = req->async;
	struct ncm_journal_filter f = { 0 };
	struct last_value s = { c, NULL };

	if (c->record) {
		json_t *p = json_object_get(c->record, "payload");
		const char *text = json_string_value(p);

		s.value = text ? event_value(c->attr, text, strlen(text))
			       : json_incref(json_object_get(json_object_get(
				       json_object_get(p, "event"), c->attr), "value"));
		if (json_is_array(s.value))
			return ncm_reply_json(req, MHD_HTTP_OK, s.value);
		json_decref(s.value);
		s.value = NULL;
	}
	f.kind = "mqtt.publish";
	f.device = c->gw;
	f.topic = c->topic;
	f.limit = 1000000;
	ncm_store_journal_foreach(ncm_rt_db(), &f, last_value_cb, &s, NULL);
	if (s.value)
		return ncm_reply_json(req, MHD_HTTP_OK, s.value);
	return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410,
			       "no value of %s %s of device %s is known: gateway %s did not report "
			       "one within %d ms", c->attr,
			       req->n_params > 2 ? req->params[2] : req->params[1], req->params[0],
			       c->gw, READ_WAIT_MS);
}

struct first_match {
	const struct read_ctx *c;
	json_t *found;
};

static int first_match_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct first_match *m = userdata;

	if (!ncm_record_matches(&m->c->w.pattern, rec->kind, rec->device, rec->topic,
				rec->payload, rec->payload_len))
		return 0;
	m->found = ncm_rt_journal_json(rec);
	return 1;
}

/* The read operation is out: wait for the gateway's result event on g2c. Suspend, register,
 * then look at what is already journaled, so an answer that came at any moment is seen. */
static enum MHD_Result read_published(struct ncm_req *req)
{
	struct read_ctx *c = req->async;
	struct ncm_journal_filter f = { 0 };
	struct first_match m = { c, NULL };

	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "the broker refused to publish the gateway operation");
	c->w.deadline_ms = ncm_rt_now_ms() + READ_WAIT_MS;
	c->w.wake = read_woke;
	c->w.userdata = c;
	ncm_req_suspend(req, read_answered);
	ncm_waiters_add(&c->w);
	f.kind = c->w.pattern.kind;
	f.device = c->gw;
	f.topic = c->topic;
	f.since_ms = c->since_ms;
	f.limit = 1000000;
	ncm_store_journal_foreach(ncm_rt_db(), &f, first_match_cb, &m, NULL);
	if (m.found) {
		if (ncm_waiters_remove(&c->w)) {
			c->record = m.found;
			ncm_req_resume(req);
		} else {
			json_decref(m.found); /* it woke meanwhile and resumes the request */
		}
	}
	return MHD_YES;
}

/* The path's attribute: {characteristicId}, and {descriptorId} for descriptors. */
static int is_descriptor(const struct ncm_req *req)
{
	return req->n_params > 2;
}

/* GET .../characteristics/{characteristicId}[/descriptors/{descriptorId}]: the gateway gets
 * {"type":"device_characteristic_value_read"|"device_descriptor_value_read","deviceAddress",
 * "characteristicUUID"[,"descriptorUUID"]} (lte-gateway src/gateway.c; its firmware reads only
 * the CCCD, so it ignores descriptorUUID) and answers with
 * {"type":"event","event":{"type":"device_characteristic_value_read_result"|
 * "device_descriptor_value_read_result","device":{"id":<address>},"characteristic"|
 * "descriptor":{"uuid","path","value":[bytes]}}} on g2c (src/ble_codec.c). */
static enum MHD_Result read_start(struct ncm_req *req, const char *gw)
{
	int desc = is_descriptor(req);
	const char *uuid = desc ? req->params[2] : req->params[1];
	struct read_ctx *c;
	json_t *op;

	if (req->async)
		return MHD_NO; /* entered again after an answer could not be queued */
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	req->async = c;
	req->async_free = read_ctx_free;
	c->req = req;
	c->attr = desc ? "descriptor" : "characteristic";
	c->since_ms = ncm_rt_now_ms();
	snprintf(c->gw, sizeof(c->gw), "%s", gw);
	gw_topic(c->topic, sizeof(c->topic), gw, "g2c");
	c->pattern = json_pack("{s:s,s:{s:s,s:{s:s},s:{s:s}}}", "type", "event", "event", "type",
			       desc ? "device_descriptor_value_read_result"
				    : "device_characteristic_value_read_result",
			       "device", "id", req->params[0], c->attr, "uuid", uuid);
	c->changed = json_pack("{s:s,s:{s:s,s:{s:s},s:{s:s}}}", "type", "event", "event", "type",
			       desc ? "device_descriptor_value_changed"
				    : "device_characteristic_value_changed",
			       "device", "id", req->params[0], c->attr, "uuid", uuid);
	c->w.pattern.kind = "mqtt.publish";
	c->w.pattern.device = c->gw;
	c->w.pattern.topic = c->topic;
	c->w.pattern.payload = c->pattern;
	op = json_pack("{s:s,s:s,s:s}", "type",
		       desc ? "device_descriptor_value_read" : "device_characteristic_value_read",
		       "deviceAddress", req->params[0], "characteristicUUID", req->params[1]);
	if (op && desc)
		json_object_set_new(op, "descriptorUUID", json_string(req->params[2]));
	if (!c->pattern || !c->changed)
		return MHD_NO;
	return relay(req, gw, op, read_published);
}

/* PUT .../characteristics/{characteristicId}[/descriptors/{descriptorId}] with the value as a
 * JSON array of bytes: the gateway gets {"type":"device_characteristic_value_write",
 * "deviceAddress","characteristicUUID","characteristicValue":[..]} or
 * {"type":"device_descriptor_value_write",...,"descriptorValue":[..]} (lte-gateway
 * src/gateway.c); 202 (UpdateCharacteristicValue, UpdateDescriptorValue). */
static enum MHD_Result write_start(struct ncm_req *req, const char *gw)
{
	int desc = is_descriptor(req);
	enum MHD_Result ret;
	json_t *value = byte_array(req, &ret), *op;

	if (!value)
		return ret;
	op = json_pack("{s:s,s:s,s:s,s:o}", "type",
		       desc ? "device_descriptor_value_write" : "device_characteristic_value_write",
		       "deviceAddress", req->params[0], "characteristicUUID", req->params[1],
		       desc ? "descriptorValue" : "characteristicValue", value);
	if (op && desc)
		json_object_set_new(op, "descriptorUUID", json_string(req->params[2]));
	return relay(req, gw, op, relayed_accepted);
}

/* Fetch/UpdateCharacteristicValue, Fetch/UpdateDescriptorValue on a BLE device (a peripheral
 * added to a gateway). */
enum MHD_Result ncm_rest_gateway_attribute(struct ncm_req *req)
{
	char gw[NCM_DEVID_MAX + 1];
	enum MHD_Result ret;

	if (req->async)
		return MHD_NO;
	if (!find_owner(req, gw, sizeof(gw), &ret))
		return ret;
	if (!strcmp(req->method, "GET"))
		return read_start(req, gw);
	return write_start(req, gw);
}
