/* SPDX-License-Identifier: MIT
 * shadow.c: device shadows with AWS IoT Device Shadow semantics (see shadow.h,
 * docs/protocol-mqtt.md#shadows): update requests are validated, merged into a deep copy of the stored document with
 * per-leaf metadata, and answered with the accepted, documents, delta or error payloads AWS
 * publishes. Arguments are only read, never changed or increfed, so every value handed back is
 * a fresh tree the caller owns alone. Pure: no I/O, no clock, no globals but const tables.
 */
#include "shadow.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* AWS answers an internal failure with 500; here that only means jansson ran out of memory. */
#define CODE_INTERNAL 500
/* Bytes of an offending key quoted in an error message. */
#define QUOTE_KEY_MAX 64
#define MSG_SIZE 256

static const char *const sections[] = { "desired", "reported" };

#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* The AWS error messages shadow.h promises, word for word. */
static const char msg_too_big[] = "The payload exceeds the maximum size allowed";
static const char msg_conflict[] = "Version conflict";
static const char msg_token[] = "Invalid clientToken";
static const char msg_no_state[] = "Missing required node: state";
static const char msg_state_type[] = "State node must be an object";
static const char msg_version[] = "Invalid version: must be an integer";
static const char msg_oom[] = "Internal error: out of memory";

static void msg_set(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg_set(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Length of at most max bytes of the UTF-8 string s that ends on a character boundary, so a
 * quoted prefix is still valid UTF-8 (json_string refuses anything else). */
static int utf8_prefix_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return (int)n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

static json_t *stamp(time_t now)
{
	return json_pack("{s:I}", "timestamp", (json_int_t)now);
}

static json_int_t doc_version(const json_t *doc)
{
	json_t *v = json_object_get(doc, "version");

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* doc[part][sec] when it is an object (part is "state" or "metadata"), else NULL. */
static const json_t *doc_section(const json_t *doc, const char *part, const char *sec)
{
	json_t *v = json_object_get(json_object_get(doc, part), sec);

	return json_is_object(v) ? v : NULL;
}

/* Sets o[key] to a deep copy of v; v may be NULL (nothing is set then). */
static int set_copy(json_t *o, const char *key, const json_t *v)
{
	if (!v)
		return 0;
	return json_object_set_new(o, key, json_deep_copy(v));
}

/* 1 when a member of v (object value or array element) sits more than budget levels below v.
 * The members of desired / reported are level 1, as AWS counts; the recursion stops one level
 * past the limit, so arbitrarily deep input costs nothing extra. */
static int too_deep(const json_t *v, int budget)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child) {
			if (budget == 0 || too_deep(child, budget - 1))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (budget == 0 || too_deep(child, budget - 1))
				return 1;
		}
	}
	return 0;
}

/* Validates a request's (or ncm_shadow_replace's) state: an object holding only desired and
 * reported, each an object (or null when allow_null), nested at most NCM_SHADOW_MAX_DEPTH
 * levels. Returns 0 or -1 with the AWS-style reason in msg. */
static int check_state(const json_t *state, int allow_null, char *msg, size_t size)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!state) {
		msg_set(msg, size, "%s", msg_no_state);
		return -1;
	}
	if (!json_is_object(state)) {
		msg_set(msg, size, "%s", msg_state_type);
		return -1;
	}
	json_object_foreach((json_t *)state, key, v) {
		if (strcmp(key, "desired") && strcmp(key, "reported")) {
			msg_set(msg, size, "State contains an invalid node: '%.*s'",
				utf8_prefix_len(key, QUOTE_KEY_MAX), key);
			return -1;
		}
	}
	for (i = 0; i < N_SECTIONS; i++) {
		v = json_object_get(state, sections[i]);
		if (!v || (allow_null && json_is_null(v)))
			continue;
		if (!json_is_object(v)) {
			msg_set(msg, size, "Invalid %s: must be an object%s", sections[i],
				allow_null ? " or null" : "");
			return -1;
		}
		if (too_deep(v, NCM_SHADOW_MAX_DEPTH)) {
			msg_set(msg, size,
				"JSON contains too many levels of nesting; maximum is %d",
				NCM_SHADOW_MAX_DEPTH);
			return -1;
		}
	}
	return 0;
}

/* AWS equality of two values: objects key by key, arrays element by element, numbers by value
 * (JSON does not tell 1 from 1.0), everything else by type and value. */
static int values_equal(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *va;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, va) {
			json_t *vb = json_object_get(b, key);

			if (!vb || !values_equal(va, vb))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++) {
			if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}

