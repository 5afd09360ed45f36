#!/usr/bin/env bash
# The main job: a demo workload on the heap, then the report.
# Usage: scripts/demo.sh [demo options]   (see: .build/release/hako-demo --help)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
out="${HAKO_DEMO_LOG:-.build/hako-demo.hgclog}"
.build/release/hako-demo --log "$out" "$@"
.build/release/gcstat report "$out"
