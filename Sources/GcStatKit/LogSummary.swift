import GcCore
import GcProfiler

/// What gcstat's views show of a log, gathered in one pass over its records
/// (`EventLogRecords`), keeping no record once it is counted. Memory is bounded by
/// what the run had few of — heaps, distinct stacks and types, leak groups, samples
/// live at once, pauses within the longest MMU window (1 s) — and by a fixed size
/// for the rest (pause histograms, the plots' 20 000 marks), not by the number of
/// records: a log of any length can be read. A plain value; any thread.
public struct LogSummary {
    public private(set) var version: Int
    public private(set) var label = ""
    /// Monotonic clock when the log was created, nanoseconds.
    public private(set) var startNanos: UInt64 = 0
    /// Wall-clock time (UTC) at `startNanos`, nanoseconds since 1970 (version 2).
    public private(set) var wallClockNanos: UInt64 = 0
    public private(set) var pid = 0
    /// Mean bytes between samples (0: none sampled).
    public private(set) var sampleRate: UInt64 = 0
    public private(set) var heaps: [EventLogContents.HeapRecord] = []
    /// Stacks, symbols, type names, mappings (`resolveSourceLines()` fills in lines).
    public var names = LogNames()
    /// Leak-check groups, in file order.
    public private(set) var leaks: [EventLogContents.Leak] = []
    /// The process-end record: when, and nanoseconds since the process record.
    public private(set) var end: (atNanos: UInt64, durationNanos: UInt64)?
    /// Records of unknown kinds (skipped, counted).
    public private(set) var skippedRecords = 0
    public private(set) var lastSnapshot: HeapStatistics?
    public private(set) var collections = 0
    /// The heaps that collected, ascending.
    public var collectingHeaps: [UInt64] { collectingHeapSet.sorted() }
    private var collectingHeapSet: Set<UInt64> = []
    public private(set) var pauses = PauseStatistics()
    /// Pause time per kind (`CollectionKind.rawValue`, and "all"), per phase in
    /// `GcPhase.allCases` order.
    public private(set) var phaseNanos: [String: [UInt64]] = [:]
    public private(set) var reasons: [CollectionReason: Int] = [:]
    public private(set) var mmu = MutatorUtilisation()
    public private(set) var timeline = PauseTimeline()
    public private(set) var sites = SiteTable()

    /// Reads the log at `path` record by record.
    /// - Throws: `EventLogError`, or a Foundation error if the file cannot be read.
    public init(path: String) throws {
        var records = try EventLogRecords(path: path)
        self.init(version: records.version)
        while let r = try records.next() { take(r) }
    }

    /// An empty summary of a log of `version`, to feed with `take(_:)`.
    public init(version: Int) {
        self.version = version
        for key in CollectionKind.allCases.map(\.rawValue) + ["all"] { phaseNanos[key] = Array(repeating: 0, count: GcPhase.allCases.count) }
    }

    /// Counts one record in.
    public mutating func take(_ record: EventLogRecord) {
        if names.take(record) { return }
        switch record {
        case let .process(wall, start, pid, rate, label, _):
            wallClockNanos = wall; startNanos = start; self.pid = pid; sampleRate = rate; self.label = label
        case let .heapStart(id, at):
            heaps.append(EventLogContents.HeapRecord(id: id, startNanos: at))
            mmu.heapStarted(id, at: at)
        case let .collection(e, heap, _):
            collections += 1
            collectingHeapSet.insert(heap)
            pauses.add(e)
            for (i, phase) in GcPhase.allCases.enumerated() where e.nanos(phase) > 0 {
                phaseNanos[e.kind.rawValue]![i] &+= e.nanos(phase)
                phaseNanos["all"]![i] &+= e.nanos(phase)
            }
            reasons[e.reason, default: 0] += 1
            mmu.pause(heap, start: e.startNanos, end: e.startNanos &+ e.pauseNanos)
            timeline.add(e)
        case let .sample(s): sites.sample(s)
        case let .free(heap, address, _, _): sites.free(heap: heap, address: address)
        case let .snapshot(_, _, statistics): lastSnapshot = statistics
        case let .heapEnd(id, when, duration, counters):
            if let i = heaps.lastIndex(where: { $0.id == id }) {
                heaps[i].endNanos = when
                heaps[i].durationNanos = duration
                heaps[i].final = counters
            }
            mmu.heapEnded(id, at: when)
        case let .processEnd(when, duration): end = (when, duration)
        case let .leak(l): leaks.append(l)
        case .unknown: skippedRecords += 1
        case .stack, .symbol, .type, .mapping: break  // `names` took them
        }
    }

    /// Whether the log says it is complete: a process-end record (version 2).
    public var isComplete: Bool { end != nil }

    /// Pause time of `phase` over collections of `kind` ("all" for every kind).
    public func nanos(_ phase: GcPhase, kind: String = "all") -> UInt64 {
        phaseNanos[kind]?[GcPhase.allCases.firstIndex(of: phase)!] ?? 0
    }

    /// Allocation sites with what they allocated and what was still in use at the
    /// log's end, sorted by bytes allocated.
    public func siteFigures() -> [EventLogContents.Site] { sites.sites(names) }

    /// The earliest time of the log: the first heap's start, or the first collection's.
    public var origin: UInt64 {
        Swift.min(heaps.map(\.startNanos).min() ?? UInt64.max, timeline.firstStart ?? UInt64.max)
    }

    /// `LogNames.resolveSourceLines(tools:)` on this log's names.
    @discardableResult
    public mutating func resolveSourceLines(tools: [String] = ["llvm-symbolizer", "addr2line"]) -> Int {
        names.resolveSourceLines(tools: tools)
    }
}