/* Merges the request object req into dst, keeping meta in step (docs/protocol-mqtt.md#aws-shadow-semantics): null
 * deletes the key and its metadata, an object merges recursively (replacing a non-object and
 * its metadata), a scalar or array replaces the value and gets {"timestamp":now} in place of
 * whatever metadata subtree was there. Empty objects stay, as AWS keeps them. */
static int merge(json_t *dst, json_t *meta, const json_t *req, time_t now)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)req, key, v) {
		if (json_is_null(v)) {
			json_object_del(dst, key);
			json_object_del(meta, key);
		} else if (json_is_object(v)) {
			json_t *d = json_object_get(dst, key);
			json_t *m = json_object_get(meta, key);
			int fresh = !json_is_object(d);

			if (fresh) {
				d = json_object();
				if (json_object_set_new(dst, key, d))
					return -1;
			}
			/* A leaf's metadata {"timestamp":T} is an object too: a value that was
			 * not an object always gets fresh metadata. */
			if (fresh || !json_is_object(m)) {
				m = json_object();
				if (json_object_set_new(meta, key, m))
					return -1;
			}
			if (merge(d, m, v, now))
				return -1;
		} else {
			if (set_copy(dst, key, v) || json_object_set_new(meta, key, stamp(now)))
				return -1;
		}
	}
	return 0;
}

/* Applies desired / reported of req_state to the state and metadata of doc (a private copy).
 * A section set to null disappears; one left empty is omitted (shadow.h), from both. */
static int merge_sections(json_t *doc, const json_t *req_state, time_t now)
{
	json_t *state = json_object_get(doc, "state");
	json_t *meta = json_object_get(doc, "metadata");
	size_t i;

	for (i = 0; i < N_SECTIONS; i++) {
		const char *sec = sections[i];
		json_t *rv = json_object_get(req_state, sec);
		json_t *s, *m;
		int fresh;

		if (!rv)
			continue;
		if (!json_is_null(rv)) {
			s = json_object_get(state, sec);
			m = json_object_get(meta, sec);
			fresh = !json_is_object(s);
			if (fresh) {
				s = json_object();
				if (json_object_set_new(state, sec, s))
					return -1;
			}
			if (fresh || !json_is_object(m)) {
				m = json_object();
				if (json_object_set_new(meta, sec, m))
					return -1;
			}
			if (merge(s, m, rv, now))
				return -1;
			if (json_object_size(s) > 0)
				continue;
		}
		json_object_del(state, sec);
		json_object_del(meta, sec);
	}
	return 0;
}

/* A private copy of doc (a new shadow when NULL) with version + 1 and timestamp now; its state
 * and metadata are guaranteed objects, emptied when clear. */
static json_t *next_doc(const json_t *doc, time_t now, int clear)
{
	static const char *const parts[] = { "state", "metadata" };
	json_t *next = NULL, *ret = NULL;
	size_t i;

	next = doc ? json_deep_copy(doc) : ncm_shadow_new(now);
	if (!next)
		goto out;
	for (i = 0; i < 2; i++) {
		if ((clear || !json_is_object(json_object_get(next, parts[i]))) &&
		    json_object_set_new(next, parts[i], json_object()))
			goto out;
	}
	if (json_object_set_new(next, "version", json_integer(doc_version(doc) + 1)) ||
	    json_object_set_new(next, "timestamp", json_integer((json_int_t)now)))
		goto out;
	ret = next;
	next = NULL;
out:
	json_decref(next);
	return ret;
}

/* The metadata of a request state: objects mirrored, {"timestamp":now} at every leaf. A null
 * is a scalar, hence a leaf: the accepted message records when it deleted something too. */
static json_t *request_meta(const json_t *req, time_t now)
{
	json_t *meta = NULL, *ret = NULL, *v;
	const char *key;

	meta = json_object();
	if (!meta)
		goto out;
	json_object_foreach((json_t *)req, key, v) {
		if (json_object_set_new(meta, key,
					json_is_object(v) ? request_meta(v, now) : stamp(now)))
			goto out;
	}
	ret = meta;
	meta = NULL;
out:
	json_decref(meta);
	return ret;
}

/* The part of meta at the paths of delta: what AWS sends as a delta's metadata. */
static json_t *restrict_meta(const json_t *meta, const json_t *delta)
{
	json_t *part = NULL, *ret = NULL, *dv;
	const char *key;

	part = json_object();
	if (!part)
		goto out;
	json_object_foreach((json_t *)delta, key, dv) {
		json_t *mv = json_object_get(meta, key);

		if (!mv)
			continue;
		/* The delta's shape decides: a sub-delta object maps onto the metadata mirror of
		 * that object, anything else onto the leaf's {"timestamp":T}. */
		if (json_object_set_new(part, key,
					json_is_object(dv) && json_is_object(mv) ?
						restrict_meta(mv, dv) : json_deep_copy(mv)))
			goto out;
	}
	ret = part;
	part = NULL;
out:
	json_decref(part);
	return ret;
}

