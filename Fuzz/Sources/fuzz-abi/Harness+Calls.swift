import CHakoGC
import CrossBoundary
import FuzzDriver
import Glibc

// One method per C ABI call: make the call, then hold its status and results to
// the model (Harness.swift).

extension Harness {
    func alloc(_ input: inout FuzzInput, heap: Int, _ h: hgc_heap) {
        let isNode = input.byte() & 1 == 0
        let type = isNode ? FuzzType.node : FuzzType.leaf
        let base = isNode ? FuzzType.nodeSize : FuzzType.leafSize
        let sizes: [UInt64] = [0, base, base + 8, base + UInt64(input.byte()) * 16, base - 8, (1 << 30) + 16]
        let size = sizes[input.byte() % sizes.count]
        let misbehaviour = Misbehaviour(rawValue: UInt8(input.byte() % 16)) ?? .none
        var v = hgc_value()
        let s = CrossBoundary.hgc_alloc(h, type, size, &v)
        note("alloc \(isNode ? "node" : "leaf") size \(size) → \(s.rawValue) \(v.box_handle)")
        guard size == 0 || (size >= base && size <= 1 << 30) else { return expectStatus(s, HGC_ERR_BAD_SIZE, "hgc_alloc size \(size)") }
        expectStatus(s, HGC_OK, "hgc_alloc")
        let id = newObject(heap: heap, isNode: isNode, value: v, misbehaviour: misbehaviour)
        adopt(v, object: id, heap: heap, readonly: false, "hgc_alloc")
    }

    func retain(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        var out = hgc_value()
        let s = CrossBoundary.hgc_retain(h, v, &out)
        note("retain \(v.box_handle) → \(s.rawValue) \(out.box_handle)")
        guard case .strong(let i, let view) = classify(v, heap: heap) else { return expectFailure(s, "hgc_retain") }
        expectStatus(s, HGC_OK, "hgc_retain")
        adopt(out, object: strong[heap][i].object, heap: heap, readonly: strong[heap][i].readonly || view, "hgc_retain")
    }

