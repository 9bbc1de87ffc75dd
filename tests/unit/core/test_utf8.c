/* SPDX-License-Identifier: MIT
 * test_utf8.c: UTF-8 validation (core/utf8.c), which decides text or base64 in the journal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

START_TEST(ascii_json_and_multibyte_text_are_valid)
{
	const char *ok[] = { "", "{\"appId\":\"TEMP\"}", "grüße", "€", "𝄞 clef", "日本" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(ncm_utf8_valid(ok[i], strlen(ok[i])), "%s", ok[i]);
}
END_TEST

START_TEST(nul_overlong_surrogate_truncated_and_out_of_range_are_invalid)
{
	static const struct {
		const char *name;
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "nul", "a\0b", 3 },
		{ "overlong slash", "\xc0\xaf", 2 },
		{ "overlong 3-byte", "\xe0\x80\xaf", 3 },
		{ "surrogate", "\xed\xa0\x80", 3 },
		{ "truncated", "\xe2\x82", 2 },
		{ "above U+10FFFF", "\xf4\x90\x80\x80", 4 },
		{ "lone continuation", "\x80", 1 },
		{ "nRFC binary header", "nRFC\x01\x00\x00\x00", 8 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!ncm_utf8_valid(bad[i].bytes, bad[i].len), "%s", bad[i].name);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, ascii_json_and_multibyte_text_are_valid);
	tcase_add_test(tc, nul_overlong_surrogate_truncated_and_out_of_range_are_invalid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
