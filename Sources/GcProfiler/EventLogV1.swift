import Foundation
import GcCore

// Version 1 of the event log (JSON Lines, written before version 2's binary
// records): still read, never written. docs/event-log.md keeps its description.

struct Header: Codable {
    var record: String
    var format: String
    var version: Int
    var startNanos: UInt64
    var pid: Int
    var label: String
}

struct CollectionRecord: Codable {
    var record: String
    var event: CollectionEvent

    init(record: String, event: CollectionEvent) { self.record = record; self.event = event }

    // Flat on the line: the record tag beside the event's own fields.
    init(from decoder: Decoder) throws {
        record = try decoder.container(keyedBy: Tag.self).decode(String.self, forKey: .record)
        event = try CollectionEvent(from: decoder)
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Tag.self)
        try c.encode(record, forKey: .record)
        try event.encode(to: encoder)
    }
    enum Tag: String, CodingKey { case record }
}

struct SnapshotRecord: Codable {
    var record: String
    var atNanos: UInt64
    var statistics: HeapStatistics
}

extension EventLogContents {
    /// Reads a version-1 (JSON Lines) log.
    init(version1 data: Data, path: String) throws {
        let decoder = JSONDecoder()
        struct Tag: Decodable { var record: String }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next(), let header = try? decoder.decode(Header.self, from: first),
              header.format == EventLog.format else { throw EventLogError.notAnEventLog(path: path) }
        guard header.version == 1 else { throw EventLogError.unsupportedVersion(header.version) }
        self.init(version: 1, label: header.label, startNanos: header.startNanos)
        pid = header.pid
        var number = 1
        while let line = lines.next() {
            number += 1
            do {
                switch try decoder.decode(Tag.self, from: line).record {
                case "collection":
                    collections.append(try decoder.decode(CollectionRecord.self, from: line).event)
                    collectionHeaps.append(0)
                    collectionEndsCycle.append(false)
                case "snapshot":
                    let s = try decoder.decode(SnapshotRecord.self, from: line)
                    snapshots.append((s.atNanos, s.statistics))
                default: skippedRecords += 1
                }
            } catch {
                throw EventLogError.malformed(line: number, reason: "\(error)")
            }
        }
    }
}
