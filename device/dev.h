/* SPDX-License-Identifier: MIT
 * dev.h: the device engine's pure core: one simulated nRF91 device running the nRF Connect SDK
 * nrf_cloud library (plus a small application on top), as a state machine. Every input (CONNACK,
 * SUBACK, PUBACK, an incoming PUBLISH, a finished download piece, a timer) goes in through one
 * ncm_dev_on_* call, and what the device does in answer comes out as a list of actions
 * (subscribe, publish, download a byte range, disconnect, reconnect later, report an event).
 * No sockets, threads or clock reads: the caller passes the time and does the I/O
 * (device/sim_loop.c). Behaviour per generation is in docs/sim.md; each rule cites its SDK file.
 */
#ifndef NCM_DEV_H
#define NCM_DEV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

/* Protocol generations (docs/sim.md#generations): --ncs 2.5 | 2.8 | 3.3. */
enum ncm_dev_gen {
	NCM_DEV_G1 = 1, /* NCS v1.1 - v2.7: $aws/things shadow topics */
	NCM_DEV_G2 = 2, /* NCS v2.8 - v3.2: <id>/shadow/get/trim */
	NCM_DEV_G3 = 3, /* NCS v3.3 on: <id>/shadow/get/tf with a JSONata transform */
};

/* The nrf_cloud library's fixed message IDs (include/net/nrf_cloud.h, v2.5.0 .. v3.3.0). The
 * transport cannot put them on the wire (libmosquitto numbers its own packets), so they are
 * "tags" that the transport maps back when the acknowledgement arrives. */
enum ncm_dev_tag {
	NCM_TAG_NONE = 0,
	NCM_TAG_SUB_CC = 100,
	NCM_TAG_SUB_DC = 101,
	NCM_TAG_SUB_FOTA = 103,
	NCM_TAG_SHADOW_GET = 200,
	NCM_TAG_JOBS_REQ = 201,
	NCM_TAG_SHADOW_REPORT = 300,
	NCM_TAG_PAIRING = 301,
	NCM_TAG_JOBS_UPDATE = 302,
	NCM_TAG_DATA = 1000,
};

/* FOTA behaviour asked for with --fota. */
enum ncm_dev_fota_mode {
	NCM_FOTA_ACCEPT = 0,
	NCM_FOTA_REJECT,
	NCM_FOTA_FAIL_AT,
};

/* What the user chose for all devices of a run (read-only for the core). */
struct ncm_dev_profile {
	enum ncm_dev_gen gen;
	const char *ncs;          /* "2.1", "2.5", "2.8", "3.3": the sdkVer the device reports */
	int pre_v22;              /* G1 as NCS <= v2.1: c2d kept literal, CELL_POS, answers on c2d */
	int keepalive;            /* CONFIG_NRF_CLOUD_MQTT_KEEPALIVE, seconds (1200) */
	int persistent;           /* 1: persistent sessions (no CONFIG_MQTT_CLEAN_SESSION) */
	const char *app_version;  /* deviceInfo.appVersion before any FOTA */
	const char *modem_fw;     /* deviceInfo.modemFirmware before any FOTA */
	enum ncm_dev_fota_mode fota;
	int fota_fail_pct;        /* NCM_FOTA_FAIL_AT: fail once this many percent are in */
	int fragment;             /* CONFIG_NRF_CLOUD_FOTA_DOWNLOAD_FRAGMENT_SIZE (1700) */
	int pgps_fragment;        /* CONFIG_NRF_CLOUD_PGPS_DOWNLOAD_FRAGMENT_SIZE (1500) */
	int rest_fragment;        /* CONFIG_NRF_CLOUD_REST_FRAGMENT_SIZE (1700): A-GNSS Range */
	int telemetry_ms;         /* one telemetry message per device this often; 0 = none */
	int location_ms;          /* one location request (ground fix) this often; 0 = none */
	int reconnect_min_ms;     /* back-off after a lost connection: first delay */
	int reconnect_max_ms;     /* and its cap */
	int reboot_ms;            /* the "reboot" after a FOTA download: time offline */
	int rest;                 /* 1: an nrf_cloud_rest device (HTTPS + JWT), not MQTT */
	int rest_poll_ms;         /* REST: FOTA job poll period (nrf_cloud_fota_poll.c) */
	int agnss_on_ready;       /* request A-GNSS data once the cloud is ready */
	int pgps_on_ready;        /* request P-GPS predictions once the cloud is ready */
};

enum ncm_dev_act_kind {
	NCM_ACT_SUBSCRIBE,   /* topics (n_topics), QoS 1, tag */
	NCM_ACT_PUBLISH,     /* topic, payload/len, qos, tag */
	NCM_ACT_HTTP_GET,    /* url (https://host[:port]/path), range from..to (inclusive) */
	NCM_ACT_DISCONNECT,  /* close the MQTT connection (text: why) */
	NCM_ACT_CONNECT,     /* (re)connect after delay_ms; clean = clean-session flag */
	NCM_ACT_EVENT,       /* text: one JSON object (docs/lab-shell.md#events) */
	NCM_ACT_REST,        /* REST call: method, topic = path, payload/len = JSON body, tag */
};

