import CHakoGC
import GcCore

/// Weak boundary handles: `generation(24) << 40 | check(16) << 24 | (slot + 1)(24)`,
/// the check a CRC-16 over slot, generation, the value's READONLY flag and its type
/// id with the heap's salt, as for strong handles, so a forged or corrupted weak
/// value — or one with READONLY cleared or another type id — is refused rather than
/// upgraded.
enum WeakHandle {
    static let domain: UInt64 = 1 << 63  // keeps weak and strong checks apart
    static let readonlyBit: UInt64 = 1 << 48  // in the checked word only

    /// The checked word: slot, generation, read-only, and the value's type id xored
    /// in (a one-bit change stays one bit, which CRC-16 always detects), so that a
    /// weak value with a wrong type id is refused as forged even once its object is
    /// dead (found by the ABI fuzzer: it upgraded to null instead).
    private static func word(_ slot: UInt64, _ generation: UInt64, _ readonly: Bool, _ typeID: UInt64) -> UInt64 {
        (slot | generation << 24 | (readonly ? readonlyBit : 0) | domain) ^ typeID
    }

    /// The weak slots and generations a heap's weak handles can name. `.abi` is what
    /// 24-bit fields hold; tests pass smaller limits to reach exhaustion quickly
    /// through the same code.
    struct Limits {
        /// Slot indices 0..<slots.
        var slots: UInt32
        /// Generations 1...generations.
        var generations: UInt32
        static let abi = Limits(slots: (1 << 24) - 1, generations: (1 << 24) - 1)
    }

    static func encode(_ weak: WeakReference, readonly: Bool, typeID: UInt64, _ table: HandleTable, _ limits: Limits) -> UInt64? {
        guard weak.slot < limits.slots, weak.generation <= limits.generations else { return nil }
        let slot = UInt64(weak.slot + 1), generation = UInt64(weak.generation)
        let check = UInt64(table.check(word: word(slot, generation, readonly, typeID), bytes: 8))
        return generation << 40 | check << 24 | slot
    }

    static func decode(_ handle: UInt64, readonly: Bool, typeID: UInt64, _ table: HandleTable) -> WeakReference? {
        let slot = handle & 0xFF_FFFF, generation = handle >> 40
        guard slot != 0,
              UInt64(table.check(word: word(slot, generation, readonly, typeID), bytes: 8)) == (handle >> 24) & 0xFFFF
        else { return nil }
        return WeakReference(slot: UInt32(slot - 1), generation: UInt32(generation))
    }
}

@_cdecl("hgc_make_weak")
public func hgc_make_weak(_ handle: hgc_heap, _ value: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    withHeap(handle, "hgc_make_weak") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_make_weak: out_weak is required") }
        let r = try resolve(value, in: foreign, "hgc_make_weak").get()
        let reference = foreign.heap.makeWeak(r.object)
        guard let weak = WeakHandle.encode(reference, readonly: r.readonly, typeID: value.type_id, foreign.handles, foreign.weakLimits) else {
            // Slots whose generations ran out are retired (WeakTable), so this is
            // reached only when every slot a handle can name is in use or retired.
            return LastError.fail(HGC_ERR_OUT_OF_MEMORY, "hgc_make_weak: all \(foreign.weakLimits.slots) weak slots a weak handle can name are in use or retired")
        }
        // The strong value's tag and flags, but weak and never pinned.
        let metadata = ValueFlags.metadata(typeID: value.type_id, pinned: false, readonly: r.readonly) | HGC_FLAG_WEAK
        out.pointee = hgc_value(type_id: value.type_id, box_handle: weak, metadata: metadata)
        return HGC_OK
    }
}

@_cdecl("hgc_upgrade")
public func hgc_upgrade(_ handle: hgc_heap, _ weak: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    withHeap(handle, "hgc_upgrade") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_upgrade: out is required") }
        let tag = UInt32(ValueLayout.tag(weak))
        guard tag == HGC_TAG_BOXED || tag == HGC_TAG_ASYNC else {
            return LastError.fail(tag <= HGC_TAG_VOID ? HGC_ERR_NOT_APPLICABLE : HGC_ERR_BAD_TAG,
                                  "hgc_upgrade: the value is not a boxed value (tag \(tag))")
        }
        let flags = weak.metadata & ValueLayout.payloadMask
        guard flags & ~ValueLayout.knownFlags == 0 else {
            return LastError.fail(HGC_ERR_UNKNOWN_FLAGS, "hgc_upgrade: unknown flag bits 0x\(String(flags, radix: 16))")
        }
        guard flags & HGC_FLAG_WEAK != 0, flags & HGC_FLAG_PINNED == 0 else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_upgrade: the value is not a weak value (hgc_make_weak makes one)")
        }
        if let why = ValueFlags.asyncMismatch(weak) {
            return LastError.fail(HGC_ERR_MALFORMED_VALUE, "hgc_upgrade: \(why)")
        }
        let readonly = flags & HGC_FLAG_READONLY != 0  // covered by the handle's check
        guard let reference = WeakHandle.decode(weak.box_handle, readonly: readonly, typeID: weak.type_id, foreign.handles) else {
            return LastError.fail(HGC_ERR_FORGED_HANDLE, "hgc_upgrade: weak handle 0x\(String(weak.box_handle, radix: 16)) was never issued by this heap")
        }
        guard let object = foreign.heap.upgrade(reference) else {
            out.pointee = nullValue()
            return HGC_OK
        }
        guard foreign.heap.type(of: object).typeID == weak.type_id else {
            foreign.heap.release(object)
            return LastError.fail(HGC_ERR_WRONG_TYPE, "hgc_upgrade: type id does not match the object")
        }
        out.pointee = strongValue(object, in: foreign, readonly: readonly)
        return HGC_OK
    }
}
