/* SPDX-License-Identifier: MIT
 * tokcache.h: device JWTs that already verified, so a device that sends the same token again
 * (as nRF Connect SDK's REST library does for every fragment of one download, and as an
 * application that keeps its token does until it expires; docs/protocol-rest.md#device-jwts)
 * is not verified again. An entry is keyed by the SHA-256 of the whole token and holds the
 * device, its key material's SHA-256 and the token's time claims. The caller still reads the
 * device on every request: a deleted device, or one whose certificate or public key changed
 * (in this process or another), no longer matches, and the token takes the full check again
 * with the same answer as before. Any thread.
 */
#ifndef NCM_HTTP_TOKCACHE_H
#define NCM_HTTP_TOKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "jwt.h"

#define NCM_TOKCACHE_HASH 32

struct ncm_tokcache_hit {
	char device_id[NCM_DEVID_MAX + 1];
	unsigned char key_hash[NCM_TOKCACHE_HASH];
	struct ncm_jwt times; /* only has_exp/exp, has_iat/iat, has_nbf/nbf are set */
};

/* The SHA-256 of token (len bytes). */
void ncm_tokcache_hash(const char *token, size_t len, unsigned char out[NCM_TOKCACHE_HASH]);
/* The SHA-256 of d's key material (its public key and certificate PEMs). */
void ncm_tokcache_key_hash(const struct ncm_device *d, unsigned char out[NCM_TOKCACHE_HASH]);

/* 1 and *hit filled when the token with hash h verified before; 0 otherwise. */
int ncm_tokcache_find(const unsigned char h[NCM_TOKCACHE_HASH], struct ncm_tokcache_hit *hit);
/* Remembers that the token with hash h verified for device d. */
void ncm_tokcache_add(const unsigned char h[NCM_TOKCACHE_HASH], const struct ncm_device *d,
		      const struct ncm_jwt *jwt);
/* Forgets the token with hash h. */
void ncm_tokcache_drop(const unsigned char h[NCM_TOKCACHE_HASH]);
/* Forgets every token. */
void ncm_tokcache_clear(void);

#endif
