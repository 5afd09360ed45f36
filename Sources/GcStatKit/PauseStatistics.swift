import GcCore
import GcProfiler
import Histogram

/// Pause figures of a log: an HdrHistogram per collection kind (nanoseconds, three
/// significant digits: a percentile is within 0.1 % of the exact one), and minimum
/// mutator utilisation. A plain value; any thread.
public struct PauseStatistics {
    /// Per kind (`CollectionKind.rawValue`), and "all".
    public private(set) var histograms: [String: Histogram<UInt64>] = [:]
    public private(set) var totals: [String: UInt64] = [:]
    public private(set) var freed: [String: Int] = [:]

    /// The percentiles the report prints, in this order.
    public static let percentiles: [Double] = [50, 90, 99, 99.9]

    public init(_ log: EventLogContents) {
        for kind in CollectionKind.allCases.map(\.rawValue) + ["all"] {
            histograms[kind] = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
            totals[kind] = 0
            freed[kind] = 0
        }
        for e in log.collections {
            for key in [e.kind.rawValue, "all"] {
                _ = histograms[key]!.record(Swift.max(1, e.pauseNanos))
                totals[key]! &+= e.pauseNanos
                freed[key]! += e.freedObjects
            }
        }
    }

    public func count(_ kind: String) -> UInt64 { histograms[kind]?.totalCount ?? 0 }

    /// The pause at `percentile` (0–100) for `kind`, nanoseconds; 0 when none.
    public func value(_ kind: String, at percentile: Double) -> UInt64 {
        guard let h = histograms[kind], h.totalCount > 0 else { return 0 }
        return h.valueAtPercentile(percentile)
    }

    /// The longest pause of `kind` (exact to three significant digits).
    public func max(_ kind: String) -> UInt64 {
        guard let h = histograms[kind], h.totalCount > 0 else { return 0 }
        return h.max
    }

    /// HdrHistogram's percentile-distribution text for `kind`, in microseconds.
    public func hgrm(_ kind: String = "all") -> String {
        var out = ""
        histograms[kind]?.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: 1000)
        return out
    }
}

/// Minimum mutator utilisation (Cheng and Blelloch): for a window length w, the
/// smallest share of any w-long window of the run that the program, not the
/// collector, had. Computed per heap — a heap's pauses stop only its own thread — and
/// the worst heap reported.
public enum MutatorUtilisation {
    /// The MMU for each window (nanoseconds), or nil for a window longer than the
    /// run. The worst window starts at a pause's start or ends at a pause's end, so
    /// only those are tried: O(n log n) per window.
    public static func minimum(_ log: EventLogContents, windows: [UInt64]) -> [UInt64: Double?] {
        var byHeap: [UInt64: [(start: UInt64, end: UInt64)]] = [:]
        for (e, heap) in zip(log.collections, log.collectionHeaps) {
            byHeap[heap, default: []].append((e.startNanos, e.startNanos &+ e.pauseNanos))
        }
        var result: [UInt64: Double?] = [:]
        for w in windows {
            var worst: Double? = nil
            for (heap, pauses) in byHeap {
                let sorted = pauses.sorted { $0.start < $1.start }
                let record = log.heaps.first { $0.id == heap }
                let begin = Swift.min(record?.startNanos ?? sorted.first!.start, sorted.first!.start)
                let end = Swift.max(record?.endNanos ?? 0, sorted.last!.end)
                guard let mmu = minimum(sorted, window: w, begin: begin, end: end) else { continue }
                worst = Swift.min(worst ?? 1, mmu)
            }
            result[w] = worst
        }
        return result
    }

    static func minimum(_ pauses: [(start: UInt64, end: UInt64)], window w: UInt64, begin: UInt64, end: UInt64) -> Double? {
        guard w > 0, end > begin, end - begin >= w else { return nil }
        // prefix[i]: pause time of pauses[0..<i].
        var prefix: [UInt64] = [0]
        // Wrapping arithmetic throughout: a damaged log must not trap the reader.
        for p in pauses { prefix.append(prefix.last! &+ (p.end &- p.start)) }
        func paused(from t0: UInt64, to t1: UInt64) -> UInt64 {
            // Pauses are disjoint and sorted: whole ones inside, plus the clipped edges.
            var lo = 0, hi = pauses.count
            while lo < hi { let m = (lo + hi) / 2; if pauses[m].end <= t0 { lo = m + 1 } else { hi = m } }
            var total: UInt64 = 0
            var i = lo
            while i < pauses.count && pauses[i].start < t1 {
                let s = Swift.max(pauses[i].start, t0), e = Swift.min(pauses[i].end, t1)
                if e > s { total &+= e - s }
                // Jump over the pauses wholly inside the window with the prefix sums.
                var j = i + 1, k = pauses.count
                while j < k { let m = (j + k) / 2; if pauses[m].end <= t1 { j = m + 1 } else { k = m } }
                if j > i + 1 {
                    total &+= prefix[j] &- prefix[i + 1]
                    i = j
                } else {
                    i += 1
                }
            }
            return total
        }
        var worst = 1.0
        for p in pauses {
            for t0 in [p.start, p.end >= begin &+ w ? p.end &- w : begin] {
                let start = Swift.min(Swift.max(t0, begin), end - w)
                let share = 1 - Double(paused(from: start, to: start &+ w)) / Double(w)
                worst = Swift.min(worst, share)
            }
        }
        return Swift.max(0, worst)
    }
}
