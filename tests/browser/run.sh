#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: the portal's browser test (portal.test.mjs) as a meson test. Skipped (77) under the
# valgrind and sanitize setups: a browser session checks the pages, not memory errors, and the
# other suites run the same server code there.
set -eu
if [ "${NCM_VALGRIND:-}" = 1 ] || [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "# browser test skipped under valgrind/sanitize"
	exit 77
fi
exec "${NODE:-node}" "$(dirname "$0")/portal.test.mjs"
