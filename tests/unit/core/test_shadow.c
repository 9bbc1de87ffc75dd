/* SPDX-License-Identifier: MIT
 * test_shadow.c: unit tests for core/shadow.c: golden cases from AWS's Device Shadow
 * documentation (color/lights, nested delta, deletes, arrays, versions) and from docs/protocol-mqtt.md#shadows
 * (pairing and UA-wait reports, trimmed document, delta fields), the merge, metadata, version and
 * clientToken rules, every rejection shadow.h lists, and that no call modifies its arguments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX NCM_SHADOW_DEFAULT_MAX

/* docs/protocol-mqtt.md#the-shadow-get-reply, docs/protocol-mqtt.md#what-the-device-writes with stage "prod", team "T" and device "D". */
#define PREFIX "'nrfcloud_mqtt_topic_prefix':'prod/T/'"
#define TOPICS "'topics':{'d2c':'prod/T/m/d/D/d2c','c2d':'prod/T/m/d/D/+/r'}"
#define PAIRED "'pairing':{'state':'paired'," TOPICS "}"
#define DESIRED_PAIRED "{" PREFIX "," PAIRED ",'config':{}}"

/* JSON in this file is written with ' for " to stay readable; this undoes that. */
static char *dq(const char *text)
{
	char *s = strdup(text), *p;

	ck_assert_ptr_nonnull(s);
	for (p = s; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return s;
}

static json_t *parse(const char *text)
{
	char *json = dq(text);
	json_error_t err;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &err);

	ck_assert_msg(v != NULL, "bad test JSON '%s': %s", json, err.text);
	free(json);
	return v;
}

static char *dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	ck_assert_ptr_nonnull(s);
	return s;
}

/* v at a dotted path ("state.desired.color"), or NULL. */
static const json_t *at(const json_t *v, const char *path)
{
	char buf[256];
	char *key, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && v; key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	return v;
}

#define assert_json(got, want) assert_json_at(__LINE__, (got), (want))

/* got (borrowed; may be NULL) equals the JSON text want. */
static void assert_json_at(int line, const json_t *got, const char *want)
{
	json_t *w = parse(want);
	char *gs = got ? dump(got) : strdup("(null)");
	char *ws = dump(w);
	int same = got && json_equal(got, w);

	if (!same)
		ck_abort_msg("line %d:\n got  %s\n want %s", line, gs, ws);
	free(gs);
	free(ws);
	json_decref(w);
}

static const char *error_message(const struct ncm_shadow_result *res)
{
	const char *m = json_string_value(at(res->error, "message"));

	return m ? m : "(none)";
}

/* ncm_shadow_update on the text req (' for "), checking the invariants of every call: doc is
 * unchanged byte for byte, res->code is returned, an accepted result has doc / accepted /
 * documents and no error, a rejected one only an error carrying its code and the time. */
static int update_max(const json_t *doc, const char *req, time_t now, size_t max,
		      struct ncm_shadow_result *res)
{
	char *before = doc ? dump(doc) : NULL;
	char *json = dq(req);
	int code = ncm_shadow_update(doc, json, strlen(json), now, max, res);

	free(json);

	if (doc) {
		char *after = dump(doc);

		ck_assert_str_eq(before, after);
		free(after);
	}
	free(before);
	ck_assert_int_eq(code, res->code);
	if (code == 0) {
		ck_assert_ptr_nonnull(res->doc);
		ck_assert_ptr_nonnull(res->accepted);
		ck_assert_ptr_nonnull(res->documents);
		ck_assert_ptr_null(res->error);
		ck_assert(json_equal(at(res->accepted, "version"), at(res->doc, "version")));
	} else {
		ck_assert_ptr_nonnull(res->error);
		ck_assert_ptr_null(res->doc);
		ck_assert_ptr_null(res->accepted);
		ck_assert_ptr_null(res->documents);
		ck_assert_ptr_null(res->delta);
		ck_assert_int_eq(json_integer_value(at(res->error, "code")), code);
		ck_assert_int_eq(json_integer_value(at(res->error, "timestamp")), now);
	}
	return code;
}

static int update(const json_t *doc, const char *req, time_t now, struct ncm_shadow_result *res)
{
	return update_max(doc, req, now, MAX, res);
}

/* Applies req to *doc (NULL: no shadow yet) at now; it must be accepted. */
static void apply(json_t **doc, const char *req, time_t now)
{
	struct ncm_shadow_result res;

	if (update(*doc, req, now, &res) != 0)
		ck_abort_msg("'%s' rejected: %d %s", req, res.code, error_message(&res));
	json_decref(*doc);
	*doc = res.doc;
	res.doc = NULL;
	ncm_shadow_result_release(&res);
}

/* A shadow built by one update at time 100 with the given sections (JSON text or NULL). */
static json_t *shadow(const char *desired, const char *reported)
{
	char req[4096];
	json_t *doc = NULL;

	snprintf(req, sizeof(req), "{'state':{'desired':%s,'reported':%s}}",
		 desired ? desired : "null", reported ? reported : "null");
	apply(&doc, req, 100);
	return doc;
}

/* A request whose section holds leaf depth levels down: {"k":{"k":..leaf}} or
 * {"k":[[..leaf]]} when in_array. */
static char *nested_request(const char *section, int depth, int in_array, const char *leaf)
{
	size_t size = 64 + strlen(leaf) + (size_t)depth * 8;
	char *s = malloc(size);
	int i;

	ck_assert_ptr_nonnull(s);
	snprintf(s, size, "{'state':{'%s':{'k':", section);
	for (i = 1; i < depth; i++)
		strcat(s, in_array ? "[" : "{'k':");
	strcat(s, leaf);
	for (i = 1; i < depth; i++)
		strcat(s, in_array ? "]" : "}");
	strcat(s, "}}}");
	return s;
}

