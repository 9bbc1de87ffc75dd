/* SPDX-License-Identifier: MIT
 * rawmqtt.c: the minimal MQTT 3.1.1 client of the integration tests (see rawmqtt.h).
 */
#include "rawmqtt.h"

#include <check.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

static void put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Writes a packet: fixed header byte, remaining length, body. */
static void send_packet(struct raw *r, unsigned char first, const unsigned char *body, size_t len)
{
	unsigned char hdr[5];
	size_t n = 0, rem = len;

	hdr[n++] = first;
	do {
		unsigned char b = (unsigned char)(rem % 128);

		rem /= 128;
		hdr[n++] = (unsigned char)(b | (rem ? 0x80 : 0));
	} while (rem);
	ck_assert_int_eq(BIO_write(r->bio, hdr, (int)n), (int)n);
	if (len)
		ck_assert_int_eq(BIO_write(r->bio, body, (int)len), (int)len);
	BIO_flush(r->bio);
}

static size_t put_str(unsigned char *p, const char *s)
{
	size_t n = strlen(s);

	put16(p, n);
	memcpy(p + 2, s, n);
	return n + 2;
}

int raw_connect(struct raw *r, const struct srv *s, const char *client_id, const char *crt,
		const char *key, int keepalive, int clean, int *session_present)
{
	unsigned char body[512];
	char addr[64];
	struct raw_pkt p;
	SSL *ssl = NULL;
	size_t n = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_max_proto_version(r->ctx, TLS1_2_VERSION);
	SSL_CTX_load_verify_locations(r->ctx, s->ca, NULL);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
	ck_assert_int_eq(SSL_CTX_use_certificate_file(r->ctx, crt, SSL_FILETYPE_PEM), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(r->ctx, key, SSL_FILETYPE_PEM), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", s->mqtt_port);
	r->bio = BIO_new_ssl_connect(r->ctx);
	BIO_get_ssl(r->bio, &ssl);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set1_host(ssl, "localhost");
	BIO_set_conn_hostname(r->bio, addr);
	if (BIO_do_handshake(r->bio) != 1) {
		ERR_clear_error();
		return -1;
	}
	r->fd = (int)BIO_get_fd(r->bio, NULL);
	n += put_str(body + n, "MQTT");
	body[n++] = 4;                          /* 3.1.1 */
	body[n++] = clean ? 0x02 : 0x00;        /* no user name, password or will */
	put16(body + n, (size_t)keepalive);
	n += 2;
	n += put_str(body + n, client_id);
	send_packet(r, 0x10, body, n);
	raw_read(r, &p, WAIT_MS);
	rc = p.type == RAW_CONNACK ? p.rc[1] : -1;
	if (session_present)
		*session_present = p.type == RAW_CONNACK ? p.rc[0] : 0;
	raw_pkt_release(&p);
	return rc;
}

void raw_subscribe(struct raw *r, int id, const char *const *topics, size_t n)
{
	unsigned char body[4096];
	size_t len = 2, i;

	put16(body, (size_t)id);
	for (i = 0; i < n; i++) {
		len += put_str(body + len, topics[i]);
		body[len++] = 1;
	}
	send_packet(r, 0x82, body, len);
}

void raw_publish(struct raw *r, int id, int qos, const char *topic, const void *payload,
		 size_t len)
{
	unsigned char *body = malloc(strlen(topic) + len + 8);
	size_t n;

	ck_assert_ptr_nonnull(body);
	n = put_str(body, topic);
	if (qos) {
		put16(body + n, (size_t)id);
		n += 2;
	}
	memcpy(body + n, payload, len);
	send_packet(r, (unsigned char)(0x30 | (qos << 1)), body, n + len);
	free(body);
}

void raw_puback(struct raw *r, int id)
{
	unsigned char body[2];

	put16(body, (size_t)id);
	send_packet(r, 0x40, body, 2);
}

void raw_pingreq(struct raw *r)
{
	send_packet(r, 0xc0, NULL, 0);
}

/* 1 and the packet's total size when buf holds a whole packet. */
static int whole(const struct raw *r, size_t *total, size_t *hdr, size_t *rem)
{
	size_t mult = 1, i;

	*rem = 0;
	for (i = 1; i < r->used && i < 5; i++) {
		*rem += (r->buf[i] & 0x7f) * mult;
		mult *= 128;
		if (!(r->buf[i] & 0x80)) {
			*hdr = i + 1;
			*total = *hdr + *rem;
			return r->used >= *total;
		}
	}
	return 0;
}

void raw_read(struct raw *r, struct raw_pkt *p, int timeout_ms)
{
	size_t total = 0, hdr = 0, rem = 0, off;
	const unsigned char *b;
	int n;

	memset(p, 0, sizeof(*p));
	while (!whole(r, &total, &hdr, &rem)) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		if (BIO_pending(r->bio) == 0 &&
		    poll(&pfd, 1, timeout_ms) <= 0)
			return;
		n = BIO_read(r->bio, r->buf + r->used, (int)(sizeof(r->buf) - r->used));
		if (n <= 0) {
			if (BIO_should_retry(r->bio))
				continue;
			p->type = -1;
			return;
		}
		r->used += (size_t)n;
	}
	b = r->buf + hdr;
	p->type = r->buf[0] >> 4;
	p->flags = r->buf[0] & 0x0f;
	switch (p->type) {
	case RAW_CONNACK:
		p->rc[0] = b[0] & 1;
		p->rc[1] = b[1];
		p->n_rc = 2;
		break;
	case RAW_PUBACK:
	case RAW_UNSUBACK:
		p->id = (b[0] << 8) | b[1];
		break;
	case RAW_SUBACK:
		p->id = (b[0] << 8) | b[1];
		for (off = 2; off < rem && p->n_rc < 8; off++)
			p->rc[p->n_rc++] = b[off];
		break;
	case RAW_PUBLISH: {
		size_t tlen = (size_t)((b[0] << 8) | b[1]);

		p->qos = (p->flags >> 1) & 3;
		snprintf(p->topic, sizeof(p->topic), "%.*s", (int)tlen, (const char *)b + 2);
		off = 2 + tlen;
		if (p->qos) {
			p->id = (b[off] << 8) | b[off + 1];
			off += 2;
		}
		p->len = rem - off;
		p->payload = malloc(p->len + 1);
		memcpy(p->payload, b + off, p->len);
		p->payload[p->len] = '\0';
		break;
	}
	default:
		break;
	}
	memmove(r->buf, r->buf + total, r->used - total);
	r->used -= total;
}

