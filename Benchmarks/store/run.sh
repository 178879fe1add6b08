#!/bin/sh
# Builds the store benchmark in release mode and runs it:
#   Benchmarks/store/run.sh [rows] [batch] [users]
# Prints rows/s for feature_history inserts (the store's raw-statement path
# and GRDB's cached statements on the same rows), upserts, events, a
# featurize-shaped mix, and the database size per 1M history rows.
set -eu
cd "$(dirname "$0")"
swift build -c release --product store-bench >&2
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
echo "sqlite: $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo unknown)"
exec .build/release/store-bench "$@"
