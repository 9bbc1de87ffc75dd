/* SPDX-License-Identifier: MIT
 * cloud_mqtt.c: the lab firmware's cloud glue over MQTT, with Nordic's nrf_cloud library
 * (docs/firmware.md#mqtt). The library does the connection state machine, the pairing report
 * with device and service info (CONFIG_NRF_CLOUD_SEND_SHADOW_INFO), FOTA jobs
 * (CONFIG_NRF_CLOUD_FOTA) and A-GNSS injection; this file maps its events to lab-shell events,
 * answers config deltas, sends d2c messages and telemetry, asks for ground fixes and reconnects
 * with a back-off. API names: include/net/nrf_cloud.h, nrf_cloud_codec.h, nrf_cloud_location.h,
 * nrf_cloud_agnss.h and samples/cellular/nrf_cloud_multi_service/src/cloud_connection.c at the
 * v2.5.0..v3.3.0 tags.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>
#include <date_time.h>
#include <ncs_version.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/util.h>
#include <modem/lte_lc.h>
#include <modem/modem_info.h>
#include <net/nrf_cloud.h>
#include <net/nrf_cloud_agnss.h>
#include <net/nrf_cloud_codec.h>
#include <net/nrf_cloud_location.h>
#if defined(CONFIG_NRF_CLOUD_PGPS)
#include <net/nrf_cloud_pgps.h>
#endif

#include "lab.h"
#include "lab_shell.h"

LOG_MODULE_REGISTER(lab_cloud, LOG_LEVEL_INF);

/* The library's MQTT job request ([""] on <prefix><id>/jobs/req); internal to
 * subsys/net/lib/nrf_cloud (nrf_cloud_fota.h, v2.5.0..v3.3.0), linked in with
 * CONFIG_NRF_CLOUD_FOTA. It is what the library itself sends once ready. */
extern int nrf_cloud_fota_update_check(void);

static char client_id[NRF_CLOUD_CLIENT_ID_MAX_LEN + 1];
static const char *state = "off";
static bool ready;
static int backoff_s = 1;
static cJSON *app_config; /* the application's config, reported whole after each change */
static char fields[768];

static void connect_fn(struct k_work *w);
static void agnss_fn(struct k_work *w);
static void telemetry_fn(struct k_work *w);
static K_WORK_DELAYABLE_DEFINE(connect_work, connect_fn);
static K_WORK_DELAYABLE_DEFINE(agnss_work, agnss_fn);
static K_WORK_DELAYABLE_DEFINE(telemetry_work, telemetry_fn);
static int64_t agnss_deadline;

const char *lab_cloud_state(void)
{
	return state;
}

const char *lab_cloud_id(void)
{
	return client_id;
}

/* Connect again after the back-off: 1 s doubling to 64 s, reset once ready (as the samples'
 * cloud_connection.c retries). */
static void connect_later(void)
{
	k_work_reschedule(&connect_work, K_SECONDS(backoff_s));
	backoff_s = MIN(backoff_s * 2, 64);
}

static void connect_fn(struct k_work *w)
{
	int err;

	ARG_UNUSED(w);
	state = "connecting";
	err = nrf_cloud_connect();
	if (err) {
		LOG_WRN("nrf_cloud_connect: %d", err);
		snprintf(fields, sizeof(fields), ",\"what\":\"connect\",\"code\":%d", err);
		lab_event("error", fields);
		state = "off";
		connect_later();
	}
}

/* ,"state":<json> from a cJSON object (truncated objects are dropped, not half-printed) */
static void state_fields(cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	if (text && strlen(text) + 12 < sizeof(fields)) {
		snprintf(fields, sizeof(fields), ",\"state\":%s", text);
	} else {
		snprintf(fields, sizeof(fields), ",\"state\":{}");
	}
	cJSON_free(text);
}

/* A delta's state: print the event and keep its config (null removes a key). */
static void apply_delta(cJSON *delta_state)
{
	cJSON *cfg, *item;

	state_fields(delta_state);
	lab_event("delta", fields);
	cfg = cJSON_GetObjectItem(delta_state, "config");
	cJSON_ArrayForEach(item, cfg) {
		cJSON_DeleteItemFromObject(app_config, item->string);
		if (!cJSON_IsNull(item)) {
			cJSON_AddItemToObject(app_config, item->string, cJSON_Duplicate(item, 1));
		}
	}
}

