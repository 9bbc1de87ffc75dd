/* SPDX-License-Identifier: MIT
 * daemon.c: the two libmicrohttpd listeners and the access handler that reads bodies (with a
 * per-route cap), finds the route and calls its handler. HTTPS uses the lab server certificate;
 * its TLS floor is 1.2 with the CBC suites the nRF91 modem needs (docs/protocol-mqtt.md#tls).
 * Threads are started with every signal blocked, so the broker's signal handlers stay the only
 * ones (docs/architecture.md#mosquitto-facts-that-shape-the-code).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "answercache.h"
#include "auth.h"
#include "ca.h"
#include "faults.h"
#include "file.h"
#include "fwcache.h"
#include "http.h"
#include "keycache.h"
#include "log.h"
#include "portal.h"
#include "reqcheck.h"
#include "request.h"
#include "runtime.h"
#include "tokcache.h"
#include "utf8.h"
#include "waiters.h"
#include "jsontext.h"

#define HTTPS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define THREADS 4
#define DRAIN_MAX (16u * 1024 * 1024)

static struct MHD_Daemon *https_daemon, *admin_daemon;

struct listener {
	int is_admin;
	const struct ncm_route *routes;
	size_t n_routes;
};

static struct listener https_listener, admin_listener;

/* What the URI log callback found in a raw path: its return value becomes the request's first
 * con_cls, so these two markers (never freed) or NULL. Nothing is allocated there: libmicrohttpd
 * calls the completion callback only for requests that reached the access handler. */
static char bad_nul, bad_utf8;

static void req_free(struct ncm_req *req)
{
	ncm_req_forget(req);
	ncm_req_free_params(req);
	if (req->async_free)
		req->async_free(req->async);
	json_decref(req->result);
	free(req->body);
	free(req->answer);
	free(req);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	json_t *args = cls;

	(void)kind;
	json_object_set_new(args, key, value ? json_string(value) : json_null());
	return MHD_YES;
}

/* A body as the journal keeps it: JSON when it parses, else the text when it is short UTF-8
 * text, else nothing (binary uploads and downloads). */
static json_t *body_json(const char *text, size_t len)
{
	json_t *j;

	if (!text || !len || len > NCM_JOURNAL_BODY_MAX)
		return NULL;
	j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	if (!j && ncm_utf8_valid(text, len))
		j = json_stringn(text, len);
	return j;
}

/* Keys whose values are secrets in answers (service key, account device key, tokens): they
 * never go into the journal. */
static const char *const secret_keys[] = { "key", "privateKey", "token" };

static void redact(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			redact(v);
		return;
	}
	json_object_foreach(j, k, v) {
		for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
			if (!strcmp(k, secret_keys[i]) && json_is_string(v))
				json_string_set(v, "<redacted>");
		redact(v);
	}
}

/* The answer as the journal keeps it: as written, unless it carries a secret (then parsed,
 * redacted and written again). malloc'd, or NULL. */
static char *journal_answer(const char *text, size_t len)
{
	json_t *j;
	char *out;
	size_t i;
	int secret = 0;

	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		char quoted[32];

		snprintf(quoted, sizeof(quoted), "\"%s\"", secret_keys[i]);
		secret |= strstr(text, quoted) != NULL;
	}
	if (!secret)
		return strndup(text, len);
	j = json_loadb(text, len, 0, NULL);
	redact(j);
	out = j ? ncm_json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

/* The details of a REST request for the journal (and for replay, which repeats a device's
 * calls): the scheme it authenticated with, its time, query arguments and JSON bodies.
 * Credentials never go in. */
static char *request_details(struct ncm_req *req)
{
	json_t *o = json_pack("{s:I}", "ms", (json_int_t)(ncm_rt_now_ms() - req->start_ms));
	json_t *args = json_object(), *v;
	char *text, *answer;

	if (req->auth.scheme)
		json_object_set_new(o, "auth", json_string(ncm_auth_scheme_name(req->auth.scheme)));
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, args);
	if (json_object_size(args))
		json_object_set(o, "query", args);
	json_decref(args);
	if ((v = body_json(req->body, req->body_len)))
		json_object_set_new(o, "request", v);
	text = ncm_json_dumps(o, JSON_COMPACT);
	json_decref(o);
	/* the answer is JSON this server wrote (response.c keeps only those): spliced in as it
	 * is rather than parsed and written again, which cost a fifth of GET throughput */
	answer = text && req->answer && req->answer_len
			 ? journal_answer(req->answer, req->answer_len) : NULL;
	if (answer) {
		size_t n = strlen(text), a = strlen(answer);
		char *all = malloc(n + a + 16);

		if (all) {
			memcpy(all, text, n - 1);
			memcpy(all + n - 1, ",\"response\":", 12);
			memcpy(all + n + 11, answer, a);
			memcpy(all + n + 11 + a, "}", 2);
		}
		free(text);
		text = all;
	}
	free(answer);
	return text;
}

