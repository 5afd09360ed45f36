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
            var byType: [Int: (objects: Int, bytes: Int)] = [:]
            allocator.forEachObject { object in
                byType[object.typeIndex, default: (0, 0)].objects += 1
                byType[object.typeIndex, default: (0, 0)].bytes += allocator.slotBytes(of: object)
            }
            s.perType = byType.map { index, v in
                let d = registry.descriptor(atIndex: index)
                return .init(name: d.name, typeID: d.typeID, liveObjects: v.objects, liveBytes: v.bytes)
            }.sorted { ($0.liveBytes, $0.name) > ($1.liveBytes, $1.name) }
        }
        return s
    }
}
