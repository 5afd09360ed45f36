// The minor collection: synchronous trial deletion (Bacon & Rajan, "Concurrent Cycle
// Collection in Reference Counted Systems", ECOOP 2001, §3) restricted to the young
// generation.
//
// Candidates are objects whose count dropped but not to zero (purple). From each,
// trial deletion subtracts the counts contributed by references inside the subgraph
// it reaches; what is left over is held from outside (handles, pins, objects outside
// the subgraph). Objects still held, and everything they reach, are live; the rest
// is garbage.
//
// The difference from Bacon–Rajan (and from Nim's ORC, which follows it): the
// traversal never enters an old object (one that has lived through two minor
// collections). Old objects are treated as external: their references into the
// subgraph count as outside holders, and nothing is subtracted from their counts.
// A garbage ring that points into a large live structure therefore costs the size
// of the ring, not of the structure; the pause is bounded by the young objects
// reachable from candidates, which the pacing rule bounds in turn. Cycles that
// include old objects are left to the full collection (FullCollector.swift).
//
//   MarkRoots:   for S in candidates: if purple and young: MarkGray(S)
//   MarkGray(S): gray S; for T young child of S: RC(T) -= 1; MarkGray(T) if not gray
//   Scan(S):     if gray: if RC(S) > 0: ScanBlack(S) else white S, Scan(children)
//   ScanBlack(S):black S; for T young child: RC(T) += 1; ScanBlack(T) if not black
//   CollectWhite:white → garbage (DYING); then every reference from the garbage to
//                young objects gets its count back, so counts are true again
//                before finalizers run (GarbageReclaimer.swift). When no garbage
//                object has a finalizer and all are of plain types, nothing reads
//                those counts: the restore is skipped, and the sweep does not
//                release the references it would have restored.
//
// Each procedure is iterative over an explicit stack: no recursion depth limit.

extension HeapCore {
    /// Whether the minor collector traces into `object`.
    @inline(__always)
    func inMinorScope(_ object: ObjectRef) -> Bool {
        !object.has(ObjectHeader.acyclic) && isYoung(object)
    }

    func minorCollection(_ stats: inout CollectionStats) {
        // MarkRoots / MarkGray
        var start = now
        let roots = RefStack(capacity: max(16, candidates.count))
        for i in 0..<candidates.count {
            let candidate = candidates[i]
            candidate.clear(ObjectHeader.buffered)
            candidate.bufferIndex = 0  // unbuffered objects keep 0 (IncrementalFullCollector.swift)
            if candidate.color == .purple && inMinorScope(candidate) {
                markGray(candidate, &stats)
                roots.push(candidate)
            } else if candidate.color == .purple {
                candidate.color = .black  // old by now: left to the full collection
            }  // gray: already reached from an earlier candidate
        }
        stats.roots = candidates.count
        candidates.removeAll()
        candidates.trim()
        stats.lap(.markGray, &start, now)

        // Scan
        for i in 0..<roots.count { scan(roots[i]) }
        stats.lap(.scan, &start, now)

        // CollectWhite, then give back the counts the garbage contributed, if anything
        // will read them: finalizers (which may resurrect) and drop or trace
        // functions (which release every reference). Garbage of plain types without
        // finalizers is freed without them: the sweep then releases only references
        // the subtraction did not touch (to old or acyclic objects).
        let garbage = RefStack()
        for i in 0..<roots.count { collectWhite(roots[i], into: garbage) }
        let restore = garbageNeedsTrueCounts(garbage)
        if restore {
            for i in 0..<garbage.count { traceChildren(of: garbage[i], .restore) }
        }
        checkTraceBalance(restored: restore)
        stats.lap(.collectWhite, &start, now)

        reclaim(garbage, &stats, countsRestored: restore)
    }

    /// Whether some garbage object has a finalizer or is not of a plain type (see
    /// `minorCollection`).
    private func garbageNeedsTrueCounts(_ garbage: RefStack) -> Bool {
        for i in 0..<garbage.count {
            let object = garbage[i]
            if object.has(ObjectHeader.hasFinalizer) || !(fastTable + object.typeIndex).pointee.plain {
                return true
            }
        }
        return false
    }

    /// The epoch moves by allocation volume, not per collection, so minors that the
    /// candidate limit triggers often do not shorten how long objects stay young.
    /// Explicit collections always end the epoch.
    func advanceEpochIfDue(force: Bool) {
        let h = hot
        if force || allocatedBytes &- h.pointee.allocatedBytesAtEpoch >= configuration.minorAllocationBytes {
            // Objects born in the previous epoch become old now: what of them is
            // still allocated was promoted.
            h.pointee.promotedSinceFull &+= max(0, h.pointee.allocatedPreviousEpoch &- h.pointee.freedYoungPrevious)
            h.pointee.allocatedPreviousEpoch = allocatedBytes &- h.pointee.allocatedBytesAtEpoch
            h.pointee.freedYoungPrevious = h.pointee.freedYoungCurrent
            h.pointee.freedYoungCurrent = 0
            epoch &+= 1
            h.pointee.allocatedBytesAtEpoch = allocatedBytes
        }
    }

    private func markGray(_ root: ObjectRef, _ stats: inout CollectionStats) {
        guard root.color != .gray else { return }
        root.color = .gray
        workStack.push(root)
        while let object = workStack.pop() {
            stats.visited += 1
            traceChildren(of: object, .markGray)
        }
    }

    private func scan(_ root: ObjectRef) {
        scanStack.push(root)
        while let object = scanStack.pop() {
            guard object.color == .gray else { continue }
            if object.count > 0 {
                scanBlack(object)
            } else {
                object.color = .white
                traceChildren(of: object, .scan)
            }
        }
    }

    private func scanBlack(_ root: ObjectRef) {
        root.color = .black
        workStack.push(root)
        while let object = workStack.pop() {
            traceChildren(of: object, .scanBlack)
        }
    }

    private func collectWhite(_ root: ObjectRef, into garbage: RefStack) {
        guard root.color == .white else { return }
        root.color = .black
        root.set(ObjectHeader.dying)
        workStack.push(root)
        while let object = workStack.pop() {
            garbage.push(object)
            traceChildren(of: object, .collectWhite)
        }
    }
}
