/* SPDX-License-Identifier: MIT
 * reqcheck.c: checks on a request's raw parts (see reqcheck.h).
 */
#include "reqcheck.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

static int hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

enum ncm_raw_path ncm_reqcheck_raw_path(const char *uri)
{
	size_t len = strcspn(uri, "?#"), i, n = 0;
	enum ncm_raw_path rc = NCM_PATH_OK;
	char *path = malloc(len + 1);

	if (!path)
		return NCM_PATH_NOT_UTF8; /* refused rather than let through unchecked */
	for (i = 0; i < len; i++) {
		if (uri[i] == '%' && i + 2 < len && isxdigit((unsigned char)uri[i + 1]) &&
		    isxdigit((unsigned char)uri[i + 2])) {
			path[n++] = (char)(hex(uri[i + 1]) * 16 + hex(uri[i + 2]));
			i += 2;
		} else {
			path[n++] = uri[i];
		}
	}
	if (memchr(path, '\0', n))
		rc = NCM_PATH_NUL;
	else if (!ncm_utf8_valid(path, n))
		rc = NCM_PATH_NOT_UTF8;
	free(path);
	return rc;
}

int ncm_reqcheck_loopback_host(const char *host)
{
	char name[256];
	size_t n;
	const char *end;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return 0;
		n = (size_t)(end - host + 1);
	} else {
		n = strcspn(host, ":/");
	}
	if (!n || n >= sizeof(name))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	if (name[n - 1] == '.')
		name[--n] = '\0';
	if (!strcasecmp(name, "localhost") || !strcmp(name, "[::1]"))
		return 1;
	/* 127.a.b.c: four dotted numbers, the first 127 */
	{
		int parts = 0;
		const char *p = name;

		if (strncmp(name, "127.", 4))
			return 0;
		while (*p) {
			char *stop;
			long v = strtol(p, &stop, 10);

			if (stop == p || v < 0 || v > 255 || !isdigit((unsigned char)*p))
				return 0;
			parts++;
			if (!*stop)
				break;
			if (*stop != '.')
				return 0;
			p = stop + 1;
		}
		return parts == 4;
	}
}

int ncm_reqcheck_loopback_origin(const char *origin)
{
	const char *host = strstr(origin, "://");

	return host && host != origin && ncm_reqcheck_loopback_host(host + 3);
}

int ncm_reqcheck_json_type(const char *ct)
{
	size_t n;

	if (!ct)
		return 0;
	n = strcspn(ct, "; \t");
	if (n == 16 && !strncasecmp(ct, "application/json", 16))
		return 1;
	return n > 17 && !strncasecmp(ct, "application/", 12) &&
	       !strncasecmp(ct + n - 5, "+json", 5);
}
