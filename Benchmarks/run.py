#!/usr/bin/env python3
"""HakoGC side by side with its peers (docs/performance.md, BENCHMARKS.md).

Runs every implementation of each workload in the same session, alternating them
round by round (A B C, A B C, ...) after one warm-up run each, so that drift on a
shared machine hits all of them alike. Reports medians, HakoGC's ratio to each peer,
and whether each target of issue 4 is met. Writes every run as JSON.

Usage: run.py [--runs N] [--quick] [--only WORKLOAD ...] [--json PATH] [--compare OLD.json]
Expects the Swift benchmarks in .build/release and the peers in .build/peers
(`make bench` at the repository root builds both).
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SWIFT_BIN = os.path.join(HERE, ".build", "release")
PEER_BIN = os.path.join(HERE, ".build", "peers")
PEER_SRC = os.path.join(HERE, "peers")
PYTHON = os.environ.get("BENCH_PYTHON", "/usr/bin/python3")


def swift(name):
    return [os.path.join(SWIFT_BIN, name)]


def peer(name):
    return [os.path.join(PEER_BIN, name)]


def script(name):
    return [PYTHON, os.path.join(PEER_SRC, name)]


def binary_trees_reference(n):
    """The exact Benchmarks Game output for max depth n."""
    max_depth = max(6, n)
    lines = [f"stretch tree of depth {max_depth + 1}\t check: {2 ** (max_depth + 2) - 1}"]
    for d in range(4, max_depth + 1, 2):
        iterations = 2 ** (max_depth - d + 4)
        lines.append(f"{iterations}\t trees of depth {d}\t check: {iterations * (2 ** (d + 1) - 1)}")
    lines.append(f"long lived tree of depth {max_depth}\t check: {2 ** (max_depth + 1) - 1}")
    return "\n".join(lines) + "\n"


class Case:
    """One workload at one size: the implementations to compare and how to check them."""

    def __init__(self, workload, label, impls, check, metrics, hako):
        self.workload, self.label, self.impls = workload, label, impls
        self.check, self.metrics, self.hako = check, metrics, hako

    @property
    def key(self):
        return f"{self.workload} {self.label}"


def result_fields(out):
    """Every `RESULT k=v ...` line, parsed; numbers become floats."""
    rows = []
    for line in out.splitlines():
        if line.startswith("RESULT "):
            row = {}
            for k, v in re.findall(r"(\w+)=(\S+)", line[7:]):
                try:
                    row[k] = float(v)
                except ValueError:
                    row[k] = v
            rows.append(row)
    return rows


def check_reference(expected):
    def check(out):
        if out != expected:
            return "output differs from the reference text"
        return None
    return check


def check_rings(out):
    rows = result_fields(out)
    if len(rows) != 1:
        return "no RESULT line"
    if rows[0].get("reclaimed") != 1 or rows[0].get("intact") != 1:
        return f"rings reclaimed={rows[0].get('reclaimed')} tree intact={rows[0].get('intact')}"
    return None


def check_checksum(expected):
    def check(out):
        rows = result_fields(out)
        if len(rows) != 1:
            return "no RESULT line"
        if int(rows[0]["checksum"]) != expected:
            return f"checksum {int(rows[0]['checksum'])} != {expected}"
        return None
    return check


def alloc_checksum(n, w):
    """Sum of first words of replaced objects, as the workload defines it."""
    m = max(0, n - 6 * (w // 6))  # object i is replaced at i + 6·(w/6) and read then
    return (m * (m - 1) // 2) % 2 ** 64


def cases(args):
    q = args.quick
    out = []
    depths = [16] if q else [18, 21]
    for n in depths:
        impls = [
            ("HakoGC GcTypes", swift("binary-trees-hako") + [str(n)]),
            ("HakoGC raw GcCore", swift("binary-trees-raw") + [str(n)]),
            ("Swift ARC", swift("binary-trees-arc") + [str(n)]),
            ("Nim ORC", peer("bt-nim-orc") + [str(n)]),
            ("Boehm GC", peer("bt-boehm") + [str(n)]),
            ("C glibc malloc", peer("bt-c-glibc") + [str(n)]),
            ("C jemalloc", peer("bt-c-jemalloc") + [str(n)]),
            ("C arena (floor)", peer("bt-c-arena") + [str(n)]),
            ("C eager RC (floor)", peer("bt-c-rc") + [str(n)]),
            ("HakoGC C ABI trusted", peer("bt-c-abi") + [str(n), "trusted"]),
        ]
        # Every call validated: about 30 times the trusted run (callgrind, depth 12),
        # so only with --slow-peers.
        if args.slow_peers:
            impls.append(("HakoGC C ABI checked", peer("bt-c-abi") + [str(n), "checked"]))
        # CPython takes about 7 minutes per run at depth 21 (about 15 times Swift ARC):
        # it runs at the smaller depth unless asked for.
        if n <= 18 or args.slow_peers:
            impls.append(("CPython", script("binary_trees.py") + [str(n)]))
        out.append(Case("binary-trees", f"depth {n}", impls, check_reference(binary_trees_reference(n)),
                        ["wall_s", "rss_mb"], "HakoGC GcTypes"))
    rounds = "20000" if q else "100000"
    for d in [16, 20]:
        a = [str(d), rounds, "64"]
        impls = [
            ("HakoGC GcTypes", swift("cyclic-garbage-hako") + a),
            ("Boehm GC", peer("cg-boehm") + a),
            ("Nim ORC", peer("cg-nim-orc") + a),
            ("CPython", script("cyclic_garbage.py") + a),
        ]
        out.append(Case("cyclic-garbage", f"D={d} R={rounds} K=64", impls, check_rings,
                        ["total_s", "p50_us", "p99_us", "p999_us", "max_us", "rss_mb"], "HakoGC GcTypes"))
    # Old cyclic garbage: only full collections can take it. The same program with
    # incremental (default) and atomic full collections; the longest full pause must
    # not grow with the live heap.
    og_rounds = "20000" if q else "100000"
    for d in ([16, 18] if q else [18, 20]):
        a = [str(d), og_rounds, "64", "256"]
        impls = [
            ("HakoGC incremental", swift("old-garbage-hako") + a + ["incremental"]),
            ("HakoGC atomic", swift("old-garbage-hako") + a + ["atomic"]),
        ]
        out.append(Case("old-garbage", f"D={d} R={og_rounds} K=64 W=256", impls, check_rings,
                        ["total_s", "p999_us", "max_us", "max_full_pause_us", "full_collections", "rss_mb"],
                        "HakoGC incremental"))
    n, w = (4_000_000 if q else 20_000_000), 6000
    a = [str(n), str(w)]
    impls = [
        ("HakoGC GcTypes", swift("alloc-throughput-hako") + a),
        ("Swift ARC", swift("alloc-throughput-arc") + a),
        ("C jemalloc", peer("at-c-jemalloc") + a),
        ("C glibc malloc", peer("at-c-glibc") + a),
    ]
    out.append(Case("alloc-throughput", f"N={n} W={w}", impls, check_checksum(alloc_checksum(n, w)),
                    ["total_s", "mops", "rss_mb"], "HakoGC GcTypes"))
    # The profiler's cost (issue 14): the same program with profiling off and on,
    # switched on by the environment as a user would (docs/profiling.md).
    # One log per configuration: truncating the 60 MB an every-allocation run wrote
    # cost the next run 50 ms (seen at depth 14).
    def profiled(argv, rate=None):
        name = f"bench-profile-{os.path.basename(argv[0])}-{rate or 'default'}.hgclog"
        env = ["/usr/bin/env", f"HAKOGC_PROFILE={os.path.join(HERE, '.build', name)}"]
        return env + ([f"HAKOGC_PROFILE_RATE={rate}"] if rate else []) + argv
    n = 16 if q else 18
    bt = swift("binary-trees-hako") + [str(n)]
    out.append(Case("profiling", f"binary-trees depth {n}", [
        ("profiling off", bt), ("profiling on", profiled(bt))],
        check_reference(binary_trees_reference(n)), ["wall_s", "rss_mb"], "profiling on"))
    # Every allocation sampled writes about 60 bytes per object: a smaller tree.
    bt14 = swift("binary-trees-hako") + ["14"]
    out.append(Case("profiling", "binary-trees depth 14, every allocation", [
        ("profiling off", bt14), ("profiling on", profiled(bt14)), ("every allocation", profiled(bt14, 1))],
        check_reference(binary_trees_reference(14)), ["wall_s", "rss_mb"], "profiling on"))
    demo = [os.path.join(HERE, "..", ".build", "release", "hako-demo")] + (["--rounds", "1000"] if q else [])
    demo_check = lambda o: None if "documents still reachable" in o else "no summary line"
    out.append(Case("profiling", "hako-demo", [
        ("profiling off", demo), ("profiling on", profiled(demo))], demo_check, ["wall_s", "rss_mb"], "profiling on"))
    conv = swift("conversions-hako") + (["--quick"] if q else [])
    out.append(Case("conversions", "arrays and strings", [("HakoGC GcTypes", conv)],
                    lambda o: None if len(result_fields(o)) == 18 else "expected 18 RESULT lines", [], "HakoGC GcTypes"))
    return out


def run_measured(argv):
    """Runs argv under a tiny fork so that wait4 gives this child's own peak RSS."""
    start = time.perf_counter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        data = os.read(r, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    out = b"".join(chunks).decode()
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}")
    return out, wall, usage.ru_maxrss / 1024.0


