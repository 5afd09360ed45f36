#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS (docs/reliability.md, "Fuzzing").
#   scripts/fuzz.sh abi 60            the C ABI call sequences against the oracle
#   scripts/fuzz.sh registry 60       type registration: names, vtables, read-back
#   scripts/fuzz.sh gcstat 60         the event-log reader and every gcstat view
#   scripts/fuzz.sh abi 36000 --asan  under AddressSanitizer too (slower; separate build)
#   scripts/fuzz.sh abi 3600 -- -jobs=2 -workers=2   more libFuzzer options after --
#   scripts/fuzz.sh abi build         build only (the test command builds all three
#                                     targets first, then runs them side by side)
# The corpus grows in .build-fuzz/corpus/TARGET, seeded from Fuzz/corpus/TARGET;
# a crash is written to .build-fuzz/artifacts/TARGET/ and the script exits 1 (rerun
# the file with HAKOGC_FUZZ_LOG=1 to see the ABI calls). The heap verifier runs
# after every collection (HAKOGC_VERIFY=1; HAKOGC_VERIFY=0 for throughput runs).
# With -jobs=N, libFuzzer writes each job's output to fuzz-J.log in the current
# folder. Exit 0 when the time ran out clean.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh abi|registry|gcstat SECONDS [--asan] [-- libFuzzer options]}"
seconds="${2:?usage: scripts/fuzz.sh abi|registry|gcstat SECONDS [--asan] [-- libFuzzer options]}"
shift 2
[[ "$seconds" =~ ^[0-9]+$ || "$seconds" == build ]] || { echo "scripts/fuzz.sh: SECONDS=$seconds is not a whole number" >&2; exit 2; }
asan=""
if [[ "${1:-}" == "--asan" ]]; then asan=1; shift; fi
if [[ "${1:-}" == "--" ]]; then shift; fi
case "$target" in
  abi|registry) max_len=4096 ;;
  gcstat) max_len=8192 ;;
  *) echo "scripts/fuzz.sh: no target '$target' (abi, registry, gcstat)" >&2; exit 2 ;;
esac
scripts/install-deps.sh

# The fuzz targets exist only with HAKOGC_FUZZ (Package.swift). `-sanitize=fuzzer`
# instruments every module for coverage and links libFuzzer, whose `main` is
# linked whole; SwiftPM also names the target's entry point `main` (--defsym), so
# the two definitions are allowed and the target defines both entry points to do
# the same thing (LLVMFuzzerRunDriver).
if [[ -n "$asan" ]]; then
  scratch=.build-fuzz-asan
  export HAKOGC_SANITIZE=address
  sanitize=fuzzer,address
else
  scratch=.build-fuzz
  export HAKOGC_SYSTEM_MALLOC=1  # libFuzzer's malloc hooks and -rss_limit_mb see every page
  sanitize=fuzzer
fi
HAKOGC_FUZZ=1 swift build -c release --scratch-path "$scratch" --product "fuzz-$target" \
  -Xswiftc -sanitize="$sanitize" -Xlinker --allow-multiple-definition 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]" || true
binary="$scratch/release/fuzz-$target"
[[ -x "$binary" ]] || { echo "scripts/fuzz.sh: the build of fuzz-$target failed" >&2; exit 2; }
[[ "$seconds" == build ]] && exit 0

corpus=".build-fuzz/corpus/$target"
artifacts=".build-fuzz/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
dict=()
[[ -f "Fuzz/$target.dict" ]] && dict=(-dict="Fuzz/$target.dict")
log="$artifacts/run.log"
set +e
HAKOGC_VERIFY="${HAKOGC_VERIFY:-1}" SWIFT_BACKTRACE=enable=no "$binary" "$corpus" "Fuzz/corpus/$target" "${dict[@]}" \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" >"$log" 2>&1
status=$?
set -e
grep -E "^#[0-9]+ +DONE|^stat::(number_of_executed_units|average_exec_per_sec)" "$log" || true
if [[ $status -ne 0 ]]; then
  grep -E "oracle|Fatal error|ERROR:|Test unit written|exiting" "$log" | head -20 >&2 || true
  echo "scripts/fuzz.sh: fuzz-$target failed (exit $status); the whole output is in $log" >&2
  exit 1
fi
echo "fuzz-$target: ${seconds} s clean (output in $log)"
