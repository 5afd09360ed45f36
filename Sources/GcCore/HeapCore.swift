import Glibc

/// The state of one heap and its hot paths: allocation, counting, destruction.
/// Collectors are in CycleCollector.swift, FullCollector.swift and
/// GarbageReclaimer.swift; the public face is `Heap`.
///
/// Lifetime: pages point back here (unretained). The core outlives its `Heap` while
/// objects are still live (handles may outlast the `Heap` value); it frees itself
/// when the last of them is freed. Thread rule: one owner thread (ThreadOwnership).
@usableFromInline
final class HeapCore {
    /// Mutable state of the hot paths. Kept behind a pointer: Swift checks every
    /// access to a class's stored `var`s at run time (exclusivity), which cost more
    /// than half of all instructions in allocation-heavy code.
    @usableFromInline let hot: UnsafeMutablePointer<HotState>
    @usableFromInline let allocator: SizeClassAllocator
    @usableFromInline let registry = TypeRegistry.shared
    /// `registry.fastTable`, copied so the hot path needs no `swift_once`.
    @usableFromInline let fastTable: UnsafeMutablePointer<TypeFastInfo>
    var configuration: HeapConfiguration {
        didSet {
            configuration.validate()
            hot.pointee.adopt(configuration)
        }
    }

    /// Minor-collection epoch; an object is young while epoch - birth < 2.
    @inlinable var epoch: UInt32 {
        get { hot.pointee.epoch }
        set { hot.pointee.epoch = newValue }
    }
    @usableFromInline let candidates = RefStack()
    /// Objects whose count reached zero, waiting to be destroyed (iteratively).
    @usableFromInline let pendingDestroy = RefStack()
    @inlinable var draining: Bool {
        get { hot.pointee.draining }
        set { hot.pointee.draining = newValue }
    }
    let weakTable: WeakTable
    var pinCounts: [UInt: Int] = [:]

    // Collection state.
    @inlinable var collecting: Bool {
        get { hot.pointee.collecting }
        set { hot.pointee.collecting = newValue }
    }
    @inlinable var finalizerDepth: Int {
        get { hot.pointee.finalizerDepth }
        set { hot.pointee.finalizerDepth = newValue }
    }
    /// A collection asked for while the heap was mid-update (HeapCore+Collection.swift).
    @inlinable var deferredCollection: CollectionKind? {
        get { hot.pointee.deferredCollection }
        set { hot.pointee.deferredCollection = newValue }
    }
    /// Bytes allocated since the last collection.
    var bytesSinceMinor: Int { allocatedBytes &- hot.pointee.allocatedBytesAtCollection }
    @inlinable var fullThreshold: Int {
        get { hot.pointee.fullThreshold }
        set { hot.pointee.fullThreshold = newValue }
    }
    var sequence = 0
    let workStack = RefStack()
    let scanStack = RefStack()
    /// The running incremental full collection (IncrementalFullCollector.swift).
    var incremental: IncrementalFull?
    /// Its gray objects: marked, not traced yet.
    let grayStack = RefStack()

    // Counters (HeapStatistics).
    @inlinable var allocatedObjects: Int {
        get { hot.pointee.allocatedObjects }
        set { hot.pointee.allocatedObjects = newValue }
    }
    @inlinable var allocatedBytes: Int {
        get { hot.pointee.allocatedBytes }
        set { hot.pointee.allocatedBytes = newValue }
    }
    @inlinable var freedObjects: Int {
        get { hot.pointee.freedObjects }
        set { hot.pointee.freedObjects = newValue }
    }
    @inlinable var freedBytes: Int {
        get { hot.pointee.freedBytes }
        set { hot.pointee.freedBytes = newValue }
    }
    var freedByCollector = 0
    @inlinable var externalBytes: Int {
        get { hot.pointee.externalBytes }
        set { hot.pointee.externalBytes = newValue }
    }
    var minorCollections = 0
    var fullCollections = 0
    var fullSlices = 0
    var totalPauseNanos: UInt64 = 0
    var maxPauseNanos: UInt64 = 0
    var finalizersRun = 0
    var resurrections = 0
    @usableFromInline var conversionCopies = 0
    @usableFromInline var conversionCopyBytes = 0

