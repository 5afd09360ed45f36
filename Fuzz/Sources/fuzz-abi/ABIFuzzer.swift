import CHakoGC
import CrossBoundary
import FuzzDriver
import Glibc

// libFuzzer target: C ABI call sequences in checked mode, against the oracle in
// Harness.swift. The input is a list of calls: one byte picks the call, the next
// bytes its operands; values come from a pool that mixes live, read-only views,
// released, bit-flipped, other-heap, destroyed-heap, weak, forged and null ones.
// Run by scripts/fuzz.sh (docs/reliability.md).
//
// The calls go to CrossBoundary's exported functions themselves (the `@_cdecl`
// bodies a C caller reaches), so that one Swift build instruments the library and
// the harness alike.

/// The entry point SwiftPM links (FuzzDriver.swift says why).
@_cdecl("fuzz_abi_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzType.register()
    let harness = Harness()
    Harness.current = harness
    var input = FuzzInput(UnsafeBufferPointer(start: start, count: count))
    harness.createHeap(0)
    var calls = 0
    while !input.isEmpty && calls < 4096 {
        harness.step(&input)
        calls += 1
    }
    harness.finish()
    Harness.current = nil
    return 0
}

extension Harness {
    func createHeap(_ slot: Int) {
        var h: hgc_heap = 0
        expectStatus(CrossBoundary.hgc_heap_create(&h), HGC_OK, "hgc_heap_create")
        heaps[slot] = ModelHeap(handle: h)
        pinnedObjects[slot] = 0
        unfinalized[slot] = []
        note("heap \(slot) = create")
    }

    /// A heap slot that holds a heap (slot 0 is recreated if both are gone).
    func liveHeap(_ input: inout FuzzInput) -> Int {
        let slot = input.byte() & 1
        if heaps[slot] != nil { return slot }
        if heaps[1 - slot] != nil { return 1 - slot }
        createHeap(0)
        return 0
    }

    /// A value for a call on `heap`, from the pool.
    func pick(_ input: inout FuzzInput, heap: Int) -> hgc_value {
        let mine = strong[heap]
        let kind = input.byte() % 16
        switch kind {
        case 0..<9 where !mine.isEmpty:
            return mine[input.byte() % mine.count].value
        case 9 where !mine.isEmpty:
            var v = mine[input.byte() % mine.count].value
            v.metadata |= UInt64(HGC_FLAG_READONLY)
            return v
        case 10 where !stale.isEmpty:
            return stale[input.byte() % stale.count].value
        case 11 where strong[0].count + strong[1].count + weak[0].count + weak[1].count > 0:
            let strongCount = strong[0].count + strong[1].count, weakCount = weak[0].count + weak[1].count
            func strongAt(_ i: Int) -> hgc_value { i < strong[0].count ? strong[0][i].value : strong[1][i - strong[0].count].value }
            func weakAt(_ i: Int) -> hgc_value { i < weak[0].count ? weak[0][i].value : weak[1][i - weak[0].count].value }
            var v = weakCount > 0 && input.byte() & 1 == 1 ? weakAt(input.byte() % weakCount) : strongCount == 0
                ? weakAt(0) : strongAt(input.byte() % strongCount)
            let bit = input.byte() % 192
            switch bit / 64 {
            case 0: v.type_id ^= 1 << UInt64(bit % 64)
            case 1: v.box_handle ^= 1 << UInt64(bit % 64)
            default: v.metadata ^= 1 << UInt64(bit % 64)
            }
            return v
        case 12 where !strong[1 - heap].isEmpty:
            let others = strong[1 - heap]
            return others[input.byte() % others.count].value
        case 13:
            return hgc_value(type_id: input.byte() & 1 == 0 ? FuzzType.node : FuzzType.leaf, box_handle: input.u64(), metadata: 0)
        case 14 where !weak[heap].isEmpty:
            let mineWeak = weak[heap]
            return mineWeak[input.byte() % mineWeak.count].value
        default:
            return hgc_null()
        }
    }

