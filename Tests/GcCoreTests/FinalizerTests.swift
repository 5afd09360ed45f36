import Testing
@testable import GcCore
import GcTestSupport

@Suite struct FinalizerTests {
    @Test func finalizerRunsOnceAndResurrectionKeepsObject() {
        let (heap, recorder) = makeHeap()
        let keeper = RawNode.make(heap, id: 100)
        recorder.onFinalize = { heap, object in
            if RawNode.id(object) == 1 { RawNode.link(heap, keeper, 0, object) }  // resurrect
        }
        let a = RawNode.make(heap, id: 1)
        heap.release(a)
        #expect(recorder.finalized == [1])
        #expect(heap.statistics().liveObjects == 2)
        #expect(heap.statistics().resurrections == 1)
        RawNode.link(heap, keeper, 0, nil)  // dies again: no second finalization
        #expect(recorder.finalized == [1])
        #expect(heap.statistics().liveObjects == 1)
        heap.release(keeper)
    }

    @Test func resurrectionFromCycleKeepsWholeReachableSet() {
        let (heap, recorder) = makeHeap()
        let keeper = RawNode.make(heap, id: 100)
        recorder.onFinalize = { heap, object in
            if RawNode.id(object) == 2 { RawNode.link(heap, keeper, 0, object) }
        }
        let ring = makeRing(heap, n: 5, firstID: 0)
        heap.release(ring)
        let event = heap.collect(.minor)!
        #expect(recorder.finalized.sorted() == [0, 1, 2, 3, 4])
        #expect(event.resurrected == 5)
        #expect(event.freedObjects == 0)
        #expect(heap.statistics().liveObjects == 6)
        RawNode.link(heap, keeper, 0, nil)
        heap.collect(.full)
        #expect(recorder.finalized.count == 5)  // never twice
        #expect(heap.statistics().liveObjects == 1)
        heap.release(keeper)
    }

    @Test func collectionRequestedFromFinalizerIsDeferred() {
        let (heap, recorder) = makeHeap()
        var inner: [CollectionEvent?] = []
        recorder.onFinalize = { heap, _ in inner.append(heap.collect(.full)) }
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        let ring = makeRing(heap, n: 3, firstID: 0)
        heap.release(ring)
        heap.collect(.minor)
        #expect(inner.count == 3 && inner.allSatisfy { $0 == nil })
        #expect(events.map(\.kind) == [.minor, .full])
        #expect(events[1].reason == .deferred)
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func finalizerMayAllocateAndRelease() {
        let (heap, recorder) = makeHeap()
        var made: [ObjectRef] = []
        recorder.onFinalize = { heap, object in
            let id = RawNode.id(object)
            if id < 10 {
                let fresh = RawNode.make(heap, id: id + 10)
                made.append(fresh)
            }
        }
        let a = RawNode.make(heap, id: 1)
        heap.release(a)
        let ring = makeRing(heap, n: 2, firstID: 2)
        heap.release(ring)
        heap.collect(.minor)
        #expect(made.count == 3)
        #expect(heap.statistics().liveObjects == 3)
        for o in made { heap.release(o) }
        #expect(recorder.finalized.sorted() == [1, 2, 3, 11, 12, 13])
    }

    @Test func finalizerReleasingOtherGarbageDoesNotFreeEarly() {
        let (heap, recorder) = makeHeap()
        // Each finalizer clears its node's links: the other garbage must survive
        // until the collector frees all of it together.
        recorder.onFinalize = { heap, object in
            for slot in 0..<RawNode.slots { RawNode.link(heap, object, slot, nil) }
        }
        let ring = makeRing(heap, n: 6, firstID: 0)
        heap.release(ring)
        heap.collect(.minor)
        #expect(recorder.finalized.sorted() == Array(0..<6))
        #expect(heap.statistics().liveObjects == 0)
    }
}
