/* SPDX-License-Identifier: MIT
 * dev.c: the device core's connection state machine and control channel (shadow): connect
 * sequence, subscriptions, shadow get / get/trim / get/tf, pairing report with the info
 * sections, the control section and the answers to accepted and delta documents per
 * generation, persistent sessions and reconnect back-off. Pure (see dev.h). Sources: sdk-nrf
 * subsys/net/lib/nrf_cloud/src/nrf_cloud_fsm.c and nrf_cloud_codec_internal.c at v2.5.0 (G1) and
 * v2.8.0 (G2), and mqtt/src/nrf_cloud_fsm.c, common/src/nrf_cloud_codec_internal.c at v3.3.0
 * (G3); docs/sim.md#what-a-device-does tells the story.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_internal.h"

/* The only transform stock G3 firmware asks for (mqtt/src/nrf_cloud_fsm.c v3.3.0,
 * cc_connection_handler(): the pairing transform). */
#define G3_PAIRING_TRANSFORM                                                                  \
	"{ \"nrfcloud_mqtt_topic_prefix\": state.desired.nrfcloud_mqtt_topic_prefix, "          \
	"\"pairing\": state.desired.pairing }"

/* ---- actions ---- */

static struct ncm_dev_act *push(struct ncm_dev_out *out, enum ncm_dev_act_kind kind)
{
	struct ncm_dev_act *a;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		void *p = realloc(out->a, cap * sizeof(*out->a));

		if (!p)
			abort(); /* the simulator cannot go on without memory */
		out->a = p;
		out->cap = cap;
	}
	a = &out->a[out->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

void ncm_dev_out_clear(struct ncm_dev_out *out)
{
	size_t i, j;

	for (i = 0; i < out->n; i++) {
		struct ncm_dev_act *a = &out->a[i];

		free(a->topic);
		free(a->payload);
		for (j = 0; j < a->n_topics; j++)
			free(a->topics[j]);
		free(a->topics);
	}
	out->n = 0;
}

void ncm_dev_out_release(struct ncm_dev_out *out)
{
	ncm_dev_out_clear(out);
	free(out->a);
	out->a = NULL;
	out->cap = 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

void ncm_dev_pub(struct ncm_dev *dev, struct ncm_dev_out *out, const char *topic,
		 const void *payload, size_t len, int qos, int tag)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_PUBLISH);

	a->topic = xstrdup(topic);
	a->payload = malloc(len + 1);
	if (!a->payload)
		abort();
	if (len)
		memcpy(a->payload, payload, len);
	a->payload[len] = 0;
	a->len = len;
	a->qos = qos;
	a->tag = tag;
	dev->n_sent++;
}

void ncm_dev_pub_json(struct ncm_dev *dev, struct ncm_dev_out *out, const char *topic, json_t *j,
		      int qos, int tag)
{
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!text)
		abort();
	ncm_dev_pub(dev, out, topic, text, strlen(text), qos, tag);
	free(text);
}

void ncm_dev_event(struct ncm_dev *dev, struct ncm_dev_out *out, const char *name,
		   json_t *fields)
{
	json_t *j = json_pack("{s:s, s:s}", "ev", name, "id", dev->id);
	struct ncm_dev_act *a;

	if (fields) {
		json_object_update(j, fields);
		json_decref(fields);
	}
	a = push(out, NCM_ACT_EVENT);
	a->payload = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!a->payload)
		abort();
	a->len = strlen(a->payload);
}

void ncm_dev_http_get(struct ncm_dev_out *out, int tag, const char *url, long from, long to)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_HTTP_GET);

	a->tag = tag;
	a->payload = xstrdup(url);
	a->len = strlen(url);
	a->from = from;
	a->to = to;
}

void ncm_dev_rest_range(struct ncm_dev_out *out, const char *method, const char *path,
			json_t *body, int tag, long from, long to)
{
	struct ncm_dev_act *a;

	ncm_dev_rest(out, method, path, body, tag);
	a = &out->a[out->n - 1];
	a->ranged = 1;
	a->from = from;
	a->to = to;
}

void ncm_dev_rest(struct ncm_dev_out *out, const char *method, const char *path, json_t *body,
		  int tag)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_REST);

	a->method = method;
	a->topic = xstrdup(path);
	if (body) {
		a->payload = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!a->payload)
			abort();
		a->len = strlen(a->payload);
	}
	a->tag = tag;
}

static void subscribe(struct ncm_dev_out *out, int tag, const char *const *topics, size_t n)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_SUBSCRIBE);
	size_t i;

	a->topics = calloc(n, sizeof(char *));
	if (!a->topics)
		abort();
	for (i = 0; i < n; i++)
		a->topics[i] = xstrdup(topics[i]);
	a->n_topics = n;
	a->qos = 1;
	a->tag = tag;
}

