#!/usr/bin/env bash
# make bench: rtml's throughput beside baselines run in the same invocation,
# so the ratios hold on a noisy machine. Usage: Benchmarks/run.sh [RTML_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
RTML=${1:-.build/release/rtml}
RUNS=${RUNS:-3}
# Sections to run (all by default): BENCH_SECTIONS="simulate ingest parser featurize diff train serve replay partition"
SECTIONS=${BENCH_SECTIONS:-simulate ingest parser featurize diff train serve replay partition}
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
WORK=.build-bench
mkdir -p "$WORK"
export LC_ALL=C

# Median wall time of RUNS runs of a shell command, in seconds.
median_time() {
  local cmd=$1 times=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N)
    bash -c "$cmd"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

# Peak resident memory (MiB) of one run.
peak_mib() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'
  else
    echo "n/a"
  fi
}

rate() { echo "$1 / $2" | bc -l | awk '{printf "%.0f", $1}'; }
ratio() { echo "$1 / $2" | bc -l | awk '{printf "%.2f", $1}'; }

echo "== machine"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "rtml:   $($RTML --version) ($RTML)"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo

USERS=${BENCH_USERS:-14150}
DAY="$WORK/day-$USERS-clean.ndjson.gz"
# No malformed lines: jq stops at the first one, and the baseline must read the whole day.
SIMARGS="--users $USERS --seed 1 --duplicate-rate 0.002 --late-rate 0.001"
if [ ! -s "$DAY" ]; then
  echo "generating $DAY (rtml simulate $SIMARGS) ..."
  $RTML simulate $SIMARGS --quiet -o "$DAY"
fi
EVENTS=$(zcat "$DAY" | wc -l)
BYTES=$(zcat "$DAY" | wc -c)
echo "== input: $DAY, $EVENTS events, $((BYTES / 1000000)) MB uncompressed, $(( $(stat -c %s "$DAY") / 1000000 )) MB gzip"
echo

if want simulate; then
echo "== simulate (uncompressed to /dev/null)"
T_SIM=$(median_time "$RTML simulate $SIMARGS --quiet > /dev/null")
echo "rtml simulate     ${T_SIM}s  $(rate "$EVENTS" "$T_SIM") events/s   (target >= 500000)"
echo
fi

if want ingest; then
echo "== ingest of the gzip day (median of $RUNS runs)"
T_ZCAT=$(median_time "zcat '$DAY' > /dev/null")
T_JQ=$(median_time "zcat '$DAY' | jq -c . > /dev/null")
T_INGEST=$(median_time "$RTML ingest --quiet '$DAY' > /dev/null")
M_INGEST=$(peak_mib "$RTML ingest --quiet '$DAY' > /dev/null")
printf '%-22s %8ss %12s events/s\n' "zcat > /dev/null" "$T_ZCAT" "$(rate "$EVENTS" "$T_ZCAT")"
printf '%-22s %8ss %12s events/s\n' "zcat | jq -c ." "$T_JQ" "$(rate "$EVENTS" "$T_JQ")"
printf '%-22s %8ss %12s events/s   peak %s MiB\n' "rtml ingest" "$T_INGEST" "$(rate "$EVENTS" "$T_INGEST")" "$M_INGEST"
echo "ingest / zcat = $(ratio "$T_INGEST" "$T_ZCAT")   (target <= 1.5)"
echo "jq / ingest   = $(ratio "$T_JQ" "$T_INGEST")"
echo "ingest events/s target >= 1000000: $(rate "$EVENTS" "$T_INGEST")"
fi

