// The full collection: a precise mark-sweep of the whole heap with no stack scan.
//
// Roots are found the way CPython's gc finds them (Modules/gc_collect: update_refs,
// subtract_refs): every object's count minus the references other heap objects hold
// to it leaves what handles and pins hold. Objects with something left over are
// roots; everything reachable from them is live; the rest is garbage, whatever its
// age. It runs on request (`collect(.full)`), when the heap has grown by
// `fullGrowthFactor` since the last one, on memory shortage and at heap teardown.
//
//   for O in heap: scratch(O) = RC(O)
//   for O in heap: for T child of O: scratch(T) -= 1
//   roots = { O | scratch(O) > 0 };  mark from roots
//   garbage = heap - marked
//
// The scratch count lives in the header's BUFFER_INDEX word, so the candidate buffer
// is emptied first (a full collection supersedes the minor one).

extension HeapCore {
    func fullCollection(_ stats: inout CollectionStats) {
        abandonIncremental()
        var start = now
        for i in 0..<candidates.count {
            candidates[i].clear(ObjectHeader.buffered)
            candidates[i].color = .black
        }
        candidates.removeAll()
        candidates.trim()

        let objects = RefStack(capacity: max(16, liveObjects))
        allocator.forEachObject { objects.push($0) }
        stats.roots = objects.count
        for i in 0..<objects.count { objects[i].bufferIndex = Int(objects[i].count) }
        for i in 0..<objects.count {
            traceChildren(of: objects[i], .subtract)
        }
        // Counts held by foreign objects do not make roots (CollectionBridge step 1).
        for (object, count) in bridge?.bridgedReferences() ?? [] {
            guard object.bufferIndex >= count else { traceOverReported(object) }
            object.bufferIndex -= count
        }
        stats.lap(.subtractInternal, &start, now)

        bridgeMarking = bridge != nil
        // The bridge's marking callbacks are user code reading the graph, like trace
        // functions: they may call `bridgeMark`, nothing that changes the heap.
        if let bridge { withBridgeCallback { bridge.markForeignRoots(facade) } }
        for i in 0..<objects.count {
            let object = objects[i]
            if object.bufferIndex > 0 && !object.has(ObjectHeader.marked) {
                object.set(ObjectHeader.marked)
                workStack.push(object)
            }
            while let live = workStack.pop() {
                stats.visited += 1
                traceChildren(of: live, .mark)
                if let bridge { withBridgeCallback { bridge.heapObjectMarked(live, facade) } }
            }
        }
        bridgeMarking = false
        let garbage = RefStack()
        for i in 0..<objects.count {
            let object = objects[i]
            object.bufferIndex = 0
            if object.has(ObjectHeader.marked) {
                object.clear(ObjectHeader.marked)
            } else {
                object.set(ObjectHeader.dying)
                garbage.push(object)
            }
        }
        bridge?.markingFinished(facade)
        stats.lap(.markLive, &start, now)

        reclaim(garbage, &stats)
        fullCollectionFinished()
    }

    /// Runs a bridge's marking callback under the trace guard (`beginUserTrace`).
    private func withBridgeCallback(_ body: () -> Void) {
        let saved = beginUserTrace(typeIndex: -1)
        body()
        endUserTrace(saved)
    }

    /// The next full runs when the old generation has grown by (factor − 1) × what
    /// survived this one.
    func fullCollectionFinished() {
        let survivors = liveBytes &+ externalBytes
        fullThreshold = max(
            configuration.fullMinimumBytes,
            Int(Double(survivors) * (configuration.fullGrowthFactor - 1)))
        hot.pointee.promotedSinceFull = 0
        hot.pointee.externalAtFull = externalBytes
    }
}
