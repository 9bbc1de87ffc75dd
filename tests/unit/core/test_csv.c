/* SPDX-License-Identifier: MIT
 * test_csv.c: the onboarding CSV parser, its row checks and ULIDs (core/csv.c,
 * docs/protocol-rest.md#onboarding).
 */
#include <check.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "devid.h"

/* A real self-signed P-256 certificate and its public key, as UTILS reads them from files
 * (line breaks kept, a final line break included). */
#define CERT \
	"-----BEGIN CERTIFICATE-----\n" \
	"MIIBkDCCATegAwIBAgIUflN1b6bDA8v0k0ik+UG2OQ/xElIwCgYIKoZIzj0EAwIw\n" \
	"HjEcMBoGA1UEAwwTbnJmLTM1MjY1NjEwMDAwMDAwMTAeFw0yNjExMjgxNTU1MzJa\n" \
	"Fw0zNjExMjUxNTU1MzJaMB4xHDAaBgNVBAMME25yZi0zNTI2NTYxMDAwMDAwMDEw\n" \
	"WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARrfcEKLQCmQEDJLtkheOeQiDhm/mau\n" \
	"SmhtALZ1JHUk2vqxw6qFJhCLff9Q9fXK64vEGmrkao8bk2/WjvKY3/d4o1MwUTAd\n" \
	"BgNVHQ4EFgQUGZapiKUhUhvnhD0Z0IRJ01jZMLMwHwYDVR0jBBgwFoAUGZapiKUh\n" \
	"UhvnhD0Z0IRJ01jZMLMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE\n" \
	"AiBnVAd/pS5VgGvhELPSKAxLEuKqMOKQBR7+lY3snyrfCQIgTy51jZ77AYiKjc2X\n" \
	"clPRrNC/JgNiU1vro04JOIkHl6I=\n" \
	"-----END CERTIFICATE-----\n"

#define PUBKEY \
	"-----BEGIN PUBLIC KEY-----\n" \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa33BCi0ApkBAyS7ZIXjnkIg4Zv5m\n" \
	"rkpobQC2dSR1JNr6scOqhSYQi33/UPX1yuuLxBpq5GqPG5Nv1o7ymN/3eA==\n" \
	"-----END PUBLIC KEY-----\n"

#define ID "nrf-352656100000001"

static int parse_str(const char *text, struct ncm_csv *csv, struct ncm_err_info *err)
{
	return ncm_csv_parse(text, strlen(text), csv, err);
}

/* Parses text that must hold exactly one row. */
static void parse_one(const char *text, struct ncm_csv *csv)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(parse_str(text, csv, &err) == NCM_OK, "%s", err.msg);
	ck_assert_uint_eq(csv->n_rows, 1);
}

START_TEST(utils_single_row_form_with_a_multi_line_pem_parses_into_five_fields)
{
	/* UTILS: f'{id},{subType},{tags},{fwTypes},"{pem}"\n' */
	const char *body = ID ",mesh-gateway,lab|bench,APP|MODEM,\"" CERT "\"\n";
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };

	parse_one(body, &csv);
	ck_assert_uint_eq(csv.rows[0].n_fields, 5);
	ck_assert_str_eq(csv.rows[0].fields[0], ID);
	ck_assert_str_eq(csv.rows[0].fields[1], "mesh-gateway");
	ck_assert_str_eq(csv.rows[0].fields[2], "lab|bench");
	ck_assert_str_eq(csv.rows[0].fields[3], "APP|MODEM");
	ck_assert_str_eq(csv.rows[0].fields[4], CERT);

	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_str_eq(row.device_id, ID);
	ck_assert_str_eq(row.sub_type, "mesh-gateway");
	ck_assert_uint_eq(row.n_tags, 2);
	ck_assert_str_eq(row.tags[0], "lab");
	ck_assert_str_eq(row.tags[1], "bench");
	ck_assert_uint_eq(row.n_fw_types, 2);
	ck_assert_str_eq(row.fw_types[0], "APP");
	ck_assert_str_eq(row.fw_types[1], "MODEM");
	ck_assert_str_eq(row.pem, CERT);
	ck_assert_int_eq(row.is_public_key, 0);
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(lf_and_crlf_line_ends_give_the_same_rows)
{
	const char *lf = "a,b\nc,d\n\"e\nf\",g\n";
	const char *crlf = "a,b\r\nc,d\r\n\"e\nf\",g\r\n";
	struct ncm_csv x, y;
	size_t i, j;

	ck_assert_int_eq(parse_str(lf, &x, NULL), NCM_OK);
	ck_assert_int_eq(parse_str(crlf, &y, NULL), NCM_OK);
	ck_assert_uint_eq(x.n_rows, 3);
	ck_assert_uint_eq(y.n_rows, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(x.rows[i].n_fields, 2);
		ck_assert_uint_eq(y.rows[i].n_fields, 2);
		for (j = 0; j < 2; j++)
			ck_assert_str_eq(x.rows[i].fields[j], y.rows[i].fields[j]);
	}
	ck_assert_str_eq(x.rows[2].fields[0], "e\nf");
	ck_assert_str_eq(x.rows[1].fields[1], "d");
	ncm_csv_release(&x);
	ncm_csv_release(&y);
}
END_TEST