static void disconnect(struct ncm_dev_out *out, const char *why)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_DISCONNECT);

	a->payload = xstrdup(why);
	a->len = strlen(why);
}

static void connect_later(struct ncm_dev *dev, struct ncm_dev_out *out, int64_t delay_ms)
{
	struct ncm_dev_act *a = push(out, NCM_ACT_CONNECT);

	/* Clean session unless a persistent session was saved (nrf_cloud_transport.c v2.5.0..
	 * v3.3.0, nct_initialize() reading the nrf_cloud/p_sesh setting). */
	a->clean = !(dev->p->persistent && dev->session_saved);
	a->delay_ms = delay_ms;
	dev->state = NCM_DEV_CONNECTING;
}

/* ---- topics ---- */

int ncm_dev_topic(enum ncm_dev_gen gen, const char *id, enum ncm_dev_topic t, char *buf,
		  size_t size)
{
	/* nrf_cloud_transport.c: NCT_*_TOPIC at v2.5.0 (G1), nct_topics_populate() at v2.8.0
	 * (G2) and mqtt/src/nrf_cloud_transport.c at v3.3.0 (G3). */
	static const char *const g1[NCM_DT_COUNT] = {
		"$aws/things/%s/shadow/get", "$aws/things/%s/shadow/update",
		"%s/shadow/get/accepted", "$aws/things/%s/shadow/get/rejected",
		"$aws/things/%s/shadow/update/delta", NULL,
	};
	static const char *const g2[NCM_DT_COUNT] = {
		"%s/shadow/get/trim", "%s/shadow/update", "%s/shadow/get/accepted/trim",
		"%s/shadow/get/rejected", "%s/shadow/update/delta/full", NULL,
	};
	static const char *const g3[NCM_DT_COUNT] = {
		"%s/shadow/get/tf", "%s/shadow/update", "%s/shadow/get/accepted/tf",
		"%s/shadow/get/rejected", "%s/shadow/update/delta/trim",
		"%s/shadow/update/delta/trim/err",
	};
	const char *const *table = gen == NCM_DEV_G1 ? g1 : gen == NCM_DEV_G2 ? g2 : g3;
	int n;

	if (t >= NCM_DT_COUNT || !table[t])
		return -1;
	n = snprintf(buf, size, table[t], id);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void topic(const struct ncm_dev *dev, enum ncm_dev_topic t, char *buf, size_t size)
{
	if (ncm_dev_topic(dev->p->gen, dev->id, t, buf, size))
		buf[0] = 0;
}

/* ---- life cycle ---- */

void ncm_dev_init(struct ncm_dev *dev, const struct ncm_dev_profile *p, const char *id,
		  unsigned index)
{
	memset(dev, 0, sizeof(*dev));
	dev->p = p;
	snprintf(dev->id, sizeof(dev->id), "%s", id);
	dev->index = index;
	dev->log_lvl = 1; /* CONFIG_NRF_CLOUD_LOG_OUTPUT_LEVEL default: errors */
	dev->config = json_object();
	snprintf(dev->app_version, sizeof(dev->app_version), "%s", p->app_version);
	snprintf(dev->modem_fw, sizeof(dev->modem_fw), "%s", p->modem_fw);
}

void ncm_dev_release(struct ncm_dev *dev)
{
	json_decref(dev->config);
	dev->config = NULL;
	ncm_dev_fota_free(dev);
	free(dev->agnss.buf);
	dev->agnss.buf = NULL;
}

void ncm_dev_boot(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	(void)now;
	dev->booted = 0;
	connect_later(dev, out, 0);
}

void ncm_dev_reboot(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	(void)now;
	dev->booted = 0;
	if (dev->fota.state == NCM_FOTA_DONE_WAIT_ACK || dev->fota.state == NCM_FOTA_REBOOTING)
		dev->fota.state = NCM_FOTA_VALIDATE;
	else
		dev->fota.state = dev->fota.state == NCM_FOTA_VALIDATE ? NCM_FOTA_VALIDATE
								   : NCM_FOTA_IDLE;
	dev->agnss.active = 0;
	free(dev->agnss.buf);
	dev->agnss.buf = NULL;
	dev->pgps_active = 0;
	ncm_dev_event(dev, out, "reboot", NULL);
	dev->state = NCM_DEV_OFF;
	dev->next_telemetry = dev->next_location = dev->next_fota_poll = 0;
	if (!dev->p->rest)
		disconnect(out, "reboot");
	dev->reconnects = 0;
	connect_later(dev, out, dev->p->reboot_ms);
}

void ncm_dev_on_disconnect(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	int64_t delay;
	int shift;

	(void)now;
	ncm_dev_event(dev, out, "disconnected", NULL);
	dev->state = NCM_DEV_OFF;
	/* Exponential back-off with a per-device spread, reset when the cloud is ready again
	 * (docs/sim.md#what-a-device-does; the SDK leaves retrying to the application, the samples'
	 * cloud_connection.c retries with a growing delay). */
	shift = dev->reconnects < 16 ? dev->reconnects : 16;
	delay = (int64_t)dev->p->reconnect_min_ms << shift;
	if (delay > dev->p->reconnect_max_ms)
		delay = dev->p->reconnect_max_ms;
	delay += delay * (int64_t)((dev->index * 2654435761u + (unsigned)dev->reconnects) % 50) /
		 100;
	dev->reconnects++;
	connect_later(dev, out, delay);
}

void ncm_dev_close(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out, const char *why)
{
	disconnect(out, why);
	ncm_dev_on_disconnect(dev, now, out);
}

/* ---- connect sequence ---- */

static void request_shadow(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	char t[300];

	topic(dev, NCM_DT_SHADOW_GET, t, sizeof(t));
	dev->state = NCM_DEV_STATE_REQ;
	if (dev->p->gen == NCM_DEV_G3) {
		/* {"t":<transform>}; "l" only when not the default 1792 (nrf_cloud.c v3.3.0,
		 * nrf_cloud_shadow_transform_request()) */
		ncm_dev_pub_json(dev, out, t, json_pack("{s:s}", "t", G3_PAIRING_TRANSFORM), 1,
				 NCM_TAG_SHADOW_GET);
	} else {
		ncm_dev_pub(dev, out, t, "", 0, 1, NCM_TAG_SHADOW_GET);
	}
}

void ncm_dev_on_connack(struct ncm_dev *dev, int rc, int session_present, int64_t now,
			struct ncm_dev_out *out)
{
	const char *topics[4];
	char t[4][300];
	size_t n = 0;
	int i;

	(void)now;
	if (rc) {
		/* any refusal: NRF_CLOUD_EVT_ERROR (nrf_cloud_fsm.c connection_handler()) */
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:i}", "what", "connack",
							   "rc", rc));
		return;
	}
	dev->session_present = session_present;
	if (!session_present)
		dev->session_saved = 0; /* nct_mqtt_evt_handler() CONNACK case */
	ncm_dev_event(dev, out, "connected",
		      json_pack("{s:b}", "session", session_present && dev->session_saved));
	if (session_present && dev->session_saved && dev->p->persistent) {
		/* the session kept the subscriptions: straight to the shadow request
		 * (nrf_cloud_fsm.c connection_handler()) */
		request_shadow(dev, out);
		return;
	}
	/* all control-channel topics in one SUBSCRIBE, in the SDK's order */
	for (i = NCM_DT_ACCEPTED; i <= NCM_DT_DELTA_ERR; i++)
		if (!ncm_dev_topic(dev->p->gen, dev->id, i, t[n], sizeof(t[n]))) {
			topics[n] = t[n];
			n++;
		}
	dev->state = NCM_DEV_CC_CONNECTING;
	subscribe(out, NCM_TAG_SUB_CC, topics, n);
}

