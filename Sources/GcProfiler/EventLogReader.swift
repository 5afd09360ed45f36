import Foundation
import GcCore

/// Reads an event log: version 2 (binary, `ProfileFile`) or version 1 (JSON Lines).
/// A plain value the caller owns; reading touches no heap, so any thread may do it.
public struct EventLogContents {
    /// One allocation sample, with its free when the log has one.
    public struct Sample: Equatable {
        public var heap: UInt64
        public var stack: UInt64
        public var address: UInt64
        public var typeID: UInt64
        /// Slot bytes of the sampled object, header included.
        public var bytes: UInt64
        public var atNanos: UInt64
        /// The mean sampling interval in force (bytes).
        public var rate: UInt64
        /// When it was freed (nil: still live when the log ended).
        public var freedAtNanos: UInt64?
        public var freedByCollector = false

        /// How many allocations this sample stands for: Go's estimate, an object of
        /// `s` bytes sampled with mean interval `r` stands for `1 / (1 − e^(−s/r))`
        /// objects (and that many times `s` bytes). 1 when every allocation is sampled.
        public var weight: Double {
            guard rate > 1 else { return 1 }
            return 1 / (1 - exp(-Double(bytes) / Double(rate)))
        }
    }

    /// A code address of a sampled stack, named.
    public struct Symbol: Equatable {
        /// The demangled function name ("" when no symbol covers the address).
        public var name: String
        /// The object file mapped at the address.
        public var file: String
        /// The address's offset in its function.
        public var offset: UInt64
        /// HakoGC's own code (trimmed from the top of allocation stacks).
        public var isRuntime: Bool
        /// The Swift runtime or standard library, libc, libunwind: trimmed while
        /// among HakoGC's frames at the top.
        public var isNeutral = false
        /// A guest-language frame a runtime reported (`name` its function, `file`
        /// "file:line"); guest frames stand above the native ones.
        public var isGuest = false
        /// "File.swift:123", once `resolveSourceLines()` found it (nil before, and
        /// without debug information).
        public var location: String? = nil
        /// The name as the symbol table has it (Swift's mangled form); "" for a guest
        /// frame, or in logs written before it was recorded.
        public var mangled = ""
    }

    /// An executable mapping of the profiled process (for symbolizing with its files).
    public struct Mapping: Equatable {
        public var start: UInt64, end: UInt64, offset: UInt64
        public var path: String
    }

    /// A heap of the profiled process.
    public struct HeapRecord: Equatable {
        public var id: UInt64
        public var startNanos: UInt64
        /// Set by the heap-end record: when, how long the heap lived, its last counters.
        public var endNanos: UInt64?
        public var durationNanos: UInt64?
        public var final: [String: UInt64] = [:]
    }

    /// A group a leak check reported (LeakCheck.swift's `LeakReport`, as text).
    public struct Leak: Equatable {
        public var heap: UInt64
        /// A cycle; a forgotten pin (`objects`/`bytes` are then what it keeps alive).
        public var isCycle: Bool, isPin: Bool
        public var objects: UInt64, bytes: UInt64
        /// "2× T, 1× U" (a pin: the pinned object's type).
        public var types: String
        /// Allocation (or pin) site, innermost first; empty when unknown.
        public var site: [String]
        public var holder: String
        /// "T .offset 8 → U" from the holder's object to the group's first.
        public var path: String
    }

    /// The header's format version.
    public var version: Int
    /// The label given when the log was created.
    public var label: String
    /// Monotonic clock when the log was created, nanoseconds.
    public var startNanos: UInt64
    /// Wall-clock time (UTC) at `startNanos`, nanoseconds since 1970 (version 2).
    public var wallClockNanos: UInt64 = 0
    public var pid = 0
    /// Mean bytes between samples (0: none sampled).
    public var sampleRate: UInt64 = 0
    public var executable = ""
    /// Collection records, in file order, and the heap of each (0 in version 1).
    public var collections: [CollectionEvent] = []
    public var collectionHeaps: [UInt64] = []
    /// Per collection: a full slice that finished its incremental cycle (false when
    /// the log does not say: version 1, or the first version-2 logs).
    public var collectionEndsCycle: [Bool] = []
    /// Snapshot records, in file order.
    public var snapshots: [(atNanos: UInt64, statistics: HeapStatistics)] = []
    public var heaps: [HeapRecord] = []
    public var samples: [Sample] = []
    public var stacks: [UInt64: [UInt64]] = [:]
    public var symbols: [UInt64: Symbol] = [:]
    public var typeNames: [UInt64: String] = [:]
    public var mappings: [Mapping] = []
    /// Leak-check groups, in file order.
    public var leaks: [Leak] = []
    /// Frees of addresses no earlier sample names (must be 0 in a valid log).
    public var unmatchedFrees = 0
    /// The process-end record: when, and nanoseconds since the process record.
    public var end: (atNanos: UInt64, durationNanos: UInt64)?
    /// Records of unknown kinds (skipped, counted).
    public var skippedRecords = 0

