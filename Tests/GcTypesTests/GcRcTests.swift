import Testing
import GcCore
@testable import GcTypes

struct TreeNode: GcObject, ~Copyable {
    static let gcType = GcType<TreeNode>(name: "hako.tests/TreeNode")
    var left: GcRc<TreeNode>?
    var right: GcRc<TreeNode>?
    var label: String = ""
    func trace(into tracer: inout GcTracer) { tracer.visit(left); tracer.visit(right) }
}

final class Log { var finalized: [String] = []; var keep: [GcBox<Tracked>] = [] }

struct Tracked: GcObject, ~Copyable {
    static let gcType = GcType<Tracked>(name: "hako.tests/Tracked", finalize: { handle in
        let (name, resurrect) = handle.with { ($0.name, $0.resurrect) }
        let log = handle.heap.context as! Log
        log.finalized.append(name)
        if resurrect { log.keep.append(GcBox(handle.copy())) }
    })
    var name: String
    var resurrect = false
    var next: GcRc<Tracked>?
    func trace(into tracer: inout GcTracer) { tracer.visit(next) }
}

func makeTree(_ depth: Int, _ heap: Heap) -> GcRc<TreeNode> {
    if depth == 0 { return GcRc(TreeNode(), in: heap) }
    return GcRc(TreeNode(left: makeTree(depth - 1, heap), right: makeTree(depth - 1, heap)), in: heap)
}

func countNodes(_ node: borrowing GcRc<TreeNode>) -> Int {
    node.with { n in
        var c = 1
        switch n.left { case .some(let l): c += countNodes(l); case .none: break }
        switch n.right { case .some(let r): c += countNodes(r); case .none: break }
        return c
    }
}

@Suite struct GcRcTests {
    @Test func treeAllocatesAndFreesEveryNode() {
        let heap = Heap()
        do {
            let tree = makeTree(10, heap)
            #expect(countNodes(tree) == 2047)
            #expect(heap.statistics().liveObjects == 2047)
        }
        let s = heap.statistics()
        #expect(s.allocatedObjects == 2047 && s.freedObjects == 2047 && s.liveObjects == 0)
    }

    @Test func copyAndMutate() {
        let heap = Heap()
        let a = GcRc(TreeNode(label: "a"), in: heap)
        let b = a.copy()
        #expect(a.referenceCount == 2)
        b.mutate { $0.label = "changed" }
        #expect(a.with { $0.label } == "changed")
        let same = a.isSame(as: b)
        #expect(same)
        a.mutate { $0.left = GcRc(TreeNode(label: "child"), in: heap) }
        #expect(heap.statistics().liveObjects == 2)
        a.mutate { $0.left = nil }
        #expect(heap.statistics().liveObjects == 1)
    }

    /// A heap whose incremental full collections advance only by `collect(.fullSlice)`,
    /// one object (at least one page) of work per slice.
    func slicedHeap() -> Heap {
        var config = HeapConfiguration()
        config.automaticCollection = false
        config.fullSliceWork = 1
        return Heap(configuration: config)
    }

    /// An incremental full collection is marking; `mutate` moves a child out of a
    /// node it has not traced yet. The exclusive borrow's barrier must shade the
    /// child first, or the collector would free it under the new handle.
    @Test func mutateDuringAnIncrementalFullKeepsWhatItMovesOut() {
        let heap = slicedHeap()
        let d = GcRc(TreeNode(left: GcRc(TreeNode(label: "c"), in: heap), label: "d"), in: heap)
        heap.collect(.fullSlice)  // rooting done: roots not checked, nothing marked
        #expect(heap.statistics().fullCollectionInProgress)
        let c = d.mutate { $0.left.take()! }
        while heap.statistics().fullCollectionInProgress { heap.collect(.fullSlice) }
        #expect(heap.statistics().liveObjects == 2)
        #expect(c.with { $0.label } == "c" && c.referenceCount == 1)
    }

