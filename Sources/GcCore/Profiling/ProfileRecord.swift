// The records of an event log, format version 2: binary, little-endian, written by
// `ProfileFile` and read by GcProfiler's `EventLogContents` (docs/event-log.md
// explains every field; this table is the one the code follows).
//
// A file starts with the 8 bytes `HAKOGC` 0x00 0x02 (magic, then the version), and
// then holds records. Every record starts with a 64-bit word: bits 0–15 its kind,
// 16–31 zero, 32–63 its size in bytes, this word included (a multiple of 8). The
// body follows as 64-bit words, except a string: its byte length in a 64-bit word,
// then its UTF-8 bytes, zero-padded to a multiple of 8. A reader skips kinds it
// does not know (by their size); new kinds and new trailing words may be added
// within a version.
//
// | kind | record       | body (64-bit words unless noted)                                          |
// |------|--------------|---------------------------------------------------------------------------|
// | 1    | process      | wall-clock ns since 1970 (UTC), monotonic ns at that moment, pid, sample   |
// |      |              | rate (bytes, 0 = none), label (string), executable path (string)           |
// | 2    | heap-start   | heap, monotonic ns                                                         |
// | 3    | collection   | heap, sequence, kind (0 minor, 1 full, 2 full-slice), reason (index in     |
// |      |              | `CollectionReason.allCases`), start ns, pause ns, roots, visited, freed    |
// |      |              | objects, freed bytes, finalized, resurrected, live objects before, after,  |
// |      |              | live bytes before, after, phase count N, then N phase ns (`GcPhase` order), |
// |      |              | flags (bit 0: a full-slice that finished its incremental cycle; a        |
// |      |              | trailing field, absent in the first version-2 logs)                      |
// | 4    | sample       | heap, stack id, object address, type id, slot bytes, monotonic ns, rate    |
// | 5    | free         | heap, object address, monotonic ns, 1 if a collection freed it else 0     |
// | 6    | stack        | stack id, frame count N, then N addresses (innermost first)                |
// | 7    | symbol       | address, flags (bit 0: HakoGC's code; bit 1: the Swift runtime, standard  |
// |      |              | library, libc or libunwind; bit 2: a guest frame, whose address is       |
// |      |              | 2⁶³ + its index and whose file is "file:line"), offset in its function   |
// |      |              | (a guest frame: its line), name, file, mangled name (a trailing field:  |
// |      |              | absent in logs written before it was added)                              |
// |      |              | (string), file of the mapping (string)                                    |
// | 8    | type         | type id, name (string)                                                     |
// | 9    | snapshot     | heap, monotonic ns, counter count C, C counters (`SnapshotLayout.counters` |
// |      |              | names them in order; a reader skips those past its names), type          |
// |      |              | count N, then N × (type id, live objects, live bytes, bytes held outside  |
// |      |              | the heap)                                                                |
// | 10   | heap-end     | heap, monotonic ns, ns since its heap-start, counter count C, C counters   |
// |      |              | (`SnapshotLayout.endCounters`)                                            |
// | 11   | mapping      | start, end, file offset, path (string)                                     |
// | 12   | process-end  | monotonic ns, ns since the process record                                  |
// | 13   | leak         | heap, flags (bit 0: a cycle; bit 1: a forgotten pin), objects, bytes,     |
// |      |              | then strings: member types ("2× T, 1× U"), allocation site (frames, one   |
// |      |              | per line, innermost first), holder, path (LeakCheck.swift's report)      |
//
// Definitions (stack, symbol, type, mapping) are written before the first record
// that refers to them. Heap ids are the process's own (1, 2, 3…), so one file holds
// several heaps. Addresses of samples and frees identify objects only between a
// sample and the free of the same address.

/// The kinds of record in a version-2 event log (the table above).
public enum ProfileRecordKind: UInt16, Sendable, CaseIterable {
    case process = 1
    case heapStart = 2
    case collection = 3
    case sample = 4
    case free = 5
    case stack = 6
    case symbol = 7
    case type = 8
    case snapshot = 9
    case heapEnd = 10
    case mapping = 11
    case processEnd = 12
    case leak = 13
}

/// The file's first 8 bytes: "HAKOGC", 0, the format version.
public let profileFileMagic: [UInt8] = [0x48, 0x41, 0x4B, 0x4F, 0x47, 0x43, 0x00, 0x02]

