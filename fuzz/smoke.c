/* SPDX-License-Identifier: MIT
 * smoke.c: a libFuzzer stand-in that lets every fuzz target run as an ordinary test with any
 * compiler. `smoke_<target> <corpus folder>` feeds each file of the folder (in name order) to
 * LLVMFuzzerTestOneInput, then VARIANTS mutated copies of each (bit flips, byte changes,
 * truncations, insertions, deletions) from a fixed-seed generator, so every run sees the same
 * inputs. A crash or failed invariant aborts; the input is first written to ./smoke-crash.bin,
 * which the clang-built fuzz_<target> replays. Depends on the C library and POSIX only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define VARIANTS 2000
#define FILE_MAX (1024 * 1024) /* larger corpus files are a mistake, not a seed */
#define GROW_MAX 256           /* bytes a variant may add to its seed */
#define CRASH_FILE "smoke-crash.bin"

struct seed {
	char *name;
	uint8_t *data;
	size_t size;
};

/* The input being run, for the crash handler. */
static const uint8_t *volatile cur_data;
static volatile size_t cur_size;

/* Byte sequences that mean something to at least one target, for insertions. */
static const char *const tokens[] = {
	"{", "}", "[", "]", "(", ")", "\"", "'", "`", ".", ",", ":", "/", "+", "#", "$", "-",
	"\\", "\\u", "\\ud83d", "null", "true", "false", "0", "-1", "1e308", "9007199254740993",
	"\"state\"", "\"desired\"", "\"reported\"", "\"version\"", "\"clientToken\"", "{}", "[]",
	"m/d/", "/shadow/", "+/r", "prod/T1/", "nrf-352656100000001", "account-T1", "=",
	"-----BEGIN CERTIFICATE REQUEST-----\n", "-----END CERTIFICATE REQUEST-----\n",
	"%KEYGEN: ", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xff", "\x00", "\x30\x82",
};

/* splitmix64: small, fast and the same on every platform, unlike rand(). */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t below(uint64_t *st, size_t n)
{
	return n ? (size_t)(next_rand(st) % n) : 0;
}

/* Async-signal-safe: saves the current input and says where, then lets the signal kill us. */
static void on_crash(int sig)
{
	static const char msg[] = "smoke: crashed; input saved to ./" CRASH_FILE "\n";
	int fd = open(CRASH_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd >= 0) {
		w = write(fd, (const void *)cur_data, cur_size);
		close(fd);
	}
	w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	LLVMFuzzerTestOneInput(data, size);
}

/* Inserts n bytes of src at pos of buf (size *len, room for GROW_MAX more than the seed). */
static void insert(uint8_t *buf, size_t *len, size_t cap, size_t pos, const void *src, size_t n)
{
	if (*len + n > cap)
		n = cap - *len;
	memmove(buf + pos + n, buf + pos, *len - pos);
	memcpy(buf + pos, src, n);
	*len += n;
}

/* One variant of seed in buf (cap bytes): one to four stacked mutations. */
static size_t mutate(uint64_t *st, const struct seed *s, uint8_t *buf, size_t cap)
{
	size_t len = s->size, ops = 1 + below(st, 4), i, pos, n;
	const char *tok;
	uint8_t b;

	memcpy(buf, s->data, len);
	for (i = 0; i < ops; i++) {
		pos = below(st, len + 1);
		switch (below(st, 7)) {
		case 0: /* flip one bit */
			if (len)
				buf[below(st, len)] ^= (uint8_t)(1u << below(st, 8));
			break;
		case 1: /* change one byte */
			if (len)
				buf[below(st, len)] = (uint8_t)next_rand(st);
			break;
		case 2: /* truncate */
			len = pos;
			break;
		case 3: /* insert random bytes */
			n = 1 + below(st, 8);
			while (n-- && len < cap) {
				b = (uint8_t)next_rand(st);
				insert(buf, &len, cap, pos, &b, 1);
			}
			break;
		case 4: /* insert a token */
			tok = tokens[below(st, sizeof(tokens) / sizeof(tokens[0]))];
			/* "\x00" is the one token whose length strlen cannot tell. */
			insert(buf, &len, cap, pos, tok, *tok ? strlen(tok) : 1);
			break;
		case 5: /* copy a chunk of the input elsewhere in it */
			if (len) {
				size_t from = below(st, len);

				n = 1 + below(st, len - from < 32 ? len - from : 32);
				if (len + n <= cap) {
					uint8_t chunk[32];

					memcpy(chunk, buf + from, n);
					insert(buf, &len, cap, pos, chunk, n);
				}
			}
			break;
		default: /* delete a range */
			if (pos < len) {
				n = 1 + below(st, len - pos < 16 ? len - pos : 16);
				memmove(buf + pos, buf + pos + n, len - pos - n);
				len -= n;
			}
			break;
		}
	}
	return len;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

static int read_file(const char *path, struct seed *s)
{
	struct stat sb;
	size_t got = 0;
	ssize_t r;
	int fd, ret = -1;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > FILE_MAX)
		goto out;
	s->size = (size_t)sb.st_size;
	s->data = malloc(s->size ? s->size : 1);
	if (!s->data)
		goto out;
	while (got < s->size) {
		r = read(fd, s->data + got, s->size - got);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Every regular file of dir, sorted by name; -1 on any problem (an empty corpus is one). */
static int load_corpus(const char *dir, struct seed **out, size_t *n_out)
{
	struct seed *seeds = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *e;
	char path[4096];
	DIR *d;
	int ret = -1;

	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "smoke: cannot open corpus folder %s\n", dir);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(seeds, cap * sizeof(*seeds));
			if (!grown)
				goto out;
			seeds = grown;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			goto out;
		seeds[n] = (struct seed){ strdup(e->d_name), NULL, 0 };
		if (!seeds[n].name || read_file(path, &seeds[n])) {
			fprintf(stderr, "smoke: cannot read %s (or it is over %d bytes)\n", path,
				FILE_MAX);
			n++;
			goto out;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "smoke: corpus folder %s is empty\n", dir);
		goto out;
	}
	qsort(seeds, n, sizeof(*seeds), by_name);
	ret = 0;
out:
	closedir(d);
	*out = seeds;
	*n_out = n;
	return ret;
}

int main(int argc, char **argv)
{
	struct seed *seeds = NULL;
	uint8_t *buf = NULL;
	size_t n = 0, i, max = 0, len;
	uint64_t st = 0x6e636d2d66757a7aull; /* fixed: every run is the same */
	int v, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-FOLDER\n", argv[0]);
		return 2;
	}
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGILL, on_crash);
	if (load_corpus(argv[1], &seeds, &n))
		goto out;
	for (i = 0; i < n; i++) {
		run(seeds[i].data, seeds[i].size);
		if (seeds[i].size > max)
			max = seeds[i].size;
	}
	buf = malloc(max + GROW_MAX);
	if (!buf)
		goto out;
	for (i = 0; i < n; i++) {
		for (v = 0; v < VARIANTS; v++) {
			len = mutate(&st, &seeds[i], buf, seeds[i].size + GROW_MAX);
			run(buf, len);
		}
	}
	printf("smoke: %zu seeds and %zu variants from %s passed\n", n, n * VARIANTS, argv[1]);
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		free(seeds[i].name);
		free(seeds[i].data);
	}
	free(seeds);
	free(buf);
	return ret;
}
