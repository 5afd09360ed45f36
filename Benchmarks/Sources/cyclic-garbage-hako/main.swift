// Workload 2 (BENCHMARKS.md): cyclic garbage beside a large live heap. A live binary
// tree of depth D; R rounds each build a ring of K two-field nodes (next → ring,
// second field → the tree's root) and drop it. Per-round latency percentiles.
import GcCore
import GcTypes
import Glibc
import RingWorkload

let depth = intArgument(1, 16), rounds = intArgument(2, 100_000), k = intArgument(3, 64)

func run() {
    let heap = Heap()
    let root = liveTree(depth, heap)
    let liveNodes = (1 << (depth + 1)) - 1
    var samples = [UInt64](repeating: 0, count: rounds)
    let start = monotonicNanos()
    for r in 0..<rounds {
        let t0 = monotonicNanos()
        _ = makeRing(k, pointingAt: root, heap)
        samples[r] = monotonicNanos() - t0
    }
    let total = monotonicNanos() - start
    heap.collect(.full)
    let stats = heap.statistics()
    let l = Latencies(samples)
    var usage = rusage(); getrusage(RUSAGE_SELF.rawValue, &usage)
    let intact = countNodes(root) == liveNodes && root.referenceCount == 1
    print("depth \(depth) live \(liveNodes) rounds \(rounds) k \(k): total \(Double(total) / 1e9) s, p50 \(l.us(500)) µs, p99 \(l.us(990)) µs, p99.9 \(l.us(999)) µs, max \(l.maxUs) µs, peak RSS \(usage.ru_maxrss / 1024) MB")
    print("rings reclaimed: \(stats.liveObjects == liveNodes), tree intact: \(intact), minor \(stats.minorCollections), full \(stats.fullCollections), max pause \(stats.maxPauseNanos / 1000) µs")
    print("RESULT total_s=\(Double(total) / 1e9) p50_us=\(l.us(500)) p99_us=\(l.us(990)) p999_us=\(l.us(999)) max_us=\(l.maxUs) reclaimed=\(stats.liveObjects == liveNodes ? 1 : 0) intact=\(intact ? 1 : 0)")
}
run()
