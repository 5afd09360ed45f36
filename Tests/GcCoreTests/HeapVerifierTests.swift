import Foundation
@testable import GcCore
import GcTestSupport
import Testing

// The heap verifier (Sources/GcCore/Verification): silent on sound heaps of every
// shape (and after every step of the reference-model stress, ReferenceModel.swift),
// and each of its rules reported when that rule is broken on purpose — then the
// damage undone so the heap tears down cleanly.

/// A heap with cycles, shared children, pins, weak references, candidates, a
/// traced type and an incremental full collection between slices.
private func busyHeap() -> (Heap, [ObjectRef]) {
    let (heap, _) = makeHeap { $0.fullSliceWork = 4 }
    var handles: [ObjectRef] = []
    for i in 0..<40 {
        let a = RawNode.make(heap, id: i, traced: i % 2 == 0), b = RawNode.make(heap, id: 1000 + i)
        RawNode.link(heap, a, 0, b)
        RawNode.link(heap, b, 0, a)  // a ring of two
        if i % 3 == 0 { RawNode.link(heap, a, 1, b) }  // b held twice by a
        heap.release(b)
        handles.append(a)
    }
    heap.pin(handles[1])
    _ = heap.makeWeak(handles[2])
    for a in handles[20...] { heap.retain(a); heap.release(a) }  // candidates (young, purple)
    return (heap, handles)
}

private func rules(_ heap: Heap) -> Set<HeapViolation.Rule> { Set(heap.checkInvariants().map(\.rule)) }

@Suite struct HeapVerifierTests {
    @Test func soundHeapsHaveNoViolations() throws {
        let (heap, handles) = busyHeap()
        #expect(heap.checkInvariants() == [])
        heap.collect(.minor)
        #expect(heap.checkInvariants() == [])
        // Between the slices of an incremental full collection.
        heap.collect(.fullSlice)
        heap.collect(.fullSlice)
        #expect(heap.statistics().fullCollectionInProgress)
        #expect(heap.checkInvariants() == [])
        while heap.statistics().fullCollectionInProgress { heap.collect(.fullSlice) }
        #expect(heap.checkInvariants() == [])
        try heap.unpin(handles[1])
        for a in handles { heap.release(a) }
        heap.collect(.full)
        #expect(heap.checkInvariants() == [] && heap.statistics().liveObjects == 0)
    }

