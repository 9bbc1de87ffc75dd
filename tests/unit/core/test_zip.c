/* SPDX-License-Identifier: MIT
 * test_zip.c: the firmware bundle ZIP reader (core/zip.c, docs/fota.md#firmware-bundles). Archives are built
 * here by a small writer, then patched byte by byte to make each kind of bad archive.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "zip.h"

#define MAX_TEST_ENTRIES 80

/* ---- a tiny ZIP writer ------------------------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		ck_assert_ptr_nonnull(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_put16(struct buf *b, uint16_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	buf_put(b, c, 2);
}

static void buf_put32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	buf_put(b, c, 4);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* How one entry is written; zero is a plain entry. */
struct zw_opt {
	uint16_t flags;          /* bit 3 writes a data descriptor and zero local sizes */
	size_t local_extra;      /* bytes of extra field in the local header only */
	size_t cdir_extra;       /* bytes of extra field in the directory only */
	size_t cdir_comment;     /* bytes of entry comment in the directory */
};

struct zw {
	struct buf out;          /* local headers and data, then the directory and EOCD */
	struct buf cd;
	size_t n;
	size_t local_off[MAX_TEST_ENTRIES];
	size_t cd_rec[MAX_TEST_ENTRIES]; /* offset of each record within the directory */
	size_t cd_start, eocd;   /* in out, once finished */
};

/* Raw deflate (no zlib header), as ZIP stores it. */
static unsigned char *deflate_raw(const void *data, size_t len, size_t *out_len)
{
	z_stream zs;
	unsigned char *out;
	uLong cap;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap ? cap : 1);
	ck_assert_ptr_nonnull(out);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static void fill(struct buf *b, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_put(b, &c, 1);
}

/* Adds an entry whose name is name_len bytes (so a NUL can be in it). */
static void zw_add_n(struct zw *w, const char *name, size_t name_len, const void *data,
		     size_t len, uint16_t method, const struct zw_opt *opt)
{
	static const struct zw_opt plain;
	unsigned char *packed = NULL;
	const void *payload = data;
	size_t plen = len;
	uint32_t crc = (uint32_t)crc32(0L, data, (uInt)len);
	bool desc;

	if (!opt)
		opt = &plain;
	desc = opt->flags & 0x0008;
	ck_assert_uint_lt(w->n, MAX_TEST_ENTRIES);
	if (method == 8) {
		packed = deflate_raw(data, len, &plen);
		payload = packed;
	}

	w->local_off[w->n] = w->out.len;
	buf_put32(&w->out, 0x04034b50);
	buf_put16(&w->out, 20);
	buf_put16(&w->out, opt->flags);
	buf_put16(&w->out, method);
	buf_put16(&w->out, 0x6000); /* 12:00 */
	buf_put16(&w->out, 0x5b21); /* 2025-09-01 */
	buf_put32(&w->out, desc ? 0 : crc);
	buf_put32(&w->out, desc ? 0 : (uint32_t)plen);
	buf_put32(&w->out, desc ? 0 : (uint32_t)len);
	buf_put16(&w->out, (uint16_t)name_len);
	buf_put16(&w->out, (uint16_t)opt->local_extra);
	buf_put(&w->out, name, name_len);
	fill(&w->out, opt->local_extra, 0xee);
	buf_put(&w->out, payload, plen);
	if (desc) {
		buf_put32(&w->out, 0x08074b50);
		buf_put32(&w->out, crc);
		buf_put32(&w->out, (uint32_t)plen);
		buf_put32(&w->out, (uint32_t)len);
	}

	w->cd_rec[w->n] = w->cd.len;
	buf_put32(&w->cd, 0x02014b50);
	buf_put16(&w->cd, 0x031e); /* made by Unix, 3.0 */
	buf_put16(&w->cd, 20);
	buf_put16(&w->cd, opt->flags);
	buf_put16(&w->cd, method);
	buf_put16(&w->cd, 0x6000);
	buf_put16(&w->cd, 0x5b21);
	buf_put32(&w->cd, crc);
	buf_put32(&w->cd, (uint32_t)plen);
	buf_put32(&w->cd, (uint32_t)len);
	buf_put16(&w->cd, (uint16_t)name_len);
	buf_put16(&w->cd, (uint16_t)opt->cdir_extra);
	buf_put16(&w->cd, (uint16_t)opt->cdir_comment);
	buf_put16(&w->cd, 0);            /* disk */
	buf_put16(&w->cd, 0);            /* internal attributes */
	buf_put32(&w->cd, 0644u << 16);  /* external attributes */
	buf_put32(&w->cd, (uint32_t)w->local_off[w->n]);
	buf_put(&w->cd, name, name_len);
	fill(&w->cd, opt->cdir_extra, 0xdd);
	fill(&w->cd, opt->cdir_comment, 'k');
	w->n++;
	free(packed);
}

static void zw_add(struct zw *w, const char *name, const void *data, size_t len,
		   uint16_t method)
{
	zw_add_n(w, name, strlen(name), data, len, method, NULL);
}

/* Appends the directory and the EOCD with a comment of comment_len bytes; locator puts a ZIP64
 * end-of-central-directory locator in front of the EOCD. The archive is w->out. */
