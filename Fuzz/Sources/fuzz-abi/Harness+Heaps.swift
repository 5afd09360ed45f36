import CHakoGC
import CrossBoundary
import FuzzDriver
import Glibc

// Heap life cycle, the bridge, misbehaviour switches and calls on heaps that are
// gone or belong to another thread.

extension Harness {
    func lifeCycle(_ input: inout FuzzInput, heap: Int, _ h: hgc_heap) {
        switch input.byte() % 3 {
        case 0:
            if heaps[1 - heap] == nil { createHeap(1 - heap) }
        case 1:
            destroy(heap: heap, h)
        default:
            expectStatus(CrossBoundary.hgc_heap_transfer(h), HGC_OK, "hgc_heap_transfer to its own thread")
            note("transfer \(heap)")
        }
    }

    func destroy(heap: Int, _ h: hgc_heap) {
        heaps[heap]!.destroying = true
        let s = CrossBoundary.hgc_heap_destroy(h)
        note("destroy \(heap) → \(s.rawValue)")
        expectStatus(s, HGC_OK, "hgc_heap_destroy")
        for r in strong[heap] {
            stale.append((r.value, h))
            objects[r.object].handles -= 1
        }
        for w in weak[heap] { stale.append((w.value, h)) }
        (strong[heap], strongIndex[heap], weak[heap], weakIndex[heap]) = ([], [:], [], [:])
        pinnedObjects[heap] = 0
        heaps[heap] = nil
        destroyedHeaps.append(h)
        checkFinalized()
        // Finalized more than once was caught by checkFinalized.
        expect(unfinalized[heap].isEmpty, "objects \(unfinalized[heap].sorted().prefix(8)) not finalized when their heap was destroyed")
    }

    func bridge(register: Int, heap: Int, _ h: hgc_heap) {
        var bridge = hgc_bridge()
        bridge.size = UInt32(MemoryLayout<hgc_bridge>.size)
        bridge.mark_roots = { heap, _ in Harness.current.markRoots(heap) }
        bridge.mark_foreign = { _, _, _ in Harness.current.fail("mark_foreign called: no trace here reports a foreign reference") }
        bridge.sweep = { _, _ in }
        let s: hgc_status
        switch register {
        case 0:
            s = CrossBoundary.hgc_bridge_register(h, &bridge)
            expectStatus(s, HGC_OK, "hgc_bridge_register")
            heaps[heap]!.bridged = true
        case 1:
            s = CrossBoundary.hgc_bridge_register(h, nil)
            expectStatus(s, HGC_OK, "hgc_bridge_register(NULL)")
            heaps[heap]!.bridged = false
        default:
            bridge.size = 8
            s = CrossBoundary.hgc_bridge_register(h, &bridge)
            expectStatus(s, HGC_ERR_BAD_VTABLE, "hgc_bridge_register with size 8")
        }
        note("bridge \(register) → \(s.rawValue)")
    }

    /// The bridge's mark_roots: every bridged pin's foreign owner is alive. Calls
    /// that would move counts are refused here.
    func markRoots(_ h: hgc_heap) {
        guard let heap = heaps.firstIndex(where: { $0?.handle == h }) else { fail("mark_roots for a heap the model does not know") }
        for r in strong[heap] where r.bridged && r.value.box_handle != inFlight {
            expectStatus(CrossBoundary.hgc_bridge_reach(h, r.value), HGC_OK, "hgc_bridge_reach in mark_roots")
        }
        if let r = strong[heap].first(where: { $0.value.box_handle != inFlight }) {
            var out = hgc_value()
            expectStatus(CrossBoundary.hgc_retain(h, r.value, &out), HGC_ERR_REENTRANT, "hgc_retain in mark_roots")
            if !r.pinned {
                expectStatus(CrossBoundary.hgc_bridge_reach(h, r.value), HGC_ERR_NOT_PINNED, "hgc_bridge_reach of an unpinned value")
            }
        }
    }

    func reachOutside(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        let s = CrossBoundary.hgc_bridge_reach(h, v)
        note("bridge_reach \(v.box_handle) → \(s.rawValue)")
        expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_bridge_reach outside a joint collection")
    }

    /// Switches what the object's callbacks do (through its writable payload).
    func misbehave(_ v: hgc_value, _ m: Misbehaviour, heap: Int, _ h: hgc_heap) {
        note("misbehave \(m)")
        guard let p = payload(v, heap: heap, h) else { return }
        var word = PayloadWord(p.load(as: UInt64.self))
        word.misbehaviour = m
        p.storeBytes(of: word.word, as: UInt64.self)
    }

    /// Calls on a destroyed or forged heap handle, or from another thread.
    func staleHeapCall(_ input: inout FuzzInput) {
        var out = hgc_value()
        switch input.byte() % 4 {
        case 0 where !destroyedHeaps.isEmpty:
            let h = destroyedHeaps[input.byte() % destroyedHeaps.count]
            expectStatus(CrossBoundary.hgc_alloc(h, FuzzType.node, 0, &out), HGC_ERR_HEAP_DESTROYED, "hgc_alloc on a destroyed heap")
            expectStatus(CrossBoundary.hgc_heap_destroy(h), HGC_ERR_HEAP_DESTROYED, "hgc_heap_destroy twice")
        case 1:
            let forged = input.u64()
            if heaps.contains(where: { $0?.handle == forged }) { return }
            expectStatus(CrossBoundary.hgc_collect(forged, HGC_COLLECT_MINOR), HGC_ERR_HEAP_DESTROYED, "hgc_collect on a forged heap")
        case 2:
            for (v, h) in stale.suffix(4) where !heaps.contains(where: { $0?.handle == h }) {
                expectStatus(CrossBoundary.hgc_release(h, v), HGC_ERR_HEAP_DESTROYED, "hgc_release on a destroyed heap")
            }
        default:
            guard let h = heaps.compactMap({ $0?.handle }).first else { return }
            // Another thread: every call is refused, nothing changes.
            var thread = pthread_t()
            let box = UnsafeMutablePointer<hgc_heap>.allocate(capacity: 1)
            box.pointee = h
            pthread_create(&thread, nil, { arg in
                let h = arg!.assumingMemoryBound(to: hgc_heap.self).pointee
                let s = CrossBoundary.hgc_collect(h, HGC_COLLECT_FULL)
                arg!.assumingMemoryBound(to: hgc_heap.self).pointee = UInt64(s.rawValue)
                return nil
            }, box)
            pthread_join(thread, nil)
            expect(box.pointee == UInt64(HGC_ERR_WRONG_THREAD.rawValue), "hgc_collect from another thread: status \(box.pointee)")
            box.deallocate()
        }
        note("stale heap call")
    }
}