    @usableFromInline var ownership = ThreadOwnership()
    var observer: ((CollectionEvent) -> Void)?
    var context: AnyObject?
    /// Another collector taking part in full collections (CollectionBridge.swift).
    var bridge: CollectionBridge?
    var bridgeMarking = false
    /// The user's `Heap`, while it exists (finalizers receive it). Not `weak`: a weak
    /// reference gives the `Heap` a side table and makes every retain of it slow;
    /// `Heap.deinit` clears this instead.
    unowned(unsafe) var primary: Heap?
    /// Set when the `Heap` went away with objects still live.
    var detachedSelf: Unmanaged<HeapCore>?
    /// Profiling of this heap (Profiling/HeapProfiler.swift), nil when off.
    var profiler: HeapProfiler?
    /// `Heap.rootDescriber` (Profiling/LeakCheck.swift).
    var rootDescriber: ((ObjectRef) -> String?)?
    /// `Heap.guestStack` (Profiling/HeapProfiler.swift).
    var guestStack: (() -> [GuestFrame])?

    init(configuration: HeapConfiguration) {
        configuration.validate()
        self.configuration = configuration
        fastTable = TypeRegistry.shared.fastTable
        hot = .allocate(capacity: 1)
        hot.initialize(to: HotState())
        hot.pointee.adopt(configuration)
        hot.pointee.fullThreshold = configuration.fullMinimumBytes
        allocator = SizeClassAllocator(emptyPageCache: configuration.emptyPageCache)
        allocator.failure = configuration.failAllocation
        weakTable = WeakTable(generationLimit: configuration.weakGenerationLimit,
                              slotLimit: configuration.weakSlotLimit)
        allocator.owner = Unmanaged.passUnretained(self).toOpaque()
        resetAllocationBudget()
        adoptEnvironmentProfiling()
    }

    deinit {
        allocator.releaseAll()
        hot.deinitialize(count: 1)
        hot.deallocate()
    }

    /// The core that owns `object`, found through its page header.
    @inlinable
    static func withOwner<R>(of object: ObjectRef, _ body: (HeapCore) -> R) -> R {
        // SAFETY: a live object's page stores its owning core; the core outlives
        // every live object (see Lifetime above).
        Unmanaged<HeapCore>.fromOpaque(Page.of(object).owner)._withUnsafeGuaranteedRef(body)
    }

    /// Owner check for the hot path: debug and HAKOGC_CHECKED builds only (reading
    /// `ownership` alone would cost a run-time exclusivity check per call).
    @inlinable
    func checkOwnerOnHotPath(_ call: StaticString) {
        #if DEBUG || HAKOGC_CHECKED
        ownership.check(call)
        #endif
    }

    /// Stops the process if a trace function (or a bridge's marking callback) is
    /// running: see `beginUserTrace`. One load and branch on the public entry
    /// points that change the graph; the collector's own paths do not call it.
    @inlinable
    func checkNoUserTrace(_ call: StaticString) {
        if hot.pointee.userTraceType != 0 { heapChangedDuringTrace(call) }
    }

    /// How much the old generation (and external memory) grew since the last full
    /// collection: what the full-collection trigger compares with `fullThreshold`.
    var oldGrowth: Int {
        max(0, hot.pointee.promotedSinceFull) &+ max(0, externalBytes &- hot.pointee.externalAtFull)
    }

    @inlinable var liveObjects: Int { allocatedObjects &- freedObjects }
    @inlinable var liveBytes: Int { allocatedBytes &- freedBytes }

    @inlinable
    func isYoung(_ object: ObjectRef) -> Bool { epoch &- object.birthEpoch < 2 }

    @inlinable
    func descriptor(of object: ObjectRef) -> Unmanaged<TypeDescriptor> {
        registry.unsafeDescriptor(object.typeIndex)
    }

    // MARK: Allocation

