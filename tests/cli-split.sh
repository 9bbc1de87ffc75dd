#!/bin/sh
# The nrfcloud-mock command and nrfcloud-mock-client (server/cli/main.c): `serve` and `ca` run
# in a program that links neither libcurl nor libmosquitto (docs/performance.md#start-up); the
# client commands are exec'd in the second program and keep their usage, flags and exit
# status; without the client program a client command fails with a clear message.
#   cli-split.sh NRFCLOUD_MOCK NRFCLOUD_MOCK_CLIENT
set -eu
bin=$1
client=$2
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
for f in "$bin" "$client"; do
	[ -x "$f" ] || fail "$f is not built"
done
needed=$(readelf -d "$bin" | awk '/NEEDED/ { print $NF }' | tr -d '[]' | tr '\n' ' ')
case $needed in
*libcurl* | *libmosquitto* | *libssl* | *libgnutls*) fail "$bin needs $needed" ;;
esac
readelf -d "$client" | grep -q 'libmosquitto' || fail "$client does not link libmosquitto"

out=$("$bin" --help)
for cmd in serve ca replay provision sim; do
	echo "$out" | grep -q "^  $cmd " || fail "--help does not list $cmd"
done
for cmd in replay provision sim; do
	out=$("$bin" "$cmd" --help) || fail "$cmd --help exited $?"
	echo "$out" | grep -q "^usage: nrfcloud-mock $cmd" || fail "$cmd --help printed: $out"
	set +e
	err=$("$bin" "$cmd" --no-such-flag 2>&1 >/dev/null)
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "$cmd --no-such-flag exited $rc, not 2"
	echo "$err" | grep -q "^nrfcloud-mock $cmd: unknown flag '--no-such-flag'" ||
		fail "$cmd --no-such-flag said: $err"
done
set +e
err=$("$bin" no-such-command 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "an unknown command exited $rc, not 2"

# A copy of the command away from the build folder finds no client beside it; it then runs the
# installed one, so this part needs an install without one.
installed=$(strings "$bin" | grep '/nrfcloud-mock/nrfcloud-mock-client$' | head -n 1)
if [ -n "$installed" ] && [ ! -e "$installed" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp "$bin" "$tmp/nrfcloud-mock"
	set +e
	err=$("$tmp/nrfcloud-mock" sim --help 2>&1)
	rc=$?
	set -e
	[ "$rc" = 1 ] || fail "sim without the client exited $rc, not 1"
	echo "$err" | grep -q "^nrfcloud-mock sim: cannot run $installed: " ||
		fail "sim without the client said: $err"
	"$tmp/nrfcloud-mock" ca --help >/dev/null || fail "ca --help needs the client"
fi
echo "ok: $bin (needs: $needed) and $client"
