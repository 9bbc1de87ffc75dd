/* SPDX-License-Identifier: MIT
 * test_devid.c: nRF Cloud's device ID rules (core/devid.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devid.h"

START_TEST(typical_ids_are_valid)
{
	const char *ok[] = { "nrf-352656100000001", "my-client-id", "50503041-3633-4261-803d-1e2b8f70111a",
			     "A:b_C-9", "x" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(ncm_devid_check(ok[i], NULL) == NCM_OK, "%s", ok[i]);
}
END_TEST

START_TEST(id_of_128_characters_is_valid_and_129_is_not)
{
	char id[131];
	struct ncm_err_info err;

	memset(id, 'a', 128);
	id[128] = '\0';
	ck_assert_int_eq(ncm_devid_check(id, NULL), NCM_OK);
	id[128] = 'a';
	id[129] = '\0';
	ck_assert_int_eq(ncm_devid_check(id, &err), NCM_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 128"));
}
END_TEST

START_TEST(empty_and_null_ids_are_invalid)
{
	ck_assert_int_eq(ncm_devid_check("", NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_devid_check(NULL, NULL), NCM_ERR_INVAL);
}
END_TEST

START_TEST(mqtt_wildcards_slash_and_spaces_are_refused_with_position)
{
	const char *bad[] = { "a+b", "a#", "dev/1", "dev 1", "dev.1", "dév" };
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ncm_devid_check(bad[i], &err) == NCM_ERR_INVAL, "%s", bad[i]);
		ck_assert_msg(strstr(err.msg, "position") != NULL, "%s: %s", bad[i], err.msg);
	}
	ncm_devid_check("dev/1", &err);
	ck_assert_ptr_nonnull(strstr(err.msg, "'/' at position 4"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devid");
	TCase *tc = tcase_create("devid");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, typical_ids_are_valid);
	tcase_add_test(tc, id_of_128_characters_is_valid_and_129_is_not);
	tcase_add_test(tc, empty_and_null_ids_are_invalid);
	tcase_add_test(tc, mqtt_wildcards_slash_and_spaces_are_refused_with_position);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
