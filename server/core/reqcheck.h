/* SPDX-License-Identifier: MIT
 * reqcheck.h: checks on an HTTP request's raw parts, before any handler (docs/limits.md#paths,
 * docs/limits.md#admin-api): a path as sent (before percent-decoding), Host and Origin values,
 * and whether a Content-Type is JSON.
 */
#ifndef NCM_REQCHECK_H
#define NCM_REQCHECK_H

enum ncm_raw_path {
	NCM_PATH_OK = 0,
	NCM_PATH_NUL,        /* %00 (or a raw NUL) somewhere in the path */
	NCM_PATH_NOT_UTF8,   /* the decoded path is not UTF-8 */
};

/* Looks at uri's path (up to '?' or '#') once percent-decoded. */
enum ncm_raw_path ncm_reqcheck_raw_path(const char *uri);

/* 1 when a Host value names this machine's loopback: "localhost", 127.0.0.0/8 or "[::1]",
 * any case, with or without a port and a trailing dot. */
int ncm_reqcheck_loopback_host(const char *host);

/* 1 when an Origin value is "<scheme>://<loopback host>[:port]" ("null" is not). */
int ncm_reqcheck_loopback_origin(const char *origin);

/* 1 for application/json and application/<x>+json, with any parameters. */
int ncm_reqcheck_json_type(const char *content_type);

#endif
