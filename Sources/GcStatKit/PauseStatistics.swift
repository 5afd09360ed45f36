import GcCore
import Histogram

/// Pause figures of a log: an HdrHistogram per collection kind (nanoseconds, three
/// significant digits: a percentile is within 0.1 % of the exact one). Fixed size
/// whatever the number of pauses. A plain value; any thread.
public struct PauseStatistics {
    /// Per kind (`CollectionKind.rawValue`), and "all".
    public private(set) var histograms: [String: Histogram<UInt64>] = [:]
    public private(set) var totals: [String: UInt64] = [:]
    public private(set) var freed: [String: Int] = [:]

    /// The percentiles the report prints, in this order.
    public static let percentiles: [Double] = [50, 90, 99, 99.9]

    public init() {
        for kind in CollectionKind.allCases.map(\.rawValue) + ["all"] {
            histograms[kind] = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
            totals[kind] = 0
            freed[kind] = 0
        }
    }

    /// Counts one collection's pause (longer than an hour counts as an hour).
    public mutating func add(_ e: CollectionEvent) {
        for key in [e.kind.rawValue, "all"] {
            _ = histograms[key]!.record(Swift.min(3_600_000_000_000, Swift.max(1, e.pauseNanos)))
            totals[key]! &+= e.pauseNanos
            freed[key]! &+= e.freedObjects
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
