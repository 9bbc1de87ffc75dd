/* SPDX-License-Identifier: MIT
 * test_pgps.c: P-GPS requests, paths and prediction files (core/pgps.c, docs/location.md#p-gps).
 * Files are read back by a decoder written here from the SDK's layout
 * (struct nrf_cloud_pgps_header, then per prediction type 7 + count 1 + 16-byte time and
 * type 2 + count 32 + 32 x 62-byte ephemerides, nothing else).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agnss.h"
#include "pgps.h"

#define HEADER 16
#define PREDICTION (3 + 16 + 3 + 32 * 62)   /* 2006, the SDK's PGPS_PREDICTION_DL_SIZE */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct pgps_file {
	unsigned count, size, period_min, day;
	uint32_t tod;
	char why[128];
};

/* Reads a whole file as the SDK does; 0 when every byte is where it belongs. */
static int decode(const uint8_t *buf, size_t len, struct pgps_file *f)
{
	size_t off, i, sv;
	uint32_t seen;

	memset(f, 0, sizeof(*f));
	if (len < HEADER || buf[0] != 1 || buf[1] != 10 || rd16(buf + 2) != 1) {
		snprintf(f->why, sizeof(f->why), "bad header");
		return -1;
	}
	f->count = rd16(buf + 4);
	f->size = rd16(buf + 6);
	f->period_min = rd16(buf + 8);
	f->day = rd16(buf + 10);
	f->tod = rd32(buf + 12);
	if (!f->count || f->size != PREDICTION || len != HEADER + (size_t)f->count * PREDICTION) {
		snprintf(f->why, sizeof(f->why), "count %u size %u for %zu bytes", f->count,
			 f->size, len);
		return -1;
	}
	for (i = 0, off = HEADER; i < f->count; i++, off += PREDICTION) {
		const uint8_t *p = buf + off;
		uint64_t t = (uint64_t)f->day * 86400 + f->tod + i * f->period_min * 60;

		if (p[0] != 7 || rd16(p + 1) != 1 || p[19] != 2 || rd16(p + 20) != 32) {
			snprintf(f->why, sizeof(f->why), "prediction %zu: bad block headers", i);
			return -1;
		}
		/* the SDK checks each stamp exactly against header start + i x period */
		if (rd16(p + 3) != t / 86400 || rd32(p + 5) != t % 86400 || rd16(p + 9) ||
		    rd32(p + 11) || rd32(p + 15)) {
			snprintf(f->why, sizeof(f->why), "prediction %zu: time %u %u", i,
				 rd16(p + 3), rd32(p + 5));
			return -1;
		}
		for (sv = 0, seen = 0; sv < 32; sv++) {
			const uint8_t *e = p + 22 + sv * 62;
			uint32_t sow = (uint32_t)(t % 604800);
			double sqrt_a = ldexp(rd32(e + 38), -19);

			if (e[0] < 1 || e[0] > 32 || (seen & 1u << (e[0] - 1)) ||
			    rd16(e + 16) != (sow - sow % 16) / 16 || rd16(e + 4) != rd16(e + 16) ||
			    fabs(sqrt_a - 5153.7) > 1 || e[1]) {
				snprintf(f->why, sizeof(f->why), "prediction %zu: ephemeris %zu", i,
					 sv);
				return -1;
			}
			seen |= 1u << (e[0] - 1);
		}
	}
	return 0;
}

static void build_and_check(const struct ncm_pgps_req *req)
{
	struct ncm_err_info err = { 0 };
	struct pgps_file f;
	uint8_t *buf;
	size_t len;

	ck_assert_msg(ncm_pgps_build(req, &buf, &len, &err) == NCM_OK, "%s", err.msg);
	ck_assert_msg(decode(buf, len, &f) == 0, "%d x %d from %d-%d: %s", req->count,
		      req->interval_min, req->gps_day, req->gps_tod_s, f.why);
	ck_assert_uint_eq(f.count, req->count);
	ck_assert_uint_eq(f.period_min, req->interval_min);
	ck_assert_uint_eq(f.day, req->gps_day);
	ck_assert_uint_eq(f.tod, req->gps_tod_s);
	free(buf);
}

