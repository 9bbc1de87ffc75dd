/* SPDX-License-Identifier: MIT
 * rest_binary_logs.c: GET /v1/binary-logs/url (FetchBinaryLogsUrl; nRF Cloud's OpenAPI as
 * NauEngineering/python_nRF_cloud_client BinaryLogsApi.md and FileDownloadInfo.md
 * show it: ?deviceId (required), ?start and ?end (24 h before now and now by default, at most
 * 24 h apart), 200 {"url","contentLength"}). Binary logs are what the SDK's nrf_cloud_log
 * sends in dictionary mode on the d2c/bin topic (docs/protocol-rest.md#rest-surface). The URL
 * points at this server, without credentials like nRF Cloud's pre-signed one; the file is the
 * device's d2c/bin payloads of the range, concatenated in arrival order (nRF Cloud zips
 * them; the mock does not).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "messages.h"
#include "rest_common.h"
#include "runtime.h"

#define DAY_MS (24LL * 3600 * 1000)

struct blob {
	unsigned char *data;
	size_t len;
	int failed;
};

static int gather(const struct ncm_message *m, void *userdata)
{
	struct blob *b = userdata;
	unsigned char *p;

	if (!m->binary)
		return 0;
	p = realloc(b->data, b->len + m->payload_len + 1);
	if (!p) {
		b->failed = 1;
		return 1;
	}
	b->data = p;
	memcpy(b->data + b->len, m->payload, m->payload_len);
	b->len += m->payload_len;
	return 0;
}

/* The device's binary logs received in [start_ms, end_ms]. */
static int collect(const char *device_id, int64_t start_ms, int64_t end_ms, struct blob *b,
		   struct ncm_err_info *err)
{
	struct ncm_message_filter f = { 0 };
	char topic[NCM_DEVID_MAX + 32];

	snprintf(topic, sizeof(topic), "d/%s/d2c/bin", device_id);
	f.device_id = device_id;
	f.topic = topic;
	f.prefix = ncm_rt()->prefix;
	f.start_ms = start_ms;
	f.end_ms = end_ms;
	f.end_inclusive = 1;
	f.limit = 100000;
	return ncm_store_message_query(ncm_rt_db(), &f, gather, b, err);
}

/* The ?start/?end range; -1 after answering 422 42200 when malformed or wider than a day. */
static int range(struct ncm_req *req, int64_t *start, int64_t *end, enum MHD_Result *ret)
{
	const char *s = ncm_req_query(req, "start"), *e = ncm_req_query(req, "end");

	*end = e ? ncm_iso8601_parse_ms(e) : ncm_rt_now_ms();
	*start = s ? ncm_iso8601_parse_ms(s) : *end - DAY_MS;
	if (*start < 0 || *end < 0 || *end < *start || *end - *start > DAY_MS) {
		*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
				       "start and end must be ISO 8601 date-times, start before "
				       "end, at most 24 hours apart");
		return -1;
	}
	return 0;
}

enum MHD_Result ncm_rest_binary_logs_url_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 };
	struct blob b = { 0 };
	const char *id = ncm_req_query(req, "deviceId");
	char base[300], url[700];
	int64_t start, end;
	enum MHD_Result ret;
	int rc;

	if (!id || !*id)
		return ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
				       "deviceId is required");
	if (range(req, &start, &end, &ret))
		return ret;
	rc = ncm_store_device_get(ncm_rt_db(), id, &d, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found", id);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	rc = collect(d.id, start, end, &b, &err);
	if (rc || b.failed) {
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s",
				      b.failed ? "out of memory" : err.msg);
		goto out;
	}
	ncm_rest_base_url(base, sizeof(base));
	snprintf(url, sizeof(url), "%s/binary-logs/%s/%" PRId64 "-%" PRId64 ".bin", base, d.id,
		 start, end);
	ret = ncm_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:s,s:I}", "url", url, "contentLength",
				       (json_int_t)b.len));
out:
	free(b.data);
	ncm_device_release(&d);
	return ret;
}

/* GET /binary-logs/{deviceId}/{start}-{end}.bin: the file the URL above names. */
enum MHD_Result ncm_rest_binary_logs_file_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct blob b = { 0 };
	long long start, end;
	char tail;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (sscanf(req->params[1], "%lld-%lld.bi%c", &start, &end, &tail) != 3 || tail != 'n' ||
	    start < 0 || end < start)
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "no such log file");
	if (collect(req->params[0], start, end, &b, &err) || b.failed) {
		free(b.data);
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	}
	resp = MHD_create_response_from_buffer(b.len, b.data ? b.data : (void *)"",
					       b.data ? MHD_RESPMEM_MUST_FREE
						      : MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	req->status = MHD_HTTP_OK;
	ret = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
