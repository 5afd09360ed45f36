/// What an allocation fast path outside this module reads and writes: the C ABI's
/// inline `hgc_trusted_alloc` (hakogc.h) is `HeapCore.allocate`'s fast path copied
/// into C, over these addresses. The page header fields it touches (`freeList`,
/// `bump`, `end`, `slotSize`, `liveCount`) are those of the table in Page.swift;
/// together with the object header they are `HGC_HEADER_LAYOUT`, and
/// TrustedLayoutTests checks both against this module.
///
/// Ownership: the pointers live as long as the heap's `HeapCore` (they are fields of
/// its hot state and allocator, allocated once). Thread rule: only the heap's owner
/// thread may write through them, as with every allocation.
public struct InlineAllocation {
    /// The size class's current page (its address, or 0 when there is none). For a
    /// type without a small size class, and in `HAKOGC_ASAN` builds, it points at a
    /// word that stays 0, so every allocation takes the out-of-line path (which, under
    /// ASan, unpoisons the slot).
    public let currentPage: UnsafeMutablePointer<UInt>
    /// Bytes that may be allocated before the collector must be asked. Negative
    /// means "take the slow path": the pacing rule, a trace function running (the
    /// heap sets it to `Int.min / 2`), a sampling profiler.
    public let budget: UnsafeMutablePointer<Int>
    public let allocatedObjects: UnsafeMutablePointer<Int>
    public let allocatedBytes: UnsafeMutablePointer<Int>
    /// The heap's epoch, which goes into word 1 of a new header (bits 32–63).
    public let epoch: UnsafePointer<UInt32>
    /// Header word 0 of a new instance: count 1, type index, initial flags.
    public let headerWord: UInt64
    /// Bytes per slot, header included (what the counters and the budget move by).
    public let slotBytes: Int
}

// Never written after its initialization: "no current page" for the inline
// allocations that must always take the out-of-line path.
nonisolated(unsafe) private let noPageWord: UnsafeMutablePointer<UInt> = {
    let word = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
    word.initialize(to: 0)
    return word
}()

extension Heap {
    /// The inline allocation state for instances of `type` (registered: an
    /// unregistered type stops the process). A type without a small size class gets
    /// a current page that is always 0. Owner thread only; see `InlineAllocation` for how long
    /// the pointers stay valid. Misuse (writing through them off the owner thread,
    /// after the heap is gone, or out of step with `HeapCore.allocate`) corrupts the
    /// heap: this is for the C ABI's trusted mode, which documents that contract.
    public func inlineAllocation(for type: TypeDescriptor) -> InlineAllocation {
        if type.index == 0 { fatalError("HakoGC: inlineAllocation(for:): \(type.name) is not registered") }
        let hot = UnsafeMutableRawPointer(core.hot)
        func field<T>(_ path: KeyPath<HotState, T>, as: T.Type) -> UnsafeMutablePointer<T> {
            // SAFETY: a stored field of the HotState `core.hot` points at.
            (hot + MemoryLayout<HotState>.offset(of: path)!).assumingMemoryBound(to: T.self)
        }
        #if HAKOGC_ASAN
        let page = noPageWord
        #else
        let page = type.sizeClass >= 0 ? core.allocator.current + type.sizeClass : noPageWord
        #endif
        return InlineAllocation(
            currentPage: page,
            budget: field(\.allocationBudget, as: Int.self),
            allocatedObjects: field(\.allocatedObjects, as: Int.self),
            allocatedBytes: field(\.allocatedBytes, as: Int.self),
            epoch: UnsafePointer(field(\.epoch, as: UInt32.self)),
            headerWord: type.headerWord,
            slotBytes: type.slotBytes)
    }
}
