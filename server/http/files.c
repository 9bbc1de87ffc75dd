/* SPDX-License-Identifier: MIT
 * files.c: firmware images on the HTTPS port at the paths job documents name,
 * /<tenantId>/<bundleId>/<file> (docs/protocol-rest.md#hosts, docs/fota.md#image-download): GET and HEAD, one byte
 * range per request answered 206 with a lower-case "content-range: bytes a-b/total" as nRF Cloud
 * sends it, 416 "bytes * / total" past the end, 200 without Range. libmicrohttpd has no Range
 * support (docs/architecture.md#libmicrohttpd-facts): core/range.c parses; a range of up to
 * SMALL_RANGE bytes (a device's fragment) is read into the answer, so libmicrohttpd sends
 * headers and body in one TLS record, a larger one is served from the file at an offset. Only
 * files of a stored bundle are served (runtime/fwcache.c keeps them open between requests);
 * nothing outside <data>/firmware is opened.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults.h"
#include "file.h"
#include "fwcache.h"
#include "range.h"
#include "rest_common.h"
#include "runtime.h"
#include "waiters.h"

/* Ranges up to this size are answered from memory: devices ask for 1700 to 4096 bytes
 * (docs/fota.md#image-download). */
#define SMALL_RANGE (64u * 1024)

/* Body of a download a fault spoils: "firmware_corrupt" inverts every byte at a file offset of
 * 96 mod 97 (the same bytes whichever ranges a client asks for, so a hash check must fail);
 * "firmware_reset" ends the connection after cut bytes of the body; "firmware_stall" sends
 * nothing for stall_ms after stall_at bytes (the connection is suspended and a waiter with that
 * deadline resumes it: libmicrohttpd calls the reader again then), then the rest. */
struct spoilt {
	int fd;
	uint64_t first, len, cut;
	int corrupt;
	uint64_t stall_at;         /* UINT64_MAX: no stall */
	int stall_ms;
	int stalled;
	struct ncm_req *req;
	struct ncm_waiter w;
	struct ncm_record_pattern never;
};

static void stall_over(struct ncm_waiter *w, json_t *record)
{
	struct spoilt *sp = w->userdata;

	json_decref(record);
	ncm_req_resume(sp->req);
}

static ssize_t spoilt_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct spoilt *sp = cls;
	uint64_t n = sp->len - pos;
	ssize_t got;
	ssize_t i;

	if (pos >= sp->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= sp->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (pos >= sp->stall_at && !sp->stalled) {
		/* returning 0 is only allowed with the connection suspended (microhttpd.h,
		 * MHD_ContentReaderCallback), or MHD calls again at once */
		sp->stalled = 1;
		sp->never.kind = "\001 firmware stall";
		sp->w.pattern = sp->never;
		sp->w.deadline_ms = ncm_rt_now_ms() + sp->stall_ms;
		sp->w.wake = stall_over;
		sp->w.userdata = sp;
		ncm_req_suspend(sp->req, NULL);
		sp->req->suspended = 0; /* the handler is done: nothing to call on resume */
		ncm_waiters_add(&sp->w);
		return 0;
	}
	if (sp->stall_at > pos && n > sp->stall_at - pos)
		n = sp->stall_at - pos;
	if (n > sp->cut - pos)
		n = sp->cut - pos;
	if (n > max)
		n = max;
	got = pread(sp->fd, buf, (size_t)n, (off_t)(sp->first + pos));
	if (got <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	for (i = 0; sp->corrupt && i < got; i++)
		if ((sp->first + pos + (uint64_t)i) % 97 == 96)
			buf[i] = (char)~buf[i];
	return got;
}

static void spoilt_free(void *cls)
{
	struct spoilt *sp = cls;

	if (sp->stalled)
		ncm_waiters_remove(&sp->w);
	close(sp->fd);
	free(sp);
}

/* Takes fd. */
static struct MHD_Response *spoilt_response(struct ncm_req *req, int fd, uint64_t first,
					    uint64_t len, uint64_t cut, int corrupt,
					    uint64_t stall_at, int stall_ms)
{
	struct MHD_Response *resp;
	struct spoilt *sp = calloc(1, sizeof(*sp));

	if (!sp) {
		close(fd);
		return NULL;
	}
	sp->fd = fd;
	sp->first = first;
	sp->len = len;
	sp->cut = cut;
	sp->corrupt = corrupt;
	sp->stall_at = stall_at;
	sp->stall_ms = stall_ms;
	sp->req = req;
	resp = MHD_create_response_from_callback(len, 64 * 1024, spoilt_read, sp, spoilt_free);
	if (!resp)
		spoilt_free(sp);
	return resp;
}

static enum MHD_Result not_found(struct ncm_req *req)
{
	return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "resource not found: %s %s",
			       req->method, req->url);
}

