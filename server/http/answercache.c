/* SPDX-License-Identifier: MIT
 * answercache.c: device answers (see answercache.h). A direct-mapped table of SLOTS entries
 * keyed by device ID (a newer device takes an older one's slot); answers larger than
 * MAX_ANSWER are not kept.
 */
#include "answercache.h"
#include "sha256.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define SLOTS 256
#define MAX_ANSWER (64 * 1024)

struct slot {
	char *id;
	unsigned char h[NCM_ANSWER_HASH];
	char *answer;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slot_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return &slots[h % SLOTS];
}

/* Adds a string and its terminator, or a marker for NULL, so no two field lists collide. */
static int add_str(EVP_MD_CTX *ctx, const char *s)
{
	return s ? EVP_DigestUpdate(ctx, "S", 1) == 1 &&
			   EVP_DigestUpdate(ctx, s, strlen(s) + 1) == 1
		 : EVP_DigestUpdate(ctx, "N", 1) == 1;
}

void ncm_answercache_inputs(const struct ncm_device *d, const char *shadow, size_t len,
			    const char *tenant, unsigned char out[NCM_ANSWER_HASH])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char nums[128];
	unsigned int n = 0;
	int ok;

	snprintf(nums, sizeof(nums), "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%zu",
		 d->created_ms, d->last_connect_ms, d->last_disconnect_ms, d->updated_ms, len);
	ok = ctx && EVP_DigestInit_ex(ctx, ncm_http_sha256(), NULL) == 1 &&
	     add_str(ctx, tenant) && add_str(ctx, d->id) && add_str(ctx, d->cert_pem) &&
	     add_str(ctx, d->fingerprint) && add_str(ctx, d->pubkey_pem) &&
	     add_str(ctx, d->name) && add_str(ctx, d->tags_json) && add_str(ctx, d->sub_type) &&
	     add_str(ctx, d->onboarded_by) && add_str(ctx, d->fw_types_json) &&
	     add_str(ctx, nums) && EVP_DigestUpdate(ctx, shadow, len) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, &n) == 1;
	if (!ok)
		memset(out, 0, NCM_ANSWER_HASH); /* all zero: never kept, see put */
	EVP_MD_CTX_free(ctx);
}

static int is_zero(const unsigned char h[NCM_ANSWER_HASH])
{
	unsigned char any = 0;
	size_t i;

	for (i = 0; i < NCM_ANSWER_HASH; i++)
		any |= h[i];
	return !any;
}

char *ncm_answercache_get(const char *id, const unsigned char h[NCM_ANSWER_HASH])
{
	struct slot *s = slot_of(id);
	char *copy = NULL;

	if (is_zero(h))
		return NULL;
	pthread_mutex_lock(&lock);
	if (s->id && !strcmp(s->id, id) && !memcmp(s->h, h, NCM_ANSWER_HASH))
		copy = strdup(s->answer);
	pthread_mutex_unlock(&lock);
	return copy;
}

void ncm_answercache_put(const char *id, const unsigned char h[NCM_ANSWER_HASH],
			 const char *answer)
{
	struct slot *s = slot_of(id), old;
	char *id_copy, *answer_copy;

	if (is_zero(h) || strlen(answer) > MAX_ANSWER)
		return;
	id_copy = strdup(id);
	answer_copy = strdup(answer);
	if (!id_copy || !answer_copy) {
		free(id_copy);
		free(answer_copy);
		return;
	}
	pthread_mutex_lock(&lock);
	old = *s;
	s->id = id_copy;
	memcpy(s->h, h, NCM_ANSWER_HASH);
	s->answer = answer_copy;
	pthread_mutex_unlock(&lock);
	free(old.id);
	free(old.answer);
}

void ncm_answercache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++) {
		free(slots[i].id);
		free(slots[i].answer);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
	pthread_mutex_unlock(&lock);
	ncm_http_sha256_release();
}
