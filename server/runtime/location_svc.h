/* SPDX-License-Identifier: MIT
 * location_svc.h: nRF Cloud's location services as both transports use them (
 * docs/location.md#location-over-rest, docs/location.md#location-history; docs/location.md#location-over-mqtt): ground fix from the fixtures or derived positions, A-GNSS
 * and P-GPS assistance, the history of fixes, injected location faults, and a journal record
 * of every request and answer. The REST handlers (http/rest_location.c) and the MQTT d2c glue
 * (mqtt/on_message.c) translate their wire to these calls. Any thread.
 */
#ifndef NCM_LOCATION_SVC_H
#define NCM_LOCATION_SVC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agnss.h"
#include "err.h"
#include "location.h"

/* Who asks, for the journal, the history and the faults. */
struct ncm_loc_caller {
	const char *device_id;  /* device, x-custom-device-id or JWT sub; NULL or "" for none */
	int eval;               /* under the evaluation token: history types get "_EVAL" */
	const char *via;        /* the topic, or "METHOD /path" */
	int quiet;              /* internal: neither journaled nor counted */
};

/* How a request failed: the nRF code for the body or MQTT "err", and the HTTP status. */
struct ncm_loc_fail {
	int status;
	int code;
	struct ncm_err_info err;
};

/* Ground fix (service "GROUND_FIX", or the legacy "CELL_POS", "CELL", "WIFI", "SCELL" forms)
 * of body. *answer: {"lat","lon","uncertainty","fulfilledWith","anchors"?} (new reference).
 * The fix goes into the history. 0, or -1 with *fail filled. */
int ncm_loc_svc_ground_fix(const struct ncm_loc_caller *c, const char *service,
			   const json_t *body, const struct ncm_loc_flags *flags, json_t **answer,
			   struct ncm_loc_fail *fail);

/* A-GNSS ("AGNSS") or A-GPS ("AGPS") data for a request {"mcc","mnc","tac","eci","rsrp"?,
 * "types"?,"filtered"?,"mask"?} at the current time: the schema-v1 payload (malloc'd). 0, or
 * -1 with *fail filled. A device fetches one payload over REST in several Range requests, so
 * the bytes must not change between them: with fresh 0 (a fragment after the first) the data
 * made for the same caller and request in the last ten minutes is served again; fresh 1 makes
 * it anew. Only fresh requests count and are journaled as location requests (a later fragment
 * whose data left the cache gets data made anew, quietly, and a warning in the log). */
int ncm_loc_svc_agnss(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		      int fresh, uint8_t **data, size_t *len, struct ncm_loc_fail *fail);

/* P-GPS ("PGPS" or "PGNSS") for {"predictionCount"?,"predictionIntervalMinutes"?,
 * "startGpsDay"?,"startGpsTimeOfDaySeconds"?}: where the prediction file is, host ("<fota
 * host>[:port]") and path ("public/....bin"). 0, or -1 with *fail filled. */
int ncm_loc_svc_pgps(const struct ncm_loc_caller *c, const char *service, const json_t *req,
		     char *host, size_t host_size, char *path, size_t path_size,
		     struct ncm_loc_fail *fail);

/* A GNSS fix a device reports (POST /v1/location/gnss {"lat","lon","acc"?,...}) into the
 * history. 0, or -1 with *fail filled. */
int ncm_loc_svc_gnss(const struct ncm_loc_caller *c, const json_t *body,
		     struct ncm_loc_fail *fail);

/* Fires a location_error fault for service, if one matches: 1 and *fail filled. */
int ncm_loc_svc_fault(const struct ncm_loc_caller *c, const char *service,
		      struct ncm_loc_fail *fail);

/* Requests and failures per service since the start or the last reset:
 * {"<SERVICE>":{"requests":n,"errors":n},...} (new reference). */
json_t *ncm_loc_svc_stats(void);
/* Clears the counters and the A-GNSS fragment cache (a reset, and the plugin's unload: the
 * cache's memory would be lost with the unloaded library). */
void ncm_loc_svc_reset(void);

#endif
