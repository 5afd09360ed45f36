import Glibc

/// Pacing and tuning of one heap. Defaults suit a few-hundred-MiB heap on a laptop-class
/// machine; every figure is a threshold, not a promise.
///
/// Pacing rule (see docs/architecture.md, "When collections run"):
/// - a **minor** collection runs at the next allocation once `minorAllocationBytes`
///   have been allocated since the last one, or once the candidate buffer holds
///   `minorCandidateLimit` objects (small limits keep minor pauses short);
/// - the young generation's epoch advances once per `minorAllocationBytes`
///   allocated: an object is young until 1–2 × that much has been allocated after it;
/// - a **full** collection starts at the next allocation once the old generation
///   (bytes that outlived their youth) plus external (memory-pressure) bytes have
///   grown, since the last full collection, by (`fullGrowthFactor` − 1) × what that
///   one left live, and by at least `fullMinimumBytes`. Garbage that dies young
///   never counts toward it (as CPython counts survivors of its younger generations).
///   It runs in slices of `fullSliceWork` objects, one per `fullSliceBytes` or
///   fewer allocated (paced to end within a quarter of the live heap's bytes of
///   allocation), while minor collections go on (`incrementalFull`).
///
/// A plain value; a heap reads it through `Heap.configuration` (owner-checked).
/// Values are not validated: for example a minor limit ≤ 0 runs a minor collection
/// at every allocation.
public struct HeapConfiguration: Sendable, Equatable {
    /// Bytes allocated between minor collections; also the length of an epoch.
    public var minorAllocationBytes: Int = 64 << 10
    /// Buffered candidates that trigger a minor collection.
    public var minorCandidateLimit: Int = 256
    /// A full collection runs once the old generation grew by (factor − 1) × what the
    /// last full collection left live.
    public var fullGrowthFactor: Double = 2.0
    /// The least growth that triggers a full collection. On a live heap a change takes
    /// effect after the next full collection.
    public var fullMinimumBytes: Int = 32 << 20
    /// Empty pages always kept for reuse. Beyond this floor the heap keeps at most
    /// as many empty pages as it has pages in use, and gives the rest back at once
    /// (`Heap.trim()` gives the cache back). Read only when the heap is created.
    public var emptyPageCache: Int = 16
    /// When false, collections run only when asked for (`collect`).
    public var automaticCollection: Bool = true
    /// Automatic full collections run incrementally, in slices between allocations
    /// (`CollectionKind.fullSlice`), unless a `CollectionBridge` is attached. When
    /// false they run in one pause, as `collect(.full)` always does.
    public var incrementalFull: Bool = true
    /// Objects one slice of an incremental full collection scans or traces.
    public var fullSliceWork: Int = 4096
    /// The most bytes allocated between two slices of an incremental full
    /// collection. Each cycle paces its slices closer (down to 256 bytes) so that it
    /// ends before the program has allocated a quarter of the live heap.
    public var fullSliceBytes: Int = 16 << 10
    /// The last generation of a weak slot: a slot cleared at this generation is
    /// retired instead of reused, so a `WeakReference` can never match a later
    /// object. Lower it when weak references are stored in fewer bits (the C ABI's
    /// carry 24). At least 1. Read only when the heap is created.
    public var weakGenerationLimit: UInt32 = .max
    /// Weak slots with an index at or above this are retired when cleared, never
    /// reused, so that when a runtime that names slots in fewer bits gets one, every
    /// slot below is in use or retired (the C ABI's handles name 2²⁴ − 1). Read only
    /// when the heap is created.
    public var weakSlotLimit: UInt32 = .max

    /// Run the heap verifier (HeapVerifier.swift) after every collection: a walk of
    /// every page checking the heap's invariants, which stops the process with a
    /// message naming the object, its type and the broken rule. For tests, stress
    /// and fuzz runs: it makes each collection cost a walk of the heap. Defaults to
    /// whether the environment has `HAKOGC_VERIFY=1` (read once per process).
    public var verify: Bool = HeapConfiguration.verifyFromEnvironment

    /// Fail this heap's N-th request for a page or large-object block (and, if
    /// persistent, every later one): a test hook for the out-of-memory paths
    /// (AllocationFailure.swift). Defaults to `HAKOGC_FAIL_ALLOC=N` or `N+`.
    public var failAllocation: AllocationFailure? = AllocationFailure.fromEnvironment

    /// `HAKOGC_VERIFY=1` in the environment (`0` or unset: false). Any other value
    /// stops the process when the first heap is configured: a typo must not turn
    /// verification off without a word.
    public static let verifyFromEnvironment: Bool = {
        guard let raw = getenv("HAKOGC_VERIFY") else { return false }
        switch String(cString: raw) {
        case "1": return true
        case "0", "": return false
        case let other: fatalError("HakoGC: HAKOGC_VERIFY=\(other) is not 1 or 0")
        }
    }()

    /// The defaults above.
    public init() {}

    /// Stops the process with a message if a value makes no sense (the heap checks
    /// every configuration it is given). `emptyPageCache` is read when the heap is
    /// created; the other values take effect at the next allocation.
    func validate() {
        misusePrecondition(minorAllocationBytes > 0, "HakoGC: minorAllocationBytes must be positive")
        misusePrecondition(minorCandidateLimit > 0, "HakoGC: minorCandidateLimit must be positive")
        misusePrecondition(fullGrowthFactor > 1, "HakoGC: fullGrowthFactor must be above 1")
        misusePrecondition(fullSliceWork > 0 && fullSliceBytes > 0,
                     "HakoGC: fullSliceWork and fullSliceBytes must be positive")
        misusePrecondition(weakGenerationLimit >= 1, "HakoGC: weakGenerationLimit must be at least 1")
        misusePrecondition(fullMinimumBytes >= 0 && emptyPageCache >= 0,
                     "HakoGC: fullMinimumBytes and emptyPageCache must not be negative")
    }
}
