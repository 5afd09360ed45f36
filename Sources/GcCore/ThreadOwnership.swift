import Glibc

/// The thread that owns a heap. Heaps are single-threaded (the isolate model):
/// counts are not atomic and nothing on the hot path takes a lock.
///
/// Checking: heap-level calls (collect, pin, weak references, statistics,
/// configuration) check the owner in every build; the hot path (allocate, retain,
/// release, reference stores) checks in debug builds, or in any build compiled with
/// `-Xswiftc -DHAKOGC_CHECKED`. A failed check stops the process with a message that
/// names the call.
@usableFromInline
struct ThreadOwnership {
    @usableFromInline var owner: pthread_t = pthread_self()

    mutating func transferToCurrentThread() { owner = pthread_self() }

    var isCurrent: Bool { pthread_equal(owner, pthread_self()) != 0 }

    @usableFromInline
    func check(_ call: StaticString) {
        if !isCurrent {
            fatalError("HakoGC: \(call) called on a thread that does not own the heap; call Heap.transferOwnership() on the new thread first")
        }
    }
}
