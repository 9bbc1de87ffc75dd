/* SPDX-License-Identifier: MIT
 * topic.c: nRF Cloud's per-device MQTT topic table (docs/protocol-mqtt.md#topics, docs/protocol-mqtt.md#topic-table) and the exact
 * classifier over it (see topic.h). Topics are compared in place against templates, so a topic
 * of any length (MQTT allows 65535 bytes) is never copied. Pure: no allocation, no I/O, no
 * mosquitto; only const tables.
 */
#include "topic.h"

#include <stdio.h>
#include <string.h>

#include "devid.h"

/* Template tokens: {D} is the device ID, {P} the team prefix "<stage>/<tenantId>/", {L} one
 * topic level that is non-empty and free of wildcards. Everything else is literal, so '+' in a
 * template only matches a literal '+' in a subscription filter. */
#define TOK_LEN 3

/* The four families the table is built from (docs/protocol-mqtt.md#topics). */
#define AWS(tail) "$aws/things/{D}/shadow/" tail
#define SHADOW(tail) "{D}/shadow/" tail
#define DATA(tail) "{P}m/d/{D}/" tail
#define JOBS(tail) "{P}{D}/jobs/" tail

struct topic_row {
	enum ncm_topic_kind kind;
	enum ncm_topic_dir dir;
	const char *name;
	const char *template;
};

#define PUB NCM_TOPIC_DIR_PUB
#define SUB NCM_TOPIC_DIR_SUB

/* Matched in order and first match wins, so NCM_TOPIC_OTHER_R stays behind the named *_R rows
 * it would otherwise shadow. */
