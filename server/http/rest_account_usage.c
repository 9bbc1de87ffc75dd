/* SPDX-License-Identifier: MIT
 * rest_account_usage.c: the account's usage, invoices and tags, and the devices' tags
 * (docs/protocol-rest.md#rest-surface, Account and Devices). Operation names, paths and
 * answer shapes: nRF Cloud's OpenAPI as the public generated client NauEngineering/
 * python_nRF_cloud_client (AccountApi.md, AllDevicesApi.md,
 * ApiUsageMetricsSummary.md) lists them. A lab team has no bill: invoices are an
 * empty page; usage is counted from what the mock stored (devices by type, location
 * stored messages per month).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	if (d->sub_type && strcasestr(d->sub_type, "gateway"))
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

/* GET /v1/devices/tags (ListDeviceTags, API key): the tags the team's devices carry, a page of
 * strings (PaginatedResultDeviceTagOrJSONataTransformedResponse); pageLimit is required
 * (AllDevicesApi.md list_device_tags), so its absence is refused as a bad pageLimit is. */
enum MHD_Result ncm_rest_device_tags_get(struct ncm_req *req)
{
	if (!ncm_req_query(req, "pageLimit"))
		return ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "pageLimit is required (1-%d)", MAX_PAGE);
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, NULL, tags_fill, NULL);
}

/* GET /v1/account/tags (ListTags, API key): all the team's tags, one page of strings
 * (PaginatedResultDeviceTag.md: items are strings; AccountApi.md list_tags takes no paging
 * parameters). In the mock the team's tags are those its devices carry. */
#define ALL_TAGS 10000
enum MHD_Result ncm_rest_account_tags_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, ALL_TAGS, ALL_TAGS, NULL, tags_fill, NULL);
}

static int count_one(const struct ncm_message *m, void *userdata)
{
	(void)m;
	++*(int64_t *)userdata;
	return 0;
}

/* Messages stored in [start_ms, end_ms); negative on a store failure. */
static int64_t stored_between(int64_t start_ms, int64_t end_ms)
{
	struct ncm_message_filter f = { 0 };
	int64_t n = 0;

	f.start_ms = start_ms;
	f.end_ms = end_ms;
	f.limit = INT_MAX;
	if (ncm_store_message_query(ncm_rt_db(), &f, count_one, &n, NULL))
		return -1;
	return n;
}

/* The first millisecond of the UTC month months_back before the one of now_ms. */
static int64_t month_start_ms(int64_t now_ms, int months_back)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon -= months_back;
	while (tm.tm_mon < 0) {
		tm.tm_mon += 12;
		tm.tm_year--;
	}
	return (int64_t)timegm(&tm) * 1000;
}

/* One ServiceUsageSummary: the month starting at start_ms ("date" YYYY-MM), its stored
 * messages; the mock routes no messages and meters no location or FOTA use (0 and {}). */
static json_t *month_usage(int64_t start_ms, int64_t stored)
{
	char date[40];

	ncm_rt_iso8601(start_ms, date, sizeof(date));
	date[7] = '\0';
	return json_pack("{s:s,s:i,s:{},s:I,s:i}", "date", date, "fotaJobExecutions", 0,
			 "locationServices", "storedDeviceMessages", (json_int_t)stored,
			 "messagesRouted", 0);
}

/* GET /v1/account/usage/summary (FetchApiUsageSummary): {"currentDevices":{"generic",
 * "gateway","bluetoothLE","total"},"services":[ServiceUsageSummary...]} with one
 * {"date","fotaJobExecutions","locationServices","storedDeviceMessages","messagesRouted"} for
 * the current and one for the previous month (AccountApi.md: "a summary ... for the current
 * and previous month", the device counts a snapshot, the rest cumulative per month;
 * ApiUsageMetricsSummary.md, DeviceCountByType.md, ServiceUsageSummary.md; locationServices
 * keys AGPS, PGPS, SCELL, MCELL, WIFI, REVERSE_GEO are optional, so the unmetered mock sends
 * none). The month's date is YYYY-MM, the monthly form ListApiUsage documents. */
