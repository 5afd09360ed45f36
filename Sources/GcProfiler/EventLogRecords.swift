import Foundation
import GcCore

/// One record of an event log, decoded (ProfileRecord.swift has the table of kinds
/// and fields; docs/event-log.md describes them).
public enum EventLogRecord {
    /// The process record (version 2), or a version-1 header (no wall clock, no
    /// sampling rate, no executable).
    case process(wallClockNanos: UInt64, startNanos: UInt64, pid: Int, sampleRate: UInt64, label: String, executable: String)
    case heapStart(id: UInt64, atNanos: UInt64)
    /// `endsCycle`: a full slice that finished its incremental cycle (false when the
    /// log does not say).
    case collection(CollectionEvent, heap: UInt64, endsCycle: Bool)
    case sample(EventLogContents.Sample)
    case free(heap: UInt64, address: UInt64, atNanos: UInt64, byCollector: Bool)
    case stack(id: UInt64, frames: [UInt64])
    case symbol(pc: UInt64, EventLogContents.Symbol)
    case type(id: UInt64, name: String)
    /// Per-type entries are named by the type records read before it.
    case snapshot(heap: UInt64, atNanos: UInt64, HeapStatistics)
    case heapEnd(id: UInt64, atNanos: UInt64, durationNanos: UInt64, counters: [String: UInt64])
    case mapping(EventLogContents.Mapping)
    case processEnd(atNanos: UInt64, durationNanos: UInt64)
    case leak(EventLogContents.Leak)
    /// A record of a kind this reader does not know (a newer writer's): skip it.
    case unknown(kind: UInt16)
}

/// Reads an event log one record at a time, from a fixed-size buffer: memory does not
/// grow with the log (a record is at most its file's size; the buffer grows to the
/// largest record). Version 2 (binary) and version 1 (JSON Lines). A plain value the
/// caller owns; any thread.
///
/// Misuse: none beyond I/O — a log that is not one, is newer than this reader, or has
/// a malformed record throws `EventLogError` naming the byte offset (version 2) or
/// line (version 1); records before it were returned.
public struct EventLogRecords {
    /// The header's format version (1 or 2).
    public let version: Int
    private var file: ChunkedFile
    /// Type names seen so far: snapshot records name their per-type entries by them.
    private var typeNames: [UInt64: String] = [:]
    /// Version 1: the line number of the last line read (the header is line 1).
    private var line = 1

    /// Opens `path` and reads its header.
    /// - Throws: `EventLogError`, or a Foundation error if the file cannot be opened.
    public init(path: String) throws {
        file = try ChunkedFile(path: path)
        let magic = try file.peek(8)
        if magic.count == 8, Array(magic.prefix(6)) == Array(profileFileMagic.prefix(6)), magic[6] == 0 {
            version = Int(magic[7])
            // Only version 2 is binary (1 is JSON Lines; 0 was never written).
            guard version == EventLog.version else { throw EventLogError.unsupportedVersion(version) }
            file.consume(8)
            return
        }
        guard let first = try file.line(), let header = try? JSONDecoder().decode(Header.self, from: Data(first)),
              header.format == EventLog.format else { throw EventLogError.notAnEventLog(path: path) }
        guard header.version == 1 else { throw EventLogError.unsupportedVersion(header.version) }
        version = 1
        pendingHeader = header
    }

    private var pendingHeader: Header?

    /// The next record, or nil at the end of the file.
    /// - Throws: `EventLogError` for a malformed record (the reader is then spent).
    public mutating func next() throws -> EventLogRecord? {
        if let h = pendingHeader {
            pendingHeader = nil
            return .process(wallClockNanos: 0, startNanos: h.startNanos, pid: h.pid, sampleRate: 0, label: h.label, executable: "")
        }
        return version == 1 ? try nextVersion1() : try nextVersion2()
    }

    /// Calls `body` with every record in `path`, in file order.
    public static func forEach(path: String, _ body: (EventLogRecord) throws -> Void) throws {
        var records = try EventLogRecords(path: path)
        while let r = try records.next() { try body(r) }
    }

    // MARK: Version 1

    private mutating func nextVersion1() throws -> EventLogRecord? {
        struct Tag: Decodable { var record: String }
        let decoder = JSONDecoder()
        while let text = try file.line() {
            line += 1
            if text.isEmpty { continue }
            let text = Data(text)
            do {
                switch try decoder.decode(Tag.self, from: text).record {
                case "collection":
                    return .collection(try decoder.decode(CollectionRecord.self, from: text).event, heap: 0, endsCycle: false)
                case "snapshot":
                    let s = try decoder.decode(SnapshotRecord.self, from: text)
                    return .snapshot(heap: 0, atNanos: s.atNanos, s.statistics)
                default:
                    return .unknown(kind: 0)
                }
            } catch {
                throw EventLogError.malformed(line: line, reason: "\(error)")
            }
        }
        return nil
    }

    // MARK: Version 2