    init(version: Int, label: String, startNanos: UInt64) {
        self.version = version
        self.label = label
        self.startNanos = startNanos
    }

    /// Whether the log says it is complete: a process-end record (version 2).
    public var isComplete: Bool { end != nil }

    /// The frames of stack `id`, innermost first: the guest frames a runtime
    /// reported, then the native ones with HakoGC's own frames (and runtime or
    /// library frames among them) trimmed from their top (empty for an unknown id).
    public func frames(ofStack id: UInt64) -> [UInt64] {
        let all = stacks[id] ?? []
        let guest = all.prefix { symbols[$0]?.isGuest ?? false }
        let native = all.dropFirst(guest.count).drop { symbols[$0].map { $0.isRuntime || $0.isNeutral } ?? false }
        return Array(guest) + Array(native)
    }
}

extension EventLogContents {
    /// One allocation site's estimated figures (`Sample.weight` scaled).
    public struct Site: Equatable {
        /// The first frame below HakoGC's own (a guest frame when a runtime gave them).
        public var name: String
        /// Its source location: the guest frame's file and line, or a native frame's
        /// once `resolveSourceLines()` ran; nil when unknown.
        public var location: String? = nil
        public var allocatedObjects = 0.0, allocatedBytes = 0.0
        /// Sampled before the moment asked for and not freed by then.
        public var inUseObjects = 0.0, inUseBytes = 0.0
    }

    /// The sites of the samples taken up to `nanos` (the whole log when nil), with
    /// what was still in use then: a snapshot's time (`snapshots[i].atNanos`) shows
    /// which site grows. Sorted by bytes allocated.
    public func sites(at nanos: UInt64? = nil) -> [Site] {
        var sites: [String: Site] = [:]
        for s in samples where nanos.map({ s.atNanos <= $0 }) ?? true {
            let top = frames(ofStack: s.stack).first.flatMap { symbols[$0] }
            let name = top.flatMap { $0.name.isEmpty ? nil : $0.name } ?? "?"
            let location = top.flatMap { $0.isGuest ? $0.file : $0.location }
            let w = s.weight
            sites[name, default: Site(name: name, location: location)].allocatedObjects += w
            sites[name, default: Site(name: name)].allocatedBytes += w * Double(s.bytes)
            let freed = s.freedAtNanos.map { f in nanos.map { f <= $0 } ?? true } ?? false
            if !freed {
                sites[name, default: Site(name: name)].inUseObjects += w
                sites[name, default: Site(name: name)].inUseBytes += w * Double(s.bytes)
            }
        }
        return sites.values.sorted { ($0.allocatedBytes, $0.name) > ($1.allocatedBytes, $1.name) }
    }
}

/// Why an event log could not be read. A plain value.
public enum EventLogError: Error, CustomStringConvertible {
    /// Neither a version-2 magic nor a version-1 header line.
    case notAnEventLog(path: String)
    /// Written by a newer format version than `EventLog.version`.
    case unsupportedVersion(Int)
    /// A line (version 1, 1-based) that is not a valid record of its kind.
    case malformed(line: Int, reason: String)
    /// A version-2 record (at this byte offset) that is not valid for its kind.
    case malformedRecord(offset: Int, reason: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .notAnEventLog(path): "\(path) is not a HakoGC event log (no HAKOGC magic, no header line)"
        case let .unsupportedVersion(v): "event log version \(v) is newer than this reader (\(EventLog.version))"
        case let .malformed(line, reason): "line \(line): \(reason)"
        case let .malformedRecord(offset, reason): "record at byte \(offset): \(reason)"
        }
    }
}

