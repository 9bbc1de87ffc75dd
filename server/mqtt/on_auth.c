/* SPDX-License-Identifier: MIT
 * on_auth.c: device identity at CONNECT (docs/architecture.md#process-model, docs/architecture.md#identity-and-the-lab-ca). TLS has already checked that the
 * client certificate chains to a trusted CA (the listener's capath); here we require that its CN
 * equals the client ID, that it is the certificate registered for that device, and that the
 * device is onboarded (or can be, by auto-onboarding a lab-CA certificate on first connect, the
 * way nRF Cloud's JITP does). Username and password are ignored: devices send none, and AWS IoT
 * SDKs put a metrics string in the username (docs/architecture.md#process-model).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <openssl/x509.h>

#include "clients.h"
#include "connstate.h"
#include "devices.h"
#include "devid.h"
#include "faults.h"
#include "log.h"
#include "mqtt_internal.h"
#include "pki.h"
#include "runtime.h"
#include "jsontext.h"
#include "wake.h"

struct auth_ctx {
	const char *client_id;
	char cn[NCM_DEVID_MAX + 2];
	char reason[512];
};

static int refuse(struct auth_ctx *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct auth_ctx *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return MOSQ_ERR_AUTH;
}

/* Onboards a device that presents a lab-CA certificate and is not known yet. */
static int auto_onboard(struct auth_ctx *a, X509 *cert, const char *fp)
{
	const struct ncm_runtime *rt = ncm_rt();
	struct ncm_device d = { 0 };
	struct ncm_err_info err;
	char revoked[NCM_DEVID_MAX + 1];
	int rc;

	rc = ncm_store_cert_revoked(ncm_rt_db(), fp, revoked);
	if (rc == 1)
		return refuse(a, "certificate belongs to device '%s', which was deleted; add the "
			      "device again to let it connect", revoked);
	if (!rt->cfg.auto_onboard)
		return refuse(a, "device '%s' is not onboarded (auto-onboarding is off)",
			      a->client_id);
	if (!ncm_pki_cert_issued_by(cert, rt->ca.cert))
		return refuse(a, "device '%s' is not onboarded, and its certificate is not from "
			      "the lab CA, so it cannot be onboarded on connect", a->client_id);
	snprintf(d.id, sizeof(d.id), "%s", a->client_id);
	snprintf(d.fingerprint, sizeof(d.fingerprint), "%s", fp);
	snprintf(d.onboarded_by, sizeof(d.onboarded_by), "auto");
	d.created_ms = ncm_rt_now_ms();
	if (ncm_pki_cert_to_pem(cert, &d.cert_pem))
		return refuse(a, "out of memory");
	rc = ncm_store_device_insert(ncm_rt_db(), &d, &err);
	free(d.cert_pem);
	if (rc)
		return refuse(a, "cannot onboard device '%s': %s", a->client_id, err.msg);
	ncm_log(NCM_LOG_NOTICE, "auth: auto-onboarded device %s (certificate %.16s...)",
		a->client_id, fp);
	return MOSQ_ERR_SUCCESS;
}

/* The whole decision; fills a->reason when it refuses. */
static int decide(struct auth_ctx *a, struct mosquitto *client)
{
	struct ncm_err_info err;
	struct ncm_device dev;
	char fp[NCM_PKI_FP_LEN + 1];
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	int rc;

	if (!a->client_id || !*a->client_id)
		return refuse(a, "empty client ID; the client ID must be the device ID");
	if (ncm_devid_check(a->client_id, &err))
		return refuse(a, "client ID is not a valid device ID: %s", err.msg);
	cert = mosquitto_client_certificate(client);
	if (!cert)
		return refuse(a, "no client certificate");
	rc = ncm_pki_cert_cn(cert, a->cn, sizeof(a->cn));
	if (rc) {
		rc = refuse(a, "client certificate has no usable CN");
		goto out;
	}
	if (strcmp(a->cn, a->client_id)) {
		rc = refuse(a, "client ID '%s' does not match certificate CN '%s'", a->client_id,
			    a->cn);
		goto out;
	}
	ncm_pki_cert_fingerprint(cert, fp);
	rc = ncm_store_device_get(ncm_rt_db(), a->client_id, &dev, &err);
	if (rc == NCM_ERR_NOT_FOUND) {
		rc = auto_onboard(a, cert, fp);
		goto out;
	}
	if (rc) {
		rc = refuse(a, "store failure: %s", err.msg);
		goto out;
	}
	if (dev.fingerprint[0]) {
		rc = strcmp(dev.fingerprint, fp)
			     ? refuse(a, "certificate %.16s... is not the one registered for "
				      "device '%s' (%.16s...)", fp, dev.id, dev.fingerprint)
			     : MOSQ_ERR_SUCCESS;
	} else if (dev.pubkey_pem &&
		   !ncm_pki_pubkey_from_pem(dev.pubkey_pem, strlen(dev.pubkey_pem), &pub, NULL)) {
		rc = ncm_pki_cert_has_key(cert, pub)
			     ? MOSQ_ERR_SUCCESS
			     : refuse(a, "certificate key is not the public key registered for "
				      "device '%s'", dev.id);
	} else {
		rc = refuse(a, "device '%s' has no certificate or public key registered",
			    dev.id);
	}
	ncm_device_release(&dev);
out:
	EVP_PKEY_free(pub);
	X509_free(cert);
	return rc;
}