START_TEST(a_crlf_inside_quotes_is_kept_as_it_is)
{
	struct ncm_csv csv;

	parse_one("a,\"x\r\ny\"\r\n", &csv);
	ck_assert_str_eq(csv.rows[0].fields[1], "x\r\ny");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(quoted_commas_and_doubled_quotes_are_data)
{
	struct ncm_csv csv;

	parse_one("\"a,b\",\"say \"\"hi\"\"\",\"\",\"\"\"\",plain", &csv);
	ck_assert_uint_eq(csv.rows[0].n_fields, 5);
	ck_assert_str_eq(csv.rows[0].fields[0], "a,b");
	ck_assert_str_eq(csv.rows[0].fields[1], "say \"hi\"");
	ck_assert_str_eq(csv.rows[0].fields[2], "");
	ck_assert_str_eq(csv.rows[0].fields[3], "\"");
	ck_assert_str_eq(csv.rows[0].fields[4], "plain");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(empty_fields_and_a_trailing_comma_count)
{
	struct ncm_csv csv;

	parse_one("a,,b,", &csv);
	ck_assert_uint_eq(csv.rows[0].n_fields, 4);
	ck_assert_str_eq(csv.rows[0].fields[1], "");
	ck_assert_str_eq(csv.rows[0].fields[3], "");
	ncm_csv_release(&csv);
	parse_one(",", &csv);
	ck_assert_uint_eq(csv.rows[0].n_fields, 2);
	ncm_csv_release(&csv);
	parse_one("\"\"\n", &csv);
	ck_assert_uint_eq(csv.rows[0].n_fields, 1);
	ck_assert_str_eq(csv.rows[0].fields[0], "");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(the_final_line_break_is_optional)
{
	const char *bodies[] = { "a,b\nc,d", "a,b\nc,d\n", "a,b\r\nc,d", "a,b\r\nc,d\r\n",
				 "a,b\n\"c\",\"d\"", "a,b\n\"c\",\"d\"\n" };
	struct ncm_csv csv;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		ck_assert_int_eq(parse_str(bodies[i], &csv, NULL), NCM_OK);
		ck_assert_uint_eq(csv.n_rows, 2);
		ck_assert_uint_eq(csv.rows[1].n_fields, 2);
		ck_assert_str_eq(csv.rows[1].fields[0], "c");
		ck_assert_str_eq(csv.rows[1].fields[1], "d");
		ncm_csv_release(&csv);
	}
}
END_TEST

struct parse_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	int code;
	const char *msg;
};

START_TEST(each_parser_error_has_its_message_and_0_based_row)
{
	static const struct parse_case cases[] = {
		{ "\"abc", 0, NCM_ERR_INVAL, "row 0: unterminated quote" },
		{ "a\nb\n\"x,y\n", 0, NCM_ERR_INVAL, "row 2: unterminated quote" },
		{ "\"a\"\"", 0, NCM_ERR_INVAL, "row 0: unterminated quote" },
		{ "ab\"c", 0, NCM_ERR_INVAL, "row 0: quote inside an unquoted field" },
		{ "a,b\nc,d\"", 0, NCM_ERR_INVAL, "row 1: quote inside an unquoted field" },
		{ "a\n\"b\"c", 0, NCM_ERR_INVAL, "row 1: text after closing quote" },
		{ "\"b\" ,c", 0, NCM_ERR_INVAL, "row 0: text after closing quote" },
		{ "\"b\"\"c\"d", 0, NCM_ERR_INVAL, "row 0: text after closing quote" },
		{ "\n", 0, NCM_ERR_INVAL, "row 0: blank line" },
		{ "\r\n", 0, NCM_ERR_INVAL, "row 0: blank line" },
		{ "\na", 0, NCM_ERR_INVAL, "row 0: blank line" },
		{ "a\n\nb", 0, NCM_ERR_INVAL, "row 1: blank line" },
		{ "a\r\n\r\nb", 0, NCM_ERR_INVAL, "row 1: blank line" },
		{ "a\nb\n\n", 0, NCM_ERR_INVAL, "row 2: blank line" },
		{ "a,b,c,d,e,f,g,h,i", 0, NCM_ERR_INVAL, "row 0: more than 8 fields" },
		{ "x\na,b,c,d,e,f,g,h,", 0, NCM_ERR_INVAL, "row 1: more than 8 fields" },
		{ "", 0, NCM_ERR_INVAL, "empty body" },
		{ "a\0b", 3, NCM_ERR_INVAL, "row 0: NUL byte" },
		{ "a\n\"x\0y\"", 7, NCM_ERR_INVAL, "row 1: NUL byte" },
		{ "\"x\"\0", 4, NCM_ERR_INVAL, "row 0: NUL byte" },
		{ "\0", 1, NCM_ERR_INVAL, "row 0: NUL byte" },
		{ "a\rb", 0, NCM_ERR_INVAL, "row 0: carriage return without a line feed" },
		{ "a,b\r", 0, NCM_ERR_INVAL, "row 0: carriage return without a line feed" },
		{ "\"a\"\r", 0, NCM_ERR_INVAL, "row 0: carriage return without a line feed" },
	};
	struct ncm_csv csv;
	struct ncm_err_info err;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		memset(&err, 0, sizeof(err));
		csv.rows = (struct ncm_csv_row *)&csv; /* garbage that must be reset */
		csv.n_rows = 77;
		ck_assert_msg(ncm_csv_parse(cases[i].text, len, &csv, &err) == cases[i].code,
			      "case %zu", i);
		ck_assert_int_eq(err.code, cases[i].code);
		ck_assert_msg(strcmp(err.msg, cases[i].msg) == 0, "case %zu: '%s' != '%s'", i,
			      err.msg, cases[i].msg);
		ck_assert_ptr_null(csv.rows);
		ck_assert_uint_eq(csv.n_rows, 0);
		ncm_csv_release(&csv);
	}
	ck_assert_int_eq(ncm_csv_parse(NULL, 5, &csv, &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "empty body");
	ck_assert_int_eq(ncm_csv_parse("a", 1, NULL, NULL), NCM_ERR_INVAL);
}
END_TEST

/* n rows of the UTILS form, each with its own device ID and the certificate. */
static char *many_rows(size_t n, size_t *len)
{
	const char *tail = ",,,,\"" CERT "\"\r\n";
	size_t row_max = 32 + strlen(tail), i, off = 0;
	char *buf = malloc(n * row_max + 1);

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, row_max + 1, "dev-%zu%s", i, tail);
	*len = off;
	return buf;
}

