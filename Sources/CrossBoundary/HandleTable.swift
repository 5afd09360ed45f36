import CHakoGC
import GcCore

/// The strong handles the C side holds into one heap (JNI-style: one entry per
/// reference, each owning one count).
///
/// A handle is `check << 48 | generation << 32 | (index + 1)`: `check` is a CRC-16
/// of index and generation, xored with a per-heap salt. CRC-16 detects every
/// single-bit error, so a corrupted handle is always refused as forged, and a
/// handle of another heap almost never validates (1 in 65 536). Releasing bumps
/// the entry's generation, so a second release, or any use after it, is stale.
/// An entry released at its last generation (`generationLimit`, 65 535) is retired,
/// never reused: a generation that wrapped would make old handles current again.
/// (Retiring costs one entry per 65 535 handles; the 2³² − 1 indices would outlast
/// any memory.)
///
/// Thread rule: used only by the heap's owner thread (the ABI checks it).
final class HandleTable {
    private struct Entry {
        var object: UInt = 0       // 0 while free
        var generation: UInt16 = 1
        /// The check bits of the handle issued at `generation` (0 until issued):
        /// computed once at issue, so a lookup compares instead of running the CRC.
        var check: UInt16 = 0
        var pinned = false         // the entry also holds one pin
        var bridged = false        // a pin owned by a foreign object (not a root)
        var reached = false        // reported by the foreign side in this collection
        var readonly = false       // issued read-only: writes through it are refused
    }
    // Owner thread only (checked by the ABI), so run-time exclusivity checks, which
    // cost more than the lookup itself, are off for these.
    @exclusivity(unchecked) private var entries: [Entry] = []
    @exclusivity(unchecked) private var free: [UInt32] = []
    @exclusivity(unchecked) private(set) var live = 0
    private let salt: UInt16
    /// The last generation an entry may have (a parameter so tests can reach it).
    let generationLimit: UInt16

    init(salt: UInt16, generationLimit: UInt16 = .max) {
        self.salt = salt
        self.generationLimit = generationLimit
    }

    /// CRC-16/CCITT (polynomial 0x1021) table, one step per byte. A plain pointer,
    /// allocated once and never freed: no array retain, release or bounds check in
    /// the loop.
    // SAFETY: written once in the initializer (swift_once publishes it), read-only after.
    nonisolated(unsafe) private static let crcTable: UnsafePointer<UInt16> = {
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for byte in 0..<256 {
            var crc = UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
            table[byte] = crc
        }
        return UnsafePointer(table)
    }()

    /// CRC-16/CCITT of the low `bytes` bytes of `word` (no salt; heap handles use it too).
    static func crc16(word: UInt64, bytes: Int) -> UInt16 {
        let table = crcTable
        var crc: UInt16 = 0xFFFF
        for byte in 0..<bytes {
            let b = UInt8(truncatingIfNeeded: word >> (byte * 8))
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ b)]
        }
        return crc
    }

    /// CRC-16 of the 6 bytes (index, generation), xored with the salt.
    func check(_ index: UInt32, _ generation: UInt16) -> UInt16 {
        check(word: UInt64(index) | UInt64(generation) << 32, bytes: 6)
    }

    /// CRC-16 of the low `bytes` bytes of `word`, xored with the salt (weak handles
    /// use it over 8 bytes).
    func check(word: UInt64, bytes: Int) -> UInt16 {
        HandleTable.crc16(word: word, bytes: bytes) ^ salt
    }

    /// What a handle names: its object, and what the entry records about the handle
    /// (a pin, read-only). The value's flags are checked against these, never
    /// trusted in their place: a caller can flip a flag, not an entry.
    enum Lookup { case object(ObjectRef, pinned: Bool, readonly: Bool), stale, forged }

    /// A new handle owning one count the caller already took on `object`.
    func adopt(_ object: ObjectRef, pinned: Bool = false, bridged: Bool = false, readonly: Bool = false) -> UInt64 {
        let index: UInt32
        if let reused = free.popLast() {
            index = reused
        } else {
            index = UInt32(entries.count)
            entries.append(Entry())
        }
        entries[Int(index)].object = object.bits
        entries[Int(index)].pinned = pinned
        entries[Int(index)].bridged = bridged
        entries[Int(index)].reached = false
        entries[Int(index)].readonly = readonly
        live += 1
        let generation = entries[Int(index)].generation
        let check = check(index, generation)
        entries[Int(index)].check = check
        return UInt64(check) << 48 | UInt64(generation) << 32 | UInt64(index + 1)
    }

    func lookup(_ handle: UInt64) -> Lookup {
        let low = UInt32(truncatingIfNeeded: handle)
        guard low != 0, Int(low - 1) < entries.count else { return .forged }
        let generation = UInt16(truncatingIfNeeded: handle >> 32)
        let entry = entries.withUnsafeBufferPointer { $0[Int(low - 1)] }  // index checked above
        // The live handle of this entry carries exactly the check stored at its issue:
        // the same answer as running the CRC, without it (~100 instructions).
        if generation == entry.generation, UInt16(truncatingIfNeeded: handle >> 48) == entry.check,
           let object = ObjectRef(bits: entry.object) {
            return .object(object, pinned: entry.pinned, readonly: entry.readonly)
        }
        guard UInt16(truncatingIfNeeded: handle >> 48) == check(low - 1, generation) else { return .forged }
        // A checksummed handle this entry issued before: released since.
        return .stale
    }

    /// Live handles of `object`: plain (strong or pinned) and bridged. Walks the
    /// table: for leak reports.
    func handleCounts(of object: ObjectRef) -> (strong: Int, bridged: Int) {
        var strong = 0, bridged = 0
        for e in entries where e.object == object.bits {
            if e.bridged { bridged += 1 } else { strong += 1 }
        }
        return (strong, bridged)
    }

    /// Whether `handle` (valid) is a bridged pin; marks it reached if so.
    func reach(_ handle: UInt64) -> Bool {
        let index = Int(UInt32(truncatingIfNeeded: handle) - 1)
        guard entries[index].bridged else { return false }
        entries[index].reached = true
        return true
    }

    /// The objects of every bridged pin (each holds a count and a pin on it), with
    /// the `reached` marks cleared for a new collection.
    func bridgedObjects() -> [ObjectRef] {
        var out: [ObjectRef] = []
        for i in entries.indices where entries[i].bridged {
            entries[i].reached = false
            if let o = ObjectRef(bits: entries[i].object) { out.append(o) }
        }
        return out
    }

    /// Removes the bridged pins nobody reached; returns their objects.
    func removeUnreachedBridged() -> [ObjectRef] {
        var out: [ObjectRef] = []
        for i in entries.indices where entries[i].bridged && !entries[i].reached {
            if let o = ObjectRef(bits: entries[i].object) { out.append(o) }
            clear(i)
        }
        return out
    }

    /// Frees the entry (the caller releases the count and any pin it held).
    func remove(_ handle: UInt64) {
        clear(Int(UInt32(truncatingIfNeeded: handle) - 1))
    }

    /// Empties entry `index` and bumps its generation: its handles are stale now.
    private func clear(_ index: Int) {
        entries[index].object = 0
        entries[index].pinned = false
        entries[index].bridged = false
        entries[index].readonly = false
        live -= 1
        // Every generation used: retired (see the type's comment).
        guard entries[index].generation < generationLimit else { return }
        entries[index].generation += 1
        free.append(UInt32(index))
    }

    /// Every live entry (heap teardown).
    func drain() -> [(ObjectRef, pinned: Bool)] {
        var out: [(ObjectRef, pinned: Bool)] = []
        for i in entries.indices {
            if let object = ObjectRef(bits: entries[i].object) {
                out.append((object, entries[i].pinned))
                clear(i)
            }
        }
        return out
    }
}

