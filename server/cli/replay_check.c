/* SPDX-License-Identifier: MIT
 * replay_check.c: --check: what the server sent each device, and what it answered each REST
 * call, compared with the recording, ignoring what legitimately changes from run to run
 * (docs/record-replay.md#checking). Differences are printed as MISMATCH or UNEXPECTED lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_run.h"

/* 1 when t is a UUID (8-4-4-4-12 hex digits): a job ID where a job document is an array
 * (docs/fota.md#job-document), or any other generated ID. */
static int is_uuid(const char *t)
{
	size_t i;

	if (strlen(t) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? t[i] != '-'
							     : !strchr("0123456789abcdefABCDEF", t[i]))
			return 0;
	return 1;
}

/* "firmware.nrfcloud.lab:41913" -> "firmware.nrfcloud.lab": a server on another port gives
 * the same host name (job documents, P-GPS answers); UUIDs become "<uuid>". 1 when v is a
 * string (changed or not). */
static int normalize_string(json_t *v)
{
	const char *t = json_string_value(v), *colon;

	if (!t)
		return 0;
	if (is_uuid(t)) {
		json_string_set(v, "<uuid>");
		return 1;
	}
	colon = strrchr(t, ':');
	if (colon && colon > t && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789.-") == (size_t)(colon - t) &&
	    memchr(t, '.', (size_t)(colon - t)))
		json_string_setn(v, t, (size_t)(colon - t));
	return 1;
}

/* Drops what legitimately differs between runs: times, versions, tokens, job and request IDs
 * (the shadow's metadata is all timestamps), and the server's ports and generated UUIDs. */
static void normalize(json_t *j)
{
	static const char *const volatile_keys[] = {
		"timestamp", "version", "clientToken", "metadata", "ts", "jobId", "requestId",
		"token", "executionId", "connectedAt", "lastConnect", "lastDisconnect",
		"createdAt", "lastUpdatedAt", "updatedAt", "insertedAt", "receivedAt",
	};
	const char *key;
	json_t *v;
	size_t i;
	void *tmp;

	if (json_is_object(j)) {
		for (i = 0; i < sizeof(volatile_keys) / sizeof(volatile_keys[0]); i++)
			json_object_del(j, volatile_keys[i]);
		json_object_foreach_safe(j, tmp, key, v)
			if (!normalize_string(v))
				normalize(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!normalize_string(v))
				normalize(v);
	}
}

int ncm_replay_same(const struct ncm_replay_payload *a, const struct ncm_replay_payload *b)
{
	json_t *ja = json_loadb(a->data ? a->data : "", a->len, 0, NULL);
	json_t *jb = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	int eq;

	if (ja && jb) {
		normalize(ja);
		normalize(jb);
		eq = json_equal(ja, jb);
	} else {
		eq = a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
	}
	json_decref(ja);
	json_decref(jb);
	return eq;
}

/* Prints each expected message nothing matched, with what came on its topic instead. */
size_t ncm_replay_check(struct ncm_replay *r)
{
	size_t i, k, e, mismatches = 0;

	for (i = 0; i < r->n_devs; i++) {
		struct ncm_replay_dev *d = &r->devs[i];

		for (e = 0; e < d->n_expected; e++) {
			struct ncm_replay_msg *x = &d->expected[e];

			for (k = 0; k < d->n_received; k++) {
				struct ncm_replay_msg *got = &d->received[k];

				if (!got->matched && !strcmp(got->topic, x->topic) &&
				    ncm_replay_same(&x->p, &got->p)) {
					got->matched = x->matched = 1;
					break;
				}
			}
		}
		for (e = 0; e < d->n_expected; e++) {
			struct ncm_replay_msg *x = &d->expected[e];

			if (x->matched)
				continue;
			mismatches++;
			printf("MISMATCH %s %s\n  - expected: %.*s\n", d->id, x->topic,
			       (int)(x->p.len > 2000 ? 2000 : x->p.len), x->p.data ? x->p.data : "");
			for (k = 0; k < d->n_received; k++)
				if (!d->received[k].matched && !strcmp(d->received[k].topic, x->topic))
					printf("  + got:      %.*s\n",
					       (int)(d->received[k].p.len > 2000 ? 2000
										  : d->received[k].p.len),
					       d->received[k].p.data ? d->received[k].p.data : "");
		}
		for (k = 0; k < d->n_received; k++) {
			struct ncm_replay_msg *got = &d->received[k];
			int reported = 0;

			for (e = 0; e < d->n_expected; e++)
				reported |= !d->expected[e].matched &&
					    !strcmp(d->expected[e].topic, got->topic);
			if (got->matched || reported)
				continue;
			mismatches++;
			printf("UNEXPECTED %s %s\n  + got: %.*s\n", d->id, got->topic,
			       (int)(got->p.len > 2000 ? 2000 : got->p.len),
			       got->p.data ? got->p.data : "");
		}
	}
	return mismatches;
}

/* Makes a REST step again; with check, compares its status and JSON answer with the
 * recording. Returns 1 for a mismatch (printed), 0 otherwise. */
int ncm_replay_rest_step(struct ncm_replay_step *s, int check_it)
{
	struct ncm_replay_payload want = { s->want_answer, s->want_answer ? strlen(s->want_answer) : 0 };
	struct ncm_replay_payload got = { NULL, 0 };
	char err[600];
	long status = 0;
	int differs;

	if (ncm_replay_http_call(&s->dev->http, s->method, s->topic, s->p.data, &status, &got.data,
				 err, sizeof(err))) {
		printf("MISMATCH %s %s %s\n  - expected: %ld\n  + got:      no answer: %s\n",
		       s->dev->id, s->method, s->topic, s->want_status, err);
		return 1;
	}
	got.len = strlen(got.data);
	differs = check_it && (status != s->want_status || (want.data && !ncm_replay_same(&want, &got)));
	if (differs)
		printf("MISMATCH %s %s %s\n  - expected: %ld %.*s\n  + got:      %ld %.*s\n",
		       s->dev->id, s->method, s->topic, s->want_status,
		       (int)(want.len > 2000 ? 2000 : want.len), want.data ? want.data : "", status,
		       (int)(got.len > 2000 ? 2000 : got.len), got.data);
	free(got.data);
	return differs;
}
