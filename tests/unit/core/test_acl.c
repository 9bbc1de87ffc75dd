/* SPDX-License-Identifier: MIT
 * test_acl.c: unit tests for core/acl.c: a device publishes its PUB rows and subscribes to and
 * receives its SUB rows of docs/protocol-mqtt.md#topic-table (G1, G2, G3, plain AWS, data channel, FOTA), never the
 * other direction, never another device's or team's rows, and every denial says why.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

#define DEV "nrf-1"
#define PFX "prod/T/"

struct row {
	const char *label;
	const char *tpl; /* {P} is the team prefix, {D} the device ID */
	enum ncm_topic_dir dir;
};

#define PUB NCM_TOPIC_DIR_PUB
#define SUB NCM_TOPIC_DIR_SUB

static const struct row rows[] = {
	/* docs/protocol-mqtt.md#topic-table, G1 column */
	{ "G1 shadow get", "$aws/things/{D}/shadow/get", PUB },
	{ "G1 shadow get reply", "{D}/shadow/get/accepted", SUB },
	{ "G1 get rejected", "$aws/things/{D}/shadow/get/rejected", SUB },
	{ "G1 shadow update", "$aws/things/{D}/shadow/update", PUB },
	{ "G1 delta", "$aws/things/{D}/shadow/update/delta", SUB },
	/* G2 column */
	{ "G2 shadow get", "{D}/shadow/get/trim", PUB },
	{ "G2 shadow get reply", "{D}/shadow/get/accepted/trim", SUB },
	{ "G2 get rejected", "{D}/shadow/get/rejected", SUB },
	{ "G2 shadow update", "{D}/shadow/update", PUB },
	{ "G2 delta", "{D}/shadow/update/delta/full", SUB },
	{ "G2 delta error", "{D}/shadow/update/delta/full/err", SUB },
	{ "G2 transform get", "{D}/shadow/get/tf", PUB },
	{ "G2 transform reply", "{D}/shadow/get/accepted/tf", SUB },
	/* G3 column */
	{ "G3 shadow get", "{D}/shadow/get/tf", PUB },
	{ "G3 shadow get reply", "{D}/shadow/get/accepted/tf", SUB },
	{ "G3 get rejected", "{D}/shadow/get/rejected", SUB },
	{ "G3 shadow update", "{D}/shadow/update", PUB },
	{ "G3 delta", "{D}/shadow/update/delta/trim", SUB },
	{ "G3 delta error", "{D}/shadow/update/delta/trim/err", SUB },
	/* plain AWS shadow topics */
	{ "AWS get accepted", "$aws/things/{D}/shadow/get/accepted", SUB },
	{ "AWS update accepted", "$aws/things/{D}/shadow/update/accepted", SUB },
	{ "AWS update rejected", "$aws/things/{D}/shadow/update/rejected", SUB },
	{ "AWS update documents", "$aws/things/{D}/shadow/update/documents", SUB },
	{ "AWS delete", "$aws/things/{D}/shadow/delete", PUB },
	{ "AWS delete accepted", "$aws/things/{D}/shadow/delete/accepted", SUB },
	{ "AWS delete rejected", "$aws/things/{D}/shadow/delete/rejected", SUB },
	/* data channel, same in all generations */
	{ "d2c", "{P}m/d/{D}/d2c", PUB },
	{ "d2c bulk", "{P}m/d/{D}/d2c/bulk", PUB },
	{ "d2c bin", "{P}m/d/{D}/d2c/bin", PUB },
	{ "c2d subscription v2.2+", "{P}m/d/{D}/+/r", SUB },
	{ "c2d subscription <= v2.1", "{P}m/d/{D}/c2d", SUB },
	{ "general c2d", "{P}m/d/{D}/c2d/r", SUB },
	{ "A-GNSS reply", "{P}m/d/{D}/agnss/r", SUB },
	{ "A-GPS reply", "{P}m/d/{D}/agps/r", SUB },
	{ "P-GPS reply", "{P}m/d/{D}/pgps/r", SUB },
	{ "ground fix reply", "{P}m/d/{D}/ground_fix/r", SUB },
	{ "other reply", "{P}m/d/{D}/x/r", SUB },
	/* FOTA and BLE FOTA */
	{ "FOTA rcv", "{P}{D}/jobs/rcv", SUB },
	{ "FOTA req", "{P}{D}/jobs/req", PUB },
	{ "FOTA update", "{P}{D}/jobs/update", PUB },
	{ "BLE FOTA rcv", "{P}{D}/jobs/ble/rcv", SUB },
	{ "BLE FOTA req", "{P}{D}/jobs/ble/req", PUB },
	{ "BLE FOTA update", "{P}{D}/jobs/ble/update", PUB },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define ROW_COUNT COUNT(rows)

static const enum ncm_acl_access all_access[] = {
	NCM_ACL_PUBLISH, NCM_ACL_SUBSCRIBE, NCM_ACL_UNSUBSCRIBE, NCM_ACL_RECEIVE,
};

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

static int is_wildcard_row(const struct row *r)
{
	return strchr(r->tpl, '+') != NULL;
}

/* Runs the check and, on denial, makes sure the message names the topic and the device. */
static int check(const char *dev, const char *prefix, enum ncm_acl_access access,
		 const char *topic, struct ncm_err_info *err)
{
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ncm_acl_check(dev, prefix, access, topic, err);
	if (rc == NCM_ERR_DENIED) {
		ck_assert_int_eq(err->code, NCM_ERR_DENIED);
		if (topic && strlen(topic) < 100)
			ck_assert_msg(strstr(err->msg, topic), "'%s' does not name '%s'", err->msg,
				      topic);
		if (dev && *dev)
			ck_assert_msg(strstr(err->msg, dev), "'%s' does not name '%s'", err->msg,
				      dev);
	}
	return rc;
}

START_TEST(owning_device_may_use_every_row_in_its_direction)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i;
	int rc;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, DEV);

		if (rows[i].dir == PUB) {
			rc = check(DEV, PFX, NCM_ACL_PUBLISH, t, &err);
			ck_assert_msg(rc == NCM_OK, "%s: %s", rows[i].label, err.msg);
			continue;
		}
		rc = check(DEV, PFX, NCM_ACL_SUBSCRIBE, t, &err);
		ck_assert_msg(rc == NCM_OK, "%s: %s", rows[i].label, err.msg);
		if (is_wildcard_row(&rows[i]))
			continue;
		rc = check(DEV, PFX, NCM_ACL_RECEIVE, t, &err);
		ck_assert_msg(rc == NCM_OK, "%s: %s", rows[i].label, err.msg);
	}
}
END_TEST

