/* SPDX-License-Identifier: MIT
 * test_provision.c: `nrfcloud-mock provision` against tools/modem-emu on a pty, end to end
 * (CSR -> signed by the running server's lab CA -> written -> verified -> onboarded -> MQTT
 * connect with the key from the emulator's store), and each way a modem can fail: ERROR, the
 * +CME codes, silence, garbage, an answer without OK, a refusal in CFUN=1, a SHA-256 mismatch,
 * and the half-written sec tag those leave behind.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "atcmd.h"
#include "file.h"
#include "harness.h"

#define TAG "16842753"
#define EMU_IMEI "352656100999001"
#define EMU_ID "nrf-" EMU_IMEI
#define EMU_UUID "50503041-3633-4261-803d-1e2b8f70e001"

static struct srv s;

struct emu_proc {
	pid_t pid;
	char store[PATH_MAX];
	char tty[PATH_MAX];
};

struct run {
	int status;
	char out[65536];
	char err[8192];
};

static void setup(void)
{
	memset(&s, 0, sizeof(s));
	srv_start(&s, NULL);
}

static void teardown(void)
{
	srv_cleanup(&s);
}

/* Starts modem-emu with a store in the server's folder and extra flags; waits for its "ready"
 * line (an event, not a sleep) and takes the pty path from it. */
static void emu_start(struct emu_proc *e, const char *name, const char *const *extra)
{
	const char *argv[32];
	char line[PATH_MAX + 64];
	size_t n = 0, used = 0;
	int pfd[2];

	snprintf(e->store, sizeof(e->store), "%s/%s.json", s.dir, name);
	argv[n++] = getenv("NCM_MODEM_EMU");
	argv[n++] = "--store";
	argv[n++] = e->store;
	argv[n++] = "--cfun";
	argv[n++] = "1";
	while (extra && *extra)
		argv[n++] = *extra++;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(pfd), 0);
	e->pid = fork();
	ck_assert_int_ge(e->pid, 0);
	if (e->pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (used + 1 < sizeof(line)) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t k;

		ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "modem-emu did not get ready");
		k = read(pfd[0], line + used, 1);
		ck_assert_int_eq(k, 1);
		if (line[used] == '\n')
			break;
		used++;
	}
	line[used] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(sscanf(line, "modem-emu: ready %4095s", e->tty), 1);
}

static void emu_stop(struct emu_proc *e)
{
	int st;

	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	waitpid(e->pid, &st, 0);
	e->pid = 0;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "modem-emu exit status %d", st);
}

/* Runs nrfcloud-mock with args (NULL-terminated) and --data <the server's data>. */
static void run(struct run *r, const char *const *args)
{
	r->status = cli_run(s.dir, s.data, args, r->out, sizeof(r->out), r->err, sizeof(r->err));
}

/* The lines of text that are not the store's migration notices. */
static int error_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, "nrfcloud-mock: info:", 20))
			n++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	return n;
}

/* A failure: status want, exactly one explaining line on stderr (besides store notices) that
 * contains part. */
static void assert_fails(const struct run *r, int want, const char *part)
{
	ck_assert_msg(r->status == want, "status %d, want %d; stderr: %s", r->status, want, r->err);
	ck_assert_msg(strstr(r->err, part) != NULL, "'%s' not in: %s", part, r->err);
	if (want != 3)
		ck_assert_msg(error_lines(r->err) == 1, "not one line: %s", r->err);
}

/* The credential tag/type in the emulator's store (malloc'd), or NULL. */
static char *stored(const struct emu_proc *e, const char *tag, int type)
{
	json_t *j = json_load_file(e->store, 0, NULL), *c;
	char *out = NULL;
	size_t i;

	ck_assert_ptr_nonnull(j);
	json_array_foreach(json_object_get(j, "credentials"), i, c) {
		if (json_integer_value(json_object_get(c, "tag")) == atoll(tag) &&
		    json_integer_value(json_object_get(c, "type")) == type)
			out = strdup(json_string_value(json_object_get(c, "content")));
	}
	json_decref(j);
	return out;
}

