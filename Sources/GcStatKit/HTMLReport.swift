import Foundation
import GcCore
import GcProfiler

/// `gcstat html`: one self-contained HTML file — no script, no network, no font or
/// style from elsewhere — with inline SVG plots: the pause timeline (each pause a
/// mark, by kind; at most 20 000 marks, `PauseTimeline`), the live heap over time,
/// the pause distribution (a percentile curve), the minimum-mutator-utilisation
/// curve and the time by phase, and tables of the top sites and the leaks. Element ids (`#pauses`, `#heap`, …) and
/// `data-points` attributes let tests count what was drawn.
public enum HTMLReport {
    static let colors: [String: String] = ["minor": "#4e79a7", "full": "#e15759", "full-slice": "#f28e2b"]
    static let phaseColors = ["#4e79a7", "#59a14f", "#9c755f", "#b07aa1", "#edc948", "#76b7b2", "#e15759", "#f28e2b", "#bab0ac", "#ff9da7"]

    public static func render(_ log: LogSummary) -> String {
        var body: [String] = []
        let title = "HakoGC — \(log.label.isEmpty ? "event log" : log.label)"
        body.append("<h1>\(escape(title))</h1>")
        var facts = ["format v\(log.version)", "pid \(log.pid)", "\(log.heaps.count) heap\(log.heaps.count == 1 ? "" : "s")",
                     "\(log.collections) collections"]
        if let end = log.end { facts.append("ran \(TextReport.ms(end.durationNanos)) ms") } else if log.version >= 2 { facts.append("no process-end record") }
        body.append("<p class=facts>\(facts.map(escape).joined(separator: " · "))</p>")
        body.append(pauseTable(log))
        body.append(section("Pauses over time", "Each pause a mark, by kind; time since the first heap started.", timeline(log)))
        body.append(section("Live heap", "Live slot bytes after each collection (MB).", heapPlot(log)))
        body.append(section("Pause distribution", "Pause length at each percentile (log scale of 1/(1 − p)).", percentilePlot(log)))
        body.append(section("Minimum mutator utilisation", "The smallest share of any window of that length the program had, per heap (the worst heap); the last point is the whole run.", mmuPlot(log)))
        body.append(section("Time by phase", "Share of pause time per phase, per kind; phases add up to the pauses.", phasePlot(log)))
        body.append(section("Allocation sites", "Estimated from \(log.sites.samples) samples (one per \(log.sampleRate) bytes on average).", sitesTable(log)))
        body.append(section("Leaks", "Groups the leak checks found still alive, and what holds them.", leaksTable(log)))
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
        h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 2px}
        p.facts,p.note{color:#555;margin:2px 0 8px}
        table{border-collapse:collapse;margin:4px 0}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}
        td.l,th.l{text-align:left}svg text{font:11px system-ui,sans-serif;fill:#444}
        .key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
        </style></head><body>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }

    // MARK: Plots

    /// A plot area: `w`×`h` pixels inside margins, mapping data to pixels.
    struct Frame {
        let w = 1000.0, h = 240.0, left = 60.0, top = 10.0, bottom = 30.0
        var x0 = 0.0, x1 = 1.0, y0 = 0.0, y1 = 1.0
        var logY = false
        func x(_ v: Double) -> Double { left + (x1 > x0 ? (v - x0) / (x1 - x0) : 0) * (w - left - 10) }
        func y(_ v: Double) -> Double {
            let t: Double
            if logY { t = (log10(max(v, y0)) - log10(y0)) / max(1e-12, log10(y1) - log10(y0)) } else { t = y1 > y0 ? (v - y0) / (y1 - y0) : 0 }
            return top + (1 - t) * (h - top - bottom)
        }
        func svg(id: String, points: Int, _ content: [String], xLabel: String, xTicks: [(Double, String)], yTicks: [(Double, String)]) -> String {
            var out = ["<svg id=\"\(id)\" data-points=\"\(points)\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"]
            out.append("<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(w - left - 10))\" height=\"\(f(h - top - bottom))\" fill=\"#fafafa\" stroke=\"#ccc\"/>")
            for (v, label) in yTicks {
                out.append("<line x1=\"\(f(left))\" x2=\"\(f(w - 10))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#e4e4e4\"/>")
                out.append("<text x=\"\(f(left - 4))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(escape(label))</text>")
            }
            for (v, label) in xTicks {
                out.append("<text x=\"\(f(x(v)))\" y=\"\(f(h - bottom + 14))\" text-anchor=\"middle\">\(escape(label))</text>")
            }
            out.append("<text x=\"\(f(w - 10))\" y=\"\(f(h - 2))\" text-anchor=\"end\">\(escape(xLabel))</text>")
            out += content
            out.append("</svg>")
            return out.joined(separator: "\n")
        }
    }

