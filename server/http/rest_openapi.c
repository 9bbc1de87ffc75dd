/* SPDX-License-Identifier: MIT
 * rest_openapi.c: GET /v1/openapi.json (FetchOpenApiSpec; docs/protocol-rest.md#rest-surface):
 * this server's own OpenAPI 3 document, made from the route table (rest.c) so it lists
 * exactly what the mock answers: each route's path, method, operationId (nRF Cloud's where
 * nRF Cloud has the operation), family tag, summary, path parameters and the bearer schemes
 * it accepts. Routes that are not nRF Cloud operations carry "x-mock-only": true.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rest_common.h"
#include "runtime.h"

/* Security requirements of an auth mask: nRF Cloud's scheme names, "Simple Token" (API key),
 * "JSON Web Token" (device and service-key JWTs) and "Service Evaluation Token" (SPEC README
 * and the generated APIs' Authorization sections). */
static json_t *security(unsigned auth)
{
	json_t *a = json_array();

	if (auth & NCM_AUTH_API_KEY)
		json_array_append_new(a, json_pack("{s:[]}", "Simple Token"));
	if (auth & (NCM_AUTH_DEVICE_JWT | NCM_AUTH_SERVICE_JWT))
		json_array_append_new(a, json_pack("{s:[]}", "JSON Web Token"));
	if (auth & NCM_AUTH_EVAL_TOKEN)
		json_array_append_new(a, json_pack("{s:[]}", "Service Evaluation Token"));
	return a;
}

/* Which JWTs: "device" and/or "service" (the mock tells them apart; nRF Cloud's one scheme
 * name covers both). */
static json_t *jwt_kinds(unsigned auth)
{
	json_t *a = json_array();

	if (auth & NCM_AUTH_DEVICE_JWT)
		json_array_append_new(a, json_string("device"));
	if (auth & NCM_AUTH_SERVICE_JWT)
		json_array_append_new(a, json_string("service"));
	return a;
}

/* The {name} parameters of a pattern. */
static json_t *path_params(const char *pattern)
{
	json_t *a = json_array();
	const char *p = pattern;

	while ((p = strchr(p, '{'))) {
		const char *e = strchr(p, '}');
		char name[64];

		if (!e)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", name, "in",
						   "path", "required", 1, "schema", "type",
						   "string"));
		p = e + 1;
	}
	return a;
}

static void lower(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
}

json_t *ncm_rest_openapi(void);

/* The document (new reference). */
json_t *ncm_rest_openapi(void)
{
	json_t *paths = json_object(), *doc;
	char base[300];
	size_t i;

	for (i = 0; i < ncm_rest_routes_count; i++) {
		const struct ncm_route *r = &ncm_rest_routes[i];
		json_t *item = json_object_get(paths, r->pattern), *op, *sec;
		char method[16];

		if (!item) {
			item = json_object();
			json_object_set_new(paths, r->pattern, item);
		}
		lower(r->method, method, sizeof(method));
		sec = security(r->auth);
		op = json_pack("{s:s,s:s,s:[s],s:o,s:o,s:{s:{s:s}}}", "operationId",
			       r->op_id ? r->op_id : "", "summary", r->summary ? r->summary : "",
			       "tags", r->tag ? r->tag : "Other", "parameters",
			       path_params(r->pattern), "security", sec, "responses", "default",
			       "description", "nRF Cloud's answer; errors are {\"code\",\"message\"}");
		if (r->auth & (NCM_AUTH_DEVICE_JWT | NCM_AUTH_SERVICE_JWT))
			json_object_set_new(op, "x-jwt", jwt_kinds(r->auth));
		if (r->mock_only)
			json_object_set_new(op, "x-mock-only", json_true());
		json_object_set_new(item, method, op);
	}
	ncm_rest_base_url(base, sizeof(base));
	doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:{s:{s:{s:s,s:s},s:{s:s,s:s,s:s},"
			"s:{s:s,s:s}}}}",
			"openapi", "3.0.3", "info", "title", "nrfcloud-mock REST API", "version",
			NCM_VERSION, "description",
			"What this nRF Cloud stand-in answers, made from its route table.",
			"servers", "url", base, "paths", paths, "components", "securitySchemes",
			"Simple Token", "type", "http", "scheme", "bearer", "JSON Web Token", "type",
			"http", "scheme", "bearer", "bearerFormat", "JWT",
			"Service Evaluation Token", "type", "http", "scheme", "bearer");
	return doc;
}

enum MHD_Result ncm_rest_openapi_get(struct ncm_req *req)
{
	json_t *doc = ncm_rest_openapi();

	if (!doc)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010,
				       "cannot build the document");
	return ncm_reply_json(req, MHD_HTTP_OK, doc);
}
