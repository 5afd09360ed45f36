#!/usr/bin/env bash
# Installs the library into a scratch prefix and checks that it loads wherever a C
# library does (docs/abi.md, "Installing and loading"): the SONAME and the link, only
# the functions hakogc.h declares exported, no RUNPATH and nothing NEEDED from the
# Swift toolchain; then, with the toolchain's lib directory hidden (an empty tmpfs
# over it in a private mount namespace) and an empty environment, the C test
# programs run from a copy of the library beside them, and Python loads it with
# ctypes (a dlopen into a running interpreter, no LD_PRELOAD) and makes real calls.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$(pwd)/.build/load-prefix"
scripts/install-lib.sh "$prefix" >/dev/null
header=Sources/CHakoGC/include/hakogc.h
abi="$(sed -n 's/^#define HGC_ABI_VERSION \(0x[0-9a-fA-F]*\)u.*/\1/p' "$header")"
soname="libHakoGC.so.$((abi >> 16))"
so="$prefix/lib/$soname"
toolchain="$(cd "$(dirname "$(readlink -f "$(command -v swift)")")/.." && pwd)"  # e.g. /opt/swift/usr
status=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; status=1; fi; }

dynamic="$(readelf -dW "$so")"
check "SONAME is $soname (ABI $abi)" 'grep -qF "Library soname: [$soname]" <<<"$dynamic"'
check "libHakoGC.so links to $soname" '[[ "$(readlink "$prefix/lib/libHakoGC.so")" == "$soname" ]]'
check "no RPATH or RUNPATH" '! grep -qE "\((RPATH|RUNPATH)\)" <<<"$dynamic"'
check "no NEEDED library resolves into $toolchain, none missing" \
  '! ldd "$so" | grep -qE "not found|$toolchain"'
# Every function hakogc.h declares (not the static inline helpers), and nothing else:
# no _init/_fini, no Swift or C++ runtime symbol, no data.
declared="$(grep -E '^[a-z][a-z_0-9 ]* \**hgc_[a-z_]+\(' "$header" | grep -v '^static' \
  | grep -oE 'hgc_[a-z_]+\(' | tr -d '(' | sort -u)"
exported="$(nm -D --defined-only "$so" | awk '{print $NF}' | sort)"
check "exactly the $(wc -l <<<"$declared") functions of hakogc.h exported ($(wc -l <<<"$exported") defined dynamic symbols)" \
  '[[ "$declared" == "$exported" ]] || diff <(echo "$declared") <(echo "$exported")'

# The library copied beside test programs that find it through $ORIGIN.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp "$so" "$scratch/"
ln -s "$soname" "$scratch/libHakoGC.so"
for test in Tests/c/*_test.c; do
  cc -std=c11 -Wall -Wextra -Werror -pthread -I"$prefix/include" "$test" -o "$scratch/$(basename "$test" .c)" \
    -L"$scratch" -Wl,-rpath,'$ORIGIN' -lHakoGC
done

# Runs "$@" with an empty environment and, where a mount namespace can be made,
# the toolchain's lib directory (the Swift runtime libraries) replaced by an empty one.
if unshare --mount --map-root-user true 2>/dev/null; then
  hidden() {
    unshare --mount --map-root-user sh -c 'mount -t tmpfs none "$1" && shift && exec env -i PATH=/usr/bin:/bin "$@"' \
      sh "$toolchain/lib" "$@"
  }
  check "the toolchain's lib directory is hidden" \
    'hidden sh -c "! ls \"$toolchain/lib/swift/linux/libswiftCore.so\"" 2>/dev/null'
else
  echo "note: no mount namespace here; $toolchain stays visible (the RUNPATH and ldd checks above still hold)"
  hidden() { env -i PATH=/usr/bin:/bin "$@"; }
fi
for program in "$scratch"/*_test; do
  check "$(basename "$program") with the library beside it" 'hidden "$program" >"$scratch/out" 2>&1 || { cat "$scratch/out"; false; }'
done
check "python3 ctypes: dlopen into a running interpreter, no LD_PRELOAD (Tests/python/test_load.py)" \
  'hidden /usr/bin/python3 Tests/python/test_load.py "$scratch/libHakoGC.so" "$abi" >"$scratch/out" 2>&1 || { cat "$scratch/out"; false; }'
exit $status