enum MHD_Result ncm_rest_usage_summary_get(struct ncm_req *req)
{
	struct ncm_err_info err = { 0 };
	struct tag_ctx c;
	int rc = scan(&c, &err);
	int64_t now = ncm_rt_now_ms(), cur = month_start_ms(now, 0), prev = month_start_ms(now, 1);
	int64_t stored_cur = stored_between(cur, 0), stored_prev = stored_between(prev, cur);

	json_decref(c.tags);
	if (rc || stored_cur < 0 || stored_prev < 0)
		return ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s",
				       rc ? err.msg : "cannot count messages");
	return ncm_reply_json(
		req, MHD_HTTP_OK,
		json_pack("{s:{s:I,s:I,s:I,s:I},s:[o,o]}", "currentDevices", "generic", c.generic,
			  "gateway", c.gateway, "bluetoothLE", c.ble, "total",
			  c.generic + c.gateway + c.ble, "services",
			  month_usage(cur, stored_cur), month_usage(prev, stored_prev)));
}

/* YYYY-MM (7) or YYYY-MM-DD (10) with a real month and day; 0 for anything else. */
static int usage_date_form(const char *v)
{
	int y, m, d, n = 0;
	size_t len = v ? strlen(v) : 0;

	if (len == 7 && sscanf(v, "%4d-%2d%n", &y, &m, &n) == 2 && n == 7 && v[4] == '-' &&
	    m >= 1 && m <= 12)
		return 7;
	if (len == 10 && sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 &&
	    v[4] == '-' && v[7] == '-' && m >= 1 && m <= 12 && d >= 1 && d <= 31)
		return 10;
	return 0;
}

/* ListApiUsage's required ?inclusiveStart= and ?exclusiveEnd=: both YYYY-MM (monthly) or both
 * YYYY-MM-DD (daily), AccountApi.md list_api_usage; 42200 otherwise (nRF Cloud's validation
 * code, docs/protocol-rest.md#errors). 0, or -1 after answering. */
static int check_range(struct ncm_req *req, enum MHD_Result *ret)
{
	const char *start = ncm_req_query(req, "inclusiveStart");
	const char *end = ncm_req_query(req, "exclusiveEnd");
	const char *sort = ncm_req_query(req, "pageSort");
	int fs = usage_date_form(start), fe = usage_date_form(end);

	if (!fs || !fe || fs != fe) {
		*ret = ncm_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, 42200,
				       "inclusiveStart and exclusiveEnd are required, both YYYY-MM "
				       "(monthly) or both YYYY-MM-DD (daily)");
		return -1;
	}
	if (sort && strcmp(sort, "asc") && strcmp(sort, "desc")) {
		*ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				       "pageSort must be asc or desc");
		return -1;
	}
	return 0;
}

static int empty_fill(const char *after, int limit, json_t *items, void *userdata,
		      struct ncm_err_info *err)
{
	(void)after, (void)limit, (void)items, (void)userdata, (void)err;
	return 0;
}

/* GET /v1/account/usage (ListApiUsage): daily or monthly records {"date","service",
 * "serviceType","source","sum"} of the period (PaginatedResultOmitApiUsageMetricRecordTenantId,
 * PickApiUsageMetricRecordExcludeKeyofApiUsageMetricRecordTenantId.md), none for a period
 * without use. The mock meters nothing it would bill, so the page is empty; its queries are
 * still checked. */
enum MHD_Result ncm_rest_usage_get(struct ncm_req *req)
{
	enum MHD_Result ret;

	if (check_range(req, &ret))
		return ret;
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", empty_fill, NULL);
}

/* GET /v1/account/invoices (ListInvoices): a page of InvoiceResponse {"invoiceId","total",
 * "url","status","statusUpdatedAt"?,"currencyCode","paymentId"?,"amountFormatted"}
 * (PaginatedResultInvoiceResponse.md, InvoiceResponse.md); a lab team is never billed: an
 * empty page. */
enum MHD_Result ncm_rest_invoices_get(struct ncm_req *req)
{
	return ncm_rest_paged(req, DEFAULT_PAGE, MAX_PAGE, "id", empty_fill, NULL);
}
