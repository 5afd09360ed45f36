import Glibc

/// A value guarded by a `pthread_mutex_t`: the process-wide tables (type registry,
/// generic type cache, the C ABI's heap and function tables).
///
/// Why not `Synchronization.Mutex`: on Linux it hands a contended lock over inside
/// the kernel (priority-inheritance futexes), where ThreadSanitizer cannot see the
/// hand-off, so every access to a guarded table was reported as a race. TSan
/// intercepts pthread mutexes, so with this lock a TSan report means a real race.
///
/// Thread rule: any thread. `body` must not take the same lock again (it is not
/// recursive: that deadlocks) and should not run user code.
package final class ProcessLock<Value>: @unchecked Sendable {
    // SAFETY: `value` is read and written only between lock and unlock of `mutex`,
    // which is allocated once and never moves.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    package func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
