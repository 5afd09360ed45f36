#!/usr/bin/env bash
# The main job: a demo workload on the heap, then the report.
# Usage: scripts/demo.sh [demo options]   (see: .build/release/hako-demo --help)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
out="${HAKO_DEMO_LOG:-.build/hako-demo.hgclog}"
trace=.build/hako-demo.trace
# Profiling is switched on by the environment, not by flags (docs/profiling.md):
# the event log with allocation samples, a line per collection on stderr, and a
# leak check at exit (the heap is a global, alive then: the report says what holds
# the documents the index keeps).
HAKOGC_PROFILE="$out" HAKOGC_TRACE=1 HAKOGC_LEAKCHECK=1 .build/release/hako-demo "$@" 2>"$trace"
echo "HAKOGC_TRACE: $(grep -c '^hakogc: heap' "$trace") lines in $trace; the first three:"
grep '^hakogc: heap' "$trace" | head -3
grep -v '^hakogc: heap' "$trace" >&2 || true
echo
.build/release/gcstat report "$out"
# What other tools read, next to the log (docs/gcstat.md).
.build/release/gcstat pprof "$out" -o "${out%.hgclog}.pb.gz"
.build/release/gcstat chrome-trace "$out" -o "${out%.hgclog}.trace.json"
.build/release/gcstat html "$out" -o "${out%.hgclog}.html"
echo
echo "event log:     $out"
echo "pprof profile: ${out%.hgclog}.pb.gz     (go tool pprof -top ${out%.hgclog}.pb.gz)"
echo "Chrome trace:  ${out%.hgclog}.trace.json  (open it in https://ui.perfetto.dev, or chrome://tracing)"
echo "HTML report:   ${out%.hgclog}.html  (xdg-open ${out%.hgclog}.html: any browser, no network needed)"
