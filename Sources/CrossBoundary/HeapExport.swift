import CHakoGC
import GcCore
import Glibc
import Synchronization

// The heap calls of the C ABI. Each one validates the heap handle, the calling
// thread and every value before touching the heap; a failure is a status (with a
// message in hgc_last_error) and changes nothing.

/// A checked heap for the calling thread, or the status to return.
/// Calls allowed while a joint collection is marking (from bridge callbacks and
/// vtable traces): they read, or report reachability, and change no count.
let callsAllowedWhileMarking: Set<String> = [
    "hgc_bridge_reach", "hgc_payload", "hgc_payload_const", "hgc_same", "hgc_to_string", "hgc_heap_statistics", "hgc_collect",
]

func withHeap(_ handle: hgc_heap, _ call: StaticString, _ body: (ForeignHeap) throws(StatusError) -> hgc_status) -> hgc_status {
    // No lock, no retain: HeapTable.lookup reads the slot's words, and a heap is
    // handed out only to its owner thread, which alone can destroy it (HeapTable's
    // comment has the argument).
    switch HeapTable.lookup(handle, thread: pthread_self()) {
    case .destroyed:
        return LastError.fail(HGC_ERR_HEAP_DESTROYED, "\(call): heap handle 0x\(String(handle, radix: 16)) is destroyed or was never issued")
    case .wrongThread:
        return LastError.fail(HGC_ERR_WRONG_THREAD, "\(call): the heap belongs to another thread (hgc_heap_transfer moves it)")
    case .owned(let unmanaged):
        // SAFETY: the table holds a count until hgc_heap_destroy, which releases it
        // only after its own withHeap has returned.
        return unmanaged._withUnsafeGuaranteedRef { (foreign) -> hgc_status in
            // Counts must not move while a collection reads them: inside a vtable trace
            // or a bridge callback (a joint collection's marking), both of which run
            // inside the heap's user-trace window (one inlined load).
            guard !foreign.heap.isRunningTrace || callsAllowedWhileMarking.contains("\(call)") else {
                return LastError.fail(HGC_ERR_REENTRANT, "\(call): not allowed while a collection reads the heap (vtable traces and bridge marking callbacks may only read and call hgc_bridge_reach)")
            }
            foreign.depth += 1
            defer { foreign.depth -= 1 }
            do throws(StatusError) {
                return try body(foreign)
            } catch {
                return error.status
            }
        }
    }
}

/// The object behind a strong (or pinned) boxed value, checked, with what its
/// handle's entry records: a pin, and whether the value is read-only (the entry's
/// or the value's own READONLY). Flags that disagree with the entry or the object
/// are refused (ValueFlags).
func resolve(_ v: hgc_value, in foreign: ForeignHeap, _ call: StaticString)
    -> Result<(object: ObjectRef, pinned: Bool, readonly: Bool), StatusError>
{
    let tag = UInt32(ValueLayout.tag(v))
    guard tag == HGC_TAG_BOXED || tag == HGC_TAG_ASYNC else {
        return .failure(StatusError(status: LastError.fail(
            tag <= HGC_TAG_VOID ? HGC_ERR_NOT_APPLICABLE : HGC_ERR_BAD_TAG,
            "\(call): the value is not boxed (tag \(ValueLayout.tag(v)))")))
    }
    let flags = v.metadata & ValueLayout.payloadMask
    guard flags & ~ValueLayout.knownFlags == 0 else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_UNKNOWN_FLAGS, "\(call): unknown flag bits 0x\(String(flags, radix: 16))")))
    }
    guard flags & HGC_FLAG_WEAK == 0 else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_NOT_APPLICABLE, "\(call): a weak value must be upgraded first (hgc_upgrade)")))
    }
    if foreign.trusted { return resolveTrusted(v, in: foreign, call) }
    switch foreign.handles.lookup(v.box_handle) {
    case .forged:
        return .failure(StatusError(status: LastError.fail(HGC_ERR_FORGED_HANDLE, "\(call): box handle 0x\(String(v.box_handle, radix: 16)) was never issued by this heap")))
    case .stale:
        return .failure(StatusError(status: LastError.fail(HGC_ERR_STALE_HANDLE, "\(call): box handle 0x\(String(v.box_handle, radix: 16)) was released already")))
    case .object(let object, let pinned, let readonly):
        guard foreign.heap.typeID(of: object) == v.type_id else {
            return .failure(StatusError(status: LastError.fail(HGC_ERR_WRONG_TYPE, "\(call): type id 0x\(String(v.type_id, radix: 16)) does not match the object's type \(foreign.heap.type(of: object).name)")))
        }
        if !ValueFlags.consistent(v, pinned: pinned, readonly: readonly),
           let why = ValueFlags.asyncMismatch(v) ?? ValueFlags.handleMismatch(v, pinned: pinned, readonly: readonly) {
            return .failure(StatusError(status: LastError.fail(HGC_ERR_MALFORMED_VALUE, "\(call): \(why)")))
        }
        return .success((object, pinned, readonly || flags & HGC_FLAG_READONLY != 0))
    }
}

