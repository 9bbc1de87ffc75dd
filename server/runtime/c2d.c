/* SPDX-License-Identifier: MIT
 * c2d.c: the c2d topics of a device (see c2d.h).
 */
#include "c2d.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "runtime.h"
#include "shadows.h"

int ncm_c2d_outbox(struct ncm_db *db, const char *device_id, const void *payload, size_t len,
		   struct ncm_outbox *out)
{
	char topic[512];
	json_t *doc = NULL;
	const char *reported;
	int rc;

	snprintf(topic, sizeof(topic), "%sm/d/%s/c2d/r", ncm_rt()->prefix, device_id);
	rc = ncm_outbox_add_raw(out, topic, payload, len);
	if (rc || ncm_store_shadow_get(db, device_id, &doc, NULL))
		return rc;
	reported = json_string_value(json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(doc, "state"), "reported"), "pairing"), "topics"),
		"c2d"));
	/* only this device's own legacy topic, whatever else it may have reported */
	snprintf(topic, sizeof(topic), "%sm/d/%s/c2d", ncm_rt()->prefix, device_id);
	if (reported && !strcmp(reported, topic))
		rc = ncm_outbox_add_raw(out, topic, payload, len);
	json_decref(doc);
	return rc;
}
