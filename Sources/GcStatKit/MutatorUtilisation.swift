import Foundation

/// Minimum mutator utilisation (Cheng and Blelloch): for a window length w, the
/// smallest share of any w-long window of the run that the program, not the
/// collector, had. Computed per heap — a heap's pauses stop only its own thread — and
/// the worst heap reported. Fed one pause at a time, in the order the log has them.
///
/// The worst window starts at a pause's start or ends at a pause's end (or is the
/// run's first or last w), so only those are tried. With C(t) the pause time before
/// t, a window [t, t + w] holds C(t + w) − C(t) of pause:
///
///     on pause p = [s, e]:
///       for each open window [t, t + w] with t + w ≤ s:   # no later pause reaches it
///         close it: C(t + w) from the previous pause alone
///       window [e − w, e]: C(e − w) from the pauses that end after e − w (a queue;
///         the ones ending before are dropped, no later window reaches back to them)
///       open the window [s, s + w], remembering C(s)
///     at the end: the open windows that fit, and [end − w, end]
///
/// Exact, O(1) amortised per pause and window; memory per heap and window is the
/// pauses of the last w (a queue and the open windows), not the run's.
public struct MutatorUtilisation {
    /// The windows figures are kept for, nanoseconds, ascending.
    public let windows: [UInt64]
    private var heaps: [UInt64: HeapState] = [:]

    /// Windows of the report's line (1, 10, 100 ms).
    public static let reportWindows: [UInt64] = [1_000_000, 10_000_000, 100_000_000]
    /// Windows of the HTML report's curve: 0.1 ms to 1 s, eight per decade. Longer
    /// windows approach the run's overall utilisation (`overall`), plotted last;
    /// keeping them exact would keep a queue of every pause of the run.
    public static let curveWindows: [UInt64] = (0...32).map { UInt64((1e5 * pow(10, Double($0) / 8)).rounded()) }

    public init(windows: [UInt64] = Array(Set(MutatorUtilisation.reportWindows + MutatorUtilisation.curveWindows)).sorted()) {
        self.windows = windows.filter { $0 > 0 }
    }

    /// A heap began at `nanos` (its heap-start record).
    public mutating func heapStarted(_ heap: UInt64, at nanos: UInt64) {
        heaps[heap, default: HeapState(windows: windows)].startNanos = nanos
    }

    /// A heap ended at `nanos` (its heap-end record).
    public mutating func heapEnded(_ heap: UInt64, at nanos: UInt64) {
        heaps[heap, default: HeapState(windows: windows)].endNanos = nanos
    }

    /// A pause of `heap`. Pauses of a heap come in time order; one that starts before
    /// the previous ended (a damaged log) is taken from that end on.
    public mutating func pause(_ heap: UInt64, start: UInt64, end: UInt64) {
        heaps[heap, default: HeapState(windows: windows)].add(start: start, end: end)
    }

    /// The MMU for each window, or nil for a window longer than every heap's run
    /// (or when no heap paused).
    public func minimum() -> [UInt64: Double?] {
        var result: [UInt64: Double?] = [:]
        for w in windows { result[w] = .some(nil) }
        for (_, h) in heaps {
            for (i, w) in windows.enumerated() {
                guard let mmu = h.finish(i) else { continue }
                result[w] = Swift.min(result[w]!.map { $0 } ?? 1, mmu)
            }
        }
        return result
    }

    /// The worst heap's share of its whole run left to the program (nil when no
    /// heap paused).
    public var overall: (window: UInt64, mmu: Double)? {
        var worst: (UInt64, Double)? = nil
        for (_, h) in heaps where h.last != nil {
            let span = h.end &- h.begin
            guard span > 0 else { continue }
            let share = Swift.max(0, 1 - Double(h.total) / Double(span))
            if worst == nil || share < worst!.1 { worst = (span, share) }
        }
        return worst
    }

    /// The MMU of one heap's pauses (sorted, disjoint) over [begin, end], or nil when
    /// the run is shorter than `window`.
    public static func minimum(_ pauses: [(start: UInt64, end: UInt64)], window: UInt64, begin: UInt64, end: UInt64) -> Double? {
        var m = MutatorUtilisation(windows: [window])
        m.heapStarted(0, at: begin)
        for p in pauses { m.pause(0, start: p.start, end: p.end) }
        m.heapEnded(0, at: end)
        return m.minimum()[window] ?? nil
    }
}