    /// A new object with count 1, payload uninitialized (the caller initializes it).
    ///
    /// Fast path: a fixed-size type, allocation budget left, a slot in the current
    /// page. Everything else (collection triggers, new pages, large or variable-size
    /// objects, memory shortage) is `allocateSlow`.
    @inlinable
    func allocate(_ type: TypeDescriptor, payloadBytes: Int) -> ObjectRef? {
        checkOwnerOnHotPath("allocate")
        let h = hot
        let sizeClass = type.sizeClass
        let bytes = type.slotBytes
        h.pointee.allocationBudget &-= bytes
        if sizeClass >= 0, payloadBytes == type.payloadSize, h.pointee.allocationBudget >= 0,
           let page = Page(bits: allocator.current[sizeClass]), let object = page.takeSlot() {
            object.initializeHeader(word0: type.headerWord, epoch: h.pointee.epoch)
            h.pointee.allocatedObjects &+= 1
            h.pointee.allocatedBytes &+= bytes
            return object
        }
        h.pointee.allocationBudget &+= bytes
        return allocateSlow(type, payloadBytes: payloadBytes)
    }

    /// Nil for an unregistered type, a bad size or a memory shortage (`Heap` says which).
    @usableFromInline
    func allocateSlow(_ type: TypeDescriptor, payloadBytes: Int) -> ObjectRef? {
        guard type.index != 0, payloadBytes >= type.payloadSize, payloadBytes <= Int(Int32.max) else { return nil }
        let slotBytes = ObjectHeader.size &+ payloadBytes
        let sizeClass = SizeClasses.classFor(slotBytes: slotBytes)
        let bytes = sizeClass.map { SizeClasses.slotSizes[$0] } ?? slotBytes
        if hot.pointee.allocationBudget < bytes { collectIfDue() }
        var object: ObjectRef?
        if let sizeClass {
            object = allocator.allocateSmall(sizeClass: sizeClass)
        } else {
            object = allocator.allocateLarge(slotBytes: slotBytes)
        }
        if object == nil { object = retryAfterMemoryShortage(slotBytes: slotBytes) }
        guard let object else { return nil }
        object.initializeHeader(word0: type.headerWord, epoch: epoch)
        allocatedObjects &+= 1
        allocatedBytes &+= bytes
        hot.pointee.allocationBudget &-= bytes
        // A sample point ends the budget too (resetAllocationBudget), so the
        // allocation that crosses it comes here.
        if let profiler, allocatedBytes >= profiler.nextSampleAt {
            profiler.sample(object, bytes: bytes, type: type)
            resetAllocationBudget()
        }
        return object
    }

    /// Out of memory: collect everything, give cached pages back, and try once more.
    @usableFromInline
    func retryAfterMemoryShortage(slotBytes: Int) -> ObjectRef? {
        if !collecting && finalizerDepth == 0 && !draining {
            collect(.full, reason: .memoryPressure)
        }
        allocator.trimEmptyPages()
        if let sizeClass = SizeClasses.classFor(slotBytes: slotBytes) {
            return allocator.allocateSmall(sizeClass: sizeClass)
        }
        return allocator.allocateLarge(slotBytes: slotBytes)
    }

    // MARK: Counting

    @inlinable
    func retain(_ object: ObjectRef) {
        checkOwnerOnHotPath("retain")
        let bits = object.bits0
        if bits & ObjectHeader.rcMask == ObjectHeader.maxCount {
            fatalError("HakoGC: reference count overflow (2^32 - 1 references to one object)")
        }
        if bits & ObjectHeader.typeMask == 0 {
            fatalError("HakoGC: retain of a freed object (stale reference)")
        }
        object.bits0 = bits &+ 1
    }

