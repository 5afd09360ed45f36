import Testing
import GcCore
@testable import GcTypes

/// A binary node declared referencesOnly: the heap releases its fields itself.
struct FastNode: GcObject, ~Copyable {
    static let gcType = GcType<FastNode>(name: "hako.tests/FastNode", fields: .referencesOnly)
    var left: GcRc<FastNode>?
    var right: GcRc<FastNode>?
    func trace(into tracer: inout GcTracer) { tracer.visit(left); tracer.visit(right) }
}

/// Declared referencesOnly, but holds an Int: refused at registration.
struct IntHolder: GcObject, ~Copyable {
    static let gcType = GcType<IntHolder>(name: "hako.tests/IntHolder", fields: .referencesOnly)
    var next: GcRc<IntHolder>?
    var count: Int
    func trace(into tracer: inout GcTracer) { tracer.visit(next) }
}

/// Declared referencesOnly, but its trace forgets a field: refused at registration.
struct Forgetful: GcObject, ~Copyable {
    static let gcType = GcType<Forgetful>(name: "hako.tests/Forgetful", fields: .referencesOnly)
    var a: GcRc<Forgetful>?
    var b: GcRc<Forgetful>?
    func trace(into tracer: inout GcTracer) { tracer.visit(a) }
}

func fastTree(_ depth: Int, _ heap: Heap) -> GcRc<FastNode> {
    depth == 0 ? GcRc(FastNode(), in: heap)
        : GcRc(FastNode(left: fastTree(depth - 1, heap), right: fastTree(depth - 1, heap)), in: heap)
}

func fastCount(_ node: borrowing GcRc<FastNode>) -> Int {
    node.with { n in
        var c = 1
        switch n.left { case .some(let l): c += fastCount(l); case .none: break }
        switch n.right { case .some(let r): c += fastCount(r); case .none: break }
        return c
    }
}

@Suite struct GcFieldLayoutTests {
    @Test func referencesOnlyTypesUseOffsetsAndNoCalls() {
        let d = FastNode.gcType.descriptor
        #expect(d.referenceOffsets == [0, 8])
        #expect(d.trace == nil)
        #expect(d.drop == nil)
        #expect(!d.acyclic)
    }

    @Test func treesFreeCompletely() {
        let heap = Heap()
        do {
            let tree = fastTree(12, heap)
            #expect(fastCount(tree) == 8191)
            #expect(heap.statistics().liveObjects == 8191)
        }
        let stats = heap.statistics()
        #expect(stats.liveObjects == 0)
        #expect(stats.freedByCount == 8191)
    }

    @Test func cyclesThroughOffsetsAreCollected() {
        let heap = Heap()
        for _ in 0..<100 {
            let a = GcRc(FastNode(), in: heap)
            let b = GcRc(FastNode(left: a.copy()), in: heap)
            a.mutate { $0.right = b.copy() }
        }
        heap.collect(.minor)
        heap.collect(.full)
        let stats = heap.statistics()
        #expect(stats.liveObjects == 0)
        #expect(stats.freedByCollector == 200)
    }

    @Test func aFieldThatIsNotAReferenceIsRefused() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = IntHolder.gcType
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("stored property count of IntHolder is a Swift.Int, not a GcRc"))
    }

    @Test func aTraceThatSkipsAFieldIsRefused() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Forgetful.gcType
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("reports the word at offset 8 0 times"))
    }
}
