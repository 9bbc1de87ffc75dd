/* SPDX-License-Identifier: MIT
 * test_admin_team.c: GET /mock/v1/team answers what `serve` prints at start (API key, tenant
 * ID, topic prefix), so a job beside a container can read them (docs/docker.md#ci), and the API
 * key it gives opens the REST API; with --admin-token it is behind the token like all of
 * /mock/v1.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct srv s;

static void teardown(void)
{
	srv_cleanup(&s);
}

START_TEST(team_answers_the_start_lines_and_its_key_opens_rest)
{
	char auth[256];
	long status;
	json_t *j;

	srv_start(&s, NULL);
	j = admin_json(&s, "GET", "/mock/v1/team", NULL, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "apiKey")), s.api_key);
	ck_assert_str_eq(json_string_value(json_object_get(j, "tenantId")), s.tenant);
	ck_assert_str_eq(json_string_value(json_object_get(j, "topicPrefix")), s.prefix);
	ck_assert_str_eq(json_string_value(json_object_get(j, "stage")), "prod");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "name")));
	snprintf(auth, sizeof(auth), "Bearer %s", json_string_value(json_object_get(j, "apiKey")));
	json_decref(j);
	status = http_rest_auth(&s, "GET", "/v1/account", auth, NULL, NULL, 0, NULL, NULL);
	ck_assert_int_eq(status, 200);
}
END_TEST

START_TEST(team_needs_the_admin_token_when_one_is_set)
{
	const char *extra[] = { "--admin-token", "t0ken-for-team", NULL };
	char *body = NULL;
	long status;

	srv_start(&s, extra);
	status = http_admin(&s, "GET", "/mock/v1/team", NULL, &body);
	ck_assert_int_eq(status, 401);
	ck_assert_ptr_null(strstr(body, s.api_key));
	free(body);
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "team", team_answers_the_start_lines_and_its_key_opens_rest },
		{ "team_token", team_needs_the_admin_token_when_one_is_set },
	};

	return run_suite("admin_team", tests, sizeof(tests) / sizeof(tests[0]), NULL, teardown,
			 60);
}
