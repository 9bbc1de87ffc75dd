#!/bin/sh
# Proves the container image end to end with a real engine (docs/docker.md#test):
#  1. installs what it needs (docker/deps.sh docker) unless present;
#  2. reuses the engine `docker info` reaches, or starts dockerd by hand (no systemd) and stops it
#     again at the end; when it cannot start, says which kernel feature is missing;
#  3. makes the base images from Debian packages when they cannot be pulled (base-images.sh);
#  4. builds the image through docker/compose.yaml (and proves its library check can fail),
#     brings the project up on free host ports (loopback only) and waits for the container's
#     health check (Compose v1 has no --wait);
#  5. from the host: the start lines in the log, admin /health, the CA and the team's API key
#     from the admin API, REST GET /v1/account with that key, and MQTT over TLS as the fixture
#     device (publish d2c, receive c2d) through the published ports;
#  6. runs docker/compose.ci-example.yaml (a test service beside the server, as users' CI does);
#  7. `down -v`, and checks the data volume is gone.
# Prints the image size and the times to ready and to healthy, then "docker image ok".
#   test-image.sh              (as root, from anywhere in the source tree)
#   DOCKER=/path/to/docker     the docker client to use (default: Debian's /usr/bin/docker when
#                              present, it matches the engine Debian's dockerd runs)
#   NCM_IMAGE=name:tag         the image to build and run (default nrfcloud-mock:test)
#   DOCKERD=command            how to start the engine when none answers (default: dockerd)
#   KEEP=1                     leave the project (and a dockerd it started) running
#   NO_CACHE=1 / NO_CACHE=0    build without / with the engine's build cache (default: without
#                              when CI is set, as in CI, with otherwise)
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
t_start=$(date +%s)
say() { echo "test-image: [$(($(date +%s) - t_start)) s] $*"; }
die() {
	echo "test-image: FAILED: $*" >&2
	exit 1
}

# --- 1. tools ------------------------------------------------------------------------------
missing=
for tool in dockerd docker-compose debootstrap mosquitto_pub mosquitto_sub curl openssl python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	say "installing (docker/deps.sh docker) for:$missing"
	sh docker/deps.sh docker
