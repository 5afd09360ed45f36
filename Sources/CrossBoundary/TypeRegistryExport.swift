import CHakoGC
import GcCore

/// A registered C type's vtable, copied (with its reference offsets) so the caller's
/// memory may go away. Immutable after registration.
final class ForeignVTable: @unchecked Sendable {
    let table: hgc_vtable
    let offsets: UnsafeMutableBufferPointer<UInt32>

    deinit { offsets.deallocate() }

    init(copying v: hgc_vtable) {
        offsets = .allocate(capacity: Int(v.reference_count))
        for i in 0..<Int(v.reference_count) { offsets[i] = v.reference_offsets[i] }
        var copy = v
        copy.size = UInt32(MemoryLayout<hgc_vtable>.size)
        copy.reference_offsets = UnsafePointer(offsets.baseAddress)
        table = copy
    }
}

/// The built-in types, registered under their reserved ids on first use of the ABI.
enum BuiltinTypes {
    static let names: [(String, Int)] = [
        ("core/Null", 0), ("core/Void", 0), ("core/Bool", 0), ("core/Integer", 0),
        ("core/Float", 8), ("core/String", 16), ("core/Future", 8),
    ]
    private static let once: Void = {
        for (name, size) in names {
            _ = try? TypeRegistry.shared.register(TypeDescriptor(name: name, payloadSize: size, acyclic: true))
        }
    }()
    static func ensureRegistered() { _ = once }
}

/// The descriptor a vtable describes (validated first).
/// A failed check, carrying the status to return (its message is already recorded).
struct StatusError: Error { let status: hgc_status }

func descriptor(name: String, vtable v: hgc_vtable) -> Result<TypeDescriptor, StatusError> {
    let minimum = MemoryLayout<hgc_vtable>.size  // version 1 is the first: all fields required
    guard Int(v.size) >= minimum else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "vtable size \(v.size) is below \(minimum)")))
    }
    guard v.flags & ~HGC_VTABLE_ACYCLIC == 0, v.reserved == 0 else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "unknown vtable flags 0x\(String(v.flags, radix: 16)) or reserved field set")))
    }
    guard v.payload_size <= UInt64(Int32.max) else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "payload size \(v.payload_size) is too large")))
    }
    guard v.reference_count == 0 || v.reference_offsets != nil else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "reference_count \(v.reference_count) with NULL reference_offsets")))
    }
    let payload = Int(v.payload_size)
    // Before any offset is read: a count the payload cannot hold is refused without
    // reading the caller's array (which a huge count would run past).
    guard Int(v.reference_count) <= payload / 8 else {
        return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "reference_count \(v.reference_count) is more than the \(payload)-byte payload's \(payload / 8) slots")))
    }
    var offsets: [Int] = []
    var seen = Set<Int>()
    for i in 0..<Int(v.reference_count) {
        let offset = Int(v.reference_offsets[i])
        guard offset % 8 == 0, offset + 8 <= payload, seen.insert(offset).inserted else {
            return .failure(StatusError(status: LastError.fail(HGC_ERR_BAD_VTABLE, "reference offset \(offset) is not a distinct 8-aligned slot inside the \(payload)-byte payload")))
        }
        offsets.append(offset)
    }
    let table = ForeignVTable(copying: v)
    let finalize: FinalizeFunction? = v.finalize.map { callback in
        { _, object in callback(object.payload, table.table.context) }
    }
    return .success(TypeDescriptor(
        name: name, payloadSize: payload, acyclic: v.flags & HGC_VTABLE_ACYCLIC != 0,
        referenceOffsets: offsets, finalize: finalize, userData: table))
}

