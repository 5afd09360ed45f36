import GcCore

/// A deterministic generator (SplitMix64) so every run is replayable from its seed.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The model: a plain graph with reachability, knowing nothing of counts or colours.
public struct GraphModel {
    struct Node {
        var slots: [Int?] = Array(repeating: nil, count: RawNode.slots)
        var alive = true
        var pins = 0
    }
    var nodes: [Node] = []
    var handles: [Int] = []  // node ids held by handles (one count each)

    var aliveIDs: Set<Int> { Set(nodes.indices.filter { nodes[$0].alive }) }

    /// Reachable from handles and pins.
    func reachable() -> Set<Int> {
        var seen = Set<Int>()
        var stack = handles + nodes.indices.filter { nodes[$0].alive && nodes[$0].pins > 0 }
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            for case let child? in nodes[id].slots { stack.append(child) }
        }
        return seen
    }

    /// Unreachable objects that reference counting alone frees: garbage not reachable
    /// from a garbage cycle (peel off garbage nobody in the garbage points to).
    func freedByCounting(reachable: Set<Int>) -> Set<Int> {
        var garbage = aliveIDs.subtracting(reachable)
        var freed = Set<Int>()
        var changed = true
        while changed {
            changed = false
            var inDegree: [Int: Int] = [:]
            for id in garbage { for case let c? in nodes[id].slots where garbage.contains(c) { inDegree[c, default: 0] += 1 } }
            for id in garbage where inDegree[id, default: 0] == 0 {
                garbage.remove(id); freed.insert(id); changed = true
            }
        }
        return freed
    }
}

/// User code that the heap calls back (finalizers and drop functions), misbehaving
/// on purpose, from its own seeded generator: it reads the objects its object
/// refers to (siblings in a garbage set), asks for collections (which must be
/// deferred), allocates, and writes references into dying objects. None of it
/// changes the model's graph: it writes only into objects that are dying (dead for
/// the model) and frees what it allocates within the same operation. Under ASan a
/// read of a freed or dropped payload is reported.
final class CallbackChaos {
    var rng: SeededGenerator
    var failures: [String] = []

    init(seed: UInt64) { rng = SeededGenerator(seed: seed ^ 0xC4A0_5C4A_05C4_A05C) }

    func chance() -> Bool { Bool.random(using: &rng) }

    func install(on recorder: FinalizeRecorder) {
        recorder.onFinalize = { [unowned self] heap, object in self.finalizer(heap, object) }
        recorder.onDrop = { [unowned self] heap, object in self.drop(heap, object) }
    }

    /// Reads every object `object` refers to that is not torn (a finalizer's
    /// garbage set is intact, so none is torn there; a drop skips torn siblings,
    /// whose payloads may be gone). Each must still be an object of ours.
    func readChildren(_ heap: Heap, _ object: ObjectRef, _ who: String) {
        for i in 0..<RawNode.slots {
            guard let child = RawNode.child(heap, object, i), !child.isTorn else { continue }
            let type = heap.type(of: child)
            if type !== RawNode.type && type !== RawNode.tracedType && type !== RawNode.plainType {
                failures.append("\(who) of \(RawNode.id(object)) read slot \(i): an object of type \(type.name)")
            }
            _ = RawNode.id(child)
        }
    }

    func askForCollection(_ heap: Heap, _ who: String) {
        let kind: CollectionKind = [.minor, .full, .fullSlice].randomElement(using: &rng)!
        if heap.collect(kind) != nil { failures.append("\(who): a \(kind) collection ran instead of being deferred") }
    }

    func finalizer(_ heap: Heap, _ object: ObjectRef) {
        readChildren(heap, object, "finalizer")
        if chance() { askForCollection(heap, "finalizer") }
        if chance() {
            // A new object into the dying object's own slot: freed when it is.
            let temp = RawNode.make(heap, id: -1, plain: true)
            RawNode.link(heap, object, Int.random(in: 0..<RawNode.slots, using: &rng), temp)
            heap.release(temp)
        }
        if chance(), let sibling = RawNode.child(heap, object, 0), sibling.isDying, !sibling.isTorn {
            // A write into another object of the same garbage set (or one queued to die).
            RawNode.link(heap, sibling, Int.random(in: 0..<RawNode.slots, using: &rng), nil)
        }
    }

    func drop(_ heap: Heap, _ object: ObjectRef) {
        readChildren(heap, object, "drop")
        if chance() { askForCollection(heap, "drop") }
        if chance() { heap.release(RawNode.make(heap, id: -1, plain: true)) }
    }
}

