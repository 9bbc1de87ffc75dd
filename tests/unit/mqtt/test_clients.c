/* SPDX-License-Identifier: MIT
 * test_clients.c: the plugin's connected-client table (server/mqtt/clients.c). Besides what it
 * answers, a lookup by device ID must look at a few entries however many devices are
 * connected: a table that walked every entry on each disconnect stalled the broker for tens of
 * seconds in a storm of disconnects at 10 000 devices (docs/limits.md#soak).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"

#define MANY 20000

/* Stand-ins for the broker's client pointers: only their addresses are used. */
static char conns[MANY + 4];

static const struct mosquitto *conn(int i)
{
	return (const struct mosquitto *)(const void *)&conns[i];
}

static void fill(int n)
{
	char id[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "nrf-35265619%07d", i);
		ck_assert_ptr_nonnull(ncm_clients_add(conn(i), id));
	}
}

static void teardown(void)
{
	ncm_clients_clear();
}

START_TEST(lookup_by_device_does_not_walk_the_table)
{
	fill(MANY);
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656190012345", NULL), 1);
	/* a few: the device's bucket, not the 20 000 entries */
	ck_assert_uint_le(ncm_clients_visited(), 8);
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656190012345",
						   ncm_clients_get(conn(12345))), 0);
	ck_assert_uint_le(ncm_clients_visited(), 8);
	ncm_clients_set_kick_reason("nrf-352656190000007", "kicked by a test");
	ck_assert_uint_le(ncm_clients_visited(), 8);
	ck_assert_str_eq(ncm_clients_get(conn(7))->kick_reason, "kicked by a test");
	ck_assert_str_eq(ncm_clients_get(conn(8))->kick_reason, "");
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656199999999", NULL), 0);
	ck_assert_uint_le(ncm_clients_visited(), 8);
}
END_TEST

START_TEST(a_disconnect_storm_stays_linear)
{
	size_t worst = 0;
	int i;

	fill(MANY);
	/* what on_disconnect does for each of them, as in a storm of disconnects */
	for (i = 0; i < MANY; i++) {
		struct ncm_client *c = ncm_clients_get(conn(i));

		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(ncm_clients_count_device(c->device_id, c), 0);
		if (ncm_clients_visited() > worst)
			worst = ncm_clients_visited();
		ncm_clients_remove(conn(i));
	}
	ck_assert_uint_le(worst, 8);
	ck_assert_ptr_null(ncm_clients_get(conn(0)));
}
END_TEST

START_TEST(takeover_and_case_are_seen)
{
	struct ncm_client *old, *newer;

	old = ncm_clients_add(conn(0), "nrf-352656100000001");
	newer = ncm_clients_add(conn(1), "NRF-352656100000001");
	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_nonnull(newer);
	ncm_clients_add(conn(2), "nrf-352656100000002");
	/* the old connection's disconnect sees the newer one, IDs compared without case */
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000001", old), 1);
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000001", NULL), 2);
	ncm_clients_set_kick_reason("Nrf-352656100000001", "both");
	ck_assert_str_eq(old->kick_reason, "both");
	ck_assert_str_eq(newer->kick_reason, "both");
	ck_assert_str_eq(ncm_clients_get(conn(2))->kick_reason, "");
	ncm_clients_remove(conn(0));
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000001", NULL), 1);
	ck_assert_ptr_eq(ncm_clients_get(conn(1)), newer);
	/* kicking everyone marks every connection */
	ncm_clients_set_kick_reason(NULL, "reset");
	ck_assert_str_eq(newer->kick_reason, "reset");
	ck_assert_str_eq(ncm_clients_get(conn(2))->kick_reason, "reset");
}
END_TEST

START_TEST(re_adding_a_connection_moves_it_to_the_new_id)
{
	struct ncm_client *c = ncm_clients_add(conn(0), "nrf-352656100000001");

	ck_assert_ptr_nonnull(c);
	strcpy(c->kick_reason, "stale");
	ck_assert_ptr_eq(ncm_clients_add(conn(0), "nrf-352656100000009"), c);
	ck_assert_str_eq(c->kick_reason, "");
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000001", NULL), 0);
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000009", NULL), 1);
	ncm_clients_remove(conn(0));
	ck_assert_uint_eq(ncm_clients_count_device("nrf-352656100000009", NULL), 0);
	ck_assert_ptr_null(ncm_clients_get(conn(0)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, lookup_by_device_does_not_walk_the_table);
	tcase_add_test(tc, a_disconnect_storm_stays_linear);
	tcase_add_test(tc, takeover_and_case_are_seen);
	tcase_add_test(tc, re_adding_a_connection_moves_it_to_the_new_id);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