static void zw_finish_ex(struct zw *w, size_t comment_len, bool locator)
{
	w->cd_start = w->out.len;
	buf_put(&w->out, w->cd.p, w->cd.len);
	if (locator) {
		buf_put32(&w->out, 0x07064b50);
		fill(&w->out, 16, 0);
	}
	w->eocd = w->out.len;
	buf_put32(&w->out, 0x06054b50);
	buf_put16(&w->out, 0);
	buf_put16(&w->out, 0);
	buf_put16(&w->out, (uint16_t)w->n);
	buf_put16(&w->out, (uint16_t)w->n);
	buf_put32(&w->out, (uint32_t)w->cd.len);
	buf_put32(&w->out, (uint32_t)w->cd_start);
	buf_put16(&w->out, (uint16_t)comment_len);
	fill(&w->out, comment_len, 'c');
}

static void zw_finish(struct zw *w)
{
	zw_finish_ex(w, 0, false);
}

static void zw_free(struct zw *w)
{
	free(w->out.p);
	free(w->cd.p);
	memset(w, 0, sizeof(*w));
}

/* Byte offset of field off of entry i's directory record, in the finished archive. */
static unsigned char *cd_field(struct zw *w, size_t i, size_t off)
{
	return w->out.p + w->cd_start + w->cd_rec[i] + off;
}

static unsigned char *local_field(struct zw *w, size_t i, size_t off)
{
	return w->out.p + w->local_off[i] + off;
}

static unsigned char *eocd_field(struct zw *w, size_t off)
{
	return w->out.p + w->eocd + off;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static const char manifest[] =
	"{\"name\":\"app\",\"description\":\"asset tracker\",\"fwversion\":\"1.2.3\","
	"\"format-version\":1,\"files\":[{\"type\":\"application\",\"file\":\"app_update.bin\","
	"\"size\":10000}]}";

/* A firmware-like image: compressible, but not trivially. */
static unsigned char image[10000];

static void make_image(void)
{
	size_t i;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (unsigned char)((i * 7) ^ (i >> 5) ^ (i % 13 == 0 ? 0x5a : 0));
}

/* {manifest.json stored, app_update.bin deflated}, like an nRF Cloud FOTA bundle. */
static void make_bundle(struct zw *w)
{
	memset(w, 0, sizeof(*w));
	make_image();
	zw_add(w, "manifest.json", manifest, strlen(manifest), 0);
	zw_add(w, "app_update.bin", image, sizeof(image), 8);
	zw_finish(w);
}

static void open_ok(struct ncm_zip *zip, const void *data, size_t len)
{
	struct ncm_err_info err = { 0 };

	ck_assert_msg(ncm_zip_open(zip, data, len, &err) == NCM_OK, "%s", err.msg);
}

/* Opens w, which must fail with code and exactly msg (when msg is set). */
static void open_fails(struct zw *w, int code, const char *msg)
{
	struct ncm_zip zip;
	struct ncm_err_info err = { 0 };

	ck_assert_int_eq(ncm_zip_open(&zip, w->out.p, w->out.len, &err), code);
	ck_assert_int_eq(err.code, code);
	ck_assert_uint_eq(zip.n_entries, 0);
	if (msg)
		ck_assert_str_eq(err.msg, msg);
	else
		ck_assert_msg(err.msg[0] != '\0', "no message");
}

/* Opens w and extracts entry name, which must fail with code and exactly msg (when set). */
static void extract_fails(struct zw *w, const char *name, int code, const char *msg)
{
	struct ncm_zip zip;
	struct ncm_err_info err = { 0 };
	const struct ncm_zip_entry *e;
	unsigned char *out = (unsigned char *)"untouched";
	size_t out_len = 99;

	open_ok(&zip, w->out.p, w->out.len);
	e = ncm_zip_find(&zip, name);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ncm_zip_extract(&zip, e, &out, &out_len, &err), code);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(out_len, 0);
	ck_assert_int_eq(err.code, code);
	if (msg)
		ck_assert_str_eq(err.msg, msg);
	else
		ck_assert_msg(err.msg[0] != '\0', "no message");
}

