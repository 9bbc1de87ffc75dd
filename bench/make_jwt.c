/* SPDX-License-Identifier: MIT
 * make_jwt.c: prints a device JWT for the benchmarks: {"sub":ID,"iat":now,"exp":now+3600}
 * signed ES256 with the device's private key file; with COUNT, COUNT different tokens (each
 * with its own "jti"), one a line, for a load where no token is sent twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file.h"
#include "jwt.h"
#include "pki.h"

int main(int argc, char **argv)
{
	struct ncm_err_info err = { 0 };
	EVP_PKEY *key = NULL;
	json_t *claims;
	char *pem = NULL, *jwt = NULL;
	size_t len;
	time_t now = time(NULL);
	int count = argc == 4 ? atoi(argv[3]) : 1, i, rc = 0;

	if ((argc != 3 && argc != 4) || count < 1) {
		fprintf(stderr, "usage: make_jwt DEVICE_ID KEY_FILE [COUNT]\n");
		return 2;
	}
	if (ncm_file_read(argv[2], 65536, &pem, &len, &err) ||
	    ncm_pki_key_from_pem(pem, len, &key, &err)) {
		fprintf(stderr, "make_jwt: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < count && !rc; i++) {
		claims = json_pack("{s:s,s:I,s:I}", "sub", argv[1], "iat", (json_int_t)now, "exp",
				   (json_int_t)(now + 3600));
		if (argc == 4)
			json_object_set_new(claims, "jti", json_integer(i));
		if (ncm_jwt_sign_es256(claims, key, &jwt, &err)) {
			fprintf(stderr, "make_jwt: %s\n", err.msg);
			rc = 1;
		} else {
			puts(jwt);
		}
		free(jwt);
		jwt = NULL;
		json_decref(claims);
	}
	free(pem);
	EVP_PKEY_free(key);
	return rc;
}
