#!/usr/bin/env bash
# Builds the C ABI library and installs it with its header and a pkg-config file.
# Usage: scripts/install-lib.sh [PREFIX]     (default /usr/local)
# Then: cc app.c $(pkg-config --cflags --libs hakogc)
#       (with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a non-standard PREFIX)
# The installed library loads wherever a C library does (docs/abi.md, "Installing and
# loading"): heap pages mapped with mmap instead of jemalloc (HAKOGC_MMAP_PAGES, see
# Package.swift), so it can be dlopen-ed into a running process; the Swift runtime
# linked in statically, so nothing is needed from the toolchain's directory; only the
# hgc_ functions exported (Sources/CHakoGC/hakogc.map); a SONAME carrying the ABI's
# major version. Its own build folder, since the page source changes GcCore.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$(mkdir -p "${1:-/usr/local}" && cd "${1:-/usr/local}" && pwd)"
scripts/install-deps.sh
abi="$(sed -n 's/^#define HGC_ABI_VERSION \(0x[0-9a-fA-F]*\)u.*/\1/p' Sources/CHakoGC/include/hakogc.h)"
soname="libHakoGC.so.$((abi >> 16))"
scratch=.build/install-lib
# SwiftPM does not track linker flags: link afresh so that they always apply.
rm -f "$scratch/release/libHakoGC.so"
# lld, shipped with the toolchain: gold kept four GcCore symbols in .dynsym (bound
# LOCAL, but listed by nm -D); lld keeps exactly the hgc_ ones. NODELETE: dlclose
# leaves it mapped, since the type and function registries are process-wide and the
# statically linked Swift runtime keeps per-thread state pointing into it.
HAKOGC_MMAP_PAGES=1 swift build -c release --product HakoGC --scratch-path "$scratch" \
  --disable-local-rpath -Xswiftc -static-stdlib -Xswiftc -use-ld=lld \
  -Xlinker --version-script="$(pwd)/Sources/CHakoGC/hakogc.map" \
  -Xlinker -soname="$soname" -Xlinker -z -Xlinker nodelete
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 755 "$bin/libHakoGC.so" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libHakoGC.so"
install -m 644 Sources/CHakoGC/include/hakogc.h "$prefix/include/hakogc.h"
cat > "$prefix/lib/pkgconfig/hakogc.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: hakogc
Description: HakoGC garbage-collected heap, C ABI
Version: 0.1.0
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lHakoGC
Cflags: -I\${includedir}
PC
echo "installed $soname (and the libHakoGC.so link), hakogc.h and hakogc.pc under $prefix"
