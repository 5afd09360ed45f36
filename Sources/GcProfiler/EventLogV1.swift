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
