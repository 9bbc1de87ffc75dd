/* SPDX-License-Identifier: MIT
 * test_lab_shell.c: unit tests of the portable lab shell (firmware/shell/lab_shell.c,
 * docs/lab-shell.md). No stdio: the platform gives test_out() (stdout on the host,
 * semihosting on the Cortex-M33 image, firmware/qemu/), so the same file runs on both.
 */
#include <string.h>

#include "lab_shell.h"
#include "test_lab_shell.h"

static int failed, passed;

static void out_int(int v)
{
	char tmp[16], *t = tmp + sizeof(tmp) - 1;

	*t = 0;
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	test_out(t);
}

static void check(int ok, const char *what, int line)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	test_out("FAIL line ");
	out_int(line);
	test_out(": ");
	test_out(what);
	test_out("\n");
}

#define CHECK(c) check((c), #c, __LINE__)
#define CHECK_STR(a, b) check(!strcmp((a), (b)), #a " == " #b, __LINE__)

static void parse_words(void)
{
	struct lab_cmd c;

	lab_cmd_parse("status\r\n", &c);
	CHECK(c.kind == LAB_CMD_STATUS);
	lab_cmd_parse("  help  \n", &c);
	CHECK(c.kind == LAB_CMD_HELP);
	lab_cmd_parse("", &c);
	CHECK(c.kind == LAB_CMD_NONE);
	lab_cmd_parse(" \t \r\n", &c);
	CHECK(c.kind == LAB_CMD_NONE);
	lab_cmd_parse("version", &c);
	CHECK(c.kind == LAB_CMD_VERSION);
	lab_cmd_parse("location", &c);
	CHECK(c.kind == LAB_CMD_LOCATION);
	lab_cmd_parse("agnss", &c);
	CHECK(c.kind == LAB_CMD_AGNSS);
	lab_cmd_parse("pgps", &c);
	CHECK(c.kind == LAB_CMD_PGPS);
	/* location [cell|agnss|pgps]: the method picks the service, the name stays "location" */
	lab_cmd_parse("location cell\r\n", &c);
	CHECK(c.kind == LAB_CMD_LOCATION);
	lab_cmd_parse("location  pgps ", &c);
	CHECK(c.kind == LAB_CMD_PGPS);
	CHECK_STR(c.name, "location");
	lab_cmd_parse("location\tagnss", &c);
	CHECK(c.kind == LAB_CMD_AGNSS);
	lab_cmd_parse("location gnss", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	CHECK_STR(c.name, "location");
	lab_cmd_parse("location pgps now", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("location pgpsx", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("location averyveryverylongmethod", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("reboot", &c);
	CHECK(c.kind == LAB_CMD_REBOOT);
	lab_cmd_parse("fota\r\n", &c);
	CHECK(c.kind == LAB_CMD_FOTA);
	lab_cmd_parse("reconnect", &c);
	CHECK(c.kind == LAB_CMD_RECONNECT);
	CHECK_STR(lab_cmd_name(LAB_CMD_RECONNECT), "reconnect");
	lab_cmd_parse("Status", &c); /* case matters */
	CHECK(c.kind == LAB_CMD_UNKNOWN);
	CHECK_STR(c.name, "Status");
	lab_cmd_parse("frobnicate now", &c);
	CHECK(c.kind == LAB_CMD_UNKNOWN);
	CHECK_STR(c.name, "frobnicate");
	lab_cmd_parse("averyveryveryveryveryverylongcommandname", &c);
	CHECK(c.kind == LAB_CMD_UNKNOWN);
	CHECK(strlen(c.name) == LAB_NAME_MAX - 1);
	CHECK_STR(lab_cmd_name(LAB_CMD_SEND), "send");
	CHECK(lab_cmd_name(LAB_CMD_UNKNOWN) == NULL);
}

static void parse_send(void)
{
	struct lab_cmd c;
	char big[600];

	lab_cmd_parse("send TEMP 21.5\r\n", &c);
	CHECK(c.kind == LAB_CMD_SEND);
	CHECK_STR(c.app_id, "TEMP");
	CHECK_STR(c.data, "21.5");
	lab_cmd_parse("send  HELLO  hello   lab world  \n", &c);
	CHECK(c.kind == LAB_CMD_SEND);
	CHECK_STR(c.app_id, "HELLO");
	CHECK_STR(c.data, "hello   lab world");
	lab_cmd_parse("send", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("send TEMP", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("send TEMP   ", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	lab_cmd_parse("report hilKey {\"a\": 1}", &c);
	CHECK(c.kind == LAB_CMD_REPORT);
	CHECK_STR(c.app_id, "hilKey");
	CHECK_STR(c.data, "{\"a\": 1}");
	lab_cmd_parse("report hilKey", &c);
	CHECK(c.kind == LAB_CMD_USAGE);
	CHECK_STR(c.name, "report");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "send A ", 7);
	lab_cmd_parse(big, &c); /* DATA longer than LAB_DATA_MAX - 1: refused, not cut */
	CHECK(c.kind == LAB_CMD_USAGE);
}

static void format_answers(void)
{
	char b[300];
	struct lab_status st = { "sim-000001", "ready", "3.3", "1.0.0", "mfw_nrf9160_1.3.4", 0,
				 1 };

	CHECK(lab_fmt_ok_command(b, sizeof(b), "location") > 0);
	CHECK_STR(b, "@ok {\"command\":\"location\"}\r\n");
	CHECK(lab_fmt_err(b, sizeof(b), "unknown command", "frob") > 0);
	CHECK_STR(b, "@err {\"error\":\"unknown command\",\"command\":\"frob\"}\r\n");
	CHECK(lab_fmt_usage(b, sizeof(b), "send") > 0);
	CHECK_STR(b, "@err {\"error\":\"usage: send APPID DATA\"}\r\n");
	CHECK(lab_fmt_usage(b, sizeof(b), "report") > 0);
	CHECK_STR(b, "@err {\"error\":\"usage: report KEY VALUE\"}\r\n");
	CHECK(lab_fmt_usage(b, sizeof(b), "location") > 0);
	CHECK_STR(b, "@err {\"error\":\"usage: location [cell|agnss|pgps]\"}\r\n");
	CHECK(lab_fmt_status(b, sizeof(b), &st) == (int)strlen(b));
	CHECK_STR(b, "@ok {\"id\":\"sim-000001\",\"state\":\"ready\",\"ncs\":\"3.3\",\"app\":"
		     "\"1.0.0\",\"modem\":\"mfw_nrf9160_1.3.4\",\"alertsEn\":false,\"logLvl\":1}\r\n");
	st.alerts_en = 1;
	st.log_lvl = -12;
	CHECK(lab_fmt_status(b, sizeof(b), &st) > 0);
	CHECK(strstr(b, "\"alertsEn\":true,\"logLvl\":-12}") != NULL);
	CHECK(lab_fmt_version(b, sizeof(b), "2.5", "1.0.0", "mfw") > 0);
	CHECK_STR(b, "@ok {\"ncs\":\"2.5\",\"app\":\"1.0.0\",\"modem\":\"mfw\"}\r\n");
	CHECK(lab_fmt_help(b, sizeof(b)) > 0);
	CHECK_STR(b, "@ok {\"commands\":[\"help\",\"status\",\"version\",\"send APPID DATA\","
		     "\"location [cell|agnss|pgps]\",\"agnss\",\"pgps\",\"reboot\",\"report KEY VALUE\",\"fota\","
		     "\"reconnect\"]}\r\n");
}

static void format_events_and_escapes(void)
{
	char b[128];
	size_t pos = 0;

	CHECK(lab_fmt_event(b, sizeof(b), "location", "d1", ",\"lat\":63.42,\"lon\":10.43") > 0);
	CHECK_STR(b, "@ev {\"ev\":\"location\",\"id\":\"d1\",\"lat\":63.42,\"lon\":10.43}\r\n");
	CHECK(lab_fmt_event(b, sizeof(b), "ready", "d1", NULL) > 0);
	CHECK_STR(b, "@ev {\"ev\":\"ready\",\"id\":\"d1\"}\r\n");
	CHECK(lab_json_str(b, sizeof(b), &pos, "a\"b\\c\nd\x01") == 0);
	CHECK_STR(b, "\"a\\\"b\\\\c\\nd\\u0001\"");
	pos = 0;
	CHECK(lab_json_member(b, sizeof(b), &pos, "ncs", "2.8") == 0);
	CHECK(lab_json_member(b, sizeof(b), &pos, "app", "v\"1") == 0);
	CHECK_STR(b, ",\"ncs\":\"2.8\",\"app\":\"v\\\"1\"");
	pos = 0;
	CHECK(lab_json_member(b, 8, &pos, "ncs", "2.8") == -1);
	CHECK(strlen(b) < 8);
	/* too small: -1, and the buffer stays terminated */
	CHECK(lab_fmt_ok_command(b, 10, "location") == -1);
	CHECK(strlen(b) < 10);
	CHECK(lab_fmt_err(b, 0, "x", NULL) == -1);
	/* exactly fitting: "@ok {"command":"a"}\r\n" is 21 bytes + NUL */
	CHECK(lab_fmt_ok_command(b, 22, "a") == 21);
	CHECK(lab_fmt_ok_command(b, 21, "a") == -1);
}

int lab_shell_tests(void)
{
	parse_words();
	parse_send();
	format_answers();
	format_events_and_escapes();
	test_out("lab-shell tests: ");
	out_int(passed);
	test_out(" passed, ");
	out_int(failed);
	test_out(" failed\n");
	return failed;
}
