/* SPDX-License-Identifier: MIT
 * keycache.h: the public key each device's JWTs verify with, parsed once and kept while the
 * device's registered key or certificate stays the same (see keycache.c). Any thread.
 */
#ifndef NCM_HTTP_KEYCACHE_H
#define NCM_HTTP_KEYCACHE_H

#include <openssl/evp.h>

#include "devices.h"

/* The key for d (its public key, else its certificate's), or NULL when it has none. A new
 * reference: the caller frees it (EVP_PKEY_free). */
EVP_PKEY *ncm_keycache_device_key(const struct ncm_device *d);

/* Frees every entry (at stop, so leak checkers see nothing held). */
void ncm_keycache_clear(void);

#endif