/// A new strong handle value for `object` (one count already taken for it).
func strongValue(_ object: ObjectRef, in foreign: ForeignHeap, pinned: Bool = false, bridged: Bool = false,
                 readonly: Bool = false) -> hgc_value {
    let typeID = foreign.heap.type(of: object).typeID
    // Trusted: the value is the handle; the count (and pin) it owns sit on the object.
    let handle = foreign.trusted ? UInt64(object.bits)
        : foreign.handles.adopt(object, pinned: pinned, bridged: bridged, readonly: readonly)
    return hgc_value(type_id: typeID, box_handle: handle,
                     metadata: ValueFlags.metadata(typeID: typeID, pinned: pinned, readonly: readonly))
}

let heapsCreated = Atomic<Int>(0)

/// The largest payload `hgc_alloc` accepts.
let maxPayloadBytes = 1 << 30

/// Types registered from Swift (GcTypes) hold Swift values that C must not create
/// or write: only C-registered and built-in types are open to the ABI.
func isSwiftType(_ type: TypeDescriptor) -> Bool {
    type.swiftType != nil || (type.drop != nil && !(type.userData is ForeignVTable))
}

func nullValue() -> hgc_value {
    hgc_value(type_id: HGC_TYPE_NULL, box_handle: 0, metadata: UInt64(HGC_TAG_NULL) << ValueLayout.tagShift)
}

@_cdecl("hgc_heap_create")
public func hgc_heap_create(_ out: UnsafeMutablePointer<hgc_heap>?) -> hgc_status {
    guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_heap_create: out_heap is required") }
    guard let heap = createHeap() else { return heapTableFull("hgc_heap_create") }
    out.pointee = heap
    return HGC_OK
}

func heapTableFull(_ call: String) -> hgc_status {
    LastError.fail(HGC_ERR_OUT_OF_MEMORY, "\(call): the heap table is full (2^24 - 1 heaps alive, or every slot's generations used); destroy a heap first")
}

/// A new heap in the heap table (nil when the table is full). `weakLimits` is the
/// test hook for weak-slot exhaustion (the ABI's limits otherwise); it is not in hakogc.h.
func createHeap(weakLimits: WeakHandle.Limits = .abi, trusted: Bool = false) -> hgc_heap? {
    BuiltinTypes.ensureRegistered()
    // Salts differ from heap to heap, so one heap's handles fail another's check.
    let salt = UInt16(truncatingIfNeeded: heapsCreated.add(1, ordering: .relaxed).newValue &* 0x9E37)
    return HeapTable.insert(ForeignHeap(salt: salt, weakLimits: weakLimits, trusted: trusted))
}

@_cdecl("hgc_heap_destroy")
public func hgc_heap_destroy(_ handle: hgc_heap) -> hgc_status {
    // The table's count on the heap, released once withHeap no longer uses it.
    var removed: Unmanaged<ForeignHeap>?
    defer { removed?.release() }
    return withHeap(handle, "hgc_heap_destroy") { (foreign) throws(StatusError) -> hgc_status in
        // depth: inside another call of this heap; isBusy: inside a finalizer or a
        // collection reached without one (a trusted inline release's slow path).
        guard foreign.depth == 1 && !foreign.heap.isBusy else {
            return LastError.fail(HGC_ERR_REENTRANT, "hgc_heap_destroy: called from inside another call on the same heap (a finalizer or callback)")
        }
        removed = HeapTable.remove(handle)
        foreign.heap.collectionBridge = nil
        foreign.bridge = nil
        for (object, pinned) in foreign.handles.drain() {
            if pinned { try? foreign.heap.unpin(object) }
            foreign.heap.release(object)
        }
        for object in foreign.bridgedPins.drain() {
            try? foreign.heap.unpin(object)
            foreign.heap.release(object)
        }
        foreign.heap.collect(.full)
        return HGC_OK
    }
}

