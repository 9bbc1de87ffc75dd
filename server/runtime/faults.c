/* SPDX-License-Identifier: MIT
 * faults.c: the injected faults (see faults.h): a small locked list; expired and used-up faults
 * leave it as they are found.
 */
#include "faults.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "devid.h"
#include "journal.h"
#include "log.h"
#include "runtime.h"

#define MAX_FAULTS 256

static const char *const action_names[NCM_FAULT_ACTION_COUNT] = {
	"kick", "refuse_connect", "reject_shadow_update", "refuse_subscribe", "drop_deliveries",
	"rest_status", "rest_delay", "rest_close", "firmware_200", "firmware_corrupt",
	"firmware_reset", "firmware_stall", "delay_deliveries", "location_error",
};

struct fault {
	int id;
	enum ncm_fault_action action;
	char device[NCM_DEVID_MAX + 1];
	char route[256];
	int remaining;           /* firings left; -1: until cleared */
	int64_t until_ms;        /* 0: no expiry */
	struct ncm_fault_hit hit;
	struct fault *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault *head;
static int next_id = 1;

static json_t *fault_json(const struct fault *f)
{
	json_t *o = json_pack("{s:i,s:s,s:{},s:i}", "id", f->id, "action",
			      action_names[f->action], "match", "count", f->remaining < 0 ? 0
										  : f->remaining);

	if (f->device[0])
		json_object_set_new(json_object_get(o, "match"), "device", json_string(f->device));
	if (f->action == NCM_FAULT_LOCATION_ERROR)
		json_object_set_new(json_object_get(o, "match"), "service",
				    json_string(f->route + strlen("LOCATION ")));
	else if (f->route[0])
		json_object_set_new(json_object_get(o, "match"), "route", json_string(f->route));
	if (f->hit.status)
		json_object_set_new(o, "status", json_integer(f->hit.status));
	if (f->hit.code)
		json_object_set_new(o, "code", json_integer(f->hit.code));
	if (f->hit.message[0])
		json_object_set_new(o, "message", json_string(f->hit.message));
	if (f->action == NCM_FAULT_REFUSE_CONNECT)
		json_object_set_new(o, "return_code", f->hit.code ? json_integer(f->hit.code)
								  : json_string("none"));
	else if (f->hit.code)
		json_object_set_new(o, "code", json_integer(f->hit.code));
	if (f->hit.at_byte)
		json_object_set_new(o, "at_byte", json_integer(f->hit.at_byte));
	if (f->hit.delay_ms)
		json_object_set_new(o, "delay_ms", json_integer(f->hit.delay_ms));
	if (f->until_ms)
		json_object_set_new(o, "until", json_integer(f->until_ms));
	return o;
}

static int int_field(const json_t *spec, const char *key, int def, int lo, int hi, int *out)
{
	const json_t *v = json_object_get(spec, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

int ncm_faults_add(const json_t *spec, enum ncm_fault_action *action, json_t **created,
		   struct ncm_err_info *err)
{
	const json_t *match = json_object_get(spec, "match");
	const char *name = json_string_value(json_object_get(spec, "action"));
	const char *device = json_string_value(json_object_get(match, "device"));
	const char *route = json_string_value(json_object_get(match, "route"));
	const char *service = json_string_value(json_object_get(match, "service"));
	char service_route[96];
	const char *message = json_string_value(json_object_get(spec, "message"));
	const json_t *return_code = json_object_get(spec, "return_code");
	struct fault *f;
	int a, count, duration, n = 0;

	*created = NULL;
	for (a = 0; name && a < NCM_FAULT_ACTION_COUNT; a++)
		if (!strcmp(name, action_names[a]))
			break;
	if (!name || a == NCM_FAULT_ACTION_COUNT)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "action must be one of kick, refuse_connect, "
				   "reject_shadow_update, refuse_subscribe, drop_deliveries, "
				   "rest_status, rest_delay, rest_close, firmware_200, "
				   "firmware_corrupt, firmware_reset, firmware_stall, "
				   "delay_deliveries, location_error");
	if ((a <= NCM_FAULT_DROP_DELIVERIES || a == NCM_FAULT_DELAY_DELIVERIES) &&
	    (!device || ncm_devid_check(device, NULL)))
		return ncm_err_set(err, NCM_ERR_INVAL, "%s needs match.device, a device ID", name);
	if (a >= NCM_FAULT_REST_STATUS && a <= NCM_FAULT_REST_CLOSE && !route)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s needs match.route such as "
				   "\"GET /v1/devices/*\"", name);
	if (a >= NCM_FAULT_REST_STATUS && a <= NCM_FAULT_FIRMWARE_STALL && device)
		return ncm_err_set(err, NCM_ERR_INVAL, "%s matches by match.route only", name);
	if (a == NCM_FAULT_LOCATION_ERROR) {
		if (route)
			return ncm_err_set(err, NCM_ERR_INVAL, "location_error matches by "
					   "match.service and match.device, not match.route");
		if (device && ncm_devid_check(device, NULL))
			return ncm_err_set(err, NCM_ERR_INVAL, "match.device must be a device ID");
		if (service && (!service[0] || strlen(service) > 32 ||
				strspn(service, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_*") != strlen(service)))
			return ncm_err_set(err, NCM_ERR_INVAL, "match.service must be a service "
					   "such as GROUND_FIX, AGNSS, AGPS, PGPS, GNSS or HISTORY");
		snprintf(service_route, sizeof(service_route), "LOCATION %s",
			 service ? service : "*");
		route = service_route;
	} else if (service) {
		return ncm_err_set(err, NCM_ERR_INVAL, "match.service is for location_error");
	}
	if (return_code && a != NCM_FAULT_REFUSE_CONNECT)
		return ncm_err_set(err, NCM_ERR_INVAL, "return_code is for refuse_connect");
	/* Mosquitto 2.0.11 (src/handle_connect.c) answers a plugin's refusal with CONNACK 5 or
	 * closes the connection without a CONNACK: no other code can be sent */
	if (return_code && !(json_is_integer(return_code) && json_integer_value(return_code) == 5) &&
	    !(json_is_string(return_code) && !strcmp(json_string_value(return_code), "none")))
		return ncm_err_set(err, NCM_ERR_INVAL, "return_code must be 5 (not authorised) or "
				   "\"none\" (no CONNACK): a Mosquitto 2.0.11 plugin can send no "
				   "other");
	f = calloc(1, sizeof(*f));
	if (!f)
		return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
	f->action = (enum ncm_fault_action)a;
	snprintf(f->device, sizeof(f->device), "%s", device ? device : "");
	snprintf(f->route, sizeof(f->route), "%s", route ? route : "");
	snprintf(f->hit.message, sizeof(f->hit.message), "%s", message ? message : "");
	if (int_field(spec, "count", 1, 0, 1000000, &count) ||
	    int_field(spec, "duration_ms", 0, 0, 86400000, &duration) ||
	    int_field(spec, "status", a == NCM_FAULT_REST_STATUS ? 500 : 0, 0, 599,
		      &f->hit.status) ||
	    int_field(spec, "code", a == NCM_FAULT_REST_STATUS ||
				  a == NCM_FAULT_LOCATION_ERROR ? 50010 :
			  a == NCM_FAULT_REJECT_SHADOW_UPDATE ? 500 : 0, 0, 99999, &f->hit.code) ||
	    int_field(spec, "delay_ms", a == NCM_FAULT_REST_DELAY ? 1000 :
			      a == NCM_FAULT_FIRMWARE_STALL ? 30000 :
			      a == NCM_FAULT_DELAY_DELIVERIES ? 1000 : 0, 0, 600000,
		      &f->hit.delay_ms) ||
	    int_field(spec, "at_byte", 0, 0, 1 << 30, &f->hit.at_byte) ||
	    (message && !json_is_string(json_object_get(spec, "message")))) {
		free(f);
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "count 0..1000000 (0: until cleared), duration_ms, status "
				   "100..599, code, delay_ms 0..600000, at_byte must be numbers; "
				   "message a string");
	}
	if (a == NCM_FAULT_REFUSE_CONNECT)
		f->hit.code = json_is_string(return_code) ? 0 : 5;
	/* an error, as nRF Cloud's: a 4xx/5xx status and a 5-digit code (docs/protocol-rest.md#errors) */
	if (a == NCM_FAULT_LOCATION_ERROR &&
	    ((f->hit.status && (f->hit.status < 400 || f->hit.status > 599)) ||
	     f->hit.code < 40000 || f->hit.code > 59999)) {
		free(f);
		return ncm_err_set(err, NCM_ERR_INVAL, "location_error needs code 40000..59999 "
				   "and, if given, status 400..599");
	}
	/* the HTTP status of an nRF code is its first three digits (docs/protocol-rest.md#errors) */
	if (a == NCM_FAULT_LOCATION_ERROR && !f->hit.status)
		f->hit.status = f->hit.code / 100 >= 400 && f->hit.code / 100 <= 599
					? f->hit.code / 100 : 500;
	if (a == NCM_FAULT_REST_STATUS && f->hit.status < 100) {
		free(f);
		return ncm_err_set(err, NCM_ERR_INVAL, "status must be 100..599");
	}
	f->remaining = count ? count : -1;
	f->until_ms = duration ? ncm_rt_now_ms() + duration : 0;
	pthread_mutex_lock(&lock);
	for (struct fault *g = head; g; g = g->next)
		n++;
	if (n >= MAX_FAULTS) {
		pthread_mutex_unlock(&lock);
		free(f);
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "at most %d faults at once", MAX_FAULTS);
	}
	f->id = f->hit.id = next_id++;
	f->next = head;
	head = f;
	*created = fault_json(f);
	pthread_mutex_unlock(&lock);
	*action = f->action;
	return NCM_OK;
}

json_t *ncm_faults_list(void)
{
	json_t *items = json_array();
	struct fault *f;

	pthread_mutex_lock(&lock);
	for (f = head; f; f = f->next)
		json_array_insert_new(items, 0, fault_json(f));
	pthread_mutex_unlock(&lock);
	return json_pack("{s:o}", "items", items);
}

void ncm_faults_clear(void)
{
	struct fault *f, *next;

	pthread_mutex_lock(&lock);
	for (f = head; f; f = next) {
		next = f->next;
		free(f);
	}
	head = NULL;
	pthread_mutex_unlock(&lock);
}

int ncm_faults_fire(enum ncm_fault_action action, const char *device, const char *method,
		    const char *path, struct ncm_fault_hit *hit)
{
	struct ncm_journal_rec rec = { 0 };
	struct fault **pp, *f, *found = NULL, **found_pp = NULL;
	char what[600] = "";
	int64_t now = ncm_rt_now_ms();

	if (method && path)
		snprintf(what, sizeof(what), "%s %s", method, path);
	pthread_mutex_lock(&lock);
	for (pp = &head; (f = *pp);) {
		if (f->until_ms && f->until_ms <= now) {
			*pp = f->next;
			free(f);
			continue;
		}
		/* the list is newest first: the last match is the oldest */
		if (f->action == action &&
		    (!f->device[0] || (device && !strcasecmp(f->device, device))) &&
		    (!f->route[0] || (what[0] && !fnmatch(f->route, what, 0)))) {
			found = f;
			found_pp = pp;
		}
		pp = &f->next;
	}
	if (found) {
		*hit = found->hit;
		if (found->remaining > 0 && --found->remaining == 0) {
			*found_pp = found->next;
			free(found);
		}
	}
	pthread_mutex_unlock(&lock);
	if (!found)
		return 0;
	rec.kind = "fault.fired";
	rec.device = device;
	rec.topic = what[0] ? what : NULL;
	rec.status = hit->id;
	rec.reason = action_names[action];
	ncm_rt_journal(&rec);
	ncm_log(NCM_LOG_NOTICE, "fault %d fired: %s %s", hit->id, action_names[action],
		device ? device : what);
	return 1;
}