fi
PATH=/usr/sbin:/sbin:$PATH
if [ -z "${DOCKER:-}" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ncm-test-image.XXXXXX")
# docker-compose's CLI build runs `docker` from PATH: make that the same client
mkdir "$work/bin"
ln -s "$(command -v "$DOCKER")" "$work/bin/docker"
PATH=$work/bin:$PATH
export PATH DOCKER
dk() { "$DOCKER" "$@"; }

project=ncmtest$$
compose="docker-compose -p $project -f $src/docker/compose.yaml"
NCM_IMAGE=${NCM_IMAGE:-nrfcloud-mock:test}
export NCM_IMAGE
dockerd_pid=
made_docker0=
up=
ci_up=

cleanup() {
	status=$?
	set +e
	[ -z "$ci_up" ] || $ci down -v >/dev/null 2>&1
	if [ -n "$up" ]; then
		if [ "${KEEP:-}" = 1 ] && [ "$status" = 0 ]; then
			say "left running: $compose down -v"
		else
			[ "$status" = 0 ] || { say "container log:"; $compose logs --no-color 2>&1 | tail -n 40; }
			$compose down -v >/dev/null 2>&1
		fi
	fi
	if [ -n "$dockerd_pid" ] && [ "${KEEP:-}" != 1 ]; then
		kill "$dockerd_pid" 2>/dev/null
		i=0
		while kill -0 "$dockerd_pid" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$dockerd_pid" 2>/dev/null
		[ -z "$made_docker0" ] || ip link delete docker0 2>/dev/null
		say "stopped the dockerd it started (pid $dockerd_pid)"
	elif [ -n "$dockerd_pid" ]; then
		say "left dockerd running (pid $dockerd_pid)"
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. engine -----------------------------------------------------------------------------
# Names the kernel feature a failed dockerd start points at, from its log and from /proc.
diagnose() {
	log=$1
	if grep -qiE 'cgroup' "$log" || ! grep -q cgroup /proc/mounts; then
		echo "  kernel: cgroups: dockerd needs a cgroup file system at /sys/fs/cgroup" \
			"(cgroup2, or the v1 controllers cpu, memory, pids, devices); /proc/mounts has:" \
			"$(grep -c cgroup /proc/mounts) cgroup mounts"
	fi
	if grep -qiE 'overlay' "$log" || ! grep -qw overlay /proc/filesystems; then
		if grep -qw overlay /proc/filesystems; then
			why="listed in /proc/filesystems but refused: nested overlay? try dockerd --storage-driver vfs"
		else
			why="not in /proc/filesystems: CONFIG_OVERLAY_FS, modprobe overlay"
		fi
		echo "  kernel: overlay file system: $why"
	fi
	if grep -qiE 'iptables|nf_tables|bridge|nat' "$log" || ! iptables -t nat -S >/dev/null 2>&1; then
		echo "  kernel: iptables/bridge networking: dockerd makes the docker0 bridge and NAT rules" \
			"(CONFIG_BRIDGE, CONFIG_NETFILTER_XT_MATCH_*, nf_tables or ip_tables);" \
			"'iptables -t nat -S' $(iptables -t nat -S >/dev/null 2>&1 && echo works || echo fails here)"
	fi
	if grep -qiE 'operation not permitted|permission denied' "$log"; then
		echo "  privileges: dockerd needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN"
	fi
}

if dk info >/dev/null 2>&1; then
	say "reusing the running engine ($(dk version -f '{{.Server.Version}}' 2>/dev/null))"
else
	[ "$(id -u)" = 0 ] || die "no engine answers and starting dockerd needs root"
	ip link show docker0 >/dev/null 2>&1 || made_docker0=1
	say "starting dockerd (log: $work/dockerd.log)"
	${DOCKERD:-dockerd} >"$work/dockerd.log" 2>&1 &
	dockerd_pid=$!
	i=0
	until dk info >/dev/null 2>&1; do
		if ! kill -0 "$dockerd_pid" 2>/dev/null; then
			dockerd_pid=
			tail -n 15 "$work/dockerd.log" >&2
			diagnose "$work/dockerd.log" >&2
			die "dockerd exited at start (its last lines and the likely cause above)"
		fi
		[ $i -lt 600 ] || {
			diagnose "$work/dockerd.log" >&2
			die "dockerd did not answer within 60 s"
		}
		sleep 0.1
		i=$((i + 1))
	done
	driver=$(dk info -f '{{.Driver}}')
	say "dockerd $(dk version -f '{{.Server.Version}}') up (pid $dockerd_pid, storage $driver)"
	[ "$driver" != vfs ] || say "warning: no overlay file system (kernel: CONFIG_OVERLAY_FS)," \
		"so the engine copies every layer (vfs): builds are slow and big"
fi

# --- 3. base images, 4. build and up -------------------------------------------------------
DOCKER=$DOCKER sh docker/base-images.sh
say "base images debian:bookworm and debian:bookworm-slim ready"

# CI builds every layer anew (a cached layer proves nothing about today's tree and packages);
# elsewhere the engine's build cache is used unless NO_CACHE=1.
no_cache=
[ -z "${CI:-}${NO_CACHE:-}" ] || [ "${NO_CACHE:-}" = 0 ] || no_cache=--no-cache
say "building $NCM_IMAGE (docker/compose.yaml, BuildKit${no_cache:+, no cache})"
t0=$(date +%s)
COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 $compose build $no_cache >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	die "image build failed (last lines above)"
}
say "built in $(($(date +%s) - t0)) s"
grep -E 'library check: /' "$work/build.log" | sed 's/^#[0-9]* [0-9.]* /  /' || true
size=$(dk image inspect -f '{{.Size}}' "$NCM_IMAGE")
# The build's library check must be able to fail: in a throwaway container of the image, remove
# a library the CLI and plugin need and run the same check.
if out=$(dk run --rm --user root --entrypoint sh -v "$src/docker/check-libs.sh:/check-libs.sh:ro" \
	"$NCM_IMAGE" -c 'rm -f /usr/lib/*/libjansson.so.4* && sh /check-libs.sh' 2>&1); then
	die "the library check passed with libjansson removed: $out"
fi
echo "$out" | grep -q 'nrfcloud-mock needs libjansson.so.4' ||
	die "the library check failed without naming libjansson.so.4: $out"
say "library check: fails and names the library when one is missing"

# Three free TCP ports on 127.0.0.1, taken below the kernel's ephemeral range so no outgoing
# connection of another program takes them meanwhile; a port lost anyway is retried.
pick_ports() {
	python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
ports = []
while len(ports) < 3:
    p = random.randrange(10000, max(low, 10001))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        if p not in ports: ports.append(p)
    except OSError:
        pass
    finally:
        s.close()
print(*ports)'
}
up=1
tries=0
while :; do
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- $(pick_ports)
	mqtt_port=$1 https_port=$2 admin_port=$3
	export NCM_MQTT_PORT="127.0.0.1:$mqtt_port" NCM_HTTPS_PORT="127.0.0.1:$https_port"
	export NCM_ADMIN_PORT="$admin_port"
	$compose up -d >"$work/up.log" 2>&1 && break
	tries=$((tries + 1))
	if grep -q 'address already in use' "$work/up.log" && [ $tries -lt 3 ]; then
		$compose down -v >/dev/null 2>&1
		continue
	fi
	cat "$work/up.log" >&2
	die "compose up failed"
done
cid=$($compose ps -q nrfcloud-mock)
[ -n "$cid" ] || die "compose up started no nrfcloud-mock container"
started=$(dk inspect -f '{{.State.StartedAt}}' "$cid")
# Compose v1 has no --wait: poll the engine's health status (every 0.1 s, up to 60 s). The time
# to healthy is taken from the health log: the end of the first probe that passed.
i=0
while :; do
	state=$(dk inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$cid")
	case "$state" in
	"running healthy") break ;;
	running*) ;;
	*) die "container is $state, not running" ;;
	esac
	[ $i -lt 600 ] || die "container not healthy within 60 s (state: $state)"
	sleep 0.1
	i=$((i + 1))
