#!/bin/sh
# REST benchmark (issue: REST API): requests per second and latency of GET /v1/devices/{id}
# with an API key and with a device JWT (each request verifies one ES256 signature), beside
# `openssl speed ecdsap256` measured in the same run: the verify rate is the physical limit for
# JWT checks on this machine. Loopback only. Usage: sh bench/run-rest.sh [REQUESTS] [THREADS]
set -eu
cd "$(dirname "$0")/.."
requests=${1:-4000}
threads=${2:-4}
. bench/lib.sh
bench_build
bench_one_server
port=$https_port
key=$api_key
dev=nrf-352656100000001
url="https://localhost:$port/v1/devices/$dev"
jwt=$("$build/bench/make_jwt" "$dev" "$tmp/data/devices/$dev.key")
ca="$tmp/data/ca/ca.pem"
"$build/bench/http_load" "$url" "$ca" "$key" 200 1 >/dev/null   # warm-up
api=$("$build/bench/http_load" "$url" "$ca" "$key" "$requests" "$threads")
dj=$("$build/bench/http_load" "$url" "$ca" "$jwt" "$requests" "$threads")
verify=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $(NF)}')
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
printf '%-28s %12s %10s %10s\n' "GET /v1/devices/{id}" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "API key" "$(field "$api" rps)" "$(field "$api" p50_ms)" "$(field "$api" p99_ms)"
printf '%-28s %12s %10s %10s\n' "device JWT (ES256)" "$(field "$dj" rps)" "$(field "$dj" p50_ms)" "$(field "$dj" p99_ms)"
printf '%-28s %12s\n' "openssl ecdsap256 verify/s" "$verify"
echo "($requests requests, $threads keep-alive connections, $(nproc) cores)"
