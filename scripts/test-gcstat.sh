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
