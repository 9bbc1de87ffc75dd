/* SPDX-License-Identifier: MIT
 * test_dev.c: the device engine's pure core (device/dev.c, dev_fota.c, dev_data.c) driven
 * message by message, without sockets: the connect sequence and shadow answers per
 * generation, persistent sessions, back-off, FOTA and the A-GNSS check.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "dev.h"

#define ID "dev-1"
#define PFX "prod/team-1/"

static struct ncm_dev_profile prof(enum ncm_dev_gen g)
{
	struct ncm_dev_profile p = {
		.gen = g, .ncs = g == NCM_DEV_G1 ? "2.5" : g == NCM_DEV_G2 ? "2.8" : "3.3",
		.keepalive = 1200, .persistent = 1, .app_version = "1.0.0",
		.modem_fw = "mfw_nrf9160_1.3.4", .fragment = 1700, .pgps_fragment = 1500, .rest_fragment = 1700,
		.reconnect_min_ms = 1000, .reconnect_max_ms = 64000, .reboot_ms = 500,
	};
	return p;
}

/* The index-th action of kind, or NULL. */
static struct ncm_dev_act *find(struct ncm_dev_out *o, enum ncm_dev_act_kind kind, int index)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->a[i].kind == kind && index-- == 0)
			return &o->a[i];
	return NULL;
}

static size_t count(struct ncm_dev_out *o, enum ncm_dev_act_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < o->n; i++)
		n += o->a[i].kind == kind;
	return n;
}

static json_t *payload(struct ncm_dev_act *a)
{
	json_t *j = json_loadb(a->payload, a->len, 0, NULL);

	ck_assert_msg(j, "not JSON: %s", a->payload);
	return j;
}

static const char *accepted_doc(void)
{
	return "{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"" PFX "\",\"pairing\":{\"state\":"
	       "\"paired\",\"topics\":{\"d2c\":\"" PFX "m/d/" ID "/d2c\",\"c2d\":\"" PFX "m/d/" ID
	       "/c2d\"}}},\"reported\":{},\"config\":{}}";
}

/* Runs the fresh connect sequence up to READY; returns with out cleared. */
static void connect_fresh(struct ncm_dev *d, struct ncm_dev_out *o)
{
	struct ncm_dev_act *a;
	int g1 = 1;
	char acc[64];

	ncm_dev_boot(d, 0, o);
	ncm_dev_out_clear(o);
	ncm_dev_on_connack(d, 0, 0, 0, o);
	a = find(o, NCM_ACT_SUBSCRIBE, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->tag, NCM_TAG_SUB_CC);
	ncm_dev_out_clear(o);
	ncm_dev_on_suback(d, NCM_TAG_SUB_CC, &g1, 1, 0, o);
	a = find(o, NCM_ACT_PUBLISH, 0);
	ck_assert_int_eq(a->tag, NCM_TAG_SHADOW_GET);
	ncm_dev_on_puback(d, NCM_TAG_SHADOW_GET, 0, o);
	ncm_dev_out_clear(o);
	ncm_dev_topic(d->p->gen, ID, NCM_DT_ACCEPTED, acc, sizeof(acc));
	if (d->p->gen == NCM_DEV_G3) {
		char tf[600];

		snprintf(tf, sizeof(tf), "{\"tf\":%s}", strstr(accepted_doc(), "{\"nrfcloud"));
		*strstr(tf, ",\"reported\"") = 0;
		strcat(tf, "}");
		ncm_dev_on_message(d, acc, tf, strlen(tf), 0, o);
	} else {
		ncm_dev_on_message(d, acc, accepted_doc(), strlen(accepted_doc()), 0, o);
	}
	a = find(o, NCM_ACT_PUBLISH, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->tag, NCM_TAG_PAIRING);
	ncm_dev_out_clear(o);
	ncm_dev_on_puback(d, NCM_TAG_PAIRING, 0, o);
	a = find(o, NCM_ACT_SUBSCRIBE, 0);
	ck_assert_int_eq(a->tag, NCM_TAG_SUB_DC);
	ck_assert_str_eq(a->topics[0], d->p->pre_v22 ? PFX "m/d/" ID "/c2d" : PFX "m/d/" ID "/+/r");
	ncm_dev_out_clear(o);
	ncm_dev_on_suback(d, NCM_TAG_SUB_DC, &g1, 1, 0, o);
	ck_assert_int_eq(d->state, NCM_DEV_READY);
	ncm_dev_out_clear(o);
	ncm_dev_on_suback(d, NCM_TAG_SUB_FOTA, &g1, 1, 0, o);
	a = find(o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, PFX ID "/jobs/req");
	ck_assert_str_eq(a->payload, "[\"\"]");
	ncm_dev_out_clear(o);
}

