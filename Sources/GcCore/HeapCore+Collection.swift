// When collections run, and the bookkeeping around each one: re-entrancy, timing,
// the observer event.
//
// Re-entrancy: a collection requested while one is running, while a finalizer runs,
// or while destruction is being drained is not run on the spot (the heap is
// mid-update); it is remembered and runs as soon as the outer work finishes. The
// request returns `nil` to say so.

extension HeapCore {
    @usableFromInline
    func collectAutomatically() {
        guard configuration.automaticCollection, !collecting, finalizerDepth == 0, !draining else {
            return
        }
        if liveBytes &+ externalBytes >= fullThreshold {
            collect(.full, reason: .heapGrowth)
        } else if candidates.count >= configuration.minorCandidateLimit {
            collect(.minor, reason: .candidateCount)
        } else {
            collect(.minor, reason: .allocationVolume)
        }
    }

    /// Runs a collection now, or defers it (returns nil) when the heap is mid-update.
    @discardableResult
    func collect(_ kind: CollectionKind, reason: CollectionReason) -> CollectionEvent? {
        if collecting || finalizerDepth > 0 || draining {
            if deferredCollection != .full { deferredCollection = kind }
            return nil
        }
        collecting = true
        let before = (objects: liveObjects, bytes: liveBytes)
        let start = now
        var stats = CollectionStats()
        switch kind {
        case .minor:
            minorCollection(&stats)
            minorCollections += 1
        case .full:
            fullCollection(&stats)
            fullCollections += 1
            epoch &+= 1
        }
        bytesSinceMinor = 0
        workStack.trim()
        scanStack.trim()
        collecting = false
        let pause = now &- start
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
        observer?(event)
        if !pendingDestroy.isEmpty { drainPendingDestroys() }
        runDeferredCollection()
        finishDetachedIfIdle()  // last use of `self`
        return event
    }

    func runDeferredCollection() {
        guard let kind = deferredCollection, !collecting, finalizerDepth == 0, !draining else { return }
        deferredCollection = nil
        collect(kind, reason: .deferred)
    }
}
