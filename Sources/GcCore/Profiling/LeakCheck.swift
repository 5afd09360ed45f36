import Glibc

/// `HAKOGC_LEAKCHECK`: off, a report at each heap's end (`1`), or a report and a
/// non-zero exit status when anything leaked (`strict`, for CI, as LeakSanitizer).
public enum LeakCheckMode: Sendable, Equatable {
    case off, report, strict
}

/// What a leak check found: every object still alive after a full collection,
/// grouped, with what keeps each group alive (docs/profiling.md, "Leaks").
///
/// The kinds, as defined here:
/// - **Alive at the end**: objects alive when the heap ends (after its teardown
///   collection) or when `Heap.leakCheck()` is asked. Grouped by type and allocation
///   site (the site when the object was sampled), each group with its holder and
///   the shortest path from that holder's object to the group's first object.
/// - **Cycles**: a strongly connected set of such objects is one group (its members'
///   types and sites), held by the reference that reaches it — not N groups.
/// - **Forgotten pins**: objects still pinned, with where they were pinned and the
///   bytes they keep alive (everything the check reached first from them).
///
/// A plain value; any thread.
public struct LeakReport: Sendable, Equatable, CustomStringConvertible {
    /// What holds a group's root object.
    public enum Holder: Sendable, Equatable {
        /// A pin (`Heap.pin`, `hgc_pin`), with the stack where it was pinned
        /// (innermost first; empty when no stack was captured).
        case pin(site: [String])
        /// A layer's own root, as the layer describes it (`Heap.rootDescriber`):
        /// C handles, a foreign heap's bridged pin.
        case described(String)
        /// Counts that no reference from the heap explains: a `GcRc`, `GcBox` or
        /// `ObjectRef` count held by Swift code (or a C handle, where no layer says).
        case outside(count: Int)
    }

    /// One step of a path: an object's type, and the field that leads on from it.
    public struct Step: Sendable, Equatable {
        public var typeName: String
        /// "offset N" (a reference slot) or "reference N" (the N-th its trace reported);
        /// nil on the last step.
        public var via: String?
    }

    public struct Group: Sendable, Equatable {
        /// A cycle (a strongly connected set), or objects of one type and site.
        public var isCycle: Bool
        /// Members per type name.
        public var types: [String: Int]
        /// Where the first sampled member was allocated (innermost first; empty when
        /// none was sampled).
        public var site: [String]
        public var objects: Int
        /// Slot bytes.
        public var bytes: Int
        /// Bytes the members hold outside the heap (`TypeDescriptor.outsideBytes`).
        public var outsideBytes: Int = 0
        public var holder: Holder
        /// From the holder's object to the group's first object.
        public var path: [Step]
    }

    public struct Pin: Sendable, Equatable {
        public var typeName: String
        public var site: [String]
        /// Objects and bytes the check reached from this pin first.
        public var keepsObjects: Int
        public var keepsBytes: Int
    }

    public var heapID: UInt64
    public var groups: [Group] = []
    public var pins: [Pin] = []
    public var objects = 0
    public var bytes = 0

    /// Nothing alive, nothing pinned.
    public var isClean: Bool { objects == 0 && pins.isEmpty }

    public var description: String {
        guard !isClean else { return "hakogc: leak check of heap \(heapID): nothing alive\n" }
        var out = "hakogc: leak check of heap \(heapID): \(objects) objects, \(bytes) bytes still alive in \(groups.count) groups\n"
        for g in groups {
            let members = g.types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value)× \($0.key)" }
            let outside = g.outsideBytes > 0 ? " (+\(g.outsideBytes) outside the heap)" : ""
            out += g.isCycle ? "  a cycle of \(g.objects) objects (\(members.joined(separator: ", "))), \(g.bytes) bytes\(outside)\n"
                : "  \(members.joined(separator: ", ")), \(g.bytes) bytes\(outside)\n"
            if !g.site.isEmpty { out += "    allocated at \(LeakReport.render(site: g.site))\n" }
            out += "    held by \(LeakReport.describe(g.holder))\n"
            if g.path.count > 1 {
                out += "    path: " + LeakReport.render(g.path) + "\n"
            }
        }
        if !pins.isEmpty {
            out += "  forgotten pins: \(pins.count)\n"
            for p in pins {
                let site = p.site.isEmpty ? "" : " pinned at \(LeakReport.render(site: p.site))"
                out += "    \(p.typeName)\(site): keeps \(p.keepsObjects) objects, \(p.keepsBytes) bytes alive\n"
            }
        }
        return out
    }

    /// A site's first three distinct frames, innermost first (a recursion shows once,
    /// with how deep it went).
    public static func render(site: [String]) -> String {
        var frames: [(name: String, count: Int)] = []
        for f in site {
            if frames.last?.name == f { frames[frames.count - 1].count += 1 } else { frames.append((f, 1)) }
        }
        return frames.prefix(3).map { $0.count > 1 ? "\($0.name) (×\($0.count))" : $0.name }.joined(separator: " ← ")
    }

    static func render(_ path: [Step]) -> String {
        path.map { step in step.via.map { "\(step.typeName) .\($0)" } ?? step.typeName }.joined(separator: " → ")
    }

    static func describe(_ holder: Holder) -> String {
        switch holder {
        case .pin(let site): site.isEmpty ? "a pin" : "a pin made at \(render(site: site))"
        case .described(let text): text
        case .outside(let n): "\(n) reference\(n == 1 ? "" : "s") from outside the heap (a GcRc, GcBox or ObjectRef count in Swift code)"
        }
    }
}

