/* SPDX-License-Identifier: MIT
 * test_journal_order.c: a REST request's http.request record is in the journal by the time its
 * client has the answer (docs/admin-api.md#journal). It used to be written when libmicrohttpd
 * reported the request complete, after the answer had gone out, so a client that read the
 * journal (or made its next request) right after an answer could find that record missing, and
 * two calls made one after the other could be journaled in the wrong order, which replay then
 * repeated. Many rounds, since the old window was short.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define ROUNDS 300

static struct srv s;

START_TEST(a_rest_answer_is_journaled_before_the_client_reads_it)
{
	char path[128], topic[160];
	int i;

	srv_start(&s, NULL);
	for (i = 0; i < ROUNDS; i++) {
		snprintf(path, sizeof(path), "/v1/devices/nrf-order-%d", i);
		snprintf(topic, sizeof(topic), "GET %s", path);
		ck_assert_int_eq(http_rest(&s, "GET", path, NULL, NULL), 401);
		ck_assert_msg(journal_count_topic(&s, "http.request", NULL, topic) == 1,
			      "round %d: no http.request record for %s once it was answered", i,
			      topic);
	}
}
END_TEST

static const struct suite_def suite = {
	.name = "journal_order", .timeout_s = 120, .servers = { &s },
};

SUITE_MAIN(suite, { "answered_then_journaled", a_rest_answer_is_journaled_before_the_client_reads_it })
