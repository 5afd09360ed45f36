/// A snapshot of one heap's counters. Brief statistics cost a few loads; detailed ones
/// (`perType`) walk the heap.
public struct HeapStatistics: Sendable, Equatable, Codable {
    public struct TypeStatistics: Sendable, Equatable, Codable {
        public var name: String
        public var typeID: UInt64
        public var liveObjects: Int
        public var liveBytes: Int
    }

    /// Allocated and not yet freed (includes uncollected cyclic garbage).
    public var liveObjects = 0
    /// Slot bytes of live objects, headers included.
    public var liveBytes = 0
    /// Bytes declared with `addMemoryPressure`.
    public var externalBytes = 0
    /// Bytes of page blocks held from the system.
    public var committedBytes = 0
    public var pages = 0
    public var cachedEmptyPages = 0
    public var pagesReleased = 0

    public var allocatedObjects = 0
    public var allocatedBytes = 0
    public var freedObjects = 0
    public var freedBytes = 0
    /// Freed when their count reached zero.
    public var freedByCount = 0
    /// Freed by a collection (garbage cycles and what hung off them).
    public var freedByCollector = 0

    public var minorCollections = 0
    public var fullCollections = 0
    public var totalPauseNanos: UInt64 = 0
    public var maxPauseNanos: UInt64 = 0

    public var finalizersRun = 0
    public var resurrections = 0
    public var candidates = 0
    public var pinnedObjects = 0
    public var weakSlots = 0
    /// Copies made when storage shared with Swift (`[T]`, `String`) was later written.
    public var conversionCopies = 0
    public var conversionCopyBytes = 0

    /// Per registered type, only in detailed statistics; sorted by live bytes.
    public var perType: [TypeStatistics]? = nil

    public init() {}
}

extension HeapStatistics: CustomStringConvertible {
    public var description: String {
        var lines = [
            "live      \(liveObjects) objects, \(liveBytes) bytes (+\(externalBytes) external)",
            "totals    \(allocatedObjects) allocated, \(freedObjects) freed (\(freedByCount) by count, \(freedByCollector) by collector)",
            "pages     \(pages) in use, \(cachedEmptyPages) cached, \(pagesReleased) given back, \(committedBytes) bytes committed",
            "gc        \(minorCollections) minor, \(fullCollections) full, pause total \(totalPauseNanos / 1000) µs, max \(maxPauseNanos / 1000) µs",
            "other     \(finalizersRun) finalized, \(resurrections) resurrected, \(pinnedObjects) pinned, \(weakSlots) weak slots, \(candidates) candidates",
            "convert   \(conversionCopies) copies, \(conversionCopyBytes) bytes",
        ]
        if let perType {
            lines.append("by type:")
            for t in perType {
                lines.append("  \(t.name): \(t.liveObjects) objects, \(t.liveBytes) bytes")
            }
        }
        return lines.joined(separator: "\n")
    }
}
