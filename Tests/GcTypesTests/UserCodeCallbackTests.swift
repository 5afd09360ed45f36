import Testing
import GcCore
@testable import GcTypes

// The heap calls user code: trace functions, finalizers, payload deinits, closures
// passed to iteration. Each test here is user code that misbehaves (issue 12, cases
// 1–4); the heap must either go on correctly or stop with a message, and never let
// safe code reach freed memory. The ASan run of scripts/test.sh repeats them with
// free slots poisoned, so a silent stale read fails there too.

struct Elem: GcObject, ~Copyable {
    static let gcType = GcType<Elem>(name: "hako.tests/Elem")
    var x: Int
    var next: GcRc<Elem>? = nil
    func trace(into t: inout GcTracer) { t.visit(next) }
}

/// Two words, the second shaped like a reference: what a stale `Elem` read would see.
struct Plain: GcObject {
    static let gcType = GcType<Plain>(name: "hako.tests/Plain")
    var a: Int
    var b: Int
}

final class CallbackLog {
    var finalized = 0
    var collections = 0
    var names: [String] = []
    var kept: [GcBox<DeinitNode>] = []
    var heap: Heap?
}

/// Finalizer that asks for a full collection (issue 12, case 2).
struct CollectingFinalizer: GcObject, ~Copyable {
    static let gcType = GcType<CollectingFinalizer>(name: "hako.tests/CollectingFinalizer", finalize: { h in
        let log = h.heap.context as! CallbackLog
        log.finalized += 1
        if h.heap.collect(.full) != nil { log.collections += 1 }
    })
    var next: GcRc<CollectingFinalizer>? = nil
    func trace(into t: inout GcTracer) { t.visit(next) }
}

/// Payload deinit that asks for a full collection (issue 12, case 2, second form).
struct CollectingDeinit: GcObject, ~Copyable {
    static let gcType = GcType<CollectingDeinit>(name: "hako.tests/CollectingDeinit")
    var next: GcRc<CollectingDeinit>? = nil
    let log: CallbackLog
    func trace(into t: inout GcTracer) { t.visit(next) }
    deinit {
        log.finalized += 1
        _ = log.heap?.collect(.full)
        _ = log.heap?.collect(.minor)
    }
}

enum SiblingAccess: Int { case none, read, copy }

/// Payload deinit that touches the object its `next` field refers to (case 3).
struct DeinitNode: GcObject, ~Copyable {
    static let gcType = GcType<DeinitNode>(name: "hako.tests/DeinitNode")
    var name: String
    var next: GcRc<DeinitNode>? = nil
    let log: CallbackLog
    var access = SiblingAccess.none
    func trace(into t: inout GcTracer) { t.visit(next) }
    deinit {
        log.names.append(name)
        guard case .some(let n) = next else { return }
        switch access {
        case .none: break
        case .read: log.names.append(n.with { $0.name })
        case .copy: log.kept.append(GcBox(n.copy()))
        }
    }
}

/// A trace that reports `other` twice (case 4).
struct LyingNode: GcObject, ~Copyable {
    static let gcType = GcType<LyingNode>(name: "hako.tests/LyingNode")
    var next: GcRc<LyingNode>? = nil
    var other: GcRc<LyingNode>? = nil
    func trace(into t: inout GcTracer) { t.visit(next); t.visit(other); t.visit(other) }
}

final class Stash { var held: GcRc<Elem>? = nil; var count = 0 }

/// A trace that reports `other` on every second call of its object only (markGray
/// sees it, scanBlack does not): trial deletion would
/// subtract an edge it never gives back, and `other` would be freed later while
/// still referenced.
struct FlickeringNode: GcObject, ~Copyable {
    static let gcType = GcType<FlickeringNode>(name: "hako.tests/FlickeringNode")
    var next: GcRc<FlickeringNode>? = nil
    var other: GcRc<Elem>? = nil
    let calls: Stash
    func trace(into t: inout GcTracer) {
        t.visit(next)
        calls.count += 1
        if calls.count % 2 == 1 { t.visit(other) }
    }
}

/// A trace that changes the heap: it clears a `GcRc` held in a class it can reach.
struct MutatingTraceNode: GcObject, ~Copyable {
    static let gcType = GcType<MutatingTraceNode>(name: "hako.tests/MutatingTraceNode")
    var next: GcRc<MutatingTraceNode>? = nil
    let stash: Stash
    func trace(into t: inout GcTracer) {
        t.visit(next)
        stash.held = nil
    }
}

