/* SPDX-License-Identifier: MIT
 * fuzz_jsonata.c: fuzz target for JSONata (core/jsonata.h), which evaluates the transforms
 * devices send on <id>/shadow/get/tf and REST clients in ?transform=: the whole language
 * (paths, predicates, binds, operators, constructors, lambdas, regexes, the function library;
 * seeds in corpus/jsonata/grammar_*). The input is the expression; it is evaluated over a
 * shadow-shaped document, an array and no input, and every answer must be a value or a
 * well-formed error within the limits. Uses core only.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "jsonata.h"

/* Nested objects, arrays of arrays and every scalar type, so paths exercise jsonata-js's
 * sequence rules (map, flatten, singleton unwrap). */
static const char doc_text[] =
	"{\"state\":{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"prod/T1/\","
	"\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":\"prod/T1/m/d/nrf-1/d2c\","
	"\"c2d\":\"prod/T1/m/d/nrf-1/+/r\"}},\"config\":{\"activeMode\":true,\"n\":null}},"
	"\"reported\":{\"device\":{\"networkInfo\":{\"currentBand\":20}},"
	"\"a\":[1,[2,{\"x\":3}],{\"x\":[4,{\"x\":5}]},\"s\",2.5e10,false]}},"
	"\"metadata\":{\"desired\":{\"pairing\":{\"state\":{\"timestamp\":1}}}},"
	"\"version\":7,\"timestamp\":1700000000,\"\xc3\xa9t\xc3\xa9\":{\"\xf0\x9f\x98\x80\":1}}";

static const char array_text[] =
	"[{\"a\":1,\"b\":[{\"a\":2}]},[{\"a\":[3,4]}],{\"b\":{\"a\":5}},7]";

static void eval_one(const char *expr, size_t len, const json_t *input)
{
	struct ncm_jsonata_error err;
	json_t *res, *ej;
	char *dump;

	res = ncm_jsonata_eval(expr, len, input, &err);
	if (res) {
		FUZZ_CHECK(err.code == 0);
		dump = json_dumps(res, JSON_ENCODE_ANY);
		FUZZ_CHECK(dump != NULL);
		free(dump);
		json_decref(res);
		return;
	}
	if (err.code == 0)
		return; /* undefined */
	FUZZ_CHECK(err.code >= 1 && err.code <= 3);
	/* Positions are 1-based; an over-long expression is reported at the length limit. */
	FUZZ_CHECK(err.position >= 1 &&
		   err.position <= (len > NCM_JSONATA_MAX_LEN ? NCM_JSONATA_MAX_LEN : len) + 1);
	FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) && err.message[0]);
	/* the reference code, when there is one, leads the message */
	FUZZ_CHECK(memchr(err.ref, '\0', sizeof(err.ref)) != NULL);
	FUZZ_CHECK(!err.ref[0] || !strncmp(err.message, err.ref, strlen(err.ref)));
	/* The error object goes to the device as JSON: the message must be valid UTF-8. */
	ej = ncm_jsonata_error_json(&err);
	FUZZ_CHECK(ej != NULL);
	FUZZ_CHECK(json_string_value(json_object_get(ej, "message")) != NULL);
	json_decref(ej);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Built once and kept (still reachable at exit): the evaluator only reads its input. */
	static json_t *doc, *arr;
	/* An exact-size copy, so a read past len is caught by ASan or valgrind. */
	char *expr = malloc(size ? size : 1);

	if (!doc)
		doc = json_loads(doc_text, 0, NULL);
	if (!arr)
		arr = json_loads(array_text, 0, NULL);
	FUZZ_CHECK(doc && arr && expr);
	if (size)
		memcpy(expr, data, size);
	eval_one(expr, size, doc);
	eval_one(expr, size, arr);
	eval_one(expr, size, NULL);
	free(expr);
	return 0;
}
