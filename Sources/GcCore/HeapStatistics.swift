/// A snapshot of one heap's counters. Brief statistics cost a few loads; detailed ones
/// (`perType`) walk the heap. A plain value, owned by the caller: safe to keep and
/// send to any thread (`Heap.statistics` itself must be called on the owner thread).
public struct HeapStatistics: Sendable, Equatable, Codable {
    /// Live objects and slot bytes of one registered type.
    public struct TypeStatistics: Sendable, Equatable, Codable {
        /// The type's registered name.
        public var name: String
        /// The type's stable id (`TypeID.hash(name)`).
        public var typeID: UInt64
        public var liveObjects: Int
        public var liveBytes: Int
        /// Bytes its live objects hold outside the heap (`TypeDescriptor.outsideBytes`:
        /// a `GcArray`'s or `GcString`'s Swift buffer).
        public var outsideBytes: Int

        /// A type's figures (a reader rebuilding statistics from a log).
        public init(name: String, typeID: UInt64, liveObjects: Int, liveBytes: Int, outsideBytes: Int = 0) {
            self.name = name
            self.typeID = typeID
            self.liveObjects = liveObjects
            self.liveBytes = liveBytes
            self.outsideBytes = outsideBytes
        }

        /// Tolerates logs written before `outsideBytes` existed (it reads as 0).
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            typeID = try c.decode(UInt64.self, forKey: .typeID)
            liveObjects = try c.decode(Int.self, forKey: .liveObjects)
            liveBytes = try c.decode(Int.self, forKey: .liveBytes)
            outsideBytes = try c.decodeIfPresent(Int.self, forKey: .outsideBytes) ?? 0
        }
    }

    /// Allocated and not yet freed (includes uncollected cyclic garbage).
    public var liveObjects = 0
    /// Slot bytes of live objects, headers included.
    public var liveBytes = 0
    /// Bytes declared with `addMemoryPressure`.
    public var externalBytes = 0
    /// Bytes live objects hold outside the heap (Swift buffers of `GcArray`,
    /// `GcString`; `TypeDescriptor.outsideBytes`): detailed statistics only (a walk),
    /// 0 in brief ones. Slot bytes (`liveBytes`) do not include them.
    public var outsideBytes = 0
    /// Bytes of page blocks held from the system.
    public var committedBytes = 0
    /// Pages in use (small and large), not counting the empty-page cache.
    public var pages = 0
    /// Empty pages kept for reuse.
    public var cachedEmptyPages = 0
    /// Pages given back to the system so far.
    public var pagesReleased = 0

    /// Totals since the heap was created (objects, and slot bytes with headers).
    public var allocatedObjects = 0
    public var allocatedBytes = 0
    public var freedObjects = 0
    public var freedBytes = 0
    /// Freed when their count reached zero.
    public var freedByCount = 0
    /// Freed by a collection (garbage cycles and what hung off them).
    public var freedByCollector = 0

    public var minorCollections = 0
    /// Full collections completed, atomic or incremental.
    public var fullCollections = 0
    /// Slices of incremental full collections run (`CollectionKind.fullSlice`).
    public var fullSlices = 0
    /// Whether an incremental full collection is under way now.
    public var fullCollectionInProgress = false
    /// Garbage that the running incremental full collection has swept (references
    /// released, weak references cleared; `Heap.forEachObject` no longer shows it)
    /// but whose slots it has not freed yet. Still counted in `liveObjects` and
    /// `liveBytes`.
    public var sweptNotFreed = 0
    /// Collection pauses, summed and the longest, in nanoseconds.
    public var totalPauseNanos: UInt64 = 0
    public var maxPauseNanos: UInt64 = 0

    public var finalizersRun = 0
    /// Objects kept alive by a finalizer's resurrection.
    public var resurrections = 0
    /// Objects in the cycle-candidate buffer now.
    public var candidates = 0
    /// Objects with at least one pin.
    public var pinnedObjects = 0
    /// Objects that weak references currently point at.
    public var weakSlots = 0
    /// Copies made when storage shared with Swift (`[T]`, `String`) was later written.
    public var conversionCopies = 0
    /// Bytes of those copies.
    public var conversionCopyBytes = 0

    /// Per registered type, only in detailed statistics; sorted by live bytes.
    public var perType: [TypeStatistics]? = nil

    /// All counters zero.
    public init() {}
}

extension HeapStatistics: CustomStringConvertible {
    /// A few lines of text (what `gcstat` prints), plus per-type lines when detailed.
    public var description: String {
        var lines = [
            "live      \(liveObjects) objects, \(liveBytes) bytes (+\(externalBytes) external)",
            "totals    \(allocatedObjects) allocated, \(freedObjects) freed (\(freedByCount) by count, \(freedByCollector) by collector)",
            "pages     \(pages) in use, \(cachedEmptyPages) cached, \(pagesReleased) given back, \(committedBytes) bytes committed",
            "gc        \(minorCollections) minor, \(fullCollections) full (\(fullSlices) slices), pause total \(totalPauseNanos / 1000) µs, max \(maxPauseNanos / 1000) µs",
            "other     \(finalizersRun) finalized, \(resurrections) resurrected, \(pinnedObjects) pinned, \(weakSlots) weak slots, \(candidates) candidates",
            "convert   \(conversionCopies) copies, \(conversionCopyBytes) bytes",
        ]
        if let perType {
            lines.append("by type:")
            for t in perType {
                lines.append("  \(t.name): \(t.liveObjects) objects, \(t.liveBytes) bytes"
                             + (t.outsideBytes > 0 ? " (+\(t.outsideBytes) outside the heap)" : ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Decoding that tolerates logs written before a field existed: a missing field keeps
/// its default (docs/event-log.md: fields may be added within a format version).
/// A field added to `HeapStatistics` needs its line here, or it is not decoded.
extension HeapStatistics {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let decoded = try c.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        try read(.liveObjects, &liveObjects)
        try read(.liveBytes, &liveBytes)
        try read(.externalBytes, &externalBytes)
        try read(.outsideBytes, &outsideBytes)
        try read(.committedBytes, &committedBytes)
        try read(.pages, &pages)
        try read(.cachedEmptyPages, &cachedEmptyPages)
        try read(.pagesReleased, &pagesReleased)
        try read(.allocatedObjects, &allocatedObjects)
        try read(.allocatedBytes, &allocatedBytes)
        try read(.freedObjects, &freedObjects)
        try read(.freedBytes, &freedBytes)
        try read(.freedByCount, &freedByCount)
        try read(.freedByCollector, &freedByCollector)
        try read(.minorCollections, &minorCollections)
        try read(.fullCollections, &fullCollections)
        try read(.fullSlices, &fullSlices)
        try read(.fullCollectionInProgress, &fullCollectionInProgress)
        try read(.sweptNotFreed, &sweptNotFreed)
        try read(.totalPauseNanos, &totalPauseNanos)
        try read(.maxPauseNanos, &maxPauseNanos)
        try read(.finalizersRun, &finalizersRun)
        try read(.resurrections, &resurrections)
        try read(.candidates, &candidates)
        try read(.pinnedObjects, &pinnedObjects)
        try read(.weakSlots, &weakSlots)
        try read(.conversionCopies, &conversionCopies)
        try read(.conversionCopyBytes, &conversionCopyBytes)
        try read(.perType, &perType)
    }
}
