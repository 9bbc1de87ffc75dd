/* SPDX-License-Identifier: MIT
 * dev_fota.c: FOTA over MQTT as the SDK's nrf_cloud_fota.c does it (v2.5.0 .. v3.3.0): the job
 * array on jobs/rcv, checks, the download in ranged pieces of the fragment size with retries
 * (resume from the last good byte after a reset or stall), SHA-256 of the image, the status
 * arrays on jobs/update, the "reboot" and the validated report at the next pairing. --fota
 * reject|fail-at=P exercise the cloud's failure paths. Pure (see dev.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_internal.h"

/* enum nrf_cloud_fota_status (include/net/nrf_cloud.h) */
enum { ST_IN_PROGRESS = 1, ST_FAILED = 2, ST_SUCCEEDED = 3, ST_REJECTED = 6, ST_DOWNLOADING = 7 };

/* fota_download retries a broken transfer (CONFIG_FOTA_SOCKET_RETRIES, default 2); the sim
 * allows a few more so one injected fault per piece never fails a job. */
#define PIECE_RETRIES 4

void ncm_dev_fota_jobs_topic(const struct ncm_dev *dev, const char *leaf, char *buf, size_t size)
{
	/* <prefix><id>/jobs/<leaf>, no "m/d/" (nrf_cloud_fota.c build_topic()) */
	snprintf(buf, size, "%s%s/jobs/%s", dev->prefix, dev->id, leaf);
}

/* [jobId, status, detail]: detail is the percent (a number) while DOWNLOADING, else a string
 * (nrf_cloud_codec_internal.c nrf_cloud_obj_fota_job_update_create()). */
static void status(struct ncm_dev *dev, struct ncm_dev_out *out, int st, int pct,
		   const char *detail)
{
	char t[400];
	json_t *j;

	if (dev->p->rest) {
		/* PATCH .../fota-job-executions/<id>/<job> {"status"[,"details"]}: IN_PROGRESS when
		 * the download starts, no progress, then the final status (rest/src/
		 * nrf_cloud_rest.c nrf_cloud_rest_fota_job_update(), common/src/nrf_cloud_fota_poll.c) */
		static const char *const names[] = { "QUEUED", "IN_PROGRESS", "FAILED", "SUCCEEDED",
						     "TIMED_OUT", "CANCELLED", "REJECTED",
						     "DOWNLOADING" };

		if (st == ST_DOWNLOADING && pct > 0)
			return;
		if (st == ST_DOWNLOADING)
			st = ST_IN_PROGRESS;
		if (st == ST_IN_PROGRESS && dev->fota.state == NCM_FOTA_DONE_WAIT_ACK)
			return; /* image complete: the reboot comes next, nothing to report */
		j = json_pack("{s:s}", "status", names[st]);
		if (detail && *detail)
			json_object_set_new(j, "details", json_string(detail));
		snprintf(t, sizeof(t), "/v1/fota-job-executions/%s/%s", dev->id, dev->fota.job);
		dev->n_sent++;
		ncm_dev_rest(out, "PATCH", t, j, NCM_REST_FOTA_PATCH);
		return;
	}
	j = json_pack("[s, i]", dev->fota.job, st);
	json_array_append_new(j, st == ST_DOWNLOADING ? json_integer(pct)
						      : json_string(detail ? detail : ""));
	ncm_dev_fota_jobs_topic(dev, "update", t, sizeof(t));
	dev->fota_unacked++;
	ncm_dev_pub_json(dev, out, t, j, 1, NCM_TAG_JOBS_UPDATE);
}

static void finish(struct ncm_dev *dev, struct ncm_dev_out *out, const char *outcome)
{
	ncm_dev_event(dev, out, "fota", json_pack("{s:s, s:s}", "job", dev->fota.job, "status",
						  outcome));
	snprintf(dev->fota.last_done, sizeof(dev->fota.last_done), "%s", dev->fota.job);
	dev->fota.state = NCM_FOTA_IDLE;
	ncm_dev_fota_free(dev);
}