/* {"state","metadata","version"} of doc, as in the previous / current halves of
 * /update/documents. */
static json_t *snapshot(const json_t *doc)
{
	const json_t *state = json_object_get(doc, "state");
	const json_t *meta = json_object_get(doc, "metadata");
	json_t *snap = NULL, *ret = NULL;

	snap = json_object();
	if (!snap ||
	    json_object_set_new(snap, "state", state ? json_deep_copy(state) : json_object()) ||
	    json_object_set_new(snap, "metadata", meta ? json_deep_copy(meta) : json_object()) ||
	    json_object_set_new(snap, "version", json_integer(doc_version(doc))))
		goto out;
	ret = snap;
	snap = NULL;
out:
	json_decref(snap);
	return ret;
}

/* Adds "clientToken" to msg when the request had a valid one (AWS echoes it everywhere). */
static int add_token(json_t *msg, const json_t *token)
{
	if (!msg)
		return -1;
	return set_copy(msg, "clientToken", token);
}

/* Fills res as rejected: {"code","message","timestamp"[,"clientToken"]}. */
static int reject(struct ncm_shadow_result *res, int code, const char *message,
		  const json_t *token, time_t now)
{
	json_t *err = json_pack("{s:i,s:s,s:I}", "code", code, "message", message, "timestamp",
				(json_int_t)now);

	if (add_token(err, token)) {
		json_decref(err);
		res->code = CODE_INTERNAL;
		return res->code;
	}
	res->code = code;
	res->error = err;
	return code;
}

/* The parser's reason, reduced to printable ASCII: it may quote the offending input bytes,
 * which need not be valid UTF-8. */
static void parse_error_msg(const json_error_t *jerr, char *msg, size_t size)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	size_t i;

	for (i = 0; i + 1 < sizeof(text) && jerr->text[i]; i++) {
		unsigned char c = (unsigned char)jerr->text[i];

		text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	text[i] = '\0';
	msg_set(msg, size, "Payload contains invalid json (%d:%d: %s)", jerr->line, jerr->column,
		text);
}

static int token_valid(const json_t *token)
{
	/* AWS caps clientToken at 64 bytes. */
	return json_is_string(token) && json_string_length(token) <= NCM_SHADOW_CLIENT_TOKEN_MAX;
}

/* The delta message of doc into *msg (NULL when desired and reported agree). Returns -1 only
 * when out of memory, which ncm_shadow_delta_msg cannot tell apart from "no delta". */
static int delta_msg(const json_t *doc, time_t now, int with_metadata, json_t **msg)
{
	json_t *delta = NULL, *m = NULL;
	int rc = -1;

	*msg = NULL;
	delta = ncm_shadow_delta_state(doc_section(doc, "state", "desired"),
				       doc_section(doc, "state", "reported"));
	if (!delta)
		goto out;
	rc = 0;
	if (json_object_size(delta) == 0)
		goto out;
	rc = -1;
	/* v2.5-v3.2 firmware drops a delta without numeric version and timestamp (docs/protocol-mqtt.md#deltas). */
	m = json_pack("{s:O,s:I,s:I}", "state", delta, "version", doc_version(doc), "timestamp",
		      (json_int_t)now);
	if (!m || (with_metadata &&
		   json_object_set_new(m, "metadata",
				       restrict_meta(doc_section(doc, "metadata", "desired"),
						     delta))))
		goto out;
	*msg = m;
	m = NULL;
	rc = 0;
out:
	json_decref(m);
	json_decref(delta);
	return rc;
}