static void fota_subscribe(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	char t[400];
	const char *topics[1] = { t };

	ncm_dev_fota_jobs_topic(dev, "rcv", t, sizeof(t));
	subscribe(out, NCM_TAG_SUB_FOTA, topics, 1);
}

static void jobs_request(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	char t[400];

	/* [""] = the latest queued job (nrf_cloud_fota.c v2.5.0..v3.3.0,
	 * JOB_REQUEST_LATEST_PAYLOAD) */
	ncm_dev_fota_jobs_topic(dev, "req", t, sizeof(t));
	ncm_dev_pub(dev, out, t, "[\"\"]", 4, 1, NCM_TAG_JOBS_REQ);
}


void ncm_dev_on_suback(struct ncm_dev *dev, int tag, const int *granted, size_t n, int64_t now,
		       struct ncm_dev_out *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (granted[i] == 0x80) {
			dev->n_errors++;
			ncm_dev_event(dev, out, "error", json_pack("{s:s, s:i}", "what", "suback",
								   "tag", tag));
			ncm_dev_close(dev, now, out, "subscription refused");
			return;
		}
	switch (tag) {
	case NCM_TAG_SUB_CC:
		if (dev->state == NCM_DEV_CC_CONNECTING)
			request_shadow(dev, out);
		break;
	case NCM_TAG_SUB_DC:
		/* the data channel is up: the session is worth keeping (p_sesh = 1) */
		dev->session_saved = dev->p->persistent;
		ncm_dev_ready(dev, now, out);
		/* FOTA subscribes from the SUBACK-101 handler (nrf_cloud_transport.c) */
		fota_subscribe(dev, out);
		break;
	case NCM_TAG_SUB_FOTA:
		if (!dev->fota_report_tag_pending)
			jobs_request(dev, out);
		break;
	default:
		break;
	}
}

