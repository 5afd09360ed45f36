// The incremental full collection: the work of FullCollector.swift (count the
// references heap objects hold to each other, roots = what the counts leave over,
// mark from the roots) cut into slices of `fullSliceWork` objects that run between
// allocations. Automatic full collections use it; `collect(.full)` stays atomic.
//
// The cycle's set is every object allocated before it began (birth epoch below
// `cycleStartEpoch`; the start ends two epochs, so all of them are old and none is in
// the candidate buffer). Objects allocated during the cycle are live for it
// (allocated black) and never traced.
//
// | phase     | each slice                                         | barrier (BARRIER set)        |
// |-----------|----------------------------------------------------|------------------------------|
// | rooting   | walks pages from the last: for each set object,    | un-count its references      |
// |           | count its references to set objects into their    | (if counted); BARRIER stays  |
// |           | BUFFER_INDEX; colour gray ("counted"), BARRIER     |                              |
// | switching | walks the pages as they were at its start: a set   | shade (mark, gray) its       |
// |           | object with count > counted is a root (gray);      | children; clear the bit once |
// |           | traces gray objects                                | it is checked or marked      |
// | marking   | traces gray objects: marks their unmarked set      | shade its children; clear    |
// |           | children; clears BARRIER ("traced")                |                              |
// | gathering | (garbage with finalizers to run) walks pages:      | garbage reaching count 0:    |
// |           | each unmarked set object is garbage, DYING; then   | gathered too, slot kept      |
// |           | GarbageReclaimer.swift takes the set in one go     |                              |
// | sweeping  | (otherwise) walks pages: each unmarked set object  | garbage reaching count 0:    |
// |           | is garbage: DYING, weak references cleared, payload| swept too, slot kept         |
// |           | dropped; its slot stays allocated                  |                              |
// | freeing   | walks pages: frees the swept garbage's slots,      | —                            |
// |           | clears MARKED on the survivors                     |                              |
//
// Garbage is freed in two walks because garbage objects refer to each other: a slot
// may be freed (and reused) only once no garbage payload can still refer to it, that
// is once every garbage payload is dropped. Garbage with finalizers to run is not
// swept lazily: PEP 442 resurrection needs the whole set, so it is gathered in slices
// and reclaimed in one pause that grows with that garbage (not with the heap).
//
// The barrier runs before a BARRIER object's references can change: `mutate` and
// every exclusive borrow (ObjectRef+Borrow.swift), `Heap.storeReference`, and the
// object's destruction; during switching, a release (count > 1) of an object not
// checked yet shades it (`releasedDuringCollection`). It costs nothing on those paths
// otherwise: BARRIER joins bits they test already.
//
// Why it is sound:
// - Rooting: the counted references to X are exactly the current references from
//   counted objects, because a counted object's references change only after the
//   barrier un-counted them. So count − counted is held by handles, pins and objects
//   whose references are not counted (not scanned yet, being mutated, born during
//   the cycle): X is a root. Missing a reference only makes one more root.
// - Switching: objects are checked at different times while the program runs. After
//   rooting, counted never grows, so count − counted shrinks only by a release, and a
//   release of an object not checked yet shades it; a counted reference removed
//   meanwhile shades its target through the barrier. So every object that was a root
//   when switching began is marked.
// - Marking: snapshot at the beginning (Yuasa). Everything reachable when switching
//   began gets marked, because a path can only be cut by removing a reference, and
//   the barrier shades the old targets first. New objects are live; a weak upgrade or
//   a finalizer's resurrection of a set object shades it (the two ways to reach an
//   object that was unreachable).
// - Slots: a gray object may die before it is traced. Its slot is then free (word 0
//   is 0) or reused by an object born during the cycle (not in the set), which the
//   marker skips; pages that empty during switching and marking are held (the
//   allocator's quarantine) until marking ends, so the gray stack, the switching walk
//   and the noted finalizable objects never read memory given back to jemalloc.
// - References that change outside `mutate` and `storeReference` (through an
//   `unsafe…` payload pointer, or a class instance that a payload's trace reports
//   and other code can reach) are not seen by the barrier and are not supported.
//
// A cycle advances only by slices: one started with `collect(.fullSlice)` on a heap
// without automatic collection waits for the next call (pages emptied meanwhile stay
// held). With a `CollectionBridge` the full collection stays atomic (the foreign side
// marks in one go).

