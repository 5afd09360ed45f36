import Testing
@testable import GcCore
import GcTestSupport

@Suite struct CycleCollectorTests {
    @Test func minorCollectsYoungRing() {
        let (heap, recorder) = makeHeap()
        let ring = makeRing(heap, n: 64, firstID: 0)
        heap.release(ring)
        #expect(heap.statistics().liveObjects == 64)
        let event = heap.collect(.minor)!
        #expect(event.freedObjects == 64)
        #expect(recorder.finalized.sorted() == Array(0..<64))
        #expect(heap.statistics().liveObjects == 0)
        #expect(heap.statistics().freedByCollector == 64)
    }

    @Test func minorKeepsRingHeldFromOutside() {
        let (heap, recorder) = makeHeap()
        let ring = makeRing(heap, n: 8, firstID: 0)
        let second = RawNode.child(heap, ring, 0)!
        heap.retain(second)
        heap.release(ring)
        heap.collect(.minor)
        #expect(recorder.finalized.isEmpty)
        heap.collect(.full)
        #expect(recorder.finalized.isEmpty)
        heap.release(second)
        heap.collect(.minor)  // two collections ago it became old: minors leave it
        #expect(recorder.finalized.isEmpty)
        heap.collect(.full)
        #expect(recorder.finalized.count == 8)
    }

    @Test func minorKeepsRingReachableFromLiveObject() {
        let (heap, recorder) = makeHeap()
        let holder = RawNode.make(heap, id: 100)
        let ring = makeRing(heap, n: 8, firstID: 0)
        RawNode.link(heap, holder, 2, ring)
        heap.release(ring)
        heap.collect(.minor)
        #expect(recorder.finalized.isEmpty)
        RawNode.link(heap, holder, 2, nil)
        heap.collect(.minor)
        #expect(recorder.finalized.count == 8)
        heap.release(holder)
    }