START_TEST(a_thousand_pem_rows_parse_and_a_thousand_and_one_are_too_big)
{
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };
	char id[32];
	size_t len, i;
	char *body = many_rows(NCM_CSV_MAX_ROWS + 1, &len);
	size_t len_1000 = (size_t)(strstr(body, "dev-1000,") - body);

	ck_assert_msg(ncm_csv_parse(body, len_1000, &csv, &err) == NCM_OK, "%s", err.msg);
	ck_assert_uint_eq(csv.n_rows, NCM_CSV_MAX_ROWS);
	for (i = 0; i < csv.n_rows; i++) {
		ck_assert_msg(ncm_csv_onboard_row(&csv.rows[i], i, NCM_ONBOARD_DEVICES, &row,
						  &err) == NCM_OK, "%s", err.msg);
		snprintf(id, sizeof(id), "dev-%zu", i);
		ck_assert_str_eq(row.device_id, id);
		ck_assert_str_eq(row.pem, CERT);
	}
	ncm_csv_release(&csv);

	ck_assert_int_eq(ncm_csv_parse(body, len, &csv, &err), NCM_ERR_TOO_BIG);
	ck_assert_int_eq(err.code, NCM_ERR_TOO_BIG);
	ck_assert_str_eq(err.msg, "more than 1000 rows");
	ck_assert_ptr_null(csv.rows);
	ck_assert_uint_eq(csv.n_rows, 0);
	free(body);
}
END_TEST

