/* SPDX-License-Identifier: MIT
 * make_jwt.c: prints a device JWT for the benchmarks: {"sub":ID,"iat":now,"exp":now+3600}
 * signed ES256 with the device's private key file.
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

	if (argc != 3) {
		fprintf(stderr, "usage: make_jwt DEVICE_ID KEY_FILE\n");
		return 2;
	}
	if (ncm_file_read(argv[2], 65536, &pem, &len, &err) ||
	    ncm_pki_key_from_pem(pem, len, &key, &err)) {
		fprintf(stderr, "make_jwt: %s\n", err.msg);
		return 1;
	}
	claims = json_pack("{s:s,s:I,s:I}", "sub", argv[1], "iat", (json_int_t)now, "exp",
			   (json_int_t)(now + 3600));
	if (ncm_jwt_sign_es256(claims, key, &jwt, &err)) {
		fprintf(stderr, "make_jwt: %s\n", err.msg);
		return 1;
	}
	puts(jwt);
	free(jwt);
	free(pem);
	json_decref(claims);
	EVP_PKEY_free(key);
	return 0;
}
