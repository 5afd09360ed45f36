/// A growable stack of object references in manually managed memory: the work lists
/// of the collector and of iterative destruction. No copy-on-write, no retain.
///
/// Thread rule: owned by one heap.
@usableFromInline
final class RefStack {
    @usableFromInline
    struct State {
        @usableFromInline var base: UnsafeMutablePointer<ObjectRef>
        @usableFromInline var count: Int
        @usableFromInline var capacity: Int
    }
    /// Behind a pointer, like `HeapCore.hot`: no run-time exclusivity checks.
    @usableFromInline let state: UnsafeMutablePointer<State>

    init(capacity: Int = 256) {
        state = .allocate(capacity: 1)
        state.initialize(to: State(base: .allocate(capacity: capacity), count: 0, capacity: capacity))
    }

    deinit {
        state.pointee.base.deallocate()
        state.deallocate()
    }

    @inlinable var count: Int { state.pointee.count }
    @inlinable var isEmpty: Bool { state.pointee.count == 0 }

    @inlinable
    func push(_ ref: ObjectRef) {
        let s = state
        if s.pointee.count == s.pointee.capacity { grow() }
        (s.pointee.base + s.pointee.count).initialize(to: ref)
        s.pointee.count &+= 1
    }

    @inlinable
    func pop() -> ObjectRef? {
        let s = state
        if s.pointee.count == 0 { return nil }
        s.pointee.count &-= 1
        return s.pointee.base[s.pointee.count]
    }

    // Debug builds check every index (`assert`: nothing in optimized builds, where
    // these are the collector's innermost loops).
    @inlinable
    subscript(i: Int) -> ObjectRef {
        get {
            assert(i >= 0 && i < state.pointee.count, "RefStack index \(i) out of 0..<\(state.pointee.count)")
            return state.pointee.base[i]
        }
        set {
            assert(i >= 0 && i < state.pointee.count, "RefStack index \(i) out of 0..<\(state.pointee.count)")
            state.pointee.base[i] = newValue
        }
    }

    @usableFromInline
    func grow() {
        let s = state
        let newCapacity = s.pointee.capacity * 2
        let fresh = UnsafeMutablePointer<ObjectRef>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: s.pointee.base, count: s.pointee.count)
        s.pointee.base.deallocate()
        s.pointee.base = fresh
        s.pointee.capacity = newCapacity
    }

    /// Removes element `i` in O(1) by moving the last element into its place;
    /// returns the moved element (nil if `i` was the last).
    @inlinable
    @discardableResult
    func swapRemove(at i: Int) -> ObjectRef? {
        let s = state
        assert(i >= 0 && i < s.pointee.count, "RefStack.swapRemove index \(i) out of 0..<\(s.pointee.count)")
        s.pointee.count &-= 1
        if i == s.pointee.count { return nil }
        s.pointee.base[i] = s.pointee.base[s.pointee.count]
        return s.pointee.base[i]
    }

    func removeAll() { state.pointee.count = 0 }

    /// Shrinks a large, empty buffer back (after a big collection).
    func trim(to keep: Int = 256) {
        let s = state
        guard s.pointee.count == 0, s.pointee.capacity > keep * 4 else { return }
        s.pointee.base.deallocate()
        s.pointee.base = .allocate(capacity: keep)
        s.pointee.capacity = keep
    }
}
