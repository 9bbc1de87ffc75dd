/* SPDX-License-Identifier: MIT
 * fwcache.h: the files of stored firmware bundles as downloads read them. A firmware download
 * is hundreds of small Range requests for one file (docs/fota.md#image-download); each used to
 * look the bundle up in the store, parse its file list and open the file. The cache keeps, per
 * bundle file, an open descriptor and the size, and is dropped whenever the firmware table
 * changes (ncm_db_epoch), so a deleted bundle is never served from it. Any thread.
 */
#ifndef NCM_FWCACHE_H
#define NCM_FWCACHE_H

#include <stdint.h>

#include "db.h"

struct ncm_fwfile {
	int fd;        /* read with pread only: it is shared */
	uint64_t size;
};

/* The file named file of the stored bundle bundle_id, at <data_dir>/firmware/<tenant>/
 * <bundle_id>/<file>, or NULL when there is no such bundle, the bundle has no such file, or
 * it is not a regular file on disk (never outside <data_dir>/firmware, never through a
 * symlink). A reference: give it back with ncm_fwcache_release. */
struct ncm_fwfile *ncm_fwcache_get(struct ncm_db *db, const char *data_dir, const char *tenant,
				   const char *bundle_id, const char *file);
void ncm_fwcache_release(struct ncm_fwfile *f);

/* Drops every entry (at stop, so leak checkers see nothing held). */
void ncm_fwcache_clear(void);

#endif
