import Glibc

/// Fails one heap's N-th request for a page or large-object block from the system
/// (and, `persistent`, every request after it), so that tests and CI reach the
/// out-of-memory paths: `HAKOGC_FAIL_ALLOC=N` (the N-th only) or `N+` (from the N-th
/// on) in the environment, or `HeapConfiguration.failAllocation`. Each heap counts
/// its own requests, from 1. Off by default; off, it costs nothing on the
/// allocation fast path (only block requests, the slow path's slow path, test it).
///
/// What a failed block request turns into (docs/reliability.md, "Allocation
/// failure"): the heap collects, trims its page cache and tries once more; if that
/// fails too the allocation fails — `HeapError.outOfMemory` from `Heap.allocate`
/// and `GcRc.make`, `HGC_ERR_OUT_OF_MEMORY` from `hgc_alloc`, a stop with a
/// message from the non-throwing initializers (`GcRc.init`, `GcArray`, `GcString`).
/// A plain value; any thread.
public struct AllocationFailure: Sendable, Equatable, CustomStringConvertible {
    /// The first request to fail, counting from 1.
    public var at: Int
    /// Whether every later request fails too.
    public var persistent: Bool

    public init(at: Int, persistent: Bool = false) {
        self.at = at
        self.persistent = persistent
    }

    /// "N" or "N+" (N ≥ 1); nil for anything else.
    public init?(_ text: String) {
        let persistent = text.hasSuffix("+")
        guard let n = Int(persistent ? String(text.dropLast()) : text), n >= 1 else { return nil }
        self.init(at: n, persistent: persistent)
    }

    public var description: String { "\(at)\(persistent ? "+" : "")" }

    /// `HAKOGC_FAIL_ALLOC` (read once per process). A value that is not "N" or "N+"
    /// stops the process with a message when the first heap is configured: a typo
    /// must not silently turn the injection off.
    public static let fromEnvironment: AllocationFailure? = {
        guard let raw = getenv("HAKOGC_FAIL_ALLOC") else { return nil }
        let text = String(cString: raw)
        guard let failure = AllocationFailure(text) else {
            fatalError("HakoGC: HAKOGC_FAIL_ALLOC=\(text) is not N or N+ (N ≥ 1)")
        }
        return failure
    }()

    /// Whether request number `n` (from 1) fails.
    func fails(request n: Int) -> Bool { n == at || (persistent && n > at) }
}
