/* SPDX-License-Identifier: MIT
 * harness.h: what integration tests share: a real nrfcloud-mock server (mosquitto + plugin) on
 * free ports in a temporary folder, a libmosquitto device client over mutual TLS that waits on
 * events with timeouts (never sleeps), and a libcurl HTTP client; and each suite's main(),
 * teardown and server start (SUITE_MAIN, struct suite_def, suite_start). The server binary and
 * the fixtures come from the NCM_BIN and NCM_FIXTURES environment variables (set by meson).
 */
#ifndef NCM_TEST_HARNESS_H
#define NCM_TEST_HARNESS_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <jansson.h>
#include <mosquitto.h>

#define FIXTURE_DEVICE "nrf-352656100000001"
#define WAIT_MS 10000

struct srv {
	pid_t pid;
	char dir[PATH_MAX];   /* temporary root, removed by srv_cleanup */
	char data[PATH_MAX];  /* <dir>/data, kept across restarts */
	char log[PATH_MAX];   /* the server's stderr */
	int mqtt_port, https_port, admin_port;
	char ca[PATH_MAX];
	char api_key[128];
	char tenant[64];
	char prefix[128];
};

/* Starts the server (making the folder on first start; a restart reuses the data folder) with
 * extra flags (NULL-terminated list, may be NULL). Fails the test unless "ready" arrives. */
void srv_start(struct srv *s, const char *const *extra);
/* Sends sig (SIGTERM for a clean stop, SIGKILL for a crash) and reaps the process. */
void srv_stop(struct srv *s, int sig);
/* Stops the server if running and removes its folder. */
void srv_cleanup(struct srv *s);
/* A certificate and key the server's lab CA issues for id, written to <dir>/<id>.crt and .key
 * (dir NULL: the server's folder); their paths in crt and key. */
void srv_lab_device(const struct srv *s, const char *dir, const char *id, char *crt, char *key,
		    size_t size);
/* Paths of the fixture device's certificate and key written by serve. */
void srv_device_files(const struct srv *s, const char *id, char *crt, char *key, size_t size);

/* HTTP over loopback. url_path is appended to http://127.0.0.1:<admin> or
 * https://localhost:<https>. Returns the status (0 when the request failed); *body (may be
 * NULL) gets the malloc'd response body. */
long http_admin(const struct srv *s, const char *method, const char *path, const char *body,
		char **resp);
long http_rest(const struct srv *s, const char *method, const char *path, const char *body,
	       char **resp);
/* A REST request with an optional "Authorization: <auth>" header (auth is the whole value,
 * e.g. "Bearer <token>"; NULL sends none), an optional Content-Type (NULL sends none, not even
 * curl's default) and a body of body_len bytes (NULL: no body). *resp and *resp_headers (each
 * may be NULL) get the malloc'd response body and the raw response header lines. Returns the
 * status, 0 when the request failed. */
long http_rest_auth(const struct srv *s, const char *method, const char *path,
		    const char *auth_header_value, const char *content_type, const char *body,
		    size_t body_len, char **resp, char **resp_headers);
/* The same with any request headers: headers is a NULL-terminated list of "Name: value" lines
 * (may be NULL; "Name:" removes a header curl would add). */
long http_rest_req(const struct srv *s, const char *method, const char *path,
		   const char *const *headers, const char *body, size_t body_len, char **resp,
		   char **resp_headers);
/* A REST request with the "Authorization: <auth>" value auth (may be NULL) and a JSON body (may
 * be NULL) that must answer want with a JSON body, returned (a new reference). */
json_t *rest_json(const struct srv *s, const char *method, const char *path, const char *auth,
		  const char *body, long want);
/* Same as http_admin but parses the JSON answer (fails the test when it is not JSON); status
 * may be NULL. */
json_t *admin_json(const struct srv *s, const char *method, const char *path, const char *body,
		   long *status);

/* A request that must answer nRF Cloud's error body {"code","message"} with status and code;
 * the message contains part (may be NULL). auth and ctype as http_rest_auth. */
void expect_nrf_error(const struct srv *s, const char *method, const char *path,
		      const char *auth, const char *ctype, const char *body, long status, int code,
		      const char *part);
/* The same with a body of body_len bytes (binary uploads). */
void expect_nrf_error_n(const struct srv *s, const char *method, const char *path,
			const char *auth, const char *ctype, const char *body, size_t body_len,
			long status, int code, const char *part);

/* "Bearer <ES256 JWT of claims (stolen)>" signed with the PEM private key, malloc'd. */
char *bearer_jwt(const char *key_pem, json_t *claims);
/* "Bearer <device JWT>" of the fixture device ({"sub","iat","exp" in 10 minutes}), malloc'd. */
char *fixture_device_jwt(const struct srv *s);

/* The number of journal records of kind (and device, when not NULL) whose reason contains
 * reason_part (when not NULL). */
int journal_count(const struct srv *s, const char *kind, const char *device,
		  const char *reason_part);
/* Waits until journal_count(...) >= n; returns the last count. */
int journal_wait(const struct srv *s, const char *kind, const char *device,
		 const char *reason_part, int n);

/* The journal records of kind (and device, when not NULL), oldest first, as the "items" array
 * of GET /mock/v1/journal (a new reference). */
json_t *journal_items(const struct srv *s, const char *kind, const char *device);
/* A request that must answer nRF Cloud's error body {"code","message"} with status and code;
 * the message contains part (may be NULL). auth and ctype as http_rest_auth. */
