/* SPDX-License-Identifier: MIT
 * rest_common.c: helpers the REST handlers share (see rest_common.h).
 */
#include "rest_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "jwt.h"
#include "shadow.h"
#include "runtime.h"

int ncm_rest_page_limit(struct ncm_req *req, int def, int max, enum MHD_Result *ret)
{
	const char *s = ncm_req_query(req, "pageLimit");
	char *end;
	long v;

	if (!s)
		return def;
	v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > max) {
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "pageLimit must be a number from 1 to %d", max);
		return -1;
	}
	return (int)v;
}

char *ncm_rest_page_token(const char *key)
{
	char *out = NULL;

	ncm_b64url_encode(key, strlen(key), &out);
	return out;
}

char *ncm_rest_page_key(const char *token)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	char *key;

	if (!token || ncm_b64url_decode(token, strlen(token), &raw, &len))
		return NULL;
	key = strndup((char *)raw, len);
	free(raw);
	if (key && strlen(key) != len) {
		free(key);
		return NULL;
	}
	return key;
}

int ncm_rest_b64_decode(const char *text, unsigned char **out, size_t *len)
{
	size_t n = strlen(text), padded = (n + 3) / 4 * 4, i;
	unsigned char *in = malloc(padded + 1), *buf = malloc(padded / 4 * 3 + 1);
	int got;

	*out = NULL;
	if (!in || !buf || n % 4 == 1)
		goto bad;
	memcpy(in, text, n);
	for (i = n; i < padded; i++)
		in[i] = '=';
	in[padded] = '\0';
	got = EVP_DecodeBlock(buf, in, (int)padded);
	if (got < 0)
		goto bad;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	for (i = padded; i > 0 && in[i - 1] == '='; i--)
		got--;
	free(in);
	*out = buf;
	*len = (size_t)got;
	return 0;
bad:
	free(in);
	free(buf);
	return -1;
}

enum MHD_Result ncm_rest_paged(struct ncm_req *req, int def, int max, const char *key_field,
			       ncm_rest_page_fill fill, void *userdata)
{
	struct ncm_err_info err = { 0 };
	const char *tok = ncm_req_query(req, "pageNextToken");
	json_t *items = json_array(), *out;
	char *after = NULL, *next = NULL;
	enum MHD_Result ret;
	int limit = ncm_rest_page_limit(req, def, max, &ret);

	if (limit < 0)
		goto done;
	if (tok && !(after = ncm_rest_page_key(tok))) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "invalid pageNextToken");
		goto done;
	}
	if (fill(after ? after : "", limit + 1, items, userdata, &err)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto done;
	}
	if (json_array_size(items) > (size_t)limit) {
		json_t *last = json_array_get(items, (size_t)limit - 1);

		json_array_remove(items, (size_t)limit);
		next = ncm_rest_page_token(
			json_string_value(key_field ? json_object_get(last, key_field) : last));
	}
	/* a key field starting with '_' is the handler's own, not part of the answer */
	if (key_field && key_field[0] == '_') {
		size_t i;
		json_t *it;

		json_array_foreach(items, i, it)
			json_object_del(it, key_field);
	}
	/* total counts the items returned, as nRF Cloud's does (docs/protocol-rest.md#pages) */
	out = json_pack("{s:O,s:I}", "items", items, "total", (json_int_t)json_array_size(items));
	if (next)
		json_object_set_new(out, "pageNextToken", json_string(next));
	ret = ncm_reply_json(req, MHD_HTTP_OK, out);
done:
	free(after);
	free(next);
	json_decref(items);
	return ret;
}

int ncm_rest_device_load(struct ncm_req *req, struct ncm_device *d, enum MHD_Result *ret)
{
	struct ncm_err_info err = { 0 };
	int rc = ncm_store_device_get(ncm_rt_db(), req->params[0], d, &err);

	if (rc == NCM_OK)
		return 1;
	*ret = rc == NCM_ERR_NOT_FOUND
		       ? ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found",
					 req->params[0])
		       : ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return 0;
}

int ncm_rest_query_bool(struct ncm_req *req, const char *name)
{
	const char *v = ncm_req_query(req, name);

	return v && (!strcasecmp(v, "true") || !strcmp(v, "1"));
}

