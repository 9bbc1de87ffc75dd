/* SPDX-License-Identifier: MIT
 * test_range.c: HTTP Range parsing for firmware downloads (core/range.c, docs/architecture.md#libmicrohttpd-facts,
 * docs/fota.md#image-download).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

/* One row: a header against a file size, and what must come back. msg, when set, is the exact
 * err->msg; first and last only count on NCM_RANGE_OK. */
struct row {
	const char *header;
	uint64_t total;
	enum ncm_range_result result;
	uint64_t first, last;
	const char *msg;
};

static const char *result_name(enum ncm_range_result r)
{
	switch (r) {
	case NCM_RANGE_NONE: return "NONE";
	case NCM_RANGE_OK: return "OK";
	case NCM_RANGE_UNSATISFIABLE: return "UNSATISFIABLE";
	case NCM_RANGE_INVALID: return "INVALID";
	}
	return "?";
}

static void check_rows(const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct ncm_err_info err = { 0 };
		uint64_t first = 0xdead, last = 0xbeef;
		enum ncm_range_result got;

		got = ncm_range_parse(r->header, r->total, &first, &last, &err);
		ck_assert_msg(got == r->result, "'%s' of %llu: got %s, want %s (%s)",
			      r->header ? r->header : "(null)", (unsigned long long)r->total,
			      result_name(got), result_name(r->result), err.msg);
		if (got == NCM_RANGE_OK) {
			ck_assert_msg(first == r->first && last == r->last,
				      "'%s' of %llu: got %llu-%llu, want %llu-%llu", r->header,
				      (unsigned long long)r->total, (unsigned long long)first,
				      (unsigned long long)last, (unsigned long long)r->first,
				      (unsigned long long)r->last);
		}
		if (got == NCM_RANGE_OK || got == NCM_RANGE_NONE) {
			ck_assert_msg(err.msg[0] == '\0', "'%s': message on success: %s",
				      r->header ? r->header : "(null)", err.msg);
		} else {
			ck_assert_msg(err.msg[0] != '\0', "'%s': no message", r->header);
			ck_assert_int_ne(err.code, NCM_OK);
		}
		if (r->msg)
			ck_assert_str_eq(err.msg, r->msg);
	}
}

#define CHECK_ROWS(rows) check_rows((rows), sizeof(rows) / sizeof((rows)[0]))

