/* SPDX-License-Identifier: MIT
 * portal.c: the web portal on the admin listener (docs/portal.md). Static files (HTML, CSS and
 * JavaScript modules, no build step) come from the web folder installed with the binary, or the
 * source checkout's web/ when the plugin running is the one built there. The pages read only the
 * APIs: the admin API, and the REST API through /mock/v1/rest/v1/..., which runs the REST
 * handlers themselves as the team's API key would (one source of truth). Static files need no
 * token (they hold no data); every API route behind them checks the admin token as usual.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "admin.h"
#include "file.h"
#include "portal.h"
#include "rest_common.h"
#include "runtime.h"
#include "team.h"
#include "usage.h"

#define ASSET_MAX (1024 * 1024)

static char web_dir[PATH_MAX];
static pthread_once_t web_once = PTHREAD_ONCE_INIT;

/* The installed web folder, unless the plugin running is not the installed one (a build tree):
 * then the source checkout's web/, so `./build/nrfcloud-mock serve` shows the files being
 * edited. */
static void find_web_dir(void)
{
	const char *plugin = ncm_rt()->cfg.plugin_path;
	size_t n = strlen(NCM_PLUGIN_INSTALL_DIR);
	int installed = !strncmp(plugin, NCM_PLUGIN_INSTALL_DIR, n) && plugin[n] == '/';

	if (!installed && ncm_file_exists(NCM_WEB_SRC_DIR "/index.html"))
		snprintf(web_dir, sizeof(web_dir), "%s", NCM_WEB_SRC_DIR);
	else
		snprintf(web_dir, sizeof(web_dir), "%s", NCM_WEB_DIR);
}

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
	{ ".png", "image/png" },
};

/* A file name the portal serves: letters, digits, '-', '_' and one '.' before a known
 * extension; its content type, or NULL. Nothing else on disk can be named. */
static const char *asset_type(const char *name)
{
	const char *dot = strchr(name, '.');
	size_t i;

	if (!dot || dot == name || strspn(name, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
					(size_t)(dot - name))
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

static enum MHD_Result serve_file(struct ncm_req *req, const char *name)
{
	struct MHD_Response *resp;
	const char *type = asset_type(name);
	char path[PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	enum MHD_Result ret;

	pthread_once(&web_once, find_web_dir);
	if (!type || ncm_path(path, sizeof(path), "%s/%s", web_dir, name) ||
	    ncm_file_read(path, ASSET_MAX, &data, &len, NULL))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420, "no portal file %s", name);
	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* the files change with the binary: always revalidate; nothing from other origins */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data: blob:; "
				"style-src 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	req->status = MHD_HTTP_OK;
	ret = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result ncm_portal_index(struct ncm_req *req)
{
	return serve_file(req, "index.html");
}

enum MHD_Result ncm_portal_asset(struct ncm_req *req)
{
	return serve_file(req, req->params[0]);
}

/* /mock/v1/rest/v1/... : the REST route of the rest of the path, run as the team's API key
 * (the admin token stands for the account owner, as a portal login does). The REST handler
 * answers, suspends or fails exactly as it does on the HTTPS listener. */
enum MHD_Result ncm_portal_rest(struct ncm_req *req)
{
	const char *url = req->url + strlen("/mock/v1/rest");
	const struct ncm_route *r;
	char allowed[128];

	NCM_REQUIRE_ADMIN(req);
	r = ncm_route_find(ncm_rest_routes, ncm_rest_routes_count, req->method, url, req, allowed,
			   sizeof(allowed));
	if (!r && allowed[0])
		return ncm_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, 40000,
				       "method %s not allowed for %s; use %s", req->method, url,
				       allowed);
	if (!r || !(r->auth & NCM_AUTH_API_KEY))
		return ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40420,
				       "no REST route %s %s takes an API key", req->method, url);
	if (req->body_len > r->max_body)
		return ncm_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, 40000,
				       "request body larger than %zu bytes", r->max_body);
	req->route = r;
	req->auth.scheme = NCM_AUTH_API_KEY;
	return r->handler(req);
}