/// One seeded run: heap and model driven by the same operations.
public struct ModelRun {
    let seed: UInt64
    var rng: SeededGenerator
    public let heap: Heap
    let recorder: FinalizeRecorder
    var model = GraphModel()
    var refs: [Int: ObjectRef] = [:]     // id → object (alive ones)
    var handleRefs: [ObjectRef] = []     // parallel to model.handles
    var weaks: [(WeakReference, Int)] = []
    var seenFinalized = 0
    /// Seeds ≡ 2 (mod 4) use `RawNode.plainType` (no finalizer): deaths are then read
    /// from a heap walk, and the minor collector frees garbage without restoring
    /// its counts. Odd seeds trace, the others use offsets with a finalizer.
    var plain: Bool { seed % 4 == 2 }
    public var failures: [String] = []
    var step = 0
    /// Check the model against the heap every this many steps (and after every
    /// full collection): 1 for the tests; the soak (StressTests/SoakTests.swift)
    /// checks less often to run 10⁹ operations. Deaths are read at each check, so
    /// between checks the model may hold garbage the heap has freed: operations
    /// reach objects through handles only, which keeps that garbage out of reach.
    public var checkEvery = 1
    /// Misbehaving finalizers and drop functions (every seed that is not plain).
    let chaos: CallbackChaos

    public init(seed: UInt64, automatic: Bool) {
        self.seed = seed
        rng = SeededGenerator(seed: seed)
        (heap, recorder) = makeHeap(automatic: automatic) {
            $0.minorAllocationBytes = 2 << 10
            $0.minorCandidateLimit = 32
            $0.fullMinimumBytes = 64 << 10
            // Incremental full collections (automatic, or `.fullSlice` steps) span
            // many steps, so the program's operations run between their slices.
            $0.fullSliceWork = 8
            $0.fullSliceBytes = 1 << 10
        }
        chaos = CallbackChaos(seed: seed)
        if seed % 4 != 2 { chaos.install(on: recorder) }
    }

    mutating func fail(_ message: String) {
        failures.append("step \(step): \(message)")
    }

    public mutating func execute(steps: Int) {
        for s in 0..<steps {
            step = s
            let op = Int.random(in: 0..<100, using: &rng)
            switch op {
            case 0..<19: allocate()
            case 19..<24: loadChild()
            case 24..<30: copyHandle()
            case 30..<50: dropHandle()
            case 50..<75: link()
            case 75..<80: pinOrUnpin()
            case 80..<88: weakOp()
            case 88..<94: collect(.minor)
            case 94..<99: collect(.fullSlice)
            default: collect(.full)
            }
            if s % checkEvery == 0 { verify(afterFull: false, heapInvariants: s % (8 * checkEvery) == 0) }
            if !failures.isEmpty { return }
        }
        while !model.handles.isEmpty { dropHandle() }
        for id in model.nodes.indices where model.nodes[id].alive {
            while model.nodes[id].pins > 0 { unpin(id) }
        }
        collect(.full)
        verify(afterFull: true)
        let stats = heap.statistics()
        if stats.liveObjects != 0 { fail("leak: \(stats.liveObjects) objects live at the end") }
        if stats.allocatedObjects != stats.freedObjects { fail("allocated \(stats.allocatedObjects) ≠ freed \(stats.freedObjects)") }
        if !plain && stats.finalizersRun != model.nodes.count { fail("finalized \(stats.finalizersRun) of \(model.nodes.count)") }
    }

    mutating func allocate() {
        let id = model.nodes.count
        model.nodes.append(.init())
        model.handles.append(id)
        // Odd seeds describe references by a trace function, even seeds by offsets.
        let o = RawNode.make(heap, id: id, traced: seed % 2 == 1, plain: plain)
        refs[id] = o
        handleRefs.append(o)
    }

    mutating func pickHandle() -> Int? {
        model.handles.isEmpty ? nil : Int.random(in: 0..<model.handles.count, using: &rng)
    }

    mutating func copyHandle() {
        guard let h = pickHandle() else { return }
        heap.retain(handleRefs[h])
        model.handles.append(model.handles[h])
        handleRefs.append(handleRefs[h])
    }

    /// A new handle to what a slot of a handle's object refers to (as a program
    /// reads a field), so objects are held in ways the heap's graph does not show.
    mutating func loadChild() {
        guard let a = pickHandle() else { return }
        let slot = Int.random(in: 0..<RawNode.slots, using: &rng)
        guard let child = model.nodes[model.handles[a]].slots[slot] else { return }
        guard let o = RawNode.child(heap, handleRefs[a], slot), RawNode.id(o) == child else {
            return fail("slot \(slot) of \(model.handles[a]) does not hold \(child)")
        }
        heap.retain(o)
        model.handles.append(child)
        handleRefs.append(o)
    }

    mutating func dropHandle() {
        guard let h = pickHandle() else { return }
        let o = handleRefs.remove(at: h)
        model.handles.remove(at: h)
        heap.release(o)
    }

    mutating func link() {
        guard let a = pickHandle() else { return }
        let slot = Int.random(in: 0..<RawNode.slots, using: &rng)
        let target: Int? = Bool.random(using: &rng) ? pickHandle() : nil
        let from = model.handles[a]
        let to = target.map { model.handles[$0] }
        model.nodes[from].slots[slot] = to
        RawNode.link(heap, handleRefs[a], slot, target.map { handleRefs[$0] })
    }

