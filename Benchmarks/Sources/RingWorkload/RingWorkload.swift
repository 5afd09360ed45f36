// What the two ring workloads share (cyclic-garbage-hako, old-garbage-hako): the node
// type, the live tree, a ring of K nodes that all point at the tree's root, the clock
// and nearest-rank percentiles. Everything is @inlinable so the programs specialize
// it as if it were their own code.
import GcCore
import GcTypes
import Glibc

public struct RingNode: GcObject, ~Copyable {
    // Only GcRc fields and no deinit: the heap releases and traces them itself.
    public static let gcType = GcType<RingNode>(name: "bench/RingNode", fields: .referencesOnly)
    public var next: GcRc<RingNode>?
    public var other: GcRc<RingNode>?
    @inlinable public init(next: consuming GcRc<RingNode>? = nil, other: consuming GcRc<RingNode>? = nil) {
        self.next = next
        self.other = other
    }
    @inlinable public func trace(into t: inout GcTracer) { t.visit(next); t.visit(other) }
}

/// Integer argument `i` of the command line, or `d`.
@inlinable public func intArgument(_ i: Int, _ d: Int) -> Int {
    CommandLine.arguments.count > i ? Int(CommandLine.arguments[i])! : d
}

@inlinable public func monotonicNanos() -> UInt64 {
    var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A complete binary tree of depth `d` (2^(d+1) − 1 nodes).
@inlinable public func liveTree(_ d: Int, _ heap: Heap) -> GcRc<RingNode> {
    d == 0 ? GcRc(RingNode(), in: heap)
        : GcRc(RingNode(next: liveTree(d - 1, heap), other: liveTree(d - 1, heap)), in: heap)
}

@inlinable public func countNodes(_ n: borrowing GcRc<RingNode>) -> Int {
    n.with { v in
        var c = 1
        switch v.next { case .some(let x): c += countNodes(x); case .none: break }
        switch v.other { case .some(let x): c += countNodes(x); case .none: break }
        return c
    }
}

/// A ring of `k` nodes (next → the following node, other → `root`); returns its first.
@inlinable public func makeRing(_ k: Int, pointingAt root: borrowing GcRc<RingNode>, _ heap: Heap) -> GcRc<RingNode> {
    let first = GcRc(RingNode(other: root.copy()), in: heap)
    var previous = first.copy()
    for _ in 1..<k {
        let node = GcRc(RingNode(other: root.copy()), in: heap)
        previous.mutate { $0.next = node.copy() }
        previous = node
    }
    previous.mutate { $0.next = first.copy() }
    return first
}

/// Nearest-rank percentiles of nanosecond samples, in µs.
public struct Latencies {
    public var sorted: [UInt64]
    @inlinable public init(_ samples: [UInt64]) { sorted = samples.sorted() }
    /// Percentile `tenths` / 10 (integers, so 99.9 % of 100 000 is 99 900 exactly).
    @inlinable public func us(_ tenths: Int) -> Double {
        let n = sorted.count
        return Double(sorted[max(0, min(n - 1, (tenths * n + 999) / 1000 - 1))]) / 1000
    }
    @inlinable public var maxUs: Double { Double(sorted.last!) / 1000 }
}
