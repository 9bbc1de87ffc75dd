/* SPDX-License-Identifier: MIT
 * admin_wait.c: POST /mock/v1/wait (docs/admin-api.md, issue: test control): answers as soon as a
 * journal record matching {"kind","device","topic","payload"} exists after "since" (ms or ISO
 * 8601) or "after" (a journal seq), or 408 after "timeout_ms" with the closest near misses
 * (records of the same device, or on the same topic), so a failing test says why. The request
 * is suspended while it waits: no HTTP thread is blocked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "journal.h"
#include "match.h"
#include "rest_common.h"
#include "runtime.h"
#include "waiters.h"

#define MAX_TIMEOUT_MS (5 * 60 * 1000)
#define NEAR_MISSES 10

struct wait_ctx {
	struct ncm_waiter w;
	json_t *body;       /* owns the pattern's strings */
	json_t *record;     /* the match, or NULL on timeout */
	int64_t since_ms;
	int64_t timeout_ms;
	struct ncm_req *req;
};

static void ctx_free(void *p)
{
	struct wait_ctx *c = p;

	/* a request that ends while still registered (client gone) must leave the list */
	ncm_waiters_remove(&c->w);
	json_decref(c->body);
	json_decref(c->record);
	free(c);
}

static void woke(struct ncm_waiter *w, json_t *record)
{
	struct wait_ctx *c = w->userdata;

	c->record = record;
	ncm_req_resume(c->req); /* last: the request may be answered and freed from here on */
}

struct scan {
	const struct wait_ctx *c;
	json_t *found;
	json_t *near;
};

static int find_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct scan *s = userdata;

	if (!ncm_record_matches(&s->c->w.pattern, rec->kind, rec->device, rec->topic,
				rec->payload, rec->payload_len))
		return NCM_OK;
	s->found = ncm_rt_journal_json(rec);
	return 1;
}

static int near_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	struct scan *s = userdata;

	json_array_append_new(s->near, ncm_rt_journal_json(rec));
	if (json_array_size(s->near) > NEAR_MISSES)
		json_array_remove(s->near, 0);
	return NCM_OK;
}

static enum MHD_Result resumed(struct ncm_req *req)
{
	struct wait_ctx *c = req->async;
	struct ncm_journal_filter f = { 0 };
	struct scan s = { c, NULL, json_array() };

	if (c->record) {
		json_decref(s.near);
		return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:O}", "record", c->record));
	}
	/* near misses: the newest records of the same device, or on the same topic */
	f.since_ms = c->since_ms;
	f.after_seq = c->w.after_seq;
	f.limit = 100000;
	if (c->w.pattern.device) {
		f.device = c->w.pattern.device;
		ncm_store_journal_foreach(ncm_rt_db(), &f, near_cb, &s, NULL);
	}
	if (!json_array_size(s.near) && c->w.pattern.topic) {
		f.device = NULL;
		f.topic = c->w.pattern.topic;
		ncm_store_journal_foreach(ncm_rt_db(), &f, near_cb, &s, NULL);
	}
	return ncm_reply_json(req, MHD_HTTP_REQUEST_TIMEOUT,
			      json_pack("{s:i,s:s,s:o}", "code", 40800, "message",
					"no matching journal record in time", "nearMisses", s.near));
}

static const char *opt_string(const json_t *body, const char *key, int *bad)
{
	const json_t *v = json_object_get(body, key);

	if (v && !json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

enum MHD_Result ncm_admin_wait_post(struct ncm_req *req)
{
	struct ncm_journal_filter f = { 0 };
	struct wait_ctx *c;
	struct scan s = { NULL, NULL, NULL };
	json_t *since;
	int bad = 0;

	/* called again for the same request: the answer after a resume could not be queued (the
	 * listener is stopping); a second context would leak the first, so close instead (as the
	 * portal's events, portal_events.c) */
	if (req->async)
		return MHD_NO;
	NCM_REQUIRE_ADMIN(req);
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	req->async = c;
	req->async_free = ctx_free;
	c->req = req;
	c->body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	c->w.pattern.kind = opt_string(c->body, "kind", &bad);
	c->w.pattern.device = opt_string(c->body, "device", &bad);
	c->w.pattern.topic = opt_string(c->body, "topic", &bad);
	c->w.pattern.payload = json_object_get(c->body, "payload");
	c->timeout_ms = json_integer_value(json_object_get(c->body, "timeout_ms"));
	c->w.after_seq = json_integer_value(json_object_get(c->body, "after"));
	since = json_object_get(c->body, "since");
	if (json_is_integer(since))
		c->since_ms = json_integer_value(since);
	else if (json_is_string(since))
		c->since_ms = ncm_iso8601_parse_ms(json_string_value(since));
	else if (since)
		bad = 1;
	if (!json_is_object(c->body) || bad || c->since_ms < 0 || c->w.after_seq < 0 ||
	    !json_is_integer(json_object_get(c->body, "timeout_ms")) || c->timeout_ms < 1 ||
	    c->timeout_ms > MAX_TIMEOUT_MS)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"timeout_ms\": 1..300000, and optionally "
				       "\"kind\", \"device\", \"topic\" (strings), \"payload\" (JSON "
				       "subset), \"since\" (ms or ISO 8601), \"after\" (journal seq)}");
	c->w.deadline_ms = ncm_rt_now_ms() + c->timeout_ms;
	c->w.wake = woke;
	c->w.userdata = c;
	/* suspend, then register, then look at what is stored: a record journaled at any moment
	 * of this is either found below or offered to the waiter */
	ncm_req_suspend(req, resumed);
	ncm_waiters_add(&c->w);
	f.since_ms = c->since_ms;
	f.after_seq = c->w.after_seq;
	f.kind = c->w.pattern.kind;
	f.device = c->w.pattern.device;
	f.topic = c->w.pattern.topic;
	f.limit = 1000000;
	s.c = c;
	ncm_store_journal_foreach(ncm_rt_db(), &f, find_cb, &s, NULL);
	if (s.found) {
		if (ncm_waiters_remove(&c->w)) {
			c->record = s.found;
			ncm_req_resume(req);
		} else {
			json_decref(s.found); /* it woke meanwhile and resumes the request itself */
		}
	}
	return MHD_YES;
}
