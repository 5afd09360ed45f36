// The heap verifier: a walk of every page that checks the heap's own invariants,
// after each collection when `HAKOGC_VERIFY=1` (or `HeapConfiguration.verify`), and
// on `Heap.verify()`. Off by default; when off it costs one test per collection.
// Models: cppgc's MarkingVerifier, CPython's `validate_list`.
//
// | rule            | what must hold (outside a collection)                                    |
// |-----------------|--------------------------------------------------------------------------|
// | page            | a small page: bump ≤ end, on a slot boundary; live count = its allocated  |
// |                 | slots; a large page holds one object                                     |
// | free list       | every entry a slot of its page below the bump, free (word 0 = 0), met    |
// |                 | once; entries + live count = slots handed out                            |
// | counters        | the heap's live objects and bytes = what the walk found                  |
// | type            | every allocated slot's type index is registered                          |
// | collector bits  | no gray or white colour, MARKED, BARRIER or DYING left over (an           |
// |                 | incremental full collection between slices may hold them: not checked)    |
// | buffered        | BUFFERED ⇔ the candidate buffer holds the object at its BUFFER_INDEX;    |
// |                 | every buffer entry an allocated object                                   |
// | reference       | every reference a payload holds is an allocated object of this heap      |
// | count           | count ≥ references from heap objects + pins                              |
// | weak            | every weak slot's target is allocated, with HAS_WEAK; every HAS_WEAK      |
// |                 | object has a slot                                                        |
// | pin             | PINNED ⇔ the pin table has a count > 0 for the object; every pinned      |
// |                 | address is an allocated object                                           |
//
// A payload under an exclusive borrow (MUTATING) is not read: Swift may be half-way
// through an assignment there (the collector skips it for the same reason,
// Tracer.swift). The verifier reads no memory outside this heap's pages: a
// reference is checked against the page list before its header is read. Trace
// functions run in record mode inside the user-trace window, so one that tries to
// change the heap stops as it would under a collection.

/// A rule the heap verifier found broken (HeapVerifier.swift has the table).
/// A plain value; any thread.
public struct HeapViolation: CustomStringConvertible, Sendable, Equatable {
    public enum Rule: String, Sendable, CaseIterable {
        case page, freeList = "free list", counters, type, collectorBits = "collector bits", buffered
        case reference, count, weak, pin
    }
    public let rule: Rule
    /// The object's header address (0 when the rule is about a page or the heap).
    public let object: UInt
    /// Its type's name, when its header names a registered type.
    public let typeName: String?
    public let detail: String

    public var description: String {
        let what = object == 0 ? "" : " object 0x\(String(object, radix: 16))\(typeName.map { " (\($0))" } ?? ""):"
        return "HakoGC heap verifier: \(rule.rawValue):\(what) \(detail)"
    }
}

/// One verification of one heap: owns its scratch state (the page set, the
/// references counted to each object) for the duration of `run()`. Owner thread of
/// the heap; never inside a collection.
final class HeapVerifier {
    private let core: HeapCore
    private var violations: [HeapViolation] = []
    /// Each page's first index in `inbound` (its slots follow in address order).
    private var firstSlot: [UInt: Int] = [:]
    /// References from heap objects, then pins, per slot of every page. A flat
    /// array, not a dictionary by address: the walk counts every reference of the
    /// heap, and a dictionary made a 131 072-object heap take 34 ms a walk.
    private var inbound: [Int32] = []
    /// The last page `slotIndex` found, and its first index.
    private var lastPage: UInt = 0
    private var lastFirst = 0
    /// The addresses weak slots name (filled before the object walk).
    private var weakTargets: Set<UInt> = []
    /// References of the object being checked, reused across objects.
    private let scratch = RefStack(capacity: 64)
    /// An incremental full collection is between slices: its bits are in use.
    private let midCycle: Bool
    /// Stop after this many (a broken heap can break a rule for every object).
    private let limit: Int
    /// Registered types (read once: the registry's count takes its lock).
    private let typeCount: Int

    init(core: HeapCore, limit: Int = 100) {
        self.core = core
        self.midCycle = core.incremental != nil
        self.limit = limit
        self.typeCount = core.registry.count
    }

    /// Checks every rule; returns what is broken (empty for a sound heap).
    func run() -> [HeapViolation] {
        let pages = core.allocator.pageSnapshot()
        var slots = 0
        for page in pages {
            firstSlot[page.bits] = slots
            // Slots handed out (below the bump), not the page's capacity: the array
            // is made for every verification, and most pages of a small heap are
            // mostly unused.
            slots += page.isLarge ? 1 : max(0, (min(Int(page.bump), Page.size) - Page.headerSize) / max(Int(page.slotSize), ObjectHeader.size))
        }
        inbound = Array(repeating: 0, count: slots)
        checkWeakSlots()
        var objects = 0, bytes = 0
        for page in pages {
            var allocated = 0
            page.forEachObject { object in
                allocated += 1
                bytes += core.allocator.slotBytes(of: object)
                checkObject(object)
            }
            objects += allocated
            checkPage(page, allocated: allocated)
        }
        if objects != core.liveObjects || bytes != core.liveBytes {
            report(.counters, nil, "the heap counts \(core.liveObjects) live objects, \(core.liveBytes) bytes; its pages hold \(objects), \(bytes)")
        }
        checkCandidates()
        checkPins()
        checkCounts(pages)
        return violations
    }

