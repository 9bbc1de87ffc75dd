/* SPDX-License-Identifier: MIT
 * acl.c: the per-device topic policy of nRF Cloud's broker (see acl.h): a device publishes its
 * PUB rows and subscribes to and receives its SUB rows of topic.c's table, nothing else. Every
 * denial says which topic, which device and why, because it ends up in the journal and in the
 * disconnect reason. Pure: no allocation, no I/O, no mosquitto.
 */
#include "acl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devid.h"

/* Topics may be 65535 bytes; quote only their start so the reason still fits err->msg. */
#define QUOTE_TOPIC_MAX 160
#define QUOTE_PREFIX_MAX 80

static const char *const access_phrase[] = {
	[NCM_ACL_PUBLISH] = "publish to",
	[NCM_ACL_SUBSCRIBE] = "subscribe to",
	[NCM_ACL_UNSUBSCRIBE] = "unsubscribe from",
	[NCM_ACL_RECEIVE] = "delivery of",
};

static const char *const access_word[] = {
	[NCM_ACL_PUBLISH] = "publish",
	[NCM_ACL_SUBSCRIBE] = "subscribe",
	[NCM_ACL_UNSUBSCRIBE] = "unsubscribe",
	[NCM_ACL_RECEIVE] = "delivery",
};

/* Precision and ellipsis for quoting at most max bytes of s (NULL quotes as empty) as
 * "%.*s%s", s, tail. */
static int quote_len(const char *s, size_t max)
{
	return s ? (int)strnlen(s, max) : 0;
}

