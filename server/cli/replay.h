/* SPDX-License-Identifier: MIT
 * replay.h: what `nrfcloud-mock replay` splits off into files of its own: the REST calls a
 * device made (replay_http.c) and turning nRF Cloud's GET /v1/messages output into a recording
 * (replay_import.c).
 */
#ifndef NCM_REPLAY_H
#define NCM_REPLAY_H

#include <stdio.h>

#include <jansson.h>
#include <openssl/evp.h>

/* One device's REST connection: kept alive across its calls, as the device library does. */
struct ncm_replay_http {
	void *curl;               /* CURL *, made on the first call */
	char base[300];           /* "https://<server>:<port>" */
	const char *cafile;
	char key_path[4096];      /* the device's private key (PEM), which signs its JWTs */
	EVP_PKEY *key;            /* that key already parsed (not owned), or NULL: read key_path */
	char device_id[136];
};

/* Makes the call method path_query with the JSON or text body (NULL: none) and "Authorization:
 * Bearer <device JWT>" ({"sub","iat","exp"} signed ES256 with the device's key, as nRF Connect
 * SDK firmware signs them: docs/protocol-rest.md#device-jwts). *status gets the HTTP status (0: no answer) and
 * *answer (may be NULL) the malloc'd body. 0, or -1 with err (a message buffer of err_size)
 * when the call could not be made. */
int ncm_replay_http_call(struct ncm_replay_http *h, const char *method, const char *path_query,
			 const char *body, long *status, char **answer, char *err,
			 size_t err_size);
void ncm_replay_http_close(struct ncm_replay_http *h);

/* "METHOD /path?query" of a journal record of kind http.request ("topic" and payload
 * "query"), URL-encoded, into buf. -1 when it does not fit or the record has no method. */
int ncm_replay_http_target(const json_t *rec, const json_t *details, char *method,
			   size_t method_size, char *buf, size_t size);

/* Writes a recording (journal records as JSON Lines, device publishes on d2c) of the messages
 * in text, nRF Cloud's GET /v1/messages answer {"items":[{"topic","deviceId","receivedAt",
 * "message"}]} (or an array of such pages, or of items), oldest first. Topics keep their
 * m/d/<id>/... part and get prefix (NULL: the topic is kept as it is). Returns the number of
 * messages written, or -1 with err filled. */
long ncm_replay_import_messages(const char *text, size_t len, const char *prefix, FILE *out,
				char *err, size_t err_size);

#endif
