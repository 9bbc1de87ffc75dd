/* SPDX-License-Identifier: MIT
 * replay_load.c: a recording (journal records as JSON Lines) read into what `replay` plays:
 * per-device steps (subscribes, publishes, REST calls made with the device's JWT, in recorded
 * time), what the server sent each device on the topics it had subscribed (what --check
 * expects), and the certificate and key each device connects with
 * (docs/record-replay.md#replaying).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "file.h"
#include "replay_run.h"
#include "topic.h"

#define fail(...) ncm_cli_fail("replay", __VA_ARGS__)

int ncm_replay_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 16) * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

/* A record's payload: text, or base64 when "binary" is true. */
static int record_payload(const json_t *rec, struct ncm_replay_payload *out)
{
	const char *text = json_string_value(json_object_get(rec, "payload"));
	size_t n = text ? strlen(text) : 0;
	int got;

	out->data = NULL;
	out->len = 0;
	if (!text)
		return 0;
	if (!json_is_true(json_object_get(rec, "binary"))) {
		out->data = strndup(text, n);
		out->len = n;
		return out->data ? 0 : -1;
	}
	if (n % 4)
		return -1;
	out->data = malloc(n / 4 * 3 + 1);
	if (!out->data)
		return -1;
	got = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)text, (int)n);
	if (got < 0)
		return -1;
	out->len = (size_t)got - (n && text[n - 1] == '=') - (n > 1 && text[n - 2] == '=');
	return 0;
}

static struct ncm_replay_dev *device(struct ncm_replay *r, const char *id, const char *only)
{
	size_t i, len = strlen(id);
	const char *p;

	if (only && *only) {
		for (p = only; (p = strstr(p, id)); p += len)
			if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
				break;
		if (!p)
			return NULL;
	}
	for (i = 0; i < r->n_devs; i++)
		if (!strcmp(r->devs[i].id, id))
			return &r->devs[i];
	if (r->n_devs == NCM_REPLAY_MAX_DEVICES || ncm_devid_check(id, NULL))
		return NULL;
	snprintf(r->devs[r->n_devs].id, sizeof(r->devs[0].id), "%s", id);
	r->devs[r->n_devs].subs = json_array();
	r->devs[r->n_devs].live = json_array();
	r->devs[r->n_devs].connack = -1;
	r->devs[r->n_devs].keepalive = -1;
	r->devs[r->n_devs].clean = 1;
	return &r->devs[r->n_devs++];
}

static int subscribed(const struct ncm_replay_dev *d, const char *topic)
{
	size_t i;
	json_t *f;

	json_array_foreach(d->live, i, f)
		if (ncm_topic_matches(json_string_value(f), topic))
			return 1;
	return 0;
}

/* 1 when the device already subscribed to exactly this filter. */
static int subscribed_exactly(const struct ncm_replay_dev *d, const char *filter)
{
	size_t i;
	json_t *f;

	json_array_foreach(d->subs, i, f)
		if (!strcmp(json_string_value(f), filter))
			return 1;
	return 0;
}

/* A device's REST call (one it made with its own JWT) as a step, with what it was answered. */
static int load_rest(struct ncm_replay *r, const json_t *rec, const char *id, const char *only,
		     const char *path, size_t lineno)
{
	json_t *details = json_loads(json_string_value(json_object_get(rec, "payload")) ?: "", 0,
				     NULL);
	const json_t *body = json_object_get(details, "request");
	const json_t *answer = json_object_get(details, "response");
	char target[4096];
	struct ncm_replay_dev *d;
	struct ncm_replay_step *s;
	int rc = 0;

	if (!details || strcmp(json_string_value(json_object_get(details, "auth")) ?: "",
			       "device JWT") || !(d = device(r, id, only)))
		goto out;
	if (ncm_replay_grow((void **)&r->steps, &r->cap_steps, r->n_steps, sizeof(struct ncm_replay_step))) {
		rc = fail(1, "out of memory");
		goto out;
	}
	s = &r->steps[r->n_steps];
	memset(s, 0, sizeof(*s));
	if (ncm_replay_http_target(rec, details, s->method, sizeof(s->method), target,
				   sizeof(target))) {
		rc = fail(2, "%s:%zu: not a REST request record", path, lineno);
		goto out;
	}
	r->n_steps++;
	s->rest = 1;
	s->ts = json_integer_value(json_object_get(rec, "ts"));
	s->order = r->n_steps;
	s->dev = d;
	s->topic = strdup(target);
	s->want_status = (long)json_integer_value(json_object_get(rec, "status"));
	if (json_is_string(body))
		s->p.data = strdup(json_string_value(body));
	else if (body)
		s->p.data = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	s->p.len = s->p.data ? strlen(s->p.data) : 0;
	if (answer)
		s->want_answer = json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
out:
	json_decref(details);
	return rc;
}

/* Reads the recording: device subscribes and publishes become steps; what the server sent to
 * a device on a topic it had subscribed becomes what --check expects. */
