import GcCore
import GcProfiler

/// `gcstat report`: what people read first (docs/gcstat.md shows one). Pure: the
/// same log gives the same text.
public enum TextReport {
    /// Windows of the minimum-mutator-utilisation line, nanoseconds.
    public static var mmuWindows: [UInt64] { MutatorUtilisation.reportWindows }

    public static func render(_ log: LogSummary) -> String {
        var out: [String] = []
        out.append("HakoGC event log v\(log.version)\(log.label.isEmpty ? "" : " — \(log.label)")")
        if log.version >= 2 {
            out.append("pid \(log.pid), \(log.heaps.count) heap\(log.heaps.count == 1 ? "" : "s"), "
                       + (log.end.map { "ran \(ms($0.durationNanos)) ms" } ?? "no process-end record: the process may not have finished"))
        }
        out.append("")
        let p = log.pauses
        out.append(row(["pauses", "count", "total ms", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "freed"]))
        for kind in CollectionKind.allCases.map(\.rawValue) + ["all"] {
            out.append(row([kind, "\(p.count(kind))", ms(p.totals[kind] ?? 0)]
                           + PauseStatistics.percentiles.map { us(p.value(kind, at: $0)) } + [us(p.max(kind)), "\(p.freed[kind] ?? 0)"]))
        }
        let mmu = log.mmu.minimum()
        out.append("minimum mutator utilisation: " + mmuWindows.map { w in
            "\(w / 1_000_000) ms \(mmu[w].flatMap { $0 }.map { percent($0) } ?? "—")"
        }.joined(separator: ", "))
        out.append("")
        out.append("time by phase (adds up to the pauses):")
        let total = p.totals["all"] ?? 0
        for phase in GcPhase.allCases {
            let t = log.nanos(phase)
            if t > 0 {
                let share = total > 0 ? " (\(percent(Double(t) / Double(total))))" : ""
                out.append("  \(phase.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(ms(t)) ms\(share)")
            }
        }
        out.append("reasons: " + log.reasons.sorted { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        if log.sites.samples > 0 {
            let sites = log.siteFigures()
            out.append("")
            out.append("allocation sites (\(log.sites.samples) samples, one per \(log.sampleRate) bytes on average; estimated)")
            out.append("  by bytes in use at the end:")
            out.append(contentsOf: siteRows(sites.filter { $0.inUseBytes > 0 }.sorted { ($0.inUseBytes, $0.name) > ($1.inUseBytes, $1.name) }))
            out.append("  by bytes allocated:")
            out.append(contentsOf: siteRows(sites))
        }
        if !log.leaks.isEmpty {
            let objects = log.leaks.filter { !$0.isPin }.reduce(UInt64(0)) { $0 + $1.objects }
            let bytes = log.leaks.filter { !$0.isPin }.reduce(UInt64(0)) { $0 + $1.bytes }
            let pins = log.leaks.filter(\.isPin).count
            out.append("")
            out.append("leaks: \(objects) objects, \(bytes) bytes still alive at checks, \(pins) forgotten pin\(pins == 1 ? "" : "s") (gcstat leaks FILE)")
        }
        if let last = log.lastSnapshot {
            out.append("")
            out.append("heap at the last snapshot:")
            out.append(last.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        } else if let heap = log.heaps.last(where: { !$0.final.isEmpty }) {
            out.append("")
            let f = heap.final
            out.append("heap \(heap.id) at its end: \(f["liveObjects"] ?? 0) objects, \(f["liveBytes"] ?? 0) bytes live; "
                       + "\(f["allocatedObjects"] ?? 0) allocated, \(f["freedObjects"] ?? 0) freed")
        }
        if log.skippedRecords > 0 { out.append("(\(log.skippedRecords) records of unknown kinds skipped)") }
        return out.joined(separator: "\n") + "\n"
    }

    static func siteRows(_ sites: [EventLogContents.Site], top: Int = 8) -> [String] {
        guard !sites.isEmpty else { return ["    (none)"] }
        var out = ["    in use MB   alloc MB    objects  site"]
        for s in sites.prefix(top) {
            let cells = [mb(s.inUseBytes), mb(s.allocatedBytes), decimal(s.allocatedObjects, 0)]
            let name = s.name.count > 80 ? String(s.name.prefix(77)) + "..." : s.name
            out.append("    " + cells.map { pad($0, 10) }.joined(separator: " ") + "  " + name + (s.location.map { " (\($0))" } ?? ""))
        }
        return out
    }

    static func row(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: 11, withPad: " ", startingAt: 0) : pad(c, 9) }
            .joined(separator: " ")
    }

    static func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: Swift.max(0, n - s.count)) + s }
    static func us(_ nanos: UInt64) -> String { decimal(Double(nanos) / 1000, 1) }
    static func ms(_ nanos: UInt64) -> String { decimal(Double(nanos) / 1_000_000, 1) }
    static func mb(_ bytes: Double) -> String { decimal(bytes / 1_000_000, 1) }
    static func percent(_ share: Double) -> String { decimal(share * 100, 1) + " %" }

    /// `value` with `digits` decimals, without Foundation's locale-dependent formatting.
    static func decimal(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        guard value.isFinite, abs(value * scale) < 9e18 else { return "\(value)" }  // a damaged log
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        let f = String(fraction)
        return "\(scaled < 0 && whole == 0 ? "-" : "")\(whole)" + (digits > 0 ? "." + String(repeating: "0", count: digits - f.count) + f : "")
    }
}