def measure(case, runs, log):
    """Warm-up, then `runs` alternated rounds. Returns {impl: {metric: [values]}, ...}."""
    samples = {name: [] for name, _ in case.impls}
    errors = {}
    for name, argv in case.impls:
        if not os.path.exists(argv[0]) or (argv[0] == PYTHON and not os.path.exists(argv[1])):
            errors[name] = f"missing {argv[-2] if argv[0] == PYTHON else argv[0]}"
            continue
        try:
            out, _, _ = run_measured(argv)
        except RuntimeError as e:
            errors[name] = str(e)
            continue
        problem = case.check(out)
        if problem:
            errors[name] = problem
    live = [(n, a) for n, a in case.impls if n not in errors]
    for r in range(runs):
        order = live if r % 2 == 0 else list(reversed(live))
        for name, argv in order:
            out, wall, rss = run_measured(argv)
            problem = case.check(out)
            if problem:
                errors[name] = problem
            rows = result_fields(out)
            sample = {"wall_s": wall, "rss_mb": rss}
            if len(rows) == 1:
                sample.update({k: v for k, v in rows[0].items() if isinstance(v, float)})
            elif rows:
                sample["rows"] = rows
            samples[name].append(sample)
            log(f"  {case.key}: {name} run {r + 1}/{runs}: {wall:.2f} s, {rss:.0f} MB")
    return samples, errors