extension Heap {
    /// Collects everything (a full collection), then reports what is still alive,
    /// grouped, with what keeps each group alive (`LeakReport`); a profile file
    /// attached to the heap gets the report's leak records. Owner-checked; not
    /// from a finalizer, trace or observer (it stops the process there). Walks the
    /// whole heap twice: meant for the end of a run and for tests.
    public func leakCheck() -> LeakReport {
        core.ownership.check("leakCheck")
        if core.collecting || core.finalizerDepth != 0 || core.draining || isRunningTrace {
            fatalError("HakoGC: leakCheck() called from inside the heap (a finalizer, trace or observer)")
        }
        core.collect(.full, reason: .explicit)
        let report = core.leakReport()
        core.profiler?.record(report)  // into the attached profile file, if any
        return report
    }

    /// Describes the objects a layer holds for its own users (the C ABI: "2 C
    /// handles"), or nil; a leak report names such an object's holder with it. The
    /// heap holds the closure; it runs on the owner thread during `leakCheck` and
    /// must not change the heap.
    public var rootDescriber: ((ObjectRef) -> String?)? {
        get { core.rootDescriber }
        set { core.rootDescriber = newValue }
    }
}

extension HeapCore {
    /// The report on what is alive now (no collection here). Owner thread.
    func leakReport() -> LeakReport {
        var objects: [ObjectRef] = []
        allocator.forEachObject { if !$0.has(ObjectHeader.dying) { objects.append($0) } }
        var report = LeakReport(heapID: profiler?.heapID ?? 0)
        guard !objects.isEmpty else { return report }
        var index: [UInt: Int] = [:]
        for (i, o) in objects.enumerated() { index[o.bits] = i }
        // The graph, and the references each object receives from the heap.
        var edges: [[(to: Int, via: Int)]] = []
        var inner = [Int](repeating: 0, count: objects.count)
        for o in objects {
            var out: [(to: Int, via: Int)] = []
            for (child, via) in references(of: o) {
                guard let j = index[child.bits] else { continue }
                out.append((j, via))
                inner[j] += 1
            }
            edges.append(out)
        }
        // Roots: counts no heap reference explains (pins hold a count too), by address.
        let roots = (0..<objects.count).filter { Int(objects[$0].count) > inner[$0] || pinCount(objects[$0]) > 0 }
            .sorted { objects[$0].bits < objects[$1].bits }
        // Breadth first from the roots: the shortest path to each object, and its root.
        var parent = [(from: Int, via: Int)?](repeating: nil, count: objects.count)
        var rootOf = [Int](repeating: -1, count: objects.count)
        var order = [Int](repeating: Int.max, count: objects.count)
        var queue: [Int] = []
        func visitAll(from starts: [Int]) {
            var head = queue.count
            for r in starts where rootOf[r] < 0 {
                rootOf[r] = r; order[r] = queue.count; queue.append(r)
            }
            while head < queue.count {
                let i = queue[head]; head += 1
                for (j, via) in edges[i] where rootOf[j] < 0 {
                    rootOf[j] = rootOf[i]; parent[j] = (i, via); order[j] = queue.count; queue.append(j)
                }
            }
        }
        visitAll(from: roots)
        // Alive but reached from no root (a payload under `mutate`, whose references
        // the check does not read): their own roots.
        for i in 0..<objects.count where rootOf[i] < 0 { visitAll(from: [i]) }

        let scc = stronglyConnected(edges)
        let bytesOf = objects.map { allocator.slotBytes(of: $0) }
        func typeName(_ i: Int) -> String { descriptor(of: objects[i]).takeUnretainedValue().name }
        func holder(_ r: Int) -> LeakReport.Holder {
            let o = objects[r]
            if pinCount(o) > 0 { return .pin(site: profiler.flatMap { p in p.pinSites[o.bits].map(p.names(ofStack:)) } ?? []) }
            if let describe = rootDescriber {
                // User code of a layer, inside the trace window: it may only read.
                let saved = beginUserTrace(typeIndex: HotState.rootDescriber)
                let text = describe(o)
                endUserTrace(saved)
                if let text { return .described(text) }
            }
            return .outside(count: Int(o.count) - inner[r])
        }
        func path(to i: Int) -> [LeakReport.Step] {
            var steps = [LeakReport.Step(typeName: typeName(i), via: nil)]
            var at = i
            while let p = parent[at] {
                steps.insert(LeakReport.Step(typeName: typeName(p.from), via: p.via >= 0 ? "offset \(p.via)" : "reference \(-p.via - 1)"), at: 0)
                at = p.from
            }
            return steps
        }
        func site(_ i: Int) -> [String] {
            guard let p = profiler, let stack = p.sampled[objects[i].bits] else { return [] }
            return p.names(ofStack: stack)
        }
        // Groups: each cycle is one; the other objects by type and site.
        struct Key: Hashable { let cycle: Int; let type: Int; let stack: UInt64 }
        var members: [Key: [Int]] = [:]
        for i in 0..<objects.count {
            let inCycle = scc.size[scc.component[i]] > 1 || edges[i].contains { $0.to == i }
            let stack = profiler?.sampled[objects[i].bits] ?? 0
            let key = inCycle ? Key(cycle: scc.component[i], type: -1, stack: 0)
                : Key(cycle: -1, type: objects[i].typeIndex, stack: stack)
            members[key, default: []].append(i)
        }
        for (key, list) in members {
            let first = list.min { order[$0] < order[$1] }!
            var types: [String: Int] = [:]
            for i in list { types[typeName(i), default: 0] += 1 }
            let sampled = list.first { profiler?.sampled[objects[$0].bits] != nil }
            report.groups.append(LeakReport.Group(
                isCycle: key.cycle >= 0, types: types, site: sampled.map(site) ?? [], objects: list.count,
                bytes: list.reduce(0) { $0 + bytesOf[$1] }, outsideBytes: list.reduce(0) { $0 + outsideBytes(of: objects[$1]) },
                holder: holder(rootOf[first]), path: path(to: first)))
        }
        report.groups.sort { ($0.bytes + $0.outsideBytes, $0.objects) > ($1.bytes + $1.outsideBytes, $1.objects) }
        report.objects = objects.count
        report.bytes = bytesOf.reduce(0, +)
        for r in roots where pinCount(objects[r]) > 0 {
            let kept = (0..<objects.count).filter { rootOf[$0] == r }
            report.pins.append(LeakReport.Pin(
                typeName: typeName(r), site: profiler.flatMap { p in p.pinSites[objects[r].bits].map(p.names(ofStack:)) } ?? [],
                keepsObjects: kept.count, keepsBytes: kept.reduce(0) { $0 + bytesOf[$1] }))
        }
        return report
    }