static void delta_error(int err)
{
	snprintf(fields, sizeof(fields), ",\"what\":\"delta answer\",\"code\":%d", err);
	lab_event("error", fields);
}

#if NCS_VERSION_NUMBER >= 0x20600
/* A delta: keep its config, print the event, and report the accepted state back
 * (nrf_cloud_obj_shadow_delta_response_encode + nrf_cloud_obj_shadow_update, as
 * nrf_cloud_multi_service does from v2.6.0 on, when the library started to hand over a decoded
 * shadow object). The library answers "control" itself. */
static void on_shadow(struct nrf_cloud_obj_shadow_data *const sh)
{
	int err;

	if (!sh) {
		return;
	}
	if (sh->type == NRF_CLOUD_OBJ_SHADOW_TYPE_ACCEPTED) {
		lab_event("shadow", ",\"what\":\"accepted\"");
		return;
	}
	if (sh->type != NRF_CLOUD_OBJ_SHADOW_TYPE_DELTA || !sh->delta) {
		return;
	}
	apply_delta(sh->delta->state.json);
	err = nrf_cloud_obj_shadow_delta_response_encode(&sh->delta->state, true);
	if (!err) {
		err = nrf_cloud_obj_shadow_update(&sh->delta->state);
	}
	if (err) {
		delta_error(err);
	}
}
#else
/* Whether the event's topic (not NUL-terminated) contains part. */
static bool topic_has(const struct nrf_cloud_evt *evt, const char *part)
{
	size_t n = strlen(part), i;

	for (i = 0; i + n <= evt->topic.len; i++) {
		if (!memcmp((const char *)evt->topic.ptr + i, part, n)) {
			return true;
		}
	}
	return false;
}

/* v2.5.x: the event carries the raw JSON and its topic (nrf_cloud_fsm.c cc_rx_data_handler(),
 * v2.5.0): a delta arrives on .../shadow/update/delta with the changes under "state"; it is
 * answered with nrf_cloud_shadow_delta_response_encode() (which takes ownership of the object it
 * is given) sent on the state topic. The library answers "control" itself. */
static void on_shadow(const struct nrf_cloud_evt *evt)
{
	struct nrf_cloud_tx_data tx = { .topic_type = NRF_CLOUD_TOPIC_STATE,
					.qos = MQTT_QOS_1_AT_LEAST_ONCE };
	cJSON *root, *st;
	int err;

	if (!evt->data.ptr || !evt->topic.ptr) {
		return;
	}
	if (!topic_has(evt, "/delta")) {
		if (topic_has(evt, "/accepted")) {
			lab_event("shadow", ",\"what\":\"accepted\"");
		}
		return;
	}
	root = cJSON_ParseWithLength(evt->data.ptr, evt->data.len);
	st = cJSON_GetObjectItem(root, "state");
	if (!cJSON_IsObject(st)) {
		cJSON_Delete(root);
		return;
	}
	apply_delta(st);
	err = nrf_cloud_shadow_delta_response_encode(cJSON_Duplicate(st, 1), true, &tx.data);
	cJSON_Delete(root);
	if (!err) {
		err = nrf_cloud_send(&tx);
		cJSON_free((void *)tx.data.ptr);
	}
	if (err) {
		delta_error(err);
	}
}
#endif

/* A c2d message: ,"topic":..,"payload":<JSON, or the text as a string> */
static void on_c2d(const struct nrf_cloud_evt *evt)
{
	char topic[128], text[512];
	size_t pos, n = MIN(evt->data.len, sizeof(text) - 1);
	cJSON *j;

	memcpy(text, evt->data.ptr, n);
	text[n] = 0;
	n = MIN(evt->topic.len, sizeof(topic) - 1);
	memcpy(topic, evt->topic.ptr, n);
	topic[n] = 0;
	pos = 0;
	fields[0] = 0;
	if (lab_json_member(fields, sizeof(fields), &pos, "topic", topic)) {
		return;
	}
	j = cJSON_Parse(text);
	if (j) {
		char *compact = cJSON_PrintUnformatted(j);

		snprintf(fields + pos, sizeof(fields) - pos, ",\"payload\":%s", compact ?: "null");
		cJSON_free(compact);
		cJSON_Delete(j);
	} else if (lab_json_member(fields, sizeof(fields), &pos, "payload", text)) {
		return;
	}
	lab_event("c2d", fields);
}