/// A trace that moves a reference between two objects inside `mutate` (no count
/// changes): the other way a trace can lie to the collector.
struct MovingTraceNode: GcObject, ~Copyable {
    static let gcType = GcType<MovingTraceNode>(name: "hako.tests/MovingTraceNode")
    var next: GcRc<MovingTraceNode>? = nil
    var payload: GcRc<Elem>? = nil
    var spare: GcRc<Elem>? = nil
    func trace(into t: inout GcTracer) {
        t.visit(next); t.visit(payload); t.visit(spare)
        switch next {
        case .some(let n): n.mutate { v in v.spare = v.payload.take() }  // a move: no count changes
        case .none: break
        }
    }
}

/// A `.referencesOnly` type whose trace reads through the reference it reports:
/// at registration the reference is a stand-in, not an object of this type.
struct ReadingTraceNode: GcObject, ~Copyable {
    static let gcType = GcType<ReadingTraceNode>(name: "hako.tests/ReadingTraceNode", fields: .referencesOnly)
    var next: GcRc<ReadingTraceNode>?
    func trace(into t: inout GcTracer) {
        t.visit(next)
        switch next {
        case .some(let n): _ = n.with { $0.next == nil }
        case .none: break
        }
    }
}

func manualHeap() -> Heap {
    var config = HeapConfiguration()
    config.automaticCollection = false
    return Heap(configuration: config)
}

func stderrText(_ result: ExitTest.Result) -> String { String(decoding: result.standardErrorContent, as: UTF8.self) }

@Suite struct UserCodeCallbackTests {
    // MARK: Case 1: iteration that frees what it iterates

    @Test func refArrayForEachVisitsItsSnapshotWhileTheBodyEmptiesTheArray() {
        let heap = Heap()
        let array = GcRefArray<Elem>(in: heap)
        array.append(GcRc(Elem(x: 1, next: GcRc(Elem(x: 10), in: heap)), in: heap))
        array.append(GcRc(Elem(x: 2, next: GcRc(Elem(x: 20), in: heap)), in: heap))
        var keep: [GcBox<Plain>] = []
        var seen: [Int] = []
        var i = 0
        array.forEach { e in
            if i == 0 {
                array.removeAll()
                // Slots freed by removeAll (if forEach did not hold them) are reused here.
                for _ in 0..<8 { keep.append(GcBox(Plain(a: 0x1234, b: 0x4141_4141_4141_4140), in: heap)) }
            }
            seen.append(e.with { v in v.x * 100 + (v.next?.with { $0.x } ?? -1) })
            i += 1
        }
        #expect(seen == [110, 220])
        #expect(array.count == 0)
        keep.removeAll()
        #expect(heap.statistics().liveObjects == 1)  // the array
    }

    @Test func refArrayForEachReleasesTheRestWhenTheBodyThrows() {
        struct Stop: Error {}
        let heap = Heap()
        let array = GcRefArray<Elem>(in: heap)
        for x in 0..<5 { array.append(GcRc(Elem(x: x), in: heap)) }
        #expect(throws: Stop.self) { try array.forEach { e in if e.with({ $0.x }) == 2 { throw Stop() } } }
        array.removeAll()
        #expect(heap.statistics().liveObjects == 1)
    }

    // MARK: Case 2: a collection asked for inside a release inside `mutate`

