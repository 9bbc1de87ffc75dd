#!/bin/sh
# Device-engine benchmark (docs/sim.md#scale): DEVICES simulated nRF Connect SDK 3.3 devices
# (default 10000) started at RAMP connections/s (default 200) run for SECONDS (default 120)
# with telemetry every 60 s, first against nrfcloud-mock, then against a plain Mosquitto 2.0
# with the same TLS listener and the same clients (which there only connect, subscribe and ask
# for their shadow: nothing answers). Printed side by side: connect rate, messages/s and the
# broker's peak RSS (VmHWM). Loopback only; needs `ulimit -n` above twice DEVICES.
# Usage: sh bench/run-sim.sh [DEVICES] [RAMP] [SECONDS]
set -eu
cd "$(dirname "$0")/.."
devices=${1:-10000}
ramp=${2:-200}
seconds=${3:-120}
. bench/lib.sh
bench_build
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

peak_rss() { awk '/^VmHWM/ {print $2 " kB"}' "/proc/$1/status"; }

# sim PORT DATA: runs the devices against PORT with credentials from DATA; the summary line
sim() {
	"$build/nrfcloud-mock" sim --data "$2" --mqtt-port "$1" --devices "$devices" \
		--ramp "$ramp" --duration "$seconds" --telemetry-interval 60 --ncs 3.3 \
		--id-prefix bench- --no-print-c2d --reconnect-min 2000 | tail -n 1
}

# nrfcloud-mock
bench_serve "$tmp/data" "$tmp/out" "$tmp/log" --journal-max 10000
pids="$pids $bench_pid"
mock_pid=$bench_pid
port=$(awk '/^mqtt-port/ {print $2}' "$tmp/out")
mock_line=$(sim "$port" "$tmp/data")
mock_rss=$(peak_rss "$mock_pid")

# plain Mosquitto, same CA, server certificate and client certificates
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/plain.conf" <<CONF
listener $mport 127.0.0.1
cafile $tmp/data/ca/ca.pem
certfile $tmp/data/ca/server.pem
keyfile $tmp/data/ca/server.key
require_certificate true
allow_anonymous true
max_inflight_messages 20
user root
CONF
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto" -c "$tmp/plain.conf" 2>"$tmp/plain.log" &
plain_pid=$!
pids="$pids $plain_pid"
i=0
until grep -q "mosquitto version .* running" "$tmp/plain.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/plain.log" >&2; exit 1; }; sleep 0.1
done
plain_line=$(sim "$mport" "$tmp/data")
plain_rss=$(peak_rss "$plain_pid")

echo "devices $devices, ramp $ramp/s, $seconds s"
echo "nrfcloud-mock:   $mock_line"
echo "                 server peak RSS $mock_rss"
echo "plain Mosquitto: $plain_line"
echo "                 broker peak RSS $plain_rss"