struct ncm_dev_act {
	enum ncm_dev_act_kind kind;
	int tag;
	int qos;
	int clean;
	int64_t delay_ms;
	char *topic;         /* PUBLISH */
	char *payload;       /* PUBLISH (may be binary), EVENT/DISCONNECT text, HTTP_GET url */
	size_t len;
	char **topics;       /* SUBSCRIBE */
	size_t n_topics;
	long from, to;       /* HTTP_GET; REST with ranged set */
	int ranged;          /* REST: send "Range: bytes=from-to" */
	const char *method;  /* REST: "GET", "POST", "PATCH" (static) */
};

/* The actions of one call, owned by the list; ncm_dev_out_clear frees their contents. */
struct ncm_dev_out {
	struct ncm_dev_act *a;
	size_t n, cap;
};
void ncm_dev_out_clear(struct ncm_dev_out *out);
void ncm_dev_out_release(struct ncm_dev_out *out);

/* Connection state, in the order of the SDK's FSM (mqtt/src/nrf_cloud_fsm.c, v3.3.0:
 * enum nfsm_state, shortened). */
enum ncm_dev_state {
	NCM_DEV_OFF = 0,       /* not connected; maybe waiting to reconnect */
	NCM_DEV_CONNECTING,    /* CONNECT sent */
	NCM_DEV_CC_CONNECTING, /* SUBSCRIBE 100 sent */
	NCM_DEV_STATE_REQ,     /* shadow request 200 sent */
	NCM_DEV_UA_COMPLETE,   /* pairing report 301 sent */
	NCM_DEV_DC_CONNECTING, /* SUBSCRIBE 101 sent */
	NCM_DEV_READY,         /* data channel up (NRF_CLOUD_EVT_READY) */
};

enum ncm_dev_fota_state {
	NCM_FOTA_IDLE = 0,
	NCM_FOTA_DOWNLOADING,
	NCM_FOTA_DONE_WAIT_ACK,  /* [id,1,""] sent; reboot after its PUBACK */
	NCM_FOTA_REBOOTING,
	NCM_FOTA_VALIDATE,       /* after reboot: report [id,3,""] at the next pairing */
};

#define NCM_DEV_TLV_MAX 4096

struct ncm_dev_fota {
	enum ncm_dev_fota_state state;
	char job[40];
	int type;                /* enum nrf_cloud_fota_type: 0 APP, 1 MODEM, 2 BOOT, 5 MDM_FULL */
	long size, got;
	char url[700];           /* https://host/path */
	char version[64];        /* version from the path, for the reboot */
	int last_pct;
	int retries;             /* of the current piece */
	EVP_MD_CTX *sha;
	char sha_hex[65];
	/* an MCUboot image's own SHA-256 (docs/sim.md#fota): header parsed from the first
	 * piece, digest of header + body + protected TLVs, the TLV area kept for the end */
	int mcuboot;             /* 1: the image starts with the MCUboot magic */
	long hash_len;           /* bytes the image TLV's SHA-256 covers */
	long tlv_off;            /* where the TLV area starts (header + body) */
	EVP_MD_CTX *img_sha;
	unsigned char *tlv;      /* the TLV area (at most NCM_DEV_TLV_MAX bytes) */
	size_t tlv_len;
	char last_done[40];      /* the last finished job (RAM only, like the SDK) */
};

struct ncm_dev_agnss {
	uint32_t want;           /* types asked for (bits) */
	uint32_t got;            /* types seen so far */
	int parts;
	size_t bytes;
	unsigned counts[16];
	int active;
	/* REST: the answer is fetched in Range fragments and processed whole */
	unsigned char *buf;
	long rest_got, rest_total;
	int fragments;
};

struct ncm_dev {
	const struct ncm_dev_profile *p;
	char id[129];
	unsigned index;          /* 0.. within the run: seeds IMEI, cell, position */
	enum ncm_dev_state state;
	/* pairing data from the shadow */
	char prefix[128];
	char d2c[320], c2d[320];
	int c2d_rewritten;
	int booted;              /* 0 until the first pairing report after a boot was sent */
	int session_saved;       /* the SDK's nrf_cloud/p_sesh settings flag */
	int session_present;     /* CONNACK's flag, for this connection */
	int fota_report_tag_pending;
	int fota_unacked;        /* jobs/update publishes not acknowledged yet */
	/* device control (shadow "control") */
	int alerts_en, log_lvl, memfault_en;
	json_t *config;          /* the application's reported config */
	char app_version[64], modem_fw[64];
	struct ncm_dev_fota fota;
	struct ncm_dev_agnss agnss;
	int pgps_active;
	long pgps_got, pgps_total;
	char pgps_url[700];
	int pgps_retries;
	/* timers (absolute ms in the caller's clock, 0 = off) */
	int64_t next_telemetry, next_location, next_fota_poll;
	unsigned telemetry_seq, log_seq, alert_seq;
	int reconnects;          /* attempts since the last READY */
	/* counters for the summary */
	unsigned long n_sent, n_received, n_deltas, n_c2d, n_errors;
};

