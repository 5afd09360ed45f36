import GcCore
@testable import GcTypes
import Testing

/// Bytes that heap objects hold outside the heap — a `GcArray`'s or `GcString`'s
/// Swift buffer — are counted per type in detailed statistics, beside the slot bytes
/// (before, a heap holding a 256 MiB array reported 160 live bytes).
@Suite struct OutsideBytesTests {
    @Test func arraysAndStringsCountTheirBuffers() {
        let heap = Heap()
        let count = 2 << 20  // 16 MiB of Int
        let big = GcArray([Int](repeating: 7, count: count), in: heap)
        let text = GcString(String(repeating: "x", count: 1000), in: heap)
        let small = GcString("short", in: heap)  // stored inline in the payload
        let s = heap.statistics(detailed: true)
        let arrays = s.perType?.first { $0.name.hasPrefix("hako/Array<") }
        let strings = s.perType?.first { $0.name == "hako/String" }
        #expect((arrays?.outsideBytes ?? 0) >= count * 8)
        #expect(arrays?.liveBytes ?? 0 < 1024)  // the slot itself is small
        #expect(strings?.outsideBytes == 1000 && strings?.liveObjects == 2)
        #expect(s.outsideBytes == (arrays?.outsideBytes ?? 0) + 1000)
        #expect(s.description.contains("outside the heap"))
        #expect(heap.statistics().outsideBytes == 0)  // brief statistics do not walk
        _ = (big, text, small)
    }
}
