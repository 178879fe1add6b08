#!/usr/bin/env bash
# make bench: rtml's throughput beside baselines run in the same invocation,
# so the ratios hold on a noisy machine. Usage: Benchmarks/run.sh [RTML_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
RTML=${1:-.build/release/rtml}
RUNS=${RUNS:-3}
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

echo "== simulate (uncompressed to /dev/null)"
T_SIM=$(median_time "$RTML simulate $SIMARGS --quiet > /dev/null")
echo "rtml simulate     ${T_SIM}s  $(rate "$EVENTS" "$T_SIM") events/s   (target >= 500000)"
echo

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