@_cdecl("hgc_heap_transfer")
public func hgc_heap_transfer(_ handle: hgc_heap) -> hgc_status {
    guard let foreign = HeapTable.transfer(handle) else {
        return LastError.fail(HGC_ERR_HEAP_DESTROYED, "hgc_heap_transfer: heap handle is destroyed or was never issued")
    }
    defer { foreign.release() }
    foreign.takeUnretainedValue().heap.transferOwnership()
    return HGC_OK
}

@_cdecl("hgc_alloc")
public func hgc_alloc(_ handle: hgc_heap, _ typeID: UInt64, _ payloadSize: UInt64, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    withHeap(handle, "hgc_alloc") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_alloc: out is required") }
        guard let type = TypeRegistry.shared.descriptor(forID: typeID), typeID != HGC_TYPE_NULL,
              typeID != HGC_TYPE_VOID, typeID != HGC_TYPE_BOOL else {
            return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "hgc_alloc: no boxable type is registered under id 0x\(String(typeID, radix: 16))")
        }
        guard !isSwiftType(type) else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_alloc: \(type.name) holds Swift values; it is allocated from Swift only")
        }
        let bytes = payloadSize == 0 ? type.payloadSize : Int(clamping: payloadSize)
        guard bytes >= type.payloadSize, bytes <= maxPayloadBytes else {
            return LastError.fail(HGC_ERR_BAD_SIZE, "hgc_alloc: payload size \(payloadSize) is below \(type.name)'s \(type.payloadSize) bytes or above 1 GiB")
        }
        do {
            let object = try foreign.heap.allocate(type, payloadBytes: bytes)
            out.pointee = strongValue(object, in: foreign)
            return HGC_OK
        } catch {
            return LastError.fail(HGC_ERR_OUT_OF_MEMORY, "hgc_alloc: \(error)")
        }
    }
}

@_cdecl("hgc_retain")
public func hgc_retain(_ handle: hgc_heap, _ value: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    withHeap(handle, "hgc_retain") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_retain: out is required") }
        switch resolve(value, in: foreign, "hgc_retain") {
        case .failure(let e): return e.status
        case .success(let r):
            foreign.heap.retain(r.object)
            out.pointee = strongValue(r.object, in: foreign, readonly: r.readonly)
            return HGC_OK
        }
    }
}

@_cdecl("hgc_release")
public func hgc_release(_ handle: hgc_heap, _ value: hgc_value) -> hgc_status {
    withHeap(handle, "hgc_release") { (foreign) throws(StatusError) -> hgc_status in
        switch resolve(value, in: foreign, "hgc_release") {
        case .failure(let e): return e.status
        case .success(let r):
            if r.pinned { return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_release: a pinned value is given back with hgc_unpin") }
            if !foreign.trusted { foreign.handles.remove(value.box_handle) }
            foreign.heap.release(r.object)
            return HGC_OK
        }
    }
}

@_cdecl("hgc_payload")
public func hgc_payload(
    _ handle: hgc_heap, _ value: hgc_value, _ outPayload: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ outSize: UnsafeMutablePointer<UInt64>?
) -> hgc_status {
    payloadAccess(handle, value, "hgc_payload", writable: true, hasOut: outPayload != nil, outSize) { outPayload?.pointee = $0 }
}

/// `hgc_payload_const`: the payload for reading, through any strong value,
/// read-only ones included.
@_cdecl("hgc_payload_const")
public func hgc_payload_const(
    _ handle: hgc_heap, _ value: hgc_value, _ outPayload: UnsafeMutablePointer<UnsafeRawPointer?>?,
    _ outSize: UnsafeMutablePointer<UInt64>?
) -> hgc_status {
    payloadAccess(handle, value, "hgc_payload_const", writable: false, hasOut: outPayload != nil, outSize) {
        outPayload?.pointee = UnsafeRawPointer($0)
    }
}

/// The checks both payload calls make; `deliver` stores the address in the
/// caller's out-pointer (`hasOut`: it is not null).
private func payloadAccess(
    _ handle: hgc_heap, _ value: hgc_value, _ call: StaticString, writable: Bool, hasOut: Bool,
    _ outSize: UnsafeMutablePointer<UInt64>?, _ deliver: (UnsafeMutableRawPointer) -> Void
) -> hgc_status {
    withHeap(handle, call) { (foreign) throws(StatusError) -> hgc_status in
        guard hasOut else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "\(call): out_payload is required") }
        let r = try resolve(value, in: foreign, call).get()
        guard !isSwiftType(foreign.heap.type(of: r.object)) else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "\(call): the object holds Swift values; C may not touch its payload")
        }
        guard !(writable && r.readonly) else {
            return ValueFlags.readonly(call, "a writable payload through a read-only value; hgc_payload_const reads it").status
        }
        deliver(r.object.payload)
        outSize?.pointee = UInt64(foreign.heap.payloadCapacity(of: r.object))
        return HGC_OK
    }
}