    func release(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        let c = classify(v, heap: heap)
        inFlight = v.box_handle
        let s = CrossBoundary.hgc_release(h, v)
        inFlight = 0
        note("release \(v.box_handle) → \(s.rawValue)")
        guard case .strong(let i, _) = c else { return expectFailure(s, "hgc_release") }
        if strong[heap][i].pinned { return expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_release of a pinned value") }
        expectStatus(s, HGC_OK, "hgc_release")
        retire(strong: i, heap: heap)
    }

    func load(_ v: hgc_value, slot: Int, heap: Int, _ h: hgc_heap) {
        var out = hgc_value()
        let s = CrossBoundary.hgc_load(h, v, UInt32(slot), &out)
        note("load \(v.box_handle).\(slot) → \(s.rawValue) \(out.box_handle)")
        guard case .strong(let i, _) = classify(v, heap: heap) else { return expectFailure(s, "hgc_load") }
        let object = objects[strong[heap][i].object]
        guard slot < object.slots.count else { return expectStatus(s, HGC_ERR_BAD_SLOT, "hgc_load slot \(slot)") }
        expectStatus(s, HGC_OK, "hgc_load")
        guard let target = object.slots[slot] else {
            return expect(out.type_id == HGC_TYPE_NULL && out.box_handle == 0, "hgc_load: a value for an empty slot")
        }
        adopt(out, object: target, heap: heap, readonly: false, "hgc_load")
    }

    func store(_ v: hgc_value, slot: Int, _ w: hgc_value, heap: Int, _ h: hgc_heap) {
        let into = classify(v, heap: heap), what = classify(w, heap: heap)
        let s = CrossBoundary.hgc_store(h, v, UInt32(slot), w)
        note("store \(v.box_handle).\(slot) = \(w.box_handle) → \(s.rawValue)")
        guard case .strong(let i, let view) = into else { return expectFailure(s, "hgc_store") }
        if strong[heap][i].readonly || view { return expectStatus(s, HGC_ERR_READONLY, "hgc_store into a read-only value") }
        let object = strong[heap][i].object
        guard slot < objects[object].slots.count else { return expectStatus(s, HGC_ERR_BAD_SLOT, "hgc_store slot \(slot)") }
        switch what {
        case .null:
            expectStatus(s, HGC_OK, "hgc_store null")
            setSlot(object, slot, nil)
        case .strong(let j, let view):
            if strong[heap][j].readonly || view { return expectStatus(s, HGC_ERR_READONLY, "hgc_store of a read-only value") }
            expectStatus(s, HGC_OK, "hgc_store")
            setSlot(object, slot, strong[heap][j].object)
        case .weak, .invalid:
            expectFailure(s, "hgc_store of a value the model says is invalid")
        }
    }

    func pin(_ v: hgc_value, heap: Int, _ h: hgc_heap, bridged: Bool) {
        var out = hgc_value()
        let s = bridged ? CrossBoundary.hgc_pin_bridged(h, v, &out) : CrossBoundary.hgc_pin(h, v, &out)
        note("pin\(bridged ? " bridged" : "") \(v.box_handle) → \(s.rawValue) \(out.box_handle)")
        guard case .strong(let i, let view) = classify(v, heap: heap) else { return expectFailure(s, "hgc_pin") }
        expectStatus(s, HGC_OK, "hgc_pin")
        let object = strong[heap][i].object
        pins(object, 1)
        adopt(out, object: object, heap: heap, pinned: true, bridged: bridged, readonly: strong[heap][i].readonly || view, "hgc_pin")
    }

    func unpin(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        let c = classify(v, heap: heap)
        inFlight = v.box_handle
        let s = CrossBoundary.hgc_unpin(h, v)
        inFlight = 0
        note("unpin \(v.box_handle) → \(s.rawValue)")
        guard case .strong(let i, _) = c else { return expectFailure(s, "hgc_unpin") }
        guard strong[heap][i].pinned else { return expectStatus(s, HGC_ERR_NOT_PINNED, "hgc_unpin of an unpinned value") }
        expectStatus(s, HGC_OK, "hgc_unpin")
        pins(strong[heap][i].object, -1)
        retire(strong: i, heap: heap)
    }

    func makeWeak(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        var out = hgc_value()
        let s = CrossBoundary.hgc_make_weak(h, v, &out)
        note("make_weak \(v.box_handle) → \(s.rawValue) \(out.box_handle)")
        guard case .strong(let i, let view) = classify(v, heap: heap) else { return expectFailure(s, "hgc_make_weak") }
        expectStatus(s, HGC_OK, "hgc_make_weak")
        let readonly = strong[heap][i].readonly || view
        expect(out.metadata & UInt64(HGC_FLAG_WEAK) != 0 && (out.metadata & UInt64(HGC_FLAG_READONLY) != 0) == readonly,
               "hgc_make_weak: metadata 0x\(String(out.metadata, radix: 16))")
        addWeak(WeakRecord(value: out, object: strong[heap][i].object, heap: heap))
    }

    func upgrade(_ v: hgc_value, heap: Int, _ h: hgc_heap) {
        var out = hgc_value()
        let s = CrossBoundary.hgc_upgrade(h, v, &out)
        note("upgrade \(v.box_handle) → \(s.rawValue) \(out.box_handle)")
        guard case .weak(let i) = classify(v, heap: heap) else { return expectFailure(s, "hgc_upgrade") }
        expectStatus(s, HGC_OK, "hgc_upgrade")
        let object = weak[heap][i].object
        if out.type_id == HGC_TYPE_NULL && out.box_handle == 0 {
            // Only garbage may upgrade to null; what the model reaches must upgrade.
            markReachable(heap: heap)
            return expect(!reached(object), "hgc_upgrade: null for object \(object), which the model reaches")
        }
        adopt(out, object: object, heap: heap, readonly: v.metadata & UInt64(HGC_FLAG_READONLY) != 0, "hgc_upgrade")
    }

    func same(_ a: hgc_value, _ b: hgc_value, heap: Int, _ h: hgc_heap) {
        var result: Int32 = -1
        let s = CrossBoundary.hgc_same(h, a, b, &result)
        note("same \(a.box_handle) \(b.box_handle) → \(s.rawValue) \(result)")
        guard case .strong(let i, _) = classify(a, heap: heap), case .strong(let j, _) = classify(b, heap: heap) else {
            return expectFailure(s, "hgc_same")
        }
        expectStatus(s, HGC_OK, "hgc_same")
        expect((result == 1) == (strong[heap][i].object == strong[heap][j].object), "hgc_same said \(result)")
    }

    /// `hgc_payload`, checked; the payload when the model says it is writable.
    @discardableResult
    func payload(_ v: hgc_value, heap: Int, _ h: hgc_heap) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer? = nil
        var size: UInt64 = 0
        let s = CrossBoundary.hgc_payload(h, v, &p, &size)
        note("payload \(v.box_handle) → \(s.rawValue)")
        guard case .strong(let i, let view) = classify(v, heap: heap) else { expectFailure(s, "hgc_payload"); return nil }
        if strong[heap][i].readonly || view { expectStatus(s, HGC_ERR_READONLY, "hgc_payload through a read-only value"); return nil }
        expectStatus(s, HGC_OK, "hgc_payload")
        let object = strong[heap][i].object
        expect(size >= (objects[object].isNode ? FuzzType.nodeSize : FuzzType.leafSize), "hgc_payload: size \(size)")
        expect(PayloadWord(p!.load(as: UInt64.self)).id == object, "hgc_payload: the payload does not name object \(object)")
        return p
    }

