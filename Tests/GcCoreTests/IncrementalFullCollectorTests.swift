import Testing
@testable import GcCore
import GcTestSupport

/// The incremental full collection: slices, and the barrier cases that a collector
/// without them would get wrong (each test below fails with that barrier removed).
@Suite struct IncrementalFullCollectorTests {
    /// A heap whose incremental slices do `work` objects each.
    func slicedHeap(work: Int = 1) -> (Heap, FinalizeRecorder) {
        makeHeap { $0.fullSliceWork = work }
    }

    /// Runs slices until the cycle ends; returns how many ran.
    @discardableResult
    func finishCycle(_ heap: Heap) -> Int {
        var slices = 0
        repeat {
            heap.collect(.fullSlice)
            slices += 1
        } while heap.statistics().fullCollectionInProgress && slices < 1_000_000
        return slices
    }

    /// Runs slices until the cycle is in `phase` (a name of `incrementalPhaseName`).
    func step(_ heap: Heap, to phase: String) {
        var slices = 0
        while heap.core.incrementalPhaseName != phase && slices < 1_000_000 {
            heap.collect(.fullSlice)
            slices += 1
        }
        #expect(heap.core.incrementalPhaseName == phase)
    }

    /// Leaf objects filling `pages` pages of their size class, so rooting needs
    /// several slices (it scans a page per step at least).
    func filler(_ heap: Heap, pages: Int) -> [ObjectRef] {
        (0..<(pages * 1400)).map { RawNode.make(heap, id: 10_000 + $0, plain: true) }
    }

    @Test func oldCyclesAreCollectedInSlices() {
        let (heap, recorder) = slicedHeap(work: 64)
        let keep = filler(heap, pages: 3)
        let live = makeRing(heap, n: 50, firstID: 0)
        for r in 0..<10 { heap.release(makeRing(heap, n: 5, firstID: 100 + r * 5)) }
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        let slices = finishCycle(heap)
        #expect(slices > 3)
        #expect(events.allSatisfy { $0.kind == .fullSlice })
        #expect(events.reduce(0) { $0 + $1.freedObjects } == 50)
        #expect(recorder.finalized.sorted() == Array(100..<150))
        let s = heap.statistics()
        #expect(s.fullCollections == 1 && s.fullSlices == slices && !s.fullCollectionInProgress)
        #expect(s.liveObjects == keep.count + 50)
        // Nothing of the cycle's state is left behind: a full collection agrees.
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == keep.count + 50)
        heap.release(live)
        keep.forEach(heap.release)
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Rooting counted A → C; the program then moves C into a handle and clears the
    /// slot. Without the barrier in `storeReference`, C's counted reference would
    /// hide the handle and C would be freed under it.
    @Test func referenceMovedOutDuringRootingKeepsItsTarget() {
        let (heap, recorder) = slicedHeap()
        let keep = filler(heap, pages: 2)
        let a = RawNode.make(heap, id: 1)
        let c = RawNode.make(heap, id: 2)
        RawNode.link(heap, a, 0, c)
        heap.release(c)
        heap.collect(.fullSlice)  // scans the last page: a and c
        #expect(heap.core.incrementalPhaseName == "rooting")
        let held = RawNode.child(heap, a, 0)!
        heap.retain(held)
        RawNode.link(heap, a, 0, nil)
        finishCycle(heap)
        #expect(recorder.finalized.isEmpty)
        #expect(heap.referenceCount(held) == 1 && RawNode.id(held) == 2)
        heap.release(held)
        #expect(recorder.finalized == [2])
        heap.release(a)
        keep.forEach(heap.release)
    }