/// The reference slot `slot` of `object`'s type, or the status to return.
func slotOffset(_ object: ObjectRef, _ slot: UInt32, in foreign: ForeignHeap, _ call: StaticString) -> Result<Int, StatusError> {
    let type = foreign.heap.type(of: object)
    guard Int(slot) < type.referenceOffsets.count else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_SLOT, "\(call): \(type.name) has \(type.referenceOffsets.count) reference slots, not slot \(slot)")))
    }
    return .success(type.referenceOffsets[Int(slot)])
}

@_cdecl("hgc_load")
public func hgc_load(_ handle: hgc_heap, _ object: hgc_value, _ slot: UInt32, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    withHeap(handle, "hgc_load") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_load: out is required") }
        let r = try resolve(object, in: foreign, "hgc_load").get()
        let offset = try slotOffset(r.object, slot, in: foreign, "hgc_load").get()
        if let target = foreign.heap.loadReference(from: r.object, offset: offset) {
            foreign.heap.retain(target)
            out.pointee = strongValue(target, in: foreign)
        } else {
            out.pointee = nullValue()
        }
        return HGC_OK
    }
}

@_cdecl("hgc_store")
public func hgc_store(_ handle: hgc_heap, _ object: hgc_value, _ slot: UInt32, _ value: hgc_value) -> hgc_status {
    withHeap(handle, "hgc_store") { (foreign) throws(StatusError) -> hgc_status in
        let r = try resolve(object, in: foreign, "hgc_store").get()
        guard !r.readonly else { throw ValueFlags.readonly("hgc_store", "a store into a read-only object") }
        let offset = try slotOffset(r.object, slot, in: foreign, "hgc_store").get()
        var target: ObjectRef?
        if UInt32(ValueLayout.tag(value)) == HGC_TAG_NULL {
            let shape = validate(value)
            guard shape == HGC_OK else { return shape }
        } else {
            let t = try resolve(value, in: foreign, "hgc_store").get()
            // A slot holds no flags: loading it back would give a writable value.
            guard !t.readonly else { throw ValueFlags.readonly("hgc_store", "a read-only value cannot be stored in a slot") }
            target = t.object
        }
        foreign.heap.storeReference(target, into: r.object, offset: offset)
        return HGC_OK
    }
}

@_cdecl("hgc_same")
public func hgc_same(_ handle: hgc_heap, _ a: hgc_value, _ b: hgc_value, _ out: UnsafeMutablePointer<Int32>?) -> hgc_status {
    withHeap(handle, "hgc_same") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_same: out_same is required") }
        let x = try resolve(a, in: foreign, "hgc_same").get()
        let y = try resolve(b, in: foreign, "hgc_same").get()
        out.pointee = x.object == y.object ? 1 : 0
        return HGC_OK
    }
}

/// A new pinned value for `value`'s object: its own handle (one count) plus one pin.
/// `bridged`: the pin belongs to a foreign object (not a root in a joint collection).
func pinValue(_ handle: hgc_heap, _ value: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?,
              bridged: Bool, _ call: StaticString) -> hgc_status {
    withHeap(handle, call) { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "\(call): out_pinned is required") }
        let r = try resolve(value, in: foreign, call).get()
        foreign.heap.retain(r.object)
        foreign.heap.pin(r.object)
        if bridged && foreign.trusted { foreign.bridgedPins.add(r.object) }
        out.pointee = strongValue(r.object, in: foreign, pinned: true, bridged: bridged, readonly: r.readonly)
        return HGC_OK
    }
}

