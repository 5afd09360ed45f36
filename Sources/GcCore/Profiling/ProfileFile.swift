import Glibc

/// Why a profile file could not be opened. A plain value.
public struct ProfileFileError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "cannot create \(path): \(String(cString: strerror(errno)))" }
}

/// An event log file of format version 2 (ProfileRecord.swift, docs/event-log.md)
/// that heaps write their records into: collections, allocation samples and the
/// frees of sampled objects, snapshots, and a record when each heap ends. Several
/// heaps, on several threads, may share one file; every record names its heap.
///
/// Heaps append fixed-size records to a buffer of their own, allocated when they
/// are attached; the buffer goes to the file outside collection pauses (after a
/// collection, when it fills between collections, at heap end, at `close`).
/// Stacks, symbols and type names are written once each, before the first record
/// that uses them.
///
/// Ownership: the caller owns the file; every attached heap holds it too, so it
/// stays open while a heap writes to it. Thread rule: any thread (a lock guards the
/// file), except `attach`, `detach` and `snapshot`, which run on the owner thread
/// of the heap they name. Misuse: `close()` while a heap on another thread is still
/// attached and running may lose that heap's last records (they are dropped, not
/// corrupted: the heap buffers them and writes nothing after `close`).
public final class ProfileFile: @unchecked Sendable {
    /// Bytes between allocation samples on average (Go's `MemProfileRate`).
    public static let defaultSampleRate = 512 * 1024

    /// The path given to `init`.
    public let path: String
    /// Mean bytes between samples; 0 records no samples, 1 samples every allocation.
    public let sampleRate: Int
    /// Monotonic nanoseconds when the file was created (the process record's origin).
    public let startNanos: UInt64
    /// Nanoseconds between the detailed snapshots each attached heap writes after a
    /// collection (0: only on request), so a reader sees which types grow.
    public let snapshotIntervalNanos: UInt64
    /// Seeds the sampling of heaps attached from now on (tests: a seeded run is
    /// repeatable); nil seeds from the heap id and the clock.
    var samplingSeed: UInt64?

    struct State {
        var fd: Int32
        var stacks = StackTable()
        var typesWritten: Set<UInt64> = []
        var pendingTypes: [[UInt8]] = []
        var mappingsWritten = false
        var heaps: [ObjectIdentifier: Unmanaged<HeapProfiler>] = [:]
        var closed = false
        var writeErrors = 0
    }
    let state: ProcessLock<State>

