/* SPDX-License-Identifier: MIT
 * cmd_provision.c: `nrfcloud-mock provision`: put lab credentials into an nRF91 modem over its
 * serial port with AT commands (docs/lab.md#provision): note the functional mode and go offline
 * (AT+CFUN=4: the modem refuses key writes while LTE is on), read IMEI / UUID / firmware, have
 * the modem make a key and a CSR (AT%KEYGEN), sign it with the lab CA (CN = device ID), write
 * the certificate and the CA (AT%CMNG=0), check the SHA-256 the modem reports for each
 * (AT%CMNG=1), restore the mode, and onboard the device (admin API, or the data folder).
 * Every answer is checked; a failure is one line on stderr. Exit status: 0 done, 1 a modem or
 * server failure with the sec tag untouched, 2 bad input, 3 the sec tag is half-written.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "atcmd.h"
#include "ca.h"
#include "cli.h"
#include "devid.h"
#include "file.h"
#include "pki.h"
#include "serial.h"

#define fail(...) ncm_cli_fail("provision", __VA_ARGS__)
#define EXIT_HALF 3
#define NCM_DEFAULT_SEC_TAG 16842753UL /* CONFIG_NRF_CLOUD_SEC_TAG's default (sdk-nrf Kconfig) */

struct prov {
	int fd;
	int timeout_ms;
	unsigned long tag;
	char step[96];        /* what was written so far, for the half-written report */
};

/* The command as shown in messages: long %CMNG writes are cut after the type. */
static void short_cmd(const char *cmd, char *out, size_t size)
{
	const char *q = strchr(cmd, '"');

	if (q && strlen(cmd) > 60)
		snprintf(out, size, "%.*s\"...\"", (int)(q - cmd), cmd);
	else
		snprintf(out, size, "%s", cmd);
}

/* What the answer in buf was, for a one-line message: its first line, printable, at most 60
 * characters. */
static void first_line(const char *buf, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < size && n < 60; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r' || c == '\n') {
			if (n)
				break;
			continue;
		}
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

/* One line on stderr saying why cmd did not answer OK: the +CME code's meaning, ERROR,
 * garbage (with what arrived), or a timeout. */
static void explain(const char *cmd, int rc, const struct ncm_err_info *err,
		    const struct ncm_at_reply *r, const char *buf, size_t len, int timeout_ms)
{
	char shown[96], got[128];

	short_cmd(cmd, shown, sizeof(shown));
	first_line(buf ? buf : "", buf ? len : 0, got, sizeof(got));
	if (rc == NCM_ERR_NOMEM)
		fail(1, "out of memory");
	else if (rc && r->final == NCM_AT_GARBAGE)
		fail(1, "%s: the modem answered with bytes no AT modem sends ('%s'): check --baud "
		     "and that the port is the modem's AT UART (an AT host or at_client image)",
		     shown, got);
	else if (rc && len)
		fail(1, "%s: %s within %d ms (got '%s'): is this an AT modem?", shown, err->msg,
		     timeout_ms, got);
	else if (rc)
		fail(1, "%s: no answer within %d ms: check --port, that the kit runs an AT host "
		     "(CONFIG_AT_HOST_LIBRARY) and that no other program holds the port", shown,
		     timeout_ms);
	else if (r->final == NCM_AT_CME)
		fail(1, "%s: +CME ERROR: %d (%s)", shown, r->cme, ncm_at_cme_text(r->cme));
	else
		fail(1, "%s: ERROR (the modem refused the command: unknown to this modem firmware, "
		     "or a bad parameter)", shown);
}

/* Runs cmd; on anything but OK prints one line saying what went wrong and returns non-zero.
 * *buf_out (may be NULL) keeps the answer for parsing. */
static int at(struct prov *p, const char *cmd, int timeout_ms, struct ncm_at_reply *r,
	      char **buf_out)
{
	struct ncm_err_info err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int rc, t = timeout_ms ? timeout_ms : p->timeout_ms;

	rc = ncm_serial_at(p->fd, cmd, t, &buf, &len, r, &err);
	if (!rc && r->final == NCM_AT_OK) {
		if (buf_out)
			*buf_out = buf;
		else
			free(buf);
		return 0;
	}
	explain(cmd, rc, &err, r, buf, len, t);
	free(buf);
	return 1;
}

/* After KEYGEN, any failure leaves the sec tag half-written: the old key is gone. Says so, with
 * what the modem lists for the tag now. */
