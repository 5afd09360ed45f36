import CHakoGC
import GcCore
import Glibc

// Heap modes (hakogc.h, "Added in 0x0105"; docs/abi.md, "Modes"). A trusted heap's
// box handle is its object's header address: the hot operations are static inline
// functions in hakogc.h that read and write the header (HGC_HEADER_LAYOUT, checked
// against ObjectHeader.swift by TrustedLayoutTests) and call the slow paths here.
// The slow paths take no heap handle and no lock: an object's page names its heap.
// Everything else in the ABI works on trusted values too, through `resolveTrusted`.

/// `HAKOGC_ABI_CHECKED=1`, read once, when the first heap is created with
/// options: every heap created afterwards is checked, whatever its options ask.
/// `0` or empty: off. Anything else stops the process there — a typo must not leave
/// a runtime that is being debugged on trusted heaps without a word.
let forcedChecked: Bool = {
    guard let raw = getenv("HAKOGC_ABI_CHECKED") else { return false }
    switch String(cString: raw) {
    case "1": return true
    case "0", "": return false
    case let other: fatalError("HakoGC: HAKOGC_ABI_CHECKED=\(other) is not 1 or 0")
    }
}()

@_cdecl("hgc_heap_create_with")
public func hgc_heap_create_with(
    _ options: UnsafePointer<hgc_heap_options>?, _ out: UnsafeMutablePointer<hgc_heap>?
) -> hgc_status {
    guard let options, let out else {
        return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_heap_create_with: options and out_heap are required")
    }
    // The size first, then only the bytes it declares; `header_layout` must be there.
    let minimum = MemoryLayout<hgc_heap_options>.offset(of: \.header_layout)! + 4
    guard let (o, _) = SizePrefixed.copy(options, minimum: minimum, zero: hgc_heap_options()) else {
        return LastError.fail(HGC_ERR_ABI_MISMATCH, "hgc_heap_create_with: options->size \(SizePrefixed.declaredSize(options)) is below \(minimum)")
    }
    guard o.mode == HGC_MODE_CHECKED || o.mode == HGC_MODE_TRUSTED, o.reserved == 0 else {
        return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_heap_create_with: mode \(o.mode) is not HGC_MODE_CHECKED or HGC_MODE_TRUSTED, or reserved is set")
    }
    let trusted = o.mode == HGC_MODE_TRUSTED && !forcedChecked
    guard !trusted || o.header_layout == HGC_HEADER_LAYOUT else {
        return LastError.fail(HGC_ERR_ABI_MISMATCH, "hgc_heap_create_with: the caller's inline calls use header layout \(o.header_layout); this library's is \(HGC_HEADER_LAYOUT)")
    }
    guard let heap = createHeap(trusted: trusted) else { return heapTableFull("hgc_heap_create_with") }
    out.pointee = heap
    return HGC_OK
}

@_cdecl("hgc_heap_mode")
public func hgc_heap_mode(_ handle: hgc_heap, _ out: UnsafeMutablePointer<UInt32>?) -> hgc_status {
    withHeap(handle, "hgc_heap_mode") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_heap_mode: out_mode is required") }
        out.pointee = foreign.trusted ? HGC_MODE_TRUSTED : HGC_MODE_CHECKED
        return HGC_OK
    }
}

@_cdecl("hgc_type_id_table")
public func hgc_type_id_table() -> UnsafePointer<UInt64> {
    BuiltinTypes.ensureRegistered()
    return UnsafePointer(TypeRegistry.shared.typeIDTable)
}

/// A trusted value's object, as `resolve` returns it. What stays cheap is checked: a
/// boxed tag, known flags, not weak, a non-null handle, and the type id against the
/// object's header. That the address is a live object of this heap is trusted.
/// PINNED and READONLY are the value's own word (the heap's pin count still decides
/// `hgc_unpin`).
func resolveTrusted(_ v: hgc_value, in foreign: ForeignHeap, _ call: StaticString)
    -> Result<(object: ObjectRef, pinned: Bool, readonly: Bool), StatusError>
{
    guard let object = ObjectRef(bits: UInt(v.box_handle)) else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_NOT_APPLICABLE, "\(call): the value has no box handle")))
    }
    guard foreign.heap.typeID(of: object) == v.type_id else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_WRONG_TYPE, "\(call): type id 0x\(String(v.type_id, radix: 16)) does not match the object's type \(foreign.heap.type(of: object).name)")))
    }
    if let why = ValueFlags.asyncMismatch(v) {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_MALFORMED_VALUE, "\(call): \(why)")))
    }
    return .success((object, v.metadata & HGC_FLAG_PINNED != 0, v.metadata & HGC_FLAG_READONLY != 0))
}

