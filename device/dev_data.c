/* SPDX-License-Identifier: MIT
 * dev_data.c: the device core's data channel: telemetry in the SDK's message formats (GNSS
 * PVT, TEMP, RSRP, alerts, logs on d2c and d2c/bulk), c2d messages, and the location services
 * over MQTT: ground fix, A-GNSS (schema-v1 parts checked and put together), P-GPS (request,
 * then the prediction file downloaded in ranged pieces). Pure (see dev.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_internal.h"

#define PGPS_RETRIES 4

static int ready(const struct ncm_dev *dev)
{
	return dev->state == NCM_DEV_READY && dev->d2c[0];
}

/* A sensor message (nrf_cloud_codec_internal.c nrf_cloud_sensor_data_encode()): data as a
 * string, "ts" in ms. QoS 1 like json_send_to_cloud() with a user tag. */
void ncm_dev_d2c(struct ncm_dev *dev, struct ncm_dev_out *out, json_t *msg, int qos)
{
	char path[200];

	if (!dev->p->rest) {
		ncm_dev_pub_json(dev, out, dev->d2c, msg, qos, NCM_TAG_DATA);
		return;
	}
	/* SendDeviceMessage: {"topic":"d/<id>/d2c","message":...} (rest/src/nrf_cloud_rest.c
	 * nrf_cloud_rest_send_device_message(), v2.5.0) */
	snprintf(path, sizeof(path), "/v1/devices/%s/messages", dev->id);
	dev->n_sent++;
	ncm_dev_rest(out, "POST", path, json_pack("{s:s, s:o}", "topic", dev->d2c, "message", msg),
		     NCM_REST_MESSAGE);
}

static void sensor(struct ncm_dev *dev, struct ncm_dev_out *out, const char *app_id,
		   json_t *data, int64_t now)
{
	ncm_dev_d2c(dev, out,
		    json_pack("{s:s, s:s, s:o, s:I}", "appId", app_id, "messageType", "DATA", "data",
			      data, "ts", (json_int_t)now),
		    1);
}

int ncm_dev_send_message(struct ncm_dev *dev, const char *app_id, const char *data, int64_t now,
			 struct ncm_dev_out *out)
{
	if (!ready(dev))
		return -1;
	sensor(dev, out, app_id, json_string(data), now);
	return 0;
}

static void telemetry(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	unsigned k = dev->telemetry_seq++ % 5;
	double lat = 63.42 + (double)(dev->index % 1000) * 1e-4, lon = 10.43;
	char text[32];

	switch (k) {
	case 0:
		/* PVT: "lng" before v2.8, "lon" from v2.8 (release notes 2.8.0) */
		sensor(dev, out, "GNSS",
		       json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "lat", lat,
				 dev->p->gen == NCM_DEV_G1 ? "lng" : "lon", lon, "acc", 12.5,
				 "alt", 41.0, "spd", 0.4, "hdg", 90.0),
		       now);
		break;
	case 1:
		snprintf(text, sizeof(text), "%.1f", 20.0 + (double)(dev->telemetry_seq % 50) / 10);
		sensor(dev, out, "TEMP", json_string(text), now);
		break;
	case 2:
		snprintf(text, sizeof(text), "%d", -80 - (int)(dev->index % 30));
		sensor(dev, out, "RSRP", json_string(text), now);
		break;
	case 3:
		/* alerts only while control.alertsEn (nrf_cloud_alert.c): {"appId":"ALERT",
		 * "type","value","ts","seq","desc"}, no messageType, QoS 1 */
		if (dev->alerts_en) {
			ncm_dev_d2c(dev, out,
					 json_pack("{s:s, s:i, s:f, s:I, s:i, s:s}", "appId",
						   "ALERT", "type", 3, "value", 30.5, "ts",
						   (json_int_t)now, "seq", (int)dev->alert_seq++,
						   "desc", "temperature over limit"),
					 1);
			break;
		}
		/* fall through */
	default:
		/* logs at or below control.logLvl, batched as an array on d2c/bulk at QoS 0
		 * (nrf_cloud_log_backend.c send_ring_buffer(), encode_json_log()) */
		if (dev->log_lvl >= 1 && dev->p->rest) {
			ncm_dev_d2c(dev, out,
				    json_pack("{s:s, s:i, s:i, s:s, s:I, s:i, s:s}", "appId", "LOG",
					      "dom", 0, "lvl", 1, "src", "app", "ts",
					      (json_int_t)now, "seq", (int)dev->log_seq++, "msg",
					      "sim: periodic error log line"),
				    0);
		} else if (dev->log_lvl >= 1) {
			char bulk[360];

			snprintf(bulk, sizeof(bulk), "%s/bulk", dev->d2c);
			ncm_dev_pub_json(dev, out, bulk,
					 json_pack("[{s:s, s:i, s:i, s:s, s:I, s:i, s:s}]", "appId",
						   "LOG", "dom", 0, "lvl", 1, "src", "app", "ts",
						   (json_int_t)now, "seq", (int)dev->log_seq++,
						   "msg", "sim: periodic error log line"),
					 0, NCM_TAG_DATA);
		}
		break;
	}
}

