/* SPDX-License-Identifier: MIT
 * test_topic.c: unit tests for core/topic.c: every row of docs/protocol-mqtt.md#topic-table for G1, G2 and G3,
 * the plain AWS shadow topics and FOTA classify exactly, for their own device and team only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devid.h"
#include "topic.h"

#define DEV "nrf-1"
#define PFX "prod/T/"

struct row {
	const char *label;
	const char *tpl; /* {P} is the team prefix, {D} the device ID */
	enum ncm_topic_kind kind;
	enum ncm_topic_dir dir;
};

#define PUB NCM_TOPIC_DIR_PUB
#define SUB NCM_TOPIC_DIR_SUB

static const struct row rows[] = {
	/* docs/protocol-mqtt.md#topic-table, G1 column (and G0's AWS get/accepted) */
	{ "G1 shadow get", "$aws/things/{D}/shadow/get", NCM_TOPIC_AWS_GET, PUB },
	{ "G1 shadow get reply", "{D}/shadow/get/accepted", NCM_TOPIC_G1_GET_ACCEPTED, SUB },
	{ "G1 get rejected", "$aws/things/{D}/shadow/get/rejected", NCM_TOPIC_AWS_GET_REJECTED,
	  SUB },
	{ "G1 shadow update", "$aws/things/{D}/shadow/update", NCM_TOPIC_AWS_UPDATE, PUB },
	{ "G1 delta", "$aws/things/{D}/shadow/update/delta", NCM_TOPIC_AWS_UPDATE_DELTA, SUB },
	/* G2 column */
	{ "G2 shadow get", "{D}/shadow/get/trim", NCM_TOPIC_G2_GET_TRIM, PUB },
	{ "G2 shadow get reply", "{D}/shadow/get/accepted/trim", NCM_TOPIC_G2_GET_ACCEPTED_TRIM,
	  SUB },
	{ "G2 get rejected", "{D}/shadow/get/rejected", NCM_TOPIC_SHADOW_GET_REJECTED, SUB },
	{ "G2 shadow update", "{D}/shadow/update", NCM_TOPIC_SHADOW_UPDATE, PUB },
	{ "G2 delta", "{D}/shadow/update/delta/full", NCM_TOPIC_G2_DELTA_FULL, SUB },
	{ "G2 delta error", "{D}/shadow/update/delta/full/err", NCM_TOPIC_G2_DELTA_FULL_ERR, SUB },
	{ "G2 transform get", "{D}/shadow/get/tf", NCM_TOPIC_G3_GET_TF, PUB },
	{ "G2 transform reply", "{D}/shadow/get/accepted/tf", NCM_TOPIC_G3_GET_ACCEPTED_TF, SUB },
	/* G3 column */
	{ "G3 shadow get", "{D}/shadow/get/tf", NCM_TOPIC_G3_GET_TF, PUB },
	{ "G3 shadow get reply", "{D}/shadow/get/accepted/tf", NCM_TOPIC_G3_GET_ACCEPTED_TF, SUB },
	{ "G3 get rejected", "{D}/shadow/get/rejected", NCM_TOPIC_SHADOW_GET_REJECTED, SUB },
	{ "G3 shadow update", "{D}/shadow/update", NCM_TOPIC_SHADOW_UPDATE, PUB },
	{ "G3 delta", "{D}/shadow/update/delta/trim", NCM_TOPIC_G3_DELTA_TRIM, SUB },
	{ "G3 delta error", "{D}/shadow/update/delta/trim/err", NCM_TOPIC_G3_DELTA_TRIM_ERR, SUB },
	/* plain AWS shadow topics */
	{ "AWS get accepted", "$aws/things/{D}/shadow/get/accepted", NCM_TOPIC_AWS_GET_ACCEPTED,
	  SUB },
	{ "AWS update accepted", "$aws/things/{D}/shadow/update/accepted",
	  NCM_TOPIC_AWS_UPDATE_ACCEPTED, SUB },
	{ "AWS update rejected", "$aws/things/{D}/shadow/update/rejected",
	  NCM_TOPIC_AWS_UPDATE_REJECTED, SUB },
	{ "AWS update documents", "$aws/things/{D}/shadow/update/documents",
	  NCM_TOPIC_AWS_UPDATE_DOCUMENTS, SUB },
	{ "AWS delete", "$aws/things/{D}/shadow/delete", NCM_TOPIC_AWS_DELETE, PUB },
	{ "AWS delete accepted", "$aws/things/{D}/shadow/delete/accepted",
	  NCM_TOPIC_AWS_DELETE_ACCEPTED, SUB },
	{ "AWS delete rejected", "$aws/things/{D}/shadow/delete/rejected",
	  NCM_TOPIC_AWS_DELETE_REJECTED, SUB },
	/* data channel, same in all generations */
	{ "d2c", "{P}m/d/{D}/d2c", NCM_TOPIC_D2C, PUB },
	{ "d2c bulk", "{P}m/d/{D}/d2c/bulk", NCM_TOPIC_D2C_BULK, PUB },
	{ "d2c bin", "{P}m/d/{D}/d2c/bin", NCM_TOPIC_D2C_BIN, PUB },
	{ "c2d subscription v2.2+", "{P}m/d/{D}/+/r", NCM_TOPIC_C2D_WILDCARD, SUB },
	{ "c2d subscription <= v2.1", "{P}m/d/{D}/c2d", NCM_TOPIC_C2D, SUB },
	{ "general c2d", "{P}m/d/{D}/c2d/r", NCM_TOPIC_C2D_R, SUB },
	{ "A-GNSS reply", "{P}m/d/{D}/agnss/r", NCM_TOPIC_AGNSS_R, SUB },
	{ "A-GPS reply", "{P}m/d/{D}/agps/r", NCM_TOPIC_AGPS_R, SUB },
	{ "P-GPS reply", "{P}m/d/{D}/pgps/r", NCM_TOPIC_PGPS_R, SUB },
	{ "ground fix reply", "{P}m/d/{D}/ground_fix/r", NCM_TOPIC_GROUND_FIX_R, SUB },
	{ "other reply", "{P}m/d/{D}/x/r", NCM_TOPIC_OTHER_R, SUB },
	/* FOTA and BLE FOTA */
	{ "FOTA rcv", "{P}{D}/jobs/rcv", NCM_TOPIC_JOBS_RCV, SUB },
	{ "FOTA req", "{P}{D}/jobs/req", NCM_TOPIC_JOBS_REQ, PUB },
	{ "FOTA update", "{P}{D}/jobs/update", NCM_TOPIC_JOBS_UPDATE, PUB },
	{ "BLE FOTA rcv", "{P}{D}/jobs/ble/rcv", NCM_TOPIC_JOBS_BLE_RCV, SUB },
	{ "BLE FOTA req", "{P}{D}/jobs/ble/req", NCM_TOPIC_JOBS_BLE_REQ, PUB },
	{ "BLE FOTA update", "{P}{D}/jobs/ble/update", NCM_TOPIC_JOBS_BLE_UPDATE, PUB },
	/* BLE gateways */
	{ "gateway events", "{P}m/d/{D}/g2c", NCM_TOPIC_G2C, PUB },
	{ "gateway operations", "{P}m/d/{D}/c2g", NCM_TOPIC_C2G, SUB },
};

