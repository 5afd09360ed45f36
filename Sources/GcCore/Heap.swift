/// Errors the heap reports instead of stopping. Plain values, safe on any thread.
/// Programming errors (double release, stale reference, wrong thread) are not
/// reported here: they stop the process with a message.
public enum HeapError: Error, Equatable, CustomStringConvertible {
    /// The system could not provide memory, even after a full collection.
    case outOfMemory(bytes: Int)
    /// A payload size below the type's size or beyond what a header can describe.
    case invalidPayloadSize(type: String, bytes: Int)
    /// The type was never registered.
    case unregisteredType(String)
    /// `unpin` of an object that is not pinned.
    case notPinned

    /// A one-line message naming the failure.
    public var description: String {
        switch self {
        case let .outOfMemory(bytes): "out of memory allocating \(bytes) bytes"
        case let .invalidPayloadSize(type, bytes): "invalid payload size \(bytes) for type \(type)"
        case let .unregisteredType(name): "type \(name) is not registered"
        case .notPinned: "unpin of an object that is not pinned"
        }
    }
}

/// A garbage-collected heap: reference counts free acyclic garbage at once; a cycle
/// collector (minor: young trial deletion; full: precise mark-sweep) frees cycles.
///
/// Ownership: the heap's memory lives while this `Heap` or any of its objects does;
/// when the `Heap` is released the heap collects, and frees itself once the last
/// object still held elsewhere is freed.
///
/// Thread rule: one thread owns a heap at a time (non-atomic counts, no locks).
/// The creating thread owns it; `transferOwnership()` hands it to the calling thread
/// (the previous owner must have stopped using it). Use from another thread is
/// detected: always for the heap-level calls marked "owner-checked" below, in debug
/// or `HAKOGC_CHECKED` builds for allocate/retain/release/stores, and stops the
/// process with a message. Calls marked "not checked" must still run on the owner.
/// Releasing the last reference to the `Heap` collects on the releasing thread.
///
/// This is the raw API over `ObjectRef`s (used by the C ABI and by language
/// runtimes); Swift code normally uses GcTypes, whose handles cannot dangle.
public final class Heap {
    @usableFromInline let core: HeapCore
    private let isPrimary: Bool

    /// An empty heap owned by the calling thread. The caller owns the `Heap` (Swift
    /// ARC); releasing it collects, as described under Ownership above.
    public init(configuration: HeapConfiguration = HeapConfiguration()) {
        core = HeapCore(configuration: configuration)
        isPrimary = true
        core.primary = self
    }

    init(secondaryFor core: HeapCore) {
        self.core = core
        isPrimary = false
    }

    deinit {
        if isPrimary {
            core.detach()
        } else {
            core.finishDetachedIfIdle()  // `core` is held strongly here
        }
    }

    /// The heap that owns `object` (a live object): the user's `Heap`, or a new facade
    /// over the same heap once that is gone. Not owner-checked; a freed object or a
    /// forged address is undefined behaviour.
    public static func owning(_ object: ObjectRef) -> Heap {
        HeapCore.withOwner(of: object) { $0.facade }
    }

    /// Anything the embedder wants to reach from finalizers and observers (a runtime's
    /// interpreter state, a test's recorder). The heap holds it strongly, so a context
    /// that holds this `Heap` keeps both alive for good. Owner thread (not checked).
    public var context: AnyObject? {
        get { core.context }
        set { core.context = newValue }
    }

    /// The pacing settings. Setting them is owner-checked in every build (another
    /// thread stops the process). `emptyPageCache` is read only when the heap is
    /// created; a new `fullMinimumBytes` takes effect after the next full collection.
    public var configuration: HeapConfiguration {
        get { core.configuration }
        set {
            core.ownership.check("configuration")
            core.configuration = newValue
        }
    }

    /// Makes the calling thread the owner. The previous owner must not touch the heap
    /// or its objects afterwards (where ownership is checked, that stops the process).
    /// Any thread may call it; the hand-over itself must be synchronized by the caller
    /// (the owner field is not atomic).
    public func transferOwnership() { core.ownership.transferToCurrentThread() }

    // MARK: Objects