static const char *quote_tail(const char *s, size_t max)
{
	return s && strnlen(s, max + 1) > max ? "..." : "";
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Length of one level that is non-empty and has no wildcard; 0 when there is none at s. */
static size_t plain_level_len(const char *s)
{
	size_t n = strcspn(s, "/+#");

	if (s[n] == '+' || s[n] == '#')
		return 0;
	return n;
}

/* docs/protocol-mqtt.md#topic-prefix: "<stage>/<teamId>/" with the trailing slash the SDK relies on. */
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

/* 1 when filter is "<stage>/<team>/m/d/<id>/+/r" for some stage, team and id: the one filter
 * shape the SDK subscribes to (docs/protocol-mqtt.md#data-channel-topics), so a mismatch is an ownership problem. */
static int c2d_wildcard_shape(const char *filter)
{
	static const char *const shape[] = { NULL, NULL, "m", "d", NULL, "+", "r" };
	size_t i, n;

	for (i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		if (i > 0) {
			if (*filter != '/')
				return 0;
			filter++;
		}
		if (shape[i]) {
			n = strlen(shape[i]);
			if (strncmp(filter, shape[i], n) != 0)
				return 0;
		} else {
			n = plain_level_len(filter);
			if (n == 0)
				return 0;
		}
		filter += n;
	}
	return *filter == '\0';
}

/* Fills err with "<access> '<topic>' denied for device <id>: <why>" and returns DENIED. */
static int deny(struct ncm_err_info *err, enum ncm_acl_access access, const char *device_id,
		const char *topic, const char *why_fmt, ...) __attribute__((format(printf, 5, 6)));

static int deny(struct ncm_err_info *err, enum ncm_acl_access access, const char *device_id,
		const char *topic, const char *why_fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	return ncm_err_set(err, NCM_ERR_DENIED, "%s '%.*s%s' denied for device %s: %s",
			   access_phrase[access], quote_len(topic, QUOTE_TOPIC_MAX), topic,
			   quote_tail(topic, QUOTE_TOPIC_MAX), device_id, why);
}

/* Checks what every access needs; NCM_OK when device_id, prefix and topic are usable. */
static int check_args(const char *device_id, const char *prefix, enum ncm_acl_access access,
		      const char *topic, struct ncm_err_info *err)
{
	struct ncm_err_info id_err;

	if (ncm_devid_check(device_id, &id_err) != NCM_OK)
		return ncm_err_set(err, NCM_ERR_DENIED, "%s '%.*s%s' denied: %s",
				   access_phrase[access], quote_len(topic, QUOTE_TOPIC_MAX),
				   str_or_empty(topic), quote_tail(topic, QUOTE_TOPIC_MAX),
				   id_err.msg);
	if (!topic)
		return ncm_err_set(err, NCM_ERR_DENIED, "%s denied for device %s: no topic given",
				   access_word[access], device_id);
	if (!prefix)
		return deny(err, access, device_id, topic, "no team prefix is set");
	if (!prefix_valid(prefix))
		return deny(err, access, device_id, topic,
			    "team prefix '%.*s%s' is not of the form '<stage>/<tenantId>/'",
			    quote_len(prefix, QUOTE_PREFIX_MAX), prefix,
			    quote_tail(prefix, QUOTE_PREFIX_MAX));
	return NCM_OK;
}

/* 1 when device_id is the team's account device, "account-<tenantId>" (docs/architecture.md#identity-and-the-lab-ca). */
int ncm_acl_is_account(const char *device_id, const char *prefix)
{
	const char *tenant, *end;

	if (!device_id || !prefix || strncmp(device_id, "account-", 8))
		return 0;
	tenant = strchr(prefix, '/');
	if (!tenant)
		return 0;
	tenant++;
	end = strchr(tenant, '/');
	if (!end || end == tenant)
		return 0;
	return strlen(device_id + 8) == (size_t)(end - tenant) &&
	       !strncmp(device_id + 8, tenant, (size_t)(end - tenant));
}

/* The account device is a cloud-side application (docs/protocol-mqtt.md#data-channel-topics DOCS: messages under
 * <prefix>m): it may subscribe to and receive anything under "<prefix>m/", and publish to any
 * device's c2d topics ("<prefix>m/d/<id>/c2d" and "<prefix>m/d/<id>/<x>/r"); nothing else. */
static int account_check(const char *device_id, const char *prefix, enum ncm_acl_access access,
			 const char *topic, struct ncm_err_info *err)
{
	size_t plen = strlen(prefix);
	const char *rest;

	if (strncmp(topic, prefix, plen) || strncmp(topic + plen, "m/", 2))
		return deny(err, access, device_id, topic,
			    "the account device may use only '%sm/...' topics", prefix);
	rest = topic + plen + 2;
	if (access == NCM_ACL_SUBSCRIBE || access == NCM_ACL_RECEIVE) {
		if (access == NCM_ACL_RECEIVE && ncm_topic_has_wildcard(topic))
			return deny(err, access, device_id, topic,
				    "a topic name cannot contain the wildcards '+' or '#'");
		return NCM_OK;
	}
	/* PUBLISH: m/d/<id>/c2d or m/d/<id>/<x>/r, without wildcards */
	if (!ncm_topic_has_wildcard(topic) && !strncmp(rest, "d/", 2)) {
		const char *id = rest + 2, *tail = strchr(id, '/');
		const char *x_end = tail ? strchr(tail + 1, '/') : NULL;

		if (tail && tail > id &&
		    (!strcmp(tail, "/c2d") ||
		     (x_end && x_end > tail + 1 && !strcmp(x_end, "/r"))))
			return NCM_OK;
	}
	return deny(err, access, device_id, topic,
		    "the account device may publish only to devices' c2d topics");
}

int ncm_acl_check(const char *device_id, const char *prefix, enum ncm_acl_access access,
		  const char *topic, struct ncm_err_info *err)
{
	enum ncm_topic_kind kind;
	enum ncm_topic_dir dir;
	int rc;

	if (access != NCM_ACL_PUBLISH && access != NCM_ACL_SUBSCRIBE &&
	    access != NCM_ACL_UNSUBSCRIBE && access != NCM_ACL_RECEIVE)
		return ncm_err_set(err, NCM_ERR_DENIED,
				   "access %d to '%.*s%s' denied for device %.*s: unknown access "
				   "type", (int)access, quote_len(topic, QUOTE_TOPIC_MAX),
				   str_or_empty(topic), quote_tail(topic, QUOTE_TOPIC_MAX),
				   quote_len(device_id, NCM_DEVID_MAX), str_or_empty(device_id));
	rc = check_args(device_id, prefix, access, topic, err);
	if (rc != NCM_OK)
		return rc;
	/* Dropping a subscription cannot reach anything the device was not allowed to. */
	if (access == NCM_ACL_UNSUBSCRIBE)
		return NCM_OK;

	if (ncm_acl_is_account(device_id, prefix))
		return account_check(device_id, prefix, access, topic, err);

	kind = ncm_topic_classify(device_id, prefix, topic);
	dir = ncm_topic_dir(kind);

	if (access == NCM_ACL_SUBSCRIBE && kind == NCM_TOPIC_C2D_WILDCARD)
		return NCM_OK;
	if (ncm_topic_has_wildcard(topic)) {
		if (access != NCM_ACL_SUBSCRIBE)
			return deny(err, access, device_id, topic,
				    "a topic name cannot contain the wildcards '+' or '#'");
		if (c2d_wildcard_shape(topic))
			return deny(err, access, device_id, topic, "not one of its topics");
		/* docs/protocol-mqtt.md#data-channel-topics: "P m/d/D/+/r" is the only filter the SDK sends; the docs
		 * say other subscriptions disconnect the device (docs/protocol-mqtt.md#shadow-topics). */
		return deny(err, access, device_id, topic,
			    "wildcards are allowed only in '%sm/d/%s/+/r'", prefix, device_id);
	}
	if (kind == NCM_TOPIC_NONE)
		return deny(err, access, device_id, topic, "not one of its topics");

	if (access == NCM_ACL_PUBLISH) {
		if (dir != NCM_TOPIC_DIR_PUB)
			return deny(err, access, device_id, topic,
				    "it is a cloud-to-device topic");
		return NCM_OK;
	}
	/* SUBSCRIBE to a wildcard-free name, or RECEIVE: only what the cloud sends. */
	if (dir != NCM_TOPIC_DIR_SUB)
		return deny(err, access, device_id, topic, "it is a device-to-cloud topic");
	return NCM_OK;
}
