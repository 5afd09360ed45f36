import GcCore

/// The heap object behind a `GcArray`: a Swift array (Swift-owned storage) in a
/// heap payload. Holding the Swift array itself is what makes conversion to and
/// from `[Element]` O(1): both sides share one buffer, copy-on-write. Reach it through
/// `GcArray` or a `GcRc` (owner thread, borrow-checked). Not Sendable: a payload
/// type, which lives in a heap owned by one thread.
public struct GcArrayStorage<Element>: GcObject {
    /// The elements. Writing them directly (through `GcRc.mutate`) is not counted in
    /// `conversionCopies`.
    public var elements: [Element]
    /// The buffer may also be referenced by a Swift array outside the heap.
    @usableFromInline var mayBeShared: Bool

    /// The array's buffer, which lives in Swift's memory, not the heap's.
    public var gcOutsideBytes: Int { elements.capacity * MemoryLayout<Element>.stride }

    @inlinable
    init(elements: [Element], mayBeShared: Bool) {
        self.elements = elements
        self.mayBeShared = mayBeShared
    }

    /// `hako/Array<…>`, registered (acyclic) on first use per `Element`. An
    /// `Element` that holds a heap handle at any depth (`GcBox<T>?`, `[GcString]`, a
    /// struct, class, tuple or enum payload holding one, a generic argument that is
    /// one), or that cannot be checked (`Any`, a closure), is refused then, once per
    /// type, with a message naming the path to it: the collector never traces the
    /// elements, so a handle in them would be a root it cannot see (see
    /// `HandleDetection`).
    public static var gcType: GcType<GcArrayStorage<Element>> {
        GenericGcTypes.type(for: Self.self, name: registrationName())
    }

    /// Checks `Element` and names the type; runs only when the type registers.
    static func registrationName() -> String {
        if let finding = HandleDetection.find(in: Element.self) {
            let verb = finding.isHandle ? "holds" : "may hold"
            misusePrecondition(false, "HakoGC: GcArray<\(Element.self)> \(verb) heap handles the collector "
                + "cannot see; use GcRefArray (\(finding))")
        }
        return "hako/Array<\(String(reflecting: Element.self))>"
    }
}

/// A growable array of plain values (no heap references) in a HakoGC heap.
///
/// Semantics: `GcArray` is a *reference* to a heap array (like `NSMutableArray`):
/// copies of the handle see the same elements, and the mutating operations are
/// `nonmutating`. Equality and hashing compare contents.
///
/// Conversion: `GcArray(array)` and `toArray()` are O(1) and copy no element; the
/// buffer is shared with the Swift array until either side writes. When the heap
/// side writes to a buffer that may be shared, and Swift copies it, the copy is
/// counted in `HeapStatistics.conversionCopies` / `conversionCopyBytes`.
///
/// Ownership and threads: as `GcBox` (an anchor-backed root; use and drop on the
/// heap's owner thread; do not store inside heap objects; use `rc()` for fields).
/// Not Sendable (Swift 6 refuses to send it): its copies and drops change a heap
/// count that is not atomic; moving it to another thread by unsafe means (`Unmanaged`,
/// `nonisolated(unsafe)`, Swift 5 mode, or sending one made in `DefaultHeap.current`, see
/// Sendability.swift) is outside the safe API and is not checked in release builds.
/// `toArray()` gives a Swift array that may go anywhere.
/// Misuse: an index out of range stops the process, as for `Array`; so does any
/// access to the same array from inside `modifyElements` (or a closure passed to
/// `sort(by:)`), and a write from inside `withElements`.
public struct GcArray<Element>: GcHandle {
    @usableFromInline let anchor: GcAnchor

    @inlinable
    var storage: UnsafeMutablePointer<GcArrayStorage<Element>> {
        // SAFETY: the anchor keeps the object alive; its payload is a GcArrayStorage.
        anchor.object.payload.assumingMemoryBound(to: GcArrayStorage<Element>.self)
    }

