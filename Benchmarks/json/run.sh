#!/bin/sh
# Builds the JSON scanner benchmark with optimisation (as a release build
# would) outside SwiftPM, and runs it: ./Benchmarks/json/run.sh [lines | file.ndjson]
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .build-bench
swiftc -O -wmo -parse-as-library Sources/RTMLCore/JSON/*.swift Benchmarks/json/main.swift -o .build-bench/json-bench
exec .build-bench/json-bench "${1:-1000000}"
