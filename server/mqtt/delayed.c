/* SPDX-License-Identifier: MIT
 * delayed.c: deliveries held back by a "delay_deliveries" fault. The broker asks the ACL check
 * before it delivers a message to a subscriber (src/subs.c); the check refuses the delivery and
 * keeps a copy here, and the tick sends the copy to that client alone when its time has come.
 * A message for one client id goes straight into that client's queue (src/loop.c,
 * single_publish), past the ACL check, so it is not held back again. The copy keeps the
 * message's QoS (not the lower of it and the subscription's) and arrives without a retain flag;
 * a reset or new fixtures drop what is still held. Broker thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"

struct held {
	char *client_id, *topic;
	void *payload;
	int len, qos, retain;
	int64_t due_ms;
	struct held *next;
};

static struct held *head;

static void held_free(struct held *h)
{
	free(h->client_id);
	free(h->topic);
	free(h->payload);
	free(h);
}

int ncm_mqtt_delay_delivery(const char *client_id, const char *topic, const void *payload,
			    int len, int qos, int retain, int delay_ms)
{
	struct held *h = calloc(1, sizeof(*h)), **pp;

	if (!h)
		return -1;
	h->client_id = strdup(client_id);
	h->topic = strdup(topic);
	h->payload = malloc(len > 0 ? (size_t)len : 1);
	if (!h->client_id || !h->topic || !h->payload) {
		held_free(h);
		return -1;
	}
	if (len > 0)
		memcpy(h->payload, payload, (size_t)len);
	h->len = len;
	h->qos = qos;
	h->retain = retain;
	h->due_ms = ncm_rt_now_ms() + delay_ms;
	/* in due order; equal times keep their arrival order */
	for (pp = &head; *pp && (*pp)->due_ms <= h->due_ms; pp = &(*pp)->next)
		;
	h->next = *pp;
	*pp = h;
	return 0;
}

void ncm_mqtt_delayed_flush(int64_t now_ms)
{
	struct held *h;

	while ((h = head) && h->due_ms <= now_ms) {
		int rc;

		head = h->next;
		rc = mosquitto_broker_publish_copy(h->client_id, h->topic, h->len, h->payload,
						   h->qos, h->retain, NULL);
		if (rc)
			ncm_log(NCM_LOG_WARNING, "mqtt: delayed delivery to %s on %s failed: %s",
				h->client_id, h->topic, mosquitto_strerror(rc));
		held_free(h);
	}
}

void ncm_mqtt_delayed_clear(void)
{
	struct held *h;

	while ((h = head)) {
		head = h->next;
		held_free(h);
	}
}
