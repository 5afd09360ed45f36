import GcCore
import Synchronization

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
///
/// Not Sendable (Swift 6 refuses to send it): its copies and drops change a heap
/// count that is not atomic; moving it to another thread by unsafe means (`Unmanaged`,
/// `nonisolated(unsafe)`, Swift 5 mode, or sending one made in `DefaultHeap.current`, see
/// Sendability.swift) is outside the safe API and is not checked in release builds.
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
/// Not Sendable: a payload type, which lives in a heap owned by one thread.
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
///
/// Lookups read a lock-free table (`GenericTypeTable`): a conversion such as
/// `GcArray([Int])` asks for its type every time, and a lock plus a dictionary
/// lookup was most of its cost. Registration takes the lock.
public enum GenericGcTypes {
    private static let cache = ProcessLock<[ObjectIdentifier: TypeDescriptor]>([:])
    private static let table = GenericTypeTable()

    /// The registered type for `T` (acyclic unless said otherwise: the generic
    /// containers here hold plain values, except `GcRefArray`).
    /// Any thread. `name` is used once, with whitespace removed; a refused
    /// registration stops the process.
    public static func type<T: GcObject & ~Copyable>(
        for _: T.Type, name: @autoclosure () -> String, acyclic: Bool = true
    ) -> GcType<T> {
        let key = UInt(bitPattern: ObjectIdentifier(T.self))  // the metadata address
        if let found = table.lookup(key) { return GcType(registered: found) }
        if let found = cache.withLock({ $0[ObjectIdentifier(T.self)] }) { return GcType(registered: found) }
        let safeName = name().filter { !$0.isWhitespace }
        let made = GcType<T>(name: safeName, acyclic: acyclic)
        return cache.withLock { cache in
            if let raced = cache[ObjectIdentifier(T.self)] { return GcType(registered: raced) }
            cache[ObjectIdentifier(T.self)] = made.descriptor
            table.insert(key, made.descriptor)  // under the lock: one writer at a time
            return made
        }
    }
}

/// A fixed, insert-only hash table from a type's metadata address to its registered
/// descriptor, read without a lock. Writers (serialized by the caller's lock) store
/// the value, then publish the key with a releasing store; readers load the key with
/// an acquiring load, so a key they see has its value. Entries are never removed
/// (descriptors live for the process). When the table is full, `insert` does nothing
/// and lookups of later types fall back to the caller's locked dictionary.
final class GenericTypeTable: @unchecked Sendable {
    static let capacity = 4096  // a power of two
    // SAFETY: allocated once, never freed or moved; `keys` are atomics, and each
    // `values` slot is written once, before its key is published.
    private let keys: UnsafeMutablePointer<Atomic<UInt>>
    private let values: UnsafeMutablePointer<Unmanaged<TypeDescriptor>?>

    init() {
        keys = .allocate(capacity: Self.capacity)
        for i in 0..<Self.capacity { (keys + i).initialize(to: Atomic(0)) }
        values = .allocate(capacity: Self.capacity)
        values.initialize(repeating: nil, count: Self.capacity)
    }

    private static func start(_ key: UInt) -> Int { Int(truncatingIfNeeded: (key >> 4) ^ (key >> 16)) & (capacity - 1) }

    /// The descriptor published under `key` (a metadata address, never 0), if any.
    func lookup(_ key: UInt) -> TypeDescriptor? {
        var i = Self.start(key)
        for _ in 0..<Self.capacity {
            let k = keys[i].load(ordering: .acquiring)
            if k == key { return values[i]?.takeUnretainedValue() }
            if k == 0 { return nil }
            i = (i + 1) & (Self.capacity - 1)
        }
        return nil
    }

    /// Publishes `descriptor` under `key`. Callers hold one lock across all inserts.
    func insert(_ key: UInt, _ descriptor: TypeDescriptor) {
        var i = Self.start(key)
        for _ in 0..<Self.capacity {
            let k = keys[i].load(ordering: .relaxed)
            if k == key { return }
            if k == 0 {
                values[i] = Unmanaged.passUnretained(descriptor)  // the registry keeps it
                keys[i].store(key, ordering: .releasing)
                return
            }
            i = (i + 1) & (Self.capacity - 1)
        }
    }
}
