#!/bin/bash
# SPDX-License-Identifier: MIT
# check-readme.sh SOURCE_DIR BUILD_DIR: every command in README.md runs (docs/development.md#readme-commands).
#   ```sh             blocks run in order, in one bash with -e, in a folder laid out like the
#                     source folder after the Quick start (build/ -> BUILD_DIR, fixtures/ ->
#                     the source's), against `./build/nrfcloud-mock serve` started there on free
#                     ports; the README's ports 8883, 8443 and 8080 (-p, --mqtt-port, localhost:)
#                     are rewritten to those, and
#                     curl fails on an HTTP error status (--fail-with-body).
#   ```sh quickstart  the two Quick start commands (install, build, serve; install and run every
#                     test). CI runs them as .ci/run -> tests/run-all.sh, which calls the same
#                     docker/deps.sh and docker/build.sh; here their shape is checked, and the
#                     serve that ends the first one is the server the blocks above run against.
#   other blocks      output or syntax; not run.
set -euo pipefail
# Under `meson test --setup=valgrind` only this first process is watched; a shell is not what
# that setup is for, so the check runs in a new program image, which valgrind does not trace.
if [ -z "${NCM_README_EXEC:-}" ]; then
	NCM_README_EXEC=1 exec /bin/bash "$0" "$@"
fi
src=$(cd "${1:?source folder}" && pwd)
build=$(cd "${2:?build folder}" && pwd)
readme=$src/README.md

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	if [ -z "${NCM_KEEP_TMP:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT
fail() { echo "check-readme: $*" >&2; exit 1; }

# The README stays a front page; the rest lives in docs/ (docs/development.md#readme-commands).
chars=$(LC_ALL=C.UTF-8 wc -m <"$readme")
[ "$chars" -le 8000 ] || fail "README.md has $chars characters (at most 8000: move details to docs/)"

# ---- the fenced blocks ----
awk -v run="$work/blocks.sh" -v quick="$work/quickstart" '
/^```/ {
	if (!inblock) {
		info = substr($0, 4); sub(/[ \t]+$/, "", info)
		inblock = 1; n++
		if (info == "sh") printf "# README block %d (line %d)\n", n, NR + 1 > run
		next
	}
	inblock = 0; info = ""; next
}
inblock && info == "sh" { print > run }
inblock && info == "sh quickstart" { print > quick }
inblock && info !~ /^(sh|sh quickstart|text)$/ { bad = bad " " NR ":" info }
END { if (bad != "") { print "blocks without a known kind (sh, sh quickstart, text) at lines" bad > "/dev/stderr"; exit 1 } }
' "$readme" || fail "unmarked fenced block in README.md"
[ -s "$work/blocks.sh" ] || fail "README.md has no \`\`\`sh block to run"

# ---- the Quick start: two commands, the ones CI runs ----
mapfile -t quick <"$work/quickstart"
[ "${#quick[@]}" = 2 ] || fail "the Quick start must be exactly two commands, found ${#quick[@]}"
[[ ${quick[0]} == "sh docker/deps.sh build && "*" sh docker/build.sh && ./build/nrfcloud-mock serve" ]] ||
	fail "first Quick start command is not deps.sh, build.sh, serve: ${quick[0]}"
[[ ${quick[0]} == *"BUILD_DIR=build INSTALL=no "* ]] || fail "first Quick start command must build into ./build without installing"
grep -q 'BUILD_DIR' "$src/docker/build.sh" && grep -q 'INSTALL' "$src/docker/build.sh" ||
	fail "docker/build.sh no longer takes BUILD_DIR and INSTALL"
grep -q '^build)' "$src/docker/deps.sh" || fail "docker/deps.sh has no 'build' set"
[ "${quick[1]}" = "sh tests/run-all.sh" ] || fail "second Quick start command is not 'sh tests/run-all.sh': ${quick[1]}"
grep -q 'tests/run-all.sh' "$src/.ci/run" || fail ".ci/run does not run tests/run-all.sh"

# ---- a folder like the source folder, and the server the first command starts ----
ln -s "$build" "$work/build"
ln -s "$src/fixtures" "$work/fixtures"
mkfifo "$work/out"
(cd "$work" && exec ./build/nrfcloud-mock serve --mqtt-port 0 --https-port 0 --admin-port 0) \
	>"$work/out" 2>"$work/serve.log" &
pid=$!
exec 3<"$work/out"
mqtt= https= admin=
while IFS=' ' read -r -t 60 key value <&3; do
	case $key in
	mqtt-port) mqtt=$value ;;
	https-port) https=$value ;;
	admin-port) admin=$value ;;
	ready) break ;;
	esac
done
[ -n "$mqtt" ] && [ -n "$https" ] && [ -n "$admin" ] || {
	cat "$work/serve.log" >&2
	fail "the server did not get ready"
}

# ---- the blocks, against it ----
{
	echo 'curl() { command curl --fail-with-body "$@"; }'
	echo 'wait() { local p; for p in $(jobs -p); do builtin wait "$p" || return 1; done; }'
	sed -e "s/localhost:8080/localhost:$admin/g" -e "s/localhost:8443/localhost:$https/g" \
		-e "s/-p 8883/-p $mqtt/g" -e "s/--mqtt-port 8883/--mqtt-port $mqtt/g" "$work/blocks.sh"
	echo 'wait'
} >"$work/run.sh"
if ! (cd "$work" && bash -e "$work/run.sh") >"$work/run.out" 2>&1; then
	cat "$work/run.out" >&2
	echo "--- server log" >&2
	tail -n 40 "$work/serve.log" >&2
	fail "a README command failed (NCM_KEEP_TMP=1 keeps the script and the server folder)"
fi
cat "$work/run.out"
echo "check-readme: every README command ran ($(grep -c '^# README block' "$work/blocks.sh") blocks)"
