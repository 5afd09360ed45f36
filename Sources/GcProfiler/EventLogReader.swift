import Foundation
import GcCore

/// An event log read whole into memory: version 2 (binary, `ProfileFile`) or version 1
/// (JSON Lines). Memory grows with the log (every sample and collection is kept);
/// `EventLogRecords` reads one record at a time, and gcstat's `LogSummary` keeps
/// only aggregates.
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
            guard rate > 1, bytes > 0 else { return 1 }  // (0 bytes: only in a damaged log)
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

        public init(id: UInt64, startNanos: UInt64) { self.id = id; self.startNanos = startNanos }
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
    /// Stacks, their frames' symbols, type names and mappings.
    public var names = LogNames()
    public var stacks: [UInt64: [UInt64]] { get { names.stacks } set { names.stacks = newValue } }
    public var symbols: [UInt64: Symbol] { get { names.symbols } set { names.symbols = newValue } }
    public var typeNames: [UInt64: String] { get { names.typeNames } set { names.typeNames = newValue } }
    public var mappings: [Mapping] { get { names.mappings } set { names.mappings = newValue } }
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

    /// The frames of stack `id` (`LogNames.frames(ofStack:)`).
    public func frames(ofStack id: UInt64) -> [UInt64] { names.frames(ofStack: id) }
}

/// What a log says about names: stacks, their frames' symbols, type names and the
/// executable mappings. Bounded by the distinct stacks and types of the run, not by
/// its length. A plain value; any thread.
public struct LogNames {
    public var stacks: [UInt64: [UInt64]] = [:]
    public var symbols: [UInt64: EventLogContents.Symbol] = [:]
    public var typeNames: [UInt64: String] = [:]
    public var mappings: [EventLogContents.Mapping] = []

    public init() {}

    /// Takes in a stack, symbol, type or mapping record; false for any other record.
    public mutating func take(_ record: EventLogRecord) -> Bool {
        switch record {
        case let .stack(id, frames): stacks[id] = frames
        case let .symbol(pc, symbol): symbols[pc] = symbol
        case let .type(id, name): typeNames[id] = name
        case let .mapping(m): mappings.append(m)
        default: return false
        }
        return true
    }

    /// The frames of stack `id`, innermost first: the guest frames a runtime
    /// reported, then the native ones with HakoGC's own frames (and runtime or
    /// library frames among them) trimmed from their top (empty for an unknown id).
    public func frames(ofStack id: UInt64) -> [UInt64] {
        let all = stacks[id] ?? []
        let guest = all.prefix { symbols[$0]?.isGuest ?? false }
        let native = all.dropFirst(guest.count).drop { symbols[$0].map { $0.isRuntime || $0.isNeutral } ?? false }
        return Array(guest) + Array(native)
    }

    /// The site a stack is counted at: its first frame below HakoGC's own (a guest
    /// frame when a runtime gave them), named ("?" when unknown), with its source
    /// location when known (a guest frame's "file:line", a native one's once
    /// `resolveSourceLines()` ran).
    public func site(ofStack id: UInt64) -> (name: String, location: String?) {
        let top = frames(ofStack: id).first.flatMap { symbols[$0] }
        return (top.flatMap { $0.name.isEmpty ? nil : $0.name } ?? "?", top.flatMap { $0.isGuest ? $0.file : $0.location })
    }

    /// A type's name, or its id in hex when the log does not name it.
    public func typeName(_ id: UInt64) -> String { typeNames[id] ?? "0x" + String(id, radix: 16) }
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

        public init(name: String, location: String? = nil) { self.name = name; self.location = location }
    }

    /// The sites of the samples taken up to `nanos` (the whole log when nil), with
    /// what was still in use then: a snapshot's time (`snapshots[i].atNanos`) shows
    /// which site grows. Sorted by bytes allocated.
    public func sites(at nanos: UInt64? = nil) -> [Site] {
        var sites: [String: Site] = [:]
        for s in samples where nanos.map({ s.atNanos <= $0 }) ?? true {
            let (name, location) = names.site(ofStack: s.stack)
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
    /// A format version this reader does not read: newer than `EventLog.version`,
    /// or one the header's form never carries (binary 0 or 1, JSON other than 1).
    case unsupportedVersion(Int)
    /// A line (version 1, 1-based) that is not a valid record of its kind.
    case malformed(line: Int, reason: String)
    /// A version-2 record (at this byte offset) that is not valid for its kind.
    case malformedRecord(offset: Int, reason: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .notAnEventLog(path): "\(path) is not a HakoGC event log (no HAKOGC magic, no header line)"
        case let .unsupportedVersion(v) where v > EventLog.version: "event log version \(v) is newer than this reader (\(EventLog.version))"
        case let .unsupportedVersion(v): "event log version \(v) is not one this reader knows (1 is JSON Lines, \(EventLog.version) binary)"
        case let .malformed(line, reason): "line \(line): \(reason)"
        case let .malformedRecord(offset, reason): "record at byte \(offset): \(reason)"
        }
    }
}

extension EventLogContents {
    /// Reads the whole log at `path` into memory (every record: memory grows with the
    /// log; `EventLogRecords` reads one record at a time). Records of unknown kinds
    /// are skipped and counted.
    /// - Throws: `EventLogError`, or a Foundation error if the file cannot be read.
    public init(path: String) throws {
        var records = try EventLogRecords(path: path)
        self.init(version: records.version, label: "", startNanos: 0)
        var live: [UInt64: [UInt64: Int]] = [:]  // heap → address → index in samples
        var heapIndex: [UInt64: Int] = [:]
        while let record = try records.next() {
            if names.take(record) { continue }
            switch record {
            case let .process(wall, start, pid, rate, label, executable):
                wallClockNanos = wall; startNanos = start; self.pid = pid
                sampleRate = rate; self.label = label; self.executable = executable
            case let .heapStart(id, at):
                heapIndex[id] = heaps.count
                heaps.append(HeapRecord(id: id, startNanos: at))
            case let .collection(event, heap, endsCycle):
                collections.append(event)
                collectionHeaps.append(heap)
                collectionEndsCycle.append(endsCycle)
            case let .sample(s):
                live[s.heap, default: [:]][s.address] = samples.count
                samples.append(s)
            case let .free(heap, address, when, byCollector):
                if let i = live[heap]?.removeValue(forKey: address) {
                    samples[i].freedAtNanos = when
                    samples[i].freedByCollector = byCollector
                } else {
                    unmatchedFrees += 1
                }
            case let .snapshot(_, when, statistics): snapshots.append((when, statistics))
            case let .heapEnd(id, when, duration, counters):
                if let i = heapIndex[id] {
                    heaps[i].endNanos = when
                    heaps[i].durationNanos = duration
                    heaps[i].final = counters
                }
            case let .processEnd(when, duration): end = (when, duration)
            case let .leak(l): leaks.append(l)
            case .unknown: skippedRecords += 1
            case .stack, .symbol, .type, .mapping: break  // taken above
            }
        }
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