START_TEST(normalise_fills_the_defaults_from_the_newest_hour)
{
	struct ncm_pgps_req req = { 0 };
	struct ncm_err_info err = { 0 };

	/* 1700000000 is GPS day 16018 at 80018 s (22:13:38): the hour began at 79200 */
	ck_assert_int_eq(ncm_pgps_normalise(&req, 1700000000, &err), NCM_OK);
	ck_assert_int_eq(req.count, 42);
	ck_assert_int_eq(req.interval_min, 240);
	ck_assert_int_eq(req.gps_day, 16018);
	ck_assert_int_eq(req.gps_tod_s, 79200);
	/* an unknown time of day goes with the unknown day */
	req = (struct ncm_pgps_req){ .count = 10, .gps_tod_s = 500 };
	ck_assert_int_eq(ncm_pgps_normalise(&req, 1700000000 - 80018 + 3599, &err), NCM_OK);
	ck_assert_int_eq(req.count, 10);
	ck_assert_int_eq(req.gps_day, 16018);
	ck_assert_int_eq(req.gps_tod_s, 0);
}
END_TEST

START_TEST(normalise_keeps_what_the_request_gives)
{
	struct ncm_pgps_req req = { 84, 480, 15286, 79200 };

	ck_assert_int_eq(ncm_pgps_normalise(&req, 1700000000, NULL), NCM_OK);
	ck_assert_int_eq(req.count, 84);
	ck_assert_int_eq(req.interval_min, 480);
	ck_assert_int_eq(req.gps_day, 15286);
	ck_assert_int_eq(req.gps_tod_s, 79200);
	req = (struct ncm_pgps_req){ 1, 120, 1, 0 };
	ck_assert_int_eq(ncm_pgps_normalise(&req, 0, NULL), NCM_OK);
	req = (struct ncm_pgps_req){ 0, 0, 65535, 86399 };
	ck_assert_int_eq(ncm_pgps_normalise(&req, 0, NULL), NCM_ERR_INVAL);  /* runs past 65535 */
	req = (struct ncm_pgps_req){ 1, 0, 65535, 86399 };
	ck_assert_int_eq(ncm_pgps_normalise(&req, 0, NULL), NCM_OK);
}
END_TEST

