import Foundation
import GcProfiler

/// `gcstat diff OLD NEW`: pauses by kind and percentile, sites whose bytes in use
/// grew, leaks added — and thresholds (`--fail-if`) that CI gates on.
public struct LogDiff {
    public let old: JSONReport
    public let new: JSONReport

    public init(old: LogSummary, new: LogSummary) {
        self.old = JSONReport(old)
        self.new = JSONReport(new)
    }

    /// A site's bytes in use, new minus old (sites only in one log count 0 in the other).
    public var siteGrowth: [(name: String, old: Double, new: Double)] {
        var old: [String: Double] = [:], new: [String: Double] = [:]
        for s in self.old.sites { old[s.name, default: 0] += s.inUseBytes }
        for s in self.new.sites { new[s.name, default: 0] += s.inUseBytes }
        return Set(old.keys).union(new.keys).map { ($0, old[$0] ?? 0, new[$0] ?? 0) }
            .filter { $0.new > $0.old }.sorted { ($0.new - $0.old, $0.name) > ($1.new - $1.old, $1.name) }
    }

    static func leaked(_ r: JSONReport) -> (objects: UInt64, bytes: UInt64) {
        let groups = r.leaks.filter { $0.kind != "pin" }
        return (groups.reduce(0) { $0 + $1.objects }, groups.reduce(0) { $0 + $1.bytes })
    }

    /// The leak groups of NEW with no group of the same kind, member types (whatever
    /// their counts) and holder in OLD.
    public var addedLeaks: [JSONReport.Leak] {
        func key(_ l: JSONReport.Leak) -> String {
            let types = l.types.split(separator: ",").map { t in
                t.split(separator: " ").filter { !$0.hasSuffix("×") }.joined(separator: " ")
            }.joined(separator: ",")
            return "\(l.kind)|\(types)|\(l.holder)"
        }
        let known = Set(old.leaks.map(key))
        return new.leaks.filter { !known.contains(key($0)) }
    }

    /// The value of a metric in a report (`Threshold.metrics` lists them).
    static func value(_ metric: String, in r: JSONReport, growth: Double) -> Double? {
        let parts = metric.split(separator: ".", maxSplits: 1).map(String.init)
        let (kind, name) = parts.count == 2 && r.pauses[parts[0]] != nil ? (parts[0], parts[1]) : ("all", metric)
        let p = r.pauses[kind]
        switch name {
        case "p50": return p.map { Double($0.p50Nanos) }
        case "p90": return p.map { Double($0.p90Nanos) }
        case "p99": return p.map { Double($0.p99Nanos) }
        case "p99.9": return p.map { Double($0.p999Nanos) }
        case "max": return p.map { Double($0.maxNanos) }
        case "total-pause": return p.map { Double($0.totalNanos) }
        case "count": return p.map { Double($0.count) }
        case "leaked-bytes": return Double(leaked(r).bytes)
        case "leaked-objects": return Double(leaked(r).objects)
        case "site-growth": return growth
        case "mmu-1ms": return r.mmu["1ms"]
        case "mmu-10ms": return r.mmu["10ms"]
        case "mmu-100ms": return r.mmu["100ms"]
        default: return nil
        }
    }