    /// Decodes the next version-2 record (ProfileRecord.swift has the table).
    private mutating func nextVersion2() throws -> EventLogRecord? {
        let at = file.offset
        let head = try file.peek(8)
        if head.isEmpty { return nil }
        guard head.count == 8 else { throw EventLogError.malformedRecord(offset: at, reason: "a truncated record header") }
        let header = RecordReader.load(head, 0)
        let size = Int(header >> 32)
        guard size >= 8, size % 8 == 0, size <= file.remaining else {
            throw EventLogError.malformedRecord(offset: at, reason: "record size \(size) does not fit the file (\(file.remaining) bytes left)")
        }
        var r = try RecordReader(try file.peek(size), at: 0, fileOffset: at)
        file.consume(size)
        func bad(_ why: String) -> EventLogError { .malformedRecord(offset: at, reason: "\(r.kindName): \(why)") }
        guard let kind = ProfileRecordKind(rawValue: r.kind) else { return .unknown(kind: r.kind) }
        switch kind {
        case .process:
            let wall = try r.word(), start = try r.word(), pid = Int(truncatingIfNeeded: try r.word()), rate = try r.word()
            return .process(wallClockNanos: wall, startNanos: start, pid: pid, sampleRate: rate, label: try r.string(), executable: try r.string())
        case .heapStart:
            return .heapStart(id: try r.word(), atNanos: try r.word())
        case .collection:
            let heap = try r.word()
            let sequence = Int(truncatingIfNeeded: try r.word())
            let kindIndex = try r.word(), reasonIndex = try r.word()
            let kinds: [CollectionKind] = [.minor, .full, .fullSlice]
            guard kindIndex < kinds.count, reasonIndex < CollectionReason.allCases.count else {
                throw bad("kind \(kindIndex) or reason \(reasonIndex) out of range")
            }
            let kind = kinds[Int(kindIndex)], reason = CollectionReason.allCases[Int(reasonIndex)]
            var w: [Int] = []
            let start = try r.word(), pause = try r.word()
            for _ in 0..<10 { w.append(Int(truncatingIfNeeded: try r.word())) }
            let n = try r.word()
            guard n <= 64 else { throw bad("\(n) phases") }
            var phases: [UInt64] = []
            for _ in 0..<n { phases.append(try r.word()) }
            let event = CollectionEvent(
                sequence: sequence, kind: kind, reason: reason,
                startNanos: start, pauseNanos: pause, phaseNanos: phases, roots: w[0], visited: w[1],
                freedObjects: w[2], freedBytes: w[3], finalized: w[4], resurrected: w[5],
                liveObjectsBefore: w[6], liveObjectsAfter: w[7], liveBytesBefore: w[8], liveBytesAfter: w[9])
            return .collection(event, heap: heap, endsCycle: r.hasMore ? try r.word() & 1 != 0 : false)
        case .sample:
            return .sample(EventLogContents.Sample(heap: try r.word(), stack: try r.word(), address: try r.word(), typeID: try r.word(),
                                                   bytes: try r.word(), atNanos: try r.word(), rate: try r.word()))
        case .free:
            let heap = try r.word(), address = try r.word(), when = try r.word(), byCollector = try r.word()
            return .free(heap: heap, address: address, atNanos: when, byCollector: byCollector != 0)
        case .stack:
            let id = try r.word(), n = try r.word()
            guard n <= 4096 else { throw bad("\(n) frames") }
            var frames: [UInt64] = []
            for _ in 0..<n { frames.append(try r.word()) }
            return .stack(id: id, frames: frames)
        case .symbol:
            let pc = try r.word(), flags = try r.word(), off = try r.word()
            var symbol = EventLogContents.Symbol(name: try r.string(), file: try r.string(), offset: off,
                                                 isRuntime: flags & 1 != 0, isNeutral: flags & 2 != 0, isGuest: flags & 4 != 0)
            if r.hasMore { symbol.mangled = try r.string() }
            return .symbol(pc: pc, symbol)
        case .type:
            let id = try r.word(), name = try r.string()
            typeNames[id] = name
            return .type(id: id, name: name)
        case .snapshot:
            let heap = try r.word(), when = try r.word()
            var s = HeapStatistics(counters: try r.counters(SnapshotLayout.counters))
            let n = try r.word()
            guard n <= 1 << 16 else { throw bad("\(n) types") }
            var perType: [HeapStatistics.TypeStatistics] = []
            for _ in 0..<n {
                let id = try r.word(), objects = try r.word(), bytes = try r.word(), outside = try r.word()
                perType.append(HeapStatistics.TypeStatistics(
                    name: typeNames[id] ?? "0x\(String(id, radix: 16))", typeID: id, liveObjects: Int(truncatingIfNeeded: objects),
                    liveBytes: Int(truncatingIfNeeded: bytes), outsideBytes: Int(truncatingIfNeeded: outside)))
            }
            s.perType = n > 0 ? perType : nil
            return .snapshot(heap: heap, atNanos: when, s)
        case .heapEnd:
            let id = try r.word(), when = try r.word(), duration = try r.word()
            return .heapEnd(id: id, atNanos: when, durationNanos: duration, counters: try r.counters(SnapshotLayout.endCounters))
        case .mapping:
            return .mapping(EventLogContents.Mapping(start: try r.word(), end: try r.word(), offset: try r.word(), path: try r.string()))
        case .processEnd:
            return .processEnd(atNanos: try r.word(), durationNanos: try r.word())
        case .leak:
            let heap = try r.word(), flags = try r.word(), objects = try r.word(), bytes = try r.word()
            let types = try r.string(), site = try r.string(), holder = try r.string(), path = try r.string()
            return .leak(EventLogContents.Leak(heap: heap, isCycle: flags & 1 != 0, isPin: flags & 2 != 0, objects: objects, bytes: bytes,
                                               types: types, site: site.isEmpty ? [] : site.split(separator: "\n").map(String.init),
                                               holder: holder, path: path))
        }
    }
}

