import GcCore

/// The heap object behind a `GcString`: a Swift `String` (Swift-owned storage) in a
/// heap payload, so conversion either way shares the UTF-8 buffer.
public struct GcStringStorage: GcObject {
    public var string: String
    @usableFromInline var mayBeShared: Bool
    public static let gcType = GcType<GcStringStorage>(name: "hako/String", acyclic: true)
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
/// `rc()` for fields of heap objects).
public struct GcString {
    @usableFromInline let anchor: GcAnchor

    @inlinable
    var storage: UnsafeMutablePointer<GcStringStorage> {
        // SAFETY: the anchor keeps the object alive; its payload is a GcStringStorage.
        anchor.object.payload.assumingMemoryBound(to: GcStringStorage.self)
    }

    /// Wraps `string`'s buffer in O(1).
    public init(_ string: String, in heap: Heap = DefaultHeap.current) {
        let rc = GcRc(GcStringStorage(string: string, mayBeShared: true), in: heap)
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    public init(_ rc: consuming GcRc<GcStringStorage>) {
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }

    public func rc() -> GcRc<GcStringStorage> { GcRc(unsafeRetaining: anchor.object) }

    public var heap: Heap { Heap.owning(anchor.object) }

    @inlinable
    func read<R>(_ body: (String) throws -> R) rethrows -> R {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        return try body(storage.pointee.string)
    }

    /// The contents as a Swift `String`, in O(1) (shared buffer).
    public var string: String {
        let object = anchor.object
        object.beginSharedBorrow()
        defer { object.endSharedBorrow() }
        storage.pointee.mayBeShared = true
        return storage.pointee.string
    }

    public var utf8: String.UTF8View { string.utf8 }
    public var unicodeScalars: String.UnicodeScalarView { string.unicodeScalars }
    /// Number of characters (grapheme clusters), O(n) as for `String`.
    public var count: Int { read { $0.count } }
    public var utf8Count: Int { read { $0.utf8.count } }
    public var isEmpty: Bool { read { $0.isEmpty } }

    public func hasPrefix(_ prefix: String) -> Bool { read { $0.hasPrefix(prefix) } }
    public func hasSuffix(_ suffix: String) -> Bool { read { $0.hasSuffix(suffix) } }
    public func contains(_ other: String) -> Bool { read { $0.contains(other) } }

    public func lowercased() -> GcString { GcString(fresh: read { $0.lowercased() }, in: heap) }
    public func uppercased() -> GcString { GcString(fresh: read { $0.uppercased() }, in: heap) }

    public func split(separator: Character, omittingEmpty: Bool = true) -> [GcString] {
        let heap = self.heap
        return read { s in
            s.split(separator: separator, omittingEmptySubsequences: omittingEmpty)
                .map { GcString(fresh: String($0), in: heap) }
        }
    }

    /// Appends in place (every handle sees it), counting a copy of shared storage.
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

    public static func + (a: GcString, b: GcString) -> GcString {
        GcString(fresh: a.read { x in b.read { y in x + y } }, in: a.heap)
    }

    init(fresh string: String, in heap: Heap) {
        let rc = GcRc(GcStringStorage(string: string, mayBeShared: false), in: heap)
        anchor = GcAnchor(adopting: rc.unsafeRelinquish())
    }
}

extension GcString: Hashable, Comparable {
    public static func == (a: GcString, b: GcString) -> Bool {
        a.anchor.object == b.anchor.object || a.read { x in b.read { y in x == y } }
    }
    public static func < (a: GcString, b: GcString) -> Bool { a.read { x in b.read { y in x < y } } }
    public func hash(into hasher: inout Hasher) { read { hasher.combine($0) } }
}

extension GcString: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { string }
    public var debugDescription: String { read { "GcString(\($0.debugDescription))" } }
}

extension GcString: ExpressibleByStringLiteral {
    /// A string in the calling thread's `DefaultHeap`.
    public init(stringLiteral value: String) { self.init(value) }
}

extension String {
    /// The contents of `string`, in O(1) (shared buffer).
    public init(_ string: GcString) { self = string.string }
}