    /// The references `object` holds, with their field: the byte offset of a slot,
    /// or −(k + 1) for the k-th reference its trace function reported. A payload
    /// under `mutate` is not read (as in the collectors).
    private func references(of object: ObjectRef) -> [(ObjectRef, Int)] {
        if object.has(ObjectHeader.mutating) { return [] }
        let type = descriptor(of: object).takeUnretainedValue()
        if !type.offsets.isEmpty {
            return type.offsets.compactMap { offset in
                ObjectRef(bits: object.payload.load(fromByteOffset: offset, as: UInt.self)).map { ($0, offset) }
            }
        }
        guard let trace = type.trace else { return [] }
        let saved = beginUserTrace(typeIndex: object.typeIndex)
        let found = Tracer.recordReferences(of: object.payload, with: trace)
        endUserTrace(saved)
        return found.enumerated().map { ($1, -$0 - 1) }
    }

    /// Tarjan's strongly connected components, iteratively (a deep heap must not
    /// overflow the stack): the component of each node, and each component's size.
    private func stronglyConnected(_ edges: [[(to: Int, via: Int)]]) -> (component: [Int], size: [Int]) {
        let n = edges.count
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n), component = [Int](repeating: -1, count: n)
        var stack: [Int] = [], sizes: [Int] = []
        var next = 0
        for start in 0..<n where index[start] < 0 {
            var work: [(node: Int, edge: Int)] = [(start, 0)]
            index[start] = next; low[start] = next; next += 1
            stack.append(start); onStack[start] = true
            while let (v, e) = work.last {
                if e < edges[v].count {
                    work[work.count - 1].edge += 1
                    let w = edges[v][e].to
                    if index[w] < 0 {
                        index[w] = next; low[w] = next; next += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                } else {
                    work.removeLast()
                    if let (u, _) = work.last { low[u] = min(low[u], low[v]) }
                    if low[v] == index[v] {
                        var size = 0
                        while true {
                            let w = stack.removeLast()
                            onStack[w] = false
                            component[w] = sizes.count
                            size += 1
                            if w == v { break }
                        }
                        sizes.append(size)
                    }
                }
            }
        }
        return (component, sizes)
    }
}

