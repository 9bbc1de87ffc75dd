/* SPDX-License-Identifier: MIT
 * jsonata_run.c: the mock's side of the JSONata differential test (tests/jsonata/diff.js).
 * Reads cases, one JSON object a line ({"expr": "...", "input": <JSON, absent for none>}),
 * evaluates each with ncm_jsonata_eval and prints one JSON line per case:
 * {"r": <result>}, {"u": 1} for undefined, or {"e": "<reference code>", "c": <code>,
 * "m": "<message>"} for an error. Usage: jsonata_run <cases.jsonl>  (or - for stdin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonata.h"

int main(int argc, char **argv)
{
	FILE *f = argc > 1 && strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		perror(argv[1]);
		return 2;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *c = json_loadb(line, (size_t)n, JSON_DECODE_ANY, &jerr), *out, *res;
		struct ncm_jsonata_error err;
		const char *expr;
		char *text;

		if (!c || !(expr = json_string_value(json_object_get(c, "expr")))) {
			fprintf(stderr, "bad case line: %s\n", line);
			return 2;
		}
		res = ncm_jsonata_eval(expr, json_string_length(json_object_get(c, "expr")),
				       json_object_get(c, "input"), &err);
		if (res)
			out = json_pack("{s:o}", "r", res);
		else if (err.code == 0)
			out = json_pack("{s:i}", "u", 1);
		else
			out = json_pack("{s:s,s:i,s:o}", "e", err.ref, "c", err.code, "m",
					ncm_jsonata_error_json(&err));
		text = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		puts(text ? text : "{\"e\":\"\",\"c\":3,\"m\":\"output\"}");
		free(text);
		json_decref(out);
		json_decref(c);
	}
	free(line);
	return 0;
}
