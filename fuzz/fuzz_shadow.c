/* SPDX-License-Identifier: MIT
 * fuzz_shadow.c: fuzz target for shadow update requests (core/shadow.h), the JSON devices
 * publish on <id>/shadow/update and $aws/things/<id>/shadow/update and REST clients PATCH. The
 * input is the request, applied to a fixed stored document and to a shadow that does not exist
 * yet; every answer must be one of AWS's codes with the documents that code promises. Uses core
 * only.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "shadow.h"

#define NOW ((time_t)1700000000)
#define MAX_SIZE 2048 /* below the default, so the 413 paths are reachable */

static const char seed_request[] =
	"{\"state\":{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"prod/T1/\","
	"\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":\"prod/T1/m/d/nrf-1/d2c\"}},"
	"\"config\":{\"activeMode\":true,\"interval\":60}},"
	"\"reported\":{\"config\":{\"activeMode\":false},\"device\":{\"serviceInfo\":"
	"{\"fota_v2\":[\"APP\",\"MODEM\"]}}}},\"clientToken\":\"seed\"}";

static void update_one(const json_t *doc, const char *req, size_t len)
{
	struct ncm_shadow_result res;
	json_t *j;
	int code;

	memset(&res, 0, sizeof(res));
	code = ncm_shadow_update(doc, req, len, NOW, MAX_SIZE, &res);
	FUZZ_CHECK(code == res.code);
	/* shadow.c answers 500 only when it runs out of memory. */
	FUZZ_CHECK(code == 0 || code == 400 || code == 409 || code == 413 || code == 500);
	if (code) {
		FUZZ_CHECK(res.error && !res.doc && !res.accepted && !res.documents);
		goto out;
	}
	FUZZ_CHECK(res.doc && res.accepted && res.documents && !res.error);
	FUZZ_CHECK(json_integer_value(json_object_get(res.doc, "version")) ==
		   (doc ? json_integer_value(json_object_get(doc, "version")) : 0) + 1);
	FUZZ_CHECK(ncm_shadow_state_size(res.doc) <= MAX_SIZE);
	/* What the device asks for next: every view of the new document must build. */
	j = ncm_shadow_get_accepted(res.doc, NOW);
	FUZZ_CHECK(j != NULL);
	json_decref(j);
	j = ncm_shadow_trimmed(res.doc);
	FUZZ_CHECK(j != NULL);
	json_decref(j);
	/* a delta is published only when there is one, and not after every update
	 * (docs/compatibility.md#delta-rule): never without a delta to publish */
	j = ncm_shadow_delta_msg(res.doc, NOW, 1);
	FUZZ_CHECK(!res.delta || j);
	json_decref(j);
out:
	ncm_shadow_result_release(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Built once and kept (still reachable at exit): updates never modify doc. */
	static struct ncm_shadow_result seed;
	/* An exact-size copy, so a read past len is caught by ASan or valgrind. */
	char *req = malloc(size ? size : 1);

	FUZZ_CHECK(req != NULL);
	if (size)
		memcpy(req, data, size);
	if (!seed.doc)
		FUZZ_CHECK(ncm_shadow_update(NULL, seed_request, strlen(seed_request), NOW - 60,
					     NCM_SHADOW_DEFAULT_MAX, &seed) == 0);
	update_one(seed.doc, req, size);
	update_one(NULL, req, size);
	free(req);
	return 0;
}
