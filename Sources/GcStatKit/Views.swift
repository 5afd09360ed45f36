import Foundation
import GcCore
import GcProfiler

/// `gcstat trace`: one line per collection, as `HAKOGC_TRACE` prints them, made
/// as the records are read (nothing kept but each heap's last pause end).
public struct TraceView {
    private var heapStart: [UInt64: UInt64] = [:]
    private var previousEnd: [UInt64: UInt64] = [:]
    private var firstStart: UInt64?

    public init() {}

    /// The line for `record` when it is a collection.
    public mutating func line(for record: EventLogRecord) -> String? {
        switch record {
        case let .heapStart(id, at):
            heapStart[id] = at
            return nil
        case let .collection(e, heap, _):
            if firstStart == nil { firstStart = e.startNanos }
            let start = heapStart[heap] ?? firstStart!
            let end = e.startNanos &+ e.pauseNanos
            let mutator = e.startNanos &- Swift.min(previousEnd[heap] ?? start, e.startNanos)
            previousEnd[heap] = end
            return e.traceLine(heapID: heap, sinceStart: end &- Swift.min(start, end), mutatorNanos: mutator)
        default:
            return nil
        }
    }

    /// Every line of the log at `path`, handed to `write` as made.
    /// - Throws: `EventLogError` (the lines before the bad record were written).
    public static func stream(path: String, _ write: (String) throws -> Void) throws {
        var view = TraceView()
        try EventLogRecords.forEach(path: path) { r in if let line = view.line(for: r) { try write(line) } }
    }

    /// Every line of the log at `path`.
    public static func render(path: String) throws -> String {
        var out = ""
        try stream(path: path) { out += $0 }
        return out
    }
}

/// `gcstat json`: the report's figures as JSON (docs/gcstat.md has the schema).
/// Field names are stable: new fields may be added, none renamed or removed within
/// `schema` 1.
public struct JSONReport: Codable, Equatable {
    public struct Pauses: Codable, Equatable {
        public var count: UInt64
        public var totalNanos: UInt64
        public var p50Nanos: UInt64, p90Nanos: UInt64, p99Nanos: UInt64, p999Nanos: UInt64, maxNanos: UInt64
        public var freedObjects: Int
    }
    public struct Site: Codable, Equatable {
        public var name: String
        public var location: String?
        public var allocatedBytes: Double, allocatedObjects: Double, inUseBytes: Double, inUseObjects: Double
    }
    public struct Leak: Codable, Equatable {
        public var heap: UInt64
        public var kind: String  // "objects", "cycle" or "pin"
        public var objects: UInt64, bytes: UInt64
        public var types: String, holder: String, path: String
        public var site: [String]
    }
    public var schema = 1
    public var version: Int
    public var label: String
    public var pid: Int
    public var complete: Bool
    public var durationNanos: UInt64?
    public var heaps: Int
    /// By kind (`minor`, `full`, `full-slice`) and `all`.
    public var pauses: [String: Pauses]
    /// Minimum mutator utilisation by window ("1ms", "10ms", "100ms"); absent when the
    /// run is shorter than the window.
    public var mmu: [String: Double]
    /// Nanoseconds by phase name; they add up to `pauses.all.totalNanos`.
    public var phaseNanos: [String: UInt64]
    public var reasons: [String: Int]
    public var sampleRate: UInt64
    public var samples: Int
    public var sites: [Site]
    public var leaks: [Leak]
    public var lastSnapshot: HeapStatistics?

    public init(_ log: LogSummary) {
        let p = log.pauses
        version = log.version
        label = log.label
        pid = log.pid
        complete = log.isComplete
        durationNanos = log.end?.durationNanos
        heaps = log.heaps.count
        var pauses: [String: Pauses] = [:]
        for kind in CollectionKind.allCases.map(\.rawValue) + ["all"] {
            pauses[kind] = Pauses(count: p.count(kind), totalNanos: p.totals[kind] ?? 0,
                                  p50Nanos: p.value(kind, at: 50), p90Nanos: p.value(kind, at: 90),
                                  p99Nanos: p.value(kind, at: 99), p999Nanos: p.value(kind, at: 99.9),
                                  maxNanos: p.max(kind), freedObjects: p.freed[kind] ?? 0)
        }
        self.pauses = pauses
        var mmu: [String: Double] = [:]
        for (w, v) in log.mmu.minimum() where MutatorUtilisation.reportWindows.contains(w) {
            if let v { mmu["\(w / 1_000_000)ms"] = (v * 10_000).rounded() / 10_000 }
        }
        self.mmu = mmu
        var phases: [String: UInt64] = [:]
        for phase in GcPhase.allCases {
            let t = log.nanos(phase)
            if t > 0 { phases[phase.name] = t }
        }
        phaseNanos = phases
        var reasons: [String: Int] = [:]
        for (r, n) in log.reasons { reasons[r.rawValue] = n }
        self.reasons = reasons
        sampleRate = log.sampleRate
        samples = log.sites.samples
        sites = log.siteFigures().map {
            Site(name: $0.name, location: $0.location, allocatedBytes: $0.allocatedBytes.rounded(),
                 allocatedObjects: $0.allocatedObjects.rounded(), inUseBytes: $0.inUseBytes.rounded(),
                 inUseObjects: $0.inUseObjects.rounded())
        }
        leaks = log.leaks.map {
            Leak(heap: $0.heap, kind: $0.isPin ? "pin" : $0.isCycle ? "cycle" : "objects", objects: $0.objects, bytes: $0.bytes,
                 types: $0.types, holder: $0.holder, path: $0.path, site: $0.site)
        }
        lastSnapshot = log.lastSnapshot
    }

    /// Pretty, keys sorted: the same log gives the same bytes.
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

/// `gcstat leaks`: every leak group the log's checks recorded.
public enum LeakView {
    public static func render(_ log: LogSummary) -> String {
        guard !log.leaks.isEmpty else {
            return log.version >= 2 ? "no leaks recorded (a leak check writes here: HAKOGC_LEAKCHECK=1, or heap.leakCheck() / hgc_leak_check with a profile attached)\n"
                : "no leaks recorded (a version-1 log has no leak records)\n"
        }
        var out = ""
        for heap in Set(log.leaks.map(\.heap)).sorted() {
            let groups = log.leaks.filter { $0.heap == heap && !$0.isPin }
            let pins = log.leaks.filter { $0.heap == heap && $0.isPin }
            let objects = groups.reduce(UInt64(0)) { $0 + $1.objects }, bytes = groups.reduce(UInt64(0)) { $0 + $1.bytes }
            out += "heap \(heap): \(objects) objects, \(bytes) bytes still alive in \(groups.count) groups\n"
            for g in groups {
                out += g.isCycle ? "  a cycle of \(g.objects) objects (\(g.types)), \(g.bytes) bytes\n" : "  \(g.types), \(g.bytes) bytes\n"
                if !g.site.isEmpty { out += "    allocated at " + LeakReport.render(site: g.site) + "\n" }
                out += "    held by \(g.holder)\n"
                if g.path.contains("→") { out += "    path: \(g.path)\n" }
            }
            if !pins.isEmpty {
                out += "  forgotten pins: \(pins.count)\n"
                for p in pins {
                    let site = p.site.isEmpty ? "" : " pinned at " + LeakReport.render(site: p.site)
                    out += "    \(p.types)\(site): keeps \(p.objects) objects, \(p.bytes) bytes alive\n"
                }
            }
        }
        return out
    }
}
