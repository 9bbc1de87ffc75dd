/* SPDX-License-Identifier: MIT
 * file.c: atomic writes, bounded reads and mkdir -p (see file.h).
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ncm_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? NCM_ERR_TOO_BIG : NCM_OK;
}

static void fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int ncm_file_write(const char *path, const void *data, size_t len, mode_t mode,
		   struct ncm_err_info *err)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd = -1, rc;
	ssize_t n;

	/* a unique name per writer, so two threads writing the same path never share it */
	if (ncm_path(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "path too long: %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = ncm_err_set(err, NCM_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	/* open() applies the umask; keys must end up exactly 0600 */
	if (fchmod(fd, mode) < 0) {
		rc = ncm_err_set(err, NCM_ERR_IO, "cannot chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ncm_err_set(err, NCM_ERR_IO, "cannot write %s: %s", tmp,
					 strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = ncm_err_set(err, NCM_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = ncm_err_set(err, NCM_ERR_IO, "cannot rename %s to %s: %s", tmp, path,
				 strerror(errno));
		goto out;
	}
	fsync_dir_of(path);
	rc = NCM_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp[0])
		unlink(tmp);
	return rc;
}

int ncm_file_read(const char *path, size_t max, char **out, size_t *len,
		  struct ncm_err_info *err)
{
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int fd, rc;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ncm_err_set(err, errno == ENOENT ? NCM_ERR_NOT_FOUND : NCM_ERR_IO,
				   "cannot open %s: %s", path, strerror(errno));
	buf = malloc(max + 1);
	if (!buf) {
		rc = ncm_err_set(err, NCM_ERR_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		n = read(fd, buf + used, max + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ncm_err_set(err, NCM_ERR_IO, "cannot read %s: %s", path,
					 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "%s is larger than %zu bytes", path,
					 max);
			goto out;
		}
	}
	buf[used] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = used;
	rc = NCM_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

int ncm_file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

int ncm_mkdir_p(const char *path, mode_t mode, struct ncm_err_info *err)
{
	char buf[PATH_MAX];
	char *p;

	if (ncm_path(buf, sizeof(buf), "%s", path))
		return ncm_err_set(err, NCM_ERR_TOO_BIG, "path too long: %s", path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) < 0) {
			struct stat sb;

			if (errno != EEXIST)
				return ncm_err_set(err, NCM_ERR_IO, "cannot create folder %s: %s",
						   buf, strerror(errno));
			if (stat(buf, &sb) < 0 || !S_ISDIR(sb.st_mode))
				return ncm_err_set(err, NCM_ERR_IO, "%s exists and is not a folder",
						   buf);
		}
		*p = c;
		if (!c)
			break;
	}
	return NCM_OK;
}
