/* SPDX-License-Identifier: MIT
 * test_pairing.c: the prefix and pairing every shadow's desired state carries (core/pairing.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pairing.h"
#include "shadow.h"

#define PFX "prod/7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a/"

static json_t *desired_of(json_t *doc)
{
	return json_object_get(json_object_get(doc, "state"), "desired");
}

START_TEST(new_shadow_gets_prefix_and_paired_topics)
{
	json_t *doc;
	int changed = 0;

	doc = ncm_pairing_ensure(NULL, PFX, "nrf-1", 1000, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(json_string_value(json_object_get(desired_of(doc),
							   "nrfcloud_mqtt_topic_prefix")), PFX);
	json_t *pairing = json_object_get(desired_of(doc), "pairing");

	ck_assert_str_eq(json_string_value(json_object_get(pairing, "state")), "paired");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pairing, "topics"),
							   "d2c")), PFX "m/d/nrf-1/d2c");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pairing, "topics"),
							   "c2d")), PFX "m/d/nrf-1/+/r");
	/* metadata timestamps for what was added; the version stays */
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(doc, "metadata"), "desired"),
				 "nrfcloud_mqtt_topic_prefix"), "timestamp")), 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 0);
	json_decref(doc);
}
END_TEST

START_TEST(present_values_are_kept_and_input_is_not_modified)
{
	json_t *doc = ncm_pairing_ensure(NULL, PFX, "nrf-1", 1000, NULL), *again;
	char *before, *after;
	int changed = -1;

	json_object_set_new(json_object_get(json_object_get(desired_of(doc), "pairing"), "topics"),
			    "c2d", json_string("custom/c2d"));
	before = json_dumps(doc, JSON_SORT_KEYS);
	again = ncm_pairing_ensure(doc, PFX, "nrf-1", 2000, &changed);
	after = json_dumps(doc, JSON_SORT_KEYS);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(changed, 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
				 desired_of(again), "pairing"), "topics"), "c2d")), "custom/c2d");
	free(before);
	free(after);
	json_decref(again);
	json_decref(doc);
}
END_TEST

START_TEST(a_desired_section_deleted_by_an_update_gets_pairing_back)
{
	struct ncm_shadow_result res = { 0 };
	json_t *doc = ncm_pairing_ensure(NULL, PFX, "nrf-1", 1000, NULL), *fixed;
	const char *req = "{\"state\":{\"desired\":null}}";
	int changed = 0;

	ck_assert_int_eq(ncm_shadow_update(doc, req, strlen(req), 1001, 8192, &res), 0);
	ck_assert_ptr_null(desired_of(res.doc));
	fixed = ncm_pairing_ensure(res.doc, PFX, "nrf-1", 1001, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert(json_is_object(json_object_get(desired_of(fixed), "pairing")));
	json_decref(fixed);
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pairing");
	TCase *tc = tcase_create("pairing");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, new_shadow_gets_prefix_and_paired_topics);
	tcase_add_test(tc, present_values_are_kept_and_input_is_not_modified);
	tcase_add_test(tc, a_desired_section_deleted_by_an_update_gets_pairing_back);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