extension EventLogContents {
    /// Reads the whole log at `path`; records of unknown kinds are skipped and counted.
    /// - Throws: `EventLogError`, or a Foundation error if the file cannot be read.
    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if data.count >= 8, Array(data.prefix(6)) == Array(profileFileMagic.prefix(6)), data[data.startIndex + 6] == 0 {
            let version = Int(data[data.startIndex + 7])
            guard version <= EventLog.version else { throw EventLogError.unsupportedVersion(version) }
            try self.init(version2: data)
        } else {
            try self.init(version1: data, path: path)
        }
    }

    /// Reads version-2 records (ProfileRecord.swift has the table).
    init(version2 data: Data) throws {
        self.init(version: 2, label: "", startNanos: 0)
        let bytes = [UInt8](data)
        var offset = 8
        var live: [UInt64: [UInt64: Int]] = [:]  // heap → address → index in samples
        var heapIndex: [UInt64: Int] = [:]
        while offset < bytes.count {
            var r = try RecordReader(bytes, at: offset)
            let at = offset
            offset += r.size
            func bad(_ why: String) -> EventLogError { .malformedRecord(offset: at, reason: "\(r.kindName): \(why)") }
            guard let kind = ProfileRecordKind(rawValue: r.kind) else { skippedRecords += 1; continue }
            switch kind {
            case .process:
                wallClockNanos = try r.word(); startNanos = try r.word(); pid = Int(truncatingIfNeeded: try r.word())
                sampleRate = try r.word(); label = try r.string(); executable = try r.string()
            case .heapStart:
                let id = try r.word()
                heapIndex[id] = heaps.count
                heaps.append(HeapRecord(id: id, startNanos: try r.word()))
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
                collections.append(CollectionEvent(
                    sequence: sequence, kind: kind, reason: reason,
                    startNanos: start, pauseNanos: pause, phaseNanos: phases, roots: w[0], visited: w[1],
                    freedObjects: w[2], freedBytes: w[3], finalized: w[4], resurrected: w[5],
                    liveObjectsBefore: w[6], liveObjectsAfter: w[7], liveBytesBefore: w[8], liveBytesAfter: w[9]))
                collectionHeaps.append(heap)
                collectionEndsCycle.append(r.hasMore ? try r.word() & 1 != 0 : false)
            case .sample:
                let s = Sample(heap: try r.word(), stack: try r.word(), address: try r.word(), typeID: try r.word(),
                               bytes: try r.word(), atNanos: try r.word(), rate: try r.word())
                live[s.heap, default: [:]][s.address] = samples.count
                samples.append(s)
            case .free:
                let heap = try r.word(), address = try r.word(), when = try r.word(), byCollector = try r.word()
                if let i = live[heap]?.removeValue(forKey: address) {
                    samples[i].freedAtNanos = when
                    samples[i].freedByCollector = byCollector != 0
                } else {
                    unmatchedFrees += 1
                }
            case .stack:
                let id = try r.word(), n = try r.word()
                guard n <= 4096 else { throw bad("\(n) frames") }
                var frames: [UInt64] = []
                for _ in 0..<n { frames.append(try r.word()) }
                stacks[id] = frames
            case .symbol:
                let pc = try r.word(), flags = try r.word(), off = try r.word()
                var symbol = Symbol(name: try r.string(), file: try r.string(), offset: off,
                                    isRuntime: flags & 1 != 0, isNeutral: flags & 2 != 0, isGuest: flags & 4 != 0)
                if r.hasMore { symbol.mangled = try r.string() }
                symbols[pc] = symbol
            case .type:
                let id = try r.word()
                typeNames[id] = try r.string()
            case .snapshot:
                _ = try r.word()  // the heap
                let when = try r.word()
                var s = HeapStatistics(counters: try r.counters(SnapshotLayout.counters))
                let n = try r.word()
                guard n <= 1 << 16 else { throw bad("\(n) types") }
                var perType: [HeapStatistics.TypeStatistics] = []
                for _ in 0..<n {
                    let id = try r.word(), objects = try r.word(), bytes = try r.word(), outside = try r.word()
                    let name: String = typeNames[id] ?? "0x\(String(id, radix: 16))"
                    let entry = HeapStatistics.TypeStatistics(
                        name: name, typeID: id, liveObjects: Int(truncatingIfNeeded: objects),
                        liveBytes: Int(truncatingIfNeeded: bytes), outsideBytes: Int(truncatingIfNeeded: outside))
                    perType.append(entry)
                }
                s.perType = n > 0 ? perType : nil
                snapshots.append((when, s))
            case .heapEnd:
                let id = try r.word(), when = try r.word(), duration = try r.word()
                let c = try r.counters(SnapshotLayout.endCounters)
                if let i = heapIndex[id] {
                    heaps[i].endNanos = when
                    heaps[i].durationNanos = duration
                    heaps[i].final = c
                }
            case .mapping:
                mappings.append(Mapping(start: try r.word(), end: try r.word(), offset: try r.word(), path: try r.string()))
            case .processEnd:
                end = (try r.word(), try r.word())
            case .leak:
                let heap = try r.word(), flags = try r.word(), objects = try r.word(), bytes = try r.word()
                let types = try r.string(), site = try r.string(), holder = try r.string(), path = try r.string()
                leaks.append(Leak(heap: heap, isCycle: flags & 1 != 0, isPin: flags & 2 != 0, objects: objects, bytes: bytes,
                                  types: types, site: site.isEmpty ? [] : site.split(separator: "\n").map(String.init),
                                  holder: holder, path: path))
            }
        }
    }
}