@_cdecl("hgc_pin")
public func hgc_pin(_ handle: hgc_heap, _ value: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    pinValue(handle, value, out, bridged: false, "hgc_pin")
}

@_cdecl("hgc_unpin")
public func hgc_unpin(_ handle: hgc_heap, _ value: hgc_value) -> hgc_status {
    withHeap(handle, "hgc_unpin") { (foreign) throws(StatusError) -> hgc_status in
        let r = try resolve(value, in: foreign, "hgc_unpin").get()
        guard r.pinned else { return LastError.fail(HGC_ERR_NOT_PINNED, "hgc_unpin: the value is not a pinned value (hgc_pin returns one)") }
        if foreign.trusted {
            // The PINNED flag is the caller's word here: the heap's pin count decides.
            // Plain pins go first; once only bridged ones are left, this is one of them.
            let bridgedPins = foreign.bridgedPins.count(of: r.object)
            guard (try? foreign.heap.unpin(r.object)) != nil else {
                return LastError.fail(HGC_ERR_NOT_PINNED, "hgc_unpin: the object holds no pin")
            }
            if foreign.heap.pinCount(r.object) < bridgedPins { foreign.bridgedPins.removeOne(r.object) }
            foreign.heap.release(r.object)
            return HGC_OK
        }
        foreign.handles.remove(value.box_handle)
        try? foreign.heap.unpin(r.object)
        foreign.heap.release(r.object)
        return HGC_OK
    }
}

@_cdecl("hgc_collect")
public func hgc_collect(_ handle: hgc_heap, _ kind: UInt32) -> hgc_status {
    withHeap(handle, "hgc_collect") { (foreign) throws(StatusError) -> hgc_status in
        guard kind == HGC_COLLECT_MINOR || kind == HGC_COLLECT_FULL else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_collect: kind \(kind) is not HGC_COLLECT_MINOR or HGC_COLLECT_FULL")
        }
        let event = foreign.heap.collect(kind == HGC_COLLECT_FULL ? .full : .minor)
        guard let event else {
            return LastError.fail(HGC_ERR_REENTRANT, "hgc_collect: called from a finalizer or from inside a collection (a trace or bridge callback); the collection runs when that work ends")
        }
        _ = event
        return HGC_OK
    }
}

@_cdecl("hgc_heap_statistics")
public func hgc_heap_statistics(_ handle: hgc_heap, _ stats: UnsafeMutablePointer<hgc_heap_stats>?) -> hgc_status {
    withHeap(handle, "hgc_heap_statistics") { (foreign) throws(StatusError) -> hgc_status in
        guard let stats else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_heap_statistics: stats is required") }
        let size = SizePrefixed.declaredSize(stats)  // the caller owns only `size` bytes
        guard size >= 8 else { return LastError.fail(HGC_ERR_BAD_SIZE, "hgc_heap_statistics: stats->size \(size) is too small") }
        let s = foreign.heap.statistics()
        var full = hgc_heap_stats()
        full.size = UInt32(min(size, MemoryLayout<hgc_heap_stats>.size))
        full.live_objects = UInt64(s.liveObjects)
        full.live_bytes = UInt64(s.liveBytes)
        full.allocated_objects = UInt64(s.allocatedObjects)
        full.freed_objects = UInt64(s.freedObjects)
        full.minor_collections = UInt64(s.minorCollections)
        full.full_collections = UInt64(s.fullCollections)
        full.total_pause_ns = s.totalPauseNanos
        full.max_pause_ns = s.maxPauseNanos
        full.finalizers_run = UInt64(s.finalizersRun)
        full.handles = UInt64(foreign.handles.live)
        full.pinned_objects = UInt64(s.pinnedObjects)
        let bytes = Int(full.size)
        withUnsafeBytes(of: &full) {
            UnsafeMutableRawPointer(stats).copyMemory(from: $0.baseAddress!, byteCount: bytes)
        }
        return HGC_OK
    }
}