    /// A `mutate` that spans a whole incremental cycle: it began before the cycle, so
    /// no barrier runs while the collector scans, checks and traces the object; its
    /// references are left uncounted, which makes roots of its children. The child
    /// it moves out into a local handle mid-cycle, and the one it moves in, survive.
    @Test func mutateSpanningAnIncrementalCycleKeepsItsChildren() {
        let heap = slicedHeap()
        let r = GcRc(TreeNode(left: GcRc(TreeNode(label: "c"), in: heap), label: "r"), in: heap)
        let n = GcRc(TreeNode(label: "n"), in: heap)
        let moved: GcRc<TreeNode> = r.mutate { node in
            heap.collect(.fullSlice)  // rooting (one page): r is being mutated, so not counted
            heap.collect(.fullSlice)  // roots checked: r's references taken; marking next
            #expect(heap.statistics().fullCollectionInProgress)
            let c = node.left.take()!
            node.right = n.copy()
            while heap.statistics().fullCollectionInProgress { heap.collect(.fullSlice) }
            return c
        }
        #expect(heap.statistics().liveObjects == 3)
        #expect(moved.with { $0.label } == "c" && moved.referenceCount == 1)
        #expect(n.referenceCount == 2)
        _ = r
    }

    /// Garbage of a GcTypes struct with a drop function (its `String` field) is
    /// swept lazily: the drop releases the `GcRc` fields into other garbage, whose
    /// slots stay until the freeing walk.
    @Test func incrementalFullSweepsGcTypesGarbage() {
        let heap = slicedHeap()
        do {
            let a = GcRc(TreeNode(label: "a"), in: heap)
            let b = GcRc(TreeNode(left: a.copy(), right: makeTree(3, heap), label: "b"), in: heap)
            a.mutate { $0.left = b.copy() }
        }
        let keep = GcRc(TreeNode(label: "kept"), in: heap)
        #expect(heap.statistics().liveObjects == 18)
        var sawSwept = false
        repeat {
            heap.collect(.fullSlice)
            sawSwept = sawSwept || heap.statistics().sweptNotFreed > 0
        } while heap.statistics().fullCollectionInProgress
        #expect(sawSwept)
        #expect(heap.statistics().liveObjects == 1 && keep.with { $0.label } == "kept")
    }

    @Test func cycleThroughFieldsIsCollected() {
        let heap = Heap()
        let log = Log()
        heap.context = log
        do {
            let a = GcRc(Tracked(name: "a"), in: heap)
            let b = GcRc(Tracked(name: "b", next: a.copy()), in: heap)
            a.mutate { $0.next = b.copy() }
        }
        #expect(heap.statistics().liveObjects == 2)
        heap.collect(.minor)
        #expect(log.finalized.sorted() == ["a", "b"])
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func finalizerResurrectsOnce() {
        let heap = Heap()
        let log = Log()
        heap.context = log
        do { _ = GcRc(Tracked(name: "phoenix", resurrect: true), in: heap) }
        #expect(log.finalized == ["phoenix"])
        #expect(log.keep.count == 1)
        #expect(heap.statistics().liveObjects == 1)
        log.keep.removeAll()
        #expect(log.finalized == ["phoenix"])
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func weakUpgradesUntilDeath() {
        let heap = Heap()
        var strong: GcRc<TreeNode>? = GcRc(TreeNode(label: "w"), in: heap)
        let weak = strong!.downgrade()
        var label: String?
        if let up = weak.upgrade() { label = up.with { $0.label } }
        #expect(label == "w")
        strong = nil
        let gone = weak.upgrade() == nil
        #expect(gone)
    }

    @Test func boxIsCopyableAndCounts() {
        let heap = Heap()
        var boxes: [GcBox<TreeNode>] = []
        let box = GcBox(TreeNode(label: "boxed"), in: heap)
        for _ in 0..<10 { boxes.append(box) }
        #expect(Set(boxes).count == 1)
        #expect(box.rc().referenceCount == 2)
        boxes.removeAll()
        #expect(heap.statistics().liveObjects == 1)
        let value = GcBox(GcValue(42), in: heap)
        value.value.value += 1
        #expect(value.value.value == 43)
    }

    @Test func mutateWhileReadingStops() async {
        await #expect(processExitsWith: .failure) {
            let heap = Heap()
            let a = GcRc(TreeNode(label: "x"), in: heap)
            let b = a.copy()
            a.with { _ in b.mutate { $0.label = "boom" } }
        }
    }

    @Test func readWhileMutatingStopsWithItsMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let a = GcRc(TreeNode(label: "x"), in: heap)
            let b = a.copy()
            a.mutate { _ in _ = b.with { $0.label } }
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("object read while it is being mutated"))
    }

    /// Fifteen nested reads are allowed (and leave the header as it was); the
    /// sixteenth would carry into the MUTATING bit and is refused with its own message.
    @Test func fifteenNestedReadsPassAndTheSixteenthStops() async throws {
        do {  // ends before the `await`: the test may resume on another thread
            let heap = Heap()
            let a = GcRc(TreeNode(label: "x"), in: heap)
            func nest(_ depth: Int) -> Int { depth == 0 ? 0 : a.with { _ in 1 + nest(depth - 1) } }
            #expect(nest(15) == 15)
            #expect(a.mutate { $0.label = "y"; return 1 } == 1)  // no borrow left behind
        }
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let a = GcRc(TreeNode(label: "x"), in: heap)
            func nest(_ depth: Int) -> Int { depth == 0 ? 0 : a.with { _ in 1 + nest(depth - 1) } }
            _ = nest(16)
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("more than 15 nested shared borrows"))
    }

    @Test func deepListFreesIteratively() {
        let heap = Heap()
        do {
            var head = GcRc(TreeNode(), in: heap)
            for _ in 0..<200_000 { head = GcRc(TreeNode(left: head), in: heap) }
            #expect(heap.statistics().liveObjects == 200_001)
        }
        #expect(heap.statistics().liveObjects == 0)
    }
}

