#!/usr/bin/env bash
# make demo: the main job on the committed fixture day, then the same stages
# as a live pipe from the simulator. Usage: scripts/demo.sh [RTML_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
RTML=${1:-.build/release/rtml}
OUT=${DEMO_DIR:-.build-demo}
rm -rf "$OUT"
mkdir -p "$OUT"
FIXTURE=fixtures/day-small.ndjson.gz

echo "== rtml ingest $FIXTURE (the committed fixture day)"
set +e
$RTML ingest "$FIXTURE" --rejects "$OUT/rejects.ndjson" --stats "$OUT/ingest-stats.json" -o "$OUT/events.ndjson.gz"
status=$?
set -e
[ $status -le 1 ] || exit $status
echo
echo "canonical events:   $OUT/events.ndjson.gz ($(zcat "$OUT/events.ndjson.gz" | wc -l) lines)"
echo "rejected records:   $OUT/rejects.ndjson ($(wc -l < "$OUT/rejects.ndjson") lines), e.g."
head -2 "$OUT/rejects.ndjson" | cut -c1-200
echo "counters:           $OUT/ingest-stats.json"
echo
echo "== rtml simulate --users 2000 --seed 7 --malformed-rate 0.001 | rtml ingest (a live pipe)"
$RTML simulate --users 2000 --seed 7 --malformed-rate 0.001 --duplicate-rate 0.002 --quiet \
  | $RTML ingest --quiet --stats "$OUT/pipe-stats.json" > /dev/null || true
cat "$OUT/pipe-stats.json"