struct row_case {
	enum ncm_onboard_kind kind;
	const char *text;
	const char *msg;
};

START_TEST(each_row_check_failure_has_its_exact_message)
{
	static const struct row_case cases[] = {
		{ NCM_ONBOARD_DEVICES, ID ",\"" CERT "\"", "[3]: expected 5 fields, got 2" },
		{ NCM_ONBOARD_DEVICES, ID ",,,,,\"" CERT "\"", "[3]: expected 5 fields, got 6" },
		{ NCM_ONBOARD_CERTIFICATES, ID ",,,,\"" CERT "\"",
		  "[3]: expected 2 fields, got 5" },
		{ NCM_ONBOARD_PUBLIC_KEYS, ID, "[3]: expected 2 fields, got 1" },
		{ NCM_ONBOARD_DEVICES, "a b,,,,\"" CERT "\"", "[3]: invalid deviceId 'a b'" },
		{ NCM_ONBOARD_DEVICES, ",,,,\"" CERT "\"", "[3]: invalid deviceId ''" },
		{ NCM_ONBOARD_DEVICES, "dev/1,,,,\"" CERT "\"", "[3]: invalid deviceId 'dev/1'" },
		{ NCM_ONBOARD_CERTIFICATES, "\"a\nb\",\"" CERT "\"",
		  "[3]: invalid deviceId 'a?b'" },
		{ NCM_ONBOARD_PUBLIC_KEYS, "d\xc3\xa9v,\"" PUBKEY "\"",
		  "[3]: invalid deviceId 'd??v'" },
		{ NCM_ONBOARD_DEVICES, ID ",sub type,,,\"" CERT "\"", "[3]: invalid subType" },
		{ NCM_ONBOARD_DEVICES, ID ",a|b,,,\"" CERT "\"", "[3]: invalid subType" },
		{ NCM_ONBOARD_DEVICES, ID ",,ok|bad tag,,\"" CERT "\"",
		  "[3]: invalid tag 'bad tag'" },
		{ NCM_ONBOARD_DEVICES, ID ",,a||b,,\"" CERT "\"", "[3]: invalid tag ''" },
		{ NCM_ONBOARD_DEVICES, ID ",,a|,,\"" CERT "\"", "[3]: invalid tag ''" },
		{ NCM_ONBOARD_DEVICES, ID ",,|a,,\"" CERT "\"", "[3]: invalid tag ''" },
		{ NCM_ONBOARD_DEVICES, ID ",,\"a,b\",,\"" CERT "\"", "[3]: invalid tag 'a,b'" },
		{ NCM_ONBOARD_DEVICES, ID ",,a/b,,\"" CERT "\"", "[3]: invalid tag 'a/b'" },
		{ NCM_ONBOARD_DEVICES, ID ",,,app,\"" CERT "\"",
		  "[3]: unknown firmware type 'app'" },
		{ NCM_ONBOARD_DEVICES, ID ",,,APP|FOO,\"" CERT "\"",
		  "[3]: unknown firmware type 'FOO'" },
		{ NCM_ONBOARD_DEVICES, ID ",,,APP|,\"" CERT "\"",
		  "[3]: unknown firmware type ''" },
		{ NCM_ONBOARD_DEVICES, ID ",,,APPS,\"" CERT "\"",
		  "[3]: unknown firmware type 'APPS'" },
		{ NCM_ONBOARD_DEVICES, ID ",,,MDM,\"" CERT "\"",
		  "[3]: unknown firmware type 'MDM'" },
		{ NCM_ONBOARD_DEVICES, ID ",,,APP|APP|APP|APP|APP|APP|APP|APP|APP,\"" CERT "\"",
		  "[3]: more than 8 firmware types" },
		{ NCM_ONBOARD_DEVICES, ID ",,,,hello", "[3]: not a certificate or public key PEM" },
		{ NCM_ONBOARD_DEVICES, ID ",,,,", "[3]: not a certificate or public key PEM" },
		{ NCM_ONBOARD_DEVICES, ID ",,,,\"-----BEGIN PRIVATE KEY-----\nAAAA\n\"",
		  "[3]: not a certificate or public key PEM" },
		{ NCM_ONBOARD_DEVICES, ID ",,,,\"x-----BEGIN CERTIFICATE-----\n\"",
		  "[3]: not a certificate or public key PEM" },
		{ NCM_ONBOARD_CERTIFICATES, ID ",\"" PUBKEY "\"", "[3]: not a certificate PEM" },
		{ NCM_ONBOARD_CERTIFICATES, ID ",", "[3]: not a certificate PEM" },
		{ NCM_ONBOARD_PUBLIC_KEYS, ID ",\"" CERT "\"", "[3]: not a public key PEM" },
		{ NCM_ONBOARD_PUBLIC_KEYS, ID ",\"-----BEGIN PUBLIC KEY----\"",
		  "[3]: not a public key PEM" },
	};
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_one(cases[i].text, &csv);
		memset(&err, 0, sizeof(err));
		ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 3, cases[i].kind, &row, &err) ==
			      NCM_ERR_INVAL, "case %zu", i);
		ck_assert_int_eq(err.code, NCM_ERR_INVAL);
		ck_assert_msg(strcmp(err.msg, cases[i].msg) == 0, "case %zu: '%s' != '%s'", i,
			      err.msg, cases[i].msg);
		ncm_csv_release(&csv);
	}
}
END_TEST

