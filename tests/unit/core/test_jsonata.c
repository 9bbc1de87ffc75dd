/* SPDX-License-Identifier: MIT
 * test_jsonata.c: JSONata for shadow transforms (core/jsonata_*.c): the SDK's transform,
 * path and sequence rules, constructors and literals, the features the old subset refused,
 * the reference's error codes for syntax and evaluation errors, the limits, a fixed-seed fuzz
 * loop and the error object shape. The full comparison with the reference implementation is
 * tests/jsonata/ (docs/jsonata.md#differential-test).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What the SDK puts in "t" on <id>/shadow/get/tf (docs/protocol-mqtt.md#the-shadow-get-reply), as the device sends it. */
static const char sdk_request[] =
	"{\"t\":\"{ \\\"nrfcloud_mqtt_topic_prefix\\\": state.desired.nrfcloud_mqtt_topic_prefix, "
	"\\\"pairing\\\": state.desired.pairing }\"}";

static const char shadow_text[] =
	"{\"state\":{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"prod/T1/\","
	"\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":\"prod/T1/m/d/nrf-1/d2c\","
	"\"c2d\":\"prod/T1/m/d/nrf-1/+/r\"}},\"config\":{\"activeMode\":true}},"
	"\"reported\":{\"device\":{\"networkInfo\":{\"currentBand\":20}}}},"
	"\"metadata\":{\"desired\":{\"pairing\":{\"state\":{\"timestamp\":1}}}},"
	"\"version\":7,\"timestamp\":1700000000}";

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, jerr.text);
	return j;
}

/* Evaluates expr over input (JSON text, or NULL for no input) and checks the result against
 * want (JSON text, or NULL for undefined). */
static void expect_value(const char *expr, const char *input_text, const char *want_text)
{
	struct ncm_jsonata_error err;
	json_t *input = input_text ? load(input_text) : NULL;
	json_t *want = want_text ? json_loads(want_text, JSON_DECODE_ANY, NULL) : NULL;
	json_t *got = ncm_jsonata_eval(expr, strlen(expr), input, &err);
	char *dump = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;

	ck_assert_msg(!want_text || want, "bad expected JSON %s", want_text);
	ck_assert_msg(err.code == 0, "'%s': error %d at %zu: %s", expr, err.code, err.position,
		      err.message);
	if (want)
		ck_assert_msg(got && json_equal(got, want), "'%s': got %s, want %s", expr,
			      dump ? dump : "undefined", want_text);
	else
		ck_assert_msg(!got, "'%s': got %s, want undefined", expr, dump);
	/* json_equal says 1 == 1.0 is false, so the kind matters too. */
	if (want)
		ck_assert_msg(json_typeof(got) == json_typeof(want), "'%s': type of %s", expr,
			      dump);
	free(dump);
	json_decref(got);
	json_decref(want);
	json_decref(input);
}

struct err_case {
	const char *expr;
	size_t len; /* 0: strlen(expr) */
	size_t position;
	const char *needle; /* must appear in the message */
};

static void expect_error(int code, const struct err_case *c)
{
	struct ncm_jsonata_error err;
	size_t len = c->len ? c->len : strlen(c->expr);
	json_t *input = load(shadow_text);
	json_t *got = ncm_jsonata_eval(c->expr, len, input, &err);

	ck_assert_msg(got == NULL, "'%s': expected an error, got a value", c->expr);
	ck_assert_msg(err.code == code && err.position == c->position,
		      "'%s': got error %d at %zu (%s), want %d at %zu", c->expr, err.code,
		      err.position, err.message, code, c->position);
	ck_assert_msg(strstr(err.message, c->needle), "'%s': message '%s' lacks '%s'", c->expr,
		      err.message, c->needle);
	json_decref(input);
}