static int half_written(struct prov *p)
{
	struct ncm_at_reply r;
	struct ncm_err_info err = { 0 };
	char cmd[64], list[256] = "(unknown)", *buf = NULL;
	size_t len, n = 0;

	snprintf(cmd, sizeof(cmd), "AT%%CMNG=1,%lu", p->tag);
	if (!ncm_serial_at(p->fd, cmd, p->timeout_ms, &buf, &len, &r, &err) &&
	    r.final == NCM_AT_OK) {
		snprintf(list, sizeof(list), "none");
		for (size_t i = 0; i < r.n && n + 16 < sizeof(list); i++) {
			struct ncm_at_cmng c;
			char line[256];

			snprintf(line, sizeof(line), "%.*s", (int)r.len[i], r.line[i]);
			if (strncmp(line, "%CMNG: ", 7) || ncm_at_parse_cmng(line + 7, &c, NULL))
				continue;
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%d", c.type);
			list[n++] = ',';
			list[n] = '\0';
		}
		if (n)
			list[n - 1] = '\0';
	}
	free(buf);
	fprintf(stderr, "nrfcloud-mock provision: sec tag %lu is HALF-WRITTEN (%s; the modem now "
		"lists types %s): run provision again, or delete it with 'provision at "
		"AT%%CMNG=3,%lu,<type>'\n", p->tag, p->step, list, p->tag);
	return EXIT_HALF;
}

/* The CSR must carry a P-256 key and verify; its CN is ignored (the certificate's CN is the
 * device ID we chose, as `ca sign-csr` would do with the modem's own CN). */
static int csr_key(X509_REQ *req, EVP_PKEY **pub, struct ncm_err_info *err)
{
	char group[64] = "";
	EVP_PKEY *k = X509_REQ_get_pubkey(req);

	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1")) {
		EVP_PKEY_free(k);
		return ncm_err_set(err, NCM_ERR_UNSUPPORTED, "the modem's CSR key is not EC P-256");
	}
	if (X509_REQ_verify(req, k) != 1) {
		EVP_PKEY_free(k);
		return ncm_err_set(err, NCM_ERR_INVAL, "the modem's CSR signature does not verify");
	}
	*pub = k;
	return NCM_OK;
}

struct args {
	char port[PATH_MAX];
	int baud;
	char tag_s[16];
	char id[NCM_DEVID_MAX + 1];
	char id_from[8];
	char ca[16];
	char server[512];
	char token[128];
	char amazon[PATH_MAX];
	int dry_run, timeout_s, replace, onboard;
};

static int check_tag(const char *s, unsigned long *tag)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	*tag = strtoul(s, &end, 10);
	return (*end || *tag > 4294967295UL) ? -1 : 0;
}

/* One command for hand work: prints the answer as it came (LF line ends) and explains any
 * failure like a provisioning run does. */
static int run_one(struct prov *p, const char *cmd)
{
	struct ncm_err_info err = { 0 };
	struct ncm_at_reply r;
	char *buf = NULL;
	size_t len = 0;
	int rc = ncm_serial_at(p->fd, cmd, p->timeout_ms, &buf, &len, &r, &err);

	if (!rc) {
		for (size_t i = 0; i < len; i++)
			if (buf[i] != '\r')
				putchar(buf[i]);
		fflush(stdout);
	}
	if (!rc && r.final == NCM_AT_OK) {
		free(buf);
		return 0;
	}
	explain(cmd, rc, &err, &r, buf, len, p->timeout_ms);
	free(buf);
	return 1;
}

