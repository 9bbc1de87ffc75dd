/* SPDX-License-Identifier: MIT
 * response.c: reply helpers and request accessors (see request.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

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
	req->status = (int)status;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result ncm_reply_json(struct ncm_req *req, unsigned int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

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

void ncm_req_suspend(struct ncm_req *req, ncm_handler on_resume)
{
	req->on_resume = on_resume;
	req->suspended = 1;
	MHD_suspend_connection(req->conn);
}

void ncm_req_resume(struct ncm_req *req)
{
	MHD_resume_connection(req->conn);
}
