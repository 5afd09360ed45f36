import CHakoGC
import Testing
@testable import CrossBoundary

/// Inputs the libFuzzer targets (Fuzz/, docs/reliability.md) found wrong, kept as
/// tests once fixed.
@Suite struct FuzzRegressionTests {
    /// fuzz-abi: a weak value with one bit of its type id flipped upgraded to
    /// `hgc_null()` with `HGC_OK` once its object had died (the type was checked only
    /// against a live object). The type id is now part of the weak handle's check:
    /// every such value is `FORGED_HANDLE`, alive or dead.
    @Test func weakValueWithAnotherTypeIDIsForgedAliveOrDead() {
        var heap: hgc_heap = 0
        #expect(CrossBoundary.hgc_heap_create(&heap) == HGC_OK)
        var v = hgc_value(), w = hgc_value(), out = hgc_value()
        #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &v) == HGC_OK)
        #expect(CrossBoundary.hgc_make_weak(heap, v, &w) == HGC_OK)
        for alive in [true, false] {
            if !alive { #expect(CrossBoundary.hgc_release(heap, v) == HGC_OK) }
            for bit in 0..<64 {
                var forged = w
                forged.type_id ^= 1 << UInt64(bit)
                let status = CrossBoundary.hgc_upgrade(heap, forged, &out)
                #expect(status == HGC_ERR_FORGED_HANDLE, "bit \(bit), alive \(alive): \(status)")
            }
            #expect(CrossBoundary.hgc_upgrade(heap, w, &out) == HGC_OK)
            if alive {
                #expect(out.box_handle != 0)
                #expect(CrossBoundary.hgc_release(heap, out) == HGC_OK)
            } else {
                #expect(out.type_id == HGC_TYPE_NULL)
            }
        }
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }

    /// Found writing fuzz-registry: a reference count the payload cannot hold was
    /// checked offset by offset, reading past the caller's array. It is refused
    /// before the array is read (under ASan a read past these two entries is
    /// reported).
    @Test func hugeReferenceCountIsRefusedBeforeTheArrayIsRead() {
        let offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: 2)
        defer { offsets.deallocate() }
        offsets[0] = 0
        offsets[1] = 8
        var table = hgc_vtable()
        table.size = UInt32(MemoryLayout<hgc_vtable>.size)
        table.payload_size = 16
        table.reference_offsets = UnsafePointer(offsets)
        var id: UInt64 = 0
        for count in [3, 1000, UInt32.max] {
            table.reference_count = count
            #expect(CrossBoundary.hgc_register_type("hako.tests/HugeCount", &table, &id) == HGC_ERR_BAD_VTABLE)
            #expect(String(cString: CrossBoundary.hgc_last_error()).contains("more than the 16-byte payload's 2 slots"))
        }
        table.reference_count = 2
        #expect(CrossBoundary.hgc_register_type("hako.tests/HugeCount", &table, &id) == HGC_OK)
    }
}
