# bench/lib.sh: what the bench/run-*.sh scripts share; sourced from the repository root.

# Builds the release tree the benchmarks use; sets build.
bench_build() {
	build=build-bench
	if [ -f "$build/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$build" --buildtype=release -Dintegration=false >/dev/null
	else
		meson setup "$build" --buildtype=release -Dintegration=false >/dev/null
	fi
	ninja -C "$build" >/dev/null
}

# bench_one_server: a temporary folder and one server in it, both gone when the script exits;
# sets tmp, https_port and api_key.
bench_one_server() {
	tmp=$(mktemp -d)
	pid=
	trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
	bench_serve "$tmp/data" "$tmp/out" "$tmp/log"
	pid=$bench_pid
	https_port=$(awk '/^https-port/ {print $2}' "$tmp/out")
	api_key=$(awk '/^api-key/ {print $2}' "$tmp/out")
}

# bench_serve DATA OUT LOG [FLAGS...]: starts a server on free loopback ports with the data
# folder DATA, its stdout in OUT and stderr in LOG, and waits until it is ready; sets
# bench_pid. The caller stops it.
bench_serve() {
	bs_data=$1
	bs_out=$2
	bs_log=$3
	shift 3
	"$build/nrfcloud-mock" serve --data "$bs_data" --fixtures fixtures --mqtt-port 0 \
		--https-port 0 --admin-port 0 --mqtt-bind 127.0.0.1 --https-bind 127.0.0.1 "$@" \
		>"$bs_out" 2>"$bs_log" &
	bench_pid=$!
	bs_i=0
	until grep -q '^ready$' "$bs_out" 2>/dev/null; do
		bs_i=$((bs_i + 1))
		[ $bs_i -lt 300 ] || { echo "server did not start" >&2; cat "$bs_log" >&2; exit 1; }
		sleep 0.1
	done
}
