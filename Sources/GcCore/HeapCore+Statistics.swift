extension HeapCore {
    func statistics(detailed: Bool) -> HeapStatistics {
        var s = HeapStatistics()
        s.liveObjects = liveObjects
        s.liveBytes = liveBytes
        s.externalBytes = externalBytes
        s.committedBytes = allocator.committedBytes
        s.pages = allocator.pageCount
        s.cachedEmptyPages = allocator.cachedEmptyPages
        s.pagesReleased = allocator.pagesReleased
        s.allocatedObjects = allocatedObjects
        s.allocatedBytes = allocatedBytes
        s.freedObjects = freedObjects
        s.freedBytes = freedBytes
        s.freedByCollector = freedByCollector
        s.freedByCount = freedObjects - freedByCollector
        s.minorCollections = minorCollections
        s.fullCollections = fullCollections
        s.fullSlices = fullSlices
        s.fullCollectionInProgress = incremental != nil
        s.sweptNotFreed = incremental?.swept ?? 0
        s.totalPauseNanos = totalPauseNanos
        s.maxPauseNanos = maxPauseNanos
        s.finalizersRun = finalizersRun
        s.resurrections = resurrections
        s.candidates = candidates.count
        s.pinnedObjects = pinCounts.count
        s.weakSlots = weakTable.count
        s.conversionCopies = conversionCopies
        s.conversionCopyBytes = conversionCopyBytes
        if detailed {
            var byType: [Int: (objects: Int, bytes: Int, outside: Int)] = [:]
            allocator.forEachObject { object in
                byType[object.typeIndex, default: (0, 0, 0)].objects += 1
                byType[object.typeIndex, default: (0, 0, 0)].bytes += allocator.slotBytes(of: object)
                byType[object.typeIndex, default: (0, 0, 0)].outside += outsideBytes(of: object)
            }
            s.perType = byType.map { index, v in
                let d = registry.descriptor(atIndex: index)
                return .init(name: d.name, typeID: d.typeID, liveObjects: v.objects, liveBytes: v.bytes, outsideBytes: v.outside)
            }.sorted { ($0.liveBytes + $0.outsideBytes, $0.name) > ($1.liveBytes + $1.outsideBytes, $1.name) }
            s.outsideBytes = byType.values.reduce(0) { $0 + $1.outside }
        }
        return s
    }
}

extension HeapCore {
    /// What `object` holds outside the heap, per its type (0 for a payload being
    /// dropped or under `mutate`, which must not be read, and for dying objects).
    func outsideBytes(of object: ObjectRef) -> Int {
        guard object.bits0 & (ObjectHeader.mutating | ObjectHeader.dying) == 0 else { return 0 }
        let type = descriptor(of: object).takeUnretainedValue()
        guard let count = type.outsideBytes else { return 0 }
        // Code of the type's layer: inside the trace window, so it can only read.
        let saved = beginUserTrace(typeIndex: HotState.outsideBytesFunction)
        defer { endUserTrace(saved) }
        return count(object.payload)
    }
}