/// The state of an incremental full collection in progress.
final class IncrementalFull {
    enum Phase { case rooting, switching, marking, gathering, sweeping, freeing }
    var phase = Phase.rooting
    /// The next page to visit, walking down from the last. Rooting, gathering,
    /// sweeping and freeing walk the live page list: a page removed meanwhile has the
    /// last page swapped into its place, which was visited already or holds only
    /// objects born during the cycle, so every page that holds set objects is
    /// visited (some twice; those steps are idempotent). Switching walks
    /// `switchPages`.
    var cursor: Int
    let reason: CollectionReason
    /// Set objects with a finalizer still to run, noted at the switch: if one of them
    /// turns out garbage, the garbage is reclaimed in one go (see above).
    var finalizable: [ObjectRef] = []
    /// Garbage swept (payload dropped, DYING) whose slot is not freed yet.
    var swept = 0
    /// Bytes the program allocates between two slices (the pacer, `beginIncremental`).
    var sliceBytes = 0
    /// Garbage gathered for GarbageReclaimer (gathering phase).
    let gathered = RefStack()
    /// The pages as they were at the switch, walked while checking roots.
    var switchPages: [Page] = []

    init(cursor: Int, reason: CollectionReason) {
        self.cursor = cursor
        self.reason = reason
    }
}

extension HeapCore {
    /// Whether `object` belongs to the running incremental cycle's set.
    @inline(__always)
    func inCycleSet(_ object: ObjectRef) -> Bool {
        Int32(bitPattern: object.birthEpoch &- hot.pointee.cycleStartEpoch) < 0
    }

    /// Whether automatic full collections may run in slices now.
    var usesIncrementalFull: Bool { configuration.incrementalFull && bridge == nil }

    /// One slice (starting a cycle if none runs). - Returns: whether the cycle finished.
    func incrementalSlice(_ stats: inout CollectionStats, reason: CollectionReason) -> Bool {
        let cycle = incremental ?? beginIncremental(reason: reason)
        hot.pointee.allocatedBytesAtSlice = allocatedBytes
        var work = configuration.fullSliceWork
        var start = now
        if cycle.phase == .rooting {
            scanForRoots(cycle, &work, &stats)
            stats.lap(.subtractInternal, &start, now)
            guard cycle.cursor < 0 else { return false }
            allocator.beginQuarantine()
            cycle.phase = .switching
            // Checking roots is not idempotent (a second check would see counted = 0
            // and make a root of everything on the page), so it walks the pages as
            // they are now; the quarantine keeps them readable until marking ends.
            cycle.switchPages = allocator.pageSnapshot()
            cycle.cursor = cycle.switchPages.count - 1
        }
        if cycle.phase == .switching {
            findRoots(cycle, &work, &stats)
            markGrayObjects(&work, &stats)
            stats.lap(.markLive, &start, now)
            guard cycle.cursor < 0 else { return false }
            cycle.switchPages = []
            cycle.phase = .marking
        }
        if cycle.phase == .marking {
            markGrayObjects(&work, &stats)
            stats.lap(.markLive, &start, now)
            guard grayStack.isEmpty else { return false }
            // Read the noted finalizable objects before the quarantine ends: their
            // pages may be among those it gives back.
            cycle.phase = garbageAwaitsFinalizers(cycle) ? .gathering : .sweeping
            allocator.endQuarantine()
            cycle.cursor = allocator.pageCount - 1
        }
        if cycle.phase == .gathering {
            gatherGarbage(cycle, &work)
            stats.lap(.markLive, &start, now)
            guard cycle.cursor < 0 else { return false }
            reclaimGathered(cycle, &stats)
            start = now  // the reclaimer timed its own phases
        }
        if cycle.phase == .sweeping {
            sweepGarbage(cycle, &work)
            stats.lap(.sweep, &start, now)
            guard cycle.cursor < 0 else { return false }
            cycle.phase = .freeing
            cycle.cursor = allocator.pageCount - 1
        }
        freeSweptGarbage(cycle, &work, &stats)
        stats.lap(.sweep, &start, now)
        guard cycle.cursor < 0 else { return false }
        endIncremental()
        fullCollectionFinished()
        return true
    }