    static func timeline(_ log: LogSummary) -> String {
        let t = log.timeline
        guard t.count > 0 else { return "<p class=note>No collections.</p>" }
        let origin = log.origin
        let marks = t.marks
        var frame = Frame()
        frame.x1 = max(Double(t.latestStart &- origin) / 1e9, 1e-6)
        func ms(_ nanos: UInt64) -> Double { max(Double(nanos) / 1e6, 0.001) }
        frame.logY = true
        frame.y0 = max(0.001, ms(t.shortestPause) / 2)
        frame.y1 = ms(t.longestPause) * 2
        var out: [String] = []
        for m in marks {
            let color = colors[m.kind.rawValue] ?? "#888"
            out.append("<circle cx=\"\(f(frame.x(Double(m.startNanos &- origin) / 1e9)))\" cy=\"\(f(frame.y(ms(m.pauseNanos))))\" r=\"2.5\" fill=\"\(color)\" fill-opacity=\"0.7\"><title>\(m.kind.rawValue) #\(m.sequence): \(TextReport.us(m.pauseNanos)) µs</title></circle>")
        }
        let svg = frame.svg(id: "pauses", points: marks.count, out, xLabel: "seconds",
                            xTicks: ticks(0, frame.x1).map { ($0, TextReport.decimal($0, 2)) },
                            yTicks: logTicks(frame.y0, frame.y1).map { ($0, "\(short($0)) ms") })
        let key = CollectionKind.allCases.map { "<span style=\"background:\(colors[$0.rawValue]!)\"></span>\($0.rawValue)" }.joined()
        return svg + "<p class=key>\(key)\(marks.count < t.count ? " (\(marks.count) of \(t.count) pauses drawn)" : "")</p>"
    }

