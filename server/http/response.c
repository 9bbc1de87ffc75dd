/* SPDX-License-Identifier: MIT
 * response.c: reply helpers and request accessors (see request.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "jsontext.h"

static enum MHD_Result queue(struct ncm_req *req, unsigned int status, const char *content_type,
			     char *data, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	/* REST answers in JSON go into the journal record (daemon.c), so replay can check them */
	if (!req->is_admin && !req->answer && len <= NCM_JOURNAL_BODY_MAX &&
	    !strcmp(content_type, "application/json") && (req->answer = malloc(len + 1))) {
		memcpy(req->answer, data, len);
		req->answer[len] = '\0';
		req->answer_len = len;
	}
	req->status = (int)status;
	req->sent_bytes = len;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result ncm_reply_json(struct ncm_req *req, unsigned int status, json_t *body)
{
	char *text = ncm_json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text)
		return MHD_NO;
	return queue(req, status, "application/json", text, strlen(text));
}

enum MHD_Result ncm_reply_text(struct ncm_req *req, unsigned int status, const char *content_type,
			       const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		return MHD_NO;
	return queue(req, status, content_type, copy, strlen(copy));
}

enum MHD_Result ncm_reply_error(struct ncm_req *req, unsigned int status, int nrf_code,
				const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ncm_reply_json(req, status, json_pack("{s:i,s:s}", "code", nrf_code, "message", msg));
}

const char *ncm_req_query(struct ncm_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ncm_req_header(struct ncm_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* Suspended requests, so that a stop can resume them all first: libmicrohttpd 0.9.75 aborts
 * the process when MHD_stop_daemon finds a suspended connection (daemon.c, "called while we
 * have suspended connections"), and a request may wait for minutes (wait, rest_delay). */
static pthread_mutex_t susp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ncm_req *susp_head;
static int stopping;

static void unlink_locked(struct ncm_req *req)
{
	if (!req->susp_linked)
		return;
	if (req->susp_prev)
		req->susp_prev->susp_next = req->susp_next;
	else
		susp_head = req->susp_next;
	if (req->susp_next)
		req->susp_next->susp_prev = req->susp_prev;
	req->susp_prev = req->susp_next = NULL;
	req->susp_linked = 0;
}

void ncm_req_suspend(struct ncm_req *req, ncm_handler on_resume)
{
	int now_stopping;

	req->on_resume = on_resume;
	req->suspended = 1;
	pthread_mutex_lock(&susp_lock);
	now_stopping = stopping;
	if (!now_stopping) {
		req->susp_next = susp_head;
		if (susp_head)
			susp_head->susp_prev = req;
		susp_head = req;
		req->susp_linked = 1;
	}
	pthread_mutex_unlock(&susp_lock);
	MHD_suspend_connection(req->conn);
	if (now_stopping)
		MHD_resume_connection(req->conn);
}

void ncm_req_resume(struct ncm_req *req)
{
	pthread_mutex_lock(&susp_lock);
	unlink_locked(req);
	pthread_mutex_unlock(&susp_lock);
	MHD_resume_connection(req->conn);
}

void ncm_req_forget(struct ncm_req *req)
{
	pthread_mutex_lock(&susp_lock);
	unlink_locked(req);
	pthread_mutex_unlock(&susp_lock);
}

void ncm_req_resume_all(void)
{
	pthread_mutex_lock(&susp_lock);
	stopping = 1;
	while (susp_head) {
		struct ncm_req *req = susp_head;

		unlink_locked(req);
		MHD_resume_connection(req->conn);
	}
	pthread_mutex_unlock(&susp_lock);
}