int ncm_dev_request_ground_fix(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	json_t *lte;

	(void)now;
	if (!ready(dev))
		return -1;
	/* the serving cell and a neighbour (nrf_cloud_codec_internal.c
	 * nrf_cloud_cell_pos_req_json_encode(), v2.2.0+) */
	lte = json_pack("[{s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:[{s:i, s:i, s:i}]}]", "eci",
			21858829 + (int)(dev->index % 1000), "mcc", 242, "mnc", 1, "tac", 3003,
			"earfcn", 6300, "rsrp", -97, "rsrq", -9.5, "nmr", "earfcn", 6300, "pci", 143,
			"rsrp", -110);
	if (dev->p->rest) {
		/* POST /v1/location/ground-fix with {"lte":[...]} (nrf_cloud_rest.c
		 * nrf_cloud_rest_location_get(), v2.5.0) */
		dev->n_sent++;
		ncm_dev_rest(out, "POST", "/v1/location/ground-fix", json_pack("{s:o}", "lte", lte),
			     NCM_REST_GROUND_FIX);
		return 0;
	}
	/* GROUND_FIX on d2c; "config" only when an option differs from the cloud defaults.
	 * Up to v2.1 the same cells went as CELL_POS (nrf_cloud_cell_pos.c
	 * nrf_cloud_cell_pos_request(), v2.1.0; GROUND_FIX and nrf_cloud_location.c from v2.2.0),
	 * answered on c2d */
	ncm_dev_pub_json(dev, out, dev->d2c,
			 json_pack("{s:s, s:s, s:{s:o}}", "appId",
				   dev->p->pre_v22 ? "CELL_POS" : "GROUND_FIX", "messageType",
				   "DATA", "data", "lte", lte),
			 1, NCM_TAG_DATA);
	return 0;
}

/* The A-GNSS types a device asks for: 1, 2, 3, 4, 6, 7, 9 (GPS UTC, ephemerides, almanac,
 * Klobuchar, TOW, system clock, integrity: NRF_CLOUD_REST_AGNSS_REQ_ASSISTANCE's set). */
static json_t *agnss_types(const struct ncm_dev *dev)
{
	static const int t[] = { 1, 2, 3, 4, 6, 7, 9 };
	json_t *a = json_array();
	size_t i;

	(void)dev;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		json_array_append_new(a, json_integer(t[i]));
	return a;
}

static void on_pgps(struct ncm_dev *dev, const char *p, size_t len, struct ncm_dev_out *out);

