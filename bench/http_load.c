/* SPDX-License-Identifier: MIT
 * http_load.c: a small HTTPS load generator for the benchmarks: T threads, each with one
 * keep-alive libcurl handle, send N requests in total to one URL with one Authorization header
 * (GET, or POST of a JSON BODY when one is given; HTTP_LOAD_METHOD in the environment names
 * another method for the body), and the program prints requests per second
 * and latency percentiles as one line of JSON. A TOKEN of "@FILE" takes the tokens from FILE,
 * one a line, and sends a different one with each request (in turn).
 * Loopback only: it refuses URLs whose host is not 127.0.0.1, ::1 or localhost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct job {
	const char *url, *ca, *auth, *body;
	char **tokens; /* NULL: auth for every request; else n_tokens, used from first on */
	int n_tokens, first;
	int count;
	double *lat;   /* seconds, one per request */
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct curl_slist *hdrs = NULL;
	char line[10000];
	CURL *c = curl_easy_init();
	long status;
	int i;

	snprintf(line, sizeof(line), "Authorization: Bearer %s", j->auth);
	hdrs = curl_slist_append(hdrs, line);
	if (j->body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
		/* HTTP_LOAD_METHOD=PATCH (or PUT) sends the body with that method */
		if (getenv("HTTP_LOAD_METHOD"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, getenv("HTTP_LOAD_METHOD"));
	}
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_CAINFO, j->ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	for (i = 0; i < j->count; i++) {
		double t0 = now();

		if (j->tokens) {
			curl_slist_free_all(hdrs);
			snprintf(line, sizeof(line), "Authorization: Bearer %s",
				 j->tokens[(j->first + i) % j->n_tokens]);
			hdrs = curl_slist_append(NULL, line);
			if (j->body)
				hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		}

		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status < 200 || status > 299)
			j->failed++;
		j->lat[i] = now() - t0;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *url, *ca, *auth, *body;
	int total, threads, i, per, failed = 0;
	struct job *jobs;
	pthread_t *tid;
	double *all, t0, elapsed;
	char **tokens = NULL;
	int n_tokens = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: http_load URL CAFILE TOKEN REQUESTS THREADS [BODY]\n");
		return 2;
	}
	url = argv[1];
	ca = argv[2];
	auth = argv[3];
	total = atoi(argv[4]);
	threads = atoi(argv[5]);
	body = argc == 7 ? argv[6] : NULL;
	if (strncmp(url, "https://127.0.0.1:", 18) && strncmp(url, "https://localhost:", 18) &&
	    strncmp(url, "https://[::1]:", 14)) {
		fprintf(stderr, "http_load: loopback URLs only\n");
		return 2;
	}
	if (total < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "http_load: REQUESTS >= 1, THREADS 1..64\n");
		return 2;
	}
	if (auth[0] == '@') {
		FILE *f = fopen(auth + 1, "r");
		char tok[10000];

		while (f && fgets(tok, sizeof(tok), f)) {
			tok[strcspn(tok, "\r\n")] = '\0';
			if (!tok[0])
				continue;
			tokens = realloc(tokens, (size_t)(n_tokens + 1) * sizeof(*tokens));
			tokens[n_tokens++] = strdup(tok);
		}
		if (f)
			fclose(f);
		if (!n_tokens) {
			fprintf(stderr, "http_load: no tokens in %s\n", auth + 1);
			return 2;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	per = total / threads;
	jobs = calloc((size_t)threads, sizeof(*jobs));
	tid = calloc((size_t)threads, sizeof(*tid));
	all = calloc((size_t)(per * threads), sizeof(*all));
	t0 = now();
	for (i = 0; i < threads; i++) {
		jobs[i] = (struct job){ url, ca, auth, body, tokens, n_tokens, i * per, per,
					all + (size_t)i * per, 0 };
		pthread_create(&tid[i], NULL, run, &jobs[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		failed += jobs[i].failed;
	}
	elapsed = now() - t0;
	qsort(all, (size_t)(per * threads), sizeof(*all), cmp);
	printf("{\"requests\":%d,\"failed\":%d,\"seconds\":%.3f,\"rps\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n", per * threads, failed, elapsed,
	       per * threads / elapsed, all[(per * threads) / 2] * 1e3,
	       all[(int)((per * threads) * 0.99)] * 1e3);
	for (i = 0; i < n_tokens; i++)
		free(tokens[i]);
	free(tokens);
	free(all);
	free(tid);
	free(jobs);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
