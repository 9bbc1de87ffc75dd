/* SPDX-License-Identifier: MIT
 * portal.h: the web portal on the admin listener (docs/portal.md): its static files, the REST
 * API reached through the admin token, live journal events, data usage and recording.
 */
#ifndef NCM_HTTP_PORTAL_H
#define NCM_HTTP_PORTAL_H

#include "request.h"

enum MHD_Result ncm_portal_index(struct ncm_req *req);
enum MHD_Result ncm_portal_asset(struct ncm_req *req);
enum MHD_Result ncm_portal_rest(struct ncm_req *req);
enum MHD_Result ncm_portal_instance(struct ncm_req *req);
enum MHD_Result ncm_portal_api_key_post(struct ncm_req *req);
enum MHD_Result ncm_portal_events(struct ncm_req *req);
enum MHD_Result ncm_portal_usage(struct ncm_req *req);
enum MHD_Result ncm_portal_record_get(struct ncm_req *req);
enum MHD_Result ncm_portal_record_put(struct ncm_req *req);

/* Counts a finished HTTPS request in the data usage (daemon.c, when a request completes). */
void ncm_portal_count_http(const struct ncm_req *req);

/* The largest REST body the portal forwards (a firmware ZIP), and the others (CSV uploads). */
#define NCM_PORTAL_UPLOAD_MAX (64 * 1024 * 1024)
#define NCM_PORTAL_BODY_MAX (4 * 1024 * 1024)

/* The portal's routes, for the admin route table (admin.c). /mock/v1/rest/v1/... is the REST
 * API as the team's API key reaches it, up to four segments after /v1/. */
/* /mock/v1/rest/v1/... with one to four segments, for one method */
#define NCM_PORTAL_REST_ROUTES(method, max)                                                  \
	{ method, "/mock/v1/rest/v1/{a}", ncm_portal_rest, max, NCM_AUTH_NONE, 0 },          \
	{ method, "/mock/v1/rest/v1/{a}/{b}", ncm_portal_rest, max, NCM_AUTH_NONE, 0 },      \
	{ method, "/mock/v1/rest/v1/{a}/{b}/{c}", ncm_portal_rest, max, NCM_AUTH_NONE, 0 },  \
	{ method, "/mock/v1/rest/v1/{a}/{b}/{c}/{d}", ncm_portal_rest, max, NCM_AUTH_NONE, 0 }

#define NCM_PORTAL_ROUTES \
	{ "GET", "/", ncm_portal_index, 0, NCM_AUTH_NONE, 0 }, \
	{ "GET", "/portal/{file}", ncm_portal_asset, 0, NCM_AUTH_NONE, 0 }, \
	{ "GET", "/mock/v1/instance", ncm_portal_instance, 0, NCM_AUTH_NONE, 0 }, \
	{ "POST", "/mock/v1/api-key", ncm_portal_api_key_post, 0, NCM_AUTH_NONE, 0 }, \
	{ "GET", "/mock/v1/events", ncm_portal_events, 0, NCM_AUTH_NONE, 0 }, \
	{ "GET", "/mock/v1/usage", ncm_portal_usage, 0, NCM_AUTH_NONE, 0 }, \
	{ "GET", "/mock/v1/record", ncm_portal_record_get, 0, NCM_AUTH_NONE, 0 }, \
	{ "PUT", "/mock/v1/record", ncm_portal_record_put, 4096, NCM_AUTH_NONE, 0 }, \
	NCM_PORTAL_REST_ROUTES("GET", 0), \
	NCM_PORTAL_REST_ROUTES("POST", NCM_PORTAL_UPLOAD_MAX), \
	NCM_PORTAL_REST_ROUTES("PUT", NCM_PORTAL_BODY_MAX), \
	NCM_PORTAL_REST_ROUTES("PATCH", NCM_PORTAL_BODY_MAX), \
	NCM_PORTAL_REST_ROUTES("DELETE", NCM_PORTAL_BODY_MAX),

#endif