void ncm_dev_fota_free(struct ncm_dev *dev)
{
	EVP_MD_CTX_free(dev->fota.sha);
	dev->fota.sha = NULL;
	EVP_MD_CTX_free(dev->fota.img_sha);
	dev->fota.img_sha = NULL;
	free(dev->fota.tlv);
	dev->fota.tlv = NULL;
	dev->fota.tlv_len = 0;
	dev->fota.mcuboot = 0;
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long le32(const unsigned char *p)
{
	return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/* MCUboot image layout (mcuboot boot/bootutil/include/bootutil/image.h, v1.10.0): a header
 * { u32 magic 0x96f3b83d, u32 load address, u16 header size, u16 protected TLV size,
 * u32 image size, ... } at offset 0, the TLV area at header size + image size: an optional
 * protected block (info magic 0x6908) then the unprotected one (0x6907), each an info
 * { u16 magic, u16 total length incl. the info } followed by TLVs { u8 type, u8 pad,
 * u16 length, value }. IMAGE_TLV_SHA256 (0x10, 32 bytes) is the SHA-256 of everything before
 * the unprotected block; MCUboot's bootutil_img_validate() refuses an image whose digest
 * differs, so the device never runs it. Looks at the first piece: sets mcuboot and the
 * ranges to hash and keep. */
static void mcuboot_header(struct ncm_dev *dev, const unsigned char *p, size_t len)
{
	long hdr, prot, img;

	if (len < 32 || le32(p) != 0x96f3b83dUL)
		return;
	hdr = (long)le16(p + 8);
	prot = (long)le16(p + 10);
	img = (long)le32(p + 12);
	if (hdr < 32 || img <= 0 || hdr + img + prot > dev->fota.size)
		return;
	dev->fota.mcuboot = 1;
	dev->fota.tlv_off = hdr + img;
	dev->fota.hash_len = hdr + img + prot;
	dev->fota.img_sha = EVP_MD_CTX_new();
	dev->fota.tlv = malloc(NCM_DEV_TLV_MAX);
	if (!dev->fota.img_sha || !dev->fota.tlv ||
	    !EVP_DigestInit_ex(dev->fota.img_sha, EVP_sha256(), NULL))
		abort();
	dev->fota.tlv_len = 0;
}

/* One piece at offset at into the image digest and the kept TLV area. */
static void mcuboot_piece(struct ncm_dev *dev, long at, const unsigned char *p, size_t len)
{
	long end = at + (long)len, from, to;

	if (!dev->fota.mcuboot)
		return;
	to = end < dev->fota.hash_len ? end : dev->fota.hash_len;
	if (to > at)
		EVP_DigestUpdate(dev->fota.img_sha, p, (size_t)(to - at));
	from = at > dev->fota.tlv_off ? at : dev->fota.tlv_off;
	for (; from < end && (size_t)(from - dev->fota.tlv_off) < NCM_DEV_TLV_MAX; from++)
		dev->fota.tlv[dev->fota.tlv_len++] = p[from - at];
}

/* 1 when the finished MCUboot image's SHA-256 TLV equals its digest, 0 when not (or no
 * such TLV: MCUboot requires one), -1 for an image without the MCUboot header. */
static int mcuboot_verify(struct ncm_dev *dev, char *want_hex, char *got_hex)
{
	unsigned char md[32];
	unsigned n = 0, i;
	const unsigned char *t = dev->fota.tlv;
	size_t off = 0, end, len = dev->fota.tlv_len;
	long prot = dev->fota.hash_len - dev->fota.tlv_off;

	if (!dev->fota.mcuboot)
		return -1;
	EVP_DigestFinal_ex(dev->fota.img_sha, md, &n);
	for (i = 0; i < 32; i++)
		snprintf(got_hex + 2 * i, 3, "%02x", md[i]);
	*want_hex = 0;
	if (prot) {
		if (len < 4 || le16(t) != 0x6908 || (long)le16(t + 2) != prot)
			return 0;
		off = (size_t)prot;
	}
	if (off + 4 > len || le16(t + off) != 0x6907)
		return 0;
	end = off + le16(t + off + 2);
	if (end > len)
		return 0;
	for (off += 4; off + 4 <= end; off += 4 + le16(t + off + 2)) {
		if (t[off] != 0x10 || le16(t + off + 2) != 32)
			continue;
		if (off + 4 + 32 > end)
			return 0;
		for (i = 0; i < 32; i++)
			snprintf(want_hex + 2 * i, 3, "%02x", t[off + 4 + i]);
		return !memcmp(t + off + 4, md, 32);
	}
	return 0;
}

static void request_piece(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	long to = dev->fota.got + dev->p->fragment - 1;

	if (dev->fota.size > 0 && to >= dev->fota.size)
		to = dev->fota.size - 1;
	ncm_dev_http_get(out, NCM_DL_FOTA, dev->fota.url, dev->fota.got, to);
}

/* The version a bundle path names: the last '*' field of its bundle ID segment
 * ("<tenant>/APP*1e29dfa3*v2.0.1/<file>.bin" -> "v2.0.1"). */
static void path_version(const char *path, char *out, size_t size)
{
	const char *star = NULL, *p, *end;

	for (p = path; *p && *p != ' '; p++)
		if (*p == '*')
			star = p;
	out[0] = 0;
	if (!star)
		return;
	end = strchr(star, '/');
	if (!end)
		end = star + strlen(star);
	snprintf(out, size, "%.*s", (int)(end - star - 1), star + 1);
}

void ncm_dev_fota_on_job(struct ncm_dev *dev, const void *payload, size_t len, int64_t now,
			 struct ncm_dev_out *out)
{
	json_t *j = json_loadb(payload, len, 0, NULL);
	const char *id = json_string_value(json_array_get(j, 0));
	json_t *type = json_array_get(j, 1), *size = json_array_get(j, 2);
	const char *host = json_string_value(json_array_get(j, 3));
	const char *path = json_string_value(json_array_get(j, 4));
	char saved[40];

	(void)now;
	/* checks of nrf_cloud_fota.c handle_mqtt_evt_publish() */
	if (!id || !*id || strlen(id) >= sizeof(dev->fota.job)) {
		/* no readable job ID (also "[]": no job): silently ignored */
		json_decref(j);
		return;
	}
	if (dev->fota.state != NCM_FOTA_IDLE) {
		json_decref(j);
		return; /* a job is already held */
	}
	if (!strcmp(id, dev->fota.last_done)) {
		json_decref(j);
		return; /* "already completed" */
	}
	snprintf(saved, sizeof(saved), "%s", dev->fota.job);
	snprintf(dev->fota.job, sizeof(dev->fota.job), "%s", id);
	ncm_dev_event(dev, out, "fota", json_pack("{s:s, s:s}", "job", id, "status", "received"));
	if (json_array_size(j) != 5 || !json_is_integer(type) || !json_is_integer(size) || !host ||
	    !path || json_integer_value(size) <= 0 ||
	    strlen(host) + strlen(path) + 10 > sizeof(dev->fota.url)) {
		status(dev, out, ST_REJECTED, 0, "Job info is invalid");
		finish(dev, out, "REJECTED");
		json_decref(j);
		return;
	}
	dev->fota.type = (int)json_integer_value(type);
	/* the sim's firmware supports what it reports in serviceInfo.fota_v2: BOOT, MODEM, APP */
	if (dev->fota.type != 0 && dev->fota.type != 1 && dev->fota.type != 2) {
		status(dev, out, ST_REJECTED, 0, "FOTA type not supported");
		finish(dev, out, "REJECTED");
		json_decref(j);
		return;
	}
	if (dev->p->fota == NCM_FOTA_REJECT) {
		/* an image the target refuses: REJECTED with no detail */
		status(dev, out, ST_REJECTED, 0, "");
		finish(dev, out, "REJECTED");
		json_decref(j);
		return;
	}
	dev->fota.size = (long)json_integer_value(size);
	dev->fota.got = 0;
	dev->fota.last_pct = 0;
	dev->fota.retries = 0;
	/* no scheme in the job: HTTPS because a sec tag is used, the host may carry a port
	 * (nrf_cloud_fota.c start_job(), downloader dl_parse_url_port()) */
	snprintf(dev->fota.url, sizeof(dev->fota.url), "https://%s/%s", host, path);
	path_version(path, dev->fota.version, sizeof(dev->fota.version));
	if (!dev->fota.sha)
		dev->fota.sha = EVP_MD_CTX_new();
	if (!dev->fota.sha || !EVP_DigestInit_ex(dev->fota.sha, EVP_sha256(), NULL))
		abort();
	dev->fota.state = NCM_FOTA_DOWNLOADING;
	status(dev, out, ST_DOWNLOADING, 0, NULL);
	request_piece(dev, out);
	json_decref(j);
}

void ncm_dev_fota_on_http(struct ncm_dev *dev, long st, long total, const void *data, size_t len,
			  int64_t now, struct ncm_dev_out *out)
{
	int pct;

	/* a ranged request must get 206 with the total after '/' in Content-Range
	 * (downloader transports/http.c) */
	if (st != 206 || total <= 0 || (long)len <= 0 || dev->fota.got + (long)len > total) {
		if (++dev->fota.retries > PIECE_RETRIES) {
			dev->n_errors++;
			status(dev, out, ST_FAILED, 0, "Error during download");
			finish(dev, out, "FAILED");
			return;
		}
		ncm_dev_event(dev, out, "fota", json_pack("{s:s, s:s, s:i, s:I}", "job",
							  dev->fota.job, "status", "resume",
							  "http", (int)st, "at",
							  (json_int_t)dev->fota.got));
		request_piece(dev, out);
		return;
	}
	dev->fota.retries = 0;
	dev->fota.size = total;
	EVP_DigestUpdate(dev->fota.sha, data, len);
	if (dev->fota.got == 0 && (dev->fota.type == 0 || dev->fota.type == 2))
		mcuboot_header(dev, data, len); /* APP and BOOT images go through MCUboot */
	mcuboot_piece(dev, dev->fota.got, data, len);
	dev->fota.got += (long)len;
	pct = (int)(dev->fota.got * 100 / dev->fota.size);
	if (dev->p->fota == NCM_FOTA_FAIL_AT && pct >= dev->p->fota_fail_pct) {
		status(dev, out, ST_FAILED, 0, "Error during download");
		finish(dev, out, "FAILED");
		return;
	}
	/* progress every CONFIG_NRF_CLOUD_FOTA_PROGRESS_PCT_INCREMENT (10) percent */
	if (pct / 10 > dev->fota.last_pct / 10 || (pct == 100 && dev->fota.last_pct != 100)) {
		dev->fota.last_pct = pct;
		status(dev, out, ST_DOWNLOADING, pct, NULL);
	}
	if (dev->fota.got < dev->fota.size) {
		request_piece(dev, out);
		return;
	}
	{
		unsigned char md[32];
		unsigned n = 0, i;

		EVP_DigestFinal_ex(dev->fota.sha, md, &n);
		for (i = 0; i < 32; i++)
			snprintf(dev->fota.sha_hex + 2 * i, 3, "%02x", md[i]);
	}
	ncm_dev_event(dev, out, "fota", json_pack("{s:s, s:s, s:I, s:s}", "job", dev->fota.job,
						  "status", "downloaded", "bytes",
						  (json_int_t)dev->fota.size, "sha256",
						  dev->fota.sha_hex));
	{
		char want[65] = "", got[65] = "";
		int ok = mcuboot_verify(dev, want, got);

		if (ok == 0) {
			/* The image names a SHA-256 it does not have: the bootloader will not
			 * run it. FAILED with nrf_cloud_fota.c's NRF_CLOUD_FOTA_ERROR_APPLY_FAIL
			 * text (REST: nrf_cloud_fota_poll.c FOTA_STATUS_DETAILS_MCU_ERR), reported
			 * now instead of after a reboot into the old image. */
			dev->n_errors++;
			ncm_dev_event(dev, out, "fota",
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "job", dev->fota.job,
						"status", "mismatch", "what", "image SHA-256",
						"expected", want, "got", got));
			status(dev, out, ST_FAILED, 0,
			       dev->p->rest ? "Update could not be validated"
					    : "Error applying update");
			finish(dev, out, "FAILED");
			return;
		}
		if (ok == 1)
			ncm_dev_event(dev, out, "fota",
				      json_pack("{s:s, s:s, s:s}", "job", dev->fota.job, "status",
						"verified", "sha256", got));
	}
	/* image complete: IN_PROGRESS, reboot after its PUBACK (start_job(),
	 * http_fota_handler() FOTA_DOWNLOAD_EVT_FINISHED) */
	dev->fota.state = NCM_FOTA_DONE_WAIT_ACK;
	status(dev, out, ST_IN_PROGRESS, 0, "");
	if (dev->p->rest)
		ncm_dev_fota_on_puback(dev, now, out); /* nothing to wait for: reboot */
}

void ncm_dev_fota_on_puback(struct ncm_dev *dev, int64_t now, struct ncm_dev_out *out)
{
	if (dev->fota_unacked > 0)
		dev->fota_unacked--;
	if (dev->fota.state != NCM_FOTA_DONE_WAIT_ACK || dev->fota_unacked)
		return;
	/* NRF_CLOUD_EVT_FOTA_DONE: the application reboots into the new image; the session
	 * flag is cleared after a FOTA (nrf_cloud_fota.c) */
	dev->session_saved = 0;
	if (dev->fota.version[0]) {
		if (dev->fota.type == 1)
			snprintf(dev->modem_fw, sizeof(dev->modem_fw), "%s", dev->fota.version);
		else if (dev->fota.type == 0)
			snprintf(dev->app_version, sizeof(dev->app_version), "%s",
				 dev->fota.version);
	}
	dev->fota.state = NCM_FOTA_REBOOTING;
	ncm_dev_reboot(dev, now, out);
}

int ncm_dev_fota_report_validated(struct ncm_dev *dev, struct ncm_dev_out *out)
{
	if (dev->fota.state != NCM_FOTA_VALIDATE)
		return 0;
	status(dev, out, ST_SUCCEEDED, 0, "");
	dev->fota_report_tag_pending = 1;
	finish(dev, out, "SUCCEEDED");
	return 1;
}