/* The bytes first..first+len-1 of f as an answer libmicrohttpd sends with its headers: read
 * now, so no file work is left for the send. NULL when the read fails. */
static struct MHD_Response *small_response(const struct ncm_fwfile *f, uint64_t first,
					   uint64_t len)
{
	struct MHD_Response *resp;
	char *buf = malloc(len ? (size_t)len : 1);
	size_t got = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (got < len) {
		n = pread(f->fd, buf + got, (size_t)len - got, (off_t)(first + got));
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	resp = MHD_create_response_from_buffer((size_t)len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(buf);
	return resp;
}

enum MHD_Result ncm_files_get(struct ncm_req *req)
{
	const char *tenant = req->params[0], *bundle_id = req->params[1], *file = req->params[2];
	const char *range = ncm_req_header(req, MHD_HTTP_HEADER_RANGE);
	struct ncm_err_info err = { 0 };
	struct MHD_Response *resp;
	struct ncm_fwfile *f;
	struct ncm_fault_hit hit;
	char cr[96];
	uint64_t first = 0, last = 0, total, len, cut = UINT64_MAX, stall_at = UINT64_MAX;
	enum ncm_range_result rr;
	enum MHD_Result ret;
	int fd, corrupt, stall_ms = 0;
	unsigned int status;

	if (strcmp(tenant, ncm_rt()->team.tenant_id) ||
	    !(f = ncm_fwcache_get(ncm_rt_db(), ncm_rt()->cfg.data_dir, tenant, bundle_id, file)))
		return not_found(req);
	total = f->size;
	rr = ncm_range_parse(range, total, &first, &last, &err);
	if (rr == NCM_RANGE_INVALID || rr == NCM_RANGE_UNSATISFIABLE) {
		ncm_fwcache_release(f);
		if (rr == NCM_RANGE_INVALID)
			return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s", err.msg);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, total);
		MHD_add_response_header(resp, "content-range", cr);
		req->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		ret = MHD_queue_response(req->conn, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	/* a "firmware_200" fault: the whole file, as servers without Range support answer */
	if (rr == NCM_RANGE_OK &&
	    ncm_faults_fire(NCM_FAULT_FIRMWARE_200, NULL, req->method, req->url, &hit))
		rr = NCM_RANGE_NONE;
	if (rr == NCM_RANGE_NONE) {
		first = 0;
		last = total ? total - 1 : 0;
	}
	len = total ? last - first + 1 : 0;
	/* HEAD too: libmicrohttpd sends a HEAD answer's headers (Content-Length included) and
	 * leaves the body out itself */
	corrupt = ncm_faults_fire(NCM_FAULT_FIRMWARE_CORRUPT, NULL, req->method, req->url, &hit);
	if (ncm_faults_fire(NCM_FAULT_FIRMWARE_RESET, NULL, req->method, req->url, &hit))
		cut = (uint64_t)hit.at_byte;
	if (strcmp(req->method, "HEAD") &&
	    ncm_faults_fire(NCM_FAULT_FIRMWARE_STALL, NULL, req->method, req->url, &hit)) {
		stall_at = (uint64_t)hit.at_byte;
		stall_ms = hit.delay_ms;
	}
	if (!corrupt && cut == UINT64_MAX && stall_at == UINT64_MAX && len <= SMALL_RANGE &&
	    strcmp(req->method, "HEAD")) {
		resp = small_response(f, first, len);
		ncm_fwcache_release(f);
		if (!resp)
			return MHD_NO;
	} else {
		/* the answer owns its descriptor (libmicrohttpd closes it); reads are by offset,
		 * so a duplicate of the shared one serves */
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		ncm_fwcache_release(f);
		if (fd < 0)
			return MHD_NO;
		if (corrupt || cut != UINT64_MAX || stall_at != UINT64_MAX)
			resp = spoilt_response(req, fd, first, len, cut, corrupt, stall_at,
					       stall_ms);
		else if (!(resp = MHD_create_response_from_fd_at_offset64(len, fd, first)))
			close(fd);
		if (!resp)
			return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	status = MHD_HTTP_OK;
	if (rr == NCM_RANGE_OK) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
			 total);
		MHD_add_response_header(resp, "content-range", cr);
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	req->status = (int)status;
	req->sent_bytes = strcmp(req->method, "HEAD") ? len : 0;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
