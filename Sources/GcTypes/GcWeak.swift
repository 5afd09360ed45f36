import GcCore

/// A weak reference to a `T`: it does not keep the object alive, and `upgrade()`
/// returns nil once the object has died (it never returns a freed object, nor a
/// later object that reuses the slot).
///
/// Ownership: a plain value holding its heap strongly (the heap's memory stays while
/// a `GcWeak` exists). Thread rule: upgrade on the heap's owner thread.
/// Weak references are cleared before the target's finalizer runs, so a finalizer
/// that resurrects its object does not revive old weak references to it.
public struct GcWeak<T: GcObject & ~Copyable>: Hashable {
    public let reference: WeakReference
    let heap: Heap

    public init(_ strong: borrowing GcRc<T>) {
        heap = Heap.owning(strong.object)
        reference = heap.makeWeak(strong.object)
    }

    /// A strong reference, or nil if the object has died.
    public func upgrade() -> GcRc<T>? {
        guard let object = heap.upgrade(reference) else { return nil }
        return GcRc(unsafeAdopting: object)
    }

    public static func == (a: Self, b: Self) -> Bool { a.reference == b.reference && a.heap === b.heap }
    public func hash(into h: inout Hasher) { h.combine(reference) }
}