/* Extracts name and compares it with data. */
static void extract_eq(const struct ncm_zip *zip, const char *name, const void *data, size_t len)
{
	const struct ncm_zip_entry *e = ncm_zip_find(zip, name);
	struct ncm_err_info err = { 0 };
	unsigned char *out = NULL;
	size_t out_len = 0;

	ck_assert_msg(e != NULL, "no entry %s", name);
	ck_assert_msg(ncm_zip_extract(zip, e, &out, &out_len, &err) == NCM_OK, "%s: %s", name,
		      err.msg);
	ck_assert_uint_eq(out_len, len);
	ck_assert_int_eq(memcmp(out, data, len), 0);
	ck_assert_int_eq(out[len], '\0');
	free(out);
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(a_bundle_opens_and_its_stored_and_deflated_entries_extract)
{
	struct zw w;
	struct ncm_zip zip;
	const struct ncm_zip_entry *m, *a;

	make_bundle(&w);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 2);
	ck_assert_ptr_eq(zip.data, w.out.p);
	ck_assert_uint_eq(zip.len, w.out.len);

	m = ncm_zip_find(&zip, "manifest.json");
	ck_assert_ptr_eq(m, &zip.entries[0]);
	ck_assert_str_eq(m->name, "manifest.json");
	ck_assert_uint_eq(m->method, 0);
	ck_assert_uint_eq(m->size, strlen(manifest));
	ck_assert_uint_eq(m->csize, strlen(manifest));
	ck_assert_uint_eq(m->crc32, crc32(0L, (const Bytef *)manifest, (uInt)strlen(manifest)));
	ck_assert_uint_eq(m->local_offset, 0);

	a = ncm_zip_find(&zip, "app_update.bin");
	ck_assert_ptr_eq(a, &zip.entries[1]);
	ck_assert_uint_eq(a->method, 8);
	ck_assert_uint_eq(a->size, sizeof(image));
	ck_assert_uint_lt(a->csize, sizeof(image));
	ck_assert_uint_eq(a->crc32, crc32(0L, image, sizeof(image)));
	ck_assert_uint_eq(a->local_offset, w.local_off[1]);

	extract_eq(&zip, "manifest.json", manifest, strlen(manifest));
	extract_eq(&zip, "app_update.bin", image, sizeof(image));
	zw_free(&w);
}
END_TEST

START_TEST(find_matches_whole_names_only)
{
	struct zw w;
	struct ncm_zip zip;

	make_bundle(&w);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_ptr_null(ncm_zip_find(&zip, "manifest"));
	ck_assert_ptr_null(ncm_zip_find(&zip, "manifest.json.sig"));
	ck_assert_ptr_null(ncm_zip_find(&zip, "MANIFEST.JSON"));
	ck_assert_ptr_null(ncm_zip_find(&zip, ""));
	ck_assert_ptr_null(ncm_zip_find(&zip, "/manifest.json"));
	ck_assert_ptr_nonnull(ncm_zip_find(&zip, "manifest.json"));
	zw_free(&w);
}
END_TEST

START_TEST(an_archive_with_no_entries_opens_empty)
{
	struct zw w = { 0 };
	struct ncm_zip zip;

	zw_finish(&w);
	ck_assert_uint_eq(w.out.len, 22);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 0);
	ck_assert_ptr_null(ncm_zip_find(&zip, "manifest.json"));
	zw_free(&w);
}
END_TEST

START_TEST(empty_files_extract_to_empty_buffers)
{
	struct zw w = { 0 };
	struct ncm_zip zip;

	zw_add(&w, "empty.stored", "", 0, 0);
	zw_add(&w, "empty.deflated", "", 0, 8);
	zw_finish(&w);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.entries[1].csize, 2); /* an empty final fixed block */
	extract_eq(&zip, "empty.stored", "", 0);
	extract_eq(&zip, "empty.deflated", "", 0);
	zw_free(&w);
}
END_TEST

START_TEST(a_data_descriptor_leaves_sizes_and_crc_to_the_directory)
{
	static const struct zw_opt desc = { .flags = 0x0008 };
	struct zw w = { 0 };
	struct ncm_zip zip;

	make_image();
	zw_add_n(&w, "app_update.bin", 14, image, sizeof(image), 8, &desc);
	zw_add_n(&w, "manifest.json", 13, manifest, strlen(manifest), 0, &desc);
	zw_finish(&w);
	ck_assert_uint_eq(get32(local_field(&w, 0, 18)), 0);
	open_ok(&zip, w.out.p, w.out.len);
	extract_eq(&zip, "app_update.bin", image, sizeof(image));
	extract_eq(&zip, "manifest.json", manifest, strlen(manifest));
	zw_free(&w);
}
END_TEST

START_TEST(the_local_header_name_and_extra_lengths_are_skipped_to_reach_the_data)
{
	/* Info-ZIP writes a longer extra field locally (timestamps, uid/gid) than centrally. */
	static const struct zw_opt o1 = { .local_extra = 28, .cdir_extra = 4, .cdir_comment = 9 };
	static const struct zw_opt o2 = { .local_extra = 1, .cdir_comment = 300 };
	struct zw w = { 0 };
	struct ncm_zip zip;

	make_image();
	zw_add_n(&w, "manifest.json", 13, manifest, strlen(manifest), 0, &o1);
	zw_add_n(&w, "app_update.bin", 14, image, sizeof(image), 8, &o2);
	zw_finish(&w);
	open_ok(&zip, w.out.p, w.out.len);
	extract_eq(&zip, "manifest.json", manifest, strlen(manifest));
	extract_eq(&zip, "app_update.bin", image, sizeof(image));
	zw_free(&w);
}
END_TEST

START_TEST(the_end_record_is_found_behind_a_65535_byte_comment)
{
	struct zw w = { 0 };
	struct ncm_zip zip;

	zw_add(&w, "manifest.json", manifest, strlen(manifest), 0);
	zw_finish_ex(&w, 65535, false);
	/* a signature inside the comment that claims a comment too long to fit is passed by */
	put32(w.out.p + w.out.len - 100, 0x06054b50);
	put16(w.out.p + w.out.len - 80, 5000);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 1);
	extract_eq(&zip, "manifest.json", manifest, strlen(manifest));
	zw_free(&w);
}
END_TEST

