// Old cyclic garbage beside a large live heap: what full collections cost the
// program. A live binary tree of depth D; R rounds each build a ring of K nodes
// (next → ring, second field → the tree's root) and keep it in a window of W rings,
// so it is old when dropped: minor collections cannot take it, only full ones.
// Argument 5 picks the full collection: `incremental` (slices, the default pacing)
// or `atomic` (one pause). Prints per-round latency percentiles and the longest
// collection pause the heap's observer saw; `-v` lists pauses over 1 ms by phase.
import GcCore
import GcTypes
import Glibc
import RingWorkload

let depth = intArgument(1, 20), rounds = intArgument(2, 100_000), k = intArgument(3, 64), window = intArgument(4, 256)
let mode = CommandLine.arguments.count > 5 ? CommandLine.arguments[5] : "incremental"
let verbose = CommandLine.arguments.contains("-v")
guard mode == "incremental" || mode == "atomic" else { fatalError("mode must be incremental or atomic") }

func run() {
    var config = HeapConfiguration()
    config.incrementalFull = mode == "incremental"
    let heap = Heap(configuration: config)
    let root = liveTree(depth, heap)
    let liveNodes = (1 << (depth + 1)) - 1
    var pauses: [CollectionKind: UInt64] = [:]
    heap.collectionObserver = { e in
        pauses[e.kind] = max(pauses[e.kind] ?? 0, e.pauseNanos)
        if verbose && e.pauseNanos > 1_000_000 {
            print("  \(e.kind.rawValue) \(e.pauseNanos / 1000) µs:", GcPhase.allCases.map { "\($0.name) \(e.nanos($0) / 1000)" }.joined(separator: ", "), "visited \(e.visited) freed \(e.freedObjects)")
        }
    }
    var held = [GcBox<RingNode>?](repeating: nil, count: window)
    var samples = [UInt64](repeating: 0, count: rounds)
    let start = monotonicNanos()
    for r in 0..<rounds {
        let t0 = monotonicNanos()
        held[r % window] = GcBox(makeRing(k, pointingAt: root, heap))  // drops the ring made `window` rounds ago
        samples[r] = monotonicNanos() - t0
    }
    let total = monotonicNanos() - start
    let during = heap.statistics()
    heap.collectionObserver = nil
    for i in 0..<window { held[i] = nil }
    heap.collect(.full)
    let stats = heap.statistics()
    let l = Latencies(samples)
    func us(_ kind: CollectionKind) -> Double { Double(pauses[kind] ?? 0) / 1000 }
    var usage = rusage(); getrusage(RUSAGE_SELF.rawValue, &usage)
    let intact = countNodes(root) == liveNodes && root.referenceCount == 1
    print("\(mode): depth \(depth) live \(liveNodes) rounds \(rounds) k \(k) window \(window): total \(Double(total) / 1e9) s, p50 \(l.us(500)) µs, p99.9 \(l.us(999)) µs, max \(l.maxUs) µs, peak RSS \(usage.ru_maxrss / 1024) MB")
    print("full \(during.fullCollections) (\(during.fullSlices) slices), minor \(during.minorCollections); longest pause: full \(us(.full)) µs, slice \(us(.fullSlice)) µs, minor \(us(.minor)) µs; reclaimed \(stats.liveObjects == liveNodes), intact \(intact)")
    print("RESULT total_s=\(Double(total) / 1e9) p50_us=\(l.us(500)) p999_us=\(l.us(999)) max_us=\(l.maxUs) max_full_pause_us=\(max(us(.full), us(.fullSlice))) full_collections=\(during.fullCollections) reclaimed=\(stats.liveObjects == liveNodes ? 1 : 0) intact=\(intact ? 1 : 0)")
}
run()
