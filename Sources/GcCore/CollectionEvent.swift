/// Which collection ran (or, for `Heap.collect`, which to run). A plain value.
public enum CollectionKind: String, Sendable, CaseIterable, Codable {
    /// Trial deletion over young candidates (pause bounded by the young generation).
    case minor
    /// Precise mark-sweep of the whole heap (verification, leak checks, heap growth).
    case full
    /// One slice of an incremental full collection (IncrementalFullCollector.swift):
    /// automatic full collections run as a series of these; the last one frees the
    /// garbage. `Heap.collect(.fullSlice)` runs one (starting a cycle if none runs);
    /// with a `CollectionBridge` attached it runs an atomic `.full` instead.
    case fullSlice = "full-slice"
}

/// Why a collection ran. A plain value.
public enum CollectionReason: String, Sendable, CaseIterable, Codable {
    /// `minorAllocationBytes` were allocated since the last collection.
    case allocationVolume
    /// The candidate buffer reached `minorCandidateLimit`.
    case candidateCount
    /// The old generation (plus external memory) crossed the full threshold.
    case heapGrowth
    /// `addMemoryPressure` crossed the full threshold, or an allocation failed.
    case memoryPressure
    /// `Heap.collect`.
    case explicit
    /// Requested while the heap was busy (finalizer, observer, collection), run after.
    case deferred
    /// The `Heap` was released with objects still live.
    case teardown
}

/// Every timed phase of the collector, in one place (the profiler and gcstat key on
/// these raw values; append new cases at the end). A plain value.
public enum GcPhase: Int, Sendable, CaseIterable, Codable {
    /// Minor: take the candidate buffer, trial-decrement from each purple candidate.
    case markGray
    /// Minor: restore what is still referenced from outside (scan / scanBlack).
    case scan
    /// Minor: gather the white (garbage) objects.
    case collectWhite
    /// Full: subtract heap-internal references from every count (roots remain).
    case subtractInternal
    /// Full: mark from the roots.
    case markLive
    /// Both: run finalizers of the garbage, then look for resurrected objects.
    case finalize
    /// Both: drop payloads and free slots of the garbage.
    case sweep
    /// Both: destroy what the garbage's payloads released (objects whose count
    /// reached zero when the garbage let go of them), and trim the work stacks.
    case drain
    /// Full with a `CollectionBridge`: the bridge's `collectionFinished` callback.
    case bridgeSweep
    /// Both: the time inside the pause that no phase above timed — set-up before the
    /// first phase, the gaps between phases, epoch bookkeeping. With it the phases
    /// of an event add up to its pause.
    case other

    /// The phase's name in reports (`mark-gray`, `sweep`, …).
    public var name: String {
        switch self {
        case .markGray: "mark-gray"
        case .scan: "scan"
        case .collectWhite: "collect-white"
        case .subtractInternal: "subtract-internal"
        case .markLive: "mark-live"
        case .finalize: "finalize"
        case .sweep: "sweep"
        case .drain: "drain"
        case .bridgeSweep: "bridge-sweep"
        case .other: "other"
        }
    }
}

/// What one collection did. Sent to the heap's observer after each collection, on
/// the heap's owner thread. A plain value, safe to keep and send anywhere.
public struct CollectionEvent: Sendable, Equatable, Codable {
    /// 1, 2, 3… per heap.
    public var sequence: Int
    /// Minor, full, or one slice of an incremental full collection.
    public var kind: CollectionKind
    /// What triggered it.
    public var reason: CollectionReason
    /// Monotonic clock at the start, nanoseconds.
    public var startNanos: UInt64
    /// Wall time of the whole pause, nanoseconds.
    public var pauseNanos: UInt64
    /// Nanoseconds per phase, indexed by `GcPhase.rawValue`.
    public var phaseNanos: [UInt64]
    /// Candidates taken from the buffer (minor) or objects in the heap (full).
    public var roots: Int
    /// Objects the collector traced.
    public var visited: Int
    /// Garbage objects the collector freed (objects their release then freed by count
    /// are not included here, but are in the live figures below).
    public var freedObjects: Int
    /// Slot bytes of `freedObjects`.
    public var freedBytes: Int
    /// Finalizers run.
    public var finalized: Int
    /// Objects kept alive because a finalizer resurrected them (or what they reach).
    public var resurrected: Int
    /// Live objects before the collection.
    public var liveObjectsBefore: Int
    /// Live objects after it (after draining what the garbage released).
    public var liveObjectsAfter: Int
    /// Live slot bytes before the collection.
    public var liveBytesBefore: Int
    /// Live slot bytes after it.
    public var liveBytesAfter: Int

    /// An event from its fields (a reader rebuilding one from a log). Any thread.
    public init(
        sequence: Int, kind: CollectionKind, reason: CollectionReason, startNanos: UInt64, pauseNanos: UInt64,
        phaseNanos: [UInt64], roots: Int, visited: Int, freedObjects: Int, freedBytes: Int, finalized: Int,
        resurrected: Int, liveObjectsBefore: Int, liveObjectsAfter: Int, liveBytesBefore: Int, liveBytesAfter: Int
    ) {
        self.sequence = sequence; self.kind = kind; self.reason = reason
        self.startNanos = startNanos; self.pauseNanos = pauseNanos; self.phaseNanos = phaseNanos
        self.roots = roots; self.visited = visited; self.freedObjects = freedObjects; self.freedBytes = freedBytes
        self.finalized = finalized; self.resurrected = resurrected
        self.liveObjectsBefore = liveObjectsBefore; self.liveObjectsAfter = liveObjectsAfter
        self.liveBytesBefore = liveBytesBefore; self.liveBytesAfter = liveBytesAfter
    }

    /// Nanoseconds spent in `phase`. Stops the process (index out of range) if
    /// `phaseNanos` has fewer entries than `GcPhase` has cases, e.g. an event decoded
    /// from a log written before a phase was added.
    public func nanos(_ phase: GcPhase) -> UInt64 {
        // Logs written before a phase existed have shorter arrays.
        phase.rawValue < phaseNanos.count ? phaseNanos[phase.rawValue] : 0
    }
}