/* AWS device-shadow-data-flow: an app wants red, the device reports green, then red. */
START_TEST(aws_desired_red_over_reported_green_gives_delta_red_until_reported_red)
{
	struct ncm_shadow_result res;
	json_t *doc = NULL, *got;

	apply(&doc, "{'state':{'reported':{'color':'green'}}}", 100);
	ck_assert_int_eq(update(doc, "{'state':{'desired':{'color':'red'}}}", 200, &res), 0);
	assert_json(res.accepted, "{'state':{'desired':{'color':'red'}},"
				  "'metadata':{'desired':{'color':{'timestamp':200}}},"
				  "'version':2,'timestamp':200}");
	assert_json(res.delta, "{'state':{'color':'red'},"
			       "'metadata':{'color':{'timestamp':200}},"
			       "'version':2,'timestamp':200}");
	json_decref(doc);
	doc = res.doc;
	res.doc = NULL;
	ncm_shadow_result_release(&res);

	got = ncm_shadow_get_accepted(doc, 250);
	assert_json(got, "{'state':{'desired':{'color':'red'},"
			 "'reported':{'color':'green'},'delta':{'color':'red'}},"
			 "'metadata':{'desired':{'color':{'timestamp':200}},"
			 "'reported':{'color':{'timestamp':100}}},"
			 "'version':2,'timestamp':250}");
	json_decref(got);

	ck_assert_int_eq(update(doc, "{'state':{'reported':{'color':'red'}}}", 300, &res), 0);
	ck_assert_ptr_null(res.delta);
	got = ncm_shadow_get_accepted(res.doc, 350);
	assert_json(got, "{'state':{'desired':{'color':'red'},"
			 "'reported':{'color':'red'}},"
			 "'metadata':{'desired':{'color':{'timestamp':200}},"
			 "'reported':{'color':{'timestamp':300}}},"
			 "'version':3,'timestamp':350}");
	json_decref(got);
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

/* AWS "Updating a shadow": reported color {r,g,b}, desired color {r:10} and engine ON. */
START_TEST(aws_nested_desired_delta_holds_only_what_differs)
{
	struct ncm_shadow_result res;
	json_t *doc = NULL;

	apply(&doc, "{'state':{'reported':{'color':{'r':255,'g':255,'b':0}}}}", 100);
	ck_assert_int_eq(update(doc, "{'state':{'desired':{'color':{'r':10},'engine':'ON'}}}", 200,
				&res),
			 0);
	assert_json(at(res.delta, "state"), "{'color':{'r':10},'engine':'ON'}");
	assert_json(at(res.delta, "metadata"),
		    "{'color':{'r':{'timestamp':200}},'engine':{'timestamp':200}}");
	assert_json(at(res.doc, "state.reported"), "{'color':{'r':255,'g':255,'b':0}}");
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

/* AWS device-shadow-document: lights RED wanted, GREEN reported, engine agrees. */
START_TEST(aws_lights_delta_omits_the_agreeing_engine)
{
	json_t *doc = shadow("{'lights':{'color':'RED'},'engine':'ON'}",
			     "{'lights':{'color':'GREEN'},'engine':'ON'}");
	json_t *got = ncm_shadow_get_accepted(doc, 100);

	assert_json(at(got, "state.delta"), "{'lights':{'color':'RED'}}");
	json_decref(got);
	json_decref(doc);
}
END_TEST

/* AWS device-shadow-data-flow "deleting properties": {"engine":null}. */
START_TEST(null_deletes_a_key_and_its_metadata)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow("{'color':'red','engine':'ON'}", NULL);

	ck_assert_int_eq(update(doc, "{'state':{'desired':{'engine':null}}}", 200, &res), 0);
	assert_json(at(res.doc, "state"), "{'desired':{'color':'red'}}");
	assert_json(at(res.doc, "metadata"), "{'desired':{'color':{'timestamp':100}}}");
	/* The accepted message repeats the request, null included, with its time. */
	assert_json(res.accepted, "{'state':{'desired':{'engine':null}},"
				  "'metadata':{'desired':{'engine':{'timestamp':200}}},"
				  "'version':2,'timestamp':200}");
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

/* AWS: "desired": null removes the whole section from state and metadata. */
START_TEST(null_deletes_a_whole_section)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow("{'color':'red'}", "{'color':'green'}");

	ck_assert_int_eq(update(doc, "{'state':{'reported':{'color':'red'},'desired':null}}", 200,
				&res),
			 0);
	assert_json(at(res.doc, "state"), "{'reported':{'color':'red'}}");
	assert_json(at(res.doc, "metadata"), "{'reported':{'color':{'timestamp':200}}}");
	assert_json(at(res.accepted, "metadata"), "{'desired':{'timestamp':200},"
						  "'reported':{'color':{'timestamp':200}}}");
	ck_assert_ptr_null(res.delta);
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

START_TEST(deleting_the_last_key_omits_the_section)
{
	json_t *doc = shadow("{'a':1}", "{'b':2}");

	apply(&doc, "{'state':{'desired':{'a':null}}}", 200);
	assert_json(at(doc, "state"), "{'reported':{'b':2}}");
	assert_json(at(doc, "metadata"), "{'reported':{'b':{'timestamp':100}}}");
	/* An empty section in a request changes nothing and adds nothing. */
	apply(&doc, "{'state':{'desired':{}}}", 300);
	assert_json(at(doc, "state"), "{'reported':{'b':2}}");
	json_decref(doc);
}
END_TEST

START_TEST(deleting_an_absent_key_or_section_is_fine)
{
	json_t *doc = shadow(NULL, "{'b':2}");

	apply(&doc, "{'state':{'desired':null,'reported':{'zz':null}}}", 200);
	assert_json(at(doc, "state"), "{'reported':{'b':2}}");
	ck_assert_int_eq(json_integer_value(at(doc, "version")), 2);
	json_decref(doc);
}
END_TEST

START_TEST(nested_objects_merge_key_by_key)
{
	json_t *doc = shadow("{'a':{'b':1,'c':2},'x':0}", NULL);

	apply(&doc, "{'state':{'desired':{'a':{'c':3,'d':{'e':4}}}}}", 200);
	assert_json(at(doc, "state.desired"), "{'a':{'b':1,'c':3,'d':{'e':4}},'x':0}");
	assert_json(at(doc, "metadata.desired"),
		    "{'a':{'b':{'timestamp':100},'c':{'timestamp':200},"
		    "'d':{'e':{'timestamp':200}}},'x':{'timestamp':100}}");
	json_decref(doc);
}
END_TEST

/* AWS "Array values in shadow documents": an update replaces the whole array. */
START_TEST(arrays_are_replaced_whole_and_timestamped_as_one_leaf)
{
	json_t *doc = shadow("{'colors':['RED','GREEN','BLUE']}", NULL);

	apply(&doc, "{'state':{'desired':{'colors':['RED']}}}", 200);
	assert_json(at(doc, "state.desired"), "{'colors':['RED']}");
	assert_json(at(doc, "metadata.desired"), "{'colors':{'timestamp':200}}");
	apply(&doc, "{'state':{'desired':{'colors':[{'a':1},[2]]}}}", 300);
	assert_json(at(doc, "state.desired"), "{'colors':[{'a':1},[2]]}");
	assert_json(at(doc, "metadata.desired"), "{'colors':{'timestamp':300}}");
	json_decref(doc);
}
END_TEST

/* ncm_shadow_delta_state on (desired, reported) pairs; NULL stands for an absent section. */
START_TEST(delta_follows_aws_rules)
{
	static const struct {
		const char *desired, *reported, *want;
	} cases[] = {
		/* AWS color example and its resolution */
		{ "{'color':'red'}", "{'color':'green'}", "{'color':'red'}" },
		{ "{'color':'red'}", "{'color':'red'}", "{}" },
		{ "{'color':'red'}", NULL, "{'color':'red'}" },
		/* keys only in reported never appear */
		{ "{'a':1}", "{'a':1,'b':2}", "{}" },
		{ "{}", "{'b':2}", "{}" },
		{ NULL, "{'b':2}", "{}" },
		{ "{'a':{'x':1}}", "{'a':{'x':1,'y':2}}", "{}" },
		/* arrays compare as whole values */
		{ "{'a':[1,2,3]}", "{'a':[1,2]}", "{'a':[1,2,3]}" },
		{ "{'a':[1,2]}", "{'a':[2,1]}", "{'a':[1,2]}" },
		{ "{'a':[1,2]}", "{'a':[1,2]}", "{}" },
		{ "{'a':[{'x':1}]}", "{'a':[{'x':1}]}", "{}" },
		{ "{'a':[{'x':1}]}", "{'a':[{'x':2}]}", "{'a':[{'x':1}]}" },
		{ "{'a':[]}", "{'a':{}}", "{'a':[]}" },
		/* empty objects in desired are no delta */
		{ "{'a':{}}", NULL, "{}" },
		{ "{'a':{}}", "{'a':5}", "{}" },
		{ "{'a':{'b':{}}}", "{}", "{}" },
		/* objects compare key by key, against anything */
		{ "{'a':{'b':1,'c':2}}", "{'a':{'b':1}}", "{'a':{'c':2}}" },
		{ "{'a':{'b':1}}", "{'a':5}", "{'a':{'b':1}}" },
		{ "{'a':5}", "{'a':{'b':1}}", "{'a':5}" },
		/* scalars by type and value; JSON numbers by value */
		{ "{'a':1}", "{'a':1.0}", "{}" },
		{ "{'a':1.5}", "{'a':1}", "{'a':1.5}" },
		{ "{'a':1}", "{'a':'1'}", "{'a':1}" },
		{ "{'a':true}", "{'a':false}", "{'a':true}" },
		{ "{'a':false}", "{'a':false}", "{}" },
		{ "{'a':''}", "{}", "{'a':''}" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *d = cases[i].desired ? parse(cases[i].desired) : NULL;
		json_t *r = cases[i].reported ? parse(cases[i].reported) : NULL;
		char *d_before = d ? dump(d) : NULL, *r_before = r ? dump(r) : NULL;
		json_t *got = ncm_shadow_delta_state(d, r);
		json_t *want = parse(cases[i].want);

		ck_assert_msg(got && json_equal(got, want), "case %zu: %s vs %s", i,
			      cases[i].desired ? cases[i].desired : "NULL",
			      cases[i].reported ? cases[i].reported : "NULL");
		if (d) {
			char *after = dump(d);

			ck_assert_str_eq(d_before, after);
			free(after);
		}
		if (r) {
			char *after = dump(r);

			ck_assert_str_eq(r_before, after);
			free(after);
		}
		free(d_before);
		free(r_before);
		json_decref(got);
		json_decref(want);
		json_decref(d);
		json_decref(r);
	}
}
END_TEST

START_TEST(keys_only_in_reported_never_produce_a_delta_message)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow("{'a':1}", "{'a':1}");

	ck_assert_int_eq(update(doc, "{'state':{'reported':{'extra':{'deep':[1]}}}}", 200, &res),
			 0);
	ck_assert_ptr_null(res.delta);
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

START_TEST(empty_object_in_desired_gives_no_delta_but_is_kept)
{
	struct ncm_shadow_result res;
	json_t *doc = NULL;

	ck_assert_int_eq(update(doc, "{'state':{'desired':{'config':{}}}}", 100, &res), 0);
	ck_assert_ptr_null(res.delta);
	assert_json(at(res.doc, "state"), "{'desired':{'config':{}}}");
	assert_json(at(res.doc, "metadata"), "{'desired':{'config':{}}}");
	doc = res.doc;
	res.doc = NULL;
	ncm_shadow_result_release(&res);
	/* Deleting the only key inside keeps the now empty object, as AWS does. */
	apply(&doc, "{'state':{'desired':{'config':{'a':1}}}}", 200);
	apply(&doc, "{'state':{'desired':{'config':{'a':null}}}}", 300);
	assert_json(at(doc, "state"), "{'desired':{'config':{}}}");
	assert_json(at(doc, "metadata"), "{'desired':{'config':{}}}");
	json_decref(doc);
}
END_TEST

/* docs/protocol-mqtt.md#what-the-device-writes pairing-complete report against the docs/protocol-mqtt.md#the-shadow-get-reply paired desired: nothing left to do. */
START_TEST(pairing_report_on_a_paired_desired_leaves_an_empty_delta)
{
	static const char *const reports[] = {
		"{'state':{'reported':{" PAIRED ",'connection':{'keepalive':1200}," PREFIX
		",'control':{'alertsEn':false,'logLvl':3}}}}",
		/* v2.6+ with device info, and the c2d topic written to desired (docs/protocol-mqtt.md#data-channel-topics) */
		"{'state':{'reported':{" PAIRED ",'connection':{'keepalive':1200}," PREFIX
		",'control':{'alertsEn':false,'logLvl':3,'memfaultEn':false},"
		"'device':{'deviceInfo':{'appVersion':'1.0.0','imei':'352656100000001'},"
		"'serviceInfo':{'fota_v2':['APP','MODEM'],'ui':null}}},"
		"'desired':{'pairing':{'topics':{'c2d':'prod/T/m/d/D/+/r'}}}}}",
	};
	size_t i;

	for (i = 0; i < COUNT(reports); i++) {
		struct ncm_shadow_result res;
		json_t *doc = shadow(DESIRED_PAIRED, NULL);
		json_t *delta;

		ck_assert_int_eq(update(doc, reports[i], 200, &res), 0);
		ck_assert_msg(res.delta == NULL, "report %zu left a delta", i);
		delta = ncm_shadow_delta_state(at(res.doc, "state.desired"),
					       at(res.doc, "state.reported"));
		assert_json(delta, "{}");
		ck_assert_ptr_null(ncm_shadow_delta_msg(res.doc, 200, 1));
		ck_assert_ptr_null(ncm_shadow_delta_msg(res.doc, 200, 0));
		json_decref(delta);
		ncm_shadow_result_release(&res);
		json_decref(doc);
	}
}
END_TEST

/* docs/protocol-mqtt.md#what-the-device-writes UA-wait report (id 300): its nulls clear the pairing fields; absent ones are fine. */
START_TEST(ua_wait_report_clears_the_pairing_fields)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow(DESIRED_PAIRED, "{" PAIRED ",'connection':{'keepalive':1200},"
					     PREFIX "}");

	ck_assert_int_eq(update(doc, "{'state':{'reported':{"
				     "'pairing':{'state':'not_associated','topics':null,"
				     "'config':null},'connection':{'keepalive':null},"
				     "'nrfcloud_mqtt_topic_prefix':null,'pairingStatus':null,"
				     "'stage':null}}}",
				200, &res),
			 0);
	assert_json(at(res.doc, "state.reported"),
		    "{'pairing':{'state':'not_associated'},'connection':{}}");
	assert_json(at(res.doc, "metadata.reported"),
		    "{'pairing':{'state':{'timestamp':200}},'connection':{}}");
	assert_json(at(res.delta, "state"), "{" PREFIX "," PAIRED "}");
	assert_json(at(res.delta, "metadata"),
		    "{'nrfcloud_mqtt_topic_prefix':{'timestamp':100},"
		    "'pairing':{'state':{'timestamp':100},'topics':{"
		    "'d2c':{'timestamp':100},'c2d':{'timestamp':100}}}}");
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

/* docs/protocol-mqtt.md#the-shadow-get-reply: top-level desired always, reported without config and device, config separate. */
START_TEST(trimmed_document_has_the_nrf_cloud_shape)
{
	json_t *doc = shadow(DESIRED_PAIRED,
			     "{" PAIRED ",'connection':{'keepalive':1200},'config':"
			     "{'activeMode':true},'device':{'deviceInfo':{'imei':'1'}},"
			     "'control':{'logLvl':3}}");
	char *before = dump(doc);
	char *after;
	json_t *got = ncm_shadow_trimmed(doc);

	assert_json(got, "{'desired':" DESIRED_PAIRED ",'reported':{" PAIRED
			 ",'connection':{'keepalive':1200},'control':{'logLvl':3}},"
			 "'config':{'activeMode':true}}");
	after = dump(doc);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	json_decref(got);
	json_decref(doc);

	doc = ncm_shadow_new(100);
	got = ncm_shadow_trimmed(doc);
	assert_json(got, "{'desired':{},'reported':{},'config':{}}");
	json_decref(got);
	json_decref(doc);

	/* Without a reported section, and a config that is not an object. */
	doc = shadow("{'a':1}", NULL);
	got = ncm_shadow_trimmed(doc);
	assert_json(got, "{'desired':{'a':1},'reported':{},'config':{}}");
	json_decref(got);
	json_decref(doc);
	doc = shadow(NULL, "{'config':5,'b':1}");
	got = ncm_shadow_trimmed(doc);
	assert_json(got, "{'desired':{},'reported':{'b':1},'config':{}}");
	json_decref(got);
	json_decref(doc);
}
END_TEST

/* AWS "Versioning shadow documents": a request's version must equal the stored one. */
START_TEST(conditional_update_needs_the_current_version)
{
	static const struct {
		const char *req;
		int code;
	} cases[] = {
		{ "{'state':{'desired':{'c':'blue'}},'version':2}", 0 },
		{ "{'state':{'desired':{'c':'blue'}},'version':1}", 409 },
		{ "{'state':{'desired':{'c':'blue'}},'version':3}", 409 },
		{ "{'state':{'desired':{'c':'blue'}},'version':0}", 409 },
		{ "{'state':{'desired':{'c':'blue'}},'version':-2}", 409 },
		{ "{'state':{},'version':2}", 0 },
	};
	json_t *doc = shadow("{'c':'red'}", NULL);
	size_t i;

	apply(&doc, "{'state':{'reported':{'c':'red'}}}", 150);
	for (i = 0; i < COUNT(cases); i++) {
		struct ncm_shadow_result res;

		ck_assert_msg(update(doc, cases[i].req, 200, &res) == cases[i].code,
			      "case %zu: %d %s", i, res.code, error_message(&res));
		if (cases[i].code == 0) {
			ck_assert_int_eq(json_integer_value(at(res.doc, "version")), 3);
		} else {
			assert_json(res.error, "{'code':409,'message':'Version conflict',"
					       "'timestamp':200}");
		}
		ncm_shadow_result_release(&res);
	}
	/* No shadow yet is version 0. */
	{
		struct ncm_shadow_result res;

		ck_assert_int_eq(update(NULL, "{'state':{},'version':0}", 100, &res), 0);
		ncm_shadow_result_release(&res);
		ck_assert_int_eq(update(NULL, "{'state':{},'version':1}", 100, &res), 409);
		ncm_shadow_result_release(&res);
	}
	json_decref(doc);
}
END_TEST

START_TEST(client_token_is_echoed_in_every_answer)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow(NULL, "{'color':'green'}");

	ck_assert_int_eq(update(doc, "{'state':{'desired':{'color':'red'}},'clientToken':'tok-1'}",
				200, &res),
			 0);
	ck_assert_str_eq(json_string_value(at(res.accepted, "clientToken")), "tok-1");
	ck_assert_str_eq(json_string_value(at(res.documents, "clientToken")), "tok-1");
	ck_assert_str_eq(json_string_value(at(res.delta, "clientToken")), "tok-1");
	ck_assert_ptr_null(at(res.doc, "clientToken"));
	ncm_shadow_result_release(&res);

	ck_assert_int_eq(update(doc, "{'state':{},'clientToken':'tok-2','version':9}", 200, &res),
			 409);
	assert_json(res.error, "{'code':409,'message':'Version conflict','timestamp':200,"
			       "'clientToken':'tok-2'}");
	ncm_shadow_result_release(&res);

	ck_assert_int_eq(update(doc, "{'state':{'desired':'x'},'clientToken':'tok-3'}", 200, &res),
			 400);
	ck_assert_str_eq(json_string_value(at(res.error, "clientToken")), "tok-3");
	ncm_shadow_result_release(&res);

	ck_assert_int_eq(update_max(doc, "{'state':{'desired':{'big':'xxxxxxxxxx'}},"
					 "'clientToken':'tok-4'}", 200, 40, &res),
			 413);
	ck_assert_str_eq(json_string_value(at(res.error, "clientToken")), "tok-4");
	ncm_shadow_result_release(&res);

	/* Without a token nothing carries one. */
	ck_assert_int_eq(update(doc, "{'state':{'desired':{'color':'red'}}}", 200, &res), 0);
	ck_assert_ptr_null(at(res.accepted, "clientToken"));
	ck_assert_ptr_null(at(res.documents, "clientToken"));
	ck_assert_ptr_null(at(res.delta, "clientToken"));
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

START_TEST(client_token_must_be_a_string_of_at_most_64_bytes)
{
	char tok64[NCM_SHADOW_CLIENT_TOKEN_MAX + 1], tok65[NCM_SHADOW_CLIENT_TOKEN_MAX + 2];
	char req[256];
	struct ncm_shadow_result res;
	static const char *const bad_raw[] = {
		"{'state':{},'clientToken':5}",
		"{'state':{},'clientToken':null}",
		"{'state':{},'clientToken':['a']}",
		/* checked before the state, so the token of a broken request is not trusted */
		"{'clientToken':7}",
	};
	size_t i;

	memset(tok64, 'a', sizeof(tok64) - 1);
	tok64[sizeof(tok64) - 1] = '\0';
	memset(tok65, 'b', sizeof(tok65) - 1);
	tok65[sizeof(tok65) - 1] = '\0';

	snprintf(req, sizeof(req), "{'state':{},'clientToken':'%s'}", tok64);
	ck_assert_int_eq(update(NULL, req, 100, &res), 0);
	ck_assert_str_eq(json_string_value(at(res.accepted, "clientToken")), tok64);
	ncm_shadow_result_release(&res);

	snprintf(req, sizeof(req), "{'state':{},'clientToken':'%s'}", tok65);
	ck_assert_int_eq(update(NULL, req, 100, &res), 400);
	assert_json(res.error, "{'code':400,'message':'Invalid clientToken','timestamp':100}");
	ncm_shadow_result_release(&res);
	for (i = 0; i < COUNT(bad_raw); i++) {
		ck_assert_int_eq(update(NULL, bad_raw[i], 100, &res), 400);
		ck_assert_str_eq(error_message(&res), "Invalid clientToken");
		ck_assert_ptr_null(at(res.error, "clientToken"));
		ncm_shadow_result_release(&res);
	}
}
END_TEST

START_TEST(version_increments_by_exactly_one_per_accepted_update)
{
	static const char *const reqs[] = {
		"{'state':{'desired':{'a':1}}}",
		"{'state':{}}", /* AWS: an empty update only bumps the version */
		"{'state':{'desired':{'a':1}}}", /* same value again still counts */
		"{'state':{'desired':'bad'}}",   /* rejected: no bump */
		"{'state':{'reported':{'a':1},'desired':{'b':2}}}",
		"{'state':{},'version':99}",   /* rejected */
		"{'state':{'desired':null,'reported':null}}",
		"{'state':{},'ignored':true}", /* other top-level keys are ignored */
	};
	json_t *doc = NULL;
	json_int_t want = 0;
	size_t i;

	for (i = 0; i < COUNT(reqs); i++) {
		struct ncm_shadow_result res;

		if (update(doc, reqs[i], (time_t)(100 + i), &res) == 0) {
			want++;
			ck_assert_int_eq(json_integer_value(at(res.doc, "version")), want);
			ck_assert_int_eq(json_integer_value(at(res.accepted, "version")), want);
			ck_assert_int_eq(json_integer_value(at(res.doc, "timestamp")), 100 + i);
			json_decref(doc);
			doc = res.doc;
			res.doc = NULL;
		}
		ncm_shadow_result_release(&res);
	}
	ck_assert_int_eq(want, 6);
	assert_json(doc, "{'state':{},'metadata':{},'version':6,'timestamp':107}");
	json_decref(doc);
}
END_TEST

START_TEST(metadata_has_a_timestamp_per_leaf_and_loses_deleted_ones)
{
	json_t *doc = shadow("{'a':1,'b':{'c':2,'d':3},'s':'x'}", NULL);

	assert_json(at(doc, "metadata"),
		    "{'desired':{'a':{'timestamp':100},'b':{'c':{'timestamp':100},"
		    "'d':{'timestamp':100}},'s':{'timestamp':100}}}");
	/* a scalar becomes an object, a nested key is deleted */
	apply(&doc, "{'state':{'desired':{'a':{'x':1},'b':{'c':null}}}}", 200);
	assert_json(at(doc, "state.desired"), "{'a':{'x':1},'b':{'d':3},'s':'x'}");
	assert_json(at(doc, "metadata.desired"),
		    "{'a':{'x':{'timestamp':200}},'b':{'d':{'timestamp':100}},"
		    "'s':{'timestamp':100}}");
	/* an object becomes a scalar: its metadata subtree becomes one timestamp */
	apply(&doc, "{'state':{'desired':{'b':7}}}", 300);
	assert_json(at(doc, "metadata.desired"),
		    "{'a':{'x':{'timestamp':200}},'b':{'timestamp':300},"
		    "'s':{'timestamp':100}}");
	/* a key named like the metadata field is an ordinary leaf */
	apply(&doc, "{'state':{'desired':{'s':{'timestamp':5}}}}", 400);
	assert_json(at(doc, "metadata.desired.s"), "{'timestamp':{'timestamp':400}}");
	json_decref(doc);
}
END_TEST

START_TEST(documents_hold_previous_and_current)
{
	struct ncm_shadow_result res;
	json_t *doc = shadow("{'a':1}", NULL);

	ck_assert_int_eq(update(doc, "{'state':{'reported':{'a':2}},'clientToken':'t'}", 200, &res),
			 0);
	assert_json(res.documents,
		    "{'previous':{'state':{'desired':{'a':1}},"
		    "'metadata':{'desired':{'a':{'timestamp':100}}},'version':1},"
		    "'current':{'state':{'desired':{'a':1},'reported':{'a':2}},"
		    "'metadata':{'desired':{'a':{'timestamp':100}},"
		    "'reported':{'a':{'timestamp':200}}},'version':2},"
		    "'timestamp':200,'clientToken':'t'}");
	ncm_shadow_result_release(&res);
	json_decref(doc);

	ck_assert_int_eq(update(NULL, "{'state':{'desired':{'a':1}}}", 100, &res), 0);
	assert_json(res.documents, "{'previous':{'state':{},'metadata':{},'version':0},"
				   "'current':{'state':{'desired':{'a':1}},"
				   "'metadata':{'desired':{'a':{'timestamp':100}}},"
				   "'version':1},'timestamp':100}");
	assert_json(res.doc, "{'state':{'desired':{'a':1}},"
			     "'metadata':{'desired':{'a':{'timestamp':100}}},"
			     "'version':1,'timestamp':100}");
	ncm_shadow_result_release(&res);
}
END_TEST

/* Every malformed request shadow.h lists, with its message (prefix for the parser's). */
START_TEST(malformed_requests_are_400_with_their_message)
{
	static const struct {
		const char *req;
		const char *message;
		int prefix;
	} cases[] = {
		{ "", "Payload contains invalid json (", 1 },
		{ "{", "Payload contains invalid json (", 1 },
		{ "{'state':{}", "Payload contains invalid json (", 1 },
		{ "{'state':{},}", "Payload contains invalid json (", 1 },
		{ "state", "Payload contains invalid json (", 1 },
		{ "{'state':{}} x", "Payload contains invalid json (", 1 },
		{ "{'state':{},'state':{}}", "Payload contains invalid json (", 1 },
		{ "{'state':{'desired':{'a':1,'a':2}}}", "Payload contains invalid json (", 1 },
		{ "{'state':'\xff'}", "Payload contains invalid json (", 1 },
		{ "[{'state':{}}]", "Payload contains invalid json (", 1 },
		{ "{}", "Missing required node: state", 0 },
		{ "{'desired':{'a':1}}", "Missing required node: state", 0 },
		{ "{'state':null}", "State node must be an object", 0 },
		{ "{'state':1}", "State node must be an object", 0 },
		{ "{'state':[]}", "State node must be an object", 0 },
		{ "{'state':{'desired':'on'}}", "Invalid desired: must be an object or null", 0 },
		{ "{'state':{'desired':[1]}}", "Invalid desired: must be an object or null", 0 },
		{ "{'state':{'reported':5}}", "Invalid reported: must be an object or null", 0 },
		{ "{'state':{'reported':true}}", "Invalid reported: must be an object or null", 0 },
		{ "{'state':{'delta':{}}}", "State contains an invalid node: 'delta'", 0 },
		{ "{'state':{'desired':{},'color':'red'}}",
		  "State contains an invalid node: 'color'", 0 },
		{ "{'state':{},'version':'1'}", "Invalid version: must be an integer", 0 },
		{ "{'state':{},'version':1.0}", "Invalid version: must be an integer", 0 },
		{ "{'state':{},'version':null}", "Invalid version: must be an integer", 0 },
		{ "{'state':{'desired':{'a':{'b':{'c':{'d':{'e':{'f':{'g':{'h':"
		  "{'i':1}}}}}}}}}}}",
		  "JSON contains too many levels of nesting; maximum is 8", 0 },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		struct ncm_shadow_result res;
		const char *m;

		ck_assert_msg(update(NULL, cases[i].req, 100, &res) == 400, "case %zu: %d", i,
			      res.code);
		m = error_message(&res);
		if (cases[i].prefix)
			ck_assert_msg(strncmp(m, cases[i].message, strlen(cases[i].message)) == 0,
				      "case %zu: '%s'", i, m);
		else
			ck_assert_msg(strcmp(m, cases[i].message) == 0, "case %zu: '%s'", i, m);
		ncm_shadow_result_release(&res);
	}
}
END_TEST

/* The parser's line:column, and a long unknown key quoted in part, still valid UTF-8. */
START_TEST(rejections_point_at_the_problem)
{
	struct ncm_shadow_result res;
	char req[512];

	ck_assert_int_eq(update(NULL, "{'state':\n  {'desired': x}}", 100, &res), 400);
	ck_assert_msg(strncmp(error_message(&res), "Payload contains invalid json (2:", 33) == 0,
		      "'%s'", error_message(&res));
	ncm_shadow_result_release(&res);

	snprintf(req, sizeof(req), "{'state':{'%s\xc3\xa9%s':1}}",
		 "012345678901234567890123456789012345678901234567890123456789012",
		 "0123456789");
	ck_assert_int_eq(update(NULL, req, 100, &res), 400);
	/* 64 bytes would end inside the two-byte character: the quote stops before it */
	ck_assert_str_eq(error_message(&res),
			 "State contains an invalid node: "
			 "'012345678901234567890123456789012345678901234567890123456789012'");
	ncm_shadow_result_release(&res);
}
END_TEST

START_TEST(nesting_counts_levels_below_desired_and_reported)
{
	static const struct {
		int depth, in_array;
		const char *leaf;
		int code;
	} cases[] = {
		{ 1, 0, "1", 0 }, { 8, 0, "1", 0 }, { 9, 0, "1", 400 }, { 40, 0, "1", 400 },
		{ 8, 1, "1", 0 }, { 9, 1, "1", 400 },
		/* empty containers at level 8 hold nothing at level 9 */
		{ 8, 0, "{}", 0 }, { 8, 0, "[]", 0 }, { 8, 1, "{}", 0 },
		{ 8, 0, "[1]", 400 }, { 8, 0, "{'k':null}", 400 },
	};
	static const char too_deep[] = "JSON contains too many levels of nesting; maximum is 8";
	size_t i, j;

	for (i = 0; i < COUNT(cases); i++) {
		for (j = 0; j < 2; j++) {
			struct ncm_shadow_result res;
			char *req = nested_request(j ? "reported" : "desired", cases[i].depth,
						   cases[i].in_array, cases[i].leaf);

			ck_assert_msg(update(NULL, req, 100, &res) == cases[i].code, "%s: %d %s",
				      req, res.code, error_message(&res));
			if (cases[i].code)
				ck_assert_str_eq(error_message(&res), too_deep);
			ncm_shadow_result_release(&res);
			free(req);
		}
	}
}
END_TEST

START_TEST(state_over_max_size_is_413_and_returns_no_doc)
{
	struct ncm_shadow_result res;
	char req[512], blob[256];
	json_t *doc = NULL;

	/* {"desired":{"blob":"<L>"}} is 23 + L bytes: 177 fits 200 exactly, 178 does not. */
	memset(blob, 'x', 178);
	blob[177] = '\0';
	snprintf(req, sizeof(req), "{'state':{'desired':{'blob':'%s'}}}", blob);
	ck_assert_int_eq(update_max(NULL, req, 100, 200, &res), 0);
	ck_assert_uint_eq(ncm_shadow_state_size(res.doc), 200);
	doc = res.doc;
	res.doc = NULL;
	ncm_shadow_result_release(&res);

	/* One more byte in desired, or a small reported next to it, is too big. */
	blob[177] = 'x';
	blob[178] = '\0';
	snprintf(req, sizeof(req), "{'state':{'desired':{'blob':'%s'}}}", blob);
	ck_assert_int_eq(update_max(doc, req, 200, 200, &res), 413);
	assert_json(res.error, "{'code':413,'message':"
			       "'The payload exceeds the maximum size allowed','timestamp':200}");
	ncm_shadow_result_release(&res);
	ck_assert_int_eq(update_max(doc, "{'state':{'reported':{'a':1}}}", 200, 200, &res), 413);
	ncm_shadow_result_release(&res);
	/* Shrinking it is fine whatever the request's own size. */
	ck_assert_int_eq(update_max(doc, "{'state':{'desired':{'blob':null}}}", 200, 200, &res), 0);
	ncm_shadow_result_release(&res);
	json_decref(doc);
}
END_TEST

START_TEST(request_over_twice_max_size_is_413_before_parsing)
{
	struct ncm_shadow_result res;
	char junk[402];

	memset(junk, '!', sizeof(junk) - 1);
	junk[400] = '\0';
	ck_assert_int_eq(update_max(NULL, junk, 100, 200, &res), 400); /* parsed: invalid json */
	ncm_shadow_result_release(&res);
	junk[400] = '!';
	junk[401] = '\0';
	ck_assert_int_eq(update_max(NULL, junk, 100, 200, &res), 413); /* never parsed */
	ck_assert_str_eq(error_message(&res), "The payload exceeds the maximum size allowed");
	ncm_shadow_result_release(&res);
	/* max_size 0 means the 8 KB default */
	ck_assert_int_eq(update_max(NULL, "{'state':{'desired':{'a':1}}}", 100, 0, &res), 0);
	ncm_shadow_result_release(&res);
}
END_TEST

/* Adds a key to the object at path in v, which must exist. */
static void touch(json_t *v, const char *path)
{
	json_t *o = (json_t *)at(v, path);

	ck_assert_msg(json_is_object(o), "no object at %s", path);
	ck_assert_int_eq(json_object_set_new(o, "touched", json_true()), 0);
}

/* Every call on a rich document: the document's JSON text is the same afterwards. */
START_TEST(no_call_modifies_its_arguments)
{
	static const char *const reqs[] = {
		"{'state':{'desired':{'lights':{'color':null,'level':{'x':1}},"
		"'arr':[9]}}}",
		"{'state':{'desired':null,'reported':{'lights':{'color':'RED'}}}}",
		"{'state':{'reported':null},'clientToken':'c','version':1}",
		"{'state':{'desired':{'arr':null,'lights':7}}}",
		"{'state':{'desired':5}}",
		"{'state':{},'version':5}",
	};
	json_t *doc = shadow("{'lights':{'color':'RED','level':3},'arr':[1,{'a':2}]}",
			     "{'lights':{'color':'GREEN'},'arr':[1]}");
	json_t *state = parse("{'desired':{'a':{'b':null,'c':[1]}},'reported':{}}");
	char *before = dump(doc), *state_before = dump(state);
	char *after;
	char msg[128];
	json_t *got;
	size_t i;

	for (i = 0; i < COUNT(reqs); i++) {
		struct ncm_shadow_result res;

		(void)update(doc, reqs[i], 200, &res); /* it compares before and after */
		ncm_shadow_result_release(&res);
	}
	/* Each result is changed deep inside, which must not reach doc (no shared values). */
	got = ncm_shadow_delta_msg(doc, 200, 1);
	touch(got, "state.lights");
	touch(got, "metadata.lights");
	json_decref(got);
	got = ncm_shadow_delta_msg(doc, 200, 0);
	touch(got, "state.lights");
	json_decref(got);
	got = ncm_shadow_get_accepted(doc, 200);
	touch(got, "state.desired.lights");
	touch(got, "state.reported.lights");
	touch(got, "metadata.desired.lights");
	json_decref(got);
	got = ncm_shadow_trimmed(doc);
	touch(got, "desired.lights");
	touch(got, "reported.lights");
	json_decref(got);
	got = ncm_shadow_delta_state(at(doc, "state.desired"), at(doc, "state.reported"));
	touch(got, "lights");
	json_decref(got);
	ck_assert_uint_gt(ncm_shadow_state_size(doc), 2);
	got = ncm_shadow_replace(doc, state, 200, msg, sizeof(msg));
	touch(got, "state.desired.a");
	json_decref(got);
	after = dump(doc);
	ck_assert_str_eq(before, after);
	free(after);
	after = dump(state);
	ck_assert_str_eq(state_before, after);
	free(after);
	free(before);
	free(state_before);
	json_decref(state);
	json_decref(doc);
}
END_TEST

START_TEST(delta_msg_is_null_without_a_delta)
{
	static const struct {
		const char *desired, *reported;
	} cases[] = {
		{ NULL, NULL },
		{ NULL, "{'a':1}" },
		{ "{'a':1}", "{'a':1,'b':2}" },
		{ "{'a':{},'b':{'c':{}}}", NULL },
		{ "{'a':[1,{'b':2}]}", "{'a':[1,{'b':2}]}" },
	};
	json_t *doc = ncm_shadow_new(100);
	size_t i;

	ck_assert_ptr_null(ncm_shadow_delta_msg(NULL, 100, 1));
	ck_assert_ptr_null(ncm_shadow_delta_msg(doc, 100, 1));
	ck_assert_ptr_null(ncm_shadow_delta_msg(doc, 100, 0));
	json_decref(doc);
	for (i = 0; i < COUNT(cases); i++) {
		doc = shadow(cases[i].desired, cases[i].reported);
		ck_assert_msg(ncm_shadow_delta_msg(doc, 100, 1) == NULL, "case %zu", i);
		ck_assert_msg(ncm_shadow_delta_msg(doc, 100, 0) == NULL, "case %zu", i);
		json_decref(doc);
	}
}
END_TEST

/* docs/protocol-mqtt.md#deltas: v2.5-v3.2 drop a delta without numeric version and timestamp and object state; G1/G2
 * deltas carry the desired metadata of the delta's keys only, G3's none. */
START_TEST(delta_msg_always_has_version_timestamp_and_state)
{
	json_t *doc = shadow("{'same':1,'obj':{'x':1,'y':2},'arr':[1]}",
			     "{'same':1,'obj':{'x':1,'y':3}}");
	json_t *with, *without;

	apply(&doc, "{'state':{'desired':{'obj':{'y':4}}}}", 200);
	with = ncm_shadow_delta_msg(doc, 300, 1);
	without = ncm_shadow_delta_msg(doc, 300, 0);
	assert_json(with, "{'state':{'obj':{'y':4},'arr':[1]},"
			  "'metadata':{'obj':{'y':{'timestamp':200}},"
			  "'arr':{'timestamp':100}},'version':2,'timestamp':300}");
	assert_json(without, "{'state':{'obj':{'y':4},'arr':[1]},'version':2,"
			     "'timestamp':300}");
	ck_assert(json_is_integer(at(without, "version")));
	ck_assert(json_is_integer(at(without, "timestamp")));
	ck_assert(json_is_object(at(without, "state")));
	json_decref(with);
	json_decref(without);
	json_decref(doc);
}
END_TEST

START_TEST(get_accepted_shows_delta_only_when_there_is_one)
{
	json_t *doc = shadow("{'a':1}", "{'a':1}");
	json_t *got = ncm_shadow_get_accepted(doc, 500);

	assert_json(got, "{'state':{'desired':{'a':1},'reported':{'a':1}},"
			 "'metadata':{'desired':{'a':{'timestamp':100}},"
			 "'reported':{'a':{'timestamp':100}}},'version':1,'timestamp':500}");
	json_decref(got);
	json_decref(doc);
	doc = ncm_shadow_new(100);
	got = ncm_shadow_get_accepted(doc, 500);
	assert_json(got, "{'state':{},'metadata':{},'version':0,'timestamp':500}");
	json_decref(got);
	json_decref(doc);
}
END_TEST

START_TEST(new_shadow_is_empty_at_version_0)
{
	json_t *doc = ncm_shadow_new(42);

	assert_json(doc, "{'state':{},'metadata':{},'version':0,'timestamp':42}");
	ck_assert_uint_eq(ncm_shadow_state_size(doc), 2);
	json_decref(doc);
}
END_TEST

START_TEST(state_size_is_the_compact_json_of_desired_and_reported)
{
	static const struct {
		const char *desired, *reported;
	} cases[] = {
		{ NULL, NULL },
		{ "{'a':1}", NULL },
		{ NULL, "{'b':'\xc3\xa9'}" },
		{ "{'a':[1,2,{'c':null}],'d':1.5}", "{'b':{'x':'y'}}" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *doc = shadow(cases[i].desired, cases[i].reported);
		json_t *both = json_object();
		char *text;

		if (at(doc, "state.desired"))
			json_object_set(both, "desired", (json_t *)at(doc, "state.desired"));
		if (at(doc, "state.reported"))
			json_object_set(both, "reported", (json_t *)at(doc, "state.reported"));
		text = json_dumps(both, JSON_COMPACT);
		ck_assert_msg(ncm_shadow_state_size(doc) == strlen(text), "case %zu: %zu vs %s", i,
			      ncm_shadow_state_size(doc), text);
		free(text);
		json_decref(both);
		json_decref(doc);
	}
	ck_assert_uint_eq(ncm_shadow_state_size(NULL), 2);
}
END_TEST

START_TEST(replace_timestamps_every_leaf_and_bumps_the_version)
{
	json_t *doc = shadow("{'old':1}", "{'keep':{'me':1}}");
	json_t *state = parse("{'desired':{'a':{'b':[1,2],'c':null},'d':{}},"
			      "'reported':{'r':true}}");
	char msg[128] = "";
	json_t *got;

	apply(&doc, "{'state':{'desired':{'x':1}}}", 200);
	got = ncm_shadow_replace(doc, state, 300, msg, sizeof(msg));
	assert_json(got, "{'state':{'desired':{'a':{'b':[1,2]},'d':{}},"
			 "'reported':{'r':true}},"
			 "'metadata':{'desired':{'a':{'b':{'timestamp':300}},'d':{}},"
			 "'reported':{'r':{'timestamp':300}}},"
			 "'version':3,'timestamp':300}");
	json_decref(got);
	json_decref(state);

	/* Only one section, or none: the other is gone. */
	state = parse("{'reported':{'r':1}}");
	got = ncm_shadow_replace(doc, state, 300, msg, sizeof(msg));
	assert_json(at(got, "state"), "{'reported':{'r':1}}");
	assert_json(at(got, "metadata"), "{'reported':{'r':{'timestamp':300}}}");
	json_decref(got);
	json_decref(state);
	state = parse("{}");
	got = ncm_shadow_replace(NULL, state, 300, NULL, 0);
	assert_json(got, "{'state':{},'metadata':{},'version':1,'timestamp':300}");
	json_decref(got);
	json_decref(state);
	json_decref(doc);
}
END_TEST

START_TEST(replace_rejects_malformed_states)
{
	static const struct {
		const char *state, *message;
	} cases[] = {
		{ "[]", "State node must be an object" },
		{ "'x'", "State node must be an object" },
		{ "{'desired':null}", "Invalid desired: must be an object" },
		{ "{'reported':[1]}", "Invalid reported: must be an object" },
		{ "{'desired':{},'other':{}}", "State contains an invalid node: 'other'" },
		{ "{'desired':{'a':{'b':{'c':{'d':{'e':{'f':{'g':{'h':[1]}}}}}}}}}",
		  "JSON contains too many levels of nesting; maximum is 8" },
	};
	json_t *doc = shadow("{'a':1}", NULL);
	char *before = dump(doc), *after;
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *state = parse(cases[i].state);
		char msg[128] = "";

		ck_assert_ptr_null(ncm_shadow_replace(doc, state, 200, msg, sizeof(msg)));
		ck_assert_str_eq(msg, cases[i].message);
		ck_assert_ptr_null(ncm_shadow_replace(doc, state, 200, NULL, 0));
		json_decref(state);
	}
	ck_assert_ptr_null(ncm_shadow_replace(doc, NULL, 200, NULL, 0));
	after = dump(doc);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	json_decref(doc);
}
END_TEST

START_TEST(release_leaves_an_empty_result)
{
	struct ncm_shadow_result res;

	ck_assert_int_eq(update(NULL, "{'state':{'desired':{'a':1}}}", 100, &res), 0);
	ncm_shadow_result_release(&res);
	ck_assert_ptr_null(res.doc);
	ck_assert_ptr_null(res.accepted);
	ck_assert_ptr_null(res.documents);
	ck_assert_ptr_null(res.delta);
	ck_assert_ptr_null(res.error);
	ncm_shadow_result_release(&res);
	ncm_shadow_result_release(NULL);
}
END_TEST

/* Allocator for jansson that fails every allocation after the first fail_after. */
static long fail_after = -1;

static void *failing_malloc(size_t size)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return malloc(size);
}

/* The values of out_of_memory_anywhere_fails_cleanly's calls, into got. */
static int run_all(const json_t *doc, const char *json, const json_t *state,
		   struct ncm_shadow_result *res, json_t *got[6])
{
	int code = ncm_shadow_update(doc, json, strlen(json), 200, MAX, res);

	got[0] = ncm_shadow_delta_msg(doc, 200, 1);
	got[1] = ncm_shadow_get_accepted(doc, 200);
	got[2] = ncm_shadow_trimmed(doc);
	got[3] = ncm_shadow_replace(doc, state, 200, NULL, 0);
	got[4] = ncm_shadow_delta_state(at(doc, "state.desired"), at(doc, "state.reported"));
	got[5] = ncm_shadow_new(200);
	return code;
}

/* Allocation failures at every point: a 500 without leaks or the complete answer, and from
 * the builders NULL or the complete value, never a partial one. */
START_TEST(out_of_memory_anywhere_fails_cleanly)
{
	char *json = dq("{'state':{'desired':{'lights':{'color':'RED','level':null},"
			"'arr':[1,{'a':2}]},'reported':null},'clientToken':'c','version':1}");
	json_t *doc = shadow("{'lights':{'color':'BLUE','level':3},'x':1}",
			     "{'lights':{'color':'GREEN'},'config':{'a':1}}");
	json_t *state = parse("{'desired':{'a':{'b':[1]}},'reported':{'c':1}}");
	struct ncm_shadow_result ref;
	json_t *ref_got[6];
	long n;
	size_t i;
	int done = 0;

	ck_assert_int_eq(run_all(doc, json, state, &ref, ref_got), 0);
	for (n = 0; !done; n++) {
		struct ncm_shadow_result res;
		json_t *got[6];
		int code;

		fail_after = n;
		json_set_alloc_funcs(failing_malloc, free);
		code = run_all(doc, json, state, &res, got);
		done = fail_after > 0; /* nothing failed: every later n is the same */
		json_set_alloc_funcs(malloc, free);
		fail_after = -1;

		ck_assert_msg(code == 0 || code == 500, "n=%ld: %d", n, code);
		if (code == 0) {
			ck_assert(json_equal(res.doc, ref.doc));
			ck_assert(json_equal(res.accepted, ref.accepted));
			ck_assert(json_equal(res.documents, ref.documents));
			ck_assert(json_equal(res.delta, ref.delta));
		} else {
			ck_assert(!res.doc && !res.accepted && !res.documents && !res.delta);
		}
		for (i = 0; i < COUNT(got); i++) {
			ck_assert_msg(!got[i] || json_equal(got[i], ref_got[i]),
				      "n=%ld: builder %zu", n, i);
			ck_assert_msg(got[i] || !done, "n=%ld: builder %zu", n, i);
			json_decref(got[i]);
		}
		ck_assert(code == 0 || !done);
		ncm_shadow_result_release(&res);
	}
	ck_assert_int_gt(n, 50);
	for (i = 0; i < COUNT(ref_got); i++)
		json_decref(ref_got[i]);
	ncm_shadow_result_release(&ref);
	json_decref(state);
	json_decref(doc);
	free(json);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add(s, #fn, fn)

static Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");

	ADD(s, aws_desired_red_over_reported_green_gives_delta_red_until_reported_red);
	ADD(s, aws_nested_desired_delta_holds_only_what_differs);
	ADD(s, aws_lights_delta_omits_the_agreeing_engine);
	ADD(s, null_deletes_a_key_and_its_metadata);
	ADD(s, null_deletes_a_whole_section);
	ADD(s, deleting_the_last_key_omits_the_section);
	ADD(s, deleting_an_absent_key_or_section_is_fine);
	ADD(s, nested_objects_merge_key_by_key);
	ADD(s, arrays_are_replaced_whole_and_timestamped_as_one_leaf);
	ADD(s, delta_follows_aws_rules);
	ADD(s, keys_only_in_reported_never_produce_a_delta_message);
	ADD(s, empty_object_in_desired_gives_no_delta_but_is_kept);
	ADD(s, pairing_report_on_a_paired_desired_leaves_an_empty_delta);
	ADD(s, ua_wait_report_clears_the_pairing_fields);
	ADD(s, trimmed_document_has_the_nrf_cloud_shape);
	ADD(s, conditional_update_needs_the_current_version);
	ADD(s, client_token_is_echoed_in_every_answer);
	ADD(s, client_token_must_be_a_string_of_at_most_64_bytes);
	ADD(s, version_increments_by_exactly_one_per_accepted_update);
	ADD(s, metadata_has_a_timestamp_per_leaf_and_loses_deleted_ones);
	ADD(s, documents_hold_previous_and_current);
	ADD(s, malformed_requests_are_400_with_their_message);
	ADD(s, rejections_point_at_the_problem);
	ADD(s, nesting_counts_levels_below_desired_and_reported);
	ADD(s, state_over_max_size_is_413_and_returns_no_doc);
	ADD(s, request_over_twice_max_size_is_413_before_parsing);
	ADD(s, no_call_modifies_its_arguments);
	ADD(s, delta_msg_is_null_without_a_delta);
	ADD(s, delta_msg_always_has_version_timestamp_and_state);
	ADD(s, get_accepted_shows_delta_only_when_there_is_one);
	ADD(s, new_shadow_is_empty_at_version_0);
	ADD(s, state_size_is_the_compact_json_of_desired_and_reported);
	ADD(s, replace_timestamps_every_leaf_and_bumps_the_version);
	ADD(s, replace_rejects_malformed_states);
	ADD(s, release_leaves_an_empty_result);
	ADD(s, out_of_memory_anywhere_fails_cleanly);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shadow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
