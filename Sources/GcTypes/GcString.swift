import GcCore

/// The heap object behind a `GcString`: a Swift `String` (Swift-owned storage) in a
/// heap payload, so conversion either way shares the UTF-8 buffer. Reach it through
/// `GcString` or a `GcRc` (owner thread, borrow-checked). Not Sendable: a payload
/// type, which lives in a heap owned by one thread.
public struct GcStringStorage: GcObject {
    /// The contents. Writing it directly (through `GcRc.mutate`) is not counted in
    /// `conversionCopies`.
    public var string: String
    @usableFromInline var mayBeShared: Bool
    /// `hako/String`, acyclic; registered on first use.
    public static let gcType = GcType<GcStringStorage>(name: "hako/String", acyclic: true)
    /// The string's UTF-8 buffer, in Swift's memory (0 for a small string, stored
    /// inline in the payload).
    public var gcOutsideBytes: Int {
        let count = string.utf8.count
        return count <= 15 ? 0 : count
    }
}

/// A Unicode string in a HakoGC heap.
///
/// Semantics: a reference to a heap string; copies of the handle share it. Equality,
/// hashing and ordering compare contents (as `String` does: canonical equivalence).
/// `append` changes the string in place for every handle; the other operations
/// return new strings in the same heap.
///
/// Conversion: `GcString(string)` and `String(gcString)` are O(1) and copy no byte.
/// When the heap side appends to a buffer shared with a Swift `String` and Swift
/// copies it, the copy is counted in `HeapStatistics.conversionCopies`.
///
/// Ownership and threads: as `GcBox` (anchor-backed root; owner thread only; use
/// `rc()` for fields of heap objects; do not store it inside heap objects).
/// Not Sendable (Swift 6 refuses to send it): its copies and drops change a heap
/// count that is not atomic; moving it to another thread by unsafe means (`Unmanaged`,
/// `nonisolated(unsafe)`, Swift 5 mode, or sending one made in `DefaultHeap.current`, see
/// Sendability.swift) is outside the safe API and is not checked in release builds.
/// `string` gives a Swift `String` that may go anywhere.
/// Operations that return new strings allocate in this string's heap; out of memory
/// stops the process.
public struct GcString: GcHandle {
    @usableFromInline let anchor: GcAnchor

    @inlinable
    var storage: UnsafeMutablePointer<GcStringStorage> {
        // SAFETY: the anchor keeps the object alive; its payload is a GcStringStorage.
        anchor.object.payload.assumingMemoryBound(to: GcStringStorage.self)
    }

    /// Wraps `string`'s buffer in O(1), in `heap` (default: this thread's `DefaultHeap`).
    public init(_ string: String, in heap: Heap = DefaultHeap.current) {
        let rc = GcRc(GcStringStorage(string: string, mayBeShared: true), in: heap)
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A handle on the string that `rc` refers to (takes over its count).
    public init(_ rc: consuming GcRc<GcStringStorage>) {
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    /// A counted reference, for a field of another heap object; the caller owns its
    /// new count.
    public func rc() -> GcRc<GcStringStorage> { GcRc(unsafeRetaining: anchor.object) }

    /// The heap the string lives in (a facade if the user's `Heap` is gone).
    public var heap: Heap { Heap.owning(anchor.object) }

    @inlinable
    func read<R>(_ body: (String) throws -> R) rethrows -> R {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        return try body(storage.pointee.string)
    }

    /// The contents as a Swift `String`, in O(1) (shared buffer); an ordinary value the
    /// caller owns, usable on any thread.
    public var string: String {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        storage.pointee.mayBeShared = true
        return storage.pointee.string
    }

    /// The UTF-8 view of `string` (a snapshot; later appends do not show).
    public var utf8: String.UTF8View { string.utf8 }
    /// The scalar view of `string` (a snapshot; later appends do not show).
    public var unicodeScalars: String.UnicodeScalarView { string.unicodeScalars }
    /// Number of characters (grapheme clusters), O(n) as for `String`.
    public var count: Int { read { $0.count } }
    /// Number of UTF-8 bytes.
    public var utf8Count: Int { read { $0.utf8.count } }
    /// Whether the string has no characters.
    public var isEmpty: Bool { read { $0.isEmpty } }

    /// As `String.hasPrefix`.
    public func hasPrefix(_ prefix: String) -> Bool { read { $0.hasPrefix(prefix) } }
    /// As `String.hasSuffix`.
    public func hasSuffix(_ suffix: String) -> Bool { read { $0.hasSuffix(suffix) } }
    /// As `String.contains`.
    public func contains(_ other: String) -> Bool { read { $0.contains(other) } }

    /// A new lowercased string in the same heap.
    public func lowercased() -> GcString { GcString(fresh: read { $0.lowercased() }, in: heap) }
    /// A new uppercased string in the same heap.
    public func uppercased() -> GcString { GcString(fresh: read { $0.uppercased() }, in: heap) }

    /// The pieces between `separator`s, as new strings in the same heap.
    public func split(separator: Character, omittingEmpty: Bool = true) -> [GcString] {
        let heap = self.heap
        return read { s in
            s.split(separator: separator, omittingEmptySubsequences: omittingEmpty)
                .map { GcString(fresh: String($0), in: heap) }
        }
    }

    /// Appends in place (every handle sees it), counting a copy of shared storage.
    /// An exclusive borrow: called while the string is being read, it stops the process.
    public func append(_ other: String) {
        let object = anchor.object
        object.beginExclusiveBorrow()
        defer { object.endExclusiveBorrow() }
        let s = storage
        let before = s.pointee.string.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        let bytes = s.pointee.string.utf8.count
        s.pointee.string.append(other)
        guard s.pointee.mayBeShared, let before else { return }
        let after = s.pointee.string.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        if after != before {
            heap.recordConversionCopy(bytes: bytes)
            s.pointee.mayBeShared = false
        }
    }

    /// A new string in `a`'s heap.
    public static func + (a: GcString, b: GcString) -> GcString {
        GcString(fresh: a.read { x in b.read { y in x + y } }, in: a.heap)
    }

    init(fresh string: String, in heap: Heap) {
        let rc = GcRc(GcStringStorage(string: string, mayBeShared: false), in: heap)
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }
}

extension GcString: Hashable, Comparable {
    /// Same contents (canonical equivalence), or the same heap string.
    public static func == (a: GcString, b: GcString) -> Bool {
        a.anchor.object == b.anchor.object || a.read { x in b.read { y in x == y } }
    }
    /// Orders by contents, as `String`.
    public static func < (a: GcString, b: GcString) -> Bool { a.read { x in b.read { y in x < y } } }
    /// Hashes the current contents: a handle used as a dictionary key must not be
    /// appended to afterwards.
    public func hash(into hasher: inout Hasher) { read { hasher.combine($0) } }
}

extension GcString: CustomStringConvertible, CustomDebugStringConvertible {
    /// The contents.
    public var description: String { string }
    /// `GcString("…")` with the contents escaped.
    public var debugDescription: String { read { "GcString(\($0.debugDescription))" } }
}

extension GcString: ExpressibleByStringLiteral {
    /// A string in the calling thread's `DefaultHeap`.
    public init(stringLiteral value: String) { self.init(value) }
}

extension String {
    /// The contents of `string`, in O(1) (shared buffer). Call on the heap's owner
    /// thread; the result is an ordinary Swift string.
    public init(_ string: GcString) { self = string.string }
}
