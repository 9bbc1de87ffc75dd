/* SPDX-License-Identifier: MIT
 * jsonata_bench.c: what a shadow transform costs. Evaluates a mix of transforms devices and
 * backends send (the SDK's pairing transform, paths, predicates, aggregation, string building,
 * grouping, lambdas, regexes) with ncm_jsonata_eval over a 2 KB device shadow, repeatedly for
 * about SECONDS seconds, and prints expressions per second for each and for the mix, plus the
 * worst hostile case (an expression that runs into the step limit). Single thread.
 * Usage: jsonata_bench [SECONDS]   (bench/run-jsonata.sh builds and runs it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jsonata.h"

static const char shadow[] =
	"{\"id\":\"nrf-352656100000001\",\"name\":\"tracker-7\",\"type\":\"Generic\","
	"\"description\":\"Thingy:91 on the delivery van, replaced battery in March, firmware from the "
	"fleet-a channel; reports every five minutes while moving and hourly otherwise.\","
	"\"tags\":[\"fleet-a\",\"outdoor\"],\"tenantId\":\"a1b2c3d4-0000-4000-8000-000000000001\","
	"\"subType\":\"jitp\",\"firmware\":{\"supports\":[\"APP\",\"MODEM\",\"BOOT\"],"
	"\"app\":{\"name\":\"asset_tracker_v2\",\"version\":\"2.5.0\"},\"modem\":\"mfw_nrf9160_1.3.5\"},"
	"\"state\":{\"desired\":{\"nrfcloud_mqtt_topic_prefix\":\"prod/a1b2c3d4/\","
	"\"pairing\":{\"state\":\"paired\",\"topics\":{\"d2c\":\"prod/a1b2c3d4/m/d/nrf-352656100000001/d2c\","
	"\"c2d\":\"prod/a1b2c3d4/m/d/nrf-352656100000001/+/r\"}},\"config\":{\"activeMode\":true,"
	"\"activeWaitTime\":120,\"movementResolution\":120,\"movementTimeout\":3600,\"accThreshAct\":4,"
	"\"accThreshInact\":4,\"accTimeoutInact\":60,\"nod\":[\"gnss\"],\"sampleInterval\":300}},"
	"\"reported\":{\"connection\":{\"status\":\"connected\",\"keepalive\":1200},"
	"\"device\":{\"deviceInfo\":{\"appVersion\":\"2.5.0\",\"modemFirmware\":\"mfw_nrf9160_1.3.5\","
	"\"imei\":\"352656100000001\",\"board\":\"thingy91_nrf9160\",\"hwVer\":\"nRF9160 SICA B1A\"},"
	"\"simInfo\":{\"uiccMode\":0,\"iccid\":\"89457300000012345678\",\"imsi\":\"204047400000001\"},"
	"\"networkInfo\":{\"currentBand\":20,\"networkMode\":\"LTE-M\",\"rsrp\":-97,\"areaCode\":2305,"
	"\"mccmnc\":\"24202\",\"cellID\":33703719,\"ipAddress\":\"10.160.33.47\",\"eest\":7},"
	"\"serviceInfo\":{\"fota_v2\":[\"BOOT\",\"MODEM\",\"APP\"],\"ui\":[\"GNSS\",\"BUTTON\",\"TEMP\","
	"\"HUMID\",\"AIR_PRESS\",\"RSRP\"]},\"battery\":4012},\"config\":{\"activeMode\":true,"
	"\"activeWaitTime\":120,\"sampleInterval\":300,\"nod\":[]},\"sensors\":["
	"{\"name\":\"temp\",\"v\":21.5,\"ts\":1700000000000},{\"name\":\"hum\",\"v\":40,\"ts\":1700000000500},"
	"{\"name\":\"press\",\"v\":101.325,\"ts\":1700000001000},{\"name\":\"temp\",\"v\":22.25,"
	"\"ts\":1700000060000}],\"fota\":{\"jobs\":[{\"id\":\"j1\",\"status\":\"SUCCEEDED\",\"progress\":100},"
	"{\"id\":\"j2\",\"status\":\"IN_PROGRESS\",\"progress\":42}]}}},"
	"\"metadata\":{\"desired\":{\"config\":{\"activeMode\":{\"timestamp\":1700000000}}},"
	"\"reported\":{\"device\":{\"battery\":{\"timestamp\":1700000100}}}},\"version\":17,"
	"\"timestamp\":1700000200,\"createdAt\":\"2023-11-14T22:13:20.000Z\"}";

static const char *const mix[] = {
	"{ \"nrfcloud_mqtt_topic_prefix\": state.desired.nrfcloud_mqtt_topic_prefix, "
	"\"pairing\": state.desired.pairing }",
	"state.reported.device.networkInfo.rsrp",
	"state.reported.sensors[name = \"temp\"].v ~> $max()",
	"$sum(state.reported.sensors.v) / $count(state.reported.sensors)",
	"\"fw \" & state.reported.device.deviceInfo.appVersion & \" on \" & "
	"$uppercase(state.reported.device.deviceInfo.board)",
	"state.reported.sensors{name: $average(v)}",
	"$map(state.reported.sensors, function($s){$s.name & \"=\" & $string($s.v)}) ~> $join(\",\")",
	"$match(state.reported.device.deviceInfo.modemFirmware, /([0-9]+)\\.([0-9]+)\\.([0-9]+)/)"
	".groups",
	"$keys(state.desired.config)[$ ~> $contains(\"acc\")]",
	"$ ~> |state.reported|{\"battery\": state.reported.device.battery / 1000}, [\"sensors\"]|",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Evaluations per second of expr over doc, measured for about secs seconds. */
static double rate(const char *expr, const json_t *doc, double secs)
{
	struct ncm_jsonata_error err;
	double t0 = now_s(), t;
	long n = 0;

	do {
		for (int i = 0; i < 50; i++) {
			json_t *r = ncm_jsonata_eval(expr, strlen(expr), doc, &err);

			if (!r && err.code) {
				fprintf(stderr, "jsonata_bench: '%s' failed: %s\n", expr, err.message);
				exit(1);
			}
			json_decref(r);
		}
		n += 50;
		t = now_s() - t0;
	} while (t < secs);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, total = 0, t0, t;
	json_t *doc = json_loads(shadow, 0, NULL);
	struct ncm_jsonata_error err;
	const char *hostile = "($f := function($n){$f($n + 1) + 1}; [1..100000].$string($))";
	size_t k, n = sizeof(mix) / sizeof(mix[0]);

	if (!doc) {
		fprintf(stderr, "jsonata_bench: bad shadow\n");
		return 1;
	}
	printf("shadow: %zu bytes of JSON\n", strlen(shadow));
	for (k = 0; k < n; k++) {
		double r = rate(mix[k], doc, secs / (double)n);

		total += 1 / r;
		printf("%10.0f expr/s  %.70s%s\n", r, mix[k], strlen(mix[k]) > 70 ? "..." : "");
	}
	printf("jsonata: %.0f expressions/s on a 2 KB shadow (the mix above, one thread)\n",
	       (double)n / total);
	t0 = now_s();
	json_decref(ncm_jsonata_eval(hostile, strlen(hostile), doc, &err));
	t = now_s() - t0;
	printf("hostile: refused in %.1f ms (%s)\n", t * 1000, err.code ? err.message : "answered");
	json_decref(doc);
	return 0;
}