    /// `HeapConfiguration.verify`: every collection of a busy run is verified (the
    /// run would stop otherwise), with automatic minor and incremental collections.
    @Test func verifyingEveryCollectionOfABusyRun() {
        let (heap, _) = makeHeap(automatic: true) {
            $0.verify = true
            $0.minorAllocationBytes = 4 << 10
            $0.fullMinimumBytes = 32 << 10
            $0.fullSliceWork = 16
        }
        var kept: [ObjectRef] = []
        for i in 0..<4_000 {
            let a = RawNode.make(heap, id: i, traced: i % 2 == 0)
            if let last = kept.last { RawNode.link(heap, a, 0, last) }
            if i % 7 == 0 { RawNode.link(heap, a, 1, a) }  // a self-cycle
            kept.append(a)
            if kept.count > 50 { heap.release(kept.removeFirst()) }
        }
        let s = heap.statistics()
        #expect(s.minorCollections > 10 && s.fullSlices > 0)
        for a in kept { heap.release(a) }
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 0)
    }

    @Test func eachBrokenRuleIsReported() throws {
        let (heap, handles) = busyHeap()
        let a = handles[5], b = try #require(RawNode.child(heap, a, 0))
        let page = Page.of(a)

        page.liveCount += 1
        #expect(rules(heap).contains(.page))
        page.liveCount -= 1

        // A free list through an allocated slot.
        let savedFree = page.freeList
        page.freeList = a.bits
        #expect(rules(heap).contains(.freeList))
        page.freeList = savedFree

        // A free list that loops: a freed slot whose next entry is itself.
        let freed = RawNode.make(heap, id: 9998)
        let freedBits = freed.bits
        heap.release(freed)
        let freedPage = Page.of(freed)
        #expect(freedPage.freeList == freedBits)
        let next = freed.bits1
        freed.bits1 = UInt64(freedBits)
        #expect(heap.checkInvariants().contains { $0.rule == .freeList && $0.detail.contains("loop") })
        freed.bits1 = next

        heap.core.allocatedObjects += 1
        #expect(rules(heap) == [.counters])
        heap.core.allocatedObjects -= 1

        let word0 = a.bits0
        a.bits0 = (word0 & ~ObjectHeader.typeMask) | (0xFFFF << ObjectHeader.typeShift)
        #expect(rules(heap).contains(.type))
        a.bits0 = word0

        a.set(ObjectHeader.marked)
        let marked = heap.checkInvariants()
        #expect(marked.map(\.rule) == [.collectorBits])
        // The message names the rule, the object and its type.
        #expect(marked.first?.description.contains("collector bits: object 0x\(String(a.bits, radix: 16)) (hako.tests/") == true)
        a.clear(ObjectHeader.marked)
        b.color = .gray
        #expect(rules(heap) == [.collectorBits])
        b.color = .black

        let wasBuffered = a.has(ObjectHeader.buffered)
        a.set(ObjectHeader.buffered)
        a.bufferIndex = 999_999
        #expect(rules(heap).contains(.buffered))
        if !wasBuffered { a.clear(ObjectHeader.buffered); a.bufferIndex = 0 }

        // A dangling reference: a slot that holds a freed object's address.
        let gone = RawNode.make(heap, id: 9999)
        let goneBits = gone.bits
        heap.release(gone)
        a.payload.storeBytes(of: goneBits, toByteOffset: 16, as: UInt.self)
        #expect(rules(heap).contains(.reference))
        a.payload.storeBytes(of: 0, toByteOffset: 16, as: UInt.self)

        // A count below the references held: b is held by a (once or twice) and by
        // nothing else.
        let count = b.count
        b.addCount(-Int64(count))
        #expect(rules(heap) == [.count])
        b.addCount(Int64(count))

        let weak = handles[2]
        weak.clear(ObjectHeader.hasWeak)
        #expect(rules(heap) == [.weak])
        weak.set(ObjectHeader.hasWeak)
        a.set(ObjectHeader.hasWeak)
        #expect(rules(heap) == [.weak])
        a.clear(ObjectHeader.hasWeak)

        a.set(ObjectHeader.pinned)
        #expect(rules(heap) == [.pin])
        a.clear(ObjectHeader.pinned)

        #expect(heap.checkInvariants() == [])
        try heap.unpin(handles[1])
        for h in handles { heap.release(h) }
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// Trace functions that lie are caught, not followed: one that reports an
    /// address outside the heap, one that reports a child twice.
    @Test func lyingTracesAreReported() {
        let outside = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { outside.deallocate() }
        let bits = UInt(bitPattern: outside)
        let forged = try! TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/VerifierForgedTrace", payloadSize: 8,
            trace: { payload, tracer in tracer.visit(bits: payload.load(as: UInt.self)) }))
        let heap = Heap()
        let liar = try! heap.allocate(forged)
        liar.payload.storeBytes(of: bits, as: UInt.self)
        let found = heap.checkInvariants()
        #expect(found.map(\.rule) == [.reference])
        #expect(found.first?.typeName == "hako.tests/VerifierForgedTrace")
        liar.payload.storeBytes(of: 0, as: UInt.self)

        let twice = try! TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/VerifierTwiceTraced", payloadSize: 8,
            trace: { payload, tracer in
                if let r = ObjectRef(bits: payload.load(as: UInt.self)) { tracer.visit(r); tracer.visit(r) }
            }))
        let holder = try! heap.allocate(twice), child = try! heap.allocate(twice)
        heap.storeReference(child, into: holder, offset: 0)
        heap.release(child)
        #expect(rules(heap) == [.count])
        heap.storeReference(nil, into: holder, offset: 0)
        heap.release(holder)
        heap.release(liar)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// A trace function that changes the heap while the verifier reads it stops,
    /// as under a collection.
    @Test func aTraceThatChangesTheHeapDuringVerificationStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let meddler = try! TypeRegistry.shared.register(TypeDescriptor(
                name: "hako.tests/VerifierMeddlingTrace", payloadSize: 8,
                trace: { payload, _ in
                    let object = ObjectRef(payload - 16)
                    Heap.owning(object).release(object)
                }))
            let heap = Heap()
            _ = try! heap.allocate(meddler)
            _ = heap.checkInvariants()
        }
        let text = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(text.contains("hako.tests/VerifierMeddlingTrace"), "\(text)")
    }

    /// With verification on, a broken heap stops at the next collection with the
    /// rule, the object and its type.
    @Test func verifyModeStopsWithTheBrokenRule() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.verify = true
            let heap = Heap(configuration: config)
            let a = RawNode.make(heap, id: 1)
            a.set(ObjectHeader.pinned)  // no pin behind it
            heap.collect(.minor)
        }
        let text = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(text.contains("HakoGC heap verifier: pin: object 0x") && text.contains("(hako.tests/RawNode)")
                && text.contains("after minor collection 1"), "\(text)")
    }

    @Test func verifyingFromAFinalizerStops() async {
        await #expect(processExitsWith: .failure) {
            let (heap, recorder) = makeHeap()
            recorder.onFinalize = { heap, _ in _ = heap.checkInvariants() }
            heap.release(RawNode.make(heap, id: 1))
        }
    }

    @Test func theEnvironmentSwitchesVerificationOn() async throws {
        #expect(HeapConfiguration().verify == HeapConfiguration.verifyFromEnvironment)
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_VERIFY", "1", 1)
            // Read once per process: this child reads it first here.
            let heap = Heap()
            let a = RawNode.make(heap, id: 1)
            a.set(ObjectHeader.pinned)
            heap.collect(.minor)
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("HakoGC heap verifier: pin:"))
        // A value that is neither 1 nor 0 stops instead of leaving verification off.
        let typo = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_VERIFY", "yes", 1)
            _ = Heap()
        }
        #expect(String(decoding: typo.standardErrorContent, as: UTF8.self).contains("HAKOGC_VERIFY=yes is not 1 or 0"))
    }
}
