/// What the collector is doing while it traces: each phase's per-edge step.
@usableFromInline
enum TraceMode: UInt8 {
    /// Minor MarkGray: subtract the edge, gray and queue the child.
    case markGray
    /// Minor Scan: queue the child for scanning.
    case scan
    /// Minor ScanBlack: give the edge back, blacken and queue the child.
    case scanBlack
    /// Minor CollectWhite: white child → garbage (dying), queued.
    case collectWhite
    /// Minor: give back an edge from the garbage.
    case restore
    /// Full: subtract the edge from the child's scratch count.
    case subtract
    /// Full: mark and queue the child.
    case mark
    /// Reclaimer: subtract edges between garbage objects.
    case subtractWithinGarbage
    /// Reclaimer: the child of a resurrected object is resurrected too.
    case resurrect
    /// Payload drop of a traced type: release the child.
    case release
    /// No heap: note the reference in a list (`Tracer.recordReferences`).
    case record
    /// Incremental full, rooting: count the edge to a set object.
    case countInternal
    /// Incremental full, barrier while rooting: un-count the edge.
    case uncountInternal
    /// Incremental full, marking: mark a set object gray.
    case shade
}

/// Receives the references of one payload from its type's trace function.
///
/// A trace function calls `visit` once for every reference the payload holds (a
/// reference held in two fields is visited twice) and does nothing else. It is user
/// code the collector trusts for what it reports, and checks for everything else:
/// - releasing, storing, allocating, an exclusive borrow (`mutate`), pinning or
///   upgrading a weak reference while it runs stops the process with a message
///   (`Heap.isRunningTrace` tells a checking layer beforehand); a retain (a copy
///   of a `GcRc`) is allowed: a new owner only keeps its object alive;
/// - reporting a reference the payload does not hold (a field twice, a reference
///   owned elsewhere) can make a live object look like garbage; the heap stops the
///   process before that object's slot is freed (the teardown check,
///   GarbageReclaimer.swift), or earlier when the counts cannot explain it;
/// - skipping a reference only keeps its target alive (a leak, never a free).
/// So a wrong trace stops the process or leaks; it never frees a live object.
///
/// Ownership and threads: a `Tracer` exists only for the duration of one trace call,
/// on the heap's owner thread. Copying it out of the call is a misuse.
public struct Tracer {
    /// The HeapCore at work (unretained), or in `.record` mode the `RefStack` that
    /// receives the references.
    @usableFromInline let target: UnsafeMutableRawPointer
    @usableFromInline let parent: ObjectRef
    @usableFromInline let mode: TraceMode

    @usableFromInline
    init(core: HeapCore, parent: ObjectRef, mode: TraceMode) {
        self.target = Unmanaged.passUnretained(core).toOpaque()
        self.parent = parent
        self.mode = mode
    }

    private init(recordingInto list: RefStack, parent: ObjectRef) {
        self.target = Unmanaged.passUnretained(list).toOpaque()
        self.parent = parent
        self.mode = .record
    }

    /// Reports one reference the payload holds (once per field). A reference to an
    /// object of another heap stops the process.
    @inlinable
    public mutating func visit(_ child: ObjectRef) {
        if mode == .record {
            Tracer.record(child, into: target)
            return
        }
        // SAFETY: outside `.record` mode, `target` is the core running this trace.
        Unmanaged<HeapCore>.fromOpaque(target)._withUnsafeGuaranteedRef { $0.traced(child, from: parent, mode) }
    }

    @usableFromInline
    static func record(_ child: ObjectRef, into list: UnsafeMutableRawPointer) {
        Unmanaged<RefStack>.fromOpaque(list).takeUnretainedValue().push(child)
    }

    /// The references `trace` reports for `payload`, in the order reported, noted
    /// without any heap: nothing is counted and the tracer never reads through them.
    /// For layers that check a declared layout at registration (GcTypes'
    /// `.referencesOnly`). Any thread. `payload` must be what `trace` expects to read.
    public static func recordReferences(of payload: UnsafeMutableRawPointer, with trace: TraceFunction) -> [ObjectRef] {
        let list = RefStack(capacity: 16)
        record(payload, with: trace, into: list)
        return (0..<list.count).map { list[$0] }
    }

    /// `recordReferences` into a caller's stack (appended), for walks that trace
    /// every object (the heap verifier) and must not allocate per object.
    static func record(_ payload: UnsafeMutableRawPointer, with trace: TraceFunction, into list: RefStack) {
        // The parent is never used in `.record` mode; any non-null address will do.
        var tracer = Tracer(recordingInto: list, parent: ObjectRef(payload))
        trace(payload, &tracer)
    }

