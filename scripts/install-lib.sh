#!/usr/bin/env bash
# Builds the C ABI library and installs it with its header and a pkg-config file.
# Usage: scripts/install-lib.sh [PREFIX]     (default /usr/local)
# Then: cc app.c $(pkg-config --cflags --libs hakogc)
#       (with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a non-standard PREFIX)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$(mkdir -p "${1:-/usr/local}" && cd "${1:-/usr/local}" && pwd)"
scripts/install-deps.sh
swift build -c release --product HakoGC
bin="$(swift build -c release --show-bin-path)"
install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 755 "$bin/libHakoGC.so" "$prefix/lib/libHakoGC.so"
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
echo "installed libHakoGC.so, hakogc.h and hakogc.pc under $prefix"
