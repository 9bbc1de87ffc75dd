/* SPDX-License-Identifier: MIT
 * pairing.c: the desired prefix and pairing every shadow carries (see pairing.h).
 */
#include "pairing.h"

#include <stdio.h>
#include <string.h>

#include "shadow.h"

json_t *ncm_pairing_object(const char *prefix, const char *device_id)
{
	char d2c[512], c2d[512];

	snprintf(d2c, sizeof(d2c), "%sm/d/%s/d2c", prefix, device_id);
	snprintf(c2d, sizeof(c2d), "%sm/d/%s/+/r", prefix, device_id);
	return json_pack("{s:s,s:{s:s,s:s}}", "state", "paired", "topics", "d2c", d2c, "c2d", c2d);
}

/* Returns obj[key], creating it as an empty object when absent (or not an object). */
static json_t *child_object(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_object(v))
		return v;
	v = json_object();
	json_object_set_new(obj, key, v);
	return v;
}

/* Metadata for every leaf of value: {"timestamp":now} at leaves, objects mirrored. */
static json_t *leaf_metadata(const json_t *value, time_t now)
{
	const char *key;
	json_t *v, *meta;

	if (!json_is_object(value))
		return json_pack("{s:I}", "timestamp", (json_int_t)now);
	meta = json_object();
	json_object_foreach((json_t *)value, key, v)
		json_object_set_new(meta, key, leaf_metadata(v, now));
	return meta;
}

json_t *ncm_pairing_ensure(const json_t *doc, const char *prefix, const char *device_id,
			   time_t now, int *changed)
{
	json_t *out, *desired, *meta_desired, *v;
	int added = 0;

	out = doc ? json_deep_copy(doc) : ncm_shadow_new(now);
	if (!out)
		return NULL;
	desired = child_object(child_object(out, "state"), "desired");
	meta_desired = child_object(child_object(out, "metadata"), "desired");
	if (!json_is_string(json_object_get(desired, "nrfcloud_mqtt_topic_prefix"))) {
		json_object_set_new(desired, "nrfcloud_mqtt_topic_prefix", json_string(prefix));
		json_object_set_new(meta_desired, "nrfcloud_mqtt_topic_prefix",
				    leaf_metadata(NULL, now));
		added = 1;
	}
	if (!json_is_object(json_object_get(desired, "pairing"))) {
		v = ncm_pairing_object(prefix, device_id);
		json_object_set_new(meta_desired, "pairing", leaf_metadata(v, now));
		json_object_set_new(desired, "pairing", v);
		added = 1;
	}
	if (changed)
		*changed = added;
	return out;
}
