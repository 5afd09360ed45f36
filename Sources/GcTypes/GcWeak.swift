import GcCore

/// A weak reference to a `T`: it does not keep the object alive, and `upgrade()`
/// returns nil once the object has died (it never returns a freed object, nor a
/// later object that reuses the slot).
///
/// Ownership: a plain value holding its `Heap` strongly (the heap's memory stays, and
/// the `Heap` is not released, while a `GcWeak` exists). Thread rule: make, upgrade
/// and drop it on the heap's owner thread (dropping the last reference to the `Heap`
/// collects, unchecked, on the dropping thread).
/// Not Sendable (Swift 6 refuses to send it): it holds its `Heap`, and `upgrade`
/// makes a count on the owner's heap; moving it to another thread by unsafe means
/// (`Unmanaged`, `nonisolated(unsafe)`, Swift 5 mode, or sending one made in
/// `DefaultHeap.current`, see Sendability.swift) is outside the safe API and is not checked
/// in release builds.
/// Weak references are cleared before the target's finalizer runs, so a finalizer
/// that resurrects its object does not revive old weak references to it.
public struct GcWeak<T: GcObject & ~Copyable>: Hashable {
    /// The underlying `GcCore` weak reference.
    public let reference: WeakReference
    let heap: Heap

    /// A weak reference to `strong`'s object. Owner-checked in every build (another
    /// thread stops the process).
    public init(_ strong: borrowing GcRc<T>) {
        heap = Heap.owning(strong.object)
        reference = heap.makeWeak(strong.object)
    }

    /// A strong reference that owns a new count, or nil if the object has died.
    /// Owner-checked in every build.
    public func upgrade() -> GcRc<T>? {
        guard let object = heap.upgrade(reference) else { return nil }
        return GcRc(unsafeAdopting: object)
    }

    /// Same weak slot and generation in the same `Heap`.
    public static func == (a: Self, b: Self) -> Bool { a.reference == b.reference && a.heap === b.heap }
    /// Hashes the weak reference, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(reference) }
}
