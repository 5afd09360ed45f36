import CHakoGC
import GcCore

/// `hgc_type_id`: the registry's stable id for a fully-qualified name: FNV-1a over
/// its bytes as given (for a UTF-8 name, the id it registers under; names that are
/// not UTF-8 cannot be registered). A null pointer yields 0 (no registered type has
/// id 0: registration refuses it).
@_cdecl("hgc_type_id")
public func hgc_type_id(_ name: UnsafePointer<CChar>?) -> UInt64 {
    guard let name else { return 0 }
    return IncomingName.id(name)
}

/// `hgc_abi_version`: the header version the library implements.
@_cdecl("hgc_abi_version")
public func hgc_abi_version() -> UInt32 { UInt32(HGC_ABI_VERSION) }