/* serviceInfo.fota_v2 in the shadow, once per boot. From v2.6.0 on the library sends it itself
 * (CONFIG_NRF_CLOUD_SEND_SERVICE_INFO_FOTA, default y with FOTA, sdk-nrf
 * subsys/net/lib/nrf_cloud/Kconfig.nrf_cloud_shadow_info, tag v2.6.0); v2.5.x leaves it to the
 * application, as samples/cellular/nrf_cloud_multi_service/src/cloud_connection.c update_shadow()
 * does at tag v2.5.0. */
static void send_service_info(void)
{
#if !defined(CONFIG_NRF_CLOUD_SEND_SERVICE_INFO_FOTA)
	static bool sent;
	struct nrf_cloud_svc_info_fota fota = {
		.application = nrf_cloud_fota_is_type_enabled(NRF_CLOUD_FOTA_APPLICATION),
		.bootloader = nrf_cloud_fota_is_type_enabled(NRF_CLOUD_FOTA_BOOTLOADER),
		.modem = nrf_cloud_fota_is_type_enabled(NRF_CLOUD_FOTA_MODEM_DELTA),
		.modem_full = nrf_cloud_fota_is_type_enabled(NRF_CLOUD_FOTA_MODEM_FULL),
	};
	struct nrf_cloud_svc_info svc = { .fota = &fota };
	/* the modem section goes out with CONFIG_NRF_CLOUD_SEND_DEVICE_STATUS */
	struct nrf_cloud_device_status status = { .modem = NULL, .svc = &svc,
						  .conn_inf = NRF_CLOUD_INFO_NO_CHANGE };
	int err;

	if (sent) {
		return;
	}
	err = nrf_cloud_shadow_device_status_update(&status);
	if (err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"service info\",\"code\":%d", err);
		lab_event("error", fields);
		return;
	}
	sent = true;
#endif
}

#if defined(CONFIG_NRF_CLOUD_PGPS)
/* P-GPS (docs/firmware.md#p-gps): the library is set up once the cloud is first ready, with no
 * request of its own (CONFIG_NRF_CLOUD_PGPS_REQUEST_UPON_INIT=n); `pgps` asks for the whole set
 * (nrf_cloud_pgps_request_all()), the library sends the request over MQTT, downloads the file the
 * answer names over HTTPS and stores the predictions in the "pgps" partition; PGPS_EVT_READY
 * says the set is complete. Usage as samples/cellular/gnss/src/assistance.c and
 * lib/location/method_gnss.c (sdk-nrf, tag v2.5.0), whose MQTT transport needs no
 * PGPS_EVT_REQUEST handling. */
static bool pgps_ready_lib;  /* nrf_cloud_pgps_init() succeeded */
static bool pgps_wanted;     /* a `pgps` command waits for PGPS_EVT_READY */

/* No PGPS_EVT_READY in CONFIG_LAB_PGPS_WAIT_S: an error answer or a failed download, which the
 * library only logs (nrf_cloud_pgps.c nrf_cloud_pgps_process(), v2.5.0). */
static void pgps_timeout_fn(struct k_work *w)
{
	ARG_UNUSED(w);
	if (pgps_wanted) {
		pgps_wanted = false;
		lab_event("error", ",\"what\":\"pgps\",\"code\":-116");
	}
}
static K_WORK_DELAYABLE_DEFINE(pgps_timeout_work, pgps_timeout_fn);

