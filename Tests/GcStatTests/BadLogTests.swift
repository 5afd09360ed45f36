import Foundation
import GcCore
import GcProfiler
@testable import GcStatKit
import Testing

// Event logs and gcstat arguments that are wrong in one targeted way each
// (docs/reliability.md's catalogue, sections 3 and 4: rows E4–E24 and G2–G22),
// built word by word so that each refusal is reached on purpose, not only by the
// fuzzer's random bytes.

/// A version-2 log written word by word (ProfileRecord.swift's table).
struct LogBuilder {
    var bytes: [UInt8] = Array("HAKOGC".utf8) + [0, 2]

    static func words(_ ws: [UInt64]) -> [UInt8] { ws.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> ($0 * 8)) } } }

    static func string(_ s: [UInt8]) -> [UInt8] {
        words([UInt64(s.count)]) + s + [UInt8](repeating: 0, count: (8 - s.count % 8) % 8)
    }

    /// A record of `kind` with `body`; `size` overrides the header's size field.
    mutating func record(_ kind: UInt16, _ body: [UInt8], size: Int? = nil) {
        bytes += LogBuilder.words([UInt64(kind) | UInt64(size ?? body.count + 8) << 32]) + body
    }

    mutating func process(label: [UInt8] = Array("bad-log".utf8)) {
        record(1, LogBuilder.words([1_700_000_000_000_000_000, 1_000, 42, 0]) + LogBuilder.string(label) + LogBuilder.string([]))
    }

    mutating func heapStart(_ heap: UInt64) { record(2, LogBuilder.words([heap, 1_000])) }

    /// A collection record: `kind` 0 minor, 1 full; `phases` phase words.
    mutating func collection(heap: UInt64 = 1, kind: UInt64 = 0, reason: UInt64 = 4, pause: UInt64 = 1_000, phases: Int = 10,
                             claimedPhases: Int? = nil, extra: [UInt64] = []) {
        let fixed: [UInt64] = [heap, 1, kind, reason, 2_000, pause, 0, 0, 0, 0, 0, 0, 5, 5, 100, 100]
        var phaseWords = [UInt64](repeating: 0, count: phases)
        if phases > 0 { phaseWords[phases - 1] = pause }  // all of it "other"
        record(3, LogBuilder.words(fixed + [UInt64(claimedPhases ?? phases)] + phaseWords + [0] + extra))
    }

    mutating func processEnd() { record(12, LogBuilder.words([10_000, 9_000])) }

    func write(_ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A temporary folder removed by `body`'s end.
func withTemporaryFolder<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcstat-bad-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

func readAll(_ path: String) throws -> LogSummary { try LogSummary(path: path) }

/// The message `LogSummary` refuses `path` with (nil if it reads).
func refusal(_ path: String) -> String? {
    do { _ = try readAll(path); return nil } catch { return "\(error)" }
}

@Suite struct BadLogTests {
    // MARK: Headers (E4, E5)

    @Test func versionsThatNoWriterProducesAreRefusedWithoutCallingThemNewer() throws {
        try withTemporaryFolder { dir in
            for byte in [UInt8(0), 1] {
                var log = LogBuilder()
                log.bytes[7] = byte
                log.process()
                let message = try #require(refusal(try log.write("binary-\(byte).hgclog", in: dir)))
                #expect(message == "event log version \(byte) is not one this reader knows (1 is JSON Lines, 2 binary)")
            }
            for version in [0, 2] {
                let path = dir.appendingPathComponent("json-\(version).hgclog").path
                try Data("{\"format\": \"hakogc-events\", \"label\": \"x\", \"pid\": 1, \"record\": \"header\", \"startNanos\": 0, \"version\": \(version)}\n".utf8)
                    .write(to: URL(fileURLWithPath: path))
                let message = try #require(refusal(path))
                #expect(message.contains("version \(version) is not one this reader knows"), "\(message)")
            }
        }
    }

    // MARK: Records (E7–E12)

    @Test func eachMalformedRecordIsRefusedNamingItsByteAndReason() throws {
        var base = LogBuilder()
        base.process()
        let at = base.bytes.count  // the offset of the bad record
        var cases: [(String, LogBuilder, String)] = []
        var log = base
        log.bytes += [1, 0, 0, 0]
        cases.append(("E7 header", log, "record at byte \(at): a truncated record header"))
        log = base
        log.record(2, LogBuilder.words([1, 1]), size: 12)
        cases.append(("E8 unaligned", log, "record at byte \(at): record size 12 does not fit the file"))
        log = base
        log.record(2, LogBuilder.words([1, 1]), size: 4)
        cases.append(("E8 below 8", log, "record at byte \(at): record size 4 does not fit the file"))
        log = base
        log.record(3, LogBuilder.words([1, 2, 0]))
        cases.append(("E9 short", log, "record at byte \(at): collection record too short"))
        log = base
        log.record(8, LogBuilder.words([7, 1000]) + [UInt8](repeating: 65, count: 8))
        cases.append(("E10 string", log, "record at byte \(at): a string of 1000 bytes overruns its type record"))
        log = base
        log.collection(kind: 7)
        cases.append(("E11 kind", log, "record at byte \(at): collection: kind 7 or reason 4 out of range"))
        log = base
        log.collection(reason: 99)
        cases.append(("E11 reason", log, "record at byte \(at): collection: kind 0 or reason 99 out of range"))
        log = base
        log.collection(phases: 0, claimedPhases: 65)
        cases.append(("E12 phases", log, "65 phases"))
        log = base
        log.record(6, LogBuilder.words([1, 5000]))
        cases.append(("E12 frames", log, "5000 frames"))
        log = base
        log.record(9, LogBuilder.words([1, 0, 5000]))
        cases.append(("E12 counters", log, "claims 5000 counters"))
        log = base
        log.record(9, LogBuilder.words([1, 0, 0, 70000]))
        cases.append(("E12 types", log, "70000 types"))
        try withTemporaryFolder { dir in
            for (name, log, expected) in cases {
                let path = try log.write("bad.hgclog", in: dir)
                let message = refusal(path) ?? "read without complaint"
                #expect(message.contains(expected), "\(name): \(message)")
                let r = try gcstat(["report", path])
                #expect(r.status == 2 && r.stderr.hasPrefix("gcstat: \(path): ") && r.stderr.contains(expected), "\(name): gcstat \(r.status) \(r.stderr)")
            }
        }
    }

    // MARK: What is read, and how (E19–E24)

    /// E19: a newer writer's trailing words in known records are skipped.
    @Test func trailingWordsOfANewerWriterAreIgnored() throws {
        var log = LogBuilder()
        log.process()
        log.record(2, LogBuilder.words([1, 1_000, 77, 78]))  // heap-start with two more words
        log.collection(pause: 5_000, extra: [99, 98, 97])
        log.record(8, LogBuilder.words([7]) + LogBuilder.string(Array("app/T".utf8)) + LogBuilder.string([]) + LogBuilder.words([5]))
        log.processEnd()
        let summary = try withTemporaryFolder { try readAll(try log.write("newer.hgclog", in: $0)) }
        #expect(summary.collections == 1 && summary.pauses.count("all") == 1 && summary.pauses.totals["all"] == 5_000 && summary.names.typeNames[7] == "app/T")
        #expect(summary.heaps.map(\.id) == [1] && summary.isComplete && summary.skippedRecords == 0)
    }

    /// E20: no process-end record: read, and said to be unfinished.
    @Test func aLogWithoutAnEndIsReadAndSaidToBeUnfinished() throws {
        var log = LogBuilder()
        log.process()
        log.heapStart(1)
        log.collection()
        try withTemporaryFolder { dir in
            let path = try log.write("unfinished.hgclog", in: dir)
            #expect(try readAll(path).isComplete == false)
            let report = try gcstat(["report", "--no-source-lines", path])
            #expect(report.status == 0 && report.stdout.contains("no process-end record"), "\(report.stdout)")
            let json = try gcstat(["json", path])
            #expect(json.status == 0 && json.stdout.contains("\"complete\" : false") || json.stdout.contains("\"complete\":false"), "\(json.stdout)")
        }
    }

    /// E21: bytes that are not UTF-8 are decoded with U+FFFD in their place.
    @Test func stringsThatAreNotUTF8AreDecodedWithReplacements() throws {
        var log = LogBuilder()
        log.process(label: [0x66, 0xFF, 0x6F])
        log.record(8, LogBuilder.words([7]) + LogBuilder.string([0x61, 0x2F, 0xC3]))
        let summary = try withTemporaryFolder { try readAll(try log.write("utf8.hgclog", in: $0)) }
        #expect(summary.label == "f\u{FFFD}o" && summary.names.typeNames[7] == "a/\u{FFFD}")
    }

    /// E22: ids never declared: a type by its id, a stack with no frames, a free
    /// with no sample counted as unmatched, a heap with no heap-start by its number.
    @Test func undeclaredIdsAreReadAsTheirNumbers() throws {
        var log = LogBuilder()
        log.process()
        log.collection(heap: 9)
        log.record(4, LogBuilder.words([9, 55, 0x1000, 0xABC, 64, 3_000, 1]))  // stack 55, type 0xabc: never declared
        log.record(5, LogBuilder.words([9, 0x2000, 4_000, 0]))  // a free with no sample
        log.processEnd()
        try withTemporaryFolder { dir in
            let path = try log.write("undeclared.hgclog", in: dir)
            let summary = try readAll(path)
            #expect(summary.collectingHeaps == [9] && summary.collections == 1)
            #expect(summary.names.typeNames[0xABC] == nil)
            #expect(summary.sites.samples == 1 && summary.sites.unmatchedFrees == 1)
            let site = try #require(summary.siteFigures().first)
            #expect(site.allocatedObjects > 0, "\(site)")
            for command in ["report", "json", "leaks", "trace"] {
                let r = try gcstat([command, path] + (command == "report" ? ["--no-source-lines"] : []))
                #expect(r.status == 0, "\(command): \(r.status) \(r.stderr)")
            }
        }
    }

    /// E24: the size is taken when the log is opened; what is appended later is
    /// left for the next reader.
    @Test func recordsAppendedAfterOpeningAreNotRead() throws {
        var log = LogBuilder()
        log.process()
        log.collection()
        try withTemporaryFolder { dir in
            let path = try log.write("growing.hgclog", in: dir)
            var records = try EventLogRecords(path: path)
            var more = LogBuilder()
            more.collection()
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(more.bytes.dropFirst(8)))
            try handle.close()
            var collections = 0
            while let r = try records.next() { if case .collection = r { collections += 1 } }
            #expect(collections == 1)
            #expect(try readAll(path).collections == 2)
        }
    }
}
