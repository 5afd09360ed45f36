import Testing
@testable import GcCore
import GcTestSupport

@Suite struct HeapTests {
    @Test func allocateAndReleaseFreesAtOnce() {
        let (heap, recorder) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        let b = RawNode.make(heap, id: 2)
        RawNode.link(heap, a, 0, b)
        heap.release(b)
        #expect(heap.statistics().liveObjects == 2)
        heap.release(a)
        let s = heap.statistics()
        #expect(s.liveObjects == 0)
        #expect(s.allocatedObjects == 2 && s.freedObjects == 2 && s.freedByCount == 2)
        #expect(recorder.finalized.sorted() == [1, 2])
    }

    @Test func storeReplacesAndReleasesOldTarget() {
        let (heap, recorder) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        let b = RawNode.make(heap, id: 2)
        let c = RawNode.make(heap, id: 3)
        RawNode.link(heap, a, 0, b)
        heap.release(b)
        RawNode.link(heap, a, 0, c)
        #expect(recorder.finalized == [2])
        #expect(heap.referenceCount(c) == 2)
        RawNode.link(heap, a, 0, nil)
        #expect(heap.referenceCount(c) == 1)
        heap.release(c)
        heap.release(a)
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func tenMillionNodeListFreesWithoutRecursion() {
        let (heap, _) = makeHeap()
        // Ten million in optimized builds (the stress run); a million in debug builds,
        // already far past where a recursive free would overflow the stack.
        #if DEBUG
        let n = 1_000_000
        #else
        let n = 10_000_000
        #endif
        let head = RawNode.make(heap, id: 0)
        var tail = head
        for i in 1..<n {
            let node = RawNode.make(heap, id: i)
            RawNode.link(heap, tail, 0, node)
            if tail != head { heap.release(tail) }
            tail = node
        }
        heap.release(tail)
        #expect(heap.statistics().liveObjects == n)
        heap.release(head)
        let s = heap.statistics()
        #expect(s.liveObjects == 0 && s.freedObjects == n)
    }

    @Test func deepTreeFrees() {
        let (heap, _) = makeHeap()
        func build(_ d: Int) -> ObjectRef {
            let n = RawNode.make(heap, id: d)
            if d > 0 {
                let l = build(d - 1), r = build(d - 1)
                RawNode.link(heap, n, 0, l); RawNode.link(heap, n, 1, r)
                heap.release(l); heap.release(r)
            }
            return n
        }
        let root = build(16)
        #expect(heap.statistics().liveObjects == (1 << 17) - 1)
        heap.release(root)
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func emptyPagesAreGivenBack() {
        let (heap, _) = makeHeap { $0.emptyPageCache = 2 }
        var objects: [ObjectRef] = []
        for i in 0..<200_000 { objects.append(RawNode.make(heap, id: i)) }
        let full = heap.statistics()
        #expect(full.pages > 100)
        for o in objects { heap.release(o) }
        let empty = heap.statistics()
        #expect(empty.liveObjects == 0)
        #expect(empty.pages <= 1)
        #expect(empty.cachedEmptyPages <= 2)
        #expect(empty.committedBytes <= 3 * 65536)
        #expect(empty.pagesReleased >= full.pages - 3)
    }

    /// Dropping and rebuilding a structure as large as the rest of the heap reuses
    /// the cached pages; the cache never holds more pages than are in use (beyond
    /// the floor), and `trim` empties it.
    @Test func emptyPagesAreReusedWithinTheBound() {
        let (heap, _) = makeHeap { $0.emptyPageCache = 2 }
        let keep = (0..<50_000).map { RawNode.make(heap, id: $0) }  // the live part
        var released = 0
        for round in 0..<4 {
            let temporary = (0..<40_000).map { RawNode.make(heap, id: $0) }
            for o in temporary { heap.release(o) }
            let s = heap.statistics()
            #expect(s.cachedEmptyPages <= max(2, s.pages))
            if round == 0 { released = s.pagesReleased }
        }
        #expect(heap.statistics().pagesReleased == released, "later rounds reuse the cached pages")
        for o in keep { heap.release(o) }
        let empty = heap.statistics()
        #expect(empty.cachedEmptyPages <= 2 && empty.pages <= 1)
        heap.trim()
        #expect(heap.statistics().cachedEmptyPages == 0)
    }

    @Test func largeObjectsLiveInTheirOwnBlocks() throws {
        let (heap, _) = makeHeap()
        let big = try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Big", payloadSize: 100_000))
        let o = try heap.allocate(big)
        #expect(heap.contains(o.bits))
        #expect(o.payload.load(fromByteOffset: 99_992, as: UInt64.self) == 0)
        o.payload.storeBytes(of: 7, toByteOffset: 99_992, as: UInt64.self)
        #expect(heap.statistics().liveBytes >= 100_016)
        heap.release(o)
        #expect(heap.statistics().liveObjects == 0)
        #expect(heap.statistics().committedBytes == 0)
    }

    @Test func allocationErrors() {
        let (heap, _) = makeHeap()
        let unregistered = TypeDescriptor(name: "hako.tests/NeverRegistered", payloadSize: 8)
        #expect(throws: HeapError.unregisteredType("hako.tests/NeverRegistered")) { try heap.allocate(unregistered) }
        #expect(throws: HeapError.invalidPayloadSize(type: RawNode.type.name, bytes: 4)) {
            try heap.allocate(RawNode.type, payloadBytes: 4)
        }
    }

    @Test func containsRejectsForgedAddresses() {
        let (heap, _) = makeHeap()
        let o = RawNode.make(heap, id: 1)
        #expect(heap.contains(o.bits))
        #expect(!heap.contains(o.bits + 8))
        #expect(!heap.contains(o.bits + 16 * 1000))
        #expect(!heap.contains(0x1000))
        heap.release(o)
        #expect(!heap.contains(o.bits))
    }

    @Test func pinningKeepsAliveUntilUnpinned() throws {
        let (heap, recorder) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        heap.pin(a)
        heap.pin(a)
        #expect(heap.pinCount(a) == 2)
        heap.release(a)
        heap.collect(.full)
        #expect(recorder.finalized.isEmpty)
        try heap.unpin(a)
        heap.collect(.full)
        #expect(recorder.finalized.isEmpty)
        try heap.unpin(a)
        #expect(recorder.finalized == [1])
    }

    @Test func unpinOfUnpinnedObjectThrows() {
        let (heap, _) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        #expect(throws: HeapError.notPinned) { try heap.unpin(a) }
        heap.release(a)
    }

    @Test func memoryPressureTriggersFullCollection() {
        let (heap, recorder) = makeHeap(automatic: true) { $0.fullMinimumBytes = 1 << 20 }
        let ring = makeRing(heap, n: 4, firstID: 0)
        heap.release(ring)
        // Let the ring become old so only a full collection can take it.
        heap.collect(.minor); heap.collect(.minor)
        #expect(recorder.finalized.isEmpty || recorder.finalized.count == 4)
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        heap.addMemoryPressure(2 << 20)
        #expect(events.contains { $0.kind == .full && $0.reason == .memoryPressure })
        #expect(recorder.finalized.count == 4)
        heap.removeMemoryPressure(2 << 20)
        #expect(heap.statistics().externalBytes == 0)
    }

    @Test func detailedStatisticsCountByType() {
        let (heap, _) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        let l = RawNode.makeLeaf(heap, id: 2)
        let s = heap.statistics(detailed: true)
        let names = Set(s.perType!.map(\.name))
        #expect(names == ["hako.tests/RawNode", "hako.tests/RawLeaf"])
        #expect(s.perType!.first { $0.name == "hako.tests/RawNode" }!.liveBytes == 48)
        heap.release(a); heap.release(l)
    }

    @Test func heapOutlivedByItsObjectsStaysValid() {
        var heap: Heap? = Heap()
        let o = RawNode.make(heap!, id: 1)
        heap = nil
        // The core is still alive: its object can be used and released.
        #expect(Heap.owning(o).referenceCount(o) == 1)
        Heap.release(o)
    }

    @Test func ownershipTransfersBetweenThreads() async {
        let heap = Heap()
        let o = RawNode.make(heap, id: 1)
        heap.release(o)
        final class Box: @unchecked Sendable { let heap: Heap; init(_ h: Heap) { heap = h } }
        let box = Box(heap)
        // The hand-back goes through a mutex (`Thread.isFinished` does not order
        // the thread's heap writes before ours; ThreadSanitizer reports it).
        let done = ProcessLock(false)
        let t = Thread {
            box.heap.transferOwnership()
            let o = RawNode.make(box.heap, id: 2)
            box.heap.release(o)
            box.heap.collect(.full)
            done.withLock { $0 = true }
        }
        t.start()
        while !done.withLock({ $0 }) { await Task.yield() }
        heap.transferOwnership()
        #expect(heap.statistics().allocatedObjects == 2)
    }

    @Test func collectFromWrongThreadStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            final class Box: @unchecked Sendable { let heap: Heap; init(_ h: Heap) { heap = h } }
            let box = Box(heap)
            let t = Thread { box.heap.collect(.full) }
            t.start()
            while true { sleep(1) }
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("collect called on a thread that does not own the heap"))
    }

    @Test func doubleReleaseStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let a = RawNode.make(heap, id: 1)
            heap.pin(a)
            heap.release(a)
            heap.release(a)
            heap.release(a)
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("release of a freed object"))
    }
}

import Foundation