START_TEST(publish_to_a_cloud_to_device_row_is_denied)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, DEV);

		if (rows[i].dir != SUB)
			continue;
		ck_assert_msg(check(DEV, PFX, NCM_ACL_PUBLISH, t, &err) == NCM_ERR_DENIED,
			      "%s: publish allowed", rows[i].label);
		if (is_wildcard_row(&rows[i]))
			ck_assert_msg(strstr(err.msg, "wildcard"), "%s: %s", rows[i].label,
				      err.msg);
		else
			ck_assert_msg(strstr(err.msg, "it is a cloud-to-device topic"), "%s: %s",
				      rows[i].label, err.msg);
	}
}
END_TEST

START_TEST(subscribe_to_a_device_to_cloud_row_is_denied)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, DEV);

		if (rows[i].dir != PUB)
			continue;
		ck_assert_msg(check(DEV, PFX, NCM_ACL_SUBSCRIBE, t, &err) == NCM_ERR_DENIED,
			      "%s: subscribe allowed", rows[i].label);
		ck_assert_msg(strstr(err.msg, "it is a device-to-cloud topic"), "%s: %s",
			      rows[i].label, err.msg);
	}
}
END_TEST

START_TEST(receive_of_a_device_to_cloud_row_is_denied)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, DEV);

		if (rows[i].dir != PUB)
			continue;
		ck_assert_msg(check(DEV, PFX, NCM_ACL_RECEIVE, t, &err) == NCM_ERR_DENIED,
			      "%s: receive allowed", rows[i].label);
		ck_assert_msg(strstr(err.msg, "it is a device-to-cloud topic"), "%s: %s",
			      rows[i].label, err.msg);
	}
}
END_TEST

