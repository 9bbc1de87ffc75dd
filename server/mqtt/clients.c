/* SPDX-License-Identifier: MIT
 * clients.c: the connected-client table (see clients.h): two hashes over the same entries, one
 * on the client pointer (every ACL check and message looks a client up by it) and one on the
 * device ID, case-insensitive (a disconnect asks whether the device has another connection, a
 * kick marks the device's connections). Both lookups must not grow with the number of devices
 * connected: a disconnect that walked every entry cost the broker thread about a millisecond at
 * 10 000 devices, so a storm of thousands of disconnects stalled it for tens of seconds on a
 * busy machine, long enough for Mosquitto to time out the keep-alive of devices whose packets
 * were waiting unread, whose disconnects stalled it further (docs/limits.md#soak).
 */
#include "clients.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* enough for a few times --mqtt-max-conn's default without long chains; untouched buckets
 * stay in the zero page */
#define BUCKETS 65536

static struct ncm_client *by_ptr[BUCKETS];
static struct ncm_client *by_dev[BUCKETS];
static size_t visited;

static size_t ptr_bucket(const struct mosquitto *client)
{
	uintptr_t p = (uintptr_t)client;

	return (size_t)((p >> 4) ^ (p >> 20)) % BUCKETS;
}

/* FNV-1a over the lower-cased ID: IDs that differ only in case share a bucket. */
static size_t dev_bucket(const char *device_id)
{
	uint32_t h = 2166136261u;

	for (; *device_id; device_id++) {
		h ^= (uint32_t)tolower((unsigned char)*device_id);
		h *= 16777619u;
	}
	return (size_t)h % BUCKETS;
}

struct ncm_client *ncm_clients_get(const struct mosquitto *client)
{
	struct ncm_client *c;

	for (c = by_ptr[ptr_bucket(client)]; c; c = c->next)
		if (c->client == client)
			return c;
	return NULL;
}

static void dev_unlink(struct ncm_client *c)
{
	struct ncm_client **pp;

	for (pp = &by_dev[dev_bucket(c->device_id)]; *pp; pp = &(*pp)->next_dev) {
		if (*pp == c) {
			*pp = c->next_dev;
			return;
		}
	}
}

struct ncm_client *ncm_clients_add(const struct mosquitto *client, const char *device_id)
{
	struct ncm_client *c = ncm_clients_get(client);
	size_t b;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		b = ptr_bucket(client);
		c->client = client;
		c->next = by_ptr[b];
		by_ptr[b] = c;
	} else {
		dev_unlink(c); /* the same connection under another ID: moves buckets */
	}
	snprintf(c->device_id, sizeof(c->device_id), "%s", device_id);
	b = dev_bucket(c->device_id);
	c->next_dev = by_dev[b];
	by_dev[b] = c;
	c->kick_reason[0] = '\0';
	return c;
}

size_t ncm_clients_count_device(const char *device_id, const struct ncm_client *except)
{
	struct ncm_client *c;
	size_t n = 0;

	visited = 0;
	for (c = by_dev[dev_bucket(device_id)]; c; c = c->next_dev) {
		visited++;
		if (c != except && !strcasecmp(c->device_id, device_id))
			n++;
	}
	return n;
}

void ncm_clients_set_kick_reason(const char *device_id, const char *reason)
{
	struct ncm_client *c;
	size_t i;

	visited = 0;
	if (device_id) {
		for (c = by_dev[dev_bucket(device_id)]; c; c = c->next_dev) {
			visited++;
			if (!strcasecmp(c->device_id, device_id))
				snprintf(c->kick_reason, sizeof(c->kick_reason), "%s", reason);
		}
		return;
	}
	for (i = 0; i < BUCKETS; i++) {
		for (c = by_ptr[i]; c; c = c->next) {
			visited++;
			snprintf(c->kick_reason, sizeof(c->kick_reason), "%s", reason);
		}
	}
}

size_t ncm_clients_visited(void)
{
	return visited;
}

void ncm_clients_remove(const struct mosquitto *client)
{
	struct ncm_client **pp = &by_ptr[ptr_bucket(client)], *c;

	for (; (c = *pp); pp = &c->next) {
		if (c->client == client) {
			*pp = c->next;
			dev_unlink(c);
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
		for (c = by_ptr[i]; c; c = next) {
			next = c->next;
			free(c);
		}
		/* written only where set: a store to every bucket would make the whole table
		 * resident */
		if (by_ptr[i])
			by_ptr[i] = NULL;
		if (by_dev[i])
			by_dev[i] = NULL;
	}
}
