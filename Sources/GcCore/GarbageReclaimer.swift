// Freeing a garbage set found by either collector, with finalizers that may resurrect.
//
// On entry every garbage object has DYING set and its true count (references from
// inside and outside the set). The order follows CPython's handling of unreachable
// objects (PEP 442):
//
//   1. clear weak references to the garbage (nobody can upgrade to a dying object);
//   2. hold every garbage object (+1), run each finalizer that has not run yet, drop
//      the holds: a finalizer's releases can never free a garbage object under us;
//   3. if any finalizer ran, look for resurrection: count again the references from
//      inside the set; an object held from outside, and all it reaches in the set,
//      is live again (DYING cleared, FINALIZED kept, so it is finalized only once);
//   4. tear the set down: mark every object torn (its borrows refused from now on),
//      drop every payload (references to garbage objects just lower their counts;
//      references to live objects are released and may free them in turn);
//   5. if any payload's drop ran user code (a deinit, a drop or trace function),
//      check that every garbage object's count is now 0, then free every slot.
//
// Steps 4 and 5 are what keep user code from reaching freed memory. A deinit runs
// while its siblings are torn, so reading one (whose payload may be gone) stops the
// process with a message instead. A deinit that kept a sibling (copied or moved a
// reference out), or a trace that reported a reference its value does not hold (a
// field twice: trial deletion then subtracts a live object's outside count and
// takes it for garbage), leaves a count that no garbage payload explains; the check
// stops the process before that slot is freed and reused. Under honest traces and
// deinits, every count is 0 here: the set's payloads held all its references.

struct CollectionStats {
    var phaseNanos = [UInt64](repeating: 0, count: GcPhase.allCases.count)
    var roots = 0
    var visited = 0
    var freedObjects = 0
    var freedBytes = 0
    var finalized = 0
    var resurrected = 0

    mutating func lap(_ phase: GcPhase, _ start: inout UInt64, _ now: UInt64) {
        phaseNanos[phase.rawValue] &+= now &- start
        start = now
    }

    /// Charges to `.other` the part of `collectionStart ..< now` that no phase has
    /// timed yet (the collectors time their phases with laps of their own, and what
    /// lies between them — set-up, epoch bookkeeping — belongs to none), and moves
    /// `lapStart` to `now`: from here on, laps continue without gaps.
    mutating func lapRemainder(from collectionStart: UInt64, _ lapStart: inout UInt64, _ now: UInt64) {
        let timed = phaseNanos.reduce(0, &+)
        let elapsed = now &- collectionStart
        if elapsed > timed { phaseNanos[GcPhase.other.rawValue] &+= elapsed &- timed }
        lapStart = now
    }
}

extension HeapCore {
    /// `countsRestored: false` (minor collections only, see `minorCollection`): the
    /// garbage is all of plain types without finalizers, and its references to young
    /// cyclic objects were subtracted and not given back, so the sweep skips them.
    func reclaim(_ garbage: RefStack, _ stats: inout CollectionStats, countsRestored: Bool = true) {
        guard !garbage.isEmpty else { return }
        var start = now
        var finalizable = 0
        for i in 0..<garbage.count {
            let object = garbage[i]
            if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
            if object.has(ObjectHeader.hasFinalizer) && !object.has(ObjectHeader.finalized) {
                finalizable += 1
            }
        }
        var dead = garbage
        if finalizable > 0 {
            for i in 0..<garbage.count {
                // The hold must not carry into the type bits.
                if garbage[i].count == UInt32(ObjectHeader.maxCount) {
                    fatalError("HakoGC: reference count overflow while finalizing")
                }
                garbage[i].addCount(1)
            }
            for i in 0..<garbage.count {
                let object = garbage[i]
                if object.has(ObjectHeader.hasFinalizer) && !object.has(ObjectHeader.finalized) {
                    object.set(ObjectHeader.finalized)
                    runFinalizer(descriptor(of: object), object)
                    stats.finalized += 1
                }
            }
            for i in 0..<garbage.count { garbage[i].addCount(-1) }
            dead = removeResurrected(garbage, &stats)
        }
        stats.lap(.finalize, &start, now)

        let wasDraining = draining
        draining = true
        // User code runs in the drops only if some object is not of a plain type;
        // all-plain garbage (the common case for `.referencesOnly` types) skips the
        // teardown checks. Garbage whose counts were not restored is all plain.
        let userDrops = countsRestored && containsUserDrops(dead)
        if userDrops { tearDown(dead) }
        for i in 0..<dead.count {
            let object = dead[i]
            // A finalizer may have made a new weak reference to a garbage object.
            if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
            if object.has(ObjectHeader.buffered) { removeCandidate(object) }
            dropGarbagePayload(object, countsRestored: countsRestored, releasingGarbage: userDrops)
            poisonDroppedPayload(object)
        }
        if userDrops {
            for i in 0..<dead.count { checkTornDown(dead[i]) }
        }
        var tally = FreeTally(epoch: hot.pointee.epoch)
        for i in 0..<dead.count {
            stats.freedBytes += freeSlot(dead[i], into: &tally)
        }
        tally.commit(to: hot)
        stats.freedObjects += dead.count
        freedByCollector += dead.count
        draining = wasDraining
        stats.lap(.sweep, &start, now)
    }