void raw_pkt_release(struct raw_pkt *p)
{
	free(p->payload);
	p->payload = NULL;
}

void raw_close(struct raw *r)
{
	if (r->bio) {
		static const unsigned char disconnect[2] = { 0xe0, 0x00 };

		BIO_write(r->bio, disconnect, 2);
		BIO_flush(r->bio);
		BIO_free_all(r->bio);
	}
	SSL_CTX_free(r->ctx);
	r->bio = NULL;
	r->ctx = NULL;
}

static const char *type_name(int t)
{
	switch (t) {
	case -1: return "connection closed";
	case 0: return "nothing";
	case RAW_CONNACK: return "CONNACK";
	case RAW_PUBLISH: return "PUBLISH";
	case RAW_PUBACK: return "PUBACK";
	case RAW_SUBACK: return "SUBACK";
	case RAW_UNSUBACK: return "UNSUBACK";
	case RAW_PINGRESP: return "PINGRESP";
	}
	return "other packet";
}

void raw_expect(struct raw *r, struct raw_pkt *p, int type, int id, const char *topic)
{
	raw_read(r, p, WAIT_MS);
	ck_assert_msg(p->type == type, "expected %s%s%s, got %s %s %s", type_name(type),
		      topic ? " on " : "", topic ? topic : "", type_name(p->type), p->topic,
		      p->payload ? (char *)p->payload : "");
	if (type == RAW_PUBACK || type == RAW_SUBACK)
		ck_assert_msg(p->id == id, "expected %s id %d, got id %d", type_name(type), id,
			      p->id);
	if (type == RAW_PUBLISH && topic)
		ck_assert_msg(!strcmp(p->topic, topic), "expected PUBLISH on %s, got %s: %s",
			      topic, p->topic, p->payload);
	if (type == RAW_PUBLISH && p->qos == 1)
		raw_puback(r, p->id);
}

json_t *raw_expect_json(struct raw *r, const char *topic)
{
	struct raw_pkt p;
	json_t *j;

	raw_expect(r, &p, RAW_PUBLISH, 0, topic);
	j = json_loadb((const char *)p.payload, p.len, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON on %s: %s", topic, p.payload);
	raw_pkt_release(&p);
	return j;
}

void raw_expect_quiet(struct raw *r)
{
	struct raw_pkt p;

	raw_pingreq(r);
	raw_expect(r, &p, RAW_PINGRESP, 0, NULL);
	raw_pkt_release(&p);
}

void raw_connect_lab(struct raw *r, const struct srv *s, const char *id)
{
	char crt[PATH_MAX], key[PATH_MAX];

	snprintf(crt, sizeof(crt), "%s/%s.crt", s->dir, id);
	snprintf(key, sizeof(key), "%s/%s.key", s->dir, id);
	if (access(crt, R_OK))
		srv_lab_device(s, NULL, id, crt, key, sizeof(crt));
	ck_assert_int_eq(raw_connect(r, s, id, crt, key, 60, 1, NULL), 0);
}
