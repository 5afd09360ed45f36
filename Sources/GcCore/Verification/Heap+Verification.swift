extension Heap {
    /// Checks the heap's invariants now (the rules are the table in
    /// HeapVerifier.swift) and returns each one found broken, at most 100; empty
    /// for a sound heap. Walks every page and traces every object (trace functions
    /// run in their read-only window). Owner-checked in every build.
    ///
    /// Misuse: calling it from inside a collection — a finalizer, a `deinit` or an
    /// observer it runs, a trace function, a bridge callback — stops the process:
    /// the heap is mid-update there, and its rules do not hold yet.
    public func checkInvariants() -> [HeapViolation] {
        core.ownership.check("checkInvariants")
        misusePrecondition(!core.collecting && !core.draining && core.finalizerDepth == 0 && core.hot.pointee.userTraceType == 0,
                           "HakoGC: checkInvariants() called while the heap is collecting or running user code it called (a finalizer, deinit, observer, trace or bridge callback)")
        return HeapVerifier(core: core).run()
    }

    /// `checkInvariants()`, stopping the process with the first violation's message
    /// (rule, object, its type) when any rule is broken. What `HAKOGC_VERIFY=1`
    /// (`HeapConfiguration.verify`) does after every collection. Owner-checked;
    /// same misuse as `checkInvariants()`.
    public func verify() {
        core.ownership.check("verify")
        misusePrecondition(!core.collecting && !core.draining && core.finalizerDepth == 0 && core.hot.pointee.userTraceType == 0,
                           "HakoGC: verify() called while the heap is collecting or running user code it called (a finalizer, deinit, observer, trace or bridge callback)")
        core.verifyOrStop(after: "by Heap.verify()")
    }
}
