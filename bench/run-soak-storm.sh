#!/bin/sh
# bench/run-soak-storm.sh [HELD] [LEAVING] [BUSY] [mock|mosquitto]: a storm of disconnects on a
# busy machine, not a test (docs/limits.md#soak). HELD devices (default 6633) connect and are held
# for 300 s, each sending a QoS 1 message a minute; then LEAVING more (default 3367) connect, are
# held 60 s while BUSY busy loops (default 16) compete for the CPU, and disconnect together. It
# prints what the held devices saw: how many were lost (and why: libmosquitto's keep-alive, or
# the connection closed), the longest PUBACK wait and the load generator's longest pause.
# With the defaults this is what `bench/run-soak.sh 10000 600 60` does when its second load
# process finishes first. HELD_S and LEAVING_S change the 300 s and 60 s (a quick check:
# HELD_S=20 LEAVING_S=5 bench/run-soak-storm.sh 20 10 0). BUILD=<folder> uses an existing
# build; KEEP=1 keeps the folder.
set -eu
. bench/lib.sh

held=${1:-6633}
leaving=${2:-3367}
busy=${3:-16}
kind=${4:-mock}
ulimit -n "$(ulimit -Hn)"
if [ -n "${BUILD:-}" ]; then build=$BUILD; else bench_build; fi

tmp=$(mktemp -d)
pid= a= b= busypids=
trap 'for p in $busypids $a $b; do kill "$p" 2>/dev/null || :; done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi' EXIT

bench_serve "$tmp/data" "$tmp/out" "$tmp/log"
pid=$bench_pid
port=$(awk '/^mqtt-port/ {print $2}' "$tmp/out")
prefix=$(awk '/^topic-prefix/ {print $2}' "$tmp/out")
if [ "$kind" = mosquitto ]; then
	# plain Mosquitto as bench/run-soak.sh runs it; the mock only made the lab CA
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	port=$((port + 1)) prefix=
	bench_plain_mosquitto "$tmp" "$port"
	pid=$bench_pid
fi

# wait_connected FILE PID: until the load process says it is connected
wait_connected() {
	until grep -q '^connected' "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null || { cat "$1" >&2; exit 1; }
		sleep 1
	done
}

"$build/bench/soak_load" "$tmp/data" 127.0.0.1 "$port" "$prefix" "$held" "${HELD_S:-300}" 60 0 \
	>"$tmp/load-held" 2>&1 &
a=$!
wait_connected "$tmp/load-held" "$a"
"$build/bench/soak_load" "$tmp/data" 127.0.0.1 "$port" "$prefix" "$leaving" "${LEAVING_S:-60}" 60 "$held" \
	>"$tmp/load-leaving" 2>&1 &
b=$!
wait_connected "$tmp/load-leaving" "$b"
i=0
while [ $i -lt "$busy" ]; do
	sh -c 'while :; do :; done' &
	busypids="$busypids $!"
	i=$((i + 1))
done
echo "$kind: $held held, $leaving leaving at $(date -u +%T), $busy busy loops"
wait "$b"
b=
echo "leaving:  $(tail -n1 "$tmp/load-leaving")"
wait "$a"
a=
for p in $busypids; do kill "$p"; done
busypids=
echo "held:     $(tail -n1 "$tmp/load-held")"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%T)"