START_TEST(sdk_pairing_transform_returns_prefix_and_pairing)
{
	struct ncm_jsonata_error err;
	json_t *req = load(sdk_request), *shadow = load(shadow_text);
	json_t *before = json_deep_copy(shadow), *got, *want;
	const char *t = json_string_value(json_object_get(req, "t"));

	ck_assert_ptr_nonnull(t);
	got = ncm_jsonata_eval(t, strlen(t), shadow, &err);
	ck_assert_msg(got, "error %d at %zu: %s", err.code, err.position, err.message);
	ck_assert_int_eq(err.code, 0);
	want = load("{\"nrfcloud_mqtt_topic_prefix\":\"prod/T1/\","
		    "\"pairing\":{\"state\":\"paired\","
		    "\"topics\":{\"d2c\":\"prod/T1/m/d/nrf-1/d2c\","
		    "\"c2d\":\"prod/T1/m/d/nrf-1/+/r\"}}}");
	ck_assert(json_equal(got, want));
	/* The constructor keeps the expression's key order (what the device sees on the wire). */
	ck_assert_str_eq(json_object_iter_key(json_object_iter(got)), "nrfcloud_mqtt_topic_prefix");
	/* The result is a copy: changing it leaves the shadow alone. */
	json_object_set_new(json_object_get(got, "pairing"), "state", json_string("x"));
	json_object_clear(json_object_get(json_object_get(got, "pairing"), "topics"));
	ck_assert(json_equal(shadow, before));
	ck_assert_int_eq(shadow->refcount, 1);
	json_decref(got);
	json_decref(want);
	json_decref(before);
	json_decref(shadow);
	json_decref(req);
}
END_TEST

START_TEST(sdk_transform_leaves_out_what_the_shadow_lacks)
{
	const char *t = "{ \"nrfcloud_mqtt_topic_prefix\": "
			"state.desired.nrfcloud_mqtt_topic_prefix, "
			"\"pairing\": state.desired.pairing }";

	expect_value(t, "{\"state\":{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"prod/T/\"}}}",
		     "{\"nrfcloud_mqtt_topic_prefix\":\"prod/T/\"}");
	expect_value(t, "{\"state\":{\"desired\":{\"pairing\":{\"state\":\"not_associated\"}}}}",
		     "{\"pairing\":{\"state\":\"not_associated\"}}");
	expect_value(t, "{\"state\":{}}", "{}");
	expect_value(t, "{}", "{}");
	expect_value(t, "[]", "{}");
	expect_value(t, "42", "{}");
	expect_value(t, NULL, "{}");
	/* null is a value, not undefined: it stays. */
	expect_value(t, "{\"state\":{\"desired\":{\"pairing\":null}}}", "{\"pairing\":null}");
}
END_TEST

START_TEST(paths_to_missing_fields_are_undefined)
{
	const char *doc = "{\"a\":{\"b\":{\"c\":1}},\"s\":\"text\",\"n\":null,\"z\":0}";

	expect_value("a.b.c", doc, "1");
	expect_value("a.b", doc, "{\"c\":1}");
	expect_value("a.x.c", doc, NULL);
	expect_value("missing", doc, NULL);
	expect_value("s.length", doc, NULL);
	expect_value("n.x", doc, NULL);
	expect_value("z.x", doc, NULL);
	expect_value("a.b.c.d", doc, NULL);
	expect_value("a", NULL, NULL);
	expect_value("a", "\"str\"", NULL);
	expect_value("n", doc, "null");
	expect_value("[missing, a.x]", doc, "[]");
	expect_value("[missing, z, missing]", doc, "[0]");
	expect_value("{\"k\": missing, \"z\": z}", doc, "{\"z\":0}");
	expect_value("{\"k\": {\"deeper\": missing}}", doc, "{\"k\":{}}");
}
END_TEST

