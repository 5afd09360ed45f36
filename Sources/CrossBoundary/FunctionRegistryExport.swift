import CHakoGC
import GcCore

/// Functions exposed through the registry, called with the one boundary calling
/// convention (`hgc_fn`). Process-wide and thread-safe; ids are FNV-1a 64 of the
/// name, like type ids, and a different name under a taken id is refused.
enum FunctionRegistry {
    struct Entry: @unchecked Sendable {  // a C function pointer and its context
        let name: String
        let function: hgc_fn
        let context: UnsafeMutableRawPointer?
    }
    static let entries = ProcessLock<[UInt64: Entry]>([:])
}

@_cdecl("hgc_register_function")
public func hgc_register_function(
    _ name: UnsafePointer<CChar>?, _ function: hgc_fn?, _ context: UnsafeMutableRawPointer?,
    _ outID: UnsafeMutablePointer<UInt64>?
) -> hgc_status {
    guard let name, let function, let outID else {
        return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_register_function: name, fn and out_function_id are required")
    }
    let functionName: String
    switch IncomingName.decode(name, "hgc_register_function") {
    case .success(let text): functionName = text
    case .failure(let error): return error.status
    }
    guard TypeRegistry.isValidName(functionName) else {
        return LastError.fail(HGC_ERR_INVALID_NAME, "\"\(functionName)\" is not a fully-qualified name (namespace/name[@version])")
    }
    let id = TypeID.hash(functionName)
    let clash: String? = FunctionRegistry.entries.withLock { entries in
        if let existing = entries[id] {
            let same = unsafeBitCast(existing.function, to: UnsafeRawPointer.self) == unsafeBitCast(function, to: UnsafeRawPointer.self)
            return existing.name == functionName && same ? nil : existing.name
        }
        entries[id] = FunctionRegistry.Entry(name: functionName, function: function, context: context)
        return nil
    }
    if let clash {
        return LastError.fail(HGC_ERR_TYPE_ID_COLLISION, "function id 0x\(String(id, radix: 16)) of \"\(functionName)\" is already taken by \"\(clash)\"")
    }
    outID.pointee = id
    return HGC_OK
}

@_cdecl("hgc_lookup_function")
public func hgc_lookup_function(_ name: UnsafePointer<CChar>?, _ outID: UnsafeMutablePointer<UInt64>?) -> hgc_status {
    guard let name, let outID else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_lookup_function: name and out_function_id are required") }
    let functionName: String
    switch IncomingName.decode(name, "hgc_lookup_function") {
    case .success(let text): functionName = text
    case .failure(let error): return error.status
    }
    let id = TypeID.hash(functionName)
    guard FunctionRegistry.entries.withLock({ $0[id]?.name == functionName }) else {
        return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no function is registered under the name \"\(functionName)\"")
    }
    outID.pointee = id
    return HGC_OK
}

@_cdecl("hgc_call")
public func hgc_call(
    _ id: UInt64, _ argc: UInt32, _ args: UnsafeMutablePointer<hgc_value>?, _ out: UnsafeMutablePointer<hgc_value>?
) -> hgc_status {
    guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_call: out is required") }
    guard argc == 0 || args != nil else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_call: argc > 0 with NULL args") }
    guard let entry = FunctionRegistry.entries.withLock({ $0[id] }) else {
        return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no function is registered under id 0x\(String(id, radix: 16))")
    }
    out.pointee = entry.function(argc, args, entry.context)  // outside the lock: it may call back
    return HGC_OK
}