START_TEST(g1_subscribes_aws_topics_and_gets_with_an_empty_publish)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G1);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	struct ncm_dev_act *a;
	int g = 1;

	ncm_dev_init(&d, &p, ID, 0);
	ncm_dev_boot(&d, 0, &o);
	a = find(&o, NCM_ACT_CONNECT, 0);
	ck_assert_int_eq(a->clean, 1);
	ncm_dev_out_clear(&o);
	ncm_dev_on_connack(&d, 0, 0, 0, &o);
	a = find(&o, NCM_ACT_SUBSCRIBE, 0);
	ck_assert_uint_eq(a->n_topics, 3);
	ck_assert_str_eq(a->topics[0], ID "/shadow/get/accepted");
	ck_assert_str_eq(a->topics[1], "$aws/things/" ID "/shadow/get/rejected");
	ck_assert_str_eq(a->topics[2], "$aws/things/" ID "/shadow/update/delta");
	ncm_dev_out_clear(&o);
	ncm_dev_on_suback(&d, NCM_TAG_SUB_CC, &g, 1, 0, &o);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, "$aws/things/" ID "/shadow/get");
	ck_assert_uint_eq(a->len, 0);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

START_TEST(pairing_report_rewrites_c2d_and_sends_info_from_2_6)
{
	enum ncm_dev_gen gens[] = { NCM_DEV_G1, NCM_DEV_G2, NCM_DEV_G3 };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct ncm_dev_profile p = prof(gens[i]);
		struct ncm_dev d;
		struct ncm_dev_out o = { 0 };
		struct ncm_dev_act *a;
		json_t *j, *rep;
		int g = 1;
		char acc[64];

		ncm_dev_init(&d, &p, ID, 0);
		ncm_dev_boot(&d, 0, &o);
		ncm_dev_on_connack(&d, 0, 0, 0, &o);
		ncm_dev_on_suback(&d, NCM_TAG_SUB_CC, &g, 1, 0, &o);
		ncm_dev_on_puback(&d, NCM_TAG_SHADOW_GET, 0, &o);
		ncm_dev_out_clear(&o);
		ncm_dev_topic(gens[i], ID, NCM_DT_ACCEPTED, acc, sizeof(acc));
		if (gens[i] == NCM_DEV_G3) {
			const char *tf = "{\"tf\":{\"nrfcloud_mqtt_topic_prefix\":\"" PFX "\","
					 "\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":\"x/d2c\","
					 "\"c2d\":\"x/c2d\"}}}}";
			ncm_dev_on_message(&d, acc, tf, strlen(tf), 0, &o);
		} else {
			const char *doc = "{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"" PFX "\","
					  "\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":"
					  "\"x/d2c\",\"c2d\":\"x/c2d\"}}}}";
			ncm_dev_on_message(&d, acc, doc, strlen(doc), 0, &o);
		}
		a = find(&o, NCM_ACT_PUBLISH, 0);
		ck_assert_int_eq(a->tag, NCM_TAG_PAIRING);
		ck_assert_str_eq(a->topic, gens[i] == NCM_DEV_G1 ? "$aws/things/" ID "/shadow/update"
								 : ID "/shadow/update");
		j = payload(a);
		rep = json_object_get(json_object_get(j, "state"), "reported");
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
					 json_object_get(rep, "pairing"), "topics"), "c2d")),
				 "x/+/r");
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
					 json_object_get(json_object_get(j, "state"), "desired"),
					 "pairing"), "topics"), "c2d")),
				 "x/+/r");
		ck_assert_int_eq(json_integer_value(json_object_get(
					 json_object_get(rep, "connection"), "keepalive")), 1200);
		ck_assert_int_eq(json_object_get(rep, "device") != NULL, gens[i] != NCM_DEV_G1);
		ck_assert_int_eq(json_object_get(json_object_get(rep, "control"), "memfaultEn") != NULL,
				 gens[i] == NCM_DEV_G3);
		if (gens[i] != NCM_DEV_G1)
			ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
						 json_object_get(json_object_get(rep, "device"),
								 "serviceInfo"), "fota_v2"), 1)),
					 "MODEM");
		json_decref(j);
		ncm_dev_out_release(&o);
		ncm_dev_release(&d);
	}
}
END_TEST