START_TEST(steps_map_over_arrays_flatten_and_unwrap_singletons)
{
	expect_value("items.name", "{\"items\":[{\"name\":1},{\"name\":2}]}", "[1,2]");
	expect_value("items.name", "{\"items\":[{\"name\":1},{\"other\":2}]}", "1");
	expect_value("items.name", "{\"items\":[{\"other\":1}]}", NULL);
	expect_value("items.name", "{\"items\":[]}", NULL);
	/* Scalars among the objects are skipped; array values are spread. */
	expect_value("items.n", "{\"items\":[{\"n\":1},3,\"s\",null,{\"m\":2},{\"n\":[4,5]}]}",
		     "[1,4,5]");
	expect_value("a.b.c", "{\"a\":[{\"b\":[{\"c\":1},{\"c\":2}]},{\"b\":{\"c\":3}}]}",
		     "[1,2,3]");
	expect_value("a.x", "{\"a\":[{\"x\":[1,2]},{\"x\":[3]}]}", "[1,2,3]");
	/* An array that is the one value of the last step is kept whole, even a singleton. */
	expect_value("x", "{\"x\":[5]}", "[5]");
	expect_value("x", "{\"x\":[]}", "[]");
	expect_value("a.x", "{\"a\":{\"x\":[[1],[2]]}}", "[[1],[2]]");
	expect_value("{\"k\": x}", "{\"x\":[5]}", "{\"k\":[5]}");
	/* Nested arrays in the data are walked by the lookup. */
	expect_value("a.x", "{\"a\":[[{\"x\":1}],[[{\"x\":2}]],{\"x\":3}]}", "[1,2,3]");
	/* An input array is mapped over, as the outermost sequence. */
	expect_value("name", "[{\"name\":1},{\"name\":2}]", "[1,2]");
	expect_value("x", "[{\"x\":[5]}]", "5");
	expect_value("{\"a\": x}", "[{\"x\":1},{\"x\":2}]", "{\"a\":[1,2]}");
	expect_value("{\"o\": {\"a\": x}}", "[{\"x\":1},{\"x\":2}]", "{\"o\":{\"a\":[1,2]}}");
}
END_TEST

START_TEST(backtick_and_string_names_select_any_field)
{
	const char *doc = "{\"a b\":{\"c-d\":1},\"\":2,\"grüße\":3,\"and\":4,\"or\":5,\"in\":6,"
			  "\"true\":7,\"function\":8,\"x\":{\"y.z\":9}}";

	expect_value("`a b`.`c-d`", doc, "1");
	expect_value("``", doc, "2");
	expect_value("`grüße`", doc, "3");
	expect_value("\"a b\".'c-d'", doc, "1");
	expect_value("x.\"y.z\"", doc, "9");
	expect_value("x . `y.z`", doc, "9");
	expect_value("`true`", doc, "7");
	expect_value("[and, or, in]", doc, "[4,5,6]");
	expect_value("function", doc, "8");
	expect_value("\"a b\"", doc, "\"a b\"");
	expect_value(" \t\n a \r\n . \v `c-d` ", "{\"a\":{\"c-d\":1}}", "1");
	expect_value("_a1.B_2", "{\"_a1\":{\"B_2\":true}}", "true");
}
END_TEST

START_TEST(constructors_nest_and_keep_their_own_arrays)
{
	const char *doc = "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"x\":[5],"
			  "\"o\":{\"k\":1}}";

	expect_value("{}", doc, "{}");
	expect_value("[]", doc, "[]");
	expect_value("{\"z\":1,\"a\":2,\"m\":3}", doc, "{\"z\":1,\"a\":2,\"m\":3}");
	expect_value("[[1,2],[3]]", doc, "[[1,2],[3]]");
	expect_value("[items.name, 3]", doc, "[\"a\",\"b\",3]");
	expect_value("[x]", doc, "[5]");
	expect_value("[[x]]", doc, "[[5]]");
	expect_value("[o, [], {}]", doc, "[{\"k\":1},[],{}]");
	expect_value("{'single': 'quoted', \"names\": items.name, \"n\": {\"m\": [o.k, {}]}}", doc,
		     "{\"single\":\"quoted\",\"names\":[\"a\",\"b\"],\"n\":{\"m\":[1,{}]}}");
	expect_value("{\"\\u00e9\\n\": 1}", doc, "{\"é\\n\": 1}");
}
END_TEST