START_TEST(normalise_names_the_field_out_of_range)
{
	static const struct {
		struct ncm_pgps_req req;
		const char *field;
	} rows[] = {
		{ { 85, 0, 0, 0 }, "predictionCount 85" },
		{ { -1, 0, 0, 0 }, "predictionCount -1" },
		{ { 0, 119, 0, 0 }, "predictionIntervalMinutes 119" },
		{ { 0, 481, 0, 0 }, "predictionIntervalMinutes 481" },
		{ { 0, -240, 0, 0 }, "predictionIntervalMinutes -240" },
		{ { 0, 0, -1, 0 }, "startGpsDay -1" },
		{ { 0, 0, 65536, 0 }, "startGpsDay 65536" },
		{ { 0, 0, 100, -1 }, "startGpsTimeOfDaySeconds -1" },
		{ { 0, 0, 100, 86400 }, "startGpsTimeOfDaySeconds 86400" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ncm_pgps_req req = rows[i].req;
		struct ncm_err_info err = { 0 };

		ck_assert_msg(ncm_pgps_normalise(&req, 1700000000, &err) == NCM_ERR_INVAL,
			      "row %zu accepted", i);
		ck_assert_msg(strstr(err.msg, rows[i].field), "'%s' lacks '%s'", err.msg,
			      rows[i].field);
	}
	/* "newest data" needs a time after the GPS epoch */
	{
		struct ncm_pgps_req req = { 0 };

		ck_assert_int_eq(ncm_pgps_normalise(&req, 1000, NULL), NCM_ERR_INVAL);
	}
}
END_TEST

START_TEST(the_path_is_nrf_clouds_form)
{
	struct ncm_pgps_req req = { 42, 240, 15286, 79200 };
	char buf[80];

	/* the spec's example: 42 x 4 h from day 15286 22:00, the last from day 15293 18:00 */
	ck_assert_int_eq(ncm_pgps_path(&req, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "public/15286-79200_15293-64800.bin");
	req = (struct ncm_pgps_req){ 0 };
	ck_assert_int_eq(ncm_pgps_normalise(&req, 1700000000, NULL), NCM_OK);
	ck_assert_int_eq(ncm_pgps_path(&req, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "public/16018-79200_16025-64800.bin");
	req = (struct ncm_pgps_req){ 3, 120, 100, 86000 };
	ck_assert_int_eq(ncm_pgps_path(&req, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "public/100-86000_101-14000_120.bin");
	req = (struct ncm_pgps_req){ 1, 480, 1, 0 };
	ck_assert_int_eq(ncm_pgps_path(&req, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "public/1-0_1-0_480.bin");
}
END_TEST

START_TEST(the_path_needs_room_for_its_terminator)
{
	struct ncm_pgps_req req = { 42, 240, 15286, 79200 };
	char buf[64];
	size_t n = strlen("public/15286-79200_15293-64800.bin");

	ck_assert_int_eq(ncm_pgps_path(&req, buf, n), -1);
	ck_assert_int_eq(ncm_pgps_path(&req, buf, n + 1), 0);
	ck_assert_int_eq(ncm_pgps_path(&req, buf, 0), -1);
}
END_TEST

START_TEST(a_path_parses_back_to_its_request)
{
	static const int counts[] = { 1, 2, 41, 42, 83, 84 };
	static const int intervals[] = { 120, 121, 239, 240, 241, 360, 480 };
	static const int days[] = { 1, 9, 10, 15286, 16018, 40000, 65000 };
	static const int tods[] = { 0, 1, 59, 79200, 86399 };
	size_t a, b, c, d;
	char buf[80], slash[81];

	for (a = 0; a < 6; a++)
		for (b = 0; b < 7; b++)
			for (c = 0; c < 7; c++)
				for (d = 0; d < 5; d++) {
					struct ncm_pgps_req req = { counts[a], intervals[b],
								    days[c], tods[d] };
					struct ncm_pgps_req got = { 0 };
					struct ncm_err_info err = { 0 };

					ck_assert_int_eq(ncm_pgps_normalise(&req, 0, NULL), NCM_OK);
					ck_assert_int_eq(ncm_pgps_path(&req, buf, sizeof(buf)), 0);
					ck_assert_msg(!ncm_pgps_parse_path(buf, &got, &err),
						      "%s: %s", buf, err.msg);
					ck_assert_mem_eq(&got, &req, sizeof(req));
					snprintf(slash, sizeof(slash), "/%s", buf);
					memset(&got, 0, sizeof(got));
					ck_assert_int_eq(ncm_pgps_parse_path(slash, &got, NULL),
							 NCM_OK);
					ck_assert_mem_eq(&got, &req, sizeof(req));
				}
}
END_TEST

START_TEST(other_paths_are_refused)
{
	static const char *const paths[] = {
		"",
		"/",
		"public/",
		"public/15286-79200_15293-64800",
		"public/15286-79200_15293-64800.bin.gz",
		"public/15286-79200_15293-64800.BIN",
		"private/15286-79200_15293-64800.bin",
		"//public/15286-79200_15293-64800.bin",
		"public//15286-79200_15293-64800.bin",
		"public/15286-79200_15293-64801.bin",      /* not a whole number of periods */
		"public/15286-79200_15286-79100.bin",      /* ends before it starts */
		"public/15286-79200_15300-79200.bin",      /* 85 predictions */
		"public/15286-79200_15293-64800_240.bin",  /* the default is never spelt out */
		"public/15286-79200_15293-64800_100.bin",
		"public/15286-79200_15293-64800_481.bin",
		"public/15286-79200_15293-64800_.bin",
		"public/15286-79200_15293-64800_0240.bin",
		"public/015286-79200_015293-64800.bin",
		"public/0-0_0-0.bin",                      /* day 0 */
		"public/15286-86400_15293-64800.bin",
		"public/15286-79200_15293-86400.bin",
		"public/+15286-79200_15293-64800.bin",
		"public/15286--79200_15293-64800.bin",
		"public/15286-79200-15293-64800.bin",
		"public/99999-0_99999-0.bin",
		"public/123456-0_123456-0.bin",
		"public/15286-79200_15293-64800.bin\n",
		"public/15286 -79200_15293-64800.bin",
		"public/1528a-79200_15293-64800.bin",
		"public/15286-79200_15293-64800.bin/../../etc/passwd",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct ncm_pgps_req req = { 7, 7, 7, 7 };
		struct ncm_err_info err = { 0 };

		ck_assert_msg(ncm_pgps_parse_path(paths[i], &req, &err) == NCM_ERR_INVAL,
			      "'%s' accepted", paths[i]);
		ck_assert_msg(err.msg[0], "'%s': no message", paths[i]);
		ck_assert_int_eq(req.count, 7);
	}
	ck_assert_int_eq(ncm_pgps_parse_path(NULL, &(struct ncm_pgps_req){ 0 }, NULL),
			 NCM_ERR_INVAL);
}
END_TEST

START_TEST(a_file_holds_the_requested_predictions)
{
	static const struct ncm_pgps_req reqs[] = {
		{ 42, 240, 15286, 79200 }, { 1, 120, 1, 0 }, { 84, 480, 16018, 86399 },
		{ 5, 121, 16020, 600 }, { 2, 240, 16019, 0 }, { 3, 130, 16018, 86000 },
	};
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		build_and_check(&reqs[i]);
}
END_TEST

START_TEST(the_default_file_covers_the_device_now)
{
	struct ncm_pgps_req req = { 0 };
	int64_t now = 1700000000;
	uint64_t start, end, shifted = (uint64_t)now - 315964800 + 18 + 7200;

	ck_assert_int_eq(ncm_pgps_normalise(&req, now, NULL), NCM_OK);
	build_and_check(&req);
	/* the device checks its time + 2 h against [start, start + count x period] */
	start = (uint64_t)req.gps_day * 86400 + req.gps_tod_s;
	end = start + (uint64_t)req.count * req.interval_min * 60;
	ck_assert_uint_le(start, shifted);
	ck_assert_uint_le(shifted, end);
}
END_TEST

START_TEST(a_file_is_made_again_from_its_path)
{
	struct ncm_pgps_req req = { 0 }, back;
	uint8_t *a, *b;
	size_t la, lb;
	char path[80];

	ck_assert_int_eq(ncm_pgps_normalise(&req, 1700000000, NULL), NCM_OK);
	ck_assert_int_eq(ncm_pgps_path(&req, path, sizeof(path)), 0);
	ck_assert_int_eq(ncm_pgps_build(&req, &a, &la, NULL), NCM_OK);
	ck_assert_int_eq(ncm_pgps_parse_path(path, &back, NULL), NCM_OK);
	ck_assert_int_eq(ncm_pgps_build(&back, &b, &lb, NULL), NCM_OK);
	ck_assert_uint_eq(la, lb);
	ck_assert_uint_eq(la, 16 + 42 * 2006);
	ck_assert_mem_eq(a, b, la);
	free(a);
	free(b);
}
END_TEST

/* The first prediction of a file that starts on the hour carries the ephemerides an A-GNSS
 * answer gives within that hour: one constellation for both services. */
START_TEST(predictions_and_agnss_agree_on_the_satellites)
{
	struct ncm_pgps_req req = { 2, 240, 16018, 79200 };
	struct ncm_agnss_req ar = { .unix_s = 315964800 - 18 + 16018LL * 86400 + 79200 + 1234,
				    .types = 1u << 2, .lat = 1, .lon = 2 };
	uint8_t *p, *a;
	size_t lp, la;

	ck_assert_int_eq(ncm_pgps_build(&req, &p, &lp, NULL), NCM_OK);
	ck_assert_int_eq(ncm_agnss_build(&ar, &a, &la, NULL), NCM_OK);
	ck_assert_uint_eq(la, 1 + 3 + 32 * 62);
	ck_assert_mem_eq(p + 16 + 22, a + 4, 32 * 62);
	/* the next prediction, 4 h on, differs */
	ck_assert_int_ne(memcmp(p + 16 + 2006 + 22, a + 4, 32 * 62), 0);
	free(p);
	free(a);
}
END_TEST

START_TEST(build_refuses_a_request_not_normalised)
{
	static const struct ncm_pgps_req reqs[] = {
		{ 0, 240, 100, 0 }, { 42, 0, 100, 0 }, { 42, 240, 0, 0 }, { 85, 240, 100, 0 },
		{ 42, 240, 100, 86400 }, { 42, 240, 65535, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		uint8_t *buf = (uint8_t *)"x";
		size_t len = 1;

		ck_assert_int_eq(ncm_pgps_build(&reqs[i], &buf, &len, NULL), NCM_ERR_INVAL);
		ck_assert_ptr_null(buf);
		ck_assert_uint_eq(len, 0);
	}
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("pgps");
	SRunner *sr;
	int failed;

	ADD(s, normalise_fills_the_defaults_from_the_newest_hour);
	ADD(s, normalise_keeps_what_the_request_gives);
	ADD(s, normalise_names_the_field_out_of_range);
	ADD(s, the_path_is_nrf_clouds_form);
	ADD(s, the_path_needs_room_for_its_terminator);
	ADD(s, a_path_parses_back_to_its_request);
	ADD(s, other_paths_are_refused);
	ADD(s, a_file_holds_the_requested_predictions);
	ADD(s, the_default_file_covers_the_device_now);
	ADD(s, a_file_is_made_again_from_its_path);
	ADD(s, predictions_and_agnss_agree_on_the_satellites);
	ADD(s, build_refuses_a_request_not_normalised);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