START_TEST(g3_requests_the_pairing_transform)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G3);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	struct ncm_dev_act *a;
	json_t *j;
	int g = 1;

	ncm_dev_init(&d, &p, ID, 0);
	ncm_dev_boot(&d, 0, &o);
	ncm_dev_on_connack(&d, 0, 0, 0, &o);
	a = find(&o, NCM_ACT_SUBSCRIBE, 0);
	ck_assert_uint_eq(a->n_topics, 4);
	ck_assert_str_eq(a->topics[3], ID "/shadow/update/delta/trim/err");
	ncm_dev_out_clear(&o);
	ncm_dev_on_suback(&d, NCM_TAG_SUB_CC, &g, 1, 0, &o);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, ID "/shadow/get/tf");
	j = payload(a);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "t")),
				     "state.desired.pairing"));
	ck_assert_ptr_null(json_object_get(j, "l"));
	json_decref(j);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

/* A config delta: how many control replies (tag 300) and config reports come back. */
static void delta_answers(enum ncm_dev_gen gen, const char *state, int *control, int *config,
			  json_t **control_doc)
{
	struct ncm_dev_profile p = prof(gen);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	char t[80], doc[300];
	size_t i;

	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_topic(gen, ID, NCM_DT_DELTA, t, sizeof(t));
	snprintf(doc, sizeof(doc), "{\"state\":%s,\"version\":7,\"timestamp\":1700000000}", state);
	ncm_dev_on_message(&d, t, doc, strlen(doc), 0, &o);
	*control = *config = 0;
	*control_doc = NULL;
	for (i = 0; i < o.n; i++) {
		if (o.a[i].kind != NCM_ACT_PUBLISH)
			continue;
		if (o.a[i].tag == NCM_TAG_SHADOW_REPORT) {
			(*control)++;
			json_decref(*control_doc);
			*control_doc = payload(&o.a[i]);
		} else if (strstr(o.a[i].payload, "\"config\"")) {
			(*config)++;
		}
	}
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}

START_TEST(ncs_2_5_answers_every_delta_with_its_control)
{
	int control, config;
	json_t *doc;

	delta_answers(NCM_DEV_G1, "{\"config\":{\"interval\":60}}", &control, &config, &doc);
	ck_assert_int_eq(control, 1);
	ck_assert_int_eq(config, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(doc, "state"), "reported"), "control"), "logLvl")), 1);
	json_decref(doc);
}
END_TEST

START_TEST(ncs_2_8_and_3_3_answer_only_control_deltas)
{
	int control, config;
	json_t *doc;

	delta_answers(NCM_DEV_G2, "{\"config\":{\"interval\":60}}", &control, &config, &doc);
	ck_assert_int_eq(control, 0);
	ck_assert_int_eq(config, 1);
	delta_answers(NCM_DEV_G3, "{\"config\":{\"interval\":60}}", &control, &config, &doc);
	ck_assert_int_eq(control, 0);
	delta_answers(NCM_DEV_G3, "{\"control\":{\"logLvl\":3,\"alertsEn\":true}}", &control,
		      &config, &doc);
	ck_assert_int_eq(control, 1);
	ck_assert(json_is_true(json_object_get(json_object_get(json_object_get(
		json_object_get(doc, "state"), "reported"), "control"), "alertsEn")));
	json_decref(doc);
}
END_TEST

START_TEST(invalid_control_is_rejected_with_nulls)
{
	int control, config;
	json_t *doc, *des;

	delta_answers(NCM_DEV_G2, "{\"control\":{\"logLvl\":9}}", &control, &config, &doc);
	ck_assert_int_eq(control, 1);
	des = json_object_get(json_object_get(json_object_get(doc, "state"), "desired"), "control");
	ck_assert(json_is_null(json_object_get(des, "logLvl")));
	ck_assert(json_is_null(json_object_get(des, "alertsEn")));
	json_decref(doc);
}
END_TEST

