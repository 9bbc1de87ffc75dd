#!/bin/sh
# bench/run-soak.sh [DEVICES] [SECONDS] [INTERVAL_S]: a soak, not a test. Holds DEVICES MQTT
# devices (default 10000) over mutual TLS for SECONDS (default 600), each publishing a small
# QoS 1 d2c message every INTERVAL_S seconds (default 60), first against nrfcloud-mock, then
# against plain Mosquitto (same binary, same certificates, no plugin) with the same load, and
# prints each broker's resident memory once every device is connected and at the end.
# Run from the repository root; needs an open-file hard limit above DEVICES + 200 (the broker's
# sockets). A libmosquitto client holds three descriptors (its socket and the socket pair
# mosquitto_new makes), so the load is split over processes of at most a third of the limit.
# Shortened: bench/run-soak.sh 2000 60 10.
set -eu
. bench/lib.sh

devices=${1:-10000}
seconds=${2:-600}
interval=${3:-60}
need=$((devices + 200))
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
if [ "$hard" -lt "$need" ]; then
	echo "run-soak: open-file hard limit $hard is below $need" >&2
	exit 1
fi
ulimit -n "$hard"
# BUILD=<folder> uses an existing build instead of the release build-bench
if [ -n "${BUILD:-}" ]; then build=$BUILD; else bench_build; fi

tmp=$(mktemp -d)
pid=
# KEEP=1 keeps the folder (broker logs, load output) and prints its path;
# ONLY=mock or ONLY=mosquitto runs the load against that broker alone
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi' EXIT

rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {print $2 " kB"}' "/proc/$1/status"; }

per=$(((hard - 100) / 3))

# soak NAME PID PORT PREFIX: runs the load (in processes of at most $per devices) and prints
# RSS once all are connected and at the end.
soak() {
	loads= first=0 k=0
	while [ "$first" -lt "$devices" ]; do
		count=$((devices - first))
		[ "$count" -le "$per" ] || count=$per
		"$build/bench/soak_load" "$tmp/data" 127.0.0.1 "$3" "$4" "$count" "$seconds" \
			"$interval" "$first" >"$tmp/load-$1.$k" 2>&1 &
		loads="$loads $!"
		first=$((first + count)) k=$((k + 1))
	done
	k=0
	for l in $loads; do
		until grep -q '^connected' "$tmp/load-$1.$k" 2>/dev/null; do
			kill -0 "$l" 2>/dev/null || { cat "$tmp/load-$1".* >&2; exit 1; }
			sleep 1
		done
		k=$((k + 1))
	done
	start_rss=$(rss "$2")
	for l in $loads; do wait "$l"; done
	end_rss=$(rss "$2")
	printf '%-14s connected %-6s RSS start %-10s end %-10s peak %-10s %s\n' "$1" \
		"$(cat "$tmp/load-$1".* | awk '/^connected/ {n += $2} END {print n}')" \
		"$start_rss" "$end_rss" "$(hwm "$2")" \
		"$(cat "$tmp/load-$1".* | awk '/^done/ {for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (!(kv[1] in o)) o[kv[1]] = ++m;
			if (kv[1] ~ /^max-/) { if (kv[2] > s[kv[1]]) s[kv[1]] = kv[2] }
			else s[kv[1]] += kv[2];
			k[o[kv[1]]] = kv[1] } }
			END {printf "done"; for (i = 1; i <= m; i++) printf " %s=%d", k[i], s[k[i]]}')"
}

bench_serve "$tmp/data" "$tmp/out" "$tmp/log"
pid=$bench_pid
mqtt_port=$(awk '/^mqtt-port/ {print $2}' "$tmp/out")
prefix=$(awk '/^topic-prefix/ {print $2}' "$tmp/out")
echo "devices=$devices seconds=$seconds interval=${interval}s"
[ "${ONLY:-}" = mosquitto ] || soak nrfcloud-mock "$pid" "$mqtt_port" "$prefix"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

# plain Mosquitto: the same TLS listener settings, no plugin
plain_port=$((mqtt_port + 1))
bench_plain_mosquitto "$tmp" "$plain_port"
pid=$bench_pid
[ "${ONLY:-}" = mock ] || soak mosquitto "$pid" "$plain_port" ""
