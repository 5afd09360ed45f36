import Testing
@testable import GcCore
import GcTestSupport

/// A tiny foreign collector: objects with edges to other foreign objects and pins
/// on heap objects; heap objects hold foreign objects through a side table.
final class ModelForeignHeap: CollectionBridge {
    struct Object { var refs: [Int] = []; var pins: [ObjectRef] = []; var marked = false; var alive = true }
    var objects: [Object] = []
    var roots: Set<Int> = []
    var heldByHeap: [ObjectRef: [Int]] = [:]   // heap object → foreign objects it holds
    var swept: [Int] = []

    func make() -> Int { objects.append(Object()); return objects.count - 1 }

    func bridgedReferences() -> [(object: ObjectRef, count: Int)] {
        objects.filter(\.alive).flatMap { $0.pins.map { (object: $0, count: 1) } }
    }

    private func mark(_ id: Int, _ heap: Heap) {
        var stack = [id]
        while let f = stack.popLast() {
            guard objects[f].alive, !objects[f].marked else { continue }
            objects[f].marked = true
            for pin in objects[f].pins { heap.bridgeMark(pin) }
            stack.append(contentsOf: objects[f].refs)
        }
    }

    func markForeignRoots(_ heap: Heap) {
        for i in objects.indices { objects[i].marked = false }
        for r in roots { mark(r, heap) }
    }

    func heapObjectMarked(_ object: ObjectRef, _ heap: Heap) {
        for f in heldByHeap[object] ?? [] { mark(f, heap) }
    }

    func markingFinished(_ heap: Heap) {
        for i in objects.indices where objects[i].alive && !objects[i].marked {
            // A dead foreign object drops its pins (counts) on heap objects.
            for pin in objects[i].pins { try! heap.unpin(pin) }
            objects[i].pins = []
        }
    }

    func collectionFinished(_ heap: Heap) {
        for i in objects.indices where objects[i].alive && !objects[i].marked {
            objects[i].alive = false
            swept.append(i)
        }
    }
}

@Suite struct CollectionBridgeTests {
    /// heap object H → foreign F (held) → heap object H (pinned): a cycle across
    /// two collectors.
    func makeCrossCycle(_ heap: Heap, _ foreign: ModelForeignHeap, id: Int) -> (ObjectRef, Int) {
        let h = RawNode.make(heap, id: id)
        let f = foreign.make()
        foreign.heldByHeap[h, default: []].append(f)
        heap.pin(h)
        foreign.objects[f].pins.append(h)
        return (h, f)
    }

    @Test func unreachableCrossHeapCycleIsFreedOnBothSides() {
        let (heap, recorder) = makeHeap()
        let foreign = ModelForeignHeap()
        heap.collectionBridge = foreign
        let (h, f) = makeCrossCycle(heap, foreign, id: 1)
        heap.release(h)  // only the foreign pin holds it now
        heap.collect(.full)
        #expect(recorder.finalized == [1])
        #expect(foreign.swept == [f])
        #expect(heap.statistics().liveObjects == 0 && heap.statistics().pinnedObjects == 0)
    }

    @Test func cycleHeldFromTheForeignRootsSurvives() {
        let (heap, recorder) = makeHeap()
        let foreign = ModelForeignHeap()
        heap.collectionBridge = foreign
        let (h, f) = makeCrossCycle(heap, foreign, id: 1)
        heap.release(h)
        foreign.roots = [f]
        heap.collect(.full)
        #expect(recorder.finalized.isEmpty && foreign.swept.isEmpty)
        foreign.roots = []
        heap.collect(.full)
        #expect(recorder.finalized == [1] && foreign.swept == [f])
    }

    @Test func cycleHeldFromTheHeapSurvives() {
        let (heap, recorder) = makeHeap()
        let foreign = ModelForeignHeap()
        heap.collectionBridge = foreign
        let (h, f) = makeCrossCycle(heap, foreign, id: 1)
        heap.collect(.full)  // `h` still has its handle: a heap root
        #expect(recorder.finalized.isEmpty && foreign.swept.isEmpty)
        heap.release(h)
        heap.collect(.full)
        #expect(recorder.finalized == [1] && foreign.swept == [f])
    }

    @Test func longCycleThroughBothHeapsAndLiveNeighbours() {
        let (heap, recorder) = makeHeap()
        let foreign = ModelForeignHeap()
        heap.collectionBridge = foreign
        // H1 → F1 → H2 → F2 → H1, plus H2 → heap node K (slot), and a separate live pair.
        let (h1, f1) = makeCrossCycle(heap, foreign, id: 1)
        let h2 = RawNode.make(heap, id: 2)
        foreign.objects[f1].pins.append(h2)
        heap.pin(h2)
        let f2 = foreign.make()
        foreign.heldByHeap[h2, default: []].append(f2)
        foreign.objects[f2].refs.append(f1)
        let k = RawNode.make(heap, id: 3)
        RawNode.link(heap, h2, 0, k)
        heap.release(k)
        heap.release(h2)
        heap.release(h1)
        let (live, liveForeign) = makeCrossCycle(heap, foreign, id: 9)
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [1, 2, 3])
        #expect(Set(foreign.swept) == [f1, f2])
        #expect(!foreign.swept.contains(liveForeign))
        heap.release(live)
        heap.collect(.full)
        #expect(recorder.finalized.sorted() == [1, 2, 3, 9])
    }

    @Test func bridgeMarkOutsideMarkingStops() async {
        await #expect(processExitsWith: .failure) {
            let heap = Heap()
            let o = RawNode.make(heap, id: 1)
            heap.bridgeMark(o)
        }
    }
}
