import CHakoGC
import CrossBoundary
import Glibc

// The ABI fuzzer's oracle: a plain model of what every handle must refer to and
// which objects must be alive, checked after every call.
//
//   objects   id → heap, type, slot targets (ids), pins, times finalized
//   strong    by heap: live strong values (plain, pinned, bridged-pinned), exact bits
//   weak      by heap: weak values, exact bits
//   stale     values that were live once (released, or of a destroyed heap)
//
// Per call the oracle does constant work outside collections: values are found by
// their handle bits in a dictionary, released ones leave by swap-remove, and the
// handle and pin counts the heap reports are kept, not recounted. (Recounting made
// a call cost linear in the live values: a grown corpus's 4 000-call inputs ran at
// 1 000 a second.)
//
// Rules checked: a value is valid exactly when its bits are a live record's (or a
// live record's with READONLY added); every call on an invalid value fails and
// changes nothing; read-backs (load, upgrade, payload, same, to_string) name the
// model's object; no object is finalized twice or while the model can reach it;
// after a full collection nothing unreachable is left unfinalized; at the end every
// object was finalized exactly once and each heap allocated what it freed.

struct ModelObject {
    /// The harness's heap slot, and the heap itself (slots are reused).
    var heap: Int
    var owner: hgc_heap
    var isNode: Bool
    var slots: [Int?]
    var pins = 0
    var finalized = 0
    /// Live strong values for it.
    var handles = 0
    /// Slots of unfinalized objects that name it.
    var inbound = 0
}

struct StrongRecord {
    var value: hgc_value
    var object: Int
    var heap: Int
    var pinned = false
    var bridged = false
    var readonly = false
}

struct WeakRecord {
    var value: hgc_value
    var object: Int
    var heap: Int
}

struct ModelHeap {
    var handle: hgc_heap
    var bridged = false
    var destroying = false
}

/// A value's bits, as a dictionary key.
struct ValueBits: Hashable {
    var typeID: UInt64, handle: UInt64, metadata: UInt64
    init(_ v: hgc_value) { (typeID, handle, metadata) = (v.type_id, v.box_handle, v.metadata) }
}

/// What a value is to the model, on one heap.
enum ValueClass {
    case strong(Int, readonlyView: Bool)
    case weak(Int)
    case null
    case invalid
}

final class Harness {
    nonisolated(unsafe) static var current: Harness!

    var heaps: [ModelHeap?] = [nil, nil]
    var objects: [ModelObject] = []
    /// By heap slot; order is not meaningful (swap-remove).
    var strong: [[StrongRecord]] = [[], []]
    /// By heap slot: handle bits → index in `strong[heap]`.
    var strongIndex: [[UInt64: Int]] = [[:], [:]]
    var weak: [[WeakRecord]] = [[], []]
    /// By heap slot: a value's three words → the first weak record with them.
    var weakIndex: [[ValueBits: Int]] = [[:], [:]]
    /// By heap slot: objects with at least one pin.
    var pinnedObjects = [0, 0]
    /// By heap slot: the heap's objects not yet finalized.
    var unfinalized: [Set<Int>] = [[], []]
    /// Reachability marks by object id: reached when equal to `epoch`.
    var mark: [UInt32] = []
    var epoch: UInt32 = 0
    var stale: [(value: hgc_value, heap: hgc_heap)] = []
    var destroyedHeaps: [hgc_heap] = []
    /// The handle a running release or unpin gives back: gone for the heap's
    /// callbacks during that call, though the model drops it only after.
    var inFlight: UInt64 = 0
    /// Ids the heap finalized during the running call.
    var finalizedNow: [Int] = []
    /// The calls so far, when `HAKOGC_FUZZ_LOG=1` (formatting every call costs
    /// more than the calls): rerun a crash input with it to see them.
    var log: [String] = []
    static let logging = getenv("HAKOGC_FUZZ_LOG").map { String(cString: $0) == "1" } ?? false

    func note(_ line: @autoclosure () -> String) {
        if Harness.logging { log.append(line()) }
    }

    // MARK: Failing

