import CHakoGC
import Glibc
import Testing
@testable import CrossBoundary
@testable import GcCore

/// Allocation failure through the C ABI (AllocationFailure.swift): with every block
/// request failing from the N-th on, `hgc_alloc` says `HGC_ERR_OUT_OF_MEMORY` with a
/// message, the handles already issued stay good, and the heap frees everything.
@Suite struct AllocationFailureABITests {
    private func heap(of handle: hgc_heap) -> Heap {
        guard case .owned(let foreign) = HeapTable.lookup(handle, thread: pthread_self()) else { fatalError("no heap") }
        return foreign.takeUnretainedValue().heap
    }

    @Test func hgcAllocReportsOutOfMemoryAndTheHeapStaysSound() {
        for n in 1...3 {
            var h: hgc_heap = 0
            #expect(CrossBoundary.hgc_heap_create(&h) == HGC_OK)
            let heap = heap(of: h)
            heap.core.allocator.failure = AllocationFailure(at: n, persistent: true)
            var values: [hgc_value] = []
            var refused = 0
            for i in 0..<3_000 {
                var v = hgc_value()
                // Floats fill small pages; every 100th allocation is a large string.
                let status = CrossBoundary.hgc_alloc(h, i % 100 == 0 ? HGC_TYPE_STRING : HGC_TYPE_FLOAT, i % 100 == 0 ? 200_000 : 0, &v)
                if status == HGC_OK { values.append(v); continue }
                #expect(status == HGC_ERR_OUT_OF_MEMORY)
                #expect(String(cString: CrossBoundary.hgc_last_error()).contains("out of memory"))
                refused += 1
            }
            #expect(refused > 0, "N = \(n)+")
            #expect(heap.checkInvariants() == [])
            var out = hgc_value()
            for v in values { #expect(CrossBoundary.hgc_retain(h, v, &out) == HGC_OK && CrossBoundary.hgc_release(h, out) == HGC_OK) }
            for v in values { #expect(CrossBoundary.hgc_release(h, v) == HGC_OK) }
            #expect(CrossBoundary.hgc_collect(h, HGC_COLLECT_FULL) == HGC_OK)
            let s = heap.statistics()
            #expect(s.liveObjects == 0 && s.allocatedObjects == s.freedObjects)
            #expect(heap.core.allocator.unaccountedBlocks == 0)
            #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
        }
    }
}
