/* SPDX-License-Identifier: MIT
 * auth.h: bearer authentication of REST requests (docs/protocol-rest.md#authentication, docs/protocol-rest.md#compatibility-checklist item 2).
 */
#ifndef NCM_HTTP_AUTH_H
#define NCM_HTTP_AUTH_H

#include <openssl/evp.h>

#include "request.h"

/* Authenticates req for its route. On success fills req->auth and returns 1. Otherwise answers
 * 401 (no, malformed, unverifiable, expired or unknown credentials) or 403 (valid credentials
 * of a kind the route does not take, or a device JWT for another device), always with nRF
 * code 40100 and the exact reason, journals "http.auth_refused", sets *ret and returns 0. */
int ncm_auth_check(struct ncm_req *req, enum MHD_Result *ret);

/* "API key", "device JWT", "service-key JWT", "evaluation token" (one enum ncm_auth_scheme
 * bit), or "credential". */
const char *ncm_auth_scheme_name(unsigned scheme);

/* The team's service key (EC P-256) or NULL; a new reference the caller frees. */
EVP_PKEY *ncm_auth_service_key(void);

#endif
