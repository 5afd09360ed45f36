import Foundation
import GcCore
import GcTestSupport
import GcTypes
import Testing

struct StressNode: GcObject, ~Copyable {
    static let gcType = GcType<StressNode>(name: "hako.stress/Node")
    var a: GcRc<StressNode>?
    var b: GcRc<StressNode>?
    func trace(into t: inout GcTracer) { t.visit(a); t.visit(b) }
}

@Suite struct LargeGraphStressTests {
    /// Random rings hung off a large live tree, through the typed API, with automatic
    /// collection: every ring must be reclaimed and the tree stay intact.
    @Test func ringsBesideALiveTree() {
        let seed = StressBudget.baseSeed()
        var rng = SeededGenerator(seed: seed)
        let heap = Heap()
        func tree(_ d: Int) -> GcRc<StressNode> {
            d == 0 ? GcRc(StressNode(), in: heap) : GcRc(StressNode(a: tree(d - 1), b: tree(d - 1)), in: heap)
        }
        let root = tree(16)
        let treeNodes = (1 << 17) - 1
        let rounds = Int(20_000 * min(StressBudget.seconds / 10, 30))
        for _ in 0..<rounds {
            let k = Int.random(in: 1...64, using: &rng)
            let first = GcRc(StressNode(b: root.copy()), in: heap)
            var previous = first.copy()
            for _ in 1..<k {
                let node = GcRc(StressNode(b: root.copy()), in: heap)
                previous.mutate { $0.a = node.copy() }
                previous = node
            }
            previous.mutate { $0.a = first.copy() }
        }
        heap.collect(.full)
        let s = heap.statistics()
        #expect(s.liveObjects == treeNodes, "HAKOGC_STRESS_SEED=\(seed): \(s.liveObjects) live")
        #expect(root.referenceCount == 1, "HAKOGC_STRESS_SEED=\(seed)")
        print("rings stress: \(rounds) rings, \(s.minorCollections) minor / \(s.fullCollections) full, max pause \(s.maxPauseNanos / 1000) µs")
    }

    @Test func tenMillionNodeListInOptimizedBuild() {
        #if !DEBUG
        let heap = Heap()
        do {
            var head = GcRc(StressNode(), in: heap)
            for _ in 0..<9_999_999 { head = GcRc(StressNode(a: head), in: heap) }
            #expect(heap.statistics().liveObjects == 10_000_000)
        }
        #expect(heap.statistics().liveObjects == 0)
        #endif
    }
}