    /// Step 4 for one object. For plain types, references to other garbage are
    /// skipped: those objects are freed in this sweep whatever their counts say, so
    /// only references leaving the garbage set are released. With
    /// `countsRestored: false` (the minor collection skipped its restore; the object
    /// is then of a plain type), references to objects in the minor collection's
    /// scope are skipped too: their counts never got them back.
    /// With `releasingGarbage` (a teardown that checks counts afterwards), plain
    /// objects release their references to garbage too, so that every count of the
    /// set reaches 0.
    @inline(__always)
    private func dropGarbagePayload(_ object: ObjectRef, countsRestored: Bool, releasingGarbage: Bool) {
        let info = fastTable + object.typeIndex
        guard info.pointee.plain else {
            dropPayload(object)
            return
        }
        let payload = object.payload
        let offsets = info.pointee.offsets
        for i in 0..<info.pointee.offsetCount {
            if let child = ObjectRef(bits: payload.load(fromByteOffset: offsets[i], as: UInt.self)),
               releasingGarbage || !child.has(ObjectHeader.dying), countsRestored || !inMinorScope(child) {
                checkSameHeap(child, object)
                release(child)
            }
        }
    }

    /// Whether dropping some object of `garbage` calls user code (its type is not
    /// plain: a Swift deinit, a drop or a trace function).
    private func containsUserDrops(_ garbage: RefStack) -> Bool {
        for i in 0..<garbage.count where !(fastTable + garbage[i].typeIndex).pointee.plain { return true }
        return false
    }

    /// Step 4's first half: every object of the set is torn before any payload is
    /// dropped. An object being read or mutated cannot be garbage (something holds
    /// the handle it is borrowed through), so finding one means the counts were
    /// lied to: stop before dropping anything.
    func tearDown(_ garbage: RefStack) {
        for i in 0..<garbage.count {
            let object = garbage[i]
            if object.bits0 & (ObjectHeader.mutating | ObjectHeader.borrowMask) != 0 { garbageInUse(object) }
            object.set(ObjectHeader.torn)
        }
    }

    /// Step 5 for one object, after every payload of its set was dropped: its count
    /// must be 0, and a weak reference made to it by a deinit is cleared.
    @inline(__always)
    func checkTornDown(_ object: ObjectRef) {
        if object.count != 0 { garbageStillReferenced(object) }
        if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
    }

    /// ASan builds: a dropped garbage payload is poisoned at once (not only when its
    /// slot is freed), so user code that reads one during the teardown is reported.
    @inline(__always)
    func poisonDroppedPayload(_ object: ObjectRef) {
        #if HAKOGC_ASAN
        AddressSanitizer.poison(object.payload, bytes: allocator.slotBytes(of: object) - ObjectHeader.size)
        #endif
    }

    @inline(never)
    func garbageInUse(_ object: ObjectRef) -> Never {
        fatalError("HakoGC: an object of type \(descriptor(of: object).takeUnretainedValue().name) was found garbage while it is being read or mutated: some type's trace function reports a reference its value does not hold (a field visited twice, or a reference owned elsewhere)")
    }

    @inline(never)
    func garbageStillReferenced(_ object: ObjectRef) -> Never {
        fatalError("HakoGC: an object of type \(descriptor(of: object).takeUnretainedValue().name) is still referenced after its garbage set was torn down (count \(object.count)): either a trace function reports a reference its value does not hold (a field visited twice, or a reference owned elsewhere), so a live object was taken for garbage, or a deinit kept a reference to another object of its own garbage cycle. Its payload is destroyed; the process stops before its memory is reused")
    }

    /// Step 3: returns the objects still dead after finalizers ran.
    private func removeResurrected(_ garbage: RefStack, _ stats: inout CollectionStats) -> RefStack {
        // Scratch count in BUFFER_INDEX (no garbage object is in the candidate buffer:
        // releases of DYING objects never buffer them).
        for i in 0..<garbage.count { garbage[i].bufferIndex = Int(garbage[i].count) }
        for i in 0..<garbage.count {
            traceChildren(of: garbage[i], .subtractWithinGarbage)
        }
        for i in 0..<garbage.count where garbage[i].bufferIndex > 0 && garbage[i].has(ObjectHeader.dying) {
            let root = garbage[i]
            root.clear(ObjectHeader.dying)
            workStack.push(root)
            while let object = workStack.pop() {
                stats.resurrected += 1
                traceChildren(of: object, .resurrect)
            }
        }
        resurrections += stats.resurrected
        guard stats.resurrected > 0 else { return garbage }
        let dead = RefStack(capacity: garbage.count)
        for i in 0..<garbage.count {
            garbage[i].bufferIndex = 0
            if garbage[i].has(ObjectHeader.dying) { dead.push(garbage[i]) }
        }
        return dead
    }
}