START_TEST(the_end_record_is_searched_for_in_the_last_65557_bytes_only)
{
	struct zw w = { 0 };
	struct ncm_zip zip;
	struct ncm_err_info err = { 0 };
	size_t base;

	zw_add(&w, "manifest.json", manifest, strlen(manifest), 0);
	zw_finish(&w);
	base = w.out.len;
	/* 65535 bytes after an EOCD without a comment: the farthest it can be */
	fill(&w.out, 65535, 0);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 1);
	/* one more and it is out of reach */
	fill(&w.out, 1, 0);
	ck_assert_int_eq(ncm_zip_open(&zip, w.out.p, w.out.len, &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "not a ZIP archive (no end of central directory)");
	ck_assert_uint_eq(w.out.len, base + 65536);
	zw_free(&w);
}
END_TEST

START_TEST(things_that_are_not_archives_are_refused)
{
	static const char text[] = "this is not a zip file, just some text long enough";
	struct ncm_zip zip;
	struct ncm_err_info err = { 0 };

	ck_assert_int_eq(ncm_zip_open(&zip, text, strlen(text), &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "not a ZIP archive (no end of central directory)");
	ck_assert_int_eq(ncm_zip_open(&zip, "", 0, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_zip_open(&zip, NULL, 0, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_zip_open(&zip, NULL, 100, &err), NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_zip_open(&zip, "PK\x05\x06", 4, NULL), NCM_ERR_INVAL);
}
END_TEST

START_TEST(a_crc_mismatch_is_refused)
{
	struct zw w;

	make_bundle(&w);
	put32(cd_field(&w, 0, 16), get32(cd_field(&w, 0, 16)) ^ 1);
	put32(cd_field(&w, 1, 16), get32(cd_field(&w, 1, 16)) ^ 0x80000000u);
	extract_fails(&w, "manifest.json", NCM_ERR_INVAL,
		      "ZIP entry 'manifest.json' fails its CRC-32 check");
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' fails its CRC-32 check");
	zw_free(&w);

	/* a changed byte of stored data, with the directory intact */
	make_bundle(&w);
	local_field(&w, 0, 30 + 13 + 5)[0] ^= 0x20;
	extract_fails(&w, "manifest.json", NCM_ERR_INVAL,
		      "ZIP entry 'manifest.json' fails its CRC-32 check");
	zw_free(&w);
}
END_TEST

START_TEST(every_truncation_of_an_archive_is_refused)
{
	struct zw w;
	struct ncm_zip zip;
	size_t n;

	make_bundle(&w);
	for (n = 0; n < w.out.len; n++) {
		struct ncm_err_info err = { 0 };
		/* a fresh copy of exactly n bytes, so ASan and valgrind see any read past it */
		unsigned char *cut = malloc(n ? n : 1);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, w.out.p, n);
		ck_assert_msg(ncm_zip_open(&zip, cut, n, &err) == NCM_ERR_INVAL,
			      "prefix of %zu bytes opened", n);
		ck_assert_msg(err.msg[0] != '\0', "prefix of %zu bytes: no message", n);
		free(cut);
	}
	/* and with the front cut off instead */
	for (n = 1; n < w.out.len; n++) {
		struct ncm_err_info err = { 0 };
		size_t len = w.out.len - n;
		unsigned char *cut = malloc(len);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, w.out.p + n, len);
		ck_assert_msg(ncm_zip_open(&zip, cut, len, &err) == NCM_ERR_INVAL,
			      "suffix of %zu bytes opened", len);
		free(cut);
	}
	open_ok(&zip, w.out.p, w.out.len);
	zw_free(&w);
}
END_TEST

START_TEST(compression_methods_other_than_stored_and_deflate_are_refused)
{
	static const uint16_t methods[] = { 12, 1, 9, 14, 93, 95, 99 };
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct zw w;
		char msg[128];

		make_bundle(&w);
		put16(local_field(&w, 1, 8), methods[i]);
		put16(cd_field(&w, 1, 10), methods[i]);
		snprintf(msg, sizeof(msg),
			 "ZIP entry 'app_update.bin' uses compression method %u (only stored "
			 "and deflate)", methods[i]);
		open_fails(&w, NCM_ERR_INVAL, msg);
		zw_free(&w);
	}
}
END_TEST

START_TEST(a_local_method_unlike_the_directory_is_refused)
{
	struct zw w;

	make_bundle(&w);
	put16(local_field(&w, 1, 8), 0);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has method 0 in its local header and 8 in the "
		      "directory");
	zw_free(&w);
}
END_TEST

START_TEST(encrypted_entries_are_refused)
{
	static const uint16_t flags[] = { 0x0001, 0x0041, 0x0040, 0x2000, 0x0009 };
	struct zw w;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		make_bundle(&w);
		put16(cd_field(&w, 1, 8), flags[i]);
		open_fails(&w, NCM_ERR_INVAL, "encrypted ZIP entries are not supported");
		zw_free(&w);
	}
	/* only the local header says so: still refused, at extraction */
	make_bundle(&w);
	put16(local_field(&w, 0, 6), 0x0001);
	extract_fails(&w, "manifest.json", NCM_ERR_INVAL,
		      "encrypted ZIP entries are not supported");
	zw_free(&w);
}
END_TEST

