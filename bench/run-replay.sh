#!/bin/sh
# Replay benchmark (issue: test control, hot path speed): a device session is replayed against
# server A, which records everything (serve --record); A's recording is then replayed with
# --check at --speed max against a fresh server B, which must answer the same. That second
# replay is what is measured: its time runs from the first connect (every device connects over
# mutual TLS and is onboarded by B) to the last answer checked; reading the recording and
# issuing the devices' certificates come before it and are printed apart.
#
# Two shapes of recording, each ROUNDS times (interleaved):
#   many devices: DEVICES devices (default 200), each subscribing to its shadow answers and
#     publishing a get and two updates, each answered: 6 messages each, most of the time is
#     connects;
#   few devices: DEVICES/10 devices with MESSAGES publishes each (default 250, as a recorded
#     test run): a shadow get, then shadow updates and d2c messages in turn; every get and
#     update is answered on update/accepted or get/accepted.
# Printed: for each run the shape, messages (published + received), ms, messages/s, when the
# last device had its CONNACK, the CPU time the server and the replay used, and the load
# average (the machine's other work shows there). Loopback only.
# Usage: sh bench/run-replay.sh [DEVICES] [MESSAGES] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
devices=${1:-200}
messages=${2:-250}
rounds=${3:-2}
few=$((devices / 10))
[ "$few" -ge 1 ] || few=1
. bench/lib.sh
bench_build
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start NAME [FLAGS]: a server in $tmp/NAME; sets port and prefix
start() {
	name=$1
	shift
	bench_serve "$tmp/$name" "$tmp/$name.out" "$tmp/$name.log" "$@"
	pids="$pids $bench_pid"
	port=$(awk '/^mqtt-port/ {print $2}' "$tmp/$name.out")
	prefix=$(awk '/^topic-prefix/ {print $2}' "$tmp/$name.out")
}

# session N M PREFIX FILE: the device side of N devices publishing M messages each, as
# journal lines: a shadow get, then shadow updates and d2c messages (on PREFIX) in turn
session() {
	awk -v n="$1" -v m="$2" -v prefix="$3" 'BEGIN {
		ts = 1000
		for (d = 0; d < n; d++) {
			id = sprintf("bench-%05d", d); t = "$aws/things/" id "/shadow/"
			printf "{\"ts\":%d,\"kind\":\"mqtt.connect\",\"device\":\"%s\",\"status\":0,\"payload\":\"{\\\"keepalive\\\":60,\\\"cleanSession\\\":true}\"}\n", ts++, id
			printf "{\"ts\":%d,\"kind\":\"mqtt.subscribe\",\"device\":\"%s\",\"topic\":\"%sget/accepted\",\"status\":1}\n", ts++, id, t
			printf "{\"ts\":%d,\"kind\":\"mqtt.subscribe\",\"device\":\"%s\",\"topic\":\"%supdate/accepted\",\"status\":1}\n", ts++, id, t
		}
		for (k = 0; k < m; k++)
			for (d = 0; d < n; d++) {
				id = sprintf("bench-%05d", d); t = "$aws/things/" id "/shadow/"
				# with what the server answers (mqtt.send): the recording run waits for it
				if (k == 0) {
					printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%sget\",\"status\":1,\"payload\":\"\"}\n", ts++, id, t
					printf "{\"ts\":%d,\"kind\":\"mqtt.send\",\"device\":\"%s\",\"topic\":\"%sget/accepted\",\"status\":1,\"payload\":\"{}\"}\n", ts++, id, t
				} else if (k % 2 || m == 3) {
					printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%supdate\",\"status\":1,\"payload\":\"{\\\"state\\\":{\\\"reported\\\":{\\\"n\\\":%d}}}\"}\n", ts++, id, t, k
					printf "{\"ts\":%d,\"kind\":\"mqtt.send\",\"device\":\"%s\",\"topic\":\"%supdate/accepted\",\"status\":1,\"payload\":\"{}\"}\n", ts++, id, t
				} else
					printf "{\"ts\":%d,\"kind\":\"mqtt.publish\",\"device\":\"%s\",\"topic\":\"%sm/d/%s/d2c\",\"status\":1,\"payload\":\"{\\\"appId\\\":\\\"TEMP\\\",\\\"messageType\\\":\\\"DATA\\\",\\\"data\\\":\\\"%d\\\"}\"}\n", ts++, id, prefix, id, k
			}
	}' >"$4"
}

