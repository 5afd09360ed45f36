import GcCore

/// A Copyable handle to a boxed `T` in a heap, for Swift code that needs to keep
/// heap objects in ordinary Swift places: arrays, dictionaries, class properties,
/// closures. Copies share the box (reference semantics); Swift ARC keeps the box's
/// count through an anchor (see `GcAnchor`).
///
/// Ownership: the box lives while any copy of the handle does (plus whatever heap
/// references it has). Thread rule: use and drop copies on the heap's owner thread.
/// Misuse: do not store a `GcBox` inside a heap object (use `GcRc` fields): the
/// collector cannot see through it, so a cycle through it is never collected.
/// Access is checked as for `GcRc` (`with` / `mutate`). Apart from `downgrade`, the
/// owner thread is checked only when counts change, in debug and `HAKOGC_CHECKED` builds.
public struct GcBox<T: GcObject & ~Copyable>: Hashable, GcHandle {
    @usableFromInline let anchor: GcAnchor

    /// Moves `value` into a new box in `heap` (default: this thread's `DefaultHeap`).
    /// Out of memory stops the process.
    @inlinable
    public init(_ value: consuming T, in heap: Heap = DefaultHeap.current) {
        anchor = GcAnchor(adopting: GcRc(value, in: heap).unsafeRelinquish())
    }

    /// Takes over `rc`'s count.
    @inlinable
    public init(_ rc: consuming GcRc<T>) {
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A counted reference to the same object (for storing in heap objects); the
    /// caller owns its new count.
    @inlinable
    public func rc() -> GcRc<T> { GcRc(unsafeRetaining: anchor.object) }

    /// Reads the value; a `mutate` of the same object inside `body` stops the process.
    @inlinable
    public func with<R: ~Copyable, E: Error>(_ body: (borrowing T) throws(E) -> R) throws(E) -> R {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        return try body(object.payload.assumingMemoryBound(to: T.self).pointee)
    }

    /// Changes the value in place; any other access to the same object inside `body`
    /// stops the process.
    @inlinable
    public func mutate<R: ~Copyable, E: Error>(_ body: (inout T) throws(E) -> R) throws(E) -> R {
        let object = anchor.object
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        return try body(&object.payload.assumingMemoryBound(to: T.self).pointee)
    }

    /// The raw object; valid only while a copy of this handle lives.
    public var unsafeObject: ObjectRef { anchor.object }
    /// The heap the box lives in (a facade if the user's `Heap` is gone).
    public var heap: Heap { Heap.owning(anchor.object) }
    /// A weak reference to the box. Owner-checked in every build.
    public func downgrade() -> GcWeak<T> { GcWeak(rc()) }

    /// Identity: two handles are equal when they refer to the same box.
    public static func == (a: Self, b: Self) -> Bool { a.anchor.object == b.anchor.object }
    /// Hashes the box's identity, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(anchor.object) }
}

extension GcBox where T: Copyable {
    /// A copy of the boxed value; setting replaces it in place (an exclusive borrow:
    /// inside a `with` or `mutate` of the same box it stops the process).
    @inlinable public var value: T {
        get { with { $0 } }
        nonmutating set { mutate { $0 = newValue } }
    }
}

/// Boxes any value without references (numbers, Swift strings, structs of them):
/// `GcBox(GcValue(42))`. Its type is registered acyclic with no trace: heap
/// references inside `Value` are never traced, so cycles through them are never collected.
public struct GcValue<Value>: GcObject {
    /// The wrapped value.
    public var value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
    /// `hako/Value<…>`, registered on first use per `Value` (see `GenericGcTypes`).
    public static var gcType: GcType<GcValue<Value>> {
        GenericGcTypes.type(for: GcValue<Value>.self, name: "hako/Value<\(String(reflecting: Value.self))>")
    }
}

/// Heap types of generic Swift types, registered once per specialization.
/// (Swift has no static stored properties in generic types.)
public enum GenericGcTypes {
    private static let cache = ProcessLock<[ObjectIdentifier: TypeDescriptor]>([:])

    /// The registered type for `T` (acyclic unless said otherwise: the generic
    /// containers here hold plain values, except `GcRefArray`).
    /// Any thread (a lock guards the cache). `name` is used once, with whitespace
    /// removed; a refused registration stops the process.
    public static func type<T: GcObject & ~Copyable>(
        for _: T.Type, name: @autoclosure () -> String, acyclic: Bool = true
    ) -> GcType<T> {
        let key = ObjectIdentifier(T.self)
        if let found = cache.withLock({ $0[key] }) { return GcType(registered: found) }
        let safeName = name().filter { !$0.isWhitespace }
        let made = GcType<T>(name: safeName, acyclic: acyclic)
        return cache.withLock { cache in
            if let raced = cache[key] { return GcType(registered: raced) }
            cache[key] = made.descriptor
            return made
        }
    }
}

