/* SPDX-License-Identifier: MIT
 * fuzz_topic.c: fuzz target for the per-device topic policy (core/acl.h and the topic table of
 * core/topic.h), which decides every publish, subscribe and delivery a device asks the broker
 * for. The input is the topic; each access kind is checked for an ordinary device and for the
 * team's account device, and every grant must agree with the topic table. Uses core only.
 */
#include <string.h>

#include "acl.h"
#include "err.h"
#include "fuzz.h"
#include "topic.h"

#define PREFIX "prod/T1/"
#define DEVICE "nrf-352656100000001"
#define ACCOUNT "account-T1"

static const enum ncm_acl_access accesses[] = {
	NCM_ACL_PUBLISH, NCM_ACL_SUBSCRIBE, NCM_ACL_UNSUBSCRIBE, NCM_ACL_RECEIVE,
};

static int check(const char *device_id, enum ncm_acl_access access, const char *topic)
{
	struct ncm_err_info err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = ncm_acl_check(device_id, PREFIX, access, topic, &err);
	FUZZ_CHECK(rc == NCM_OK || rc == NCM_ERR_DENIED);
	if (rc != NCM_OK)
		FUZZ_CHECK(err.code == rc && err.msg[0]);
	if (access == NCM_ACL_UNSUBSCRIBE)
		FUZZ_CHECK(rc == NCM_OK);
	return rc == NCM_OK;
}

static void check_device(const char *topic)
{
	enum ncm_topic_kind kind = ncm_topic_classify(DEVICE, PREFIX, topic);
	enum ncm_topic_dir dir = ncm_topic_dir(kind);
	int wild = ncm_topic_has_wildcard(topic);
	size_t i;

	FUZZ_CHECK(kind >= NCM_TOPIC_NONE && kind < NCM_TOPIC_KIND_COUNT);
	FUZZ_CHECK(ncm_topic_kind_name(kind) != NULL);
	FUZZ_CHECK((kind == NCM_TOPIC_NONE) == (dir == NCM_TOPIC_DIR_NONE));
	for (i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++) {
		if (!check(DEVICE, accesses[i], topic))
			continue;
		/* acl.h: a device publishes its PUB rows, receives its SUB rows and subscribes to
		 * those or to the one c2d wildcard filter. */
		switch (accesses[i]) {
		case NCM_ACL_PUBLISH:
			FUZZ_CHECK(dir == NCM_TOPIC_DIR_PUB && !wild);
			break;
		case NCM_ACL_SUBSCRIBE:
			FUZZ_CHECK(kind == NCM_TOPIC_C2D_WILDCARD ||
				   (dir == NCM_TOPIC_DIR_SUB && !wild));
			break;
		case NCM_ACL_RECEIVE:
			FUZZ_CHECK(dir == NCM_TOPIC_DIR_SUB && !wild);
			break;
		case NCM_ACL_UNSUBSCRIBE:
			break;
		}
	}
}

static void check_account(const char *topic)
{
	int wild = ncm_topic_has_wildcard(topic);
	int under_m = !strncmp(topic, PREFIX "m/", strlen(PREFIX "m/"));

	FUZZ_CHECK(ncm_acl_is_account(ACCOUNT, PREFIX));
	if (check(ACCOUNT, NCM_ACL_PUBLISH, topic))
		FUZZ_CHECK(!wild && !strncmp(topic, PREFIX "m/d/", strlen(PREFIX "m/d/")));
	if (check(ACCOUNT, NCM_ACL_SUBSCRIBE, topic))
		FUZZ_CHECK(under_m);
	if (check(ACCOUNT, NCM_ACL_RECEIVE, topic))
		FUZZ_CHECK(under_m && !wild);
	check(ACCOUNT, NCM_ACL_UNSUBSCRIBE, topic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* MQTT topics are UTF-8 strings without NUL (MQTT 3.1.1 §1.5.3), and the broker hands
	 * them over NUL-terminated: a NUL in the input ends the topic, as it would there. */
	char *topic = malloc(size + 1);

	FUZZ_CHECK(topic != NULL);
	if (size)
		memcpy(topic, data, size);
	topic[size] = '\0';
	check_device(topic);
	check_account(topic);
	free(topic);
	return 0;
}
