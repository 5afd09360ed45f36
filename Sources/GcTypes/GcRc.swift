import GcCore

/// An owning, counted reference to a `T` in a heap: the reference type of the typed
/// API, for Swift variables and for fields of other heap objects alike.
///
/// Ownership: each `GcRc` owns one count. It is `~Copyable`: moving it moves the
/// count, `copy()` makes a second owner, and the end of its lifetime releases (when
/// the last count goes, `T` is deinitialized and its own `GcRc` fields release in
/// turn, iteratively). A `GcRc` therefore cannot dangle.
///
/// Access: `with` borrows the value for reading, `mutate` for writing. Both are
/// checked at run time like a `RefCell`: mutating an object while it is being read
/// or written (through another handle to the same object) stops the process with a
/// message, rather than letting a reader see a freed reference.
///
/// Thread rule: use it, and end its lifetime, on the thread that owns its heap.
/// Counting and allocation check that in debug and `HAKOGC_CHECKED` builds; `with`
/// and `mutate` do not check it.
/// Not Sendable (Swift 6 refuses to send it; before issue 12 it was implicitly
/// Sendable, being `@frozen` over an `ObjectRef`): its end of life changes a heap
/// count that is not atomic; moving it to another thread by unsafe means (`Unmanaged`,
/// `nonisolated(unsafe)`, Swift 5 mode, or sending one made in `DefaultHeap.current`, see
/// Sendability.swift) is outside the safe API and is not checked in release builds.
/// Allocation failure stops the process, as Swift's own allocations do; use
/// `GcRc.make(_:in:)` to get `HeapError.outOfMemory` instead.
@frozen
public struct GcRc<T: GcObject & ~Copyable>: ~Copyable {
    @usableFromInline let object: ObjectRef

    /// The raw object. It stays valid only while this handle (or another owner)
    /// keeps the object alive: using it afterwards is undefined behaviour.
    @inlinable public var unsafeObject: ObjectRef { object }

    /// Moves `value` into a new object of `heap`; the handle owns its one count.
    /// Owner thread of `heap`. Out of memory stops the process.
    @inlinable
    public init(_ value: consuming T, in heap: Heap) {
        do {
            self = try GcRc.make(value, in: heap)
        } catch {
            fatalError("HakoGC: \(error)")
        }
    }

    /// Like `init(_:in:)`, but reports allocation failure.
    /// - Throws: `HeapError.outOfMemory` (`value` is then destroyed).
    @inlinable
    public static func make(_ value: consuming T, in heap: Heap) throws(HeapError) -> GcRc<T> {
        guard let object = heap.allocateUninitialized(T.gcType.unmanaged) else {
            throw .outOfMemory(bytes: MemoryLayout<T>.size)
        }
        // SAFETY: a fresh slot of T's size and 16-byte alignment, not yet initialized.
        object.payload.assumingMemoryBound(to: T.self).initialize(to: value)
        return GcRc(unsafeAdopting: object)
    }

    /// Takes over one count the caller owns on `object` (which must hold a `T`). Not
    /// checked: a wrong type, or a count the caller does not own, is undefined behaviour.
    @inlinable
    public init(unsafeAdopting object: ObjectRef) { self.object = object }

    /// Adds a count to `object` (which must hold a `T`, not checked) and owns it.
    /// Retaining a freed object stops the process. Owner thread.
    @inlinable
    public init(unsafeRetaining object: ObjectRef) {
        Heap.retain(object)
        self.object = object
    }

    deinit { Heap.release(object) }

    /// A second owner of the same object (one more count, released when it ends).
    @inlinable
    public func copy() -> GcRc<T> { GcRc(unsafeRetaining: object) }

    /// Gives up ownership without releasing: the caller now owns the count and must
    /// release it (`Heap.release`) or adopt it again; forgetting it leaks the object.
    @inlinable
    public consuming func unsafeRelinquish() -> ObjectRef {
        let object = self.object
        discard self
        return object
    }

    /// Reads the value. Nested reads of one object are fine; a `mutate` of the same
    /// object inside `body` stops the process.
    @inlinable
    public func with<R: ~Copyable, E: Error>(_ body: (borrowing T) throws(E) -> R) throws(E) -> R {
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        // SAFETY: the payload is an initialized T kept alive by this handle.
        return try body(object.payload.assumingMemoryBound(to: T.self).pointee)
    }

    /// Changes the value in place. Any other access to the same object inside
    /// `body` stops the process.
    @inlinable
    public func mutate<R: ~Copyable, E: Error>(_ body: (inout T) throws(E) -> R) throws(E) -> R {
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        // SAFETY: as in `with`; the exclusive flag keeps other handles out.
        return try body(&object.payload.assumingMemoryBound(to: T.self).pointee)
    }

    /// Whether both handles refer to the same object.
    @inlinable
    public func isSame(as other: borrowing GcRc<T>) -> Bool { object == other.object }

    /// The heap this object lives in (a facade if the user's `Heap` is gone).
    public var heap: Heap { Heap.owning(object) }

    /// A weak reference that does not keep the object alive. Owner-checked in every
    /// build (another thread stops the process).
    public func downgrade() -> GcWeak<T> { GcWeak(self) }

    /// The object's strong count (diagnostics).
    public var referenceCount: Int { Heap.owning(object).referenceCount(object) }
}

extension GcRc where T: Copyable {
    /// A copy of the value (a shared borrow: inside this object's `mutate` it stops
    /// the process).
    @inlinable public var value: T { with { $0 } }
}