done
healthy_at=$(dk inspect -f '{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End.Format "2006-01-02T15:04:05.000000000Z07:00"}} {{end}}{{end}}' "$cid" |
	awk '{ print $1 }')
healthy_ns=$(date -d "$healthy_at" +%s%N)
start_ns=$(date -d "$started" +%s%N)
healthy_ms=$(((healthy_ns - start_ns) / 1000000))

# --- 5. checks from the host ---------------------------------------------------------------
dk logs -t "$cid" >"$work/log.txt" 2>/dev/null
# the start lines `serve` prints on a host, in its order
keys=$(sed -n 's/^[^ ]* //p' "$work/log.txt" | awk '/^(mqtt-port|https-port|admin-port|ca|api-key|tenant-id|topic-prefix) |^ready$/ { print $1 }' | tr '\n' ' ')
[ "$keys" = "mqtt-port https-port admin-port ca api-key tenant-id topic-prefix ready " ] ||
	die "start lines are not serve's (got: $keys)"
line() { sed -n "s/^[^ ]* $1 //p" "$work/log.txt" | head -n 1; }
if [ "$(line mqtt-port)" != 8883 ] || [ "$(line https-port)" != 8443 ] ||
	[ "$(line admin-port)" != 8080 ]; then
	die "start lines name other ports than 8883, 8443, 8080"
fi
[ "$(line ca)" = /data/ca/ca.pem ] || die "CA path in the start lines is $(line ca), not /data/ca/ca.pem"
ready_ns=$(date -d "$(awk '$2 == "ready" { print $1; exit }' "$work/log.txt")" +%s%N)
ready_ms=$(((ready_ns - start_ns) / 1000000))
say "start lines as serve prints them; ready after $ready_ms ms, healthy after $healthy_ms ms"

