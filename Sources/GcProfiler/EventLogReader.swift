import Foundation
import GcCore

/// Reads an event log written by `EventLog`. A plain value the caller owns; reading
/// touches no heap, so any thread may do it.
public struct EventLogContents {
    /// The header's format version.
    public var version: Int
    /// The label given to `EventLog.init`.
    public var label: String
    /// Monotonic clock when the log was created, nanoseconds.
    public var startNanos: UInt64
    /// Collection records, in file order.
    public var collections: [CollectionEvent] = []
    /// Snapshot records, in file order.
    public var snapshots: [(atNanos: UInt64, statistics: HeapStatistics)] = []
    /// Lines of unknown record kinds (skipped, counted).
    public var skippedRecords = 0
}

/// Why an event log could not be read. A plain value.
public enum EventLogError: Error, CustomStringConvertible {
    /// The first line is not an `EventLog` header.
    case notAnEventLog(path: String)
    /// Written by a newer format version than `EventLog.version`.
    case unsupportedVersion(Int)
    /// A line (1-based, blank lines not counted) that is not a valid record of its kind.
    case malformed(line: Int, reason: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .notAnEventLog(path): "\(path) is not a HakoGC event log (no header line)"
        case let .unsupportedVersion(v): "event log version \(v) is newer than this reader (\(EventLog.version))"
        case let .malformed(line, reason): "line \(line): \(reason)"
        }
    }
}

extension EventLogContents {
    /// Reads the whole log at `path`; records of unknown kinds are skipped and counted.
    /// - Throws: `EventLogError`, or a Foundation error if the file cannot be read.
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