/// The counters a snapshot and a heap-end record carry, in record order (the reader
/// names them the same way).
public enum SnapshotLayout {
    /// Snapshot counters, in order.
    public static let counters: [String] = [
        "liveObjects", "liveBytes", "externalBytes", "committedBytes", "pages", "cachedEmptyPages",
        "allocatedObjects", "allocatedBytes", "freedObjects", "freedBytes", "minorCollections",
        "fullCollections", "totalPauseNanos", "maxPauseNanos", "finalizersRun", "pinnedObjects",
        "fullSlices", "freedByCollector", "outsideBytes", "conversionCopies", "conversionCopyBytes",
    ]
    /// Heap-end counters, in order.
    public static let endCounters: [String] = [
        "allocatedObjects", "allocatedBytes", "freedObjects", "freedBytes", "liveObjects", "liveBytes",
        "minorCollections", "fullCollections", "totalPauseNanos", "maxPauseNanos",
    ]

    static func counters(_ s: HeapStatistics) -> [UInt64] {
        [s.liveObjects, s.liveBytes, s.externalBytes, s.committedBytes, s.pages, s.cachedEmptyPages,
         s.allocatedObjects, s.allocatedBytes, s.freedObjects, s.freedBytes, s.minorCollections,
         s.fullCollections].map { UInt64(truncatingIfNeeded: $0) }
            + [s.totalPauseNanos, s.maxPauseNanos, UInt64(s.finalizersRun), UInt64(s.pinnedObjects),
               UInt64(s.fullSlices), UInt64(s.freedByCollector), UInt64(s.outsideBytes),
               UInt64(s.conversionCopies), UInt64(s.conversionCopyBytes)]
    }

    static func endCounters(_ s: HeapStatistics) -> [UInt64] {
        [s.allocatedObjects, s.allocatedBytes, s.freedObjects, s.freedBytes, s.liveObjects, s.liveBytes,
         s.minorCollections, s.fullCollections].map { UInt64(truncatingIfNeeded: $0) }
            + [s.totalPauseNanos, s.maxPauseNanos]
    }
}

/// A fixed-capacity byte buffer of records, allocated once: what a heap appends to
/// during collections without allocating. Owned by one `HeapProfiler` (its heap's
/// owner thread), or used under `ProfileFile`'s lock.
struct RecordBuffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 8)
    }

    func deallocate() { base.deallocate() }

    var room: Int { capacity - used }
    var isEmpty: Bool { used == 0 }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }
    mutating func reset() { used = 0 }

    /// Appends a record of `kind` whose body is `words`; false (nothing written) when
    /// it does not fit.
    @discardableResult
    mutating func append(_ kind: ProfileRecordKind, _ words: UInt64...) -> Bool {
        append(kind, words: words.count) { body in
            for (i, w) in words.enumerated() { body[i] = w }
        }
    }

    /// Appends a record of `kind` with a body of `words` 64-bit words that `fill`
    /// writes; false (nothing written) when it does not fit.
    @discardableResult
    mutating func append(_ kind: ProfileRecordKind, words: Int, _ fill: (UnsafeMutablePointer<UInt64>) -> Void) -> Bool {
        let size = 8 * (1 + words)
        guard size <= room else { return false }
        // SAFETY: `used` stays a multiple of 8 inside the buffer; the range was checked.
        let record = (base + used).assumingMemoryBound(to: UInt64.self)
        record[0] = UInt64(kind.rawValue) | UInt64(size) << 32
        fill(record + 1)
        used += size
        return true
    }
}

/// Builds one record with strings (definitions, the process record) in growable
/// memory: written outside pauses only.
struct RecordBuilder {
    private(set) var bytes: [UInt8] = []
    let kind: ProfileRecordKind

    init(_ kind: ProfileRecordKind) {
        self.kind = kind
        word(0)  // the header word, filled in by `finish`
    }

    mutating func word(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        word(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
        while bytes.count % 8 != 0 { bytes.append(0) }
    }

    /// The record's bytes, header word filled in.
    mutating func finish() -> [UInt8] {
        let header = UInt64(kind.rawValue) | UInt64(bytes.count) << 32
        withUnsafeBytes(of: header.littleEndian) { h in
            for i in 0..<8 { bytes[i] = h[i] }
        }
        return bytes
    }
}