    @Test func finalizerCollectingInsideAFieldAssignmentIsSafe() {
        let heap = manualHeap()
        let log = CallbackLog()
        heap.context = log
        let parent = GcRc(CollectingFinalizer(), in: heap)
        for _ in 0..<3 {
            parent.mutate { $0.next = GcRc(CollectingFinalizer(next: GcRc(CollectingFinalizer(), in: heap)), in: heap) }
            parent.mutate { $0.next = nil }  // the old child dies while the field still holds it
        }
        #expect(log.finalized == 6)
        #expect(heap.statistics().liveObjects == 1)
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 1)
    }

    @Test func deinitCollectingInsideAFieldAssignmentIsSafe() {
        let heap = manualHeap()
        let log = CallbackLog()
        log.heap = heap
        let parent = GcRc(CollectingDeinit(log: log), in: heap)
        for _ in 0..<3 {
            parent.mutate { $0.next = GcRc(CollectingDeinit(next: GcRc(CollectingDeinit(log: log), in: heap), log: log), in: heap) }
            parent.mutate { $0.next = nil }
        }
        #expect(log.finalized == 6)
        #expect(heap.statistics().liveObjects == 1)
        log.heap = nil
    }

    @Test func collectionInsideMutateDoesNotReadTheMutatedPayload() {
        let heap = manualHeap()
        let parent = GcRc(Elem(x: 0), in: heap)
        parent.mutate { p in
            p.next = GcRc(Elem(x: 1), in: heap)
            heap.collect(.minor)
            heap.collect(.full)
            p.next = nil
            heap.collect(.full)
        }
        #expect(heap.statistics().liveObjects == 1)
    }

    // MARK: Case 3: deinits of a garbage cycle touching each other

    @Test func deinitReadingAGarbageSiblingStopsWithAMessage() async throws {
        let minor = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            deinitsReadEachOther(.minor)
        }
        let full = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            deinitsReadEachOther(.full)
        }
        for result in [minor, full] { #expect(stderrText(result).contains("during the teardown of its garbage set")) }
    }

    @Test func deinitKeepingAGarbageSiblingStopsWithAMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let log = CallbackLog()
            do {
                let a = GcRc(DeinitNode(name: "a", log: log, access: .copy), in: heap)
                let b = GcRc(DeinitNode(name: "b", next: a.copy(), log: log, access: .copy), in: heap)
                a.mutate { $0.next = b.copy() }
            }
            heap.collect(.full)
            // Not reached: the kept handles would refer to freed objects.
            for box in log.kept { print(box.with { $0.name }) }
        }
        #expect(stderrText(result).contains("still referenced after its garbage set was torn down"))
    }

    @Test func deinitsOfAGarbageCycleThatTouchOnlyThemselvesRun() {
        let heap = manualHeap()
        let log = CallbackLog()
        do {
            let a = GcRc(DeinitNode(name: "a", log: log), in: heap)
            let b = GcRc(DeinitNode(name: "b", next: a.copy(), log: log), in: heap)
            a.mutate { $0.next = b.copy() }
        }
        heap.collect(.minor)
        #expect(log.names.sorted() == ["a", "b"])
        #expect(heap.statistics().liveObjects == 0)
    }

    // MARK: Case 4: trace functions that lie or change the heap

    @Test func traceReportingAFieldTwiceStopsBeforeFreeingALiveObject() async throws {
        let minor = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            lyingTraceFreesALiveObject(.minor)
        }
        let full = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            lyingTraceFreesALiveObject(.full)
        }
        for result in [minor, full] {
            #expect(stderrText(result).contains("still referenced after its garbage set was torn down"))
        }
    }

    @Test func traceReportingDifferentReferencesEachCallStopsWithAMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let other = GcRc(Elem(x: 7), in: heap)
            let a = GcRc(FlickeringNode(other: other.copy(), calls: Stash()), in: heap)
            let b = GcRc(FlickeringNode(next: a.copy(), calls: Stash()), in: heap)
            a.mutate { $0.next = b.copy() }
            _ = consume b  // a candidate; both stay held through `a`
            heap.collect(.minor)
            // Not reached: `other` would have lost a count for good.
            print(other.referenceCount)
        }
        #expect(stderrText(result).contains("reported different references on different calls"))
    }

    @Test func traceReadingThroughAReferenceAtRegistrationStopsWithAMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcRc(ReadingTraceNode(next: nil), in: manualHeap())
        }
        #expect(stderrText(result).contains("while its type was checked at registration"))
    }

    @Test func traceThatReleasesStopsWithAMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let stash = Stash()
            stash.held = GcRc(Elem(x: 1), in: heap)
            do {
                let a = GcRc(MutatingTraceNode(stash: stash), in: heap)
                a.mutate { $0.next = a.copy() }
            }
            heap.collect(.full)
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }

    @Test func traceThatMovesReferencesStopsWithAMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            do {
                let a = GcRc(MovingTraceNode(), in: heap)
                let b = GcRc(MovingTraceNode(next: a.copy(), payload: GcRc(Elem(x: 1), in: heap)), in: heap)
                a.mutate { $0.next = b.copy() }
            }
            heap.collect(.minor)
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }
}

/// A garbage cycle a ↔ b whose deinits read each other (exit-test body).
func deinitsReadEachOther(_ kind: CollectionKind) {
    let heap = manualHeap()
    let log = CallbackLog()
    do {
        let a = GcRc(DeinitNode(name: "a", log: log, access: .read), in: heap)
        let b = GcRc(DeinitNode(name: "b", next: a.copy(), log: log, access: .read), in: heap)
        a.mutate { $0.next = b.copy() }
    }
    heap.collect(kind)
}

/// A garbage cycle b ↔ c whose trace reports b's reference to the live `a` twice
/// (exit-test body).
func lyingTraceFreesALiveObject(_ kind: CollectionKind) {
    let heap = manualHeap()
    let a = GcRc(LyingNode(), in: heap)
    do {
        let c = GcRc(LyingNode(), in: heap)
        let b = GcRc(LyingNode(next: c.copy(), other: a.copy()), in: heap)
        c.mutate { $0.next = b.copy() }
    }
    heap.collect(kind)
    // Not reached: `a`'s slot would be reused by this allocation.
    let x = GcRc(LyingNode(), in: heap)
    print(a.isSame(as: x))
}