void expect_nrf_error(const struct srv *s, const char *method, const char *path,
		      const char *auth, const char *ctype, const char *body, long status, int code,
		      const char *part);

/* "Bearer <ES256 JWT of claims (stolen)>" signed with the PEM private key, malloc'd. */
char *bearer_jwt(const char *key_pem, json_t *claims);
/* "Bearer <device JWT>" of the fixture device ({"sub","iat","exp" in 10 minutes}), malloc'd. */
char *fixture_device_jwt(const struct srv *s);

/* The number of journal records of kind (and device, when not NULL) whose topic is topic. */
int journal_count_topic(const struct srv *s, const char *kind, const char *device,
			const char *topic);

struct msg {
	char *topic;
	char *payload;
	int len;
	struct msg *next;
};

struct dev {
	struct mosquitto *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int connack;        /* -1 until CONNACK, then its return code */
	int disconnected;   /* set when the connection ends */
	int subacks;        /* SUBACKs received */
	int last_granted;   /* first granted QoS of the last SUBACK */
	int pubacks;        /* PUBACKs received */
	struct msg *msgs, *msgs_tail;
	int n_msgs;
};

/* Connects as client_id with the certificate and key files, trusting cafile. Returns the CONNACK
 * code (0 = accepted), or -1 when there was no CONNACK (TLS refused, connection closed). */
int dev_connect(struct dev *d, const struct srv *s, const char *client_id, const char *crt,
		const char *key, const char *cafile);
int dev_subscribe(struct dev *d, const char *topic, int qos);     /* waits for SUBACK; granted */
int dev_publish(struct dev *d, const char *topic, const char *payload, int qos); /* waits PUBACK */
struct msg *dev_wait_message(struct dev *d, int n);               /* waits for the n-th message */
int dev_wait_disconnect(struct dev *d);                           /* 1 when it happened */
void dev_close(struct dev *d);
int dev_connected(struct dev *d); /* 1 after CONNACK 0 while no disconnect has happened */
int dev_messages(struct dev *d);  /* the number of messages received so far */

/* One test case of a suite: its name and its test. */
struct suite_test {
	const char *name;
	const TTest *t;
};

/* Runs each test in a case of its own with setup and teardown (either may be NULL) and a
 * timeout; the process exit status (EXIT_SUCCESS when none failed). */
int run_suite(const char *suite, const struct suite_test *tests, size_t n, void (*setup)(void),
	      void (*teardown)(void), int timeout_s);

/* A suite: its name, the timeout of each case in seconds, the servers its cases may start (up to
 * four, unused slots NULL; after every case each is stopped and its folder removed, whether it
 * started or not), and extra setup and teardown to run around each case (either may be NULL;
 * teardown runs after the servers are gone). See docs/development.md#writing-an-integration-suite. */
struct suite_def {
	const char *name;
	int timeout_s;
	struct srv *servers[4];
	void (*setup)(void);
	void (*teardown)(void);
};

/* Runs the cases of def, each in a Check test case of its own with def's setup and teardown,
 * with libcurl initialised around the run; the process exit status. */
int suite_main(const struct suite_def *def, const struct suite_test *tests, size_t n);

/* main() of a suite: SUITE_MAIN(def, { "name", test }, ...) with def a struct suite_def. */
#define SUITE_MAIN(def, ...)                                                                   \
	int main(void)                                                                         \
	{                                                                                      \
		const struct suite_test suite_tests_[] = { __VA_ARGS__ };                      \
		return suite_main(&(def), suite_tests_,                                        \
				  sizeof(suite_tests_) / sizeof(suite_tests_[0]));             \
	}

/* Starts s with extra flags (as srv_start) and, when api is not NULL, writes the
 * "Bearer <API key>" value of its team into api (api_size bytes). */
void suite_start(struct srv *s, const char *const *extra, char *api, size_t api_size);

/* A growing byte buffer (zero-initialise it; free p when done). */
struct growbuf {
	unsigned char *p;
	size_t n, cap;
};

/* Appends len bytes of data to b; fails the test when out of memory. */
void growbuf_add(struct growbuf *b, const void *data, size_t len);

/* A ZIP writer for firmware bundles (zero-initialise it, then zip_add each entry and
 * zip_finish). streamed: as streaming writers do, flag bit 3 with the CRC and sizes in a data
 * descriptor after each entry; fast: deflate at zlib's fastest level (big images) instead of
 * its best. */
struct zipw {
	struct growbuf out, cd;
	unsigned entries;
	int streamed;
	int fast;
};

/* Adds one entry named name, stored (method 0) or raw-deflated with zlib (method 8). */
void zip_add(struct zipw *z, const char *name, const void *data, size_t len, int deflated);
/* The archive (malloc'd, *len bytes): entries, central directory, end of central directory;
 * z's central directory is freed. */
unsigned char *zip_finish(struct zipw *z, size_t *len);

/* Runs nrfcloud-mock (NCM_BIN) with args (NULL-terminated) and --data data to completion, its
 * stdout and stderr going through files in dir; out and err (out_size and err_size bytes) get
 * them, NUL-terminated and cut to size. Returns the exit status, -1 when a signal ended it. */
int cli_run(const char *dir, const char *data, const char *const *args, char *out,
	    size_t out_size, char *err, size_t err_size);

#endif