/* GET /mock/v1/instance: what the Account page shows: the team, its API key, the host names
 * and the ports devices and tools connect to. */
enum MHD_Result ncm_portal_instance(struct ncm_req *req)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_team team = rt->team;
	char record_path[PATH_MAX];
	int recording;

	NCM_REQUIRE_ADMIN(req);
	/* the key as stored now: it may have been rotated since start */
	ncm_store_team_get(ncm_rt_db(), &team, NULL);
	recording = ncm_rt_record_state(record_path, sizeof(record_path));
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:i},s:{s:s,s:i},s:{s:s,s:i},"
			  "s:{s:s,s:i},s:b,s:b,s:{s:b,s:s}}",
			  "version", NCM_VERSION, "tenantId", rt->team.tenant_id, "teamName",
			  rt->team.name, "stage", rt->team.stage, "topicPrefix", rt->prefix,
			  "apiKey", team.api_key, "mqtt", "host", rt->cfg.mqtt_host, "port",
			  rt->cfg.mqtt_port, "api", "host", rt->cfg.api_host, "port",
			  ncm_rt_https_port(), "firmware", "host", rt->cfg.fota_host, "port",
			  ncm_rt_https_port(), "admin", "bind", rt->cfg.admin_bind, "port",
			  ncm_rt_admin_port(), "impersonate", rt->cfg.impersonate, "autoOnboard",
			  rt->cfg.auto_onboard, "record", "on", recording, "path", record_path));
}

/* POST /mock/v1/api-key: a new API key (40 hex digits, as the fixtures' keys) replaces the
 * team's keys; REST calls with an old one are refused from then on. */
enum MHD_Result ncm_portal_api_key_post(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	unsigned char raw[20];
	char key[41];
	size_t i;

	NCM_REQUIRE_ADMIN(req);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "no random bytes for a key");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(key + 2 * i, 3, "%02x", raw[i]);
	if (ncm_store_team_key_rotate(ncm_rt_db(), key, ncm_rt_now_ms(), &err))
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "apiKey", key));
}

/* GET /mock/v1/usage[?device=ID]: the data usage counters (usage.h). */
enum MHD_Result ncm_portal_usage(struct ncm_req *req)
{
	NCM_REQUIRE_ADMIN(req);
	return ncm_reply_json(req, MHD_HTTP_OK, ncm_usage_json(ncm_req_query(req, "device")));
}

enum MHD_Result ncm_portal_record_get(struct ncm_req *req)
{
	char path[PATH_MAX];
	int on;

	NCM_REQUIRE_ADMIN(req);
	on = ncm_rt_record_state(path, sizeof(path));
	return ncm_reply_json(req, MHD_HTTP_OK, json_pack("{s:b,s:s}", "on", on, "path", path));
}

/* PUT /mock/v1/record {"on": true|false}. */
enum MHD_Result ncm_portal_record_put(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	json_t *body, *on;
	int rc;

	NCM_REQUIRE_ADMIN(req);
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	on = json_object_get(body, "on");
	if (!json_is_boolean(on) || json_object_size(body) != 1) {
		json_decref(body);
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "body must be {\"on\": true or false}");
	}
	rc = ncm_rt_record_set(json_is_true(on), &err);
	json_decref(body);
	if (rc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	return ncm_portal_record_get(req);
}

void ncm_portal_count_http(const struct ncm_req *req)
{
	const char *device = req->auth.scheme == NCM_AUTH_DEVICE_JWT ? req->auth.device_id : NULL;

	if (req->is_admin || !req->route)
		return;
	ncm_usage_add(device, req->route->handler == ncm_files_get ? NCM_USAGE_FIRMWARE
								  : NCM_USAGE_HTTPS,
		      req->body_len, req->sent_bytes);
}