int ncm_dev_request_agnss(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	json_t *types = json_array();
	static const int g1_types[] = { 1, 2, 3, 4, 6, 7, 9 };
	static const int types_new[] = { 1, 2, 3, 4, 6, 7, 9 };
	const int *t = dev->p->gen == NCM_DEV_G1 ? g1_types : types_new;
	size_t i;

	(void)now;
	if (!ready(dev)) {
		json_decref(types);
		return -1;
	}
	free(dev->agnss.buf);
	memset(&dev->agnss, 0, sizeof(dev->agnss));
	for (i = 0; i < 7; i++) {
		json_array_append_new(types, json_integer(t[i]));
		dev->agnss.want |= 1u << t[i];
	}
	dev->agnss.active = 1;
	if (dev->p->rest) {
		/* POST /v1/location/agnss, the request data as body, "Range: bytes=0-1699" and
		 * then on from the bytes received until the Content-Range total; every answer
		 * must be 206 (rest/src/nrf_cloud_rest.c nrf_cloud_rest_agnss_data_get(),
		 * v2.5.0..v3.3.0, CONFIG_NRF_CLOUD_REST_FRAGMENT_SIZE) */
		dev->n_sent++;
		ncm_dev_rest_range(out, "POST", "/v1/location/agnss",
				   json_pack("{s:i, s:i, s:i, s:i, s:o}", "mcc", 242, "mnc", 1, "tac",
					     3003, "eci", 21858829 + (int)(dev->index % 1000),
					     "types", types),
				   NCM_REST_AGNSS, 0, dev->p->rest_fragment - 1);
		return 0;
	}
	/* "AGPS" up to v2.5, "AGNSS" from v2.6 (include/net/nrf_cloud_defs.h), with the
	 * serving cell (nrf_cloud_agnss_req_json_encode()) */
	ncm_dev_pub_json(dev, out, dev->d2c,
			 json_pack("{s:s, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:o}}", "appId",
				   dev->p->gen == NCM_DEV_G1 ? "AGPS" : "AGNSS", "messageType",
				   "DATA", "data", "mcc", 242, "mnc", 1, "tac", 3003, "eci",
				   21858829 + (int)(dev->index % 1000), "rsrp", -97, "types",
				   types),
			 1, NCM_TAG_DATA);
	return 0;
}

int ncm_dev_request_pgps(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	(void)now;
	if (!ready(dev))
		return -1;
	if (dev->p->rest) {
		/* GET /v1/location/pgps with the request's keys as query; 200 {"host","path"}
		 * (nrf_cloud_rest.c nrf_cloud_rest_pgps_data_get(), codec
		 * nrf_cloud_json_to_url_params_convert()); the file is then downloaded like over
		 * MQTT (nrf_cloud_pgps.c nrf_cloud_pgps_update()) */
		dev->n_sent++;
		ncm_dev_rest(out, "GET",
			     "/v1/location/pgps?predictionCount=42&predictionIntervalMinutes=240"
			     "&startGpsDay=0&startGpsTimeOfDaySeconds=0",
			     NULL, NCM_REST_PGPS);
		return 0;
	}
	/* defaults: 42 predictions every 240 minutes; start 0/0 = the newest data
	 * (nrf_cloud_pgps.c pgps_request(), codec nrf_cloud_pgps_req_data_json_encode()) */
	ncm_dev_pub_json(dev, out, dev->d2c,
			 json_pack("{s:s, s:s, s:{s:i, s:i, s:i, s:i}}", "appId", "PGPS",
				   "messageType", "DATA", "data", "predictionCount", 42,
				   "predictionIntervalMinutes", 240, "startGpsDay", 0,
				   "startGpsTimeOfDaySeconds", 0),
			 1, NCM_TAG_DATA);
	return 0;
}

int ncm_dev_agnss_check(const uint8_t *p, size_t len, unsigned counts[16], uint32_t *types,
			char *why, size_t why_size)
{
	/* element sizes of include/nrf_cloud_agnss_schema_v1.h (packed structs) */
	static const size_t size[16] = { 0, 14, 62, 31, 8, 8, 4, 16, 15, 4, 0, 31, 62, 4, 0, 0 };
	size_t off = 1;

	if (len < 1 || p[0] != 1) {
		snprintf(why, why_size, "schema version %u, not 1", len ? p[0] : 0);
		return -1;
	}
	while (off < len) {
		unsigned type, count;

		if (len - off < 3) {
			snprintf(why, why_size, "block header cut at byte %zu", off);
			return -1;
		}
		type = p[off];
		count = (unsigned)p[off + 1] | (unsigned)p[off + 2] << 8;
		if (type >= 16 || !size[type]) {
			snprintf(why, why_size, "unknown type %u at byte %zu", type, off);
			return -1;
		}
		off += 3;
		if (!count || (len - off) / size[type] < count) {
			snprintf(why, why_size, "type %u: %u elements do not fit", type, count);
			return -1;
		}
		off += count * size[type];
		counts[type] += count;
		*types |= 1u << type;
	}
	return 0;
}