def median_of(samples, metric):
    values = [s[metric] for s in samples if metric in s]
    return statistics.median(values) if values else None


def fmt(x, metric):
    if x is None:
        return "—"
    if metric.endswith("_us"):
        return f"{x:,.1f}"
    if metric == "mops":
        return f"{x:.1f}"
    if metric == "rss_mb":
        return f"{x:.0f}"
    return f"{x:.3f}"


LOWER_IS_BETTER = {"wall_s", "total_s", "p50_us", "p99_us", "p999_us", "max_us", "rss_mb"}


def table(case, samples, errors):
    lines = [f"### {case.workload}, {case.key[len(case.workload) + 1:]}", ""]
    if case.workload == "conversions":
        return lines + conversions_table(samples.get(case.hako, []), errors)
    metrics = case.metrics
    head = "| implementation | " + " | ".join(metrics) + " | HakoGC ÷ this (" + metrics[0] + ", rss) |"
    lines += [head, "|" + "---|" * (len(metrics) + 2)]
    hako = samples.get(case.hako, [])
    for name, _ in case.impls:
        if name in errors and not samples[name]:
            lines.append(f"| {name} | failed: {errors[name]} |")
            continue
        cells = [fmt(median_of(samples[name], m), m) for m in metrics]
        ratio = "—"
        if name != case.hako and hako:
            parts = []
            for m in (metrics[0], "rss_mb"):
                h, p = median_of(hako, m), median_of(samples[name], m)
                if h is not None and p:
                    parts.append(f"{h / p:.2f}×")
            ratio = ", ".join(parts)
        flag = f" (check failed: {errors[name]})" if name in errors else ""
        lines.append(f"| {name}{flag} | " + " | ".join(cells) + f" | {ratio} |")
    return lines + [""]