/// One heap as the C side sees it. Its owner thread is recorded in its HeapTable
/// slot, where other threads can read it without touching this object.
final class ForeignHeap: @unchecked Sendable {
    let heap: Heap
    let handles: HandleTable
    /// What this heap's weak handles can name (WeakHandle.Limits).
    let weakLimits: WeakHandle.Limits
    /// The foreign collector taking part in full collections, if any.
    var bridge: ForeignBridge?
    /// Calls into this heap in progress (finalizers and callbacks nest them). Owner
    /// thread only (the ABI checks it): no run-time exclusivity check.
    @exclusivity(unchecked) var depth = 0
    /// HGC_MODE_TRUSTED: box handles are object addresses (TrustedExport.swift);
    /// the handle table stays empty.
    let trusted: Bool
    /// Allocators handed out by `hgc_trusted_allocator` (kept until the heap goes).
    var allocators: [TrustedAllocator] = []
    /// A trusted heap's bridged pins (a checked heap keeps them in `handles`).
    let bridgedPins = TrustedBridgedPins()

    init(salt: UInt16, weakLimits: WeakHandle.Limits = .abi, trusted: Bool = false) {
        self.trusted = trusted
        handles = HandleTable(salt: salt)
        self.weakLimits = weakLimits
        // Weak slots retire at the last generation a weak handle can carry, and
        // slots it cannot name are never reused.
        var configuration = HeapConfiguration()
        configuration.weakGenerationLimit = weakLimits.generations
        configuration.weakSlotLimit = weakLimits.slots
        heap = Heap(configuration: configuration)
        // Leak reports name what the C side holds (Heap.leakCheck, HAKOGC_LEAKCHECK).
        heap.rootDescriber = { [unowned self] object in self.describeRoot(object) }
    }

    /// What the C side holds of `object`, for a leak report's holder, or nil.
    func describeRoot(_ object: ObjectRef) -> String? {
        if trusted {
            let bridged = bridgedPins.count(of: object)
            if bridged > 0 { return "\(bridged) bridged pin\(bridged == 1 ? "" : "s") held for a foreign heap (hgc_pin_bridged)" }
            return "values C code did not release (a trusted heap keeps no handle table: from hgc_alloc, hgc_trusted_retain, hgc_load …)"
        }
        let (strong, bridged) = handles.handleCounts(of: object)
        guard strong + bridged > 0 else { return nil }
        var parts: [String] = []
        if strong > 0 { parts.append("\(strong) C handle\(strong == 1 ? "" : "s") not released (hgc_value)") }
        if bridged > 0 { parts.append("\(bridged) bridged pin\(bridged == 1 ? "" : "s") held for a foreign heap") }
        return parts.joined(separator: " and ")
    }
}
