/* SPDX-License-Identifier: MIT
 * err.h: the error codes every layer returns, and the detail buffer that carries a complete,
 * human-readable reason up to the edge (HTTP status, MQTT refusal, CLI exit) that reports it.
 * Pure C; no dependencies.
 */
#ifndef NCM_ERR_H
#define NCM_ERR_H

#include <stddef.h>

enum ncm_err {
	NCM_OK = 0,
	NCM_ERR_NOMEM,
	NCM_ERR_INVAL,       /* malformed input */
	NCM_ERR_NOT_FOUND,
	NCM_ERR_CONFLICT,    /* already exists, or a version mismatch */
	NCM_ERR_DENIED,      /* not allowed (auth, ACL) */
	NCM_ERR_IO,          /* file system or database failure */
	NCM_ERR_UNSUPPORTED, /* well-formed but outside what we accept (key type, algorithm) */
	NCM_ERR_TOO_BIG,     /* over a size cap */
	NCM_ERR_CRYPTO,      /* OpenSSL failed for a reason that is not the input's fault */
};

/* Filled by a callee on failure; the caller decides how to report it. */
struct ncm_err_info {
	int code;
	char msg[512];
};

/* Sets info (when non-NULL) to code and the formatted message; returns code so callers can
 * write `return ncm_err_set(err, NCM_ERR_INVAL, "...")`. */
int ncm_err_set(struct ncm_err_info *info, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Short constant name of a code ("invalid input", "not found", ...). */
const char *ncm_err_str(int code);

#endif
