// Slot poisoning under AddressSanitizer (built only by `scripts/test-sanitizers.sh`,
// which sets HAKOGC_SANITIZE=address and so HAKOGC_ASAN; see Package.swift).
#if HAKOGC_ASAN
import GcCore
import GcTestSupport
import Glibc
import Testing

@Suite struct AddressSanitizerTests {
    /// A read through a stale reference into a freed slot is reported, though the
    /// slot's page is still allocated.
    @Test func readOfAFreedSlotIsReported() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let node = RawNode.make(heap, id: 7)
            let keep = RawNode.make(heap, id: 8)  // keeps the page allocated
            heap.release(node)
            // memcpy: ASan checks it in every build (a stdlib `load` may run
            // uninstrumented code in a debug build).
            var stale = 0
            memcpy(&stale, node.payload + RawNode.idOffset, 8)
            print(stale, heap.referenceCount(keep))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("use-after-poison"))
    }

    /// A slot handed out again is readable and writable in full; poisoning follows
    /// every free and reuse.
    @Test func reusedSlotsAreUsable() {
        let heap = Heap()
        for round in 0..<3 {
            let nodes = (0..<1000).map { RawNode.make(heap, id: round * 1000 + $0) }
            for (i, node) in nodes.enumerated() { #expect(RawNode.id(node) == round * 1000 + i) }
            for node in nodes { heap.release(node) }
        }
        #expect(heap.statistics().liveObjects == 0)
    }
}
#endif
