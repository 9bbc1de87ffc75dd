/* SPDX-License-Identifier: MIT
 * http.h: the libmicrohttpd side of the plugin: the HTTPS listener (REST /v1, firmware files)
 * and the plain-HTTP admin listener (/health, /mock/v1). Never includes server/mqtt: it reaches
 * the broker only through runtime/cmdq.h.
 */
#ifndef NCM_HTTP_H
#define NCM_HTTP_H

#include "err.h"

/* Starts both listeners with the runtime's settings and records their ports in the runtime.
 * Call from plugin init (after the runtime is set up). */
int ncm_http_start(struct ncm_err_info *err);
/* Stops both; safe to call when they never started. */
void ncm_http_stop(void);

/* Connections open now on each listener and their caps (for /health). */
struct ncm_http_load {
	int https, https_max, admin, admin_max;
};
void ncm_http_load(struct ncm_http_load *out);

#endif