static int provision(const struct ncm_config *cfg, const struct args *a, struct prov *p)
{
	struct ncm_err_info err = { 0 };
	struct ncm_at_reply r;
	struct ncm_ca ca = { 0 };
	char *buf = NULL, *line = NULL, *csr_line = NULL, *ca_text = NULL, *cert_pem = NULL;
	char *cert_text = NULL, *cmd = NULL, imei[16] = "", uuid[37] = "", fw[64] = "";
	char id[NCM_DEVID_MAX + 1], ca_sha[65], cert_sha[65], path[PATH_MAX];
	int prev_cfun = -1, rc = 1, ok0 = 0, ok1 = 0, ok2 = 0;
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;

	if (ncm_cli_ca_text(cfg->data_dir, a->ca, a->amazon, &ca_text, &err)) {
		rc = fail(2, "%s", err.msg);
		goto out;
	}
	if (ncm_ca_load(cfg->data_dir, &ca, &err)) {
		rc = fail(2, "%s", err.msg);
		goto out;
	}
	/* 1. functional mode, offline, numeric errors */
	if (at(p, "AT+CFUN?", 0, &r, &buf))
		goto out;
	line = ncm_at_reply_line(&r, "+CFUN:");
	if (ncm_at_parse_cfun(line, &prev_cfun, &err)) {
		rc = fail(1, "AT+CFUN?: %s", line ? err.msg : "no +CFUN line in the answer");
		goto out;
	}
	free(line);
	line = NULL;
	free(buf);
	buf = NULL;
	if (prev_cfun != 4 && prev_cfun != 0 && at(p, "AT+CFUN=4", 0, &r, NULL))
		goto out;
	if (at(p, "AT+CMEE=1", 0, &r, NULL))
		goto restore;
	/* 2. identity */
	if (at(p, "AT+CGSN", 0, &r, &buf))
		goto restore;
	line = ncm_at_reply_line(&r, "");
	if (ncm_at_reply_imei(&r, imei)) {
		ncm_at_parse_imei(line, imei, &err);
		fail(1, "AT+CGSN: %s", line ? err.msg : "no IMEI line in the answer");
		goto restore;
	}
	free(line);
	line = NULL;
	free(buf);
	buf = NULL;
	if (!a->id[0] && !strcmp(a->id_from, "uuid")) {
		if (at(p, "AT%XMODEMUUID", 0, &r, &buf))
			goto restore;
		line = ncm_at_reply_line(&r, "%XMODEMUUID:");
		if (ncm_at_parse_uuid(line, uuid, &err)) {
			fail(1, "AT%%XMODEMUUID: %s", line ? err.msg : "no %XMODEMUUID line");
			goto restore;
		}
		free(line);
		line = NULL;
		free(buf);
		buf = NULL;
	}
	if (at(p, "AT+CGMR", 0, &r, &buf))
		goto restore;
	line = ncm_at_reply_line(&r, "");
	snprintf(fw, sizeof(fw), "%s", line ? line : "unknown");
	free(line);
	line = NULL;
	free(buf);
	buf = NULL;
	if (a->id[0])
		snprintf(id, sizeof(id), "%s", a->id);
	else if (!strcmp(a->id_from, "uuid"))
		snprintf(id, sizeof(id), "%s", uuid);
	else
		snprintf(id, sizeof(id), "nrf-%s", imei);
	/* 3. key and CSR */
	cmd = malloc(64);
	if (!cmd)
		goto restore;
	snprintf(cmd, 64, "AT%%KEYGEN=%lu,2,0", p->tag);
	if (at(p, cmd, 3 * p->timeout_ms, &r, &buf))
		goto restore;
	snprintf(p->step, sizeof(p->step), "the modem made a new key, no certificate written yet");
	csr_line = ncm_at_reply_line(&r, "%KEYGEN:");
	if (!csr_line || ncm_pki_csr_parse((unsigned char *)csr_line, strlen(csr_line), &req, &err) ||
	    csr_key(req, &pub, &err)) {
		fail(1, "AT%%KEYGEN: %s", csr_line ? err.msg : "no %KEYGEN line in the answer");
		rc = half_written(p);
		goto restore;
	}
	free(buf);
	buf = NULL;
	/* 4. sign */
	if (ncm_pki_device_cert_new(ca.cert, ca.key, pub, id, time(NULL), NCM_PKI_DEVICE_DAYS, &cert,
				    &err) || ncm_pki_cert_to_pem(cert, &cert_pem) ||
	    ncm_at_credential_text(cert_pem, strlen(cert_pem), &cert_text, &err)) {
		fail(1, "cannot sign the CSR: %s", err.msg[0] ? err.msg : "out of memory");
		rc = half_written(p);
		goto restore;
	}
	/* 5. write the certificate, then the CA */
	free(cmd);
	cmd = ncm_at_cmd_write(p->tag, 1, cert_text);
	if (!cmd || at(p, cmd, 0, &r, NULL)) {
		rc = half_written(p);
		goto restore;
	}
	snprintf(p->step, sizeof(p->step), "new key and certificate written, CA not");
	free(cmd);
	cmd = ncm_at_cmd_write(p->tag, 0, ca_text);
	if (!cmd || at(p, cmd, 0, &r, NULL)) {
		rc = half_written(p);
		goto restore;
	}
	snprintf(p->step, sizeof(p->step), "key, certificate and CA written, not verified");
	/* 6. verify */
	ncm_at_sha256_hex(ca_text, strlen(ca_text), ca_sha);
	ncm_at_sha256_hex(cert_text, strlen(cert_text), cert_sha);
	free(cmd);
	cmd = malloc(64);
	if (!cmd)
		goto restore;
	snprintf(cmd, 64, "AT%%CMNG=1,%lu", p->tag);
	if (at(p, cmd, 0, &r, &buf)) {
		rc = half_written(p);
		goto restore;
	}
	for (size_t i = 0; i < r.n; i++) {
		struct ncm_at_cmng c;
		char l[256];

		snprintf(l, sizeof(l), "%.*s", (int)r.len[i], r.line[i]);
		if (strncmp(l, "%CMNG: ", 7) || ncm_at_parse_cmng(l + 7, &c, NULL) || c.tag != p->tag)
			continue;
		if (c.type == 0)
			ok0 = !strcasecmp(c.sha, ca_sha) ? 1 : -1;
		else if (c.type == 1)
			ok1 = !strcasecmp(c.sha, cert_sha) ? 1 : -1;
		else if (c.type == 2)
			ok2 = 1;
	}
	if (ok0 != 1 || ok1 != 1 || !ok2) {
		fail(1, "verification failed: %s%s%s", ok0 == 1 ? "" : ok0 ? "the stored CA's "
		     "SHA-256 differs from what was sent; " : "no CA listed; ",
		     ok1 == 1 ? "" : ok1 ? "the stored certificate's SHA-256 differs from what was "
		     "sent; " : "no certificate listed; ", ok2 ? "" : "no private key listed");
		rc = half_written(p);
		goto restore;
	}
	free(buf);
	buf = NULL;
	rc = 0;
restore:
	/* 7. back to the mode the modem was in */
	if (prev_cfun > 0 && prev_cfun != 4) {
		char c[32];

		snprintf(c, sizeof(c), "AT+CFUN=%d", prev_cfun);
		if (at(p, c, 0, &r, NULL) && !rc)
			rc = 1;
	}
	if (rc)
		goto out;
	/* keep the certificate beside the others (the key stays in the modem) */
	if (!ncm_config_devices_dir(cfg, path, sizeof(path)) && !ncm_mkdir_p(path, 0755, NULL)) {
		ncm_path(path, sizeof(path), "%s/devices/%s.crt", cfg->data_dir, id);
		ncm_file_write(path, cert_pem, strlen(cert_pem), 0644, NULL);
	}
	/* 8. onboard */
	if (!a->onboard)
		;
	else if (a->server[0])
		rc = ncm_cli_onboard_api(a->server, a->token, id, cert_pem, a->replace);
	else
		rc = ncm_cli_onboard_data(cfg, id, cert_pem, cert, a->replace);
	if (rc)
		goto out;
	printf("provisioned %s in sec tag %lu: IMEI %s, modem firmware %s\n", id, p->tag, imei, fw);
	printf("  %-12s sha256 %s (%s)\n", "CA", ca_sha, a->ca);
	printf("  %-12s sha256 %s (%s/devices/%s.crt)\n", "certificate", cert_sha, cfg->data_dir,
	       id);
	printf("  %-12s %s\n", "onboarded", !a->onboard ? "no (--no-onboard)" :
	       a->server[0] ? a->server : cfg->data_dir);
out:
	free(buf);
	free(line);
	free(csr_line);
	free(cmd);
	free(ca_text);
	free(cert_pem);
	free(cert_text);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	X509_free(cert);
	ncm_ca_release(&ca);
	return rc;
}

