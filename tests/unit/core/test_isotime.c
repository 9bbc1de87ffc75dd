/* SPDX-License-Identifier: MIT
 * test_isotime.c: ISO 8601 times into milliseconds (core/isotime.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "isotime.h"

START_TEST(times_nrf_cloud_writes_are_read_to_the_millisecond)
{
	static const struct {
		const char *text;
		int64_t ms;
	} rows[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:00", 0 },
		{ "2026-12-01T10:00:01Z", 1796119201000 },
		{ "2026-12-01T10:00:02.5Z", 1796119202500 },
		{ "2026-12-01T10:00:02.123Z", 1796119202123 },
		{ "2026-12-01T10:00:02.1239Z", 1796119202123 },
		{ "2026-12-01", -1 },
		{ "2026-12-01T10:00:02Zjunk", -1 },
		{ "2026-12-01T10:00:02+01:00", -1 },
		{ "yesterday", -1 },
		{ "", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(ncm_iso8601_parse_ms(rows[i].text) == rows[i].ms, "'%s': got %lld",
			      rows[i].text, (long long)ncm_iso8601_parse_ms(rows[i].text));
	ck_assert_int_eq(ncm_iso8601_parse_ms(NULL), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("isotime");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, times_nrf_cloud_writes_are_read_to_the_millisecond);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
