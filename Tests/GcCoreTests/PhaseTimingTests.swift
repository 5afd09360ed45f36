import GcCore
import GcTestSupport
import Testing

/// The phases of every collection event add up to its pause: each kind of
/// collection, with garbage whose payloads release more garbage (the drain), with
/// finalizers, and with a bridge (its sweep callback is a phase of its own).
@Suite struct PhaseTimingTests {
    /// Builds `count` garbage rings of three nodes, each holding a chain of `tail`
    /// plain nodes that die by count when the ring is freed (the drain phase).
    func garbage(_ heap: Heap, rings count: Int, tail: Int) {
        for i in 0..<count {
            let a = RawNode.make(heap, id: i), b = RawNode.make(heap, id: i), c = RawNode.make(heap, id: i, plain: true)
            RawNode.link(heap, a, 0, b)
            RawNode.link(heap, b, 0, c)
            RawNode.link(heap, c, 0, a)
            var last = c
            for j in 0..<tail {
                let n = RawNode.make(heap, id: j, plain: true)
                RawNode.link(heap, last, 1, n)
                heap.release(n)
                last = n
            }
            heap.release(a); heap.release(b); heap.release(c)
        }
    }

    func checkAddsUp(_ events: [CollectionEvent]) {
        for e in events {
            let sum = e.phaseNanos.reduce(0, +)
            #expect(e.phaseNanos.count == GcPhase.allCases.count)
            #expect(sum == e.pauseNanos, "\(e.kind) #\(e.sequence): phases \(sum) ns, pause \(e.pauseNanos) ns")
        }
    }

    @Test func everyKindOfCollectionAddsUp() {
        var configuration = HeapConfiguration()
        configuration.automaticCollection = false
        let heap = Heap(configuration: configuration)
        heap.context = FinalizeRecorder()
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        garbage(heap, rings: 300, tail: 20)
        heap.collect(.minor)
        garbage(heap, rings: 300, tail: 20)
        heap.collect(.full)
        garbage(heap, rings: 300, tail: 20)
        for _ in 0..<50 where heap.collect(.fullSlice) != nil && heap.statistics().liveObjects > 0 {}
        heap.collectionObserver = nil
        #expect(events.count >= 3)
        #expect(events.contains { $0.nanos(.drain) > 0 })  // the tails died in the drain
        checkAddsUp(events)
        #expect(heap.statistics().liveObjects == 0)
    }

    final class SilentBridge: CollectionBridge {
        var swept = 0
        func bridgedReferences() -> [(object: ObjectRef, count: Int)] { [] }
        func markForeignRoots(_ heap: Heap) {}
        func heapObjectMarked(_ object: ObjectRef, _ heap: Heap) {}
        func markingFinished(_ heap: Heap) {}
        func collectionFinished(_ heap: Heap) { swept += 1 }
    }

    @Test func aBridgeSweepIsAPhase() {
        let heap = Heap()
        heap.context = FinalizeRecorder()
        let bridge = SilentBridge()
        heap.collectionBridge = bridge
        var events: [CollectionEvent] = []
        heap.collectionObserver = { events.append($0) }
        garbage(heap, rings: 100, tail: 5)
        heap.collect(.full)
        heap.collectionObserver = nil
        heap.collectionBridge = nil
        #expect(bridge.swept == 1)
        #expect(events.last?.nanos(.bridgeSweep) ?? 0 > 0)
        checkAddsUp(events)
    }
}
