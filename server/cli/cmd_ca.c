/* SPDX-License-Identifier: MIT
 * cmd_ca.c: `nrfcloud-mock ca init|show|export|issue-device|sign-csr` (docs/cli.md). Bad input
 * (not a CSR, a bad signature, an unsupported key, a device ID nRF Cloud would refuse) is one
 * line on stderr and exit status 2, and nothing is written.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ca.h"
#include "cli.h"
#include "devid.h"
#include "file.h"
#include "pki.h"

#define CSR_MAX (64 * 1024)

#define fail(...) ncm_cli_fail("ca", __VA_ARGS__)

static int load_ca(const struct ncm_config *cfg, struct ncm_ca *ca)
{
	struct ncm_err_info err = { 0 };
	int rc = ncm_ca_load(cfg->data_dir, ca, &err);

	if (rc == NCM_ERR_NOT_FOUND)
		return fail(2, "no lab CA in %s/ca; run 'nrfcloud-mock ca init --data %s' first",
			    cfg->data_dir, cfg->data_dir);
	if (rc)
		return fail(1, "%s", err.msg);
	return 0;
}

static void print_time(const char *label, time_t t)
{
	char buf[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-13s %s\n", label, buf);
}

static int show_cert(const char *title, const char *path)
{
	struct ncm_err_info err = { 0 };
	struct ncm_pki_info info;
	char *pem = NULL;
	size_t len;
	X509 *cert = NULL;
	int rc;

	rc = ncm_file_read(path, NCM_CA_MAX_PEM, &pem, &len, &err);
	if (!rc)
		rc = ncm_pki_cert_from_pem(pem, len, &cert, &err);
	if (!rc)
		rc = ncm_pki_cert_info(cert, &info, &err);
	free(pem);
	X509_free(cert);
	if (rc)
		return fail(1, "%s", err.msg);
	printf("%s\n", title);
	printf("%-13s %s\n", "file", path);
	printf("%-13s %s\n", "subject", info.subject);
	printf("%-13s %s\n", "issuer", info.issuer);
	printf("%-13s %s\n", "sha256", info.fingerprint);
	print_time("not before", info.not_before);
	print_time("not after", info.not_after);
	if (info.sans[0])
		printf("%-13s %s\n", "names", info.sans);
	return 0;
}

static int ca_show(const struct ncm_config *cfg)
{
	char path[PATH_MAX];
	int rc;

	ncm_ca_path(cfg->data_dir, "ca.pem", path, sizeof(path));
	if (!ncm_file_exists(path))
		return fail(2, "no lab CA in %s/ca; run 'nrfcloud-mock ca init' first",
			    cfg->data_dir);
	rc = show_cert("lab CA", path);
	if (rc)
		return rc;
	ncm_ca_path(cfg->data_dir, "server.pem", path, sizeof(path));
	if (!ncm_file_exists(path))
		return 0;
	printf("\n");
	return show_cert("server certificate", path);
}

static int ca_export(const struct ncm_config *cfg)
{
	struct ncm_err_info err = { 0 };
	char path[PATH_MAX];
	char *pem = NULL;
	int rc;

	ncm_ca_path(cfg->data_dir, "ca.pem", path, sizeof(path));
	rc = ncm_file_read(path, NCM_CA_MAX_PEM, &pem, NULL, &err);
	if (rc == NCM_ERR_NOT_FOUND)
		return fail(2, "no lab CA in %s/ca; run 'nrfcloud-mock ca init' first",
			    cfg->data_dir);
	if (rc)
		return fail(1, "%s", err.msg);
	fputs(pem, stdout);
	free(pem);
	return 0;
}

static int ca_issue_device(const struct ncm_config *cfg, const char *id, const char *out_dir)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	if (ncm_devid_check(id, &err))
		return fail(2, "%s", err.msg);
	rc = load_ca(cfg, &ca);
	if (rc)
		return rc;
	rc = ncm_ca_issue_device(&ca, id, time(NULL), &cert, &key, &err);
	if (!rc)
		rc = ncm_ca_write_device(out_dir, id, cert, key, &err);
	if (rc)
		rc = fail(1, "%s", err.msg);
	else
		printf("%s/%s.crt\n%s/%s.key\n", out_dir, id, out_dir, id);
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_ca_release(&ca);
	return rc;
}

static int read_input(const char *file, char **data, size_t *len, struct ncm_err_info *err)
{
	size_t cap = CSR_MAX + 1, n;
	char *buf;

	if (strcmp(file, "-"))
		return ncm_file_read(file, CSR_MAX, data, len, err);
	buf = malloc(cap + 1);
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
	n = fread(buf, 1, cap, stdin);
	if (n > CSR_MAX) {
		free(buf);
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "input is larger than %d bytes", CSR_MAX);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return NCM_OK;
}

static int ca_sign_csr(const struct ncm_config *cfg, const char *file, const char *out)
{
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	char id[NCM_DEVID_MAX + 1];
	char *data = NULL, *pem = NULL;
	size_t len;
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	int rc;

	rc = read_input(file, &data, &len, &err);
	if (rc) {
		rc = fail(2, "%s", err.msg);
		goto out;
	}
	if (ncm_pki_csr_parse((unsigned char *)data, len, &req, &err) ||
	    ncm_pki_csr_check(req, id, sizeof(id), &err)) {
		rc = fail(2, "%s: %s", file, err.msg);
		goto out;
	}
	rc = load_ca(cfg, &ca);
	if (rc)
		goto out;
	pub = X509_REQ_get_pubkey(req);
	if (!pub || ncm_pki_device_cert_new(ca.cert, ca.key, pub, id, time(NULL),
					    NCM_PKI_DEVICE_DAYS, &cert, &err) ||
	    ncm_pki_cert_to_pem(cert, &pem)) {
		rc = fail(1, "cannot sign: %s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (out) {
		if (ncm_file_write(out, pem, strlen(pem), 0644, &err)) {
			rc = fail(1, "%s", err.msg);
			goto out;
		}
		fprintf(stderr, "nrfcloud-mock ca: wrote %s for device %s\n", out, id);
	} else {
		fputs(pem, stdout);
	}
	rc = 0;
out:
	free(pem);
	free(data);
	X509_free(cert);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	ncm_ca_release(&ca);
	return rc;
}

static void usage(const struct ncm_opt *opts, size_t n)
{
	printf("usage: nrfcloud-mock ca [flags] init|show|export\n"
	       "       nrfcloud-mock ca [flags] export --firmware DIR [--device ID,...] "
	       "[--ca lab|lab+amazon]\n"
	       "       nrfcloud-mock ca [flags] issue-device ID [--out DIR]\n"
	       "       nrfcloud-mock ca [flags] sign-csr FILE|- [--out FILE]\n\n"
	       "sign-csr takes a CSR in PEM or DER, or the modem's AT%%KEYGEN answer.\n\nflags:\n");
	ncm_opts_usage(opts, n);
	printf("  %-28s %s\n", "--out DIR|FILE", "where issue-device / sign-csr write");
}

int ncm_cmd_ca(int argc, char **argv)
{
	struct ncm_config cfg;
	struct ncm_err_info err = { 0 };
	struct ncm_opt all[40];
	const struct ncm_opt *opts;
	char out[PATH_MAX] = "", firmware[PATH_MAX] = "", devices[1024] = "", which[16] = "lab";
	char tag_s[16] = "16842753", *end;
	unsigned long tag;
	char *pos[NCM_MAX_POSITIONAL];
	size_t n, n_pos;
	int help, rc;

	ncm_config_defaults(&cfg);
	opts = ncm_cli_config_opts(&cfg, 0, &n);
	memcpy(all, opts, n * sizeof(*opts));
	all[n++] = (struct ncm_opt){ "firmware", NCM_OPT_STR, firmware, sizeof(firmware), "DIR",
				     "export: write the files for firmware builds (certs/README.md)" };
	all[n++] = (struct ncm_opt){ "device", NCM_OPT_STR, devices, sizeof(devices), "ID,...",
				     "export --firmware: also issue <id>.crt/.key and a header" };
	all[n++] = (struct ncm_opt){ "ca", NCM_OPT_STR, which, sizeof(which), "lab|lab+amazon",
				     "export --firmware: the modem CA (modem-ca.pem, provision.at)" };
	all[n++] = (struct ncm_opt){ "sec-tag", NCM_OPT_STR, tag_s, sizeof(tag_s), "N",
				     "export --firmware: sec tag of provision.at (16842753)" };
	all[n++] = (struct ncm_opt){ "out", NCM_OPT_STR, out, sizeof(out), "PATH", "output" };
	rc = ncm_opts_parse("ca", all, n, argc, argv, pos, &n_pos, &help);
	if (rc)
		return rc;
	if (help) {
		usage(all, n - 1);
		return 0;
	}
	if (ncm_config_finish(&cfg, &err))
		return fail(2, "%s", err.msg);
	if (n_pos == 1 && !strcmp(pos[0], "init"))
		return ncm_cli_ca_init(&cfg, time(NULL));
	if (n_pos == 1 && !strcmp(pos[0], "show"))
		return ca_show(&cfg);
	if ((firmware[0] || devices[0]) && (n_pos != 1 || strcmp(pos[0], "export")))
		return fail(2, "--firmware and --device go with 'export'");
	if (n_pos == 1 && !strcmp(pos[0], "export") && firmware[0]) {
		tag = strtoul(tag_s, &end, 10);
		if (!tag_s[0] || *end || tag > 4294967295UL)
			return fail(2, "--sec-tag '%s' is not a number 0-4294967295", tag_s);
		return ncm_cli_ca_export_firmware(&cfg, firmware, devices, which, tag);
	}
	if (n_pos == 1 && !strcmp(pos[0], "export") && devices[0])
		return fail(2, "--device needs --firmware DIR");
	if (n_pos == 1 && !strcmp(pos[0], "export"))
		return ca_export(&cfg);
	if (n_pos == 2 && !strcmp(pos[0], "issue-device"))
		return ca_issue_device(&cfg, pos[1], out[0] ? out : ".");
	if (n_pos == 2 && !strcmp(pos[0], "sign-csr"))
		return ca_sign_csr(&cfg, pos[1], out[0] ? out : NULL);
	return fail(2, "expected init, show, export, issue-device ID or sign-csr FILE; see "
		       "'nrfcloud-mock ca --help'");
}
