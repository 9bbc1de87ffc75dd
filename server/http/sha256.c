/* SPDX-License-Identifier: MIT
 * sha256.c: the fetched-once SHA-256 of sha256.h.
 */
#include "sha256.h"

#include <pthread.h>

static EVP_MD *sha256;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

const EVP_MD *ncm_http_sha256(void)
{
	const EVP_MD *m;

	pthread_mutex_lock(&lock);
	if (!sha256)
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	m = sha256;
	pthread_mutex_unlock(&lock);
	return m ? m : EVP_sha256();
}

void ncm_http_sha256_release(void)
{
	pthread_mutex_lock(&lock);
	EVP_MD_free(sha256);
	sha256 = NULL;
	pthread_mutex_unlock(&lock);
}