START_TEST(g2_drops_a_delta_without_version)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G2);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	const char *doc = "{\"state\":{\"config\":{\"a\":1}},\"timestamp\":1}";

	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, ID "/shadow/update/delta/full", doc, strlen(doc), 0, &o);
	ck_assert_uint_eq(count(&o, NCM_ACT_PUBLISH), 0);
	ck_assert_uint_eq(d.n_deltas, 0);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

START_TEST(persistent_session_skips_the_subscribes)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G2);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	struct ncm_dev_act *a;

	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ck_assert_int_eq(d.session_saved, 1);
	ncm_dev_on_disconnect(&d, 0, &o);
	a = find(&o, NCM_ACT_CONNECT, 0);
	ck_assert_int_eq(a->clean, 0);
	ck_assert_int_ge(a->delay_ms, 1000);
	ncm_dev_out_clear(&o);
	ncm_dev_on_connack(&d, 0, 1, 0, &o);
	ck_assert_uint_eq(count(&o, NCM_ACT_SUBSCRIBE), 0);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, ID "/shadow/get/trim");
	ncm_dev_out_clear(&o);
	ncm_dev_on_puback(&d, NCM_TAG_SHADOW_GET, 0, &o);
	ncm_dev_on_message(&d, ID "/shadow/get/accepted/trim", accepted_doc(),
			   strlen(accepted_doc()), 0, &o);
	ncm_dev_out_clear(&o);
	ncm_dev_on_puback(&d, NCM_TAG_PAIRING, 0, &o);
	ck_assert_uint_eq(count(&o, NCM_ACT_SUBSCRIBE), 0);
	ck_assert_int_eq(d.state, NCM_DEV_READY);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, PFX ID "/jobs/req");
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

START_TEST(backoff_doubles_up_to_the_cap)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G3);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	int64_t last = 0;
	int i;

	ncm_dev_init(&d, &p, ID, 3);
	for (i = 0; i < 10; i++) {
		struct ncm_dev_act *a;

		ncm_dev_on_disconnect(&d, 0, &o);
		a = find(&o, NCM_ACT_CONNECT, 0);
		ck_assert_int_le(a->delay_ms, 64000 * 3 / 2);
		if (i < 5)
			ck_assert_int_gt(a->delay_ms, last);
		last = a->delay_ms;
		ncm_dev_out_clear(&o);
	}
	ck_assert_int_ge(last, 64000);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

/* The FOTA status arrays published so far, as "st/detail" strings joined by spaces. */
static void statuses(struct ncm_dev_out *o, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		json_t *j;
		char one[40];

		if (o->a[i].kind != NCM_ACT_PUBLISH || o->a[i].tag != NCM_TAG_JOBS_UPDATE)
			continue;
		j = payload(&o->a[i]);
		if (json_is_integer(json_array_get(j, 2)))
			snprintf(one, sizeof(one), "%d/%d ", (int)json_integer_value(json_array_get(j, 1)),
				 (int)json_integer_value(json_array_get(j, 2)));
		else
			snprintf(one, sizeof(one), "%d/'%s' ", (int)json_integer_value(json_array_get(j, 1)),
				 json_string_value(json_array_get(j, 2)));
		strncat(buf, one, size - strlen(buf) - 1);
		json_decref(j);
	}
}

