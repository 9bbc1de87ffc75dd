/* SPDX-License-Identifier: MIT
 * msglog.c: the device-message log (see msglog.h). An entry:
 *   u32 magic "NCML", u32 entry length, u64 seq, i64 received_ms, u8 binary,
 *   u16 device length, u16 topic length, u16 appId length (0xffff: none), u32 payload length,
 *   the four byte strings, u32 FNV-1a of everything before it.
 * A torn tail (a write the process died in) fails its length or checksum and is ignored: its
 * message was never acknowledged. Entries are applied in order; the seq of the last applied one
 * is stored in the same transaction as its rows (msglog_applied), so an entry applied before a
 * crash is never applied twice.
 */
#include "msglog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC 0x4c4d434eu /* "NCML" little-endian */
#define HEADER 35
#define NO_APP 0xffff
#define BATCH 512

struct ncm_msglog {
	int fd;
	char *path;
	pthread_mutex_t lock;   /* appends, and the file's length */
	pthread_mutex_t apply;  /* one applier at a time */
	uint64_t next_seq;
	off_t applied_off;      /* entries before this offset are in the store */
	off_t size;             /* bytes written */
};

static void put(unsigned char **p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

static uint64_t get(const unsigned char **p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

static uint32_t fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Parses the entry at p (avail bytes); its length, or 0 when it is torn or not an entry. */
static size_t parse(const unsigned char *p, size_t avail, uint64_t *seq, struct ncm_message *m)
{
	const unsigned char *q = p, *c;
	size_t len, dl, tl, al, pl;

	if (avail < HEADER + 4 || get(&q, 4) != MAGIC)
		return 0;
	len = (size_t)get(&q, 4);
	if (len < HEADER + 4 || len > avail)
		return 0;
	c = p + len - 4;
	if (fnv(p, len - 4) != (uint32_t)get(&c, 4))
		return 0;
	*seq = get(&q, 8);
	memset(m, 0, sizeof(*m));
	m->received_ms = (int64_t)get(&q, 8);
	m->binary = (int)get(&q, 1);
	dl = (size_t)get(&q, 2);
	tl = (size_t)get(&q, 2);
	al = (size_t)get(&q, 2);
	pl = (size_t)get(&q, 4);
	if (HEADER + dl + tl + (al == NO_APP ? 0 : al) + pl + 4 != len)
		return 0;
	/* strings are stored with their NUL, so they can be used in place */
	m->device_id = (const char *)q;
	q += dl;
	m->topic = (const char *)q;
	q += tl;
	if (al != NO_APP) {
		m->app_id = (const char *)q;
		q += al;
	}
	m->payload = q;
	m->payload_len = pl;
	return len;
}

static int read_all(int fd, off_t from, off_t to, unsigned char **out)
{
	size_t n = (size_t)(to - from), got = 0;
	unsigned char *buf = malloc(n ? n : 1);
	ssize_t r;

	*out = NULL;
	if (!buf)
		return -1;
	while (got < n) {
		r = pread(fd, buf + got, n - got, from + (off_t)got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		got += (size_t)r;
	}
	*out = buf;
	return 0;
}

static int64_t applied_seq(struct ncm_db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (ncm_db_prepare(db, "SELECT seq FROM msglog_applied WHERE id = 1", &st) == SQLITE_OK) {
		int rc = sqlite3_step(st);

		v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
	}
	ncm_db_finish(db, st);
	return v;
}

int ncm_msglog_open(const char *path, struct ncm_db *db, struct ncm_msglog **out,
		    struct ncm_err_info *err)
{
	struct ncm_msglog *l = calloc(1, sizeof(*l));
	unsigned char *buf = NULL;
	struct ncm_message m;
	struct stat sb;
	uint64_t seq, last;
	int64_t done;
	size_t off = 0, n;

	*out = NULL;
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory");
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->apply, NULL);
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (l->fd < 0 || fstat(l->fd, &sb)) {
		ncm_err_set(err, NCM_ERR_IO, "store: cannot open %s: %s", path, strerror(errno));
		ncm_msglog_close(l);
		return NCM_ERR_IO;
	}
	done = applied_seq(db);
	if (done < 0) {
		ncm_msglog_close(l);
		return ncm_err_set(err, NCM_ERR_IO, "store: cannot read the message log state");
	}
	last = (uint64_t)done;
	if (read_all(l->fd, 0, sb.st_size, &buf)) {
		ncm_msglog_close(l);
		return ncm_err_set(err, NCM_ERR_IO, "store: cannot read %s", path);
	}
	while ((n = parse(buf + off, (size_t)sb.st_size - off, &seq, &m)) > 0) {
		if (seq > last)
			last = seq;
		off += n;
	}
	free(buf);
	if ((off_t)off != sb.st_size && ftruncate(l->fd, (off_t)off)) {
		/* a torn tail from a crash: never acknowledged; drop it so appends follow */
		ncm_msglog_close(l);
		return ncm_err_set(err, NCM_ERR_IO, "store: cannot repair %s", path);
	}
	l->size = (off_t)off;
	l->next_seq = last + 1;
	*out = l;
	return NCM_OK;
}

void ncm_msglog_close(struct ncm_msglog *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->apply);
	free(l->path);
	free(l);
}

int ncm_msglog_append(struct ncm_msglog *l, const struct ncm_message *msgs, size_t n,
		      struct ncm_err_info *err)
{
	unsigned char *buf, *p, *start;
	size_t total = 0, i, len, dl, tl, al;
	ssize_t w;
	int rc = NCM_OK;

	for (i = 0; i < n; i++)
		total += HEADER + 4 + strlen(msgs[i].device_id) + 1 + strlen(msgs[i].topic) + 1 +
			 (msgs[i].app_id ? strlen(msgs[i].app_id) + 1 : 0) + msgs[i].payload_len;
	buf = malloc(total);
	if (!buf)
		return ncm_err_set(err, NCM_ERR_NOMEM, "store: out of memory");
	pthread_mutex_lock(&l->lock);
	p = buf;
	for (i = 0; i < n; i++) {
		const struct ncm_message *m = &msgs[i];

		dl = strlen(m->device_id) + 1;
		tl = strlen(m->topic) + 1;
		al = m->app_id ? strlen(m->app_id) + 1 : 0;
		len = HEADER + 4 + dl + tl + al + m->payload_len;
		start = p;
		put(&p, MAGIC, 4);
		put(&p, len, 4);
		put(&p, l->next_seq + i, 8);
		put(&p, (uint64_t)m->received_ms, 8);
		put(&p, m->binary ? 1 : 0, 1);
		put(&p, dl, 2);
		put(&p, tl, 2);
		put(&p, m->app_id ? al : NO_APP, 2);
		put(&p, m->payload_len, 4);
		memcpy(p, m->device_id, dl);
		p += dl;
		memcpy(p, m->topic, tl);
		p += tl;
		if (al) {
			memcpy(p, m->app_id, al);
			p += al;
		}
		if (m->payload_len)
			memcpy(p, m->payload, m->payload_len);
		p += m->payload_len;
		put(&p, fnv(start, len - 4), 4);
	}
	/* one write(2): in the page cache once it returns, so it survives the process dying */
	w = write(l->fd, buf, total);
	if (w == (ssize_t)total) {
		l->next_seq += n;
		l->size += (off_t)total;
	} else {
		rc = ncm_err_set(err, NCM_ERR_IO, "store: cannot append to %s: %s", l->path,
				 w < 0 ? strerror(errno) : "short write");
		/* a short write leaves a torn entry: cut it off so the next append is whole */
		if (w > 0 && ftruncate(l->fd, l->size))
			rc = ncm_err_set(err, NCM_ERR_IO, "store: cannot repair %s", l->path);
	}
	pthread_mutex_unlock(&l->lock);
	free(buf);
	return rc;
}

/* Stores up to BATCH logged entries in one transaction; *more is set when some are left. */
static int apply_batch(struct ncm_msglog *l, struct ncm_db *db, int *more,
		       struct ncm_err_info *err)
{
	unsigned char *buf = NULL;
	struct ncm_message m;
	sqlite3_stmt *st = NULL;
	off_t from, to;
	uint64_t seq, last = 0;
	int64_t done;
	size_t off = 0, n, count = 0;
	int rc, nested;

	*more = 0;
	/* nothing logged since the last apply committed: no transaction at all */
	pthread_mutex_lock(&l->lock);
	from = l->applied_off;
	to = l->size;
	pthread_mutex_unlock(&l->lock);
	if (from == to)
		return NCM_OK;
	/* the write lock first, then the applier's: a caller may already hold the write lock
	 * (reset applies inside its transaction), so every applier takes them in this order */
	nested = !sqlite3_get_autocommit(ncm_db_handle(db));
	rc = ncm_db_begin(db, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->apply);
	pthread_mutex_lock(&l->lock);
	from = l->applied_off;
	to = l->size;
	pthread_mutex_unlock(&l->lock);
	if (from == to) {
		pthread_mutex_unlock(&l->apply);
		return ncm_db_commit(db, err);
	}
	/* read at most what a batch can use (entries are at least HEADER + 7 bytes, most are
	 * far longer): 4 MiB covers a batch of typical messages */
	if (!nested && to - from > (off_t)(4 << 20))
		to = from + (off_t)(4 << 20);
	if (read_all(l->fd, from, to, &buf)) {
		rc = ncm_err_set(err, NCM_ERR_IO, "store: cannot read %s", l->path);
		goto fail;
	}
	done = applied_seq(db);
	if (done < 0) {
		rc = ncm_db_fail(db, err, "reading the message log state");
		goto fail;
	}
	/* at most BATCH rows per transaction: other writers (REST) get the lock in between */
	while ((nested || count < BATCH) &&
	       (n = parse(buf + off, (size_t)(to - from) - off, &seq, &m)) > 0) {
		off += n;
		last = seq;
		if ((int64_t)seq <= done)
			continue;
		rc = ncm_store_message_add(db, &m, err);
		if (rc)
			goto fail;
		count++;
	}
	if (last && (int64_t)last > done) {
		if (ncm_db_prepare(db, "UPDATE msglog_applied SET seq = ? WHERE id = 1", &st) !=
			    SQLITE_OK ||
		    (sqlite3_bind_int64(st, 1, (sqlite3_int64)last), sqlite3_step(st)) !=
			    SQLITE_DONE) {
			rc = ncm_db_fail(db, err, "writing the message log state");
			goto fail;
		}
		ncm_db_finish(db, st);
		st = NULL;
	}
	rc = ncm_db_commit(db, err);
	if (rc)
		goto fail;
	/* inside a caller's transaction (everything logged was applied in it, no batches)
	 * nothing is committed yet: the caller might roll back, so the log keeps the entries
	 * (applied_seq skips them once that commit is real) */
	if (!sqlite3_get_autocommit(ncm_db_handle(db)))
		goto out;
	pthread_mutex_lock(&l->lock);
	l->applied_off = from + (off_t)off;
	/* caught up: start the file again (appends hold the lock, so none is lost) */
	if (l->applied_off == l->size && ftruncate(l->fd, 0) == 0)
		l->applied_off = l->size = 0;
	*more = l->applied_off < l->size && off > 0;
	pthread_mutex_unlock(&l->lock);
	goto out;
fail:
	ncm_db_finish(db, st);
	ncm_db_rollback(db);
out:
	free(buf);
	pthread_mutex_unlock(&l->apply);
	return rc;
}

int ncm_msglog_apply(struct ncm_msglog *l, struct ncm_db *db, struct ncm_err_info *err)
{
	int rc, more = 1;

	for (rc = NCM_OK; !rc && more;)
		rc = apply_batch(l, db, &more, err);
	return rc;
}
