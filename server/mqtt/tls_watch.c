/* SPDX-License-Identifier: MIT
 * tls_watch.c: TLS-level refusals on the MQTT port in the journal (docs/compatibility.md
 * #tls-refusals). A client refused in the TLS handshake (certificate from an unknown CA,
 * expired or not yet valid, no certificate at all) never reaches a plugin event in Mosquitto
 * 2.0.11: the broker only logs it ("Client connection from A failed: ...", or "New connection
 * from A:P on port N." and later "OpenSSL Error[0]: ...certificate verify failed"). So the generated
 * mosquitto.conf logs to <run>/broker.log, and the tick reads the new lines of that file.
 * OpenSSL's error does not say why verification failed; the "sslclient" purpose check, which
 * OpenSSL runs on the client certificate after building its chain and before checking dates,
 * logs a line of its own when the certificate is outside its validity period, so the reason
 * arrives in the same log, in order. A chain that cannot be built (unknown CA) never reaches
 * the purpose check. The broker handles connections one after the other on one thread, so the
 * peer of an "OpenSSL Error" line is the one the last "New connection" line named. Broker
 * thread only.
 *
 * The same log carries the one ACL refusal no plugin sees: Mosquitto 2.0.11 refuses a client's
 * publish to "$SYS/..." (bar bridge state topics) or "$share/..." in its own check before any
 * plugin ACL callback (src/security.c, acl__check_dollar, called from handle__publish), sends
 * the PUBACK (MQTT 3.1.1 cannot refuse) and drops the message, logging only a debug line. With
 * --mqtt-watch-denied (docs/limits.md#sys-publish) the broker logs debug lines too, and such a
 * line disconnects the device and is journaled like the plugin's own ACL refusals (on_acl.c).
 *
 * That file is the broker's only log destination (docs/cli.md#serve): Mosquitto 2.0.11 applies
 * its log types to every destination and writes each line with its own write(2), so logging to
 * stderr too doubled the broker's writes on every connect. This watcher is what a user sees on
 * stderr instead: it copies each line there, once per tick and at exit (so a broker that stops
 * before its first loop still says why), except the lines every connection writes (the journal
 * has each connect and disconnect) and per-packet debug lines. Under serve it knows the file
 * from NCM_BROKER_LOG_RELAY from the moment the plugin is loaded; a broker started without it
 * (a hand-written mosquitto.conf) gets the refusals journaled but nothing relayed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "acl.h"
#include "clients.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"

/* The log is cut back to empty once it grows past this, after every line was read. */
#define LOG_KEEP_MAX (4L * 1024 * 1024)
#define LINE_MAX_LEN 2048

static const char note_prefix[] = "tls: client certificate ";

static int log_fd = -1;
static int relaying; /* under serve: lines a user needs go to stderr (see above) */
static int acting;   /* journal and kick (the tick), or only relay (at exit) */
static char carry[LINE_MAX_LEN];
static size_t carry_len;
static char peer[128];
static char note[512];
static int refused; /* this connection was journaled already */

static int (*sslclient_check)(const X509_PURPOSE *, const X509 *, int);

/* The "sslclient" purpose check with a look at the leaf's dates first (see above). */
static int check_client_purpose(const X509_PURPOSE *p, const X509 *x, int ca)
{
	if (!ca) {
		const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
		char cn[256] = "?";
		const char *what = NULL;

		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		if (X509_cmp_current_time(na) < 0)
			what = "expired";
		else if (X509_cmp_current_time(nb) > 0)
			what = "not yet valid";
		if (what)
			ncm_log(NCM_LOG_NOTICE, "%s'%s' %s", note_prefix, cn, what);
	}
	return sslclient_check ? sslclient_check(p, x, ca) : 1;
}

static void drain(void);

/* At exit, even one before the first tick (a plugin or listener that cannot start), the lines
 * not yet copied to stderr, so that the broker still says why it stopped. */
static void relay_at_exit(void)
{
	if (log_fd < 0)
		return;
	acting = 0;
	drain();
	close(log_fd);
	log_fd = -1;
}

/* The broker logs to its file alone (server/cli/cmd_serve.c, broker_log_setup), which serve
 * empties and names in NCM_BROKER_LOG_RELAY. The plugin is loaded after the broker opened its
 * log, so the file is read from the start of this run's lines. */
__attribute__((constructor)) static void relay_start(void)
{
	const char *path = getenv("NCM_BROKER_LOG_RELAY");

	if (!path || !*path)
		return;
	log_fd = open(path, O_RDWR | O_CLOEXEC);
	if (log_fd < 0)
		log_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (log_fd < 0) {
		fprintf(stderr, "nrfcloud-mock: cannot read %s: the broker's log lines are only "
				"there\n", path);
		return;
	}
	relaying = 1;
	atexit(relay_at_exit);
}