/* {"alertsEn","logLvl"[,"memfaultEn"]} of the device's current values. */
json_t *ncm_dev_control_obj(const struct ncm_dev *dev)
{
	json_t *c = json_pack("{s:b, s:i}", "alertsEn", dev->alerts_en, "logLvl", dev->log_lvl);

	/* memfaultEn is always written from v3.3 (common/src/nrf_cloud_codec_internal.c,
	 * nrf_cloud_device_control_encode_internal()) */
	if (dev->p->gen == NCM_DEV_G3)
		json_object_set_new(c, "memfaultEn", json_boolean(dev->memfault_en));
	return c;
}

json_t *ncm_dev_info_sections(const struct ncm_dev *dev)
{
	char imei[16], iccid[21], imsi[16];
	const char *fota[] = { "BOOT", "MODEM", "APP" };
	json_t *svc = json_array();
	size_t i;

	snprintf(imei, sizeof(imei), "35265610%07u", dev->index % 10000000u);
	snprintf(iccid, sizeof(iccid), "8931080%013u", dev->index);
	snprintf(imsi, sizeof(imsi), "24201%010u", dev->index);
	for (i = 0; i < sizeof(fota) / sizeof(fota[0]); i++)
		json_array_append_new(svc, json_string(fota[i]));
	/* keys as modem_info.c *_DATA_NAME and nrf_cloud_codec_internal.c
	 * encode_modem_info_*(), nrf_cloud_encode_service_info_fota() (v2.6.0 .. v3.3.0) */
	return json_pack(
		"{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, "
		" s:{s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:s}, "
		" s:{s:i, s:s, s:s}, s:{s:s, s:s}, s:{s:o, s:n}}",
		"deviceInfo", "appVersion", dev->app_version, "modemFirmware", dev->modem_fw,
		"imei", imei, "board", "nrf9160dk/nrf9160/ns", "sdkVer", dev->p->ncs,
		"appName", "nrfcloud-mock-sim", "zephyrVer", "sim", "hwVer", "nRF9160 SICA B1A",
		"networkInfo", "currentBand", 20, "supportedBands", "(1,2,3,4,5,8,12,13,20)",
		"areaCode", "3003", "mccmnc", "24201", "ipAddress", "10.0.0.1", "ueMode", 2,
		"cellID", 21858829 + (int)(dev->index % 1000), "networkMode", "LTE-M",
		"simInfo", "uiccMode", 0, "iccid", iccid, "imsi", imsi,
		"connectionInfo", "protocol", "MQTT", "method", "LTE",
		"serviceInfo", "fota_v2", svc, "ui");
}

/* The pairing-complete report, message ID 301 (nrf_cloud_codec_internal.c
 * nrf_cloud_state_encode(STATE_UA_PIN_COMPLETE), v2.5.0..v3.3.0). */
static void pairing_report(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	json_t *rep, *doc;
	char t[300];

	rep = json_pack("{s:{s:s, s:{s:s, s:s}}, s:{s:i}, s:s, s:o}", "pairing", "state",
			"paired", "topics", "d2c", dev->d2c, "c2d", dev->c2d, "connection",
			"keepalive", dev->p->keepalive, "nrfcloud_mqtt_topic_prefix", dev->prefix,
			"control", ncm_dev_control_obj(dev));
	/* info sections go with the first pairing report after a boot from v2.6
	 * (commit eca955314f); a v2.5 device's application writes them itself once ready */
	if (dev->p->gen != NCM_DEV_G1 && !dev->booted)
		json_object_set_new(rep, "device", ncm_dev_info_sections(dev));
	doc = json_pack("{s:{s:o}}", "state", "reported", rep);
	if (dev->c2d_rewritten)
		/* so desired and reported agree and no delta is raised (nrf_cloud_fsm.c,
		 * c2d_topic_modified) */
		json_object_set_new(json_object_get(doc, "state"), "desired",
				    json_pack("{s:{s:{s:s}}}", "pairing", "topics", "c2d",
					      dev->c2d));
	topic(dev, NCM_DT_SHADOW_UPDATE, t, sizeof(t));
	dev->state = NCM_DEV_UA_COMPLETE;
	ncm_dev_pub_json(dev, out, t, doc, 1, NCM_TAG_PAIRING);
}

