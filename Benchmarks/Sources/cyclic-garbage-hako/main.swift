// Workload 2 (BENCHMARKS.md): cyclic garbage beside a large live heap. A live binary
// tree of depth D; R rounds each build a ring of K two-field nodes (next → ring,
// second field → the tree's root) and drop it. Per-round latency percentiles.
import GcCore
import GcTypes
import Glibc

struct Node: GcObject, ~Copyable {
    // Only GcRc fields and no deinit: the heap releases and traces them itself.
    static let gcType = GcType<Node>(name: "bench/RingNode", fields: .referencesOnly)
    var next: GcRc<Node>?
    var other: GcRc<Node>?
    func trace(into t: inout GcTracer) { t.visit(next); t.visit(other) }
}

func arg(_ i: Int, _ d: Int) -> Int { CommandLine.arguments.count > i ? Int(CommandLine.arguments[i])! : d }
let depth = arg(1, 16), rounds = arg(2, 100_000), k = arg(3, 64)

func now() -> UInt64 {
    var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func tree(_ d: Int, _ heap: Heap) -> GcRc<Node> {
    d == 0 ? GcRc(Node(), in: heap) : GcRc(Node(next: tree(d - 1, heap), other: tree(d - 1, heap)), in: heap)
}
func count(_ n: borrowing GcRc<Node>) -> Int {
    n.with { v in
        var c = 1
        switch v.next { case .some(let x): c += count(x); case .none: break }
        switch v.other { case .some(let x): c += count(x); case .none: break }
        return c
    }
}
func run() {
    let heap = Heap()
    let root = tree(depth, heap)
    let liveNodes = (1 << (depth + 1)) - 1
    var latencies = [UInt64](repeating: 0, count: rounds)
    let start = now()
    for r in 0..<rounds {
        let t0 = now()
        do {
            let first = GcRc(Node(other: root.copy()), in: heap)
            var previous = first.copy()
            for _ in 1..<k {
                let node = GcRc(Node(other: root.copy()), in: heap)
                previous.mutate { $0.next = node.copy() }
                previous = node
            }
            previous.mutate { $0.next = first.copy() }
        }
        latencies[r] = now() - t0
    }
    let total = now() - start
    heap.collect(.full)
    let stats = heap.statistics()
    latencies.sort()
    // Nearest rank, in integers (q in tenths of a percent) so 99.9 % of 100 000 is 99 900 exactly.
    func p(_ tenths: Int) -> Double {
        let n = latencies.count
        return Double(latencies[max(0, min(n - 1, (tenths * n + 999) / 1000 - 1))]) / 1000
    }
    var usage = rusage(); getrusage(RUSAGE_SELF.rawValue, &usage)
    let intact = count(root) == liveNodes && root.referenceCount == 1
    print("depth \(depth) live \(liveNodes) rounds \(rounds) k \(k): total \(Double(total) / 1e9) s, p50 \(p(500)) µs, p99 \(p(990)) µs, p99.9 \(p(999)) µs, max \(Double(latencies.last!) / 1000) µs, peak RSS \(usage.ru_maxrss / 1024) MB")
    print("rings reclaimed: \(stats.liveObjects == liveNodes), tree intact: \(intact), minor \(stats.minorCollections), full \(stats.fullCollections), max pause \(stats.maxPauseNanos / 1000) µs")
    print("RESULT total_s=\(Double(total) / 1e9) p50_us=\(p(500)) p99_us=\(p(990)) p999_us=\(p(999)) max_us=\(Double(latencies.last!) / 1000) reclaimed=\(stats.liveObjects == liveNodes ? 1 : 0) intact=\(intact ? 1 : 0)")

}
run()