    @inlinable
    func release(_ object: ObjectRef) {
        checkOwnerOnHotPath("release")
        let bits = object.bits0
        let count = bits & ObjectHeader.rcMask
        if count == 0 {
            fatalError(bits & ObjectHeader.typeMask == 0
                ? "HakoGC: release of a freed object (stale reference or double release)"
                : "HakoGC: release of an object whose count is already 0 (double release)")
        }
        if count == 1 {
            if bits & ObjectHeader.dying == 0 {
                object.bits0 = (bits &- 1) | ObjectHeader.dying
                if hot.pointee.draining {
                    pendingDestroy.push(object)
                } else {
                    destroyAndDrain(object)
                }
            } else {
                object.bits0 = bits &- 1
            }
            return
        }
        object.bits0 = bits &- 1
        if bits & (ObjectHeader.acyclic | ObjectHeader.dying | ObjectHeader.barrier) == 0 {
            possibleRoot(object)
        } else if bits & ObjectHeader.barrier != 0 {
            releasedDuringCollection(object)  // old objects only: never candidates
        }
    }

    /// A count dropped but not to zero: the object may now be garbage in a cycle.
    /// Young objects join the candidate buffer; old ones wait for a full collection.
    @inlinable
    func possibleRoot(_ object: ObjectRef) {
        guard isYoung(object) else { return }
        object.color = .purple
        if !object.has(ObjectHeader.buffered) {
            object.set(ObjectHeader.buffered)
            object.bufferIndex = candidates.count
            candidates.push(object)
            if candidates.count >= hot.pointee.minorCandidateLimit { hot.pointee.allocationBudget = 0 }
        }
    }

    @inlinable
    func removeCandidate(_ object: ObjectRef) {
        object.clear(ObjectHeader.buffered)
        if let moved = candidates.swapRemove(at: object.bufferIndex) {
            moved.bufferIndex = object.bufferIndex
        }
        object.bufferIndex = 0
    }

    // MARK: Destruction (reference count reached zero)

    /// Destroys queued objects until none are left. Releasing a destroyed object's
    /// references queues more work instead of recursing, so a 10-million-node list
    /// frees in constant stack space.
    @usableFromInline
    func drainPendingDestroys() {
        draining = true
        if let first = pendingDestroy.pop() { destroyAll(first) }
        draining = false
        runDeferredCollection()
    }

    /// `object`'s count reached zero outside a drain: destroy it without a trip
    /// through the queue, then whatever it queued.
    @usableFromInline
    func destroyAndDrain(_ object: ObjectRef) {
        let h = hot
        // The plain-path test of `destroyAll`, written out: as a shared helper it
        // cost 2.4 M more instructions in binary-trees at depth 12 (code layout).
        let bits = object.bits0
        let info = fastTable + Int(truncatingIfNeeded: (bits & ObjectHeader.typeMask) >> ObjectHeader.typeShift)
        if bits & (ObjectHeader.hasWeak | ObjectHeader.hasFinalizer | ObjectHeader.buffered | ObjectHeader.barrier) == 0,
           info.pointee.plain, info.pointee.offsetCount == 0 {
            // A plain object with no reference slots releases nothing: free it here,
            // without the loop's set-up (the common single free of a leaf object).
            var tally = FreeTally(epoch: h.pointee.epoch)
            freeSlot(object, into: &tally)
            tally.commit(to: h)
            return
        }
        h.pointee.draining = true
        destroyAll(object)
        h.pointee.draining = false
        if deferredCollection != nil { runDeferredCollection() }
    }