/// `hgc_register_type`.
@_cdecl("hgc_register_type")
public func hgc_register_type(
    _ name: UnsafePointer<CChar>?, _ vtable: UnsafePointer<hgc_vtable>?, _ outTypeID: UnsafeMutablePointer<UInt64>?
) -> hgc_status {
    BuiltinTypes.ensureRegistered()
    guard let name, let vtable, let outTypeID else {
        return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_register_type: name, vtable and out_type_id are required")
    }
    let typeName: String
    switch IncomingName.decode(name, "hgc_register_type") {
    case .success(let text): typeName = text
    case .failure(let error): return error.status
    }
    guard TypeRegistry.isValidName(typeName) else {
        return LastError.fail(HGC_ERR_INVALID_NAME, "\"\(typeName)\" is not a fully-qualified type name (namespace/Name[@version])")
    }
    guard !typeName.hasPrefix("core/") else {
        return LastError.fail(HGC_ERR_RESERVED_NAME, "\"\(typeName)\": the core/ namespace is reserved for built-in types")
    }
    // The size first, then only the bytes it declares (SizePrefixed).
    let minimum = MemoryLayout<hgc_vtable>.size  // version 1 is the first: all fields required
    guard let (table, _) = SizePrefixed.copy(vtable, minimum: minimum, zero: hgc_vtable()) else {
        return LastError.fail(HGC_ERR_BAD_VTABLE, "hgc_register_type: vtable size \(SizePrefixed.declaredSize(vtable)) is below \(minimum)")
    }
    switch descriptor(name: typeName, vtable: table) {
    case .failure(let error):
        return error.status
    case .success(let candidate):
        do {
            let registered = try TypeRegistry.shared.register(candidate)
            outTypeID.pointee = registered.typeID
            return HGC_OK
        } catch {
            switch error {
            case .idCollision: return LastError.fail(HGC_ERR_TYPE_ID_COLLISION, error.description)
            case .layoutMismatch: return LastError.fail(HGC_ERR_LAYOUT_MISMATCH, error.description)
            case .full: return LastError.fail(HGC_ERR_REGISTRY_FULL, error.description)
            case .invalidName: return LastError.fail(HGC_ERR_INVALID_NAME, error.description)
            }
        }
    }
}

/// `hgc_lookup_type`.
@_cdecl("hgc_lookup_type")
public func hgc_lookup_type(_ name: UnsafePointer<CChar>?, _ outTypeID: UnsafeMutablePointer<UInt64>?) -> hgc_status {
    BuiltinTypes.ensureRegistered()
    guard let name, let outTypeID else {
        return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_lookup_type: name and out_type_id are required")
    }
    let typeName: String
    switch IncomingName.decode(name, "hgc_lookup_type") {
    case .success(let text): typeName = text
    case .failure(let error): return error.status
    }
    guard let id = TypeRegistry.shared.typeID(forName: typeName) else {
        return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no type is registered under the name \"\(typeName)\"")
    }
    outTypeID.pointee = id
    return HGC_OK
}

/// `hgc_type_vtable`: copies at most `outSize` bytes of the registered vtable.
@_cdecl("hgc_type_vtable")
public func hgc_type_vtable(_ typeID: UInt64, _ out: UnsafeMutablePointer<hgc_vtable>?, _ outSize: UInt32) -> hgc_status {
    BuiltinTypes.ensureRegistered()
    guard let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_type_vtable: out is required") }
    guard let d = TypeRegistry.shared.descriptor(forID: typeID) else {
        return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no type is registered under id 0x\(String(typeID, radix: 16))")
    }
    var table: hgc_vtable
    if let foreign = d.userData as? ForeignVTable {
        table = foreign.table
    } else {
        // A type registered from Swift or built in: layout only, no C callbacks.
        table = hgc_vtable()
        table.size = UInt32(MemoryLayout<hgc_vtable>.size)
        table.flags = d.acyclic ? HGC_VTABLE_ACYCLIC : 0
        table.payload_size = UInt64(d.payloadSize)
    }
    let bytes = min(Int(outSize), MemoryLayout<hgc_vtable>.size)
    table.size = UInt32(bytes)  // says how much of *out was written
    withUnsafeBytes(of: &table) { UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: bytes) }
    return HGC_OK
}

/// `hgc_type_name`.
@_cdecl("hgc_type_name")
public func hgc_type_name(
    _ typeID: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLength: UnsafeMutablePointer<Int>?
) -> hgc_status {
    BuiltinTypes.ensureRegistered()
    guard let d = TypeRegistry.shared.descriptor(forID: typeID) else {
        return LastError.fail(HGC_ERR_UNKNOWN_TYPE, "no type is registered under id 0x\(String(typeID, radix: 16))")
    }
    let utf8 = Array(d.name.utf8)
    outLength?.pointee = utf8.count
    guard let buffer, capacity > 0 else {
        return capacity == 0 && !utf8.isEmpty ? HGC_ERR_BUFFER_TOO_SMALL : LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_type_name: buffer is NULL")
    }
    let n = min(utf8.count, capacity - 1)
    for i in 0..<n { buffer[i] = CChar(bitPattern: utf8[i]) }
    buffer[n] = 0
    return n == utf8.count ? HGC_OK : HGC_ERR_BUFFER_TOO_SMALL
}
