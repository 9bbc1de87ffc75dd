#!/bin/sh
# Installs what the tests need (Debian packages), builds, and runs every test: unit and
# integration tests, the same under valgrind, a sanitizer build (address, undefined) of
# everything, and the Docker image built and checked with a real engine. This is the README's
# test command and what CI runs. Build folders: build-test, build-san (kept for reuse).
set -eu
cd "$(dirname "$0")/.."
sh docker/deps.sh test

setup() { # setup DIR [meson options...]
	dir=$1
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

echo "== build and test (unit + integration)"
setup build-test
meson test -C build-test --print-errorlogs

echo "== the same under valgrind"
meson test -C build-test --setup=valgrind --print-errorlogs

echo "== sanitizer build (address, undefined)"
setup build-san -Db_sanitize=address,undefined -Db_lundef=false
meson test -C build-san --setup=sanitize --print-errorlogs

echo "== Docker image: built from scratch, started through compose, checked from the host"
sh docker/test-image.sh
echo "all tests passed"