START_TEST(every_literal_kind_evaluates)
{
	struct ncm_jsonata_error err;
	json_t *got;

	expect_value("\"plain\"", NULL, "\"plain\"");
	expect_value("'single'", NULL, "\"single\"");
	expect_value("'say \"hi\"'", NULL, "\"say \\\"hi\\\"\"");
	expect_value("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", NULL, "\"\\\"\\\\/\\b\\f\\n\\r\\t\"");
	expect_value("\"\\u00e9\\u20AC\"", NULL, "\"é€\"");
	expect_value("\"\\ud834\\udd1e clef\"", NULL, "\"𝄞 clef\"");
	expect_value("\"raw grüße €\"", NULL, "\"raw grüße €\"");
	expect_value("\"line\nbreak\"", NULL, "\"line\\nbreak\"");
	expect_value("\"\"", NULL, "\"\"");
	expect_value("0", NULL, "0");
	expect_value("42", NULL, "42");
	expect_value("-1", NULL, "-1");
	expect_value("- 7", NULL, "-7");
	expect_value("-0", NULL, "0");
	expect_value("1.5", NULL, "1.5");
	expect_value("-0.25", NULL, "-0.25");
	expect_value("1e3", NULL, "1000");
	expect_value("1.0", NULL, "1");
	expect_value("2.5E-3", NULL, "0.0025");
	expect_value("1e+2", NULL, "100");
	expect_value("9007199254740992", NULL, "9007199254740992");
	expect_value("1e300", NULL, "1e300");
	expect_value("true", NULL, "true");
	expect_value("false", NULL, "false");
	expect_value("null", NULL, "null");
	expect_value("[true, false, null, -2, 'x']", NULL, "[true,false,null,-2,\"x\"]");
	/* \u0000 is a character like any other. */
	got = ncm_jsonata_eval("\"a\\u0000b\"", 10, NULL, &err);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(json_string_length(got), 3);
	ck_assert_mem_eq(json_string_value(got), "a\0b", 3);
	json_decref(got);
	got = ncm_jsonata_eval("{\"a\\u0000b\": 1}", 15, NULL, &err);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(json_integer_value(json_object_getn(got, "a\0b", 3)), 1);
	json_decref(got);
	/* err may be NULL. */
	got = ncm_jsonata_eval("[1]", 3, NULL, NULL);
	ck_assert_ptr_nonnull(got);
	json_decref(got);
	ck_assert_ptr_null(ncm_jsonata_eval("$x", 2, NULL, NULL));
}
END_TEST

/* The 29 kinds of expressions the subset refused (issue #20) now evaluate, as the reference
 * implementation (jsonata 2.0.6) answers them. */
START_TEST(formerly_refused_features_evaluate)
{
	const char *doc = "{\"state\":{\"reported\":{\"sensors\":[{\"name\":\"temp\",\"v\":21.5},"
			  "{\"name\":\"hum\",\"v\":40}],\"fw\":\"1.2.3\",\"n\":\"7\"}},\"version\":7}";

	expect_value("$exists(state.reported.fw)", doc, "true");
	expect_value("$exists(state.reported.nope)", doc, "false");
	expect_value("$count(state.reported.sensors)", doc, "2");
	expect_value("$keys(state.reported)", doc, "[\"sensors\",\"fw\",\"n\"]");
	expect_value("$string(version)", doc, "\"7\"");
	expect_value("$number(state.reported.n) + 1", doc, "8");
	expect_value("$sum(state.reported.sensors.v)", doc, "61.5");
	expect_value("state.reported.sensors[0].name", doc, "\"temp\"");
	expect_value("state.reported.sensors[-1].v", doc, "40");
	expect_value("state.reported.sensors[name=\"temp\"].v", doc, "21.5");
	expect_value("version * 2 - 4 / 2 % 3", doc, "12");
	expect_value("\"v\" & version", doc, "\"v7\"");
	expect_value("version > 5 and version <= 7", doc, "true");
	expect_value("version = 7 ? \"seven\" : \"other\"", doc, "\"seven\"");
	expect_value("\"hum\" in state.reported.sensors.name", doc, "true");
	expect_value("state.reported.*.name", doc, "[\"temp\",\"hum\"]");
	expect_value("**.v", doc, "[21.5,40]");
	expect_value("$.version", doc, "7");
	expect_value("state.reported.($$.version)", doc, "7");
	expect_value("/* a comment */ version", doc, "7");
	expect_value("state.reported.sensors^(>v).name", doc, "[\"hum\",\"temp\"]");
	expect_value("state.reported.sensors{name: v}", doc, "{\"temp\":21.5,\"hum\":40}");
	expect_value("state.reported.sensors#$i.{\"i\": $i, \"n\": name}", doc,
		     "[{\"i\":0,\"n\":\"temp\"},{\"i\":1,\"n\":\"hum\"}]");
	expect_value("$map([1..3], function($x){$x * $x})", NULL, "[1,4,9]");
	expect_value("($f := $power(?, 2); $f(5))", NULL, "25");
	expect_value("\"a-b-c\" ~> $split(\"-\") ~> $join(\"+\")", NULL, "\"a+b+c\"");
	expect_value("$match(\"ab12cd345\", /[0-9]+/).match", NULL, "[\"12\",\"345\"]");
	expect_value("$replace(\"Hello\", /l+/i, \"L\")", NULL, "\"HeLo\"");
	expect_value("$fromMillis(0)", NULL, "\"1970-01-01T00:00:00.000Z\"");
	expect_value("$toMillis(\"2020-01-01T00:00:01.5Z\")", NULL, "1577836801500");
	expect_value("$ ~> |state.reported|{\"fw\": \"2\"}, [\"n\", \"sensors\"]|", doc,
		     "{\"state\":{\"reported\":{\"fw\":\"2\"}},\"version\":7}");
	expect_value("$string(0.1 + 0.2)", NULL, "\"0.3\"");
	expect_value("$keys({\"b\": 1, \"2\": 2, \"a\": 3, \"1\": 4})", NULL, "[\"1\",\"2\",\"b\",\"a\"]");
}
END_TEST

