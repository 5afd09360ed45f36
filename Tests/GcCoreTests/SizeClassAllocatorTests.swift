import Testing
@testable import GcCore

@Suite struct SizeClassAllocatorTests {
    @Test func sizeClassesCoverEverySizeWithBoundedWaste() {
        var previous = 0
        for cls in SizeClasses.slotSizes {
            #expect(cls % 16 == 0 && cls > previous)
            previous = cls
        }
        for bytes in 17...SizeClasses.largestSlot {
            let cls = SizeClasses.classFor(slotBytes: bytes)!
            let slot = SizeClasses.slotSizes[cls]
            #expect(slot >= bytes, "\(bytes) bytes put in a \(slot)-byte slot")
            if cls > 0 { #expect(SizeClasses.slotSizes[cls - 1] < bytes, "\(bytes) bytes not in the smallest class that fits") }
            if bytes > 128 { #expect(Double(slot - bytes) / Double(bytes) < 0.25) }
        }
        #expect(SizeClasses.classFor(slotBytes: SizeClasses.largestSlot + 1) == nil)
    }

    @Test func slotsAreReusedAndPagesFollowTheirObjects() {
        let allocator = SizeClassAllocator(emptyPageCache: 1)
        var owner = 0
        withUnsafeMutablePointer(to: &owner) { allocator.owner = UnsafeMutableRawPointer($0) }
        let cls = SizeClasses.classFor(slotBytes: 48)!
        let a = allocator.allocateSmall(sizeClass: cls)!
        a.initializeHeader(typeIndex: 1, flags: 0, epoch: 0)
        #expect(Page.of(a).slotSize == 48 && Page.of(a).liveCount == 1)
        #expect(allocator.free(a) == 48)
        let b = allocator.allocateSmall(sizeClass: cls)!
        #expect(b == a, "a freed slot is reused first (LIFO free list)")
        b.initializeHeader(typeIndex: 1, flags: 0, epoch: 0)

        // Fill several pages, walk them, free them: pages come back.
        var objects = [b]
        for _ in 0..<5_000 {
            let o = allocator.allocateSmall(sizeClass: cls)!
            o.initializeHeader(typeIndex: 1, flags: 0, epoch: 0)
            objects.append(o)
        }
        #expect(allocator.pageCount > 3)
        var walked = 0
        allocator.forEachObject { _ in walked += 1 }
        #expect(walked == objects.count)
        for o in objects { _ = allocator.free(o) }
        #expect(allocator.pageCount <= 1 && allocator.cachedEmptyPages <= 1)
        #expect(allocator.pagesReleased >= 2)
        allocator.forEachObject { _ in walked += 1 }
        #expect(walked == objects.count, "free slots are not walked")
    }

    @Test func largeObjectsHaveTheirOwnBlock() {
        let allocator = SizeClassAllocator(emptyPageCache: 0)
        var owner = 0
        withUnsafeMutablePointer(to: &owner) { allocator.owner = UnsafeMutableRawPointer($0) }
        let big = allocator.allocateLarge(slotBytes: 200_000)!
        big.initializeHeader(typeIndex: 1, flags: 0, epoch: 0)
        #expect(Page.of(big).isLarge && allocator.slotBytes(of: big) == 200_000)
        #expect(allocator.committedBytes >= 200_000)
        #expect(allocator.free(big) == 200_000)
        #expect(allocator.committedBytes == 0 && allocator.pageCount == 0)
    }
}
