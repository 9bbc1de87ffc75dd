/* SPDX-License-Identifier: MIT
 * rest_messages.c: device messages over REST (docs/protocol-rest.md#device-messages-over-rest, docs/protocol-rest.md#messages): GET /v1/messages with
 * its filters, time ranges and pages, and POST /v1/devices/{id}/messages (SendDeviceMessage),
 * stored as if published on the device's d2c topic and forwarded on MQTT to whoever subscribed
 * (the team's account device).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "jwt.h"
#include "devices.h"
#include "log.h"
#include "messages.h"
#include "rest_common.h"
#include "runtime.h"
#include "jsontext.h"

#define DEFAULT_PAGE 100
#define MAX_PAGE 1000
/* A page also ends once its messages pass this many bytes (docs/limits.md#memory): 1000
 * messages of up to 256 kB each would otherwise be built in memory whole. */
#define PAGE_BYTES (4u * 1024 * 1024)

struct page {
	json_t *items;
	size_t bytes;
	int cut;   /* ended at PAGE_BYTES: a next page follows the last item */
	int64_t seqs[MAX_PAGE + 1];  /* the sequence of each item, for the next page's token */
};

static json_t *payload_json(const struct ncm_message *m)
{
	json_t *j = NULL;
	unsigned char *b64;

	if (!m->binary)
		j = json_loadb(m->payload, m->payload_len, JSON_DECODE_ANY, NULL);
	if (j)
		return j;
	/* binary messages (d2c/bin) are base64, as SendDeviceMessage takes them (docs/protocol-rest.md#device-messages-over-rest) */
	b64 = malloc(4 * ((m->payload_len + 2) / 3) + 1);
	if (!b64)
		return NULL;
	EVP_EncodeBlock(b64, m->payload, (int)m->payload_len);
	j = json_string((char *)b64);
	free(b64);
	return j;
}

static int page_cb(const struct ncm_message *m, void *userdata)
{
	struct page *p = userdata;
	char when[40];
	json_t *o;

	ncm_rt_iso8601(m->received_ms, when, sizeof(when));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o}", "tenantId", ncm_rt()->team.tenant_id, "topic",
		      m->topic, "deviceId", m->device_id, "receivedAt", when, "message",
		      payload_json(m));
	if (!o)
		return NCM_ERR_NOMEM;
	if (json_array_size(p->items) <= MAX_PAGE)
		p->seqs[json_array_size(p->items)] = m->seq;
	if (json_array_append_new(p->items, o))
		return NCM_ERR_NOMEM;
	p->bytes += m->payload_len;
	if (p->bytes >= PAGE_BYTES) {
		p->cut = 1;
		return NCM_ERR_TOO_BIG; /* stops the query; not an error (below) */
	}
	return NCM_OK;
}

/* Parses an ISO 8601 query parameter into *ms; 0 when absent, -1 (answered) when malformed. */
static int time_param(struct ncm_req *req, const char *name, int64_t *ms, enum MHD_Result *ret)
{
	const char *v = ncm_req_query(req, name);

	if (!v)
		return 0;
	*ms = ncm_iso8601_parse_ms(v);
	if (*ms < 0) {
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "%s must be an ISO 8601 time such as 2026-01-31T12:00:00Z",
				       name);
		return -1;
	}
	return 1;
}

/* GET /v1/messages (docs/protocol-rest.md#messages): deviceId (or deviceIdentifiers), appId, topic; appId
 * and topic do not combine. inclusiveStart / start (exclusive), exclusiveEnd / end (inclusive);
 * pageSort desc by default; pages by an opaque token of the last message's sequence. */
enum MHD_Result ncm_rest_messages_get(struct ncm_req *req)
{
	struct ncm_message_filter f = { 0 };
	struct ncm_err_info err = { 0 };
	struct page *p = calloc(1, sizeof(*p));
	const char *sort = ncm_req_query(req, "pageSort"), *tok = ncm_req_query(req, "pageNextToken");
	char *key = NULL, *next = NULL, seqbuf[32];
	enum MHD_Result ret;
	json_t *out;
	int limit, got;

