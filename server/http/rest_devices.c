/* SPDX-License-Identifier: MIT
 * rest_devices.c: /v1/devices and /v1/devices/{id}[/name|/tags|/state] (docs/protocol-rest.md#shadow-update, docs/protocol-rest.md#shadow-read-with-a-transform,
 * docs/protocol-rest.md#devices): list with filters and pages, read (with a JSONata ?transform= answered as the bare
 * result, as the SDK's FOTA sample parses it), delete (DISCON on c2d first, then disconnect),
 * rename, retag, and shadow PATCH without the "state" wrapper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "answercache.h"
#include "c2d.h"
#include "devices.h"
#include "jsonata.h"
#include "log.h"
#include "pairing.h"
#include "rest_common.h"
#include "runtime.h"
#include "shadow_svc.h"
#include "shadows.h"
#include "jsontext.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10

struct list_ctx {
	struct ncm_req *req;
	const char *ids, *tags, *fw, *fuzzy;
	json_t *all;     /* matching devices, in id order */
};

/* 1 when item (a comma-separated list member) is in list, compared with cmp. */
static int in_list(const char *list, const char *item, int nocase)
{
	const char *p = list;
	size_t n = strlen(item);

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && (nocase ? !strncasecmp(p, item, n) : !strncmp(p, item, n)))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int matches(struct list_ctx *c, const json_t *o)
{
	json_t *v;
	size_t i;
	int any;

	if (c->ids && !in_list(c->ids, json_string_value(json_object_get(o, "id")), 1))
		return 0;
	if (c->fuzzy && !strcasestr(json_string_value(json_object_get(o, "name")), c->fuzzy))
		return 0;
	if (c->tags) {
		any = 0;
		json_array_foreach(json_object_get(o, "tags"), i, v)
			any |= in_list(c->tags, json_string_value(v), 0);
		if (!any)
			return 0;
	}
	if (c->fw) {
		any = 0;
		json_array_foreach(json_object_get(json_object_get(o, "firmware"), "supports"), i, v)
			any |= json_is_string(v) && in_list(c->fw, json_string_value(v), 0);
		if (!any)
			return 0;
	}
	return 1;
}

static int list_cb(const struct ncm_device *d, void *userdata)
{
	struct list_ctx *c = userdata;
	json_t *shadow = NULL, *o;

	ncm_store_shadow_get(ncm_rt_db(), d->id, &shadow, NULL);
	o = ncm_rest_device_json(d, shadow, ncm_rest_query_bool(c->req, "includeState"),
				 ncm_rest_query_bool(c->req, "includeStateMeta"));
	json_decref(shadow);
	if (!o)
		return NCM_ERR_NOMEM;
	if (matches(c, o))
		json_array_append_new(c->all, o);
	else
		json_decref(o);
	return NCM_OK;
}

/* GET /v1/devices: filters deviceIds (or deviceIdentifiers; comma-separated), tags (any of),
 * firmwareSupport (any of), deviceNameFuzzy (substring of the name), includeState,
 * includeStateMeta; pages in ID order (pageSort asc or desc) with an opaque token holding the
 * last ID of the page, so pages stay stable while devices do not change. */
enum MHD_Result ncm_rest_devices_get(struct ncm_req *req)
{
	struct list_ctx c = { req, NULL, NULL, NULL, NULL, json_array() };
	struct ncm_err_info err = { 0 };
	const char *sort = ncm_req_query(req, "pageSort"), *tok = ncm_req_query(req, "pageNextToken");
	json_t *items = json_array(), *o, *out;
	char *after = NULL, *next = NULL;
	enum MHD_Result ret;
	int limit, desc = sort && !strcasecmp(sort, "desc");
	size_t i, n, start = 0;

	limit = ncm_rest_page_limit(req, DEFAULT_PAGE, MAX_PAGE, &ret);
	if (limit < 0)
		goto done;
	if (sort && strcasecmp(sort, "asc") && strcasecmp(sort, "desc")) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "pageSort must be asc or desc");
		goto done;
	}
	if (tok && !(after = ncm_rest_page_key(tok))) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "invalid pageNextToken");
		goto done;
	}
	c.ids = ncm_req_query(req, "deviceIds");
	if (!c.ids)
		c.ids = ncm_req_query(req, "deviceIdentifiers");
	c.tags = ncm_req_query(req, "tags");
	c.fw = ncm_req_query(req, "firmwareSupport");
	c.fuzzy = ncm_req_query(req, "deviceNameFuzzy");
	if (ncm_store_device_foreach(ncm_rt_db(), list_cb, &c, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto done;
	}
	n = json_array_size(c.all);
	for (i = 0; after && i < n; i++) {
		o = json_array_get(c.all, desc ? n - 1 - i : i);
		if (desc ? strcasecmp(json_string_value(json_object_get(o, "id")), after) < 0
			 : strcasecmp(json_string_value(json_object_get(o, "id")), after) > 0)
			break;
	}
	start = after ? i : 0;
	for (i = start; i < n && json_array_size(items) < (size_t)limit; i++)
		json_array_append(items, json_array_get(c.all, desc ? n - 1 - i : i));
	if (i < n)
		next = ncm_rest_page_token(json_string_value(
			json_object_get(json_array_get(items, json_array_size(items) - 1), "id")));
	/* total counts the items returned, as nRF Cloud's does (docs/protocol-rest.md#pages) */
	out = json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)json_array_size(items));
	items = NULL;
	if (next)
		json_object_set_new(out, "pageNextToken", json_string(next));
	ret = ncm_reply_json(req, MHD_HTTP_OK, out);