START_TEST(every_row_of_another_device_is_denied)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i, a;

	for (i = 0; i < ROW_COUNT; i++) {
		const char *t = expand(buf, rows[i].tpl, PFX, "nrf-2");

		for (a = 0; a < COUNT(all_access); a++) {
			if (all_access[a] == NCM_ACL_UNSUBSCRIBE)
				continue;
			if (all_access[a] != NCM_ACL_SUBSCRIBE && is_wildcard_row(&rows[i]))
				continue;
			ck_assert_msg(check(DEV, PFX, all_access[a], t, &err) == NCM_ERR_DENIED,
				      "%s: access %d to '%s' allowed", rows[i].label,
				      (int)all_access[a], t);
			ck_assert_msg(strstr(err.msg, ": not one of its topics"), "%s: %s",
				      rows[i].label, err.msg);
		}
	}
}
END_TEST

START_TEST(every_data_and_fota_row_of_another_team_is_denied)
{
	static const char *const others[] = { "prod/U/", "beta/T/", "prod/TT/", "prod/", "" };
	struct ncm_err_info err;
	char buf[1024];
	size_t i, j, a;

	for (i = 0; i < ROW_COUNT; i++) {
		if (!has_prefix(&rows[i]))
			continue;
		for (j = 0; j < COUNT(others); j++) {
			const char *t = expand(buf, rows[i].tpl, others[j], DEV);

			for (a = 0; a < COUNT(all_access); a++) {
				if (all_access[a] == NCM_ACL_UNSUBSCRIBE)
					continue;
				ck_assert_msg(check(DEV, PFX, all_access[a], t, &err) ==
						      NCM_ERR_DENIED,
					      "%s: access %d to '%s' allowed", rows[i].label,
					      (int)all_access[a], t);
			}
		}
	}
}
END_TEST

START_TEST(subscribe_to_other_device_shadow_is_denied)
{
	struct ncm_err_info err;

	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_SUBSCRIBE, "nrf-2/shadow/get/accepted/tf", &err),
			 NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "subscribe to 'nrf-2/shadow/get/accepted/tf' denied for device "
				  "nrf-1: not one of its topics");
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_SUBSCRIBE, "$aws/things/nrf-2/shadow/update/delta",
			       &err),
			 NCM_ERR_DENIED);
}
END_TEST

START_TEST(device_id_that_prefixes_another_is_denied)
{
	struct ncm_err_info err;
	char buf[1024];
	size_t i, a;

	for (i = 0; i < ROW_COUNT; i++) {
		for (a = 0; a < COUNT(all_access); a++) {
			if (all_access[a] == NCM_ACL_UNSUBSCRIBE)
				continue;
			if (all_access[a] != NCM_ACL_SUBSCRIBE && is_wildcard_row(&rows[i]))
				continue;
			expand(buf, rows[i].tpl, PFX, "nrf-12");
			ck_assert_msg(check("nrf-1", PFX, all_access[a], buf, &err) ==
					      NCM_ERR_DENIED,
				      "%s: '%s' allowed for nrf-1", rows[i].label, buf);
			expand(buf, rows[i].tpl, PFX, "nrf-1");
			ck_assert_msg(check("nrf-12", PFX, all_access[a], buf, &err) ==
					      NCM_ERR_DENIED,
				      "%s: '%s' allowed for nrf-12", rows[i].label, buf);
		}
	}
}
END_TEST

START_TEST(trailing_extra_levels_are_denied)
{
	static const char *const tails[] = { "/extra", "/", "x" };
	struct ncm_err_info err;
	char buf[1024], t[1100];
	size_t i, j;

	for (i = 0; i < ROW_COUNT; i++) {
		expand(buf, rows[i].tpl, PFX, DEV);
		for (j = 0; j < COUNT(tails); j++) {
			snprintf(t, sizeof(t), "%s%s", buf, tails[j]);
			ck_assert_msg(check(DEV, PFX, NCM_ACL_PUBLISH, t, &err) == NCM_ERR_DENIED,
				      "publish to '%s' allowed", t);
			ck_assert_msg(check(DEV, PFX, NCM_ACL_SUBSCRIBE, t, &err) ==
					      NCM_ERR_DENIED,
				      "subscribe to '%s' allowed", t);
			ck_assert_msg(check(DEV, PFX, NCM_ACL_RECEIVE, t, &err) == NCM_ERR_DENIED,
				      "delivery of '%s' allowed", t);
		}
	}
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_PUBLISH, DEV "/shadow/update/extra", &err),
			 NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "publish to 'nrf-1/shadow/update/extra' denied for device "
				  "nrf-1: not one of its topics");
}
END_TEST