static void strip_cr(char *p)
{
	char *w = p;

	for (; *p; p++)
		if (*p != '\r')
			*w++ = *p;
	*w = '\0';
}

static void provision_cmd(struct run *r, const struct emu_proc *e, const char *const *more)
{
	const char *args[32] = { "provision", "--port", e->tty, "--timeout", "2" };
	size_t n = 5;

	while (more && *more)
		args[n++] = *more++;
	args[n] = NULL;
	run(r, args);
}

/* What the modem answers to one command, through `provision at`. */
static void modem_says(const struct emu_proc *e, const char *cmd, const char *part)
{
	struct run r;

	run(&r, (const char *const[]){ "provision", "--port", e->tty, "at", cmd, NULL });
	ck_assert_msg(strstr(r.out, part) != NULL, "%s: '%s' not in: %s / %s", cmd, part, r.out,
		      r.err);
}

/* Connects over MQTT as id with the certificate the server onboarded and the private key that
 * only the emulator's store has. */
static void connect_with_modem_key(const struct emu_proc *e, const char *id, const char *tag)
{
	char crt[PATH_MAX], key[PATH_MAX], *key_pem = stored(e, tag, 2);
	struct dev d;

	ck_assert_ptr_nonnull(key_pem);
	strip_cr(key_pem);
	snprintf(key, sizeof(key), "%s/%s-modem.key", s.dir, id);
	ck_assert_int_eq(ncm_file_write(key, key_pem, strlen(key_pem), 0600, NULL), 0);
	free(key_pem);
	snprintf(crt, sizeof(crt), "%s/devices/%s.crt", s.data, id);
	ck_assert_int_eq(dev_connect(&d, &s, id, crt, key, s.ca), 0);
	ck_assert(dev_connected(&d));
	dev_close(&d);
}