/* Builds the accepted, documents and delta payloads of an accepted update into res. */
static int accept_payloads(struct ncm_shadow_result *res, const json_t *prev, const json_t *next,
			   const json_t *req_state, const json_t *token, time_t now)
{
	json_t *acc = NULL, *docs = NULL, *delta = NULL;
	int rc = -1;

	acc = json_object();
	if (!acc || set_copy(acc, "state", req_state) ||
	    json_object_set_new(acc, "metadata", request_meta(req_state, now)) ||
	    json_object_set_new(acc, "version", json_integer(doc_version(next))) ||
	    json_object_set_new(acc, "timestamp", json_integer((json_int_t)now)) ||
	    add_token(acc, token))
		goto out;
	docs = json_object();
	if (!docs || json_object_set_new(docs, "previous", snapshot(prev)) ||
	    json_object_set_new(docs, "current", snapshot(next)) ||
	    json_object_set_new(docs, "timestamp", json_integer((json_int_t)now)) ||
	    add_token(docs, token))
		goto out;
	/* docs/protocol-mqtt.md#aws-shadow-semantics: a delta goes out whenever desired and reported disagree after an
	 * accepted update. */
	if (delta_msg(next, now, 1, &delta) || (delta && add_token(delta, token)))
		goto out;
	res->accepted = acc;
	res->documents = docs;
	res->delta = delta;
	acc = docs = delta = NULL;
	rc = 0;
out:
	json_decref(acc);
	json_decref(docs);
	json_decref(delta);
	return rc;
}

json_t *ncm_shadow_new(time_t now)
{
	return json_pack("{s:{},s:{},s:I,s:I}", "state", "metadata", "version", (json_int_t)0,
			 "timestamp", (json_int_t)now);
}

int ncm_shadow_update(const json_t *doc, const char *request, size_t len, time_t now,
		      size_t max_size, struct ncm_shadow_result *res)
{
	json_t *req = NULL, *fresh = NULL, *next = NULL;
	const json_t *token = NULL, *version, *state, *prev;
	char msg[MSG_SIZE];
	json_error_t jerr;

	memset(res, 0, sizeof(*res));
	if (!max_size)
		max_size = NCM_SHADOW_DEFAULT_MAX;
	/* shadow.h: a request over twice the cap is refused unread (written so that 2 * max_size
	 * cannot overflow). */
	if (len > max_size && len - max_size > max_size) {
		reject(res, 413, msg_too_big, NULL, now);
		goto out;
	}
	req = json_loadb(request ? request : "", request ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		parse_error_msg(&jerr, msg, sizeof(msg));
		reject(res, 400, msg, NULL, now);
		goto out;
	}
	if (!json_is_object(req)) {
		reject(res, 400, "Payload contains invalid json (the payload must be an object)",
		       NULL, now);
		goto out;
	}
	token = json_object_get(req, "clientToken");
	if (token && !token_valid(token)) {
		token = NULL;
		reject(res, 400, msg_token, NULL, now);
		goto out;
	}
	version = json_object_get(req, "version");
	if (version && !json_is_integer(version)) {
		reject(res, 400, msg_version, token, now);
		goto out;
	}
	state = json_object_get(req, "state");
	if (check_state(state, 1, msg, sizeof(msg))) {
		reject(res, 400, msg, token, now);
		goto out;
	}
	prev = doc;
	if (!prev) {
		fresh = ncm_shadow_new(now);
		prev = fresh;
		if (!prev) {
			reject(res, CODE_INTERNAL, msg_oom, token, now);
			goto out;
		}
	}
	/* A conditional update only applies to the version the client last saw (docs/protocol-mqtt.md#aws-shadow-semantics). */
	if (version && json_integer_value(version) != doc_version(prev)) {
		reject(res, 409, msg_conflict, token, now);
		goto out;
	}
	next = next_doc(prev, now, 0);
	if (!next || merge_sections(next, state, now)) {
		reject(res, CODE_INTERNAL, msg_oom, token, now);
		goto out;
	}
	/* nRF Cloud's 8 KB cap (docs/protocol-mqtt.md#aws-shadow-semantics) applies to the state the update would leave behind. */
	if (ncm_shadow_state_size(next) > max_size) {
		reject(res, 413, msg_too_big, token, now);
		goto out;
	}
	if (accept_payloads(res, prev, next, state, token, now)) {
		reject(res, CODE_INTERNAL, msg_oom, token, now);
		goto out;
	}
	res->code = 0;
	res->doc = next;
	next = NULL;
out:
	json_decref(next);
	json_decref(fresh);
	json_decref(req);
	return res->code;
}

void ncm_shadow_result_release(struct ncm_shadow_result *res)
{
	if (!res)
		return;
	json_decref(res->doc);
	json_decref(res->accepted);
	json_decref(res->documents);
	json_decref(res->delta);
	json_decref(res->error);
	memset(res, 0, sizeof(*res));
}

