import CHakoGC

/// Reading the size-prefixed structs C passes in (`hgc_vtable`, `hgc_bridge`,
/// `hgc_heap_stats`): each starts with `uint32_t size`, the size the caller compiled
/// it with, and the caller owns only that many bytes. So the size is read first, on
/// its own, and then at most `size` bytes: never `pointer.pointee`, which loads the
/// whole struct this library was compiled with (a read past the caller's memory, a
/// SIGSEGV when it ends at an unmapped page).
///
/// Ownership: borrows the caller's memory for the duration of the call only; the
/// result is a copy. Thread rule: any thread.
enum SizePrefixed {
    /// The struct's declared size: a 4-byte load of its first field only.
    static func declaredSize<T>(_ pointer: UnsafePointer<T>) -> Int {
        // SAFETY: every size-prefixed struct of the header begins with `uint32_t
        // size`; a caller passing one owns at least those 4 bytes.
        Int(UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self))
    }

    /// A copy of the first `declaredSize` bytes of `*pointer` (at most `T`'s size),
    /// with the rest zeroed, or nil if the declared size is below `minimum`.
    /// `zero` is an all-zero `T` (C structs import with a zeroing `init()`).
    static func copy<T>(_ pointer: UnsafePointer<T>, minimum: Int, zero: T) -> (value: T, size: Int)? {
        let size = declaredSize(pointer)
        guard size >= minimum else { return nil }
        var value = zero
        let bytes = min(size, MemoryLayout<T>.size)
        withUnsafeMutableBytes(of: &value) { out in
            // SAFETY: the caller declared `size` ≥ `bytes` readable bytes at `pointer`;
            // `out` holds a whole T.
            out.baseAddress!.copyMemory(from: UnsafeRawPointer(pointer), byteCount: bytes)
        }
        return (value, size)
    }
}