    /// Destroys `first`, then everything its destruction queues, in one loop: the
    /// last child whose count it took to zero is destroyed next without a push and
    /// pop (a list's next node, a tree's last child), the others wait on
    /// `pendingDestroy`. Objects of plain types (offset slots only) with no weak
    /// reference, finalizer or candidate entry take the inline path; everything else
    /// goes through `destroy`. The freed counters are kept in registers and written
    /// back when the loop ends or before `destroy` (whose finalizers may read them).
    @inline(__always)
    private func destroyAll(_ first: ObjectRef) {
        var object = first
        var tally = FreeTally(epoch: hot.pointee.epoch)
        while true {
            let bits = object.bits0
            let info = fastTable + Int(truncatingIfNeeded: (bits & ObjectHeader.typeMask) >> ObjectHeader.typeShift)
            if bits & (ObjectHeader.hasWeak | ObjectHeader.hasFinalizer | ObjectHeader.buffered | ObjectHeader.barrier) == 0,
               info.pointee.plain {
                var next: ObjectRef? = nil
                let payload = object.payload
                let owner = Page.of(object).owner
                let offsets = info.pointee.offsets
                for i in 0..<info.pointee.offsetCount {
                    guard let child = ObjectRef(bits: payload.load(fromByteOffset: offsets[i], as: UInt.self)) else {
                        continue
                    }
                    if Page.of(child).owner != owner { crossHeapReference(child, object) }
                    let childBits = child.bits0
                    if childBits & (ObjectHeader.rcMask | ObjectHeader.dying) == 1 {
                        // Its last count: it dies next (the previous "next" waits on the stack).
                        child.bits0 = (childBits &- 1) | ObjectHeader.dying
                        if let pending = next { pendingDestroy.push(pending) }
                        next = child
                    } else {
                        release(child)  // still referenced, dying already, or misuse
                    }
                }
                freeSlot(object, into: &tally)
                if let following = next {
                    object = following
                    continue
                }
            } else {
                tally.commit(to: hot)
                destroy(object)
                tally = FreeTally(epoch: hot.pointee.epoch)
            }
            guard let queued = pendingDestroy.pop() else { break }
            object = queued
        }
        tally.commit(to: hot)
    }

    /// The general path: weak references, finalizers, candidates, drop and trace
    /// functions. Out of line, so the plain path in `destroyAll` stays small.
    @inline(never)
    private func destroy(_ object: ObjectRef) {
        let type = descriptor(of: object)
        // An incremental full collection's garbage keeps its slot until the cycle
        // frees it (IncrementalFullCollector.swift).
        if object.has(ObjectHeader.barrier) && incrementalBarrier(object) { return }
        if object.bits0 & (ObjectHeader.hasWeak | ObjectHeader.hasFinalizer | ObjectHeader.buffered) != 0 {
            if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
            if object.has(ObjectHeader.hasFinalizer) && !object.has(ObjectHeader.finalized) {
                object.set(ObjectHeader.finalized)
                runFinalizer(type, object)
                if object.count > 0 {
                    // Resurrected: the finalizer stored a reference to it somewhere live.
                    object.clear(ObjectHeader.dying)
                    resurrections += 1
                    shadeIfMarking(object)
                    return
                }
            }
            // A finalizer may have made a new weak reference to its dying object.
            if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
            if object.has(ObjectHeader.buffered) { removeCandidate(object) }
        }
        dropPayload(object)
        freeSlot(object)
    }

    func runFinalizer(_ type: Unmanaged<TypeDescriptor>, _ object: ObjectRef) {
        guard let finalize = type._withUnsafeGuaranteedRef({ $0.finalize }) else { return }
        finalizerDepth += 1
        finalize(facade, object)
        finalizerDepth -= 1
        finalizersRun += 1
    }

    /// Releases what the payload owns: every reference slot, then the type's drop
    /// function; or, for types described by `trace` without a drop function, every
    /// traced reference. Callers have set `draining`, so releases queue destruction,
    /// never recurse.
    @inline(__always)
    func dropPayload(_ object: ObjectRef) {
        let info = fastTable + object.typeIndex
        let payload = object.payload
        let count = info.pointee.offsetCount
        if count > 0 {
            let offsets = info.pointee.offsets
            for i in 0..<count {
                if let child = ObjectRef(bits: payload.load(fromByteOffset: offsets[i], as: UInt.self)) {
                    checkSameHeap(child, object)
                    release(child)
                }
            }
        }
        if let drop = info.pointee.drop {
            drop(payload)
        } else if count == 0 && info.pointee.hasTrace {
            traceChildren(of: object, .release)
        }
    }

    /// Frees the slot and counts it at once. - Returns: the slot's bytes.
    @discardableResult
    func freeSlot(_ object: ObjectRef) -> Int {
        var tally = FreeTally(epoch: hot.pointee.epoch)
        let bytes = freeSlot(object, into: &tally)
        tally.commit(to: hot)
        return bytes
    }

