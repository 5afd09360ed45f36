/// Which collection ran.
public enum CollectionKind: String, Sendable, CaseIterable, Codable {
    /// Trial deletion over young candidates (pause bounded by the young generation).
    case minor
    /// Precise mark-sweep of the whole heap (verification, leak checks, heap growth).
    case full
}

/// Why a collection ran.
public enum CollectionReason: String, Sendable, CaseIterable, Codable {
    case allocationVolume
    case candidateCount
    case heapGrowth
    case memoryPressure
    case explicit
    case deferred
    case teardown
}

/// Every timed phase of the collector, in one place (the profiler and gcstat key on
/// these raw values; append new cases at the end).
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

    public var name: String {
        switch self {
        case .markGray: "mark-gray"
        case .scan: "scan"
        case .collectWhite: "collect-white"
        case .subtractInternal: "subtract-internal"
        case .markLive: "mark-live"
        case .finalize: "finalize"
        case .sweep: "sweep"
        }
    }
}

/// What one collection did. Sent to the heap's observer after each collection.
public struct CollectionEvent: Sendable, Equatable, Codable {
    /// 1, 2, 3… per heap.
    public var sequence: Int
    public var kind: CollectionKind
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
    public var freedObjects: Int
    public var freedBytes: Int
    public var finalized: Int
    public var resurrected: Int
    public var liveObjectsBefore: Int
    public var liveObjectsAfter: Int
    public var liveBytesBefore: Int
    public var liveBytesAfter: Int

    public func nanos(_ phase: GcPhase) -> UInt64 { phaseNanos[phase.rawValue] }
}
