#!/bin/sh
# Replay benchmark (issue: test control): N devices (default 200) each subscribe to their shadow
# answers and publish a get and two updates. That device side is replayed against server A,
# which records everything (serve --record); A's recording is then replayed with --check at
# --speed max against a fresh server B, which must answer the same. Printed side by side: the
# same run with N/10 devices, the baseline for how the rate scales. Loopback only.
# Usage: sh bench/run-replay.sh [DEVICES]
set -eu
cd "$(dirname "$0")/.."
devices=${1:-200}
. bench/lib.sh
bench_build
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start NAME [FLAGS]: a server in $tmp/NAME; sets port
start() {
	name=$1
	shift
	bench_serve "$tmp/$name" "$tmp/$name.out" "$tmp/$name.log" "$@"
	pids="$pids $bench_pid"
	port=$(awk '/^mqtt-port/ {print $2}' "$tmp/$name.out")
}

# session N FILE: the device side of N devices, as journal lines
session() {
	awk -v n="$1" 'BEGIN {
		for (d = 0; d < n; d++) {
			id = sprintf("bench-%05d", d); t = "$aws/things/" id "/shadow/"
			printf "{\"ts\":%d,\"kind\":\"mqtt.connect\",\"device\":\"%s\",\"status\":0,\"payload\":\"{\\\"keepalive\\\":60,\\\"cleanSession\\\":true}\"}\n", 1000 + d, id
			printf "{\"ts\":%d,\"kind\":\"mqtt.subscribe\",\"device\":\"%s\",\"topic\":\"%sget/accepted\",\"status\":1}\n", 1000 + d, id, t
			printf "{\"ts\":%d,\"kind\":\"mqtt.subscribe\",\"device\":\"%s\",\"topic\":\"%supdate/accepted\",\"status\":1}\n", 1000 + d, id, t
			printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%sget\",\"status\":1,\"payload\":\"\"}\n", 2000 + d, id, t
			printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%supdate\",\"status\":1,\"payload\":\"{\\\"state\\\":{\\\"reported\\\":{\\\"n\\\":1}}}\"}\n", 3000 + d, id, t
			printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%supdate\",\"status\":1,\"payload\":\"{\\\"state\\\":{\\\"reported\\\":{\\\"n\\\":2}}}\"}\n", 4000 + d, id, t
		}
	}' >"$2"
}

# run N: records N devices on a server, replays the recording with --check on a fresh one
run() {
	# runs in a $(...) subshell: it stops the servers it started itself
	pids=""
	trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
	session "$1" "$tmp/session-$1.jsonl"
	start "rec-$1" --record "$tmp/rec-$1.jsonl"
	"$build/nrfcloud-mock" replay "$tmp/session-$1.jsonl" --data "$tmp/rec-$1" \
		--mqtt-port "$port" --speed max >/dev/null
	start "play-$1"
	"$build/nrfcloud-mock" replay "$tmp/rec-$1.jsonl" --data "$tmp/play-$1" --mqtt-port "$port" \
		--speed max --check | tail -n 1
}

small=$(run $((devices / 10)))
big=$(run "$devices")
echo "$small"; echo "$big"
field() { printf '%s' "$1" | sed -n "s/.*[, ]\([0-9.]*\) $2.*/\1/p"; }
printf '%-26s %10s %10s %10s %12s %12s\n' "replay --speed max --check" devices mismatches ms messages/s "ms/device"
for line in "$small" "$big"; do
	n=$(printf '%s' "$line" | sed -n 's/^replay: \([0-9]*\) devices.*/\1/p')
	ms=$(field "$line" ms)
	printf '%-26s %10s %10s %10s %12s %12s\n' "" "$n" "$(field "$line" mismatches)" "$ms" \
		"$(field "$line" "messages.s")" "$(awk -v m="$ms" -v n="$n" 'BEGIN {printf "%.2f", m / n}')"
done
echo "($(nproc) cores; each device: 2 subscribes, 3 publishes, 3 answers)"