    /// Calls `body` with `count` stand-in references for a registration-time layout
    /// check (GcTypes' `.referencesOnly`): real objects of a private heap, zeroed
    /// and torn, so a trace that reads or mutates through a reference it reports
    /// stops the process with a message instead of dereferencing a fake address;
    /// the heap's trace guard is on meanwhile (releases, allocation, `mutate`
    /// stop too). Any thread (the private heap belongs to it for the call).
    public static func withStandInReferences<R>(count: Int, _ body: ([ObjectRef]) -> R) -> R {
        let heap = Heap()
        let standIns = (0..<count).map { _ in try! heap.allocate(StandIn.type) }
        for object in standIns { object.set(ObjectHeader.torn) }
        let saved = heap.core.beginUserTrace(typeIndex: HotState.registrationProbe)
        let result = body(standIns)
        heap.core.endUserTrace(saved)
        for object in standIns {
            object.clear(ObjectHeader.torn)
            heap.release(object)
        }
        return result
    }

    /// The stand-ins' type: 240 zero bytes, no references.
    private enum StandIn {
        static let type = try! TypeRegistry.shared.register(TypeDescriptor(
            name: "hako/RegistrationStandIn", payloadSize: 240, acyclic: true))
    }

    /// Visits the reference stored as a bit pattern (0 = none).
    @inlinable
    public mutating func visit(bits: UInt) {
        if let child = ObjectRef(bits: bits) { visit(child) }
    }
}

extension HeapCore {
    /// Applies `mode`'s step to every reference `object` holds: reference slots
    /// directly, or through the type's trace function.
    ///
    /// A payload under an exclusive borrow (MUTATING) is never read by a collector
    /// phase: Swift may be half-way through an assignment there (the old value of a
    /// field destroyed, the new one not stored yet), so a field can still hold an
    /// object that was just freed. Skipping it is sound in every phase: its
    /// references are then not subtracted from their targets' counts, which makes
    /// those targets look held from outside — live, which they are, since someone
    /// is mutating their holder. Only drops (`.release`) read such a payload, and
    /// only of torn garbage (GarbageReclaimer.swift).
    @inline(__always)
    func traceChildren(of object: ObjectRef, _ mode: TraceMode) {
        let bits = object.bits0  // one load for both tests
        if mode != .release && bits & ObjectHeader.mutating != 0 { return }
        let typeIndex = Int(truncatingIfNeeded: (bits & ObjectHeader.typeMask) >> ObjectHeader.typeShift)
        registry.unsafeDescriptor(typeIndex)._withUnsafeGuaranteedRef { type in
            let offsets = type.offsets
            if !offsets.isEmpty {
                let payload = object.payload
                for offset in offsets {
                    if let child = ObjectRef(bits: payload.load(fromByteOffset: offset, as: UInt.self)) {
                        step(child, from: object, mode)  // inlined: `mode` is a constant here
                    }
                }
            } else if let trace = type.trace {
                var tracer = Tracer(core: self, parent: object, mode: mode)
                let saved = beginUserTrace(typeIndex: typeIndex)
                trace(object.payload, &tracer)
                endUserTrace(saved)
            }
        }
    }

    /// A type's trace function is user code that must only report references. While
    /// it runs, the heap refuses every call that would change counts or references
    /// (release, stores, allocation, exclusive borrows, pins, weak upgrades):
    /// changing the graph the collector is reading could free a live object later.
    /// The refusal stops the process (`heapChangedDuringTrace`). Allocation is
    /// refused through the allocation budget (0 sends it to the slow path), so the
    /// fast path pays nothing. - Returns: what `endUserTrace` restores (nesting:
    /// a trace never runs inside a trace, but a misbehaving one stops first).
    /// `typeIndex`: the traced object's type, or -1 for a bridge's marking callback.
    @inline(__always)
    func beginUserTrace(typeIndex: Int) -> (Int, Int) {
        let h = hot
        let saved = (h.pointee.userTraceType, h.pointee.allocationBudget)
        h.pointee.userTraceType = typeIndex
        h.pointee.allocationBudget = Int.min / 2  // stays negative however much is asked for
        return saved
    }

    @inline(__always)
    func endUserTrace(_ saved: (Int, Int)) {
        hot.pointee.userTraceType = saved.0
        hot.pointee.allocationBudget = saved.1
    }