/* Runs in the download thread: its own buffer, not the cloud callbacks' `fields`. */
static void on_pgps(struct nrf_cloud_pgps_event *event)
{
	char ev_fields[64];

	switch (event->type) {
	case PGPS_EVT_READY:
		if (pgps_wanted) {
			pgps_wanted = false;
			(void)k_work_cancel_delayable(&pgps_timeout_work);
			/* the library does not say how many bytes it downloaded: 0, and the
			 * number of predictions it holds now */
			snprintf(ev_fields, sizeof(ev_fields), ",\"bytes\":0,\"predictions\":%d",
				 CONFIG_NRF_CLOUD_PGPS_NUM_PREDICTIONS);
			lab_event("pgps", ev_fields);
		}
		break;
	case PGPS_EVT_AVAILABLE:
		/* the prediction for now: the GNSS application would inject it with
		 * nrf_cloud_pgps_inject(); the lab app runs no GNSS session */
	default:
		break;
	}
}

static void pgps_start(void)
{
	struct nrf_cloud_pgps_init_param p = { .event_handler = on_pgps };
	int err;

	if (pgps_ready_lib) {
		return;
	}
	err = nrf_cloud_pgps_init(&p);
	if (err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"pgps\",\"code\":%d", err);
		lab_event("error", fields);
		return;
	}
	pgps_ready_lib = true;
}
#else
static void pgps_start(void)
{
}
#endif

static void on_cloud(const struct nrf_cloud_evt *evt)
{
	switch (evt->type) {
	case NRF_CLOUD_EVT_TRANSPORT_CONNECTING:
		state = "connecting";
		break;
	case NRF_CLOUD_EVT_TRANSPORT_CONNECTED:
		/* the library does not tell whether the broker kept a session */
		state = "cc_connecting";
		lab_event("connected", ",\"session\":false");
		break;
	case NRF_CLOUD_EVT_TRANSPORT_CONNECT_ERROR:
		snprintf(fields, sizeof(fields), ",\"what\":\"connect\",\"code\":%d", evt->status);
		lab_event("error", fields);
		break;
	case NRF_CLOUD_EVT_USER_ASSOCIATION_REQUEST:
		lab_event("unassociated", NULL);
		break;
	case NRF_CLOUD_EVT_USER_ASSOCIATED:
		state = "paired";
		break;
	case NRF_CLOUD_EVT_READY:
		state = "ready";
		ready = true;
		backoff_s = 1;
		send_service_info();
		pgps_start();
		lab_event_ready();
		if (CONFIG_LAB_TELEMETRY_INTERVAL_S > 0) {
			k_work_reschedule(&telemetry_work, K_SECONDS(CONFIG_LAB_TELEMETRY_INTERVAL_S));
		}
		break;
	case NRF_CLOUD_EVT_TRANSPORT_DISCONNECTED:
		state = "off";
		ready = false;
		lab_event("disconnected", NULL);
		connect_later();
		break;
	case NRF_CLOUD_EVT_RX_DATA_SHADOW:
#if NCS_VERSION_NUMBER >= 0x20600
		on_shadow(evt->shadow);
#else
		on_shadow(evt);
#endif
		break;
	case NRF_CLOUD_EVT_RX_DATA_GENERAL:
		on_c2d(evt);
		break;
	case NRF_CLOUD_EVT_FOTA_START:
		lab_event("fota", ",\"job\":\"\",\"status\":\"received\"");
		break;
	case NRF_CLOUD_EVT_FOTA_DONE:
		/* the image is complete: the library reports the result after the reboot */
		lab_event("fota", ",\"job\":\"\",\"status\":\"downloaded\"");
		lab_reboot();
		break;
	case NRF_CLOUD_EVT_FOTA_ERROR:
		lab_event("fota", ",\"job\":\"\",\"status\":\"FAILED\"");
		break;
	case NRF_CLOUD_EVT_ERROR:
		snprintf(fields, sizeof(fields), ",\"what\":\"cloud\",\"code\":%d", evt->status);
		lab_event("error", fields);
		break;
	default:
		break;
	}
}

int lab_cloud_start(void)
{
	struct nrf_cloud_init_param p = {
		.event_handler = on_cloud,
		.application_version = CONFIG_LAB_APP_VERSION,
	};
	int err;

	app_config = cJSON_CreateObject();
	err = nrf_cloud_init(&p);
	if (err) {
		return err;
	}
	(void)nrf_cloud_client_id_get(client_id, sizeof(client_id));
	k_work_reschedule(&connect_work, K_NO_WAIT);
	return 0;
}