static void on_agnss(struct ncm_dev *dev, const uint8_t *p, size_t len, struct ncm_dev_out *out)
{
	char why[128];
	json_t *j;

	/* JSON first: an error object with a numeric "err"; any other JSON is refused; else
	 * binary (nrf_cloud_agnss.c nrf_cloud_agnss_process()) */
	j = json_loadb((const char *)p, len, 0, NULL);
	if (j) {
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:O?}", "what", "agnss", "err",
							   json_object_get(j, "err")));
		json_decref(j);
		dev->agnss.active = 0;
		return;
	}
	if (ncm_dev_agnss_check(p, len, dev->agnss.counts, &dev->agnss.got, why, sizeof(why))) {
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:s}", "what", "agnss",
							   "reason", why));
		return;
	}
	dev->agnss.parts++;
	dev->agnss.bytes += len;
	if (dev->agnss.active && (dev->agnss.got & dev->agnss.want) == dev->agnss.want) {
		json_t *c = json_object();
		unsigned t;
		char k[4];

		for (t = 1; t < 16; t++)
			if (dev->agnss.counts[t]) {
				snprintf(k, sizeof(k), "%u", t);
				json_object_set_new(c, k, json_integer(dev->agnss.counts[t]));
			}
		dev->agnss.active = 0;
		ncm_dev_event(dev, out, "agnss",
			      json_pack("{s:i, s:I, s:o}", "parts", dev->agnss.parts, "bytes",
					(json_int_t)dev->agnss.bytes, "counts", c));
	}
}

/* One A-GNSS fragment of a REST device: appended until the Content-Range total is in, then
 * the whole answer is processed as one payload (nrf_cloud_agnss_process()). */
void ncm_dev_data_on_rest_agnss(struct ncm_dev *dev, long st, long total, const char *body,
				size_t len, struct ncm_dev_out *out)
{
	struct ncm_dev_agnss *a = &dev->agnss;
	long to;

	if (!a->active)
		return;
	if (st != 206 || (!a->rest_total && (total <= 0 || total > 1L << 20)) ||
	    (a->rest_total && total != a->rest_total) || !len || a->rest_got + (long)len > total) {
		/* not 206, no total, or more than the total: -EBADMSG/-EFBIG, no retry */
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:i, s:I}", "what", "agnss",
							   "http", (int)st, "at", (json_int_t)a->rest_got));
		free(a->buf);
		a->buf = NULL;
		a->active = 0;
		return;
	}
	if (!a->buf) {
		a->rest_total = total;
		a->buf = malloc((size_t)total);
		if (!a->buf)
			abort();
	}
	memcpy(a->buf + a->rest_got, body, len);
	a->rest_got += (long)len;
	a->fragments++;
	if (a->rest_got < a->rest_total) {
		to = a->rest_got + dev->p->rest_fragment - 1;
		dev->n_sent++;
		ncm_dev_rest_range(out, "POST", "/v1/location/agnss",
				   json_pack("{s:i, s:i, s:i, s:i, s:o}", "mcc", 242, "mnc", 1, "tac",
					     3003, "eci", 21858829 + (int)(dev->index % 1000),
					     "types", agnss_types(dev)),
				   NCM_REST_AGNSS, a->rest_got, to);
		return;
	}
	{
		unsigned char *buf = a->buf;
		int fragments = a->fragments;

		a->buf = NULL;
		a->parts = fragments - 1; /* on_agnss counts the whole answer as one part */
		on_agnss(dev, buf, (size_t)a->rest_total, out);
		free(buf);
	}
}

/* The REST P-GPS answer {"host","path"}: the download starts as after the MQTT answer. */
void ncm_dev_data_on_rest_pgps(struct ncm_dev *dev, const char *body, size_t len,
			       struct ncm_dev_out *out)
{
	json_t *j = json_loadb(body ? body : "", len, 0, NULL), *arr;
	char *text;

