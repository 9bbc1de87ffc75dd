/* SPDX-License-Identifier: MIT
 * isotime.h: the ISO 8601 times nRF Cloud writes and takes ("2026-12-06T10:00:00.123Z",
 * docs/protocol-rest.md#messages), read into milliseconds since 1970. Pure.
 */
#ifndef NCM_ISOTIME_H
#define NCM_ISOTIME_H

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS" with optional fractions of a second (digits past milliseconds are
 * dropped) and an optional final "Z", in UTC; -1 when s is NULL or not such a time. */
int64_t ncm_iso8601_parse_ms(const char *s);

#endif
