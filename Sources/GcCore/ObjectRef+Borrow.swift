// Dynamic borrow tracking for the typed API (GcTypes): a payload is either read by
// any number of shared borrows (up to 15 nested) or written by one exclusive borrow,
// never both. This is what keeps `GcRc.with`'s borrowed payload from being changed
// (and its references freed) under the reader through another handle.

extension ObjectRef {
    /// Starts a shared (read) borrow of the payload; pair it with `endSharedBorrow`.
    /// Stops the process if the object is being mutated or already has 15 shared
    /// borrows. Owner thread (checked in debug and HAKOGC_CHECKED builds), live object.
    @inlinable
    public func beginSharedBorrow() {
        checkOwnerInCheckedBuilds("with")
        // One test covers both refusals: a 16th borrow carries out of the 4 borrow
        // bits into MUTATING (bit 62), and a payload being mutated has it already.
        let bits = bits0 &+ ObjectHeader.borrowUnit
        if bits & ObjectHeader.mutating != 0 { sharedBorrowRefused() }
        bits0 = bits
    }

    @usableFromInline
    func sharedBorrowRefused() -> Never {
        if isTorn { tornObjectAccessed() }
        if bits0 & ObjectHeader.mutating != 0 {
            fatalError("HakoGC: object read while it is being mutated (nested with/mutate on the same object)")
        }
        fatalError("HakoGC: more than 15 nested shared borrows of one object")
    }

    /// Ends one `beginSharedBorrow`. An unpaired call corrupts the header (not checked).
    @inlinable
    public func endSharedBorrow() { bits0 = bits0 &- ObjectHeader.borrowUnit }

    /// Starts the exclusive (write) borrow of the payload; pair it with
    /// `endExclusiveBorrow`. Stops the process if the object is being read or mutated.
    /// Owner thread, on a live object (neither is checked).
    ///
    /// While an incremental full collection runs, the first exclusive borrow of an
    /// object it has counted or not yet traced runs its barrier first (one test
    /// covers that and both refusals).
    ///
    /// Inside a type's trace function it stops the process: moving references
    /// between objects while the collector reads them could free a live object.
    @inlinable
    public func beginExclusiveBorrow() {
        checkOwnerInCheckedBuilds("mutate")
        var bits = bits0
        if bits & (ObjectHeader.mutating | ObjectHeader.borrowMask | ObjectHeader.barrier) != 0 {
            exclusiveBorrowSlow()
            bits = bits0
        }
        HeapCore.withOwner(of: self) { $0.checkNoUserTrace("mutate") }
        bits0 = bits | ObjectHeader.mutating
    }

    /// Whether the object is torn garbage (GarbageReclaimer.swift): its garbage set
    /// is being torn down, so its payload may be dropped already; every borrow is
    /// refused. Owner thread; the slot must not be freed yet. (In the header:
    /// MUTATING with shared borrows, a pair no borrow can produce.)
    @inlinable public var isTorn: Bool {
        bits0 & ObjectHeader.mutating != 0 && bits0 & ObjectHeader.borrowMask != 0
    }

    /// A borrow of torn garbage: user code called during the teardown (a
    /// payload's deinit) reached another object of the same garbage set, whose
    /// payload may be gone already.
    @usableFromInline @inline(never)
    func tornObjectAccessed() -> Never {
        let (name, probing) = HeapCore.withOwner(of: self) {
            ($0.descriptor(of: self).takeUnretainedValue().name, $0.hot.pointee.userTraceType == HotState.registrationProbe)
        }
        if probing {
            fatalError("HakoGC: a trace function read or mutated through a reference it reports while its type was checked at registration (on stand-in references); trace must only report the references its value holds")
        }
        fatalError("HakoGC: an object of type \(name) was read or mutated during the teardown of its garbage set: a deinit reached another object of its own garbage cycle, whose payload may be destroyed already (do such work in a finalizer, which runs while the whole set is intact)")
    }

    @usableFromInline @inline(never)
    func exclusiveBorrowSlow() {
        if isTorn { tornObjectAccessed() }
        misusePrecondition(bits0 & (ObjectHeader.mutating | ObjectHeader.borrowMask) == 0,
                     "HakoGC: object mutated while it is being read or mutated (nested with/mutate on the same object)")
        _ = HeapCore.withOwner(of: self) { $0.incrementalBarrier(self) }
    }

    /// Ends the `beginExclusiveBorrow`. Not checked: call it only to pair one.
    @inlinable
    public func endExclusiveBorrow() { bits0 = bits0 & ~ObjectHeader.mutating }

    /// Whether the object is being finalized or freed (count reached 0, or garbage
    /// found by a collection). Owner thread; the object's slot must not be freed yet.
    @inlinable public var isDying: Bool { has(ObjectHeader.dying) }

    /// Whether both objects live in the same heap (a page-header comparison).
    @inlinable
    public func isInSameHeap(as other: ObjectRef) -> Bool {
        Page.of(self).owner == Page.of(other).owner
    }

    /// Debug and HAKOGC_CHECKED builds: the calling thread must own the object's heap.
    @inlinable
    func checkOwnerInCheckedBuilds(_ call: StaticString) {
        #if DEBUG || HAKOGC_CHECKED
        HeapCore.withOwner(of: self) { $0.ownership.check(call) }
        #endif
    }
}
