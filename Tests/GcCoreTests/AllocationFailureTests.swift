import Foundation
import Glibc
@testable import GcCore
import GcTestSupport
import Testing

// Allocation failure injected at every block request of a workload
// (AllocationFailure.swift): each allocation either succeeds or reports
// `HeapError.outOfMemory`, the heap stays sound (the verifier runs after every
// collection and at the end), and nothing leaks — objects or blocks.

/// A type whose finalizer allocates (and drops) a leaf: allocation from inside a
/// collection, where the heap cannot collect to make room.
private let allocatingFinalizer: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "hako.tests/AllocatingFinalizer", payloadSize: 8,
    finalize: { heap, _ in
        if let leaf = try? heap.allocate(RawNode.leaf) { heap.release(leaf) } else { (heap.context as? FailureCount)?.inFinalizers += 1 }
    }))

/// A large type (over the largest size class: a block of its own per object).
private let large: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "hako.tests/FailureLarge", payloadSize: 100_000))

private final class FailureCount {
    var thrown = 0
    var inFinalizers = 0
}

/// Small objects of two size classes in rings and chains, large objects, pins,
/// weak references, finalizers that allocate, automatic and explicit collections.
/// Returns the handles it still holds.
private func workload(_ heap: Heap, _ count: FailureCount) -> [ObjectRef] {
    var held: [ObjectRef] = []
    func allocate(_ type: TypeDescriptor) -> ObjectRef? {
        do { return try heap.allocate(type) } catch {
            #expect(error == .outOfMemory(bytes: type.payloadSize))
            count.thrown += 1
            return nil
        }
    }
    for i in 0..<1_500 {
        guard let a = allocate(i % 3 == 0 ? RawNode.tracedType : RawNode.type) else { continue }
        RawNode.link(heap, a, 0, held.last)
        if i % 5 == 0, let b = allocate(allocatingFinalizer) {
            heap.release(b)  // finalized now: its finalizer allocates
        }
        if i % 7 == 0 { RawNode.link(heap, a, 1, a) }  // a self-cycle
        if i % 11 == 0 { heap.pin(a); try! heap.unpin(a) }
        if i % 13 == 0 { _ = heap.makeWeak(a) }
        if i % 97 == 0, let big = allocate(large) { held.append(big) }
        held.append(a)
        if held.count > 200 { heap.release(held.removeFirst()) }
        if i % 300 == 0 { heap.collect(.full) }
    }
    return held
}

@Suite struct AllocationFailureTests {
    @Test func theSettingParses() {
        #expect(AllocationFailure("7") == AllocationFailure(at: 7))
        #expect(AllocationFailure("12+") == AllocationFailure(at: 12, persistent: true))
        for bad in ["", "0", "+", "-3", "x", "3++", " 4"] { #expect(AllocationFailure(bad) == nil, "\(bad)") }
        #expect(AllocationFailure(at: 5, persistent: true).description == "5+")
    }

    /// `HAKOGC_FAIL_ALLOC` in the environment (read once per process: a child
    /// reads it first here): `N+` makes the heap's allocations fail; a typo stops.
    @Test func theEnvironmentSwitchesFailureOn() async throws {
        let failing = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_FAIL_ALLOC", "1+", 1)
            let heap = Heap()
            guard heap.core.allocator.failure == AllocationFailure(at: 1, persistent: true) else { fatalError("not read") }
            do { _ = try heap.allocate(RawNode.leaf) } catch { fatalError("refused: \(error)") }
        }
        #expect(String(decoding: failing.standardErrorContent, as: UTF8.self).contains("refused: out of memory allocating 8 bytes"))
        let typo = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_FAIL_ALLOC", "3x", 1)
            _ = Heap()
        }
        #expect(String(decoding: typo.standardErrorContent, as: UTF8.self).contains("HAKOGC_FAIL_ALLOC=3x is not N or N+"))
    }

    /// Fails the N-th block request, and every one from the N-th on, for every N
    /// the workload reaches.
    @Test func everyBlockRequestOfAWorkloadFailsCleanly() {
        let clean = run(nil)
        #expect(clean.thrown == 0 && clean.requests > 10)
        for n in 1...clean.requests + 1 {
            // One failure: the heap collects, trims and retries, and the retry succeeds.
            let once = run(AllocationFailure(at: n))
            #expect(once.thrown == 0 && once.injected == (n <= clean.requests ? 1 : 0), "N = \(n): \(once)")
            // From the N-th on: allocations report outOfMemory (one at least).
            let from = run(AllocationFailure(at: n, persistent: true))
            #expect(n > once.requests || from.thrown + from.inFinalizers > 0, "N = \(n)+: \(from)")
        }
    }

    /// Runs the workload on a fresh verified heap, then gives everything back and
    /// checks that nothing leaked.
    private func run(_ failure: AllocationFailure?) -> (requests: Int, injected: Int, thrown: Int, inFinalizers: Int) {
        let (heap, _) = makeHeap(automatic: true) {
            $0.failAllocation = failure
            $0.verify = true
            $0.minorAllocationBytes = 16 << 10
        }
        let count = FailureCount()
        heap.context = count
        // The profiler records too (samples with their stacks, frees, its buffer
        // written after collections): its paths run while block requests fail.
        // The clean run's log is kept to check that it recorded something.
        let path = failure == nil ? "/tmp/hakogc-failure-sweep-\(getpid()).hgclog" : "/dev/null"
        let profile = try! ProfileFile(path: path, sampleRate: 512)
        profile.attach(heap)
        let held = workload(heap, count)
        #expect(heap.checkInvariants() == [], "\(failure.map(\.description) ?? "none")")
        for object in held { heap.release(object) }
        heap.collect(.full)
        profile.detach(heap)
        profile.close()
        #expect(profile.writeErrors == 0)
        if failure == nil {
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(bytes > 16 << 10, "the profiler wrote \(bytes) bytes")  // samples, their stacks and symbols
            unlink(path)
        }
        let s = heap.statistics()
        #expect(s.liveObjects == 0 && s.allocatedObjects == s.freedObjects, "\(failure.map(\.description) ?? "none"): \(s.liveObjects) live")
        #expect(heap.core.allocator.unaccountedBlocks == 0, "\(failure.map(\.description) ?? "none"): blocks lost")
        return (heap.core.allocator.blockRequests, heap.core.allocator.injectedFailures, count.thrown, count.inFinalizers)
    }
}