/// A file read front to back through a buffer that holds the unread part of the
/// last chunk: `peek(n)` makes `n` bytes available (reading more, growing the
/// buffer only for a record larger than a chunk). Its size is taken when opened:
/// records appended later (a log still being written) are not read.
struct ChunkedFile {
    static let chunk = 1 << 20
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0  // the first unread byte of `buffer`
    /// File offset of the first unread byte.
    private(set) var offset = 0
    let size: Int

    init(path: String) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
    }

    /// Bytes left to read.
    var remaining: Int { size - offset }

    /// Up to `n` unread bytes (fewer only at the end of the file), not consumed.
    mutating func peek(_ n: Int) throws -> ArraySlice<UInt8> {
        if buffer.count - start < n && buffer.count - start < remaining {
            buffer.removeSubrange(0..<start)
            start = 0
            while buffer.count < n && buffer.count < remaining {
                let want = Swift.max(ChunkedFile.chunk, n - buffer.count)
                guard let data = try handle.read(upToCount: Swift.min(want, remaining - buffer.count)), !data.isEmpty else { break }
                buffer.append(contentsOf: data)
            }
        }
        return buffer[start..<Swift.min(buffer.count, start + n)]
    }

    mutating func consume(_ n: Int) {
        start += n
        offset += n
    }

    /// The next line without its newline, or nil at the end of the file.
    mutating func line() throws -> ArraySlice<UInt8>? {
        var want = ChunkedFile.chunk
        while true {
            let available = try peek(want)
            if available.isEmpty { return nil }
            if let nl = available.firstIndex(of: 0x0A) {
                consume(nl - available.startIndex + 1)
                return available[available.startIndex..<nl]
            }
            if available.count < want {  // the end of the file: a last line without a newline
                consume(available.count)
                return available
            }
            want *= 2
        }
    }
}

/// Reads the words and strings of one version-2 record.
struct RecordReader {
    let bytes: ArraySlice<UInt8>
    let kind: UInt16
    let size: Int
    private var cursor: Int
    private let limit: Int
    /// The record's offset in its file (for messages).
    private let fileOffset: Int

    /// The record at `bytes.startIndex + at`, whose size the caller checked fits.
    init(_ bytes: ArraySlice<UInt8>, at: Int, fileOffset: Int) throws {
        self.bytes = bytes
        self.fileOffset = fileOffset
        let base = bytes.startIndex + at
        let header = RecordReader.load(bytes, at)
        kind = UInt16(truncatingIfNeeded: header)
        size = Int(header >> 32)
        cursor = base + 8
        limit = base + size
    }

    /// Whether the record has words left (a newer writer's trailing fields).
    var hasMore: Bool { cursor < limit }

    var kindName: String { ProfileRecordKind(rawValue: kind).map { "\($0)" } ?? "kind \(kind)" }

    /// The little-endian word at `bytes.startIndex + at`.
    static func load(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        let base = bytes.startIndex + at
        for i in 0..<8 { v |= UInt64(bytes[base + i]) << (8 * UInt64(i)) }
        return v
    }

    private func malformed(_ reason: String) -> EventLogError { .malformedRecord(offset: fileOffset, reason: reason) }

    mutating func word() throws -> UInt64 {
        guard cursor + 8 <= limit else { throw malformed("\(kindName) record too short") }
        defer { cursor += 8 }
        return RecordReader.load(bytes, cursor - bytes.startIndex)
    }

    /// A counter count, then that many counters, named by `names` in order
    /// (counters past the names — added by a newer writer — are skipped; names past
    /// the count read as absent).
    mutating func counters(_ names: [String]) throws -> [String: UInt64] {
        let n = try word()
        guard n <= 4096 else { throw malformed("\(kindName) record claims \(n) counters") }
        var out: [String: UInt64] = [:]
        for i in 0..<Int(n) {
            let v = try word()
            if i < names.count { out[names[i]] = v }
        }
        return out
    }

    mutating func string() throws -> String {
        let w = try word()
        guard w <= UInt64(limit - cursor) else { throw malformed("a string of \(w) bytes overruns its \(kindName) record") }
        let n = Int(w)
        let s = String(decoding: bytes[cursor..<cursor + n], as: UTF8.self)
        cursor += (n + 7) / 8 * 8
        return s
    }
}
