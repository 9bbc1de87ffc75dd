/* SPDX-License-Identifier: MIT
 * rest.c: the REST route table of the HTTPS listener (nRF Cloud's /v1 API). Each resource
 * family has its own rest_<resource>.c; a path that is in no table gets nRF Cloud's 404 body
 * from the router (spec/rest.md §2.5).
 */
#include "request.h"

const struct ncm_route ncm_rest_routes[] = {
	{ NULL, NULL, NULL, 0 },
};
const size_t ncm_rest_routes_count = 0;
