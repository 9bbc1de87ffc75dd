/* SPDX-License-Identifier: MIT
 * test_cli_ca.c: `nrfcloud-mock ca ...` as a user runs it: files it writes, what it prints, and
 * exit status 2 with one line on stderr (and nothing written) for each kind of bad input.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "file.h"
#include "harness.h"
#include "pki.h"

static char dir[PATH_MAX], data[PATH_MAX];

struct run {
	int status;
	char out[16384];
	char err[4096];
};

/* Runs nrfcloud-mock with args (NULL-terminated) and --data <data>. */
static void run(struct run *r, const char *const *args)
{
	r->status = cli_run(dir, data, args, r->out, sizeof(r->out), r->err, sizeof(r->err));
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ncm-cli-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/data", dir);
	ck_assert_ptr_nonnull(getenv("NCM_BIN"));
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *ftw)
{
	(void)sb;
	(void)f;
	(void)ftw;
	return remove(p);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void line_of(const char *text, const char *label, char *out, size_t size)
{
	const char *p = strstr(text, label);

	ck_assert_msg(p != NULL, "no '%s' in:\n%s", label, text);
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
}

static void assert_one_line_error(const struct run *r)
{
	ck_assert_int_eq(r->status, 2);
	ck_assert_msg(strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
		      "stderr is not one line: %s", r->err);
}

START_TEST(ca_init_creates_the_ca_once_and_show_prints_its_facts)
{
	struct run r;
	char sha1[128], sha2[128], path[PATH_MAX];
	struct stat st;

	run(&r, (const char *const[]){ "ca", "init", NULL });
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "created the lab CA"));
	snprintf(path, sizeof(path), "%s/ca/ca.key", data);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	run(&r, (const char *const[]){ "ca", "show", NULL });
	ck_assert_int_eq(r.status, 0);
	line_of(r.out, "sha256", sha1, sizeof(sha1));
	ck_assert_ptr_nonnull(strstr(r.out, "subject       CN=nrfcloud-mock lab CA"));
	ck_assert_ptr_nonnull(strstr(r.out, "not after"));
	ck_assert_ptr_nonnull(strstr(r.out, "DNS:mqtt.nrfcloud.lab"));
	ck_assert_ptr_nonnull(strstr(r.out, "DNS:localhost"));
	ck_assert_ptr_nonnull(strstr(r.out, "IP:127.0.0.1"));
	ck_assert_ptr_nonnull(strstr(r.out, "IP:::1"));

	/* new names re-issue the server certificate, never the CA */
	run(&r, (const char *const[]){ "ca", "init", "--impersonate", NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_null(strstr(r.err, "created the lab CA"));
	run(&r, (const char *const[]){ "ca", "show", NULL });
	line_of(r.out, "sha256", sha2, sizeof(sha2));
	ck_assert_str_eq(sha1, sha2);
	ck_assert_ptr_nonnull(strstr(r.out, "DNS:mqtt.nrfcloud.com"));
	ck_assert_ptr_nonnull(strstr(r.out, "DNS:firmware.nrfcloud.com"));
}
END_TEST

START_TEST(ca_export_prints_the_ca_pem)
{
	struct run r;
	char path[PATH_MAX], *pem;

	run(&r, (const char *const[]){ "ca", "export", NULL });
	assert_one_line_error(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "ca init"));
	run(&r, (const char *const[]){ "ca", "init", NULL });
	run(&r, (const char *const[]){ "ca", "export", NULL });
	ck_assert_int_eq(r.status, 0);
	snprintf(path, sizeof(path), "%s/ca/ca.pem", data);
	ck_assert_int_eq(ncm_file_read(path, 65536, &pem, NULL, NULL), 0);
	ck_assert_str_eq(r.out, pem);
	free(pem);
}
END_TEST

START_TEST(ca_issue_device_writes_a_key_and_a_certificate_for_the_id)
{
	struct run r;
	char out[PATH_MAX], path[PATH_MAX], cn[200], *pem;
	struct stat st;
	X509 *cert;

	run(&r, (const char *const[]){ "ca", "init", NULL });
	snprintf(out, sizeof(out), "%s/certs", dir);
	run(&r, (const char *const[]){ "ca", "issue-device", "lab-dut-7", "--out", out, NULL });
	ck_assert_msg(r.status == 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/lab-dut-7.key", out);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/lab-dut-7.crt", out);
	ck_assert_int_eq(ncm_file_read(path, 65536, &pem, NULL, NULL), 0);
	ck_assert_int_eq(ncm_pki_cert_from_pem(pem, strlen(pem), &cert, NULL), 0);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "lab-dut-7");
	X509_free(cert);
	free(pem);

	run(&r, (const char *const[]){ "ca", "issue-device", "bad#id", "--out", out, NULL });
	assert_one_line_error(&r);
	snprintf(path, sizeof(path), "%s/bad#id.key", out);
	ck_assert(!ncm_file_exists(path));
}
END_TEST

/* A CSR with CN=cn for key, signed by key. */
static X509_REQ *make_csr(EVP_PKEY *key, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	if (cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					   -1, 0);
	else
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"lab",
					   -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_NAME_free(name);
	X509_REQ_set_pubkey(req, key);
	X509_REQ_sign(req, key, EVP_sha256());
	return req;
}