    static func heapPlot(_ log: LogSummary) -> String {
        let t = log.timeline
        guard t.count > 0 else { return "<p class=note>No collections.</p>" }
        let origin = log.origin
        var frame = Frame()
        frame.x1 = max(Double(t.lastStart &- origin) / 1e9, 1e-6)
        frame.y1 = max(Double(t.mostLiveBytes) / 1e6 * 1.1, 0.001)
        let points = t.marks.map { m in "\(f(frame.x(Double(m.startNanos &- origin) / 1e9))),\(f(frame.y(Double(m.liveBytesAfter) / 1e6)))" }
        let line = "<polyline fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        return frame.svg(id: "heap", points: points.count, [line], xLabel: "seconds",
                         xTicks: ticks(0, frame.x1).map { ($0, TextReport.decimal($0, 2)) },
                         yTicks: ticks(0, frame.y1).map { ($0, "\(TextReport.decimal($0, 2)) MB") })
    }

    static func percentilePlot(_ log: LogSummary) -> String {
        let stats = log.pauses
        guard stats.count("all") > 0 else { return "<p class=note>No collections.</p>" }
        // x: log10(1 / (1 − p)), from p = 0 to 99.99 %.
        let ps = stride(from: 0.0, through: 4.0, by: 0.1).map { 100 * (1 - pow(10, -$0)) }
        var frame = Frame()
        frame.x1 = 4
        frame.logY = true
        var content: [String] = []
        var total = 0
        let maxPause = Double(stats.max("all")) / 1000
        frame.y0 = max(0.1, Double(stats.value("all", at: 0)) / 2000)
        frame.y1 = max(maxPause * 2, frame.y0 * 10)
        for kind in CollectionKind.allCases.map(\.rawValue) where stats.count(kind) > 0 {
            let points = ps.map { p in "\(f(frame.x(log10(1 / max(1e-9, 1 - p / 100))))),\(f(frame.y(Double(stats.value(kind, at: p)) / 1000)))" }
            total += points.count
            content.append("<polyline fill=\"none\" stroke=\"\(colors[kind]!)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"><title>\(kind)</title></polyline>")
        }
        return frame.svg(id: "percentiles", points: total, content, xLabel: "percentile",
                         xTicks: [(0, "0 %"), (1, "90 %"), (2, "99 %"), (3, "99.9 %"), (4, "99.99 %")],
                         yTicks: logTicks(frame.y0, frame.y1).map { ($0, "\(short($0)) µs") })
    }

    static func mmuPlot(_ log: LogSummary) -> String {
        let mmu = log.mmu.minimum()
        // The curve's windows (0.1 ms to 1 s, log-spaced) that fit the run, then the
        // whole run.
        var values = MutatorUtilisation.curveWindows.compactMap { w in mmu[w].flatMap { $0 }.map { (w, $0) } }
        if let overall = log.mmu.overall, overall.window > (values.last?.0 ?? 0) { values.append(overall) }
        guard let first = values.first, let last = values.last else { return "<p class=note>No collections, or a run shorter than 0.1 ms.</p>" }
        var frame = Frame()
        frame.x0 = log10(Double(first.0)) - 9
        frame.x1 = max(log10(Double(last.0)) - 9, frame.x0 + 1)
        let points = values.map { w, v in "\(f(frame.x(log10(Double(w)) - 9))),\(f(frame.y(v)))" }
        let line = "<polyline fill=\"none\" stroke=\"#59a14f\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        let xt = stride(from: ceil(frame.x0), through: floor(frame.x1), by: 1).map { ($0, windowLabel(pow(10, $0))) }
        return frame.svg(id: "mmu", points: points.count, [line], xLabel: "window",
                         xTicks: xt, yTicks: [0, 0.25, 0.5, 0.75, 1].map { ($0, "\(Int($0 * 100)) %") })
    }

    static func phasePlot(_ log: LogSummary) -> String {
        let kinds = CollectionKind.allCases.filter { log.pauses.count($0.rawValue) > 0 }
        guard !kinds.isEmpty else { return "<p class=note>No collections.</p>" }
        let w = 1000.0, row = 28.0, left = 90.0
        var out = ["<svg id=\"phases\" data-points=\"\(kinds.count)\" width=\"\(Int(w))\" height=\"\(Int(row * Double(kinds.count) + 10))\" xmlns=\"http://www.w3.org/2000/svg\">"]
        for (r, kind) in kinds.enumerated() {
            let total = Double(log.pauses.totals[kind.rawValue] ?? 0)
            var x = left
            let y = Double(r) * row + 4
            out.append("<text x=\"\(f(left - 6))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(kind.rawValue)</text>")
            for (i, phase) in GcPhase.allCases.enumerated() {
                let t = Double(log.nanos(phase, kind: kind.rawValue))
                guard t > 0, total > 0 else { continue }
                let width = t / total * (w - left - 10)
                out.append("<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"20\" fill=\"\(phaseColors[i % phaseColors.count])\"><title>\(phase.name): \(TextReport.ms(UInt64(t))) ms</title></rect>")
                if width > 60 { out.append("<text x=\"\(f(x + 4))\" y=\"\(f(y + 14))\" style=\"fill:#fff\">\(phase.name)</text>") }
                x += width
            }
        }
        out.append("</svg>")
        let key = GcPhase.allCases.enumerated().map { "<span style=\"background:\(phaseColors[$0.offset % phaseColors.count])\"></span>\($0.element.name)" }.joined()
        return out.joined(separator: "\n") + "<p class=key>\(key)</p>"
    }

    // MARK: Tables

    static func pauseTable(_ log: LogSummary) -> String {
        let p = log.pauses
        var rows = ["<table id=\"pause-table\"><tr><th class=l>pauses</th><th>count</th><th>total ms</th><th>p50 µs</th><th>p90 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th></tr>"]
        for kind in CollectionKind.allCases.map(\.rawValue) + ["all"] {
            let cells = ["\(p.count(kind))", TextReport.ms(p.totals[kind] ?? 0)] + PauseStatistics.percentiles.map { TextReport.us(p.value(kind, at: $0)) } + [TextReport.us(p.max(kind))]
            rows.append("<tr><td class=l>\(kind)</td>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>")
        }
        rows.append("</table>")
        let mmu = log.mmu.minimum()
        rows.append("<p class=note>Minimum mutator utilisation: " + TextReport.mmuWindows.map { w in
            "\(w / 1_000_000) ms \(mmu[w].flatMap { $0 }.map { TextReport.percent($0) } ?? "—")"
        }.joined(separator: ", ") + "</p>")
        return rows.joined(separator: "\n")
    }

    static func sitesTable(_ log: LogSummary) -> String {
        let sites = log.siteFigures()
        guard !sites.isEmpty else { return "<p class=note>No allocation samples in this log.</p>" }
        var rows = ["<table id=\"sites\"><tr><th>in use MB</th><th>allocated MB</th><th>objects</th><th class=l>site</th></tr>"]
        for s in sites.prefix(20) {
            rows.append("<tr><td>\(TextReport.mb(s.inUseBytes))</td><td>\(TextReport.mb(s.allocatedBytes))</td><td>\(TextReport.decimal(s.allocatedObjects, 0))</td><td class=l>\(escape(s.name))\(s.location.map { " <small>(\(escape($0)))</small>" } ?? "")</td></tr>")
        }
        return (rows + ["</table>"]).joined(separator: "\n")
    }

    static func leaksTable(_ log: LogSummary) -> String {
        guard !log.leaks.isEmpty else { return "<p class=note>No leak records in this log.</p>" }
        var rows = ["<table id=\"leaks\"><tr><th class=l>heap</th><th class=l>what</th><th>objects</th><th>bytes</th><th class=l>held by</th></tr>"]
        for l in log.leaks.prefix(50) {
            let what = l.isPin ? "forgotten pin of \(l.types)" : l.isCycle ? "a cycle (\(l.types))" : l.types
            rows.append("<tr><td class=l>\(l.heap)</td><td class=l>\(escape(what))</td><td>\(l.objects)</td><td>\(l.bytes)</td><td class=l>\(escape(l.holder))</td></tr>")
        }
        return (rows + ["</table>"]).joined(separator: "\n")
    }

    // MARK: Helpers

    static func section(_ title: String, _ note: String, _ content: String) -> String {
        "<h2>\(escape(title))</h2><p class=note>\(escape(note))</p>\n\(content)"
    }

    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: ceil(lo / step) * step, through: hi, by: step).map { $0 }
    }

    /// 1, 2 and 5 times each power of ten in the range (only the powers when that
    /// would be more than eight ticks).
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let decades = stride(from: floor(log10(lo)), through: ceil(log10(hi)), by: 1).map { pow(10, $0) }
        let all = decades.flatMap { d in [d, 2 * d, 5 * d] }.filter { $0 >= lo && $0 <= hi }
        return all.count > 8 ? all.filter { log10($0).rounded() == log10($0) } : all
    }

    /// A tick label: as few decimals as the value needs.
    static func short(_ v: Double) -> String {
        v >= 100 ? TextReport.decimal(v, 0) : v >= 1 ? TextReport.decimal(v, v.rounded() == v ? 0 : 1) : TextReport.decimal(v, 3)
    }

    static func windowLabel(_ seconds: Double) -> String {
        seconds >= 1 ? "\(TextReport.decimal(seconds, 0)) s" : seconds >= 1e-3 ? "\(TextReport.decimal(seconds * 1e3, 0)) ms" : "\(TextReport.decimal(seconds * 1e6, 0)) µs"
    }

    static func f(_ v: Double) -> String { TextReport.decimal(v, 1) }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
