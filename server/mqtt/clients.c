/* SPDX-License-Identifier: MIT
 * clients.c: the connected-client table (see clients.h): a small hash on the client pointer.
 */
#include "clients.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BUCKETS 1024

static struct ncm_client *buckets[BUCKETS];

static size_t bucket_of(const struct mosquitto *client)
{
	uintptr_t p = (uintptr_t)client;

	return (size_t)((p >> 4) ^ (p >> 14)) % BUCKETS;
}

struct ncm_client *ncm_clients_get(const struct mosquitto *client)
{
	struct ncm_client *c;

	for (c = buckets[bucket_of(client)]; c; c = c->next)
		if (c->client == client)
			return c;
	return NULL;
}

struct ncm_client *ncm_clients_add(const struct mosquitto *client, const char *device_id)
{
	struct ncm_client *c = ncm_clients_get(client);
	size_t b;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		b = bucket_of(client);
		c->client = client;
		c->next = buckets[b];
		buckets[b] = c;
	}
	snprintf(c->device_id, sizeof(c->device_id), "%s", device_id);
	c->kick_reason[0] = '\0';
	return c;
}

size_t ncm_clients_count_device(const char *device_id, const struct ncm_client *except)
{
	struct ncm_client *c;
	size_t i, n = 0;

	for (i = 0; i < BUCKETS; i++)
		for (c = buckets[i]; c; c = c->next)
			if (c != except && !strcasecmp(c->device_id, device_id))
				n++;
	return n;
}

void ncm_clients_set_kick_reason(const char *device_id, const char *reason)
{
	struct ncm_client *c;
	size_t i;

	for (i = 0; i < BUCKETS; i++)
		for (c = buckets[i]; c; c = c->next)
			if (!device_id || !strcasecmp(c->device_id, device_id))
				snprintf(c->kick_reason, sizeof(c->kick_reason), "%s", reason);
}

void ncm_clients_remove(const struct mosquitto *client)
{
	struct ncm_client **pp = &buckets[bucket_of(client)], *c;

	for (; (c = *pp); pp = &c->next) {
		if (c->client == client) {
			*pp = c->next;
			free(c);
			return;
		}
	}
}

void ncm_clients_clear(void)
{
	struct ncm_client *c, *next;
	size_t i;

	for (i = 0; i < BUCKETS; i++) {
		for (c = buckets[i]; c; c = next) {
			next = c->next;
			free(c);
		}
		buckets[i] = NULL;
	}
}
