/// The slot allocator of one heap: size-class pages from jemalloc, a free list per
/// page, bump allocation in fresh pages, large objects in blocks of their own.
///
/// Allocation is a free-list pop or a bump in the current page of the size class.
/// A page that gains a free slot joins its class's list of pages with room; a page
/// that becomes empty goes to the empty-page cache, which holds at most as many
/// pages as are in use (and at least `emptyPageCache`): a program that frees and
/// rebuilds a structure reuses its pages instead of returning them to jemalloc and
/// asking again (which cost time, and with some allocation patterns jemalloc did
/// not reuse the returned blocks: 480 MB resident instead of 44 for binary-trees at
/// depth 18). What the bound refuses is given back at once, so the pages held never
/// exceed twice those in use plus the floor. `trim()` gives the cache back. Every page is listed in `pages`, so the heap can walk
/// all objects (full collection, snapshots, leak checks).
///
/// Thread rule: owned by one heap, used by that heap's owner thread only.
@usableFromInline
final class SizeClassAllocator {
    /// Current page per size class (page address or 0).
    @usableFromInline let current: UnsafeMutablePointer<UInt>
    /// Head of the list of pages with room, per size class.
    let availableHead: UnsafeMutablePointer<UInt>
    /// Every page this allocator owns, small and large.
    private(set) var pages: [Page] = []
    private var emptyCache: [Page] = []
    let emptyCacheLimit: Int
    /// The HeapCore, written into each page header (set once, right after init).
    var owner: UnsafeMutableRawPointer?
    /// The heap's profiler while it samples: told of every free in a page that
    /// holds a sampled object (`Page.holdsSample`).
    unowned(unsafe) var sampleTracker: HeapProfiler?

    private(set) var pagesAllocated = 0
    private(set) var pagesReleased = 0
    /// Failure injection (AllocationFailure.swift): which block requests fail.
    var failure: AllocationFailure?
    /// Block requests so far, and how many of them were failed on purpose.
    private(set) var blockRequests = 0
    private(set) var injectedFailures = 0
    /// Bytes of page blocks held from the system now.
    private(set) var committedBytes = 0

    init(emptyPageCache: Int) {
        emptyCacheLimit = emptyPageCache
        current = .allocate(capacity: SizeClasses.count)
        current.initialize(repeating: 0, count: SizeClasses.count)
        availableHead = .allocate(capacity: SizeClasses.count)
        availableHead.initialize(repeating: 0, count: SizeClasses.count)
    }

    deinit {
        releaseAll()
        current.deallocate()
        availableHead.deallocate()
    }

    /// Gives every page back, live objects or not (heap teardown).
    func releaseAll() {
        for page in pages { freeBlock(page) }
        for page in quarantine ?? [] { freeBlock(page) }
        quarantine = nil
        for page in emptyCache { freeBlock(page) }
        pages.removeAll()
        emptyCache.removeAll()
        current.update(repeating: 0, count: SizeClasses.count)
        availableHead.update(repeating: 0, count: SizeClasses.count)
    }

    /// A slot of size class `sizeClass`; nil only if the system is out of memory.
    @inlinable
    func allocateSmall(sizeClass: Int) -> ObjectRef? {
        if let page = Page(bits: current[sizeClass]), let slot = page.takeSlot() {
            return slot
        }
        return refillAndAllocate(sizeClass: sizeClass)
    }

    @usableFromInline
    func refillAndAllocate(sizeClass: Int) -> ObjectRef? {
        // The current page is full: take a page with room, else a cached or new one.
        if let full = Page(bits: current[sizeClass]) { full.room = .unlisted }
        if let page = Page(bits: availableHead[sizeClass]) {
            unlinkAvailable(page)
            makeCurrent(page)
            return page.takeSlot()
        }
        current[sizeClass] = 0
        guard let page = newSmallPage(sizeClass: sizeClass) else { return nil }
        makeCurrent(page)
        return page.takeSlot()
    }

