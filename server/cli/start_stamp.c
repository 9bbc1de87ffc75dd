/* SPDX-License-Identifier: MIT
 * start_stamp.c: the fingerprint of everything `serve`'s lab-CA check and fixture load read
 * besides the store (the store's side is its generation, store/startstamp.h;
 * docs/performance.md#start-up). When it and the store's generation are what the last check
 * recorded, the check would change nothing, and serve skips it.
 *
 * What goes in: the build (version, schema version, and the identity of the running program, so
 * a rebuilt one checks again), the data and fixtures folders and the server certificate's host
 * names, and the bytes of every file the check reads when nothing is missing from the store:
 * <data>/ca/{ca.pem,ca.key,server.pem,server.key} and every file of <data>/ca/trust/, and the
 * fixtures' team.json and the *.json files of devices/, firmware/ and location/ (the names the
 * loader takes). A missing file counts as missing. Contents, not times: a file changed within
 * the same clock tick as the last check is still seen. Firmware images and issued device files
 * are read only for a bundle or device the store lacks, which moves the store's generation.
 * The bytes go through 64-bit FNV-1a, with each name and length in front of its bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "file.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void mix(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= FNV_PRIME;
	}
}

/* A string with its terminating NUL, so "ab" + "c" differs from "a" + "bc". */
static void mix_str(uint64_t *h, const char *s)
{
	mix(h, s, strlen(s) + 1);
}

static void mix_u64(uint64_t *h, uint64_t v)
{
	mix(h, &v, sizeof(v));
}

/* The file's name, then "-" when it does not exist, else its length and bytes. -1 when it
 * cannot be read (the check then runs, and reports what is wrong). */
static int mix_file(uint64_t *h, const char *path)
{
	unsigned char buf[16384];
	struct stat st;
	uint64_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	mix_str(h, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -1;
		mix_str(h, "-");
		return 0;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	mix_u64(h, (uint64_t)st.st_size);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		mix(h, buf, (size_t)n);
		len += (uint64_t)n;
	}
	close(fd);
	/* a file that grew or shrank while it was read is being written: no stamp this time */
	return rc || len != (uint64_t)st.st_size ? -1 : 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of dir (only the *.json names the fixture loader takes when json is set), in
 * name order; a missing folder counts as missing. */
static int mix_dir(uint64_t *h, const char *dir, int json)
{
	char path[PATH_MAX], **names = NULL, **grown;
	size_t n = 0, cap = 0, i, len;
	struct dirent *e;
	DIR *dh;
	int rc = 0;

	mix_str(h, dir);
	dh = opendir(dir);
	if (!dh) {
		if (errno != ENOENT)
			return -1;
		mix_str(h, "-");
		return 0;
	}
	while ((e = readdir(dh))) {
		len = strlen(e->d_name);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (json && (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.'))
			continue;
		if (n == cap) {
			grown = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
			if (!grown) {
				rc = -1;
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(dh);
	if (!rc)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && !rc; i++)
		rc = ncm_path(path, sizeof(path), "%s/%s", dir, names[i]) ? -1 : mix_file(h, path);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int ncm_cli_start_stamp(const struct ncm_config *cfg, char out[NCM_CLI_STAMP_SIZE])
{
	static const char *const ca_files[] = { "ca.pem", "ca.key", "server.pem", "server.key" };
	static const char *const fixture_dirs[] = { "devices", "firmware", "location" };
	const char *sans[6];
	char path[PATH_MAX];
	uint64_t h = FNV_OFFSET;
	struct stat st;
	size_t i, n;

	mix_str(&h, NCM_VERSION);
	mix_u64(&h, NCM_DB_SCHEMA_VERSION);
	if (stat("/proc/self/exe", &st))
		return -1;
	mix_u64(&h, (uint64_t)st.st_dev);
	mix_u64(&h, (uint64_t)st.st_ino);
	mix_u64(&h, (uint64_t)st.st_size);
	mix_u64(&h, (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec);
	mix_u64(&h, (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec);
	mix_str(&h, cfg->data_dir);
	mix_str(&h, cfg->fixtures_dir);
	n = ncm_cli_server_sans(cfg, sans);
	mix_u64(&h, n);
	for (i = 0; i < n; i++)
		mix_str(&h, sans[i]);
	for (i = 0; i < sizeof(ca_files) / sizeof(ca_files[0]); i++)
		if (ncm_path(path, sizeof(path), "%s/ca/%s", cfg->data_dir, ca_files[i]) ||
		    mix_file(&h, path))
			return -1;
	if (ncm_path(path, sizeof(path), "%s/ca/trust", cfg->data_dir) || mix_dir(&h, path, 0))
		return -1;
	if (cfg->fixtures_dir[0]) {
		if (ncm_path(path, sizeof(path), "%s/team.json", cfg->fixtures_dir) ||
		    mix_file(&h, path))
			return -1;
		for (i = 0; i < sizeof(fixture_dirs) / sizeof(fixture_dirs[0]); i++)
			if (ncm_path(path, sizeof(path), "%s/%s", cfg->fixtures_dir,
				     fixture_dirs[i]) ||
			    mix_dir(&h, path, 1))
				return -1;
	}
	snprintf(out, NCM_CLI_STAMP_SIZE, "fnv1a64 %016" PRIx64, h);
	return 0;
}
