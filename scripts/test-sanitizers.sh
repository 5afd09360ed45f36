#!/usr/bin/env bash
# The unit and stress tests under AddressSanitizer, then under ThreadSanitizer.
# HAKOGC_SANITIZE (see Package.swift) builds without
# jemalloc, since a sanitizer must own malloc: heap pages come from posix_memalign.
# Under ASan the heap also poisons every free slot, so a read through a stale
# reference is reported (AddressSanitizerTests). Separate build folders
# (.build-asan, .build-tsan) keep the normal build untouched.
#   scripts/test-sanitizers.sh            both
#   scripts/test-sanitizers.sh address    ASan only
set -euo pipefail
cd "$(dirname "$0")/.."

# The Swift backtracer reads other threads' stacks, which ASan reports as an
# error of its own; the sanitizer prints the stack instead (also on a trap).
export SWIFT_BACKTRACE=enable=no
which="${1:-all}"

if [[ "$which" == all || "$which" == address ]]; then
    export ASAN_OPTIONS=detect_leaks=0:handle_sigill=1:abort_on_error=0
    # Release build: in a debug build the standard library's generic loads and
    # stores run uninstrumented, so ASan would miss the heap's own accesses.
    # HAKOGC_CHECKED keeps the owner-thread checks of debug builds.
    asan=(-c release --sanitize=address --scratch-path .build-asan -Xswiftc -enable-testing -Xswiftc -DHAKOGC_CHECKED)
    HAKOGC_SANITIZE=address swift build --build-tests "${asan[@]}"
    HAKOGC_SANITIZE=address swift test --skip-build "${asan[@]}"
fi
if [[ "$which" == all || "$which" == thread ]]; then
    export TSAN_OPTIONS=halt_on_error=1
    HAKOGC_SANITIZE=thread swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    # Every test: they run in parallel, so the process-wide tables are exercised
    # from many threads, besides the tests that move heaps between threads.
    # The model stress here is the threaded one, with short runs (a debug build under
    # TSan takes about 8 ms a model step); the single-heap one ran under ASan.
    # The allocation-failure sweep is left out: single-threaded, it gives TSan nothing
    # to look at, and under TSan it took 272 s, the whole run's length (the run took
    # 218 s without it; the sweep runs in the debug and ASan runs).
    HAKOGC_STRESS_STEPS=600 HAKOGC_STRESS_SECONDS=2 HAKOGC_SANITIZE=thread \
      swift test --skip-build --sanitize=thread --scratch-path .build-tsan --skip referenceModelUnderTimeBudget \
      --skip everyBlockRequestOfAWorkloadFailsCleanly
fi
