import CHakoGC
import Testing
@testable import CrossBoundary
@testable import GcCore

/// Handle generations that run out (issue 12, case 7): an entry or slot whose
/// generation is exhausted is retired, never reused, so an old handle can never
/// validate again and the heap never refuses new handles while slots remain.
@Suite struct HandleGenerationTests {
    /// A strong handle entry is reused on every retain/release pair; its 16-bit
    /// generation must never come back round to an old handle's.
    @Test func strongHandleGenerationsNeverWrap() {
        var heap: hgc_heap = 0
        #expect(CrossBoundary.hgc_heap_create(&heap) == HGC_OK)
        var a = hgc_value(), first = hgc_value(), h = hgc_value()
        #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &a) == HGC_OK)
        #expect(CrossBoundary.hgc_retain(heap, a, &first) == HGC_OK)
        #expect(CrossBoundary.hgc_release(heap, first) == HGC_OK)
        var reissued = 0
        for _ in 0..<(1 << 16) + 8 {
            #expect(CrossBoundary.hgc_retain(heap, a, &h) == HGC_OK)
            if h.box_handle == first.box_handle { reissued += 1 }
            #expect(CrossBoundary.hgc_release(heap, h) == HGC_OK)
        }
        #expect(reissued == 0)
        #expect(CrossBoundary.hgc_release(heap, first) == HGC_ERR_STALE_HANDLE)
        #expect(CrossBoundary.hgc_release(heap, a) == HGC_OK)
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }

    /// Objects that die one after another reuse one weak slot. With 3 generations
    /// per slot (the hook; the ABI has 2²⁴ − 1) the slot is exhausted after three
    /// objects: the fourth must get a new slot, and no old weak value may upgrade.
    @Test func exhaustedWeakSlotsAreRetired() {
        let heap = createHeap(weakLimits: WeakHandle.Limits(slots: 1 << 20, generations: 3))!
        var weaks: [hgc_value] = []
        for i in 0..<10 {
            var v = hgc_value(), w = hgc_value()
            #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &v) == HGC_OK)
            let made = CrossBoundary.hgc_make_weak(heap, v, &w)
            #expect(made == HGC_OK, "object \(i): \(String(cString: CrossBoundary.hgc_last_error()))")
            if made == HGC_OK { weaks.append(w) }
            #expect(CrossBoundary.hgc_release(heap, v) == HGC_OK)  // freed now: its slot is cleared
        }
        var live = hgc_value(), w = hgc_value(), up = hgc_value()
        #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &live) == HGC_OK)
        #expect(CrossBoundary.hgc_make_weak(heap, live, &w) == HGC_OK)
        for old in weaks {
            #expect(CrossBoundary.hgc_upgrade(heap, old, &up) == HGC_OK && up.metadata >> 60 == UInt64(HGC_TAG_NULL))
        }
        var same: Int32 = 0
        #expect(CrossBoundary.hgc_upgrade(heap, w, &up) == HGC_OK)
        #expect(CrossBoundary.hgc_same(heap, up, live, &same) == HGC_OK && same == 1)
        #expect(CrossBoundary.hgc_release(heap, up) == HGC_OK)
        #expect(CrossBoundary.hgc_release(heap, live) == HGC_OK)
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }

    /// Only when every slot the handles can name is in use or retired does
    /// hgc_make_weak refuse, and its message says so.
    @Test func weakSlotSpaceExhaustionIsReportedTruthfully() {
        let heap = createHeap(weakLimits: WeakHandle.Limits(slots: 2, generations: 2))!
        var made = 0
        var refused = HGC_OK
        for _ in 0..<8 {
            var v = hgc_value(), w = hgc_value()
            #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &v) == HGC_OK)
            let s = CrossBoundary.hgc_make_weak(heap, v, &w)
            if s == HGC_OK { made += 1 } else { refused = s }
            #expect(CrossBoundary.hgc_release(heap, v) == HGC_OK)
        }
        #expect(made == 4)  // 2 slots × 2 generations
        #expect(refused == HGC_ERR_OUT_OF_MEMORY)
        #expect(String(cString: CrossBoundary.hgc_last_error()).contains("retired"))
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }
}
