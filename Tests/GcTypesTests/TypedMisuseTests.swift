import Foundation
@testable import GcCore
import Testing
@testable import GcTypes

// Misuse of the typed layer and user code that misbehaves inside a trace
// (docs/reliability.md's catalogue, section 1: rows S11, S13, S17, S44–S46, S57
// and A5). Stops run in child processes and are checked for their words.

struct BadlyNamed: GcObject {
    static let gcType = GcType<BadlyNamed>(name: "no namespace")
    var x: Int
}

/// A `.referencesOnly` type whose trace reports `a` twice.
struct ReportsTwice: GcObject, ~Copyable {
    static let gcType = GcType<ReportsTwice>(name: "hako.tests/ReportsTwice", fields: .referencesOnly)
    var a: GcRc<ReportsTwice>?
    var b: GcRc<ReportsTwice>?
    func trace(into t: inout GcTracer) { t.visit(a); t.visit(a); t.visit(b) }
}

/// A traced type whose trace leaves out `hidden`.
struct Hider: GcObject, ~Copyable {
    static let gcType = GcType<Hider>(name: "hako.tests/Hider")
    var shown: GcRc<Hider>? = nil
    var hidden: GcRc<Hider>? = nil
    var id = 0
    func trace(into t: inout GcTracer) { t.visit(shown) }
}

/// What a `TraceActor`'s trace does, besides reporting `next`.
final class TraceAction { var run: (() -> Void)? = nil; var calls = 0 }

struct TraceActor: GcObject, ~Copyable {
    static let gcType = GcType<TraceActor>(name: "hako.tests/TraceActor")
    var next: GcRc<TraceActor>? = nil
    let action: TraceAction
    func trace(into t: inout GcTracer) {
        t.visit(next)
        action.calls += 1
        action.run?()
    }
}

/// A garbage self-cycle of `TraceActor` whose trace runs `run`, then a collection.
func traceRuns(_ kind: CollectionKind, in heap: Heap, _ run: @escaping () -> Void) -> TraceAction {
    let action = TraceAction()
    do {
        let a = GcRc(TraceActor(action: action), in: heap)
        a.mutate { $0.next = a.copy() }
    }
    action.run = run
    heap.collect(kind)
    return action
}

/// Collections asked for by a type's outsideBytes function, by object.
final class AskedFromOutsideBytes: @unchecked Sendable { var events: [CollectionEvent?] = [] }
let askedFromOutsideBytes = AskedFromOutsideBytes()
let collectingOutside = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "hako.tests/CollectingOutside", payloadSize: 8, outsideBytes: { payload in
        askedFromOutsideBytes.events.append(Heap.owning(ObjectRef(payload - 16)).collect(.full))
        return 24
    }))

func failingHeap() -> Heap {
    var config = HeapConfiguration()
    config.failAllocation = AllocationFailure(at: 1, persistent: true)
    return Heap(configuration: config)
}

@Suite struct TypedMisuseTests {
    // MARK: Registration (S11, S13, S17)