    /// Frees the slot and counts it in `tally` (the caller commits it).
    /// - Returns: the slot's bytes.
    @inline(__always) @discardableResult
    func freeSlot(_ object: ObjectRef, into tally: inout FreeTally) -> Int {
        let birth = object.birthEpoch  // before `free` reuses word 1
        let bytes = allocator.free(object)
        tally.add(bytes: bytes, birth: birth)
        return bytes
    }

    /// Calls `body` with each reference `object` holds.
    /// References between heaps are refused wherever the collector meets them (the
    /// other heap may belong to another thread; its counts and epochs mean nothing
    /// here).
    @inlinable
    func checkSameHeap(_ child: ObjectRef, _ parent: ObjectRef) {
        if Page.of(child).owner != Page.of(parent).owner {
            crossHeapReference(child, parent)
        }
    }

    @usableFromInline
    func crossHeapReference(_ child: ObjectRef, _ parent: ObjectRef) -> Never {
        fatalError("HakoGC: an object of type \(descriptor(of: parent).takeUnretainedValue().name) references an object of another heap (type \(descriptor(of: child).takeUnretainedValue().name)); references between heaps are not supported — pin the object and hold it from outside instead")
    }

    /// A trace reported more references to `object` than it has counts: the type's
    /// trace is wrong (a field visited twice, or a reference it does not own).
    @usableFromInline
    func traceOverReported(_ object: ObjectRef) -> Never {
        fatalError("HakoGC: trace functions report more references to an object of type \(descriptor(of: object).takeUnretainedValue().name) than it has counts; some type's trace visits a field twice or a reference it does not own")
    }

    // MARK: Pins and weak references

    func pin(_ object: ObjectRef) {
        retain(object)
        pinCounts[object.bits, default: 0] += 1
        object.set(ObjectHeader.pinned)
        profiler?.pinned(object)
    }

    /// - Returns: false if the object is not pinned.
    func unpin(_ object: ObjectRef) -> Bool {
        guard object.has(ObjectHeader.pinned), let n = pinCounts[object.bits] else { return false }
        if n == 1 {
            pinCounts.removeValue(forKey: object.bits)
            object.clear(ObjectHeader.pinned)
            profiler?.unpinnedLast(object)
        } else {
            pinCounts[object.bits] = n - 1
        }
        release(object)
        return true
    }

    func pinCount(_ object: ObjectRef) -> Int {
        object.has(ObjectHeader.pinned) ? pinCounts[object.bits] ?? 0 : 0
    }

    // MARK: Lifetime of the core

    /// The `Heap` handed to finalizers: the user's, or a secondary facade if the
    /// user's is gone.
    var facade: Heap {
        if let primary { return primary }
        return Heap(secondaryFor: self)
    }

    /// The user's `Heap` went away. Collect; if objects remain (held by handles that
    /// outlive the `Heap`), stay alive until the last of them is freed.
    func detach() {
        primary = nil
        if liveObjects > 0 && !collecting && finalizerDepth == 0 {
            collect(.full, reason: .teardown)
        }
        if let p = profiler, p.leakCheck != .off { LeakChecks.run(self, atExit: false) }
        detachProfiler()
        if liveObjects > 0 {
            detachedSelf = Unmanaged.passRetained(self)
            hot.pointee.detached = true
        }
    }

    /// Drops the self-reference of a detached core once its last object is gone.
    /// Only outermost entry points call this, and they hold a strong reference to
    /// the core while they do (`Heap.release(_:)`, a secondary `Heap`'s deinit), so
    /// the core is never freed under a method that is still running.
    func finishDetachedIfIdle() {
        guard let me = detachedSelf, liveObjects == 0, !draining, !collecting, finalizerDepth == 0
        else { return }
        detachedSelf = nil
        me.release()
    }

    var now: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}


/// Frees counted by a destruction loop, written to `HotState` in one go.
/// The young/old split feeds the promotion accounting (see `HotState`).
@usableFromInline
struct FreeTally {
    let epoch: UInt32
    var objects = 0
    var bytes = 0
    var youngCurrent = 0
    var youngPrevious = 0
    var old = 0

