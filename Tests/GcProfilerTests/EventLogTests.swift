import Foundation
import GcCore
import Testing
@testable import GcProfiler

@Suite struct EventLogTests {
    private func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hako-\(UUID().uuidString).hgclog").path
    }

    @Test func roundTripsCollectionsAndSnapshots() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let heap = Heap()
        let log = try EventLog(path: path, label: "test")
        log.attach(to: heap)
        heap.collect(.minor)
        heap.collect(.full)
        try log.snapshot(heap)
        try log.close()
        let contents = try EventLogContents(path: path)
        #expect(contents.version == 1 && contents.label == "test")
        #expect(contents.collections.map(\.kind) == [.minor, .full])
        #expect(contents.collections.map(\.reason) == [.explicit, .explicit])
        #expect(contents.snapshots.count == 1)
        #expect(contents.snapshots[0].statistics.fullCollections == 1)
        let report = Report.render(contents)
        #expect(report.contains("minor") && report.contains("full") && report.contains("p99.9"))
    }

    @Test func unknownRecordsAreSkippedAndBadFilesRefused() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = #"{"format":"hakogc-events","label":"","pid":1,"record":"header","startNanos":0,"version":1}"#
        try (header + "\n" + #"{"record":"future-kind","x":1}"# + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try EventLogContents(path: path).skippedRecords == 1)
        try "not a log\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: EventLogError.self) { try EventLogContents(path: path) }
        let newer = header.replacingOccurrences(of: "\"version\":1", with: "\"version\":99")
        try (newer + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: EventLogError.self) { try EventLogContents(path: path) }
    }

    @Test func percentilesUseNearestRank() {
        let s = PauseSummary((1...1000).map { UInt64($0) })
        #expect(s.p50 == 500 && s.p90 == 900 && s.p99 == 990 && s.p999 == 999 && s.max == 1000)
        #expect(s.totalNanos == 500_500)
        #expect(PauseSummary([]).max == 0)
        #expect(PauseSummary([7]).p999 == 7)
    }
}
