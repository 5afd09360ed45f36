import GcCore

/// The collections a plot draws, at most `capacity` of them whatever the run's
/// length: every `stride`-th collection (the stride doubles, dropping every other
/// mark, each time the marks fill up) and the 100 longest pauses; with the ranges
/// the axes need. Fed one collection at a time. A plain value; any thread.
public struct PauseTimeline {
    /// One drawn collection.
    public struct Mark: Equatable {
        /// Its position among the log's collections.
        public var index: Int
        public var kind: CollectionKind
        public var sequence: Int
        public var startNanos: UInt64, pauseNanos: UInt64
        public var liveBytesAfter: Int
    }

    public let capacity: Int
    public static let longestKept = 100
    private var evenly: [Mark] = []
    private var longest: [Mark] = []
    private var stride = 1
    /// Collections seen.
    public private(set) var count = 0
    public private(set) var firstStart: UInt64?
    public private(set) var lastStart: UInt64 = 0, latestStart: UInt64 = 0
    public private(set) var shortestPause = UInt64.max, longestPause: UInt64 = 0
    public private(set) var mostLiveBytes = 0

    public init(capacity: Int = 20_000) {
        if capacity <= 2 * PauseTimeline.longestKept {
            fatalError("PauseTimeline: capacity \(capacity) is too small (at least \(2 * PauseTimeline.longestKept + 1))")
        }
        self.capacity = capacity
    }

    public mutating func add(_ e: CollectionEvent) {
        let mark = Mark(index: count, kind: e.kind, sequence: e.sequence, startNanos: e.startNanos,
                        pauseNanos: e.pauseNanos, liveBytesAfter: e.liveBytesAfter)
        count += 1
        if firstStart == nil { firstStart = e.startNanos }
        lastStart = e.startNanos
        latestStart = Swift.max(latestStart, e.startNanos)
        shortestPause = Swift.min(shortestPause, e.pauseNanos)
        longestPause = Swift.max(longestPause, e.pauseNanos)
        mostLiveBytes = Swift.max(mostLiveBytes, e.liveBytesAfter)
        if mark.index % stride == 0 {
            evenly.append(mark)
            if evenly.count >= capacity - PauseTimeline.longestKept {
                stride *= 2
                evenly.removeAll { $0.index % stride != 0 }
            }
        }
        if longest.count < PauseTimeline.longestKept {
            longest.append(mark)
            if longest.count == PauseTimeline.longestKept { findShortestKept() }
        } else if e.pauseNanos > longest[shortestKept].pauseNanos {
            longest[shortestKept] = mark
            findShortestKept()
        }
    }

    /// The index in `longest` of its shortest pause: the one a longer pause replaces.
    private var shortestKept = 0
    private mutating func findShortestKept() {
        shortestKept = longest.indices.min { longest[$0].pauseNanos < longest[$1].pauseNanos } ?? 0
    }

    /// The marks to draw, in log order: all of them when the run had no more than
    /// `capacity − 100` collections.
    public var marks: [Mark] {
        var seen = Set(evenly.map(\.index))
        var out = evenly
        for m in longest where seen.insert(m.index).inserted { out.append(m) }
        return out.sorted { $0.index < $1.index }
    }
}
