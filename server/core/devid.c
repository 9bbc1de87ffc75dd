/* SPDX-License-Identifier: MIT
 * devid.c: nRF Cloud's device ID rules (see devid.h).
 */
#include "devid.h"

#include <string.h>

static int devid_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '_' || c == '-';
}

int ncm_devid_check(const char *id, struct ncm_err_info *err)
{
	size_t len, i;

	if (!id || !*id)
		return ncm_err_set(err, NCM_ERR_INVAL, "device ID is empty");
	len = strnlen(id, NCM_DEVID_MAX + 1);
	if (len > NCM_DEVID_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "device ID is longer than %d characters", NCM_DEVID_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if (devid_char_ok((char)c))
			continue;
		if (c >= 0x21 && c < 0x7f)
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "device ID '%s' has '%c' at position %zu; allowed are "
					   "a-z, A-Z, 0-9, ':', '_' and '-'", id, c, i + 1);
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "device ID has byte 0x%02x at position %zu; allowed are a-z, "
				   "A-Z, 0-9, ':', '_' and '-'", c, i + 1);
	}
	return NCM_OK;
}
