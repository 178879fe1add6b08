#!/bin/sh
# Builds the feature engine benchmark with optimisation (as a release build
# would) outside SwiftPM, and runs it: ./Benchmarks/features/run.sh [events] [batch]
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .build-bench
swiftc -O -wmo -parse-as-library \
  Sources/RTMLCore/Features/*.swift Sources/RTMLCore/Events/EnvelopeField.swift \
  Sources/RTMLCore/Common/Hash128.swift Sources/RTMLCore/Common/RTMLError.swift \
  Benchmarks/features/main.swift -o .build-bench/features-bench
exec .build-bench/features-bench "${1:-1000000}" "${2:-5000}"
