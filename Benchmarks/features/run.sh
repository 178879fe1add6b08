#!/bin/sh
# Builds the feature engine benchmark with optimisation (as a release build
# would) outside SwiftPM, and runs it:
#   ./Benchmarks/features/run.sh [events|canonical.ndjson] [batch] [rounds] [--digest]
# A number runs a synthetic day of that many events; a file of canonical
# lines (`rtml simulate | rtml ingest`) is parsed as featurize parses it.
# FEATURES_SRC=dir builds another copy of Sources/RTMLCore/Features (for A/B,
# see ab.sh); BENCH_BIN=path names the binary.
set -eu
cd "$(dirname "$0")/../.."
src="${FEATURES_SRC:-Sources/RTMLCore/Features}"
bin="${BENCH_BIN:-.build-bench/features-bench}"
mkdir -p "$(dirname "$bin")"
swiftc -O -wmo -parse-as-library \
  "$src"/*.swift Sources/RTMLCore/Featurize/FeatureEventParser.swift \
  Sources/RTMLCore/JSON/*.swift $(ls Sources/RTMLCore/Events/*.swift | grep -v Deduplicator) \
  Sources/RTMLCore/Common/Hash128.swift Sources/RTMLCore/Common/RTMLError.swift Sources/RTMLCore/Common/JSONValue.swift \
  Sources/RTMLCore/Common/TextBuffer.swift Sources/RTMLCore/Partition/UserPartition.swift \
  Benchmarks/features/main.swift Benchmarks/features/OutputWriterStub.swift -o "$bin"
[ "${BUILD_ONLY:-}" = 1 ] && exit 0
exec "$bin" "${@:-1000000}"
