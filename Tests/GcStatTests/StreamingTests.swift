import Foundation
@testable import GcCore
import GcProfiler
import GcTestSupport
@testable import GcStatKit
import Testing

// gcstat reads logs as streams: the record reader across its buffer's chunks, the
// streaming aggregates against independent models, and the memory of the gcstat
// binary on a short and a ten times longer log (it must not grow with the log).

/// A version-2 log written record by record, as `ProfileFile` lays them out.
struct SyntheticLog {
    var bytes = profileFileMagic

    mutating func add(_ kind: ProfileRecordKind, _ words: [UInt64] = [], strings: [String] = []) {
        var r = RecordBuilder(kind)
        for w in words { r.word(w) }
        for s in strings { r.string(s) }
        bytes += r.finish()
    }

    /// A process with one heap, `collections` minor collections 1 ms apart (100 µs
    /// pauses), and a sampled allocation and its free before each: 264 bytes per
    /// collection. At most one sampled object is live at a time.
    static func run(collections: Int, label: String = "synthetic") -> SyntheticLog {
        var log = SyntheticLog()
        log.add(.process, [0, 0, 4242, 1], strings: [label, "/bin/synthetic"])
        log.add(.heapStart, [1, 0])
        log.add(.type, [7], strings: ["hako.tests/Synthetic"])
        log.add(.symbol, [0x1000, 0, 0], strings: ["synthetic.site()", "/bin/synthetic"])
        log.add(.stack, [1, 1, 0x1000])
        for i in 0..<UInt64(collections) {
            let t = i * 1_000_000
            log.add(.sample, [1, 1, 0x10_0000 + i * 64, 7, 48, t + 10, 1])
            log.add(.free, [1, 0x10_0000 + i * 64, t + 20, 0])
            // heap, sequence, kind (minor), reason, start, pause, 10 figures, 1 phase, flags
            log.add(.collection, [1, i + 1, 0, 0, t + 500_000, 100_000, 3, 5, 1, 48, 0, 0, 10, 9, 480, 432, 1, 100_000, 0])
        }
        let end = UInt64(collections) * 1_000_000
        log.add(.heapEnd, [1, end, end, 0])
        log.add(.processEnd, [end, end])
        return log
    }

    func write() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-stream-\(UUID().uuidString).hgclog").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Runs the gcstat binary beside the test bundle under GNU time (Debian `time`,
/// which the test command installs), standard output to /dev/null: its exit status
/// and peak resident memory (KiB). Not wait4's figure here: a child spawned from
/// this process starts with the test process's own peak as its `ru_maxrss`; GNU
/// time forks from its small self, so its child's figure is gcstat's alone.
private func gcstatPeakMemory(_ arguments: [String]) throws -> (status: Int32, maxRSSKiB: Int) {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let binary = try #require([bundle.appendingPathComponent("gcstat"), bundle.deletingLastPathComponent().appendingPathComponent("gcstat")]
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }).path
    try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "GNU time is missing (apt-get install time)")
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-rss-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
    process.arguments = ["-f", "%M", "-o", report, binary] + arguments
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try process.run()
    process.waitUntilExit()
    let text = try String(contentsOfFile: report, encoding: .utf8)
    let kib = try #require(text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }, "GNU time said: \(text)")
    return (process.terminationStatus, kib)
}

