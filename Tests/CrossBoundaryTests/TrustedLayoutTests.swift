import CHakoGC
@testable import CrossBoundary
@testable import GcCore
import Testing

/// The header layout hakogc.h's trusted inline functions use (HGC_HEADER_LAYOUT 1)
/// must be the heap's own (ObjectHeader.swift) bit for bit: a change to either side
/// without the other fails here, and then HGC_HEADER_LAYOUT must change with it.
@Suite struct TrustedLayoutTests {
    @Test func headerConstantsAgreeWithTheHeap() {
        #expect(HGC_HEADER_LAYOUT == 1)
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

    @Test func typeIDTableNamesEveryRegisteredIndex() {
        let table = CrossBoundary.hgc_type_id_table()
        let string = TypeRegistry.shared.descriptor(forID: HGC_TYPE_STRING)!
        #expect(table[string.index] == HGC_TYPE_STRING)
        #expect(table[0] == 0)
    }
}
