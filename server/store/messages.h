/* SPDX-License-Identifier: MIT
 * messages.h: device-to-cloud messages as nRF Cloud stores them (docs/protocol-mqtt.md#data-channel-topics, docs/protocol-mqtt.md#device-messages): one
 * row per message (a bulk array becomes one row per element), with the time it arrived, its
 * topic, its device and, for JSON, its appId. Any thread, with that thread's connection.
 */
#ifndef NCM_MESSAGES_H
#define NCM_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct ncm_message {
	int64_t seq;          /* set by the store */
	const char *device_id;
	const char *topic;
	int64_t received_ms;
	const char *app_id;   /* NULL when not JSON or no appId */
	const void *payload;
	size_t payload_len;
	int binary;
};

int ncm_store_message_add(struct ncm_db *db, const struct ncm_message *m,
			  struct ncm_err_info *err);

/* Messages may be logged before they are stored (msglog.h): the readers below and reset first
 * call the sync function, which stores every logged message with db. ncm_store_message_sync
 * calls it (NCM_OK when none is set). */
typedef int (*ncm_message_sync_fn)(struct ncm_db *db, struct ncm_err_info *err);
void ncm_store_message_set_sync(ncm_message_sync_fn fn);
int ncm_store_message_sync(struct ncm_db *db, struct ncm_err_info *err);

/* Calls cb for each message of device_id (NULL: all) with seq > after_seq, oldest first, at
 * most limit (<= 0: 1000). The message is borrowed for the call. */
typedef int (*ncm_message_cb)(const struct ncm_message *m, void *userdata);
int ncm_store_message_foreach(struct ncm_db *db, const char *device_id, int64_t after_seq,
			      int limit, ncm_message_cb cb, void *userdata,
			      struct ncm_err_info *err);

/* GET /v1/messages filters (docs/protocol-rest.md#messages). NULL / 0 fields do not filter. */
struct ncm_message_filter {
	const char *device_id;
	const char *app_id;
	const char *topic;       /* matches the whole topic or its part after "<prefix>m/" */
	const char *prefix;      /* the team prefix, for that */
	int64_t start_ms;        /* received at or after (after, when start_exclusive) */
	int start_exclusive;
	int64_t end_ms;          /* received before (at or before, when end_inclusive); 0: none */
	int end_inclusive;
	int desc;                /* newest first */
	int64_t cursor;          /* continue after (asc) or before (desc) this seq; 0: start */
	int limit;
};
int ncm_store_message_query(struct ncm_db *db, const struct ncm_message_filter *f,
			    ncm_message_cb cb, void *userdata, struct ncm_err_info *err);

/* Number of messages of device_id (NULL: all). Negative on a store failure. */
int64_t ncm_store_message_count(struct ncm_db *db, const char *device_id);

#endif