START_TEST(fota_downloads_in_pieces_resumes_and_reports_the_new_version)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G3);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 }, all = { 0 };
	struct ncm_dev_act *a;
	const char *job = "[\"job-1\",1,4000,\"fw.lab:8443\",\"team/MODEM*ab*mfw_nrf9160_1.3.5/f.bin\"]";
	static char img[4000];
	char st[512] = "";
	size_t i;
	long from;

	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
	for (i = 0; i < 8; i++) {
		a = find(&o, NCM_ACT_HTTP_GET, 0);
		if (!a)
			break;
		ck_assert_str_eq(a->payload, "https://fw.lab:8443/team/MODEM*ab*mfw_nrf9160_1.3.5/f.bin");
		ck_assert_int_le(a->to - a->from + 1, 1700);
		from = a->from;
		statuses(&o, st, sizeof(st));
		ncm_dev_out_clear(&o);
		if (i == 1) {
			/* a reset: the same piece is asked again */
			ncm_dev_on_http(&d, NCM_DL_FOTA, -1, 0, NULL, 0, 0, &o);
			a = find(&o, NCM_ACT_HTTP_GET, 0);
			ck_assert_int_eq(a->from, from);
			ncm_dev_out_clear(&o);
		}
		ncm_dev_on_http(&d, NCM_DL_FOTA, 206, 4000, img,
				(size_t)(from + 1700 > 4000 ? 4000 - from : 1700), 0, &o);
	}
	statuses(&o, st, sizeof(st));
	ck_assert_str_eq(st, "7/0 7/42 7/85 7/100 1/'' ");
	/* PUBACKs of the five updates: the reboot comes after the last */
	for (i = 0; i < 5; i++) {
		ncm_dev_out_clear(&o);
		ncm_dev_on_puback(&d, NCM_TAG_JOBS_UPDATE, 0, &o);
	}
	ck_assert_ptr_nonnull(find(&o, NCM_ACT_DISCONNECT, 0));
	ck_assert_str_eq(d.modem_fw, "mfw_nrf9160_1.3.5");
	ck_assert_int_eq(find(&o, NCM_ACT_CONNECT, 0)->clean, 1);
	ncm_dev_out_clear(&o);
	/* the next pairing: SUCCEEDED before the pairing report, which has the new version */
	ncm_dev_on_connack(&d, 0, 0, 0, &o);
	{
		int g = 1;

		ncm_dev_on_suback(&d, NCM_TAG_SUB_CC, &g, 1, 0, &o);
	}
	ncm_dev_on_puback(&d, NCM_TAG_SHADOW_GET, 0, &o);
	ncm_dev_out_clear(&o);
	{
		const char *tf = "{\"tf\":{\"nrfcloud_mqtt_topic_prefix\":\"" PFX "\",\"pairing\":"
				 "{\"state\":\"paired\",\"topics\":{\"d2c\":\"a/d2c\",\"c2d\":\"a/+/r\"}}}}";

		ncm_dev_on_message(&d, ID "/shadow/get/accepted/tf", tf, strlen(tf), 0, &o);
	}
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->payload, "[\"job-1\",3,\"\"]");
	a = find(&o, NCM_ACT_PUBLISH, 1);
	ck_assert_int_eq(a->tag, NCM_TAG_PAIRING);
	ck_assert_ptr_nonnull(strstr(a->payload, "\"modemFirmware\":\"mfw_nrf9160_1.3.5\""));
	ncm_dev_out_release(&o);
	ncm_dev_out_release(&all);
	ncm_dev_release(&d);
}
END_TEST

/* An MCUboot image (header, body, protected TLVs of prot bytes, the SHA-256 TLV) of 3000
 * bytes into img; returns its size. */
static size_t mcuboot_image(unsigned char *img, int prot)
{
	const size_t hdr = 32, body = 2800;
	size_t off, i, hashed;
	unsigned int n = 0;

	memset(img, 0, 3000);
	img[0] = 0x3d, img[1] = 0xb8, img[2] = 0xf3, img[3] = 0x96;
	img[8] = (unsigned char)hdr;
	img[10] = (unsigned char)prot;
	img[12] = (unsigned char)(body & 0xff), img[13] = (unsigned char)(body >> 8);
	for (i = hdr; i < hdr + body; i++)
		img[i] = (unsigned char)(i * 7);
	off = hdr + body;
	if (prot) {
		img[off] = 0x08, img[off + 1] = 0x69, img[off + 2] = (unsigned char)prot;
		img[off + 4] = 0x50, img[off + 6] = (unsigned char)(prot - 8); /* some TLV */
		off += (size_t)prot;
	}
	hashed = off;
	img[off] = 0x07, img[off + 1] = 0x69, img[off + 2] = 4 + 4 + 32;
	img[off + 4] = 0x10, img[off + 6] = 32;
	EVP_Digest(img, hashed, img + off + 8, &n, EVP_sha256(), NULL);
	return off + 8 + 32;
}

/* The whole image in 1700-byte pieces; the job statuses into st. */
static void download_all(struct ncm_dev *d, struct ncm_dev_out *o, const unsigned char *img,
			 size_t len, char *st, size_t size)
{
	struct ncm_dev_act *a;

	while ((a = find(o, NCM_ACT_HTTP_GET, 0))) {
		long from = a->from, to = a->to;

		statuses(o, st, size);
		ncm_dev_out_clear(o);
		ncm_dev_on_http(d, NCM_DL_FOTA, 206, (long)len, img + from, (size_t)(to - from + 1), 0,
				o);
	}
	statuses(o, st, size);
}

