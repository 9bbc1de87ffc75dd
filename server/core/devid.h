/* SPDX-License-Identifier: MIT
 * devid.h: nRF Cloud's device ID rules (docs/protocol-rest.md#device-ids: /^[a-z0-9:_-]{1,128}$/i), shared by
 * the CA, onboarding, MQTT identity and the REST API. Pure; no dependencies.
 */
#ifndef NCM_DEVID_H
#define NCM_DEVID_H

#include "err.h"

#define NCM_DEVID_MAX 128

/* NCM_OK when id is a valid device ID; otherwise NCM_ERR_INVAL with a message that names the
 * first offending character and its position, or the length. id may be NULL (invalid). */
int ncm_devid_check(const char *id, struct ncm_err_info *err);

#endif
