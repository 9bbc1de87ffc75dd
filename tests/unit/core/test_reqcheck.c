/* SPDX-License-Identifier: MIT
 * test_reqcheck.c: raw path, Host, Origin and Content-Type checks (core/reqcheck.c).
 */
#include <check.h>
#include <stdlib.h>

#include "reqcheck.h"

START_TEST(raw_paths_with_nul_or_bad_utf8_are_found_before_decoding)
{
	static const struct {
		const char *uri;
		enum ncm_raw_path want;
	} cases[] = {
		{ "/v1/devices", NCM_PATH_OK },
		{ "/v1/devices/gr%C3%BC%C3%9Fe", NCM_PATH_OK },
		{ "/v1/devices/a%2fb", NCM_PATH_OK },
		{ "/files/app.bin%00.txt", NCM_PATH_NUL },
		{ "/files/app.bin%00", NCM_PATH_NUL },
		{ "/v1/devices/%ff%fe", NCM_PATH_NOT_UTF8 },
		{ "/v1/devices/%c3%28", NCM_PATH_NOT_UTF8 },
		{ "/v1/devices/%C0%AF", NCM_PATH_NOT_UTF8 },
		/* the query is not the path */
		{ "/v1/messages?deviceId=%00", NCM_PATH_OK },
		{ "/v1/messages?x=%ff", NCM_PATH_OK },
		/* a lone or half escape stays as written */
		{ "/a%", NCM_PATH_OK },
		{ "/a%0", NCM_PATH_OK },
		{ "/a%zz", NCM_PATH_OK },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(ncm_reqcheck_raw_path(cases[i].uri) == cases[i].want, "%s",
			      cases[i].uri);
}
END_TEST

START_TEST(only_loopback_hosts_and_origins_pass)
{
	static const char *const yes[] = { "localhost", "LOCALHOST:8080", "localhost.",
					   "127.0.0.1", "127.0.0.1:33209", "127.1.2.3",
					   "[::1]", "[::1]:8080" };
	static const char *const no[] = { "", "attacker.example", "localhost.attacker.example",
					  "127.0.0.1.attacker.example", "127.0.0.256", "127.0.0",
					  "127.evil", "10.0.0.1", "[::2]", "[::1", "0.0.0.0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(ncm_reqcheck_loopback_host(yes[i]), "%s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!ncm_reqcheck_loopback_host(no[i]), "%s", no[i]);
	ck_assert(ncm_reqcheck_loopback_origin("http://localhost:3000"));
	ck_assert(ncm_reqcheck_loopback_origin("http://127.0.0.1"));
	ck_assert(!ncm_reqcheck_loopback_origin("null"));
	ck_assert(!ncm_reqcheck_loopback_origin("http://attacker.example"));
	ck_assert(!ncm_reqcheck_loopback_origin("http://localhost.attacker.example"));
	ck_assert(!ncm_reqcheck_loopback_origin("localhost"));
}
END_TEST

START_TEST(json_content_types)
{
	ck_assert(ncm_reqcheck_json_type("application/json"));
	ck_assert(ncm_reqcheck_json_type("Application/JSON; charset=utf-8"));
	ck_assert(ncm_reqcheck_json_type("application/merge-patch+json"));
	ck_assert(!ncm_reqcheck_json_type(NULL));
	ck_assert(!ncm_reqcheck_json_type("text/plain"));
	ck_assert(!ncm_reqcheck_json_type("application/x-www-form-urlencoded"));
	ck_assert(!ncm_reqcheck_json_type("multipart/form-data; boundary=x"));
	ck_assert(!ncm_reqcheck_json_type("application/jsonp"));
	ck_assert(!ncm_reqcheck_json_type("text/json+json"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reqcheck");
	TCase *tc = tcase_create("reqcheck");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, raw_paths_with_nul_or_bad_utf8_are_found_before_decoding);
	tcase_add_test(tc, only_loopback_hosts_and_origins_pass);
	tcase_add_test(tc, json_content_types);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
