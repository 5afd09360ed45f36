#!/usr/bin/env bash
# The test run: unit tests in a debug build (every check on), the C ABI programs
# and the CPython bridge test, gcstat's outputs read by their tools (go tool
# pprof), the stress tests in an optimized build, then
# everything again under AddressSanitizer (optimized, free slots poisoned), then
# under ThreadSanitizer. Sized for CI (about 10 minutes from a clean
# clone on 2 cores).
#   HAKOGC_STRESS_SECONDS=600 scripts/test.sh   longer stress runs
#   HAKOGC_STRESS_SEED=N scripts/test.sh        replay one stress seed
#   HAKOGC_VERIFY_STRESS_SECONDS=60 scripts/test.sh   longer verified stress run
#   HAKOGC_FUZZ_SECONDS=600 scripts/test.sh     longer fuzz runs (each target)
#   HAKOGC_SKIP_SANITIZERS=1 scripts/test.sh    leave out the sanitizer runs
set -euo pipefail
cd "$(dirname "$0")/.."
# A mistyped budget must not run the defaults without a word (docs/reliability.md, V15).
for v in HAKOGC_STRESS_SECONDS HAKOGC_VERIFY_STRESS_SECONDS HAKOGC_FUZZ_SECONDS; do
  if [[ -n "${!v:-}" && ! "${!v}" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "scripts/test.sh: $v=${!v} is not a number of seconds" >&2; exit 2
  fi
done
# The same for the build setting: the manifest refuses a mistyped sanitizer (V14),
# and this script a mistyped budget (itself, run with one).
mkdir -p .build
if HAKOGC_SANITIZE=adress swift package dump-package >/dev/null 2>.build/sanitize-typo.err \
   || ! grep -q "HAKOGC_SANITIZE=adress is not address or thread" .build/sanitize-typo.err; then
  echo "scripts/test.sh: a mistyped HAKOGC_SANITIZE was not refused" >&2; exit 1
fi
if HAKOGC_FUZZ_SECONDS=ten scripts/test.sh 2>/dev/null; then
  echo "scripts/test.sh: HAKOGC_FUZZ_SECONDS=ten was not refused" >&2; exit 1
fi
scripts/install-deps.sh time  # GNU time: the gcstat memory test reads peak memory with it
swift build --build-tests
swift test --skip-build --skip StressTests
HAKOGC_SENDABLE_SKIP_BUILD=1 scripts/test-sendable.sh
scripts/test-c-abi.sh
scripts/test-load.sh
scripts/test-cpython.sh
scripts/test-rust.sh
scripts/test-gcstat.sh
swift test -c release -Xswiftc -enable-testing --filter StressTests
# Again with the heap verifier after every collection (HeapVerifier.swift) on a
# shorter budget: each verification walks the whole heap (about 100 ns an object),
# so the ten-million-object list is left out.
HAKOGC_VERIFY=1 HAKOGC_STRESS_SECONDS="${HAKOGC_VERIFY_STRESS_SECONDS:-2}" \
  swift test -c release -Xswiftc -enable-testing --skip-build --filter 'ModelStressTests|LargeGraphStressTests/rings|BinaryTreesTests'
# HAKOGC_FAIL_ALLOC reaches a real program: the demo must stop with the message.
if SWIFT_BACKTRACE=enable=no HAKOGC_FAIL_ALLOC=1+ .build/debug/hako-demo >/dev/null 2>.build/fail-alloc.err; then
  echo "HAKOGC_FAIL_ALLOC=1+: the demo ran to the end" >&2; exit 1
fi
grep -q "HakoGC: out of memory allocating" .build/fail-alloc.err || { cat .build/fail-alloc.err >&2; exit 1; }
# The libFuzzer targets, a minute each (docs/reliability.md; longer: scripts/fuzz.sh):
# built one after another, then run side by side (each is single-threaded).
for t in abi registry gcstat; do scripts/fuzz.sh "$t" build; done
pids=()
for t in abi registry gcstat; do scripts/fuzz.sh "$t" "${HAKOGC_FUZZ_SECONDS:-60}" & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[[ $failed -eq 0 ]] || { echo "scripts/test.sh: a fuzz target failed (its output is above)" >&2; exit 1; }
if [[ -z "${HAKOGC_SKIP_SANITIZERS:-}" ]]; then scripts/test-sanitizers.sh; fi
