#!/bin/sh
# Interleaved A/B of the feature engine: builds the engine of git revision
# BASE (default HEAD) and the working tree's, checks that both give the same
# output digest, then alternates rounds of the two in the same minute (the
# machine's speed drifts: never compare with old numbers).
#   ./Benchmarks/features/ab.sh [BASE] [input] [pairs]
# input: canonical lines (default .build-bench/sim-14150.ndjson, made with
# `rtml simulate --users 14150 --seed 1 | rtml ingest --received-at-default timestamp`).
set -eu
cd "$(dirname "$0")/../.."
base="${1:-HEAD}"
input="${2:-.build-bench/sim-14150.ndjson}"
pairs="${3:-3}"
if [ ! -f "$input" ]; then
  .build/release/rtml simulate --users 14150 --seed 1 | .build/release/rtml ingest --received-at-default timestamp > "$input"
fi
rm -rf .build-bench/base-src && mkdir -p .build-bench/base-src
git archive "$base" Sources/RTMLCore/Features | tar -x -C .build-bench/base-src
FEATURES_SRC=.build-bench/base-src/Sources/RTMLCore/Features BENCH_BIN=.build-bench/bench-a BUILD_ONLY=1 sh Benchmarks/features/run.sh
BENCH_BIN=.build-bench/bench-b BUILD_ONLY=1 sh Benchmarks/features/run.sh
da=$(.build-bench/bench-a "$input" 5000 --digest | grep digest)
db=$(.build-bench/bench-b "$input" 5000 --digest | grep digest)
echo "A ($base) $da"
echo "B (tree) $db"
[ "$da" = "$db" ] || { echo "OUTPUTS DIFFER"; exit 1; }
for i in $(seq "$pairs"); do
  printf 'A '; .build-bench/bench-a "$input" 5000 1 | grep round | sed -E 's/round 1: ([0-9.]+) s wall, ([0-9.]+) s CPU; ([0-9]+) events\/s engine alone, ([0-9]+) with checkpoint encoding, ([0-9]+) per CPU second.*/\3 events\/s engine alone, \4 with checkpoint encoding, \5 per CPU second (\1 s wall, \2 s CPU)/'
  printf 'B '; .build-bench/bench-b "$input" 5000 1 | grep round | sed -E 's/round 1: ([0-9.]+) s wall, ([0-9.]+) s CPU; ([0-9]+) events\/s engine alone, ([0-9]+) with checkpoint encoding, ([0-9]+) per CPU second.*/\3 events\/s engine alone, \4 with checkpoint encoding, \5 per CPU second (\1 s wall, \2 s CPU)/'
done
