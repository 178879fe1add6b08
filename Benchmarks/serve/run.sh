#!/usr/bin/env bash
# serve-once on the jobs of the 1M-event day beside jq reading the same
# jobs. Usage: Benchmarks/serve/run.sh RTML WORKDIR STORE
# Targets: >= 100,000 jobs/s; p99 per job < 1 ms.
set -euo pipefail
RTML=$1
WORK=$2
STORE=$3
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
JOBS="$WORK/serve-jobs.ndjson"
# The day's trigger events as jobs, in arrival order (what featurize emits for them).
if [ ! -s "$JOBS" ] || [ "$JOBS" -ot "$STORE" ]; then
  sqlite3 "$STORE" "SELECT json_object('jobId', 'j-' || row_id, 'userId', user_id, 'trigger', event,
      'eventTime', strftime('%Y-%m-%dT%H:%M:%fZ', event_ts / 1000.0, 'unixepoch'), 'attempt', 1)
    FROM events WHERE event IN ('search', 'content.complete', 'content.exit') ORDER BY row_id" > "$JOBS"
fi
N=$(wc -l < "$JOBS")
MODELS="$WORK/serve-models"
if [ ! -d "$MODELS/recs" ] || [ "$MODELS/recs" -ot "$STORE" ]; then
  rm -rf "$MODELS"
  "$RTML" train als --store "$STORE" --factors 32 --iterations 10 -q -o "$MODELS/recs" > /dev/null
  "$RTML" train logistic --store "$STORE" --label next-category -q -o "$MODELS/nextcat" > /dev/null
fi
echo "== serve-once: $N jobs from $(basename "$STORE"), ALS 32 factors over $(sqlite3 "$STORE" 'SELECT count(*) FROM item_ids') items, k = 10"
t0=$(date +%s.%N); jq -c . "$JOBS" > /dev/null; t1=$(date +%s.%N)
T_JQ=$(echo "$t1 - $t0" | bc -l)
printf '%-34s %7.2fs %9.0f jobs/s\n' "jq -c . (read the jobs)" "$T_JQ" "$(echo "$N / $T_JQ" | bc -l)"
run() {  # label, extra args
  local label=$1; shift
  local t0 t1 s
  cp "$STORE" "$WORK/serve.db"
  t0=$(date +%s.%N)
  "$RTML" serve-once "$JOBS" --store "$WORK/serve.db" --model "$MODELS/recs" "$@" -q --stats "$WORK/serve-stats.json" > /dev/null
  t1=$(date +%s.%N)
  s=$(cat "$WORK/serve-stats.json")
  printf '%-34s %7.2fs %9.0f jobs/s   service p50 %s us, p99 %s us, max %s us   (read to written p99 %s us)\n' "$label" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "$N / ($t1 - $t0)" | bc -l)" \
    "$(echo "$s" | json 'd["service"]["p50_us"]')" "$(echo "$s" | json 'd["service"]["p99_us"]')" \
    "$(echo "$s" | json 'd["service"]["max_us"]')" "$(echo "$s" | json 'd["latency"]["p99_us"]')"
}
run "rtml serve-once (push)"
run "rtml serve-once --rerank (push)" --rerank "$MODELS/nextcat"
run "rtml serve-once --rerank (push,pull)" --rerank "$MODELS/nextcat" --sink push,pull
rm -f "$WORK"/serve.db*
