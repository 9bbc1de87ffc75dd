/* SPDX-License-Identifier: MIT
 * jsontext.h: JSON text as nRF Cloud (a JavaScript service) writes it: every real number in the
 * shortest form that reads back to the same double, laid out the way JavaScript's
 * Number.prototype.toString does (63.4216434, 0.1, 1e-7, 1e+21), where jansson writes 17
 * significant digits (63.421643400000001). docs/compatibility.md#numbers. Pure; any thread.
 */
#ifndef NCM_JSONTEXT_H
#define NCM_JSONTEXT_H

#include <stddef.h>

#include <jansson.h>

/* json_dumps with the same flags, then every real rewritten as ncm_json_real_text does.
 * malloc'd (free()), NULL on no memory or when json_dumps fails. */
char *ncm_json_dumps(const json_t *json, size_t flags);

/* The shortest text of v that strtod reads back to v, in JavaScript's layout; a value without
 * a fraction keeps ".0" (100.0, not 100) so the text still reads back as a real. Writes at most
 * size bytes with a NUL; returns the length it needed (as snprintf). v must be finite. */
int ncm_json_real_text(double v, char *buf, size_t size);

#endif