	arr = json_pack("[O?, O?]", json_object_get(j, "host"), json_object_get(j, "path"));
	text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	on_pgps(dev, text ? text : "", text ? strlen(text) : 0, out);
	free(text);
	json_decref(arr);
	json_decref(j);
}

static void pgps_piece(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	long to = dev->pgps_got + dev->p->pgps_fragment - 1;

	if (dev->pgps_total > 0 && to >= dev->pgps_total)
		to = dev->pgps_total - 1;
	ncm_dev_http_get(out, NCM_DL_PGPS, dev->pgps_url, dev->pgps_got, to);
}

static void on_pgps(struct ncm_dev *dev, const char *p, size_t len, struct ncm_dev_out *out)
{
	json_t *j = json_loadb(p, len, 0, NULL);
	const char *host = json_string_value(json_array_get(j, 0));
	const char *path = json_string_value(json_array_get(j, 1));

	/* ["host","path"] or {"appId":"PGPS","err":n} (codec nrf_cloud_pgps_response_decode()) */
	if (!host || !path || strlen(host) + strlen(path) + 10 > sizeof(dev->pgps_url)) {
		dev->n_errors++;
		ncm_dev_event(dev, out, "error", json_pack("{s:s, s:O?}", "what", "pgps", "err",
							   json_object_get(j, "err")));
		json_decref(j);
		return;
	}
	snprintf(dev->pgps_url, sizeof(dev->pgps_url), "https://%s/%s", host, path);
	json_decref(j);
	dev->pgps_active = 1;
	dev->pgps_got = 0;
	dev->pgps_total = 0;
	dev->pgps_retries = 0;
	pgps_piece(dev, out);
}

void ncm_dev_data_on_http(struct ncm_dev *dev, long st, long total, const void *data, size_t len,
			  int64_t now, struct ncm_dev_out *out)
{
	(void)now;
	(void)data;
	if (st != 206 || total <= 0 || !len || dev->pgps_got + (long)len > total) {
		if (++dev->pgps_retries > PGPS_RETRIES) {
			dev->n_errors++;
			dev->pgps_active = 0;
			ncm_dev_event(dev, out, "error", json_pack("{s:s, s:i}", "what",
								   "pgps download", "http",
								   (int)st));
			return;
		}
		pgps_piece(dev, out);
		return;
	}
	dev->pgps_retries = 0;
	/* the 16-byte header (include/nrf_cloud_pgps_schema_v1.h): schema 1, array type 10 */
	if (!dev->pgps_got) {
		const uint8_t *h = data;

		if (len < 16 || h[0] != 1 || h[1] != 10) {
			dev->n_errors++;
			dev->pgps_active = 0;
			ncm_dev_event(dev, out, "error", json_pack("{s:s}", "what", "pgps header"));
			return;
		}
	}
	dev->pgps_total = total;
	dev->pgps_got += (long)len;
	if (dev->pgps_got < total) {
		pgps_piece(dev, out);
		return;
	}
	dev->pgps_active = 0;
	ncm_dev_event(dev, out, "pgps", json_pack("{s:I}", "bytes", (json_int_t)total));
}

/* NCS <= v2.1: A-GPS and P-GPS answers came on c2d like any cloud message (docs/location.md
 * "MQTT reply topics", include/net/nrf_cloud_defs.h v2.1.0): binary data while an A-GPS
 * request is open is A-GPS, a ["host","path"] array P-GPS. 1 when the message was one. */
static int legacy_c2d(struct ncm_dev *dev, const char *topic, json_t *j, const void *payload,
		      size_t len, struct ncm_dev_out *out)
{
	(void)topic;
	if (!j && dev->agnss.active) {
		on_agnss(dev, payload, len, out);
		return 1;
	}
	if (json_array_size(j) == 2 && json_is_string(json_array_get(j, 0)) &&
	    json_is_string(json_array_get(j, 1))) {
		on_pgps(dev, payload, len, out);
		return 1;
	}
	if (!strcmp(json_string_value(json_object_get(j, "appId")) ?: "", "AGPS") &&
	    json_object_get(j, "err")) {
		on_agnss(dev, payload, len, out);
		return 1;
	}
	return 0;
}