#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static const char *const bad_ids[] = { "nrf+1", "nrf#1", "nrf/1", "+", "#", "" };

static const char *const bad_prefixes[] = {
	"", "/", "prod", "prod/", "prod/T", "prod//", "/T/", "prod/T/x/", "prod/+/", "#/T/",
	"prod/T+/", "prod/#/", "+/T/", "prod/T//",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Writes tpl with {P} and {D} replaced into buf (of size 1024). */
static const char *expand(char *buf, const char *tpl, const char *prefix, const char *dev)
{
	size_t len = 0, n;
	const char *part;

	while (*tpl) {
		if (strncmp(tpl, "{P}", 3) == 0 || strncmp(tpl, "{D}", 3) == 0) {
			part = tpl[1] == 'P' ? prefix : dev;
			tpl += 3;
		} else {
			buf[len++] = *tpl++;
			continue;
		}
		n = strlen(part);
		ck_assert_uint_lt(len + n, 1024);
		memcpy(buf + len, part, n);
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

static int has_prefix(const struct row *r)
{
	return strstr(r->tpl, "{P}") != NULL;
}

START_TEST(every_row_classifies_to_its_kind_and_direction)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, DEV);
		enum ncm_topic_kind k = ncm_topic_classify(DEV, PFX, t);

		ck_assert_msg(k == rows[i].kind, "%s: '%s' classified as %s, expected %s",
			      rows[i].label, t, ncm_topic_kind_name(k),
			      ncm_topic_kind_name(rows[i].kind));
		ck_assert_msg(ncm_topic_dir(k) == rows[i].dir, "%s: wrong direction",
			      rows[i].label);
	}
}
END_TEST

