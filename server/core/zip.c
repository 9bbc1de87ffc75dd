/* SPDX-License-Identifier: MIT
 * zip.c: a bounded reader for firmware bundle uploads (docs/fota.md#firmware-bundles; see zip.h). The
 * central directory is the only source of names, sizes and CRCs; a local header is read only to
 * find where an entry's data starts. Every offset comes from the upload, so each one is checked
 * against the buffer before it is dereferenced.
 */
#include "zip.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define SIG_EOCD 0x06054b50u
#define SIG_CDIR 0x02014b50u
#define SIG_LOCAL 0x04034b50u
#define SIG_ZIP64_LOCATOR 0x07064b50u

#define EOCD_LEN 22
#define CDIR_LEN 46
#define LOCAL_LEN 30
#define COMMENT_MAX 65535u

#define FLAG_ENCRYPTED 0x0001u
#define FLAG_STRONG_ENCRYPTION 0x0040u
#define FLAG_MASKED_HEADERS 0x2000u

#define METHOD_STORED 0
#define METHOD_DEFLATE 8

#define NAME_MAX_LEN 255
/* Longest excerpt of an entry name quoted in a message. */
#define QUOTE_MAX 64

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Whether [off, off + n) lies inside a buffer of len bytes, without computing off + n. */
static bool in_bounds(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

/* Copies at most QUOTE_MAX bytes of s[0..n) for a message, any byte outside printable ASCII as
 * '?', with "..." when cut: the message lands in a JSON error body. */
static const char *excerpt(const void *s, size_t n, char buf[QUOTE_MAX + 4])
{
	const unsigned char *c = s;
	size_t i;

	for (i = 0; i < n && i < QUOTE_MAX; i++)
		buf[i] = c[i] >= 0x20 && c[i] < 0x7f ? (char)c[i] : '?';
	if (n > QUOTE_MAX) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Why name (n bytes, not NUL-terminated) may not be extracted, or NULL when it may. */
static const char *name_problem(const unsigned char *name, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return "it is empty";
	if (n > NAME_MAX_LEN)
		return "it is longer than 255 bytes";
	if (name[0] == '/')
		return "it is an absolute path";
	for (i = 0; i < n; i++) {
		if (name[i] == '\0')
			return "it holds a NUL byte";
		if (name[i] == '\\')
			return "it holds a backslash";
	}
	/* ".." as a whole path component climbs out of the bundle; "a..b" is only a name */
	for (i = 0; i <= n; i++) {
		if (i == n || name[i] == '/') {
			if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
				return "it climbs out with '..'";
			start = i + 1;
		}
	}
	return NULL;
}

/* Finds the end-of-central-directory record: the rearmost signature within the last
 * 22 + 65535 bytes whose comment fits in the buffer. Returns its offset, or -1. */
static long long find_eocd(const unsigned char *d, size_t len)
{
	size_t pos, lowest;

	if (len < EOCD_LEN)
		return -1;
	lowest = len - EOCD_LEN > COMMENT_MAX ? len - EOCD_LEN - COMMENT_MAX : 0;
	for (pos = len - EOCD_LEN;; pos--) {
		if (get32(d + pos) == SIG_EOCD &&
		    in_bounds(len, pos + EOCD_LEN, get16(d + pos + 20)))
			return (long long)pos;
		if (pos == lowest)
			break;
	}
	return -1;
}

/* Reads central directory entry at *pos (inside [*pos, cd_end)) into e and moves *pos past it.
 * idx is the entry's number, for messages about entries that have no usable name. */
static int read_cdir_entry(const struct ncm_zip *zip, size_t *pos, size_t cd_end, size_t idx,
			   struct ncm_zip_entry *e, struct ncm_err_info *err)
{
	const unsigned char *p = zip->data + *pos;
	const char *why;
	uint16_t flags, name_len, extra_len, comment_len, disk;
	uint32_t csize, usize, local;
	char q[QUOTE_MAX + 4];

	if (!in_bounds(cd_end, *pos, CDIR_LEN) || get32(p) != SIG_CDIR)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP central directory entry %zu is corrupt",
				   idx);
	flags = get16(p + 8);
	e->method = get16(p + 10);
	e->crc32 = get32(p + 16);
	csize = get32(p + 20);
	usize = get32(p + 24);
	name_len = get16(p + 28);
	extra_len = get16(p + 30);
	comment_len = get16(p + 32);
	disk = get16(p + 34);
	local = get32(p + 42);
	if (!in_bounds(cd_end, *pos + CDIR_LEN,
		       (uint64_t)name_len + extra_len + comment_len))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "ZIP central directory entry %zu runs past the directory", idx);

	/* The name first: every later message quotes it. */
	why = name_problem(p + CDIR_LEN, name_len);
	if (why)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry name '%s' is not allowed (%s)",
				   excerpt(p + CDIR_LEN, name_len, q), why);
	memcpy(e->name, p + CDIR_LEN, name_len);
	e->name[name_len] = '\0';

	if (csize == UINT32_MAX || usize == UINT32_MAX || local == UINT32_MAX || disk == 0xFFFF)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP64 archives are not supported");
	if (disk != 0)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP archive spans several disks");
	if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS))
		return ncm_err_set(err, NCM_ERR_INVAL, "encrypted ZIP entries are not supported");
	if (e->method != METHOD_STORED && e->method != METHOD_DEFLATE)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "ZIP entry '%s' uses compression method %u (only stored and "
				   "deflate)", excerpt(e->name, name_len, q), e->method);
	if (e->method == METHOD_STORED && csize != usize)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "ZIP entry '%s' is stored but its two sizes differ (%u and %u)",
				   excerpt(e->name, name_len, q), csize, usize);
	if (e->name[name_len - 1] == '/' && usize != 0)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP directory entry '%s' has %u bytes of data",
				   excerpt(e->name, name_len, q), usize);
	e->csize = csize;
	e->size = usize;
	e->local_offset = local;
	*pos += CDIR_LEN + (size_t)name_len + extra_len + comment_len;
	return NCM_OK;
}

