#!/bin/sh
# The plugin must export exactly Mosquitto's three plugin entry points (docs/development.md#tests)
# and must not link libmosquitto, whose symbols the broker itself provides.
set -eu
so=$1
got=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
want="mosquitto_plugin_cleanup mosquitto_plugin_init mosquitto_plugin_version "
if [ "$got" != "$want" ]; then
	echo "exported: $got" >&2
	echo "expected: $want" >&2
	exit 1
fi
if ldd "$so" | grep -q libmosquitto; then
	echo "$so links libmosquitto" >&2
	exit 1
fi
echo "ok: $so exports exactly: $got"
