/* SPDX-License-Identifier: MIT
 * tls.c: lets the MQTT listener trust a device certificate itself. Onboarding may register a
 * device whose certificate comes from a CA nobody uploads (nRF Cloud never asks for the CA,
 * docs/protocol-rest.md#onboarding "Own-CA registration"); we then put that certificate into the listener's
 * trust folder. OpenSSL accepts a trusted certificate that is not self-signed as a chain's end
 * only with X509_V_FLAG_PARTIAL_CHAIN, and Mosquitto 2.0 has no option for it. The broker's TLS
 * verification of clients looks up the named parameter set "ssl_client" and ORs its flags in
 * (X509_STORE_CTX_set_default → X509_VERIFY_PARAM_inherit), so replacing that table entry with
 * a copy that has the flag makes every client verification in this process accept a trusted
 * leaf. Only files onboarding writes into the trust folder are trusted, and the auth event still
 * requires the presented certificate to be the device's registered one.
 */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "mqtt_internal.h"

int ncm_mqtt_trust_partial_chains(void)
{
	const X509_VERIFY_PARAM *current = X509_VERIFY_PARAM_lookup("ssl_client");
	X509_VERIFY_PARAM *param = X509_VERIFY_PARAM_new();

	if (!param)
		return -1;
	if (current)
		X509_VERIFY_PARAM_set1(param, current);
	X509_VERIFY_PARAM_set1_name(param, "ssl_client");
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_CLIENT);
	X509_VERIFY_PARAM_set_trust(param, X509_TRUST_SSL_CLIENT);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	if (!X509_VERIFY_PARAM_add0_table(param)) {
		X509_VERIFY_PARAM_free(param);
		ncm_log(NCM_LOG_ERR, "tls: cannot install the ssl_client verification parameters");
		return -1;
	}
	return 0;
}
