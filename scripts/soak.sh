#!/usr/bin/env bash
# The long soak (docs/reliability.md, "The soak"): the reference-model stress on
# several heaps and threads until OPS operations have run, in an optimized build.
#   scripts/soak.sh 1000000000          10⁹ operations on 4 threads
#   HAKOGC_SOAK_THREADS=2 scripts/soak.sh 100000000
#   HAKOGC_STRESS_SEED=N scripts/soak.sh OPS    start from a given seed
set -euo pipefail
cd "$(dirname "$0")/.."
ops="${1:?usage: scripts/soak.sh OPERATIONS}"
scripts/install-deps.sh
swift build -c release -Xswiftc -enable-testing --build-tests
HAKOGC_SOAK_OPS="$ops" swift test -c release -Xswiftc -enable-testing --skip-build --filter SoakTests
