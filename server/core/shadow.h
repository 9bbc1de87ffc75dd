/* SPDX-License-Identifier: MIT
 * shadow.h: device shadows with AWS IoT Device Shadow semantics (docs/protocol-mqtt.md#shadows), as
 * pure functions on jansson values: merge of update requests with null deletes, per-leaf
 * metadata timestamps, versions, conditional updates, clientToken echo, delta computation, the
 * AWS get/accepted and delta documents and nRF Cloud's trimmed get document. No I/O, no clock
 * (time is a parameter, epoch seconds). Any thread.
 *
 * The stored document has the AWS shape:
 *   {"state":{"desired":{..},"reported":{..}},
 *    "metadata":{"desired":{..},"reported":{..}},
 *    "version":N, "timestamp":T}
 * where metadata mirrors state key by key and holds {"timestamp":T} at every leaf (a leaf is a
 * scalar or an array; arrays are compared and timestamped as whole values). A section that is
 * absent or empty is omitted from state and metadata. version starts at 0 for a new shadow and
 * every accepted update adds 1.
 *
 * Ownership: every json_t * returned (or placed in a result) is a new reference the caller
 * must json_decref; json_t * arguments are borrowed and never modified.
 */
#ifndef NCM_SHADOW_H
#define NCM_SHADOW_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define NCM_SHADOW_DEFAULT_MAX 8192     /* nRF Cloud caps shadows at 8 KB (docs/protocol-mqtt.md#aws-shadow-semantics) */
#define NCM_SHADOW_MAX_DEPTH 8          /* levels below desired / reported, as AWS */
#define NCM_SHADOW_CLIENT_TOKEN_MAX 64  /* AWS limit on clientToken length */

/* A new, empty document: {"state":{},"metadata":{},"version":0,"timestamp":now}. */
json_t *ncm_shadow_new(time_t now);

struct ncm_shadow_result {
	int code;            /* 0 accepted, else 400, 409 or 413 (AWS's codes) */
	json_t *doc;         /* accepted: the new stored document */
	json_t *accepted;    /* accepted: update/accepted payload: {"state":<request state, nulls
			      * kept>,"metadata":<timestamps of the request's leaves>,"version":new,
			      * "timestamp":now[,"clientToken"]} */
	json_t *documents;   /* accepted: update/documents payload {"previous":{"state","metadata",
			      * "version"},"current":{...},"timestamp":now[,"clientToken"]} */
	json_t *delta;       /* accepted and the new document has a non-empty delta: the delta
			      * message (ncm_shadow_delta_msg with metadata, plus clientToken); else
			      * NULL */
	json_t *error;       /* rejected: {"code":code,"message":...,"timestamp":now
			      * [,"clientToken"]} */
};

/* Applies an update request (raw bytes, as received) to doc (NULL: the shadow does not exist
 * yet, start from ncm_shadow_new). The request must be a JSON object with an object "state"
 * holding "desired" and/or "reported", each an object or null (null removes the section);
 * inside them null removes a key (a key that is absent is fine), objects merge recursively,
 * arrays and scalars replace. Optional "version" (integer: must equal doc's version, else 409
 * "Version conflict") and "clientToken" (string <= 64 chars, echoed in every answer). Any other
 * top-level key is ignored, as AWS does; any other key in "state" is a 400. Errors name the
 * problem precisely: 400 "Payload contains invalid json" (with the parser's line:column),
 * "Missing required node: state", "State node must be an object", "Invalid desired: must be
 * an object or null", "Invalid version: must be an integer", "JSON contains too many levels of
 * nesting; maximum is 8", "Invalid clientToken", "State contains an invalid node: 'x'"; 413 "The
 * payload exceeds the maximum size allowed" when the new document's state (compact JSON of
 * {"desired","reported"}) would exceed max_size bytes, or the request itself exceeds 2 *
 * max_size. An empty request {"state":{}} is accepted and only bumps the version, as AWS.
 * Returns res->code; res is always filled and must be released. */
int ncm_shadow_update(const json_t *doc, const char *request, size_t len, time_t now,
		      size_t max_size, struct ncm_shadow_result *res);
void ncm_shadow_result_release(struct ncm_shadow_result *res);

/* The delta state: every key of desired whose value differs from reported's (objects compared
 * key by key, recursively; arrays and scalars as whole values; keys only in reported never
 * appear; an object whose sub-delta is empty is omitted). Never NULL: {} when there is none.
 * Either argument may be NULL. */
json_t *ncm_shadow_delta_state(const json_t *desired, const json_t *reported);

/* The delta message for doc, or NULL when the delta is empty:
 * {"state":<delta>,"version":V,"timestamp":now[,"metadata":<desired metadata of the delta
 * keys>]} (metadata only when with_metadata: G1 and G2 get it, G3's trim delta does not). */
json_t *ncm_shadow_delta_msg(const json_t *doc, time_t now, int with_metadata);

/* AWS get/accepted: {"state":{"desired","reported","delta"?},"metadata":{...},"version",
 * "timestamp":now}. */
json_t *ncm_shadow_get_accepted(const json_t *doc, time_t now);

/* nRF Cloud's trimmed get document (G1 <id>/shadow/get/accepted, G2 .../accepted/trim;
 * docs/protocol-mqtt.md#the-shadow-get-reply): {"desired":<desired or {}>,"reported":<reported without "config" and
 * "device">,"config":<reported.config or {}>}. Keys whose values are empty are still present
 * (the device needs top-level "desired"). */
json_t *ncm_shadow_trimmed(const json_t *doc);

/* Replaces the whole state of doc with new_state ({"desired"?, "reported"?}, objects), as one
 * accepted update: version + 1, every leaf timestamped now. NULL on a malformed new_state
 * (err_msg, when not NULL, gets the reason). */
json_t *ncm_shadow_replace(const json_t *doc, const json_t *new_state, time_t now,
			   char *err_msg, size_t err_size);

/* Compact-JSON size in bytes of doc's {"desired","reported"}: what the size cap applies to. */
size_t ncm_shadow_state_size(const json_t *doc);

#endif