    @inline(__always)
    init(epoch: UInt32) { self.epoch = epoch }

    @inline(__always)
    mutating func add(bytes slotBytes: Int, birth: UInt32) {
        objects &+= 1
        bytes &+= slotBytes
        if birth == epoch {
            youngCurrent &+= slotBytes
        } else if birth == epoch &- 1 {
            youngPrevious &+= slotBytes
        } else {
            old &+= slotBytes
        }
    }

    @inline(__always)
    mutating func commit(to hot: UnsafeMutablePointer<HotState>) {
        hot.pointee.freedObjects &+= objects
        hot.pointee.freedBytes &+= bytes
        hot.pointee.freedYoungCurrent &+= youngCurrent
        hot.pointee.freedYoungPrevious &+= youngPrevious
        hot.pointee.promotedSinceFull &-= old  // the old generation shrinks
        self = FreeTally(epoch: epoch)
    }
}

/// The hot mutable state of a heap (see `HeapCore.hot`).
@usableFromInline
struct HotState {
    @usableFromInline var epoch: UInt32 = 2
    @usableFromInline var draining: Bool = false
    @usableFromInline var deferredCollection: CollectionKind? = nil
    @usableFromInline var collecting: Bool = false
    @usableFromInline var finalizerDepth: Int = 0
    /// Bytes that may still be allocated before the pacing rule must be checked
    /// (see `HeapCore.resetAllocationBudget`): one counter on the fast path instead of
    /// three comparisons.
    @usableFromInline var allocationBudget: Int = 0
    @usableFromInline var allocatedBytesAtCollection: Int = 0
    @usableFromInline var allocatedBytesAtEpoch: Int = 0
    // Promotion accounting (what drives full collections): bytes freed while young,
    // by birth epoch (current, previous), and the net growth of the old generation
    // (promoted minus old bytes freed) since the last full collection.
    @usableFromInline var freedYoungCurrent: Int = 0
    @usableFromInline var freedYoungPrevious: Int = 0
    @usableFromInline var allocatedPreviousEpoch: Int = 0
    @usableFromInline var promotedSinceFull: Int = 0
    @usableFromInline var externalAtFull: Int = 0
    /// The user's `Heap` is gone; objects still live keep the core (`detach`).
    @usableFromInline var detached = false
    @usableFromInline var fullThreshold: Int = 0
    @usableFromInline var allocatedObjects: Int = 0
    @usableFromInline var allocatedBytes: Int = 0
    @usableFromInline var freedObjects: Int = 0
    @usableFromInline var freedBytes: Int = 0
    @usableFromInline var externalBytes: Int = 0
    @usableFromInline var minorAllocationBytes = 0
    @usableFromInline var minorCandidateLimit = 0
    /// Objects born before this epoch are the running incremental cycle's set.
    @usableFromInline var cycleStartEpoch: UInt32 = 0
    /// While a type's trace function runs: the type index of the object traced
    /// (-1 for a bridge's marking callback, `registrationProbe` for a trace run on
    /// stand-ins at registration), else 0 (`beginUserTrace`).
    @usableFromInline var userTraceType: Int = 0
    static let registrationProbe = -2
    /// A runtime's guest-stack provider runs (a sample is being taken).
    static let guestStackProvider = -3
    /// A layer's `rootDescriber` runs (a leak check names holders).
    static let rootDescriber = -4
    /// A type's `outsideBytes` function runs (detailed statistics).
    static let outsideBytesFunction = -5
    /// The minor collector's check of what trace functions report (`traced`).
    @usableFromInline var traceBalance: UInt64 = 0
    @usableFromInline var restoreBalance: UInt64 = 0
    @usableFromInline var allocatedBytesAtSlice: Int = 0

    mutating func adopt(_ configuration: HeapConfiguration) {
        minorAllocationBytes = configuration.minorAllocationBytes
        minorCandidateLimit = configuration.minorCandidateLimit
        allocationBudget = 0  // re-derived at the next allocation
    }
}
