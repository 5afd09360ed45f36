import CHakoGC
import Foundation
import Glibc
import Testing
@testable import CrossBoundary

// What the C ABI does at its process-wide limits and with a mistyped switch
// (docs/reliability.md, rows C36 and V12), each in a child process: both change
// process-wide state.

@Suite struct HeapLimitTests {
    /// C36: a full heap table is OUT_OF_MEMORY with a message from both creating
    /// calls, not a crash; destroying a heap makes room again.
    @Test func aFullHeapTableIsOutOfMemory() async throws {
        let result = try await #require(processExitsWith: .success, observing: [\.standardErrorContent]) {
            func say(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
            HeapTable.limitFreshSlots(to: 3)
            var heaps: [hgc_heap] = []
            var h: hgc_heap = 0
            while CrossBoundary.hgc_heap_create(&h) == HGC_OK { heaps.append(h) }
            var status = CrossBoundary.hgc_heap_create(&h)
            say("create: \(status.rawValue) \(String(cString: CrossBoundary.hgc_last_error()))")
            var options = hgc_heap_options()
            options.size = UInt32(MemoryLayout<hgc_heap_options>.size)
            options.mode = HGC_MODE_CHECKED
            options.header_layout = HGC_HEADER_LAYOUT
            status = CrossBoundary.hgc_heap_create_with(&options, &h)
            say("create_with: \(status.rawValue)")
            guard heaps.count == 3, CrossBoundary.hgc_heap_destroy(heaps.removeLast()) == HGC_OK,
                  CrossBoundary.hgc_heap_create(&h) == HGC_OK else { exit(1) }
            say("after destroy: created")
            exit(0)
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("create: \(HGC_ERR_OUT_OF_MEMORY.rawValue) hgc_heap_create: the heap table is full"))
        #expect(stderr.contains("create_with: \(HGC_ERR_OUT_OF_MEMORY.rawValue)"))
        #expect(stderr.contains("after destroy: created"))
    }

    /// V12: a mistyped HAKOGC_ABI_CHECKED stops at the first heap created with
    /// options, naming the value.
    @Test func aMistypedAbiCheckedStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_ABI_CHECKED", "yes", 1)
            _ = modeOfATrustedRequest()
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("HakoGC: HAKOGC_ABI_CHECKED=yes is not 1 or 0"))
    }

    /// V12: `0` leaves trusted heaps trusted; `1` makes them checked.
    @Test func abiCheckedZeroAndOneDoWhatTheySay() async {
        await #expect(processExitsWith: .success) {
            setenv("HAKOGC_ABI_CHECKED", "0", 1)
            exit(modeOfATrustedRequest() == HGC_MODE_TRUSTED ? 0 : 1)
        }
        await #expect(processExitsWith: .success) {
            setenv("HAKOGC_ABI_CHECKED", "1", 1)
            exit(modeOfATrustedRequest() == HGC_MODE_CHECKED ? 0 : 1)
        }
    }
}

/// The mode of a heap created asking for trusted mode (nil if that failed).
func modeOfATrustedRequest() -> UInt32? {
    var options = hgc_heap_options()
    options.size = UInt32(MemoryLayout<hgc_heap_options>.size)
    options.mode = HGC_MODE_TRUSTED
    options.header_layout = HGC_HEADER_LAYOUT
    var h: hgc_heap = 0
    var mode: UInt32 = 0
    guard CrossBoundary.hgc_heap_create_with(&options, &h) == HGC_OK,
          CrossBoundary.hgc_heap_mode(h, &mode) == HGC_OK else { return nil }
    return mode
}
