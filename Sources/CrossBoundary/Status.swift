import CHakoGC
import Glibc

/// Texts of `hgc_status` codes (`hgc_status_string`).
enum StatusText {
    static func text(_ status: hgc_status) -> StaticString {
        switch status {
        case HGC_OK: "ok"
        case HGC_ERR_NULL_ARGUMENT: "a required pointer argument was NULL"
        case HGC_ERR_BAD_TAG: "the value's tag (metadata bits 60-63) is not a known tag"
        case HGC_ERR_UNKNOWN_FLAGS: "the boxed value has metadata bits set outside the known flags"
        case HGC_ERR_MALFORMED_VALUE: "malformed value (an immediate with a box handle, a bad payload or type id, or flags that disagree with the handle or type)"
        case HGC_ERR_TYPE_ID_COLLISION: "another name (or, for functions, another function) already holds this id"
        case HGC_ERR_UNKNOWN_TYPE: "no type (or function) is registered under this id or name"
        case HGC_ERR_INVALID_NAME: "not a fully-qualified name in UTF-8 (namespace/Name[@version])"
        case HGC_ERR_RESERVED_NAME: "the core/ namespace is reserved for built-in types"
        case HGC_ERR_LAYOUT_MISMATCH: "the name is registered already with a different layout"
        case HGC_ERR_REGISTRY_FULL: "the type registry is full"
        case HGC_ERR_BAD_VTABLE: "invalid vtable or bridge struct (size, flags, reserved field or reference offsets)"
        case HGC_ERR_BUFFER_TOO_SMALL: "the output buffer is too small (output truncated)"
        case HGC_ERR_INT_OUT_OF_RANGE: "the integer does not fit in an immediate (60 bits)"
        case HGC_ERR_NOT_APPLICABLE: "the operation does not apply to this kind of value"
        case HGC_ERR_STALE_HANDLE: "the handle was released already (or its object freed)"
        case HGC_ERR_FORGED_HANDLE: "the handle was never issued by this heap (forged or corrupted)"
        case HGC_ERR_WRONG_TYPE: "the type id does not match the handle's object"
        case HGC_ERR_HEAP_DESTROYED: "the heap handle is destroyed or was never issued"
        case HGC_ERR_WRONG_THREAD: "the heap belongs to another thread"
        case HGC_ERR_OUT_OF_MEMORY: "out of memory (or out of weak slots)"
        case HGC_ERR_BAD_SLOT: "no such reference slot in the object's type"
        case HGC_ERR_NOT_PINNED: "the value is not a pinned value (for hgc_bridge_reach: not a bridged pin)"
        case HGC_ERR_BAD_SIZE: "payload size below the type's or above 1 GiB, or a struct size too small"
        case HGC_ERR_REENTRANT: "refused: called from a callback of the same heap (finalizer, trace or bridge callback); a refused collection runs when the outer work ends"
        case HGC_ERR_READONLY: "the value is read-only (HGC_FLAG_READONLY): no write through it, no store of it into a slot"
        case HGC_ERR_ABI_MISMATCH: "the caller was compiled against another object header layout (HGC_HEADER_LAYOUT), or its options struct is too small"
        default: "unknown status"
        }
    }
}

/// `hgc_status_string`: a static description of `status`; never NULL.
@_cdecl("hgc_status_string")
public func hgc_status_string(_ status: hgc_status) -> UnsafePointer<CChar> {
    UnsafeRawPointer(StatusText.text(status).utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The calling thread's last detailed error message, kept as a malloc'd C string.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()
    private static let empty: StaticString = ""

    static func set(_ message: String) {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
    }

    static func clear() {
        free(pthread_getspecific(key))
        pthread_setspecific(key, nil)
    }

    /// Records `message` and returns `status`, for one-line error returns.
    static func fail(_ status: hgc_status, _ message: String) -> hgc_status {
        set(message)
        return status
    }

    static var current: UnsafePointer<CChar> {
        if let p = pthread_getspecific(key) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// `hgc_last_error`: the calling thread's last detailed error, "" if none.
@_cdecl("hgc_last_error")
public func hgc_last_error() -> UnsafePointer<CChar> { LastError.current }