/* Evaluation errors are code 2 with the reference's code in ref and in the message. */
START_TEST(evaluation_errors_carry_the_reference_codes)
{
	static const struct {
		const char *expr, *ref;
	} cases[] = {
		{ "\"a\" + 1", "T2001" },
		{ "1 + \"a\"", "T2002" },
		{ "1 < \"a\"", "T2009" },
		{ "{} < 1", "T2010" },
		{ "[1.5..3]", "T2003" },
		{ "-\"a\"", "D1002" },
		{ "{1: 2}", "T1003" },
		{ "$sum(\"a\")", "T0412" },
		{ "$substring(\"a\", \"b\")", "T0410" },
		{ "$string(1/0)", "D3001" },
		{ "$number(\"x\")", "D3030" },
		{ "$sqrt(-1)", "D3060" },
		{ "$sort([1, \"a\"])", "D3070" },
		{ "$single([1, 2])", "D3138" },
		{ "$error(\"boom\")", "D3137" },
		{ "sum(1)", "T1005" },
		{ "foo(1)", "T1006" },
		{ "1 ~> 2", "T2006" },
		{ "$replace(\"a\", \"\", \"b\")", "D3010" },
		{ "$eval(\"1 +\")", "D3120" },
	};
	struct ncm_jsonata_error err;
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *got = ncm_jsonata_eval(cases[i].expr, strlen(cases[i].expr), NULL, &err);

		ck_assert_msg(!got, "'%s': expected an error", cases[i].expr);
		ck_assert_msg(err.code == 2 && !strcmp(err.ref, cases[i].ref) &&
				      !strncmp(err.message, cases[i].ref, 5),
			      "'%s': got %d %s (%s), want %s", cases[i].expr, err.code, err.ref,
			      err.message, cases[i].ref);
		ck_assert_uint_ge(err.position, 1);
	}
	/* what is not implemented is refused as such, never answered differently */
	ck_assert_ptr_null(ncm_jsonata_eval("$parseInteger('1', '0')", 23, NULL, &err));
	ck_assert_int_eq(err.code, 2);
	ck_assert_ptr_nonnull(strstr(err.message, "not supported"));
	ck_assert_ptr_null(ncm_jsonata_eval("a.%.b", 5, NULL, &err));
	ck_assert_int_eq(err.code, 2);
	ck_assert_ptr_nonnull(strstr(err.message, "not supported"));
}
END_TEST

