/* SPDX-License-Identifier: MIT
 * fuzz_atcmd.c: fuzz target for the modem-answer parsers of core/atcmd.h, fed by whatever a
 * serial port returns to `nrfcloud-mock provision` (a kit, a log sharing the UART, line noise).
 * The input is the bytes read since a command was sent: the scan must classify them, every line
 * it returns must lie inside the input, and each answer parser must accept or refuse each line
 * with a reason, never read past it. Uses core only.
 */
#include <stdlib.h>
#include <string.h>

#include "atcmd.h"
#include "err.h"
#include "fuzz.h"

/* A parser's refusal must carry its reason. */
static void check_refusal(int rc, const struct ncm_err_info *err)
{
	if (rc != NCM_OK)
		FUZZ_CHECK(err->msg[0] != '\0');
}

static void parse_line(const char *body)
{
	struct ncm_err_info err;
	struct ncm_at_cmng cmng;
	char imei[16], uuid[37];
	int mode, rc;

	memset(&err, 0, sizeof(err));
	rc = ncm_at_parse_cfun(body, &mode, &err);
	check_refusal(rc, &err);
	if (rc == NCM_OK)
		FUZZ_CHECK(mode >= 0 && mode <= 255);
	memset(&err, 0, sizeof(err));
	rc = ncm_at_parse_imei(body, imei, &err);
	check_refusal(rc, &err);
	if (rc == NCM_OK)
		FUZZ_CHECK(strlen(imei) == 15);
	memset(&err, 0, sizeof(err));
	rc = ncm_at_parse_uuid(body, uuid, &err);
	check_refusal(rc, &err);
	if (rc == NCM_OK)
		FUZZ_CHECK(strlen(uuid) == 36);
	memset(&err, 0, sizeof(err));
	rc = ncm_at_parse_cmng(body, &cmng, &err);
	check_refusal(rc, &err);
	if (rc == NCM_OK) {
		FUZZ_CHECK(strlen(cmng.sha) == 0 || strlen(cmng.sha) == 64);
		FUZZ_CHECK(cmng.content_len <= strlen(body));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = { "", "+CFUN:", "%CMNG:", "%XMODEMUUID:", "+CGSN:" };
	const char *buf = (const char *)data;
	struct ncm_at_reply r;
	enum ncm_at_final fin;
	char imei[16];
	size_t i;

	memset(&r, 0, sizeof(r));
	fin = ncm_at_reply_scan(buf, size, &r);
	FUZZ_CHECK(fin >= NCM_AT_PENDING && fin <= NCM_AT_GARBAGE);
	FUZZ_CHECK(r.n <= NCM_AT_MAX_LINES);
	if (fin == NCM_AT_GARBAGE)
		FUZZ_CHECK(r.garbage_at < size);
	if (fin == NCM_AT_CME)
		FUZZ_CHECK(ncm_at_cme_text(r.cme) != NULL);
	for (i = 0; i < r.n; i++)
		FUZZ_CHECK(r.line[i] >= buf && r.line[i] + r.len[i] <= buf + size);
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char *line = ncm_at_reply_line(&r, prefixes[i]);

		if (line) {
			parse_line(line);
			free(line);
		}
	}
	if (ncm_at_reply_imei(&r, imei) == NCM_OK)
		FUZZ_CHECK(strlen(imei) == 15);
	return 0;
}
