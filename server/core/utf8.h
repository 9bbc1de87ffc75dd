/* SPDX-License-Identifier: MIT
 * utf8.h: UTF-8 validation, to tell text payloads from binary ones in the journal. Pure.
 */
#ifndef NCM_UTF8_H
#define NCM_UTF8_H

#include <stddef.h>

/* 1 when [s, s+len) is well-formed UTF-8 without NUL bytes (no overlongs, no surrogates,
 * nothing above U+10FFFF); else 0. */
int ncm_utf8_valid(const void *s, size_t len);

#endif