    /// Marking holds a snapshot: D → C, C unmarked, the program takes C and drops D.
    /// Without the barrier at D's destruction C would never be marked.
    /// "switching": roots not checked yet; "marking": checked, nothing traced.
    @Test(arguments: [false, true], ["switching", "marking"])
    func childOfAnObjectThatDiesDuringMarkingSurvives(plain: Bool, phase: String) {
        let (heap, recorder) = slicedHeap()
        let d = RawNode.make(heap, id: 1, plain: plain)
        let c = RawNode.make(heap, id: 2, plain: plain)
        RawNode.link(heap, d, 0, c)
        heap.release(c)
        step(heap, to: phase)
        let held = RawNode.child(heap, d, 0)!
        heap.retain(held)
        heap.release(d)
        finishCycle(heap)
        #expect(heap.statistics().liveObjects == 1)
        #expect(RawNode.id(held) == 2 && heap.referenceCount(held) == 1)
        heap.release(held)
        #expect(heap.statistics().liveObjects == 0)
        if !plain { #expect(recorder.finalized.sorted() == [1, 2]) }
    }

    /// Marking: a slot overwritten after the switch, its old target kept in a handle.
    @Test(arguments: ["switching", "marking"])
    func slotOverwrittenDuringMarkingKeepsItsOldTarget(phase: String) {
        let (heap, _) = slicedHeap()
        let d = RawNode.make(heap, id: 1)
        let c = RawNode.make(heap, id: 2)
        RawNode.link(heap, d, 0, c)
        heap.release(c)
        step(heap, to: phase)
        let held = RawNode.child(heap, d, 0)!
        heap.retain(held)
        RawNode.link(heap, d, 0, nil)
        finishCycle(heap)
        #expect(heap.statistics().liveObjects == 2)
        heap.release(held)
        heap.release(d)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Roots are checked page by page while the program runs. B (on the last page)
    /// is checked first and is no root: only A refers to it. Then the program takes
    /// B from A and drops its handle to A, before A is checked: A is no root by then
    /// either, although it was one when checking began. The release of A, not yet
    /// checked, must shade it (`releasedDuringCollection`), or A and B are freed
    /// under the handle to B.
    @Test func handleMovedBetweenRootChecksKeepsBoth() {
        let (heap, recorder) = slicedHeap()
        let a = RawNode.make(heap, id: 1)
        let keep = filler(heap, pages: 2)
        let b = RawNode.make(heap, id: 2)
        RawNode.link(heap, a, 0, b)
        RawNode.link(heap, b, 0, a)
        heap.release(b)
        step(heap, to: "switching")
        heap.collect(.fullSlice)  // checks the last page only: b
        #expect(heap.core.incrementalPhaseName == "switching")
        #expect(b.bufferIndex == 0 && a.bufferIndex == 1 && !b.has(ObjectHeader.marked))
        let held = RawNode.child(heap, a, 0)!
        heap.retain(held)
        heap.release(a)
        finishCycle(heap)
        #expect(recorder.finalized.isEmpty)
        #expect(RawNode.id(held) == 2 && heap.referenceCount(held) == 2)  // held, and a → b
        heap.release(held)
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [1, 2])
        keep.forEach(heap.release)
    }

    /// A garbage ring still allocated at the switch, upgraded through a weak
    /// reference while marking runs: it is live again and must be kept whole.
    @Test(arguments: ["switching", "marking"])
    func weakUpgradeDuringMarkingKeepsTheTarget(phase: String) {
        let (heap, recorder) = slicedHeap()
        let root = RawNode.make(heap, id: 99)  // a root keeps marking from ending at once
        let ring = makeRing(heap, n: 3, firstID: 0)
        let weak = heap.makeWeak(ring)
        heap.release(ring)  // garbage now; only a collection can free it
        step(heap, to: phase)
        let back = heap.upgrade(weak)!
        finishCycle(heap)
        #expect(recorder.finalized.isEmpty)
        #expect(heap.statistics().liveObjects == 4)
        heap.release(back)
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [0, 1, 2])
        heap.release(root)
    }

    /// The same ring without the upgrade is garbage, and its weak reference clears.
    @Test func garbageRingIsFreedAndItsWeakCleared() {
        let (heap, recorder) = slicedHeap()
        let ring = makeRing(heap, n: 3, firstID: 0)
        let weak = heap.makeWeak(ring)
        heap.release(ring)
        finishCycle(heap)
        #expect(recorder.finalized.sorted() == [0, 1, 2])
        #expect(heap.upgrade(weak) == nil)
    }

