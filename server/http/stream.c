/* SPDX-License-Identifier: MIT
 * stream.c: streamed answers (see stream.h).
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

struct stream {
	ncm_stream_fill fill;
	void *state;
	void (*free_state)(void *state);
	struct ncm_sbuf buf;
	size_t off;     /* bytes of buf already handed out */
	int done;       /* fill said the last piece is in buf */
};

int ncm_sbuf_add(struct ncm_sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *grown = realloc(b->p, cap);

		if (!grown)
			return -1;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;
	int rc;

	(void)pos;
	while (s->off == s->buf.len) {
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		s->buf.len = 0;
		s->off = 0;
		rc = s->fill(s->state, &s->buf);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->done = rc > 0;
	}
	n = s->buf.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->buf.p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->free_state)
		s->free_state(s->state);
	free(s->buf.p);
	free(s);
}

enum MHD_Result ncm_reply_stream(struct ncm_req *req, unsigned int status,
				 const char *content_type, ncm_stream_fill fill, void *state,
				 void (*free_state)(void *state))
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!s) {
		if (free_state)
			free_state(state);
		return MHD_NO;
	}
	s->fill = fill;
	s->state = state;
	s->free_state = free_state;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, reader, s,
						 stream_free);
	if (!resp) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	req->status = (int)status;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
