/// A growable stack of object references in manually managed memory: the work lists
/// of the collector and of iterative destruction. No copy-on-write, no retain.
///
/// Thread rule: owned by one heap.
@usableFromInline
final class RefStack {
    @usableFromInline var base: UnsafeMutablePointer<ObjectRef>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inlinable var isEmpty: Bool { count == 0 }

    @inlinable
    func push(_ ref: ObjectRef) {
        if count == capacity { grow() }
        (base + count).initialize(to: ref)
        count &+= 1
    }

    @inlinable
    func pop() -> ObjectRef? {
        if count == 0 { return nil }
        count &-= 1
        return base[count]
    }

    @inlinable
    subscript(i: Int) -> ObjectRef {
        get { base[i] }
        set { base[i] = newValue }
    }

    @usableFromInline
    func grow() {
        let newCapacity = capacity * 2
        let fresh = UnsafeMutablePointer<ObjectRef>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    /// Removes element `i` in O(1) by moving the last element into its place.
    @inlinable
    @discardableResult
    func swapRemove(at i: Int) -> ObjectRef? {
        count &-= 1
        if i == count { return nil }
        base[i] = base[count]
        return base[i]
    }

    func removeAll() { count = 0 }

    /// Shrinks a large, empty buffer back (after a big collection).
    func trim(to keep: Int = 256) {
        guard count == 0, capacity > keep * 4 else { return }
        base.deallocate()
        base = .allocate(capacity: keep)
        capacity = keep
    }

    var array: [ObjectRef] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