    public func render() -> String {
        var out = ["pauses          " + ["old", "new", "change"].map { TextReport.pad($0, 12) }.joined()]
        for kind in ["minor", "full", "full-slice", "all"] {
            guard let o = old.pauses[kind], let n = new.pauses[kind], o.count > 0 || n.count > 0 else { continue }
            out.append("  \(kind)")
            let rows: [(String, UInt64, UInt64)] = [("count", o.count, n.count), ("p50 µs", o.p50Nanos, n.p50Nanos),
                ("p90 µs", o.p90Nanos, n.p90Nanos), ("p99 µs", o.p99Nanos, n.p99Nanos), ("p99.9 µs", o.p999Nanos, n.p999Nanos),
                ("max µs", o.maxNanos, n.maxNanos), ("total ms", o.totalNanos, n.totalNanos)]
            for (name, a, b) in rows {
                let scale = name == "count" ? 1.0 : name.hasSuffix("ms") ? 1e6 : 1e3
                let f = { (v: UInt64) in name == "count" ? "\(v)" : TextReport.decimal(Double(v) / scale, 1) }
                out.append("    " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + TextReport.pad(f(a), 12) + TextReport.pad(f(b), 12)
                           + TextReport.pad(LogDiff.change(Double(a), Double(b)), 12))
            }
        }
        let growth = siteGrowth
        out.append("")
        out.append(growth.isEmpty ? "no site's bytes in use grew" : "sites whose bytes in use grew (estimated):")
        for g in growth.prefix(10) {
            let name = g.name.count > 80 ? String(g.name.prefix(77)) + "..." : g.name
            out.append("  +\(TextReport.mb(g.new - g.old)) MB  (\(TextReport.mb(g.old)) → \(TextReport.mb(g.new)))  \(name)")
        }
        let (lo, ln) = (LogDiff.leaked(old), LogDiff.leaked(new))
        out.append("")
        out.append("leaks: \(lo.objects) objects, \(lo.bytes) bytes → \(ln.objects) objects, \(ln.bytes) bytes")
        for l in addedLeaks.prefix(10) {
            out.append("  added: \(l.kind == "cycle" ? "a cycle (\(l.types))" : l.types), \(l.objects) objects, \(l.bytes) bytes, held by \(l.holder)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func change(_ a: Double, _ b: Double) -> String {
        if a == b { return "=" }
        guard a > 0 else { return "new" }
        let pct = (b - a) / a * 100
        return (pct >= 0 ? "+" : "") + TextReport.decimal(pct, 1) + " %"
    }

    /// The verdicts as text, one line per threshold ("CROSSED" or "ok").
    public static func render(_ verdicts: [(threshold: Threshold, old: Double?, new: Double?, crossed: Bool)]) -> String {
        guard !verdicts.isEmpty else { return "" }
        var text = "\nthresholds:\n"
        for v in verdicts {
            let show = { (x: Double?) in x.map { TextReport.decimal($0, 3) } ?? "—" }
            text += "  \(v.crossed ? "CROSSED" : "ok     ") \(v.threshold): old \(show(v.old)), new \(show(v.new))\n"
        }
        return text
    }

    /// Each threshold's verdict: its text, old and new values, and whether NEW
    /// crossed it.
    public func evaluate(_ thresholds: [Threshold]) -> [(threshold: Threshold, old: Double?, new: Double?, crossed: Bool)] {
        let growth = siteGrowth.first.map { $0.new - $0.old } ?? 0
        return thresholds.map { t in
            let o = LogDiff.value(t.metric, in: old, growth: 0), n = LogDiff.value(t.metric, in: new, growth: growth)
            guard let n else { return (t, o, nil, false) }
            let limit: Double
            switch t.bound {
            case .absolute(let v): limit = v
            case .relative(let pct):
                guard let o else { return (t, nil, n, false) }
                limit = o * (1 + pct / 100)
            }
            return (t, o, n, t.greater ? n > limit : n < limit)
        }
    }
}

/// A `--fail-if` threshold: `METRIC>VALUE` or `METRIC<VALUE`, VALUE absolute (with
/// a unit: `2ms`, `500us`, `1MiB`, `64KB`, `0.9`) or relative to OLD (`+10%`,
/// `-5%`). METRIC is `p50`, `p90`, `p99`, `p99.9`, `max`, `total-pause` or `count`
/// (of all pauses, or of one kind: `minor.p99`), `leaked-bytes`,
/// `leaked-objects`, `site-growth` (the largest growth of one site's bytes in
/// use) or `mmu-1ms` / `mmu-10ms` / `mmu-100ms` (0–1).
public struct Threshold: Equatable, CustomStringConvertible {
    public enum Bound: Equatable { case absolute(Double), relative(Double) }
    public let metric: String
    public let greater: Bool
    public let bound: Bound
    public let text: String
    public var description: String { text }

    public static let metrics = ["p50", "p90", "p99", "p99.9", "max", "total-pause", "count", "leaked-bytes",
                                 "leaked-objects", "site-growth", "mmu-1ms", "mmu-10ms", "mmu-100ms"]
    /// The metrics measured per kind of collection: the only ones a kind prefix fits.
    static let pauseMetrics = ["p50", "p90", "p99", "p99.9", "max", "total-pause", "count"]
    static let kinds = ["minor", "full", "full-slice", "all"]

    /// Parses one threshold; nil with a reason for a bad one. Refused: an empty
    /// item (a stray comma gates nothing), an unknown metric, a kind prefix on a
    /// metric that has no kinds (`all.` is the same as no prefix), a value that is
    /// not a finite number in the metric's unit.
    public static func parse(_ text: String) -> Result<Threshold, ThresholdError> {
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            return .failure(ThresholdError(text: text, reason: "an empty threshold (a stray comma?)"))
        }
        guard let op = text.firstIndex(where: { $0 == ">" || $0 == "<" }) else {
            return .failure(ThresholdError(text: text, reason: "no > or <"))
        }
        let metric = String(text[..<op]).trimmingCharacters(in: .whitespaces)
        let parts = metric.split(separator: ".", maxSplits: 1).map(String.init)
        let prefixed = parts.count == 2 && kinds.contains(parts[0])
        let base = prefixed ? parts[1] : metric
        guard metrics.contains(base) else {
            return .failure(ThresholdError(text: text, reason: "unknown metric \(metric) (one of \(metrics.joined(separator: ", ")), optionally after minor., full., full-slice.)"))
        }
        if prefixed && parts[0] != "all" && !pauseMetrics.contains(base) {
            return .failure(ThresholdError(text: text, reason: "\(base) has no kinds: \(parts[0]). fits only \(pauseMetrics.joined(separator: ", "))"))
        }
        let raw = String(text[text.index(after: op)...]).trimmingCharacters(in: .whitespaces)
        let bound: Bound
        if raw.hasSuffix("%"), let v = Double(raw.dropLast()), v.isFinite, raw.hasPrefix("+") || raw.hasPrefix("-") {
            bound = .relative(v)
        } else if let v = absolute(raw, metric: base), v.isFinite {
            bound = .absolute(v)
        } else {
            return .failure(ThresholdError(text: text, reason: "cannot read \(raw) (a finite number with a unit: 2ms, 500us, 1MiB; or +10%)"))
        }
        return .success(Threshold(metric: prefixed && parts[0] == "all" ? base : metric, greater: text[op] == ">", bound: bound, text: text))
    }

    /// A value in the metric's own unit: nanoseconds for pauses, bytes, a count, a share.
    static func absolute(_ raw: String, metric: String) -> Double? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9),
                                         ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        for (suffix, scale) in units where raw.hasSuffix(suffix) {
            guard let v = Double(raw.dropLast(suffix.count)) else { return nil }
            let timeUnit = ["ns", "us", "µs", "ms", "s"].contains(suffix)
            let isTime = ["p50", "p90", "p99", "p99.9", "max", "total-pause"].contains(metric)
            guard timeUnit == isTime, metric != "count", !metric.hasPrefix("mmu") else { return nil }
            return v * scale
        }
        return Double(raw)
    }
}

/// A threshold that could not be read. A plain value.
public struct ThresholdError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "--fail-if \(text): \(reason)" }
}
