import Testing
import GcCore
@testable import GcTypes

/// A trivial (POD) payload: GcType needs neither trace nor drop for it.
struct Point: GcObject {
    static let gcType = GcType<Point>(name: "hako.tests/Point")
    var x: Int
    var y: Double
}

/// Not trivial (a String), no references: keeps its drop so the String is released.
struct Label: GcObject, ~Copyable {
    static let gcType = GcType<Label>(name: "hako.tests/Label")
    var text: String
}

/// Holds a Swift object: freeing the heap object must release it.
struct SwiftObjectHolder: GcObject, ~Copyable {
    static let gcType = GcType<SwiftObjectHolder>(name: "hako.tests/SwiftObjectHolder")
    var held: AnyObject
}

@Suite struct GcObjectTests {
    @Test func trivialTypesNeedNoTraceOrDrop() {
        let d = Point.gcType.descriptor
        #expect(d.acyclic)
        #expect(d.trace == nil)
        #expect(d.drop == nil)
        let l = Label.gcType.descriptor
        #expect(l.drop != nil, "a String payload must be deinitialized")
        #expect(l.trace != nil && !l.acyclic, "only acyclic: true or a trivial type drops trace")
        #expect(TreeNode.gcType.descriptor.drop != nil)
    }

    @Test func trivialObjectsFreeAtOnceAndNeverBecomeCandidates() {
        let heap = Heap()
        do {
            let a = GcRc(Point(x: 1, y: 2), in: heap)
            let b = a.copy()
            _ = consume b  // a count drop that does not free: an acyclic object is no candidate
            #expect(heap.statistics().candidates == 0)
            #expect(a.value.x == 1)
        }
        for i in 0..<10_000 { _ = GcRc(Point(x: i, y: 0), in: heap) }
        let stats = heap.statistics()
        #expect(stats.allocatedObjects == 10_001)
        #expect(stats.freedObjects == 10_001)
        #expect(stats.freedByCount == 10_001)
    }

    @Test func nonTrivialPayloadsAreDeinitialized() {
        let heap = Heap()
        final class Witness {}
        weak var witness: Witness?
        do {
            let w = Witness()
            witness = w
            let holder = GcRc(SwiftObjectHolder(held: w), in: heap)
            _ = holder
        }
        // The payload was deinitialized with its object: the Swift object it held is gone.
        #expect(witness == nil)
        #expect(heap.statistics().liveObjects == 0)
    }
}