int ncm_replay_load(struct ncm_replay *r, const char *path, const char *only)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f)
		return fail(2, "cannot read %s: %s", path, strerror(errno));
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		json_t *rec;
		const char *kind, *id, *topic;
		struct ncm_replay_dev *d;

		lineno++;
		if (len <= 1)
			continue;
		rec = json_loads(line, 0, NULL);
		kind = json_string_value(json_object_get(rec, "kind"));
		id = json_string_value(json_object_get(rec, "device"));
		topic = json_string_value(json_object_get(rec, "topic"));
		if (!rec || !kind) {
			rc = fail(2, "%s:%zu: not a journal record", path, lineno);
		} else if (id && !strcmp(kind, "mqtt.connect") && (d = device(r, id, only)) &&
			   d->keepalive < 0) {
			/* the connection as the device made it: the shadow reports its keepalive */
			json_t *who = json_loads(json_string_value(json_object_get(rec, "payload"))
						 ?: "", 0, NULL);

			d->keepalive = (int)json_integer_value(json_object_get(who, "keepalive"));
			d->clean = !json_is_false(json_object_get(who, "cleanSession"));
			json_decref(who);
		} else if (id && !strcmp(kind, "mqtt.disconnect") && (d = device(r, id, only)) &&
			   d->clean) {
			/* a clean session's subscriptions end with its connection: what the server
			 * sends until the device is back, it never gets */
			json_array_clear(d->live);
		} else if (id && topic && !strcmp(kind, "http.request")) {
			rc = load_rest(r, rec, id, only, path, lineno);
		} else if (!id || !topic || (strcmp(kind, "mqtt.subscribe") &&
					     strcmp(kind, "mqtt.publish") &&
					     strcmp(kind, "mqtt.send"))) {
			/* other records: nothing a device does */
		} else if (!(d = device(r, id, only))) {
			/* not replayed */
		} else if (!strcmp(kind, "mqtt.send")) {
			if (subscribed(d, topic)) {
				struct ncm_replay_msg *m;

				if (ncm_replay_grow((void **)&d->expected, &d->cap_expected, d->n_expected,
					 sizeof(*m))) {
					rc = fail(1, "out of memory");
				} else {
					m = &d->expected[d->n_expected];
					memset(m, 0, sizeof(*m));
					m->topic = strdup(topic);
					if (record_payload(rec, &m->p))
						rc = fail(2, "%s:%zu: bad payload", path, lineno);
					d->n_expected++;
				}
			}
		} else if (!strcmp(kind, "mqtt.subscribe") && subscribed_exactly(d, topic)) {
			/* one replayed connection holds the subscriptions of all the recorded ones:
			 * a filter a reconnected device subscribed again is already there */
			if (!subscribed(d, topic))
				json_array_append_new(d->live, json_string(topic));
		} else if (ncm_replay_grow((void **)&r->steps, &r->cap_steps, r->n_steps, sizeof(struct ncm_replay_step))) {
			rc = fail(1, "out of memory");
		} else {
			struct ncm_replay_step *s = &r->steps[r->n_steps++];

			memset(s, 0, sizeof(*s));
			s->ts = json_integer_value(json_object_get(rec, "ts"));
			s->order = r->n_steps;
			s->dev = d;
			s->topic = strdup(topic);
			s->qos = (int)json_integer_value(json_object_get(rec, "status"));
			s->qos = s->qos < 0 || s->qos > 1 ? 1 : s->qos;
			s->subscribe = !strcmp(kind, "mqtt.subscribe");
			if (s->subscribe) {
				json_array_append_new(d->subs, json_string(topic));
				json_array_append_new(d->live, json_string(topic));
			}
			else if (record_payload(rec, &s->p))
				rc = fail(2, "%s:%zu: bad payload", path, lineno);
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Parses the certificate (and any chain after it) at d->crt and the key at d->key into d. */
static int parse_files(struct ncm_replay_dev *d)
{
	BIO *b = BIO_new_file(d->crt, "r");
	X509 *x;

	d->cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	while (d->cert && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if ((!d->chain && !(d->chain = sk_X509_new_null())) || !sk_X509_push(d->chain, x)) {
			X509_free(x);
			break;
		}
	}
	ERR_clear_error();
	BIO_free(b);
	if (!d->cert)
		return fail(2, "%s: not a PEM certificate", d->crt);
	b = BIO_new_file(d->key, "r");
	d->pkey = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!d->pkey)
		return fail(2, "%s: not a PEM private key", d->key);
	if (X509_check_private_key(d->cert, d->pkey) != 1)
		return fail(2, "%s: the key does not match %s", d->key, d->crt);
	return 0;
}

/* A device's certificate and key: --certs DIR, else <data>/devices, else issued now. They are
 * parsed here, once, so that connecting does not read or parse files. */
int ncm_replay_credentials(struct ncm_replay_dev *d, const char *certs, const char *data,
			   const struct ncm_ca *ca)
{
	struct ncm_err_info err = { 0 };
	const char *dirs[2] = { certs, NULL };
	char devdir[PATH_MAX];
	size_t i;

	if (!ncm_path(devdir, sizeof(devdir), "%s/devices", data))
		dirs[1] = devdir;
	for (i = 0; i < 2; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		if (ncm_path(d->crt, sizeof(d->crt), "%s/%s.crt", dirs[i], d->id) ||
		    ncm_path(d->key, sizeof(d->key), "%s/%s.key", dirs[i], d->id))
			continue;
		if (!access(d->crt, R_OK) && !access(d->key, R_OK))
			return parse_files(d);
	}
	d->crt[0] = d->key[0] = '\0';
	if (!ca)
		return fail(2, "%s: no %s.crt and .key in --certs and no lab CA to issue them",
			    d->id, d->id);
	if (ncm_ca_issue_device(ca, d->id, time(NULL), &d->cert, &d->pkey, &err))
		return fail(1, "%s: %s", d->id, err.msg);
	d->issued = 1;
	return 0;
}