/// Reads the words and strings of one version-2 record.
struct RecordReader {
    let bytes: [UInt8]
    let kind: UInt16
    let size: Int
    private var cursor: Int
    private let limit: Int

    init(_ bytes: [UInt8], at offset: Int) throws {
        guard offset + 8 <= bytes.count else { throw EventLogError.malformedRecord(offset: offset, reason: "a truncated record header") }
        self.bytes = bytes
        let header = RecordReader.load(bytes, offset)
        kind = UInt16(truncatingIfNeeded: header)
        size = Int(header >> 32)
        guard size >= 8, size % 8 == 0, offset + size <= bytes.count else {
            throw EventLogError.malformedRecord(offset: offset, reason: "record size \(size) does not fit the file (\(bytes.count - offset) bytes left)")
        }
        cursor = offset + 8
        limit = offset + size
    }

    /// Whether the record has words left (a newer writer's trailing fields).
    var hasMore: Bool { cursor < limit }

    var kindName: String { ProfileRecordKind(rawValue: kind).map { "\($0)" } ?? "kind \(kind)" }

    static func load(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }

    mutating func word() throws -> UInt64 {
        guard cursor + 8 <= limit else { throw EventLogError.malformedRecord(offset: limit - size, reason: "\(kindName) record too short") }
        defer { cursor += 8 }
        return RecordReader.load(bytes, cursor)
    }

    /// A counter count, then that many counters, named by `names` in order
    /// (counters past the names — added by a newer writer — are skipped; names past
    /// the count read as absent).
    mutating func counters(_ names: [String]) throws -> [String: UInt64] {
        let n = try word()
        guard n <= 4096 else { throw EventLogError.malformedRecord(offset: limit - size, reason: "\(kindName) record claims \(n) counters") }
        var out: [String: UInt64] = [:]
        for i in 0..<Int(n) {
            let v = try word()
            if i < names.count { out[names[i]] = v }
        }
        return out
    }

    mutating func string() throws -> String {
        let w = try word()
        guard w <= UInt64(limit - cursor) else { throw EventLogError.malformedRecord(offset: limit - size, reason: "a string of \(w) bytes overruns its \(kindName) record") }
        let n = Int(w)
        guard n <= limit - cursor else { throw EventLogError.malformedRecord(offset: limit - size, reason: "a string of \(n) bytes overruns its \(kindName) record") }
        let s = String(decoding: bytes[cursor..<cursor + n], as: UTF8.self)
        cursor += (n + 7) / 8 * 8
        return s
    }
}

extension HeapStatistics {
    /// Statistics rebuilt from a snapshot record's named counters.
    init(counters c: [String: UInt64]) {
        self.init()
        func v(_ name: String) -> Int { Int(truncatingIfNeeded: c[name] ?? 0) }
        liveObjects = v("liveObjects")
        liveBytes = v("liveBytes")
        externalBytes = v("externalBytes")
        committedBytes = v("committedBytes")
        pages = v("pages")
        cachedEmptyPages = v("cachedEmptyPages")
        allocatedObjects = v("allocatedObjects")
        allocatedBytes = v("allocatedBytes")
        freedObjects = v("freedObjects")
        freedBytes = v("freedBytes")
        minorCollections = v("minorCollections")
        fullCollections = v("fullCollections")
        totalPauseNanos = c["totalPauseNanos"] ?? 0
        maxPauseNanos = c["maxPauseNanos"] ?? 0
        finalizersRun = v("finalizersRun")
        pinnedObjects = v("pinnedObjects")
        fullSlices = v("fullSlices")
        outsideBytes = v("outsideBytes")
        conversionCopies = v("conversionCopies")
        conversionCopyBytes = v("conversionCopyBytes")
        freedByCollector = v("freedByCollector")
        freedByCount = freedObjects - freedByCollector
    }
}