START_TEST(every_kind_appears_in_the_test_table)
{
	int k;
	size_t i;

	for (k = NCM_TOPIC_NONE + 1; k < NCM_TOPIC_KIND_COUNT; k++) {
		for (i = 0; i < ROW_COUNT; i++)
			if ((int)rows[i].kind == k)
				break;
		ck_assert_msg(i < ROW_COUNT, "kind %s has no test row",
			      ncm_topic_kind_name((enum ncm_topic_kind)k));
	}
}
END_TEST

START_TEST(every_kind_has_a_direction_and_a_unique_name)
{
	int a, b;

	ck_assert_int_eq(ncm_topic_dir(NCM_TOPIC_NONE), NCM_TOPIC_DIR_NONE);
	ck_assert_str_eq(ncm_topic_kind_name(NCM_TOPIC_NONE), "none");
	ck_assert_int_eq(ncm_topic_dir(NCM_TOPIC_KIND_COUNT), NCM_TOPIC_DIR_NONE);
	ck_assert_ptr_nonnull(ncm_topic_kind_name(NCM_TOPIC_KIND_COUNT));
	ck_assert_str_eq(ncm_topic_kind_name(NCM_TOPIC_AWS_GET), "aws/get");
	ck_assert_str_eq(ncm_topic_kind_name(NCM_TOPIC_G2_GET_TRIM), "g2/get/trim");
	ck_assert_str_eq(ncm_topic_kind_name(NCM_TOPIC_D2C), "d2c");
	ck_assert_str_eq(ncm_topic_kind_name(NCM_TOPIC_JOBS_RCV), "jobs/rcv");
	for (a = NCM_TOPIC_NONE + 1; a < NCM_TOPIC_KIND_COUNT; a++) {
		const char *na = ncm_topic_kind_name((enum ncm_topic_kind)a);

		ck_assert_msg(ncm_topic_dir((enum ncm_topic_kind)a) != NCM_TOPIC_DIR_NONE,
			      "kind %d (%s) has no direction", a, na);
		ck_assert_msg(na && strcmp(na, "none") != 0 && strcmp(na, "unknown") != 0,
			      "kind %d has no name", a);
		for (b = NCM_TOPIC_NONE + 1; b < a; b++)
			ck_assert_msg(strcmp(na, ncm_topic_kind_name((enum ncm_topic_kind)b)),
				      "kinds %d and %d share the name %s", a, b, na);
	}
}
END_TEST

START_TEST(every_row_of_another_device_is_none)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, "nrf-2");

		ck_assert_msg(ncm_topic_classify(DEV, PFX, t) == NCM_TOPIC_NONE,
			      "%s: '%s' matched for device " DEV, rows[i].label, t);
	}
}
END_TEST