    private func makeCurrent(_ page: Page) {
        current[page.sizeClass] = page.bits
        page.room = .current
    }

    private func newSmallPage(sizeClass: Int) -> Page? {
        let page: Page
        if let cached = emptyCache.popLast() {
            page = cached
        } else {
            guard let block = requestBlock(bytes: Page.size) else { return nil }
            page = Page(block)
            page.blockBytes = Page.size
            pagesAllocated += 1
            committedBytes += Page.size
        }
        page.owner = owner!
        page.freeList = 0
        page.bump = UInt32(Page.headerSize)
        let slot = SizeClasses.slotSizes[sizeClass]
        page.slotSize = UInt32(slot)
        page.end = UInt32(Page.headerSize + ((Page.size - Page.headerSize) / slot) * slot)
        page.sizeClass = sizeClass
        page.isLarge = false
        page.room = .unlisted
        page.liveCount = 0
        page.nextAvailable = 0
        page.prevAvailable = 0
        page.pageIndex = pages.count
        pages.append(page)
        AddressSanitizer.poison(page.base + Page.headerSize, bytes: Page.size - Page.headerSize)
        return page
    }

    /// A large object of `slotBytes` (header included) in a block of its own.
    @usableFromInline
    func allocateLarge(slotBytes: Int) -> ObjectRef? {
        let bytes = Page.headerSize + slotBytes
        guard let block = requestBlock(bytes: bytes) else { return nil }
        let page = Page(block)
        page.owner = owner!
        page.blockBytes = bytes
        page.isLarge = true
        page.room = .unlisted
        page.slotSize = UInt32(truncatingIfNeeded: min(slotBytes, Int(UInt32.max)))
        page.liveCount = 1
        page.bump = UInt32(Page.headerSize)
        page.end = UInt32(Page.headerSize)
        page.freeList = 0
        page.pageIndex = pages.count
        pages.append(page)
        pagesAllocated += 1
        committedBytes += bytes
        return ObjectRef(block + Page.headerSize)
    }

    /// Frees `object`'s slot (the caller has dropped its payload); returns its bytes.
    ///
    /// Inline path: a small page that is current or already listed, and does not
    /// become empty, needs only the slot pushed on its free list. Everything else
    /// (large objects, a full page gaining room, a page becoming empty) is `freeSlow`.
    @inlinable @inline(__always)
    func free(_ object: ObjectRef) -> Int {
        let page = Page.of(object)
        let state = page.kindAndRoom
        if state >= 0x100, state & 0xFF == 0, page.liveCount > 1 {
            page.returnSlot(object)
            return Int(page.slotSize)
        }
        return freeSlow(object)
    }

    @usableFromInline @inline(never)
    func freeSlow(_ object: ObjectRef) -> Int {
        let page = Page.of(object)
        if page.holdsSample, let tracker = sampleTracker { tracker.slotFreed(object) }
        if page.isLarge {
            let bytes = page.blockBytes - Page.headerSize
            object.bits0 = 0
            removePage(page)
            return bytes
        }
        let bytes = Int(page.slotSize)
        page.returnSlot(object)
        if page.room != .current { pageGainedRoom(page) }
        return bytes
    }

    @usableFromInline
    func pageGainedRoom(_ page: Page) {
        if page.liveCount == 0 {
            if page.inAvailable { unlinkAvailable(page) }
            retireEmpty(page)
        } else if !page.inAvailable {
            linkAvailable(page)
        }
    }

    @usableFromInline
    func linkAvailable(_ page: Page) {
        let cls = page.sizeClass
        page.prevAvailable = 0
        page.nextAvailable = availableHead[cls]
        if let next = Page(bits: availableHead[cls]) { next.prevAvailable = page.bits }
        availableHead[cls] = page.bits
        page.room = .listed
    }

    @usableFromInline
    func unlinkAvailable(_ page: Page) {
        if let prev = Page(bits: page.prevAvailable) {
            prev.nextAvailable = page.nextAvailable
        } else {
            availableHead[page.sizeClass] = page.nextAvailable
        }
        if let next = Page(bits: page.nextAvailable) { next.prevAvailable = page.prevAvailable }
        page.room = .unlisted
        page.nextAvailable = 0
        page.prevAvailable = 0
    }

