/* SPDX-License-Identifier: MIT
 * router.c: method + path pattern → handler (see request.h). Path parameters are URL-decoded
 * segments; a decoded parameter never contains '/' or a NUL, so a handler cannot be tricked into
 * another path.
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in [s, s+len) into a new string; NULL when malformed or it would hold '/' or NUL. */
static char *segment_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0) || (hi == 2 && lo == 15))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
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
			req->params[req->n_params] = segment_decode(u, len);
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

const struct ncm_route *ncm_route_find(const struct ncm_route *routes, size_t n, const char *method,
				       const char *url, struct ncm_req *req, char *allowed,
				       size_t allowed_size)
{
	size_t i, used = 0;

	if (allowed_size)
		allowed[0] = '\0';
	for (i = 0; i < n; i++) {
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