START_TEST(syntax_errors_are_code_1_with_position)
{
	static const struct err_case cases[] = {
		{ "", 0, 1, "S0207" },
		{ "   ", 0, 4, "S0207" },
		{ "\"abc", 0, 5, "S0101" },
		{ "['abc]", 0, 7, "S0101" },
		{ "`abc", 0, 5, "S0105" },
		{ "{\"a\": b", 0, 8, "S0203" },
		{ "{\"a\" b}", 0, 6, "S0202" },
		{ "{", 0, 2, "S0203" },
		{ "[1, 2", 0, 6, "S0203" },
		{ "[1,]", 0, 4, "S0211" },
		{ "a b", 0, 3, "S0201" },
		{ "a;b", 0, 2, "S0201" },
		{ "a.", 0, 3, "S0207" },
		{ "a.1", 0, 3, "S0213" },
		{ "a.true", 0, 3, "S0213" },
		{ "\"\\q\"", 0, 3, "S0103" },
		{ "\"\\u12\"", 0, 3, "S0104" },
		{ "1e999", 0, 1, "S0102" },
		{ "a !b", 0, 3, "S0204" },
		{ ")", 0, 1, "S0211" },
		{ "/* open", 0, 1, "S0106" },
		{ "function(x){1}", 0, 10, "S0208" },
		{ "a@b", 0, 3, "S0214" },
		{ "$f(", 0, 4, "S0203" },
		{ "/a{2,1}/", 0, 1, "S0303" },
		{ "a\0b", 3, 2, "NUL" },
		{ "\"\xff\"", 0, 2, "invalid UTF-8" },
		{ "`\xed\xa0\x80`", 0, 2, "invalid UTF-8" },
		/* positions count characters (UTF-16 units), not bytes */
		{ "{\"\xc3\xa9\": a b}", 0, 9, "S0202" },
		{ "{\"\xf0\x9d\x84\x9e\": a b}", 0, 10, "S0202" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++)
		expect_error(1, &cases[i]);
}
END_TEST

/* A hostile expression gets a limit error (code 3), never a hang or a crash. */
START_TEST(work_memory_and_recursion_limits_are_code_3)
{
	static const char *const hostile[] = {
		"($f := function($n){$f($n + 1)}; $f(0))",
		"[1..10000000].[1..10000000]",
		"$count([1..1000000].($string($) & $string($) & $string($)))",
		"($s := \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; "
		"$reduce([1..40], function($a, $b){$a & $a}, $s))",
		"**.**.**.**.**.**.**.**",
		"$match(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", /(a+)+$/)",
		/* a limit hit while regular expressions are in use releases them (valgrind) */
		"[1..300000].$replace(\"abc\", /(b)/, \"$1$1\")",
		"$eval(\"[1..1000000].$string($)\")",
	};
	json_t *doc = load(shadow_text), *got;
	struct ncm_jsonata_error err;
	size_t i;

	for (i = 0; i < COUNT(hostile); i++) {
		got = ncm_jsonata_eval(hostile[i], strlen(hostile[i]), doc, &err);
		if (got) { /* the descendant chain is cheap on a small shadow */
			json_decref(got);
			continue;
		}
		ck_assert_msg(err.code == 3, "'%s': code %d %s", hostile[i], err.code, err.message);
	}
	json_decref(doc);
}
END_TEST