void ncm_dev_ready(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	dev->state = NCM_DEV_READY;
	dev->reconnects = 0;
	ncm_dev_event(dev, out, "ready", json_pack("{s:s, s:s, s:s}", "ncs", dev->p->ncs,
						   "app", dev->app_version, "modem",
						   dev->modem_fw));
	if (dev->p->gen == NCM_DEV_G1 && !dev->booted && !dev->p->rest) {
		char t[300];

		/* NCS v2.5 application: nrf_cloud_shadow_device_status_update() once ready */
		topic(dev, NCM_DT_SHADOW_UPDATE, t, sizeof(t));
		ncm_dev_pub_json(dev, out, t,
				 json_pack("{s:{s:{s:o}}}", "state", "reported", "device",
					   ncm_dev_info_sections(dev)),
				 1, NCM_TAG_DATA);
	}
	if (!dev->booted && dev->p->agnss_on_ready)
		ncm_dev_request_agnss(dev, now, out);
	if (!dev->booted && dev->p->pgps_on_ready)
		ncm_dev_request_pgps(dev, now, out);
	dev->booted = 1;
	/* spread the devices' timers over one period */
	if (dev->p->telemetry_ms > 0 && !dev->next_telemetry)
		dev->next_telemetry =
			now + 1 + (int64_t)((dev->index * 7919u) % (unsigned)dev->p->telemetry_ms);
	if (dev->p->location_ms > 0 && !dev->next_location)
		dev->next_location =
			now + 1 + (int64_t)((dev->index * 104729u) % (unsigned)dev->p->location_ms);
	if (dev->p->rest && !dev->next_fota_poll)
		dev->next_fota_poll = now;
}

void ncm_dev_on_puback(struct ncm_dev *dev, int tag, int64_t now, struct ncm_dev_out *out)
{
	switch (tag) {
	case NCM_TAG_SHADOW_GET:
		/* A PUBACK 200 after the reply puts the SDK back to CLOUD_STATE_REQUESTED, where
		 * the PUBACK of 301 is ignored and the device never subscribes to c2d
		 * (nrf_cloud_fsm.c cc_tx_ack_handler(), v2.5.0..v3.3.0): simulate that stall. */
		if (dev->state == NCM_DEV_UA_COMPLETE) {
			dev->n_errors++;
			dev->state = NCM_DEV_STATE_REQ;
			ncm_dev_event(dev, out, "error",
				      json_pack("{s:s}", "what", "puback 200 after the reply"));
		}
		break;
	case NCM_TAG_PAIRING:
		if (dev->state != NCM_DEV_UA_COMPLETE)
			break;
		if (dev->session_present && dev->session_saved && dev->p->persistent) {
			/* subscriptions kept: no c2d or FOTA subscribe, check for jobs now
			 * (nrf_cloud_transport.c nct_dc_endpoint_set()) */
			ncm_dev_ready(dev, now, out);
			jobs_request(dev, out);
		} else {
			const char *topics[1] = { dev->c2d };

			dev->state = NCM_DEV_DC_CONNECTING;
			subscribe(out, NCM_TAG_SUB_DC, topics, 1);
		}
		break;
	case NCM_TAG_JOBS_UPDATE:
		dev->fota_report_tag_pending = 0;
		ncm_dev_fota_on_puback(dev, now, out);
		break;
	default:
		break;
	}
}

/* ---- control section ---- */

/* Reads a control object into the three values; 0 when every present key is valid. */
static int control_decode(const struct ncm_dev *dev, json_t *c, int *alerts, int *lvl, int *mf)
{
	json_t *a = json_object_get(c, "alertsEn"), *l = json_object_get(c, "logLvl");
	json_t *m = json_object_get(c, "memfaultEn");

	*alerts = dev->alerts_en;
	*lvl = dev->log_lvl;
	*mf = dev->memfault_en;
	if (a) {
		if (!json_is_boolean(a))
			return -1;
		*alerts = json_is_true(a);
	}
	if (l) {
		if (!json_is_integer(l) || json_integer_value(l) < 0 || json_integer_value(l) > 4)
			return -1;
		*lvl = (int)json_integer_value(l);
	}
	if (m && dev->p->gen == NCM_DEV_G3) {
		if (!json_is_boolean(m))
			return -1;
		*mf = json_is_true(m);
	}
	return 0;
}

/* The control reply, message ID 300 (nrf_cloud_codec_internal.c
 * nrf_cloud_shadow_control_response_encode()): accepted values as reported, or a reject that
 * nulls the desired control and reports the current one. */
