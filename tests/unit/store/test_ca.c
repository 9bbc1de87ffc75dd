/* SPDX-License-Identifier: MIT
 * test_ca.c: unit tests for the lab CA's files (server/store/ca.c), the file helpers
 * (server/store/file.c) and the fixture loader (server/store/fixtures.c). Each test works in
 * its own mkdtemp folder under /tmp and removes it afterwards; `now` is a fixed instant.
 */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ca.h"
#include "db.h"
#include "devices.h"
#include "err.h"
#include "file.h"
#include "fixtures.h"
#include "log.h"
#include "pki.h"
#include "team.h"

#define NOW ((time_t)1735689600) /* 2025-01-01T00:00:00Z */

static const char *const sans[] = { "localhost", "127.0.0.1", "::1" };
static const char *const sans_reordered[] = { "::1", "localhost", "127.0.0.1" };
static const char *const sans_changed[] = { "localhost", "127.0.0.1", "::1", "mock.example" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void quiet_sink(enum ncm_log_level level, const char *msg, void *userdata)
{
	(void)level;
	(void)msg;
	(void)userdata;
}

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Every test folder lives in one folder per run, made by main() and removed by it after the
 * suite, so a test that fails before its rm_tree leaves nothing behind in /tmp. */
static char tmp_root[40];

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under /tmp; rm_tree removes it and everything in it. */
static void make_tmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/XXXXXX", tmp_root);
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static const char *ca_file(const char *data, const char *name)
{
	static char bufs[4][512];
	static int next;
	char *buf = bufs[next++ % 4];

	ck_assert_int_eq(ncm_ca_path(data, name, buf, sizeof(bufs[0])), NCM_OK);
	return buf;
}

static mode_t file_mode(const char *path)
{
	struct stat sb;

	ck_assert_msg(stat(path, &sb) == 0, "stat %s", path);
	ck_assert_msg(S_ISREG(sb.st_mode), "%s is not a regular file", path);
	return sb.st_mode & 07777;
}

static char *slurp(const char *path)
{
	struct ncm_err_info err = { 0 };
	char *text = NULL;
	size_t len;

	ck_assert_msg(ncm_file_read(path, 1 << 20, &text, &len, &err) == NCM_OK, "read: %s",
		      err.msg);
	return text;
}

static X509 *cert_file(const char *path)
{
	struct ncm_err_info err = { 0 };
	char *pem = slurp(path);
	X509 *cert = NULL;

	ck_assert_msg(ncm_pki_cert_from_pem(pem, strlen(pem), &cert, &err) == NCM_OK,
		      "%s: %s", path, err.msg);
	free(pem);
	return cert;
}

static void fingerprint_of(const char *path, char out[NCM_PKI_FP_LEN + 1])
{
	X509 *cert = cert_file(path);

	ck_assert_int_eq(ncm_pki_cert_fingerprint(cert, out), NCM_OK);
	X509_free(cert);
}

static void init_ok(const char *data, const char *const *s, size_t n, int *created,
		    int *reissued)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(ncm_ca_init(data, s, n, NOW, created, reissued, &err) == NCM_OK,
		      "ca init: %s", err.msg);
}

/* Number of entries in dir (without . and ..), and how many contain needle. */
static int count_entries(const char *dir, const char *needle, int *matching)
{
	struct dirent *e;
	DIR *dh = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(dh);
	if (matching)
		*matching = 0;
	while ((e = readdir(dh))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (matching && needle && strstr(e->d_name, needle))
			(*matching)++;
	}
	closedir(dh);
	return n;
}

static int sans_equal(X509 *cert, const char *const *want, size_t n)
{
	struct ncm_err_info err = { 0 };
	char **have = NULL;
	size_t n_have = 0, i;
	int ok;

	ck_assert_int_eq(ncm_pki_cert_sans(cert, &have, &n_have, &err), NCM_OK);
	ok = n_have == n;
	for (i = 0; ok && i < n; i++)
		ok = !strcmp(have[i], want[i]);
	ncm_pki_strv_free(have, n_have);
	return ok;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- CA ---- */

START_TEST(init_creates_ca_and_server_files_with_key_modes_0600)
{
	char data[64];
	int created = -1, reissued = -1;
	X509 *ca, *server;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), &created, &reissued);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(reissued, 1);
	ck_assert_int_eq(file_mode(ca_file(data, "ca.key")), 0600);
	ck_assert_int_eq(file_mode(ca_file(data, "server.key")), 0600);
	ck_assert_int_eq(file_mode(ca_file(data, "ca.pem")), 0644);
	ck_assert_int_eq(file_mode(ca_file(data, "server.pem")), 0644);

	ca = cert_file(ca_file(data, "ca.pem"));
	server = cert_file(ca_file(data, "server.pem"));
	ck_assert_int_eq(ncm_pki_cert_issued_by(server, ca), 1);
	ck_assert(sans_equal(server, sans, N(sans)));
	X509_free(server);
	X509_free(ca);
	rm_tree(data);
}
END_TEST

