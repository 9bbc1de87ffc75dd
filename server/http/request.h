/* SPDX-License-Identifier: MIT
 * request.h: one HTTP request as handlers see it, the route table type and reply helpers.
 * A request lives on one MHD thread at a time; handlers may suspend it and have another thread
 * resume it (ncm_req_suspend / ncm_req_resume), to wait for the broker thread.
 */
#ifndef NCM_HTTP_REQUEST_H
#define NCM_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#define NCM_ROUTE_MAX_PARAMS 4
/* Request and answer bodies larger than this are left out of the journal. */
#define NCM_JOURNAL_BODY_MAX (64 * 1024)

struct ncm_req;
typedef enum MHD_Result (*ncm_handler)(struct ncm_req *req);

/* Bearer schemes a REST route accepts (docs/protocol-rest.md#authentication, SPEC per-operation lists). */
enum ncm_auth_scheme {
	NCM_AUTH_NONE = 0,          /* public (admin routes have their own token) */
	NCM_AUTH_API_KEY = 1,       /* "Simple Token" */
	NCM_AUTH_DEVICE_JWT = 2,    /* ES256 JWT of a device */
	NCM_AUTH_SERVICE_JWT = 4,   /* ES256 JWT with aud = team, signed by the service key */
	NCM_AUTH_EVAL_TOKEN = 8,    /* the team's service evaluation token */
};

struct ncm_route {
	const char *method;   /* "GET", "POST", ... */
	const char *pattern;  /* "/mock/v1/devices/{id}": {name} matches one non-empty segment */
	ncm_handler handler;
	size_t max_body;      /* 0: no body allowed beyond 0 bytes */
	unsigned auth;        /* enum ncm_auth_scheme bits; NCM_AUTH_NONE: no bearer check */
	int device_param;     /* 1-based index of the {param} holding a device ID that a device
			       * JWT must name; 0: none */
	/* What GET /v1/openapi.json says of the route (rest_openapi.c); NULL on admin routes.
	 * op_id is nRF Cloud's operationId where nRF Cloud has the operation. */
	const char *op_id;
	const char *tag;      /* the family ("Account", "Devices", ...) */
	const char *summary;
	int mock_only;        /* 1: not an nRF Cloud operation (files, the older account device) */
};

/* Who a request authenticated as (filled before the handler runs). */
struct ncm_req_auth {
	unsigned scheme;                 /* one enum ncm_auth_scheme bit, 0 when none */
	char device_id[136];             /* device JWT: its device; service JWT: its sub, if any */
};

struct ncm_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;                        /* path, without the query string */
	const struct ncm_route *route;
	char *params[NCM_ROUTE_MAX_PARAMS];     /* URL-decoded {name} segments, in order */
	size_t n_params;
	char *body;                             /* NUL-terminated */
	size_t body_len;
	size_t body_max;
	int body_too_big;
	int is_admin;
	int64_t start_ms;
	int status;                             /* what was answered, for the journal */
	int journaled;                          /* its http.request record is written */
	int suspended;
	int susp_linked;                        /* on the suspended list (response.c) */
	struct ncm_req *susp_prev, *susp_next;
	int fault_stage;                        /* injected faults: 0 none checked, 1 delay, 2 all */
	ncm_handler on_resume;                  /* called when a suspended request resumes */
	void *async;                            /* handler's state across a suspension */
	void (*async_free)(void *async);
	json_t *result;                         /* a handler's answer kept across a suspension */
	struct ncm_req_auth auth;
	int pub_total, pub_done, pub_failed;    /* broker publishes waited for (admin.h) */
	char *answer;                           /* a copy of a JSON answer, for the journal */
	size_t answer_len;
	uint64_t sent_bytes;                    /* body bytes answered (data usage) */
	int bad_path;                           /* raw path: 1 has %00, 2 is not UTF-8 */
};

/* Route lookup: the route whose pattern matches url and method. When the path matches only
 * under other methods, *allowed gets them ("GET, DELETE") and NULL is returned. */
const struct ncm_route *ncm_route_find(const struct ncm_route *routes, size_t n, const char *method,
				       const char *url, struct ncm_req *req, char *allowed,
				       size_t allowed_size);

/* Frees the captured path parameters. */
void ncm_req_free_params(struct ncm_req *req);

/* Replies. Each queues the response and returns what the handler must return. */
enum MHD_Result ncm_reply_json(struct ncm_req *req, unsigned int status, json_t *body /* stolen */);
enum MHD_Result ncm_reply_text(struct ncm_req *req, unsigned int status, const char *content_type,
			       const char *text);
/* nRF Cloud's error body {"code":<nRF code>,"message":...} (docs/protocol-rest.md#errors). */
enum MHD_Result ncm_reply_error(struct ncm_req *req, unsigned int status, int nrf_code,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Query parameter, or NULL. */
const char *ncm_req_query(struct ncm_req *req, const char *name);
/* Request header, or NULL. */
const char *ncm_req_header(struct ncm_req *req, const char *name);

/* Suspends the request; the handler returns MHD_YES and on_resume runs after ncm_req_resume. */
void ncm_req_suspend(struct ncm_req *req, ncm_handler on_resume);
/* Any thread. */
void ncm_req_resume(struct ncm_req *req);
/* Drops a request that ends while suspended from the list ncm_req_resume_all walks. */
void ncm_req_forget(struct ncm_req *req);
/* Before stopping the listeners: resumes every suspended request, and makes later suspensions
 * resume at once. */
void ncm_req_resume_all(void);

/* The route tables. */
extern const struct ncm_route ncm_admin_routes[];
extern const size_t ncm_admin_routes_count;
extern const struct ncm_route ncm_rest_routes[];
extern const size_t ncm_rest_routes_count;

#endif
