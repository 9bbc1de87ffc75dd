/* SPDX-License-Identifier: MIT
 * keycache.c: parsed device keys for JWT checks (see keycache.h). A direct-mapped table of
 * KEYCACHE_SLOTS entries keyed by device ID; an entry holds the PEM it was parsed from, so a
 * device whose key or certificate changed (or a device deleted and added again) never gets an
 * old key: its PEM no longer matches and is parsed again. Comparing a PEM costs far less than
 * parsing it (a certificate parse was 30 % of a device-JWT request).
 */
#include "keycache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "pki.h"

#define KEYCACHE_SLOTS 1024

struct slot {
	char *id;
	char *pem;
	EVP_PKEY *key;
};

static struct slot slots[KEYCACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Device IDs compare case-insensitively (the devices table's COLLATE NOCASE). */
static size_t slot_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++) {
		unsigned char c = (unsigned char)*id;

		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
	}
	return h % KEYCACHE_SLOTS;
}

/* The key a device's JWTs verify with (docs/protocol-rest.md#device-public-keys: one key per device, the newest
 * upload wins): its registered public key, else its certificate's key (registering a
 * certificate clears an older public key). *pem is the text it came from. */
static EVP_PKEY *parse(const struct ncm_device *d, const char **pem)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	*pem = NULL;
	if (d->pubkey_pem &&
	    !ncm_pki_pubkey_from_pem(d->pubkey_pem, strlen(d->pubkey_pem), &key, NULL)) {
		*pem = d->pubkey_pem;
		return key;
	}
	if (d->cert_pem && !ncm_pki_cert_from_pem(d->cert_pem, strlen(d->cert_pem), &cert, NULL)) {
		key = X509_get_pubkey(cert);
		X509_free(cert);
		*pem = key ? d->cert_pem : NULL;
	}
	return key;
}

EVP_PKEY *ncm_keycache_device_key(const struct ncm_device *d)
{
	struct slot *s = &slots[slot_of(d->id)];
	const char *want = d->pubkey_pem ? d->pubkey_pem : d->cert_pem;
	const char *pem;
	EVP_PKEY *key = NULL;
	char *id_copy, *pem_copy;

	if (!want)
		return NULL;
	pthread_mutex_lock(&lock);
	if (s->key && !strcasecmp(s->id, d->id) && !strcmp(s->pem, want) &&
	    EVP_PKEY_up_ref(s->key))
		key = s->key;
	pthread_mutex_unlock(&lock);
	if (key)
		return key;
	key = parse(d, &pem);
	if (!key || !pem)
		return key;
	id_copy = strdup(d->id);
	pem_copy = strdup(pem);
	if (!id_copy || !pem_copy || !EVP_PKEY_up_ref(key)) {
		free(id_copy);
		free(pem_copy);
		return key;
	}
	pthread_mutex_lock(&lock);
	free(s->id);
	free(s->pem);
	EVP_PKEY_free(s->key);
	s->id = id_copy;
	s->pem = pem_copy;
	s->key = key;
	pthread_mutex_unlock(&lock);
	return key;
}

void ncm_keycache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < KEYCACHE_SLOTS; i++) {
		free(slots[i].id);
		free(slots[i].pem);
		EVP_PKEY_free(slots[i].key);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
	pthread_mutex_unlock(&lock);
}