START_TEST(provisions_through_the_admin_api_and_connects_with_the_modem_key)
{
	struct emu_proc e = { 0 };
	char url[64], sha[65], *ca = NULL, *cert, *lab = NULL;
	struct run r;
	long st;
	json_t *dev;

	emu_start(&e, "kit", NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.admin_port);
	provision_cmd(&r, &e, (const char *const[]){ "--server", url, NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "provisioned " EMU_ID " in sec tag " TAG));
	/* onboarded before it ever connected, with the certificate the modem holds */
	dev = admin_json(&s, "GET", "/mock/v1/devices/" EMU_ID, NULL, &st);
	ck_assert_int_eq(st, 200);
	cert = stored(&e, TAG, 1);
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(strstr(cert, "-----END CERTIFICATE-----\r\n"));
	strip_cr(cert);
	ck_assert_str_eq(cert, json_string_value(json_object_get(dev, "certificate")));
	json_decref(dev);
	free(cert);
	/* the CA went in with CR LF kept inside the quoted PEM, and equals the lab CA */
	ca = stored(&e, TAG, 0);
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(strstr(ca, "-----BEGIN CERTIFICATE-----\r\nMII"));
	ck_assert_int_eq(ncm_file_read(s.ca, 65536, &lab, NULL, NULL), 0);
	ck_assert_ptr_null(strstr(ca, "Amazon") ? "x" : NULL);
	ncm_at_sha256_hex(ca, strlen(ca), sha);
	ck_assert_ptr_nonnull(strstr(r.out, sha));
	strip_cr(ca);
	ck_assert_str_eq(ca, lab);
	free(ca);
	free(lab);
	/* the functional mode is back where it was */
	modem_says(&e, "AT+CFUN?", "+CFUN: 1");
	connect_with_modem_key(&e, EMU_ID, TAG);
	/* again: the device exists, so --replace is needed */
	provision_cmd(&r, &e, (const char *const[]){ "--server", url, NULL });
	assert_fails(&r, 1, "--replace");
	provision_cmd(&r, &e, (const char *const[]){ "--server", url, "--replace", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	connect_with_modem_key(&e, EMU_ID, TAG);
	emu_stop(&e);
}
END_TEST

START_TEST(provisions_into_the_data_folder_with_lab_and_amazon_ca)
{
	struct emu_proc e = { 0 };
	char *ca, *amazon = NULL, *want = NULL;
	struct run r;
	long st;
	json_t *dev;

	emu_start(&e, "kit", (const char *const[]){ "--cfun", "4", NULL });
	provision_cmd(&r, &e, (const char *const[]){ "--id", "lab-dut-7", "--sec-tag", "201",
						      "--ca", "lab+amazon", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, ""); /* a fresh state.db's migrations are not news */
	dev = admin_json(&s, "GET", "/mock/v1/devices/lab-dut-7", NULL, &st);
	ck_assert_int_eq(st, 200);
	json_decref(dev);
	/* type 0 = lab CA then Amazon Root CA 1 from Debian's ca-certificates, CR LF */
	ca = stored(&e, "201", 0);
	ck_assert_ptr_nonnull(ca);
	ck_assert_int_eq(ncm_file_read("/usr/share/ca-certificates/mozilla/Amazon_Root_CA_1.crt",
				       65536, &amazon, NULL, NULL), 0);
	ck_assert_int_eq(ncm_at_credential_text(amazon, strlen(amazon), &want, NULL), 0);
	ck_assert_ptr_nonnull(strstr(ca, want));
	ck_assert_int_eq(strncmp(ca, "-----BEGIN CERTIFICATE-----\r\n", 29), 0);
	free(ca);
	free(amazon);
	free(want);
	modem_says(&e, "AT+CFUN?", "+CFUN: 4");
	connect_with_modem_key(&e, "lab-dut-7", "201");
	emu_stop(&e);
}
END_TEST

START_TEST(id_from_uuid_dry_run_and_ca_export_firmware)
{
	struct emu_proc e = { 0 };
	char path[PATH_MAX], *text = NULL, *modem_ca = NULL;
	struct run r;

	emu_start(&e, "kit", NULL);
	provision_cmd(&r, &e, (const char *const[]){ "--id-from", "uuid", "--no-onboard", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "provisioned " EMU_UUID));
	emu_stop(&e);
	/* the dry run needs no port and prints the script */
	run(&r, (const char *const[]){ "provision", "--dry-run", "--id-from", "uuid", NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "AT+CFUN=4\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "AT%XMODEMUUID\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "AT%KEYGEN=" TAG ",2,0\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "AT%CMNG=0," TAG ",0,\"-----BEGIN CERTIFICATE-----\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "AT%CMNG=1," TAG "\n"));
	/* ca export --firmware writes the files of certs/README.md */
	snprintf(path, sizeof(path), "%s/certs", s.dir);
	run(&r, (const char *const[]){ "ca", "export", "--firmware", path, "--device", "lab-dut-9",
				       NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	const char *files[] = { "ca.pem", "modem-ca.pem", "nrf_cloud-certs.h", "provision.at",
				"lab-dut-9.crt", "lab-dut-9.key", "lab-dut-9-nrf_cloud-certs.h" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/certs/%s", s.dir, files[i]);
		ck_assert_msg(ncm_file_exists(path), "%s missing", files[i]);
	}
	snprintf(path, sizeof(path), "%s/certs/lab-dut-9-nrf_cloud-certs.h", s.dir);
	ck_assert_int_eq(ncm_file_read(path, 65536, &text, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(text, "static const unsigned char ca_certificate[] = {"));
	ck_assert_ptr_nonnull(strstr(text, "static const unsigned char device_certificate[] = {"));
	ck_assert_ptr_nonnull(strstr(text, "static const unsigned char private_key[] = {"));
	ck_assert_ptr_nonnull(strstr(text, "\t\"-----BEGIN PRIVATE KEY-----\\n\"\n"));
	free(text);
	snprintf(path, sizeof(path), "%s/certs/modem-ca.pem", s.dir);
	ck_assert_int_eq(ncm_file_read(path, 65536, &modem_ca, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(modem_ca, "-----END CERTIFICATE-----\r\n"));
	free(modem_ca);
	run(&r, (const char *const[]){ "ca", "export", "--device", "x", NULL });
	assert_fails(&r, 2, "--firmware");
}
END_TEST

/* A run against an emulator with one injected answer must fail with status and a line with
 * part, and leave the modem in CFUN=1. */
static void fails_with(const char *inject, int status, const char *part)
{
	static int count;
	struct emu_proc e = { 0 };
	char name[32];
	struct run r;

	/* a fresh modem each time */
	snprintf(name, sizeof(name), "kit-%d", ++count);
	emu_start(&e, name, (const char *const[]){ "--inject", inject, NULL });
	provision_cmd(&r, &e, NULL);
	assert_fails(&r, status, part);
	ck_assert_msg(strstr(r.out, "provisioned") == NULL, "%s", r.out);
	if (!strstr(inject, "CFUN"))
		modem_says(&e, "AT+CFUN?", "+CFUN: 1");
	emu_stop(&e);
}

START_TEST(plain_error_is_reported_and_the_tag_is_untouched)
{
	fails_with("AT%KEYGEN|ERROR\\n", 1, "AT%KEYGEN=" TAG ",2,0: ERROR (the modem refused");
	fails_with("AT+CGSN|+CME ERROR: 0\\n", 1, "AT+CGSN: +CME ERROR: 0 (phone failure");
}
END_TEST

START_TEST(each_cme_code_class_is_explained_and_the_half_written_tag_reported)
{
	const struct {
		const char *code, *meaning;
	} cases[] = {
		{ "513", "not found" }, { "514", "no access" }, { "515", "memory full" },
		{ "518", "LTE is on" }, { "519", "already exists" }, { "523", "key generation" },
		{ "528", "power-off warning" }, { "999", "unknown modem error code" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char inject[128], part[128];

		/* the CA write fails after the key and certificate went in */
		snprintf(inject, sizeof(inject), "AT%%CMNG=0," TAG ",0|+CME ERROR: %s\\n",
			 cases[i].code);
		snprintf(part, sizeof(part), "+CME ERROR: %s (", cases[i].code);
		fails_with(inject, 3, part);
		fails_with(inject, 3, cases[i].meaning);
	}
	fails_with("AT%CMNG=0," TAG ",0|+CME ERROR: 515\\n", 3,
		   "sec tag " TAG " is HALF-WRITTEN (new key and certificate written, CA not; the "
		   "modem now lists types 1,2)");
	fails_with("AT%CMNG=0," TAG ",1|+CME ERROR: 515\\n", 3, "lists types 2)");
}
END_TEST

START_TEST(silence_garbage_and_a_missing_ok_are_one_line_each)
{
	fails_with("AT+CGSN|silent", 1, "AT+CGSN: no answer within 2000 ms");
	fails_with("AT+CGMR|garbage", 1, "AT+CGMR: the modem answered with bytes no AT modem "
					 "sends ('\\x00\\xfe\\x1bO\\xff')");
	fails_with("AT+CGMR|mfw_nrf9160_1.3.5\\n", 1, "AT+CGMR: no OK or ERROR within 2000 ms "
						       "(got 'mfw_nrf9160_1.3.5')");
	fails_with("AT+CGSN|12345\\nOK\\n", 1, "AT+CGSN: '12345' is not a 15-digit IMEI");
	fails_with("AT%KEYGEN|%KEYGEN: \"bm90LWEtY3Ny\"\\nOK\\n", 3, "HALF-WRITTEN");
}
END_TEST

START_TEST(writes_are_refused_while_lte_is_on)
{
	struct emu_proc e = { 0 };
	struct run r;
	char *text;

	/* a modem that says OK to AT+CFUN=4 but stays online refuses the key */
	fails_with("AT+CFUN=4|OK\\n", 1, "AT%KEYGEN=" TAG ",2,0: +CME ERROR: 518 (not allowed in "
		   "the current functional mode: LTE is on");
	emu_start(&e, "kit", NULL);
	run(&r, (const char *const[]){ "provision", "--port", e.tty, "at", "AT+CMEE=1", NULL });
	ck_assert_int_eq(r.status, 0);
	run(&r, (const char *const[]){ "provision", "--port", e.tty, "at",
				       "AT%CMNG=0,7,0,\"x\"", NULL });
	assert_fails(&r, 1, "+CME ERROR: 518 (not allowed in the current functional mode");
	ck_assert_ptr_null(stored(&e, "7", 0));
	run(&r, (const char *const[]){ "provision", "--port", e.tty, "at", "AT+CFUN=4", NULL });
	run(&r, (const char *const[]){ "provision", "--port", e.tty, "at",
				       "AT%CMNG=0,7,0,\"x\"", NULL });
	ck_assert_int_eq(r.status, 0);
	text = stored(&e, "7", 0);
	ck_assert_str_eq(text, "x");
	free(text);
	emu_stop(&e);
}
END_TEST

/* `provision at CMD` must exit status and print part. */
static void at_says(const struct emu_proc *e, const char *cmd, int status, const char *part)
{
	struct run r;

	run(&r, (const char *const[]){ "provision", "--port", e->tty, "--timeout", "2", "at", cmd,
				       NULL });
	ck_assert_msg(r.status == status, "%s: status %d: %s", cmd, r.status, r.err);
	ck_assert_msg(strstr(status ? r.err : r.out, part) != NULL, "%s: '%s' not in: %s%s", cmd,
		      part, r.out, r.err);
}

START_TEST(the_emulator_lists_reads_deletes_and_keeps_its_limits)
{
	struct emu_proc e = { 0 };
	char big[5000], sha[65];

	emu_start(&e, "kit", (const char *const[]){ "--cfun", "4", "--capacity", "64", NULL });
	/* numeric codes only after AT+CMEE=1 */
	at_says(&e, "AT%CMNG=2,7,0", 1, "AT%CMNG=2,7,0: ERROR (the modem refused");
	at_says(&e, "AT+CMEE=1", 0, "OK");
	at_says(&e, "AT%CMNG=2,7,0", 1, "+CME ERROR: 513 (not found");
	at_says(&e, "AT%CMNG=0,7,0,\"A\r\nB\r\n\"", 0, "OK");
	ncm_at_sha256_hex("A\r\nB\r\n", 6, sha);
	at_says(&e, "AT%CMNG=1", 0, "%CMNG: 7,0,\"");
	at_says(&e, "AT%CMNG=1,7,0", 0, sha);
	at_says(&e, "AT%CMNG=2,7,0", 0, "\"A\nB\n\""); /* `at` prints LF line ends */
	at_says(&e, "AT%CMNG=0,8,0,\"0123456789012345678901234567890123456789012345678901234567"
		    "89\"", 1, "+CME ERROR: 515");
	at_says(&e, "AT%CMNG=3,7,0", 0, "OK");
	at_says(&e, "AT%CMNG=3,7,0", 1, "+CME ERROR: 513");
	at_says(&e, "AT%SHORTSWVER", 0, "%SHORTSWVER: nrf9160_1.3.5");
	at_says(&e, "AT%XMODEMUUID", 0, "%XMODEMUUID: " EMU_UUID);
	at_says(&e, "AT+CGSN=1", 0, "+CGSN: \"" EMU_IMEI "\"");
	at_says(&e, "AT+CFUN=3", 1, "ERROR");
	at_says(&e, "AT+NOSUCH", 1, "ERROR");
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "AT%CMNG=0,9,0,\"", 15);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	at_says(&e, big, 1, "ERROR"); /* longer than the AT host's 4096-byte buffer */
	emu_stop(&e);
	/* a key does not fit in 64 bytes */
	emu_start(&e, "kit2", (const char *const[]){ "--cfun", "4", "--capacity", "64", NULL });
	at_says(&e, "AT+CMEE=1", 0, "OK");
	at_says(&e, "AT%KEYGEN=5,2,0", 1, "+CME ERROR: 515");
	at_says(&e, "AT%KEYGEN=5,2,0,\"O=x,bad\"", 1, "ERROR");
	emu_stop(&e);
}
END_TEST

START_TEST(a_sha256_mismatch_fails_verification)
{
	fails_with("AT%CMNG=1," TAG "|%CMNG: " TAG ",0,\"00000000000000000000000000000000000000"
		   "00000000000000000000000000\"\\nOK\\n", 3,
		   "the stored CA's SHA-256 differs from what was sent");
}
END_TEST

START_TEST(a_server_that_does_not_answer_is_reported_after_a_good_write)
{
	struct emu_proc e = { 0 };
	struct run r;
	char *key;

	emu_start(&e, "kit", NULL);
	provision_cmd(&r, &e, (const char *const[]){ "--server", "http://127.0.0.1:1", NULL });
	assert_fails(&r, 1, "the modem is provisioned, but http://127.0.0.1:1 does not answer");
	/* the sec tag is complete and the certificate kept for a later onboarding */
	at_says(&e, "AT%CMNG=1," TAG, 0, "%CMNG: " TAG ",2,");
	key = stored(&e, TAG, 1);
	ck_assert_ptr_nonnull(key);
	free(key);
	key = stored(&e, TAG, 0);
	ck_assert_ptr_nonnull(key);
	free(key);
	emu_stop(&e);
}
END_TEST

START_TEST(bad_input_exits_2)
{
	struct run r;

	run(&r, (const char *const[]){ "provision", NULL });
	assert_fails(&r, 2, "--port is required");
	run(&r, (const char *const[]){ "provision", "--port", "/nonexistent/tty", NULL });
	assert_fails(&r, 1, "cannot open /nonexistent/tty");
	run(&r, (const char *const[]){ "provision", "--dry-run", "--ca", "amazon", NULL });
	assert_fails(&r, 2, "--ca must be 'lab' or 'lab+amazon'");
	run(&r, (const char *const[]){ "provision", "--dry-run", "--sec-tag", "x", NULL });
	assert_fails(&r, 2, "--sec-tag 'x'");
	run(&r, (const char *const[]){ "provision", "--dry-run", "--id", "a/b", NULL });
	assert_fails(&r, 2, "--id:");
	run(&r, (const char *const[]){ "provision", "--port", "/dev/null", "--baud", "1234", NULL });
	assert_fails(&r, 2, "--baud 1234");
}
END_TEST

int main(void)
{
	const struct suite_test tests[] = {
		{ "end_to_end_api", provisions_through_the_admin_api_and_connects_with_the_modem_key },
		{ "end_to_end_data", provisions_into_the_data_folder_with_lab_and_amazon_ca },
		{ "uuid_dry_run_export", id_from_uuid_dry_run_and_ca_export_firmware },
		{ "error", plain_error_is_reported_and_the_tag_is_untouched },
		{ "cme", each_cme_code_class_is_explained_and_the_half_written_tag_reported },
		{ "timeout_garbage", silence_garbage_and_a_missing_ok_are_one_line_each },
		{ "cfun1", writes_are_refused_while_lte_is_on },
		{ "sha_mismatch", a_sha256_mismatch_fails_verification },
		{ "emulator", the_emulator_lists_reads_deletes_and_keeps_its_limits },
		{ "server_down", a_server_that_does_not_answer_is_reported_after_a_good_write },
		{ "bad_input", bad_input_exits_2 },
	};

	return run_suite("provision", tests, sizeof(tests) / sizeof(tests[0]), setup, teardown,
			 120);
}