void ncm_rest_base_url(char *buf, size_t size)
{
	int port = ncm_rt_https_port();

	if (port == 443)
		snprintf(buf, size, "https://%s", ncm_rt()->cfg.api_host);
	else
		snprintf(buf, size, "https://%s:%d", ncm_rt()->cfg.api_host, port);
}

static json_t *path(const json_t *j, const char *const *keys)
{
	for (; j && *keys; keys++)
		j = json_object_get(j, *keys);
	return (json_t *)j;
}

/* firmware.* from the reported device info (docs/protocol-rest.md#shadow-update, docs/protocol-rest.md#compatibility-checklist item 5): supports from
 * serviceInfo.fota_v2 (or, before the device reported it, the types given at onboarding), app
 * name and version from deviceInfo, modem from deviceInfo.modemFirmware. */
static json_t *firmware_json(const struct ncm_device *d, const json_t *shadow)
{
	const json_t *info = path(shadow, (const char *const[]){ "state", "reported", "device",
								 "deviceInfo", NULL });
	const json_t *supports = path(shadow, (const char *const[]){ "state", "reported", "device",
								     "serviceInfo", "fota_v2", NULL });
	json_t *fw = json_object(), *v;

	if (json_is_array(supports))
		json_object_set(fw, "supports", (json_t *)supports);
	else
		json_object_set_new(fw, "supports",
				    json_loads(d->fw_types_json ? d->fw_types_json : "[]", 0, NULL));
	if (!json_is_array(json_object_get(fw, "supports")))
		json_object_set_new(fw, "supports", json_array());
	if (json_object_get(info, "appName") || json_object_get(info, "appVersion"))
		json_object_set_new(fw, "app",
				    json_pack("{s:O?,s:O?}", "name", json_object_get(info, "appName"),
					      "version", json_object_get(info, "appVersion")));
	v = json_object_get(info, "modemFirmware");
	if (json_is_string(v))
		json_object_set(fw, "modem", v);
	return fw;
}

json_t *ncm_rest_device_json(const struct ncm_device *d, const json_t *shadow, int with_state,
			     int with_meta)
{
	const struct ncm_runtime *rt = ncm_rt();
	char created[40], updated[40];
	json_t *o, *tags, *state, *sdesired, *sreported;
	int64_t upd = d->updated_ms;
	json_int_t shadow_ts = json_integer_value(json_object_get(shadow, "timestamp"));

	if (shadow_ts * 1000 > upd)
		upd = shadow_ts * 1000;
	ncm_rt_iso8601(d->created_ms, created, sizeof(created));
	ncm_rt_iso8601(upd, updated, sizeof(updated));
	tags = json_loads(d->tags_json ? d->tags_json : "[]", 0, NULL);
	o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:{s:s,s:s},s:b}", "id", d->id, "name",
		      d->name ? d->name : d->id, "type",
		      d->sub_type && strcasestr(d->sub_type, "gateway") ? "Gateway" : "Generic",
		      "tags", tags ? tags : json_array(), "tenantId",
		      rt->team.tenant_id, "firmware", firmware_json(d, shadow), "$meta",
		      "createdAt", created, "updatedAt", updated, "cloudMqttEnabled",
		      d->cert_pem != NULL);
	if (o && d->sub_type)
		json_object_set_new(o, "subType", json_string(d->sub_type));
	if (o && with_state) {
		sdesired = path(shadow, (const char *const[]){ "state", "desired", NULL });
		sreported = path(shadow, (const char *const[]){ "state", "reported", NULL });
		state = json_pack("{s:o,s:o,s:I}", "desired",
				  sdesired ? json_deep_copy(sdesired) : json_object(), "reported",
				  sreported ? json_deep_copy(sreported) : json_object(), "version",
				  json_integer_value(json_object_get(shadow, "version")));
		if (state) {
			json_t *delta = ncm_shadow_delta_state(sdesired, sreported);

			if (json_object_size(delta))
				json_object_set(state, "delta", delta);
			json_decref(delta);
			if (with_meta && json_object_get(shadow, "metadata"))
				json_object_set(state, "metadata",
						json_object_get(shadow, "metadata"));
			json_object_set_new(o, "state", state);
		}
	}
	return o;
}

enum MHD_Result ncm_rest_accepted(struct ncm_req *req)
{
	return ncm_reply_text(req, MHD_HTTP_ACCEPTED, "application/json", "");
}