START_TEST(wildcard_filters_other_than_c2d_are_denied)
{
	static const char *const filters[] = {
		"#", "+", "+/#", "$aws/things/" DEV "/shadow/#", "$aws/things/+/shadow/update",
		DEV "/shadow/#", DEV "/shadow/+", DEV "/shadow/get/+", "+/shadow/update",
		PFX "m/d/" DEV "/#", PFX "m/d/+/r", PFX "m/d/" DEV "/+/+", PFX "m/d/" DEV "/#/r",
		PFX "#", PFX DEV "/jobs/#", PFX "+/jobs/rcv", "prod/+/m/d/" DEV "/+/r",
		PFX "m/d/" DEV "/+/r/#",
	};
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < COUNT(filters); i++) {
		ck_assert_msg(check(DEV, PFX, NCM_ACL_SUBSCRIBE, filters[i], &err) ==
				      NCM_ERR_DENIED,
			      "subscribe to '%s' allowed", filters[i]);
		ck_assert_msg(strstr(err.msg, ": wildcards are allowed only in '" PFX "m/d/" DEV
					      "/+/r'"),
			      "'%s': %s", filters[i], err.msg);
	}
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_SUBSCRIBE, "#", &err), NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "subscribe to '#' denied for device nrf-1: wildcards are allowed "
				  "only in 'prod/T/m/d/nrf-1/+/r'");
}
END_TEST

START_TEST(c2d_wildcard_of_another_device_is_not_one_of_its_topics)
{
	static const char *const filters[] = {
		PFX "m/d/nrf-2/+/r", PFX "m/d/nrf-12/+/r", "prod/U/m/d/" DEV "/+/r",
		"beta/T/m/d/" DEV "/+/r",
	};
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < COUNT(filters); i++) {
		ck_assert_msg(check(DEV, PFX, NCM_ACL_SUBSCRIBE, filters[i], &err) ==
				      NCM_ERR_DENIED,
			      "subscribe to '%s' allowed", filters[i]);
		ck_assert_msg(strstr(err.msg, ": not one of its topics"), "'%s': %s", filters[i],
			      err.msg);
	}
	check(DEV, PFX, NCM_ACL_SUBSCRIBE, "prod/T/m/d/nrf-2/+/r", &err);
	ck_assert_str_eq(err.msg, "subscribe to 'prod/T/m/d/nrf-2/+/r' denied for device nrf-1: "
				  "not one of its topics");
}
END_TEST

START_TEST(receive_and_subscribe_of_every_reply_topic_are_allowed)
{
	static const char *const levels[] = { "c2d", "agnss", "agps", "pgps", "ground_fix", "x",
					      "cell_pos" };
	struct ncm_err_info err;
	char t[256];
	size_t i;

	for (i = 0; i < COUNT(levels); i++) {
		snprintf(t, sizeof(t), PFX "m/d/" DEV "/%s/r", levels[i]);
		ck_assert_msg(check(DEV, PFX, NCM_ACL_RECEIVE, t, &err) == NCM_OK, "%s", err.msg);
		ck_assert_msg(check(DEV, PFX, NCM_ACL_SUBSCRIBE, t, &err) == NCM_OK, "%s",
			      err.msg);
		ck_assert_msg(check(DEV, PFX, NCM_ACL_PUBLISH, t, &err) == NCM_ERR_DENIED,
			      "publish to '%s' allowed", t);
		ck_assert_msg(strstr(err.msg, "it is a cloud-to-device topic"), "%s", err.msg);
	}
}
END_TEST

START_TEST(topic_names_with_wildcards_are_denied)
{
	static const char *const names[] = {
		PFX "m/d/" DEV "/+/r", PFX "m/d/" DEV "/#", DEV "/shadow/+", "#",
	};
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < COUNT(names); i++) {
		ck_assert_msg(check(DEV, PFX, NCM_ACL_RECEIVE, names[i], &err) == NCM_ERR_DENIED,
			      "delivery of '%s' allowed", names[i]);
		ck_assert_msg(strstr(err.msg, "a topic name cannot contain the wildcards"), "%s",
			      err.msg);
		ck_assert_msg(check(DEV, PFX, NCM_ACL_PUBLISH, names[i], &err) == NCM_ERR_DENIED,
			      "publish to '%s' allowed", names[i]);
		ck_assert_msg(strstr(err.msg, "a topic name cannot contain the wildcards"), "%s",
			      err.msg);
	}
}
END_TEST

