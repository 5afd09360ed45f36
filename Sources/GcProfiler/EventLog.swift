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
/// Misuse: the heap's observer holds the log unowned, so releasing the log while it is
/// still attached stops the process at the next collection.
public final class EventLog {
    /// The header's `format` value.
    public static let format = "hakogc-events"
    /// The format version this build writes (and the newest it reads).
    public static let version = 1

    private let handle: FileHandle
    private let encoder = JSONEncoder()
    private var buffer = Data()

    /// Creates (truncates) `path` and writes the header (buffered). The caller owns
    /// the log. Any thread.
    /// - Throws: a Foundation error if the file cannot be created or opened.
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

    /// Records every collection of `heap` (replaces its collection observer). The heap
    /// does not keep the log alive: keep it until you detach it (set the observer to
    /// nil). Write errors during collections are ignored. Owner thread of `heap`.
    public func attach(to heap: Heap) {
        // Strong: the heap's observer keeps the log alive while it is attached.
        heap.collectionObserver = { event in
            try? self.append(CollectionRecord(record: "collection", event: event))
        }
    }

    /// Records the heap's statistics now. Owner thread of `heap` (checked: another
    /// thread stops the process).
    /// - Throws: an encoding or file-write error.
    public func snapshot(_ heap: Heap, detailed: Bool = true) throws {
        try append(SnapshotRecord(record: "snapshot", atNanos: MonotonicClock.nanos, statistics: heap.statistics(detailed: detailed)))
    }

    /// Flushes and closes the file. Records appended afterwards are not written.
    /// - Throws: a file-write or close error.
    public func close() throws {
        try flush()
        try handle.close()
    }

    /// Writes the buffered records (buffering flushes by itself past 64 KiB).
    /// - Throws: a file-write error.
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
