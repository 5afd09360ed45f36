#!/usr/bin/env bash
# Installs the library into a scratch prefix and builds and runs the C ABI test
# programs with nothing but the header and pkg-config, as a C user would.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$(pwd)/.build/c-abi-prefix"
scripts/install-lib.sh "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
out="$(pwd)/.build/c-abi-tests"
mkdir -p "$out"
status=0
for test in Tests/c/*_test.c; do
  name="$(basename "$test" .c)"
  cc -std=c11 -Wall -Wextra -Werror -pthread "$test" -o "$out/$name" $(pkg-config --cflags --libs hakogc)
  "$out/$name" || status=1
done
exit $status