START_TEST(unsubscribe_from_anything_is_allowed)
{
	static const char *const filters[] = {
		"#", "+", "", "/", "nrf-2/shadow/update", PFX "m/d/nrf-2/+/r",
		PFX "m/d/" DEV "/+/r", DEV "/shadow/update", "$aws/things/" DEV "/shadow/#",
		"prod/U/" DEV "/jobs/rcv", "no/such/topic",
	};
	struct ncm_err_info err;
	char buf[1024];
	size_t i;
	char *big;

	for (i = 0; i < COUNT(filters); i++)
		ck_assert_msg(check(DEV, PFX, NCM_ACL_UNSUBSCRIBE, filters[i], &err) == NCM_OK,
			      "unsubscribe from '%s': %s", filters[i], err.msg);
	for (i = 0; i < ROW_COUNT; i++)
		ck_assert_int_eq(check(DEV, PFX, NCM_ACL_UNSUBSCRIBE,
				       expand(buf, rows[i].tpl, PFX, DEV), &err),
				 NCM_OK);
	big = malloc(65536);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', 65535);
	big[65535] = '\0';
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_UNSUBSCRIBE, big, &err), NCM_OK);
	free(big);
}
END_TEST

START_TEST(invalid_device_ids_are_denied)
{
	static const char *const ids[] = { "nrf+1", "nrf#1", "nrf/1", "+", "#", "", NULL };
	struct ncm_err_info err;
	char buf[1024];
	size_t i, j, a;

	for (j = 0; j < COUNT(ids); j++) {
		const char *id = ids[j] ? ids[j] : "";

		for (i = 0; i < ROW_COUNT; i++) {
			expand(buf, rows[i].tpl, PFX, id);
			for (a = 0; a < COUNT(all_access); a++) {
				ck_assert_msg(check(ids[j], PFX, all_access[a], buf, &err) ==
						      NCM_ERR_DENIED,
					      "access %d to '%s' allowed for '%s'",
					      (int)all_access[a], buf, id);
				ck_assert_msg(strstr(err.msg, "device ID"), "%s", err.msg);
			}
		}
	}
	check("nrf/1", PFX, NCM_ACL_PUBLISH, "nrf/1/shadow/update", &err);
	ck_assert_str_eq(err.msg, "publish to 'nrf/1/shadow/update' denied: device ID 'nrf/1' has "
				  "'/' at position 4; allowed are a-z, A-Z, 0-9, ':', '_' and '-'");
	check("", PFX, NCM_ACL_SUBSCRIBE, "/shadow/get/accepted", &err);
	ck_assert_str_eq(err.msg, "subscribe to '/shadow/get/accepted' denied: device ID is empty");
}
END_TEST

START_TEST(invalid_prefixes_deny_everything)
{
	static const char *const prefixes[] = {
		"", "/", "prod", "prod/", "prod/T", "prod//", "/T/", "prod/T/x/", "prod/+/",
		"#/T/", "prod/T+/", "prod/#/", "+/T/", "prod/T//",
	};
	struct ncm_err_info err;
	char buf[1024];
	size_t i, j, a;

	for (j = 0; j < COUNT(prefixes); j++) {
		for (i = 0; i < ROW_COUNT; i++) {
			expand(buf, rows[i].tpl, prefixes[j], DEV);
			for (a = 0; a < COUNT(all_access); a++) {
				ck_assert_msg(check(DEV, prefixes[j], all_access[a], buf, &err) ==
						      NCM_ERR_DENIED,
					      "access %d to '%s' allowed under prefix '%s'",
					      (int)all_access[a], buf, prefixes[j]);
				ck_assert_msg(strstr(err.msg, "is not of the form "
							      "'<stage>/<tenantId>/'"),
					      "%s", err.msg);
			}
		}
	}
	check(DEV, "prod/T", NCM_ACL_PUBLISH, DEV "/shadow/update", &err);
	ck_assert_str_eq(err.msg, "publish to 'nrf-1/shadow/update' denied for device nrf-1: team "
				  "prefix 'prod/T' is not of the form '<stage>/<tenantId>/'");
	ck_assert_int_eq(check(DEV, NULL, NCM_ACL_PUBLISH, DEV "/shadow/update", &err),
			 NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "publish to 'nrf-1/shadow/update' denied for device nrf-1: no "
				  "team prefix is set");
}
END_TEST

