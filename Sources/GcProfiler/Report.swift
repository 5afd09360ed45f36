import GcCore

/// Nearest-rank percentiles of pause times. A plain value (no heap, any thread).
public struct PauseSummary: Equatable {
    /// Number of pauses.
    public var count: Int
    /// Their sum; like the fields below, nanoseconds (0 when there are none).
    public var totalNanos: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    /// Summarizes `pauses` (nanoseconds, any order). Stops the process if their sum
    /// overflows `UInt64`.
    public init(_ pauses: [UInt64]) {
        let sorted = pauses.sorted()
        func rank(_ p: Double) -> UInt64 {
            guard !sorted.isEmpty else { return 0 }
            // Nearest rank, ceil(p% × n), in integer per-mille to avoid float drift.
            let permille = Int((p * 10).rounded())
            let index = (permille * sorted.count + 999) / 1000 - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        count = sorted.count
        totalNanos = sorted.reduce(0, +)
        p50 = rank(50); p90 = rank(90); p99 = rank(99); p999 = rank(99.9)
        max = sorted.last ?? 0
    }
}

/// The text report `gcstat report` prints.
public enum Report {
    /// Renders `log` as text. Pure (no heap, any thread). Stops the process if an
    /// event has fewer phase timings than `GcPhase` has cases (see
    /// `CollectionEvent.nanos`).
    public static func render(_ log: EventLogContents) -> String {
        var out: [String] = []
        out.append("HakoGC event log v\(log.version)\(log.label.isEmpty ? "" : " — \(log.label)")")
        out.append("")
        out.append(row(["collections", "count", "total ms", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "freed"]))
        for kind in CollectionKind.allCases {
            let events = log.collections.filter { $0.kind == kind }
            let s = PauseSummary(events.map(\.pauseNanos))
            out.append(row([kind.rawValue, "\(s.count)", ms(s.totalNanos), us(s.p50), us(s.p90), us(s.p99), us(s.p999), us(s.max),
                            "\(events.reduce(0) { $0 + $1.freedObjects })"]))
        }
        let all = PauseSummary(log.collections.map(\.pauseNanos))
        out.append(row(["all", "\(all.count)", ms(all.totalNanos), us(all.p50), us(all.p90), us(all.p99), us(all.p999), us(all.max),
                        "\(log.collections.reduce(0) { $0 + $1.freedObjects })"]))
        out.append("")
        out.append("time by phase:")
        for phase in GcPhase.allCases {
            let total = log.collections.reduce(UInt64(0)) { $0 + $1.nanos(phase) }
            if total > 0 { out.append("  \(phase.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(ms(total)) ms") }
        }
        var reasons: [CollectionReason: Int] = [:]
        for e in log.collections { reasons[e.reason, default: 0] += 1 }
        out.append("reasons: " + reasons.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        if !log.samples.isEmpty { out.append(contentsOf: sites(log)) }
        if !log.leaks.isEmpty {
            out.append("")
            out.append("leak checks: \(log.leaks.count) groups still alive")
            for l in log.leaks.prefix(10) {
                let what = l.isPin ? "forgotten pin of \(l.types), keeping" : l.isCycle ? "a cycle of" : "\(l.types):"
                out.append("  heap \(l.heap): \(what) \(l.objects) objects, \(l.bytes) bytes" + (l.isCycle ? " (\(l.types))" : ""))
                if let site = l.site.first { out.append("    at \(site)") }
                if !l.holder.isEmpty { out.append("    held by \(l.holder)") }
            }
        }
        if log.version >= 2 {
            out.append("")
            out.append("heaps: \(log.heaps.count) (\(log.heaps.filter { $0.endNanos != nil }.count) ended); "
                       + (log.isComplete ? "log complete (process-end record)" : "no process-end record: the process may not have finished"))
        }
        if let last = log.snapshots.last {
            out.append("")
            out.append("heap at the last snapshot:")
            out.append(last.statistics.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        if log.skippedRecords > 0 { out.append("(\(log.skippedRecords) records of unknown kinds skipped)") }
        return out.joined(separator: "\n")
    }

    /// The top allocation sites by estimated bytes allocated, with what is still in
    /// use (samples not freed when the log ended). A site is the first frame below
    /// HakoGC's own (or the runtime's guest frame).
    static func sites(_ log: EventLogContents, top: Int = 10) -> [String] {
        var out = ["", "allocation sites (\(log.samples.count) samples, one per \(log.sampleRate) bytes on average; estimated):"]
        out.append("  alloc MB   objects   in use MB  site")
        for s in log.sites().prefix(top) {
            let cells = [mb(s.allocatedBytes), "\(Int(s.allocatedObjects.rounded()))", mb(s.inUseBytes)]
            let short = s.name.count > 90 ? String(s.name.prefix(87)) + "..." : s.name
            out.append(cells.map { String(repeating: " ", count: Swift.max(0, 10 - $0.count)) + $0 }.joined(separator: " ") + "  " + short)
        }
        return out
    }

    static func row(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            i == 0 ? c.padding(toLength: 12, withPad: " ", startingAt: 0)
                   : String(repeating: " ", count: Swift.max(0, 10 - c.count)) + c
        }.joined(separator: " ")
    }

    static func us(_ nanos: UInt64) -> String { String(format1: Double(nanos) / 1000) }
    static func ms(_ nanos: UInt64) -> String { String(format1: Double(nanos) / 1_000_000) }
}

extension String {
    /// One decimal, no Foundation formatting needed.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}

extension Report {
    /// Bytes as megabytes (10⁶), one decimal.
    static func mb(_ bytes: Double) -> String { String(format1: bytes / 1_000_000) }
}