START_TEST(every_data_and_fota_row_under_another_team_is_none)
{
	static const char *const others[] = { "prod/U/", "beta/T/", "prod/TT/", "prod/", "" };
	char buf[1024];
	size_t i, j;

	for (i = 0; i < ROW_COUNT; i++) {
		if (!has_prefix(&rows[i]))
			continue;
		for (j = 0; j < COUNT(others); j++) {
			const char *t = expand(buf, rows[i].tpl, others[j], DEV);

			ck_assert_msg(ncm_topic_classify(DEV, PFX, t) == NCM_TOPIC_NONE,
				      "%s: '%s' matched under prefix " PFX, rows[i].label, t);
		}
	}
}
END_TEST

START_TEST(device_id_that_prefixes_another_does_not_match)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, "nrf-12");

		ck_assert_msg(ncm_topic_classify("nrf-1", PFX, t) == NCM_TOPIC_NONE,
			      "%s: '%s' matched for nrf-1", rows[i].label, t);
		t = expand(buf, rows[i].tpl, PFX, "nrf-1");
		ck_assert_msg(ncm_topic_classify("nrf-12", PFX, t) == NCM_TOPIC_NONE,
			      "%s: '%s' matched for nrf-12", rows[i].label, t);
		ck_assert_msg(ncm_topic_classify("nrf-1", PFX, t) == rows[i].kind,
			      "%s: '%s' lost its own match", rows[i].label, t);
	}
}
END_TEST

START_TEST(device_id_is_case_sensitive)
{
	ck_assert_int_eq(ncm_topic_classify("nrf-1", PFX, "NRF-1/shadow/update"), NCM_TOPIC_NONE);
	ck_assert_int_eq(ncm_topic_classify("NRF-1", PFX, "NRF-1/shadow/update"),
			 NCM_TOPIC_SHADOW_UPDATE);
}
END_TEST

START_TEST(extra_missing_or_leading_characters_are_none)
{
	static const char *const tails[] = { "/extra", "/", "x", "/+", "/#" };
	char buf[1024], t[1100];
	size_t i, j, n;

	for (i = 0; i < ROW_COUNT; i++) {
		expand(buf, rows[i].tpl, PFX, DEV);
		for (j = 0; j < COUNT(tails); j++) {
			snprintf(t, sizeof(t), "%s%s", buf, tails[j]);
			ck_assert_msg(ncm_topic_classify(DEV, PFX, t) == NCM_TOPIC_NONE,
				      "%s: '%s' matched", rows[i].label, t);
		}
		snprintf(t, sizeof(t), "/%s", buf);
		ck_assert_msg(ncm_topic_classify(DEV, PFX, t) == NCM_TOPIC_NONE,
			      "%s: '%s' matched", rows[i].label, t);
		n = strlen(buf);
		buf[n - 1] = '\0';
		ck_assert_msg(ncm_topic_classify(DEV, PFX, buf) == NCM_TOPIC_NONE,
			      "%s: truncated '%s' matched", rows[i].label, buf);
	}
	ck_assert_int_eq(ncm_topic_classify(DEV, PFX, DEV "/shadow/update/extra"), NCM_TOPIC_NONE);
}
END_TEST

START_TEST(invalid_device_ids_match_nothing)
{
	char buf[1024], id[200];
	size_t i, j;

	for (j = 0; j < COUNT(bad_ids); j++) {
		for (i = 0; i < ROW_COUNT; i++) {
			const char *t = expand(buf, rows[i].tpl, PFX, bad_ids[j]);

			ck_assert_msg(ncm_topic_classify(bad_ids[j], PFX, t) == NCM_TOPIC_NONE,
				      "%s: '%s' matched for invalid ID '%s'", rows[i].label, t,
				      bad_ids[j]);
		}
	}
	ck_assert_int_eq(ncm_topic_classify(NULL, PFX, "(null)/shadow/update"), NCM_TOPIC_NONE);
	memset(id, 'a', 129);
	id[129] = '\0';
	ck_assert_int_eq(ncm_topic_classify(id, PFX, expand(buf, "{D}/shadow/update", PFX, id)),
			 NCM_TOPIC_NONE);
	id[128] = '\0';
	ck_assert_int_eq(ncm_topic_classify(id, PFX, expand(buf, "{D}/shadow/update", PFX, id)),
			 NCM_TOPIC_SHADOW_UPDATE);
}
END_TEST

