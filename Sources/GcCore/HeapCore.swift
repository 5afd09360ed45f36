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
    @usableFromInline var allocator: SizeClassAllocator!
    @usableFromInline let registry = TypeRegistry.shared
    @usableFromInline var configuration: HeapConfiguration

    /// Minor-collection epoch; an object is young while epoch - birth < 2.
    @usableFromInline var epoch: UInt32 = 2
    @usableFromInline let candidates = RefStack()
    /// Objects whose count reached zero, waiting to be destroyed (iteratively).
    @usableFromInline let pendingDestroy = RefStack()
    @usableFromInline var draining = false
    let weakTable = WeakTable()
    var pinCounts: [UInt: Int] = [:]

    // Collection state.
    @usableFromInline var collecting = false
    @usableFromInline var finalizerDepth = 0
    var deferredCollection: CollectionKind? = nil
    @usableFromInline var bytesSinceMinor = 0
    @usableFromInline var fullThreshold: Int
    var sequence = 0
    let workStack = RefStack()
    let scanStack = RefStack()

    // Counters (HeapStatistics).
    @usableFromInline var allocatedObjects = 0
    @usableFromInline var allocatedBytes = 0
    @usableFromInline var freedObjects = 0
    @usableFromInline var freedBytes = 0
    var freedByCollector = 0
    @usableFromInline var externalBytes = 0
    var minorCollections = 0
    var fullCollections = 0
    var totalPauseNanos: UInt64 = 0
    var maxPauseNanos: UInt64 = 0
    var finalizersRun = 0
    var resurrections = 0
    @usableFromInline var conversionCopies = 0
    @usableFromInline var conversionCopyBytes = 0

    @usableFromInline var ownership = ThreadOwnership()
    var observer: ((CollectionEvent) -> Void)?
    var context: AnyObject?
    /// The user's `Heap`, while it exists (finalizers receive it).
    weak var primary: Heap?
    /// Set when the `Heap` went away with objects still live.
    var detachedSelf: Unmanaged<HeapCore>?

    init(configuration: HeapConfiguration) {
        self.configuration = configuration
        fullThreshold = configuration.fullMinimumBytes
        allocator = SizeClassAllocator(
            owner: Unmanaged.passUnretained(self).toOpaque(),
            emptyPageCache: configuration.emptyPageCache)
    }

    deinit {
        allocator.releaseAll()
    }

    /// The core that owns `object`, found through its page header.
    @inlinable
    static func withOwner<R>(of object: ObjectRef, _ body: (HeapCore) -> R) -> R {
        // SAFETY: a live object's page stores its owning core; the core outlives
        // every live object (see Lifetime above).
        Unmanaged<HeapCore>.fromOpaque(Page.of(object).owner)._withUnsafeGuaranteedRef(body)
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
    @inlinable
    func allocate(_ type: TypeDescriptor, payloadBytes: Int) -> ObjectRef? {
        ownership.checkHot("allocate")
        if bytesSinceMinor >= configuration.minorAllocationBytes
            || candidates.count >= configuration.minorCandidateLimit
            || liveBytes &+ externalBytes >= fullThreshold {
            collectAutomatically()
        }
        let slotBytes = ObjectHeader.size &+ payloadBytes
        var object: ObjectRef?
        var bytes = slotBytes
        if let sizeClass = SizeClasses.classFor(slotBytes: slotBytes) {
            object = allocator.allocateSmall(sizeClass: sizeClass)
            bytes = SizeClasses.slotSizes[sizeClass]
        } else {
            object = allocator.allocateLarge(slotBytes: slotBytes)
        }
        if object == nil { object = retryAfterMemoryShortage(slotBytes: slotBytes) }
        guard let object else { return nil }
        object.initializeHeader(typeIndex: type.index, flags: type.initialFlags, epoch: epoch)
        allocatedObjects &+= 1
        allocatedBytes &+= bytes
        bytesSinceMinor &+= bytes
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
        ownership.checkHot("retain")
        let bits = object.bits0
        if bits & ObjectHeader.rcMask == ObjectHeader.maxCount {
            preconditionFailure("HakoGC: reference count overflow (2^32 - 1 references to one object)")
        }
        if bits & ObjectHeader.typeMask == 0 {
            preconditionFailure("HakoGC: retain of a freed object (stale reference)")
        }
        object.bits0 = bits &+ 1
    }

    @inlinable
    func release(_ object: ObjectRef) {
        ownership.checkHot("release")
        let bits = object.bits0
        let count = bits & ObjectHeader.rcMask
        if count == 0 {
            preconditionFailure(bits & ObjectHeader.typeMask == 0
                ? "HakoGC: release of a freed object (stale reference or double release)"
                : "HakoGC: release of an object whose count is already 0 (double release)")
        }
        object.bits0 = bits &- 1
        if count == 1 {
            if bits & ObjectHeader.dying == 0 { scheduleDestroy(object) }
        } else if bits & (ObjectHeader.acyclic | ObjectHeader.dying) == 0 {
            possibleRoot(object)
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
        }
    }

    @inlinable
    func removeCandidate(_ object: ObjectRef) {
        object.clear(ObjectHeader.buffered)
        if let moved = candidates.swapRemove(at: object.bufferIndex) {
            moved.bufferIndex = object.bufferIndex
        }
    }

    // MARK: Destruction (reference count reached zero)

    @usableFromInline
    func scheduleDestroy(_ object: ObjectRef) {
        object.set(ObjectHeader.dying)
        pendingDestroy.push(object)
        if !draining { drainPendingDestroys() }
    }

    /// Destroys queued objects until none are left. Releasing a destroyed object's
    /// references queues more work instead of recursing, so a 10-million-node list
    /// frees in constant stack space.
    @usableFromInline
    func drainPendingDestroys() {
        draining = true
        while let object = pendingDestroy.pop() {
            destroy(object)
        }
        draining = false
        runDeferredCollection()
        finishDetachedIfIdle()  // last: may free `self`
    }

    private func destroy(_ object: ObjectRef) {
        let type = descriptor(of: object)
        if object.has(ObjectHeader.hasWeak) { weakTable.clear(object) }
        if object.has(ObjectHeader.hasFinalizer) && !object.has(ObjectHeader.finalized) {
            object.set(ObjectHeader.finalized)
            runFinalizer(type, object)
            if object.count > 0 {
                // Resurrected: the finalizer stored a reference to it somewhere live.
                object.clear(ObjectHeader.dying)
                resurrections += 1
                return
            }
        }
        if object.has(ObjectHeader.buffered) { removeCandidate(object) }
        dropPayload(type, object)
        freeSlot(object)
    }

    func runFinalizer(_ type: Unmanaged<TypeDescriptor>, _ object: ObjectRef) {
        guard let finalize = type._withUnsafeGuaranteedRef({ $0.finalize }) else { return }
        finalizerDepth += 1
        finalize(facade, object)
        finalizerDepth -= 1
        finalizersRun += 1
    }

    /// Releases what the payload owns: the type's drop function, or every traced
    /// reference. Releases queue destruction (the caller drains).
    func dropPayload(_ type: Unmanaged<TypeDescriptor>, _ object: ObjectRef) {
        let wasDraining = draining
        draining = true
        type._withUnsafeGuaranteedRef { type in
            if let drop = type.drop {
                drop(object.payload)
            } else if let trace = type.trace {
                trace(object.payload) { child in self.release(child) }
            }
        }
        draining = wasDraining
    }

    func freeSlot(_ object: ObjectRef) {
        let bytes = allocator.slotBytes(of: object)
        freedObjects &+= 1
        freedBytes &+= bytes
        allocator.free(object)
    }

    /// Calls `body` with each reference `object` holds.
    @inlinable
    func forEachChild(of object: ObjectRef, _ body: (ObjectRef) -> Void) {
        let type = descriptor(of: object)
        type._withUnsafeGuaranteedRef { type in
            if let trace = type.trace { trace(object.payload, body) }
        }
    }

    // MARK: Pins and weak references

    func pin(_ object: ObjectRef) {
        retain(object)
        pinCounts[object.bits, default: 0] += 1
        object.set(ObjectHeader.pinned)
    }

    /// - Returns: false if the object is not pinned.
    func unpin(_ object: ObjectRef) -> Bool {
        guard object.has(ObjectHeader.pinned), let n = pinCounts[object.bits] else { return false }
        if n == 1 {
            pinCounts.removeValue(forKey: object.bits)
            object.clear(ObjectHeader.pinned)
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
        if liveObjects > 0 && !collecting && finalizerDepth == 0 {
            collect(.full, reason: .teardown)
        }
        if liveObjects > 0 {
            detachedSelf = Unmanaged.passRetained(self)
        }
    }

    /// Frees a detached core once its last object is gone. Callers make this their
    /// last use of `self`.
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