int ncm_zip_open(struct ncm_zip *zip, const void *data, size_t len, struct ncm_err_info *err)
{
	const unsigned char *d = data, *eocd;
	long long eocd_pos;
	uint16_t disk, cd_disk, n_disk, n_total;
	uint32_t cd_size, cd_off;
	size_t pos, cd_end, i, j;
	char q[QUOTE_MAX + 4];
	int rc;

	memset(zip, 0, sizeof(*zip));
	if (!d && len)
		return ncm_err_set(err, NCM_ERR_INVAL, "not a ZIP archive (no end of central directory)");
	eocd_pos = find_eocd(d, len);
	if (eocd_pos < 0)
		return ncm_err_set(err, NCM_ERR_INVAL, "not a ZIP archive (no end of central directory)");
	eocd = d + eocd_pos;
	disk = get16(eocd + 4);
	cd_disk = get16(eocd + 6);
	n_disk = get16(eocd + 8);
	n_total = get16(eocd + 10);
	cd_size = get32(eocd + 12);
	cd_off = get32(eocd + 16);

	/* A ZIP64 writer leaves its locator just before the EOCD and saturates the EOCD fields. */
	if (disk == 0xFFFF || cd_disk == 0xFFFF || n_disk == 0xFFFF || n_total == 0xFFFF ||
	    cd_size == UINT32_MAX || cd_off == UINT32_MAX ||
	    (eocd_pos >= 20 && get32(eocd - 20) == SIG_ZIP64_LOCATOR))
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP64 archives are not supported");
	if (disk != 0 || cd_disk != 0 || n_disk != n_total)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP archive spans several disks");
	if (n_total > NCM_ZIP_MAX_ENTRIES)
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP has more than %d entries",
				   NCM_ZIP_MAX_ENTRIES);
	if (!in_bounds((size_t)eocd_pos, cd_off, cd_size))
		return ncm_err_set(err, NCM_ERR_INVAL, "ZIP central directory is outside the file");

	zip->data = d;
	zip->len = len;
	pos = cd_off;
	cd_end = (size_t)cd_off + cd_size;
	for (i = 0; i < n_total; i++) {
		struct ncm_zip_entry *e = &zip->entries[i];

		rc = read_cdir_entry(zip, &pos, cd_end, i, e, err);
		if (rc)
			goto out;
		/* local headers precede the directory */
		if (!in_bounds(cd_off, e->local_offset, LOCAL_LEN)) {
			rc = ncm_err_set(err, NCM_ERR_INVAL,
					 "ZIP entry '%s' starts outside the file",
					 excerpt(e->name, strlen(e->name), q));
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(zip->entries[j].name, e->name) == 0) {
				rc = ncm_err_set(err, NCM_ERR_INVAL,
						 "ZIP entry name '%s' appears twice",
						 excerpt(e->name, strlen(e->name), q));
				goto out;
			}
		}
	}
	zip->n_entries = n_total;
	rc = NCM_OK;
out:
	if (rc)
		memset(zip, 0, sizeof(*zip));
	return rc;
}

const struct ncm_zip_entry *ncm_zip_find(const struct ncm_zip *zip, const char *name)
{
	size_t i;

	if (!zip || !name)
		return NULL;
	for (i = 0; i < zip->n_entries; i++) {
		if (strcmp(zip->entries[i].name, name) == 0)
			return &zip->entries[i];
	}
	return NULL;
}

/* Raw-inflates entry's csize bytes at src into out, which has room for size + 1 bytes: the
 * spare byte is how data longer than declared shows itself without a second buffer. */