START_TEST(no_header_means_the_whole_file)
{
	static const struct row rows[] = {
		{ NULL, 1000, NCM_RANGE_NONE, 0, 0, NULL },
		{ NULL, 0, NCM_RANGE_NONE, 0, 0, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(first_and_last_give_that_span)
{
	static const struct row rows[] = {
		{ "bytes=0-0", 1000, NCM_RANGE_OK, 0, 0, NULL },
		{ "bytes=0-499", 1000, NCM_RANGE_OK, 0, 499, NULL },
		{ "bytes=500-999", 1000, NCM_RANGE_OK, 500, 999, NULL },
		{ "bytes=999-999", 1000, NCM_RANGE_OK, 999, 999, NULL },
		/* the nRF91 downloader's fragments (docs/fota.md#image-download) */
		{ "bytes=0-1699", 4096, NCM_RANGE_OK, 0, 1699, NULL },
		{ "bytes=2048-4095", 4096, NCM_RANGE_OK, 2048, 4095, NULL },
		{ "bytes=007-010", 1000, NCM_RANGE_OK, 7, 10, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_last_past_the_end_is_clamped_to_the_final_byte)
{
	static const struct row rows[] = {
		{ "bytes=0-1000", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=900-5000", 1000, NCM_RANGE_OK, 900, 999, NULL },
		{ "bytes=3400-5099", 4000, NCM_RANGE_OK, 3400, 3999, NULL },
		{ "bytes=0-9223372036854775807", 10, NCM_RANGE_OK, 0, 9, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(an_open_range_runs_to_the_end)
{
	static const struct row rows[] = {
		{ "bytes=0-", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=999-", 1000, NCM_RANGE_OK, 999, 999, NULL },
		{ "bytes=1-", 2, NCM_RANGE_OK, 1, 1, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_suffix_range_gives_the_last_n_bytes)
{
	static const struct row rows[] = {
		{ "bytes=-1", 1000, NCM_RANGE_OK, 999, 999, NULL },
		{ "bytes=-500", 1000, NCM_RANGE_OK, 500, 999, NULL },
		{ "bytes=-999", 1000, NCM_RANGE_OK, 1, 999, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_suffix_of_the_file_size_or_more_is_the_whole_file)
{
	static const struct row rows[] = {
		{ "bytes=-1000", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=-1001", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=-9223372036854775807", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=-5", 1, NCM_RANGE_OK, 0, 0, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_start_at_or_past_the_end_is_unsatisfiable)
{
	static const struct row rows[] = {
		{ "bytes=1000-", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range starts at 1000, past the end of the 1000-byte file" },
		{ "bytes=1000-1999", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range starts at 1000, past the end of the 1000-byte file" },
		{ "bytes=2000-3000", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range starts at 2000, past the end of the 1000-byte file" },
		{ "bytes=9223372036854775807-", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range starts at 9223372036854775807, past the end of the 1000-byte file" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_suffix_of_zero_bytes_is_unsatisfiable)
{
	static const struct row rows[] = {
		{ "bytes=-0", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range 'bytes=-0' asks for no bytes" },
		{ "bytes=-000", 1000, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range 'bytes=-000' asks for no bytes" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(any_range_on_an_empty_file_is_unsatisfiable)
{
	static const struct row rows[] = {
		{ "bytes=0-", 0, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range starts at 0, past the end of the 0-byte file" },
		{ "bytes=0-0", 0, NCM_RANGE_UNSATISFIABLE, 0, 0, NULL },
		{ "bytes=0-499", 0, NCM_RANGE_UNSATISFIABLE, 0, 0, NULL },
		{ "bytes=5-", 0, NCM_RANGE_UNSATISFIABLE, 0, 0, NULL },
		{ "bytes=-1", 0, NCM_RANGE_UNSATISFIABLE, 0, 0,
		  "Range asks for the last 1 bytes of an empty file" },
		{ "bytes=-500", 0, NCM_RANGE_UNSATISFIABLE, 0, 0, NULL },
		{ "bytes=-0", 0, NCM_RANGE_UNSATISFIABLE, 0, 0, NULL },
		/* malformed stays malformed, whatever the size */
		{ "bytes=5-2", 0, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=", 0, NCM_RANGE_INVALID, 0, 0, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(a_reversed_range_is_invalid)
{
	static const struct row rows[] = {
		{ "bytes=5-2", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=5-2' is reversed" },
		{ "bytes=1-0", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=1-0' is reversed" },
		/* reversed beats past-the-end: it is a 400 before it is a 416 */
		{ "bytes=3000-2000", 1000, NCM_RANGE_INVALID, 0, 0,
		  "Range 'bytes=3000-2000' is reversed" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(several_ranges_are_refused_with_their_own_message)
{
	static const struct row rows[] = {
		{ "bytes=0-1,5-6", 1000, NCM_RANGE_INVALID, 0, 0,
		  "multiple ranges are not served" },
		{ "bytes=0-1, 5-6", 1000, NCM_RANGE_INVALID, 0, 0,
		  "multiple ranges are not served" },
		{ "bytes=-5,0-", 1000, NCM_RANGE_INVALID, 0, 0,
		  "multiple ranges are not served" },
		{ "bytes=0-1 ,", 1000, NCM_RANGE_INVALID, 0, 0,
		  "multiple ranges are not served" },
		{ "bytes=0-1,5-6", 0, NCM_RANGE_INVALID, 0, 0,
		  "multiple ranges are not served" },
	};
	struct ncm_err_info err = { 0 };
	uint64_t first, last;

	CHECK_ROWS(rows);
	ck_assert_int_eq(ncm_range_parse("bytes=0-1,2-3", 10, &first, &last, &err),
			 NCM_RANGE_INVALID);
	ck_assert_int_eq(err.code, NCM_ERR_UNSUPPORTED);
}
END_TEST

START_TEST(garbage_is_malformed)
{
	static const struct row rows[] = {
		{ "bytes=abc", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=abc' is malformed" },
		{ "bytes=", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=' is malformed" },
		{ "bytes=-", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=-' is malformed" },
		{ "bytes", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes' is malformed" },
		{ "bytes 0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes 0-5' is malformed" },
		{ "=0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range '=0-5' is malformed" },
		{ "bytes=5", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=5' is malformed" },
		{ "bytes=5-x", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=5-x' is malformed" },
		{ "bytes=0x10-0x20", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=1.5-2", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=5--6", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=--5", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=-5-6", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=1-2-3", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes==0-5", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=0-5;", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=\x01-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=?-5' is malformed" },
		{ "bytes=0-5\r\n", 1000, NCM_RANGE_INVALID, 0, 0,
		  "Range 'bytes=0-5?" "?' is malformed" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(an_empty_header_is_invalid)
{
	static const struct row rows[] = {
		{ "", 1000, NCM_RANGE_INVALID, 0, 0, "Range header is empty" },
		{ "   ", 1000, NCM_RANGE_INVALID, 0, 0, "Range header is empty" },
		{ "\t", 0, NCM_RANGE_INVALID, 0, 0, "Range header is empty" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(spaces_around_numbers_are_allowed_and_inside_them_are_not)
{
	static const struct row rows[] = {
		{ "bytes= 0-5", 1000, NCM_RANGE_OK, 0, 5, NULL },
		{ "bytes=0 - 5", 1000, NCM_RANGE_OK, 0, 5, NULL },
		{ "bytes=\t0\t-\t5\t", 1000, NCM_RANGE_OK, 0, 5, NULL },
		{ "bytes=10 -", 1000, NCM_RANGE_OK, 10, 999, NULL },
		{ "bytes=- 5", 1000, NCM_RANGE_OK, 995, 999, NULL },
		{ "  bytes=0-5  ", 1000, NCM_RANGE_OK, 0, 5, NULL },
		{ "bytes=1 0-20", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=1 0-20' is malformed" },
		{ "bytes=10-2 0", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		/* RFC 9110: no whitespace around '=' */
		{ "bytes =0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes =0-5' is malformed" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(the_unit_is_case_insensitive_but_must_be_bytes)
{
	static const struct row rows[] = {
		{ "BYTES=0-5", 1000, NCM_RANGE_OK, 0, 5, NULL },
		{ "Bytes=-5", 1000, NCM_RANGE_OK, 995, 999, NULL },
		{ "bYtEs=10-", 1000, NCM_RANGE_OK, 10, 999, NULL },
		{ "items=0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range unit must be bytes" },
		{ "byte=0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range unit must be bytes" },
		{ "bytesx=0-5", 1000, NCM_RANGE_INVALID, 0, 0, "Range unit must be bytes" },
		{ "none=0-5", 0, NCM_RANGE_INVALID, 0, 0, "Range unit must be bytes" },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(signed_numbers_are_malformed)
{
	static const struct row rows[] = {
		{ "bytes=+5-10", 1000, NCM_RANGE_INVALID, 0, 0, "Range 'bytes=+5-10' is malformed" },
		{ "bytes=5-+10", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=-+5", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=--0", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=5--10", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(numbers_past_two_to_the_63_are_invalid)
{
	static const struct row rows[] = {
		{ "bytes=99999999999999999999-", 1000, NCM_RANGE_INVALID, 0, 0,
		  "Range 'bytes=99999999999999999999-' has a number past 2^63 - 1" },
		{ "bytes=9223372036854775808-", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=0-9223372036854775808", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=0-18446744073709551616", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=-9223372036854775808", 1000, NCM_RANGE_INVALID, 0, 0, NULL },
		{ "bytes=0-9223372036854775807", 1000, NCM_RANGE_OK, 0, 999, NULL },
		{ "bytes=9223372036854775806-9223372036854775807", UINT64_MAX, NCM_RANGE_OK,
		  9223372036854775806ULL, 9223372036854775807ULL, NULL },
	};

	CHECK_ROWS(rows);
}
END_TEST

START_TEST(long_headers_are_quoted_in_part)
{
	char header[300];
	struct ncm_err_info err = { 0 };
	uint64_t first, last;

	memset(header, 'x', sizeof(header) - 1);
	header[sizeof(header) - 1] = '\0';
	memcpy(header, "bytes=", 6);
	ck_assert_int_eq(ncm_range_parse(header, 10, &first, &last, &err), NCM_RANGE_INVALID);
	/* 64 bytes of the header: "bytes=" and 58 x */
	ck_assert_str_eq(err.msg, "Range 'bytes=" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx" "...' is malformed");
}
END_TEST

START_TEST(a_null_err_is_allowed)
{
	uint64_t first, last;

	ck_assert_int_eq(ncm_range_parse("bytes=x", 10, &first, &last, NULL), NCM_RANGE_INVALID);
	ck_assert_int_eq(ncm_range_parse("bytes=10-", 10, &first, &last, NULL),
			 NCM_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(ncm_range_parse("bytes=0-1,2-3", 10, &first, &last, NULL),
			 NCM_RANGE_INVALID);
	ck_assert_int_eq(ncm_range_parse("bytes=2-", 10, &first, &last, NULL), NCM_RANGE_OK);
	ck_assert_uint_eq(first, 2);
	ck_assert_uint_eq(last, 9);
}
END_TEST

static uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

START_TEST(random_headers_never_crash_and_ok_ranges_fit_the_file)
{
	/* Biased toward the grammar's own characters so that some inputs get deep. */
	static const char alphabet[] = "bytesBYTES=-,0123456789 \t+x";
	static const uint64_t totals[] = { 0, 1, 2, 1000, 4096, UINT64_MAX };
	uint64_t seed = 0x4a11ce;
	size_t i, j, n_ok = 0, n_unsat = 0;
	char buf[48];

	for (i = 0; i < 20000; i++) {
		struct ncm_err_info err = { 0 };
		uint64_t first = 0, last = 0, total = totals[rnd(&seed) % 6];
		size_t len = (size_t)(rnd(&seed) % (sizeof(buf) - 1));
		enum ncm_range_result r;

		for (j = 0; j < len; j++) {
			uint64_t v = rnd(&seed);

			buf[j] = v % 8 == 0 ? (char)(1 + (v >> 8) % 255)
					    : alphabet[(v >> 8) % (sizeof(alphabet) - 1)];
		}
		buf[len] = '\0';
		/* half the time, start with a real unit so the numbers get parsed; a quarter of
		 * the time, a well-formed range of small random numbers, to reach the 416s */
		if (len >= 6 && rnd(&seed) % 2)
			memcpy(buf, "bytes=", 6);
		if (rnd(&seed) % 4 == 0)
			snprintf(buf, sizeof(buf), "bytes=%u-%u", (unsigned)(rnd(&seed) % 5000),
				 (unsigned)(rnd(&seed) % 5000));
		r = ncm_range_parse(buf, total, &first, &last, &err);
		ck_assert_msg(r == NCM_RANGE_OK || r == NCM_RANGE_UNSATISFIABLE ||
			      r == NCM_RANGE_INVALID, "'%s': result %d", buf, (int)r);
		if (r == NCM_RANGE_OK) {
			n_ok++;
			ck_assert_msg(first <= last && last < total, "'%s' of %llu: %llu-%llu", buf,
				      (unsigned long long)total, (unsigned long long)first,
				      (unsigned long long)last);
		} else {
			ck_assert_msg(err.msg[0] != '\0', "'%s': no message", buf);
			ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg));
			n_unsat += r == NCM_RANGE_UNSATISFIABLE;
		}
	}
	/* the generator must reach past the syntax now and then */
	ck_assert_uint_gt(n_ok, 10);
	ck_assert_uint_gt(n_unsat, 10);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* the fuzz loop is slow under valgrind */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("range");
	SRunner *sr;
	int failed;

	ADD(s, no_header_means_the_whole_file);
	ADD(s, first_and_last_give_that_span);
	ADD(s, a_last_past_the_end_is_clamped_to_the_final_byte);
	ADD(s, an_open_range_runs_to_the_end);
	ADD(s, a_suffix_range_gives_the_last_n_bytes);
	ADD(s, a_suffix_of_the_file_size_or_more_is_the_whole_file);
	ADD(s, a_start_at_or_past_the_end_is_unsatisfiable);
	ADD(s, a_suffix_of_zero_bytes_is_unsatisfiable);
	ADD(s, any_range_on_an_empty_file_is_unsatisfiable);
	ADD(s, a_reversed_range_is_invalid);
	ADD(s, several_ranges_are_refused_with_their_own_message);
	ADD(s, garbage_is_malformed);
	ADD(s, an_empty_header_is_invalid);
	ADD(s, spaces_around_numbers_are_allowed_and_inside_them_are_not);
	ADD(s, the_unit_is_case_insensitive_but_must_be_bytes);
	ADD(s, signed_numbers_are_malformed);
	ADD(s, numbers_past_two_to_the_63_are_invalid);
	ADD(s, long_headers_are_quoted_in_part);
	ADD(s, a_null_err_is_allowed);
	ADD(s, random_headers_never_crash_and_ok_ranges_fit_the_file);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
