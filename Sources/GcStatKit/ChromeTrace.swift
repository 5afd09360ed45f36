import Foundation
import GcCore
import GcProfiler

/// `gcstat chrome-trace`: the Trace Event Format that Perfetto (ui.perfetto.dev) and
/// chrome://tracing open. One track per heap (`tid` = heap id):
/// - each pause a complete event (`ph: "X"`, category `gc`), named by kind and
///   reason, with its phases nested inside as complete events (category
///   `gc.phase`). The log records each phase's duration, not its start, so the
///   phases are laid end to end from the pause's start in the collector's order;
///   they add up to the pause, so they fill it exactly;
/// - each incremental full collection an async span (`ph: "b"` … `"e"`, category
///   `gc.cycle`, one `id` per cycle) from its first slice's start to its last
///   slice's end, over the slices, which stay pauses of their own;
/// - counters (`ph: "C"`) of live objects and live bytes after every collection.
/// Times are microseconds (`ts`, `dur`) from the log's start.
public enum ChromeTrace {
    public static func events(_ log: EventLogContents) -> [[String: Any]] {
        let origin = log.heaps.map(\.startNanos).min() ?? log.collections.first?.startNanos ?? log.startNanos
        func us(_ nanos: UInt64) -> Double { Double(Int64(bitPattern: nanos &- origin)) / 1000 }
        let pid = log.pid == 0 ? 1 : log.pid
        var events: [[String: Any]] = [
            ["name": "process_name", "ph": "M", "pid": pid, "args": ["name": "HakoGC \(log.label.isEmpty ? "" : log.label + " ")(pid \(log.pid))"]],
        ]
        for heap in Set(log.collectionHeaps).sorted() {
            events.append(["name": "thread_name", "ph": "M", "pid": pid, "tid": heap, "args": ["name": "heap \(heap)"]])
        }
        // The collector's order within a pause: minor, then full, phases; drain, the
        // bridge's sweep and `other` close it.
        let order: [GcPhase] = [.markGray, .scan, .collectWhite, .subtractInternal, .markLive, .finalize, .sweep,
                                .bridgeSweep, .drain, .other]
        var cycleStart: [UInt64: (ts: Double, id: Int)] = [:]
        var nextCycle = 1
        for (i, e) in log.collections.enumerated() {
            let heap = log.collectionHeaps[i]
            let start = us(e.startNanos)
            events.append([
                "name": "\(e.kind.rawValue) (\(e.reason.rawValue))", "cat": "gc", "ph": "X", "pid": pid, "tid": heap,
                "ts": start, "dur": Double(e.pauseNanos) / 1000,
                "args": ["sequence": e.sequence, "freedObjects": e.freedObjects, "freedBytes": e.freedBytes,
                         "liveObjectsBefore": e.liveObjectsBefore, "liveObjectsAfter": e.liveObjectsAfter,
                         "roots": e.roots, "visited": e.visited],
            ])
            var at = e.startNanos
            for phase in order where e.nanos(phase) > 0 {
                events.append(["name": phase.name, "cat": "gc.phase", "ph": "X", "pid": pid, "tid": heap,
                               "ts": us(at), "dur": Double(e.nanos(phase)) / 1000])
                at &+= e.nanos(phase)
            }
            if e.kind == .fullSlice {
                if cycleStart[heap] == nil {
                    cycleStart[heap] = (start, nextCycle)
                    nextCycle += 1
                    events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "b", "pid": pid, "tid": heap,
                                   "id": cycleStart[heap]!.id, "ts": start])
                }
                if log.collectionEndsCycle[i], let open = cycleStart.removeValue(forKey: heap) {
                    events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
                                   "id": open.id, "ts": us(e.startNanos &+ e.pauseNanos)])
                }
            } else if e.kind == .full, let open = cycleStart.removeValue(forKey: heap) {
                // An atomic full collection abandons a running incremental cycle.
                events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
                               "id": open.id, "ts": start, "args": ["abandoned": true]])
            }
            events.append(["name": "live heap (heap \(heap))", "ph": "C", "pid": pid, "ts": us(e.startNanos &+ e.pauseNanos),
                           "args": ["objects": e.liveObjectsAfter, "bytes": e.liveBytesAfter]])
        }
        // A cycle still running when the log ended closes at the last collection.
        let last = log.collections.last.map { us($0.startNanos &+ $0.pauseNanos) } ?? 0
        for (heap, open) in cycleStart.sorted(by: { $0.key < $1.key }) {
            events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
                           "id": open.id, "ts": last, "args": ["unfinished": true]])
        }
        return events
    }

    /// The whole file: `{"displayTimeUnit": "ms", "traceEvents": [...]}`.
    public static func json(_ log: EventLogContents) throws -> Data {
        try JSONSerialization.data(withJSONObject: ["displayTimeUnit": "ms", "traceEvents": events(log)], options: [.sortedKeys])
    }
}