static int inflate_entry(const struct ncm_zip_entry *e, const unsigned char *src,
			 unsigned char *out, struct ncm_err_info *err)
{
	z_stream zs;
	char q[QUOTE_MAX + 4];
	const char *name = excerpt(e->name, strlen(e->name), q);
	int zrc, rc;

	memset(&zs, 0, sizeof(zs));
	/* ZIP stores bare deflate: no zlib header, no adler32 */
	zrc = inflateInit2(&zs, -MAX_WBITS);
	if (zrc != Z_OK)
		return ncm_err_set(err, zrc == Z_MEM_ERROR ? NCM_ERR_NOMEM : NCM_ERR_INVAL,
				   "cannot start inflating ZIP entry '%s'", name);
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)e->csize;
	zs.next_out = out;
	zs.avail_out = (uInt)e->size + 1;
	zrc = inflate(&zs, Z_FINISH);
	if (zs.total_out > e->size) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' inflates to more than its declared %llu bytes",
				 name, (unsigned long long)e->size);
		goto out;
	}
	if (zrc == Z_MEM_ERROR) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory inflating ZIP entry '%s'", name);
		goto out;
	}
	if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' has corrupt deflate data (%s)",
				 name, zs.msg ? zs.msg : "no detail");
		goto out;
	}
	if (zrc != Z_STREAM_END) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' has truncated deflate data",
				 name);
		goto out;
	}
	if (zs.total_out != e->size) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' inflates to %lu bytes, not its declared %llu",
				 name, zs.total_out, (unsigned long long)e->size);
		goto out;
	}
	if (zs.avail_in != 0) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' has %u bytes after its deflate data", name,
				 zs.avail_in);
		goto out;
	}
	rc = NCM_OK;
out:
	inflateEnd(&zs);
	return rc;
}

int ncm_zip_extract(const struct ncm_zip *zip, const struct ncm_zip_entry *entry,
		    unsigned char **out, size_t *out_len, struct ncm_err_info *err)
{
	const unsigned char *lh;
	unsigned char *buf = NULL;
	char q[QUOTE_MAX + 4];
	const char *name;
	size_t name_len, data_off;
	int rc;

	*out = NULL;
	*out_len = 0;
	name_len = strnlen(entry->name, sizeof(entry->name));
	name = excerpt(entry->name, name_len, q);
	/* Checked before anything is allocated: the size is whatever the upload declares. */
	if (entry->size > NCM_ZIP_MAX_ENTRY) {
		rc = ncm_err_set(err, NCM_ERR_TOO_BIG,
				 "ZIP entry '%s' is %llu bytes, over the %u-byte limit", name,
				 (unsigned long long)entry->size, NCM_ZIP_MAX_ENTRY);
		goto out;
	}
	if (name_len > 0 && entry->name[name_len - 1] == '/') {
		/* a directory: listed, but there is nothing to extract */
		buf = malloc(1);
		if (!buf) {
			rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory");
			goto out;
		}
		buf[0] = '\0';
		rc = NCM_OK;
		goto out;
	}

	if (!in_bounds(zip->len, entry->local_offset, LOCAL_LEN) ||
	    get32(zip->data + entry->local_offset) != SIG_LOCAL) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' has no local header", name);
		goto out;
	}
	lh = zip->data + entry->local_offset;
	if (get16(lh + 6) & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "encrypted ZIP entries are not supported");
		goto out;
	}
	if (get16(lh + 8) != entry->method) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' has method %u in its local header and %u in the "
				 "directory", name, get16(lh + 8), entry->method);
		goto out;
	}
	/* The local header has its own name and extra lengths; the data follows them. Sizes and
	 * CRC are taken from the directory, since with flag bit 3 they are zero here. */
	if (!in_bounds(zip->len, entry->local_offset + LOCAL_LEN,
		       (uint64_t)get16(lh + 26) + get16(lh + 28))) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' has a local header past the end",
				 name);
		goto out;
	}
	if (get16(lh + 26) != name_len || memcmp(lh + LOCAL_LEN, entry->name, name_len) != 0) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' has another name in its local header", name);
		goto out;
	}
	data_off = entry->local_offset + LOCAL_LEN + get16(lh + 26) + get16(lh + 28);
	if (!in_bounds(zip->len, data_off, entry->csize)) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' has data past the end of the file",
				 name);
		goto out;
	}

	/* ncm_zip_open() refused these already; an entry from elsewhere gets the same answer */
	if (entry->method != METHOD_STORED && entry->method != METHOD_DEFLATE) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' uses compression method %u (only stored and deflate)",
				 name, entry->method);
		goto out;
	}
	if (entry->method == METHOD_STORED && entry->csize != entry->size) {
		rc = ncm_err_set(err, NCM_ERR_INVAL,
				 "ZIP entry '%s' is stored but its two sizes differ", name);
		goto out;
	}

	buf = malloc((size_t)entry->size + 1);
	if (!buf) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory for ZIP entry '%s'", name);
		goto out;
	}
	if (entry->method == METHOD_STORED) {
		memcpy(buf, zip->data + data_off, (size_t)entry->size);
	} else {
		rc = inflate_entry(entry, zip->data + data_off, buf, err);
		if (rc)
			goto out;
	}
	if (crc32(0L, buf, (uInt)entry->size) != entry->crc32) {
		rc = ncm_err_set(err, NCM_ERR_INVAL, "ZIP entry '%s' fails its CRC-32 check", name);
		goto out;
	}
	buf[entry->size] = '\0';
	rc = NCM_OK;
out:
	if (rc) {
		free(buf);
	} else {
		*out = buf;
		*out_len = (size_t)entry->size;
	}
	return rc;
}