extension MutatorUtilisation {
    /// A pause, and the pause time of the heap before it.
    struct Pause { var start: UInt64, end: UInt64, before: UInt64 }

    /// A queue in an array: `head` moves on, the dead prefix is dropped now and then.
    struct Queue<Element> {
        private var items: [Element] = []
        private var head = 0
        var first: Element? { head < items.count ? items[head] : nil }
        mutating func append(_ e: Element) { items.append(e) }
        mutating func removeFirst() {
            head += 1
            if head > 1024 && head * 2 > items.count { items.removeFirst(head); head = 0 }
        }
        var elements: ArraySlice<Element> { items[head...] }
    }

    /// One window length of one heap.
    struct WindowState {
        let w: UInt64
        /// Pauses that may lie in a window ending at a later pause's end.
        var recent = Queue<Pause>()
        /// Windows [t, t + w] not yet closed, with C(t).
        var open = Queue<(t: UInt64, before: UInt64)>()
        var maxPaused: UInt64 = 0
    }

    struct HeapState {
        var startNanos: UInt64?
        var endNanos: UInt64?
        var begin: UInt64 = 0
        var total: UInt64 = 0
        var last: Pause?
        var states: [WindowState]

        init(windows: [UInt64]) { states = windows.map { WindowState(w: $0) } }

        var end: UInt64 { Swift.max(endNanos ?? 0, last?.end ?? 0) }

        /// C(t) for t at or before the latest pause's start: everything before `last`,
        /// plus the part of `last` before t.
        func pausedBefore(_ t: UInt64, last: Pause?) -> UInt64 {
            guard let last else { return 0 }
            return last.before &+ Swift.min(last.end &- last.start, t > last.start ? t &- last.start : 0)
        }

        mutating func add(start s0: UInt64, end e0: UInt64) {
            if last == nil {
                begin = Swift.min(startNanos ?? s0, s0)
                for i in states.indices { states[i].open.append((begin, 0)) }
            }
            // Wrapping and clamping throughout: a damaged log must not trap the reader.
            let s = Swift.max(s0, last?.end ?? s0), e = Swift.max(e0, s)
            let p = Pause(start: s, end: e, before: total)
            total &+= e &- s
            for i in states.indices {
                let w = states[i].w
                while let o = states[i].open.first, o.t &+ w <= s {
                    states[i].maxPaused = Swift.max(states[i].maxPaused, pausedBefore(o.t &+ w, last: last) &- o.before)
                    states[i].open.removeFirst()
                }
                states[i].recent.append(p)
                if e >= begin &+ w {
                    let t = e &- w
                    while let f = states[i].recent.first, f.end <= t { states[i].recent.removeFirst() }
                    let f = states[i].recent.first!
                    let before = f.before &+ (t > f.start ? t &- f.start : 0)
                    states[i].maxPaused = Swift.max(states[i].maxPaused, total &- before)
                }
                states[i].open.append((s, p.before))
            }
            last = p
        }

        /// Window `i`'s MMU over the whole run, or nil (no pause, or a run shorter
        /// than the window).
        func finish(_ i: Int) -> Double? {
            guard last != nil else { return nil }
            var state = states[i]
            let w = state.w, end = end
            guard end >= begin &+ w else { return nil }
            var worst = state.maxPaused
            var tail = false
            for o in state.open.elements {
                if o.t &+ w <= end {
                    worst = Swift.max(worst, pausedBefore(o.t &+ w, last: last) &- o.before)
                } else {
                    tail = true
                }
            }
            if tail {  // [end − w, end]
                let t = end &- w
                while let f = state.recent.first, f.end <= t { state.recent.removeFirst() }
                let before = state.recent.first.map { $0.before &+ (t > $0.start ? t &- $0.start : 0) } ?? total
                worst = Swift.max(worst, total &- before)
            }
            return Swift.max(0, 1 - Double(worst) / Double(w))
        }
    }
}
