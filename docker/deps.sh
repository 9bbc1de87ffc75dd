#!/bin/sh
# Installs what nrfcloud-mock needs from Debian bookworm, for building, running and testing.
# Shared by .ci/run, the README's Quick start and docker/Dockerfile, so CI proves all three.
#   deps.sh build    compiler, meson and the -dev packages (default)
#   deps.sh runtime  only what the server needs at run time
#   deps.sh test     build + test tools (Check, valgrind, mosquitto clients, yaml parser)
#   deps.sh docker   a Docker engine started by hand, Compose v1, debootstrap and the clients
#                    docker/test-image.sh drives the container with
#   deps.sh bench    test + the baselines bench/ compares against (nginx; not needed by CI)
set -eu
what=${1:-build}
runtime="mosquitto libmosquitto1 libcurl4 libmicrohttpd12 libjansson4 libsqlite3-0 libssl3 zlib1g ca-certificates curl"
# JSONata regular expressions (server/core/jsonata_fn.c)
runtime="$runtime libpcre2-8-0"
build="$runtime gcc meson ninja-build pkg-config mosquitto-dev libmosquitto-dev
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev zlib1g-dev"
build="$build libpcre2-dev"
test="$build check libsubunit-dev valgrind mosquitto-clients python3 python3-yaml sqlite3 openssl"
docker="docker.io docker-compose debootstrap iptables mosquitto-clients curl ca-certificates openssl python3"
# node: the portal's browser test (tests/browser) and the JSONata differential test
# (tests/jsonata/, the reference implementation from npm)
test="$test nodejs npm chromium"
test="$test python3-pytest python3-serial python3-pexpect" # the HIL suite (hil/, docs/hil.md)
test="$test gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm" # the lab shell on a Cortex-M33 (docs/firmware.md)
bench="$test nginx-light"
case "$what" in
runtime) pkgs=$runtime ;;
build) pkgs=$build ;;
test) pkgs=$test ;;
docker) pkgs=$docker ;;
bench) pkgs=$bench ;;
*) echo "deps.sh: unknown set '$what' (runtime, build, test, docker or bench)" >&2; exit 2 ;;
esac
# A Node.js that ships its own npm (NodeSource's nodejs package provides and conflicts with
# Debian's npm): asking for Debian's npm too would make apt refuse the whole install.
if command -v npm >/dev/null 2>&1; then
	pkgs=$(printf '%s\n' $pkgs | grep -v -x npm | tr '\n' ' ')
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
