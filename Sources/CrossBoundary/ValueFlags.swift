import CHakoGC
import GcCore

/// The rules of a boxed value's flags (docs/abi.md, "Flags"). A flag is a claim the
/// value makes; the library checks it against what it recorded itself — the
/// handle's entry and the object's type — and never acts on the claim alone, since
/// a caller can flip any bit of a copy:
///
/// - PINNED: set exactly when the handle holds a pin (`hgc_pin`, `hgc_pin_bridged`);
///   unpinning goes by the handle's entry.
/// - ASYNC, the flag and tag 5 together: exactly the values of `core/Future`.
/// - READONLY: set on every value of a handle issued read-only; a holder may also
///   set it on a writable value to restrict itself. Writes through a read-only value
///   and stores of one into a slot are refused (`HGC_ERR_READONLY`); handles issued
///   from it (retain, pin, same-type cast, weak and upgrade) are read-only for good.
/// - WEAK: the handle is a weak handle (WeakExport.swift), not a strong one.
///
/// A disagreement is `HGC_ERR_MALFORMED_VALUE` and changes nothing.
enum ValueFlags {
    /// Values of this type, and no others, are async (tag 5 with HGC_FLAG_ASYNC).
    static func isAsync(_ typeID: UInt64) -> Bool { typeID == HGC_TYPE_FUTURE }

    /// Whether `v`'s tag, ASYNC and PINNED agree with its type and its handle's
    /// entry, and READONLY is set where the entry says so: one compare on the hot
    /// path; `asyncMismatch` and `handleMismatch` say why when it is false.
    @inline(__always)
    static func consistent(_ v: hgc_value, pinned: Bool, readonly: Bool) -> Bool {
        let checked = (UInt64(0xF) << ValueLayout.tagShift) | HGC_FLAG_ASYNC | HGC_FLAG_PINNED
        return v.metadata & checked == metadata(typeID: v.type_id, pinned: pinned, readonly: false)
            && (!readonly || v.metadata & HGC_FLAG_READONLY != 0)
    }

    /// Why the ASYNC tag or flag of `v` disagrees with its type id, or nil.
    static func asyncMismatch(_ v: hgc_value) -> String? {
        let tagged = UInt32(ValueLayout.tag(v)) == HGC_TAG_ASYNC
        let flagged = v.metadata & HGC_FLAG_ASYNC != 0
        let future = isAsync(v.type_id)
        guard tagged != future || flagged != future else { return nil }
        return future ? "a core/Future value must carry tag 5 (HGC_TAG_ASYNC) and HGC_FLAG_ASYNC"
            : "only core/Future values are async (HGC_TAG_ASYNC / HGC_FLAG_ASYNC)"
    }

    /// Why the PINNED and READONLY flags of `v` disagree with its handle's entry, or nil.
    static func handleMismatch(_ v: hgc_value, pinned: Bool, readonly: Bool) -> String? {
        if (v.metadata & HGC_FLAG_PINNED != 0) != pinned {
            return pinned ? "the handle holds a pin: its value carries HGC_FLAG_PINNED"
                : "HGC_FLAG_PINNED is set, but the handle holds no pin"
        }
        if readonly && v.metadata & HGC_FLAG_READONLY == 0 {
            return "the handle was issued read-only: HGC_FLAG_READONLY cannot be cleared"
        }
        return nil
    }

    /// The metadata of a new strong value of a type: its tag and flags.
    @inline(__always)
    static func metadata(typeID: UInt64, pinned: Bool, readonly: Bool) -> UInt64 {
        let async = isAsync(typeID)
        let tag: UInt64 = async ? UInt64(HGC_TAG_ASYNC) << ValueLayout.tagShift : 0
        return tag | (async ? HGC_FLAG_ASYNC : 0) | (pinned ? HGC_FLAG_PINNED : 0) | (readonly ? HGC_FLAG_READONLY : 0)
    }

    /// The refusal of a write through (or a store of) a read-only value.
    static func readonly(_ call: StaticString, _ what: String) -> StatusError {
        StatusError(status: LastError.fail(HGC_ERR_READONLY, "\(call): \(what) (HGC_FLAG_READONLY)"))
    }
}