    /// Garbage without finalizers is swept lazily: payloads dropped in one walk
    /// (slots kept, since garbage refers to garbage), slots freed in the next. A
    /// chain hanging off a ring dies by count while the sweep drops the ring.
    @Test(arguments: [1, 1 << 20])
    func plainGarbageIsSweptThenFreed(work: Int) {
        let (heap, _) = slicedHeap(work: work)
        let keep = RawNode.make(heap, id: 99, plain: true)
        let ring = makeRing(heap, n: 3, firstID: 0, plain: true)
        let a = RawNode.make(heap, id: 10, plain: true)
        let b = RawNode.make(heap, id: 11, plain: true)
        RawNode.link(heap, ring, 1, a)
        RawNode.link(heap, a, 0, b)
        heap.release(a); heap.release(b)
        let weak = heap.makeWeak(b)
        heap.release(ring)
        var freed = 0
        var sawSwept = false
        while true {
            freed += heap.collect(.fullSlice)!.freedObjects
            let s = heap.statistics()
            guard s.fullCollectionInProgress else { break }
            if s.sweptNotFreed > 0 {
                sawSwept = true
                #expect(s.liveObjects - s.sweptNotFreed == 1)
                #expect(heap.upgrade(weak) == nil)
                var seen = 0
                heap.forEachObject { _ in seen += 1 }
                #expect(seen == 1)
            }
        }
        #expect(sawSwept == (work == 1))
        #expect(freed == 5)
        let s = heap.statistics()
        #expect(s.liveObjects == 1 && s.sweptNotFreed == 0)
        #expect(heap.upgrade(weak) == nil)
        heap.release(keep)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// The freeing walk clears MARKED on the survivors it passes; a weak reference
    /// to such a survivor must still upgrade (only garbage is refused).
    @Test func survivorsUpgradeWhileSlotsAreFreed() {
        let (heap, _) = slicedHeap()
        let keep = filler(heap, pages: 2)
        heap.release(makeRing(heap, n: 3, firstID: 0, plain: true))
        let survivor = RawNode.make(heap, id: 50, plain: true)  // on the last page
        let weak = heap.makeWeak(survivor)
        step(heap, to: "freeing")
        heap.collect(.fullSlice)  // the freeing walk passes the last page
        #expect(heap.core.incrementalPhaseName == "freeing" && !survivor.has(ObjectHeader.marked))
        let up = heap.upgrade(weak)
        #expect(up == survivor)
        if let up { heap.release(up) }
        finishCycle(heap)
        heap.release(survivor)
        keep.forEach(heap.release)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Garbage with finalizers is gathered in slices, then reclaimed as one set
    /// (PEP 442): every finalizer runs once, and what a finalizer resurrects stays,
    /// with all it reaches.
    @Test func finalizableGarbageIsGatheredAndMayResurrect() {
        let (heap, recorder) = slicedHeap()
        let keeper = RawNode.make(heap, id: 100, plain: true)
        let keep = filler(heap, pages: 2)
        heap.release(makeRing(heap, n: 3, firstID: 0))
        heap.release(makeRing(heap, n: 3, firstID: 10))
        recorder.onFinalize = { heap, object in
            if RawNode.id(object) == 11 { RawNode.link(heap, keeper, 0, object) }
        }
        var phases = Set<String>()
        repeat {
            heap.collect(.fullSlice)
            phases.insert(heap.core.incrementalPhaseName ?? "-")
        } while heap.statistics().fullCollectionInProgress
        #expect(phases.contains("gathering") && !phases.contains("sweeping"))
        #expect(recorder.finalized.sorted() == [0, 1, 2, 10, 11, 12])
        #expect(heap.statistics().liveObjects == keep.count + 1 + 3)  // ring 10 resurrected whole
        #expect(heap.statistics().resurrections == 3)
        RawNode.link(heap, keeper, 0, nil)
        heap.collect(.full)
        #expect(recorder.finalized.count == 6)  // never twice
        #expect(heap.statistics().liveObjects == keep.count + 1)
        heap.release(keeper)
        keep.forEach(heap.release)
    }

    /// `collect(.full)` while finalizable garbage is being gathered: the cycle
    /// reclaims what it gathered, and x, marked (it was a root) but held only by that
    /// garbage, dies by count before the atomic collection walks the heap (found by
    /// the threaded model stress: it was queued, collected, then destroyed again).
    @Test func fullCollectionDuringGatheringLeavesNothingQueued() {
        let (heap, recorder) = slicedHeap()
        let keep = filler(heap, pages: 2)
        let ring = makeRing(heap, n: 3, firstID: 0)
        let x = RawNode.make(heap, id: 50)
        RawNode.link(heap, ring, 1, x)
        heap.release(ring)
        step(heap, to: "marking")
        heap.release(x)  // held only by the garbage ring now, and marked
        step(heap, to: "gathering")
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [0, 1, 2, 50])
        #expect(heap.statistics().liveObjects == keep.count)
        keep.forEach(heap.release)
    }

    /// `collect(.full)` while garbage is half swept finishes the sweep first.
    @Test func fullCollectionDuringTheSweepFreesTheSweptGarbage() {
        let (heap, _) = slicedHeap()
        let keep = RawNode.make(heap, id: 99, plain: true)
        heap.release(makeRing(heap, n: 4, firstID: 0, plain: true))
        while heap.statistics().sweptNotFreed == 0 { heap.collect(.fullSlice) }
        heap.collect(.full)
        let s = heap.statistics()
        #expect(!s.fullCollectionInProgress && s.sweptNotFreed == 0 && s.liveObjects == 1)
        heap.release(keep)
    }

    /// Objects allocated during the cycle are not its business: they survive it,
    /// even as garbage, and the next collection takes them.
    @Test func objectsBornDuringTheCycleSurviveIt() {
        let (heap, recorder) = slicedHeap()
        let keep = filler(heap, pages: 2)
        heap.collect(.fullSlice)
        let young = makeRing(heap, n: 4, firstID: 0)
        heap.release(young)
        finishCycle(heap)
        #expect(recorder.finalized.isEmpty)
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [0, 1, 2, 3])
        keep.forEach(heap.release)
    }