done:
	free(after);
	free(next);
	json_decref(items);
	json_decref(c.all);
	return ret;
}

/* GET /v1/devices/{id}[?transform=<JSONata>] (docs/protocol-rest.md#shadow-read-with-a-transform): the device object, or the
 * bare JSON result of the transform over it (an empty body when it yields nothing). */
/* The answer to a GET of device d without a transform, when its stored shadow needs no change
 * (stored, not deleted, paired): the kept one when d's row and the shadow text are what it was
 * made from (answercache.h), else made from that text and kept. NULL otherwise: the caller
 * takes the general path, which may write the shadow. malloc'd. */
static char *device_answer(const struct ncm_device *d)
{
	unsigned char h[NCM_ANSWER_HASH];
	char *text = NULL, *answer;
	size_t len;
	json_t *stored, *doc, *o;
	int changed = 0;

	if (ncm_store_shadow_text(ncm_rt_db(), d->id, &text, &len))
		return NULL;
	ncm_answercache_inputs(d, text, len, ncm_rt()->team.tenant_id, h);
	answer = ncm_answercache_get(d->id, h);
	if (answer) {
		free(text);
		return answer;
	}
	stored = json_loadb(text, len, 0, NULL);
	free(text);
	/* a deleted shadow is a row {"deleted":true,...} (store/shadows.c): re-created there */
	if (!json_is_object(stored) || json_is_true(json_object_get(stored, "deleted"))) {
		json_decref(stored);
		return NULL;
	}
	doc = ncm_pairing_ensure(stored, ncm_rt()->prefix, d->id,
				 (time_t)(ncm_rt_now_ms() / 1000), &changed);
	json_decref(stored);
	if (!doc || changed) {
		json_decref(doc);
		return NULL;
	}
	o = ncm_rest_device_json(d, doc, 1, 1);
	json_decref(doc);
	answer = o ? ncm_json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (answer)
		ncm_answercache_put(d->id, h, answer);
	return answer;
}

enum MHD_Result ncm_rest_device_get(struct ncm_req *req)
{
	struct ncm_jsonata_error jerr = { 0 };
	struct ncm_device d;
	const char *tf = ncm_req_query(req, "transform");
	json_t *shadow = NULL, *o, *result;
	enum MHD_Result ret;
	char *text;

	if (!ncm_rest_device_load(req, &d, &ret))
		return ret;
	if (!tf && (text = device_answer(&d))) {
		ncm_device_release(&d);
		ret = ncm_reply_text(req, MHD_HTTP_OK, "application/json", text);
		free(text);
		return ret;
	}
	ncm_svc_shadow_read(ncm_rt_db(), d.id, &shadow, NULL);
	o = ncm_rest_device_json(&d, shadow, 1, 1);
	json_decref(shadow);
	ncm_device_release(&d);
	if (!tf)
		return ncm_reply_json(req, MHD_HTTP_OK, o);
	result = ncm_jsonata_eval(tf, strlen(tf), o, &jerr);
	json_decref(o);
	if (jerr.code)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "transform: %s at position %zu", jerr.message, jerr.position);
	if (!result)
		return ncm_reply_text(req, MHD_HTTP_OK, "application/json", "");
	text = ncm_json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(result);
	ret = text ? ncm_reply_text(req, MHD_HTTP_OK, "application/json", text) : MHD_NO;
	free(text);
	return ret;
}

static enum MHD_Result deleted(struct ncm_req *req)
{
	return ncm_rest_accepted(req);
}

/* DELETE /v1/devices/{id}: DEVICE/DISCON on its c2d topic first (docs/protocol-rest.md#deleting-a-device, the SDK
 * disconnects on it), then the device is removed, its certificate revoked and, two broker ticks
 * later, its connection closed. 202; 40414 for an unknown device. */
enum MHD_Result ncm_rest_device_delete(struct ncm_req *req)
{
	static const char discon[] = "{\"appId\":\"DEVICE\",\"messageType\":\"DISCON\"}";
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	int rc;

