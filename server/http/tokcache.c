/* SPDX-License-Identifier: MIT
 * tokcache.c: verified device JWTs (see tokcache.h). A direct-mapped table of SLOTS entries
 * indexed by the token's hash; a newer token takes the slot of an older one. Entries are
 * fixed-size: nothing is allocated per token.
 */
#include "tokcache.h"
#include "sha256.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define SLOTS 1024

struct slot {
	int used;
	unsigned char h[NCM_TOKCACHE_HASH];
	struct ncm_tokcache_hit hit;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void ncm_tokcache_hash(const char *token, size_t len, unsigned char out[NCM_TOKCACHE_HASH])
{
	if (EVP_Digest(token, len, out, NULL, ncm_http_sha256(), NULL) != 1)
		SHA256((const unsigned char *)token, len, out);
}

void ncm_tokcache_key_hash(const struct ncm_device *d, unsigned char out[NCM_TOKCACHE_HASH])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	/* "P" or "-" marks whether each PEM is there, so no two different pairs hash alike */
	if (!ctx || EVP_DigestInit_ex(ctx, ncm_http_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, d->pubkey_pem ? "P" : "-", 1) != 1 ||
	    (d->pubkey_pem &&
	     EVP_DigestUpdate(ctx, d->pubkey_pem, strlen(d->pubkey_pem) + 1) != 1) ||
	    EVP_DigestUpdate(ctx, d->cert_pem ? "P" : "-", 1) != 1 ||
	    (d->cert_pem && EVP_DigestUpdate(ctx, d->cert_pem, strlen(d->cert_pem) + 1) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		memset(out, 0xff, NCM_TOKCACHE_HASH); /* matches no key: the token is checked */
	EVP_MD_CTX_free(ctx);
}

static struct slot *slot_of(const unsigned char h[NCM_TOKCACHE_HASH])
{
	return &slots[((size_t)h[0] << 8 | h[1]) % SLOTS];
}

int ncm_tokcache_find(const unsigned char h[NCM_TOKCACHE_HASH], struct ncm_tokcache_hit *hit)
{
	struct slot *s = slot_of(h);
	int found;

	pthread_mutex_lock(&lock);
	found = s->used && !CRYPTO_memcmp(s->h, h, NCM_TOKCACHE_HASH);
	if (found)
		*hit = s->hit;
	pthread_mutex_unlock(&lock);
	return found;
}

void ncm_tokcache_add(const unsigned char h[NCM_TOKCACHE_HASH], const struct ncm_device *d,
		      const struct ncm_jwt *jwt)
{
	struct slot *s = slot_of(h), n = { .used = 1 };

	memcpy(n.h, h, NCM_TOKCACHE_HASH);
	memcpy(n.hit.device_id, d->id, sizeof(n.hit.device_id));
	ncm_tokcache_key_hash(d, n.hit.key_hash);
	n.hit.times.has_exp = jwt->has_exp;
	n.hit.times.exp = jwt->exp;
	n.hit.times.has_iat = jwt->has_iat;
	n.hit.times.iat = jwt->iat;
	n.hit.times.has_nbf = jwt->has_nbf;
	n.hit.times.nbf = jwt->nbf;
	pthread_mutex_lock(&lock);
	*s = n;
	pthread_mutex_unlock(&lock);
}

void ncm_tokcache_drop(const unsigned char h[NCM_TOKCACHE_HASH])
{
	struct slot *s = slot_of(h);

	pthread_mutex_lock(&lock);
	if (s->used && !CRYPTO_memcmp(s->h, h, NCM_TOKCACHE_HASH))
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&lock);
}

void ncm_tokcache_clear(void)
{
	pthread_mutex_lock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
	ncm_http_sha256_release();
}