static void control_reply(struct ncm_dev *dev, struct ncm_dev_out *out, int accept)
{
	json_t *doc = json_pack("{s:{s:{s:o}}}", "state", "reported", "control",
				ncm_dev_control_obj(dev));
	char t[300];

	if (!accept) {
		json_t *nulls = json_pack("{s:n, s:n}", "alertsEn", "logLvl");

		if (dev->p->gen == NCM_DEV_G3)
			json_object_set_new(nulls, "memfaultEn", json_null());
		json_object_set_new(json_object_get(doc, "state"), "desired",
				    json_pack("{s:o}", "control", nulls));
	}
	topic(dev, NCM_DT_SHADOW_UPDATE, t, sizeof(t));
	ncm_dev_pub_json(dev, out, t, doc, 1, NCM_TAG_SHADOW_REPORT);
}

/* Control of an accepted/transform document: applied, answered only when a value changed. */
static void control_accepted(struct ncm_dev *dev, json_t *c, struct ncm_dev_out *out)
{
	int a, l, m;

	if (!json_is_object(c))
		return;
	if (control_decode(dev, c, &a, &l, &m)) {
		control_reply(dev, out, 0);
		return;
	}
	if (a == dev->alerts_en && l == dev->log_lvl && m == dev->memfault_en)
		return;
	dev->alerts_en = a;
	dev->log_lvl = l;
	dev->memfault_en = m;
	control_reply(dev, out, 1);
}

/* Control of a delta. Up to v2.7 nrf_cloud_shadow_control_process() answers every delta with
 * the device's control values, whether or not the delta holds a control section (the
 * behaviour that loops against a cloud that sends a delta after every reported update); from
 * v2.8 a delta without control gets no answer (-ENODATA, "No control data in the delta", in
 * nrf_cloud_fsm.c / mqtt/src/nrf_cloud_fsm.c). */
static void control_delta(struct ncm_dev *dev, json_t *state, struct ncm_dev_out *out)
{
	json_t *c = json_object_get(state, "control");
	int a, l, m;

	if (!json_is_object(c)) {
		if (dev->p->gen == NCM_DEV_G1)
			control_reply(dev, out, 1);
		return;
	}
	if (control_decode(dev, c, &a, &l, &m)) {
		control_reply(dev, out, 0);
		return;
	}
	dev->alerts_en = a;
	dev->log_lvl = l;
	dev->memfault_en = m;
	control_reply(dev, out, 1);
}

/* ---- shadow data ---- */

/* Pairing data of a desired object (accepted "desired", delta "state", transform "tf"):
 * nrf_cloud_codec_internal.c nrf_cloud_shadow_data_state_decode() and the FSM's
 * accept_associated_or_wait_state(). Acted on only before the data channel is up. */
static void pairing_data(struct ncm_dev *dev, json_t *desired, int64_t now,
			 struct ncm_dev_out *out)
{
	const char *prefix = json_string_value(json_object_get(desired, "nrfcloud_mqtt_topic_prefix"));
	json_t *pairing = json_object_get(desired, "pairing");
	const char *pstate = json_string_value(json_object_get(pairing, "state"));
	json_t *topics = json_object_get(pairing, "topics");
	const char *d2c = json_string_value(json_object_get(topics, "d2c"));
	const char *c2d = json_string_value(json_object_get(topics, "c2d"));
	size_t n;

	(void)now;
	if (dev->state < NCM_DEV_CC_CONNECTING || dev->state > NCM_DEV_UA_COMPLETE)
		return;
	if (!prefix) {
		if (pstate && !strcmp(pstate, "not_associated") && dev->p->gen != NCM_DEV_G3) {
			char t[300];

			/* UA wait report, message ID 300 (nrf_cloud_state_encode()); G3's decoder
			 * falls through to "deprecated state" instead (v3.3.0) */
			topic(dev, NCM_DT_SHADOW_UPDATE, t, sizeof(t));
			ncm_dev_pub_json(dev, out, t,
					 json_pack("{s:{s:{s:{s:s, s:n, s:n}, s:{s:n}, s:n, s:n, "
						   "s:n}}}",
						   "state", "reported", "pairing", "state",
						   "not_associated", "topics", "config",
						   "connection", "keepalive",
						   "nrfcloud_mqtt_topic_prefix", "pairingStatus",
						   "stage"),
					 1, NCM_TAG_SHADOW_REPORT);
			dev->session_saved = 0;
			ncm_dev_event(dev, out, "unassociated", NULL);
		}
		return;
	}
	/* the prefix must end in '/': the SDK appends "<id>/jobs/..." directly
	 * (nct_set_topic_prefix(), nrf_cloud_fota.c build_topic()) */
	n = strlen(prefix);
	if (!n || prefix[n - 1] != '/' || n >= sizeof(dev->prefix) || !pstate ||
	    (dev->p->gen == NCM_DEV_G3 ? strcmp(pstate, "paired")
				       : strncmp(pstate, "paired", 6)) ||
	    !d2c || !c2d || strlen(d2c) >= sizeof(dev->d2c) || strlen(c2d) >= sizeof(dev->c2d)) {
		/* a prefix without usable pairing data: the SDK reaches UA_PIN_COMPLETE with empty
		 * endpoints and cannot encode its report, so it stalls */
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s}", "what", "no pairing data"));
		return;
	}
	snprintf(dev->prefix, sizeof(dev->prefix), "%s", prefix);
	snprintf(dev->d2c, sizeof(dev->d2c), "%s", d2c);
	snprintf(dev->c2d, sizeof(dev->c2d), "%s", c2d);
	dev->c2d_rewritten = 0;
	n = strlen(dev->c2d);
	if (n >= 4 && !strcmp(dev->c2d + n - 4, "/c2d") && !dev->p->pre_v22) {
		/* v2.2+: ".../c2d" becomes ".../+/r" (nrf_cloud_set_wildcard_c2d_topic()) */
		memcpy(dev->c2d + n - 4, "/+/r", 4);
		dev->c2d_rewritten = 1;
	}
	/* a validated FOTA result goes out before the pairing report (nrf_cloud_fota.c
	 * nrf_cloud_fota_endpoint_set_and_report()) */
	ncm_dev_fota_report_validated(dev, out);
	pairing_report(dev, out);
}

