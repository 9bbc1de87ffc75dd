/* SPDX-License-Identifier: MIT
 * jsonata.h: the subset of JSONata that devices and tools send as shadow transforms (G3
 * <id>/shadow/get/tf, docs/protocol-mqtt.md#the-shadow-get-reply; REST ?transform=): field paths (state.desired.config,
 * with `backtick quoted` names), object constructors ({"key": expr, ...}), array constructors
 * ([expr, ...]), string literals ("..." or '...', with JSON escapes), number literals, and the
 * literals true, false and null. Anything else (functions, operators, predicates, wildcards,
 * variables, ...) is an error that names what is not supported and where. The evaluator is
 * pure, bounded (input length, nesting depth) and never crashes or loops. Any thread.
 */
#ifndef NCM_JSONATA_H
#define NCM_JSONATA_H

#include <stddef.h>

#include <jansson.h>

#define NCM_JSONATA_MAX_LEN 4096   /* longest expression accepted */
#define NCM_JSONATA_MAX_DEPTH 32   /* deepest nesting of constructors */

struct ncm_jsonata_error {
	int code;          /* 1 syntax error, 2 unsupported feature, 3 too long or too deep */
	size_t position;   /* 1-based character position of the problem, as JSONata reports */
	char message[256]; /* e.g. "function calls ($string) are not supported" */
};

/* Evaluates expr against input (borrowed). On success returns a new reference to the result
 * (a path that matches nothing yields NULL with err->code == 0: JSONata's "undefined"; an
 * object constructor leaves out keys whose value is undefined, as JSONata does). On error
 * returns NULL with err filled (err->code != 0). */
json_t *ncm_jsonata_eval(const char *expr, size_t len, const json_t *input,
			 struct ncm_jsonata_error *err);

/* {"err":code,"position":position,"message":message}: the error object devices receive
 * (docs/protocol-mqtt.md#the-shadow-get-reply, docs/protocol-mqtt.md#error-replies). New reference. */
json_t *ncm_jsonata_error_json(const struct ncm_jsonata_error *err);

#endif