    // MARK: Rules

    /// `allocated`: the objects the walk found on the page.
    private func checkPage(_ page: Page, allocated: Int) {
        // Formatted only for a report: this runs for every page of every verification.
        var address: String { "page 0x\(String(page.bits, radix: 16))" }
        if page.isLarge {
            let object = ObjectRef(page.base + Page.headerSize)
            let live: UInt32 = object.bits0 != 0 ? 1 : 0
            if page.liveCount != live { report(.page, nil, "\(address) (large) has live count \(page.liveCount), holds \(live) objects") }
            return
        }
        let size = Int(page.slotSize)
        guard size >= ObjectHeader.size, size % 16 == 0, page.bump <= page.end, Int(page.end) <= Page.size,
              (Int(page.bump) - Page.headerSize) % size == 0 else {
            report(.page, nil, "\(address): slot size \(page.slotSize), bump \(page.bump), end \(page.end) are not a page's")
            return
        }
        if Int(page.liveCount) != allocated { report(.page, nil, "\(address) has live count \(page.liveCount), holds \(allocated) objects") }
        // A loop in the list is caught by counting: more entries than free slots.
        let freeSlots = page.slotCount - allocated
        var free = 0
        var entry = page.freeList
        while entry != 0 {
            let offset = Int(bitPattern: entry &- page.bits)
            guard entry & ~Page.mask == page.bits, offset >= Page.headerSize, offset < Int(page.bump), (offset - Page.headerSize) % size == 0 else {
                report(.freeList, nil, "\(address): entry 0x\(String(entry, radix: 16)) is not a slot of the page below its bump")
                return
            }
            let slot = ObjectRef(bits: entry).unsafelyUnwrapped
            if slot.bits0 != 0 { report(.freeList, slot.bits, "is on its page's free list but allocated"); return }
            free += 1
            guard free <= freeSlots else {
                report(.freeList, nil, "\(address): more entries than its \(freeSlots) free slots (an entry met twice: a loop)")
                return
            }
            entry = UInt(truncatingIfNeeded: slot.bits1)
        }
        if free + Int(page.liveCount) != page.slotCount {
            report(.freeList, nil, "\(address): \(free) free entries and \(page.liveCount) live of \(page.slotCount) slots handed out")
        }
    }

    private func checkObject(_ object: ObjectRef) {
        let bits = object.bits0
        guard object.typeIndex > 0 && object.typeIndex <= typeCount else {
            report(.type, object.bits, "type index \(object.typeIndex) is not registered (\(typeCount) types)")
            return
        }
        if !midCycle {
            let color = object.color
            if color == .gray || color == .white { report(.collectorBits, object.bits, "colour \(color) outside a collection") }
            if bits & (ObjectHeader.marked | ObjectHeader.barrier | ObjectHeader.dying) != 0 {
                for (flag, name) in [(ObjectHeader.marked, "MARKED"), (ObjectHeader.barrier, "BARRIER"), (ObjectHeader.dying, "DYING")]
                where bits & flag != 0 {
                    report(.collectorBits, object.bits, "\(name) outside a collection")
                }
            }
        }
        if bits & ObjectHeader.buffered != 0 {
            let i = object.bufferIndex
            if i >= core.candidates.count || core.candidates[i] != object {
                report(.buffered, object.bits, "BUFFERED at index \(i), but the candidate buffer (\(core.candidates.count) entries) holds another object there")
            }
        }
        if bits & ObjectHeader.pinned != 0, (core.pinCounts[object.bits] ?? 0) <= 0 {
            report(.pin, object.bits, "PINNED, but the pin table has no count for it")
        }
        if bits & ObjectHeader.hasWeak != 0 && !weakTargets.contains(object.bits) {
            report(.weak, object.bits, "HAS_WEAK, but no weak slot refers to it")
        }
        guard bits & ObjectHeader.mutating == 0 && bits & ObjectHeader.dying == 0 else { return }
        scratch.removeAll()
        recordReferences(of: object)
        for i in 0..<scratch.count {
            let child = scratch[i]
            guard let slot = slotIndex(of: child) else {
                report(.reference, object.bits, "holds 0x\(String(child.bits, radix: 16)), which is not an allocated object of this heap")
                continue
            }
            inbound[slot] &+= 1
        }
    }

    private func checkCandidates() {
        for i in 0..<core.candidates.count {
            let object = core.candidates[i]
            guard isAllocated(object) else {
                report(.buffered, object.bits, "candidate buffer entry \(i) is not an allocated object")
                continue
            }
            if !object.has(ObjectHeader.buffered) || object.bufferIndex != i {
                report(.buffered, object.bits, "candidate buffer entry \(i), but BUFFERED is \(object.has(ObjectHeader.buffered)) at index \(object.bufferIndex)")
            }
        }
    }