/* APP images are MCUboot images: their SHA-256 TLV must match what was downloaded (a
 * firmware_corrupt fault flips bytes: FAILED "Error applying update", no reboot). */
START_TEST(fota_checks_the_mcuboot_image_sha256)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G3);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	static unsigned char img[3000];
	char job[200], st[512];
	size_t len;
	int prot;

	for (prot = 0; prot <= 16; prot += 16) {
		len = mcuboot_image(img, prot);
		snprintf(job, sizeof(job), "[\"job-%d\",0,%zu,\"h\",\"t/APP*1*v2.0.0/app.bin\"]", prot,
			 len);
		ncm_dev_init(&d, &p, ID, 0);
		connect_fresh(&d, &o);
		ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
		st[0] = 0;
		download_all(&d, &o, img, len, st, sizeof(st));
		ck_assert_msg(strstr(st, " 7/100 1/'' ") && !strstr(st, "2/"), "%s", st);
		ck_assert_int_eq(d.n_errors, 0);
		ncm_dev_out_clear(&o);
		ncm_dev_release(&d);

		img[1500] ^= 0xff;
		ncm_dev_init(&d, &p, ID, 0);
		connect_fresh(&d, &o);
		ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
		st[0] = 0;
		download_all(&d, &o, img, len, st, sizeof(st));
		ck_assert_msg(strstr(st, " 7/100 2/'Error applying update' "), "%s", st);
		ck_assert_msg(!strstr(st, "1/"), "%s", st);
		ck_assert_int_eq(d.n_errors, 1);
		ck_assert_int_eq(d.fota.state, NCM_FOTA_IDLE);
		ncm_dev_out_clear(&o);
		ncm_dev_release(&d);
	}
	/* a MODEM image is not an MCUboot image: no check */
	snprintf(job, sizeof(job), "[\"job-m\",1,%zu,\"h\",\"t/MODEM*1*mfw/m.bin\"]", len);
	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
	st[0] = 0;
	download_all(&d, &o, img, len, st, sizeof(st));
	ck_assert_msg(strstr(st, " 7/100 1/'' "), "%s", st);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

/* NCS <= v2.1 (--ncs 2.1): the literal c2d topic is kept, cell positions are asked with
 * CELL_POS and answered on c2d, A-GPS data arrives on c2d as binary. */
START_TEST(ncs_2_1_sends_cell_pos_and_reads_answers_on_c2d)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G1);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	struct ncm_dev_act *a;
	json_t *j;
	const char *ans = "{\"appId\":\"CELL_POS\",\"messageType\":\"DATA\",\"data\":"
			  "{\"lat\":63.4,\"lon\":10.4,\"uncertainty\":300}}";
	static const unsigned char agps[] = { 1, 4, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8 };

	p.ncs = "2.1";
	p.pre_v22 = 1;
	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ck_assert_int_eq(ncm_dev_request_ground_fix(&d, 0, &o), 0);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_str_eq(a->topic, PFX "m/d/" ID "/d2c");
	j = payload(a);
	ck_assert_str_eq(json_string_value(json_object_get(j, "appId")), "CELL_POS");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "data"), "lte"));
	json_decref(j);
	ncm_dev_out_clear(&o);
	ncm_dev_on_message(&d, PFX "m/d/" ID "/c2d", ans, strlen(ans), 0, &o);
	a = find(&o, NCM_ACT_EVENT, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(strstr(a->payload, "\"ev\":\"location\"") && strstr(a->payload, "\"lon\":10.4"),
		      "%s", a->payload);
	ck_assert_int_eq(d.n_c2d, 0);
	ncm_dev_out_clear(&o);
	ck_assert_int_eq(ncm_dev_request_agnss(&d, 0, &o), 0);
	a = find(&o, NCM_ACT_PUBLISH, 0);
	ck_assert_ptr_nonnull(strstr(a->payload, "\"appId\":\"AGPS\""));
	ncm_dev_out_clear(&o);
	ncm_dev_on_message(&d, PFX "m/d/" ID "/c2d", agps, sizeof(agps), 0, &o);
	ck_assert_int_eq(d.agnss.parts, 1);
	ck_assert_int_eq(d.agnss.counts[4], 1);
	ck_assert_int_eq(d.n_errors, 0);
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

START_TEST(fota_reject_and_fail_at)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G2);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	const char *job = "[\"job-2\",0,3400,\"h\",\"t/APP*1*v2/app.bin\"]";
	const char *bad = "[\"job-3\",5,100,\"h\",\"p\"]";
	static char img[1700];
	char st[256] = "";

	p.fota = NCM_FOTA_REJECT;
	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
	statuses(&o, st, sizeof(st));
	ck_assert_str_eq(st, "6/'' ");
	ncm_dev_release(&d);
	ncm_dev_out_clear(&o);

	p.fota = NCM_FOTA_FAIL_AT;
	p.fota_fail_pct = 50;
	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, PFX ID "/jobs/rcv", bad, strlen(bad), 0, &o);
	ncm_dev_on_message(&d, PFX ID "/jobs/rcv", job, strlen(job), 0, &o);
	ncm_dev_on_http(&d, NCM_DL_FOTA, 206, 3400, img, 1700, 0, &o);
	st[0] = 0;
	statuses(&o, st, sizeof(st));
	ck_assert_str_eq(st, "6/'FOTA type not supported' 7/0 2/'Error during download' ");
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

