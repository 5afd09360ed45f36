import Glibc

/// Runs `body` on a new thread and waits for it with `pthread_join`, which the
/// sanitizers see: what the thread wrote is ordered before what the caller reads next.
public func runOnAnotherThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let created = pthread_create(&thread, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(created == 0, "pthread_create failed: \(created)")
    pthread_join(thread, nil)
}