    private func beginIncremental(reason: CollectionReason) -> IncrementalFull {
        // The candidates' cycles are the full collection's now; unbuffered objects
        // keep BUFFER_INDEX at 0, which rooting counts up from.
        for i in 0..<candidates.count {
            candidates[i].clear(ObjectHeader.buffered)
            candidates[i].color = .black
            candidates[i].bufferIndex = 0
        }
        candidates.removeAll()
        candidates.trim()
        // Two epochs end, so every object allocated so far is old: none can join the
        // candidate buffer (whose index would overwrite its counted references).
        advanceEpochIfDue(force: true)
        advanceEpochIfDue(force: true)
        hot.pointee.cycleStartEpoch = epoch
        let cycle = IncrementalFull(cursor: allocator.pageCount - 1, reason: reason)
        // Pacing: the cycle should end before the program allocates a quarter of the
        // live heap (at least of `fullMinimumBytes`), so garbage found late does not
        // pile up. Its work is four walks over the slots in use plus marking.
        var slots = 0
        allocator.forEachPage { slots += $0.slotCount }
        let slices = max(1, (4 * slots + liveObjects) / configuration.fullSliceWork)
        let allowance = max(configuration.fullMinimumBytes, liveBytes) / 4
        cycle.sliceBytes = max(256, min(configuration.fullSliceBytes, allowance / slices))
        incremental = cycle
        return cycle
    }

    /// Walks pages down from the cursor, calling `body` with each object, until the
    /// work is spent (at page granularity): the live page list, or `snapshot` (the
    /// switching walk). `body` must not free slots.
    private func walkPages(
        _ cycle: IncrementalFull, _ work: inout Int, snapshot: [Page]? = nil, _ body: (ObjectRef) -> Void
    ) {
        while work > 0 {
            cycle.cursor = min(cycle.cursor, (snapshot?.count ?? allocator.pageCount) - 1)
            guard cycle.cursor >= 0 else { return }
            let page = snapshot?[cycle.cursor] ?? allocator.page(at: cycle.cursor)
            cycle.cursor -= 1
            work -= page.slotCount
            page.forEachObject(body)
        }
    }

    /// Rooting: counts each set object's references to set objects into their
    /// BUFFER_INDEX, and marks it counted (colour gray; old objects are otherwise
    /// always black) and BARRIER. An object being mutated gets BARRIER only: its
    /// references may change until the borrow ends, so they stay uncounted (which
    /// only makes roots of their targets).
    private func scanForRoots(_ cycle: IncrementalFull, _ work: inout Int, _ stats: inout CollectionStats) {
        walkPages(cycle, &work) { object in
            guard inCycleSet(object), object.bits0 & (ObjectHeader.barrier | ObjectHeader.dying) == 0 else { return }
            object.set(ObjectHeader.barrier)
            guard !object.has(ObjectHeader.mutating) else { return }
            traceChildren(of: object, .countInternal)
            object.color = .gray
            stats.visited += 1
        }
    }

    /// Switching: each set object is a root if something other than counted
    /// references holds it (count > counted). Objects are checked at different
    /// times; what makes that sound (see the top of the file) is that after rooting
    /// count − counted only shrinks by a release, and a release of an object not
    /// checked yet shades it (`releasedDuringCollection`).
    private func findRoots(_ cycle: IncrementalFull, _ work: inout Int, _ stats: inout CollectionStats) {
        walkPages(cycle, &work, snapshot: cycle.switchPages) { checkRoot($0, cycle, &stats) }
    }

    private func checkRoot(_ object: ObjectRef, _ cycle: IncrementalFull, _ stats: inout CollectionStats) {
        guard inCycleSet(object), !object.has(ObjectHeader.dying) else { return }
        let counted = object.bufferIndex
        object.bufferIndex = 0
        object.color = .black
        // counted > count is no error here: a counted reference removed after
        // rooting (through the barrier, which shaded its target) lowers the count
        // only. Over-reporting traces are caught by un-counting and by atomic full
        // collections.
        if Int(object.count) > counted {
            stats.roots += 1
            shade(object)
        }
        if object.has(ObjectHeader.mutating) {
            // Its references may change without a barrier until the borrow ends.
            // They were never counted (a borrow that began before the scan skipped
            // it; one that began after un-counted it), so its children are roots
            // already; shading them here is a cheap second guard. BARRIER stays (if
            // this is garbage, its destruction during sweeping must keep its slot).
            traceChildren(of: object, .shade)
        }
        if object.bits0 & (ObjectHeader.hasFinalizer | ObjectHeader.finalized) == ObjectHeader.hasFinalizer {
            cycle.finalizable.append(object)
        }
    }

    private func markGrayObjects(_ work: inout Int, _ stats: inout CollectionStats) {
        while work > 0, let object = grayStack.pop() {
            work -= 1
            // Skip slots freed since (word 0 is 0), reused by an object born during
            // the cycle, or already traced by a barrier.
            guard object.bits0 & ObjectHeader.barrier != 0, inCycleSet(object) else { continue }
            object.clear(ObjectHeader.barrier)
            traceChildren(of: object, .shade)
            stats.visited += 1
        }
    }

