import GcProfiler

/// Allocation samples summed per (stack, type), fed one record at a time: what was
/// allocated, and what is still in use. Memory grows with the distinct (stack, type)
/// pairs and with the samples live at once (a free is matched to its sample by
/// address), not with the samples taken. A plain value; any thread.
public struct SiteTable {
    /// One stack and type: estimated figures (`Sample.weight` scaled).
    public struct Entry: Equatable {
        public var stack: UInt64, typeID: UInt64
        public var samples = 0
        public var allocatedObjects = 0.0, allocatedBytes = 0.0
        public var inUseObjects = 0.0, inUseBytes = 0.0
        /// Samples not freed yet.
        public var live = 0
    }

    private struct Key: Hashable { let stack: UInt64, type: UInt64 }
    private var index: [Key: Int] = [:]
    /// In the order of each pair's first sample.
    public private(set) var entries: [Entry] = []
    /// Live samples: heap → address → (entry, weight, bytes).
    private var live: [UInt64: [UInt64: (entry: Int, weight: Double, bytes: UInt64)]] = [:]
    /// Samples taken.
    public private(set) var samples = 0
    /// Frees of addresses no live sample names (0 in a valid log).
    public private(set) var unmatchedFrees = 0

    public init() {}

    public mutating func sample(_ s: EventLogContents.Sample) {
        let key = Key(stack: s.stack, type: s.typeID)
        let i: Int
        if let known = index[key] {
            i = known
        } else {
            i = entries.count
            index[key] = i
            entries.append(Entry(stack: s.stack, typeID: s.typeID))
        }
        let w = s.weight, bytes = w * Double(s.bytes)
        samples += 1
        entries[i].samples += 1
        entries[i].allocatedObjects += w
        entries[i].allocatedBytes += bytes
        // An address sampled again without a free between: the old sample's free was
        // lost (a damaged log); it stays counted as in use.
        live[s.heap, default: [:]][s.address] = (i, w, s.bytes)
        entries[i].inUseObjects += w
        entries[i].inUseBytes += bytes
        entries[i].live += 1
    }

    public mutating func free(heap: UInt64, address: UInt64) {
        guard let (i, w, bytes) = live[heap]?.removeValue(forKey: address) else { unmatchedFrees += 1; return }
        entries[i].live -= 1
        if entries[i].live == 0 {
            // Exactly nothing in use, not the rounding left by subtracting.
            entries[i].inUseObjects = 0
            entries[i].inUseBytes = 0
        } else {
            entries[i].inUseObjects -= w
            entries[i].inUseBytes -= w * Double(bytes)
        }
    }

    /// Figures per site — the first frame below HakoGC's own, by name — sorted by
    /// bytes allocated.
    public func sites(_ names: LogNames) -> [EventLogContents.Site] {
        var sites: [String: EventLogContents.Site] = [:]
        for e in entries {
            let (name, location) = names.site(ofStack: e.stack)
            var site = sites[name] ?? EventLogContents.Site(name: name, location: location)
            site.allocatedObjects += e.allocatedObjects
            site.allocatedBytes += e.allocatedBytes
            site.inUseObjects += e.inUseObjects
            site.inUseBytes += e.inUseBytes
            sites[name] = site
        }
        return sites.values.sorted { ($0.allocatedBytes, $0.name) > ($1.allocatedBytes, $1.name) }
    }
}