static const struct topic_row rows[] = {
	/* docs/protocol-mqtt.md#protocol-generations G0/G1 and the AWS Device Shadow topics AWS-style clients use. */
	{ NCM_TOPIC_AWS_GET, PUB, "aws/get", AWS("get") },
	{ NCM_TOPIC_AWS_GET_ACCEPTED, SUB, "aws/get/accepted", AWS("get/accepted") },
	{ NCM_TOPIC_AWS_GET_REJECTED, SUB, "aws/get/rejected", AWS("get/rejected") },
	{ NCM_TOPIC_AWS_UPDATE, PUB, "aws/update", AWS("update") },
	{ NCM_TOPIC_AWS_UPDATE_ACCEPTED, SUB, "aws/update/accepted", AWS("update/accepted") },
	{ NCM_TOPIC_AWS_UPDATE_REJECTED, SUB, "aws/update/rejected", AWS("update/rejected") },
	{ NCM_TOPIC_AWS_UPDATE_DELTA, SUB, "aws/update/delta", AWS("update/delta") },
	{ NCM_TOPIC_AWS_UPDATE_DOCUMENTS, SUB, "aws/update/documents", AWS("update/documents") },
	{ NCM_TOPIC_AWS_DELETE, PUB, "aws/delete", AWS("delete") },
	{ NCM_TOPIC_AWS_DELETE_ACCEPTED, SUB, "aws/delete/accepted", AWS("delete/accepted") },
	{ NCM_TOPIC_AWS_DELETE_REJECTED, SUB, "aws/delete/rejected", AWS("delete/rejected") },
	/* docs/protocol-mqtt.md#shadow-topics: G1 gets nRF Cloud's trimmed copy on a custom topic. */
	{ NCM_TOPIC_G1_GET_ACCEPTED, SUB, "g1/get/accepted", SHADOW("get/accepted") },
	/* docs/protocol-mqtt.md#shadow-topics G2; delta/full/err is defined by the SDK but never subscribed. */
	{ NCM_TOPIC_G2_GET_TRIM, PUB, "g2/get/trim", SHADOW("get/trim") },
	{ NCM_TOPIC_G2_GET_ACCEPTED_TRIM, SUB, "g2/get/accepted/trim",
	  SHADOW("get/accepted/trim") },
	{ NCM_TOPIC_G2_DELTA_FULL, SUB, "g2/update/delta/full", SHADOW("update/delta/full") },
	{ NCM_TOPIC_G2_DELTA_FULL_ERR, SUB, "g2/update/delta/full/err",
	  SHADOW("update/delta/full/err") },
	/* docs/protocol-mqtt.md#shadow-topics G3 (also G2 built with shadow transforms). */
	{ NCM_TOPIC_G3_GET_TF, PUB, "g3/get/tf", SHADOW("get/tf") },
	{ NCM_TOPIC_G3_GET_ACCEPTED_TF, SUB, "g3/get/accepted/tf", SHADOW("get/accepted/tf") },
	{ NCM_TOPIC_G3_DELTA_TRIM, SUB, "g3/update/delta/trim", SHADOW("update/delta/trim") },
	{ NCM_TOPIC_G3_DELTA_TRIM_ERR, SUB, "g3/update/delta/trim/err",
	  SHADOW("update/delta/trim/err") },
	/* docs/protocol-mqtt.md#shadow-topics: shared by G2 and G3. */
	{ NCM_TOPIC_SHADOW_GET_REJECTED, SUB, "shadow/get/rejected", SHADOW("get/rejected") },
	{ NCM_TOPIC_SHADOW_UPDATE, PUB, "shadow/update", SHADOW("update") },
	/* docs/protocol-mqtt.md#data-channel-topics: bulk and bin are d2c with a suffix appended by the device. */
	{ NCM_TOPIC_D2C, PUB, "d2c", DATA("d2c") },
	{ NCM_TOPIC_D2C_BULK, PUB, "d2c/bulk", DATA("d2c/bulk") },
	{ NCM_TOPIC_D2C_BIN, PUB, "d2c/bin", DATA("d2c/bin") },
	/* docs/protocol-mqtt.md#data-channel-topics: <= v2.1 subscribes to .../c2d as given; v2.2+ rewrites /c2d to
	 * /+/r and receives every reply on a concrete .../<x>/r (docs/location.md#mqtt-reply-topics). */
	{ NCM_TOPIC_C2D, SUB, "c2d", DATA("c2d") },
	{ NCM_TOPIC_C2D_WILDCARD, SUB, "c2d/wildcard", DATA("+/r") },
	{ NCM_TOPIC_C2D_R, SUB, "c2d/r", DATA("c2d/r") },
	{ NCM_TOPIC_AGNSS_R, SUB, "agnss/r", DATA("agnss/r") },
	{ NCM_TOPIC_AGPS_R, SUB, "agps/r", DATA("agps/r") },
	{ NCM_TOPIC_PGPS_R, SUB, "pgps/r", DATA("pgps/r") },
	{ NCM_TOPIC_GROUND_FIX_R, SUB, "ground_fix/r", DATA("ground_fix/r") },
	{ NCM_TOPIC_OTHER_R, SUB, "other/r", DATA("{L}/r") },
	/* docs/fota.md#mqtt-topics: FOTA topics have no m/d/ between prefix and device ID. */
	{ NCM_TOPIC_JOBS_REQ, PUB, "jobs/req", JOBS("req") },
	{ NCM_TOPIC_JOBS_RCV, SUB, "jobs/rcv", JOBS("rcv") },
	{ NCM_TOPIC_JOBS_UPDATE, PUB, "jobs/update", JOBS("update") },
	{ NCM_TOPIC_JOBS_BLE_REQ, PUB, "jobs/ble/req", JOBS("ble/req") },
	{ NCM_TOPIC_JOBS_BLE_RCV, SUB, "jobs/ble/rcv", JOBS("ble/rcv") },
	{ NCM_TOPIC_JOBS_BLE_UPDATE, PUB, "jobs/ble/update", JOBS("ble/update") },
	/* docs/protocol-rest.md#ble-gateways: a BLE gateway build of the nRF Cloud library
	 * (CONFIG_NRF_CLOUD_GATEWAY) subscribes to c2g where others take c2d, and sends its
	 * events on g2c (sdk-nrf nrf_cloud_transport.c nct_dc_connect()). */
	{ NCM_TOPIC_G2C, PUB, "g2c", DATA("g2c") },
	{ NCM_TOPIC_C2G, SUB, "c2g", DATA("c2g") },
};

#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static const struct topic_row *row_of(enum ncm_topic_kind kind)
{
	size_t i;

	for (i = 0; i < ROW_COUNT; i++)
		if (rows[i].kind == kind)
			return &rows[i];
	return NULL;
}

/* Length of one level that is non-empty and has no wildcard; 0 when there is none at s. */
static size_t plain_level_len(const char *s)
{
	size_t n = strcspn(s, "/+#");

	if (s[n] == '+' || s[n] == '#')
		return 0;
	return n;
}

/* docs/protocol-mqtt.md#topic-prefix: the prefix is "<stage>/<teamId>/" and the SDK concatenates it
 * verbatim, so anything else could never name a real topic. */
