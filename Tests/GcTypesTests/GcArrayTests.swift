import Testing
import GcCore
@testable import GcTypes

private func base<T>(_ a: [T]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }

@Suite struct GcArrayTests {
    /// Handles as plain elements would be references the collector cannot see: the
    /// element type is refused when its array type registers, with a message.
    @Test func handleElementsAreRefused() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            _ = GcArray([GcString("x", in: heap)], in: heap)
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("holds heap handles the collector cannot see; use GcRefArray"))
    }

    @Test func collectionAPI() {
        let heap = Heap()
        let a = GcArray([3, 1, 2], in: heap)
        #expect(a.count == 3 && a.first == 3 && a.last == 2)
        a.append(4)
        a.insert(0, at: 0)
        #expect(Array(a) == [0, 3, 1, 2, 4])
        #expect(a.remove(at: 1) == 3)
        a.sort()
        #expect(a.map { $0 * 10 } == [0, 10, 20, 40])
        #expect(a.filter { $0 % 2 == 0 } == [0, 2, 4])
        #expect(a.gcFilter { $0 > 1 }.toArray() == [2, 4])
        a[0] = 9
        #expect(a.reduce(0, +) == 16)
        var handle = a
        handle.swapAt(0, 1)
        #expect(a.toArray() == [1, 9, 2, 4])
        let b = a  // same array
        b.removeLast()
        #expect(a.count == 3)
        #expect(a == GcArray([1, 9, 2], in: heap))
        #expect(Set([a, GcArray([1, 9, 2], in: heap)]).count == 1)
        a.removeAll()
        #expect(a.isEmpty)
    }

    @Test func conversionSharesTheBuffer() {
        let heap = Heap()
        let swiftArray = Array(0..<100_000)
        let gc = GcArray(swiftArray, in: heap)
        #expect(gc.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } == base(swiftArray))
        let back = gc.toArray()
        #expect(base(back) == base(swiftArray))
        #expect(heap.statistics().conversionCopies == 0)
        let moved = gc.takeArray()
        #expect(base(moved) == base(swiftArray))
        #expect(gc.isEmpty)
        #expect(heap.statistics().conversionCopies == 0)  // a move is not a copy
    }

    @Test func writeToSharedStorageIsCountedOnce() {
        let heap = Heap()
        let swiftArray = Array(repeating: 7, count: 1000)
        let gc = GcArray(swiftArray, in: heap)
        gc[0] = 1  // swiftArray still shares the buffer: Swift copies it
        #expect(swiftArray[0] == 7)
        #expect(gc[0] == 1)
        var s = heap.statistics()
        #expect(s.conversionCopies == 1)
        #expect(s.conversionCopyBytes == 1000 * MemoryLayout<Int>.stride)
        gc[1] = 1  // now unique: no copy
        s = heap.statistics()
        #expect(s.conversionCopies == 1)
    }

    @Test func arrayLiteralUsesDefaultHeap() {
        let a: GcArray<String> = ["x", "y"]
        #expect(a.heap === DefaultHeap.current)
        #expect(a.description == "GcArray([\"x\", \"y\"])")
    }

    @Test func storedAsFieldOfHeapObject() {
        struct Holder: GcObject, ~Copyable {
            static let gcType = GcType<Holder>(name: "hako.tests/Holder")
            var items: GcRc<GcArrayStorage<Int>>
            func trace(into t: inout GcTracer) { t.visit(items) }
        }
        let heap = Heap()
        do {
            let list = GcArray([1, 2, 3], in: heap)
            let holder = GcRc(Holder(items: list.rc()), in: heap)
            #expect(holder.with { h in h.items.with { $0.elements } } == [1, 2, 3])
        }
        #expect(heap.statistics().liveObjects == 0)
    }
}