    /// Marks `object` gray (it will be traced) unless it is marked already.
    @inline(__always)
    func shade(_ object: ObjectRef) {
        if !object.has(ObjectHeader.marked) {
            object.set(ObjectHeader.marked)
            grayStack.push(object)
        }
    }

    /// Whether a finalizer noted at the switch belongs to garbage. Called while the
    /// quarantine still holds every page, so each noted address can be read.
    private func garbageAwaitsFinalizers(_ cycle: IncrementalFull) -> Bool {
        cycle.finalizable.contains { object in
            object.bits0 & (ObjectHeader.marked | ObjectHeader.finalized | ObjectHeader.dying) == 0
                && object.bits0 != 0 && inCycleSet(object)
        }
    }

    /// Gathering (garbage with finalizers to run): each unmarked set object is
    /// garbage; DYING keeps it from being destroyed by count, and weak references
    /// from upgrading to it, until the reclaimer takes the whole set.
    private func gatherGarbage(_ cycle: IncrementalFull, _ work: inout Int) {
        walkPages(cycle, &work) { object in
            guard object.bits0 & (ObjectHeader.marked | ObjectHeader.dying) == 0, inCycleSet(object) else { return }
            object.clear(ObjectHeader.barrier)
            object.set(ObjectHeader.dying)
            cycle.gathered.push(object)
        }
    }

    /// The gathered garbage through GarbageReclaimer (finalizers, resurrection,
    /// drop, free) in one pause, which grows with the garbage, not the heap: PEP 442
    /// resurrection needs the whole set. The freeing walk then clears MARKED.
    private func reclaimGathered(_ cycle: IncrementalFull, _ stats: inout CollectionStats) {
        cycle.phase = .freeing
        cycle.cursor = allocator.pageCount - 1
        reclaim(cycle.gathered, &stats)
        cycle.gathered.removeAll()
        cycle.gathered.trim()
        // What the drops queued dies now: the freeing walk frees every DYING unmarked
        // set object, and must find none but swept garbage.
        if !pendingDestroy.isEmpty { drainPendingDestroys() }
    }

    /// Sweeping: every unmarked set object is garbage (still BARRIER, never traced).
    private func sweepGarbage(_ cycle: IncrementalFull, _ work: inout Int) {
        let wasDraining = draining
        draining = true  // releases queue destruction; collect() drains after the slice
        walkPages(cycle, &work) { object in
            guard object.bits0 & (ObjectHeader.marked | ObjectHeader.dying) == 0, inCycleSet(object) else { return }
            object.set(ObjectHeader.dying)
            sweep(object, cycle)
        }
        draining = wasDraining
        // What the drops queued is destroyed now, while the phase is still sweeping:
        // garbage among it must be swept (slot kept) before the freeing walk starts,
        // and nothing else DYING may be left for that walk (or for an atomic
        // collection after `abandonIncremental`) to find.
        if !pendingDestroy.isEmpty { drainPendingDestroys() }
    }

    /// Drops a garbage object's payload and keeps its slot until the freeing walk.
    /// References to other garbage are released like any: their slots are not freed
    /// yet, and a count reaching 0 comes back here through `destroy`.
    ///
    /// Teardown as in GarbageReclaimer.swift, one object at a time: each is torn
    /// before its payload is dropped, so user code in a later drop that reaches it
    /// stops with a message instead of reading a destroyed payload (an object not
    /// swept yet still has its payload whole). Every count is checked at the freeing
    /// walk, when all garbage payloads are dropped.
    private func sweep(_ object: ObjectRef, _ cycle: IncrementalFull) {
        if object.bits0 & (ObjectHeader.mutating | ObjectHeader.borrowMask) != 0 { garbageInUse(object) }
        object.set(ObjectHeader.torn)
        if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
        dropPayload(object)
        poisonDroppedPayload(object)
        cycle.swept += 1
    }

    /// Freeing: the swept garbage's slots go back; survivors lose MARKED.
    private func freeSweptGarbage(_ cycle: IncrementalFull, _ work: inout Int, _ stats: inout CollectionStats) {
        var tally = FreeTally(epoch: hot.pointee.epoch)
        let dead = workStack  // empty between collections' own uses
        walkPages(cycle, &work) { object in
            guard inCycleSet(object) else { return }
            if object.has(ObjectHeader.marked) {
                object.clear(ObjectHeader.marked)
            } else if object.has(ObjectHeader.dying) {
                checkTornDown(object)
                dead.push(object)
            }
        }
        // After the walk: freeing may empty a page and give it back.
        while let object = dead.pop() {
            stats.freedBytes += freeSlot(object, into: &tally)
            stats.freedObjects += 1
            cycle.swept -= 1
        }
        tally.commit(to: hot)
        freedByCollector += stats.freedObjects
    }

