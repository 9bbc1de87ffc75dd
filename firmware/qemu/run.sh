#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the portable lab-shell tests for a Cortex-M33 and runs them under QEMU's MPS2 AN505
# (meson test firmware/lab-shell-qemu). Fails unless QEMU exits 0 AND the image printed
# "QEMU-RESULT PASS" (a hang is cut by the timeout). Usage: run.sh OUTDIR
set -eu
out=${1:?usage: run.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
make -s -C "$here" O="$(cd "$out" && pwd)"
log="$out/qemu.log"
rc=0
timeout 60 qemu-system-arm -M mps2-an505 -cpu cortex-m33 -nographic -monitor none -serial none \
	-semihosting-config enable=on,target=native -kernel "$out/lab_shell_tests.elf" >"$log" 2>&1 || rc=$?
cat "$log"
if [ "$rc" -ne 0 ] || ! grep -q '^QEMU-RESULT PASS' "$log"; then
	echo "run.sh: qemu exit status $rc; the unit tests did not pass on the Cortex-M33" >&2
	exit 1
fi
