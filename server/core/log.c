/* SPDX-License-Identifier: MIT
 * log.c: routes ncm_log() to the installed sink (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static ncm_log_sink sink_fn;
static void *sink_ud;

void ncm_log_set_sink(ncm_log_sink sink, void *userdata)
{
	sink_fn = sink;
	sink_ud = userdata;
}

void ncm_log(enum ncm_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "notice", "warning", "error" };
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (sink_fn) {
		sink_fn(level, buf, sink_ud);
		return;
	}
	if (level == NCM_LOG_DEBUG)
		return;
	fprintf(stderr, "nrfcloud-mock: %s: %s\n", names[level], buf);
}
