#!/bin/sh
# Builds the fuzz targets with libFuzzer and AddressSanitizer, outside SwiftPM,
# and runs each for SECONDS:   Fuzz/run.sh SECONDS [json|lines]
#
# Each target reads the committed seeds in Fuzz/corpus/<target>/ and grows
# its working corpus in .build-fuzz/corpus-<target>/ (not committed); crashes
# go to fuzz-artifacts/ (ignored by git). Reproduce one with
#   .build-fuzz/fuzz-<target> fuzz-artifacts/<target>-crash-...
set -eu
cd "$(dirname "$0")/.."
seconds=${1:?usage: Fuzz/run.sh SECONDS [json|lines]}
targets=${2:-json lines}
mkdir -p .build-fuzz fuzz-artifacts

build() {
    # gold warns about every ASan helper symbol it cannot export; harmless.
    swiftc -sanitize=fuzzer,address -parse-as-library -O "$@" 2>&1 \
        | grep -v -e 'Cannot export local symbol' >&2 || true
}

for target in $targets; do
    case $target in
    json)
        build Sources/RTMLCore/JSON/*.swift Fuzz/FuzzJSON.swift -o .build-fuzz/fuzz-json ;;
    lines)
        # The reader and what it needs; not the rejects writer (it needs Events/).
        build -I Sources/CZlib -I Sources/CIsal $(ls Sources/RTMLCore/IO/*.swift | grep -v RejectsWriter) \
            Sources/RTMLCore/Common/*.swift Sources/RTMLCore/JSON/*.swift \
            Fuzz/FuzzLines.swift -lz -lisal -o .build-fuzz/fuzz-lines ;;
    *)
        echo "unknown target '$target' (json or lines)" >&2; exit 64 ;;
    esac
    test -x ".build-fuzz/fuzz-$target" || { echo "build of fuzz-$target failed" >&2; exit 2; }
    mkdir -p ".build-fuzz/corpus-$target"
    log=".build-fuzz/fuzz-$target.log"
    status=0
    ".build-fuzz/fuzz-$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="fuzz-artifacts/$target-" \
        ".build-fuzz/corpus-$target" "Fuzz/corpus/$target" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    echo "$target: ${runs:-?} executions, ${rate:-?} exec/s, exit $status (log $log)"
    if [ "$status" -ne 0 ]; then
        grep -E 'invariant broken|ERROR: AddressSanitizer|Fatal error|Test unit written' "$log" | head -5
        exit "$status"
    fi
done