START_TEST(null_topic_is_denied)
{
	struct ncm_err_info err;
	size_t a;

	for (a = 0; a < COUNT(all_access); a++)
		ck_assert_int_eq(check(DEV, PFX, all_access[a], NULL, &err), NCM_ERR_DENIED);
	check(DEV, PFX, NCM_ACL_SUBSCRIBE, NULL, &err);
	ck_assert_str_eq(err.msg, "subscribe denied for device nrf-1: no topic given");
}
END_TEST

START_TEST(unknown_access_is_denied)
{
	struct ncm_err_info err;

	ck_assert_int_eq(check(DEV, PFX, (enum ncm_acl_access)42, DEV "/shadow/update", &err),
			 NCM_ERR_DENIED);
	ck_assert_str_eq(err.msg, "access 42 to 'nrf-1/shadow/update' denied for device nrf-1: "
				  "unknown access type");
}
END_TEST

START_TEST(denial_messages_name_topic_device_and_reason)
{
	struct ncm_err_info err;

	check(DEV, PFX, NCM_ACL_PUBLISH, "nrf-1/shadow/get/accepted", &err);
	ck_assert_str_eq(err.msg, "publish to 'nrf-1/shadow/get/accepted' denied for device "
				  "nrf-1: it is a cloud-to-device topic");
	check(DEV, PFX, NCM_ACL_SUBSCRIBE, PFX "m/d/nrf-1/d2c", &err);
	ck_assert_str_eq(err.msg, "subscribe to 'prod/T/m/d/nrf-1/d2c' denied for device nrf-1: "
				  "it is a device-to-cloud topic");
	check(DEV, PFX, NCM_ACL_RECEIVE, PFX "nrf-1/jobs/req", &err);
	ck_assert_str_eq(err.msg, "delivery of 'prod/T/nrf-1/jobs/req' denied for device nrf-1: "
				  "it is a device-to-cloud topic");
	check(DEV, PFX, NCM_ACL_PUBLISH, "x/y", &err);
	ck_assert_str_eq(err.msg, "publish to 'x/y' denied for device nrf-1: not one of its "
				  "topics");
	check(DEV, PFX, NCM_ACL_PUBLISH, PFX "m/d/nrf-1/+", &err);
	ck_assert_str_eq(err.msg, "publish to 'prod/T/m/d/nrf-1/+' denied for device nrf-1: a "
				  "topic name cannot contain the wildcards '+' or '#'");
}
END_TEST

START_TEST(longest_topic_is_shortened_in_the_denial)
{
	struct ncm_err_info err;
	char *big = malloc(65536);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 65535);
	big[65535] = '\0';
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_PUBLISH, big, &err), NCM_ERR_DENIED);
	ck_assert_msg(strstr(err.msg, "...' denied for device nrf-1: not one of its topics"), "%s",
		      err.msg);
	ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg) - 1);
	memset(big, '#', 65535);
	ck_assert_int_eq(check(DEV, PFX, NCM_ACL_SUBSCRIBE, big, &err), NCM_ERR_DENIED);
	ck_assert_msg(strstr(err.msg, "...' denied for device nrf-1: wildcards are allowed only in "
				      "'prod/T/m/d/nrf-1/+/r'"),
		      "%s", err.msg);
	free(big);
}
END_TEST

START_TEST(err_may_be_null)
{
	ck_assert_int_eq(ncm_acl_check(DEV, PFX, NCM_ACL_PUBLISH, DEV "/shadow/update", NULL),
			 NCM_OK);
	ck_assert_int_eq(ncm_acl_check(DEV, PFX, NCM_ACL_PUBLISH, "#", NULL), NCM_ERR_DENIED);
	ck_assert_int_eq(ncm_acl_check(NULL, NULL, NCM_ACL_RECEIVE, NULL, NULL), NCM_ERR_DENIED);
}
END_TEST

