#!/usr/bin/env bash
# gcstat's outputs checked by the tools they are for (docs/gcstat.md): the pprof
# profile by `go tool pprof` (Debian's golang-go, installed when missing) — its
# sample totals and top site must match what `gcstat json` says — and read back
# with -raw and -diff_base. Runs the demo with profiling switched on by the
# environment, as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh golang-go
swift build --product gcstat >/dev/null
swift build --product hako-demo >/dev/null
bin="$(swift build --show-bin-path)"
out="$(pwd)/.build/gcstat-tests"
rm -rf "$out"; mkdir -p "$out"
export GOCACHE="$out/gocache" GOPATH="$out/gopath" GOFLAGS=-mod=mod GOTOOLCHAIN=local
HAKOGC_PROFILE="$out/a.hgclog" HAKOGC_PROFILE_RATE=65536 "$bin/hako-demo" --rounds 200 >/dev/null
HAKOGC_PROFILE="$out/b.hgclog" HAKOGC_PROFILE_RATE=65536 "$bin/hako-demo" --rounds 400 >/dev/null
# A log from the C ABI tests too (a trusted heap with guest frames and a leak check):
# every command reads it.
prefix="$(pwd)/.build/c-abi-prefix"
[ -f "$prefix/lib/pkgconfig/hakogc.pc" ] || scripts/install-lib.sh "$prefix" >/dev/null
cc -std=c11 -Wall -Wextra -Werror -pthread Tests/c/abi_profile_test.c -o "$out/abi_profile_test" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs hakogc)
HAKOGC_TEST_KEEP_LOG="$out/c.hgclog" "$out/abi_profile_test" >/dev/null 2>&1
for cmd in report trace json leaks; do "$bin/gcstat" $cmd "$out/c.hgclog" -o "$out/c.$cmd.txt"; done
"$bin/gcstat" pprof "$out/c.hgclog" -o "$out/c.pb.gz"
"$bin/gcstat" chrome-trace "$out/c.hgclog" -o "$out/c.trace.json"
"$bin/gcstat" html "$out/c.hgclog" -o "$out/c.html"
"$bin/gcstat" diff "$out/c.hgclog" "$out/a.hgclog" -o "$out/c.diff.txt" --fail-if 'leaked-bytes>+1000000%'
go tool pprof -sample_index=alloc_space -top "$out/c.pb.gz" > "$out/c.top" 2>>"$out/pprof.err"
grep -q "guest_make_cells" "$out/c.top" && echo "ok   the C ABI log: every command reads it; pprof shows its guest frame" \
  || { echo "FAIL the C ABI log's pprof profile has no guest frame"; exit 1; }
