import Testing
@testable import GcCore
import GcTestSupport

/// Misuse has a defined outcome: an error, or a stop with a message (exit tests).
@Suite struct MisuseTests {
    @Test func referenceIntoAnotherHeapStops() async {
        await #expect(processExitsWith: .failure) {
            let a = Heap(), b = Heap()
            let x = RawNode.make(a, id: 1), y = RawNode.make(b, id: 2)
            RawNode.link(a, x, 0, y)
        }
    }

    @Test func traceThatOverReportsStopsInsteadOfFreeingLiveObjects() async {
        await #expect(processExitsWith: .failure) {
            let twice = try! TypeRegistry.shared.register(TypeDescriptor(
                name: "hako.tests/TwiceTraced", payloadSize: 8,
                trace: { payload, tracer in
                    if let r = ObjectRef(bits: payload.load(as: UInt.self)) { tracer.visit(r); tracer.visit(r) }
                }))
            let heap = Heap()
            let a = try! heap.allocate(twice), b = try! heap.allocate(twice)
            heap.storeReference(b, into: a, offset: 0)
            heap.storeReference(a, into: b, offset: 0)
            heap.release(b)
            heap.collect(.full)
        }
    }

    @Test func nonsenseConfigurationStops() async {
        await #expect(processExitsWith: .failure) {
            var config = HeapConfiguration()
            config.minorCandidateLimit = 0
            _ = Heap(configuration: config)
        }
    }

    @Test func zeroSliceWorkStopsWithItsMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.fullSliceWork = 0
            _ = Heap(configuration: config)
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("fullSliceWork and fullSliceBytes must be positive"))
    }

    @Test func sameNameWithAnotherLayoutIsRefused() throws {
        try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Layout", payloadSize: 8))
        #expect(throws: TypeRegistryError.layoutMismatch(name: "hako.tests/Layout")) {
            try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Layout", payloadSize: 16))
        }
        #expect(throws: TypeRegistryError.layoutMismatch(name: "hako.tests/Layout")) {
            try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Layout", payloadSize: 8, referenceOffsets: [0]))
        }
    }

    @Test func weakReferenceMadeByFinalizerDiesWithTheObject() {
        let (heap, recorder) = makeHeap()
        var made: [WeakReference] = []
        recorder.onFinalize = { heap, object in made.append(heap.makeWeak(object)) }
        let a = RawNode.make(heap, id: 1)
        heap.release(a)
        let ring = makeRing(heap, n: 3, firstID: 10)
        heap.release(ring)
        heap.collect(.minor)
        #expect(made.count == 4)
        // New objects reuse the freed slots; the old weak references must not see them.
        let fresh = (0..<8).map { RawNode.make(heap, id: 100 + $0) }
        for weak in made { #expect(heap.upgrade(weak) == nil) }
        #expect(heap.statistics().weakSlots == 0)
        for o in fresh { heap.release(o) }
    }

    @Test func collectionFromObserverIsDeferredAndFreesNothingTwice() {
        let (heap, recorder) = makeHeap()
        var nested: [CollectionEvent?] = []
        var kinds: [CollectionKind] = []
        heap.collectionObserver = { event in
            kinds.append(event.kind)
            if nested.isEmpty { nested.append(heap.collect(.full)) }
        }
        // Garbage ring whose nodes each hold a leaf freed by counting during the sweep.
        let ring = makeRing(heap, n: 5, firstID: 0)
        var node = ring
        for i in 0..<5 {
            let leaf = RawNode.makeLeaf(heap, id: 100 + i)
            RawNode.link(heap, node, 2, leaf)
            heap.release(leaf)
            node = RawNode.child(heap, node, 0)!
        }
        heap.release(ring)
        heap.collect(.minor)
        #expect(nested == [nil])
        #expect(kinds == [.minor, .full])
        let s = heap.statistics()
        #expect(s.liveObjects == 0 && s.allocatedObjects == 10 && s.freedObjects == 10)
        #expect(recorder.finalized.count == 10)
    }

    @Test func offsetsTypeStillRunsItsDrop() throws {
        final class Counter: @unchecked Sendable { var drops = 0 }
        let counter = Counter()
        let type = try TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/OffsetsAndDrop", payloadSize: 16, referenceOffsets: [0],
            drop: { _ in counter.drops += 1 }))
        let heap = Heap()
        let a = try heap.allocate(type), b = try heap.allocate(type)
        heap.storeReference(b, into: a, offset: 0)
        heap.release(b)
        heap.release(a)
        #expect(counter.drops == 2)
        #expect(heap.statistics().liveObjects == 0)
    }
}
