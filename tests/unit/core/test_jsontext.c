/* SPDX-License-Identifier: MIT
 * test_jsontext.c: unit tests for core/jsontext.c: the shortest number text that reads back
 * to the same double, in JavaScript's layout (the figures of issue 11 and ECMAScript's
 * Number::toString cases), inside JSON documents, strings untouched.
 */
#include <check.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

START_TEST(reals_get_the_shortest_text_javascript_writes)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 63.4216434, "63.4216434" },
		{ 0.1, "0.1" },
		{ 10.4377611, "10.4377611" },
		{ -0.5, "-0.5" },
		{ 1.5e-7, "1.5e-7" },
		{ 1e-7, "1e-7" },
		{ 0.000001, "0.000001" },
		{ 123.456e-10, "1.23456e-8" },
		{ 1e21, "1e+21" },
		{ 1.25e22, "1.25e+22" },
		{ 1e20, "100000000000000000000.0" },
		{ 100.0, "100.0" },
		{ -3.0, "-3.0" },
		{ 0.0, "0.0" },
		{ 5e-324, "5e-324" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ 0.30000000000000004, "0.30000000000000004" },
		{ 2.5, "2.5" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = ncm_json_real_text(cases[i].v, buf, sizeof(buf));

		ck_assert_msg(!strcmp(buf, cases[i].text), "%.17g: got %s, want %s", cases[i].v,
			      buf, cases[i].text);
		ck_assert_int_eq(n, (int)strlen(buf));
		ck_assert(strtod(buf, NULL) == cases[i].v);
	}
}
END_TEST

/* Every double read back from its text is the same double (a sweep of magnitudes). */
START_TEST(text_always_reads_back_to_the_same_double)
{
	char buf[64];
	double v = 1.0 / 3.0;
	int i;

	for (i = 0; i < 4000; i++) {
		double x = (i % 2 ? -v : v) * (i % 7 + 1);

		ncm_json_real_text(x, buf, sizeof(buf));
		ck_assert_msg(strtod(buf, NULL) == x, "%.17g -> %s", x, buf);
		v *= i % 3 ? 1.37 : 0.61;
		if (v > 1e300 || v < 1e-300)
			v = 1.0 / 7.0;
	}
}
END_TEST

START_TEST(dumps_rewrites_reals_only_outside_strings)
{
	json_t *j = json_pack("{s:f,s:f,s:i,s:s,s:[f,f],s:f,s:b}", "lat", 63.4216434, "lon",
			      10.4377611, "n", 12, "s", "0.10000000000000001 e-5", "a", 0.1, 1e-7,
			      "big", 1e25, "t", 1);
	char *text = ncm_json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *back;

	ck_assert_str_eq(text, "{\"a\":[0.1,1e-7],\"big\":1e+25,\"lat\":63.4216434,"
			       "\"lon\":10.4377611,\"n\":12,\"s\":\"0.10000000000000001 e-5\","
			       "\"t\":true}");
	back = json_loads(text, 0, NULL);
	ck_assert(json_equal(back, j));
	json_decref(back);
	free(text);
	/* the escaped quote inside a string does not end it */
	json_decref(j);
	j = json_pack("[s,f]", "a\"1.5e3", 1.5e3);
	text = ncm_json_dumps(j, JSON_COMPACT);
	ck_assert_str_eq(text, "[\"a\\\"1.5e3\",1500.0]");
	free(text);
	json_decref(j);
	j = json_real(1e20);
	text = ncm_json_dumps(j, JSON_ENCODE_ANY);
	ck_assert_str_eq(text, "100000000000000000000.0");
	free(text);
	json_decref(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsontext");
	TCase *tc = tcase_create("jsontext");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, reals_get_the_shortest_text_javascript_writes);
	tcase_add_test(tc, text_always_reads_back_to_the_same_double);
	tcase_add_test(tc, dumps_rewrites_reals_only_outside_strings);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
