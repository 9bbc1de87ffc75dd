/* SPDX-License-Identifier: MIT
 * stream.h: answers written in pieces as the client reads them (libmicrohttpd's content reader),
 * so a large journal or message list never sits in memory whole (docs/limits.md#memory).
 */
#ifndef NCM_HTTP_STREAM_H
#define NCM_HTTP_STREAM_H

#include <stddef.h>

#include "request.h"

/* A growing output buffer. */
struct ncm_sbuf {
	char *p;
	size_t len, cap;
};

/* Appends n bytes; -1 when out of memory. */
int ncm_sbuf_add(struct ncm_sbuf *b, const char *s, size_t n);

/* Fills out with the next piece: 0 when more may follow, 1 when this was the last piece
 * (out may hold its last bytes), -1 on a failure (the connection is then closed early). Runs
 * on the connection's HTTP thread. */
typedef int (*ncm_stream_fill)(void *state, struct ncm_sbuf *out);

/* Queues a streamed answer of status and content_type; state (freed with free_state when the
 * answer is done or abandoned) is handed to fill. */
enum MHD_Result ncm_reply_stream(struct ncm_req *req, unsigned int status,
				 const char *content_type, ncm_stream_fill fill, void *state,
				 void (*free_state)(void *state));

#endif
