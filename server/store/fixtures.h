/* SPDX-License-Identifier: MIT
 * fixtures.h: loads the default world (docs/architecture.md#fixtures) into the store at start: team.json (tenant,
 * name, stage, API keys) and devices/<any>.json (one device each). Loading is additive: a team
 * or device that is stored already is kept as it is, so restarts never undo run-time changes.
 * A fixture device without certificate or public key gets a lab-CA certificate, written with its
 * key to devices_out_dir so that a fresh instance has a device ready to connect. A device file
 * may carry "shadow": {"desired":{..},"reported":{..}}, its initial shadow. firmware/<any>.json
 * preloads firmware bundles, including MODEM and MDM_FULL ones users cannot upload:
 * {"bundleId"?, "type", "version", "name"?, "files":[{"file", "source"}]}, source being an image
 * file beside it, copied to <data>/firmware/<tenant>/<bundleId>/<file>. location/<any>.json holds
 * what location services answer from: {"cells":[..],"wifi":[..],"anchors":[..]} (store/location.h).
 */
#ifndef NCM_FIXTURES_H
#define NCM_FIXTURES_H

#include <time.h>

#include <jansson.h>

#include "ca.h"
#include "db.h"

#define NCM_FIXTURE_MAX_FILE (256 * 1024)

/* Device keys go to <data_dir>/devices, images to <data_dir>/firmware. dir may be NULL (no fixtures): then a team with a random tenant ID and API key is made if none
 * is stored. Errors name the file and, for JSON, the line and column. */
int ncm_fixtures_load(struct ncm_db *db, const char *dir, const struct ncm_ca *ca,
		      const char *data_dir, time_t now, struct ncm_err_info *err);

/* Loads a fixtures document {"devices":[<device file>...], "firmware":[<bundle file>...],
 * "location":{<location file>}}
 * (what ncm_fixtures_export writes; images as base64 "data"); additive like ncm_fixtures_load.
 * Errors name the item ("devices[2]: ..."). */
int ncm_fixtures_load_doc(struct ncm_db *db, const json_t *doc, const struct ncm_ca *ca,
			  const char *data_dir, time_t now, struct ncm_err_info *err);

/* The stored world as a fixtures document (GET /mock/v1/fixtures): {"format", "tenantId",
 * "devices":[{"id","name","tags","subType"?,"certificate"?,"shadow"?:{"desired","reported"}}],
 * "firmware":[{"bundleId","type","version","name"?,"files":[{"file","data"}]}],
 * "location":{"cells","wifi","anchors"}}. */
int ncm_fixtures_export(struct ncm_db *db, const char *data_dir, json_t **doc,
			struct ncm_err_info *err);

#endif
