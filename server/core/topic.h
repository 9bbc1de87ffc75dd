/* SPDX-License-Identifier: MIT
 * topic.h: nRF Cloud's MQTT topic tree for one device (docs/protocol-mqtt.md#topics and the quick table in
 * docs/protocol-mqtt.md#topic-table), for all three control-channel generations, the plain AWS shadow topics, the data channel
 * and FOTA. ncm_topic_classify maps a topic (or a subscription filter) to a row of that table,
 * so glue code finds the behaviour of any topic in one step. Pure; no dependencies.
 */
#ifndef NCM_TOPIC_H
#define NCM_TOPIC_H

#include <stddef.h>

/* One row per topic of the table. "PUB" rows are what the device publishes, "SUB" rows what it
 * subscribes to and receives. D is the device ID, P the team prefix "<stage>/<tenantId>/". */
enum ncm_topic_kind {
	NCM_TOPIC_NONE = 0,
	/* AWS shadow topics, G1 and AWS-style clients: $aws/things/D/shadow/... */
	NCM_TOPIC_AWS_GET,              /* PUB get */
	NCM_TOPIC_AWS_GET_ACCEPTED,     /* SUB get/accepted (full AWS document) */
	NCM_TOPIC_AWS_GET_REJECTED,     /* SUB get/rejected (G1) */
	NCM_TOPIC_AWS_UPDATE,           /* PUB update (G1) */
	NCM_TOPIC_AWS_UPDATE_ACCEPTED,  /* SUB update/accepted */
	NCM_TOPIC_AWS_UPDATE_REJECTED,  /* SUB update/rejected */
	NCM_TOPIC_AWS_UPDATE_DELTA,     /* SUB update/delta (G1) */
	NCM_TOPIC_AWS_UPDATE_DOCUMENTS, /* SUB update/documents */
	NCM_TOPIC_AWS_DELETE,           /* PUB delete */
	NCM_TOPIC_AWS_DELETE_ACCEPTED,  /* SUB delete/accepted */
	NCM_TOPIC_AWS_DELETE_REJECTED,  /* SUB delete/rejected */
	/* nRF Cloud custom shadow topics: D/shadow/... */
	NCM_TOPIC_G1_GET_ACCEPTED,      /* SUB D/shadow/get/accepted (G1 trimmed reply) */
	NCM_TOPIC_G2_GET_TRIM,          /* PUB D/shadow/get/trim */
	NCM_TOPIC_G2_GET_ACCEPTED_TRIM, /* SUB D/shadow/get/accepted/trim */
	NCM_TOPIC_G2_DELTA_FULL,        /* SUB D/shadow/update/delta/full */
	NCM_TOPIC_G2_DELTA_FULL_ERR,    /* SUB D/shadow/update/delta/full/err (defined, unused) */
	NCM_TOPIC_G3_GET_TF,            /* PUB D/shadow/get/tf */
	NCM_TOPIC_G3_GET_ACCEPTED_TF,   /* SUB D/shadow/get/accepted/tf (G2 with transforms, G3) */
	NCM_TOPIC_G3_DELTA_TRIM,        /* SUB D/shadow/update/delta/trim */
	NCM_TOPIC_G3_DELTA_TRIM_ERR,    /* SUB D/shadow/update/delta/trim/err */
	NCM_TOPIC_SHADOW_GET_REJECTED,  /* SUB D/shadow/get/rejected (G2, G3) */
	NCM_TOPIC_SHADOW_UPDATE,        /* PUB D/shadow/update (G2, G3) */
	/* data channel: P m/d/D/... */
	NCM_TOPIC_D2C,                  /* PUB P m/d/D/d2c */
	NCM_TOPIC_D2C_BULK,             /* PUB P m/d/D/d2c/bulk */
	NCM_TOPIC_D2C_BIN,              /* PUB P m/d/D/d2c/bin */
	NCM_TOPIC_C2D,                  /* SUB P m/d/D/c2d (<= v2.1) */
	NCM_TOPIC_C2D_WILDCARD,         /* SUB filter P m/d/D/+/r (v2.2+) */
	NCM_TOPIC_C2D_R,                /* SUB P m/d/D/c2d/r */
	NCM_TOPIC_AGNSS_R,              /* SUB P m/d/D/agnss/r */
	NCM_TOPIC_AGPS_R,               /* SUB P m/d/D/agps/r */
	NCM_TOPIC_PGPS_R,               /* SUB P m/d/D/pgps/r */
	NCM_TOPIC_GROUND_FIX_R,         /* SUB P m/d/D/ground_fix/r */
	NCM_TOPIC_OTHER_R,              /* SUB P m/d/D/<x>/r, any other single level x */
	/* FOTA: P D/jobs/... (no m/d/) */
	NCM_TOPIC_JOBS_REQ,             /* PUB */
	NCM_TOPIC_JOBS_RCV,             /* SUB */
	NCM_TOPIC_JOBS_UPDATE,          /* PUB */
	NCM_TOPIC_JOBS_BLE_REQ,         /* PUB */
	NCM_TOPIC_JOBS_BLE_RCV,         /* SUB */
	NCM_TOPIC_JOBS_BLE_UPDATE,      /* PUB */
	/* BLE gateways (subType containing "gateway"): P m/d/D/... */
	NCM_TOPIC_G2C,                  /* PUB P m/d/D/g2c (gateway events) */
	NCM_TOPIC_C2G,                  /* SUB P m/d/D/c2g (gateway operations) */
	NCM_TOPIC_KIND_COUNT
};

