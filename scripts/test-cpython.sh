#!/usr/bin/env bash
# Builds the hakopy extension (Debian's python3 and python3-dev) against the
# installed C ABI and runs the Python <-> HakoGC cycle tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh python3-dev
py=/usr/bin/python3
prefix="$(pwd)/.build/c-abi-prefix"
[ -f "$prefix/lib/pkgconfig/hakogc.pc" ] || scripts/install-lib.sh "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
out="$(pwd)/.build/cpython"
mkdir -p "$out"
suffix="$($py -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
include="$($py -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
cc -std=c11 -O1 -Wall -Wextra -Werror -Wno-missing-field-initializers -shared -fPIC -I"$include" \
  Tests/python/hakopy.c -o "$out/hakopy$suffix" $(pkg-config --cflags --libs hakogc)
# No preload: importing hakopy dlopens libHakoGC into the running interpreter.
# Both heap modes (hakopy reads HAKOPY_MODE): the same test, the same results.
env -u LD_PRELOAD PYTHONPATH="$out" $py Tests/python/test_cycles.py
env -u LD_PRELOAD HAKOPY_MODE=trusted PYTHONPATH="$out" $py Tests/python/test_cycles.py
# Guest-language sites: Python functions named as the sites of HakoGC allocations.
env -u LD_PRELOAD PYTHONPATH="$out" $py Tests/python/test_profile.py
env -u LD_PRELOAD HAKOPY_MODE=trusted PYTHONPATH="$out" $py Tests/python/test_profile.py
