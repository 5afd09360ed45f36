import GcCore

/// The heap object behind a `GcRefArray`: counted references to objects of the same
/// heap. Each element is a heap edge (traced, released when the array drops it), so
/// cycles through the array are found by the collector. Not Sendable: a payload
/// type holding counts on objects of a heap owned by one thread.
public struct GcRefArrayStorage<Element: GcObject & ~Copyable>: GcObject, ~Copyable {
    /// Object addresses; each holds one count.
    @usableFromInline var references: [UInt] = []

    public static var gcType: GcType<GcRefArrayStorage<Element>> {
        GenericGcTypes.type(for: Self.self, name: "hako/RefArray<\(String(reflecting: Element.self))>", acyclic: false)
    }

    public func trace(into tracer: inout GcTracer) {
        for bits in references { tracer.visit(bits: bits) }
    }

    deinit {
        for bits in references { Heap.release(ObjectRef(bits: bits)!) }
    }
}

/// A growable array of heap references (`GcRc<Element>` elements) in a HakoGC heap.
///
/// Semantics: a reference to a heap array, like `GcArray`: copies of the handle see
/// the same elements. Each element holds a count on its object and is an edge the
/// collector follows, so `node → array → node` cycles are collected. Elements must
/// live in the array's heap (another heap's object stops the process).
///
/// Ownership and threads: as `GcBox` (anchor-backed; owner thread only; `rc()` for
/// fields of heap objects). Reading an element gives a new `GcRc` (one more count);
/// `append`/`set` take the `GcRc` they are given. An index out of range stops the
/// process, as for `Array`.
/// Not Sendable (Swift 6 refuses to send it): its copies and drops change a heap
/// count that is not atomic; moving it to another thread by unsafe means (`Unmanaged`,
/// `nonisolated(unsafe)`, Swift 5 mode, or sending one made in `DefaultHeap.current`, see
/// Sendability.swift) is outside the safe API and is not checked in release builds.
public struct GcRefArray<Element: GcObject & ~Copyable>: GcHandle {
    @usableFromInline let anchor: GcAnchor

    public init(in heap: Heap = DefaultHeap.current) {
        anchor = GcAnchor(adopting: GcRc(GcRefArrayStorage<Element>(), in: heap).unsafeRelinquish())
    }

    /// A handle on the array `rc` refers to (takes over its count).
    public init(_ rc: consuming GcRc<GcRefArrayStorage<Element>>) {
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A counted reference, for a field of another heap object.
    public func rc() -> GcRc<GcRefArrayStorage<Element>> { GcRc(unsafeRetaining: anchor.object) }

    public var heap: Heap { Heap.owning(anchor.object) }

    private func read<R>(_ body: ([UInt]) -> R) -> R {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        return body(object.payload.assumingMemoryBound(to: GcRefArrayStorage<Element>.self).pointee.references)
    }

    private func modify<R>(_ body: (inout [UInt]) -> R) -> R {
        let object = anchor.object
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        // SAFETY: the anchor keeps the storage alive; exclusive borrow keeps others out.
        return body(&object.payload.assumingMemoryBound(to: GcRefArrayStorage<Element>.self).pointee.references)
    }

    private func adopt(_ element: consuming GcRc<Element>) -> UInt {
        let object = element.unsafeRelinquish()
        misusePrecondition(object.isInSameHeap(as: anchor.object),
                     "HakoGC: GcRefArray element from another heap; references between heaps are not supported")
        return object.bits
    }

    public var count: Int { read { $0.count } }
    public var isEmpty: Bool { read { $0.isEmpty } }

    /// A new counted reference to element `index`.
    public subscript(index: Int) -> GcRc<Element> {
        GcRc(unsafeRetaining: ObjectRef(bits: read { $0[index] })!)
    }

    public func append(_ element: consuming GcRc<Element>) {
        let bits = adopt(element)
        modify { $0.append(bits) }
    }

    /// Replaces element `index` (the old one is released).
    public func set(_ index: Int, to element: consuming GcRc<Element>) {
        let bits = adopt(element)
        let old = modify { refs -> UInt in
            let old = refs[index]
            refs[index] = bits
            return old
        }
        Heap.release(ObjectRef(bits: old)!)  // after the borrow: it may free objects
    }

    /// Removes element `index` and hands its count to the caller.
    public func remove(at index: Int) -> GcRc<Element> {
        GcRc(unsafeAdopting: ObjectRef(bits: modify { $0.remove(at: index) })!)
    }

    public func removeAll() {
        let old = modify { refs -> [UInt] in
            let old = refs
            refs = []
            return old
        }
        for bits in old { Heap.release(ObjectRef(bits: bits)!) }
    }

    /// Calls `body` with each element in order, as the array was when the call
    /// began (like `for x in array` on a Swift array): every element is held before
    /// `body` first runs, so a body that removes, replaces or frees elements still
    /// gets the objects it was going to get, never a freed one. Each is released
    /// after its call (the rest too if `body` throws).
    public func forEach(_ body: (borrowing GcRc<Element>) throws -> Void) rethrows {
        // Retain all first: a count taken only when the loop reaches an element
        // would come after user code that may have freed it (issue 12, case 1).
        let snapshot = read { refs -> [UInt] in
            for bits in refs { Heap.retain(ObjectRef(bits: bits)!) }
            return refs
        }
        var next = 0
        defer {
            for bits in snapshot[next...] { Heap.release(ObjectRef(bits: bits)!) }
        }
        while next < snapshot.count {
            let element = GcRc<Element>(unsafeAdopting: ObjectRef(bits: snapshot[next])!)
            next += 1
            try body(element)
        }
    }

    /// Whether both handles refer to the same array.
    public func isSame(as other: GcRefArray<Element>) -> Bool { anchor.object == other.anchor.object }
}
