#!/bin/sh
# MQTT benchmark (issue #13): nrfcloud-mock beside plain Mosquitto 2.0.11 started by this script
# with the same certificates (the mock's lab CA, server certificate, trust folder, TLS 1.2 and
# ciphers; set_tcp_nodelay and persistence as the mock's generated mosquitto.conf), driven by
# the same C load generator (bench/mqtt_load.c). ROUNDS rounds, each running mock then
# baseline, so machine noise hits both sides alike; each line prints mock, baseline, ratio.
#   d2c       QoS 1 device-to-cloud messages from DEVICES devices, stored and acknowledged
#   connect   mTLS connects of onboarded devices (CONNECT, CONNACK, DISCONNECT), 4 threads,
#             and the broker's CPU time per connect (the mock's with everything it writes)
#   shadow    shadow update -> update/accepted, one at a time (baseline: publish -> own
#             subscription through plain Mosquitto, the transport floor)
#   delta     REST PATCH .../state -> update/delta at the device (no baseline)
# Loopback only. Usage: sh bench/run-mqtt.sh [ROUNDS] [DEVICES] [MESSAGES_PER_DEVICE]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
devices=${2:-10}
msgs=${3:-5000}
connects=400
. bench/lib.sh
bench_build

mpid=
bench_server_with "mpid"
mock_port=$mqtt_port
load="$build/bench/mqtt_load"
mkdir "$tmp/certs"
"$load" certs "$data" "$tmp/certs" "$connects" >/dev/null

# the baseline: the same listener settings as the mock's generated mosquitto.conf, no plugin
base_port=$(bench_free_port)
{
	echo "per_listener_settings false"
	echo "allow_anonymous true"
	echo "persistence false"
	echo "set_tcp_nodelay true"
	echo "max_packet_size 262144"
	echo "log_dest none"
	[ "$(id -u)" -ne 0 ] || echo "user root"
	echo "listener $base_port 127.0.0.1"
	grep -E '^(capath|certfile|keyfile|require_certificate|tls_version|ciphers) ' \
		"$data/run/mosquitto.conf"
} >"$tmp/base.conf"
mosquitto -c "$tmp/base.conf" &
mpid=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $base_port))" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "baseline mosquitto did not start" >&2; exit 1; }
	sleep 0.05
done

# onboard every bench device on the mock (auto-onboarding at first connect), untimed
"$load" connect "$mock_port" "$ca" "$tmp/certs" "$connects" 4 >/dev/null

field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
row() { printf '%-44s %12s %12s %8s\n' "$1" "$2" "$3" "$4"; }

# CPU seconds the broker process used so far (user + system): on a shared machine the CPU cost
# per message is steadier than the wall-clock rate
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }
# per_msg BEFORE AFTER COUNT: CPU microseconds per message (or per connect)
per_msg() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.1f", (b - a) * 1e6 / n}'; }

row "path (round)" mock baseline ratio
r=1
total=$((devices * msgs))
while [ $r -le "$rounds" ]; do
	c0=$(cpu "$pid")
	m=$("$load" d2c "$mock_port" "$ca" "$tmp/certs" "$devices" "$msgs" 32 "$prefix")
	c1=$(cpu "$pid")
	cb=$(cpu "$mpid")
	b=$("$load" d2c "$base_port" "$ca" "$tmp/certs" "$devices" "$msgs" 32 "$prefix")
	c2=$(cpu "$mpid")
	row "QoS1 d2c msg/s, $devices devices ($r)" "$(field "$m" rate)" "$(field "$b" rate)" \
		"$(ratio "$(field "$m" rate)" "$(field "$b" rate)")"
	mc=$(per_msg "$c0" "$c1" "$total")
	bc=$(per_msg "$cb" "$c2" "$total")
	row "  broker CPU us/msg ($r)" "$mc" "$bc" "$(ratio "$bc" "$mc")"
	c0=$(cpu "$pid")
	m=$("$load" connect "$mock_port" "$ca" "$tmp/certs" "$connects" 4)
	c1=$(cpu "$pid")
	cb=$(cpu "$mpid")
	b=$("$load" connect "$base_port" "$ca" "$tmp/certs" "$connects" 4)
	c2=$(cpu "$mpid")
	row "mTLS connects/s ($r)" "$(field "$m" rate)" "$(field "$b" rate)" \
		"$(ratio "$(field "$m" rate)" "$(field "$b" rate)")"
	mc=$(per_msg "$c0" "$c1" "$connects")
	bc=$(per_msg "$cb" "$c2" "$connects")
	row "  broker CPU us/connect ($r)" "$mc" "$bc" "$(ratio "$bc" "$mc")"
	m=$("$load" shadow "$mock_port" "$ca" "$tmp/certs" 300)
	b=$("$load" echo "$base_port" "$ca" "$tmp/certs" 300)
	row "shadow update->accepted p50 ms ($r)" "$(field "$m" p50_ms)" "$(field "$b" p50_ms)" \
		"$(ratio "$(field "$m" p50_ms)" "$(field "$b" p50_ms)")"
	m=$("$load" delta "$mock_port" "$ca" "$tmp/certs" 300 "$https_port" "$api_key")
	row "REST PATCH state->delta p50 ms ($r)" "$(field "$m" p50_ms)" "-" "-"
	r=$((r + 1))
done
echo "($(nproc) cores, $(uname -m); mock = nrfcloud-mock serve, baseline = mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p') without the plugin; latency ratios are mock/baseline, so lower is better there; the CPU ratio is baseline/mock, so 0.5 means the mock spends twice the baseline's CPU per message or connect)"
