#!/usr/bin/env bash
# Training beside scikit-learn and implicit on the same data in the same
# invocation. Usage: Benchmarks/train/run.sh RTML WORKDIR [DAY_STORE]
#   ElasticNet 1,000,000 x 32 (target < 5 s; same coefficients as scikit-learn)
#   ALS on the 1M-event day's store and on a larger synthetic matrix, s/iteration beside implicit
set -euo pipefail
RTML=$1
WORK=$2
STORE=${3:-}
HERE=$(dirname "$0")
ROWS=${BENCH_ENET_ROWS:-1000000}
python3 -m pip install --quiet scikit-learn implicit threadpoolctl 2>/dev/null || true
if ! python3 -c "import numpy, sklearn, implicit, scipy, threadpoolctl" 2>/dev/null; then
  echo "train: numpy/scikit-learn/implicit not importable; the peer comparisons are skipped"
  PEERS=0
else
  PEERS=1
fi
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }

echo "== train: elasticnet on $ROWS x 32 (alpha 0.01, l1_ratio 0.5, tol 1e-4)"
CSV="$WORK/enet-$ROWS.csv"
NPZ="$WORK/enet-$ROWS.npz"
if [ ! -s "$CSV" ]; then
  echo "generating $CSV ..."
  python3 "$HERE/make_data.py" regression "$CSV" "$NPZ" "$ROWS" 32
fi
rm -rf "$WORK/enet-reg"
OUT=$( { /usr/bin/time -f 'TIME %e %M' "$RTML" train elasticnet --data "$CSV" --target y --alpha 0.01 --l1-ratio 0.5 \
          --test-fraction 0 -q -o "$WORK/enet-reg"; } 2>&1 )
LINE=$(echo "$OUT" | grep '^{')
TIME=$(echo "$OUT" | grep '^TIME')
FIT=$(echo "$LINE" | json 'd["metrics"]["fit_seconds"]')
printf 'rtml train elasticnet   fit %6.2fs   load+fit %6.2fs   peak %s MiB   (%s sweeps; target fit < 5 s)\n' \
  "$FIT" "$(echo "$TIME" | cut -d' ' -f2)" "$(( $(echo "$TIME" | cut -d' ' -f3) / 1024 ))" "$(echo "$LINE" | json 'd["metrics"]["iterations"]')"
if [ "$PEERS" = 1 ]; then
  REF=$(python3 "$HERE/reference.py" enet "$NPZ" 0.01 0.5 "$WORK/enet-reg/1/model.json")
  printf 'scikit-learn ElasticNet fit %6.2fs   (%s iterations; max |coef difference| vs rtml %s)\n' \
    "$(echo "$REF" | json 'd["fit_seconds"]')" "$(echo "$REF" | json 'd["n_iter"]')" "$(echo "$REF" | json '"%.2e" % d["max_coef_diff_vs_rtml"]')"
  echo "rtml fit / sklearn fit = $(echo "$FIT / $(echo "$REF" | json 'd["fit_seconds"]')" | bc -l | awk '{printf "%.2f", $1}')"
fi

als_pair() {  # label, rtml source args, reference mode, reference input
  local label=$1 args=$2 mode=$3 input=$4
  rm -rf "$WORK/als-reg"
  local line
  line=$($RTML train als $args --factors 64 --iterations 15 --regularization 0.05 --alpha 10 --test-fraction 0 -q -o "$WORK/als-reg")
  printf '%-34s rtml %7.3f s/iteration' "$label" "$(echo "$line" | json 'd["metrics"]["seconds_per_iteration"]')"
  if [ "$PEERS" = 1 ]; then
    local ref
    ref=$(python3 "$HERE/reference.py" "$mode" "$input" 64 15 0.05 10)
    printf '   implicit %7.3f s/iteration   (%s users x %s items, %s nonzeros)\n' \
      "$(echo "$ref" | json 'd["seconds_per_iteration"]')" "$(echo "$ref" | json 'd["users"]')" \
      "$(echo "$ref" | json 'd["items"]')" "$(echo "$ref" | json 'd["nnz"]')"
  else
    echo
  fi
}

echo
echo "== train: als, 64 factors, 15 iterations, 3 CG steps, 2 threads each"
if [ -n "$STORE" ] && [ -s "$STORE" ]; then
  als_pair "day store ($(basename "$STORE"))" "--store $STORE" als-store "$STORE"
fi
BIG="$WORK/interactions-200k.csv"
if [ ! -s "$BIG" ]; then
  echo "generating $BIG ..."
  python3 "$HERE/make_data.py" interactions "$BIG" 200000 20000 5000000
fi
als_pair "synthetic 200k x 20k, 5M rows" "--data $BIG" als-table "$BIG"
