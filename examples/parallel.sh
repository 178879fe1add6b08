#!/usr/bin/env bash
# Featurize a day on one machine as N parallel pipelines, one per user partition.
#
#   examples/parallel.sh day.ndjson.gz 4 stores/       # stores/part-0000.db ... part-0003.db
#
# `rtml partition` splits the log by the user hash (docs/scale-out.md), then
# xargs -P runs `rtml ingest | rtml featurize` on each part at once (GNU
# parallel does the same: `seq 0 $((N-1)) | parallel -j "$N" ...`).
# RTML (default: rtml on PATH) names the binary; INGEST_ARGS and
# FEATURIZE_ARGS add flags to the two stages.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 DAY N OUTDIR" >&2
  exit 64
fi
day=$1 n=$2 out=$3
export RTML=${RTML:-rtml} INGEST_ARGS=${INGEST_ARGS:-} FEATURIZE_ARGS=${FEATURIZE_ARGS:-}

"$RTML" partition "$n" --out "$out" --quiet --stats "$out/partition.json" "$day"
seq 0 $((n - 1)) | xargs -P "$n" -I{} bash -c '
  set -o pipefail
  p=$(printf "%s/part-%04d" "$1" "$2")
  "$RTML" ingest "$p.ndjson" --quiet --stats "$p.ingest.json" --rejects "$p.rejects.ndjson" $INGEST_ARGS \
    | "$RTML" featurize --store "$p.db" --flush-at-end --quiet --stats "$p.featurize.json" $FEATURIZE_ARGS > "$p.jobs.ndjson"
' _ "$out" {}