    /// Stops the process: user code called back from the collector (a trace
    /// function, or a bridge's marking callback) tried to change the heap.
    @usableFromInline @inline(never)
    func heapChangedDuringTrace(_ call: StaticString) -> Never {
        let index = hot.pointee.userTraceType
        let who = index > 0 ? "the trace function of \(registry.descriptor(atIndex: index).name)"
            : index == HotState.registrationProbe ? "a trace function, run on stand-ins while its type registers,"
            : index == HotState.guestStackProvider ? "the heap's guestStack provider (run while an allocation is sampled)"
            : index == HotState.rootDescriber ? "the heap's rootDescriber (run by a leak check)"
            : index == HotState.outsideBytesFunction ? "a type's outsideBytes function (run for detailed statistics)"
            : "a collection bridge's marking callback"
        let what = index <= HotState.guestStackProvider ? "user code called back by the heap changed it" : "a trace function changed the heap"
        fatalError("HakoGC: \(what): \(who) called \(call) while the collector was reading references; trace must only report the references its value holds (no release, store, allocation, mutate, pin or weak upgrade)")
    }

    /// One edge `parent → child` in the current phase, reported by a trace function.
    ///
    /// Trial deletion changes real counts on the strength of what traces report: it
    /// subtracts each edge of the gray objects (markGray) and gives each back from
    /// the same objects as they turn black (scanBlack) or white (collectWhite, then
    /// restore). A trace that reports different references on different calls would
    /// leave a live object's count wrong for good, and it would be freed early, long
    /// after this collection. So the minor collector sums a hash of every child a
    /// trace function reports in each of those phases (heap-walked offsets need no
    /// check: nothing changes a payload during a collection) and compares the sums
    /// before anything is freed (`checkTraceBalance`): the multisets must agree.
    @usableFromInline
    func traced(_ child: ObjectRef, from parent: ObjectRef, _ mode: TraceMode) {
        switch mode {
        case .markGray, .scanBlack, .collectWhite, .restore:
            if inMinorScope(child) {
                let x = UInt64(child.bits) &* 0x9E37_79B9_7F4A_7C15
                let h = x ^ (x >> 29)
                switch mode {
                case .markGray: hot.pointee.traceBalance &+= h
                case .restore: hot.pointee.restoreBalance &+= h
                case .collectWhite:
                    hot.pointee.traceBalance &-= h
                    hot.pointee.restoreBalance &-= h
                default: hot.pointee.traceBalance &-= h
                }
            }
        default: break
        }
        step(child, from: parent, mode)
    }

    /// Called once the minor collection's counts are final, before anything is
    /// freed: see `traced`.
    func checkTraceBalance(restored: Bool) {
        let h = hot
        if h.pointee.traceBalance != 0 || (restored && h.pointee.restoreBalance != 0) {
            fatalError("HakoGC: a trace function reported different references on different calls during one collection; trace must report exactly the references its value holds, the same each time")
        }
        h.pointee.traceBalance = 0
        h.pointee.restoreBalance = 0
    }

    /// The step itself. Always inlined, so that callers that pass a constant mode
    /// (every phase walking reference offsets) compile to that mode's case alone.
    @inline(__always)
    func step(_ child: ObjectRef, from parent: ObjectRef, _ mode: TraceMode) {
        checkSameHeap(child, parent)
        switch mode {
        case .markGray:
            guard inMinorScope(child) else { return }
            if child.count == 0 { traceOverReported(child) }
            child.addCount(-1)
            if child.color != .gray {
                child.color = .gray
                workStack.push(child)
            }
        case .scan:
            if inMinorScope(child) { scanStack.push(child) }
        case .scanBlack:
            guard inMinorScope(child) else { return }
            child.addCount(1)
            if child.color != .black {
                child.color = .black
                workStack.push(child)
            }
        case .collectWhite:
            if inMinorScope(child) && child.color == .white {
                child.color = .black
                child.set(ObjectHeader.dying)
                workStack.push(child)
            }
        case .restore:
            if inMinorScope(child) { child.addCount(1) }
        case .subtract:
            if child.bufferIndex == 0 { traceOverReported(child) }
            child.bufferIndex -= 1
        case .mark:
            if !child.has(ObjectHeader.marked) {
                child.set(ObjectHeader.marked)
                workStack.push(child)
            }
        case .subtractWithinGarbage:
            if child.has(ObjectHeader.dying) { child.bufferIndex -= 1 }
        case .resurrect:
            if child.has(ObjectHeader.dying) {
                child.clear(ObjectHeader.dying)
                workStack.push(child)
            }
        case .release:
            release(child)
        case .record:
            fatalError("HakoGC: a recording tracer reached a heap")
        case .countInternal:
            if inCycleSet(child) { child.bufferIndex &+= 1 }
        case .uncountInternal:
            guard inCycleSet(child) else { return }
            if child.bufferIndex == 0 { traceOverReported(child) }
            child.bufferIndex -= 1
        case .shade:
            if inCycleSet(child) { shade(child) }
        }
    }
}