	if (!p || !(p->items = json_array())) {
		free(p);
		return MHD_NO;
	}
	limit = ncm_rest_page_limit(req, DEFAULT_PAGE, MAX_PAGE, &ret);
	if (limit < 0)
		goto done;
	f.device_id = ncm_req_query(req, "deviceId");
	if (!f.device_id)
		f.device_id = ncm_req_query(req, "deviceIdentifiers");
	f.app_id = ncm_req_query(req, "appId");
	f.topic = ncm_req_query(req, "topic");
	f.prefix = ncm_rt()->prefix;
	if (f.app_id && f.topic) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "appId and topic cannot be combined; use appId+deviceId or "
				      "topic+deviceId");
		goto done;
	}
	if (sort && strcasecmp(sort, "asc") && strcasecmp(sort, "desc")) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "pageSort must be asc or desc");
		goto done;
	}
	f.desc = !sort || !strcasecmp(sort, "desc");
	if ((got = time_param(req, "inclusiveStart", &f.start_ms, &ret)) < 0)
		goto done;
	if (!got && (got = time_param(req, "start", &f.start_ms, &ret)) > 0)
		f.start_exclusive = 1;
	if (got < 0)
		goto done;
	if ((got = time_param(req, "exclusiveEnd", &f.end_ms, &ret)) < 0)
		goto done;
	if (!got && (got = time_param(req, "end", &f.end_ms, &ret)) > 0)
		f.end_inclusive = 1;
	if (got < 0)
		goto done;
	if (tok) {
		key = ncm_rest_page_key(tok);
		f.cursor = key ? strtoll(key, NULL, 10) : 0;
		if (f.cursor <= 0) {
			ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					      "invalid pageNextToken");
			goto done;
		}
	}
	f.limit = limit + 1;
	got = ncm_store_message_query(ncm_rt_db(), &f, page_cb, p, &err);
	if (got && !(got == NCM_ERR_TOO_BIG && p->cut)) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
		goto done;
	}
	if (p->cut && json_array_size(p->items) <= (size_t)limit) {
		snprintf(seqbuf, sizeof(seqbuf), "%lld",
			 (long long)p->seqs[json_array_size(p->items) - 1]);
		next = ncm_rest_page_token(seqbuf);
	} else if (json_array_size(p->items) > (size_t)limit) {
		/* one more than a page: there is a next one, after this page's last message */
		json_array_remove(p->items, (size_t)limit);
		snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)p->seqs[limit - 1]);
		next = ncm_rest_page_token(seqbuf);
	}
	out = json_pack("{s:O,s:I}", "items", p->items, "total",
			(json_int_t)json_array_size(p->items));
	if (next)
		json_object_set_new(out, "pageNextToken", json_string(next));
	ret = ncm_reply_json(req, MHD_HTTP_OK, out);
done:
	free(key);
	free(next);
	json_decref(p->items);
	free(p);
	return ret;
}

static enum MHD_Result message_sent(struct ncm_req *req)
{
	return ncm_rest_accepted(req);
}

static int store(const char *device, const char *topic, const void *data, size_t len,
		 int binary, struct ncm_err_info *err)
{
	struct ncm_message m = { 0 };
	json_t *j = binary ? NULL : json_loadb(data, len, JSON_DECODE_ANY, NULL);
	int rc;

	m.device_id = device;
	m.topic = topic;
	m.received_ms = ncm_rt_now_ms();
	m.app_id = json_string_value(json_object_get(j, "appId"));
	m.payload = data;
	m.payload_len = len;
	m.binary = binary;
	rc = ncm_store_message_add(ncm_rt_db(), &m, err);
	json_decref(j);
	return rc;
}