    /// Workload 2's hard case: garbage that points into a large live structure.
    /// The minor collection must not walk the live structure once it is old.
    @Test func minorPauseDoesNotWalkOldLiveHeap() {
        let (heap, recorder) = makeHeap()
        func build(_ d: Int) -> ObjectRef {
            let n = RawNode.make(heap, id: -1)
            if d > 0 {
                let l = build(d - 1), r = build(d - 1)
                RawNode.link(heap, n, 0, l); RawNode.link(heap, n, 1, r)
                heap.release(l); heap.release(r)
            }
            return n
        }
        let tree = build(15)  // 65 535 nodes
        heap.collect(.minor); heap.collect(.minor)  // the tree is now old
        for round in 0..<20 {
            let ring = makeRing(heap, n: 64, firstID: round * 64, pointingAt: tree)
            heap.release(ring)
            let event = heap.collect(.minor)!
            #expect(event.freedObjects == 64)
            #expect(event.visited <= 64, "visited \(event.visited): the minor walked the live tree")
        }
        #expect(recorder.finalized.count == 20 * 64)
        #expect(heap.referenceCount(tree) == 1)
        #expect(heap.statistics().liveObjects == 65_535)
        heap.release(tree)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Garbage of a plain type without finalizer is freed without restoring its
    /// counts (CycleCollector.swift): the sweep releases its references to old
    /// objects, and skips those to young live objects, which the trial deletion
    /// already subtracted. Both kinds of target end with their true counts.
    @Test func plainGarbageLeavesTrueCountsBehind() {
        let (heap, _) = makeHeap()
        let old = RawNode.make(heap, id: -1, plain: true)
        heap.collect(.minor); heap.collect(.minor)  // `old` is old now
        for round in 0..<10 {
            let young = RawNode.make(heap, id: -2 - round, plain: true)
            let ring = makeRing(heap, n: 16, firstID: round * 16, pointingAt: old, plain: true)
            var node = ring
            for i in 0..<16 {
                if i % 2 == 0 { RawNode.link(heap, node, 2, young) }
                node = RawNode.child(heap, node, 0)!
            }
            #expect(heap.referenceCount(old) == 17 && heap.referenceCount(young) == 9)
            heap.release(ring)
            let event = heap.collect(.minor)!
            #expect(event.freedObjects == 16)
            #expect(heap.referenceCount(old) == 1, "round \(round)")
            #expect(heap.referenceCount(young) == 1, "round \(round)")
            heap.release(young)
        }
        heap.release(old)
        #expect(heap.statistics().liveObjects == 0)
        #expect(heap.statistics().freedByCollector == 160)
    }

    @Test func oldCyclesNeedTheFullCollection() {
        let (heap, recorder) = makeHeap()
        let ring = makeRing(heap, n: 16, firstID: 0)
        heap.collect(.minor); heap.collect(.minor)  // survives twice: old
        heap.release(ring)
        heap.collect(.minor)
        #expect(recorder.finalized.isEmpty)
        let event = heap.collect(.full)!
        #expect(event.freedObjects == 16)
        #expect(recorder.finalized.count == 16)
    }

    @Test func acyclicGarbageHangingOffACycleIsFreed() {
        let (heap, recorder) = makeHeap()
        let ring = makeRing(heap, n: 3, firstID: 0)
        let leaf = RawNode.makeLeaf(heap, id: 99)
        RawNode.link(heap, ring, 2, leaf)
        heap.release(leaf)
        heap.release(ring)
        heap.collect(.minor)
        #expect(recorder.finalized.sorted() == [0, 1, 2, 99])
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func selfLoopIsCollected() {
        let (heap, recorder) = makeHeap()
        let a = RawNode.make(heap, id: 7)
        RawNode.link(heap, a, 0, a)
        RawNode.link(heap, a, 1, a)
        heap.release(a)
        heap.collect(.minor)
        #expect(recorder.finalized == [7])
    }

    @Test func weakReferencesAreClearedWhenCycleDies() {
        let (heap, _) = makeHeap()
        let ring = makeRing(heap, n: 4, firstID: 0)
        let weak = heap.makeWeak(ring)
        let again = heap.upgrade(weak)!
        #expect(again == ring)
        heap.release(again)
        heap.release(ring)
        heap.collect(.minor)
        #expect(heap.upgrade(weak) == nil)
        #expect(heap.statistics().weakSlots == 0)
        // A new object in the same slot is not reachable through the old reference.
        let fresh = RawNode.make(heap, id: 9)
        #expect(heap.upgrade(weak) == nil)
        heap.release(fresh)
    }

    @Test func weakReferenceClearedOnCountZero() {
        let (heap, _) = makeHeap()
        let a = RawNode.make(heap, id: 1)
        let w = heap.makeWeak(a)
        #expect(heap.makeWeak(a) == w)
        heap.release(a)
        #expect(heap.upgrade(w) == nil)
    }

    @Test func observerSeesPhasesAndCounts() {
        let (heap, _) = makeHeap()
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        let ring = makeRing(heap, n: 10, firstID: 0)
        heap.release(ring)
        heap.collect(.minor)
        heap.collect(.full)
        #expect(events.map(\.kind) == [.minor, .full])
        #expect(events.map(\.sequence) == [1, 2])
        #expect(events[0].freedObjects == 10 && events[0].liveObjectsBefore == 10 && events[0].liveObjectsAfter == 0)
        #expect(events[0].pauseNanos >= events[0].phaseNanos.reduce(0, +) / 2)
        #expect(events[0].phaseNanos.count == GcPhase.allCases.count)
        let s = heap.statistics()
        #expect(s.minorCollections == 1 && s.fullCollections == 1)
        #expect(s.totalPauseNanos >= s.maxPauseNanos && s.maxPauseNanos > 0)
    }

    @Test func automaticMinorCollectionsBoundGarbage() {
        let (heap, recorder) = makeHeap(automatic: true) { $0.minorAllocationBytes = 16 << 10 }
        for round in 0..<2000 {
            let ring = makeRing(heap, n: 8, firstID: round * 8)
            heap.release(ring)
        }
        let s = heap.statistics()
        #expect(s.minorCollections > 10)
        #expect(s.liveObjects < 1200, "live \(s.liveObjects): automatic minors did not keep up")
        heap.collect(.full)
        #expect(recorder.finalized.count == 16_000)
    }

    @Test func fullCollectionsFollowOldGenerationGrowthNotYoungGarbage() {
        let (heap, recorder) = makeHeap(automatic: true) {
            $0.minorAllocationBytes = 16 << 10
            $0.fullMinimumBytes = 512 << 10
        }
        // 10 MiB of rings that die young: minors take them all, no full collection.
        for round in 0..<40_000 {
            let ring = makeRing(heap, n: 8, firstID: round * 8)
            heap.release(ring)
        }
        var s = heap.statistics()
        #expect(s.fullCollections == 0, "young garbage triggered \(s.fullCollections) full collections")
        #expect(s.minorCollections > 100)
        // Long-lived data outgrows the threshold: a full collection follows.
        let head = RawNode.make(heap, id: -1)
        var tail = head
        for i in 0..<40_000 {
            let node = RawNode.make(heap, id: -2 - i)
            RawNode.link(heap, tail, 0, node)
            if tail != head { heap.release(tail) }
            tail = node
        }
        if tail != head { heap.release(tail) }
        s = heap.statistics()
        #expect(s.fullCollections >= 1, "old generation grew by 1.8 MiB without a full collection")
        #expect(recorder.finalized.count >= 40_000 * 8 - 1_000)
        heap.release(head)
    }
}
