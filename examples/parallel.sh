#!/usr/bin/env bash
# Featurize a day on one machine as N parallel pipelines, one per user partition,
# into a store set; optionally train on the set and serve its jobs from it.
#
#   examples/parallel.sh day.ndjson.gz 4 set/            # set/part-0000.db ... part-0003.db + manifest.json
#   examples/parallel.sh day.ndjson.gz 4 set/ models/    # ... then models/recs (ALS over the set) and
#                                                        # set/predictions.ndjson (every job served from the set)
#
# `rtml partition` splits the log by the user hash (docs/scale-out.md), then
# xargs -P runs `rtml ingest | rtml featurize --partition I/N` on each part at
# once (GNU parallel does the same: `seq 0 $((N-1)) | parallel -j "$N" ...`);
# each featurize registers its shard in set/manifest.json, so the N of them
# make a store set without a coordinator.
# RTML (default: rtml on PATH) names the binary; INGEST_ARGS, FEATURIZE_ARGS
# and TRAIN_ARGS add flags to the stages.
set -euo pipefail
if [ $# -ne 3 ] && [ $# -ne 4 ]; then
  echo "usage: $0 DAY N OUTDIR [MODELSDIR]" >&2
  exit 64
fi
day=$1 n=$2 out=$3 models=${4:-}
export RTML=${RTML:-rtml} INGEST_ARGS=${INGEST_ARGS:-} FEATURIZE_ARGS=${FEATURIZE_ARGS:-} N=$n

"$RTML" partition "$n" --out "$out" --quiet --stats "$out/partition.json" "$day"
seq 0 $((n - 1)) | xargs -P "$n" -I{} bash -c '
  set -o pipefail
  p=$(printf "%s/part-%04d" "$1" "$2")
  "$RTML" ingest "$p.ndjson" --quiet --stats "$p.ingest.json" --rejects "$p.rejects.ndjson" $INGEST_ARGS \
    | "$RTML" featurize --store "$p.db" --partition "$2/$N" --flush-at-end --quiet --stats "$p.featurize.json" $FEATURIZE_ARGS > "$p.jobs.ndjson"
' _ "$out" {}
"$RTML" store-set show "$out" >&2    # validates the set: exit 2 if a shard is missing or misplaced

if [ -n "$models" ]; then
  "$RTML" train als --store "$out" -o "$models/recs" --alias champion --quiet ${TRAIN_ARGS:-} > /dev/null
  cat "$out"/part-*.jobs.ndjson | "$RTML" serve-once --store "$out" --model "$models/recs@champion" --quiet > "$out/predictions.ndjson"
fi