	ncm_c2d_outbox(ncm_rt_db(), req->params[0], discon, sizeof(discon) - 1, &out);
	rc = ncm_store_device_delete(ncm_rt_db(), req->params[0], ncm_rt_now_ms(), &err);
	if (rc) {
		ncm_outbox_release(&out);
		return rc == NCM_ERR_NOT_FOUND
			       ? ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40414,
						 "device %s not found", req->params[0])
			       : ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s",
						 err.msg);
	}
	ncm_log(NCM_LOG_NOTICE, "rest: deleted device %s", req->params[0]);
	return ncm_http_publish_then(req, &out, req->params[0], req->params[0],
				     "device deleted through the REST API", deleted);
}

/* PUT /v1/devices/{id}/name: a JSON string, or the one-element array nrfcloud-utils sends
 * (docs/protocol-rest.md#onboarding). 202. */
enum MHD_Result ncm_rest_device_name_put(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *body = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, NULL), *name = body;
	int rc;

	if (json_is_array(body) && json_array_size(body) == 1)
		name = json_array_get(body, 0);
	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    json_string_length(name) > 256) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be a JSON string of 1 to 256 characters, or an "
				       "array holding one");
	}
	rc = ncm_store_device_set_name(ncm_rt_db(), req->params[0], json_string_value(name),
				       ncm_rt_now_ms(), &err);
	json_decref(body);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found",
				       req->params[0]);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

static int tag_ok(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || strchr("_.@:#-", *t)))
			return 0;
	return 1;
}

/* PUT /v1/devices/{id}/tags: a JSON array of tags that replaces the device's (
 * docs/protocol-rest.md#devices); each tag /^[a-zA-Z0-9_.@:#-]+$/ as at onboarding (docs/protocol-rest.md#onboarding). 202. */
enum MHD_Result ncm_rest_device_tags_put(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *body = json_loadb(req->body, req->body_len, 0, NULL), *v;
	char *text;
	size_t i;
	int rc;

	if (!json_is_array(body)) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be a JSON array of tags");
	}
	json_array_foreach(body, i, v) {
		if (!json_is_string(v) || !tag_ok(json_string_value(v))) {
			json_decref(body);
			return ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
					       "tag %zu must match /^[a-zA-Z0-9_.@:#-]+$/", i);
		}
	}
	text = ncm_json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = text ? ncm_store_device_set_tags(ncm_rt_db(), req->params[0], text, ncm_rt_now_ms(),
					      &err)
		  : NCM_ERR_NOMEM;
	free(text);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found",
				       req->params[0]);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_rest_accepted(req);
}

static enum MHD_Result state_patched(struct ncm_req *req)
{
	if (req->pub_failed)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "stored, but the broker refused to publish the delta");
	return ncm_rest_accepted(req);
}

/* PATCH /v1/devices/{id}/state (docs/protocol-rest.md#shadow-update): {"desired":..} and/or {"reported":..}
 * without the AWS "state" wrapper, optional If-Match with the shadow version. A desired change
 * reaches a connected device as a delta before this answers 202. */
enum MHD_Result ncm_rest_device_state_patch(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_device d;
	const char *match = ncm_req_header(req, "If-Match");
	json_t *body, *wrapped;
	enum MHD_Result ret;
	const char *key;
	json_t *v;
	char *text, *end;
	int code;

	if (!ncm_rest_device_load(req, &d, &ret))
		return ret;
	ncm_device_release(&d);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(body) || !json_object_size(body)) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"desired\":{..}} and/or {\"reported\":{..}}");
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "desired") && strcmp(key, "reported")) {
			/* answer before the key's storage goes with the body */
			ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					      "unexpected key \"%s\": the body holds only desired "
					      "and reported (no \"state\" wrapper)", key);
			json_decref(body);
			return ret;
		}
	}
	wrapped = json_pack("{s:o}", "state", body);
	if (match) {
		const char *num = match[0] == '"' ? match + 1 : match;
		long long ver = strtoll(num, &end, 10);

		if (end == num || ver < 0 || (*end && strcmp(end, "\""))) {
			json_decref(wrapped);
			return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					       "If-Match must be the shadow version number");
		}
		json_object_set_new(wrapped, "version", json_integer(ver));
	}
	text = ncm_json_dumps(wrapped, JSON_COMPACT);
	json_decref(wrapped);
	if (!text)
		return MHD_NO;
	code = ncm_svc_shadow_update(ncm_rt_db(), req->params[0], NCM_ORIGIN_CLOUD, text,
				     strlen(text), &out, NULL, &err);
	free(text);
	if (code) {
		ncm_outbox_release(&out);
		if (code == 409)
			return ncm_reply_error(req, MHD_HTTP_CONFLICT, 40900,
					       "If-Match version conflict: %s", err.msg);
		if (code == 413)
			return ncm_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, 40000, "%s",
					       err.msg);
		return ncm_reply_error(req, code == 400 ? MHD_HTTP_BAD_REQUEST
							: MHD_HTTP_INTERNAL_SERVER_ERROR,
				       code == 400 ? 40000 : 50010, "%s", err.msg);
	}
	return ncm_http_publish_then(req, &out, req->params[0], NULL, NULL, state_patched);
}