json_t *ncm_shadow_delta_state(const json_t *desired, const json_t *reported)
{
	json_t *delta = NULL, *ret = NULL, *sub = NULL, *dv;
	const char *key;

	delta = json_object();
	if (!delta)
		goto out;
	if (!json_is_object(reported))
		reported = NULL;
	if (!json_is_object(desired))
		desired = NULL;
	json_object_foreach((json_t *)desired, key, dv) {
		json_t *rv = json_object_get(reported, key);

		if (json_is_null(dv))
			continue;
		if (json_is_object(dv)) {
			/* Objects compare key by key; one with nothing left to change (an empty
			 * one included) is not part of the delta. */
			sub = ncm_shadow_delta_state(dv, rv);
			if (!sub)
				goto out;
			if (json_object_size(sub) > 0 && json_object_set(delta, key, sub))
				goto out;
			json_decref(sub);
			sub = NULL;
		} else if (!rv || !values_equal(dv, rv)) {
			/* Keys only in reported never get here: the walk is over desired. */
			if (set_copy(delta, key, dv))
				goto out;
		}
	}
	ret = delta;
	delta = NULL;
out:
	json_decref(sub);
	json_decref(delta);
	return ret;
}

json_t *ncm_shadow_delta_msg(const json_t *doc, time_t now, int with_metadata)
{
	json_t *msg = NULL;

	delta_msg(doc, now, with_metadata, &msg);
	return msg;
}

json_t *ncm_shadow_get_accepted(const json_t *doc, time_t now)
{
	json_t *got = NULL, *state = NULL, *meta = NULL, *delta = NULL;
	size_t i;

	state = json_object();
	meta = json_object();
	if (!state || !meta)
		goto out;
	for (i = 0; i < N_SECTIONS; i++) {
		if (set_copy(state, sections[i], doc_section(doc, "state", sections[i])) ||
		    set_copy(meta, sections[i], doc_section(doc, "metadata", sections[i])))
			goto out;
	}
	delta = ncm_shadow_delta_state(doc_section(doc, "state", "desired"),
				       doc_section(doc, "state", "reported"));
	if (!delta)
		goto out;
	/* AWS leaves "delta" out of get/accepted when desired and reported agree. */
	if (json_object_size(delta) > 0 && json_object_set(state, "delta", delta))
		goto out;
	got = json_pack("{s:O,s:O,s:I,s:I}", "state", state, "metadata", meta, "version",
			doc_version(doc), "timestamp", (json_int_t)now);
out:
	json_decref(delta);
	json_decref(meta);
	json_decref(state);
	return got;
}

json_t *ncm_shadow_trimmed(const json_t *doc)
{
	const json_t *desired = doc_section(doc, "state", "desired");
	const json_t *reported = doc_section(doc, "state", "reported");
	json_t *trim = NULL, *ret = NULL, *rep = NULL, *config = NULL;

	rep = reported ? json_deep_copy(reported) : json_object();
	if (!rep)
		goto out;
	/* docs/protocol-mqtt.md#the-shadow-get-reply: nRF Cloud moves reported.config to the top level for the device; device info
	 * is left out of the trimmed document. A config that is not an object is useless to
	 * the device's decoder, which wants an object there. */
	config = json_object_get(rep, "config");
	config = json_is_object(config) ? json_incref(config) : json_object();
	json_object_del(rep, "config");
	json_object_del(rep, "device");
	trim = json_object();
	if (!trim ||
	    json_object_set_new(trim, "desired",
				desired ? json_deep_copy(desired) : json_object()) ||
	    json_object_set(trim, "reported", rep) || json_object_set(trim, "config", config))
		goto out;
	ret = trim;
	trim = NULL;
out:
	json_decref(trim);
	json_decref(config);
	json_decref(rep);
	return ret;
}

json_t *ncm_shadow_replace(const json_t *doc, const json_t *new_state, time_t now,
			   char *err_msg, size_t err_size)
{
	json_t *next = NULL, *ret = NULL;

	if (check_state(new_state, 0, err_msg, err_size))
		goto out;
	/* Merging onto emptied sections timestamps every leaf now; nulls inside simply leave
	 * nothing behind. */
	next = next_doc(doc, now, 1);
	if (!next || merge_sections(next, new_state, now)) {
		msg_set(err_msg, err_size, "%s", msg_oom);
		goto out;
	}
	ret = next;
	next = NULL;
out:
	json_decref(next);
	return ret;
}

size_t ncm_shadow_state_size(const json_t *doc)
{
	/* Sizes of the two members of {"desired":..,"reported":..} plus braces and comma,
	 * counted without building that object (which would take references to doc). */
	size_t size = 2, members = 0, i;

	for (i = 0; i < N_SECTIONS; i++) {
		const json_t *v = doc_section(doc, "state", sections[i]);

		if (!v)
			continue;
		size += strlen(sections[i]) + 3 + json_dumpb(v, NULL, 0, JSON_COMPACT);
		members++;
	}
	if (members > 1)
		size += members - 1;
	return size;
}