START_TEST(length_and_depth_limits_are_code_3)
{
	struct ncm_jsonata_error err;
	char *buf = malloc(NCM_JSONATA_MAX_LEN + 2);
	size_t d, n;
	json_t *got;

	ck_assert_ptr_nonnull(buf);
	/* A string literal of exactly the maximum length is fine, one byte more is not. */
	buf[0] = '"';
	memset(buf + 1, 'x', NCM_JSONATA_MAX_LEN - 2);
	buf[NCM_JSONATA_MAX_LEN - 1] = '"';
	got = ncm_jsonata_eval(buf, NCM_JSONATA_MAX_LEN, NULL, &err);
	ck_assert_msg(got, "%s", err.message);
	ck_assert_uint_eq(json_string_length(got), NCM_JSONATA_MAX_LEN - 2);
	json_decref(got);
	buf[NCM_JSONATA_MAX_LEN] = ' ';
	ck_assert_ptr_null(ncm_jsonata_eval(buf, NCM_JSONATA_MAX_LEN + 1, NULL, &err));
	ck_assert_int_eq(err.code, 3);
	ck_assert_uint_eq(err.position, NCM_JSONATA_MAX_LEN + 1);
	ck_assert_ptr_nonnull(strstr(err.message, "longer than"));
	/* The length is checked before anything else. */
	memset(buf, '$', NCM_JSONATA_MAX_LEN + 1);
	ck_assert_ptr_null(ncm_jsonata_eval(buf, NCM_JSONATA_MAX_LEN + 1, NULL, &err));
	ck_assert_int_eq(err.code, 3);

	/* MAX_DEPTH nested arrays evaluate; one more is refused at its bracket. */
	for (d = NCM_JSONATA_MAX_DEPTH; d <= NCM_JSONATA_MAX_DEPTH + 1; d++) {
		memset(buf, '[', d);
		memset(buf + d, ']', d);
		got = ncm_jsonata_eval(buf, 2 * d, NULL, &err);
		if (d == NCM_JSONATA_MAX_DEPTH) {
			ck_assert_msg(got, "%s", err.message);
			json_decref(got);
		} else {
			ck_assert_ptr_null(got);
			ck_assert_int_eq(err.code, 3);
			ck_assert_uint_eq(err.position, d);
			ck_assert_ptr_nonnull(strstr(err.message, "nested deeper"));
			ck_assert_str_eq(err.ref, "");
		}
	}
	/* The same for objects, and for objects and arrays mixed. */
	for (d = NCM_JSONATA_MAX_DEPTH; d <= NCM_JSONATA_MAX_DEPTH + 1; d++) {
		n = 0;
		for (size_t i = 0; i < d; i++) {
			memcpy(buf + n, i % 2 ? "[" : "{\"k\":", i % 2 ? 1 : 5);
			n += i % 2 ? 1 : 5;
		}
		for (size_t i = d; i-- > 0;)
			buf[n++] = i % 2 ? ']' : '}';
		got = ncm_jsonata_eval(buf, n, NULL, &err);
		if (d == NCM_JSONATA_MAX_DEPTH) {
			ck_assert_msg(got, "%s", err.message);
			json_decref(got);
		} else {
			ck_assert_ptr_null(got);
			ck_assert_int_eq(err.code, 3);
			/* 32 '{"k":' and 32 '[' come first: the 65th opener is '{' at 193. */
			ck_assert_uint_eq(err.position, 32 * 5 + 32 + 1);
		}
	}
	/* Deep unclosed nesting stops at the limit too (no unbounded recursion). */
	memset(buf, '[', NCM_JSONATA_MAX_LEN);
	ck_assert_ptr_null(ncm_jsonata_eval(buf, NCM_JSONATA_MAX_LEN, NULL, &err));
	ck_assert_int_eq(err.code, 3);
	ck_assert_uint_eq(err.position, NCM_JSONATA_MAX_DEPTH + 1);
	free(buf);
}
END_TEST

/* xorshift64*: a fixed sequence on every platform. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void check_outcome(const char *expr, size_t len, const json_t *input)
{
	struct ncm_jsonata_error err;
	json_t *got = ncm_jsonata_eval(expr, len, input, &err), *ej;
	char *dump;

	if (got) {
		ck_assert_int_eq(err.code, 0);
		dump = json_dumps(got, JSON_ENCODE_ANY);
		ck_assert_ptr_nonnull(dump);
		free(dump);
		json_decref(got);
		return;
	}
	if (!err.code)
		return; /* undefined */
	ck_assert_msg(err.code >= 1 && err.code <= 3, "code %d", err.code);
	ck_assert_msg(err.position >= 1 && err.position <= len + 1,
		      "position %zu for a %zu-byte expression", err.position, len);
	ck_assert_msg(err.message[0] != '\0', "empty message");
	ck_assert_msg(strnlen(err.message, sizeof(err.message)) < sizeof(err.message),
		      "unterminated message");
	ej = ncm_jsonata_error_json(&err);
	ck_assert_ptr_nonnull(ej);
	json_decref(ej);
}

