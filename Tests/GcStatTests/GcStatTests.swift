import Foundation
import GcCore
import GcProfiler
import GcTestSupport
@testable import GcStatKit
import Testing

// gcstat on committed logs: the demo's (version 2, with samples, snapshots and a leak
// check) and a hand-written version-1 log. Golden outputs sit beside them
// (Tests/GcStatTests/Logs); regenerate them with
//   for log in demo v1; do .build/debug/gcstat report --no-source-lines Tests/GcStatTests/Logs/$log.hgclog > Tests/GcStatTests/Logs/$log.report.txt; ... done
// after a deliberate change, and read the diff.

func logPath(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: "Logs/\(name)", ofType: nil))
}

private func golden(_ name: String) throws -> String {
    try String(contentsOfFile: logPath(name), encoding: .utf8)
}

/// The gcstat binary built beside the test bundle.
func gcstat(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [bundle.appendingPathComponent("gcstat"), bundle.deletingLastPathComponent().appendingPathComponent("gcstat")]
    let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite struct GcStatTests {
    @Test(arguments: ["demo", "v1"])
    func viewsMatchTheirGoldenOutput(_ name: String) throws {
        let log = try LogSummary(path: logPath("\(name).hgclog"))
        #expect(TextReport.render(log) == (try golden("\(name).report.txt")))
        #expect(try TraceView.render(path: logPath("\(name).hgclog")) == (try golden("\(name).trace.txt")))
        #expect((try JSONReport(log).encoded()) == (try golden("\(name).json")))
        #expect(LeakView.render(log) == (try golden("\(name).leaks.txt")))
    }

    /// The figures mean what they say, checked against the log's own records.
    @Test func demoReportAgreesWithTheRecords() throws {
        let log = try EventLogContents(path: logPath("demo.hgclog"))
        let json = JSONReport(try LogSummary(path: logPath("demo.hgclog")))
        #expect(json.pauses["all"]?.count == UInt64(log.collections.count))
        #expect(json.pauses["all"]?.totalNanos == log.collections.reduce(0) { $0 + $1.pauseNanos })
        #expect(json.phaseNanos.values.reduce(0, +) == json.pauses["all"]?.totalNanos)  // phases add up
        let sorted = log.collections.map(\.pauseNanos).sorted()
        let p99 = sorted[Int((0.99 * Double(sorted.count)).rounded(.up)) - 1]
        let reported = Double(json.pauses["all"]!.p99Nanos)
        #expect(abs(reported - Double(p99)) <= Double(p99) * 0.001 + 1)  // HdrHistogram: 3 significant digits
        #expect(json.complete && json.leaks.contains { $0.kind == "cycle" })
        #expect(try TraceView.render(path: logPath("demo.hgclog")).split(separator: "\n").count == log.collections.count)
    }

    /// Self-contained: no script, nothing fetched; as many marks as collections.
    /// (scripts/test-gcstat.sh renders it in headless Chromium.)
    @Test func htmlIsSelfContainedAndDrawsEveryPause() throws {
        let log = try LogSummary(path: logPath("demo.hgclog"))
        let html = HTMLReport.render(log)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        #expect(html.components(separatedBy: "http").count - 1 == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
        let timeline = try #require(html.range(of: "<svg id=\"pauses\"").map { String(html[$0.lowerBound...]) })
        let svg = String(timeline[..<timeline.range(of: "</svg>")!.lowerBound])
        #expect(svg.contains("data-points=\"\(log.collections)\""))
        #expect(svg.components(separatedBy: "<circle").count - 1 == log.collections)
        for id in ["heap", "percentiles", "mmu", "phases"] { #expect(html.contains("<svg id=\"\(id)\"")) }
        #expect(html.contains("<table id=\"sites\"") && html.contains("<table id=\"leaks\""))
        #expect(HTMLReport.escape("<a & \"b\">") == "&lt;a &amp; &quot;b&quot;&gt;")
    }

    /// `diff`: golden text for a smaller run against the demo's, thresholds read and
    /// judged, bad thresholds refused, and the exit statuses CI relies on.
    @Test func diffGatesOnThresholds() throws {
        let small = try LogSummary(path: logPath("demo-small.hgclog"))
        let demo = try LogSummary(path: logPath("demo.hgclog"))
        let diff = LogDiff(old: small, new: demo)
        #expect(diff.render() == (try golden("diff.txt")))
        #expect(diff.addedLeaks.isEmpty)  // the same kinds of group, more of them
        let parsed = try ["p99>+10%", "max>2ms", "leaked-bytes>0", "site-growth>1MiB", "mmu-10ms<0.2", "minor.p50>5ms"]
            .map { try Threshold.parse($0).get() }
        let verdicts = diff.evaluate(parsed).map(\.crossed)
        // p99 fell, max is 3.9 ms, leaks grew, 0.13 MB of growth, MMU 0.33, minor p50 2.1 ms.
        #expect(verdicts == [false, true, true, false, false, false])
        #expect(diff.evaluate([try Threshold.parse("p99.9>+20%").get()]).map(\.crossed) == [true])  // +25 %
        for bad in ["p99", "foo>1", "max>2MiB", "leaked-bytes>2ms", "p99>ten", "mmu-10ms<5%"] {
            #expect(throws: ThresholdError.self, "\(bad)") { try Threshold.parse(bad).get() }
        }
        let a = try logPath("demo-small.hgclog"), b = try logPath("demo.hgclog")
        #expect(try gcstat(["diff", "--no-source-lines", a, b, "--fail-if", "p99>+10%,site-growth>1MiB"]).status == 0)
        let crossed = try gcstat(["diff", "--no-source-lines", a, b, "--fail-if", "max>2ms"])
        #expect(crossed.status == 1 && crossed.stdout.contains("CROSSED max>2ms"))
        #expect(try gcstat(["diff", a, b, "--fail-if", "nonsense"]).status == 2)
    }

    @Test func minimumMutatorUtilisationOfAKnownSchedule() {
        // A 10 ms run with a 1 ms pause at 2 ms and a 2 ms pause at 6 ms.
        let pauses: [(start: UInt64, end: UInt64)] = [(2_000_000, 3_000_000), (6_000_000, 8_000_000)]
        let mmu = { (w: UInt64) in MutatorUtilisation.minimum(pauses, window: w, begin: 0, end: 10_000_000) }
        #expect(mmu(1_000_000) == 0)                 // inside the 2 ms pause
        #expect(mmu(4_000_000) == 0.5)               // 2 ms of pause in a 4 ms window
        #expect(abs((mmu(6_000_000) ?? 0) - 0.5) < 1e-9)  // [2, 8): 3 ms of 6
        #expect(mmu(10_000_000) == 0.7)              // the whole run
        #expect(mmu(20_000_000) == nil)              // longer than the run
    }

    @Test func theCommandLineExitsAsDocumented() throws {
        let demo = try logPath("demo.hgclog")
        let report = try gcstat(["report", "--no-source-lines", demo])
        let expected = try golden("demo.report.txt")
        #expect(report.status == 0 && report.stdout == expected)
        #expect(try gcstat(["leaks", "--fail", "--no-source-lines", demo]).status == 1)
        #expect(try gcstat(["leaks", "--fail", try logPath("v1.hgclog")]).status == 0)
        // Bad usage: 2 with ArgumentParser's message (its own code would be 64).
        let usage = try gcstat(["report"])
        #expect(usage.status == 2 && usage.stderr.contains("Missing expected argument"))
        #expect(try gcstat(["report", "--no-such-flag", demo]).status == 2)
        #expect(try gcstat(["--help"]).status == 0)
        let hgrm = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-\(UUID().uuidString).hgrm").path
        defer { try? FileManager.default.removeItem(atPath: hgrm) }
        #expect(try gcstat(["report", "--no-source-lines", "--hgrm", hgrm, demo]).status == 0)
        let text = try String(contentsOfFile: hgrm, encoding: .utf8)
        #expect(text.contains("Value") && text.contains("Percentile") && text.contains("#[Max"))
    }

    /// Unreadable input: exit 2 and one line naming the file and the place.
    @Test func malformedLogsExitTwoNamingThePlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Data(contentsOf: URL(fileURLWithPath: logPath("demo.hgclog")))
        let v1 = try golden("v1.hgclog")
        var newer = [UInt8](good)
        newer[7] = 9
        let cases: [(String, Data, String)] = [
            ("empty", Data(), "not a HakoGC event log"),
            ("truncated", good.prefix(good.count - 3), "record at byte"),
            ("newer", Data(newer), "version 9 is newer"),
            ("v1-wrong-type", Data(v1.replacingOccurrences(of: "\"pauseNanos\": 150000", with: "\"pauseNanos\": \"slow\"").utf8), "line 2"),
            ("v1-truncated-line", Data((v1.split(separator: "\n")[0] + "\n" + v1.split(separator: "\n")[1].prefix(40) + "\n").utf8), "line 2"),
            ("missing", Data(), "No such file"),
        ]
        for (name, data, expected) in cases {
            let path = dir.appendingPathComponent("\(name).hgclog").path
            if name != "missing" { try data.write(to: URL(fileURLWithPath: path)) }
            let r = try gcstat(["report", path])
            #expect(r.status == 2, "\(name): status \(r.status)")
            #expect(r.stderr.hasPrefix("gcstat: \(path): ") && r.stderr.contains(expected) && r.stderr.split(separator: "\n").count == 1,
                    "\(name): \(r.stderr)")
        }
        // Streamed commands: the records before the bad one were read, yet `-o` leaves
        // no file (nor its partial one) behind.
        let truncated = dir.appendingPathComponent("truncated.hgclog").path
        for command in ["trace", "chrome-trace"] {
            let out = dir.appendingPathComponent("\(command).out").path
            let r = try gcstat([command, truncated, "-o", out])
            #expect(r.status == 2 && r.stderr.contains("record at byte"), "\(command): \(r.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(command) }
            #expect(left.isEmpty, "\(command) left \(left)")
        }
        // An unknown record kind is skipped, not an error.
        var unknown = [UInt8](good)
        unknown.append(contentsOf: [0x63, 0, 0, 0, 16, 0, 0, 0] + [UInt8](repeating: 7, count: 8))
        let path = dir.appendingPathComponent("unknown.hgclog").path
        try Data(unknown).write(to: URL(fileURLWithPath: path))
        let r = try gcstat(["report", "--no-source-lines", path])
        #expect(r.status == 0 && r.stdout.contains("(1 records of unknown kinds skipped)"))
    }

    /// Damaged logs never crash the reader: 300 seeded corruptions of the demo's log,
    /// each either read or refused with an `EventLogError`.
    @Test func corruptedLogsAreReadOrRefusedNeverCrash() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: logPath("demo.hgclog"))))
        let seed = testSetting("HAKOGC_STRESS_SEED") { UInt64($0) } ?? 0x5EED
        var random = seed | 1
        func next() -> UInt64 { random ^= random << 13; random ^= random >> 7; random ^= random << 17; return random }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-fuzz-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var refused = 0
        for round in 0..<300 {
            var bytes = good
            for _ in 0..<(1 + Int(next() % 4)) {
                let at = 8 + Int(next() % UInt64(bytes.count - 8))
                bytes[at] = next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: next())
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let log = try LogSummary(path: path)
                _ = TextReport.render(log)
                _ = LeakView.render(log)
                _ = HTMLReport.render(log)
                _ = PprofExport.profile(log)
                _ = try ChromeTrace.json(path: path)
            } catch is EventLogError {
                refused += 1
            } catch {
                Issue.record("seed \(seed) round \(round): \(error)")
            }
        }
        #expect(refused > 0, "seed \(seed): no corruption was refused")
    }
}

