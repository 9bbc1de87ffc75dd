/* SPDX-License-Identifier: MIT
 * hold.c: what became of each message the mock publishes for a device, and replies held until
 * the device subscribes (docs/compatibility.md#replies-held-until-the-device-subscribes).
 *
 * Mosquitto 2.0.11 tells a plugin neither who a publish reached nor what a client subscribed
 * to (no subscribe event; MOSQ_EVT_* has only auth, ACL, message, tick, disconnect, ...). It
 * does ask the ACL check: READ once per matching subscriber when it routes a publish, at the
 * top of the loop iteration after mosquitto_broker_publish (src/loop.c queue_plugin_msgs, then
 * src/subs.c), and SUBSCRIBE once per filter of a SUBSCRIBE packet. So every publish that
 * names a device leaves a probe here; a READ check for that device and topic resolves it as
 * delivered (journaled then, before the bytes reach the device); a probe still unresolved two
 * ticks later was routed to nobody. A reply to the device's own request is then held for
 * --reply-hold-ms while the device is connected and sent to it alone (single_publish, no
 * subscription needed) as soon as it subscribes to a matching filter; anything else, and a
 * hold that runs out, is journaled "dropped: no subscriber". nRF Cloud answers through rules
 * and lambdas, late enough that firmware subscribing right after its request still gets the
 * answer. Broker thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"
#include "utf8.h"

/* Bounds the memory of messages nobody takes: past it, publishes are journaled unprobed. */
#define PROBES_MAX 20000

enum state { PROBING, HELD };

struct probe {
	char *device, *topic;
	void *payload;
	size_t len;
	int qos, reply;
	enum state state;
	uint64_t tick;          /* the tick count when it was published */
	int64_t published_ms;
	struct probe *next;
};

static struct probe *head, **tail = &head;
static size_t count;
static uint64_t ticks;

static void probe_free(struct probe *p)
{
	free(p->device);
	free(p->topic);
	free(p->payload);
	free(p);
}

static void journal_send(const struct probe *p, const char *reason)
{
	struct ncm_journal_rec rec = { 0 };

	rec.kind = "mqtt.send";
	rec.device = p->device;
	rec.topic = p->topic;
	rec.status = p->qos;
	rec.payload = p->payload;
	rec.payload_len = p->len;
	rec.binary = !ncm_utf8_valid(p->payload, p->len);
	rec.reason = reason;
	ncm_rt_journal(&rec);
}

/* Unlinks *pp (and fixes the tail); returns the probe. */
static struct probe *unlink_at(struct probe **pp)
{
	struct probe *p = *pp;

	*pp = p->next;
	if (tail == &p->next)
		tail = pp;
	count--;
	return p;
}

int ncm_mqtt_probe_add(const char *device_id, const char *topic, const void *payload,
		       size_t len, int qos, int reply)
{
	struct probe *p;

	if (count >= PROBES_MAX)
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->device = strdup(device_id);
	p->topic = strdup(topic);
	p->payload = malloc(len ? len : 1);
	if (!p->device || !p->topic || !p->payload) {
		probe_free(p);
		return -1;
	}
	if (len)
		memcpy(p->payload, payload, len);
	p->len = len;
	p->qos = qos;
	p->reply = reply;
	p->state = PROBING;
	p->tick = ticks;
	p->published_ms = ncm_rt_now_ms();
	*tail = p;
	tail = &p->next;
	count++;
	return 0;
}

void ncm_mqtt_probe_seen(const char *device_id, const char *topic, const void *payload,
			 size_t len, const char *outcome)
{
	struct probe **pp, *p;

	for (pp = &head; *pp; pp = &(*pp)->next) {
		p = *pp;
		if (p->state != PROBING || strcmp(p->topic, topic) ||
		    strcasecmp(p->device, device_id) || p->len != len ||
		    (len && memcmp(p->payload, payload, len)))
			continue;
		journal_send(p, outcome);
		probe_free(unlink_at(pp));
		return;
	}
}

void ncm_mqtt_hold_subscribed(const char *client_id, const char *device_id, const char *filter)
{
	struct probe **pp = &head, *p;
	char reason[96];
	bool matches;

	while (*pp) {
		p = *pp;
		matches = false;
		if (p->state != HELD || strcasecmp(p->device, device_id) ||
		    mosquitto_topic_matches_sub(filter, p->topic, &matches) != MOSQ_ERR_SUCCESS ||
		    !matches) {
			pp = &p->next;
			continue;
		}
		/* to this client alone: it is about to hold the subscription, and the message
		 * goes out after its SUBACK (single_publish at the top of the next iteration) */
		if (mosquitto_broker_publish_copy(client_id, p->topic, (int)p->len, p->payload,
						  p->qos, false, NULL) == MOSQ_ERR_SUCCESS) {
			snprintf(reason, sizeof(reason), "delivered (held %lld ms until it subscribed)",
				 (long long)(ncm_rt_now_ms() - p->published_ms));
			journal_send(p, reason);
		} else {
			journal_send(p, "dropped: broker refused the publish");
		}
		probe_free(unlink_at(pp));
	}
}

void ncm_mqtt_hold_tick(int64_t now_ms)
{
	int hold_ms = ncm_rt()->cfg.reply_hold_ms;
	struct probe **pp = &head, *p;

	ticks++;
	while (*pp) {
		p = *pp;
		/* routed by now: published before the previous tick, so a queue_plugin_msgs pass
		 * has run since (see the file comment) */
		if (p->state == PROBING && ticks >= p->tick + 2) {
			if (p->reply && hold_ms > 0 && ncm_clients_count_device(p->device, NULL) > 0) {
				p->state = HELD;
				journal_send(p, "held: no subscriber yet");
			} else {
				journal_send(p, "dropped: no subscriber");
				probe_free(unlink_at(pp));
				continue;
			}
		}
		if (p->state == HELD && now_ms - p->published_ms >= hold_ms) {
			journal_send(p, "dropped: no subscriber");
			probe_free(unlink_at(pp));
			continue;
		}
		pp = &p->next;
	}
}

void ncm_mqtt_hold_clear(void)
{
	struct probe *p;

	while ((p = head)) {
		head = p->next;
		probe_free(p);
	}
	tail = &head;
	count = 0;
}
