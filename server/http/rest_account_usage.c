/* SPDX-License-Identifier: MIT
 * rest_account_usage.c: the account's usage, invoices and tags, and the devices' tags
 * (docs/protocol-rest.md#rest-surface, Account and Devices). Operation names, paths and
 * answer shapes: nRF Cloud's OpenAPI as the public generated client NauEngineering/
 * python_nRF_cloud_client (AccountApi.md, AllDevicesApi.md,
 * ApiUsageMetricsSummary.md) lists them. A lab team has no bill: invoices are an
 * empty page; usage is counted from what the mock stored (devices by type, location
 * stored messages).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "messages.h"
#include "rest_common.h"
#include "runtime.h"

#define MAX_PAGE 100
#define DEFAULT_PAGE 10

struct tag_ctx {
	json_t *tags;                      /* object: tag -> true, sorted when listed */
	json_int_t generic, gateway, ble;  /* devices by type */
};

/* Collects the tags and counts the type of each device (subType containing "gateway" makes
 * a Gateway, docs/protocol-rest.md#onboarding). */
static int collect(const struct ncm_device *d, void *userdata)
{
	struct tag_ctx *c = userdata;
	json_t *tags = json_loads(d->tags_json ? d->tags_json : "[]", 0, NULL), *t;
	size_t i;

	json_array_foreach(tags, i, t)
		if (json_is_string(t))
			json_object_set_new(c->tags, json_string_value(t), json_true());
	json_decref(tags);
	if (d->sub_type && strstr(d->sub_type, "gateway"))
		c->gateway++;
	else
		c->generic++;
	return 0;
}

static int scan(struct tag_ctx *c, struct ncm_err_info *err)
{
	memset(c, 0, sizeof(*c));
	c->tags = json_object();
	return ncm_store_device_foreach(ncm_rt_db(), collect, c, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fills a page of the team's tags in name order (the tag is its own page key). */
static int tags_fill(const char *after, int limit, json_t *items, void *userdata,
		     struct ncm_err_info *err)
{
	struct tag_ctx c;
	const char **names = NULL;
	const char *k;
	json_t *v;
	size_t n = 0, i;
	int rc;

	(void)userdata;
	rc = scan(&c, err);
	if (!rc && (names = calloc(json_object_size(c.tags) + 1, sizeof(*names)))) {
		json_object_foreach(c.tags, k, v)
			names[n++] = k;
		qsort(names, n, sizeof(*names), cmp_str);
		for (i = 0; i < n && json_array_size(items) < (size_t)limit; i++)
			if (strcmp(names[i], after) > 0)
				json_array_append_new(items, json_string(names[i]));
	}
	free(names);
	json_decref(c.tags);
	return rc;
}

/* GET /v1/devices/tags (ListDeviceTags, API key): the tags the team's devices carry, paged. */
enum MHD_Result ncm_rest_device_tags_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, NULL, tags_fill, NULL);
}

/* GET /v1/account/tags (ListTags, API key): the team's tags; in the mock these are the tags
 * its devices carry (tags exist only on devices here). */
enum MHD_Result ncm_rest_account_tags_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, NULL, tags_fill, NULL);
}

/* GET /v1/account/usage/summary (FetchApiUsageSummary): {"currentDevices":{"generic",
 * "gateway","bluetoothLE","total"}, "services":[{"date","fotaJobExecutions",
 * "locationServices","storedDeviceMessages","messagesRouted"}]} (SPEC ApiUsageMetricsSummary,
 * DeviceCountByType, ServiceUsageSummary). One services entry, today's, with the messages the
 * store holds; the mock routes no messages and meters no location or FOTA use. */
enum MHD_Result ncm_rest_usage_summary_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct tag_ctx c;
	char today[40];
	int rc = scan(&c, &err);
	int64_t stored = ncm_store_message_count(ncm_rt_db(), NULL);

	json_decref(c.tags);
	if (rc || stored < 0)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s",
				       rc ? err.msg : "cannot count messages");
	ncm_rt_iso8601(ncm_rt_now_ms(), today, sizeof(today));
	today[10] = '\0';
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:{s:I,s:I,s:I,s:I},s:[{s:s,s:i,s:{},s:I,s:i}]}", "currentDevices",
			  "generic", c.generic, "gateway", c.gateway, "bluetoothLE", c.ble, "total",
			  c.generic + c.gateway + c.ble, "services", "date", today,
			  "fotaJobExecutions", 0, "locationServices", "storedDeviceMessages",
			  (json_int_t)stored, "messagesRouted", 0));
}

/* ?start= / ?end= when given must be ISO 8601 times (42200 otherwise, nRF Cloud's validation
 * code, docs/protocol-rest.md#errors). 0, or -1 after answering. */
static int check_range(struct ncm_req *req, enum MHD_Result *ret)
{
	static const char *const names[] = { "start", "end" };
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = ncm_req_query(req, names[i]);

		if (v && ncm_iso8601_parse_ms(v) < 0) {
			*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
					       "%s must be an ISO 8601 date-time", names[i]);
			return -1;
		}
	}
	return 0;
}

static int empty_fill(const char *after, int limit, json_t *items, void *userdata,
		      struct ncm_err_info *err)
{
	(void)after, (void)limit, (void)items, (void)userdata, (void)err;
	return 0;
}

/* GET /v1/account/usage (ListApiUsage): the metered calls of the period. The mock meters
 * nothing it would bill, so the page is empty; its queries are still checked. */
enum MHD_Result ncm_rest_usage_get(struct ncm_req *req)
{
	enum MHD_Result ret;

	if (check_range(req, &ret))
		return ret;
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", empty_fill, NULL);
}

/* GET /v1/account/invoices (ListInvoices): a lab team is never billed: an empty page. */
enum MHD_Result ncm_rest_invoices_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", empty_fill, NULL);
}
