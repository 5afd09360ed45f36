import CHakoGC
import GcCore

// to_string and cast through the registry's vtables.

/// Writes `text` into a C buffer (NUL-terminated, truncated to `capacity`).
func writeText(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
               _ outLength: UnsafeMutablePointer<Int>?) -> hgc_status {
    let utf8 = Array(text.utf8)
    outLength?.pointee = utf8.count
    guard let buffer, capacity > 0 else {
        return LastError.fail(HGC_ERR_BUFFER_TOO_SMALL, "to_string: no room in the buffer")
    }
    let n = min(utf8.count, capacity - 1)
    for i in 0..<n { buffer[i] = CChar(bitPattern: utf8[i]) }
    buffer[n] = 0
    return n == utf8.count ? HGC_OK : HGC_ERR_BUFFER_TOO_SMALL
}

@_cdecl("hgc_to_string")
public func hgc_to_string(
    _ handle: hgc_heap, _ value: hgc_value, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?
) -> hgc_status {
    withHeap(handle, "hgc_to_string") { (foreign) throws(StatusError) -> hgc_status in
        switch UInt32(ValueLayout.tag(value)) {
        case HGC_TAG_INT, HGC_TAG_BOOL, HGC_TAG_NULL, HGC_TAG_VOID:
            let shape = validate(value)
            guard shape == HGC_OK else { return shape }
            let text = switch UInt32(ValueLayout.tag(value)) {
            case HGC_TAG_INT: String(Int64(bitPattern: value.metadata << 4) >> 4)
            case HGC_TAG_BOOL: value.metadata & 1 == 1 ? "true" : "false"
            case HGC_TAG_NULL: "null"
            default: "void"
            }
            return writeText(text, buffer, capacity, outLength)
        default:
            let r = try resolve(value, in: foreign, "hgc_to_string").get()
            guard let table = foreign.heap.type(of: r.object).userData as? ForeignVTable,
                  let toString = table.table.to_string else {
                return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_to_string: \(foreign.heap.type(of: r.object).name) has no to_string")
            }
            // Ask for the length first when no buffer was given.
            let length = toString(r.object.payload, buffer, buffer == nil ? 0 : capacity, table.table.context)
            guard length >= 0 else {
                return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_to_string: the type's to_string returned an impossible length")
            }
            outLength?.pointee = length
            guard let buffer, capacity > 0 else { return HGC_ERR_BUFFER_TOO_SMALL }
            buffer[min(length, capacity - 1)] = 0
            return length < capacity ? HGC_OK
                : LastError.fail(HGC_ERR_BUFFER_TOO_SMALL, "hgc_to_string: \(length) bytes do not fit in \(capacity)")
        }
    }
}

@_cdecl("hgc_cast")
public func hgc_cast(
    _ handle: hgc_heap, _ value: hgc_value, _ target: UInt64, _ out: UnsafeMutablePointer<hgc_value>?
) -> hgc_status {
    withHeap(handle, "hgc_cast") { (foreign) throws(StatusError) -> hgc_status in
        guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_cast: out is required") }
        let tag = UInt32(ValueLayout.tag(value))
        if tag != HGC_TAG_BOXED && tag != HGC_TAG_ASYNC {
            let shape = validate(value)
            guard shape == HGC_OK else { return shape }
            guard value.type_id == target else {
                return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_cast: no conversion between built-in immediates")
            }
            out.pointee = value
            return HGC_OK
        }
        let r = try resolve(value, in: foreign, "hgc_cast").get()
        if value.type_id == target {
            foreign.heap.retain(r.object)
            out.pointee = strongValue(r.object, in: foreign, readonly: r.readonly)
            return HGC_OK
        }
        guard let table = foreign.heap.type(of: r.object).userData as? ForeignVTable, let cast = table.table.cast else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_cast: \(foreign.heap.type(of: r.object).name) has no cast")
        }
        return cast(value, target, out, table.table.context)
    }
}