START_TEST(second_init_keeps_the_ca_and_the_server_cert_for_the_same_sans_in_any_order)
{
	char data[64];
	char ca_fp[NCM_PKI_FP_LEN + 1], srv_fp[NCM_PKI_FP_LEN + 1], fp[NCM_PKI_FP_LEN + 1];
	int created = -1, reissued = -1;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	fingerprint_of(ca_file(data, "ca.pem"), ca_fp);
	fingerprint_of(ca_file(data, "server.pem"), srv_fp);

	init_ok(data, sans, N(sans), &created, &reissued);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 0);
	fingerprint_of(ca_file(data, "ca.pem"), fp);
	ck_assert_str_eq(fp, ca_fp);
	fingerprint_of(ca_file(data, "server.pem"), fp);
	ck_assert_str_eq(fp, srv_fp);

	created = reissued = -1;
	init_ok(data, sans_reordered, N(sans_reordered), &created, &reissued);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 0);
	fingerprint_of(ca_file(data, "ca.pem"), fp);
	ck_assert_str_eq(fp, ca_fp);
	fingerprint_of(ca_file(data, "server.pem"), fp);
	ck_assert_str_eq(fp, srv_fp);
	rm_tree(data);
}
END_TEST

START_TEST(missing_server_key_reissues_the_server_cert)
{
	char data[64];
	int created = -1, reissued = -1;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(unlink(ca_file(data, "server.key")), 0);
	init_ok(data, sans, N(sans), &created, &reissued);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 1);
	ck_assert(ncm_file_exists(ca_file(data, "server.key")));
	rm_tree(data);
}
END_TEST

START_TEST(mkdir_p_refuses_a_path_that_is_a_file)
{
	char dir[64], path[160];
	struct ncm_err_info err = { 0 };

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/plain", dir);
	ck_assert_int_eq(ncm_file_write(path, "x", 1, 0644, &err), NCM_OK);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a folder"));
	snprintf(path, sizeof(path), "%s/plain/sub", dir);
	ck_assert_int_ne(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	rm_tree(dir);
}
END_TEST

START_TEST(changed_sans_reissue_the_server_cert_but_keep_the_ca)
{
	char data[64];
	char ca_fp[NCM_PKI_FP_LEN + 1], srv_fp[NCM_PKI_FP_LEN + 1], fp[NCM_PKI_FP_LEN + 1];
	int created = -1, reissued = -1;
	X509 *ca, *server;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	fingerprint_of(ca_file(data, "ca.pem"), ca_fp);
	fingerprint_of(ca_file(data, "server.pem"), srv_fp);

	init_ok(data, sans_changed, N(sans_changed), &created, &reissued);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 1);
	fingerprint_of(ca_file(data, "ca.pem"), fp);
	ck_assert_str_eq(fp, ca_fp);
	fingerprint_of(ca_file(data, "server.pem"), fp);
	ck_assert_str_ne(fp, srv_fp);
	ca = cert_file(ca_file(data, "ca.pem"));
	server = cert_file(ca_file(data, "server.pem"));
	ck_assert_int_eq(ncm_pki_cert_issued_by(server, ca), 1);
	ck_assert(sans_equal(server, sans_changed, N(sans_changed)));
	ck_assert_int_eq(file_mode(ca_file(data, "server.key")), 0600);
	X509_free(server);
	X509_free(ca);

	/* dropping a SAN reissues too */
	init_ok(data, sans, N(sans) - 1, &created, &reissued);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 1);
	rm_tree(data);
}
END_TEST

