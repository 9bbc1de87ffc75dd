/* SPDX-License-Identifier: MIT
 * range_load.c: downloads one file the way nRF91 firmware does (docs/fota.md#image-download): HTTP/1.1
 * "Range: bytes=<from>-<from+F-1>" requests of F bytes over one keep-alive TLS connection (one
 * libcurl handle for every request of every pass), each answer checked to be 206 with a
 * content-range naming the bytes and the total, the assembled file checked against a SHA-256.
 * Prints one line of JSON: bytes, requests, connections, seconds, MB/s (10^6 bytes) and
 * requests/s over all passes. Loopback only: it refuses URLs whose host is not 127.0.0.1, ::1 or
 * localhost.
 * Usage: range_load URL CA_FILE FRAGMENT PASSES SHA256_HEX
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t len = size * nmemb;

	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->n + len + 1) * 2;
		unsigned char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, ptr, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int loopback(const char *url)
{
	const char *h = strstr(url, "://");

	if (!h)
		return 0;
	h += 3;
	return !strncmp(h, "127.0.0.1:", 10) || !strncmp(h, "127.0.0.1/", 10) ||
	       !strncmp(h, "localhost:", 10) || !strncmp(h, "localhost/", 10) ||
	       !strncmp(h, "[::1]", 5);
}

/* "content-range: bytes a-b/total" in the header block (any case); 0 when found. */
static int content_range(const char *head, uint64_t *a, uint64_t *b, uint64_t *total)
{
	const char *p = head;

	while ((p = strchr(p, '\n'))) {
		p++;
		if (!strncasecmp(p, "content-range:", 14))
			return sscanf(p + 14, " bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, a, b,
				      total) == 3
				       ? 0
				       : -1;
	}
	return -1;
}

static void hex(const unsigned char *md, char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int main(int argc, char **argv)
{
	const char *url, *ca, *want;
	struct buf body = { 0 }, head = { 0 }, img = { 0 };
	uint64_t fragment;
	uint64_t a, b, total = 0, bytes = 0;
	long status, connects = 0, n;
	int passes, pass, requests = 0, rc = 1;
	unsigned char md[32];
	unsigned int md_len;
	char range[64], got[65];
	double t0, secs;
	CURL *c;

	if (argc != 6) {
		fprintf(stderr, "usage: %s URL CA_FILE FRAGMENT PASSES SHA256_HEX\n", argv[0]);
		return 2;
	}
	url = argv[1];
	ca = argv[2];
	fragment = (uint64_t)strtoull(argv[3], NULL, 10);
	passes = atoi(argv[4]);
	want = argv[5];
	if (!loopback(url) || fragment == 0 || passes < 1 || strlen(want) != 64) {
		fprintf(stderr, "range_load: loopback URL, FRAGMENT > 0, PASSES >= 1 and a SHA-256 "
				"in hex are required\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	t0 = now();
	for (pass = 0; pass < passes; pass++) {
		uint64_t off = 0;

		img.n = 0;
		do {
			body.n = head.n = 0;
			snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
				 off + fragment - 1);
			curl_easy_setopt(c, CURLOPT_RANGE, range);
			if (curl_easy_perform(c) != CURLE_OK) {
				fprintf(stderr, "range_load: request %s failed\n", range);
				goto out;
			}
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n);
			connects += n;
			requests++;
			if (status != 206 || !head.p ||
			    content_range((char *)head.p, &a, &b, &total) || a != off ||
			    b < a || body.n != b - a + 1 || b >= total) {
				fprintf(stderr, "range_load: %s answered %ld with %zu bytes:\n%s\n",
					range, status, body.n, head.p ? (char *)head.p : "");
				goto out;
			}
			on_data((char *)body.p, 1, body.n, &img);
			bytes += body.n;
			off = b + 1;
		} while (off < total);
		EVP_Digest(img.p, img.n, md, &md_len, EVP_sha256(), NULL);
		hex(md, got);
		if (strcasecmp(got, want)) {
			fprintf(stderr, "range_load: pass %d: SHA-256 %s, want %s\n", pass + 1, got,
				want);
			goto out;
		}
	}
	secs = now() - t0;
	printf("{\"bytes\":%" PRIu64 ",\"file\":%" PRIu64 ",\"requests\":%d,\"connections\":%ld,"
	       "\"seconds\":%.3f,\"mbps\":%.2f,\"rps\":%.0f}\n",
	       bytes, total, requests, connects, secs, (double)bytes / 1e6 / secs,
	       (double)requests / secs);
	rc = 0;
out:
	curl_easy_cleanup(c);
	curl_global_cleanup();
	free(body.p);
	free(head.p);
	free(img.p);
	return rc;
}