    private func endIncremental() {
        incremental = nil
        hot.pointee.cycleStartEpoch = 0
        grayStack.trim()
        allocator.endQuarantine()
    }

    /// Drops a running cycle (an atomic full collection is about to run): every set
    /// object's collector bits go back to rest. Swept garbage (payload dropped) is
    /// freed now: nothing refers to it once every garbage payload is dropped, and
    /// the sweep is finished first for that.
    func abandonIncremental() {
        guard let cycle = incremental else { return }
        if cycle.phase == .gathering || cycle.phase == .sweeping || cycle.phase == .freeing {
            var stats = CollectionStats()
            var work = Int.max
            if cycle.phase == .gathering {
                gatherGarbage(cycle, &work)
                reclaimGathered(cycle, &stats)
                work = Int.max
            } else if cycle.phase == .sweeping {
                sweepGarbage(cycle, &work)
                cycle.cursor = allocator.pageCount - 1
                work = Int.max
            }
            freeSweptGarbage(cycle, &work, &stats)
        } else {
            allocator.forEachObject { object in
                guard inCycleSet(object) else { return }
                object.clear(ObjectHeader.barrier | ObjectHeader.marked)
                object.bufferIndex = 0
                object.color = .black
            }
            grayStack.removeAll()
        }
        endIncremental()
    }

    /// The barrier: `object` has BARRIER set and its references are about to change
    /// (exclusive borrow, `storeReference`, destruction). - Returns: true if the
    /// object is swept garbage whose count reached 0 (its payload is dropped; the
    /// caller must not free its slot).
    @usableFromInline @inline(never) @discardableResult
    func incrementalBarrier(_ object: ObjectRef) -> Bool {
        guard let cycle = incremental, inCycleSet(object) else {
            object.clear(ObjectHeader.barrier)
            return false
        }
        switch cycle.phase {
        case .rooting:
            // BARRIER stays: the object must reach the switch with it.
            if object.color == .gray {
                object.color = .black
                traceChildren(of: object, .uncountInternal)
            }
        case .switching:
            traceChildren(of: object, .shade)
            // An object not yet checked keeps BARRIER, so its releases are still seen.
            if object.has(ObjectHeader.marked) || object.bufferIndex == 0 { object.clear(ObjectHeader.barrier) }
        case .marking:
            object.clear(ObjectHeader.barrier)
            traceChildren(of: object, .shade)
        case .gathering, .sweeping, .freeing:
            // Only garbage keeps BARRIER after marking, and only its destruction (a
            // count reaching 0 through other garbage, or through young garbage a
            // minor collection freed) can get here. Other garbage may still refer to
            // it, so its slot stays: gathered for the reclaimer (which runs its
            // finalizer), or swept for the freeing walk.
            if !object.has(ObjectHeader.marked) && object.has(ObjectHeader.dying) && object.count == 0 {
                object.clear(ObjectHeader.barrier)
                if cycle.phase == .gathering {
                    cycle.gathered.push(object)
                } else {
                    sweep(object, cycle)
                }
                return true
            }
            object.clear(ObjectHeader.barrier)
        }
        return false
    }

    /// A set object became reachable in a way marking cannot see (weak upgrade,
    /// resurrection by its finalizer): shade it while marking runs.
    func shadeIfMarking(_ object: ObjectRef) {
        guard let cycle = incremental, cycle.phase == .switching || cycle.phase == .marking,
              inCycleSet(object) else { return }
        shade(object)
    }

    /// A release (count > 1) of an object with BARRIER set. While roots are being
    /// checked, an object not checked yet may have been a root when checking
    /// began and be losing the count that made it one: it is shaded.
    @usableFromInline @inline(never)
    func releasedDuringCollection(_ object: ObjectRef) {
        guard let cycle = incremental, cycle.phase == .switching, inCycleSet(object),
              object.bufferIndex > 0 else { return }
        shade(object)
    }

    /// Whether `object` is garbage found by the running cycle, not freed yet (a weak
    /// upgrade must not return it).
    func isFoundGarbage(_ object: ObjectRef) -> Bool {
        guard let cycle = incremental, cycle.phase == .gathering || cycle.phase == .sweeping else { return false }
        return inCycleSet(object) && !object.has(ObjectHeader.marked)
    }

    /// The phase of the running incremental full collection (tests and statistics).
    var incrementalPhaseName: String? {
        incremental.map { "\($0.phase)" }
    }
}
