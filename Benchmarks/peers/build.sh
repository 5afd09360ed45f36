#!/usr/bin/env bash
# Builds the compiled benchmark peers (C with glibc/jemalloc/arena/Boehm, Nim ORC) into OUTDIR. Installs nothing.
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 OUTDIR" >&2; exit 2; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

for tool in gcc nim; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (apt-get install -y nim libgc-dev libjemalloc-dev)" >&2; exit 1; }
done

CFLAGS="-O2"
cc() { local bin="$1"; shift; gcc $CFLAGS -o "$out/$bin" "$@"; echo "built $out/$bin"; }

cc bt-c-glibc    "$here/binary_trees.c"
cc bt-c-jemalloc "$here/binary_trees.c" -ljemalloc
cc bt-c-arena    "$here/binary_trees_arena.c"
cc bt-c-rc       "$here/binary_trees_rc.c"
# Through the C ABI, against the installed library (scripts/bench.sh installs it and
# sets PKG_CONFIG_PATH).
cc bt-c-abi      "$here/binary_trees_abi.c" $(pkg-config --cflags --libs hakogc)
cc bt-boehm      "$here/binary_trees_boehm.c" -lgc
cc cg-boehm      "$here/cyclic_garbage_boehm.c" -lgc
cc at-c-glibc    "$here/alloc_throughput.c"
cc at-c-jemalloc "$here/alloc_throughput.c" -ljemalloc

nimc() {
    nim c -d:release --mm:orc --hints:off --nimcache:"$out/nimcache/$1" -o:"$out/$1" "$2"
    echo "built $out/$1"
}
nimc bt-nim-orc "$here/binary_trees.nim"
nimc cg-nim-orc "$here/cyclic_garbage.nim"