int ncm_mqtt_tls_watch_open(void)
{
	char run[PATH_MAX], path[PATH_MAX + 16];
	X509_PURPOSE *p;
	int idx;

	idx = X509_PURPOSE_get_by_id(X509_PURPOSE_SSL_CLIENT);
	p = idx >= 0 ? X509_PURPOSE_get0(idx) : NULL;
	if (p && p->check_purpose != check_client_purpose) {
		sslclient_check = p->check_purpose;
		if (!X509_PURPOSE_add(X509_PURPOSE_SSL_CLIENT, p->trust, p->flags,
				      check_client_purpose, p->name, p->sname, p->usr_data))
			ncm_log(NCM_LOG_WARNING, "tls: cannot watch client certificate dates");
	}
	carry_len = 0;
	peer[0] = note[0] = '\0';
	refused = 0;
	if (relaying && log_fd >= 0)
		return 0;
	if (ncm_config_run_dir(&ncm_rt()->cfg, run, sizeof(run)))
		return -1;
	snprintf(path, sizeof(path), "%s/broker.log", run);
	log_fd = open(path, O_RDWR | O_CLOEXEC);
	if (log_fd < 0)
		log_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (log_fd < 0) {
		ncm_log(NCM_LOG_WARNING, "tls: cannot read %s; TLS refusals are not journaled",
			path);
		return -1;
	}
	/* only what this broker logs from now on */
	lseek(log_fd, 0, SEEK_END);
	return 0;
}

/* Journals one refusal of the connection from addr: why comes from OpenSSL's error text
 * err and the purpose check's note, which is used up. */
static void journal_refusal(const char *addr, const char *err)
{
	struct ncm_journal_rec rec = { 0 };
	char text[1024];
	const char *why = err;

	if (strstr(err, "certificate verify failed"))
		why = note[0] ? note
			      : "unknown CA: the client certificate is not issued by a CA the MQTT "
				"listener trusts";
	else if (strstr(err, "peer did not return a certificate"))
		why = "no client certificate";
	snprintf(text, sizeof(text), "TLS handshake refused: %s; peer %s", why,
		 addr[0] ? addr : "unknown");
	rec.kind = "mqtt.refused";
	rec.reason = text;
	ncm_rt_journal(&rec);
	note[0] = '\0';
}

/* A "Denied PUBLISH from <client id> (d<dup>, q<qos>, r<retain>, m<mid>, '<topic>', ...
 * (<n> bytes))" line (src/handle_publish.c in 2.0.11), p just past "from ". Only topics the
 * broker's own check refuses are handled here: any other denial came from this plugin, which
 * journaled it already. The reason is what the plugin's check says of the topic, so the record
 * reads like on_acl.c's; the payload is not in the log line. */
static void denied_publish(const char *p)
{
	struct ncm_journal_rec rec = { 0 };
	struct ncm_err_info err = { 0 };
	char id[NCM_DEVID_MAX + 1], topic[1024], reason[700], kick[700];
	const char *end, *t, *tend;
	int qos = 0;

	end = strstr(p, " (d");
	t = end ? strstr(end, ", '") : NULL;
	tend = t ? strstr(t, "', ... (") : NULL;
	if (!end || !tend || end - p > (long)NCM_DEVID_MAX)
		return;
	t += 3;
	/* the last "', ... (" ends the topic (a topic may hold the same characters) */
	for (const char *q; (q = strstr(tend + 1, "', ... ("));)
		tend = q;
	snprintf(id, sizeof(id), "%.*s", (int)(end - p), p);
	snprintf(topic, sizeof(topic), "%.*s", (int)(tend - t), t);
	if (strncmp(topic, "$SYS", 4) && strncmp(topic, "$share", 6))
		return;
	if (sscanf(end, " (d%*d, q%d,", &qos) != 1)
		qos = 0;
	if (ncm_acl_check(id, ncm_rt()->prefix, NCM_ACL_PUBLISH, topic, &err) == NCM_OK)
		snprintf(err.msg, sizeof(err.msg), "publish to '%.200s' denied for device %s",
			 topic, id);
	snprintf(reason, sizeof(reason), "%s (refused by the broker, QoS %d%s)", err.msg, qos,
		 qos ? ", acknowledged and dropped" : ", dropped");
	ncm_log(NCM_LOG_NOTICE, "acl: %s; disconnecting", reason);
	rec.kind = "mqtt.acl_denied";
	rec.device = id;
	rec.topic = topic;
	rec.reason = reason;
	ncm_rt_journal(&rec);
	snprintf(kick, sizeof(kick), "policy violation: %s", err.msg);
	ncm_mqtt_kick(id, kick);
}

/* Whether string s ends with tail. */
static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

