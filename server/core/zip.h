/* SPDX-License-Identifier: MIT
 * zip.h: a small ZIP reader for firmware bundle uploads (docs/fota.md#firmware-bundles): reads the central
 * directory of an in-memory archive and extracts entries stored (method 0) or deflated
 * (method 8, zlib raw inflate), checking each entry's CRC-32 and sizes. Bounded: at most
 * NCM_ZIP_MAX_ENTRIES entries and NCM_ZIP_MAX_ENTRY bytes per extracted entry; never reads
 * outside the buffer; refuses encryption, ZIP64, multi-disk archives, entry names with "..",
 * absolute paths, backslashes or NUL. Pure; any thread.
 */
#ifndef NCM_ZIP_H
#define NCM_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NCM_ZIP_MAX_ENTRIES 64
#define NCM_ZIP_MAX_ENTRY (64u * 1024 * 1024)

struct ncm_zip_entry {
	char name[256];         /* as in the archive, NUL-terminated */
	uint32_t crc32;
	uint64_t size;          /* uncompressed */
	uint64_t csize;         /* compressed */
	uint16_t method;        /* 0 stored, 8 deflate */
	size_t local_offset;    /* of the local file header */
};

struct ncm_zip {
	const unsigned char *data; /* borrowed: the caller keeps the archive alive */
	size_t len;
	struct ncm_zip_entry entries[NCM_ZIP_MAX_ENTRIES];
	size_t n_entries;
};

/* Opens an archive held in memory. NCM_ERR_INVAL with err naming the problem: "not a ZIP
 * archive (no end of central directory)", "ZIP64 archives are not supported", "ZIP archive
 * spans several disks", "ZIP central directory is outside the file", "ZIP entry name 'x' is not
 * allowed", "encrypted ZIP entries are not supported", "ZIP entry 'x' uses compression method
 * N (only stored and deflate)", "ZIP has more than 64 entries", duplicate names. */
int ncm_zip_open(struct ncm_zip *zip, const void *data, size_t len, struct ncm_err_info *err);

/* The entry named name (exact match), or NULL. */
const struct ncm_zip_entry *ncm_zip_find(const struct ncm_zip *zip, const char *name);

/* Extracts entry into a malloc'd buffer (*out, *out_len; NUL-terminated one past the end).
 * NCM_ERR_INVAL on a bad local header, a size or CRC-32 mismatch or corrupt deflate data;
 * NCM_ERR_TOO_BIG above NCM_ZIP_MAX_ENTRY. */
int ncm_zip_extract(const struct ncm_zip *zip, const struct ncm_zip_entry *entry,
		    unsigned char **out, size_t *out_len, struct ncm_err_info *err);

#endif