START_TEST(ca_cert_without_its_key_is_refused_and_nothing_is_replaced)
{
	char data[64];
	char *ca_before, *srv_before, *after;
	struct ncm_err_info err = { 0 };
	int created = -1, reissued = -1;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	ca_before = slurp(ca_file(data, "ca.pem"));
	srv_before = slurp(ca_file(data, "server.pem"));
	ck_assert_int_eq(unlink(ca_file(data, "ca.key")), 0);

	ck_assert_int_eq(ncm_ca_init(data, sans_changed, N(sans_changed), NOW, &created,
				     &reissued, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(err.code, NCM_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "ca.key"));
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(reissued, 0);
	ck_assert(access(ca_file(data, "ca.key"), F_OK) != 0);
	after = slurp(ca_file(data, "ca.pem"));
	ck_assert_str_eq(after, ca_before);
	free(after);
	after = slurp(ca_file(data, "server.pem"));
	ck_assert_str_eq(after, srv_before);
	free(after);
	free(ca_before);
	free(srv_before);
	rm_tree(data);
}
END_TEST

START_TEST(ca_key_without_its_cert_is_refused_and_nothing_is_replaced)
{
	char data[64];
	char *key_before, *after;
	struct ncm_err_info err = { 0 };

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	key_before = slurp(ca_file(data, "ca.key"));
	ck_assert_int_eq(unlink(ca_file(data, "ca.pem")), 0);
	ck_assert_int_eq(ncm_ca_init(data, sans, N(sans), NOW, NULL, NULL, &err),
			 NCM_ERR_INVAL);
	ck_assert(access(ca_file(data, "ca.pem"), F_OK) != 0);
	after = slurp(ca_file(data, "ca.key"));
	ck_assert_str_eq(after, key_before);
	free(after);
	free(key_before);
	rm_tree(data);
}
END_TEST

START_TEST(trust_dir_holds_the_ca_under_its_subject_hash_once_per_cert)
{
	char data[64], path[600], trust[512], cn[128];
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca = { 0 };
	unsigned long hash;
	char *pem, *have;
	X509 *twin = NULL;
	int n, tmp;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(ncm_ca_load(data, &ca, &err), NCM_OK);
	hash = X509_subject_name_hash(ca.cert);
	snprintf(trust, sizeof(trust), "%s", ca_file(data, "trust"));
	snprintf(path, sizeof(path), "%s/%08lx.0", trust, hash);
	ck_assert_int_eq(ncm_pki_cert_to_pem(ca.cert, &pem), NCM_OK);
	have = slurp(path);
	ck_assert_str_eq(have, pem);
	free(have);
	free(pem);
	ck_assert_int_eq(file_mode(path), 0644);
	ck_assert_int_eq(count_entries(trust, NULL, NULL), 1);

	/* the same certificate twice: still one file (a second init adds it again, too) */
	ck_assert_int_eq(ncm_ca_trust_add(data, ca.cert, &err), NCM_OK);
	ck_assert_int_eq(ncm_ca_trust_add(data, ca.cert, &err), NCM_OK);
	init_ok(data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(count_entries(trust, NULL, NULL), 1);

	/* another certificate with the same subject name gets the next number */
	ck_assert_int_eq(ncm_pki_cert_cn(ca.cert, cn, sizeof(cn)), NCM_OK);
	ck_assert_int_eq(ncm_pki_ca_new(ca.key, cn, NOW + 3600, NCM_PKI_CA_DAYS, &twin, &err),
			 NCM_OK);
	ck_assert_uint_eq(X509_subject_name_hash(twin), hash);
	ck_assert_int_eq(ncm_ca_trust_add(data, twin, &err), NCM_OK);
	ck_assert_int_eq(ncm_ca_trust_add(data, twin, &err), NCM_OK);
	snprintf(path, sizeof(path), "%s/%08lx.1", trust, hash);
	ck_assert_int_eq(ncm_pki_cert_to_pem(twin, &pem), NCM_OK);
	have = slurp(path);
	ck_assert_str_eq(have, pem);
	free(have);
	free(pem);
	n = count_entries(trust, ".tmp.", &tmp);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(tmp, 0);
	X509_free(twin);
	ncm_ca_release(&ca);
	rm_tree(data);
}
END_TEST

START_TEST(load_on_an_empty_dir_is_not_found)
{
	char data[64];
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;

	make_tmpdir(data, sizeof(data));
	ck_assert_int_eq(ncm_ca_load(data, &ca, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(err.code, NCM_ERR_NOT_FOUND);
	ck_assert_ptr_null(ca.cert);
	ck_assert_ptr_null(ca.key);
	rm_tree(data);
}
END_TEST

START_TEST(load_returns_the_ca_that_init_made)
{
	char data[64], fp[NCM_PKI_FP_LEN + 1], want[NCM_PKI_FP_LEN + 1];
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(ncm_ca_load(data, &ca, &err), NCM_OK);
	ck_assert_int_eq(ncm_pki_cert_has_key(ca.cert, ca.key), 1);
	ck_assert_int_eq(ncm_pki_cert_fingerprint(ca.cert, fp), NCM_OK);
	fingerprint_of(ca_file(data, "ca.pem"), want);
	ck_assert_str_eq(fp, want);
	ncm_ca_release(&ca);
	ck_assert_ptr_null(ca.cert);
	rm_tree(data);
}
END_TEST

START_TEST(issued_device_cert_is_written_with_key_0600_and_cn_is_the_id)
{
	char data[64], dir[600], path[700], cn[NCM_DEVID_MAX + 1];
	struct ncm_err_info err = { 0 };
	struct ncm_ca ca;
	EVP_PKEY *key = NULL, *key_back = NULL;
	X509 *cert = NULL, *back;
	char *pem;

	make_tmpdir(data, sizeof(data));
	init_ok(data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(ncm_ca_load(data, &ca, &err), NCM_OK);
	ck_assert_msg(ncm_ca_issue_device(&ca, "nrf-352656100000001", NOW, &cert, &key, &err) ==
		      NCM_OK, "issue: %s", err.msg);
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(key);
	/* the folder does not exist yet */
	snprintf(dir, sizeof(dir), "%s/out/devices", data);
	ck_assert_msg(ncm_ca_write_device(dir, "nrf-352656100000001", cert, key, &err) == NCM_OK,
		      "write: %s", err.msg);

	snprintf(path, sizeof(path), "%s/nrf-352656100000001.crt", dir);
	ck_assert_int_eq(file_mode(path), 0644);
	back = cert_file(path);
	ck_assert_int_eq(ncm_pki_cert_issued_by(back, ca.cert), 1);
	ck_assert_int_eq(ncm_pki_cert_cn(back, cn, sizeof(cn)), NCM_OK);
	ck_assert_str_eq(cn, "nrf-352656100000001");
	ck_assert_int_eq(X509_cmp(back, cert), 0);

	snprintf(path, sizeof(path), "%s/nrf-352656100000001.key", dir);
	ck_assert_int_eq(file_mode(path), 0600);
	pem = slurp(path);
	ck_assert_int_eq(ncm_pki_key_from_pem(pem, strlen(pem), &key_back, &err), NCM_OK);
	ck_assert_int_eq(ncm_pki_cert_has_key(back, key_back), 1);
	free(pem);
	EVP_PKEY_free(key_back);
	X509_free(back);
	X509_free(cert);
	EVP_PKEY_free(key);
	ncm_ca_release(&ca);
	rm_tree(data);
}
END_TEST

/* ---- files ---- */

START_TEST(file_write_is_atomic_exact_mode_and_leaves_no_temp_file)
{
	char dir[64], path[128];
	struct ncm_err_info err = { 0 };
	mode_t old_mask;
	char *text;
	int tmp;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f.txt", dir);
	/* the mode is exact whatever the umask */
	old_mask = umask(0077);
	ck_assert_int_eq(ncm_file_write(path, "first", 5, 0644, &err), NCM_OK);
	umask(old_mask);
	ck_assert_int_eq(file_mode(path), 0644);
	text = slurp(path);
	ck_assert_str_eq(text, "first");
	free(text);

	/* replacing: new content and mode, never a mix, no leftovers */
	ck_assert_int_eq(ncm_file_write(path, "second!", 7, 0600, &err), NCM_OK);
	ck_assert_int_eq(file_mode(path), 0600);
	text = slurp(path);
	ck_assert_str_eq(text, "second!");
	free(text);
	ck_assert_int_eq(count_entries(dir, ".tmp.", &tmp), 1);
	ck_assert_int_eq(tmp, 0);

	/* a folder that does not exist: an I/O error, and nothing left behind */
	snprintf(path, sizeof(path), "%s/missing/f.txt", dir);
	ck_assert_int_eq(ncm_file_write(path, "x", 1, 0644, &err), NCM_ERR_IO);
	ck_assert_int_eq(count_entries(dir, ".tmp.", &tmp), 1);
	ck_assert_int_eq(tmp, 0);
	rm_tree(dir);
}
END_TEST

START_TEST(file_read_enforces_max_and_reports_a_missing_file)
{
	char dir[64], path[128];
	struct ncm_err_info err = { 0 };
	char *out = (char *)1;
	size_t len = 99;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ten", dir);
	ck_assert_int_eq(ncm_file_write(path, "0123456789", 10, 0644, &err), NCM_OK);

	ck_assert_int_eq(ncm_file_read(path, 10, &out, &len, &err), NCM_OK);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(out, "0123456789");
	free(out);

	out = (char *)1;
	ck_assert_int_eq(ncm_file_read(path, 9, &out, &len, &err), NCM_ERR_TOO_BIG);
	ck_assert_int_eq(err.code, NCM_ERR_TOO_BIG);
	ck_assert_ptr_null(out);

	snprintf(path, sizeof(path), "%s/empty", dir);
	ck_assert_int_eq(ncm_file_write(path, "", 0, 0644, &err), NCM_OK);
	ck_assert_int_eq(ncm_file_read(path, 10, &out, &len, &err), NCM_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(out, "");
	free(out);

	out = (char *)1;
	snprintf(path, sizeof(path), "%s/absent", dir);
	ck_assert_int_eq(ncm_file_read(path, 10, &out, &len, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(err.code, NCM_ERR_NOT_FOUND);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(ncm_file_exists(path), 0);
	rm_tree(dir);
}
END_TEST

START_TEST(mkdir_p_creates_nested_folders_and_accepts_existing_ones)
{
	char dir[64], path[160];
	struct ncm_err_info err = { 0 };
	struct stat sb;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_int_eq(ncm_file_exists(path), 1);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	snprintf(path, sizeof(path), "%s/a/b/d/", dir);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_int_eq(ncm_mkdir_p(dir, 0755, &err), NCM_OK);
	rm_tree(dir);
}
END_TEST

/* ---- fixtures ---- */

struct world {
	char root[64];      /* the temp folder */
	char data[128];     /* CA data dir */
	char fixtures[128]; /* fixtures dir */
	char out[128];      /* the data folder: device files go to <out>/devices */
	struct ncm_ca ca;
	struct ncm_db *db;
	char b_fp[NCM_PKI_FP_LEN + 1];
};

static const char team_json[] =
	"{\n"
	"  \"tenantId\": \"7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a\",\n"
	"  \"name\": \"fixture lab\",\n"
	"  \"stage\": \"beta\",\n"
	"  \"apiKeys\": [\"f0e1d2c3b4a5968778695a4b3c2d1e0f00112233\", \"second-key\"]\n"
	"}\n";

static void world_make(struct world *w)
{
	struct ncm_err_info err = { 0 };
	char path[256], *pem, *json;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t i, n;

	memset(w, 0, sizeof(*w));
	make_tmpdir(w->root, sizeof(w->root));
	snprintf(w->data, sizeof(w->data), "%s/data", w->root);
	snprintf(w->fixtures, sizeof(w->fixtures), "%s/fixtures", w->root);
	snprintf(w->out, sizeof(w->out), "%s/out", w->root);
	init_ok(w->data, sans, N(sans), NULL, NULL);
	ck_assert_int_eq(ncm_ca_load(w->data, &w->ca, &err), NCM_OK);
	ck_assert_int_eq(ncm_db_open(":memory:", &w->db, &err), NCM_OK);

	snprintf(path, sizeof(path), "%s/devices", w->fixtures);
	ck_assert_int_eq(ncm_mkdir_p(path, 0755, &err), NCM_OK);
	snprintf(path, sizeof(path), "%s/team.json", w->fixtures);
	write_text(path, team_json);
	snprintf(path, sizeof(path), "%s/devices/a.json", w->fixtures);
	write_text(path, "{ \"id\": \"dev-a\", \"name\": \"Device A\", \"subType\": \"nrf9160dk\","
			 " \"tags\": [\"lab\", \"dk\"] }\n");

	/* b brings its own certificate, issued here by the same CA */
	ck_assert_int_eq(ncm_ca_issue_device(&w->ca, "dev-b", NOW, &cert, &key, &err), NCM_OK);
	ck_assert_int_eq(ncm_pki_cert_fingerprint(cert, w->b_fp), NCM_OK);
	ck_assert_int_eq(ncm_pki_cert_to_pem(cert, &pem), NCM_OK);
	/* as a JSON string: newlines become \n */
	n = strlen(pem);
	json = calloc(1, 2 * n + 64);
	ck_assert_ptr_nonnull(json);
	strcpy(json, "{ \"id\": \"dev-b\", \"certificate\": \"");
	for (i = 0; i < n; i++) {
		if (pem[i] == '\n')
			strcat(json, "\\n");
		else
			strncat(json, &pem[i], 1);
	}
	strcat(json, "\" }\n");
	snprintf(path, sizeof(path), "%s/devices/b.json", w->fixtures);
	write_text(path, json);
	free(json);
	free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void world_free(struct world *w)
{
	ncm_db_close(w->db);
	ncm_ca_release(&w->ca);
	rm_tree(w->root);
}

static void load_ok(struct world *w)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(ncm_fixtures_load(w->db, w->fixtures, &w->ca, w->out, NOW, &err) == NCM_OK,
		      "fixtures load: %s", err.msg);
}

START_TEST(fixtures_load_stores_the_team_and_both_devices)
{
	char path[256], fp[NCM_PKI_FP_LEN + 1];
	struct ncm_err_info err = { 0 };
	struct ncm_device d;
	struct ncm_team t;
	struct world w;
	X509 *cert;

	world_make(&w);
	load_ok(&w);

	ck_assert_int_eq(ncm_store_team_get(w.db, &t, &err), NCM_OK);
	ck_assert_str_eq(t.tenant_id, "7c4b9d1e-5a3f-4e2b-9c8d-0f1e2d3c4b5a");
	ck_assert_str_eq(t.name, "fixture lab");
	ck_assert_str_eq(t.stage, "beta");
	ck_assert_str_eq(t.api_key, "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233");
	ck_assert_int_eq(ncm_store_team_key_valid(w.db, "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233"),
			 1);
	ck_assert_int_eq(ncm_store_team_key_valid(w.db, "second-key"), 1);
	ck_assert_int_eq(ncm_store_team_key_valid(w.db, "third-key"), 0);

	/* a: issued by the lab CA, written to devices_out_dir */
	ck_assert_int_eq(ncm_store_device_get(w.db, "dev-a", &d, &err), NCM_OK);
	ck_assert_ptr_nonnull(d.cert_pem);
	ck_assert_str_eq(d.name, "Device A");
	ck_assert_str_eq(d.sub_type, "nrf9160dk");
	ck_assert_str_eq(d.tags_json, "[\"lab\",\"dk\"]");
	ck_assert_str_eq(d.onboarded_by, "fixture");
	ck_assert_int_eq(d.created_ms, (int64_t)NOW * 1000);
	snprintf(path, sizeof(path), "%s/devices/dev-a.crt", w.out);
	ck_assert_int_eq(file_mode(path), 0644);
	cert = cert_file(path);
	ck_assert_int_eq(ncm_pki_cert_issued_by(cert, w.ca.cert), 1);
	ck_assert_int_eq(ncm_pki_cert_fingerprint(cert, fp), NCM_OK);
	ck_assert_str_eq(d.fingerprint, fp);
	X509_free(cert);
	snprintf(path, sizeof(path), "%s/devices/dev-a.key", w.out);
	ck_assert_int_eq(file_mode(path), 0600);
	ncm_device_release(&d);

	/* b: its own certificate, kept; nothing written for it */
	ck_assert_int_eq(ncm_store_device_get(w.db, "dev-b", &d, &err), NCM_OK);
	ck_assert_str_eq(d.fingerprint, w.b_fp);
	ck_assert_str_eq(d.name, "dev-b");
	ck_assert_str_eq(d.onboarded_by, "fixture");
	ncm_device_release(&d);
	snprintf(path, sizeof(path), "%s/devices/dev-b.crt", w.out);
	ck_assert_int_eq(ncm_file_exists(path), 0);
	world_free(&w);
}
END_TEST

static int count_cb(const struct ncm_device *d, void *userdata)
{
	(void)d;
	(*(int *)userdata)++;
	return 0;
}

START_TEST(second_fixtures_load_changes_nothing)
{
	char path[256], fp1[NCM_PKI_FP_LEN + 1], *crt1, *crt2;
	struct ncm_err_info err = { 0 };
	struct ncm_device d;
	struct ncm_team t;
	struct world w;
	int n = 0;

	world_make(&w);
	load_ok(&w);
	ck_assert_int_eq(ncm_store_device_get(w.db, "dev-a", &d, &err), NCM_OK);
	snprintf(fp1, sizeof(fp1), "%s", d.fingerprint);
	ncm_device_release(&d);
	snprintf(path, sizeof(path), "%s/devices/dev-a.crt", w.out);
	crt1 = slurp(path);

	load_ok(&w);
	ck_assert_int_eq(ncm_store_device_get(w.db, "dev-a", &d, &err), NCM_OK);
	ck_assert_str_eq(d.fingerprint, fp1);
	ncm_device_release(&d);
	crt2 = slurp(path);
	ck_assert_str_eq(crt2, crt1);
	ck_assert_int_eq(ncm_store_device_get(w.db, "dev-b", &d, &err), NCM_OK);
	ck_assert_str_eq(d.fingerprint, w.b_fp);
	ncm_device_release(&d);
	ck_assert_int_eq(ncm_store_device_foreach(w.db, count_cb, &n, &err), NCM_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(ncm_store_team_get(w.db, &t, &err), NCM_OK);
	ck_assert_str_eq(t.name, "fixture lab");
	ck_assert_str_eq(t.api_key, "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233");
	free(crt1);
	free(crt2);
	world_free(&w);
}
END_TEST

START_TEST(malformed_team_json_is_inval_naming_the_file_and_line)
{
	char path[256];
	struct ncm_err_info err = { 0 };
	struct ncm_team t;
	struct world w;

	world_make(&w);
	snprintf(path, sizeof(path), "%s/team.json", w.fixtures);
	/* line 4 follows "name" without a comma */
	write_text(path, "{\n"
			 "  \"tenantId\": \"t-1\",\n"
			 "  \"name\": \"x\"\n"
			 "  \"stage\": \"prod\"\n"
			 "}\n");
	ck_assert_int_eq(ncm_fixtures_load(w.db, w.fixtures, &w.ca, w.out, NOW, &err),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(err.code, NCM_ERR_INVAL);
	ck_assert_msg(strstr(err.msg, "team.json") != NULL, "no file name in: %s", err.msg);
	ck_assert_msg(strstr(err.msg, ":4:") != NULL, "no line 4 in: %s", err.msg);
	ck_assert_int_eq(ncm_store_team_get(w.db, &t, &err), NCM_ERR_NOT_FOUND);
	world_free(&w);
}
END_TEST

START_TEST(device_fixture_with_an_invalid_id_is_inval)
{
	char path[256];
	struct ncm_err_info err = { 0 };
	struct world w;

	world_make(&w);
	snprintf(path, sizeof(path), "%s/devices/a.json", w.fixtures);
	write_text(path, "{ \"id\": \"bad/id\" }\n");
	ck_assert_int_eq(ncm_fixtures_load(w.db, w.fixtures, &w.ca, w.out, NOW, &err),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(err.code, NCM_ERR_INVAL);
	ck_assert_msg(strstr(err.msg, "a.json") != NULL, "no file name in: %s", err.msg);
	snprintf(path, sizeof(path), "%s/devices/bad/id.crt", w.out);
	ck_assert_int_eq(ncm_file_exists(path), 0);
	world_free(&w);
}
END_TEST

/* The device ID checker's reason ("'/' at position 4") reaches the caller, after the file name. */
START_TEST(device_fixture_error_keeps_the_id_checkers_reason)
{
	char path[256];
	struct ncm_err_info err = { 0 };
	struct world w;
	const char *first;

	world_make(&w);
	snprintf(path, sizeof(path), "%s/devices/a.json", w.fixtures);
	write_text(path, "{ \"id\": \"bad/id\" }\n");
	ck_assert_int_eq(ncm_fixtures_load(w.db, w.fixtures, &w.ca, w.out, NOW, &err),
			 NCM_ERR_INVAL);
	first = strstr(err.msg, "a.json");
	ck_assert_msg(first != NULL, "no file name in: %s", err.msg);
	ck_assert_msg(strstr(first + 1, "a.json") == NULL, "file name twice in: %s", err.msg);
	ck_assert_msg(strstr(err.msg, "'/' at position 4") != NULL, "reason lost in: %s",
		      err.msg);
	world_free(&w);
}
END_TEST

/* A team.json that fails validation part-way stores nothing, so fixing the file and restarting
 * loads the whole team (a stored team is never reloaded). */
START_TEST(team_json_with_a_bad_second_api_key_stores_no_team)
{
	char path[256];
	struct ncm_err_info err = { 0 };
	struct ncm_team t;
	struct world w;

	world_make(&w);
	snprintf(path, sizeof(path), "%s/team.json", w.fixtures);
	write_text(path, "{ \"tenantId\": \"t-1\", \"name\": \"x\","
			 " \"apiKeys\": [\"good-key\", 42] }\n");
	ck_assert_int_eq(ncm_fixtures_load(w.db, w.fixtures, &w.ca, w.out, NOW, &err),
			 NCM_ERR_INVAL);
	ck_assert_msg(strstr(err.msg, "apiKeys[1]") != NULL, "%s", err.msg);
	ck_assert_int_eq(ncm_store_team_get(w.db, &t, &err), NCM_ERR_NOT_FOUND);
	ck_assert_int_eq(ncm_store_team_key_valid(w.db, "good-key"), 0);
	world_free(&w);
}
END_TEST

static int is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

START_TEST(no_fixtures_dir_makes_a_random_team)
{
	struct ncm_err_info err = { 0 };
	struct ncm_team t, again;
	struct ncm_db *db = NULL;
	const char *u;

	ck_assert_int_eq(ncm_db_open(":memory:", &db, &err), NCM_OK);
	ck_assert_msg(ncm_fixtures_load(db, NULL, NULL, NULL, NOW, &err) == NCM_OK, "load: %s",
		      err.msg);
	ck_assert_int_eq(ncm_store_team_get(db, &t, &err), NCM_OK);
	/* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower case */
	u = t.tenant_id;
	ck_assert_uint_eq(strlen(u), 36);
	ck_assert_msg(is_lower_hex(u, 8) && u[8] == '-' && is_lower_hex(u + 9, 4) &&
		      u[13] == '-' && is_lower_hex(u + 14, 4) && u[18] == '-' &&
		      is_lower_hex(u + 19, 4) && u[23] == '-' && is_lower_hex(u + 24, 12),
		      "not a UUID: %s", u);
	ck_assert_msg(u[14] == '4', "not version 4: %s", u);
	ck_assert_msg(strchr("89ab", u[19]) != NULL, "not the RFC 4122 variant: %s", u);
	ck_assert_uint_eq(strlen(t.api_key), 40);
	ck_assert_msg(is_lower_hex(t.api_key, 40), "not hex: %s", t.api_key);
	ck_assert_int_eq(ncm_store_team_key_valid(db, t.api_key), 1);
	ck_assert_str_eq(t.stage, "prod");
	ck_assert(t.name[0] != '\0');

	/* additive: a second load keeps that team */
	ck_assert_int_eq(ncm_fixtures_load(db, NULL, NULL, NULL, NOW, &err), NCM_OK);
	ck_assert_int_eq(ncm_store_team_get(db, &again, &err), NCM_OK);
	ck_assert_str_eq(again.tenant_id, t.tenant_id);
	ck_assert_str_eq(again.api_key, t.api_key);
	ncm_db_close(db);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* key generation and fsyncs are slow under valgrind */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

static Suite *ca_suite(void)
{
	Suite *s = suite_create("ca");

	ADD(s, init_creates_ca_and_server_files_with_key_modes_0600);
	ADD(s, second_init_keeps_the_ca_and_the_server_cert_for_the_same_sans_in_any_order);
	ADD(s, changed_sans_reissue_the_server_cert_but_keep_the_ca);
	ADD(s, ca_cert_without_its_key_is_refused_and_nothing_is_replaced);
	ADD(s, ca_key_without_its_cert_is_refused_and_nothing_is_replaced);
	ADD(s, trust_dir_holds_the_ca_under_its_subject_hash_once_per_cert);
	ADD(s, load_on_an_empty_dir_is_not_found);
	ADD(s, load_returns_the_ca_that_init_made);
	ADD(s, issued_device_cert_is_written_with_key_0600_and_cn_is_the_id);
	ADD(s, file_write_is_atomic_exact_mode_and_leaves_no_temp_file);
	ADD(s, file_read_enforces_max_and_reports_a_missing_file);
	ADD(s, mkdir_p_creates_nested_folders_and_accepts_existing_ones);
	ADD(s, mkdir_p_refuses_a_path_that_is_a_file);
	ADD(s, missing_server_key_reissues_the_server_cert);
	ADD(s, fixtures_load_stores_the_team_and_both_devices);
	ADD(s, second_fixtures_load_changes_nothing);
	ADD(s, malformed_team_json_is_inval_naming_the_file_and_line);
	ADD(s, device_fixture_with_an_invalid_id_is_inval);
	ADD(s, device_fixture_error_keeps_the_id_checkers_reason);
	ADD(s, team_json_with_a_bad_second_api_key_stores_no_team);
	ADD(s, no_fixtures_dir_makes_a_random_team);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	snprintf(tmp_root, sizeof(tmp_root), "/tmp/ncm-test-ca-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	ncm_log_set_sink(quiet_sink, NULL);
	sr = srunner_create(ca_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_tree(tmp_root);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
