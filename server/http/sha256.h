/* SPDX-License-Identifier: MIT
 * sha256.h: one SHA-256 implementation fetched once for the HTTP side's caches.
 */
#ifndef NCM_HTTP_SHA256_H
#define NCM_HTTP_SHA256_H

#include <openssl/evp.h>

/* OpenSSL 3's SHA256() and EVP_sha256() look the algorithm up on every use, which cost as much
 * as hashing a device token; this fetches it once (thread-safe) and falls back to EVP_sha256()
 * when the fetch fails. */
const EVP_MD *ncm_http_sha256(void);
/* Frees the fetched algorithm (at stop; the next ncm_http_sha256 fetches it again). */
void ncm_http_sha256_release(void);

#endif