if want parser; then
echo
echo "== JSON parser choice (validate 1M lines in memory, one core)"
PLAIN="$WORK/day-$USERS-clean.ndjson"
[ -s "$PLAIN" ] || zcat "$DAY" > "$PLAIN"
swiftc -O -wmo -parse-as-library Sources/RTMLCore/JSON/*.swift Benchmarks/json/main.swift -o "$WORK/json-bench" 2>/dev/null
"$WORK/json-bench" "$PLAIN" | tail -1 | sed 's/^/rtml JSONScanner: /'
if g++ -O3 -std=c++17 Benchmarks/parser-choice/simdjson-probe.cpp -lsimdjson -o "$WORK/simdjson-probe" 2>/dev/null; then
  "$WORK/simdjson-probe" "$PLAIN"
else
  echo "simdjson: libsimdjson-dev not available, comparison skipped"
fi
fi

if want featurize; then
echo
echo "== featurize (canonical events into a new SQLite store)"
CANON="$WORK/day-$USERS-canonical.ndjson"
[ -s "$CANON" ] || $RTML ingest --quiet --received-at-default timestamp "$DAY" -o "$CANON"
CEVENTS=$(wc -l < "$CANON")
# Median of RUNS runs into a new store each (the machine's speed drifts
# from minute to minute; deleting the last run's 200 MB store is not
# timed), then one more run for the peak memory.
FEAT_TIMES=()
for _ in $(seq "$RUNS"); do
  rm -f "$WORK"/feat.db*
  t0=$(date +%s.%N)
  $RTML featurize "$CANON" --store "$WORK/feat.db" --quiet -o /dev/null > /dev/null
  t1=$(date +%s.%N)
  FEAT_TIMES+=("$(echo "$t1 - $t0" | bc -l)")
done
FEAT_S=$(printf '%s\n' "${FEAT_TIMES[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}')
echo "featurize runs: $(printf '%s\n' "${FEAT_TIMES[@]}" | sort -g | awk '{printf "%.2f ", $1}')"
rm -f "$WORK"/feat.db*
T_FEAT=$( { /usr/bin/time -f '%e %M' $RTML featurize "$CANON" --store "$WORK/feat.db" --quiet -o /dev/null > /dev/null; } 2>&1 | tail -1)
FEAT_KB=${T_FEAT#* }
printf '%-22s %8ss %12s events/s   peak %s MiB   (%s events, median of %s runs; target >= 300000 events/s)\n' "rtml featurize" "$FEAT_S" "$(rate "$CEVENTS" "$FEAT_S")" "$((FEAT_KB / 1024))" "$CEVENTS" "$RUNS"
echo "store size: $(du -m "$WORK/feat.db" | cut -f1) MB"

if [ -n "${BENCH_4X-1}" ]; then
  BIG="$WORK/day-4x-canonical.ndjson"
  if [ ! -s "$BIG" ]; then
    $RTML simulate --users $((USERS * 4)) --seed 2 --quiet | $RTML ingest --quiet --received-at-default timestamp -o "$BIG"
  fi
  rm -f "$WORK"/feat4.db*
  T_BIG=$( { /usr/bin/time -f '%e %M' $RTML featurize "$BIG" --store "$WORK/feat4.db" --quiet -o /dev/null > /dev/null; } 2>&1 | tail -1)
  printf '%-22s %8ss %12s events/s   peak %s MiB   (%s events)\n' "rtml featurize 4x" "${T_BIG% *}" "$(rate "$(wc -l < "$BIG")" "${T_BIG% *}")" "$(( ${T_BIG#* } / 1024 ))" "$(wc -l < "$BIG")"
fi

if python3 -c "import pyspark" 2>/dev/null; then
  rm -rf "$WORK/spark"
  python3 Tests/spark/windows_parity.py prepare-all "$CANON" "$WORK/spark" > /dev/null
  t0=$(date +%s.%N)
  python3 Tests/spark/windows_parity.py spark "$WORK/spark" > /dev/null 2>&1
  T_SPARK=$(echo "$(date +%s.%N) - $t0" | bc -l | awk '{printf "%.3f", $1}')
  printf '%-22s %8ss %12s events/s   (Structured Streaming, local[1], one file per 10 minutes of arrivals)\n' "pyspark windows job" "$T_SPARK" "$(rate "$CEVENTS" "$T_SPARK")"
  echo "spark / featurize = $(ratio "$T_SPARK" "$FEAT_S")"
else
  echo "pyspark not installed: Spark comparison skipped"
fi
fi

# The day's store: featurize's (above), or made here when that section did not run.
day_store() {
  if [ ! -s "$WORK/feat.db" ]; then
    local canon="$WORK/day-$USERS-canonical.ndjson"
    [ -s "$canon" ] || $RTML ingest --quiet --received-at-default timestamp "$DAY" -o "$canon"
    $RTML featurize "$canon" --store "$WORK/feat.db" --quiet -o /dev/null
  fi
  echo "$WORK/feat.db"
}

if want train; then
echo
Benchmarks/train/run.sh "$RTML" "$WORK" "$(day_store)"
fi

if want serve; then
echo
Benchmarks/serve/run.sh "$RTML" "$WORK" "$(day_store)"
fi

if want diff; then
echo
DIFF_USERS=${BENCH_DIFF_USERS:-1000000}
echo "== diff of two $DIFF_USERS-user stores (Benchmarks/diff/make-stores.sh: features + sequence_ids by SQL)"
DD="$WORK/diff-$DIFF_USERS"
[ -s "$DD/green.db" ] || Benchmarks/diff/make-stores.sh "$RTML" "$DD" "$DIFF_USERS"
echo "store size: $(du -m "$DD/blue.db" | cut -f1) MB (blue), $(du -m "$DD/green.db" | cut -f1) MB (green)"
# Wall seconds, CPU seconds and peak RSS (MiB) of one run; the status (1: differences) is expected.
timed() {
  /usr/bin/time -f '%e %U %S %M' bash -c "$1 > /dev/null; true" 2>&1 | tail -1 \
    | awk '{printf "%8.2fs wall %7.2fs cpu   peak %4.0f MiB", $1, $2 + $3, $4 / 1024}'
}
printf '%-34s %s\n' "rtml diff (text, PSI+KS)" "$(timed "$RTML diff '$DD/blue.db' '$DD/green.db'")"
printf '%-34s %s\n' "rtml diff --no-drift" "$(timed "$RTML diff --no-drift '$DD/blue.db' '$DD/green.db'")"
printf '%-34s %s\n' "rtml diff --format sql --no-drift" "$(timed "$RTML diff --format sql --no-drift '$DD/blue.db' '$DD/green.db'")"
if command -v sqldiff > /dev/null; then
  printf '%-34s %s\n' "sqldiff (sqlite3-tools)" "$(timed "sqldiff '$DD/blue.db' '$DD/green.db'")"
else
  echo "sqldiff: not installed (apt-get install sqlite3-tools), comparison skipped"
fi
$RTML diff --no-drift --tables sequence_ids --format ndjson "$DD/blue.db" "$DD/green.db" | grep '"type":"sequence_ids"' || true
fi

if want replay; then
echo
echo "== replay (the whole pipeline in one process: pace, ingest, featurize, serve-once, measure)"
# Models trained once on the day's events received before 12:00 (kept between runs).
RSTORES="$WORK/replay-stores"
if [ ! -f "$WORK/replay-models/nextcat/aliases.json" ]; then
  rm -rf "$RSTORES" "$WORK/replay-models"
  mkdir -p "$RSTORES"
  $RTML replay pace "$DAY" --as-fast-as-possible --to 2026-11-26T12:00:00Z --no-stamp -q \
    | $RTML ingest -q | $RTML featurize --store "$RSTORES/blue.db" --flush-at-end -q -o /dev/null
  $RTML train als --store "$RSTORES/blue.db" -q -o "$WORK/replay-models/recs" > /dev/null
  $RTML train logistic --store "$RSTORES/blue.db" --label next-category -q -o "$WORK/replay-models/nextcat" > /dev/null
fi
RARGS="--store $RSTORES/blue.db --model $WORK/replay-models/recs --rerank $WORK/replay-models/nextcat"
T_RZCAT=$(median_time "zcat '$DAY' > /dev/null")
T_REPLAY=$(median_time "$RTML replay '$DAY' $RARGS --as-fast-as-possible --no-quality --work-store $WORK/replay-work.db -q")
printf '%-34s %8ss %12s events/s\n' "zcat > /dev/null" "$T_RZCAT" "$(rate "$EVENTS" "$T_RZCAT")"
printf '%-34s %8ss %12s events/s   (target < 10 s)\n' "rtml replay --as-fast-as-possible" "$T_REPLAY" "$(rate "$EVENTS" "$T_REPLAY")"
echo "replay / zcat = $(ratio "$T_REPLAY" "$T_RZCAT")"
# The report and quality on the afternoon only: the models were trained on
# the morning, and judging them on the events they learned from flatters
# the model alone.
echo "quality: the afternoon (--from 12:00) that the models did not see"
$RTML replay "$DAY" $RARGS --as-fast-as-possible --from 2026-11-26T12:00:00Z --work-store "$WORK/replay-work.db" --report "$WORK/replay-report" 2>&1 | sed 's/^/  /'
# Paced: the fixture day at --speed 60 (BENCH_PACED_FOR=2h: a 2-hour slice of
# the evening, 2 minutes; BENCH_PACED_FOR=day: the whole day, about 27 minutes).
FSTORES="$WORK/replay-fixture"
if [ ! -f "$FSTORES/models/nextcat/aliases.json" ]; then
  rm -rf "$FSTORES"
  mkdir -p "$FSTORES"
  $RTML replay pace fixtures/day-small.ndjson.gz --as-fast-as-possible --to 2026-11-26T14:00:00Z --no-stamp -q \
    | $RTML ingest -q | $RTML featurize --store "$FSTORES/blue.db" --flush-at-end -q -o /dev/null
  $RTML train als --store "$FSTORES/blue.db" -q -o "$FSTORES/models/recs" > /dev/null
  $RTML train logistic --store "$FSTORES/blue.db" --label next-category -q -o "$FSTORES/models/nextcat" > /dev/null
fi
PACED_FOR=${BENCH_PACED_FOR:-2h}
if [ "$PACED_FOR" = day ]; then SLICE=""; else SLICE="--from 2026-11-26T18:00:00Z --for $PACED_FOR"; fi
echo "paced: fixtures/day-small.ndjson.gz $SLICE --speed 60 (target p99 < 100 ms)"
$RTML replay fixtures/day-small.ndjson.gz $SLICE --speed 60 --store "$FSTORES/blue.db" --model "$FSTORES/models/recs" \
  --rerank "$FSTORES/models/nextcat" --slo 100ms --report "$WORK/replay-paced" 2>&1 | sed 's/^/  /' || true
fi

if want partition; then
echo
echo "== partition: the day through ingest | featurize as 1 process and as 2 user partitions at once ($(nproc) cores); train and serve over the 2-shard store set"
PW="$WORK/partition"
rm -rf "$PW"; mkdir -p "$PW"
# Wall seconds of one run (these runs are long; one each, not a median).
wall() {
  local t0; t0=$(date +%s.%N)
  bash -c "set -o pipefail; $1"
  echo "$(date +%s.%N) - $t0" | bc -l | awk '{printf "%.2f", $1}'
}
PIPE="--received-at-default timestamp --quiet"
T_ONE=$(wall "$RTML ingest '$DAY' $PIPE | $RTML featurize --store '$PW/one.db' --flush-at-end --quiet -o /dev/null")
printf '%-44s %8ss %10s events/s\n' "1 process: ingest | featurize" "$T_ONE" "$(rate "$EVENTS" "$T_ONE")"
T_SPLIT=$(wall "$RTML partition 2 --out '$PW/parts' --quiet '$DAY'")
# featurize --partition I/2 into parts/part-000I.db: the parts are a store set (used below).
T_PARTS=$(wall "for i in 0 1; do p=\$(printf '$PW/parts/part-%04d' \$i); ($RTML ingest \$p.ndjson $PIPE | $RTML featurize --store \$p.db --partition \$i/2 --flush-at-end --quiet -o \$p.jobs) & done; wait")
T_TWO=$(echo "$T_SPLIT + $T_PARTS" | bc -l | awk '{printf "%.2f", $1}')
printf '%-44s %8ss %10s events/s   speed-up %sx (partition %ss + pipelines %ss)\n' "2 partitions: rtml partition, then 2 at once" "$T_TWO" "$(rate "$EVENTS" "$T_TWO")" "$(ratio "$T_ONE" "$T_TWO")" "$T_SPLIT" "$T_PARTS"
T_FLAG=$(wall "for i in 0 1; do ($RTML ingest '$DAY' --partition \$i/2 $PIPE | $RTML featurize --store '$PW/flag-'\$i.db --flush-at-end --quiet -o /dev/null) & done; wait")
printf '%-44s %8ss %10s events/s   speed-up %sx (each process reads the whole day)\n' "2 partitions: --partition I/2, 2 at once" "$T_FLAG" "$(rate "$EVENTS" "$T_FLAG")" "$(ratio "$T_ONE" "$T_FLAG")"
echo "users: $(sqlite3 "$PW/one.db" 'SELECT count(*) FROM features') in 1 store, $(( $(sqlite3 "$PW/parts/part-0000.db" 'SELECT count(*) FROM features') + $(sqlite3 "$PW/parts/part-0001.db" 'SELECT count(*) FROM features') )) in the 2 parts"
# The 2 parts as a store set: one ALS model over both shards, and the day's jobs served
# from the set (each job routed to its user's shard) beside the same from the single store.
cat "$PW"/parts/part-*.jobs > "$PW/jobs.ndjson"
JOBS=$(wc -l < "$PW/jobs.ndjson")
T_TRAIN_ONE=$(wall "$RTML train als --store '$PW/one.db' -o '$PW/models/one' --quiet > /dev/null")
T_TRAIN_SET=$(wall "$RTML train als --store '$PW/parts' -o '$PW/models/set' --quiet > /dev/null")
printf '%-44s %8ss one store, %ss the 2-shard set\n' "train als (default flags)" "$T_TRAIN_ONE" "$T_TRAIN_SET"
T_SERVE_ONE=$(median_time "$RTML serve-once --store '$PW/one.db' --model '$PW/models/one' --quiet < '$PW/jobs.ndjson' > /dev/null")
T_SERVE_SET=$(median_time "$RTML serve-once --store '$PW/parts' --model '$PW/models/set' --quiet < '$PW/jobs.ndjson' > /dev/null")
printf '%-44s %8s jobs/s one store, %s jobs/s the 2-shard set (%s jobs; set / one = %s)\n' "serve-once, every job of the day" "$(rate "$JOBS" "$T_SERVE_ONE")" "$(rate "$JOBS" "$T_SERVE_SET")" "$JOBS" "$(ratio "$T_SERVE_ONE" "$T_SERVE_SET")"
if python3 -c "import pyspark" 2>/dev/null; then
  T_SPARK=$(wall "python3 examples/spark/featurize_partitioned.py '$DAY' --partitions 2 --out '$PW/spark' --master 'local[2]' --rtml '$RTML' --ingest-args '--received-at-default timestamp' > /dev/null 2> '$PW/spark.log'")
  printf '%-44s %8ss %10s events/s   speed-up %sx; Spark / plain 2 partitions = %s\n' "pyspark local[2]: 2 partitions piped" "$T_SPARK" "$(rate "$EVENTS" "$T_SPARK")" "$(ratio "$T_ONE" "$T_SPARK")" "$(ratio "$T_SPARK" "$T_TWO")"
else
  echo "pyspark not installed: Spark run skipped"
fi
fi