/* {"appId":APPID,"messageType":"DATA","data":DATA,"ts":ms} on d2c (NRF_CLOUD_TOPIC_MESSAGE) */
int lab_cloud_send(const char *app_id, const char *data)
{
	NRF_CLOUD_OBJ_JSON_DEFINE(msg);
	struct nrf_cloud_tx_data tx = {
		.obj = &msg,
		.topic_type = NRF_CLOUD_TOPIC_MESSAGE,
		.qos = MQTT_QOS_1_AT_LEAST_ONCE,
	};
	int64_t ts = k_uptime_get();
	int err;

	if (!ready) {
		return -ENOTCONN;
	}
	err = nrf_cloud_obj_msg_init(&msg, app_id, NRF_CLOUD_JSON_MSG_TYPE_VAL_DATA);
	if (!err) {
		err = nrf_cloud_obj_str_add(&msg, NRF_CLOUD_JSON_DATA_KEY, data, false);
	}
	if (!err && date_time_now(&ts) == 0) {
		err = nrf_cloud_obj_ts_add(&msg, ts);
	}
	if (!err) {
		err = nrf_cloud_send(&tx);
	}
	(void)nrf_cloud_obj_free(&msg);
	return err;
}

/* reported.config.KEY = VALUE (JSON if it parses, else a string), the whole config reported
 * on the shadow update topic (NRF_CLOUD_TOPIC_STATE). */
int lab_cloud_report(const char *key, const char *value)
{
	cJSON *v = cJSON_Parse(value), *doc;
	struct nrf_cloud_tx_data tx = { .topic_type = NRF_CLOUD_TOPIC_STATE,
					.qos = MQTT_QOS_1_AT_LEAST_ONCE };
	char *text;
	int err;

	if (!ready) {
		cJSON_Delete(v);
		return -ENOTCONN;
	}
	cJSON_DeleteItemFromObject(app_config, key);
	cJSON_AddItemToObject(app_config, key, v ? v : cJSON_CreateString(value));
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "state"),
						       "reported"),
			      "config", cJSON_Duplicate(app_config, 1));
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!text) {
		return -ENOMEM;
	}
	tx.data.ptr = text;
	tx.data.len = strlen(text);
	err = nrf_cloud_send(&tx);
	cJSON_free(text);
	return err;
}

/* Ground fix: the serving cell and its neighbours (lte_lc_neighbor_cell_measurement), then
 * nrf_cloud_location_request(); the answer becomes a `location` event. */
static void on_location(const struct nrf_cloud_location_result *const r)
{
	const char *with = r->type == LOCATION_TYPE_SINGLE_CELL ? "SCELL" :
			   r->type == LOCATION_TYPE_MULTI_CELL	? "MCELL" :
			   r->type == LOCATION_TYPE_WIFI	? "WIFI" : "?";

	if (r->err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"location\",\"code\":%d", r->err);
		lab_event("error", fields);
		return;
	}
	snprintf(fields, sizeof(fields),
		 ",\"lat\":%.6f,\"lon\":%.6f,\"uncertainty\":%u,\"fulfilledWith\":\"%s\"", r->lat,
		 r->lon, (unsigned)r->unc, with);
	lab_event("location", fields);
}

static void on_lte(const struct lte_lc_evt *const evt)
{
	int err;

	if (evt->type != LTE_LC_EVT_NEIGHBOR_CELL_MEAS) {
		return;
	}
	/* the request's config replaced a bool in v2.6.0 (NCS migration guide 2.6.0) */
#if NCS_VERSION_NUMBER >= 0x20600
	struct nrf_cloud_location_config cfg = { .do_reply = true, .hi_conf = false,
						 .fallback = true };

	err = nrf_cloud_location_request(&evt->cells_info, NULL, &cfg, on_location);
#else
	err = nrf_cloud_location_request(&evt->cells_info, NULL, true, on_location);
#endif
	if (err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"location\",\"code\":%d", err);
		lab_event("error", fields);
	}
}