/* Sets dev up for profile p (kept by reference) with ID id and run index i. */
void ncm_dev_init(struct ncm_dev *dev, const struct ncm_dev_profile *p, const char *id,
		  unsigned index);
void ncm_dev_release(struct ncm_dev *dev);

/* Power on: the first CONNECT (NCM_ACT_CONNECT with delay 0). */
void ncm_dev_boot(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
/* CONNACK with return code rc and the session-present flag. */
void ncm_dev_on_connack(struct ncm_dev *dev, int rc, int session_present, int64_t now,
			struct ncm_dev_out *out);
/* The connection ended without the core asking for it (broker closed it, TCP/TLS failure,
 * refused CONNACK): schedule a reconnect with back-off. Not called for the core's own
 * NCM_ACT_DISCONNECT: the core has already scheduled what comes next. */
void ncm_dev_on_disconnect(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
void ncm_dev_on_suback(struct ncm_dev *dev, int tag, const int *granted, size_t n, int64_t now,
		       struct ncm_dev_out *out);
void ncm_dev_on_puback(struct ncm_dev *dev, int tag, int64_t now, struct ncm_dev_out *out);
void ncm_dev_on_message(struct ncm_dev *dev, const char *topic, const void *payload, size_t len,
			int64_t now, struct ncm_dev_out *out);
/* Download tags (NCM_ACT_HTTP_GET's tag). */
#define NCM_DL_FOTA 1
#define NCM_DL_PGPS 2
/* A ranged download piece (tag as the request's): status 206 with the Content-Range total, or status <= 0 when the
 * transfer failed (reset, stall, refused). */
void ncm_dev_on_http(struct ncm_dev *dev, int tag, long status, long total, const void *data,
		     size_t len, int64_t now, struct ncm_dev_out *out);
/* Timers: telemetry and location requests when they are due. */
void ncm_dev_on_tick(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
/* The earliest time ncm_dev_on_tick has something to do (0: nothing scheduled). */
int64_t ncm_dev_next_due(const struct ncm_dev *dev);

/* REST devices (device/dev_rest.c): the CONNECT action's delay has passed (boot or reboot),
 * and the answer to a NCM_ACT_REST call (status 0 when it failed; body may be NULL). */
enum ncm_rest_tag {
	NCM_REST_STATE = 1, NCM_REST_MESSAGE, NCM_REST_GROUND_FIX, NCM_REST_FOTA_CURRENT,
	NCM_REST_FOTA_PATCH, NCM_REST_AGNSS, NCM_REST_PGPS,
};
void ncm_dev_rest_start(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
/* total: the Content-Range total of a ranged call's answer (0: none). */
void ncm_dev_on_rest(struct ncm_dev *dev, int tag, long status, long total, const char *body,
		     size_t len, int64_t now, struct ncm_dev_out *out);

/* Lab-shell actions (docs/lab-shell.md): a d2c message, location requests, a reboot. Each
 * returns 0, or -1 when the device is not ready (nothing is sent). */
int ncm_dev_send_message(struct ncm_dev *dev, const char *app_id, const char *data, int64_t now,
			 struct ncm_dev_out *out);
int ncm_dev_request_ground_fix(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
int ncm_dev_request_agnss(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
int ncm_dev_request_pgps(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
void ncm_dev_reboot(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
/* Reported config key = value (value is taken over) in a shadow update, as the application
 * reports a setting it changed itself; a FOTA job request now; dropping the connection and
 * connecting again after the back-off. MQTT devices only: -1 when not ready or REST. */
int ncm_dev_report_config(struct ncm_dev *dev, const char *key, json_t *value,
			  struct ncm_dev_out *out);
int ncm_dev_fota_check(struct ncm_dev *dev, struct ncm_dev_out *out);
int ncm_dev_reconnect(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);

/* Topic strings of the device's generation (device/dev.c). */
enum ncm_dev_topic {
	NCM_DT_SHADOW_GET,       /* PUB: get, get/trim or get/tf */
	NCM_DT_SHADOW_UPDATE,    /* PUB */
	NCM_DT_ACCEPTED,         /* SUB: the get reply */
	NCM_DT_REJECTED,         /* SUB */
	NCM_DT_DELTA,            /* SUB */
	NCM_DT_DELTA_ERR,        /* SUB, G3 only */
	NCM_DT_COUNT,
};
/* Writes the topic into buf; 0, or -1 when the generation has no such topic or it is too long. */
int ncm_dev_topic(enum ncm_dev_gen gen, const char *id, enum ncm_dev_topic t, char *buf,
		  size_t size);

/* A-GNSS schema v1 check (include/nrf_cloud_agnss_schema_v1.h, nrf_cloud_agnss.c v2.8.0): 0 when
 * payload is a well-formed set of blocks (counts per type added to counts[16], types seen as
 * bits in *types), else -1 with a reason in why. */
int ncm_dev_agnss_check(const uint8_t *p, size_t len, unsigned counts[16], uint32_t *types,
			char *why, size_t why_size);

#endif