/// Leak checks switched on by `HAKOGC_LEAKCHECK`: each heap is checked when it ends,
/// and heaps still alive at exit are checked then; reports go to standard error and
/// into the event log (leak records), and `strict` makes the exit status 1 when any
/// check found something.
enum LeakChecks {
    private struct State {
        var live: [ObjectIdentifier: Unmanaged<HeapCore>] = [:]
        var leaked = false
    }
    private static let state = ProcessLock(State())

    static func register(_ core: HeapCore) {
        state.withLock { $0.live[ObjectIdentifier(core)] = Unmanaged.passUnretained(core) }
    }

    static func unregister(_ core: HeapCore) {
        _ = state.withLock { $0.live.removeValue(forKey: ObjectIdentifier(core)) }
    }

    /// Checks `core` now (its heap ends, or the process does): report, log, verdict.
    static func run(_ core: HeapCore, atExit: Bool) {
        let report = core.leakReport()
        unregister(core)
        guard !report.isClean else { return }
        var text = report.description
        let prefix = "hakogc: leak check of heap"
        if atExit && text.hasPrefix(prefix) { text = "hakogc: leak check at exit of heap" + text.dropFirst(prefix.count) }
        ProfileSettings.warn(text)
        core.profiler?.record(report)
        state.withLock { $0.leaked = true }
    }

    /// The exit handler's part: heaps still alive, checked if the exiting thread
    /// owns them (after a full collection); whether anything leaked overall.
    static func atExit() -> Bool {
        let live = state.withLock { Array($0.live.values) }
        for core in live {
            core._withUnsafeGuaranteedRef { core in
                guard core.ownership.isCurrent, !core.collecting, core.finalizerDepth == 0, !core.draining else {
                    ProfileSettings.warn("hakogc: heap \(core.profiler?.heapID ?? 0) belongs to another thread or is busy at exit: not checked\n")
                    return
                }
                core.collect(.full, reason: .teardown)
                run(core, atExit: true)
            }
        }
        return state.withLock { $0.leaked }
    }
}

extension HeapProfiler {
    /// The report's groups and pins as leak records (ProfileRecord.swift, kind 13).
    func record(_ report: LeakReport) {
        guard let file else { return }
        var records: [[UInt8]] = []
        func add(flags: UInt64, objects: Int, bytes: Int, holder: LeakReport.Holder?, types: String, site: [String], path: String) {
            var r = RecordBuilder(.leak)
            r.word(heapID)
            r.word(flags)
            r.word(UInt64(objects))
            r.word(UInt64(bytes))
            r.string(types)
            r.string(site.joined(separator: "\n"))
            r.string(holder.map(LeakReport.describe) ?? "")
            r.string(path)
            records.append(r.finish())
        }
        for g in report.groups {
            let types = g.types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
            let path = LeakReport.render(g.path)
            add(flags: g.isCycle ? 1 : 0, objects: g.objects, bytes: g.bytes, holder: g.holder, types: types, site: g.site, path: path)
        }
        for p in report.pins {
            add(flags: 2, objects: p.keepsObjects, bytes: p.keepsBytes, holder: .pin(site: p.site), types: p.typeName, site: p.site, path: "")
        }
        flush()
        for r in records { r.withUnsafeBytes { file.write($0) } }
    }
}
