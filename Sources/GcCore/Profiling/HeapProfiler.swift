import Glibc

/// What one heap records while profiling is on: its collections (into a
/// `ProfileFile`, and as `HAKOGC_TRACE` lines), allocation samples and the frees of
/// sampled objects. Owned by its `HeapCore`; used on the heap's owner thread only.
///
/// Cost when off: nothing on the allocation fast path or in the collectors. Samples
/// are taken through the allocation budget (`HeapCore.resetAllocationBudget` makes
/// the budget end at the next sample point, so the allocation that crosses it takes
/// the slow path); frees are seen through the page (`Page.holdsSample` sends every
/// free in a page holding a sampled object to `SizeClassAllocator.freeSlow`).
///
/// Sampling follows Go's heap profiler: the distance to the next sample is drawn
/// from an exponential distribution with mean `rate` bytes, so each allocated byte
/// is equally likely to trigger one and a sample of `s` bytes stands for
/// `s / (1 − e^(−s/rate))` bytes (docs/profiling.md has the estimate).
final class HeapProfiler {
    /// The heap's id in the process (1, 2, 3…; heap-start order).
    let heapID: UInt64
    let file: ProfileFile?
    /// Print a line per collection on standard error (`HAKOGC_TRACE`).
    var trace: Bool
    /// Mean bytes between samples; 0 when there is no file or no sampling.
    let rate: Int
    unowned(unsafe) let core: HeapCore
    private var buffer: RecordBuffer
    /// `core.allocatedBytes` at which the next sample is due.
    private(set) var nextSampleAt = Int.max
    private var random: UInt64
    /// Live sampled objects (their frees are recorded): address → stack id.
    @exclusivity(unchecked) private(set) var sampled: [UInt: UInt64] = [:]
    /// Where each pinned object was last pinned (address → stack id), for leak
    /// reports: kept while a leak check is on or samples are taken.
    @exclusivity(unchecked) private(set) var pinSites: [UInt: UInt64] = [:]
    /// `HAKOGC_LEAKCHECK`: check at heap end (LeakCheck.swift).
    var leakCheck: LeakCheckMode = .off
    /// Stacks of a profiler without a file (pin sites for leak checks).
    private var localStacks = StackTable()
    /// A counting filter over `sampled`: `filter[(address >> 4) & 0xFFFF]` counts the
    /// live sampled objects there, so a free in a page that holds a sample costs a
    /// byte load unless it is (or collides with) a sampled one. Measured on
    /// binary-trees depth 12 at the default rate: a `Set` lookup per such free
    /// cost 144 M instructions (of 346 M) before it.
    private let filter: UnsafeMutablePointer<UInt8>
    /// Live sampled objects per page: a page whose count drops to 0 loses
    /// `holdsSample`, and its frees take the inline path again.
    @exclusivity(unchecked) private var pageSamples: [UInt: Int] = [:]
    let startNanos: UInt64
    private var lastCollectionEnd: UInt64
    private var lastSnapshot: UInt64
    /// Flushes that had to happen inside a pause (a buffer too small for the frees
    /// of every sampled object, which only an every-allocation rate gets near).
    private(set) var flushesInPauses = 0

    private static let nextID = ProcessLock<UInt64>(1)

    init(core: HeapCore, file: ProfileFile?, trace: Bool) {
        self.core = core
        self.file = file
        self.trace = trace
        rate = file?.sampleRate ?? 0
        heapID = HeapProfiler.nextID.withLock { id in
            defer { id += 1 }
            return id
        }
        buffer = RecordBuffer(capacity: file == nil ? 0 : 256 << 10)
        filter = .allocate(capacity: 1 << 16)
        filter.initialize(repeating: 0, count: 1 << 16)
        startNanos = ProfileClock.nanos
        lastCollectionEnd = startNanos
        lastSnapshot = startNanos
        random = (file?.samplingSeed ?? (heapID &+ startNanos)) &* 0x9E37_79B9_7F4A_7C15 | 1
        if rate > 0 { nextSampleAt = core.allocatedBytes &+ nextSampleDistance() }
        file?.register(self)
        buffer.append(.heapStart, heapID, startNanos)
    }

