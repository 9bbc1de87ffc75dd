/* SPDX-License-Identifier: MIT
 * file.h: small, careful file helpers for the data directory: atomic writes (temporary file,
 * fsync, rename, fsync of the folder) so a crash never leaves a half-written key or
 * certificate, bounded reads, and mkdir -p.
 */
#ifndef NCM_FILE_H
#define NCM_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Writes data to path atomically with the given mode, replacing any existing file. */
int ncm_file_write(const char *path, const void *data, size_t len, mode_t mode,
		   struct ncm_err_info *err);

/* Reads at most max bytes of path into a malloc'd, NUL-terminated buffer (*out, *len without
 * the NUL). NCM_ERR_NOT_FOUND when the file does not exist, NCM_ERR_TOO_BIG above max. */
int ncm_file_read(const char *path, size_t max, char **out, size_t *len,
		  struct ncm_err_info *err);

/* 1 when path exists (any type), else 0. */
int ncm_file_exists(const char *path);

/* Creates path and its missing parents with mode. Existing folders are fine. */
int ncm_mkdir_p(const char *path, mode_t mode, struct ncm_err_info *err);

/* snprintf into buf, NCM_ERR_TOO_BIG when it does not fit (paths). */
int ncm_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