    func toString(_ v: hgc_value, capacity: Int, heap: Int, _ h: hgc_heap) {
        var buffer = [CChar](repeating: 0x55, count: 8)
        var length = -1
        let s = buffer.withUnsafeMutableBufferPointer { CrossBoundary.hgc_to_string(h, v, $0.baseAddress, capacity, &length) }
        note("to_string \(v.box_handle) cap \(capacity) → \(s.rawValue) \(length)")
        switch classify(v, heap: heap) {
        case .null:
            expect(length == 4, "hgc_to_string(null): length \(length)")
            expectStatus(s, capacity > 4 ? HGC_OK : HGC_ERR_BUFFER_TOO_SMALL, "hgc_to_string(null)")
        case .strong(let i, _):
            let object = strong[heap][i].object
            guard objects[object].isNode else { return expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_to_string of a leaf") }
            if misbehaviour(of: strong[heap][i].value, heap: heap) == .liesAboutLength {
                return expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_to_string with a lying to_string")
            }
            let text = Array("n\(object)".utf8)
            expect(length == text.count, "hgc_to_string: length \(length) for \"n\(object)\"")
            expectStatus(s, capacity > text.count ? HGC_OK : HGC_ERR_BUFFER_TOO_SMALL, "hgc_to_string capacity \(capacity)")
            if capacity > 0 {
                let n = min(text.count, capacity - 1)
                expect((0..<n).allSatisfy { UInt8(bitPattern: buffer[$0]) == text[$0] } && buffer[n] == 0, "hgc_to_string: wrong text")
            }
            expect(buffer[capacity...].allSatisfy { $0 == 0x55 }, "hgc_to_string wrote past its capacity \(capacity)")
        case .weak, .invalid:
            expectFailure(s, "hgc_to_string")
        }
    }

    func misbehaviour(of v: hgc_value, heap: Int) -> Misbehaviour {
        var p: UnsafeRawPointer? = nil
        var size: UInt64 = 0
        guard CrossBoundary.hgc_payload_const(heaps[heap]!.handle, v, &p, &size) == HGC_OK else { return .none }
        return PayloadWord(p!.load(as: UInt64.self)).misbehaviour
    }

    func cast(_ v: hgc_value, target: Int, heap: Int, _ h: hgc_heap) {
        let targetID = [FuzzType.node, FuzzType.leaf, HGC_TYPE_NULL][target]
        var out = hgc_value()
        let s = CrossBoundary.hgc_cast(h, v, targetID, &out)
        note("cast \(v.box_handle) → \(s.rawValue) \(out.box_handle)")
        switch classify(v, heap: heap) {
        case .null:
            expectStatus(s, targetID == HGC_TYPE_NULL ? HGC_OK : HGC_ERR_NOT_APPLICABLE, "hgc_cast(null)")
        case .strong(let i, let view):
            let object = strong[heap][i].object
            guard typeID(of: object) == targetID else { return expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_cast to another type") }
            expectStatus(s, HGC_OK, "hgc_cast to its own type")
            adopt(out, object: object, heap: heap, readonly: strong[heap][i].readonly || view, "hgc_cast")
        case .weak, .invalid:
            expectFailure(s, "hgc_cast")
        }
    }

    func collect(kind: Int, heap: Int, _ h: hgc_heap) {
        let s = CrossBoundary.hgc_collect(h, UInt32(kind))
        note("collect \(kind) → \(s.rawValue)")
        guard kind <= 1 else { return expectStatus(s, HGC_ERR_NOT_APPLICABLE, "hgc_collect kind \(kind)") }
        expectStatus(s, HGC_OK, "hgc_collect")
        checkFinalized()
        if kind == 1 { checkNoGarbageLeft(heap: heap, "hgc_collect(FULL)") }
    }
}