START_TEST(random_and_mutated_expressions_never_crash)
{
	static const char alphabet[] =
		"ab.$\"'`{}[](),:-+*/%&=!<>?~|@#^;0123e\\ \t\nu_\xce\xbb\xff";
	json_t *input = load("{\"a\":[{\"b\":1},{\"b\":[2,[3]]},[{\"a\":{\"b\":4}}]],"
			     "\"b\":{\"a\":[]},\"u\":\"x\",\"e\":null}");
	json_t *shadow = load(shadow_text), *req = load(sdk_request);
	const char *t = json_string_value(json_object_get(req, "t"));
	size_t tlen = strlen(t), len, i, k;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char buf[64];
	int round;

	for (round = 0; round < 20000; round++) {
		len = rnd(&seed) % 25;
		for (i = 0; i < len; i++)
			buf[i] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		check_outcome(buf, len, input);
	}
	/* Any raw byte, NUL included. */
	for (round = 0; round < 5000; round++) {
		len = rnd(&seed) % 17;
		for (i = 0; i < len; i++)
			buf[i] = (char)(rnd(&seed) & 0xff);
		check_outcome(buf, len, input);
	}
	/* The SDK transform with a few bytes replaced, or cut short. */
	for (round = 0; round < 5000; round++) {
		char *m = strdup(t);

		ck_assert_ptr_nonnull(m);
		for (k = rnd(&seed) % 3 + 1; k > 0; k--)
			m[rnd(&seed) % tlen] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		check_outcome(m, rnd(&seed) % 4 ? tlen : rnd(&seed) % (tlen + 1), shadow);
		free(m);
	}
	json_decref(req);
	json_decref(shadow);
	json_decref(input);
}
END_TEST

START_TEST(error_json_has_err_position_and_message)
{
	struct ncm_jsonata_error err;
	json_t *ej;

	ck_assert_ptr_null(ncm_jsonata_eval("$string(1/0)", 12, NULL, &err));
	ej = ncm_jsonata_error_json(&err);
	ck_assert_ptr_nonnull(ej);
	ck_assert_uint_eq(json_object_size(ej), 3);
	ck_assert(json_is_integer(json_object_get(ej, "err")));
	ck_assert(json_is_integer(json_object_get(ej, "position")));
	ck_assert(json_is_string(json_object_get(ej, "message")));
	ck_assert_int_eq(json_integer_value(json_object_get(ej, "err")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(ej, "position")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(ej, "message")),
			 "D3001: Attempting to invoke string function on Infinity or NaN");
	json_decref(ej);

	/* A hand-made error with a non-UTF-8 message still gives valid JSON. */
	memset(&err, 0, sizeof(err));
	err.code = 1;
	err.position = 7;
	snprintf(err.message, sizeof(err.message), "bad \xff byte");
	ej = ncm_jsonata_error_json(&err);
	ck_assert_ptr_nonnull(ej);
	ck_assert_str_eq(json_string_value(json_object_get(ej, "message")), "bad ? byte");
	ck_assert_int_eq(json_integer_value(json_object_get(ej, "position")), 7);
	json_decref(ej);

	/* Success and undefined leave err cleared. */
	memset(&err, 0x55, sizeof(err));
	ck_assert_ptr_null(ncm_jsonata_eval("missing", 7, NULL, &err));
	ck_assert_int_eq(err.code, 0);
	ck_assert_uint_eq(err.position, 0);
	ck_assert_str_eq(err.message, "");
	ck_assert_ptr_null(ncm_jsonata_error_json(NULL));
	/* No expression at all is a syntax error. */
	ck_assert_ptr_null(ncm_jsonata_eval(NULL, 5, NULL, &err));
	ck_assert_int_eq(err.code, 1);
	ck_assert_uint_eq(err.position, 1);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add(s, #fn, fn)

static Suite *jsonata_suite(void)
{
	Suite *s = suite_create("jsonata");

	ADD(s, sdk_pairing_transform_returns_prefix_and_pairing);
	ADD(s, sdk_transform_leaves_out_what_the_shadow_lacks);
	ADD(s, paths_to_missing_fields_are_undefined);
	ADD(s, steps_map_over_arrays_flatten_and_unwrap_singletons);
	ADD(s, backtick_and_string_names_select_any_field);
	ADD(s, constructors_nest_and_keep_their_own_arrays);
	ADD(s, every_literal_kind_evaluates);
	ADD(s, formerly_refused_features_evaluate);
	ADD(s, evaluation_errors_carry_the_reference_codes);
	ADD(s, syntax_errors_are_code_1_with_position);
	ADD(s, work_memory_and_recursion_limits_are_code_3);
	ADD(s, length_and_depth_limits_are_code_3);
	ADD(s, random_and_mutated_expressions_never_crash);
	ADD(s, error_json_has_err_position_and_message);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jsonata_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