START_TEST(long_values_are_quoted_up_to_64_characters)
{
	char body[2048], id[140], tag[100], q[65];
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err;

	memset(id, 'a', 129);
	id[129] = '\0';
	memset(q, 'a', 64);
	q[64] = '\0';
	snprintf(body, sizeof(body), "%s,,,,\"%s\"", id, CERT);
	parse_one(body, &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "[0]: invalid deviceId 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				  "aaaaaaaaaaaaaaaaaaaaaaaa'");
	ncm_csv_release(&csv);

	/* 128 characters is the longest valid ID. */
	id[128] = '\0';
	snprintf(body, sizeof(body), "%s,,,,\"%s\"", id, CERT);
	parse_one(body, &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_OK);
	ncm_csv_release(&csv);

	memset(tag, 'b', 90);
	tag[89] = ' ';
	tag[90] = '\0';
	snprintf(body, sizeof(body), "x,,ok|%s,,\"%s\"", tag, CERT);
	parse_one(body, &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 7, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_ERR_INVAL);
	memset(q, 'b', 64);
	ck_assert_uint_eq(strlen(err.msg), strlen("[7]: invalid tag ''") + 64);
	ck_assert_ptr_nonnull(strstr(err.msg, q));
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(sub_type_of_799_characters_is_valid_and_800_is_not)
{
	static const char allowed[] = "aZ09_.,@/:#-";
	char body[2048], sub[801];
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err;
	size_t i;

	for (i = 0; i < 800; i++)
		sub[i] = allowed[i % (sizeof(allowed) - 1)];
	sub[799] = '\0';
	snprintf(body, sizeof(body), "x,\"%s\",,,\"%s\"", sub, CERT);
	parse_one(body, &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_str_eq(row.sub_type, sub);
	ncm_csv_release(&csv);

	sub[799] = 'a';
	sub[800] = '\0';
	snprintf(body, sizeof(body), "x,\"%s\",,,\"%s\"", sub, CERT);
	parse_one(body, &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "[0]: invalid subType");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(pipe_separated_tags_and_fw_types_are_split)
{
	static const char *const all[] = { "APP", "MODEM", "BOOT", "SOFTDEVICE", "BOOTLOADER",
					   "MDM_FULL" };
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };
	size_t i;

	parse_one("d1,Generic,a.b|c@d|e:f|g#h|i-j|k_l|Z9,"
		  "MDM_FULL|BOOTLOADER|SOFTDEVICE|BOOT|MODEM|APP,\"" CERT "\"", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_uint_eq(row.n_tags, 7);
	ck_assert_str_eq(row.tags[0], "a.b");
	ck_assert_str_eq(row.tags[1], "c@d");
	ck_assert_str_eq(row.tags[2], "e:f");
	ck_assert_str_eq(row.tags[3], "g#h");
	ck_assert_str_eq(row.tags[4], "i-j");
	ck_assert_str_eq(row.tags[5], "k_l");
	ck_assert_str_eq(row.tags[6], "Z9");
	ck_assert_uint_eq(row.n_fw_types, 6);
	for (i = 0; i < 6; i++)
		ck_assert_str_eq(row.fw_types[i], all[5 - i]);
	ncm_csv_release(&csv);

	/* One tag and one type: nothing to split. */
	parse_one("d1,,solo,MODEM,\"" CERT "\"", &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_OK);
	ck_assert_uint_eq(row.n_tags, 1);
	ck_assert_str_eq(row.tags[0], "solo");
	ck_assert_uint_eq(row.n_fw_types, 1);
	ck_assert_str_eq(row.fw_types[0], "MODEM");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(thirty_two_tags_and_eight_fw_types_are_the_most)
{
	char body[4096], tags[200];
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };
	size_t i, off = 0;

	for (i = 0; i < 32; i++)
		off += (size_t)snprintf(tags + off, sizeof(tags) - off, "%st%zu", i ? "|" : "", i);
	snprintf(body, sizeof(body), "d,,%s,APP|APP|MODEM|MODEM|BOOT|BOOT|APP|APP,\"%s\"", tags,
		 CERT);
	parse_one(body, &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_uint_eq(row.n_tags, 32);
	ck_assert_str_eq(row.tags[31], "t31");
	ck_assert_uint_eq(row.n_fw_types, 8);
	ncm_csv_release(&csv);

	snprintf(body, sizeof(body), "d,,%s|t32,,\"%s\"", tags, CERT);
	parse_one(body, &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 5, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "[5]: more than 32 tags");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(empty_optional_fields_are_absent_and_fw_types_default_to_all_six)
{
	static const char *const all[] = { "APP", "MODEM", "BOOT", "SOFTDEVICE", "BOOTLOADER",
					   "MDM_FULL" };
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };
	size_t i;

	parse_one(ID ",,,,\"" CERT "\"\n", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_ptr_null(row.sub_type);
	ck_assert_uint_eq(row.n_tags, 0);
	ck_assert_uint_eq(row.n_fw_types, 6);
	for (i = 0; i < 6; i++)
		ck_assert_str_eq(row.fw_types[i], all[i]);
	ncm_csv_release(&csv);

	/* Quoted empties are empty too. */
	parse_one(ID ",\"\",\"\",\"\",\"" CERT "\"\n", &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_OK);
	ck_assert_ptr_null(row.sub_type);
	ck_assert_uint_eq(row.n_tags, 0);
	ck_assert_uint_eq(row.n_fw_types, 6);
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(public_key_rows_work_for_all_three_kinds)
{
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };

	parse_one(ID ",,,,\"" PUBKEY "\"\n", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_int_eq(row.is_public_key, 1);
	ck_assert_str_eq(row.pem, PUBKEY);
	ncm_csv_release(&csv);

	parse_one(ID ",\"" PUBKEY "\"\n", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_PUBLIC_KEYS, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_str_eq(row.device_id, ID);
	ck_assert_int_eq(row.is_public_key, 1);
	ck_assert_str_eq(row.pem, PUBKEY);
	ck_assert_ptr_null(row.sub_type);
	ck_assert_uint_eq(row.n_tags, 0);
	ck_assert_uint_eq(row.n_fw_types, 0);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 4, NCM_ONBOARD_CERTIFICATES, &row,
					     &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "[4]: not a certificate PEM");
	ncm_csv_release(&csv);

	parse_one(ID ",\"" CERT "\"\n", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_CERTIFICATES, &row,
					  &err) == NCM_OK, "%s", err.msg);
	ck_assert_int_eq(row.is_public_key, 0);
	ck_assert_str_eq(row.pem, CERT);
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(the_pem_may_follow_leading_whitespace)
{
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };

	parse_one(ID ",\" \r\n\t" PUBKEY "\"\r\n", &csv);
	ck_assert_msg(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_PUBLIC_KEYS, &row, &err) ==
		      NCM_OK, "%s", err.msg);
	ck_assert_str_eq(row.pem, PUBKEY);
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(a_failed_row_check_leaves_the_row_whole)
{
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err = { 0 };

	parse_one(ID ",,a|b|c,NOPE,\"" CERT "\"", &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_DEVICES, &row, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(csv.rows[0].fields[2], "a|b|c");
	ncm_csv_release(&csv);

	parse_one(ID ",,a|b|c,,\"" PUBKEY "\"", &csv);
	ck_assert_int_eq(ncm_csv_onboard_row(&csv.rows[0], 0, NCM_ONBOARD_CERTIFICATES, &row,
					     &err), NCM_ERR_INVAL);
	ck_assert_str_eq(csv.rows[0].fields[2], "a|b|c");
	ncm_csv_release(&csv);
}
END_TEST

START_TEST(ulid_of_known_times_and_bytes)
{
	static const unsigned char zero[10] = { 0 };
	static const unsigned char ones[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char top[10] = { 0x80 };
	static const unsigned char last[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21 };
	char out[27];

	ncm_ulid(0, zero, out);
	ck_assert_str_eq(out, "00000000000000000000000000");
	/* The ULID specification's example time. */
	ncm_ulid(1469918176385ULL, ones, out);
	ck_assert_str_eq(out, "01ARYZ6S41ZZZZZZZZZZZZZZZZ");
	/* 2^48 - 1 ms: 7 is 0b111 under the two zero bits, then 45 one bits. */
	ncm_ulid(0xffffffffffffULL, zero, out);
	ck_assert_str_eq(out, "7ZZZZZZZZZ0000000000000000");
	/* The first random bit is the top bit of character 10: 0b10000 = 16 = G. */
	ncm_ulid(1, top, out);
	ck_assert_str_eq(out, "0000000001G000000000000000");
	/* 0x21 = 0b00100001: the last character holds 0b00001 and the one before 0b00001. */
	ncm_ulid(31, last, out);
	ck_assert_str_eq(out, "000000000Z0000000000000011");
	/* Past 48 bits the time wraps rather than overflowing the 26 characters. */
	ncm_ulid(1ULL << 48, zero, out);
	ck_assert_str_eq(out, "00000000000000000000000000");
}
END_TEST

/* xorshift64*, so every run draws the same numbers. */
static uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

START_TEST(ulid_always_matches_the_pattern)
{
	regex_t re;
	unsigned char random[10];
	char out[27];
	uint64_t seed = 0x5eed, ms;
	size_t i, j;

	ck_assert_int_eq(regcomp(&re, "^[0-9A-HJKMNP-TV-Z]{26}$", REG_EXTENDED | REG_NOSUB), 0);
	for (i = 0; i < 10000; i++) {
		ms = rnd(&seed);
		if (i % 3 == 0)
			ms &= 0xffffffffffffULL;
		for (j = 0; j < sizeof(random); j++)
			random[j] = (unsigned char)rnd(&seed);
		memset(out, 'x', sizeof(out));
		ncm_ulid(ms, random, out);
		ck_assert_uint_eq(strlen(out), 26);
		ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "%s", out);
	}
	regfree(&re);
}
END_TEST

START_TEST(random_inputs_never_crash_or_leak)
{
	static const char alphabet[] = ",,,,\"\"\"\n\n\r||||aZ09-_:.@# \t";
	static const char *const pieces[] = { "-----BEGIN CERTIFICATE-----",
					      "-----BEGIN PUBLIC KEY-----", "APP", "MODEM",
					      "MDM_FULL", "\r\n", "\"\"", "dev-1" };
	static const enum ncm_onboard_kind kinds[] = { NCM_ONBOARD_PUBLIC_KEYS,
						       NCM_ONBOARD_CERTIFICATES,
						       NCM_ONBOARD_DEVICES };
	char buf[512];
	struct ncm_csv csv;
	struct ncm_onboard_row row;
	struct ncm_err_info err;
	uint64_t seed = 0xc5f00d;
	size_t iter, len, max, i, k, n_ok = 0, n_rows_ok = 0;
	int rc;

	for (iter = 0; iter < 20000; iter++) {
		max = (size_t)(rnd(&seed) % 300);
		len = 0;
		while (len < max) {
			uint64_t r = rnd(&seed);
			const char *piece;

			switch (r % 8) {
			case 0:
				buf[len++] = (char)(r >> 8);
				break;
			case 1:
				piece = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
				if (len + strlen(piece) <= sizeof(buf)) {
					memcpy(buf + len, piece, strlen(piece));
					len += strlen(piece);
				}
				break;
			default:
				buf[len++] = alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
				break;
			}
		}
		memset(&err, 0, sizeof(err));
		rc = ncm_csv_parse(buf, len, &csv, &err);
		if (rc) {
			ck_assert_ptr_null(csv.rows);
			ck_assert_uint_eq(csv.n_rows, 0);
			ck_assert_int_eq(err.code, rc);
			ck_assert_uint_gt(strlen(err.msg), 0);
			continue;
		}
		n_ok++;
		ck_assert_uint_ge(csv.n_rows, 1);
		ck_assert_uint_le(csv.n_rows, NCM_CSV_MAX_ROWS);
		for (i = 0; i < csv.n_rows; i++) {
			ck_assert_uint_ge(csv.rows[i].n_fields, 1);
			ck_assert_uint_le(csv.rows[i].n_fields, NCM_CSV_MAX_FIELDS);
			for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
				memset(&err, 0, sizeof(err));
				rc = ncm_csv_onboard_row(&csv.rows[i], i, kinds[k], &row, &err);
				if (rc) {
					ck_assert_int_eq(rc, NCM_ERR_INVAL);
					ck_assert_uint_gt(strlen(err.msg), 0);
					continue;
				}
				n_rows_ok++;
				ck_assert_int_eq(ncm_devid_check(row.device_id, NULL), NCM_OK);
				ck_assert_ptr_nonnull(row.pem);
				ck_assert_uint_le(row.n_tags, 32);
				ck_assert_uint_le(row.n_fw_types, 8);
			}
		}
		ncm_csv_release(&csv);
	}
	/* The generator must reach past the parser now and then. */
	ck_assert_uint_gt(n_ok, 100);
	ck_assert_uint_gt(n_rows_ok, 0);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* the fuzz loop and 1000 PEM rows are slow under valgrind */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("csv");
	SRunner *sr;
	int failed;

	ADD(s, utils_single_row_form_with_a_multi_line_pem_parses_into_five_fields);
	ADD(s, lf_and_crlf_line_ends_give_the_same_rows);
	ADD(s, a_crlf_inside_quotes_is_kept_as_it_is);
	ADD(s, quoted_commas_and_doubled_quotes_are_data);
	ADD(s, empty_fields_and_a_trailing_comma_count);
	ADD(s, the_final_line_break_is_optional);
	ADD(s, each_parser_error_has_its_message_and_0_based_row);
	ADD(s, a_thousand_pem_rows_parse_and_a_thousand_and_one_are_too_big);
	ADD(s, each_row_check_failure_has_its_exact_message);
	ADD(s, long_values_are_quoted_up_to_64_characters);
	ADD(s, sub_type_of_799_characters_is_valid_and_800_is_not);
	ADD(s, pipe_separated_tags_and_fw_types_are_split);
	ADD(s, thirty_two_tags_and_eight_fw_types_are_the_most);
	ADD(s, empty_optional_fields_are_absent_and_fw_types_default_to_all_six);
	ADD(s, public_key_rows_work_for_all_three_kinds);
	ADD(s, the_pem_may_follow_leading_whitespace);
	ADD(s, a_failed_row_check_leaves_the_row_whole);
	ADD(s, ulid_of_known_times_and_bytes);
	ADD(s, ulid_always_matches_the_pattern);
	ADD(s, random_inputs_never_crash_or_leak);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
