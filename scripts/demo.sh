#!/usr/bin/env bash
# make demo: rtml replay of the committed fixture day through the whole
# pipeline (training the models first when there are none), then the stages
# one by one, then a live pipe from the simulator.
# Usage: scripts/demo.sh [RTML_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
RTML=${1:-.build/release/rtml}
OUT=${DEMO_DIR:-.build-demo}
rm -rf "$OUT"
mkdir -p "$OUT"
FIXTURE=fixtures/day-small.ndjson.gz
# Models outlive a demo run: trained once, on the fixture day's events received
# before SPLIT; the replay then runs on the rest of the day (docs/replay.md).
MODELS=${DEMO_MODELS:-.build-demo-models}
SPLIT=2026-11-26T14:00:00Z

if [ ! -f "$MODELS/models/recs/aliases.json" ] || [ ! -f "$MODELS/models/nextcat/aliases.json" ]; then
  echo "== training the models on the fixture day before $SPLIT (no models in $MODELS yet)"
  rm -rf "$MODELS"
  mkdir -p "$MODELS/stores"
  $RTML replay pace "$FIXTURE" --as-fast-as-possible --to "$SPLIT" --no-stamp -q \
    | $RTML ingest -q | $RTML featurize --store "$MODELS/stores/blue.db" --color blue --flush-at-end -q -o /dev/null
  $RTML train als --store "$MODELS/stores/blue.db" -q -o "$MODELS/models/recs" --alias champion > /dev/null
  $RTML train logistic --store "$MODELS/stores/blue.db" --label next-category -q -o "$MODELS/models/nextcat" --alias champion > /dev/null
  echo blue > "$MODELS/stores/ACTIVE"
  echo "models: $MODELS/models/recs@champion, $MODELS/models/nextcat@champion (store $MODELS/stores/blue.db)"
  echo
fi

echo "== rtml replay $FIXTURE --from $SPLIT (the rest of the day, as fast as possible, whole pipeline in one process)"
$RTML replay "$FIXTURE" --from "$SPLIT" --stores "$MODELS/stores" \
  --model "$MODELS/models/recs@champion" --rerank "$MODELS/models/nextcat@champion" \
  --as-fast-as-possible --slo 30s --work-store "$OUT/replay.db" --report "$OUT/replay"
echo
echo "== rtml replay --speed 60 (10 minutes of the evening in 10 s: end-to-end latency at the recorded pace)"
$RTML replay "$FIXTURE" --from 2026-11-26T20:00:00Z --for 10m --speed 60 --stores "$MODELS/stores" \
  --model "$MODELS/models/recs@champion" --rerank "$MODELS/models/nextcat@champion" \
  --slo 100ms --no-quality --report "$OUT/replay-paced" || true
echo
echo "HTML report: $OUT/replay/report.html (paced: $OUT/replay-paced/report.html)"
echo

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
echo "== rtml featurize --store $OUT/blue.db (event-time features, windows, prediction jobs)"
$RTML featurize "$OUT/events.ndjson.gz" --store "$OUT/blue.db" --color blue --rejects "$OUT/late.ndjson" \
  --stats "$OUT/featurize-stats.json" -o "$OUT/jobs.ndjson"
echo
echo "prediction jobs:    $OUT/jobs.ndjson ($(wc -l < "$OUT/jobs.ndjson") lines), e.g."
head -2 "$OUT/jobs.ndjson"
echo
echo "a few users' online features (sqlite3 $OUT/blue.db):"
sqlite3 -header -column "$OUT/blue.db" \
  "SELECT user_id, last_event, session_sleep_starts AS sleep_starts, session_sleep_bounce_rate AS bounce_rate,
          round(search_affinity_focus, 2) AS aff_focus, round(search_affinity_sleep, 2) AS aff_sleep,
          round(heart_rate_slope_10m, 2) AS hr_slope, starts_move_10m AS move_10m
     FROM features WHERE search_affinity_focus IS NOT NULL ORDER BY event_ts DESC LIMIT 5"
echo
sqlite3 -header -column "$OUT/blue.db" \
  "SELECT event, count(*) AS windows, sum(n) AS events FROM user_windows GROUP BY event ORDER BY events DESC"
echo
echo "== rtml train on $OUT/blue.db: ALS recommendations and a next-category model, each beside its baseline"
$RTML train als --store "$OUT/blue.db" -o "$OUT/models/recs" --alias champion > /dev/null
$RTML train logistic --store "$OUT/blue.db" --label next-category --horizon 1h -o "$OUT/models/nextcat" --alias champion > /dev/null
$RTML train list "$OUT/models/recs"
echo
echo "== rtml promote --stores $OUT/stores --to blue (checks the store and both models, then switches ACTIVE)"
mkdir -p "$OUT/stores"
cp "$OUT/blue.db" "$OUT/stores/blue.db"
$RTML promote --stores "$OUT/stores" --to blue --model "$OUT/models/recs@champion" --model "$OUT/models/nextcat@champion"
echo
echo "== rtml serve-once --stores $OUT/stores: three users' recommendations and the real-time context that shaped them"
grep '"trigger":"search"' "$OUT/jobs.ndjson" | tail -3 \
  | $RTML serve-once --stores "$OUT/stores" --model "$OUT/models/recs@champion" --rerank "$OUT/models/nextcat@champion" \
      -k 3 --sink push,pull --quiet \
  | python3 -c 'import json, sys
for line in sys.stdin:
    p = json.loads(line)
    context = ", ".join(f"{k[2:]} {v:.2f}" for k, v in sorted(p["context"].items(), key=lambda kv: -kv[1])[:3])
    items = ", ".join(i["contentId"] for i in p["items"])
    user, time = p["userId"], p["eventTime"]
    print(f"{user:>6} at {time}: next category {context} -> {items}")'
echo "pull sink: $(sqlite3 "$OUT/stores/blue.db" 'SELECT count(*) FROM predictions') rows in the store's predictions table"
echo
echo "== rtml diff $OUT/blue.db $OUT/green.db (before switching to a store that also saw the next day)"
# Stand-in for the retrain cycle's green store: the fixture day and a simulated next day, in one run.
$RTML simulate --users 300 --seed 8 --date 2026-11-27 --quiet | $RTML ingest --quiet -o "$OUT/next-day.ndjson"
$RTML featurize "$OUT/events.ndjson.gz" "$OUT/next-day.ndjson" --store "$OUT/green.db" --color green --quiet -o /dev/null
set +e
$RTML diff "$OUT/blue.db" "$OUT/green.db" --tables meta,features,sequence_ids,item_ids --examples 2 \
  --fail-on 'psi>0.25' --fail-on 'remapped_users>0'
status=$?
set -e
echo "(exit status $status: 0 = no gate tripped, 1 = a gate tripped)"
[ $status -le 1 ] || exit $status
echo
echo "== rtml simulate --users 2000 --seed 7 --malformed-rate 0.001 | rtml ingest (a live pipe)"
$RTML simulate --users 2000 --seed 7 --malformed-rate 0.001 --duplicate-rate 0.002 --quiet \
  | $RTML ingest --quiet --stats "$OUT/pipe-stats.json" > /dev/null || true
cat "$OUT/pipe-stats.json"