/* The application's config handling (samples/cellular/nrf_cloud_multi_service
 * shadow_config.c): accept a config delta and report the resulting config. */
static void config_delta(struct ncm_dev *dev, json_t *cfg, struct ncm_dev_out *out)
{
	const char *k;
	json_t *v;
	char t[300];

	if (!json_is_object(cfg))
		return;
	json_object_foreach(cfg, k, v) {
		if (json_is_null(v))
			json_object_del(dev->config, k);
		else
			json_object_set(dev->config, k, v);
	}
	topic(dev, NCM_DT_SHADOW_UPDATE, t, sizeof(t));
	ncm_dev_pub_json(dev, out, t,
			 json_pack("{s:{s:{s:O}}}", "state", "reported", "config", dev->config), 1,
			 NCM_TAG_DATA);
}

/* The lab shell's `report KEY VALUE` (docs/lab-shell.md#commands): the application changes
 * one of its own settings and reports its whole config, as after a delta. */
int ncm_dev_report_config(struct ncm_dev *dev, const char *key, json_t *value,
			  struct ncm_dev_out *out)
{
	json_t *cfg;

	if (dev->p->rest || dev->state != NCM_DEV_READY) {
		json_decref(value);
		return -1;
	}
	cfg = json_pack("{s:o}", key, value);
	config_delta(dev, cfg, out);
	json_decref(cfg);
	return 0;
}

/* `fota`: the latest queued job, as the SDK asks once ready (nrf_cloud_fota_check_and_start
 * in the samples). */
int ncm_dev_fota_check(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	if (dev->p->rest || dev->state != NCM_DEV_READY)
		return -1;
	jobs_request(dev, out);
	return 0;
}

/* `reconnect`: the application disconnects and connects again (nrf_cloud_disconnect(), then
 * nrf_cloud_connect() after the usual back-off). */
int ncm_dev_reconnect(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	if (dev->p->rest || dev->state != NCM_DEV_READY)
		return -1;
	ncm_dev_close(dev, now, out, "reconnect");
	return 0;
}

static void on_accepted(struct ncm_dev *dev, json_t *doc, int64_t now, struct ncm_dev_out *out)
{
	json_t *desired, *c;

	if (dev->p->gen == NCM_DEV_G3) {
		/* the result is the "tf" member; errors are {"err","position","message"}
		 * (common/src/nrf_cloud_codec_internal.c nrf_cloud_obj_shadow_transform_decode()) */
		desired = json_object_get(doc, "tf");
		if (!json_is_object(desired)) {
			dev->n_errors++;
			ncm_dev_event(dev, out, "error",
				      json_pack("{s:s, s:O?}", "what", "transform", "err",
						json_object_get(doc, "err")));
			return;
		}
		c = json_object_get(desired, "control");
	} else {
		/* top-level "desired" is required (nrf_cloud_obj_shadow_accepted_decode(),
		 * v2.5.0+); control from desired, else reported */
		desired = json_object_get(doc, "desired");
		if (!json_is_object(desired))
			return;
		c = json_object_get(desired, "control");
		if (!c)
			c = json_object_get(json_object_get(doc, "reported"), "control");
	}
	ncm_dev_event(dev, out, "shadow", json_pack("{s:s}", "what", "accepted"));
	pairing_data(dev, desired, now, out);
	control_accepted(dev, c, out);
}

