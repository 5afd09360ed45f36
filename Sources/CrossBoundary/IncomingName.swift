import CHakoGC
import GcCore

/// Names that come in from C (types and functions): NUL-terminated bytes that must
/// be UTF-8. A name that is not is refused (`HGC_ERR_INVALID_NAME`) by every call
/// that takes one, never repaired: repairing would map different byte strings to one
/// name (and one id), and the id would differ from `hgc_type_id`, which is FNV-1a
/// over the bytes as given (docs/abi.md, "Type ids"). Thread rule: any thread.
enum IncomingName {
    /// The name, or `HGC_ERR_INVALID_NAME` (message recorded) if it is not UTF-8.
    static func decode(_ name: UnsafePointer<CChar>, _ call: StaticString) -> Result<String, StatusError> {
        if let text = String(validatingCString: name) { return .success(text) }
        return .failure(StatusError(status: LastError.fail(
            HGC_ERR_INVALID_NAME, "\(call): the name \"\(escaped(name))\" is not valid UTF-8")))
    }

    /// FNV-1a 64 over the bytes up to the NUL (the documented type id of any bytes).
    static func id(_ name: UnsafePointer<CChar>) -> UInt64 {
        var h = TypeID.offsetBasis
        var p = name
        while p.pointee != 0 {
            h ^= UInt64(UInt8(bitPattern: p.pointee))
            h = h &* TypeID.prime
            p += 1
        }
        return h
    }

    /// The bytes with non-ASCII ones as \xNN, for messages.
    private static func escaped(_ name: UnsafePointer<CChar>) -> String {
        var out = ""
        var p = name
        while p.pointee != 0 {
            let byte = UInt8(bitPattern: p.pointee)
            if byte >= 0x20 && byte < 0x7F {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "\\x" + String(byte, radix: 16)
            }
            p += 1
        }
        return out
    }
}