START_TEST(zip64_markers_are_refused)
{
	/* (where, offset, width): 'c' directory entry 1, 'e' end record */
	static const struct {
		char where;
		size_t off;
		int width;
	} marks[] = {
		{ 'c', 20, 4 }, /* compressed size */
		{ 'c', 24, 4 }, /* uncompressed size */
		{ 'c', 42, 4 }, /* local header offset */
		{ 'c', 34, 2 }, /* disk number start */
		{ 'e', 4, 2 },  /* this disk */
		{ 'e', 6, 2 },  /* directory's disk */
		{ 'e', 8, 2 },  /* entries on this disk */
		{ 'e', 10, 2 }, /* entries in all */
		{ 'e', 12, 4 }, /* directory size */
		{ 'e', 16, 4 }, /* directory offset */
	};
	struct zw w;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		unsigned char *p;

		make_bundle(&w);
		p = marks[i].where == 'c' ? cd_field(&w, 1, marks[i].off)
					  : eocd_field(&w, marks[i].off);
		if (marks[i].width == 4)
			put32(p, 0xFFFFFFFFu);
		else
			put16(p, 0xFFFF);
		open_fails(&w, NCM_ERR_INVAL, "ZIP64 archives are not supported");
		zw_free(&w);
	}
	/* a ZIP64 locator in front of an otherwise plain end record */
	memset(&w, 0, sizeof(w));
	zw_add(&w, "manifest.json", manifest, strlen(manifest), 0);
	zw_finish_ex(&w, 0, true);
	open_fails(&w, NCM_ERR_INVAL, "ZIP64 archives are not supported");
	zw_free(&w);
}
END_TEST

START_TEST(archives_on_several_disks_are_refused)
{
	static const struct {
		char where;
		size_t off;
		uint16_t v;
	} marks[] = {
		{ 'e', 4, 1 }, { 'e', 6, 1 }, { 'e', 8, 1 }, { 'c', 34, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		struct zw w;

		make_bundle(&w);
		put16(marks[i].where == 'c' ? cd_field(&w, 0, marks[i].off)
					    : eocd_field(&w, marks[i].off), marks[i].v);
		open_fails(&w, NCM_ERR_INVAL, "ZIP archive spans several disks");
		zw_free(&w);
	}
}
END_TEST

START_TEST(a_central_directory_outside_the_file_is_refused)
{
	static const struct {
		uint32_t off, size;
	} bad[] = {
		{ 0, 0xFFFFFFFEu },           /* runs past the end */
		{ 0xFFFFFFFEu, 0xFFFFFFFEu }, /* would wrap a 32-bit sum */
		{ 0xFFFFFFFEu, 0 },
		{ 1000000, 46 },
		{ 0, 100000 },
	};
	struct zw w;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_bundle(&w);
		put32(eocd_field(&w, 16), bad[i].off);
		put32(eocd_field(&w, 12), bad[i].size);
		open_fails(&w, NCM_ERR_INVAL, "ZIP central directory is outside the file");
		zw_free(&w);
	}
	/* pointing at the end record itself: the directory must end before it */
	make_bundle(&w);
	put32(eocd_field(&w, 16), (uint32_t)w.eocd);
	put32(eocd_field(&w, 12), 22);
	open_fails(&w, NCM_ERR_INVAL, "ZIP central directory is outside the file");
	zw_free(&w);
}
END_TEST

START_TEST(a_damaged_central_directory_is_refused)
{
	struct zw w;

	/* a directory one byte short of its second record */
	make_bundle(&w);
	put32(eocd_field(&w, 12), get32(eocd_field(&w, 12)) - 1);
	open_fails(&w, NCM_ERR_INVAL,
		   "ZIP central directory entry 1 runs past the directory");
	zw_free(&w);

	/* more entries declared than there are */
	make_bundle(&w);
	put16(eocd_field(&w, 8), 3);
	put16(eocd_field(&w, 10), 3);
	open_fails(&w, NCM_ERR_INVAL, "ZIP central directory entry 2 is corrupt");
	zw_free(&w);

	/* a bad signature */
	make_bundle(&w);
	cd_field(&w, 1, 0)[0] = 'X';
	open_fails(&w, NCM_ERR_INVAL, "ZIP central directory entry 1 is corrupt");
	zw_free(&w);

	/* a name length that runs into the next record's bytes and beyond */
	make_bundle(&w);
	put16(cd_field(&w, 1, 28), 0xFFFF);
	open_fails(&w, NCM_ERR_INVAL,
		   "ZIP central directory entry 1 runs past the directory");
	zw_free(&w);
}
END_TEST

