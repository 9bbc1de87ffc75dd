/* SPDX-License-Identifier: MIT
 * c2d.c: the c2d topics of a device (see c2d.h).
 */
#include "c2d.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "runtime.h"
#include "shadows.h"

int ncm_c2d_legacy(struct ncm_db *db, const char *device_id, char *topic, size_t size)
{
	json_t *doc = NULL;
	const char *reported;
	int legacy;

	if (ncm_store_shadow_get(db, device_id, &doc, NULL))
		return 0;
	reported = json_string_value(json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(doc, "state"), "reported"), "pairing"), "topics"),
		"c2d"));
	/* only this device's own legacy topic, whatever else it may have reported */
	snprintf(topic, size, "%sm/d/%s/c2d", ncm_rt()->prefix, device_id);
	legacy = reported && !strcmp(reported, topic);
	json_decref(doc);
	return legacy;
}

int ncm_c2d_outbox(struct ncm_db *db, const char *device_id, const void *payload, size_t len,
		   struct ncm_outbox *out)
{
	char topic[512];
	int rc;

	snprintf(topic, sizeof(topic), "%sm/d/%s/c2d/r", ncm_rt()->prefix, device_id);
	rc = ncm_outbox_add_raw(out, topic, payload, len);
	if (!rc && ncm_c2d_legacy(db, device_id, topic, sizeof(topic)))
		rc = ncm_outbox_add_raw(out, topic, payload, len);
	return rc;
}
