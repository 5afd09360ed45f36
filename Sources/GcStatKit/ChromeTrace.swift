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
/// Times are microseconds (`ts`, `dur`) from the first heap's start. Events are
/// made as the records are read: memory holds each heap's open cycle, not the trace.
public struct ChromeTrace {
    private var origin: UInt64?
    private var pid = 1
    private var namedHeaps: Set<UInt64> = []
    private var cycleStart: [UInt64: (ts: Double, id: Int)] = [:]
    private var nextCycle = 1
    private var lastEnd: Double = 0

    /// The collector's order within a pause: minor, then full, phases; drain, the
    /// bridge's sweep and `other` close it.
    static let order: [GcPhase] = [.markGray, .scan, .collectWhite, .subtractInternal, .markLive, .finalize, .sweep,
                                   .bridgeSweep, .drain, .other]

    public init() {}

    private func us(_ nanos: UInt64) -> Double { Double(Int64(bitPattern: nanos &- (origin ?? 0))) / 1000 }

    /// The events `record` makes (none for most kinds).
    public mutating func events(for record: EventLogRecord) -> [[String: Any]] {
        switch record {
        case let .process(_, _, pid, _, label, _):
            self.pid = pid == 0 ? 1 : pid
            return [["name": "process_name", "ph": "M", "pid": self.pid,
                     "args": ["name": "HakoGC \(label.isEmpty ? "" : label + " ")(pid \(pid))"]]]
        case let .heapStart(_, at):
            if origin == nil { origin = at }
            return []
        case let .collection(e, heap, endsCycle):
            return collection(e, heap: heap, endsCycle: endsCycle)
        default:
            return []
        }
    }

    private mutating func collection(_ e: CollectionEvent, heap: UInt64, endsCycle: Bool) -> [[String: Any]] {
        if origin == nil { origin = e.startNanos }
        var events: [[String: Any]] = []
        if namedHeaps.insert(heap).inserted {
            events.append(["name": "thread_name", "ph": "M", "pid": pid, "tid": heap, "args": ["name": "heap \(heap)"]])
        }
        let start = us(e.startNanos)
        events.append([
            "name": "\(e.kind.rawValue) (\(e.reason.rawValue))", "cat": "gc", "ph": "X", "pid": pid, "tid": heap,
            "ts": start, "dur": Double(e.pauseNanos) / 1000,
            "args": ["sequence": e.sequence, "freedObjects": e.freedObjects, "freedBytes": e.freedBytes,
                     "liveObjectsBefore": e.liveObjectsBefore, "liveObjectsAfter": e.liveObjectsAfter,
                     "roots": e.roots, "visited": e.visited],
        ])
        var at = e.startNanos
        for phase in ChromeTrace.order where e.nanos(phase) > 0 {
            events.append(["name": phase.name, "cat": "gc.phase", "ph": "X", "pid": pid, "tid": heap,
                           "ts": us(at), "dur": Double(e.nanos(phase)) / 1000])
            at &+= e.nanos(phase)
        }
        let end = us(e.startNanos &+ e.pauseNanos)
        lastEnd = end
        if e.kind == .fullSlice {
            if cycleStart[heap] == nil {
                cycleStart[heap] = (start, nextCycle)
                nextCycle += 1
                events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "b", "pid": pid, "tid": heap,
                               "id": cycleStart[heap]!.id, "ts": start])
            }
            if endsCycle, let open = cycleStart.removeValue(forKey: heap) {
                events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
                               "id": open.id, "ts": end])
            }
        } else if e.kind == .full, let open = cycleStart.removeValue(forKey: heap) {
            // An atomic full collection abandons a running incremental cycle.
            events.append(["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
                           "id": open.id, "ts": start, "args": ["abandoned": true]])
        }
        events.append(["name": "live heap (heap \(heap))", "ph": "C", "pid": pid, "ts": end,
                       "args": ["objects": e.liveObjectsAfter, "bytes": e.liveBytesAfter]])
        return events
    }

    /// The events that close the trace: a cycle still running when the log ended
    /// closes at the last collection.
    public mutating func finish() -> [[String: Any]] {
        defer { cycleStart = [:] }
        return cycleStart.sorted { $0.key < $1.key }.map { heap, open in
            ["name": "incremental full collection", "cat": "gc.cycle", "ph": "e", "pid": pid, "tid": heap,
             "id": open.id, "ts": lastEnd, "args": ["unfinished": true]]
        }
    }

    /// The whole file, `{"displayTimeUnit":"ms","traceEvents":[...]}`, handed to
    /// `write` in pieces as the log at `path` is read.
    /// - Throws: `EventLogError`, or what `write` throws.
    public static func stream(path: String, _ write: (Data) throws -> Void) throws {
        var trace = ChromeTrace()
        var first = true
        func emit(_ events: [[String: Any]]) throws {
            for e in events {
                var piece = Data(first ? #"{"displayTimeUnit":"ms","traceEvents":["# .utf8 : ",".utf8)
                piece.append(contentsOf: ChromeTrace.json(e).utf8)
                try write(piece)
                first = false
            }
        }
        try EventLogRecords.forEach(path: path) { try emit(trace.events(for: $0)) }
        try emit(trace.finish())
        try write(Data((first ? #"{"displayTimeUnit":"ms","traceEvents":[]}"# : "]}").utf8))
    }

    /// A JSON value of an event, keys sorted: strings, integers, finite doubles
    /// (others as 0), booleans and objects of them — what `events(for:)` makes.
    /// Written here because Foundation's JSONSerialization took 113 s for the 1.8
    /// million events of 600 000 collections, and this takes 16 s (release build).
    static func json(_ value: Any) -> String {
        switch value {
        case let s as String:
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where u.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let u as UInt64: return String(u)
        case let d as Double: return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)") : "0"
        case let o as [String: Any]:
            return "{" + o.keys.sorted().map { json($0) + ":" + json(o[$0]!) }.joined(separator: ",") + "}"
        default: return "null"
        }
    }

    /// The whole file in memory (for tests and small logs).
    public static func json(path: String) throws -> Data {
        var out = Data()
        try stream(path: path) { out.append($0) }
        return out
    }
}