    func step(_ input: inout FuzzInput) {
        let op = input.byte() % 24
        let heap = liveHeap(&input)
        let h = heaps[heap]!.handle
        switch op {
        case 0, 1: alloc(&input, heap: heap, h)
        case 2: retain(pick(&input, heap: heap), heap: heap, h)
        case 3: release(pick(&input, heap: heap), heap: heap, h)
        case 4: load(pick(&input, heap: heap), slot: input.byte() % 4, heap: heap, h)
        case 5, 6: store(pick(&input, heap: heap), slot: input.byte() % 4, pick(&input, heap: heap), heap: heap, h)
        case 7: pin(pick(&input, heap: heap), heap: heap, h, bridged: false)
        case 8: unpin(pick(&input, heap: heap), heap: heap, h)
        case 9: makeWeak(pick(&input, heap: heap), heap: heap, h)
        case 10: upgrade(pick(&input, heap: heap), heap: heap, h)
        case 11: same(pick(&input, heap: heap), pick(&input, heap: heap), heap: heap, h)
        case 12: payload(pick(&input, heap: heap), heap: heap, h)
        case 13: toString(pick(&input, heap: heap), capacity: input.byte() % 8, heap: heap, h)
        case 14: cast(pick(&input, heap: heap), target: input.byte() % 3, heap: heap, h)
        case 15: collect(kind: input.byte() % 3, heap: heap, h)
        case 16: lifeCycle(&input, heap: heap, h)
        case 17: bridge(register: input.byte() % 3, heap: heap, h)
        case 18: pin(pick(&input, heap: heap), heap: heap, h, bridged: true)
        case 19: reachOutside(pick(&input, heap: heap), heap: heap, h)
        case 20: misbehave(pick(&input, heap: heap), Misbehaviour(rawValue: UInt8(input.byte()) % Misbehaviour.count)!, heap: heap, h)
        case 21: staleHeapCall(&input)
        default: retain(pick(&input, heap: heap), heap: heap, h)
        }
        checkFinalized()
        checkStatistics(heap: heap)
    }

    /// Gives everything back, collects, checks the counts, destroys every heap.
    func finish() {
        for heap in 0..<2 {
            guard let h = heaps[heap]?.handle else { continue }
            while let r = strong[heap].last {
                inFlight = r.value.box_handle
                let s = r.pinned ? CrossBoundary.hgc_unpin(h, r.value) : CrossBoundary.hgc_release(h, r.value)
                inFlight = 0
                expectStatus(s, HGC_OK, "giving back \(r.value.box_handle) at the end")
                if r.pinned { pins(r.object, -1) }
                retire(strong: strong[heap].count - 1, heap: heap)
                checkFinalized()
            }
            expectStatus(CrossBoundary.hgc_collect(h, HGC_COLLECT_FULL), HGC_OK, "hgc_collect at the end")
            checkFinalized()
            var stats = hgc_heap_stats()
            stats.size = UInt32(MemoryLayout<hgc_heap_stats>.size)
            expectStatus(CrossBoundary.hgc_heap_statistics(h, &stats), HGC_OK, "hgc_heap_statistics")
            expect(stats.live_objects == 0, "heap \(heap): \(stats.live_objects) objects live at the end")
            expect(stats.allocated_objects == stats.freed_objects, "heap \(heap): allocated \(stats.allocated_objects) ≠ freed \(stats.freed_objects)")
            let mine = objects.lazy.filter { $0.owner == h }.count
            expect(stats.allocated_objects == UInt64(mine), "heap \(heap): allocated \(stats.allocated_objects), the model \(mine)")
            expect(stats.finalizers_run == UInt64(mine), "heap \(heap): \(stats.finalizers_run) finalizers run for \(mine) objects")
            destroy(heap: heap, h)
        }
        for (id, o) in objects.enumerated() {
            expect(o.finalized == 1, "object \(id) finalized \(o.finalized) times by the end")
        }
    }
}
