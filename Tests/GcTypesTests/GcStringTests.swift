import Testing
import GcCore
@testable import GcTypes

@Suite struct GcStringTests {
    @Test func operations() {
        let heap = Heap()
        let s = GcString("Hello, Wörld", in: heap)
        #expect(s.count == 12 && s.utf8Count == 13)
        #expect(s.hasPrefix("Hell") && s.hasSuffix("rld") && s.contains("o, W"))
        #expect(s.lowercased().string == "hello, wörld")
        #expect(s.uppercased() == GcString("HELLO, WÖRLD", in: heap))
        #expect(s.split(separator: ",").map(\.string) == ["Hello", " Wörld"])
        #expect((s + GcString("!", in: heap)).string == "Hello, Wörld!")
        #expect(Array(s.unicodeScalars).count == 12)
        #expect(GcString("a", in: heap) < GcString("b", in: heap))
        #expect(GcString("e\u{301}", in: heap) == GcString("é", in: heap))
        #expect(Set([GcString("k", in: heap), GcString("k", in: heap)]).count == 1)
        #expect("\(s)" == "Hello, Wörld")
    }

    @Test func conversionSharesTheBuffer() {
        let heap = Heap()
        let big = String(repeating: "abcdefgh", count: 100_000)
        let address = big.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        let gc = GcString(big, in: heap)
        let back = String(gc)
        #expect(back.utf8.withContiguousStorageIfAvailable { $0.baseAddress } == address)
        #expect(heap.statistics().conversionCopies == 0)
    }

    @Test func appendToSharedStringIsCounted() {
        let heap = Heap()
        let original = String(repeating: "x", count: 1000)
        let gc = GcString(original, in: heap)
        gc.append("y")
        #expect(original.count == 1000 && gc.count == 1001)
        #expect(heap.statistics().conversionCopies == 1)
        #expect(heap.statistics().conversionCopyBytes == 1000)
    }

    @Test func literal() {
        let s: GcString = "literal"
        #expect(s.heap === DefaultHeap.current)
        #expect(s.debugDescription == "GcString(\"literal\")")
    }

    @Test func freedWhenLastHandleGoes() {
        let heap = Heap()
        do {
            let a = GcString("one", in: heap)
            let b = a
            _ = b.count
        }
        let st = heap.statistics()
        #expect(st.allocatedObjects == 1 && st.freedObjects == 1)
    }
}
