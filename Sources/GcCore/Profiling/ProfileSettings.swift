import Glibc

/// Profiling switched on without a code change: the environment, read once, when
/// the process creates its first heap (docs/profiling.md lists each variable).
///
/// - `HAKOGC_TRACE=1`: a line per collection on standard error (`TraceLine`).
/// - `HAKOGC_PROFILE=FILE`: every heap of the process writes its event log into
///   FILE (one file; records tagged by heap), flushed when each heap ends and at
///   exit.
/// - `HAKOGC_PROFILE_RATE=BYTES`: mean bytes between allocation samples
///   (default 524288; 1 samples every allocation; 0 none).
/// - `HAKOGC_PROFILE_SNAPSHOT=SECONDS`: a detailed snapshot of each heap at most
///   this often, after a collection (default 0: none).
/// - `HAKOGC_LEAKCHECK=1`: a leak report (`LeakReport`) on standard error and into
///   the log when each heap ends and at exit; `=strict` also makes the exit status 1
///   when anything leaked.
///
/// The same settings exist as API: `ProfileFile` and `Heap.traceCollections`.
/// A value that cannot be used (a FILE that cannot be created, a RATE that is not a
/// number) is reported once on standard error and ignored; the program runs on. An
/// empty value is the same as an unset one (`HAKOGC_PROFILE=` is off).
public struct ProfileSettings: Sendable {
    public var trace = false
    public var profilePath: String? = nil
    public var sampleRate = ProfileFile.defaultSampleRate
    public var leakCheck = LeakCheckMode.off
    /// `HAKOGC_PROFILE_SNAPSHOT=SECONDS`: periodic detailed snapshots (0: none).
    public var snapshotSeconds = 0.0

    /// Parses the variables from `lookup` (the process environment by default);
    /// the problems are returned, not printed. Pure: any thread.
    public static func parse(_ variable: (String) -> String?) -> (settings: ProfileSettings, problems: [String]) {
        func lookup(_ name: String) -> String? { variable(name).flatMap { $0.isEmpty ? nil : $0 } }
        var s = ProfileSettings()
        var problems: [String] = []
        if let t = lookup("HAKOGC_TRACE") {
            switch t {
            case "1": s.trace = true
            case "0", "": break
            default: problems.append("HAKOGC_TRACE=\(t): expected 1 or 0")
            }
        }
        if let p = lookup("HAKOGC_PROFILE") { s.profilePath = p }
        if let t = lookup("HAKOGC_PROFILE_SNAPSHOT") {
            if let n = Double(t), n >= 0, n < 1e9 { s.snapshotSeconds = n } else {
                problems.append("HAKOGC_PROFILE_SNAPSHOT=\(t): expected seconds ≥ 0; no periodic snapshots")
            }
        }
        if let l = lookup("HAKOGC_LEAKCHECK") {
            switch l {
            case "1": s.leakCheck = .report
            case "strict": s.leakCheck = .strict
            case "0", "": break
            default: problems.append("HAKOGC_LEAKCHECK=\(l): expected 1, strict or 0")
            }
        }
        if let r = lookup("HAKOGC_PROFILE_RATE") {
            if let n = Int(r), n >= 0 { s.sampleRate = n } else {
                problems.append("HAKOGC_PROFILE_RATE=\(r): expected a number of bytes ≥ 0; using \(s.sampleRate)")
            }
        }
        return (s, problems)
    }

    /// The settings in force, from the environment, and the process-wide file they
    /// opened. Evaluated once (thread-safe), when the first heap is created.
    static let environment: (settings: ProfileSettings, file: ProfileFile?) = {
        let (settings, problems) = parse { name in getenv(name).map { String(cString: $0) } }
        var file: ProfileFile?
        var all = problems
        if let path = settings.profilePath {
            do {
                file = try ProfileFile(path: path, label: ProfileFile.executablePath(), sampleRate: settings.sampleRate,
                                       snapshotSeconds: settings.snapshotSeconds)
            } catch {
                all.append("HAKOGC_PROFILE=\(path): \(error)")
            }
        }
        if file != nil || settings.leakCheck != .off { atexit { ProfileSettings.atExit() } }
        for p in all { warn("hakogc: \(p)\n") }
        return (settings, file)
    }()