    func fail(_ message: String) -> Never {
        let tail = Harness.logging ? "calls (last 40):\n  " + log.suffix(40).joined(separator: "\n  ")
            : "rerun this input with HAKOGC_FUZZ_LOG=1 to see the calls"
        let error = String(cString: CrossBoundary.hgc_last_error())
        let text = "ABI oracle: \(message)\n  last error: \(error)\n  \(tail)\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        abort()
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fail(message()) }
    }

    func expectStatus(_ status: hgc_status, _ wanted: hgc_status, _ call: String) {
        expect(status == wanted, "\(call): status \(status.rawValue), the model says \(wanted.rawValue)")
    }

    func expectFailure(_ status: hgc_status, _ call: String) {
        expect(status != HGC_OK, "\(call): OK for a value the model says is invalid")
    }

    // MARK: Values

    func classify(_ v: hgc_value, heap: Int) -> ValueClass {
        if v.type_id == HGC_TYPE_NULL && v.box_handle == 0 && v.metadata == UInt64(HGC_TAG_NULL) << 60 { return .null }
        if let i = strongIndex[heap][v.box_handle], strong[heap][i].value.type_id == v.type_id {
            let r = strong[heap][i]
            if r.value.metadata == v.metadata { return .strong(i, readonlyView: false) }
            if r.value.metadata | UInt64(HGC_FLAG_READONLY) == v.metadata { return .strong(i, readonlyView: true) }
            return .invalid
        }
        if let i = weakIndex[heap][ValueBits(v)] { return .weak(i) }
        return .invalid
    }

    func typeID(of object: Int) -> UInt64 { objects[object].isNode ? FuzzType.node : FuzzType.leaf }

    /// Records a strong value the heap returned for `object`, after checking its
    /// bits and that its payload names `object`.
    func adopt(_ v: hgc_value, object: Int, heap: Int, pinned: Bool = false, bridged: Bool = false, readonly: Bool, _ call: String) {
        expect(v.type_id == typeID(of: object), "\(call): type id 0x\(String(v.type_id, radix: 16)) for object \(object)")
        let flags = v.metadata & UInt64(HGC_FLAGS_KNOWN)
        expect(v.metadata >> 60 == 0 && flags & UInt64(HGC_FLAG_WEAK) == 0
               && (flags & UInt64(HGC_FLAG_PINNED) != 0) == pinned && (flags & UInt64(HGC_FLAG_READONLY) != 0) == readonly,
               "\(call): metadata 0x\(String(v.metadata, radix: 16)) (pinned \(pinned), read-only \(readonly))")
        expect(objects[object].finalized == 0, "\(call): a new handle to object \(object), finalized already")
        expect(strongIndex[heap][v.box_handle] == nil, "\(call): a handle issued twice")
        objects[object].handles += 1
        strongIndex[heap][v.box_handle] = strong[heap].count
        strong[heap].append(StrongRecord(value: v, object: object, heap: heap, pinned: pinned, bridged: bridged, readonly: readonly))
        expect(objectID(of: v, heap: heap) == object, "\(call): the payload of the returned value does not name object \(object)")
    }

    /// The id in the payload of a valid strong value (read through hgc_payload_const).
    func objectID(of v: hgc_value, heap: Int) -> Int {
        var payload: UnsafeRawPointer? = nil
        var size: UInt64 = 0
        let status = CrossBoundary.hgc_payload_const(heaps[heap]!.handle, v, &payload, &size)
        expect(status == HGC_OK && payload != nil, "hgc_payload_const of a valid value: status \(status.rawValue)")
        return PayloadWord(payload!.load(as: UInt64.self)).id
    }

    /// Drops a released or unpinned value (swap-remove, keeping the index right).
    func retire(strong index: Int, heap: Int) {
        let r = strong[heap][index]
        strongIndex[heap][r.value.box_handle] = nil
        objects[r.object].handles -= 1
        let last = strong[heap].removeLast()
        if index < strong[heap].count {
            strong[heap][index] = last
            strongIndex[heap][last.value.box_handle] = index
        }
        stale.append((r.value, heaps[heap]!.handle))
    }

    func addWeak(_ record: WeakRecord) {
        if weakIndex[record.heap][ValueBits(record.value)] == nil {
            weakIndex[record.heap][ValueBits(record.value)] = weak[record.heap].count
        }
        weak[record.heap].append(record)
    }

    /// Adds `delta` pins to `object`, keeping its heap's pinned-object count.
    func pins(_ object: Int, _ delta: Int) {
        let before = objects[object].pins
        objects[object].pins += delta
        let heap = objects[object].heap
        guard heaps[heap]?.handle == objects[object].owner else { return }
        if before == 0 && objects[object].pins > 0 { pinnedObjects[heap] += 1 }
        if before > 0 && objects[object].pins == 0 { pinnedObjects[heap] -= 1 }
    }

    // MARK: Reachability

    /// Marks the objects of `heap` the model reaches from its strong values; then
    /// `reached(id)` says whether it reached `id`.
    func markReachable(heap: Int) {
        epoch &+= 1
        var work = strong[heap].map(\.object)
        while let id = work.popLast() {
            guard mark[id] != epoch else { continue }
            mark[id] = epoch
            for case let child? in objects[id].slots where mark[child] != epoch { work.append(child) }
        }
    }

    func reached(_ id: Int) -> Bool { mark[id] == epoch }

    /// Points `object`'s slot at `target`, keeping the targets' inbound counts.
    func setSlot(_ object: Int, _ slot: Int, _ target: Int?) {
        if let old = objects[object].slots[slot] { objects[old].inbound -= 1 }
        if let target { objects[target].inbound += 1 }
        objects[object].slots[slot] = target
    }

    /// After each call: what the heap finalized was unreachable, and finalized once.
    ///
    ///     for each finalized X: clear X's slots          (its references go with it)
    ///     for each finalized X of a live heap:
    ///         if X has a handle or an unfinalized object names X:
    ///             mark from the roots; X must not be marked
    ///
    /// The counts make the common case constant work: with no handle and no
    /// unfinalized object naming it, X is unreachable (a path to X ends in a
    /// handle's object or an unfinalized object naming X; finalized objects have no
    /// slots in the model). Only a suspect pays for the walk.
    func checkFinalized() {
        guard !finalizedNow.isEmpty else { return }
        for id in finalizedNow {
            expect(objects[id].finalized == 1, "object \(id) finalized \(objects[id].finalized) times")
            for slot in objects[id].slots.indices { setSlot(id, slot, nil) }
            unfinalized[objects[id].heap].remove(id)
        }
        var marked: Set<Int> = []
        for id in finalizedNow where objects[id].handles > 0 || objects[id].inbound > 0 {
            let heap = objects[id].heap
            guard heaps[heap]?.handle == objects[id].owner else { continue }  // its heap is being destroyed
            if marked.insert(heap).inserted { markReachable(heap: heap) }
            expect(!reached(id), "object \(id) finalized while the model reaches it")
        }
        finalizedNow.removeAll()
    }

    /// After a full collection of `heap`: every unreachable object is finalized.
    func checkNoGarbageLeft(heap: Int, _ call: String) {
        markReachable(heap: heap)
        for id in unfinalized[heap] where !reached(id) {
            fail("\(call): object \(id) is unreachable but was not finalized by a full collection")
        }
    }

    /// The heap's handle and pin counts agree with the model.
    func checkStatistics(heap: Int) {
        guard let h = heaps[heap], !h.destroying else { return }
        var stats = hgc_heap_stats()
        stats.size = UInt32(MemoryLayout<hgc_heap_stats>.size)
        expectStatus(CrossBoundary.hgc_heap_statistics(h.handle, &stats), HGC_OK, "hgc_heap_statistics")
        let handles = strong[heap].count
        expect(stats.handles == UInt64(handles), "the heap holds \(stats.handles) handles, the model \(handles)")
        let pinned = pinnedObjects[heap]
        expect(stats.pinned_objects == UInt64(pinned), "the heap pins \(stats.pinned_objects) objects, the model \(pinned)")
    }

    // MARK: Callbacks

    func finalized(_ payload: UnsafeMutableRawPointer) {
        let word = PayloadWord(payload.load(as: UInt64.self))
        expect(word.id < objects.count, "a finalizer ran for an object the model never allocated (id \(word.id))")
        objects[word.id].finalized += 1
        finalizedNow.append(word.id)
        guard let heap = heaps[word.heapSlot] else { return }
        let destroying = heap.destroying
        switch word.misbehaviour {
        case .collects:
            let s = CrossBoundary.hgc_collect(heap.handle, HGC_COLLECT_FULL)
            expect(s == HGC_ERR_REENTRANT || (destroying && s == HGC_ERR_HEAP_DESTROYED), "hgc_collect from a finalizer: status \(s.rawValue)")
        case .destroysHeap:
            let s = CrossBoundary.hgc_heap_destroy(heap.handle)
            expect(s == HGC_ERR_REENTRANT || (destroying && s == HGC_ERR_HEAP_DESTROYED), "hgc_heap_destroy from a finalizer: status \(s.rawValue)")
        case .allocates:
            var v = hgc_value()
            let s = CrossBoundary.hgc_alloc(heap.handle, FuzzType.leaf, 0, &v)
            if destroying && s != HGC_OK { return }
            expectStatus(s, HGC_OK, "hgc_alloc from a finalizer")
            let id = newObject(heap: word.heapSlot, isNode: false, value: v)
            expectStatus(CrossBoundary.hgc_release(heap.handle, v), HGC_OK, "hgc_release from a finalizer")
            _ = id
        default:
            break
        }
    }

    /// Writes the payload word of a new object and records it (no handle kept).
    func newObject(heap: Int, isNode: Bool, value v: hgc_value, misbehaviour: Misbehaviour = .none) -> Int {
        let id = objects.count
        mark.append(0)
        unfinalized[heap].insert(id)
        objects.append(ModelObject(heap: heap, owner: heaps[heap]!.handle, isNode: isNode, slots: Array(repeating: nil, count: isNode ? FuzzType.nodeSlots : 0)))
        var payload: UnsafeMutableRawPointer? = nil
        var size: UInt64 = 0
        expectStatus(CrossBoundary.hgc_payload(heaps[heap]!.handle, v, &payload, &size), HGC_OK, "hgc_payload of a new object")
        payload!.storeBytes(of: PayloadWord(id: id, misbehaviour: misbehaviour, heapSlot: heap).word, as: UInt64.self)
        return id
    }

    func describe(_ payload: UnsafeRawPointer, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
        let word = PayloadWord(payload.load(as: UInt64.self))
        switch word.misbehaviour {
        case .liesAboutLength:
            return Int(bitPattern: UInt(Int.max) &+ 1)  // SIZE_MAX / 2 + 1: no buffer is that long
        case .collectsInToString:
            if let heap = heaps[word.heapSlot] { _ = CrossBoundary.hgc_collect(heap.handle, HGC_COLLECT_MINOR) }
        default:
            break
        }
        let text = Array("n\(word.id)".utf8)
        if let buffer {
            for i in 0..<min(text.count, capacity) { buffer[i] = CChar(bitPattern: text[i]) }
        }
        return text.count
    }
}