def conversions_table(samples, errors):
    if not samples:
        return [f"failed: {errors}", ""]
    rows = {}
    for s in samples:
        for row in s.get("rows", []):
            key = (row["kind"], row["direction"], int(row["size"]))
            rows.setdefault(key, []).append(row)
    lines = ["| kind | direction | size | ns per conversion | malloc bytes | heap bytes |", "|---|---|---|---|---|---|"]
    for (kind, direction, size), rs in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        med = lambda k: statistics.median(r[k] for r in rs)
        lines.append(f"| {kind} | {direction} | {size:,} | {med('ns'):,.1f} | {med('malloc_bytes'):,.0f} | {med('heap_bytes'):,.0f} |")
    return lines + [""]


def targets(results):
    """Issue 4's targets, evaluated on the medians: (description, met?, figure)."""
    out = []

    def med(key, impl, metric):
        entry = results.get(key)
        if not entry or impl not in entry["samples"]:
            return None
        return median_of(entry["samples"][impl], metric)

    def ratio_target(desc, key, metric, peer, limit):
        h, p = med(key, "HakoGC GcTypes", metric), med(key, peer, metric)
        if h is None or not p:
            out.append((desc, None, "not measured"))
        else:
            out.append((desc, h / p <= limit, f"{h / p:.2f}× (limit {limit}×)"))

    for key in [k for k in results if k.startswith("binary-trees")]:
        ratio_target(f"{key}: time ≤ 0.25× Swift ARC", key, "wall_s", "Swift ARC", 0.25)
        ratio_target(f"{key}: time ≤ 0.6× Nim ORC", key, "wall_s", "Nim ORC", 0.6)
        ratio_target(f"{key}: peak RSS ≤ Nim ORC", key, "rss_mb", "Nim ORC", 1.0)
        ratio_target(f"{key}: peak RSS ≤ Swift ARC", key, "rss_mb", "Swift ARC", 1.0)
    for key in [k for k in results if k.startswith("cyclic-garbage")]:
        m = med(key, "HakoGC GcTypes", "max_us")
        out.append((f"{key}: max round ≤ 1 ms", None if m is None else m <= 1000, f"{m:,.0f} µs" if m else "—"))
        p = med(key, "HakoGC GcTypes", "p999_us")
        out.append((f"{key}: p99.9 ≤ 50 µs", None if p is None else p <= 50, f"{p:,.1f} µs" if p else "—"))
        ratio_target(f"{key}: total ≤ Boehm", key, "total_s", "Boehm GC", 1.0)
        errs = results[key]["errors"].get("HakoGC GcTypes")
        out.append((f"{key}: every ring reclaimed, tree intact", errs is None, errs or "yes"))
    og = sorted(k for k in results if k.startswith("old-garbage"))
    for key in og:
        p = med(key, "HakoGC incremental", "max_full_pause_us")
        out.append((f"{key}: longest full pause ≤ 1 ms (incremental)", None if p is None else p <= 1000,
                    f"{p:,.0f} µs" if p is not None else "—"))
    if len(og) == 2:
        small, large = (med(k, "HakoGC incremental", "max_full_pause_us") for k in og)
        if small and large:
            out.append((f"old-garbage: longest full pause flat as the live heap grows 4×", large <= 2 * small,
                        f"{small:,.0f} → {large:,.0f} µs"))
    for key in [k for k in results if k.startswith("alloc-throughput")]:
        h, a = med(key, "HakoGC GcTypes", "mops"), med(key, "Swift ARC", "mops")
        out.append((f"{key}: throughput ≥ 2× Swift ARC", None if not (h and a) else h / a >= 2,
                    f"{h / a:.2f}×" if h and a else "—"))
    for key in [k for k in results if k.startswith("profiling")]:
        on, off = med(key, "profiling on", "wall_s"), med(key, "profiling off", "wall_s")
        if "every allocation" not in key:
            out.append((f"{key}: profiling on at the default rate ≤ 1.03× off", None if not (on and off) else on / off <= 1.03,
                        f"{on / off:.3f}×" if on and off else "—"))
        every = med(key, "every allocation", "wall_s")
        if every and off:
            out.append((f"{key}: every allocation sampled (reported, no target)", None, f"{every / off:.2f}× off"))
    for key in [k for k in results if k.startswith("conversions")]:
        rows = {}
        for s in results[key]["samples"].get("HakoGC GcTypes", []):
            for row in s.get("rows", []):
                rows.setdefault((row["kind"], row["direction"]), {}).setdefault(int(row["size"]), []).append(row)
        for (kind, direction), by_size in sorted(rows.items()):
            if direction == "copy_baseline":
                continue
            sizes = sorted(by_size)
            small = statistics.median(r["ns"] for r in by_size[sizes[0]])
            large = statistics.median(r["ns"] for r in by_size[sizes[-1]])
            b_small = statistics.median(r["malloc_bytes"] + r["heap_bytes"] for r in by_size[sizes[0]])
            b_large = statistics.median(r["malloc_bytes"] + r["heap_bytes"] for r in by_size[sizes[-1]])
            ok = large <= 3 * max(small, 1.0) and b_large <= b_small + 8
            out.append((f"conversions {kind} {direction}: flat from {sizes[0]:,} to {sizes[-1]:,}", ok,
                        f"{small:,.1f} → {large:,.1f} ns, {b_small:,.0f} → {b_large:,.0f} bytes"))
    return out


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def compare(old_path, results):
    with open(old_path) as f:
        old = json.load(f)["results"]
    print(f"\n## Compared with {old_path}\n")
    print("| case | implementation | metric | before | now | change |")
    print("|---|---|---|---|---|---|")
    for key, entry in results.items():
        if key not in old:
            continue
        for name, samples in entry["samples"].items():
            before = old[key]["samples"].get(name)
            if not before:
                continue
            for metric in ("wall_s", "total_s", "max_us", "mops", "rss_mb"):
                a, b = median_of(before, metric), median_of(samples, metric)
                if a and b:
                    print(f"| {key} | {name} | {metric} | {fmt(a, metric)} | {fmt(b, metric)} | {b / a:.2f}× |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=None, help="measured runs per implementation (default 5, quick 3)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes and 3 runs: minutes, for a quick look")
    ap.add_argument("--slow-peers", action="store_true", help="also run CPython binary-trees at depth 21 (adds about 45 minutes)")
    ap.add_argument("--only", nargs="*", default=None, help="workloads to run (binary-trees, cyclic-garbage, ...)")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--compare", default=None, help="an earlier JSON file to compare medians with")
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 5)
    log = lambda s: print(s, file=sys.stderr, flush=True)
    results = {}
    report = [f"# HakoGC benchmarks ({'quick' if args.quick else 'full'}, median of {runs} runs after a warm-up)", ""]
    info = machine()
    report.append(f"Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}; commit {info['commit']}; {info['date']}")
    report.append("")
    for case in cases(args):
        if args.only and case.workload not in args.only:
            continue
        log(f"{case.key}: warm-up and {runs} alternated runs of {len(case.impls)} implementations")
        samples, errors = measure(case, runs, log)
        results[case.key] = {"samples": samples, "errors": errors}
        report += table(case, samples, errors)
    report += ["### Targets (issue 4)", "", "| target | met | figure |", "|---|---|---|"]
    for desc, ok, figure in targets(results):
        report.append(f"| {desc} | {'—' if ok is None else ('yes' if ok else '**no**')} | {figure} |")
    print("\n".join(report))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"machine": info, "runs": runs, "quick": args.quick, "results": results}, f, indent=1)
    log(f"wrote {args.json}")
    if args.compare:
        compare(args.compare, results)
    failed = [k for k, e in results.items() if e["errors"]]
    if failed:
        log("checks failed in: " + ", ".join(f"{k} ({e['errors']})" for k, e in results.items() if e["errors"]))
        sys.exit(1)


if __name__ == "__main__":
    main()