/* Journals REST traffic (not the admin API, which tests poll) when a request completes. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ncm_req *req = *con_cls;
	struct ncm_journal_rec rec = { 0 };
	char what[512], *details;

	(void)cls;
	(void)conn;
	if (!req || (void *)req == &bad_nul || (void *)req == &bad_utf8)
		return;
	ncm_portal_count_http(req);
	if (!req->is_admin) {
		snprintf(what, sizeof(what), "%s %s", req->method, req->url);
		details = request_details(req);
		rec.kind = "http.request";
		rec.topic = what;
		rec.status = req->status;
		if (req->auth.scheme == NCM_AUTH_DEVICE_JWT)
			rec.device = req->auth.device_id;
		rec.payload = details;
		rec.payload_len = details ? strlen(details) : 0;
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
			rec.reason = "connection closed before the response was sent";
		ncm_rt_journal(&rec);
		free(details);
	}
	req_free(req);
	*con_cls = NULL;
}

static enum MHD_Result dispatch(struct listener *l, struct ncm_req *req);

/* The admin API is plain HTTP without CORS, often without a token: a web page the lab user
 * opens could make the browser send it requests (a "simple" cross-site POST with text/plain,
 * or DNS rebinding to a name of the page's choosing). So, unless the request carries the admin
 * token: Host must name loopback (not checked with --admin-insecure, which serves other hosts
 * on purpose), an Origin must be a loopback one, and a write with a body must say it is JSON,
 * which a browser sends cross-site only after a CORS preflight this server never grants. */
static int admin_request_allowed(struct ncm_req *req, enum MHD_Result *ret)
{
	const struct ncm_config *cfg = &ncm_rt()->cfg;
	const char *host = ncm_req_header(req, MHD_HTTP_HEADER_HOST);
	const char *origin = ncm_req_header(req, "Origin");
	const char *ct = ncm_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	int write = strcmp(req->method, "GET") && strcmp(req->method, "HEAD");

	if (cfg->admin_token[0])
		return 1; /* every route but /health checks the token; /health only reads */
	if (!cfg->admin_insecure && (!host || !ncm_reqcheck_loopback_host(host))) {
		*ret = ncm_reply_error(req, MHD_HTTP_FORBIDDEN, 40300,
				       "admin API answers only Host names of loopback "
				       "(localhost, 127.0.0.1, [::1]); set --admin-token to "
				       "serve others");
		return 0;
	}
	if (origin && !ncm_reqcheck_loopback_origin(origin)) {
		*ret = ncm_reply_error(req, MHD_HTTP_FORBIDDEN, 40300,
				       "admin API refuses cross-site requests (Origin is not a "
				       "loopback one)");
		return 0;
	}
	if (write && req->body_len && !ncm_reqcheck_json_type(ct)) {
		*ret = ncm_reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, 41500,
				       "admin API writes take Content-Type: application/json "
				       "(or the admin token)");
		return 0;
	}
	return 1;
}

/* The path as the client sent it, before libmicrohttpd decodes it (the URI log callback runs
 * first): a %00 would cut the decoded path short ("app.bin%00.txt" reads as "app.bin") and
 * bytes that are not UTF-8 cannot go into a JSON answer or the journal. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	switch (ncm_reqcheck_raw_path(uri)) {
	case NCM_PATH_NUL: return &bad_nul;
	case NCM_PATH_NOT_UTF8: return &bad_utf8;
	default: return NULL;
	}
}

/* A REST request held back by a "rest_delay" fault: a waiter whose pattern matches no record,
 * so the broker tick wakes it at its deadline without tying up an HTTP thread. */
struct delay_ctx {
	struct ncm_waiter w;
	struct ncm_req *req;
};

#define NO_RECORD_KIND "\001 fault delay"

static void delay_free(void *p)
{
	struct delay_ctx *d = p;

	ncm_waiters_remove(&d->w);
	free(d);
}

static void delay_woke(struct ncm_waiter *w, json_t *record)
{
	struct delay_ctx *d = w->userdata;

	json_decref(record);
	ncm_req_resume(d->req);
}

static enum MHD_Result delay_over(struct ncm_req *req)
{
	req->async_free(req->async);
	req->async = NULL;
	req->async_free = NULL;
	return dispatch(&https_listener, req);
}

static enum MHD_Result delay(struct ncm_req *req, int delay_ms)
{
	struct delay_ctx *d = calloc(1, sizeof(*d));

