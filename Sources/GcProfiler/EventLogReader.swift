import Foundation
import GcCore

/// Reads an event log written by `EventLog`.
public struct EventLogContents {
    public var version: Int
    public var label: String
    public var startNanos: UInt64
    public var collections: [CollectionEvent] = []
    public var snapshots: [(atNanos: UInt64, statistics: HeapStatistics)] = []
    /// Lines of unknown record kinds (skipped, counted).
    public var skippedRecords = 0
}

public enum EventLogError: Error, CustomStringConvertible {
    case notAnEventLog(path: String)
    case unsupportedVersion(Int)
    case malformed(line: Int, reason: String)

    public var description: String {
        switch self {
        case let .notAnEventLog(path): "\(path) is not a HakoGC event log (no header line)"
        case let .unsupportedVersion(v): "event log version \(v) is newer than this reader (\(EventLog.version))"
        case let .malformed(line, reason): "line \(line): \(reason)"
        }
    }
}

extension EventLogContents {
    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        struct Tag: Decodable { var record: String }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next(), let header = try? decoder.decode(Header.self, from: first),
              header.format == EventLog.format else { throw EventLogError.notAnEventLog(path: path) }
        guard header.version <= EventLog.version else { throw EventLogError.unsupportedVersion(header.version) }
        self.init(version: header.version, label: header.label, startNanos: header.startNanos)
        var number = 1
        while let line = lines.next() {
            number += 1
            do {
                switch try decoder.decode(Tag.self, from: line).record {
                case "collection": collections.append(try decoder.decode(CollectionRecord.self, from: line).event)
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