/// The object of a value given to a slow path, or the status to return: the checks
/// the inline functions make, repeated (they sent it here when one failed).
private func trustedObject(_ v: hgc_value, _ call: StaticString) -> Result<ObjectRef, StatusError> {
    guard v.metadata & HGC_FLAG_WEAK == 0, let object = ObjectRef(bits: UInt(v.box_handle)) else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_NOT_APPLICABLE, "\(call): the value has no box handle, or is weak")))
    }
    return .success(object)
}

/// Refuses count changes while the collector reads the heap (a vtable trace or a
/// bridge callback), as `withHeap` does for the checked calls.
private func refusedWhileTracing(_ object: ObjectRef, _ call: StaticString) -> hgc_status? {
    refusedWhileTracing(Heap.owning(object), call)
}

private func refusedWhileTracing(_ heap: Heap, _ call: StaticString) -> hgc_status? {
    guard heap.isRunningTrace else { return nil }  // bridge callbacks included
    return LastError.fail(HGC_ERR_REENTRANT, "\(call): not allowed while a collection reads the heap (vtable traces and bridge marking callbacks)")
}

@_cdecl("hgc_trusted_retain_slow")
public func hgc_trusted_retain_slow(_ v: hgc_value) -> hgc_status {
    switch trustedObject(v, "hgc_trusted_retain") {
    case .failure(let e): return e.status
    case .success(let object):
        // A freed object or a count at 2³² − 1 stops the process with the heap's message.
        Heap.retain(object)
        return HGC_OK
    }
}

@_cdecl("hgc_trusted_release_slow")
public func hgc_trusted_release_slow(_ v: hgc_value) -> hgc_status {
    // The common case first, with no Result and no `Heap` value: a count reaching
    // zero or a cycle candidate, which every object of a runtime meets once
    // (callgrind, Benchmarks/c/abi_trusted_bench.c: alloc + release of a leaf
    // 318 → 217 instructions; `Heap.owning` made and retained a `Heap` here).
    guard v.metadata & (HGC_FLAG_WEAK | HGC_FLAG_PINNED) == 0, let object = ObjectRef(bits: UInt(v.box_handle)) else {
        return trustedReleaseRefused(v)
    }
    if Heap.isRunningTrace(owning: object) { return refusedWhileTracing(object, "hgc_trusted_release")! }
    Heap.release(object)
    return HGC_OK
}

@inline(never)
private func trustedReleaseRefused(_ v: hgc_value) -> hgc_status {
    if case .failure(let e) = trustedObject(v, "hgc_trusted_release") { return e.status }
    return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_trusted_release: a pinned value is given back with hgc_unpin")
}

@_cdecl("hgc_trusted_store_slow")
public func hgc_trusted_store_slow(_ object: hgc_value, _ offset: UInt32, _ value: hgc_value) -> hgc_status {
    let target: ObjectRef
    switch trustedObject(object, "hgc_trusted_store") {
    case .failure(let e): return e.status
    case .success(let o): target = o
    }
    if (object.metadata | value.metadata) & HGC_FLAG_READONLY != 0 {
        return ValueFlags.readonly("hgc_trusted_store", "a store into, or of, a read-only value").status
    }
    var stored: ObjectRef?
    if value.box_handle != 0 || UInt32(ValueLayout.tag(value)) != HGC_TAG_NULL {
        switch trustedObject(value, "hgc_trusted_store") {
        case .failure(let e): return e.status
        case .success(let o): stored = o
        }
    }
    if let refused = refusedWhileTracing(target, "hgc_trusted_store") { return refused }
    // The barrier, the retain of the new target and the release of the old one; a
    // target of another heap stops the process with the heap's message.
    Heap.owning(target).storeReference(stored, into: target, offset: Int(offset))
    return HGC_OK
}

/// What `hgc_trusted_allocator` hands out: one type of one trusted heap, resolved
/// once. C holds `state`, an `hgc_allocator` the inline `hgc_trusted_alloc` reads
/// (`Heap.inlineAllocation`), whose `library` field leads back here for the slow
/// path. Owned by its `ForeignHeap`, which keeps it (and so `state`) alive until the
/// heap is destroyed.
final class TrustedAllocator {
    let heap: Heap
    let type: Unmanaged<TypeDescriptor>
    let payloadSize: Int
    let typeID: UInt64
    let metadata: UInt64
    let state: UnsafeMutablePointer<hgc_allocator>