	if (!d)
		return MHD_NO;
	d->req = req;
	d->w.pattern.kind = NO_RECORD_KIND;
	d->w.deadline_ms = ncm_rt_now_ms() + delay_ms;
	d->w.wake = delay_woke;
	d->w.userdata = d;
	req->async = d;
	req->async_free = delay_free;
	ncm_req_suspend(req, delay_over);
	ncm_waiters_add(&d->w);
	return MHD_YES;
}

/* Injected REST faults (POST /mock/v1/faults): a delay first, then a closed connection or a
 * status, each at most once per request. 0 when none applies. */
static int inject(struct ncm_req *req, enum MHD_Result *ret)
{
	struct ncm_fault_hit hit;

	if (req->is_admin || req->fault_stage >= 2)
		return 0;
	if (req->fault_stage == 0) {
		req->fault_stage = 1;
		if (ncm_faults_fire(NCM_FAULT_REST_DELAY, NULL, req->method, req->url, &hit)) {
			*ret = delay(req, hit.delay_ms);
			return 1;
		}
	}
	req->fault_stage = 2;
	if (ncm_faults_fire(NCM_FAULT_REST_CLOSE, NULL, req->method, req->url, &hit)) {
		req->status = 0;
		*ret = MHD_NO; /* libmicrohttpd closes the connection */
		return 1;
	}
	if (!ncm_faults_fire(NCM_FAULT_REST_STATUS, NULL, req->method, req->url, &hit))
		return 0;
	*ret = ncm_reply_error(req, (unsigned int)hit.status, hit.code, "%s",
			       hit.message[0] ? hit.message : "fault injected");
	return 1;
}

/* Routing errors first (a body sent to a path that takes none is not "too large"), then the
 * body cap, then the handler. */
static enum MHD_Result dispatch(struct listener *l, struct ncm_req *req)
{
	char allowed[128];
	enum MHD_Result ret;

	if (inject(req, &ret))
		return ret;
	if (!req->route) {
		req->route = ncm_route_find(l->routes, l->n_routes, req->method, req->url, req,
					    allowed, sizeof(allowed));
		if (!req->route && allowed[0])
			return ncm_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, 40000,
					       "method %s not allowed for %s; use %s", req->method,
					       req->url, allowed);
		if (!req->route)
			return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420,
					       "resource not found: %s %s", req->method, req->url);
	}
	/* every handler below may use the thread's database connection; /health never does */
	if (!(req->is_admin && !strcmp(req->url, "/health")) && !ncm_rt_db()) {
		ncm_log(NCM_LOG_ERR, "http: %s %s answered 503: no database connection on this "
			"thread (out of file descriptors?)", req->method, req->url);
		return ncm_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, 50300,
				       "service unavailable: the server is out of resources; "
				       "retry later");
	}
	if (req->is_admin && !admin_request_allowed(req, &ret))
		return ret;
	if (!req->is_admin && req->route->auth != NCM_AUTH_NONE) {
		if (!ncm_auth_check(req, &ret))
			return ret;
	}
	if (req->body_too_big)
		return ncm_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, 40000,
				       "request body larger than %zu bytes", req->body_max);
	return req->route->handler(req);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct listener *l = cls;
	struct ncm_req *req = *con_cls;
	const char *cl;
	char allowed[128];

	(void)version;
	if (!req || (void *)req == &bad_nul || (void *)req == &bad_utf8) {
		int bad = !req ? 0 : (void *)req == &bad_nul ? 1 : 2;

		*con_cls = NULL;
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->bad_path = bad;
		req->conn = conn;
		req->method = method;
		req->url = url;
		req->is_admin = l->is_admin;
		req->start_ms = ncm_rt_now_ms();
		*con_cls = req;
		if (req->bad_path) {
			req->url = req->bad_path == 1 ? "(path with %00)" : "(path not UTF-8)";
			return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000, "%s",
					       req->bad_path == 1
						       ? "a NUL (%00) is not allowed in a path"
						       : "the path is not valid UTF-8 once "
							 "percent-decoded");
		}
		req->route = ncm_route_find(l->routes, l->n_routes, method, url, req, allowed,
					    sizeof(allowed));
		req->body_max = req->route ? req->route->max_body : 0;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		/* a body over the route's cap is read and dropped before the 413, up to
		 * DRAIN_MAX: answering while the client still sends makes the close a reset, and
		 * the client may never see the answer; past DRAIN_MAX it is answered at once */
		if (req->route && cl && strtoull(cl, NULL, 10) > req->body_max) {
			req->body_too_big = 1;
			if (strtoull(cl, NULL, 10) > DRAIN_MAX)
				return dispatch(l, req);
		}
		return MHD_YES;
	}
	if (req->suspended) {
		req->suspended = 0;
		return req->on_resume(req);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (!req->route)
			return MHD_YES; /* answered 404 or 405 once the body is read */
		if (req->body_too_big || req->body_len + n > req->body_max) {
			req->body_too_big = 1;
			return MHD_YES;
		}
		char *grown = realloc(req->body, req->body_len + n + 1);

		if (!grown)
			return MHD_NO;
		req->body = grown;
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (!req->body) {
		req->body = strdup("");
		if (!req->body)
			return MHD_NO;
	}
	return dispatch(l, req);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	ncm_log(NCM_LOG_WARNING, "http: %s", buf);
}