void ncm_dev_data_on_message(struct ncm_dev *dev, const char *topic, const void *payload,
			     size_t len, int64_t now, struct ncm_dev_out *out)
{
	json_t *j;

	/* routed by topic substring (nrf_cloud_codec_internal.c nrf_cloud_dc_rx_topic_decode()) */
	if (strstr(topic, "/agnss/r") || strstr(topic, "/agps/r")) {
		on_agnss(dev, payload, len, out);
		return;
	}
	if (strstr(topic, "/pgps/r")) {
		on_pgps(dev, payload, len, out);
		return;
	}
	j = json_loadb(payload, len, 0, NULL);
	if (dev->p->pre_v22 && legacy_c2d(dev, topic, j, payload, len, out)) {
		json_decref(j);
		return;
	}
	if (strstr(topic, "/ground_fix/r") ||
	    (dev->p->pre_v22 &&
	     !strcmp(json_string_value(json_object_get(j, "appId")) ?: "", "CELL_POS"))) {
		json_t *d = json_object_get(j, "data");

		if (!d)
			d = j; /* the bare REST form is accepted too */
		if (json_is_number(json_object_get(j, "err")) ||
		    !json_is_number(json_object_get(d, "lat")) ||
		    !json_is_number(json_object_get(d, "lon"))) {
			dev->n_errors++;
			ncm_dev_event(dev, out, "error",
				      json_pack("{s:s, s:O?}", "what", "location", "err",
						json_object_get(j, "err")));
		} else {
			ncm_dev_event(dev, out, "location",
				      json_pack("{s:O, s:O, s:O?, s:O?}", "lat",
						json_object_get(d, "lat"), "lon",
						json_object_get(d, "lon"), "uncertainty",
						json_object_get(d, "uncertainty"), "fulfilledWith",
						json_object_get(d, "fulfilledWith")));
		}
		json_decref(j);
		return;
	}
	dev->n_c2d++;
	/* {"appId":"DEVICE","messageType":"DISCON"} under 200 bytes: deleted from the cloud
	 * (nrf_cloud_disconnection_request_decode()) */
	if (len < 200 && j &&
	    !strcmp(json_string_value(json_object_get(j, "appId")) ?: "", "DEVICE") &&
	    !strcmp(json_string_value(json_object_get(j, "messageType")) ?: "", "DISCON")) {
		ncm_dev_event(dev, out, "c2d", json_pack("{s:s, s:s}", "topic", topic, "what",
							 "DISCON"));
		json_decref(j);
		ncm_dev_close(dev, now, out, "deleted from the cloud (DISCON)");
		return;
	}
	{
		json_t *text = j ? json_incref(j) : json_stringn(payload, len);

		ncm_dev_event(dev, out, "c2d",
			      json_pack("{s:s, s:o}", "topic", topic, "payload",
					text ? text : json_pack("{s:I}", "bytes", (json_int_t)len)));
	}
	json_decref(j);
}

void ncm_dev_data_tick(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	if (dev->next_fota_poll && now >= dev->next_fota_poll) {
		char path[200];

		/* nrf_cloud_fota_poll.c: GET .../current; 404 = no job */
		snprintf(path, sizeof(path), "/v1/fota-job-executions/%s/current", dev->id);
		dev->next_fota_poll = now + dev->p->rest_poll_ms;
		if (dev->fota.state == NCM_FOTA_IDLE)
			ncm_dev_rest(out, "GET", path, NULL, NCM_REST_FOTA_CURRENT);
	}
	if (dev->next_telemetry && now >= dev->next_telemetry) {
		telemetry(dev, now, out);
		dev->next_telemetry += dev->p->telemetry_ms;
		if (dev->next_telemetry <= now)
			dev->next_telemetry = now + dev->p->telemetry_ms;
	}
	if (dev->next_location && now >= dev->next_location) {
		ncm_dev_request_ground_fix(dev, now, out);
		dev->next_location += dev->p->location_ms;
		if (dev->next_location <= now)
			dev->next_location = now + dev->p->location_ms;
	}
}