/* POST /v1/devices/{id}/messages: {"message": <JSON>, "topic": "[m/]d/<id>/d2c[/...]"}. The
 * device is the one the topic names (docs/protocol-rest.md#device-messages-over-rest), which must be the one in the path; /d2c/bulk takes
 * an array (one message per element), /d2c/bin a base64 string. 202. */
enum MHD_Result ncm_rest_device_message_post(struct ncm_req *req)
{
	struct ncm_outbox out = { 0 };
	struct ncm_err_info err = { 0 };
	struct ncm_device dev;
	json_t *body, *msg, *el;
	const char *topic, *rest;
	char full[1024], expect[256];
	char *text = NULL;
	unsigned char *bin = NULL;
	size_t binlen = 0, i, idlen;
	enum MHD_Result ret;
	int rc = NCM_OK;

	if (ncm_store_device_get(ncm_rt_db(), req->params[0], &dev, NULL))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found",
				       req->params[0]);
	ncm_device_release(&dev);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	msg = json_object_get(body, "message");
	topic = json_string_value(json_object_get(body, "topic"));
	if (!json_is_object(body) || !msg) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "body must be {\"message\": <JSON>, \"topic\": \"d/<id>/d2c\"}");
		goto out;
	}
	snprintf(expect, sizeof(expect), "d/%s/d2c", req->params[0]);
	if (!topic)
		topic = expect;
	rest = strncmp(topic, "m/", 2) ? topic : topic + 2;
	idlen = strlen(req->params[0]);
	if (strncmp(rest, "d/", 2) || strncasecmp(rest + 2, req->params[0], idlen) ||
	    strncmp(rest + 2 + idlen, "/d2c", 4) ||
	    (rest[6 + idlen] && rest[6 + idlen] != '/') || strpbrk(rest, "+#")) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "topic must be [m/]d/%s/d2c[/...]", req->params[0]);
		goto out;
	}
	if ((size_t)snprintf(full, sizeof(full), "%sm/%s", ncm_rt()->prefix, rest) >= sizeof(full)) {
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "topic too long");
		goto out;
	}
	if (ncm_db_begin(ncm_rt_db(), &err))
		goto fail;
	if (!strcmp(rest + 6 + idlen, "/bin")) {
		if (!json_is_string(msg) ||
		    (json_string_length(msg) && ncm_rest_b64_decode(json_string_value(msg), &bin, &binlen))) {
			ncm_db_rollback(ncm_rt_db());
			ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					      "a d2c/bin message must be a base64 string");
			goto out;
		}
		rc = store(req->params[0], full, bin ? bin : (unsigned char *)"", binlen, 1, &err);
		if (!rc)
			rc = ncm_outbox_add_raw(&out, full, bin ? bin : (unsigned char *)"", binlen);
	} else if (!strcmp(rest + 6 + idlen, "/bulk")) {
		if (!json_is_array(msg)) {
			ncm_db_rollback(ncm_rt_db());
			ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
					      "a d2c/bulk message must be a JSON array");
			goto out;
		}
		json_array_foreach(msg, i, el) {
			text = ncm_json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
			rc = text ? store(req->params[0], full, text, strlen(text), 0, &err)
				  : NCM_ERR_NOMEM;
			free(text);
			text = NULL;
			if (rc)
				break;
		}
		text = ncm_json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!rc && text)
			rc = ncm_outbox_add_raw(&out, full, text, strlen(text));
	} else {
		text = ncm_json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		rc = text ? store(req->params[0], full, text, strlen(text), 0, &err) : NCM_ERR_NOMEM;
		if (!rc)
			rc = ncm_outbox_add_raw(&out, full, text, strlen(text));
	}
	if (rc || ncm_db_commit(ncm_rt_db(), &err)) {
		ncm_db_rollback(ncm_rt_db());
		goto fail;
	}
	ret = ncm_http_publish_then(req, &out, req->params[0], NULL, NULL, message_sent);
	goto out;
fail:
	ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "cannot store: %s",
			      err.msg);
out:
	ncm_outbox_release(&out);
	free(text);
	free(bin);
	json_decref(body);
	return ret;
}
