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
        log.snapshot(heap)
        log.close()
        let contents = try EventLogContents(path: path)
        #expect(contents.version == 2 && contents.label == "test")
        #expect(contents.collections.map(\.kind) == [.minor, .full])
        #expect(contents.collections.map(\.reason) == [.explicit, .explicit])
        #expect(contents.snapshots.count == 1)
        #expect(contents.snapshots[0].statistics.fullCollections == 1)
    }

    /// A slice of an incremental full collection is its own kind in the log and
    /// the report; a snapshot written before a statistics field existed still reads.
    @Test func fullSlicesAreLoggedAndOldSnapshotsRead() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let heap = Heap()
        let log = try EventLog(path: path, label: "slices")
        log.attach(to: heap)
        while heap.collect(.fullSlice) != nil && heap.statistics().fullCollectionInProgress {}
        log.snapshot(heap)
        log.close()
        let contents = try EventLogContents(path: path)
        #expect(!contents.collections.isEmpty && contents.collections.allSatisfy { $0.kind == .fullSlice })
        #expect(contents.snapshots[0].statistics.fullSlices == contents.collections.count)

        var full = HeapStatistics()
        full.liveObjects = 1; full.fullSlices = 2; full.sweptNotFreed = 3; full.weakSlots = 4
        full.fullCollectionInProgress = true; full.perType = []
        let encoded = try JSONEncoder().encode(full)
        #expect(try JSONDecoder().decode(HeapStatistics.self, from: encoded) == full)
        var object = try JSONSerialization.jsonObject(with: encoded) as! [String: Any]
        for key in ["fullSlices", "fullCollectionInProgress", "sweptNotFreed"] { object[key] = nil }
        let old = try JSONDecoder().decode(HeapStatistics.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.liveObjects == 1 && old.weakSlots == 4 && old.fullSlices == 0 && old.sweptNotFreed == 0)
    }

    /// Version 1 (JSON Lines) logs are still read.
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
}