    @Test func aRefusedGcTypeStopsNamingTheTypeAndTheReason() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BadlyNamed.gcType
        }
        let text = stderrText(result)
        #expect(text.contains("HakoGC: cannot register BadlyNamed:") && text.contains("no namespace"), "\(text)")
    }

    @Test func wrappingAnUnregisteredDescriptorStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcType<Plain>(registered: TypeDescriptor(name: "hako.tests/NeverRegisteredPlain", payloadSize: 16))
        }
        #expect(stderrText(result).contains("HakoGC: hako.tests/NeverRegisteredPlain is not registered"))
    }

    @Test func wrappingAnotherTypesDescriptorStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcType<Plain>(registered: Elem.gcType.descriptor)
        }
        #expect(stderrText(result).contains("HakoGC: hako.tests/Elem was not registered for Plain"))
    }

    @Test func aReferencesOnlyTraceReportingAFieldTwiceIsRefused() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ReportsTwice.gcType
        }
        #expect(stderrText(result).contains("reports the word at offset 0 2 times"))
    }

    // MARK: Traces that leave out or change things (S44–S46)

    /// S44: a reference the trace leaves out is a root to the collector: what it
    /// holds stays alive (never freed under a holder), and a cycle through it leaks.
    @Test func aFieldTheTraceLeavesOutLeaksAndIsNeverFreedEarly() {
        let heap = manualHeap()
        let holder = GcRc(Hider(id: 1), in: heap)
        holder.mutate { $0.hidden = GcRc(Hider(id: 2), in: heap) }
        heap.collect(.minor)
        heap.collect(.full)
        #expect(holder.with { h in h.hidden!.with { $0.id } } == 2)
        do {
            let loop = GcRc(Hider(id: 3), in: heap)
            loop.mutate { $0.hidden = loop.copy() }
        }
        heap.collect(.minor)
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 3)  // holder, its hidden child, the leaked loop
        _ = consume holder
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 1)
        #expect(heap.leakCheck().objects == 1)
    }

    @Test func aTraceThatAllocatesStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            _ = traceRuns(.full, in: heap) { _ = GcRc(Elem(x: 1), in: heap) }
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }

    @Test func aTraceThatPinsStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let held = GcRc(Elem(x: 1), in: heap)
            _ = traceRuns(.minor, in: heap) { heap.pin(held.unsafeObject) }
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }

    @Test func aTraceThatUnpinsStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let held = GcRc(Elem(x: 1), in: heap)
            heap.pin(held.unsafeObject)
            _ = traceRuns(.full, in: heap) { try? heap.unpin(held.unsafeObject) }
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }

    @Test func aTraceThatUpgradesAWeakReferenceStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = manualHeap()
            let held = GcRc(Elem(x: 1), in: heap)
            let weak = held.downgrade()
            _ = traceRuns(.full, in: heap) { _ = weak.upgrade() }
        }
        #expect(stderrText(result).contains("a trace function changed the heap"))
    }

    /// S46: `collect` from a trace is deferred (nil), and runs after.
    @Test func collectFromATraceIsDeferred() {
        let heap = manualHeap()
        var asked: [CollectionEvent?] = []
        let action = traceRuns(.full, in: heap) { asked.append(heap.collect(.minor)) }
        #expect(action.calls > 0 && asked.count == action.calls && asked.allSatisfy { $0 == nil })
        #expect(heap.statistics().liveObjects == 0)
        #expect(heap.checkInvariants() == [])
    }

    /// A trace that asks for a collection on every call, on a live object: the
    /// deferred collection runs once, and what is asked during it is met by it —
    /// not another collection each time (which never ended: a stack overflow).
    @Test func aTraceThatAlwaysAsksForACollectionDoesNotChainThem() {
        let heap = manualHeap()
        let action = TraceAction()
        var asked = 0
        let live = GcRc(TraceActor(action: action), in: heap)
        live.mutate { $0.next = live.copy() }  // a cycle: a candidate, traced by every collection
        action.run = { asked += 1; heap.collect(.full) }
        let before = heap.statistics().fullCollections
        heap.collect(.full)
        #expect(asked >= 2 && heap.statistics().fullCollections == before + 2, "asked \(asked), full collections \(heap.statistics().fullCollections - before)")
        heap.collect(.minor)
        action.run = nil
        live.mutate { $0.next = nil }
    }

    /// S57: `collect` from a type's outsideBytes function is deferred too.
    @Test func collectFromOutsideBytesIsDeferred() throws {
        let heap = manualHeap()
        let object = try heap.allocate(collectingOutside)
        askedFromOutsideBytes.events = []
        let stats = heap.statistics(detailed: true)
        #expect(askedFromOutsideBytes.events.count == 1 && askedFromOutsideBytes.events[0] == nil)
        #expect(stats.liveObjects == 1)
        heap.release(object)
        #expect(heap.statistics().liveObjects == 0)
    }

    // MARK: Containers under allocation failure (A5)

    @Test func gcBoxStopsWhenAllocationFails() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcBox(Plain(a: 1, b: 2), in: failingHeap())
        }
        #expect(stderrText(result).contains("HakoGC: out of memory allocating"))
    }

    @Test func gcArrayStopsWhenAllocationFails() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcArray([1, 2, 3], in: failingHeap())
        }
        #expect(stderrText(result).contains("HakoGC: out of memory allocating"))
    }

    @Test func gcStringStopsWhenAllocationFails() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcString("hako", in: failingHeap())
        }
        #expect(stderrText(result).contains("HakoGC: out of memory allocating"))
    }

    @Test func gcRefArrayStopsWhenAllocationFails() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GcRefArray<Elem>(in: failingHeap())
        }
        #expect(stderrText(result).contains("HakoGC: out of memory allocating"))
    }
}