/* The journal payload of a connect or refusal: who asked, from where, with which certificate. */
static char *who_json(const struct auth_ctx *a, struct mosquitto *client)
{
	json_t *o = json_pack("{s:s?,s:s?,s:s?,s:i,s:b}", "clientId", a->client_id, "cn",
			      a->cn[0] ? a->cn : NULL, "address", mosquitto_client_address(client),
			      "keepalive", mosquitto_client_keepalive(client), "cleanSession",
			      mosquitto_client_clean_session(client));
	char *text = o ? ncm_json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

int ncm_mqtt_on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct auth_ctx a = { 0 };
	struct ncm_fault_hit hit;
	struct ncm_journal_rec rec = { 0 };
	char *who;
	int rc;

	(void)event;
	(void)userdata;
	/* the plugin's own wake-up connection (wake.c): not a device, not journaled */
	if (ncm_mqtt_wake_check(ed->username, ed->password) > 0)
		return MOSQ_ERR_SUCCESS;
	a.client_id = mosquitto_client_id(ed->client);
	ncm_mqtt_preconnect_seen(ed->client);
	rc = decide(&a, ed->client);
	if (rc == MOSQ_ERR_SUCCESS &&
	    ncm_faults_fire(NCM_FAULT_REFUSE_CONNECT, a.client_id, NULL, NULL, &hit)) {
		rc = refuse(&a, "fault %d injected: refuse_connect%s", hit.id,
			    hit.code ? "" : " without a CONNACK");
		/* any error but MOSQ_ERR_AUTH closes without a CONNACK (src/handle_connect.c) */
		if (!hit.code)
			rc = MOSQ_ERR_UNKNOWN;
	}
	who = who_json(&a, ed->client);
	rec.device = a.client_id;
	rec.payload = who;
	rec.payload_len = who ? strlen(who) : 0;
	if (rc != MOSQ_ERR_SUCCESS) {
		ncm_log(NCM_LOG_NOTICE, "auth: refused '%s' from %s (CN '%s'): %s",
			a.client_id ? a.client_id : "", mosquitto_client_address(ed->client),
			a.cn, a.reason);
		rec.kind = "mqtt.refused";
		rec.status = rc == MOSQ_ERR_AUTH ? 5 : 0; /* CONNACK "not authorised", or none */
		rec.reason = a.reason;
		ncm_rt_journal(&rec);
		goto out;
	}
	if (!ncm_clients_add(ed->client, a.client_id)) {
		ncm_log(NCM_LOG_ERR, "auth: out of memory registering '%s'", a.client_id);
		rc = MOSQ_ERR_NOMEM;
		goto out;
	}
	/* the connect time and the shadow's connection state, written behind (connstate.h):
	 * every shadow reader writes them first, so none sees the device offline */
	ncm_connstate_post(a.client_id, 1, mosquitto_client_keepalive(ed->client), NULL, 0,
			   ncm_rt_now_ms());
	/* debug: the broker logs "New client connected from ... as <id> (p2, c1, k60)" itself,
	 * and the journal has the connect; a log line costs two writes per connect */
	ncm_log(NCM_LOG_DEBUG, "auth: device %s connected from %s (keepalive %d, clean session %d)",
		a.client_id, mosquitto_client_address(ed->client),
		mosquitto_client_keepalive(ed->client),
		mosquitto_client_clean_session(ed->client) ? 1 : 0);
	rec.kind = "mqtt.connect";
	ncm_rt_journal(&rec);
out:
	free(who);
	return rc;
}