    /// Creates (truncates) `path` and writes the magic and the process record. The
    /// caller owns the file. Any thread.
    /// - Parameters:
    ///   - label: free text for readers (a program name, a benchmark's arguments).
    ///   - sampleRate: mean bytes between allocation samples; 0 for none, 1 for every
    ///     allocation. Negative rates stop the process.
    ///   - snapshotSeconds: a detailed snapshot of each attached heap at most this
    ///     often, after a collection (0: only `snapshot(_:)`); it walks the heap.
    /// - Throws: `ProfileFileError` when the file cannot be created.
    public init(path: String, label: String = "", sampleRate: Int = ProfileFile.defaultSampleRate,
                snapshotSeconds: Double = 0) throws(ProfileFileError) {
        if sampleRate < 0 { fatalError("HakoGC: ProfileFile: sampleRate \(sampleRate) is negative") }
        if !(snapshotSeconds >= 0 && snapshotSeconds < 1e9) {
            fatalError("HakoGC: ProfileFile: snapshotSeconds \(snapshotSeconds) is outside [0, 1e9)")
        }
        snapshotIntervalNanos = UInt64(snapshotSeconds * 1e9)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProfileFileError(path: path, errno: errno) }
        self.path = path
        self.sampleRate = sampleRate
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        startNanos = ProfileClock.nanos
        state = ProcessLock(State(fd: fd))
        var process = RecordBuilder(.process)
        process.word(UInt64(wall.tv_sec) &* 1_000_000_000 &+ UInt64(wall.tv_nsec))
        process.word(startNanos)
        process.word(UInt64(getpid()))
        process.word(UInt64(sampleRate))
        process.string(label)
        process.string(ProfileFile.executablePath())
        let record = process.finish()
        state.withLock { s in
            ProfileFile.write(profileFileMagic, to: &s)
            ProfileFile.write(record, to: &s)
        }
    }

    deinit { close() }

    /// Records `heap` into this file from now on (replacing a file it was attached
    /// to before): a heap-start record, then its collections and samples. Owner
    /// thread of `heap` (checked).
    public func attach(_ heap: Heap) {
        heap.core.ownership.check("ProfileFile.attach")
        heap.core.attachProfiler(file: self, trace: heap.core.profiler?.trace ?? false)
    }

    /// Stops recording `heap` here: its buffered records and a heap-end record are
    /// written. Owner thread of `heap` (checked). Does nothing if it is not attached.
    public func detach(_ heap: Heap) {
        heap.core.ownership.check("ProfileFile.detach")
        guard let profiler = heap.core.profiler, profiler.file === self else { return }
        heap.core.detachProfiler()
    }

    /// Writes a snapshot record of `heap` (its statistics; per type when
    /// `detailed`, which walks the heap). Owner thread of `heap` (checked).
    public func snapshot(_ heap: Heap, detailed: Bool = true) {
        heap.core.ownership.check("ProfileFile.snapshot")
        snapshot(heap.core, detailed: detailed)
    }

    func snapshot(_ core: HeapCore, detailed: Bool) {
        let statistics = core.statistics(detailed: detailed)
        let heapID = core.profiler.flatMap { $0.file === self ? $0.heapID : nil } ?? 0
        var record = RecordBuilder(.snapshot)
        record.word(heapID)
        record.word(ProfileClock.nanos)
        let counters = SnapshotLayout.counters(statistics)
        record.word(UInt64(counters.count))
        for c in counters { record.word(c) }
        let types = statistics.perType ?? []
        record.word(UInt64(types.count))
        for t in types {
            record.word(t.typeID)
            record.word(UInt64(t.liveObjects))
            record.word(UInt64(t.liveBytes))
            record.word(UInt64(t.outsideBytes))
        }
        let bytes = record.finish()
        core.profiler?.flush()  // earlier records of this heap first
        state.withLock { s in
            for t in types { ProfileFile.defineType(t.typeID, name: t.name, in: &s) }
            ProfileFile.writePendingDefinitions(&s)
            ProfileFile.write(bytes, to: &s)
        }
    }

    /// Writes every attached heap's buffered records and a process-end record, and
    /// closes the file; later records are dropped. Call it when the attached heaps
    /// are idle (see Misuse above). Idempotent.
    public func close() {
        let heaps = state.withLock { s in s.closed ? [] : Array(s.heaps.values) }
        for heap in heaps { heap._withUnsafeGuaranteedRef { $0.flush() } }
        state.withLock { s in
            guard !s.closed else { return }
            var end = RecordBuilder(.processEnd)
            let now = ProfileClock.nanos
            end.word(now)
            end.word(now &- startNanos)
            ProfileFile.write(end.finish(), to: &s)
            Glibc.close(s.fd)
            s.closed = true
        }
    }

    /// Write errors since the file was opened (records lost to a full disk, say).
    public var writeErrors: Int { state.withLock { $0.writeErrors } }

    // MARK: Used by heaps (HeapProfiler)

    /// Writes a heap's buffered records, after the definitions they need.
    func write(_ buffer: UnsafeRawBufferPointer) {
        state.withLock { s in
            ProfileFile.writePendingDefinitions(&s)
            ProfileFile.write(buffer, to: &s)
        }
    }

    func register(_ profiler: HeapProfiler) {
        state.withLock { $0.heaps[ObjectIdentifier(profiler)] = Unmanaged.passUnretained(profiler) }
    }

    func unregister(_ profiler: HeapProfiler) {
        _ = state.withLock { $0.heaps.removeValue(forKey: ObjectIdentifier(profiler)) }
    }

    /// The id of the calling thread's stack, and the type's name defined once.
    func sampleStack(typeID: UInt64, typeName: @autoclosure () -> String, guest: [GuestFrame]) -> UInt64 {
        state.withLock { s in
            ProfileFile.defineType(typeID, name: typeName(), in: &s)
            return s.stacks.captureAndIntern(guest: guest)
        }
    }

    func captureStack(guest: [GuestFrame] = []) -> UInt64 {
        state.withLock { $0.stacks.captureAndIntern(guest: guest) }
    }

    func names(ofStack id: UInt64) -> [String] {
        state.withLock { $0.stacks.names(ofStack: id) }
    }

    private static func defineType(_ typeID: UInt64, name: @autoclosure () -> String, in s: inout State) {
        guard s.typesWritten.insert(typeID).inserted else { return }
        var record = RecordBuilder(.type)
        record.word(typeID)
        record.string(name())
        s.pendingTypes.append(record.finish())
    }

    private static func writePendingDefinitions(_ s: inout State) {
        if !s.mappingsWritten {
            s.mappingsWritten = true
            for record in Symbolizer.mappingRecords() { write(record, to: &s) }
        }
        for record in s.pendingTypes { write(record, to: &s) }
        s.pendingTypes.removeAll()
        for record in s.stacks.takeDefinitions() { write(record, to: &s) }
    }

    private static func write(_ bytes: [UInt8], to s: inout State) {
        bytes.withUnsafeBytes { write($0, to: &s) }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to s: inout State) {
        guard !s.closed, var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(s.fd, p, left)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { s.writeErrors += 1; return }
            p += n
            left -= n
        }
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
}

/// The monotonic clock every record uses, nanoseconds.
enum ProfileClock {
    static var nanos: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