    /// The file `HAKOGC_PROFILE` opened, if any. A program adds snapshots to it
    /// without knowing whether profiling is on. Any thread (asked before the first
    /// heap exists, it reads the environment then).
    public static var environmentFile: ProfileFile? { environment.file }

    /// Heaps still alive at exit are leak-checked (with `HAKOGC_LEAKCHECK`) and get
    /// their heap-end record, then the file closes; `strict` with a leak ends the
    /// process with status 1.
    static func atExit() {
        let leaked = environment.settings.leakCheck != .off && LeakChecks.atExit()
        if let file = environment.file {
            file.finishAll()
            file.close()
        }
        if leaked && environment.settings.leakCheck == .strict {
            warn("hakogc: HAKOGC_LEAKCHECK=strict: exiting with status 1\n")
            fflush(nil)
            _exit(1)
        }
    }

    static func warn(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

extension ProfileFile {
    /// Every attached heap's heap-end record (the exit handler: the heaps are the
    /// process's, still alive; threads other than the exiting one must be idle).
    func finishAll() {
        let heaps = state.withLock { Array($0.heaps.values) }
        for heap in heaps { heap._withUnsafeGuaranteedRef { $0.finish() } }
    }
}

extension HeapCore {
    /// A new heap joins what the environment switched on.
    func adoptEnvironmentProfiling() {
        let env = ProfileSettings.environment
        guard env.settings.trace || env.file != nil || env.settings.leakCheck != .off else { return }
        attachProfiler(file: env.file, trace: env.settings.trace, leakCheck: env.settings.leakCheck)
        if env.settings.leakCheck != .off { LeakChecks.register(self) }
    }

    /// Starts (or restarts, into another file) this heap's profiling.
    func attachProfiler(file: ProfileFile?, trace: Bool, leakCheck: LeakCheckMode? = nil) {
        let leakCheck = leakCheck ?? profiler?.leakCheck ?? .off
        if profiler != nil { detachProfiler() }
        guard file != nil || trace || leakCheck != .off else { return }
        let p = HeapProfiler(core: self, file: file, trace: trace)
        p.leakCheck = leakCheck
        profiler = p
        allocator.sampleTracker = p
        resetAllocationBudget()
    }

    /// Ends this heap's profiling: its heap-end record and buffered records written.
    func detachProfiler() {
        guard let p = profiler else { return }
        p.finish()
        profiler = nil
        allocator.sampleTracker = nil
        resetAllocationBudget()
    }
}

extension Heap {
    /// A language runtime's own stack, for allocation samples and pin sites: the
    /// guest frames (innermost first) stand above the native stack, so a profile
    /// names the guest function that allocated instead of the interpreter loop.
    /// Called on the owner thread each time a sample is taken, inside the heap: it
    /// must not change the heap (allocate, release, store: the process stops, as in
    /// a trace function; a `collect` is deferred). At most 64 frames are kept. Nil
    /// for none.
    public var guestStack: (() -> [GuestFrame])? {
        get { core.guestStack }
        set { core.guestStack = newValue }
    }

    /// Whether this heap prints a line per collection on standard error
    /// (`HAKOGC_TRACE=1` turns it on for every heap). Owner thread (checked).
    public var traceCollections: Bool {
        get { core.profiler?.trace ?? false }
        set {
            core.ownership.check("traceCollections")
            if let p = core.profiler {
                p.trace = newValue
                if !newValue && p.file == nil && p.leakCheck == .off { core.detachProfiler() }
            } else if newValue {
                core.attachProfiler(file: nil, trace: true)
            }
        }
    }
}
