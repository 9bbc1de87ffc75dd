/* SPDX-License-Identifier: MIT
 * rawmqtt.h: a minimal MQTT 3.1.1 client over OpenSSL that writes exactly the packets a test
 * asks for, with the packet identifiers it chooses, and reads packets in wire order. It plays
 * nRF Connect SDK firmware, whose message IDs (100, 101, 103, 200, 201, 301, ...) and
 * PUBACK-before-reply expectations are part of the protocol (docs/protocol-mqtt.md#fixed-message-ids, docs/protocol-mqtt.md#what-firmware-needs).
 */
#ifndef NCM_TEST_RAWMQTT_H
#define NCM_TEST_RAWMQTT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "harness.h"

struct raw {
	SSL_CTX *ctx;
	BIO *bio;
	int fd;
	unsigned char buf[1 << 17];
	size_t used;
};

enum raw_type {
	RAW_CONNACK = 2,
	RAW_PUBLISH = 3,
	RAW_PUBACK = 4,
	RAW_SUBACK = 9,
	RAW_UNSUBACK = 11,
	RAW_PINGRESP = 13,
};

struct raw_pkt {
	int type;            /* enum raw_type, 0 when nothing arrived, -1 when the link closed */
	int flags;           /* low nibble of the fixed header */
	int id;              /* packet identifier (PUBACK, SUBACK, QoS 1 PUBLISH) */
	int qos;
	char topic[1024];
	unsigned char *payload; /* NUL-terminated copy, freed by raw_pkt_release */
	size_t len;
	int rc[8];           /* SUBACK return codes, CONNACK: rc[0] session present, rc[1] code */
	int n_rc;
};

/* TLS 1.2 handshake and CONNECT. Returns the CONNACK return code (0 accepted), or -1 without a
 * CONNACK. *session_present may be NULL. */
int raw_connect(struct raw *r, const struct srv *s, const char *client_id, const char *crt,
		const char *key, int keepalive, int clean, int *session_present);
/* Connects device id (keepalive 60, clean session) with a lab-CA certificate kept in the
 * server's folder as <id>.crt/.key, issued on first use (auto-onboarded at its first connect);
 * fails the test unless the CONNACK accepts it. */
void raw_connect_lab(struct raw *r, const struct srv *s, const char *id);
void raw_subscribe(struct raw *r, int id, const char *const *topics, size_t n);
void raw_publish(struct raw *r, int id, int qos, const char *topic, const void *payload,
		 size_t len);
void raw_puback(struct raw *r, int id);
void raw_pingreq(struct raw *r);
/* Waits up to timeout_ms for the next packet. */
void raw_read(struct raw *r, struct raw_pkt *p, int timeout_ms);
void raw_pkt_release(struct raw_pkt *p);
void raw_close(struct raw *r);

/* Reads the next packet and fails the test unless it is of type (and, for PUBACK and SUBACK,
 * has identifier id; for PUBLISH, topic). A QoS 1 PUBLISH is acknowledged. */
void raw_expect(struct raw *r, struct raw_pkt *p, int type, int id, const char *topic);
/* The next packet must be a PUBLISH on topic (acknowledged when QoS 1) with a JSON payload;
 * that JSON (a new reference). */
json_t *raw_expect_json(struct raw *r, const char *topic);
/* Proves nothing else is queued for the client: a PINGREQ's answer must be the next packet
 * (anything the broker queued before reading the PINGREQ would come first). */
void raw_expect_quiet(struct raw *r);

#endif
