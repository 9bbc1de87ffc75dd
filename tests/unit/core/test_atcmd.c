/* SPDX-License-Identifier: MIT
 * test_atcmd.c: the AT dialogue as data (core/atcmd.c): where an answer ends, garbage, the
 * answers provisioning parses, +CME meanings, credential text and its SHA-256, the script.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "atcmd.h"

static enum ncm_at_final scan(const char *s, struct ncm_at_reply *r)
{
	return ncm_at_reply_scan(s, strlen(s), r);
}

START_TEST(final_lines_end_an_answer_and_partial_ones_do_not)
{
	struct ncm_at_reply r;

	ck_assert_int_eq(scan("", &r), NCM_AT_PENDING);
	ck_assert_int_eq(scan("+CFUN: 1\r\nOK", &r), NCM_AT_PENDING); /* no line end yet */
	ck_assert_int_eq(scan("+CFUN: 1\r\nOK\r\n", &r), NCM_AT_OK);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(scan("\r\nERROR\r\n", &r), NCM_AT_ERROR);
	ck_assert_int_eq(scan("+CME ERROR: 518\r\n", &r), NCM_AT_CME);
	ck_assert_int_eq(r.cme, 518);
	ck_assert_int_eq(scan("+CME ERROR: 5x\r\n", &r), NCM_AT_PENDING);
	ck_assert_int_eq(scan("OK\n", &r), NCM_AT_OK); /* LF alone ends a line too */
	/* an unsolicited line before the answer is kept as a line */
	ck_assert_int_eq(scan("+CEREG: 2\r\n352656100999001\r\nOK\r\n", &r), NCM_AT_OK);
	ck_assert_uint_eq(r.n, 2);
}
END_TEST

START_TEST(a_quoted_pem_spans_lines_and_ok_inside_it_is_not_final)
{
	const char *a = "%CMNG: 5,0,\"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\","
			"\"-----BEGIN X-----\r\nOK\r\n-----END X-----\r\n\"\r\nOK\r\n";
	struct ncm_at_reply r;
	struct ncm_at_cmng c;
	char *line;

	ck_assert_int_eq(scan(a, &r), NCM_AT_OK);
	ck_assert_uint_eq(r.n, 1);
	line = ncm_at_reply_line(&r, "%CMNG:");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(ncm_at_parse_cmng(line, &c, NULL), NCM_OK);
	ck_assert_uint_eq(c.tag, 5);
	ck_assert_int_eq(c.type, 0);
	ck_assert_uint_eq(c.content_len, strlen("-----BEGIN X-----\r\nOK\r\n-----END X-----\r\n"));
	ck_assert_int_eq(memcmp(c.content, "-----BEGIN X-----\r\nOK\r\n", 23), 0);
	free(line);
}
END_TEST

START_TEST(control_bytes_and_non_ascii_are_garbage)
{
	struct ncm_at_reply r;
	const char junk[] = { 'O', (char)0xfe, 'K', '\r', '\n' };

	ck_assert_int_eq(ncm_at_reply_scan(junk, sizeof(junk), &r), NCM_AT_GARBAGE);
	ck_assert_uint_eq(r.garbage_at, 1);
	ck_assert_int_eq(ncm_at_reply_scan("a\0b", 3, &r), NCM_AT_GARBAGE);
	ck_assert_int_eq(scan("\x1bX\r\n", &r), NCM_AT_GARBAGE);
	ck_assert_int_eq(scan("\x1b[1;3\x01m\r\n", &r), NCM_AT_GARBAGE);
}
END_TEST

START_TEST(coloured_log_lines_are_noise_not_garbage)
{
	struct ncm_at_reply r;
	char *l;

	ck_assert_int_eq(scan("\x1b[0m<inf> app: booted\x1b[0m\r\n352656100999001\r\nOK\r\n", &r),
			 NCM_AT_OK);
	ck_assert_uint_eq(r.n, 2);
	l = ncm_at_reply_line(&r, "");
	ck_assert_str_eq(l, "352656100999001");
	free(l);
	/* an uncoloured log line before the IMEI */
	ck_assert_int_eq(scan("<inf> app: booted\r\n352656100999001\r\nOK\r\n", &r), NCM_AT_OK);
	char imei[16];

	ck_assert_int_eq(ncm_at_reply_imei(&r, imei), NCM_OK);
	ck_assert_str_eq(imei, "352656100999001");
	scan("<inf> app: booted\r\nOK\r\n", &r);
	ck_assert_int_eq(ncm_at_reply_imei(&r, imei), NCM_ERR_NOT_FOUND);
	/* a sequence cut off at the end of what arrived so far waits for the rest */
	ck_assert_int_eq(scan("\x1b[0", &r), NCM_AT_PENDING);
	ck_assert_int_eq(scan("\x1b", &r), NCM_AT_PENDING);
}
END_TEST

