import CHakoGC
@testable import CrossBoundary
@testable import GcCore
import Testing

/// The header layout hakogc.h's trusted inline functions use (HGC_HEADER_LAYOUT 2)
/// and the page header fields its inline allocation uses (Page.swift) must be the heap's own (ObjectHeader.swift) bit for bit: a change to either side
/// without the other fails here, and then HGC_HEADER_LAYOUT must change with it.
@Suite struct TrustedLayoutTests {
    @Test func headerConstantsAgreeWithTheHeap() {
        #expect(HGC_HEADER_LAYOUT == 2)
        #expect(Int(HGC_HEADER_SIZE) == ObjectHeader.size)
        #expect(UInt64(HGC_HEADER_TYPE_SHIFT) == ObjectHeader.typeShift)
        #expect(UInt64(0xFFFF) << UInt64(HGC_HEADER_TYPE_SHIFT) == ObjectHeader.typeMask)
        #expect(UInt64(HGC_HEADER_COLOR_SHIFT) == ObjectHeader.colorShift)
        #expect(UInt64(3) << UInt64(HGC_HEADER_COLOR_SHIFT) == Color.purple.rawValue << ObjectHeader.colorShift)
        #expect(UInt64(1) << UInt64(HGC_HEADER_BUFFERED_BIT) == ObjectHeader.buffered)
        #expect(UInt64(1) << UInt64(HGC_HEADER_ACYCLIC_BIT) == ObjectHeader.acyclic)
        #expect(UInt64(1) << UInt64(HGC_HEADER_DYING_BIT) == ObjectHeader.dying)
        #expect(UInt64(1) << UInt64(HGC_HEADER_BARRIER_BIT) == ObjectHeader.barrier)
        #expect(ObjectHeader.rcMask == 0xFFFF_FFFF)
    }

    @Test func pageFieldsAgreeWithTheHeap() throws {
        let heap = Heap()
        let type = try TypeRegistry.shared.register(TypeDescriptor(name: "tests/TrustedLayout.Pair", payloadSize: 16))
        let first = try heap.allocate(type)
        let second = try heap.allocate(type)
        let page = Page.of(second)
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            page.base.load(fromByteOffset: offset, as: T.self)
        }
        #expect(field(HGC__PAGE_FREE_LIST, UInt.self) == page.freeList)
        #expect(field(HGC__PAGE_BUMP, UInt32.self) == page.bump)
        #expect(field(HGC__PAGE_END, UInt32.self) == page.end)
        #expect(field(HGC__PAGE_SLOT_SIZE, UInt32.self) == page.slotSize && page.slotSize == 32)
        #expect(field(HGC__PAGE_LIVE, UInt32.self) == page.liveCount)
        heap.release(first)  // a free slot: the list's head and its link in word 1
        #expect(field(HGC__PAGE_FREE_LIST, UInt.self) == first.bits && page.freeList == first.bits)
        heap.release(second)
    }

    @Test func inlineAllocationPointsAtTheHeapsOwnState() throws {
        let heap = Heap()
        let type = try TypeRegistry.shared.register(TypeDescriptor(name: "tests/TrustedLayout.Pair", payloadSize: 16))
        let object = try heap.allocate(type)
        let inline = heap.inlineAllocation(for: type)
        #expect(inline.currentPage.pointee == Page.of(object).bits || inline.currentPage.pointee == 0)
        #expect(inline.allocatedObjects.pointee == heap.statistics().allocatedObjects)
        #expect(inline.allocatedBytes.pointee == heap.statistics().allocatedBytes)
        #expect(inline.headerWord == type.headerWord && inline.slotBytes == 32)
        #expect(object.bits1 >> 32 == UInt64(inline.epoch.pointee))
        heap.release(object)
        let large = try TypeRegistry.shared.register(TypeDescriptor(name: "tests/TrustedLayout.Large", payloadSize: 9000))
        #expect(heap.inlineAllocation(for: large).currentPage.pointee == 0)  // always out of line
    }

    @Test func typeIDTableNamesEveryRegisteredIndex() {
        let table = CrossBoundary.hgc_type_id_table()
        let string = TypeRegistry.shared.descriptor(forID: HGC_TYPE_STRING)!
        #expect(table[string.index] == HGC_TYPE_STRING)
        #expect(table[0] == 0)
    }
}