    init(heap: Heap, type: TypeDescriptor) {
        self.heap = heap
        self.type = Unmanaged.passUnretained(type)  // registered types live for good
        payloadSize = type.payloadSize
        typeID = type.typeID
        metadata = ValueFlags.metadata(typeID: type.typeID, pinned: false, readonly: false)
        let inline = heap.inlineAllocation(for: type)
        state = .allocate(capacity: 1)
        state.initialize(to: hgc_allocator(
            current_page: UnsafeMutableRawPointer(inline.currentPage).assumingMemoryBound(to: UInt64.self),
            budget: UnsafeMutableRawPointer(inline.budget).assumingMemoryBound(to: Int64.self),
            allocated_objects: UnsafeMutableRawPointer(inline.allocatedObjects).assumingMemoryBound(to: Int64.self),
            allocated_bytes: UnsafeMutableRawPointer(inline.allocatedBytes).assumingMemoryBound(to: Int64.self),
            epoch: inline.epoch,
            header_word: inline.headerWord,
            slot_bytes: Int64(inline.slotBytes),
            payload_size: UInt64(payloadSize),
            type_id: typeID,
            metadata: metadata,
            library: nil))
        state.pointee.library = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit { state.deallocate() }
}

@_cdecl("hgc_trusted_allocator")
public func hgc_trusted_allocator(
    _ handle: hgc_heap, _ typeID: UInt64, _ out: UnsafeMutablePointer<UnsafeMutablePointer<hgc_allocator>?>?
) -> hgc_status {
    withHeap(handle, "hgc_trusted_allocator") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_trusted_allocator: out_allocator is required") }
        guard foreign.trusted else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_trusted_allocator: the heap is checked (hgc_alloc allocates there)")
        }
        guard let type = TypeRegistry.shared.descriptor(forID: typeID), typeID != HGC_TYPE_NULL,
              typeID != HGC_TYPE_VOID, typeID != HGC_TYPE_BOOL else {
            return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "hgc_trusted_allocator: no boxable type is registered under id 0x\(String(typeID, radix: 16))")
        }
        guard !isSwiftType(type) else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_trusted_allocator: \(type.name) holds Swift values; it is allocated from Swift only")
        }
        let allocator = TrustedAllocator(heap: foreign.heap, type: type)
        foreign.allocators.append(allocator)
        out.pointee = allocator.state
        return HGC_OK
    }
}

@_cdecl("hgc_trusted_alloc_slow")
public func hgc_trusted_alloc_slow(_ allocator: UnsafeMutablePointer<hgc_allocator>?, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    guard let allocator, let out, let library = allocator.pointee.library else { return TrustedAllocator.missingArgument() }
    // SAFETY: trusted mode: `allocator` came from hgc_trusted_allocator on a heap not
    // destroyed since, whose ForeignHeap keeps it alive.
    return Unmanaged<TrustedAllocator>.fromOpaque(library)._withUnsafeGuaranteedRef {
        $0.allocate(into: out)
    }
}

extension TrustedAllocator {
    /// The out-of-line allocation, kept free of failure paths (they are out of
    /// line): callgrind counted 79 instructions per call around the heap's own
    /// allocation with a memset call and the messages inline. Since allocation became
    /// inline in hakogc.h, this runs only for refills, collections and shortages.
    @inline(__always)
    func allocate(into out: UnsafeMutablePointer<hgc_value>) -> hgc_status {
        // The inline path sends allocations here while a trace runs (its budget is
        // negative then); the heap would stop the process, the ABI says REENTRANT.
        if let refused = refusedWhileTracing(heap, "hgc_trusted_alloc") { return refused }
        guard let object = heap.allocateUninitialized(type) else { return TrustedAllocator.outOfMemory() }
        // Reference slots must read empty before anything can trace the object. A
        // slot's payload area is a multiple of 16 bytes at least `payloadSize` long,
        // so small payloads are zeroed by whole 16-byte stores (a memset call cost
        // 10 of ~80 instructions per allocation of a 16-byte node).
        let payload = object.payload
        if payloadSize <= 16 {
            payload.storeBytes(of: SIMD2<UInt64>(), as: SIMD2<UInt64>.self)
        } else if payloadSize <= 32 {
            payload.storeBytes(of: SIMD2<UInt64>(), as: SIMD2<UInt64>.self)
            payload.storeBytes(of: SIMD2<UInt64>(), toByteOffset: 16, as: SIMD2<UInt64>.self)
        } else {
            payload.initializeMemory(as: UInt8.self, repeating: 0, count: payloadSize)
        }
        out.pointee = hgc_value(type_id: typeID, box_handle: UInt64(object.bits), metadata: metadata)
        return HGC_OK
    }

    @inline(never)
    static func missingArgument() -> hgc_status {
        LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_trusted_alloc: allocator and out are required")
    }

    @inline(never)
    static func outOfMemory() -> hgc_status {
        LastError.fail(HGC_ERR_OUT_OF_MEMORY, "hgc_trusted_alloc: out of memory")
    }
}
