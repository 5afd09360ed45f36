#!/usr/bin/env bash
# Builds the Rust client (Tests/rust/hakogc_client.rs: plain rustc, no crates) against
# the installed C ABI, linked through pkg-config as a Rust runtime would, and runs it:
# Rust <-> HakoGC cycles collected by joint collections, in both heap modes.
# Needs rustc (on this machine kind's image; Debian's `rustc` package otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rustc >/dev/null; then scripts/install-deps.sh rustc; fi
prefix="$(pwd)/.build/c-abi-prefix"
[ -f "$prefix/lib/pkgconfig/hakogc.pc" ] || scripts/install-lib.sh "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# pkg-config speaks the C compiler's flags; rustc takes them as -L and link args.
args=()
for flag in $(pkg-config --libs hakogc); do
  case "$flag" in
    -L*) args+=(-L "native=${flag#-L}") ;;
    -l*) args+=(-l "dylib=${flag#-l}") ;;
    *) args+=(-C "link-arg=$flag") ;;
  esac
done
out="$(pwd)/.build/rust"
mkdir -p "$out"
rustc --edition 2021 -O Tests/rust/hakogc_client.rs -o "$out/hakogc_client" "${args[@]}"
"$out/hakogc_client"
