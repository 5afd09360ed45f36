import Testing
import GcCore
@testable import GcTypes

struct Item: GcObject, ~Copyable {
    static let gcType = GcType<Item>(name: "hako.tests/Item")
    var n: Int
    var owner: GcRc<GcRefArrayStorage<Item>>?  // back to the array: a cycle
    func trace(into t: inout GcTracer) { t.visit(owner) }
}

@Suite struct GcRefArrayTests {
    @Test func elementsAreCountedReferences() {
        let heap = Heap()
        do {
            let array = GcRefArray<Item>(in: heap)
            for i in 0..<10 { array.append(GcRc(Item(n: i), in: heap)) }
            #expect(array.count == 10)
            #expect(array[3].with { $0.n } == 3)
            #expect(array[3].referenceCount == 2)  // the array's count and this temporary's
            let removed = array.remove(at: 0)
            #expect(removed.with { $0.n } == 0 && array.count == 9)
            array.set(0, to: GcRc(Item(n: 100), in: heap))  // releases old element 1
            var sum = 0
            array.forEach { sum += $0.with { $0.n } }
            #expect(sum == 100 + (2..<10).reduce(0, +))
            #expect(heap.statistics().liveObjects == 11)  // array + 9 items + removed
            array.removeAll()
            #expect(heap.statistics().liveObjects == 2)
        }
        let s = heap.statistics()
        #expect(s.liveObjects == 0 && s.allocatedObjects == s.freedObjects)
    }

    @Test func cyclesThroughTheArrayAreCollected() {
        let heap = Heap()
        do {
            let array = GcRefArray<Item>(in: heap)
            for i in 0..<50 { array.append(GcRc(Item(n: i, owner: array.rc()), in: heap)) }
        }
        #expect(heap.statistics().liveObjects == 51)
        heap.collect(.minor)
        let s = heap.statistics()
        #expect(s.liveObjects == 0, "array ↔ items cycle left \(s.liveObjects) objects")
        #expect(s.freedByCollector == 51)
    }

    @Test func gcArrayRefusesHandles() async {
        await #expect(processExitsWith: .failure) {
            let heap = Heap()
            _ = GcArray([GcString("x", in: heap)], in: heap)
        }
    }

    @Test func elementFromAnotherHeapStops() async {
        await #expect(processExitsWith: .failure) {
            let a = Heap(), b = Heap()
            let array = GcRefArray<Item>(in: a)
            array.append(GcRc(Item(n: 1), in: b))
        }
    }
}