    deinit {
        buffer.deallocate()
        filter.deallocate()
    }

    @inline(__always)
    private func filterIndex(_ object: ObjectRef) -> Int { Int(truncatingIfNeeded: (object.bits >> 4) & 0xFFFF) }

    // MARK: Sampling

    /// Bytes to the next sample: exponential with mean `rate` (1: every allocation).
    private func nextSampleDistance() -> Int {
        if rate == 1 { return 0 }
        // xorshift64*, then a uniform double in (0, 1].
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        let bits = (random &* 0x2545_F491_4F6C_DD1D) >> 11
        let u = (Double(bits) + 1) / Double(1 << 53)
        return max(1, Int((-log(u) * Double(rate)).rounded()))
    }

    /// `object` (just allocated, `bytes` slot bytes) crossed the sample point.
    func sample(_ object: ObjectRef, bytes: Int, type: TypeDescriptor) {
        guard let file else { return }
        let stack = file.sampleStack(typeID: type.typeID, typeName: type.name, guest: guestFrames())
        let page = Page.of(object)
        page.holdsSample = true
        pageSamples[page.bits, default: 0] += 1
        sampled[object.bits] = stack
        let slot = filterIndex(object)
        if filter[slot] < 255 { filter[slot] += 1 }  // saturated: a lookup per free there, never a miss
        append(.sample, words: 7) { w in
            w[0] = heapID; w[1] = stack; w[2] = UInt64(object.bits); w[3] = type.typeID
            w[4] = UInt64(bytes); w[5] = ProfileClock.nanos; w[6] = UInt64(rate)
        }
        nextSampleAt = core.allocatedBytes &+ nextSampleDistance()
    }

    /// A slot of a page that holds a sample is being freed (its header still names
    /// the object); records it if it is a sampled object.
    func slotFreed(_ object: ObjectRef) {
        let slot = filterIndex(object)
        guard filter[slot] != 0, sampled.removeValue(forKey: object.bits) != nil else { return }
        if filter[slot] < 255 { filter[slot] -= 1 }
        let page = Page.of(object)
        if let n = pageSamples[page.bits] {
            if n <= 1 {
                pageSamples[page.bits] = nil
                page.holdsSample = false
            } else {
                pageSamples[page.bits] = n - 1
            }
        }
        let byCollector: UInt64 = core.collecting ? 1 : 0
        append(.free, words: 4) { w in
            w[0] = heapID; w[1] = UInt64(object.bits); w[2] = ProfileClock.nanos; w[3] = byCollector
        }
    }

    // MARK: Pins

    /// The calling thread's stack, interned (in the file's table, or this
    /// profiler's own without a file).
    func captureStack() -> UInt64 {
        let guest = guestFrames()
        if let file { return file.captureStack(guest: guest) }
        return localStacks.captureAndIntern(guest: guest)
    }

    /// The runtime's guest frames now (`Heap.guestStack`), asked inside the trace
    /// window: the provider is user code, and the object just allocated has no
    /// payload yet, so it must not change the heap (the heap stops the process if
    /// it tries; the C ABI returns HGC_ERR_REENTRANT).
    private func guestFrames() -> [GuestFrame] {
        guard let provider = core.guestStack else { return [] }
        let saved = core.beginUserTrace(typeIndex: HotState.guestStackProvider)
        defer { core.endUserTrace(saved) }
        return Array(provider().prefix(StackTable.maxDepth))
    }

    /// The named frames of a stack this profiler captured, HakoGC's trimmed.
    func names(ofStack id: UInt64) -> [String] {
        if let file { return file.names(ofStack: id) }
        return localStacks.names(ofStack: id)
    }

