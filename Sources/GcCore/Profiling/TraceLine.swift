import Glibc

/// `HAKOGC_TRACE=1`: one line per collection on standard error, in the spirit of
/// Go's `gctrace` (docs/profiling.md, "HAKOGC_TRACE", documents every field):
///
///     hakogc: heap 1 gc 12 @0.532s minor/allocationVolume pause 0.123ms [mark-gray 0.010 scan 0.020 sweep 0.050 drain 0.030 other 0.008] live 1234->567 objects 12.3->5.6 MB freed 667 objects 6.7 MB mutator 98.7%
///
/// Times in the brackets are milliseconds, phases with no time left out; `live`
/// is objects and megabytes (10⁶ bytes of slots) before and after; `mutator` is the
/// share of the time since the previous collection of this heap ended that the
/// program ran outside collections. Written after the pause, on the heap's owner
/// thread, with one `write` call (lines from several heaps do not interleave).
enum TraceLine {
    static func write(heapID: UInt64, _ e: CollectionEvent, sinceStart: UInt64, mutatorNanos: UInt64) {
        var bytes = Array(format(heapID: heapID, e, sinceStart: sinceStart, mutatorNanos: mutatorNanos).utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The line for one collection, newline included.
    static func format(heapID: UInt64, _ e: CollectionEvent, sinceStart: UInt64, mutatorNanos: UInt64) -> String {
        var line = "hakogc: heap \(heapID) gc \(e.sequence) @\(fixed(Double(sinceStart) / 1e9, 3))s "
        line += "\(e.kind.rawValue)/\(e.reason.rawValue) pause \(fixed(Double(e.pauseNanos) / 1e6, 3))ms ["
        var phases: [String] = []
        for phase in GcPhase.allCases where e.nanos(phase) > 0 {
            phases.append("\(phase.name) \(fixed(Double(e.nanos(phase)) / 1e6, 3))")
        }
        line += phases.joined(separator: " ") + "] "
        line += "live \(e.liveObjectsBefore)->\(e.liveObjectsAfter) objects "
        line += "\(fixed(Double(e.liveBytesBefore) / 1e6, 1))->\(fixed(Double(e.liveBytesAfter) / 1e6, 1)) MB "
        line += "freed \(e.freedObjects) objects \(fixed(Double(e.freedBytes) / 1e6, 1)) MB "
        let total = mutatorNanos &+ e.pauseNanos
        let utilisation = total == 0 ? 100 : 100 * Double(mutatorNanos) / Double(total)
        line += "mutator \(fixed(utilisation, 1))%\n"
        return line
    }

    /// `value` with `digits` decimals, without Foundation.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        guard value.isFinite, abs(value * scale) < 9e18 else { return "\(value)" }  // a reader's damaged log
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        guard digits > 0 else { return "\(whole)" }
        let f = String(fraction)
        return "\(scaled < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: digits - f.count) + f
    }
}

extension CollectionEvent {
    /// This event as a `HAKOGC_TRACE` line (newline included): `heapID` is the
    /// heap's id in its process, `sinceStart` nanoseconds from the heap's start to the
    /// event's end, `mutatorNanos` the time between the previous collection's end and
    /// this one's start. For readers of logs (`gcstat trace`). Pure; any thread.
    public func traceLine(heapID: UInt64, sinceStart: UInt64, mutatorNanos: UInt64) -> String {
        TraceLine.format(heapID: heapID, self, sinceStart: sinceStart, mutatorNanos: mutatorNanos)
    }
}
