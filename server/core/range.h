/* SPDX-License-Identifier: MIT
 * range.h: HTTP Range requests for firmware and assistance-data downloads (RFC 9110 §14,
 * docs/architecture.md#libmicrohttpd-facts, docs/fota.md#image-download): one byte range, "bytes=a-b", "a-" or "-n". Pure.
 */
#ifndef NCM_RANGE_H
#define NCM_RANGE_H

#include <stdint.h>

#include "err.h"

enum ncm_range_result {
	NCM_RANGE_NONE = 0,       /* no Range header: send the whole file, 200 */
	NCM_RANGE_OK,             /* a satisfiable range: 206 with Content-Range bytes a-b/total */
	NCM_RANGE_UNSATISFIABLE,  /* well-formed but outside the file: 416, bytes * / total */
	NCM_RANGE_INVALID,        /* malformed: 400 */
};

/* Parses header (NULL: no Range) against a file of total bytes. On NCM_RANGE_OK, *first and
 * *last are the inclusive byte positions (last clamped to total - 1, as RFC 9110 says). Rules:
 *  - unit must be "bytes" (case-insensitive), then '=', optional spaces around numbers;
 *  - "a-b" with a <= b; "a-" from a to the end; "-n" the last n bytes (n > 0; n >= total is the
 *    whole file);
 *  - a > b (reversed) is INVALID; a >= total is UNSATISFIABLE; "-0" is UNSATISFIABLE;
 *  - several ranges ("a-b,c-d") are INVALID here: multipart answers are not served, and a
 *    firmware client never asks for them (err says so);
 *  - numbers with signs, letters, overflow past 2^63, empty "bytes=" or "bytes=-" are INVALID.
 * err (may be NULL) names the problem for the 400/416 body. */
enum ncm_range_result ncm_range_parse(const char *header, uint64_t total, uint64_t *first,
				      uint64_t *last, struct ncm_err_info *err);

#endif