final class HeapHolder { let heap: Heap; init(_ heap: Heap) { self.heap = heap } }

@Suite struct HeapLifetimeTests {
    /// The last reference to a `Heap` sits inside one of its own objects: releasing
    /// that object tears the heap down from inside its own release path.
    @Test func heapReleasedFromInsideItsOwnObject() {
        var heap: Heap? = Heap()
        do {
            let box = GcBox(GcValue(HeapHolder(heap!)), in: heap!)
            let other = GcBox(TreeNode(label: "other"), in: heap!)
            heap = nil
            #expect(box.value.value.heap.statistics().liveObjects == 2)
            _ = other
        }
        // Both objects are gone and the heap freed itself without touching freed memory.
    }

    @Test func handlesOutliveTheirHeap() {
        var heap: Heap? = Heap()
        let tree = makeTree(6, heap!)
        heap = nil
        #expect(countNodes(tree) == 127)
    }

    @Test func weakMadeInFinalizerNeverUpgradesToAFreedObject() {
        let heap = Heap()
        let log = Log()
        heap.context = log
        final class Saved { var weak: GcWeak<Tracked2>? }
        let saved = Saved()
        Tracked2.saved = { saved.weak = $0 }
        do { _ = GcRc(Tracked2(), in: heap) }
        #expect(saved.weak != nil)
        // New live objects likely reuse the freed slot; the weak must still not upgrade.
        let r1 = GcRc(Tracked2(), in: heap), r2 = GcRc(Tracked2(), in: heap)
        let r3 = GcRc(Tracked2(), in: heap), r4 = GcRc(Tracked2(), in: heap)
        var upgraded = false
        if saved.weak!.upgrade() != nil { upgraded = true }
        #expect(!upgraded)
        #expect(heap.statistics().liveObjects == 4)
        _ = (r1.referenceCount, r2.referenceCount, r3.referenceCount, r4.referenceCount)
    }
}

struct Tracked2: GcObject, ~Copyable {
    nonisolated(unsafe) static var saved: ((GcWeak<Tracked2>) -> Void)?
    static let gcType = GcType<Tracked2>(name: "hako.tests/Tracked2", finalize: { handle in
        if let saved = Tracked2.saved { saved(handle.downgrade()); Tracked2.saved = nil }
    })
    var payload = 0
}

@Suite struct GcRcThreadTests {
    /// Debug builds check the owner thread on every borrow.
    @Test func borrowFromAnotherThreadStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let box = GcBox(TreeNode(label: "x"), in: Heap())
            final class Carrier: @unchecked Sendable { let box: GcBox<TreeNode>; init(_ b: GcBox<TreeNode>) { box = b } }
            let carrier = Carrier(box)
            let thread = Thread { _ = carrier.box.with { $0.label } }
            thread.start()
            while true { sleep(1) }
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("with called on a thread that does not own the heap"))
    }
}

import Foundation
