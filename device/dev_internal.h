/* SPDX-License-Identifier: MIT
 * dev_internal.h: what the device core's files share (action builders, JSON helpers). Not for
 * the transport.
 */
#ifndef NCM_DEV_INTERNAL_H
#define NCM_DEV_INTERNAL_H

#include "dev.h"

/* Appends a publish of a copy of payload (len bytes). */
void ncm_dev_pub(struct ncm_dev *dev, struct ncm_dev_out *out, const char *topic,
		 const void *payload, size_t len, int qos, int tag);
/* Appends a publish of j serialised compactly (j is stolen). */
void ncm_dev_pub_json(struct ncm_dev *dev, struct ncm_dev_out *out, const char *topic, json_t *j,
		      int qos, int tag);
/* Appends an event {"ev":name,"id":<device>, ...fields} (fields stolen, may be NULL). */
void ncm_dev_event(struct ncm_dev *dev, struct ncm_dev_out *out, const char *name,
		   json_t *fields);
/* Appends a ranged GET. */
void ncm_dev_http_get(struct ncm_dev_out *out, int tag, const char *url, long from, long to);

/* Appends a REST call (body stolen, may be NULL). */
void ncm_dev_rest(struct ncm_dev_out *out, const char *method, const char *path, json_t *body,
		  int tag);
/* Appends a REST call with "Range: bytes=from-to" (body stolen, may be NULL). */
void ncm_dev_rest_range(struct ncm_dev_out *out, const char *method, const char *path,
			json_t *body, int tag, long from, long to);
/* A d2c message over the device's transport (msg stolen): MQTT publish or REST POST. */
void ncm_dev_d2c(struct ncm_dev *dev, struct ncm_dev_out *out, json_t *msg, int qos);
/* The info sections and control object (dev.c). */
json_t *ncm_dev_info_sections(const struct ncm_dev *dev);
json_t *ncm_dev_control_obj(const struct ncm_dev *dev);
/* Marks the device ready (event, timers). */
void ncm_dev_ready(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);

/* Closes the connection (why: for the event) and reconnects after the back-off. */
void ncm_dev_close(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out, const char *why);

/* FOTA (dev_fota.c) */
void ncm_dev_fota_on_job(struct ncm_dev *dev, const void *payload, size_t len, int64_t now,
			 struct ncm_dev_out *out);
void ncm_dev_fota_on_http(struct ncm_dev *dev, long status, long total, const void *data,
			  size_t len, int64_t now, struct ncm_dev_out *out);
void ncm_dev_fota_on_puback(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);
/* Frees the download's digests and buffers. */
void ncm_dev_fota_free(struct ncm_dev *dev);
/* At pairing after a reboot: the pending [id,3,""] (1 when one was sent). */
int ncm_dev_fota_report_validated(struct ncm_dev *dev, struct ncm_dev_out *out);
void ncm_dev_fota_jobs_topic(const struct ncm_dev *dev, const char *leaf, char *buf, size_t size);

/* Data channel (dev_data.c) */
void ncm_dev_data_on_message(struct ncm_dev *dev, const char *topic, const void *payload,
			     size_t len, int64_t now, struct ncm_dev_out *out);
void ncm_dev_data_on_http(struct ncm_dev *dev, long status, long total, const void *data,
			  size_t len, int64_t now, struct ncm_dev_out *out);
/* REST answers of A-GNSS fragments and the P-GPS request (dev_data.c). */
void ncm_dev_data_on_rest_agnss(struct ncm_dev *dev, long status, long total, const char *body,
				size_t len, struct ncm_dev_out *out);
void ncm_dev_data_on_rest_pgps(struct ncm_dev *dev, const char *body, size_t len,
			       struct ncm_dev_out *out);
void ncm_dev_data_tick(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out);

#endif
