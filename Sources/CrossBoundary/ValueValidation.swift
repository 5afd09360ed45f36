import CHakoGC
import GcCore

/// The metadata layout of a boundary value (see hakogc.h and docs/abi.md).
enum ValueLayout {
    static let tagShift: UInt64 = 60
    static let payloadMask: UInt64 = (1 << 60) - 1
    static let knownFlags: UInt64 = 0xF

    static func tag(_ v: hgc_value) -> UInt64 { v.metadata >> tagShift }
}

/// Shape checks of a value: tag, flags, immediate payloads, type ids.
func validate(_ v: hgc_value) -> hgc_status {
    let payload = v.metadata & ValueLayout.payloadMask
    func immediate(_ type: UInt64, payloadOK: Bool) -> hgc_status {
        guard v.box_handle == 0 else {
            return LastError.fail(HGC_ERR_MALFORMED_VALUE, "an immediate value has box handle 0x\(String(v.box_handle, radix: 16))")
        }
        guard v.type_id == type else {
            return LastError.fail(HGC_ERR_MALFORMED_VALUE, "an immediate of tag \(ValueLayout.tag(v)) has type id 0x\(String(v.type_id, radix: 16))")
        }
        return payloadOK ? HGC_OK : LastError.fail(HGC_ERR_MALFORMED_VALUE, "immediate payload 0x\(String(payload, radix: 16)) is not valid for its tag")
    }
    switch UInt32(ValueLayout.tag(v)) {
    case HGC_TAG_INT: return immediate(HGC_TYPE_INTEGER, payloadOK: true)
    case HGC_TAG_BOOL: return immediate(HGC_TYPE_BOOL, payloadOK: payload <= 1)
    case HGC_TAG_NULL: return immediate(HGC_TYPE_NULL, payloadOK: payload == 0)
    case HGC_TAG_VOID: return immediate(HGC_TYPE_VOID, payloadOK: payload == 0)
    case HGC_TAG_BOXED, HGC_TAG_ASYNC:
        guard payload & ~ValueLayout.knownFlags == 0 else {
            return LastError.fail(HGC_ERR_UNKNOWN_FLAGS, "unknown flag bits 0x\(String(payload & ~ValueLayout.knownFlags, radix: 16)) in a boxed value")
        }
        guard v.box_handle != 0 else {
            return LastError.fail(HGC_ERR_MALFORMED_VALUE, "a boxed value has box handle 0")
        }
        guard TypeRegistry.shared.descriptor(forID: v.type_id) != nil else {
            return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no type is registered under id 0x\(String(v.type_id, radix: 16))")
        }
        if let why = ValueFlags.asyncMismatch(v) { return LastError.fail(HGC_ERR_MALFORMED_VALUE, why) }
        return HGC_OK
    default:
        return LastError.fail(HGC_ERR_BAD_TAG, "tag \(ValueLayout.tag(v)) is not a known tag")
    }
}

/// `hgc_value_validate`.
@_cdecl("hgc_value_validate")
public func hgc_value_validate(_ value: hgc_value) -> hgc_status {
    BuiltinTypes.ensureRegistered()
    return validate(value)
}
