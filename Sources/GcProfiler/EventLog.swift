import Foundation
import GcCore

/// The profiler's event log: JSON Lines, one record per line, versioned by its first
/// line. Records (see docs/event-log.md):
///
/// - `{"record":"header","format":"hakogc-events","version":1,"startNanos":…,"pid":…,"label":…}`
/// - `{"record":"collection", …CollectionEvent fields…}` after every collection
/// - `{"record":"snapshot","atNanos":…,"statistics":{…HeapStatistics…}}` on request
///
/// Readers must skip records they do not know (new record kinds are added without a
/// version bump; changing an existing field bumps `version`).
///
/// Ownership: the log owns its file handle; `close()` (or deinit) flushes it.
/// Thread rule: attach it to one heap and use it on that heap's owner thread.
public final class EventLog {
    public static let format = "hakogc-events"
    public static let version = 1

    private let handle: FileHandle
    private let encoder = JSONEncoder()
    private var buffer = Data()

    /// Creates (truncates) `path` and writes the header.
    public init(path: String, label: String = "") throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        encoder.outputFormatting = [.sortedKeys]
        let header = Header(
            record: "header", format: EventLog.format, version: EventLog.version,
            startNanos: MonotonicClock.nanos, pid: Int(ProcessInfo.processInfo.processIdentifier), label: label)
        try append(header)
    }

    deinit { try? close() }

    /// Records every collection of `heap` (replaces its collection observer).
    public func attach(to heap: Heap) {
        heap.collectionObserver = { [unowned self] event in
            try? self.append(CollectionRecord(record: "collection", event: event))
        }
    }

    /// Records the heap's statistics now.
    public func snapshot(_ heap: Heap, detailed: Bool = true) throws {
        try append(SnapshotRecord(record: "snapshot", atNanos: MonotonicClock.nanos, statistics: heap.statistics(detailed: detailed)))
    }

    public func close() throws {
        try flush()
        try handle.close()
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func append<R: Encodable>(_ record: R) throws {
        buffer.append(try encoder.encode(record))
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { try flush() }
    }
}

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

enum MonotonicClock {
    static var nanos: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