START_TEST(agnss_check_reads_schema_v1_blocks)
{
	uint8_t ok[1 + 3 + 14 + 3 + 8] = { 1, 1, 1, 0 };
	uint8_t bad[] = { 1, 2, 2, 0, 0 };
	unsigned counts[16] = { 0 };
	uint32_t types = 0;
	char why[128];

	ok[18] = 4;
	ok[19] = 1;
	ck_assert_int_eq(ncm_dev_agnss_check(ok, sizeof(ok), counts, &types, why, sizeof(why)), 0);
	ck_assert_uint_eq(counts[1], 1);
	ck_assert_uint_eq(counts[4], 1);
	ck_assert_uint_eq(types, (1u << 1) | (1u << 4));
	ck_assert_int_eq(ncm_dev_agnss_check(bad, sizeof(bad), counts, &types, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "do not fit"));
	bad[0] = 2;
	ck_assert_int_eq(ncm_dev_agnss_check(bad, sizeof(bad), counts, &types, why, sizeof(why)), -1);
}
END_TEST

START_TEST(discon_message_disconnects_and_reconnects_later)
{
	struct ncm_dev_profile p = prof(NCM_DEV_G3);
	struct ncm_dev d;
	struct ncm_dev_out o = { 0 };
	const char *m = "{\"appId\":\"DEVICE\",\"messageType\":\"DISCON\"}";

	ncm_dev_init(&d, &p, ID, 0);
	connect_fresh(&d, &o);
	ncm_dev_on_message(&d, PFX "m/d/" ID "/c2d/r", m, strlen(m), 0, &o);
	ck_assert_ptr_nonnull(find(&o, NCM_ACT_DISCONNECT, 0));
	ck_assert_ptr_nonnull(find(&o, NCM_ACT_CONNECT, 0));
	ncm_dev_out_release(&o);
	ncm_dev_release(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, g1_subscribes_aws_topics_and_gets_with_an_empty_publish);
	tcase_add_test(tc, pairing_report_rewrites_c2d_and_sends_info_from_2_6);
	tcase_add_test(tc, g3_requests_the_pairing_transform);
	tcase_add_test(tc, ncs_2_5_answers_every_delta_with_its_control);
	tcase_add_test(tc, ncs_2_8_and_3_3_answer_only_control_deltas);
	tcase_add_test(tc, invalid_control_is_rejected_with_nulls);
	tcase_add_test(tc, g2_drops_a_delta_without_version);
	tcase_add_test(tc, persistent_session_skips_the_subscribes);
	tcase_add_test(tc, backoff_doubles_up_to_the_cap);
	tcase_add_test(tc, fota_downloads_in_pieces_resumes_and_reports_the_new_version);
	tcase_add_test(tc, fota_reject_and_fail_at);
	tcase_add_test(tc, fota_checks_the_mcuboot_image_sha256);
	tcase_add_test(tc, ncs_2_1_sends_cell_pos_and_reads_answers_on_c2d);
	tcase_add_test(tc, agnss_check_reads_schema_v1_blocks);
	tcase_add_test(tc, discon_message_disconnects_and_reconnects_later);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