START_TEST(unsafe_entry_names_are_refused)
{
	static const struct {
		const char *name;
		size_t len;
		const char *msg;
	} bad[] = {
		{ "../x", 4, "ZIP entry name '../x' is not allowed (it climbs out with '..')" },
		{ "a/../b", 6, "ZIP entry name 'a/../b' is not allowed (it climbs out with '..')" },
		{ "..", 2, "ZIP entry name '..' is not allowed (it climbs out with '..')" },
		{ "a/..", 4, "ZIP entry name 'a/..' is not allowed (it climbs out with '..')" },
		{ "../", 3, "ZIP entry name '../' is not allowed (it climbs out with '..')" },
		{ "/abs", 4, "ZIP entry name '/abs' is not allowed (it is an absolute path)" },
		{ "/", 1, "ZIP entry name '/' is not allowed (it is an absolute path)" },
		{ "a\\b", 3, "ZIP entry name 'a\\b' is not allowed (it holds a backslash)" },
		{ "..\\x", 4, "ZIP entry name '..\\x' is not allowed (it holds a backslash)" },
		{ "a\0b", 3, "ZIP entry name 'a?b' is not allowed (it holds a NUL byte)" },
		{ "", 0, "ZIP entry name '' is not allowed (it is empty)" },
	};
	static const char *const good[] = { "a..b", "..a", "a..", ".../x", "a/./b", "dir/x.bin",
					    ".hidden" };
	char long_name[300], msg[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct zw w = { 0 };

		zw_add(&w, "manifest.json", manifest, strlen(manifest), 0);
		zw_add_n(&w, bad[i].name, bad[i].len, "x", 1, 0, NULL);
		zw_finish(&w);
		open_fails(&w, NCM_ERR_INVAL, bad[i].msg);
		zw_free(&w);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct zw w = { 0 };
		struct ncm_zip zip;

		zw_add(&w, good[i], "x", 1, 0);
		zw_finish(&w);
		open_ok(&zip, w.out.p, w.out.len);
		extract_eq(&zip, good[i], "x", 1);
		zw_free(&w);
	}

	/* 255 bytes is the longest name; 256 is refused */
	memset(long_name, 'n', sizeof(long_name));
	{
		struct zw w = { 0 };
		struct ncm_zip zip;

		long_name[255] = '\0';
		zw_add(&w, long_name, "x", 1, 0);
		zw_finish(&w);
		open_ok(&zip, w.out.p, w.out.len);
		ck_assert_uint_eq(strlen(zip.entries[0].name), 255);
		extract_eq(&zip, long_name, "x", 1);
		zw_free(&w);

		long_name[255] = 'n';
		zw_add_n(&w, long_name, 256, "x", 1, 0, NULL);
		zw_finish(&w);
		/* the message quotes 64 bytes of it */
		snprintf(msg, sizeof(msg),
			 "ZIP entry name '%.64s...' is not allowed (it is longer than 255 bytes)",
			 long_name);
		open_fails(&w, NCM_ERR_INVAL, msg);
		zw_free(&w);
	}
}
END_TEST

START_TEST(duplicate_names_are_refused)
{
	struct zw w = { 0 };

	zw_add(&w, "manifest.json", manifest, strlen(manifest), 0);
	zw_add(&w, "app_update.bin", "a", 1, 0);
	zw_add(&w, "manifest.json", "{}", 2, 8);
	zw_finish(&w);
	open_fails(&w, NCM_ERR_INVAL, "ZIP entry name 'manifest.json' appears twice");
	zw_free(&w);
}
END_TEST

static void add_numbered(struct zw *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "file%02zu.bin", i);
		zw_add(w, name, name, strlen(name), i % 2 ? 8 : 0);
	}
	zw_finish(w);
}

START_TEST(sixty_four_entries_open_and_sixty_five_do_not)
{
	struct zw w = { 0 };
	struct ncm_zip zip;

	add_numbered(&w, 64);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 64);
	extract_eq(&zip, "file00.bin", "file00.bin", 10);
	extract_eq(&zip, "file63.bin", "file63.bin", 10);
	zw_free(&w);

	add_numbered(&w, 65);
	open_fails(&w, NCM_ERR_INVAL, "ZIP has more than 64 entries");
	zw_free(&w);
}
END_TEST

START_TEST(directory_entries_are_listed_and_extract_empty)
{
	struct zw w = { 0 };
	struct ncm_zip zip;
	const struct ncm_zip_entry *d;

	zw_add(&w, "fw/", "", 0, 0);
	zw_add(&w, "fw/app_update.bin", "abc", 3, 0);
	zw_finish(&w);
	open_ok(&zip, w.out.p, w.out.len);
	ck_assert_uint_eq(zip.n_entries, 2);
	d = ncm_zip_find(&zip, "fw/");
	ck_assert_ptr_eq(d, &zip.entries[0]);
	ck_assert_uint_eq(d->size, 0);
	extract_eq(&zip, "fw/", "", 0);
	extract_eq(&zip, "fw/app_update.bin", "abc", 3);
	zw_free(&w);

	/* a directory that claims data is not a directory */
	zw_add(&w, "fw/", "abc", 3, 0);
	zw_finish(&w);
	open_fails(&w, NCM_ERR_INVAL, "ZIP directory entry 'fw/' has 3 bytes of data");
	zw_free(&w);
}
END_TEST

START_TEST(an_entry_over_the_size_cap_is_too_big_before_anything_is_allocated)
{
	static const uint32_t sizes[] = { NCM_ZIP_MAX_ENTRY + 1, 0x7FFFFFFFu, 0xFFFFFFFEu };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct zw w;
		char msg[160];

		/* Only the directory lies; a 4 GiB malloc would show under ASan and valgrind. */
		make_bundle(&w);
		put32(cd_field(&w, 1, 24), sizes[i]);
		snprintf(msg, sizeof(msg),
			 "ZIP entry 'app_update.bin' is %u bytes, over the 67108864-byte limit",
			 sizes[i]);
		extract_fails(&w, "app_update.bin", NCM_ERR_TOO_BIG, msg);
		zw_free(&w);
	}
}
END_TEST