    /// Pins (added to `inbound`) and PINNED agree; every pinned address is allocated.
    private func checkPins() {
        for (address, n) in core.pinCounts {
            guard let object = ObjectRef(bits: address), let slot = slotIndex(of: object) else {
                report(.pin, address, "the pin table holds \(n) pins for it, but it is not an allocated object")
                continue
            }
            if n <= 0 || !object.has(ObjectHeader.pinned) {
                report(.pin, address, "the pin table holds \(n) pins, PINNED is \(object.has(ObjectHeader.pinned))")
            }
            inbound[slot] &+= Int32(clamping: max(n, 0))
        }
    }

    private func checkCounts(_ pages: [Page]) {
        // Objects under an exclusive borrow were not traced: their references are not
        // counted, which only lowers what a count must cover.
        for page in pages {
            let first = firstSlot[page.bits]!, size = max(Int(page.slotSize), ObjectHeader.size)
            page.forEachObject { object in
                let slot = first + (page.isLarge ? 0 : (Int(object.bits - page.bits) - Page.headerSize) / size)
                guard slot < inbound.count else { return }  // a page's geometry is broken: its own rule reports it
                let n = Int(inbound[slot])
                guard n > Int(object.count) else { return }
                let pins = core.pinCounts[object.bits] ?? 0
                report(.count, object.bits, "count \(object.count) is below its \(n - pins) references from heap objects and \(pins) pins")
            }
        }
    }

    private func checkWeakSlots() {
        core.weakTable.forEachTarget { address in
            weakTargets.insert(address)
            guard let object = ObjectRef(bits: address), isAllocated(object) else {
                report(.weak, address, "a weak slot refers to it, but it is not an allocated object")
                return
            }
            if !object.has(ObjectHeader.hasWeak) { report(.weak, address, "a weak slot refers to it, but HAS_WEAK is clear") }
        }
    }

    // MARK: Helpers

    /// Whether `object` is the header of an allocated slot of this heap. Reads
    /// nothing outside its pages.
    func isAllocated(_ object: ObjectRef) -> Bool { slotIndex(of: object) != nil }

    /// `object`'s index in `inbound` when it is the header of an allocated slot of
    /// this heap, else nil. Reads nothing outside its pages.
    private func slotIndex(of object: ObjectRef) -> Int? {
        let address = object.bits
        guard address & 15 == 0 else { return nil }
        let pageBits = address & ~Page.mask
        let first: Int
        if pageBits == lastPage {
            first = lastFirst  // most references stay on the page of the last one
        } else {
            guard let found = firstSlot[pageBits] else { return nil }
            (lastPage, lastFirst) = (pageBits, found)
            first = found
        }
        let page = Page.of(object)
        if page.isLarge { return address == page.bits + UInt(Page.headerSize) && object.bits0 != 0 ? first : nil }
        let offset = Int(address - page.bits) - Page.headerSize
        guard offset >= 0, page.slotSize >= ObjectHeader.size, offset % Int(page.slotSize) == 0,
              address < page.bits + UInt(page.bump), Int(page.bump) <= Page.size, object.bits0 != 0 else { return nil }
        return first + offset / Int(page.slotSize)
    }

    /// Appends the references `object`'s payload holds, as its type reports them, to `scratch`.
    private func recordReferences(of object: ObjectRef) {
        // SAFETY: the registry keeps each registered descriptor retained for the process.
        let trace: TraceFunction? = core.registry.unsafeDescriptor(object.typeIndex)._withUnsafeGuaranteedRef { type in
            guard !type.offsets.isEmpty else { return type.trace }
            for offset in type.offsets {
                if let child = ObjectRef(bits: object.payload.load(fromByteOffset: offset, as: UInt.self)) { scratch.push(child) }
            }
            return nil
        }
        guard let trace else { return }
        // User code: in the trace window, so it can only report.
        let saved = core.beginUserTrace(typeIndex: object.typeIndex)
        defer { core.endUserTrace(saved) }
        Tracer.record(object.payload, with: trace, into: scratch)
    }

    private func report(_ rule: HeapViolation.Rule, _ object: UInt?, _ detail: String) {
        guard violations.count < limit else { return }
        var name: String? = nil
        if let object, object != 0, let ref = ObjectRef(bits: object), isAllocated(ref),
           ref.typeIndex > 0, ref.typeIndex <= typeCount {
            name = core.registry.descriptor(atIndex: ref.typeIndex).name
        }
        violations.append(HeapViolation(rule: rule, object: object ?? 0, typeName: name, detail: detail))
    }
}

extension HeapCore {
    /// Runs the verifier and stops the process with the first violation's message
    /// (and a count of the others) when it finds any.
    func verifyOrStop(after what: String) {
        let violations = HeapVerifier(core: self).run()
        guard let first = violations.first else { return }
        let more = violations.count > 1 ? " (and \(violations.count - 1) more\(violations.count == 100 ? " at least" : ""))" : ""
        fatalError("\(first) — found \(what)\(more)")
    }
}