static int prefix_valid(const char *prefix)
{
	int level;

	if (!prefix)
		return 0;
	for (level = 0; level < 2; level++) {
		size_t n = plain_level_len(prefix);

		if (n == 0 || prefix[n] != '/')
			return 0;
		prefix += n + 1;
	}
	return *prefix == '\0';
}

/* Advances *t past s when the topic continues with exactly s. */
static int eat(const char **t, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*t, s, n) != 0)
		return 0;
	*t += n;
	return 1;
}

/* Advances *t past one level that is non-empty and has no wildcard. */
static int eat_level(const char **t)
{
	size_t n = plain_level_len(*t);

	*t += n;
	return n > 0;
}

/* 1 when topic is exactly tpl with its tokens substituted; prefix is NULL when invalid. */
static int template_match(const char *tpl, const char *device_id, const char *prefix,
			  const char *topic)
{
	const char *t = topic;

	while (*tpl) {
		if (*tpl != '{') {
			if (*t != *tpl)
				return 0;
			t++;
			tpl++;
			continue;
		}
		switch (tpl[1]) {
		case 'D':
			if (!eat(&t, device_id))
				return 0;
			break;
		case 'P':
			if (!prefix || !eat(&t, prefix))
				return 0;
			break;
		case 'L':
			if (!eat_level(&t))
				return 0;
			break;
		default:
			return 0;
		}
		tpl += TOK_LEN;
	}
	return *t == '\0';
}

enum ncm_topic_kind ncm_topic_classify(const char *device_id, const char *prefix,
				       const char *topic)
{
	size_t i;

	if (!topic || ncm_devid_check(device_id, NULL) != NCM_OK)
		return NCM_TOPIC_NONE;
	if (!prefix_valid(prefix))
		prefix = NULL;
	for (i = 0; i < ROW_COUNT; i++)
		if (template_match(rows[i].template, device_id, prefix, topic))
			return rows[i].kind;
	return NCM_TOPIC_NONE;
}

enum ncm_topic_dir ncm_topic_dir(enum ncm_topic_kind kind)
{
	const struct topic_row *row = row_of(kind);

	return row ? row->dir : NCM_TOPIC_DIR_NONE;
}

const char *ncm_topic_kind_name(enum ncm_topic_kind kind)
{
	const struct topic_row *row = row_of(kind);

	if (row)
		return row->name;
	return kind == NCM_TOPIC_NONE ? "none" : "unknown";
}

int ncm_topic_has_wildcard(const char *topic)
{
	return topic && strpbrk(topic, "+#") != NULL;
}

int ncm_topic_matches(const char *filter, const char *topic)
{
	const char *f = filter, *t = topic;

	if (!f || !t)
		return 0;
	/* MQTT 3.1.1 §4.7.2: wildcards at the first level do not match '$' topics */
	if (*t == '$' && (*f == '+' || *f == '#'))
		return 0;
	for (;;) {
		if (f[0] == '#' && f[1] == '\0')
			return 1;
		if (f[0] == '+' && (f[1] == '/' || f[1] == '\0')) {
			while (*t && *t != '/')
				t++;
			f++;
		} else {
			while (*f && *f != '/' && *f == *t) {
				f++;
				t++;
			}
			if ((*f && *f != '/') || (*t && *t != '/'))
				return 0;
		}
		if (!*f && !*t)
			return 1;
		if (*f == '/' && *t == '/') {
			f++;
			t++;
			/* "a/#" also matches "a" itself; handled by the '#' case on the next level */
			continue;
		}
		/* filter "a/#" against topic "a" */
		return *f == '/' && f[1] == '#' && f[2] == '\0' && !*t;
	}
}

int ncm_topic_device(const char *prefix, const char *topic, char *out, size_t size)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	const char *id = NULL, *end;

	if (!topic)
		return -1;
	if (!strncmp(topic, "$aws/things/", 12))
		id = topic + 12;
	else if (plen && !strncmp(topic, prefix, plen) && !strncmp(topic + plen, "m/d/", 4))
		id = topic + plen + 4;
	else if (plen && !strncmp(topic, prefix, plen))
		id = topic + plen;
	else
		id = topic;
	end = strchr(id, '/');
	if (!end || (size_t)(end - id) >= size || (size_t)(end - id) > NCM_DEVID_MAX)
		return -1;
	snprintf(out, size, "%.*s", (int)(end - id), id);
	/* the whole topic must be one of that device's rows, not just start like one */
	if (ncm_devid_check(out, NULL) != NCM_OK ||
	    ncm_topic_classify(out, prefix, topic) == NCM_TOPIC_NONE) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
