/* SPDX-License-Identifier: MIT
 * cloud_rest.c: the lab firmware's cloud glue over HTTPS with nrf_cloud_rest (overlay-rest.conf,
 * NCS up to v3.3; docs/firmware.md#rest). No connection: each action is one REST call with a
 * fresh device JWT (CONFIG_NRF_CLOUD_REST_AUTOGEN_JWT). At start the device reports its info
 * sections, then it is "ready"; FOTA is polled (nrf_cloud_fota_poll). API names:
 * include/net/nrf_cloud_rest.h and nrf_cloud_fota_poll.h, samples/cellular/nrf_cloud_rest_*.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/reboot.h>
#include <modem/lte_lc.h>
#include <net/nrf_cloud.h>
#include <net/nrf_cloud_fota_poll.h>
#include <net/nrf_cloud_location.h>
#include <net/nrf_cloud_rest.h>

#include "lab.h"
#include "lab_shell.h"

LOG_MODULE_REGISTER(lab_rest, LOG_LEVEL_INF);

static char client_id[NRF_CLOUD_CLIENT_ID_MAX_LEN + 1];
static char rx_buf[2048];
static struct nrf_cloud_rest_context ctx = {
	.connect_socket = -1,
	.keep_alive = false,
	.rx_buf = rx_buf,
	.rx_buf_len = sizeof(rx_buf),
	.fragment_size = 0,
};
static const char *state = "off";
static char fields[256];
static cJSON *app_config;

static void fota_reboot(enum nrf_cloud_fota_reboot_status status)
{
	ARG_UNUSED(status);
	lab_reboot();
}

static struct nrf_cloud_fota_poll_ctx fota_ctx = {
	.rest_ctx = &ctx,
	.device_id = client_id,
	.reboot_fn = fota_reboot,
};

const char *lab_cloud_state(void)
{
	return state;
}

const char *lab_cloud_id(void)
{
	return client_id;
}

int lab_cloud_start(void)
{
	struct nrf_cloud_svc_info_fota fota = { .application = 1, .modem = 1 };
	struct nrf_cloud_svc_info svc = { .fota = &fota };
	struct nrf_cloud_modem_info modem = { .device = NRF_CLOUD_INFO_SET,
					      .network = NRF_CLOUD_INFO_SET,
					      .sim = NRF_CLOUD_INFO_SET };
	struct nrf_cloud_device_status status = { .modem = &modem, .svc = &svc };
	int err;

	app_config = cJSON_CreateObject();
	(void)nrf_cloud_client_id_get(client_id, sizeof(client_id));
	err = nrf_cloud_fota_poll_init(&fota_ctx);
	if (err) {
		return err;
	}
	/* a job finished before the reboot is reported now */
	(void)nrf_cloud_fota_poll_process_pending(&fota_ctx);
	state = "connecting";
	err = nrf_cloud_rest_shadow_device_status_update(&ctx, client_id, &status);
	if (err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"state\",\"code\":%d", err);
		lab_event("error", fields);
		state = "off";
		return err;
	}
	state = "ready";
	lab_event_ready();
	return 0;
}

int lab_cloud_send(const char *app_id, const char *data)
{
	cJSON *msg = cJSON_CreateObject();
	char *text;
	int err;

	cJSON_AddStringToObject(msg, "appId", app_id);
	cJSON_AddStringToObject(msg, "messageType", "DATA");
	cJSON_AddStringToObject(msg, "data", data);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	if (!text) {
		return -ENOMEM;
	}
	err = nrf_cloud_rest_send_device_message(&ctx, client_id, text, false, NULL);
	cJSON_free(text);
	return err;
}

int lab_cloud_report(const char *key, const char *value)
{
	cJSON *v = cJSON_Parse(value), *doc = cJSON_CreateObject();
	char *text;
	int err;

	cJSON_DeleteItemFromObject(app_config, key);
	cJSON_AddItemToObject(app_config, key, v ? v : cJSON_CreateString(value));
	cJSON_AddItemToObject(cJSON_AddObjectToObject(doc, "reported"), "config",
			      cJSON_Duplicate(app_config, 1));
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!text) {
		return -ENOMEM;
	}
	err = nrf_cloud_rest_shadow_state_update(&ctx, client_id, text);
	cJSON_free(text);
	return err;
}

static void on_lte(const struct lte_lc_evt *const evt)
{
	struct nrf_cloud_rest_location_request req = { .cell_info =
							       (struct lte_lc_cells_info *)&evt->cells_info };
	struct nrf_cloud_location_result r = { 0 };
	int err;

	if (evt->type != LTE_LC_EVT_NEIGHBOR_CELL_MEAS) {
		return;
	}
	err = nrf_cloud_rest_location_get(&ctx, &req, &r);
	if (err) {
		snprintf(fields, sizeof(fields), ",\"what\":\"location\",\"code\":%d", err);
		lab_event("error", fields);
		return;
	}
	snprintf(fields, sizeof(fields),
		 ",\"lat\":%.6f,\"lon\":%.6f,\"uncertainty\":%u,\"fulfilledWith\":\"%s\"", r.lat,
		 r.lon, (unsigned)r.unc,
		 r.type == LOCATION_TYPE_SINGLE_CELL ? "SCELL" : "MCELL");
	lab_event("location", fields);
}

int lab_cloud_location(void)
{
	static bool registered;
	struct lte_lc_ncellmeas_params p = { .search_type = LTE_LC_NEIGHBOR_SEARCH_TYPE_DEFAULT };

	if (!registered) {
		lte_lc_register_handler(on_lte);
		registered = true;
	}
	return lte_lc_neighbor_cell_measurement(&p);
}

/* A-GNSS and P-GPS over REST are not in this app (nor in `sim --transport rest`). */
int lab_cloud_agnss(void)
{
	return -ENOTSUP;
}

int lab_cloud_pgps(void)
{
	return -ENOTSUP;
}

/* One poll now: downloads and applies a pending job (then reboots through fota_reboot). */
int lab_cloud_fota_check(void)
{
	int err = nrf_cloud_fota_poll_process(&fota_ctx);

	return err == -EAGAIN ? 0 : err; /* -EAGAIN: no job, which is an answer */
}

/* REST devices have no connection to drop (docs/lab-shell.md#commands). */
int lab_cloud_reconnect(void)
{
	return -ENOTCONN;
}