    /// Allocates an object of `type` with count 1, owned by the caller (who must
    /// `release` it or hand it to an owner such as `GcRc(unsafeAdopting:)`). Owner
    /// thread, checked in debug and `HAKOGC_CHECKED` builds. May run a collection.
    /// - Parameter payloadBytes: at least `type.payloadSize` (the default).
    /// - Parameter zeroed: fill the payload with zero bytes (reference slots empty).
    ///   With false, the caller must initialize every reference slot before its next
    ///   call into the heap: any allocation may run a collection, and a collection
    ///   traces every object. (GcTypes initializes at once and passes false.)
    /// - Throws: `.unregisteredType`, `.invalidPayloadSize`, `.outOfMemory`.
    @inlinable
    public func allocate(
        _ type: TypeDescriptor, payloadBytes: Int? = nil, zeroed: Bool = true
    ) throws(HeapError) -> ObjectRef {
        let bytes = payloadBytes ?? type.payloadSize
        guard let object = core.allocate(type, payloadBytes: bytes) else {
            throw allocationError(type, bytes)
        }
        if zeroed { object.payload.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        return object
    }

    /// Allocates an instance of a registered fixed-size type with count 1, owned by the
    /// caller; payload uninitialized (initialize every reference slot before the next
    /// heap call, as with `zeroed: false`). Nil when memory is exhausted, or if the type
    /// is not registered. Thread rule as `allocate`. The typed API's fast path.
    @inlinable
    public func allocateUninitialized(_ type: Unmanaged<TypeDescriptor>) -> ObjectRef? {
        // Guaranteed references: the caller holds the heap and the registry the type,
        // so neither needs a retain for the call.
        type._withUnsafeGuaranteedRef { type in
            Unmanaged.passUnretained(core)._withUnsafeGuaranteedRef { $0.allocate(type, payloadBytes: type.payloadSize) }
        }
    }

    @usableFromInline
    func allocationError(_ type: TypeDescriptor, _ bytes: Int) -> HeapError {
        if type.index == 0 { return .unregisteredType(type.name) }
        if bytes < type.payloadSize || bytes > Int(Int32.max) {
            return .invalidPayloadSize(type: type.name, bytes: bytes)
        }
        return .outOfMemory(bytes: bytes)
    }

    /// Adds one strong reference, owned by the caller (balance it with `release`).
    /// Owner thread, checked in debug and `HAKOGC_CHECKED` builds. Retaining a freed
    /// object, or past 2^32 - 1 counts, stops the process with a message.
    @inlinable
    public func retain(_ object: ObjectRef) { core.retain(object) }

    /// Drops one strong reference; at zero the object is finalized and freed, and
    /// what it referenced is released (iteratively). A release of a freed object or
    /// one count too many stops the process with a message. Owner thread, checked in
    /// debug and `HAKOGC_CHECKED` builds; finalizers (and deferred collections) may run.
    @inlinable
    public func release(_ object: ObjectRef) {
        core.checkNoUserTrace("release")
        core.release(object)
    }

    /// Releases `object` in whichever heap owns it (for handles that do not store the heap).
    /// If that heap's `Heap` is gone and this frees its last object, the heap's memory
    /// is freed too. Thread rule and misuse as `release(_:)`.
    @inlinable
    public static func release(_ object: ObjectRef) {
        let detachedCore = HeapCore.withOwner(of: object) { core -> UnsafeMutableRawPointer? in
            core.checkNoUserTrace("release")
            core.release(object)
            return core.hot.pointee.detached ? Unmanaged.passUnretained(core).toOpaque() : nil
        }
        if let detachedCore { finishDetached(detachedCore) }
    }

    /// The object's `Heap` is gone. A detached core frees itself only from here (or a
    /// secondary `Heap`'s deinit), never from nested code, so it is still alive; hold
    /// it strongly while it drops its self-reference.
    @usableFromInline
    static func finishDetached(_ opaque: UnsafeMutableRawPointer) {
        let core = Unmanaged<HeapCore>.fromOpaque(opaque).takeUnretainedValue()
        core.finishDetachedIfIdle()
    }

    /// Whether the heap owning `object` is running a trace function or bridge
    /// callback (`isRunningTrace`), found through the object's page: no `Heap`
    /// value is made (`owning` makes one, and retains it). Owner thread, live object.
    @inlinable
    public static func isRunningTrace(owning object: ObjectRef) -> Bool {
        HeapCore.withOwner(of: object) { $0.hot.pointee.userTraceType != 0 }
    }

    /// Retains `object` in whichever heap owns it; the caller owns the new count.
    /// Thread rule and misuse as `retain(_:)`.
    @inlinable
    public static func retain(_ object: ObjectRef) {
        // Not refused inside a trace function (unlike release): a new count is a
        // real new owner, which only keeps the object alive (see Tracer).
        HeapCore.withOwner(of: object) { $0.retain(object) }
    }

    /// The strong count (handles + heap references + pins). For tests and diagnostics;
    /// `object` must be live. Not owner-checked.
    public func referenceCount(_ object: ObjectRef) -> Int { Int(object.count) }

    /// The reference stored at `offset` in `object`'s payload, borrowed (not retained):
    /// `retain` it to keep it past the next call that may release it. `object` must be
    /// live and `offset` one of its reference slots (not checked). Owner thread.
    @inlinable
    public func loadReference(from object: ObjectRef, offset: Int) -> ObjectRef? {
        ObjectRef(bits: object.payload.load(fromByteOffset: offset, as: UInt.self))
    }

    /// Stores `value` at `offset` in `object`'s payload: retains the new target,
    /// releases the old one. The type's trace must report that slot. A reference to
    /// an object of another heap stops the process with a message (checked in every
    /// build). Owner thread, checked in debug and `HAKOGC_CHECKED` builds; releasing
    /// the old target may run finalizers.
    @inlinable
    public func storeReference(_ value: ObjectRef?, into object: ObjectRef, offset: Int) {
        core.checkNoUserTrace("storeReference")
        // An incremental full collection must see the references before they change.
        if object.bits0 & ObjectHeader.barrier != 0 { core.incrementalBarrier(object) }
        if let value {
            if Page.of(value).owner != Page.of(object).owner { core.crossHeapReference(value, object) }
            core.retain(value)
        }
        let old = object.payload.load(fromByteOffset: offset, as: UInt.self)
        object.payload.storeBytes(of: value?.bits ?? 0, toByteOffset: offset, as: UInt.self)
        if let old = ObjectRef(bits: old) { core.release(old) }
    }

    /// Payload bytes a live object may use (at least what `allocate` was asked for).
    /// `object` must be live (not checked). Not owner-checked.
    public func payloadCapacity(of object: ObjectRef) -> Int {
        core.allocator.slotBytes(of: object) - ObjectHeader.size
    }

    /// The registered type of a live object (a freed object is undefined behaviour).
    /// Not owner-checked; descriptors live for the whole process.
    @inlinable
    public func type(of object: ObjectRef) -> TypeDescriptor {
        // The core's copy of the registry: `TypeRegistry.shared` costs a swift_once
        // check per call (30 of ~480 instructions in a checked hgc_payload).
        core.registry.descriptor(atIndex: object.typeIndex)
    }

    /// The type id of a live object's type, read from the registry's id table: no
    /// descriptor, no retain (the C ABI checks every value's id with it). Same rules
    /// as `type(of:)`.
    @inlinable
    public func typeID(of object: ObjectRef) -> UInt64 {
        core.registry.typeIDTable[object.typeIndex]
    }

    /// Whether `address` is the header of a live object of this heap. Walks the page
    /// list: meant for validation layers (the C ABI) and tests, not hot paths. Any
    /// address is safe to ask about. Owner thread (not checked).
    public func contains(_ address: UInt) -> Bool {
        guard address & 15 == 0, let object = ObjectRef(bits: address),
              let page = Page(bits: address & ~Page.mask) else { return false }
        var found = false
        core.allocator.forEachPage { if $0 == page { found = true } }
        guard found else { return false }
        if page.isLarge { return address == page.bits + UInt(Page.headerSize) && object.bits0 != 0 }
        let offset = Int(address - page.bits) - Page.headerSize
        guard offset >= 0, offset % Int(page.slotSize) == 0, address < page.bits + UInt(page.bump) else {
            return false
        }
        return object.bits0 != 0
    }

    // MARK: Pins, weak references, pressure

    /// Keeps `object` alive whatever its other counts (a root, e.g. for a foreign
    /// holder). Pins nest: each `pin` holds one count until its `unpin`. Owner-checked
    /// in every build; pinning a freed object stops the process.
    public func pin(_ object: ObjectRef) {
        core.ownership.check("pin")
        core.checkNoUserTrace("pin")
        core.pin(object)
    }

    /// Undoes one `pin` and releases its count (which may free the object).
    /// Owner-checked in every build.
    /// - Throws: `.notPinned` if `object` holds no pin.
    public func unpin(_ object: ObjectRef) throws(HeapError) {
        core.ownership.check("unpin")
        core.checkNoUserTrace("unpin")
        guard core.unpin(object) else { throw .notPinned }
    }

    /// How many pins `object` holds (0 if none). Owner thread (not checked).
    public func pinCount(_ object: ObjectRef) -> Int { core.pinCount(object) }

    /// A weak reference to a live object (it does not keep it alive; there is nothing
    /// to release). Owner-checked in every build.
    public func makeWeak(_ object: ObjectRef) -> WeakReference {
        core.ownership.check("makeWeak")
        return core.weakTable.reference(to: object)
    }

    /// The target with one more count (the caller releases it), or nil once it died.
    /// Owner-checked in every build.
    public func upgrade(_ weak: WeakReference) -> ObjectRef? {
        core.ownership.check("upgrade")
        core.checkNoUserTrace("upgrade")
        guard let object = core.weakTable.target(of: weak), !core.isFoundGarbage(object) else { return nil }
        core.retain(object)
        core.shadeIfMarking(object)
        return object
    }

    /// Declares memory held outside the heap by its objects (buffers, file maps):
    /// it counts toward the full-collection threshold, and may run a full collection
    /// at once. Balance it with `removeMemoryPressure`. Owner-checked in every build; a
    /// negative byte count stops the process.
    public func addMemoryPressure(_ bytes: Int) {
        core.ownership.check("addMemoryPressure")
        misusePrecondition(bytes >= 0, "HakoGC: addMemoryPressure with a negative byte count")
        core.externalBytes += bytes
        if core.configuration.automaticCollection && core.oldGrowth >= core.fullThreshold {
            core.collect(.full, reason: .memoryPressure)
        }
        core.resetAllocationBudget()
    }

    /// Withdraws bytes declared with `addMemoryPressure`. Owner-checked in every build;
    /// a negative count, or more than is currently declared, stops the process.
    public func removeMemoryPressure(_ bytes: Int) {
        core.ownership.check("removeMemoryPressure")
        misusePrecondition(bytes >= 0 && bytes <= core.externalBytes,
                     "HakoGC: removeMemoryPressure(\(bytes)) exceeds the \(core.externalBytes) bytes added")
        core.externalBytes -= bytes
        core.resetAllocationBudget()
    }

    // MARK: Collection and statistics

    /// Collects now. Returns what the collection did, or nil if it was deferred
    /// because the call came from a finalizer, the observer or within a collection (it
    /// then runs as soon as that work finishes). Owner-checked in every build;
    /// finalizers of the garbage run inside the call.
    @discardableResult
    public func collect(_ kind: CollectionKind = .minor) -> CollectionEvent? {
        core.ownership.check("collect")
        return core.collect(kind, reason: .explicit)
    }

    /// Called after every collection, on the owner thread, with the heap consistent.
    /// It must not collect (such a request is deferred). Nil costs nothing. The heap
    /// holds the closure strongly. Set it on the owner thread (not checked).
    public var collectionObserver: ((CollectionEvent) -> Void)? {
        get { core.observer }
        set { core.observer = newValue }
    }

    /// Another collector that takes part in full collections, to find cycles that
    /// run through both heaps (see `CollectionBridge`). Nil for none. Owner thread.
    public var collectionBridge: CollectionBridge? {
        get { core.bridge }
        set {
            core.ownership.check("collectionBridge")
            core.bridge = newValue
        }
    }

    /// During a full collection's marking with a bridge: `object` is reachable from
    /// the foreign side. Outside it, or for another heap's object, stops the process.
    public func bridgeMark(_ object: ObjectRef) {
        core.ownership.check("bridgeMark")
        core.bridgeMark(object)
    }

    /// Whether a bridged full collection is marking now (when `bridgeMark` is allowed).
    public var isBridgeMarking: Bool { core.bridgeMarking }

    /// Whether the heap is mid-operation: collecting, draining a release, or running
    /// a finalizer or observer (user code called from inside the heap). A layer that
    /// lets user code tear the heap down refuses that meanwhile. Owner thread (not
    /// checked).
    public var isBusy: Bool { core.collecting || core.draining || core.finalizerDepth > 0 }

    /// Whether the collector is running user code that must not change the heap: a
    /// type's trace function, or a bridge's marking callback. Meanwhile retain,
    /// release, stores, allocation, exclusive borrows, pins and weak upgrades stop
    /// the process with a message (a checking layer such as the C ABI asks this
    /// first and returns a status instead). Every bridge callback runs inside such a
    /// window, so user code called during a joint collection's marking sees true
    /// here as well as in `isBridgeMarking`. Owner thread (not checked).
    @inlinable public var isRunningTrace: Bool { core.hot.pointee.userTraceType != 0 }

    /// Counters now; `detailed` adds per-type figures (walks the heap). Owner-checked
    /// in every build.
    public func statistics(detailed: Bool = false) -> HeapStatistics {
        core.ownership.check("statistics")
        return core.statistics(detailed: detailed)
    }

    /// Counts a copy of storage that was shared with Swift (GcTypes conversions).
    /// Owner thread (not checked; the counters are not atomic).
    public func recordConversionCopy(bytes: Int) {
        core.conversionCopies += 1
        core.conversionCopyBytes += bytes
    }

    /// Gives cached empty pages back to the system now. Owner-checked in every build.
    public func trim() {
        core.ownership.check("trim")
        core.allocator.trimEmptyPages()
    }

    /// Calls `body` with every live object, borrowed (not retained). `body` must not
    /// allocate, free or change counts; that misuse is not detected (undefined
    /// behaviour). Owner-checked in every build.
    public func forEachObject(_ body: (ObjectRef) -> Void) {
        core.ownership.check("forEachObject")
        core.allocator.forEachObject { object in
            if !object.has(ObjectHeader.dying) { body(object) }
        }
    }
}
