/* SPDX-License-Identifier: MIT
 * router.c: method + path pattern → handler (see request.h). Path parameters are whole
 * segments of the (already decoded) path, so a parameter never contains '/': a handler cannot be
 * tricked into another path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

void ncm_req_free_params(struct ncm_req *req)
{
	size_t i;

	for (i = 0; i < req->n_params; i++)
		free(req->params[i]);
	req->n_params = 0;
}

/* A copy of one path segment. libmicrohttpd has already %-decoded the URL, so a segment is
 * taken as it is (decoding again would turn "%252F" into a '/'). */
static char *segment_copy(const char *s, size_t len)
{
	return strndup(s, len);
}

/* 1 when url matches pattern, with the parameters captured into req. */
static int match(const char *pattern, const char *url, struct ncm_req *req)
{
	const char *p = pattern, *u = url;

	ncm_req_free_params(req);
	while (*p && *u) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			size_t len = strcspn(u, "/");

			if (!pe || len == 0 || req->n_params == NCM_ROUTE_MAX_PARAMS)
				goto no;
			req->params[req->n_params] = segment_copy(u, len);
			if (!req->params[req->n_params])
				goto no;
			req->n_params++;
			p = pe + 1;
			u += len;
			continue;
		}
		if (*p != *u)
			goto no;
		p++;
		u++;
	}
	if (*p == '\0' && *u == '\0')
		return 1;
no:
	ncm_req_free_params(req);
	return 0;
}

static int is_api_path(const char *url)
{
	return !strncmp(url, "/v1", 3) && (url[3] == '/' || url[3] == '\0');
}

const struct ncm_route *ncm_route_find(const struct ncm_route *routes, size_t n, const char *method,
				       const char *url, struct ncm_req *req, char *allowed,
				       size_t allowed_size)
{
	size_t i, used = 0;

	if (allowed_size)
		allowed[0] = '\0';
	for (i = 0; i < n; i++) {
		/* a pattern that starts with a parameter (the firmware file route) never takes a
		 * /v1 path: an unknown /v1 path is nRF Cloud's 404, not a 405 from a file route
		 * (docs/compatibility.md#router) */
		if (!strncmp(routes[i].pattern, "/{", 2) && is_api_path(url))
			continue;
		if (!match(routes[i].pattern, url, req))
			continue;
		if (!strcmp(routes[i].method, method))
			return &routes[i];
		ncm_req_free_params(req);
		if (used < allowed_size && !strstr(allowed, routes[i].method))
			used += (size_t)snprintf(allowed + used, allowed_size - used, "%s%s",
						 used ? ", " : "", routes[i].method);
	}
	return NULL;
}