START_TEST(an_entry_of_exactly_the_size_cap_extracts)
{
	struct zw w = { 0 };
	struct ncm_zip zip;
	unsigned char *big = calloc(NCM_ZIP_MAX_ENTRY, 1);

	ck_assert_ptr_nonnull(big);
	big[NCM_ZIP_MAX_ENTRY - 1] = 0x42;
	zw_add(&w, "modem.bin", big, NCM_ZIP_MAX_ENTRY, 8);
	zw_finish(&w);
	open_ok(&zip, w.out.p, w.out.len);
	extract_eq(&zip, "modem.bin", big, NCM_ZIP_MAX_ENTRY);
	free(big);
	zw_free(&w);
}
END_TEST

START_TEST(inflated_data_longer_than_declared_is_refused)
{
	struct zw w;

	/* the zip bomb shape: a small declared size in front of a long stream */
	make_bundle(&w);
	put32(cd_field(&w, 1, 24), 100);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' inflates to more than its declared 100 bytes");
	zw_free(&w);

	make_bundle(&w);
	put32(cd_field(&w, 1, 24), sizeof(image) - 1);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' inflates to more than its declared 9999 bytes");
	zw_free(&w);

	make_bundle(&w);
	put32(cd_field(&w, 1, 24), 0);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' inflates to more than its declared 0 bytes");
	zw_free(&w);
}
END_TEST

START_TEST(inflated_data_shorter_than_declared_is_refused)
{
	struct zw w;

	make_bundle(&w);
	put32(cd_field(&w, 1, 24), sizeof(image) + 1);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' inflates to 10000 bytes, not its declared 10001");
	zw_free(&w);
}
END_TEST

START_TEST(broken_deflate_data_is_refused)
{
	struct zw w;
	struct ncm_zip zip;
	size_t data;

	/* cut short: the directory says one byte less than the stream */
	make_bundle(&w);
	put32(cd_field(&w, 1, 20), get32(cd_field(&w, 1, 20)) - 1);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has truncated deflate data");
	zw_free(&w);

	/* a stream that ends before the declared compressed size does */
	make_bundle(&w);
	put32(cd_field(&w, 1, 20), get32(cd_field(&w, 1, 20)) + 4);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has 4 bytes after its deflate data");
	zw_free(&w);

	/* block type 3 does not exist */
	make_bundle(&w);
	data = w.local_off[1] + 30 + 14;
	w.out.p[data] = 0x07;
	open_ok(&zip, w.out.p, w.out.len);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has corrupt deflate data (invalid block type)");
	zw_free(&w);

	/* data running past the end of the file */
	make_bundle(&w);
	put32(cd_field(&w, 1, 20), (uint32_t)w.out.len);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has data past the end of the file");
	zw_free(&w);
}
END_TEST

START_TEST(stored_entries_with_two_different_sizes_are_refused)
{
	struct zw w;

	char msg[128];

	make_bundle(&w);
	put32(cd_field(&w, 0, 24), get32(cd_field(&w, 0, 24)) + 1);
	snprintf(msg, sizeof(msg),
		 "ZIP entry 'manifest.json' is stored but its two sizes differ (%zu and %zu)",
		 strlen(manifest), strlen(manifest) + 1);
	open_fails(&w, NCM_ERR_INVAL, msg);
	zw_free(&w);
}
END_TEST

START_TEST(bad_local_headers_are_refused)
{
	struct zw w;

	make_bundle(&w);
	local_field(&w, 1, 0)[0] = 'X';
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has no local header");
	zw_free(&w);

	/* the directory points a few bytes off */
	make_bundle(&w);
	put32(cd_field(&w, 1, 42), (uint32_t)w.local_off[1] + 3);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has no local header");
	zw_free(&w);

	/* local lengths that run past the end */
	make_bundle(&w);
	put16(local_field(&w, 1, 26), 0xFFFF);
	put16(local_field(&w, 1, 28), 0xFFFF);
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has a local header past the end");
	zw_free(&w);

	/* another name locally */
	make_bundle(&w);
	local_field(&w, 1, 30)[0] = 'b';
	extract_fails(&w, "app_update.bin", NCM_ERR_INVAL,
		      "ZIP entry 'app_update.bin' has another name in its local header");
	zw_free(&w);

	/* a local header inside or after the directory */
	make_bundle(&w);
	put32(cd_field(&w, 1, 42), (uint32_t)w.cd_start);
	open_fails(&w, NCM_ERR_INVAL, "ZIP entry 'app_update.bin' starts outside the file");
	zw_free(&w);

	make_bundle(&w);
	put32(cd_field(&w, 1, 42), (uint32_t)w.cd_start - 29);
	open_fails(&w, NCM_ERR_INVAL, "ZIP entry 'app_update.bin' starts outside the file");
	zw_free(&w);
}
END_TEST

