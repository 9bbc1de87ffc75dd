/* SPDX-License-Identifier: MIT
 * dev_rest.c: a device that uses the SDK's nrf_cloud_rest library (NCS <= 3.3) instead of MQTT:
 * every call is HTTPS with a device JWT (the transport signs it with the device key), as the
 * REST samples do: the device state PATCH with the info sections at boot, messages, ground fix,
 * A-GNSS in Range fragments, the P-GPS request, and FOTA by polling
 * fota-job-executions/<id>/current. Pure (see dev.h).
 */
#include <stdio.h>
#include <string.h>

#include "dev_internal.h"

void ncm_dev_rest_start(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	char path[200];
	json_t *rep;

	(void)now;
	dev->state = NCM_DEV_CONNECTING;
	/* REST messages name the device's d2c topic without the team prefix ("d/<id>/d2c") */
	snprintf(dev->d2c, sizeof(dev->d2c), "d/%s/d2c", dev->id);
	/* UpdateDeviceState: {"reported":{...}} without a "state" key (include/
	 * nrf_cloud_codec_internal.h, nrf_cloud_shadow_dev_status_encode(), v2.5.0) */
	rep = json_pack("{s:o, s:o}", "device", ncm_dev_info_sections(dev), "control",
			ncm_dev_control_obj(dev));
	json_object_set_new(json_object_get(json_object_get(rep, "device"), "connectionInfo"),
			    "protocol", json_string("REST"));
	snprintf(path, sizeof(path), "/v1/devices/%s/state", dev->id);
	dev->n_sent++;
	ncm_dev_rest(out, "PATCH", path, json_pack("{s:o}", "reported", rep), NCM_REST_STATE);
	ncm_dev_event(dev, out, "connected", json_pack("{s:b}", "session", 0));
}

/* {"jobId","jobDocument":{"host","path","firmwareType","fileSize"}} as the MQTT job array
 * (nrf_cloud_rest_fota_execution_decode()). */
static void rest_job(struct ncm_dev *dev, const char *body, size_t len, int64_t now,
		     struct ncm_dev_out *out)
{
	static const char *const types[] = { "APP", "MODEM", "BOOT", "", "", "MDM_FULL", "SMP" };
	json_t *j = json_loadb(body, len, 0, NULL), *doc = json_object_get(j, "jobDocument");
	const char *type = json_string_value(json_object_get(doc, "firmwareType"));
	json_t *arr;
	char *text;
	int t = -1, i;

	for (i = 0; type && i < 7; i++)
		if (!strcmp(type, types[i]) && *types[i])
			t = i;
	arr = json_pack("[O?, i, O?, O?, O?]", json_object_get(j, "jobId"), t,
			json_object_get(doc, "fileSize"), json_object_get(doc, "host"),
			json_object_get(doc, "path"));
	text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	if (text)
		ncm_dev_fota_on_job(dev, text, strlen(text), now, out);
	free(text);
	json_decref(arr);
	json_decref(j);
}

void ncm_dev_on_rest(struct ncm_dev *dev, int tag, long status, long total, const char *body,
		     size_t len, int64_t now, struct ncm_dev_out *out)
{
	json_t *j;

	dev->n_received++;
	if (tag == NCM_REST_AGNSS) {
		/* every fragment must be 206 (the 2xx check below is not the SDK's here) */
		ncm_dev_data_on_rest_agnss(dev, status, total, body, len, out);
		return;
	}
	if (status < 200 || status > 299) {
		/* 404 on .../current: no job */
		if (tag == NCM_REST_FOTA_CURRENT && status == 404)
			return;
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:i, s:i}", "what", "rest", "tag",
							   tag, "http", (int)status));
		if (tag == NCM_REST_STATE)
			ncm_dev_on_disconnect(dev, now, out); /* try again after the back-off */
		return;
	}
	switch (tag) {
	case NCM_REST_STATE:
		if (dev->state == NCM_DEV_READY)
			break;
		ncm_dev_ready(dev, now, out);
		/* after a FOTA reboot the result goes out first (nrf_cloud_fota_poll.c
		 * process_pending_job()) */
		ncm_dev_fota_report_validated(dev, out);
		break;
	case NCM_REST_GROUND_FIX:
		j = json_loadb(body, len, 0, NULL);
		if (json_is_number(json_object_get(j, "lat")) && json_is_number(json_object_get(j, "lon")))
			ncm_dev_event(dev, out, "location",
				      json_pack("{s:O, s:O, s:O?, s:O?}", "lat",
						json_object_get(j, "lat"), "lon",
						json_object_get(j, "lon"), "uncertainty",
						json_object_get(j, "uncertainty"), "fulfilledWith",
						json_object_get(j, "fulfilledWith")));
		json_decref(j);
		break;
	case NCM_REST_PGPS:
		ncm_dev_data_on_rest_pgps(dev, body, len, out);
		break;
	case NCM_REST_FOTA_CURRENT:
		if (body && len)
			rest_job(dev, body, len, now, out);
		break;
	default:
		break;
	}
}