"$bin/gcstat" json "$out/a.hgclog" -o "$out/a.json"
"$bin/gcstat" pprof "$out/a.hgclog" -o "$out/a.pb.gz"
"$bin/gcstat" pprof "$out/b.hgclog" -o "$out/b.pb.gz"
go tool pprof -sample_index=alloc_space -raw "$out/a.pb.gz" > "$out/a.raw" 2>"$out/pprof.err"
go tool pprof -sample_index=alloc_space -top "$out/a.pb.gz" > "$out/a.top" 2>>"$out/pprof.err"
go tool pprof -sample_index=inuse_space -top -diff_base "$out/a.pb.gz" "$out/b.pb.gz" > "$out/diff.top" 2>>"$out/pprof.err"
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
report = json.load(open(f"{out}/a.json"))
raw = open(f"{out}/a.raw").read()
top = open(f"{out}/a.top").read()
failed = 0
def check(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed += not cond
# -raw: every sample's four values, in the sample types' order.
types = re.search(r"^(alloc_objects/count.*)$", raw, re.M).group(1).split()
types = [t.replace("[dflt]", "") for t in types]
check(types[:4] == ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"], f"sample types {types[:4]}")
check("PeriodType: space bytes" in raw and f"Period: {report['sampleRate']}" in raw, "period type space/bytes, the sampling rate as period")
rows = [list(map(int, m.group(1).split())) for m in re.finditer(r"^\s+(\d+\s+\d+\s+\d+\s+\d+):", raw, re.M)]
check(len(rows) > 0 and "type:[" in raw, f"{len(rows)} samples with a type label")
sums = [sum(r[i] for r in rows) for i in range(4)]
want = [sum(s[k] for s in report["sites"]) for k in ("allocatedObjects", "allocatedBytes", "inUseObjects", "inUseBytes")]
for name, got, exp in zip(["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"], sums, want):
    # pprof values are rounded per (stack, type); gcstat's per site.
    check(abs(got - exp) <= max(2 * len(rows), exp * 0.001), f"{name}: pprof {got}, gcstat json {exp:.0f}")
first = next(l for l in top.splitlines() if re.match(r"^\s+[\d.]+\w*B\s", l))
check(report["sites"][0]["name"].split("(")[0] in first, f"top site: {first.strip()[:100]}")
diff = open(f"{out}/diff.top").read()
check("Showing nodes" in diff, "-diff_base reads both profiles")
sys.exit(1 if failed else 0)
PY

# The HTML report in a real browser (Debian's chromium-headless-shell): it renders
# to a PNG with no console errors, its plots have as many marks as the log has
# collections (counted in the DOM Chromium parsed), and the screenshot is not blank
# (pixels decoded here).
scripts/install-deps.sh chromium-headless-shell
chrome="$(command -v chromium-headless-shell || ls /usr/lib/chromium/chrome-headless-shell /usr/lib/chromium/headless_shell 2>/dev/null | head -1)"
"$bin/gcstat" html "$out/a.hgclog" -o "$out/a.html"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,2600 --enable-logging=stderr --v=0)
"$chrome" "${flags[@]}" --screenshot="$out/a.png" "file://$out/a.html" 2>"$out/chrome.log" >/dev/null
"$chrome" "${flags[@]}" --dump-dom "file://$out/a.html" 2>>"$out/chrome.log" >"$out/a.dom.html"
python3 - "$out" <<'PY'
import json, re, struct, sys, zlib
out = sys.argv[1]
report = json.load(open(f"{out}/a.json"))
dom = open(f"{out}/a.dom.html").read()
log = open(f"{out}/chrome.log").read()
failed = 0
def check(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed += not cond
errors = [l for l in log.splitlines() if "CONSOLE" in l or "Uncaught" in l]
check(not errors, f"no console errors ({errors[:2]})")
def svg(id):
    m = re.search(r'<svg id="%s" data-points="(\d+)"(.*?)</svg>' % id, dom, re.S)
    return (int(m.group(1)), m.group(2)) if m else (None, "")
n = report["pauses"]["all"]["count"]
points, pauses = svg("pauses")
check(points == n and pauses.count("<circle") == n, f"pause timeline: {pauses.count('<circle')} marks for {n} collections")
points, heap = svg("heap")
check(points == n and len(re.search(r'points="([^"]*)"', heap).group(1).split()) == n, f"live heap: {points} points")
points, pct = svg("percentiles")
check(points and points == sum(len(re.search(r'points="([^"]*)"', m).group(1).split()) for m in re.findall(r'<polyline[^>]*>', pct)), f"percentile curve: {points} points")
points, mmu = svg("mmu")
check(points and points > 10, f"MMU curve: {points} points")
check('<svg id="phases"' in dom and '<table id="sites"' in dom, "phase plot and sites table")
# The PNG: decode (8-bit RGB or RGBA, non-interlaced, the five filters) and look.
data = open(f"{out}/a.png", "rb").read()
check(data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG screenshot")
at, idat, w = 8, b"", 0
while at < len(data):
    size, kind = struct.unpack(">I4s", data[at:at + 8])
    chunk = data[at + 8:at + 8 + size]
    if kind == b"IHDR": w, h, depth, color = struct.unpack(">IIBB", chunk[:10])
    if kind == b"IDAT": idat += chunk
    at += 12 + size
bpp = 4 if color == 6 else 3
raw, stride = zlib.decompress(idat), w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
pixels = [(r[i], r[i + 1], r[i + 2]) for r in rows[::4] for i in range(0, stride, bpp * 4)]
inked = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
blue = sum(1 for p in pixels if abs(p[0] - 0x4e) < 40 and abs(p[1] - 0x79) < 40 and abs(p[2] - 0xa7) < 40)
check(inked > 0.03, f"the screenshot is not blank ({inked:.1%} of sampled pixels inked)")
check(blue > 20, f"the plots' blue is on it ({blue} sampled pixels)")
sys.exit(1 if failed else 0)
PY