    @usableFromInline
    func retireEmpty(_ page: Page) {
        detach(page)
        if quarantine != nil {
            quarantine!.append(page)
            return
        }
        if emptyCache.count < emptyCacheBound {
            emptyCache.append(page)
        } else {
            freeBlock(page)
        }
        shrinkEmptyCacheToBound()
    }

    @usableFromInline
    func removePage(_ page: Page) {
        detach(page)
        if quarantine != nil {
            quarantine!.append(page)
            return
        }
        freeBlock(page)
        shrinkEmptyCacheToBound()
    }

    /// How many empty pages may be kept: as many as are in use, at least the floor.
    var emptyCacheBound: Int { max(emptyCacheLimit, pages.count) }

    /// Pages in use shrank: give back cached pages beyond the bound.
    private func shrinkEmptyCacheToBound() {
        while emptyCache.count > emptyCacheBound { freeBlock(emptyCache.removeLast()) }
    }

    /// Removes `page` from `pages` in O(1) (swap with the last).
    private func detach(_ page: Page) {
        let index = page.pageIndex
        let last = pages.removeLast()
        if last != page {
            pages[index] = last
            last.pageIndex = index
        }
    }

    /// A block from the system, unless failure injection says this request fails.
    private func requestBlock(bytes: Int) -> UnsafeMutableRawPointer? {
        blockRequests += 1
        if let failure, failure.fails(request: blockRequests) {
            injectedFailures += 1
            return nil
        }
        return PageMemory.allocate(bytes: bytes)
    }

    /// Blocks held from the system that are not in use, cached or quarantined: 0
    /// unless a block was lost (the allocation-failure tests check it).
    var unaccountedBlocks: Int {
        pagesAllocated - pagesReleased - pages.count - emptyCache.count - (quarantine?.count ?? 0)
    }

    private func freeBlock(_ page: Page) {
        let bytes = page.blockBytes
        committedBytes -= bytes
        pagesReleased += 1
        PageMemory.free(page.base, bytes: bytes)
    }

    /// Pages emptied while an incremental full collection marks: neither reused nor
    /// given back until it ends, so a gray object that died meanwhile can still be
    /// read (and skipped) at its old address. Nil when no marking runs.
    private var quarantine: [Page]?

    func beginQuarantine() { quarantine = quarantine ?? [] }

    /// Empty small pages go to the cache (within its bound), the rest back to jemalloc.
    func endQuarantine() {
        guard let held = quarantine else { return }
        quarantine = nil
        for page in held {
            if !page.isLarge && emptyCache.count < emptyCacheBound {
                emptyCache.append(page)
            } else {
                freeBlock(page)
            }
        }
    }

    /// The page at `index` in the list of pages in use (0..<pageCount).
    func page(at index: Int) -> Page { pages[index] }

    /// The pages in use now (a copy).
    func pageSnapshot() -> [Page] { pages }

    /// Gives the empty-page cache back to the system (memory pressure, heap trim).
    func trimEmptyPages() {
        for page in emptyCache { freeBlock(page) }
        emptyCache.removeAll()
    }

    /// Calls `body` with every allocated object, page by page.
    func forEachObject(_ body: (ObjectRef) -> Void) {
        // Index loop: `body` must not allocate or free (collectors snapshot first).
        for page in pages { page.forEachObject(body) }
    }

    /// The slot size an object occupies (header included).
    @inlinable
    func slotBytes(of object: ObjectRef) -> Int {
        let page = Page.of(object)
        return page.isLarge ? page.blockBytes - Page.headerSize : Int(page.slotSize)
    }

    func forEachPage(_ body: (Page) -> Void) { for page in pages { body(page) } }

    var pageCount: Int { pages.count }
    var cachedEmptyPages: Int { emptyCache.count }
}