static void usage(const struct ncm_opt *opts, size_t n)
{
	printf("usage: nrfcloud-mock provision --port DEV [flags]        provision a kit's modem\n"
	       "       nrfcloud-mock provision --port DEV [flags] at 'CMD'  send one AT command\n"
	       "       nrfcloud-mock provision --dry-run [flags]          print the AT script\n\n"
	       "Exit status: 0 done, 1 failed (sec tag untouched), 2 bad input, 3 the sec tag is\n"
	       "half-written. See docs/lab.md.\n\nflags:\n");
	ncm_opts_usage(opts, n);
}

int ncm_cmd_provision(int argc, char **argv)
{
	struct ncm_config cfg;
	struct ncm_err_info err = { 0 };
	struct args a = { .baud = 115200, .timeout_s = 10, .onboard = 1 };
	struct prov p = { .fd = -1 };
	struct ncm_opt all[40];
	const struct ncm_opt *opts;
	char *pos[NCM_MAX_POSITIONAL];
	size_t n, n_pos;
	int help, rc;

	snprintf(a.tag_s, sizeof(a.tag_s), "%lu", NCM_DEFAULT_SEC_TAG);
	snprintf(a.id_from, sizeof(a.id_from), "imei");
	snprintf(a.ca, sizeof(a.ca), "lab");
	snprintf(a.amazon, sizeof(a.amazon), "%s", AMAZON_ROOT_CA_1_PATH);
	ncm_config_defaults(&cfg);
	opts = ncm_cli_config_opts(&cfg, 0, &n);
	memcpy(all, opts, sizeof(*opts)); /* --data only: host names do not matter here */
	n = 1;
#define O(nm, t, dst, sz, meta, help) all[n++] = (struct ncm_opt){ nm, t, dst, sz, meta, help }
	O("port", NCM_OPT_STR, a.port, sizeof(a.port), "DEV", "the modem's serial port");
	O("baud", NCM_OPT_INT, &a.baud, 0, "N", "baud rate (115200)");
	O("sec-tag", NCM_OPT_STR, a.tag_s, sizeof(a.tag_s), "N",
	  "sec tag to provision (16842753, CONFIG_NRF_CLOUD_SEC_TAG's default)");
	O("id", NCM_OPT_STR, a.id, sizeof(a.id), "ID", "device ID (certificate CN, MQTT client ID)");
	O("id-from", NCM_OPT_STR, a.id_from, sizeof(a.id_from), "imei|uuid",
	  "without --id: nrf-<IMEI> (default) or the AT%XMODEMUUID answer");
	O("ca", NCM_OPT_STR, a.ca, sizeof(a.ca), "lab|lab+amazon",
	  "CA for the sec tag; lab+amazon adds Amazon Root CA 1 so nRF Cloud works too");
	O("amazon-ca", NCM_OPT_STR, a.amazon, sizeof(a.amazon), "FILE",
	  "Amazon Root CA 1 PEM (Debian's ca-certificates)");
	O("server", NCM_OPT_STR, a.server, sizeof(a.server), "URL",
	  "onboard through this admin API (e.g. http://127.0.0.1:8080); default: into --data");
	O("admin-token", NCM_OPT_STR, a.token, sizeof(a.token), "TOKEN", "the admin API's token");
	O("replace", NCM_OPT_BOOL, &a.replace, 0, NULL, "replace a device onboarded before");
	O("onboard", NCM_OPT_BOOL, &a.onboard, 0, NULL,
	  "onboard the device (default); --no-onboard writes the modem only");
	O("timeout", NCM_OPT_INT, &a.timeout_s, 0, "SECONDS", "per AT command (KEYGEN: 3x)");
	O("dry-run", NCM_OPT_BOOL, &a.dry_run, 0, NULL, "print the AT script, touch nothing");
#undef O
	rc = ncm_opts_parse("provision", all, n, argc, argv, pos, &n_pos, &help);
	if (rc)
		return rc;
	if (help) {
		usage(all, n);
		return 0;
	}
	if (ncm_config_finish(&cfg, &err))
		return fail(2, "%s", err.msg);
	if (check_tag(a.tag_s, &p.tag))
		return fail(2, "--sec-tag '%s' is not a number 0-4294967295", a.tag_s);
	if (a.id[0] && ncm_devid_check(a.id, &err))
		return fail(2, "--id: %s", err.msg);
	if (strcmp(a.id_from, "imei") && strcmp(a.id_from, "uuid"))
		return fail(2, "--id-from must be imei or uuid");
	if (a.timeout_s < 1 || a.timeout_s > 600)
		return fail(2, "--timeout must be 1-600 seconds");
	p.timeout_ms = a.timeout_s * 1000;
	if (a.dry_run) {
		struct ncm_at_plan plan = { .tag = p.tag, .id = a.id[0] ? a.id : NULL,
					    .id_from = a.id_from,
					    .ca_label = strcmp(a.ca, "lab") ?
						"the lab CA + Amazon Root CA 1" : "the lab CA" };
		char *ca_text = NULL, *script;

		if (n_pos)
			return fail(2, "--dry-run takes no command");
		if (ncm_cli_ca_text(cfg.data_dir, a.ca, a.amazon, &ca_text, &err))
			return fail(2, "%s", err.msg);
		plan.ca_text = ca_text;
		script = ncm_at_script(&plan);
		free(ca_text);
		if (!script)
			return fail(1, "out of memory");
		fputs(script, stdout);
		free(script);
		return 0;
	}
	if (!a.port[0])
		return fail(2, "--port is required (e.g. --port /dev/ttyACM0), or --dry-run");
	if (n_pos && (n_pos != 2 || strcmp(pos[0], "at")))
		return fail(2, "expected no argument, or: at 'AT+CMD'");
	if (ncm_serial_open(a.port, a.baud, &p.fd, &err))
		return fail(err.code == NCM_ERR_INVAL ? 2 : 1, "%s", err.msg);
	if (n_pos == 2)
		rc = run_one(&p, pos[1]);
	else
		rc = provision(&cfg, &a, &p);
	close(p.fd);
	return rc;
}
