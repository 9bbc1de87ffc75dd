#!/bin/sh
# JSONata benchmark: expressions per second on a 2 KB device shadow, for a mix of transforms
# devices and backends send, and how fast a hostile expression is refused (bench/jsonata_bench.c).
# Usage: sh bench/run-jsonata.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_build
"$build/bench/jsonata_bench" "${1:-5}"