admin=http://127.0.0.1:$admin_port
curl -fsS "$admin/health" | grep -q '"status": *"ok"' || die "admin /health is not ok"
curl -fsS "$admin/mock/v1/ca.pem" -o "$work/ca.pem" || die "GET /mock/v1/ca.pem failed"
openssl x509 -in "$work/ca.pem" -noout 2>/dev/null || die "/mock/v1/ca.pem is not a certificate"
team=$(curl -fsS "$admin/mock/v1/team") || die "GET /mock/v1/team failed"
json() { printf '%s' "$team" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
key=$(json apiKey)
prefix=$(json topicPrefix)
tenant=$(json tenantId)
[ "$key" = "$(line api-key)" ] || die "the admin API's apiKey is not the one the start lines print"
say "admin API: /health ok, CA and API key fetched"

# REST over the published port, verified against the CA from the admin API
account=$(curl -fsS --cacert "$work/ca.pem" --resolve "localhost:$https_port:127.0.0.1" \
	-H "Authorization: Bearer $key" "https://localhost:$https_port/v1/account") ||
	die "REST GET /v1/account with the API key failed"
printf '%s' "$account" | grep -q "\"$tenant\"" || die "GET /v1/account does not name tenant $tenant"
say "REST: GET /v1/account with the API key through 127.0.0.1:$https_port"

# MQTT over mutual TLS as the fixture device, with the key and certificate serve issued for it in
# the data volume (the admin API hands out no private keys of existing devices)
D=nrf-352656100000001
$compose exec -T nrfcloud-mock cat "/data/devices/$D.crt" >"$work/$D.crt"
$compose exec -T nrfcloud-mock cat "/data/devices/$D.key" >"$work/$D.key"
tls="--cafile $work/ca.pem --cert $work/$D.crt --key $work/$D.key -h localhost -p $mqtt_port -i $D"
wait_for() { # wait_for JSON: /mock/v1/wait, 200 once a matching journal record exists
	curl -fsS -o /dev/null "$admin/mock/v1/wait" -H 'Content-Type: application/json' -d "$1"
}
since=$(($(date +%s) * 1000 - 1000))
# shellcheck disable=SC2086
mosquitto_pub $tls -q 1 -t "${prefix}m/d/$D/d2c" -m '{"appId":"TEMP","messageType":"DATA","data":"21.5"}' ||
	die "mosquitto_pub as $D failed"
wait_for "{\"timeout_ms\":10000,\"kind\":\"mqtt.publish\",\"device\":\"$D\",\"topic\":\"${prefix}m/d/$D/d2c\",\"since\":$since}" ||
	die "the d2c publish did not reach the journal"
say "MQTT: $D published d2c over TLS on 127.0.0.1:$mqtt_port"
since=$(($(date +%s) * 1000 - 1000))
# shellcheck disable=SC2086
mosquitto_sub $tls -q 1 -t "${prefix}m/d/$D/+/r" -C 1 -W 30 >"$work/c2d.txt" 2>"$work/sub.err" &
sub=$!
wait_for "{\"timeout_ms\":10000,\"kind\":\"mqtt.subscribe\",\"device\":\"$D\",\"since\":$since}" || {
	kill "$sub" 2>/dev/null
	die "mosquitto_sub as $D did not subscribe ($(cat "$work/sub.err"))"
}
curl -fsS -o /dev/null "$admin/mock/v1/publish" -H 'Content-Type: application/json' \
	-d "{\"topic\":\"${prefix}m/d/$D/c2d/r\",\"payload\":{\"appId\":\"LED\",\"data\":\"on\"},\"qos\":1}" ||
	die "admin publish of c2d failed"
wait "$sub" || die "mosquitto_sub got no c2d message ($(cat "$work/sub.err"))"
grep -q '"appId": *"LED"' "$work/c2d.txt" || die "c2d message is not the one sent: $(cat "$work/c2d.txt")"
say "MQTT: $D received c2d"

# The users' CI pattern (docker/compose.ci-example.yaml): a test service that starts once the
# server is healthy and takes the CA and API key from the admin API, by service name.
ci="docker-compose -p ${project}ci -f $src/docker/compose.ci-example.yaml"
ci_up=1
$ci up --exit-code-from tests >"$work/ci.log" 2>&1 || {
	tail -n 30 "$work/ci.log" >&2
	die "docker/compose.ci-example.yaml: the tests service failed (last lines above)"
}
grep -q 'tests: CA, API key, REST' "$work/ci.log" || die "compose.ci-example.yaml's tests said nothing"
$ci down -v >/dev/null 2>&1
ci_up=
say "compose.ci-example.yaml: tests service passed against the healthy server"

# --- 7. down -v --------------------------------------------------------------------------------
if [ "${KEEP:-}" = 1 ]; then
	say "image $NCM_IMAGE: $((size / 1000000)) MB, ready $ready_ms ms, healthy $healthy_ms ms"
	echo "docker image ok"
	exit 0
fi
$compose down -v >"$work/down.log" 2>&1 || {
	cat "$work/down.log" >&2
	die "compose down -v failed"
}
up=
[ -z "$(dk volume ls -q --filter "name=${project}_")" ] || die "down -v left the data volume"
[ -z "$(dk ps -aq --filter "label=com.docker.compose.project=$project")" ] ||
	die "down -v left containers"
say "image $NCM_IMAGE: $((size / 1000000)) MB, ready $ready_ms ms, healthy $healthy_ms ms"
echo "docker image ok"
