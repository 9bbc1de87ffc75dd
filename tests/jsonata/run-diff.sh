#!/bin/sh
# SPDX-License-Identifier: MIT
# run-diff.sh: the JSONata differential test as a meson test (tests/jsonata/meson.build).
# Installs the pinned reference implementation (package-lock.json) into the git-ignored
# node_modules/ with `npm ci` when it is missing or another version, then runs diff.js.
# usage: run-diff.sh <path to jsonata_run>
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${NCM_VALGRIND:-}" = 1 ]; then
	# node under valgrind is not what this test is about; core/jsonata runs under it
	echo "jsonata-diff: skipped under valgrind"
	exit 77
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "jsonata-diff: node and npm are needed (docker/deps.sh test installs them)" >&2
	exit 1
fi
want=$(node -e 'console.log(require(process.argv[1]).packages["node_modules/jsonata"].version)' \
	"$here/package-lock.json")
have=$(node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("none") }' \
	"$here/node_modules/jsonata/package.json")
if [ "$want" != "$have" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/diff.js" "$1"
