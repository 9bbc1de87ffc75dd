#!/bin/sh
# Location benchmark (issue: location services): ground fixes per second over keep-alive HTTPS
# with an API key, for a fixture cell (a store lookup) and for unknown cells and access points
# (a derived position), and A-GNSS data sets (all types, made anew per request), beside
# GET /v1/devices/{id} in the same run as the baseline of a plain authenticated request.
# Loopback only. Usage: sh bench/run-location.sh [REQUESTS] [THREADS]
set -eu
cd "$(dirname "$0")/.."
requests=${1:-4000}
threads=${2:-4}
. bench/lib.sh
bench_build
bench_one_server
port=$https_port
key=$api_key
ca="$tmp/data/ca/ca.pem"
base="https://localhost:$port/v1"
load() { "$build/bench/http_load" "$@"; }
load "$base/devices/nrf-352656100000001" "$ca" "$key" 200 1 >/dev/null   # warm-up
dev=$(load "$base/devices/nrf-352656100000001" "$ca" "$key" "$requests" "$threads")
fixture=$(load "$base/location/ground-fix" "$ca" "$key" "$requests" "$threads" \
	'{"lte":[{"mcc":242,"mnc":1,"tac":3003,"eci":21858829}]}')
derived=$(load "$base/location/ground-fix" "$ca" "$key" "$requests" "$threads" \
	'{"lte":[{"mcc":242,"mnc":2,"tac":77,"eci":123456,"nmr":[{"earfcn":6300,"pci":1}]}],"wifi":{"accessPoints":[{"macAddress":"00:11:22:33:44:55"},{"macAddress":"00:11:22:33:44:66"}]}}')
agnss_n=$((requests / 4))
agnss=$(load "$base/location/agps?types=1,2,3,4,6,7,8,9,11,12,13" "$ca" "$key" "$agnss_n" \
	"$threads")
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
row() { printf '%-44s %10s %10s %10s %8s\n' "$1" "$(field "$2" rps)" "$(field "$2" p50_ms)" \
	"$(field "$2" p99_ms)" "$(field "$2" failed)"; }
printf '%-44s %10s %10s %10s %8s\n' "API key, keep-alive" "req/s" "p50 ms" "p99 ms" "failed"
row "GET /v1/devices/{id} (baseline)" "$dev"
row "POST ground-fix, fixture cell" "$fixture"
row "POST ground-fix, derived (MCELL + Wi-Fi)" "$derived"
row "GET agps, all types ($agnss_n requests)" "$agnss"
echo "($requests requests, $threads keep-alive connections, $(nproc) cores)"
