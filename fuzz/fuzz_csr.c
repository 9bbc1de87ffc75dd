/* SPDX-License-Identifier: MIT
 * fuzz_csr.c: fuzz target for certificate signing requests (core/pki.h), which onboarding takes
 * from REST clients and the modem's AT%KEYGEN answer in PEM, DER or base64url form. The input is
 * the CSR; a parse that succeeds is checked (signature, key type, CN), and a CSR that passes
 * must name a valid device ID. Uses core and OpenSSL only.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "devid.h"
#include "err.h"
#include "fuzz.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncm_err_info err;
	char id[NCM_DEVID_MAX + 1];
	X509_REQ *req = NULL;
	/* An exact-size copy, so a read past len is caught by ASan or valgrind. */
	unsigned char *buf = malloc(size ? size : 1);
	int rc;

	FUZZ_CHECK(buf != NULL);
	if (size)
		memcpy(buf, data, size);
	memset(&err, 0, sizeof(err));
	rc = ncm_pki_csr_parse(buf, size, &req, &err);
	if (rc != NCM_OK) {
		FUZZ_CHECK(req == NULL);
		FUZZ_CHECK(err.code == rc && err.msg[0]);
		goto out;
	}
	FUZZ_CHECK(req != NULL);
	memset(&err, 0, sizeof(err));
	rc = ncm_pki_csr_check(req, id, sizeof(id), &err);
	if (rc == NCM_OK)
		FUZZ_CHECK(ncm_devid_check(id, NULL) == NCM_OK);
	else
		FUZZ_CHECK(err.code == rc && err.msg[0]);
out:
	/* Leave no OpenSSL errors queued for the next input. */
	ERR_clear_error();
	X509_REQ_free(req);
	free(buf);
	return 0;
}
