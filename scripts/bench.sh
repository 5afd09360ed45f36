#!/usr/bin/env bash
# The benchmark suite (issue 4, docs/performance.md): installs the peers' Debian
# packages if missing, builds the Swift benchmarks (release) and the peers, and runs
# Benchmarks/run.py, which prints the side-by-side table and writes
# Benchmarks/results/latest.json. Arguments go to run.py (--quick, --only, --runs,
# --compare OLD.json).
# Usage: scripts/bench.sh [run.py arguments]      (`make bench` runs it with none)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh nim libgc-dev python3 gcc
# A clean release build: incremental release builds have kept stale inlined
# GcCore code in dependent modules after a layout change (seen here).
rm -rf Benchmarks/.build/release Benchmarks/.build/*-linux-gnu/release
(cd Benchmarks && swift build -c release)
# The demo workload, for the profiler's overhead case.
swift build -c release --product hako-demo
# The C ABI peer (bt-c-abi) links the library as a C program would.
scripts/install-lib.sh "$(pwd)/Benchmarks/.build/hakogc-prefix" >/dev/null
PKG_CONFIG_PATH="$(pwd)/Benchmarks/.build/hakogc-prefix/lib/pkgconfig" Benchmarks/peers/build.sh Benchmarks/.build/peers
exec python3 Benchmarks/run.py "$@"