/* Whether message p is a line written for every connection that goes well: the broker's
 * (Mosquitto 2.0.11, NOTICE: src/net.c "New connection from", src/handle_connect.c "New client
 * connected from", src/loop.c do_disconnect "Client <id> disconnected." / "... closed its
 * connection.") or this plugin's debug lines (on_auth.c, on_disconnect.c), in the file when
 * --mqtt-watch-denied turns debug on. The journal has each connect and disconnect; on stderr
 * they would only be noise. */
static int connection_chatter(const char *p)
{
	if (!strncmp(p, "New connection from ", 20) || !strncmp(p, "New client connected from ", 26))
		return 1;
	if (!strncmp(p, "Client ", 7))
		return ends_with(p, " disconnected.") || ends_with(p, " closed its connection.");
	if (!strncmp(p, "nrfcloud-mock: auth: device ", 28))
		return strstr(p, " connected from ") ||
		       ends_with(p, " disconnected: closed by the client or the network");
	return 0;
}

/* Copies line l, whose message starts at p, to stderr unless it is per-connection chatter or
 * one of the broker's other debug lines (Mosquitto 2.0.11, src/ and lib/: log__printf with
 * MOSQ_LOG_DEBUG) or this plugin's (on_acl.c, a delivery refused). */
static void relay(const char *l, const char *p)
{
	static const char *const debug[] = { "Dropped too large PUBLISH", "OCSP: ",
					     "No will message specified", "Bridge ",
					     "nrfcloud-mock: acl: delivery of " };
	char out[LINE_MAX_LEN + 1];
	size_t i, n;

	if (connection_chatter(p))
		return;
	for (i = 0; i < sizeof(debug) / sizeof(debug[0]); i++)
		if (!strncmp(p, debug[i], strlen(debug[i])))
			return;
	n = strlen(l);
	memcpy(out, l, n);
	out[n++] = '\n';
	if (write(STDERR_FILENO, out, n) < 0)
		return; /* nowhere to say so */
}

/* One line of the broker's log (its time stamp prefix is skipped by the searches). Two shapes
 * of a refusal: a handshake that completes in the broker's accept logs "Client connection from
 * <ip> failed: <error>." and nothing else; one that needs more reads logs "New connection from
 * <ip:port> on port N." first and "OpenSSL Error[i]: <error>" lines later. */
static void line(const char *l)
{
	const char *p;
	char addr[128];

	/* with debug lines on, most lines are about packets: skip the time stamp and look at the
	 * first word, so they cost one comparison */
	p = strstr(l, ": ");
	p = p ? p + 2 : l;
	if (!strncmp(p, "Received ", 9) || !strncmp(p, "Sending ", 8))
		return;
	if (!strncmp(p, "Denied PUBLISH from ", 20)) {
		if (acting)
			denied_publish(p + 20);
		return;
	}
	if (relaying)
		relay(l, p);
	if (!acting)
		return;
	if ((p = strstr(l, "New connection from "))) {
		const char *end;

		p += strlen("New connection from ");
		end = strstr(p, " on port");
		snprintf(peer, sizeof(peer), "%.*s", end ? (int)(end - p) : (int)strcspn(p, " "),
			 p);
		note[0] = '\0';
		refused = 0;
		return;
	}
	if ((p = strstr(l, note_prefix))) {
		snprintf(note, sizeof(note), "client certificate %s", p + strlen(note_prefix));
		return;
	}
	if ((p = strstr(l, "Client connection from ")) && strstr(p, " failed: ")) {
		p += strlen("Client connection from ");
		snprintf(addr, sizeof(addr), "%.*s", (int)(strstr(p, " failed: ") - p), p);
		journal_refusal(addr, strstr(p, " failed: ") + strlen(" failed: "));
		return;
	}
	if (refused || !(p = strstr(l, "OpenSSL Error[")))
		return;
	journal_refusal(peer, strstr(p, "::") ? strstr(p, "::") + 2 : p);
	refused = 1;
}

void ncm_mqtt_tls_watch_tick(void)
{
	acting = 1;
	drain();
}

/* Reads what the broker logged since the last call, line by line (see line()). */
static void drain(void)
{
	char buf[8192];
	ssize_t n;
	struct stat st;

	if (log_fd < 0)
		return;
	while ((n = read(log_fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				carry[carry_len] = '\0';
				line(carry);
				carry_len = 0;
			} else if (carry_len + 1 < sizeof(carry)) {
				carry[carry_len++] = buf[i];
			}
		}
	}
	/* the broker appends (O_APPEND), so cutting the file back lets it start over at 0 */
	if (fstat(log_fd, &st) == 0 && st.st_size > LOG_KEEP_MAX && ftruncate(log_fd, 0) == 0)
		lseek(log_fd, 0, SEEK_SET);
}

void ncm_mqtt_tls_watch_close(void)
{
	if (log_fd >= 0) {
		ncm_mqtt_tls_watch_tick();
		if (relaying)
			return; /* relay_at_exit copies the broker's last lines */
		close(log_fd);
	}
	log_fd = -1;
}