# server_cpu_ms PID: the CPU time (user + system) the server process has used, in ms
server_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"
}

# client_cpu_ms FILE: the CPU time (user + system) of the finished children, in ms, from the
# output of the shell's times saved in FILE
client_cpu_ms() {
	awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }
		print int(t * 1000) }' "$1"
}

# run N M: records N devices x M publishes on a server, replays the recording with --check on
# a fresh one; prints the replay's last line and the load average
run() {
	# runs in a $(...) subshell: it stops the servers it started itself
	pids=""
	trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
	start "rec-$1-$2" --record "$tmp/rec-$1-$2.jsonl"
	session "$1" "$2" "$prefix" "$tmp/session-$1-$2.jsonl"
	if ! "$build/nrfcloud-mock" replay "$tmp/session-$1-$2.jsonl" --data "$tmp/rec-$1-$2" \
		--mqtt-port "$port" --speed max >/dev/null 2>"$tmp/err-$1-$2"; then
		echo "recording $1 x $2 failed: $(cat "$tmp/err-$1-$2")" >&2
		echo "replay: recording failed"
		end_run "$1" "$2"
		return 0
	fi
	start "play-$1-$2"
	server0=$(server_cpu_ms "$bench_pid")
	times >"$tmp/times0"
	"$build/nrfcloud-mock" replay "$tmp/rec-$1-$2.jsonl" --data "$tmp/play-$1-$2" \
		--mqtt-port "$port" --speed max --check >"$tmp/out-$1-$2" 2>"$tmp/err-$1-$2" ||
		cat "$tmp/err-$1-$2" >&2
	times >"$tmp/times1"
	server1=$(server_cpu_ms "$bench_pid")
	echo "$(tail -n 1 "$tmp/out-$1-$2") server-cpu $((server1 - server0)) client-cpu" \
		"$(($(client_cpu_ms "$tmp/times1") - $(client_cpu_ms "$tmp/times0"))) load $(cut -d' ' -f1 /proc/loadavg)"
	end_run "$1" "$2"
}

# end_run N M: stops run N M's servers and removes its files: the next round starts servers of
# the same names, and a stale "ready" in NAME.out would pass for the new server's
end_run() {
	for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=""
	rm -rf "$tmp/rec-$1-$2" "$tmp/play-$1-$2" "$tmp/rec-$1-$2.jsonl" "$tmp/session-$1-$2.jsonl" \
		"$tmp/out-$1-$2" "$tmp/err-$1-$2" "$tmp"/rec-$1-$2.* "$tmp"/play-$1-$2.*
}

# get LINE REGEX: the number before REGEX's end in the replay's summary line
get() { printf '%s' "$1" | sed -n "s|.*$2.*|\1|p"; }
printf '%-30s %9s %7s %10s %10s %10s %10s %5s\n' "replay --speed max --check" messages ms \
	messages/s "connect ms" "server CPU" "client CPU" load
i=0
while [ "$i" -lt "$rounds" ]; do
	for shape in "$devices 3" "$few $messages"; do
		# shellcheck disable=SC2086
		line=$(run $shape)
		echo "$line" >&2
		n=$(get "$line" 'replay: \([0-9]*\) devices')
		pub=$(get "$line" ' \([0-9]*\) messages published')
		got=$(get "$line" 'published, \([0-9]*\) received')
		bad=$(get "$line" ' \([0-9]*\) mismatches')
		label="$n devices x $(echo "$shape" | cut -d' ' -f2) publishes"
		[ "$bad" = 0 ] || label="$label, $bad MISMATCHES"
		printf '%-30s %9s %7s %10s %10s %10s %10s %5s\n' "$label" "$((pub + got))" \
			"$(get "$line" 'mismatches, \([0-9]*\) ms')" \
			"$(get "$line" ' \([0-9]*\) messages/s')" \
			"$(get "$line" 'connecting \([0-9]*\) ms')" \
			"$(get "$line" 'server-cpu \([0-9]*\) ')" "$(get "$line" 'client-cpu \([0-9]*\) ')" \
			"$(get "$line" ' load \([0-9.]*\)')"
	done
	i=$((i + 1))
done
echo "($(nproc) cores; messages = published + received; ms from the first connect to the last"
echo " answer checked; CPU in ms: the server's during the replay, the replay's own including"
echo " reading the recording and issuing the devices' certificates before its clock starts)"