@Suite struct StreamingTests {
    /// Records that straddle the reader's 1 MiB chunks, and one larger than a chunk,
    /// come out whole; so does a version-1 line longer than a chunk.
    @Test func recordsCrossChunkBoundaries() throws {
        var log = SyntheticLog.run(collections: 9_000)  // 2.4 MB: two chunk boundaries
        let longName = String(repeating: "x", count: 3 << 20)  // a 3 MiB record
        log.add(.type, [8], strings: [longName])
        let path = try log.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var collections = 0, samples = 0, frees = 0, named = ""
        try EventLogRecords.forEach(path: path) { r in
            switch r {
            case let .collection(e, _, _):
                #expect(e.sequence == collections + 1 && e.pauseNanos == 100_000)
                collections += 1
            case .sample: samples += 1
            case .free: frees += 1
            case let .type(id, name) where id == 8: named = name
            default: break
            }
        }
        #expect(collections == 9_000 && samples == 9_000 && frees == 9_000)
        #expect(named == longName)

        let v1 = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-v1-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: v1) }
        let label = String(repeating: "y", count: 2 << 20)
        let header = #"{"record":"header","format":"\#(EventLog.format)","version":1,"startNanos":0,"pid":1,"label":"\#(label)"}"#
        let collection = #"{"record":"collection","sequence":1,"kind":"minor","reason":"explicit","startNanos":5,"pauseNanos":7,"phaseNanos":[7],"roots":0,"visited":0,"freedObjects":0,"freedBytes":0,"finalized":0,"resurrected":0,"liveObjectsBefore":0,"liveObjectsAfter":0,"liveBytesBefore":0,"liveBytesAfter":0}"#
        try Data((header + "\n" + collection + "\n\n" + collection).utf8).write(to: URL(fileURLWithPath: v1))
        let summary = try LogSummary(path: v1)
        #expect(summary.label == label && summary.collections == 2)
    }

    /// The streaming MMU against brute force: on integer schedules every window start
    /// from the run's start to its end is tried (the minimum lies on an integer).
    /// Seeded; the seed is printed on failure.
    @Test func mutatorUtilisationMatchesBruteForce() {
        let seed = testSetting("HAKOGC_STRESS_SEED") { UInt64($0) } ?? 0x3A7
        var random = seed | 1
        func next(_ n: UInt64) -> UInt64 { random ^= random << 13; random ^= random >> 7; random ^= random << 17; return random % n }
        for round in 0..<300 {
            var pauses: [(start: UInt64, end: UInt64)] = []
            let begin = next(20)
            var t = begin + next(30)
            for _ in 0..<(1 + next(25)) {
                let d = next(3) == 0 ? next(60) + 1 : next(8) + 1
                pauses.append((t, t + d))
                t += d + (next(2) == 0 ? next(5) : next(80))
            }
            let end = max(pauses.last!.end, begin + next(500))
            for w in [1, 2, 3 + next(10), 10 + next(90), 100 + next(400), end - begin, end - begin + 1] as [UInt64] where w > 0 {
                var expected: Double? = nil
                if end - begin >= w {
                    var worst: UInt64 = 0
                    for s in begin...(end - w) {
                        let paused = pauses.reduce(UInt64(0)) { sum, p in sum + (min(p.end, s + w) > max(p.start, s) ? min(p.end, s + w) - max(p.start, s) : 0) }
                        worst = max(worst, paused)
                    }
                    expected = 1 - Double(worst) / Double(w)
                }
                let got = MutatorUtilisation.minimum(pauses, window: w, begin: begin, end: end)
                #expect(got == expected, "seed \(seed) round \(round) window \(w): \(String(describing: got)) against \(String(describing: expected)); pauses \(pauses), run [\(begin), \(end)]")
            }
        }
    }

    /// The plots' marks stay within their capacity, keep the longest pauses, and
    /// are evenly spaced.
    @Test func timelineIsBoundedAndKeepsTheLongestPauses() {
        var timeline = PauseTimeline(capacity: 1_000)
        let n = 123_457
        var longest: Set<Int> = []
        for i in 0..<n {
            let pause: UInt64 = i % 997 == 13 ? 1_000_000 + UInt64(i) : UInt64(i % 50)
            if pause >= 1_000_000 { longest.insert(i) }
            timeline.add(CollectionEvent(sequence: i + 1, kind: .minor, reason: .explicit, startNanos: UInt64(i) * 1000, pauseNanos: pause,
                                         phaseNanos: [pause], roots: 0, visited: 0, freedObjects: 0, freedBytes: 0, finalized: 0, resurrected: 0,
                                         liveObjectsBefore: 0, liveObjectsAfter: 0, liveBytesBefore: 0, liveBytesAfter: i))
        }
        let marks = timeline.marks
        #expect(timeline.count == n && marks.count <= 1_000 && marks.count > 400)
        let kept = Set(marks.map(\.index))
        let longestHundred = Set(longest.sorted { $0 > $1 }.prefix(PauseTimeline.longestKept))  // later ones are longer
        #expect(longestHundred.isSubset(of: kept))
        let evenly = marks.map(\.index).filter { !longest.contains($0) }
        let gaps = Set(zip(evenly, evenly.dropFirst()).map { $1 - $0 })
        #expect(gaps.count <= 2, "gaps \(gaps.sorted())")  // one stride (twice it where a longest pause sat)
        #expect(timeline.longestPause == 1_000_000 + UInt64(longest.max()!) && timeline.mostLiveBytes == n - 1)
    }

    /// The streaming site figures equal the whole-log reader's on the demo's log.
    @Test func siteFiguresMatchTheWholeLogReader() throws {
        let path = try #require(Bundle.module.path(forResource: "Logs/demo.hgclog", ofType: nil))
        let whole = try EventLogContents(path: path).sites()
        let streamed = try LogSummary(path: path).siteFigures()
        #expect(whole.map(\.name) == streamed.map(\.name))
        for (a, b) in zip(whole, streamed) {
            for (x, y) in [(a.allocatedBytes, b.allocatedBytes), (a.allocatedObjects, b.allocatedObjects),
                           (a.inUseBytes, b.inUseBytes), (a.inUseObjects, b.inUseObjects)] {
                #expect(abs(x - y) <= 1e-9 * max(1, abs(x)), "\(a.name): \(x) against \(y)")
            }
        }
    }

    /// Every command on a log and on a longer one: the gcstat process's peak memory
    /// grows by less than half what the log grows (reading it whole would add more
    /// than twice that), and the longer log is read to its end. The shorter log
    /// already fills the plots' 20 000 marks.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HAKOGC_SANITIZE"] == nil,
                   "a sanitizer's shadow memory and quarantine swamp the figures"))
    func memoryDoesNotGrowWithTheLog() throws {
        let short = try SyntheticLog.run(collections: 25_000).write()
        let long = try SyntheticLog.run(collections: 60_000).write()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-out-\(UUID().uuidString)").path
        defer { for p in [short, long, out] { try? FileManager.default.removeItem(atPath: p) } }
        let logGrowthKiB = (try FileManager.default.attributesOfItem(atPath: long)[.size] as! Int
                            - (try FileManager.default.attributesOfItem(atPath: short)[.size] as! Int)) / 1024
        let commands: [[String]] = [["report"], ["json"], ["trace"], ["leaks"], ["html", "-o", out], ["pprof", "-o", out],
                                    ["chrome-trace", "-o", out]]
        for command in commands {
            let a = try gcstatPeakMemory(command + ["--no-source-lines", short])
            let b = try gcstatPeakMemory(command + ["--no-source-lines", long])
            #expect(a.status == 0 && b.status == 0, "\(command): exit \(a.status), \(b.status)")
            let growth = b.maxRSSKiB - a.maxRSSKiB
            print("RSS \(command): \(a.maxRSSKiB) → \(b.maxRSSKiB) KiB, log +\(logGrowthKiB) KiB")
            #expect(growth < logGrowthKiB / 2, "\(command): \(a.maxRSSKiB) KiB → \(b.maxRSSKiB) KiB for a log \(logGrowthKiB) KiB longer")
        }
        let summary = try LogSummary(path: long)
        #expect(summary.collections == 60_000 && summary.sites.samples == 60_000 && summary.sites.unmatchedFrees == 0)
        #expect(summary.isComplete)
    }
}