START_TEST(account_device_is_recognised_only_for_its_own_team)
{
	ck_assert(ncm_acl_is_account("account-T", PFX));
	ck_assert(!ncm_acl_is_account("account-U", PFX));
	ck_assert(!ncm_acl_is_account("account-", PFX));
	ck_assert(!ncm_acl_is_account("account-TT", PFX));
	ck_assert(!ncm_acl_is_account("nrf-1", PFX));
	ck_assert(!ncm_acl_is_account("account-T", "prod/"));
	ck_assert(!ncm_acl_is_account(NULL, PFX));
}
END_TEST

START_TEST(account_device_may_read_the_team_tree_and_write_only_c2d)
{
	static const struct {
		enum ncm_acl_access access;
		const char *topic;
		int allowed;
	} cases[] = {
		{ NCM_ACL_SUBSCRIBE, PFX "m/#", 1 },
		{ NCM_ACL_SUBSCRIBE, PFX "m/d/+/d2c", 1 },
		{ NCM_ACL_RECEIVE, PFX "m/d/nrf-1/d2c", 1 },
		{ NCM_ACL_RECEIVE, PFX "m/d/nrf-1/c2d/r", 1 },
		{ NCM_ACL_PUBLISH, PFX "m/d/nrf-1/c2d", 1 },
		{ NCM_ACL_PUBLISH, PFX "m/d/nrf-1/c2d/r", 1 },
		{ NCM_ACL_PUBLISH, PFX "m/d/nrf-2/ground_fix/r", 1 },
		{ NCM_ACL_PUBLISH, PFX "m/d/nrf-1/d2c", 0 },
		{ NCM_ACL_PUBLISH, PFX "m/d/+/c2d", 0 },
		{ NCM_ACL_PUBLISH, PFX "m/d//c2d", 0 },
		{ NCM_ACL_PUBLISH, PFX "m/d/nrf-1/x/y/r", 0 },
		{ NCM_ACL_PUBLISH, "$aws/things/nrf-1/shadow/update", 0 },
		{ NCM_ACL_SUBSCRIBE, "#", 0 },
		{ NCM_ACL_SUBSCRIBE, "$aws/things/+/shadow/#", 0 },
		{ NCM_ACL_SUBSCRIBE, "prod/U/m/#", 0 },
		{ NCM_ACL_SUBSCRIBE, PFX "nrf-1/jobs/rcv", 0 },
		{ NCM_ACL_RECEIVE, PFX "m/d/+/d2c", 0 },
	};
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		int rc = ncm_acl_check("account-T", PFX, cases[i].access, cases[i].topic, &err);

		ck_assert_msg((rc == NCM_OK) == cases[i].allowed, "%s %s: %s", cases[i].topic,
			      cases[i].allowed ? "should be allowed" : "should be denied",
			      rc ? err.msg : "allowed");
	}
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add(s, #fn, fn)

static Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");

	ADD(s, owning_device_may_use_every_row_in_its_direction);
	ADD(s, publish_to_a_cloud_to_device_row_is_denied);
	ADD(s, subscribe_to_a_device_to_cloud_row_is_denied);
	ADD(s, receive_of_a_device_to_cloud_row_is_denied);
	ADD(s, every_row_of_another_device_is_denied);
	ADD(s, every_data_and_fota_row_of_another_team_is_denied);
	ADD(s, subscribe_to_other_device_shadow_is_denied);
	ADD(s, device_id_that_prefixes_another_is_denied);
	ADD(s, trailing_extra_levels_are_denied);
	ADD(s, wildcard_filters_other_than_c2d_are_denied);
	ADD(s, c2d_wildcard_of_another_device_is_not_one_of_its_topics);
	ADD(s, receive_and_subscribe_of_every_reply_topic_are_allowed);
	ADD(s, topic_names_with_wildcards_are_denied);
	ADD(s, unsubscribe_from_anything_is_allowed);
	ADD(s, invalid_device_ids_are_denied);
	ADD(s, invalid_prefixes_deny_everything);
	ADD(s, null_topic_is_denied);
	ADD(s, unknown_access_is_denied);
	ADD(s, denial_messages_name_topic_device_and_reason);
	ADD(s, longest_topic_is_shortened_in_the_denial);
	ADD(s, err_may_be_null);
	ADD(s, account_device_is_recognised_only_for_its_own_team);
	ADD(s, account_device_may_read_the_team_tree_and_write_only_c2d);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