START_TEST(a_null_err_is_allowed)
{
	struct zw w;
	struct ncm_zip zip;
	unsigned char *out;
	size_t out_len;

	make_bundle(&w);
	ck_assert_int_eq(ncm_zip_open(&zip, w.out.p, w.out.len, NULL), NCM_OK);
	zip.entries[0].crc32 ^= 1;
	ck_assert_int_eq(ncm_zip_extract(&zip, &zip.entries[0], &out, &out_len, NULL),
			 NCM_ERR_INVAL);
	ck_assert_int_eq(ncm_zip_open(&zip, w.out.p, 10, NULL), NCM_ERR_INVAL);
	zw_free(&w);
}
END_TEST

static uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

START_TEST(random_byte_flips_never_crash_or_leak)
{
	struct zw w;
	unsigned char *copy;
	uint64_t seed = 0x21bf11b5;
	size_t i, n_open = 0, n_extracted = 0, n_refused = 0;

	make_bundle(&w);
	copy = malloc(w.out.len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < 20000; i++) {
		struct ncm_zip zip;
		struct ncm_err_info err = { 0 };
		size_t j, n_flips = 1 + (size_t)(rnd(&seed) % 4);

		memcpy(copy, w.out.p, w.out.len);
		for (j = 0; j < n_flips; j++) {
			uint64_t v = rnd(&seed);
			/* half the flips land in the headers at the end, where they matter most */
			size_t at = v % 2 ? (size_t)((v >> 1) % w.out.len)
					  : w.cd_start + (size_t)((v >> 1) % (w.out.len - w.cd_start));

			copy[at] ^= (unsigned char)(1 + (v >> 40) % 255);
		}
		if (ncm_zip_open(&zip, copy, w.out.len, &err) != NCM_OK) {
			ck_assert_msg(err.msg[0] != '\0', "iteration %zu: no message", i);
			continue;
		}
		n_open++;
		ck_assert_uint_le(zip.n_entries, NCM_ZIP_MAX_ENTRIES);
		for (j = 0; j < zip.n_entries; j++) {
			unsigned char *out = NULL;
			size_t out_len = 0;
			int rc = ncm_zip_extract(&zip, &zip.entries[j], &out, &out_len, &err);

			if (rc == NCM_OK) {
				n_extracted++;
				ck_assert_uint_eq(out_len, zip.entries[j].size);
				ck_assert_int_eq(out[out_len], '\0');
				free(out);
			} else {
				n_refused++;
				ck_assert_ptr_null(out);
			}
		}
	}
	/* the flips must leave some archives readable and break others deep inside */
	ck_assert_uint_gt(n_open, 100);
	ck_assert_uint_gt(n_extracted, 100);
	ck_assert_uint_gt(n_refused, 100);
	free(copy);
	zw_free(&w);
}
END_TEST

/* One TCase per test, named after it, so the report reads as a list of sentences. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* the fuzz loop and the 64 MiB entry are slow under valgrind */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add_case((s), #fn, (fn))

int main(void)
{
	Suite *s = suite_create("zip");
	SRunner *sr;
	int failed;

	ADD(s, a_bundle_opens_and_its_stored_and_deflated_entries_extract);
	ADD(s, find_matches_whole_names_only);
	ADD(s, an_archive_with_no_entries_opens_empty);
	ADD(s, empty_files_extract_to_empty_buffers);
	ADD(s, a_data_descriptor_leaves_sizes_and_crc_to_the_directory);
	ADD(s, the_local_header_name_and_extra_lengths_are_skipped_to_reach_the_data);
	ADD(s, the_end_record_is_found_behind_a_65535_byte_comment);
	ADD(s, the_end_record_is_searched_for_in_the_last_65557_bytes_only);
	ADD(s, things_that_are_not_archives_are_refused);
	ADD(s, a_crc_mismatch_is_refused);
	ADD(s, every_truncation_of_an_archive_is_refused);
	ADD(s, compression_methods_other_than_stored_and_deflate_are_refused);
	ADD(s, a_local_method_unlike_the_directory_is_refused);
	ADD(s, encrypted_entries_are_refused);
	ADD(s, zip64_markers_are_refused);
	ADD(s, archives_on_several_disks_are_refused);
	ADD(s, a_central_directory_outside_the_file_is_refused);
	ADD(s, a_damaged_central_directory_is_refused);
	ADD(s, unsafe_entry_names_are_refused);
	ADD(s, duplicate_names_are_refused);
	ADD(s, sixty_four_entries_open_and_sixty_five_do_not);
	ADD(s, directory_entries_are_listed_and_extract_empty);
	ADD(s, an_entry_over_the_size_cap_is_too_big_before_anything_is_allocated);
	ADD(s, an_entry_of_exactly_the_size_cap_extracts);
	ADD(s, inflated_data_longer_than_declared_is_refused);
	ADD(s, inflated_data_shorter_than_declared_is_refused);
	ADD(s, broken_deflate_data_is_refused);
	ADD(s, stored_entries_with_two_different_sizes_are_refused);
	ADD(s, bad_local_headers_are_refused);
	ADD(s, a_null_err_is_allowed);
	ADD(s, random_byte_flips_never_crash_or_leak);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