    func pinned(_ object: ObjectRef) {
        guard leakCheck != .off || file != nil else { return }
        pinSites[object.bits] = captureStack()
    }

    func unpinnedLast(_ object: ObjectRef) {
        pinSites[object.bits] = nil
    }

    // MARK: Collections

    /// Before a pause: room for the collection record and a free record per sampled
    /// object, so the pause neither writes nor allocates (when the buffer can hold
    /// that much at all).
    func beforePause() {
        guard file != nil else { return }
        if buffer.room < 1024 + 40 * sampled.count { flush() }
    }

    /// After a pause (the event is complete): its record, and its trace line.
    func collected(_ event: CollectionEvent, end: UInt64) {
        if file != nil {
            let phases = event.phaseNanos
            let kind: UInt64 = switch event.kind { case .minor: 0; case .full: 1; case .fullSlice: 2 }
            let reason = UInt64(CollectionReason.allCases.firstIndex(of: event.reason) ?? 0)
            // Flags: bit 0, a full-slice that finished its incremental cycle.
            let flags: UInt64 = event.kind == .fullSlice && core.incremental == nil ? 1 : 0
            append(.collection, words: 18 + phases.count) { w in
                w[0] = heapID; w[1] = UInt64(event.sequence); w[2] = kind; w[3] = reason
                w[4] = event.startNanos; w[5] = event.pauseNanos
                w[6] = UInt64(event.roots); w[7] = UInt64(event.visited)
                w[8] = UInt64(event.freedObjects); w[9] = UInt64(event.freedBytes)
                w[10] = UInt64(event.finalized); w[11] = UInt64(event.resurrected)
                w[12] = UInt64(event.liveObjectsBefore); w[13] = UInt64(event.liveObjectsAfter)
                w[14] = UInt64(event.liveBytesBefore); w[15] = UInt64(event.liveBytesAfter)
                w[16] = UInt64(phases.count)
                for (i, p) in phases.enumerated() { w[17 + i] = p }
                w[17 + phases.count] = flags
            }
            // Outside the pause now: keep a quarter of the buffer free for the next.
            if buffer.room < buffer.capacity / 4 { flush() }
        }
        if let file, file.snapshotIntervalNanos > 0, end &- lastSnapshot >= file.snapshotIntervalNanos {
            lastSnapshot = end
            file.snapshot(core, detailed: true)
        }
        if trace {
            TraceLine.write(heapID: heapID, event, sinceStart: end &- startNanos,
                            mutatorNanos: event.startNanos &- min(lastCollectionEnd, event.startNanos))
        }
        lastCollectionEnd = end
    }

    // MARK: Buffer

    private func append(_ kind: ProfileRecordKind, words: Int, _ fill: (UnsafeMutablePointer<UInt64>) -> Void) {
        guard file != nil else { return }
        if buffer.append(kind, words: words, fill) { return }
        if core.collecting { flushesInPauses += 1 }
        flush()
        buffer.append(kind, words: words, fill)
    }

    /// Writes the buffered records to the file.
    func flush() {
        guard let file, !buffer.isEmpty else { return }
        file.write(buffer.bytes)
        buffer.reset()
    }

    /// The heap ends (or stops being profiled): its heap-end record, everything
    /// buffered written, and the file no longer lists it.
    func finish() {
        guard let file else { return }
        let s = core.statistics(detailed: false)
        let now = ProfileClock.nanos
        let counters = SnapshotLayout.endCounters(s)
        append(.heapEnd, words: 4 + counters.count) { w in
            w[0] = heapID; w[1] = now; w[2] = now &- startNanos; w[3] = UInt64(counters.count)
            for (i, c) in counters.enumerated() { w[4 + i] = c }
        }
        flush()
        file.unregister(self)
        // Its pages' frees need not come to a profiler any more.
        for page in pageSamples.keys { Page(bits: page)?.holdsSample = false }
        pageSamples.removeAll()
    }
}