START_TEST(answers_provisioning_reads)
{
	struct ncm_at_reply r;
	struct ncm_err_info err;
	char imei[16], uuid[37], *l;
	int mode;

	scan("352656100999001\r\nOK\r\n", &r);
	l = ncm_at_reply_line(&r, "");
	ck_assert_int_eq(ncm_at_parse_imei(l, imei, NULL), NCM_OK);
	ck_assert_str_eq(imei, "352656100999001");
	free(l);
	ck_assert_int_eq(ncm_at_parse_imei("+CGSN: \"352656100999002\"", imei, NULL), NCM_OK);
	ck_assert_str_eq(imei, "352656100999002");
	ck_assert_int_eq(ncm_at_parse_imei("12345", imei, &err), NCM_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "15-digit"));
	ck_assert_int_eq(ncm_at_parse_imei("3526561009990011", imei, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_parse_cfun("4", &mode, NULL), NCM_OK);
	ck_assert_int_eq(mode, 4);
	ck_assert_int_eq(ncm_at_parse_cfun("x", &mode, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_parse_cfun(NULL, &mode, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_parse_uuid("50503041-3633-4261-803D-1E2B8F70E001", uuid, NULL),
			 NCM_OK);
	ck_assert_str_eq(uuid, "50503041-3633-4261-803d-1e2b8f70e001");
	ck_assert_int_eq(ncm_at_parse_uuid("50503041-3633-4261-803d1e2b8f70e0011", uuid, NULL),
			 NCM_ERR_INVAL);
	/* a prefix that is not there */
	scan("OK\r\n", &r);
	ck_assert_ptr_null(ncm_at_reply_line(&r, "%KEYGEN:"));
}
END_TEST

START_TEST(cmng_list_lines_parse_and_bad_ones_do_not)
{
	struct ncm_at_cmng c;
	struct ncm_err_info err;

	ck_assert_int_eq(ncm_at_parse_cmng("16842753,2", &c, NULL), NCM_OK);
	ck_assert_uint_eq(c.tag, 16842753);
	ck_assert_int_eq(c.type, 2);
	ck_assert_str_eq(c.sha, "");
	ck_assert_int_eq(ncm_at_parse_cmng(
		"123,0,\"2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1\"", &c, NULL),
		NCM_OK);
	ck_assert_str_eq(c.sha, "2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1");
	ck_assert_int_eq(ncm_at_parse_cmng("123,0,\"2C43\"", &c, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_parse_cmng("abc", &c, NULL), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_parse_cmng("1,", &c, NULL), NCM_ERR_INVAL);
}
END_TEST

START_TEST(cme_codes_have_meanings)
{
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(513), "not found"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(514), "no access"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(515), "memory full"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(518), "AT+CFUN=4"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(519), "already exists"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(528), "power-off"));
	ck_assert_ptr_nonnull(strstr(ncm_at_cme_text(12345), "unknown"));
}
END_TEST

START_TEST(credential_text_uses_crlf_and_refuses_what_an_at_string_cannot_hold)
{
	char *out = NULL, sha[65];
	struct ncm_err_info err;

	ck_assert_int_eq(ncm_at_credential_text("A\nB\n\n\n", 6, &out, NULL), NCM_OK);
	ck_assert_str_eq(out, "A\r\nB\r\n");
	free(out);
	ck_assert_int_eq(ncm_at_credential_text("A\r\nB", 4, &out, NULL), NCM_OK);
	ck_assert_str_eq(out, "A\r\nB\r\n");
	/* the SHA-256 %CMNG=1 prints is of these bytes, upper-case hex */
	ncm_at_sha256_hex(out, strlen(out), sha);
	ck_assert_uint_eq(strlen(sha), 64);
	ncm_at_sha256_hex("", 0, sha);
	ck_assert_str_eq(sha, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
	free(out);
	ck_assert_int_eq(ncm_at_credential_text("a\"b", 3, &out, &err), NCM_ERR_INVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(ncm_at_credential_text("a\xc3\xa9", 3, &out, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_at_credential_text("\n\n", 2, &out, &err), NCM_ERR_INVAL);
	out = ncm_at_cmd_write(16842753, 1, "X\r\n");
	ck_assert_str_eq(out, "AT%CMNG=0,16842753,1,\"X\r\n\"");
	free(out);
}
END_TEST

START_TEST(script_lists_every_step_in_order)
{
	struct ncm_at_plan p = { .tag = 201, .id_from = "uuid", .ca_text = "CA\r\n",
				 .ca_label = "the lab CA" };
	char *s = ncm_at_script(&p);
	const char *order[] = { "AT+CFUN?\n", "AT+CFUN=4\n", "AT+CMEE=1\n", "AT+CGSN\n",
				"AT%XMODEMUUID\n", "AT+CGMR\n", "AT%KEYGEN=201,2,0\n",
				"AT%CMNG=0,201,1,", "AT%CMNG=0,201,0,\"CA\r\n\"\n", "AT%CMNG=1,201\n" };
	const char *at = s;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *hit = strstr(at, order[i]);

		ck_assert_msg(hit != NULL, "%s missing or out of order", order[i]);
		at = hit;
	}
	free(s);
	p.id = "lab-1";
	p.cert_text = "CERT\r\n";
	s = ncm_at_script(&p);
	ck_assert_ptr_null(strstr(s, "XMODEMUUID"));
	ck_assert_ptr_nonnull(strstr(s, "AT%CMNG=0,201,1,\"CERT\r\n\"\n"));
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("atcmd");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, final_lines_end_an_answer_and_partial_ones_do_not);
	tcase_add_test(tc, a_quoted_pem_spans_lines_and_ok_inside_it_is_not_final);
	tcase_add_test(tc, control_bytes_and_non_ascii_are_garbage);
	tcase_add_test(tc, coloured_log_lines_are_noise_not_garbage);
	tcase_add_test(tc, answers_provisioning_reads);
	tcase_add_test(tc, cmng_list_lines_parse_and_bad_ones_do_not);
	tcase_add_test(tc, cme_codes_have_meanings);
	tcase_add_test(tc, credential_text_uses_crlf_and_refuses_what_an_at_string_cannot_hold);
	tcase_add_test(tc, script_lists_every_step_in_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
