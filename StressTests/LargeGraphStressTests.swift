import Foundation
import GcCore
import GcTestSupport
import GcTypes
import Testing

/// The two-reference node of these tests, in both field layouts.
protocol StressRingNode: GcObject, ~Copyable {
    init(a: consuming GcRc<Self>?, b: consuming GcRc<Self>?)
    mutating func setA(_ value: consuming GcRc<Self>)
}

struct StressNode: StressRingNode, ~Copyable {
    static let gcType = GcType<StressNode>(name: "hako.stress/Node")
    var a: GcRc<StressNode>?
    var b: GcRc<StressNode>?
    init(a: consuming GcRc<StressNode>? = nil, b: consuming GcRc<StressNode>? = nil) { self.a = a; self.b = b }
    mutating func setA(_ value: consuming GcRc<StressNode>) { a = .some(value) }
    func trace(into t: inout GcTracer) { t.visit(a); t.visit(b) }
}

/// The same node declared `.referencesOnly`: freed and traced by offsets.
struct FastStressNode: StressRingNode, ~Copyable {
    static let gcType = GcType<FastStressNode>(name: "hako.stress/FastNode", fields: .referencesOnly)
    var a: GcRc<FastStressNode>?
    var b: GcRc<FastStressNode>?
    init(a: consuming GcRc<FastStressNode>? = nil, b: consuming GcRc<FastStressNode>? = nil) { self.a = a; self.b = b }
    mutating func setA(_ value: consuming GcRc<FastStressNode>) { a = .some(value) }
    func trace(into t: inout GcTracer) { t.visit(a); t.visit(b) }
}

/// Random rings hung off a large live tree, through the typed API, with automatic
/// collection: every ring must be reclaimed and the tree stay intact.
func ringsBesideALiveTree<N: StressRingNode & ~Copyable>(_: N.Type) {
    let seed = StressBudget.baseSeed()
    var rng = SeededGenerator(seed: seed)
    let heap = Heap()
    func tree(_ d: Int) -> GcRc<N> {
        d == 0 ? GcRc(N(a: nil, b: nil), in: heap) : GcRc(N(a: tree(d - 1), b: tree(d - 1)), in: heap)
    }
    let root = tree(16)
    let treeNodes = (1 << 17) - 1
    let rounds = Int(20_000 * min(StressBudget.seconds / 10, 30))
    for _ in 0..<rounds {
        let k = Int.random(in: 1...64, using: &rng)
        let first = GcRc(N(a: nil, b: root.copy()), in: heap)
        var previous = first.copy()
        for _ in 1..<k {
            let node = GcRc(N(a: nil, b: root.copy()), in: heap)
            previous.mutate { $0.setA(node.copy()) }
            previous = node
        }
        previous.mutate { $0.setA(first.copy()) }
    }
    heap.collect(.full)
    let s = heap.statistics()
    #expect(s.liveObjects == treeNodes, "HAKOGC_STRESS_SEED=\(seed) \(N.self): \(s.liveObjects) live")
    #expect(root.referenceCount == 1, "HAKOGC_STRESS_SEED=\(seed) \(N.self)")
    print("rings stress (\(N.self)): \(rounds) rings, \(s.minorCollections) minor / \(s.fullCollections) full, max pause \(s.maxPauseNanos / 1000) µs")
}

@Suite struct LargeGraphStressTests {
    @Test func ringsBesideALiveTreeTraced() { ringsBesideALiveTree(StressNode.self) }

    @Test func ringsBesideALiveTreeByOffsets() { ringsBesideALiveTree(FastStressNode.self) }

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