    /// An empty array in `heap` (default: this thread's `DefaultHeap`). Out of memory
    /// stops the process, as for every initializer here.
    public init(in heap: Heap = DefaultHeap.current) {
        self.init(adopting: [], mayBeShared: false, in: heap)
    }

    /// Wraps `array`'s buffer in O(1), copying no element.
    @inlinable  // specialized per Element: no generic metadata or type lookups
    public init(_ array: [Element], in heap: Heap = DefaultHeap.current) {
        self.init(adopting: array, mayBeShared: true, in: heap)
    }

    /// An array of `elements` (collected into a new Swift array) in `heap`.
    public init<S: Sequence>(_ elements: S, in heap: Heap = DefaultHeap.current) where S.Element == Element {
        self.init(adopting: Array(elements), mayBeShared: false, in: heap)
    }

    @inlinable
    init(adopting array: [Element], mayBeShared: Bool, in heap: Heap) {
        // Handles as elements are refused when the type registers (`gcType`).
        let rc = GcRc(GcArrayStorage(elements: array, mayBeShared: mayBeShared), in: heap)
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A handle on the array that `rc` refers to (takes over its count).
    public init(_ rc: consuming GcRc<GcArrayStorage<Element>>) {
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A counted reference, for a field of another heap object; the caller owns its
    /// new count.
    public func rc() -> GcRc<GcArrayStorage<Element>> { GcRc(unsafeRetaining: anchor.object) }

    /// The heap the array lives in (a facade if the user's `Heap` is gone).
    public var heap: Heap { Heap.owning(anchor.object) }

    /// Reads the elements without copying them (a shared borrow).
    @inlinable
    public func withElements<R>(_ body: ([Element]) throws -> R) rethrows -> R {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        return try body(storage.pointee.elements)
    }

    /// Writes the elements in place, counting a copy of shared storage (an exclusive
    /// borrow: touching this array inside `body` stops the process).
    @inlinable
    public func modifyElements<R>(_ body: (inout [Element]) throws -> R) rethrows -> R {
        let object = anchor.object
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        let storage = self.storage
        guard storage.pointee.mayBeShared else { return try body(&storage.pointee.elements) }
        return try modifySharedElements(storage, body)
    }

    @usableFromInline
    func modifySharedElements<R>(
        _ storage: UnsafeMutablePointer<GcArrayStorage<Element>>, _ body: (inout [Element]) throws -> R
    ) rethrows -> R {
        let before = storage.pointee.elements.withUnsafeBufferPointer { $0.baseAddress }
        let count = storage.pointee.elements.count
        let result = try body(&storage.pointee.elements)
        let after = storage.pointee.elements.withUnsafeBufferPointer { $0.baseAddress }
        if before != nil && before != after {
            // Swift copied the buffer: it was shared with an array outside the heap.
            heap.recordConversionCopy(bytes: count * MemoryLayout<Element>.stride)
            storage.pointee.mayBeShared = false
        }
        return result
    }

    // MARK: Conversion

    /// The elements as a Swift array, in O(1): the buffer is shared, not copied. The
    /// result is an ordinary Swift value the caller owns, usable on any thread.
    public func toArray() -> [Element] {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        storage.pointee.mayBeShared = true
        return storage.pointee.elements
    }

    /// Moves the elements out in O(1) (same buffer), leaving this array empty; the
    /// caller owns the result.
    public func takeArray() -> [Element] {
        // A move, not a copy: bypasses the copy accounting of modifyElements.
        let object = anchor.object
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        storage.pointee.mayBeShared = false
        let taken = storage.pointee.elements
        storage.pointee.elements = []
        return taken
    }
}

extension Array {
    /// The elements of `array`, in O(1) (shared buffer). Call on the heap's owner thread;
    /// the result is an ordinary Swift array.
    public init(_ array: GcArray<Element>) { self = array.toArray() }
}