int lab_cloud_location(void)
{
	static bool registered;
	struct lte_lc_ncellmeas_params p = { .search_type = LTE_LC_NEIGHBOR_SEARCH_TYPE_DEFAULT };

	if (!ready) {
		return -ENOTCONN;
	}
	if (!registered) {
		lte_lc_register_handler(on_lte);
		registered = true;
	}
	return lte_lc_neighbor_cell_measurement(&p);
}

/* A-GNSS: the library asks for every type and injects the answer into the modem; the app sees
 * no event, so it looks every 500 ms until the request is no longer in progress and
 * nrf_cloud_agnss_processed() lists what arrived (nrf_cloud_agnss.h, v2.5.0..v3.3.0). */
static void agnss_fn(struct k_work *w)
{
	struct nrf_modem_gnss_agnss_data_frame got = { 0 };

	ARG_UNUSED(w);
	nrf_cloud_agnss_processed(&got);
	if (!nrf_cloud_agnss_request_in_progress() &&
	    (got.data_flags || got.system[0].sv_mask_ephe || got.system[0].sv_mask_alm)) {
		/* parts and bytes are the library's business: 1 and 0 (docs/firmware.md) */
		snprintf(fields, sizeof(fields),
			 ",\"parts\":1,\"bytes\":0,\"counts\":{\"ephe\":%u,\"alm\":%u}",
			 (unsigned)__builtin_popcountll(got.system[0].sv_mask_ephe),
			 (unsigned)__builtin_popcountll(got.system[0].sv_mask_alm));
		lab_event("agnss", fields);
	} else if (k_uptime_get() < agnss_deadline) {
		k_work_reschedule(&agnss_work, K_MSEC(500));
	} else {
		lab_event("error", ",\"what\":\"agnss\",\"code\":-116");
	}
}

int lab_cloud_agnss(void)
{
	int err;

	if (!ready) {
		return -ENOTCONN;
	}
	err = nrf_cloud_agnss_request_all();
	if (!err) {
		agnss_deadline = k_uptime_get() + CONFIG_LAB_AGNSS_WAIT_S * 1000;
		k_work_reschedule(&agnss_work, K_MSEC(500));
	}
	return err;
}

/* `pgps`: ask for the whole prediction set; the `pgps` event comes with PGPS_EVT_READY. A
 * request while a download is under way joins it (the library skips the new request). */
int lab_cloud_pgps(void)
{
#if defined(CONFIG_NRF_CLOUD_PGPS)
	int err;

	if (!ready || !pgps_ready_lib) {
		return -ENOTCONN;
	}
	pgps_wanted = true;
	err = nrf_cloud_pgps_request_all();
	if (err) {
		pgps_wanted = false;
		return err;
	}
	k_work_reschedule(&pgps_timeout_work, K_SECONDS(CONFIG_LAB_PGPS_WAIT_S));
	return 0;
#else
	return -ENOTSUP;
#endif
}

int lab_cloud_fota_check(void)
{
	return ready ? nrf_cloud_fota_update_check() : -ENOTCONN;
}

int lab_cloud_reconnect(void)
{
	if (!ready) {
		return -ENOTCONN;
	}
	/* TRANSPORT_DISCONNECTED follows and schedules the connect */
	backoff_s = 1;
	return nrf_cloud_disconnect();
}

/* TEMP and RSRP in turn, as the nrf_cloud samples' telemetry */
static void telemetry_fn(struct k_work *w)
{
	static unsigned n;
	char val[16];

	ARG_UNUSED(w);
	if (!ready) {
		return;
	}
	if (n++ % 2 == 0) {
		if (modem_info_string_get(MODEM_INFO_TEMP, val, sizeof(val)) > 0) {
			(void)lab_cloud_send("TEMP", val);
		}
	} else if (modem_info_string_get(MODEM_INFO_RSRP, val, sizeof(val)) > 0) {
		(void)lab_cloud_send("RSRP", val);
	}
	k_work_reschedule(&telemetry_work, K_SECONDS(CONFIG_LAB_TELEMETRY_INTERVAL_S));
}