static void on_delta(struct ncm_dev *dev, json_t *doc, int err_topic, int64_t now,
		     struct ncm_dev_out *out)
{
	json_t *state = json_object_get(doc, "state");

	if (dev->p->gen == NCM_DEV_G3) {
		/* version/timestamp optional; a numeric "err" is an error, not applied
		 * (common/src/nrf_cloud_codec_internal.c nrf_cloud_obj_shadow_delta_decode()) */
		if (err_topic || json_is_number(json_object_get(doc, "err"))) {
			dev->n_errors++;
			ncm_dev_event(dev, out, "error",
				      json_pack("{s:s, s:O?}", "what", "delta", "message",
						json_object_get(doc, "message")));
			return;
		}
	} else if (!json_is_number(json_object_get(doc, "version")) ||
		   !json_is_number(json_object_get(doc, "timestamp"))) {
		/* v2.5 - v3.2 drop a delta without numeric version and timestamp */
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s}", "what", "delta dropped"));
		return;
	}
	if (!json_is_object(state)) {
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s}", "what", "delta dropped"));
		return;
	}
	dev->n_deltas++;
	ncm_dev_event(dev, out, "delta", json_pack("{s:O}", "state", state));
	pairing_data(dev, state, now, out);
	control_delta(dev, state, out);
	/* the application sees the delta only when its state is not empty
	 * (nrf_cloud_shadow_app_send_check()) */
	if (json_object_size(state))
		config_delta(dev, json_object_get(state, "config"), out);
}

void ncm_dev_on_message(struct ncm_dev *dev, const char *t, const void *payload, size_t len,
			int64_t now, struct ncm_dev_out *out)
{
	char cc[NCM_DT_COUNT][300];
	char jobs[400];
	json_t *doc;
	int i;

	dev->n_received++;
	for (i = 0; i < NCM_DT_COUNT; i++)
		if (ncm_dev_topic(dev->p->gen, dev->id, i, cc[i], sizeof(cc[i])))
			cc[i][0] = 0;
	ncm_dev_fota_jobs_topic(dev, "rcv", jobs, sizeof(jobs));
	if (dev->prefix[0] && !strcmp(t, jobs)) {
		ncm_dev_fota_on_job(dev, payload, len, now, out);
		return;
	}
	/* control-channel topics are matched exactly (nrf_cloud_cc_rx_topic_decode()) */
	if (strcmp(t, cc[NCM_DT_ACCEPTED]) && strcmp(t, cc[NCM_DT_DELTA]) &&
	    strcmp(t, cc[NCM_DT_REJECTED]) && (!cc[NCM_DT_DELTA_ERR][0] ||
					       strcmp(t, cc[NCM_DT_DELTA_ERR]))) {
		ncm_dev_data_on_message(dev, t, payload, len, now, out);
		return;
	}
	if (!strcmp(t, cc[NCM_DT_REJECTED])) {
		/* only logged by the SDK */
		ncm_dev_event(dev, out, "shadow", json_pack("{s:s}", "what", "rejected"));
		return;
	}
	doc = json_loadb(payload, len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:s}", "what", "not JSON",
							   "topic", t));
		return;
	}
	if (!strcmp(t, cc[NCM_DT_ACCEPTED]))
		on_accepted(dev, doc, now, out);
	else
		on_delta(dev, doc, cc[NCM_DT_DELTA_ERR][0] && !strcmp(t, cc[NCM_DT_DELTA_ERR]), now,
			 out);
	json_decref(doc);
}

void ncm_dev_on_http(struct ncm_dev *dev, int tag, long status, long total, const void *data,
		     size_t len, int64_t now, struct ncm_dev_out *out)
{
	if (tag == NCM_DL_FOTA && dev->fota.state == NCM_FOTA_DOWNLOADING)
		ncm_dev_fota_on_http(dev, status, total, data, len, now, out);
	else if (tag == NCM_DL_PGPS && dev->pgps_active)
		ncm_dev_data_on_http(dev, status, total, data, len, now, out);
}

void ncm_dev_on_tick(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	if (dev->state == NCM_DEV_READY)
		ncm_dev_data_tick(dev, now, out);
}

int64_t ncm_dev_next_due(const struct ncm_dev *dev)
{
	int64_t t = dev->next_telemetry;

	if (dev->next_location && (!t || dev->next_location < t))
		t = dev->next_location;
	if (dev->next_fota_poll && (!t || dev->next_fota_poll < t))
		t = dev->next_fota_poll;
	return dev->state == NCM_DEV_READY ? t : 0;
}
