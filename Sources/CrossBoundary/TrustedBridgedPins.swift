import GcCore

/// The bridged pins of a trusted heap (`hgc_pin_bridged`). A checked heap records
/// each in its handle entry; a trusted value is only an address, so two bridged pins
/// of one object look alike: they are kept as a count per object, and a joint
/// collection counts how many of them the foreign side reached
/// (`hgc_bridge_reach`), releasing the rest. That is the same outcome as per-handle
/// bookkeeping, since a foreign object reaches each pin it holds once per marking.
///
/// Thread rule: the heap's owner thread (the ABI checks it for the calls that get
/// here).
final class TrustedBridgedPins {
    private var pins: [UInt: (count: Int, reached: Int)] = [:]

    func add(_ object: ObjectRef) { pins[object.bits, default: (0, 0)].count += 1 }

    func count(of object: ObjectRef) -> Int { pins[object.bits]?.count ?? 0 }

    /// One of `object`'s bridged pins was reached; false if it has none.
    func reach(_ object: ObjectRef) -> Bool {
        guard let entry = pins[object.bits] else { return false }
        pins[object.bits] = (entry.count, min(entry.count, entry.reached + 1))
        return true
    }

    /// The counts that bridged pins hold (each pin: one count and one pin count),
    /// with the reached marks cleared for a new collection.
    func references() -> [(object: ObjectRef, count: Int)] {
        for key in pins.keys { pins[key]!.reached = 0 }
        return pins.map { (object: ObjectRef(bits: $0.key)!, count: 2 * $0.value.count) }
    }

    /// Removes the pins no marked foreign object reached: one entry per pin removed.
    func removeUnreached() -> [ObjectRef] {
        var out: [ObjectRef] = []
        for (key, entry) in pins where entry.reached < entry.count {
            out += Array(repeating: ObjectRef(bits: key)!, count: entry.count - entry.reached)
            pins[key] = entry.reached == 0 ? nil : (entry.reached, 0)
        }
        return out
    }

    /// Removes one bridged pin of `object` (`hgc_unpin` of a bridged pinned value).
    func removeOne(_ object: ObjectRef) {
        guard let entry = pins[object.bits] else { return }
        pins[object.bits] = entry.count == 1 ? nil : (entry.count - 1, min(entry.reached, entry.count - 1))
    }

    /// Every pin, for heap teardown: one entry per pin.
    func drain() -> [ObjectRef] {
        defer { pins = [:] }
        return pins.flatMap { Array(repeating: ObjectRef(bits: $0.key)!, count: $0.value.count) }
    }
}