/// The Chrome trace's structure, on a log with minor collections and an incremental
/// full collection made here: microseconds, every phase inside its pause on the
/// same track, async cycle spans paired and around their slices, a counter per
/// collection.
@Suite struct ChromeTraceTests {
    static let node = try! TypeRegistry.shared.register(TypeDescriptor(
        name: "hako.tests/TraceNode", payloadSize: 16, referenceOffsets: [0]))

    @Test func pausesNestTheirPhasesAndCyclesPair() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-trace-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, sampleRate: 0)
        let heap = Heap()
        file.attach(heap)
        for _ in 0..<3 {
            for _ in 0..<200 {
                let a = try heap.allocate(Self.node), b = try heap.allocate(Self.node)
                heap.storeReference(b, into: a, offset: 0)
                heap.storeReference(a, into: b, offset: 0)
                heap.release(a)
                heap.release(b)
            }
            heap.collect(.minor)
            while heap.collect(.fullSlice) != nil && heap.statistics().fullCollectionInProgress {}
        }
        file.detach(heap)
        file.close()
        let log = try EventLogContents(path: path)
        #expect(log.collectionEndsCycle.filter { $0 }.count == 3)
        let data = try ChromeTrace.json(path: path)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["displayTimeUnit"] as? String == "ms")
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        func d(_ e: [String: Any], _ k: String) -> Double { (e[k] as? NSNumber)?.doubleValue ?? -1 }
        let pauses = events.filter { $0["cat"] as? String == "gc" && $0["ph"] as? String == "X" }
        let phases = events.filter { $0["cat"] as? String == "gc.phase" }
        #expect(pauses.count == log.collections.count)
        for (p, e) in zip(pauses, log.collections) {
            #expect(abs(d(p, "dur") - Double(e.pauseNanos) / 1000) < 0.001)  // microseconds
            #expect(d(p, "ts") >= 0)
        }
        for ph in phases {
            let inside = pauses.contains { p in
                (p["tid"] as? NSNumber) == (ph["tid"] as? NSNumber)
                    && d(ph, "ts") >= d(p, "ts") - 0.001 && d(ph, "ts") + d(ph, "dur") <= d(p, "ts") + d(p, "dur") + 0.001
            }
            #expect(inside, "phase \(ph["name"] ?? "?") at \(d(ph, "ts")) lies in no pause")
        }
        let begins = events.filter { $0["ph"] as? String == "b" }, ends = events.filter { $0["ph"] as? String == "e" }
        #expect(begins.count == 3 && ends.count == 3)
        for b in begins {
            let id = b["id"] as? NSNumber
            let e = try #require(ends.first { $0["id"] as? NSNumber == id })
            #expect(d(e, "ts") > d(b, "ts"))
            let slices = pauses.filter { $0["name"] as? String == "full-slice (explicit)" && d($0, "ts") >= d(b, "ts") && d($0, "ts") < d(e, "ts") }
            #expect(!slices.isEmpty)
        }
        #expect(events.filter { $0["ph"] as? String == "C" }.count == log.collections.count)
    }
}
