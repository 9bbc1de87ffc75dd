#!/bin/sh
# REST benchmark (issue #13): nrfcloud-mock beside baselines this script starts or runs itself,
# ROUNDS rounds interleaved (mock, then baseline) so machine noise hits both alike:
#   GET /v1/devices/{id} with an API key  vs  nginx serving the same JSON as a static file over
#                                              TLS (same certificate, keep-alive, same client)
#   the same GET with a device JWT (ES256) vs  `openssl speed ecdsap256` verifies/s on one core,
#     once with one token reused (as devices do while it is valid, docs/protocol-rest.md#device-jwts)
#     and once with a fresh token for every request (every one verified); each both as requests
#     per second and as requests per CPU-second of the server (utime + stime from /proc), which
#     is what "per core" compares and what the client and other jobs on the machine disturb least
#   PATCH /v1/devices/{id}/state p99 while 8 devices publish QoS 1 d2c  vs  the same PATCH idle
# Loopback only. Usage: sh bench/run-http.sh [ROUNDS] [REQUESTS] [THREADS]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
requests=${2:-4000}
threads=${3:-4}
. bench/lib.sh
command -v nginx >/dev/null 2>&1 || { echo "nginx not installed: sh docker/deps.sh bench" >&2; exit 1; }
bench_build

npid=
lpid=
bench_server_with "lpid npid"
port=$https_port
key=$api_key
dev=nrf-352656100000001
url="https://localhost:$port/v1/devices/$dev"
jwt=$("$build/bench/make_jwt" "$dev" "$data/devices/$dev.key")
load="$build/bench/http_load"

# nginx serves the very answer the mock gives, as a file
mkdir -p "$tmp/www/v1/devices"
curl -sf --cacert "$ca" -H "Authorization: Bearer $key" "$url" >"$tmp/www/v1/devices/$dev"
chmod -R a+rX "$tmp/www"
nport=$(bench_free_port)
bench_nginx_conf "$nport" "$tmp/www" 256 application/json
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" -g 'daemon off;' &
npid=$!
i=0
until curl -sf -o /dev/null --cacert "$ca" "https://localhost:$nport/v1/devices/$dev"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "nginx did not start" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }
	sleep 0.05
done
nurl="https://localhost:$nport/v1/devices/$dev"
nworker=$(pgrep -P "$npid" | head -1)   # the one worker, whose CPU time is nginx's work

# MQTT load for the write test: 8 devices, QoS 1 d2c, as long as it takes
mkdir "$tmp/certs"
"$build/bench/mqtt_load" certs "$data" "$tmp/certs" 8 >/dev/null
"$build/bench/mqtt_load" connect "$mqtt_port" "$ca" "$tmp/certs" 8 1 >/dev/null

field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
# the server's CPU time so far, in clock ticks (utime + stime of /proc/<pid>/stat)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
# per_cpu REQUESTS TICKS: requests per CPU-second of the server
per_cpu() { awk -v n="$1" -v t="$2" -v hz="$hz" 'BEGIN {printf "%.1f", (t > 0 ? n * hz / t : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
row() { printf '%-46s %12s %12s %8s\n' "$1" "$2" "$3" "$4"; }
"$load" "$url" "$ca" "$key" 200 1 >/dev/null   # warm-up
"$load" "$nurl" "$ca" "$key" 200 1 >/dev/null
patch='{"desired":{"bench":{"n":1}}}'
row "path (round)" mock baseline ratio
r=1
while [ $r -le "$rounds" ]; do
	t0=$(ticks)
	m=$("$load" "$url" "$ca" "$key" "$requests" "$threads")
	t1=$(ticks)
	n0=$(awk '{print $14 + $15}' "/proc/$nworker/stat")
	b=$("$load" "$nurl" "$ca" "$key" "$requests" "$threads")
	n1=$(awk '{print $14 + $15}' "/proc/$nworker/stat")
	row "GET device, API key, req/s ($r)" "$(field "$m" rps)" "$(field "$b" rps)" \
		"$(ratio "$(field "$m" rps)" "$(field "$b" rps)")"
	c=$(per_cpu "$(field "$m" requests)" $((t1 - t0)))
	d=$(per_cpu "$(field "$b" requests)" $((n1 - n0)))
	row "  same, per server CPU-second" "$c" "$d" "$(ratio "$c" "$d")"
	b=$(openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $(NF)}')
	t0=$(ticks)
	m=$("$load" "$url" "$ca" "$jwt" "$requests" "$threads")
	t1=$(ticks)
	row "GET device, one device JWT reused, req/s ($r)" "$(field "$m" rps)" "$b" \
		"$(ratio "$(field "$m" rps)" "$b")"
	c=$(per_cpu "$(field "$m" requests)" $((t1 - t0)))
	row "  same, per server CPU-second vs verify/s" "$c" "$b" "$(ratio "$c" "$b")"
	"$build/bench/make_jwt" "$dev" "$data/devices/$dev.key" "$requests" >"$tmp/jwts"
	t0=$(ticks)
	m=$("$load" "$url" "$ca" "@$tmp/jwts" "$requests" "$threads")
	t1=$(ticks)
	row "GET device, fresh device JWT each, req/s ($r)" "$(field "$m" rps)" "$b" \
		"$(ratio "$(field "$m" rps)" "$b")"
	c=$(per_cpu "$(field "$m" requests)" $((t1 - t0)))
	row "  same, per server CPU-second vs verify/s" "$c" "$b" "$(ratio "$c" "$b")"
	idle=$(HTTP_LOAD_METHOD=PATCH "$load" "$url/state" "$ca" "$key" 1000 2 "$patch")
	"$build/bench/mqtt_load" d2c "$mqtt_port" "$ca" "$tmp/certs" 8 100000 32 "$prefix" \
		>/dev/null 2>&1 &
	lpid=$!
	sleep 1
	busy=$(HTTP_LOAD_METHOD=PATCH "$load" "$url/state" "$ca" "$key" 1000 2 "$patch")
	kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null || true
	lpid=
	row "PATCH state p99 ms, 8 devices publishing ($r)" "$(field "$busy" p99_ms)" \
		"$(field "$idle" p99_ms)" "$(ratio "$(field "$busy" p99_ms)" "$(field "$idle" p99_ms)")"
	r=$((r + 1))
done
echo "($requests requests over $threads keep-alive connections per line; $(nproc) cores; baseline of the"
echo " PATCH line: the same PATCHes with no MQTT load; nginx $(nginx -v 2>&1 | sed 's|.*/||'))"