    mutating func pinOrUnpin() {
        let pinned = model.nodes.indices.filter { model.nodes[$0].alive && model.nodes[$0].pins > 0 }
        if !pinned.isEmpty && Bool.random(using: &rng) {
            unpin(pinned.randomElement(using: &rng)!)
        } else if let h = pickHandle() {
            model.nodes[model.handles[h]].pins += 1
            heap.pin(handleRefs[h])
        }
    }

    mutating func unpin(_ id: Int) {
        model.nodes[id].pins -= 1
        do { try heap.unpin(refs[id]!) } catch { fail("unpin threw \(error)") }
    }

    mutating func weakOp() {
        if !weaks.isEmpty && Bool.random(using: &rng) {
            let (weak, id) = weaks.randomElement(using: &rng)!
            let upgraded = heap.upgrade(weak)
            // A weak reference to garbage may read nil before the garbage is freed:
            // a collection in progress has found it (incremental gathering clears
            // weak references before finalizers run, as the atomic reclaimer does).
            if model.nodes[id].alive && upgraded == nil && !model.reachable().contains(id) {
                return
            }
            if model.nodes[id].alive {
                guard let o = upgraded, RawNode.id(o) == id else { return fail("weak to live \(id) did not upgrade") }
                model.handles.append(id)
                handleRefs.append(o)
            } else if upgraded != nil {
                fail("weak to dead \(id) upgraded")
            }
        } else if let h = pickHandle() {
            weaks.append((heap.makeWeak(handleRefs[h]), model.handles[h]))
        }
    }

    mutating func collect(_ kind: CollectionKind) {
        heap.collect(kind)
        if kind == .full || checkEvery == 1 { verify(afterFull: kind == .full, heapInvariants: true) }
    }

    /// Heap finalizations since the last check must be: all the garbage counting
    /// frees, plus (if a collection ran) only garbage; after a full collection, all
    /// the garbage.
    /// `heapInvariants`: run the heap verifier too (after every collection and every
    /// 8th step: on every step it made the ThreadSanitizer run of the stress tests
    /// take 7½ minutes).
    mutating func verify(afterFull: Bool, heapInvariants: Bool = true) {
        for message in chaos.failures { fail(message) }
        chaos.failures.removeAll()
        let reachable = model.reachable()
        let mustBeFreed = model.freedByCounting(reachable: reachable)
        var newlyFinalized: [Int]
        if plain {
            // No finalizers: what died since the last check is what the heap walk
            // no longer finds.
            var liveIDs = Set<Int>()
            heap.forEachObject { liveIDs.insert(RawNode.id($0)) }
            newlyFinalized = model.aliveIDs.subtracting(liveIDs).sorted()
        } else {
            newlyFinalized = Array(recorder.finalized[seenFinalized...])
            seenFinalized = recorder.finalized.count
        }
        var freedNow = Set<Int>()
        for id in newlyFinalized {
            if !model.nodes[id].alive { fail("object \(id) finalized twice or after death") }
            if reachable.contains(id) { fail("reachable object \(id) was freed") }
            if !freedNow.insert(id).inserted { fail("object \(id) finalized twice") }
        }
        let missing = mustBeFreed.subtracting(freedNow)
        if !missing.isEmpty { fail("garbage not freed by counting: \(missing.sorted().prefix(8))") }
        for id in freedNow { model.nodes[id].alive = false; refs[id] = nil }
        if afterFull {
            let leftover = model.aliveIDs.subtracting(reachable)
            if !leftover.isEmpty { fail("full collection left garbage \(leftover.sorted().prefix(8))") }
        }
        // Garbage an incremental full collection has swept is dead for the model.
        let stats = heap.statistics()
        let live = stats.liveObjects - stats.sweptNotFreed
        if live != model.aliveIDs.count { fail("heap has \(live) live objects, model \(model.aliveIDs.count)") }
        verifyCounts()
        // The heap's own invariants (HeapVerifier.swift).
        if heapInvariants { for violation in heap.checkInvariants() { fail("\(violation)") } }
    }

    /// Every live object's count is what the model says holds it: handles, pins,
    /// and slots of objects still allocated (uncollected garbage included).
    mutating func verifyCounts() {
        var expected = [Int: Int]()
        for id in model.handles { expected[id, default: 0] += 1 }
        for id in model.aliveIDs {
            expected[id, default: 0] += model.nodes[id].pins
            for case let child? in model.nodes[id].slots { expected[child, default: 0] += 1 }
        }
        for id in model.aliveIDs {
            guard let o = refs[id] else { continue }
            let count = heap.referenceCount(o)
            if count != expected[id, default: 0] {
                return fail("object \(id) has count \(count), model \(expected[id, default: 0])")
            }
        }
    }
}
