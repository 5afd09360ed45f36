import GcCore
import Testing
@testable import GcTypes

/// Allocation failure in the typed API (AllocationFailure.swift): `GcRc.make`
/// throws and destroys the value it was given (its handles are released); the
/// non-throwing initializer stops with the message.
@Suite struct AllocationFailureTypedTests {
    @Test func makeThrowsAndReleasesTheValue() throws {
        var config = HeapConfiguration()
        config.failAllocation = AllocationFailure(at: 2, persistent: true)
        let heap = Heap(configuration: config)
        let child = GcRc(FastNode(), in: heap)  // block request 1: the first page
        var made = 0, refused = 0
        // A chain through `left`, each node holding a copy of `child`: it outgrows
        // the first page, and the node that needs a second one is refused.
        var chain: GcRc<FastNode>? = nil
        for _ in 0..<5_000 {
            do {
                chain = try GcRc.make(FastNode(left: chain.take(), right: child.copy()), in: heap)
                made += 1
            } catch {
                #expect(error == .outOfMemory(bytes: MemoryLayout<FastNode>.size))
                refused += 1
                // The refused value was destroyed, and the chain it held with it:
                // every copy of `child` is released.
                #expect(child.referenceCount == 1)
            }
        }
        #expect(made > 0 && refused > 0)
        chain = nil
        _ = consume child
        heap.collect(.full)
        #expect(heap.statistics().liveObjects == 0)
        #expect(heap.checkInvariants() == [])
    }

    @Test func theNonThrowingInitializerStopsWithTheMessage() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.failAllocation = AllocationFailure(at: 1, persistent: true)
            let heap = Heap(configuration: config)
            _ = GcRc(FastNode(), in: heap)
        }
        let text = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(text.contains("HakoGC: out of memory allocating"), "\(text)")
    }
}
