/* SPDX-License-Identifier: MIT
 * faults.h: faults a test injects on purpose (POST /mock/v1/faults, docs/admin-api.md, issue: test
 * control): each names what it matches (a device, or a REST route as "METHOD /path" with '*'
 * wildcards), what it does, how many times it fires and for how long. The glue asks at each
 * point where a fault can act; a fault that fires is journaled ("fault.fired"). Any thread.
 */
#ifndef NCM_FAULTS_H
#define NCM_FAULTS_H

#include <jansson.h>

#include "err.h"

enum ncm_fault_action {
	NCM_FAULT_KICK,                 /* disconnect the device now */
	NCM_FAULT_REFUSE_CONNECT,       /* refuse its next CONNECTs (CONNACK 5, not authorised) */
	NCM_FAULT_REJECT_SHADOW_UPDATE, /* reject its next shadow updates with code/message */
	NCM_FAULT_REFUSE_SUBSCRIBE,     /* refuse its next SUBSCRIBEs (SUBACK 0x80) */
	NCM_FAULT_DROP_DELIVERIES,      /* drop the next messages the broker would deliver to it */
	NCM_FAULT_REST_STATUS,          /* answer a route with status and {"code","message"} */
	NCM_FAULT_REST_DELAY,           /* answer a route delay_ms late */
	NCM_FAULT_REST_CLOSE,           /* close the connection instead of answering */
	NCM_FAULT_FIRMWARE_200,         /* answer ranged image requests 200 with the whole file */
	NCM_FAULT_FIRMWARE_CORRUPT,     /* serve image bytes with every 97th byte flipped */
	NCM_FAULT_FIRMWARE_RESET,       /* close the connection after at_byte bytes of the body */
	NCM_FAULT_FIRMWARE_STALL,       /* send nothing for delay_ms after at_byte bytes */
	NCM_FAULT_DELAY_DELIVERIES,     /* deliver the next messages to a device delay_ms late */
	NCM_FAULT_LOCATION_ERROR,       /* fail location requests (match.service, match.device)
					 * with nRF error code (and HTTP status for REST) */
	NCM_FAULT_ACTION_COUNT
};

struct ncm_fault_hit {
	int id;
	int status;          /* REST_STATUS: the HTTP status */
	int code;            /* the nRF or AWS code to answer with; REFUSE_CONNECT: the CONNACK
			      * return code, 5 or 0 for none (the connection just closes) */
	char message[256];
	int delay_ms;
	int at_byte;         /* FIRMWARE_RESET */
};

/* Adds a fault from its JSON description {"match":{"device"?,"route"?,"service"?},"action", "count"? (1;
 * 0 = until cleared), "duration_ms"?, "status"?, "code"?, "message"?, "delay_ms"?, "return_code"? (5 or "none"), "at_byte"?}. *created
 * (a new reference) describes it with its "id". NCM_ERR_INVAL naming the problem. */
int ncm_faults_add(const json_t *spec, enum ncm_fault_action *action, json_t **created,
		   struct ncm_err_info *err);

/* Every live fault, as {"items":[...]}. */
json_t *ncm_faults_list(void);
void ncm_faults_clear(void);

/* Fires the oldest live fault of action that matches device (NULL for REST) or "method path":
 * 1 and *hit filled (one firing used up, journaled), else 0. Location faults match method
 * "LOCATION" and path the service (GROUND_FIX, AGNSS, PGPS, ...). */
int ncm_faults_fire(enum ncm_fault_action action, const char *device, const char *method,
		    const char *path, struct ncm_fault_hit *hit);

#endif
