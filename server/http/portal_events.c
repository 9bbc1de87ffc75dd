/* SPDX-License-Identifier: MIT
 * portal_events.c: GET /mock/v1/events, journal records as server-sent events
 * (text/event-stream, https://html.spec.whatwg.org/multipage/server-sent-events.html) for the
 * portal's live views (docs/portal.md#live-events). Each answer carries the records after the
 * client's last event ID (Last-Event-ID, or ?after=) that match ?kind=, ?device= and ?topic=;
 * when there are none yet the request waits (suspended, like POST /mock/v1/wait, so no HTTP
 * thread is held and a stop resumes it) until one is journaled or WAIT_MS pass, then ends. The
 * client reconnects with the last ID it saw (?wait=0 answers at once, even with nothing).
 * Answers that end keep every connection short, so a stopping server never finds one it must
 * abandon. ?tail=N starts with the newest N records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "journal.h"
#include "journal_tap.h"
#include "match.h"
#include "portal.h"
#include "rest_common.h"
#include "runtime.h"
#include "waiters.h"

#define WAIT_MS 25000
#define BATCH_MAX 500
#define TAIL_MAX 2000
#define RETRY_MS 200

struct ev_ctx {
	struct ncm_waiter w;
	json_t *woke;        /* the record that woke the waiter, or NULL */
	struct ncm_req *req;
	int tail;
};

static void ctx_free(void *p)
{
	struct ev_ctx *c = p;

	ncm_waiters_remove(&c->w);
	json_decref(c->woke);
	free(c);
}

static void woke(struct ncm_waiter *w, json_t *record)
{
	struct ev_ctx *c = w->userdata;

	c->woke = record;
	ncm_req_resume(c->req); /* last: the request may be answered and freed from here on */
}

static int collect_cb(const struct ncm_journal_rec *rec, void *userdata)
{
	json_t *items = userdata;
	json_t *j = ncm_rt_journal_json(rec);

	if (!j)
		return NCM_ERR_NOMEM;
	json_array_append_new(items, j);
	/* ?tail keeps a window of the newest records; otherwise the limit stops the scan */
	if (json_array_size(items) > TAIL_MAX)
		json_array_remove(items, 0);
	return NCM_OK;
}

/* The matching records after c->w.after_seq: the oldest BATCH_MAX, or with tail the newest
 * tail ones. */
static json_t *collect(struct ev_ctx *c)
{
	struct ncm_journal_filter f = { 0 };
	json_t *items = json_array(), *last;

	f.kind = c->w.pattern.kind;
	f.device = c->w.pattern.device;
	f.topic = c->w.pattern.topic;
	f.after_seq = c->w.after_seq;
	f.limit = c->tail ? 100000000 : BATCH_MAX;
	ncm_store_journal_foreach(ncm_rt_db(), &f, collect_cb, items, NULL);
	/* then what the store cannot show this thread yet (journal_tap.h) */
	last = json_array_get(items, json_array_size(items) - 1);
	if (json_array_size(items) < BATCH_MAX)
		ncm_journal_tap_after(last ? json_integer_value(json_object_get(last, "seq"))
					   : c->w.after_seq,
				      &c->w.pattern, items,
				      BATCH_MAX - (int)json_array_size(items));
	while (c->tail && json_array_size(items) > (size_t)c->tail)
		json_array_remove(items, 0);
	return items;
}

static enum MHD_Result reply_events(struct ncm_req *req, json_t *items)
{
	struct MHD_Response *resp;
	size_t i, len = 0, cap = 64;
	char *text = malloc(cap), *line, *grown;
	json_t *it;
	enum MHD_Result ret;

	if (!text) {
		json_decref(items);
		return MHD_NO;
	}
	len = (size_t)snprintf(text, cap, "retry: %d\n\n", RETRY_MS);
	json_array_foreach(items, i, it) {
		long long seq = (long long)json_integer_value(json_object_get(it, "seq"));
		size_t n;

		line = json_dumps(it, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!line)
			continue;
		n = strlen(line) + 64;
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			grown = realloc(text, cap);
			if (!grown) {
				free(line);
				break;
			}
			text = grown;
		}
		/* one data line: compact JSON holds no newline */
		len += (size_t)snprintf(text + len, cap - len,
					"id: %lld\nevent: record\ndata: %s\n\n", seq, line);
		free(line);
	}
	json_decref(items);
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	req->status = MHD_HTTP_OK;
	ret = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result resumed(struct ncm_req *req)
{
	struct ev_ctx *c = req->async;
	json_t *items = collect(c);

	/* a record offered before the store shows it still reaches the client */
	if (!json_array_size(items) && c->woke)
		json_array_append(items, c->woke);
	return reply_events(req, items);
}

/* A numeric query value >= 0, or -1. */
static long long count_param(const char *v)
{
	char *end;
	long long n;

	if (!v || !*v)
		return 0;
	n = strtoll(v, &end, 10);
	return *end || n < 0 ? -1 : n;
}

enum MHD_Result ncm_portal_events(struct ncm_req *req)
{
	struct ev_ctx *c;
	const char *last = ncm_req_header(req, "Last-Event-ID");
	long long after = count_param(last ? last : ncm_req_query(req, "after"));
	long long tail = count_param(ncm_req_query(req, "tail"));
	const char *wait;
	json_t *items;

	/* called again for the same request: the answer after a resume could not be queued (seen
	 * while the listener stops); a second context would leak the first, so close instead */
	if (req->async)
		return MHD_NO;
	NCM_REQUIRE_ADMIN(req);
	ncm_journal_tap_touch();
	if (after < 0 || tail < 0 || tail > TAIL_MAX)
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "after (or Last-Event-ID) is a journal seq; tail 0..%d",
				       TAIL_MAX);
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	req->async = c;
	req->async_free = ctx_free;
	c->req = req;
	c->tail = (int)tail;
	c->w.pattern.kind = ncm_req_query(req, "kind");
	c->w.pattern.device = ncm_req_query(req, "device");
	c->w.pattern.topic = ncm_req_query(req, "topic");
	c->w.after_seq = after;
	items = collect(c);
	c->tail = 0;
	wait = ncm_req_query(req, "wait");
	if (json_array_size(items) || (wait && !strcmp(wait, "0")))
		return reply_events(req, items);
	json_decref(items);
	/* suspend, register, then look again: a record journaled meanwhile is either stored
	 * (found below) or offered to the waiter */
	c->w.deadline_ms = ncm_rt_now_ms() + WAIT_MS;
	c->w.wake = woke;
	c->w.userdata = c;
	ncm_req_suspend(req, resumed);
	ncm_waiters_add(&c->w);
	items = collect(c);
	if (json_array_size(items) && ncm_waiters_remove(&c->w))
		ncm_req_resume(req);
	json_decref(items);
	return MHD_YES;
}
