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

# bench_server_with "VAR...": for benches that start baselines beside the server: a temporary
# folder tmp (readable by nginx workers started as root) and one server in it (pid); on exit
# the processes whose PIDs the variables VAR... hold (empty ones skipped), then the server, are
# stopped and tmp removed. Sets mqtt_port, https_port, api_key, prefix, data and ca.
bench_server_with() {
	bench_baseline_vars=$1
	tmp=$(mktemp -d)
	pid=
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
	chmod 755 "$tmp"
	bench_serve "$tmp/data" "$tmp/out" "$tmp/log"
	pid=$bench_pid
	mqtt_port=$(awk '/^mqtt-port/ {print $2}' "$tmp/out")
	https_port=$(awk '/^https-port/ {print $2}' "$tmp/out")
	api_key=$(awk '/^api-key/ {print $2}' "$tmp/out")
	prefix=$(awk '/^topic-prefix/ {print $2}' "$tmp/out")
	data="$tmp/data"
	ca="$data/ca/ca.pem"
}

# The EXIT trap of bench_server_with.
bench_cleanup() {
	for bc_var in $bench_baseline_vars; do
		eval "bc_pid=\${$bc_var:-}"
		[ -n "$bc_pid" ] && kill "$bc_pid" 2>/dev/null && wait "$bc_pid" 2>/dev/null
	done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}

# A free TCP port on loopback.
bench_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_nginx_conf PORT ROOT CONNECTIONS TYPE [HTTP_LINE]: writes $tmp/nginx/nginx.conf for an
# nginx baseline: one worker (CONNECTIONS connections), every path under $tmp/nginx, HTTPS on
# 127.0.0.1:PORT with the mock's server certificate from $data, files from ROOT served as TYPE
# by default, keep-alive as long as the clients want; HTTP_LINE (e.g. "sendfile on;") added
# to the http block.
bench_nginx_conf() {
	mkdir -p "$tmp/nginx"
	{
		cat <<EOF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections $3; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	default_type $4;
EOF
		[ -z "${5:-}" ] || printf '\t%s\n' "$5"
		cat <<EOF
	keepalive_timeout 60s;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$1 ssl;
		ssl_certificate $data/ca/server.pem;
		ssl_certificate_key $data/ca/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $2;
		location / { }
	}
}
EOF
	} >"$tmp/nginx/nginx.conf"
}

# bench_plain_mosquitto DIR PORT: starts plain Mosquitto 2.0.11 on 127.0.0.1:PORT with the TLS
# listener settings of the mock's generated configuration (the lab CA and server certificate of
# DIR/data, client certificates required, TCP_NODELAY, no persistence) and no plugin; waits
# until it listens and sets bench_pid. Its stderr goes to DIR/plain.log.
bench_plain_mosquitto() {
	# as root, Mosquitto would drop to user mosquitto, which cannot read the data folder
	if [ "$(id -u)" = 0 ]; then echo "user root" >"$1/plain.conf"; else : >"$1/plain.conf"; fi
	cat >>"$1/plain.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence false
set_tcp_nodelay true
max_packet_size 262144
log_dest stderr
log_type error
listener $2 127.0.0.1
cafile $1/data/ca/ca.pem
certfile $1/data/ca/server.pem
keyfile $1/data/ca/server.key
require_certificate true
tls_version tlsv1.2
CONF
	/usr/sbin/mosquitto -c "$1/plain.conf" 2>"$1/plain.log" &
	bench_pid=$!
	_i=0
	until grep -q ":$(printf '%04X' "$2") " /proc/net/tcp 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "plain mosquitto did not start" >&2; cat "$1/plain.log" >&2; exit 1; }
		sleep 0.1
	done
}