/* Which way a row goes. */
enum ncm_topic_dir {
	NCM_TOPIC_DIR_NONE = 0,
	NCM_TOPIC_DIR_PUB, /* device -> cloud: the device may publish it */
	NCM_TOPIC_DIR_SUB, /* cloud -> device: the device may subscribe to it and receive it */
};

/* Classifies topic (a topic name, or a subscription filter taken literally) as one of the rows
 * for device_id under prefix ("<stage>/<tenantId>/", trailing slash). NCM_TOPIC_NONE when it is
 * no row of that device (another device's topic, another team, anything else). The filter
 * "P m/d/D/+/r" is NCM_TOPIC_C2D_WILDCARD; a name "P m/d/D/x/r" with a single non-wildcard
 * level x is the matching *_R row or NCM_TOPIC_OTHER_R. */
enum ncm_topic_kind ncm_topic_classify(const char *device_id, const char *prefix,
				       const char *topic);

/* Direction of a row (NCM_TOPIC_DIR_NONE for NCM_TOPIC_NONE). */
enum ncm_topic_dir ncm_topic_dir(enum ncm_topic_kind kind);

/* Stable lower-case name of a row for logs and the journal ("aws/get", "g2/get/trim", "d2c",
 * "jobs/rcv", ...). */
const char *ncm_topic_kind_name(enum ncm_topic_kind kind);

/* The device a topic of the table belongs to, whatever its row: "$aws/things/<id>/...",
 * "<id>/shadow/...", "<prefix>m/d/<id>/..." or "<prefix><id>/jobs/...", with <id> a valid device
 * ID and the topic one of that device's rows. Copied into out (NCM_DEVID_MAX + 1 bytes);
 * 0, or -1 when the topic is no device's. */
int ncm_topic_device(const char *prefix, const char *topic, char *out, size_t size);

/* 1 when the topic string contains an MQTT wildcard ('+' or '#'), else 0. */
int ncm_topic_has_wildcard(const char *topic);

/* 1 when topic (a name) matches filter (with '+' for one level and a trailing '#' for any
 * number, including none), as MQTT 3.1.1 §4.7 defines; '$' topics are not matched by a leading
 * wildcard. NULL arguments do not match. */
int ncm_topic_matches(const char *filter, const char *topic);

#endif
