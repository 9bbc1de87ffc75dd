/* SPDX-License-Identifier: MIT
 * jsonata.h: JSONata, the query and transformation language nRF Cloud evaluates for shadow
 * transforms (G3 <id>/shadow/get/tf, REST ?transform=), implemented in C after the reference
 * implementation (jsonata-js 2.0): paths, predicates, sequences, constructors, operators,
 * variables, lambdas, partial application, regexes, the standard function library. What is
 * left out and where it differs is in docs/jsonata.md. The evaluator is pure and bounded
 * (expression length, parse nesting, evaluation depth, steps, memory), so a hostile
 * expression gets an error, never a crash or a hang. Any thread.
 */
#ifndef NCM_JSONATA_H
#define NCM_JSONATA_H

#include <stddef.h>

#include <jansson.h>

#define NCM_JSONATA_MAX_LEN 4096          /* longest expression accepted */
#define NCM_JSONATA_MAX_DEPTH 64          /* deepest nesting of the expression's syntax */
#define NCM_JSONATA_MAX_EVAL_DEPTH 2000   /* deepest nesting of evaluation (recursion) */
#define NCM_JSONATA_MAX_STEPS 1000000     /* evaluation steps (nodes, items, calls) */
#define NCM_JSONATA_MAX_BYTES (16u << 20) /* memory one evaluation may use, output included */

struct ncm_jsonata_error {
	int code;          /* 1 syntax error, 2 evaluation error (incl. unsupported feature),
			    * 3 a limit (too long, too deep, too much work or memory) */
	size_t position;   /* 1-based byte position of the problem */
	char ref[8];       /* the reference implementation's code ("T2001", "S0202"), or "" */
	char message[256]; /* "<ref>: <text>", e.g. "T2001: The left side of the + operator
			    * must evaluate to a number" */
};

/* Evaluates expr against input (borrowed; NULL is no input). On success returns a new
 * reference to the result (undefined, JSONata's "no result", is NULL with err->code == 0). On
 * error returns NULL with err filled (err->code != 0). err may be NULL. */
json_t *ncm_jsonata_eval(const char *expr, size_t len, const json_t *input,
			 struct ncm_jsonata_error *err);

/* {"err":code,"position":position,"message":message}: the error object devices receive on
 * the transform topic (docs/jsonata.md#errors). New reference. */
json_t *ncm_jsonata_error_json(const struct ncm_jsonata_error *err);

#endif
