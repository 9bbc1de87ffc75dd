/* SPDX-License-Identifier: MIT
 * err.c: error codes and the detail buffer (see err.h).
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int ncm_err_set(struct ncm_err_info *info, int code, const char *fmt, ...)
{
	va_list ap;

	if (!info)
		return code;
	info->code = code;
	va_start(ap, fmt);
	vsnprintf(info->msg, sizeof(info->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *ncm_err_str(int code)
{
	switch (code) {
	case NCM_OK: return "ok";
	case NCM_ERR_NOMEM: return "out of memory";
	case NCM_ERR_INVAL: return "invalid input";
	case NCM_ERR_NOT_FOUND: return "not found";
	case NCM_ERR_CONFLICT: return "conflict";
	case NCM_ERR_DENIED: return "denied";
	case NCM_ERR_IO: return "i/o error";
	case NCM_ERR_UNSUPPORTED: return "unsupported";
	case NCM_ERR_TOO_BIG: return "too big";
	case NCM_ERR_CRYPTO: return "crypto failure";
	}
	return "unknown error";
}
