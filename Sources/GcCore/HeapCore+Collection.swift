// When collections run, and the bookkeeping around each one: re-entrancy, timing,
// the observer event.
//
// Re-entrancy: a collection requested while one is running, while a finalizer runs,
// while destruction is being drained, or from a read-only callback (the user-trace
// window) is not run on the spot (the heap is
// mid-update); it is remembered and runs as soon as the outer work finishes. The
// request returns `nil` to say so.

extension HeapCore {
    /// The allocation budget ran out: apply the pacing rule (HeapConfiguration).
    @usableFromInline
    func collectIfDue() {
        if hot.pointee.userTraceType != 0 { heapChangedDuringTrace("allocate") }
        if configuration.automaticCollection, !collecting, finalizerDepth == 0, !draining {
            if let cycle = incremental {
                if allocatedBytes &- hot.pointee.allocatedBytesAtSlice >= cycle.sliceBytes {
                    collect(.fullSlice, reason: cycle.reason)
                }
                collectMinorIfDue()
            } else if oldGrowth >= fullThreshold {
                if usesIncrementalFull {
                    collect(.fullSlice, reason: .heapGrowth)
                    collectMinorIfDue()
                } else {
                    collect(.full, reason: .heapGrowth)
                }
            } else {
                collectMinorIfDue()
            }
        }
        resetAllocationBudget()
    }

    private func collectMinorIfDue() {
        if candidates.count >= configuration.minorCandidateLimit {
            collect(.minor, reason: .candidateCount)
        } else if bytesSinceMinor >= configuration.minorAllocationBytes {
            collect(.minor, reason: .allocationVolume)
        }
    }

    /// Bytes until the next pacing check: the nearer of the minor and full (or next
    /// slice) triggers (at least one slot, so a heap that cannot collect now still allocates).
    func resetAllocationBudget() {
        let toMinor = configuration.minorAllocationBytes - bytesSinceMinor
        // While an incremental full collection runs, its next slice replaces the
        // full trigger.
        let toFull = incremental.map { $0.sliceBytes - (allocatedBytes &- hot.pointee.allocatedBytesAtSlice) }
            ?? fullThreshold - oldGrowth
        let candidatesFull = candidates.count >= configuration.minorCandidateLimit
        hot.pointee.allocationBudget = candidatesFull ? 0 : max(0, min(toMinor, toFull))
        if !configuration.automaticCollection || collecting || finalizerDepth > 0 || draining {
            hot.pointee.allocationBudget = max(hot.pointee.allocationBudget, 64 << 10)
        }
        if let profiler, profiler.rate > 0 {
            // The allocation that reaches the next sample point takes the slow path.
            hot.pointee.allocationBudget = min(hot.pointee.allocationBudget, max(0, profiler.nextSampleAt &- allocatedBytes))
        }
    }

    /// Runs a collection now, or defers it (returns nil) when the heap is mid-update.
    @discardableResult
    func collect(_ kind: CollectionKind, reason: CollectionReason) -> CollectionEvent? {
        // Inside the user-trace window too: the heap's read-only callbacks (a guest
        // stack provider while a new object has no payload yet, a root describer while
        // a leak check holds raw addresses, an outsideBytes function) run outside any
        // collection, so a collection they asked for would run under them.
        if collecting || finalizerDepth > 0 || draining || hot.pointee.userTraceType != 0 {
            if deferredCollection != .full { deferredCollection = kind }
            return nil
        }
        profiler?.beforePause()  // any flush happens before the pause starts
        collecting = true
        let before = (objects: liveObjects, bytes: liveBytes)
        let start = now
        var stats = CollectionStats()
        var lapStart = start
        var kind = kind
        if kind == .fullSlice && !usesIncrementalFull { kind = .full }
        switch kind {
        case .minor:
            minorCollection(&stats)
            minorCollections += 1
            advanceEpochIfDue(force: reason == .explicit)
        case .full:
            fullCollection(&stats)
            fullCollections += 1
            if let bridge {
                stats.lapRemainder(from: start, &lapStart, now)
                finalizerDepth += 1  // user code: collections it asks for are deferred
                bridge.collectionFinished(facade)
                finalizerDepth -= 1
                stats.lap(.bridgeSweep, &lapStart, now)
            }
            advanceEpochIfDue(force: true)
        case .fullSlice:
            if incrementalSlice(&stats, reason: reason) { fullCollections += 1 }
            fullSlices += 1
        }
        // A slice is not a collection of the young generation: the minor trigger
        // keeps counting.
        if kind != .fullSlice { hot.pointee.allocatedBytesAtCollection = allocatedBytes }
        // Everything so far that no phase timed (between phases, epoch bookkeeping) is
        // `other`, so that the phases of an event add up to its pause.
        stats.lapRemainder(from: start, &lapStart, now)
        workStack.trim()
        scanStack.trim()
        // Free what the garbage released before anyone else can run a collection:
        // queued objects must not be seen (and freed) by a nested one.
        if !pendingDestroy.isEmpty { drainPendingDestroys() }
        collecting = false
        let end = now
        stats.lap(.drain, &lapStart, end)
        let pause = end &- start
        totalPauseNanos &+= pause
        maxPauseNanos = max(maxPauseNanos, pause)
        sequence += 1
        let event = CollectionEvent(
            sequence: sequence, kind: kind, reason: reason, startNanos: start,
            pauseNanos: pause, phaseNanos: stats.phaseNanos, roots: stats.roots,
            visited: stats.visited, freedObjects: stats.freedObjects,
            freedBytes: stats.freedBytes, finalized: stats.finalized,
            resurrected: stats.resurrected,
            liveObjectsBefore: before.objects, liveObjectsAfter: liveObjects,
            liveBytesBefore: before.bytes, liveBytesAfter: liveBytes)
        resetAllocationBudget()
        if configuration.verify { verifyOrStop(after: "after \(kind.rawValue) collection \(sequence)") }
        profiler?.collected(event, end: end)
        if let observer {
            // The observer is user code: collections it asks for are deferred.
            finalizerDepth += 1
            observer(event)
            finalizerDepth -= 1
        }
        if reason == .deferred {
            // What user code asked for while a deferred collection ran is met by
            // it — except a full one after a minor. Running each request would let a
            // callback that asks on every collection (a trace, an observer, a bridge's
            // marking) chain collections without end: found by ABIMisuseTests, a
            // mark_foreign that asked overflowed the stack.
            if deferredCollection == .full && kind != .full { runDeferredCollection() } else { deferredCollection = nil }
        } else {
            runDeferredCollection()
        }
        return event
    }

    func runDeferredCollection() {
        guard let kind = deferredCollection, !collecting, finalizerDepth == 0, !draining else { return }
        deferredCollection = nil
        collect(kind, reason: .deferred)
    }
}