    /// `collect(.full)` during a cycle drops it and collects everything at once; the
    /// next cycle starts clean.
    @Test func fullCollectionAbandonsARunningCycle() {
        let (heap, recorder) = slicedHeap()
        let keep = filler(heap, pages: 2)
        let live = makeRing(heap, n: 4, firstID: 0)
        heap.release(makeRing(heap, n: 4, firstID: 10))
        heap.collect(.fullSlice)
        #expect(heap.statistics().fullCollectionInProgress)
        heap.collect(.full)
        #expect(!heap.statistics().fullCollectionInProgress)
        #expect(recorder.finalized.sorted() == [10, 11, 12, 13])
        heap.release(makeRing(heap, n: 4, firstID: 20))
        finishCycle(heap)
        #expect(recorder.finalized.sorted() == [10, 11, 12, 13, 20, 21, 22, 23])
        #expect(heap.statistics().liveObjects == keep.count + 4)
        heap.release(live)
        keep.forEach(heap.release)
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Automatic full collections run as slices between allocations, next to minors.
    @Test func automaticFullCollectionsRunInSlices() {
        let (heap, recorder) = makeHeap(automatic: true) {
            $0.fullMinimumBytes = 64 << 10
            $0.fullSliceWork = 512
        }
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        let live = makeRing(heap, n: 2_000, firstID: 1_000_000)
        var ringsMade = 0
        for r in 0..<400 {
            let ring = makeRing(heap, n: 8, firstID: r * 8)
            // Old by the time it is dropped: only a full collection can take it.
            for _ in 0..<2 { heap.collect(.minor) }
            heap.release(ring)
            ringsMade += 1
            for i in 0..<200 { heap.release(RawNode.make(heap, id: 2_000_000 + i, plain: true)) }
        }
        #expect(!events.contains { $0.kind == .full })
        #expect(events.contains { $0.kind == .fullSlice && $0.reason == .heapGrowth })
        let s = heap.statistics()
        #expect(s.fullCollections >= 1 && s.fullSlices > s.fullCollections)
        #expect(recorder.finalized.count >= 8 * 100, "\(recorder.finalized.count) ring nodes finalized")
        heap.release(live)
        heap.collect(.full)
        #expect(recorder.finalized.count == 8 * ringsMade + 2_000)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// With a bridge attached, `.fullSlice` runs an atomic full collection.
    @Test func bridgedHeapsCollectAtomically() {
        let (heap, recorder) = slicedHeap()
        heap.collectionBridge = NoForeignObjects()
        heap.release(makeRing(heap, n: 3, firstID: 0))
        let event = heap.collect(.fullSlice)!
        #expect(event.kind == .full)
        #expect(recorder.finalized.count == 3)
        #expect(!heap.statistics().fullCollectionInProgress)
    }
}

/// A bridge whose foreign side holds nothing.
private final class NoForeignObjects: CollectionBridge {
    func bridgedReferences() -> [(object: ObjectRef, count: Int)] { [] }
    func markForeignRoots(_ heap: Heap) {}
    func heapObjectMarked(_ object: ObjectRef, _ heap: Heap) {}
    func markingFinished(_ heap: Heap) {}
    func collectionFinished(_ heap: Heap) {}
}