START_TEST(invalid_prefixes_make_data_and_fota_rows_unmatchable)
{
	char buf[1024];
	size_t i, j;

	for (j = 0; j < COUNT(bad_prefixes); j++) {
		for (i = 0; i < ROW_COUNT; i++) {
			const char *t = expand(buf, rows[i].tpl, bad_prefixes[j], DEV);
			enum ncm_topic_kind want = has_prefix(&rows[i]) ? NCM_TOPIC_NONE :
									 rows[i].kind;

			ck_assert_msg(ncm_topic_classify(DEV, bad_prefixes[j], t) == want,
				      "%s: '%s' under invalid prefix '%s'", rows[i].label, t,
				      bad_prefixes[j]);
		}
	}
	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, "", DEV);
		enum ncm_topic_kind want = has_prefix(&rows[i]) ? NCM_TOPIC_NONE : rows[i].kind;

		ck_assert_msg(ncm_topic_classify(DEV, NULL, t) == want,
			      "%s: '%s' with no prefix", rows[i].label, t);
	}
}
END_TEST

START_TEST(other_valid_prefixes_work)
{
	static const char *const prefixes[] = {
		"dev/a0673464-e4e1-4b87-bffd-6941a012067b/", "beta/x/", "p/t/",
	};
	char buf[1024];
	size_t i, j;

	for (j = 0; j < COUNT(prefixes); j++) {
		for (i = 0; i < ROW_COUNT; i++) {
			const char *t = expand(buf, rows[i].tpl, prefixes[j], DEV);

			ck_assert_msg(ncm_topic_classify(DEV, prefixes[j], t) == rows[i].kind,
				      "%s: '%s' under prefix '%s'", rows[i].label, t, prefixes[j]);
		}
	}
}
END_TEST

