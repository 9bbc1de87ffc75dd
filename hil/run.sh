#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the HIL suite against `nrfcloud-mock sim` for one NCS generation (meson test hil/ncs-X;
# docs/hil.md#ci). Usage: run.sh BUILD_DIR 2.5|2.8|3.3 [pytest args...]. Writes
# BUILD_DIR/hil/junit-ncs-X.xml. Skipped (77) under the valgrind and sanitize test setups: the
# suite drives whole processes for minutes, which those setups would multiply.
set -eu
build=$1
ncs=$2
shift 2
if [ "${NCM_VALGRIND:-}" = 1 ] || [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "hil: not run under the valgrind/sanitize setups"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
pytest=$(command -v pytest-3 || command -v pytest || true)
if [ -z "$pytest" ]; then
	echo "hil: pytest-3 missing (apt-get install python3-pytest python3-serial python3-pexpect)" >&2
	exit 1
fi
mkdir -p "$build/hil"
export PYTHONDONTWRITEBYTECODE=1
exec "$pytest" "$here" -q --dut "sim:ncs-$ncs" \
	--nrfcloud-mock "$build/nrfcloud-mock" --modem-emu "$build/tools/modem-emu/modem-emu" \
	--junitxml "$build/hil/junit-ncs-$ncs.xml" "$@"