static void write_file(const char *name, const void *p, size_t n, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	ck_assert_int_eq(ncm_file_write(path, p, n, 0644, NULL), 0);
}

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	int i, j = 0;

	for (i = 0; i < len; i++) {
		if (out[i] == '=')
			continue;
		out[j++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[j] = '\0';
	return (size_t)j;
}

static void assert_signed_for(const struct run *r, const char *id)
{
	char cn[200];
	X509 *cert = NULL;

	ck_assert_msg(r->status == 0, "%s", r->err);
	ck_assert_int_eq(ncm_pki_cert_from_pem(r->out, strlen(r->out), &cert, NULL), 0);
	ck_assert_int_eq(ncm_pki_cert_cn(cert, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, id);
	X509_free(cert);
}

START_TEST(ca_sign_csr_takes_pem_der_and_keygen_output)
{
	struct run r;
	char path[PATH_MAX], line[8192], b1[4096], out[PATH_MAX];
	unsigned char *der = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *req;
	BIO *bio;
	char *pem;
	long pem_len;
	int der_len;

	run(&r, (const char *const[]){ "ca", "init", NULL });
	ck_assert_int_eq(ncm_pki_key_new(&key, NULL), 0);
	req = make_csr(key, "modem-uuid-1");
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(bio, req);
	pem_len = BIO_get_mem_data(bio, &pem);
	write_file("req.pem", pem, (size_t)pem_len, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, NULL });
	assert_signed_for(&r, "modem-uuid-1");
	BIO_free(bio);

	der_len = i2d_X509_REQ(req, &der);
	write_file("req.der", der, (size_t)der_len, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, NULL });
	assert_signed_for(&r, "modem-uuid-1");

	/* the modem's answer line: %KEYGEN: "<base64url CSR>.<base64url COSE>" */
	b64url(der, (size_t)der_len, b1);
	snprintf(line, sizeof(line), "%%KEYGEN: \"%s.%s\"\r\n", b1, "0oRDoQEmoQRBIVhB");
	write_file("keygen.txt", line, strlen(line), path, sizeof(path));
	snprintf(out, sizeof(out), "%s/signed.crt", dir);
	run(&r, (const char *const[]){ "ca", "sign-csr", path, "--out", out, NULL });
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(ncm_file_exists(out));
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(ca_sign_csr_refuses_bad_input_with_status_2_and_writes_nothing)
{
	struct run r;
	char path[PATH_MAX], out[PATH_MAX];
	unsigned char *der = NULL;
	EVP_PKEY *key = NULL, *rsa;
	X509_REQ *req;
	int der_len;

	run(&r, (const char *const[]){ "ca", "init", NULL });
	snprintf(out, sizeof(out), "%s/never.crt", dir);

	write_file("junk.txt", "hello, this is not a CSR", 24, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, "--out", out, NULL });
	assert_one_line_error(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "not a certificate signing request"));

	ck_assert_int_eq(ncm_pki_key_new(&key, NULL), 0);
	req = make_csr(key, "dev-1");
	der_len = i2d_X509_REQ(req, &der);
	der[der_len - 5] ^= 0x55; /* inside the signature */
	write_file("tampered.der", der, (size_t)der_len, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, "--out", out, NULL });
	assert_one_line_error(&r);
	OPENSSL_free(der);
	der = NULL;
	X509_REQ_free(req);

	rsa = EVP_RSA_gen(2048);
	req = make_csr(rsa, "dev-2");
	der_len = i2d_X509_REQ(req, &der);
	write_file("rsa.der", der, (size_t)der_len, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, "--out", out, NULL });
	assert_one_line_error(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "RSA"));
	OPENSSL_free(der);
	der = NULL;
	X509_REQ_free(req);
	EVP_PKEY_free(rsa);

	req = make_csr(key, "bad/id");
	der_len = i2d_X509_REQ(req, &der);
	write_file("badid.der", der, (size_t)der_len, path, sizeof(path));
	run(&r, (const char *const[]){ "ca", "sign-csr", path, "--out", out, NULL });
	assert_one_line_error(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "device ID"));
	OPENSSL_free(der);
	der = NULL;
	X509_REQ_free(req);

	run(&r, (const char *const[]){ "ca", "sign-csr", "/nonexistent/csr.pem", NULL });
	assert_one_line_error(&r);
	ck_assert(!ncm_file_exists(out));
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(unknown_commands_and_flags_exit_2_and_variables_mirror_flags)
{
	struct run r;

	run(&r, (const char *const[]){ "ca", "frobnicate", NULL });
	assert_one_line_error(&r);
	run(&r, (const char *const[]){ "serve", "--no-such-flag", NULL });
	assert_one_line_error(&r);
	run(&r, (const char *const[]){ "serve", "--mqtt-port", "http", NULL });
	assert_one_line_error(&r);
	/* every flag is also an environment variable */
	setenv("NRFCLOUD_MOCK_MQTT_HOST", "broker.lab.example", 1);
	run(&r, (const char *const[]){ "ca", "init", NULL });
	unsetenv("NRFCLOUD_MOCK_MQTT_HOST");
	ck_assert_int_eq(r.status, 0);
	run(&r, (const char *const[]){ "ca", "show", NULL });
	ck_assert_ptr_nonnull(strstr(r.out, "DNS:broker.lab.example"));
	run(&r, (const char *const[]){ "ca", "--help", NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "NRFCLOUD_MOCK_DATA"));
}
END_TEST

static const struct suite_def suite = {
	.name = "cli_ca", .timeout_s = 60, .setup = setup, .teardown = teardown,
};

SUITE_MAIN(suite,
		{ "init", ca_init_creates_the_ca_once_and_show_prints_its_facts },
		{ "export", ca_export_prints_the_ca_pem },
		{ "issue_device", ca_issue_device_writes_a_key_and_a_certificate_for_the_id },
		{ "sign_csr", ca_sign_csr_takes_pem_der_and_keygen_output },
		{ "sign_csr_bad", ca_sign_csr_refuses_bad_input_with_status_2_and_writes_nothing },
		{ "cli_errors", unknown_commands_and_flags_exit_2_and_variables_mirror_flags })