START_TEST(reply_level_must_be_one_plain_level)
{
	static const struct {
		const char *topic;
		enum ncm_topic_kind kind;
	} cases[] = {
		{ PFX "m/d/" DEV "/c2d/r", NCM_TOPIC_C2D_R },
		{ PFX "m/d/" DEV "/agnss/r", NCM_TOPIC_AGNSS_R },
		{ PFX "m/d/" DEV "/agps/r", NCM_TOPIC_AGPS_R },
		{ PFX "m/d/" DEV "/pgps/r", NCM_TOPIC_PGPS_R },
		{ PFX "m/d/" DEV "/ground_fix/r", NCM_TOPIC_GROUND_FIX_R },
		{ PFX "m/d/" DEV "/cell_pos/r", NCM_TOPIC_OTHER_R },
		{ PFX "m/d/" DEV "/x/r", NCM_TOPIC_OTHER_R },
		{ PFX "m/d/" DEV "/+/r", NCM_TOPIC_C2D_WILDCARD },
		{ PFX "m/d/" DEV "/#/r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/a+/r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/+a/r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "//r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/a/b/r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/r", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/x/r/", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/x/+", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/c2d/", NCM_TOPIC_NONE },
		{ PFX "m/d/" DEV "/d2c/r", NCM_TOPIC_OTHER_R },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		enum ncm_topic_kind k = ncm_topic_classify(DEV, PFX, cases[i].topic);

		ck_assert_msg(k == cases[i].kind, "'%s' classified as %s, expected %s",
			      cases[i].topic, ncm_topic_kind_name(k),
			      ncm_topic_kind_name(cases[i].kind));
	}
}
END_TEST

START_TEST(other_wildcard_filters_are_none)
{
	static const char *const filters[] = {
		"#", "+", "+/#", "$aws/things/" DEV "/shadow/#", "$aws/things/+/shadow/update",
		DEV "/shadow/#", DEV "/shadow/+", "+/shadow/update", PFX "m/d/" DEV "/#",
		PFX "m/d/+/r", PFX "m/d/+/+/r", PFX "#", "prod/+/m/d/" DEV "/+/r",
		PFX "m/d/" DEV "/+/+", PFX "+/jobs/rcv", PFX DEV "/jobs/#",
	};
	size_t i;

	for (i = 0; i < COUNT(filters); i++)
		ck_assert_msg(ncm_topic_classify(DEV, PFX, filters[i]) == NCM_TOPIC_NONE,
			      "'%s' matched a row", filters[i]);
}
END_TEST

START_TEST(unrelated_topics_are_none)
{
	static const char *const topics[] = {
		"", "/", DEV, DEV "/", DEV "/shadow", "$aws/things/" DEV,
		"$aws/things/" DEV "/shadow", "$aws/things/" DEV "/shadow/", PFX, PFX "m/d/" DEV,
		PFX "m/d/" DEV "/", PFX DEV, PFX DEV "/jobs", PFX DEV "/jobs/", PFX "m/" DEV "/d2c",
		PFX "m/d/" DEV "/D2C",
		"aws/things/" DEV "/shadow/get", "$AWS/things/" DEV "/shadow/get",
		PFX "m/d/" DEV "/jobs/rcv", PFX "m/d/" DEV "/C2G", PFX "m/d/" DEV "/g2c/x",
	};
	size_t i;

	for (i = 0; i < COUNT(topics); i++)
		ck_assert_msg(ncm_topic_classify(DEV, PFX, topics[i]) == NCM_TOPIC_NONE,
			      "'%s' matched a row", topics[i]);
}
END_TEST

START_TEST(null_arguments_classify_as_none)
{
	ck_assert_int_eq(ncm_topic_classify(DEV, PFX, NULL), NCM_TOPIC_NONE);
	ck_assert_int_eq(ncm_topic_classify(NULL, NULL, NULL), NCM_TOPIC_NONE);
	ck_assert_int_eq(ncm_topic_has_wildcard(NULL), 0);
}
END_TEST

START_TEST(longest_topics_are_compared_in_place)
{
	size_t len = 65535, p = strlen(PFX "m/d/" DEV "/");
	char *t = malloc(len + 1);

	ck_assert_ptr_nonnull(t);
	memcpy(t, PFX "m/d/" DEV "/", p);
	memset(t + p, 'x', len - p);
	t[len - 2] = '/';
	t[len - 1] = 'r';
	t[len] = '\0';
	ck_assert_int_eq(ncm_topic_classify(DEV, PFX, t), NCM_TOPIC_OTHER_R);
	t[len - 2] = 'x';
	ck_assert_int_eq(ncm_topic_classify(DEV, PFX, t), NCM_TOPIC_NONE);
	memset(t, 'a', len);
	ck_assert_int_eq(ncm_topic_classify(DEV, PFX, t), NCM_TOPIC_NONE);
	ck_assert_int_eq(ncm_topic_has_wildcard(t), 0);
	t[len - 1] = '#';
	ck_assert_int_eq(ncm_topic_has_wildcard(t), 1);
	free(t);
}
END_TEST

START_TEST(has_wildcard_finds_plus_and_hash_anywhere)
{
	static const struct {
		const char *topic;
		int want;
	} cases[] = {
		{ "", 0 }, { "a/b/c", 0 }, { "$aws/things/x/shadow/get", 0 }, { "+", 1 },
		{ "#", 1 }, { "a/+/c", 1 }, { "a/b/#", 1 }, { "+a", 1 }, { "a#", 1 }, { "a/b+", 1 },
		{ PFX "m/d/" DEV "/+/r", 1 },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++)
		ck_assert_msg(ncm_topic_has_wildcard(cases[i].topic) == cases[i].want,
			      "'%s': expected %d", cases[i].topic, cases[i].want);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add(s, #fn, fn)

START_TEST(filters_match_topics_as_mqtt_defines)
{
	static const struct {
		const char *filter, *topic;
		int match;
	} cases[] = {
		{ "a/b", "a/b", 1 },
		{ "a/b", "a/c", 0 },
		{ "a/+", "a/b", 1 },
		{ "a/+", "a/b/c", 0 },
		{ "a/+/c", "a/b/c", 1 },
		{ "a/+/c", "a//c", 1 },
		{ "+/+", "a/b", 1 },
		{ "a/#", "a", 1 },
		{ "a/#", "a/b/c", 1 },
		{ "a/#", "ab", 0 },
		{ "#", "a/b", 1 },
		{ "#", "$aws/things/x", 0 },
		{ "+/things/x", "$aws/things/x", 0 },
		{ "$aws/#", "$aws/things/x/shadow/get", 1 },
		{ "prod/T/m/d/+/d2c", "prod/T/m/d/nrf-1/d2c", 1 },
		{ "prod/T/m/d/+/d2c", "prod/T/m/d/nrf-1/d2c/bulk", 0 },
		{ "a/b/", "a/b/", 1 },
		{ "a/b", "a/b/", 0 },
		{ "ab", "a", 0 },
		{ "a", "ab", 0 },
		{ "", "", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(ncm_topic_matches(cases[i].filter, cases[i].topic) == cases[i].match,
			      "%s vs %s", cases[i].filter, cases[i].topic);
	ck_assert(!ncm_topic_matches(NULL, "a"));
	ck_assert(!ncm_topic_matches("a", NULL));
}
END_TEST

/* The device a cloud publish is for, from its topic alone (the journal's device field). */
START_TEST(device_of_a_topic_is_found_on_every_row_kind)
{
	static const struct {
		const char *topic, *device;
	} cases[] = {
		{ "$aws/things/" DEV "/shadow/update/delta", DEV },
		{ DEV "/shadow/get/accepted/tf", DEV },
		{ PFX "m/d/" DEV "/ground_fix/r", DEV },
		{ PFX "m/d/" DEV "/c2d", DEV },
		{ PFX DEV "/jobs/rcv", DEV },
		{ PFX "m/d/" DEV "/d2c", DEV },
		/* not a row of the device the topic starts with */
		{ "$aws/things/" DEV "/elsewhere", NULL },
		{ PFX "m/d/" DEV, NULL },
		{ "other/T9/m/d/" DEV "/c2d", NULL },
		{ "$aws/things/bad id/shadow/get", NULL },
		{ "", NULL },
		{ "nothing", NULL },
	};
	char out[NCM_DEVID_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ncm_topic_device(PFX, cases[i].topic, out, sizeof(out));

		if (cases[i].device) {
			ck_assert_msg(rc == 0, "%s: no device", cases[i].topic);
			ck_assert_str_eq(out, cases[i].device);
		} else {
			ck_assert_msg(rc == -1, "%s: device %s", cases[i].topic, out);
		}
	}
	ck_assert_int_eq(ncm_topic_device(PFX, NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(ncm_topic_device(PFX, PFX DEV "/jobs/rcv", out, 3), -1);
}
END_TEST

static Suite *topic_suite(void)
{
	Suite *s = suite_create("topic");

	ADD(s, every_row_classifies_to_its_kind_and_direction);
	ADD(s, every_kind_appears_in_the_test_table);
	ADD(s, every_kind_has_a_direction_and_a_unique_name);
	ADD(s, every_row_of_another_device_is_none);
	ADD(s, every_data_and_fota_row_under_another_team_is_none);
	ADD(s, device_id_that_prefixes_another_does_not_match);
	ADD(s, device_id_is_case_sensitive);
	ADD(s, extra_missing_or_leading_characters_are_none);
	ADD(s, invalid_device_ids_match_nothing);
	ADD(s, invalid_prefixes_make_data_and_fota_rows_unmatchable);
	ADD(s, other_valid_prefixes_work);
	ADD(s, reply_level_must_be_one_plain_level);
	ADD(s, other_wildcard_filters_are_none);
	ADD(s, unrelated_topics_are_none);
	ADD(s, null_arguments_classify_as_none);
	ADD(s, longest_topics_are_compared_in_place);
	ADD(s, has_wildcard_finds_plus_and_hash_anywhere);
	ADD(s, filters_match_topics_as_mqtt_defines);
	ADD(s, device_of_a_topic_is_found_on_every_row_kind);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(topic_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
