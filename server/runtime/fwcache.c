/* SPDX-License-Identifier: MIT
 * fwcache.c: bundle files for downloads (see fwcache.h). A direct-mapped table of SLOTS
 * entries keyed by bundle ID and file name; an entry is reference-counted (a download in
 * another thread may still read it when it is replaced) and notes the firmware table's change
 * counter from before the store was read: when the counter moves, every entry is dropped.
 */
#include "fwcache.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "file.h"
#include "firmware.h"

#define SLOTS 64

struct entry {
	struct ncm_fwfile pub; /* first: the caller's pointer is the entry's */
	int refs;
	char *bundle_id, *file;
};

static struct entry *slots[SLOTS];
static uint64_t slots_epoch;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(const char *bundle_id, const char *file)
{
	uint32_t h = 2166136261u;
	const char *s;

	for (s = bundle_id; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (s = file; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SLOTS;
}

/* Called with lock held; frees e when this was its last reference. */
static void unref_locked(struct entry *e)
{
	if (!e || --e->refs > 0)
		return;
	close(e->pub.fd);
	free(e->bundle_id);
	free(e->file);
	free(e);
}

/* Called with lock held: empties the table when the firmware table changed since it was
 * filled. */
static void check_epoch_locked(uint64_t epoch)
{
	size_t i;

	if (epoch == slots_epoch)
		return;
	for (i = 0; i < SLOTS; i++) {
		unref_locked(slots[i]);
		slots[i] = NULL;
	}
	slots_epoch = epoch;
}

/* 1 when file is one of the bundle's files (files_json: [{"file": ...}, ...]). */
static int bundle_has(const struct ncm_bundle *b, const char *file)
{
	json_t *files = json_loads(b->files_json, 0, NULL), *f;
	size_t i;
	int found = 0;

	json_array_foreach(files, i, f)
		found |= !strcmp(json_string_value(json_object_get(f, "file")) ?: "", file);
	json_decref(files);
	return found;
}

/* A new entry (one reference) read from the store and the disk, or NULL. */
static struct entry *load(struct ncm_db *db, const char *data_dir, const char *tenant,
			  const char *bundle_id, const char *file)
{
	struct ncm_bundle b;
	struct entry *e;
	struct stat sb;
	char path[PATH_MAX];
	int fd, has;

	if (!strcmp(file, ".") || !strcmp(file, "..") || strchr(file, '/') ||
	    ncm_store_bundle_get(db, bundle_id, &b, NULL))
		return NULL;
	has = bundle_has(&b, file);
	ncm_bundle_release(&b);
	if (!has || ncm_path(path, sizeof(path), "%s/firmware/%s/%s/%s", data_dir, tenant,
			     bundle_id, file))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    !(e->bundle_id = strdup(bundle_id)) || !(e->file = strdup(file))) {
		if (e) {
			free(e->bundle_id);
			free(e);
		}
		close(fd);
		return NULL;
	}
	e->pub.fd = fd;
	e->pub.size = (uint64_t)sb.st_size;
	e->refs = 1;
	return e;
}

struct ncm_fwfile *ncm_fwcache_get(struct ncm_db *db, const char *data_dir, const char *tenant,
				   const char *bundle_id, const char *file)
{
	uint64_t epoch = ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE);
	size_t i = slot_of(bundle_id, file);
	struct entry *e, *old = NULL;

	pthread_mutex_lock(&lock);
	check_epoch_locked(epoch);
	e = slots[i];
	if (e && !strcmp(e->bundle_id, bundle_id) && !strcmp(e->file, file)) {
		e->refs++;
		pthread_mutex_unlock(&lock);
		return &e->pub;
	}
	pthread_mutex_unlock(&lock);
	/* read with the counter noted before: a change committed meanwhile moves it, and the
	 * entry stored here is dropped at the next lookup */
	e = load(db, data_dir, tenant, bundle_id, file);
	if (!e)
		return NULL;
	pthread_mutex_lock(&lock);
	check_epoch_locked(ncm_db_epoch(NCM_DB_EPOCH_FIRMWARE));
	if (slots_epoch == epoch) {
		old = slots[i];
		slots[i] = e;
		e->refs++;
	}
	unref_locked(old);
	pthread_mutex_unlock(&lock);
	return &e->pub;
}

void ncm_fwcache_release(struct ncm_fwfile *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&lock);
	unref_locked((struct entry *)f);
	pthread_mutex_unlock(&lock);
}

void ncm_fwcache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++) {
		unref_locked(slots[i]);
		slots[i] = NULL;
	}
	pthread_mutex_unlock(&lock);
}