/* Parses "a.b.c.d" or an IPv6 literal into addr. */
static int parse_bind(const char *bind, int port, struct sockaddr_storage *addr, int *v6)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
	return -1;
}

static struct MHD_Daemon *start(struct listener *l, const char *bind, int port, const char *cert,
				const char *key, struct ncm_err_info *err)
{
	struct sockaddr_storage addr;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const struct ncm_config *cfg = &ncm_rt()->cfg;
	unsigned int limit = (unsigned int)(l->is_admin ? cfg->admin_max_conn : cfg->https_max_conn);
	unsigned int per_ip = l->is_admin ? 0 : (unsigned int)cfg->https_max_per_ip;
	struct MHD_Daemon *d;
	int v6;

	if (parse_bind(bind, port, &addr, &v6)) {
		ncm_err_set(err, NCM_ERR_INVAL, "http: bind address '%s' is not an IP address",
			    bind);
		return NULL;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, access_handler, l,
			     MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->http_timeout,
			     /* libmicrohttpd's default is FD_SETSIZE - 4 (1020) whatever the
			      * polling; split evenly over the pool's threads */
			     MHD_OPTION_CONNECTION_LIMIT, limit < THREADS ? THREADS : limit,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
			     MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
			     MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_HTTPS_PRIORITIES, HTTPS_PRIORITIES,
			     MHD_OPTION_END);
	if (!d)
		ncm_err_set(err, NCM_ERR_IO, "http: cannot listen on %s port %d", bind, port);
	return d;
}

static int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

int ncm_http_start(struct ncm_err_info *err)
{
	const struct ncm_runtime *rt = ncm_rt();
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	char *cert = NULL, *key = NULL;
	sigset_t all, old;
	int rc;

	https_listener = (struct listener){ 0, ncm_rest_routes, ncm_rest_routes_count };
	admin_listener = (struct listener){ 1, ncm_admin_routes, ncm_admin_routes_count };
	ncm_ca_path(rt->cfg.data_dir, "server.pem", cert_path, sizeof(cert_path));
	ncm_ca_path(rt->cfg.data_dir, "server.key", key_path, sizeof(key_path));
	rc = ncm_file_read(cert_path, NCM_CA_MAX_PEM, &cert, NULL, err);
	if (!rc)
		rc = ncm_file_read(key_path, NCM_CA_MAX_PEM, &key, NULL, err);
	if (rc)
		goto out;
	/* one connection per worker thread, opened while file descriptors are free */
	rc = ncm_rt_db_prepare(2 * THREADS, err);
	if (rc)
		goto out;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	https_daemon = start(&https_listener, rt->cfg.https_bind, rt->cfg.https_port, cert, key,
			     err);
	if (https_daemon)
		admin_daemon = start(&admin_listener, rt->cfg.admin_bind, rt->cfg.admin_port,
				     NULL, NULL, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!https_daemon || !admin_daemon) {
		ncm_http_stop();
		rc = err ? err->code : NCM_ERR_IO;
		goto out;
	}
	ncm_rt_set_https_port(bound_port(https_daemon));
	ncm_rt_set_admin_port(bound_port(admin_daemon));
out:
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	free(cert);
	return rc;
}

void ncm_http_load(struct ncm_http_load *out)
{
	const union MHD_DaemonInfo *i;

	memset(out, 0, sizeof(*out));
	out->https_max = ncm_rt()->cfg.https_max_conn;
	out->admin_max = ncm_rt()->cfg.admin_max_conn;
	if (https_daemon &&
	    (i = MHD_get_daemon_info(https_daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)))
		out->https = (int)i->num_connections;
	if (admin_daemon &&
	    (i = MHD_get_daemon_info(admin_daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)))
		out->admin = (int)i->num_connections;
}

void ncm_http_stop(void)
{
	ncm_req_resume_all();
	if (admin_daemon)
		MHD_stop_daemon(admin_daemon);
	if (https_daemon)
		MHD_stop_daemon(https_daemon);
	admin_daemon = https_daemon = NULL;
	ncm_keycache_clear();
	ncm_fwcache_clear();
	ncm_tokcache_clear();
	ncm_answercache_clear();
}
