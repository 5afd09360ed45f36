import CHakoGC
import Foundation
import GcTestSupport
import Glibc
import Testing
@testable import CrossBoundary
@testable import GcCore

// C ABI misuse with a defined status (docs/reliability.md's catalogue, section 2:
// rows C2, C24, C38, C42, C44, C46, C47, C50, C62, C68, C71–C74, A7, A8, T8),
// through the exported functions a C caller reaches. Callbacks are the C kind
// (`@convention(c)`), run by the heap: what each does is set in `Script` before the
// call that runs it, and the statuses they saw are checked after.

/// What the test type's callbacks do, and the statuses their calls returned.
/// One suite uses it, serialized.
enum Script {
    enum Action { case none, destroyHeap, collect, profileCalls, callDestroyingFunction }
    nonisolated(unsafe) static var action = Action.none
    nonisolated(unsafe) static var heap: hgc_heap = 0
    nonisolated(unsafe) static var profile: hgc_profile = 0
    nonisolated(unsafe) static var destroyer: UInt64 = 0
    nonisolated(unsafe) static var seen: [hgc_status] = []
    /// The trace reports foreign reference 7 and acts unless this is set.
    nonisolated(unsafe) static var quietTrace = false

    static func act() {
        switch action {
        case .none: break
        case .destroyHeap: seen.append(CrossBoundary.hgc_heap_destroy(heap))
        case .collect: seen.append(CrossBoundary.hgc_collect(heap, HGC_COLLECT_FULL))
        case .profileCalls:
            seen.append(CrossBoundary.hgc_profile_attach(profile, heap))
            seen.append(CrossBoundary.hgc_profile_detach(profile, heap))
            seen.append(CrossBoundary.hgc_profile_snapshot(profile, heap))
            var length = 0
            var objects: UInt64 = 0
            seen.append(CrossBoundary.hgc_leak_check(heap, nil, 0, &length, &objects))
        case .callDestroyingFunction:
            var out = hgc_value()
            seen.append(CrossBoundary.hgc_call(destroyer, 0, nil, &out))
        }
    }

    /// "hako.abi/Scripted": 16 bytes, one slot at 0; every callback acts.
    static let type: UInt64 = {
        let offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        offsets[0] = 0
        defer { offsets.deallocate() }
        var vt = hgc_vtable()
        vt.size = UInt32(MemoryLayout<hgc_vtable>.size)
        vt.payload_size = 16
        vt.reference_offsets = UnsafePointer(offsets)
        vt.reference_count = 1
        vt.trace = { _, visitor, _ in
            hgc_visit_foreign(visitor, 7)
            if !Script.quietTrace { Script.act() }
        }
        vt.finalize = { _, _ in Script.act() }
        vt.to_string = { _, _, _, _ in Script.act(); return 0 }
        vt.cast = { _, _, _, _ in Script.act(); return HGC_ERR_NOT_APPLICABLE }
        var id: UInt64 = 0
        precondition(CrossBoundary.hgc_register_type("hako.abi/Scripted", &vt, &id) == HGC_OK)
        var destroyer: UInt64 = 0
        precondition(CrossBoundary.hgc_register_function("hako.abi/destroyHeap", { _, _, _ in
            Script.seen.append(CrossBoundary.hgc_heap_destroy(Script.heap))
            return hgc_null()
        }, nil, &destroyer) == HGC_OK)
        Script.destroyer = destroyer
        return id
    }()

    /// A new checked heap with the script reset.
    static func reset(_ action: Action = .none) -> hgc_heap {
        _ = type
        var h: hgc_heap = 0
        precondition(CrossBoundary.hgc_heap_create(&h) == HGC_OK)
        (Script.heap, Script.action, Script.seen, Script.quietTrace) = (h, action, [], false)
        return h
    }

    static func alloc(_ h: hgc_heap) -> hgc_value {
        var v = hgc_value()
        precondition(CrossBoundary.hgc_alloc(h, type, 0, &v) == HGC_OK)
        return v
    }
}

/// A heap made by `hgc_heap_create_with` in `mode` (0 if that failed).
func heapWithOptions(mode: UInt32, reserved: UInt32 = 0) -> hgc_heap {
    var options = hgc_heap_options()
    options.size = UInt32(MemoryLayout<hgc_heap_options>.size)
    options.mode = mode
    options.header_layout = HGC_HEADER_LAYOUT
    options.reserved = reserved
    var h: hgc_heap = 0
    return CrossBoundary.hgc_heap_create_with(&options, &h) == HGC_OK ? h : 0
}

func statusText(_ s: hgc_status) -> String { String(cString: CrossBoundary.hgc_status_string(s)) }

@Suite(.serialized) struct ABIMisuseTests {
    /// C24: NULL for each required out pointer.
    @Test func nullOutPointersAreRefused() {
        let h = Script.reset()
        let v = Script.alloc(h)
        var weak = hgc_value()
        #expect(CrossBoundary.hgc_make_weak(h, v, &weak) == HGC_OK)
        var status: [String: hgc_status] = [:]
        status["heap_create"] = CrossBoundary.hgc_heap_create(nil)
        status["alloc"] = CrossBoundary.hgc_alloc(h, Script.type, 0, nil)
        status["retain"] = CrossBoundary.hgc_retain(h, v, nil)
        status["load"] = CrossBoundary.hgc_load(h, v, 0, nil)
        status["same"] = CrossBoundary.hgc_same(h, v, v, nil)
        status["pin"] = CrossBoundary.hgc_pin(h, v, nil)
        status["make_weak"] = CrossBoundary.hgc_make_weak(h, v, nil)
        status["upgrade"] = CrossBoundary.hgc_upgrade(h, weak, nil)
        var size: UInt64 = 0
        status["payload"] = CrossBoundary.hgc_payload(h, v, nil, &size)
        status["heap_statistics"] = CrossBoundary.hgc_heap_statistics(h, nil)
        status["cast"] = CrossBoundary.hgc_cast(h, v, Script.type, nil)
        status["heap_mode"] = CrossBoundary.hgc_heap_mode(h, nil)
        for (call, s) in status {
            #expect(s == HGC_ERR_NULL_ARGUMENT, "hgc_\(call): \(statusText(s))")
        }
        var stats = hgc_heap_stats()
        stats.size = UInt32(MemoryLayout<hgc_heap_stats>.size)
        #expect(CrossBoundary.hgc_heap_statistics(h, &stats) == HGC_OK && stats.handles == 1 && stats.live_objects == 1)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// C2: every single-bit error in a live box handle is FORGED_HANDLE, on every call.
    @Test func everyBitFlipOfABoxHandleIsForged() {
        let h = Script.reset()
        let v = Script.alloc(h)
        for bit in 0..<64 {
            var flipped = v
            flipped.box_handle ^= 1 << UInt64(bit)
            var out = hgc_value()
            #expect(CrossBoundary.hgc_retain(h, flipped, &out) == HGC_ERR_FORGED_HANDLE, "bit \(bit)")
            #expect(CrossBoundary.hgc_release(h, flipped) == HGC_ERR_FORGED_HANDLE, "bit \(bit)")
            #expect(CrossBoundary.hgc_load(h, flipped, 0, &out) == HGC_ERR_FORGED_HANDLE, "bit \(bit)")
        }
        #expect(CrossBoundary.hgc_release(h, v) == HGC_OK)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// C38 and C50: `reserved` must be 0.
    @Test func reservedFieldsMustBeZero() {
        #expect(heapWithOptions(mode: HGC_MODE_CHECKED, reserved: 1) == 0)
        #expect(String(cString: CrossBoundary.hgc_last_error()).contains("reserved"))
        let heap = Script.reset()
        var bridge = hgc_bridge()
        bridge.size = UInt32(MemoryLayout<hgc_bridge>.size)
        bridge.reserved = 1
        bridge.mark_roots = { _, _ in }
        bridge.mark_foreign = { _, _, _ in }
        bridge.sweep = { _, _ in }
        #expect(CrossBoundary.hgc_bridge_register(heap, &bridge) == HGC_ERR_BAD_VTABLE)
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }

    /// C68: every status has its text; past the last, "unknown status".
    @Test func everyStatusHasAText() {
        #expect(statusText(HGC_ERR_ABI_MISMATCH).contains("ABI") || statusText(HGC_ERR_ABI_MISMATCH).contains("layout"),
                "\(statusText(HGC_ERR_ABI_MISMATCH))")
        let texts = (0...26).map { statusText(hgc_status(rawValue: $0)) }
        #expect(Set(texts).count == 27 && !texts.contains("unknown status"))
        #expect(statusText(hgc_status(rawValue: 27)) == "unknown status")
        #expect(statusText(hgc_status(rawValue: UInt32.max)) == "unknown status")
    }

    /// C42: destroying the heap from `to_string` or `cast` is REENTRANT.
    @Test func destroyFromToStringOrCastIsReentrant() {
        let h = Script.reset(.destroyHeap)
        let v = Script.alloc(h)
        var length = 0
        _ = CrossBoundary.hgc_to_string(h, v, nil, 0, &length)
        var out = hgc_value()
        _ = CrossBoundary.hgc_cast(h, v, HGC_TYPE_INTEGER, &out)
        #expect(Script.seen == [HGC_ERR_REENTRANT, HGC_ERR_REENTRANT])
        Script.action = .none
        #expect(CrossBoundary.hgc_release(h, v) == HGC_OK)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// C44: `hgc_call` holds no heap: its function may destroy one, unless the call
    /// runs inside a call on that same heap (a finalizer here): REENTRANT.
    @Test func anHgcCallFunctionMayDestroyAHeapOnlyFromOutside() {
        let h = Script.reset()
        var out = hgc_value()
        #expect(CrossBoundary.hgc_call(Script.destroyer, 0, nil, &out) == HGC_OK)
        #expect(Script.seen == [HGC_OK])
        var stats = hgc_heap_stats()
        stats.size = UInt32(MemoryLayout<hgc_heap_stats>.size)
        #expect(CrossBoundary.hgc_heap_statistics(h, &stats) == HGC_ERR_HEAP_DESTROYED)
        let inner = Script.reset(.callDestroyingFunction)
        #expect(CrossBoundary.hgc_release(inner, Script.alloc(inner)) == HGC_OK)  // finalizer → hgc_call → destroy
        #expect(Script.seen == [HGC_ERR_REENTRANT, HGC_OK], "\(Script.seen.map(statusText))")
        Script.action = .none
        #expect(CrossBoundary.hgc_heap_destroy(inner) == HGC_OK)
    }

    /// C46, C47: from a vtable `trace` and from `mark_foreign`, destroying the heap
    /// is REENTRANT and a collection is deferred (REENTRANT, run after).
    @Test func traceAndMarkForeignCannotDestroyOrCollect() {
        for action in [Script.Action.destroyHeap, .collect] {
            let h = Script.reset()
            do {
                let a = Script.alloc(h)
                #expect(CrossBoundary.hgc_store(h, a, 0, a) == HGC_OK)  // a self-cycle: traced by the collector
                #expect(CrossBoundary.hgc_release(h, a) == HGC_OK)
            }
            Script.action = action
            #expect(CrossBoundary.hgc_collect(h, HGC_COLLECT_FULL) == HGC_OK)
            Script.action = .none
            #expect(!Script.seen.isEmpty && Script.seen.allSatisfy { $0 == HGC_ERR_REENTRANT }, "\(action): \(Script.seen.map(statusText))")
            var stats = hgc_heap_stats()
            stats.size = UInt32(MemoryLayout<hgc_heap_stats>.size)
            #expect(CrossBoundary.hgc_heap_statistics(h, &stats) == HGC_OK && stats.live_objects == 0)
            // mark_foreign: a bridge, and a live object whose trace reports foreign
            // reference 7 (its trace quiet, so that only mark_foreign acts).
            let keep = Script.alloc(h)
            Script.quietTrace = true
            var bridge = hgc_bridge()
            bridge.size = UInt32(MemoryLayout<hgc_bridge>.size)
            bridge.mark_roots = { _, _ in }
            bridge.mark_foreign = { _, _, _ in Script.act() }
            bridge.sweep = { _, _ in }
            #expect(CrossBoundary.hgc_bridge_register(h, &bridge) == HGC_OK)
            Script.seen = []
            Script.action = action
            #expect(CrossBoundary.hgc_collect(h, HGC_COLLECT_FULL) == HGC_OK)
            Script.action = .none
            #expect(!Script.seen.isEmpty && Script.seen.allSatisfy { $0 == HGC_ERR_REENTRANT }, "\(action): \(Script.seen.map(statusText))")
            #expect(CrossBoundary.hgc_release(h, keep) == HGC_OK)
            #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
        }
    }

    /// C34: after another thread took the heap, the old owner gets WRONG_THREAD
    /// and the new one is served; taking it back works the same way.
    @Test func theOldOwnerGetsWrongThreadAfterATransfer() {
        let h = Script.reset()
        final class Box: @unchecked Sendable { var statuses: [hgc_status] = [] }
        let box = Box()
        runOnAnotherThread {
            box.statuses.append(CrossBoundary.hgc_heap_transfer(h))
            box.statuses.append(CrossBoundary.hgc_collect(h, HGC_COLLECT_MINOR))
        }
        #expect(box.statuses == [HGC_OK, HGC_OK])
        #expect(CrossBoundary.hgc_collect(h, HGC_COLLECT_MINOR) == HGC_ERR_WRONG_THREAD)
        #expect(CrossBoundary.hgc_heap_transfer(h) == HGC_OK)
        #expect(CrossBoundary.hgc_collect(h, HGC_COLLECT_MINOR) == HGC_OK)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// C35: a heap slot destroyed at its last generation is retired: its handle
    /// stays refused and the slot is never handed out again (in a child: the table
    /// is the process's).
    @Test func aSlotAtItsLastGenerationIsRetired() async {
        await #expect(processExitsWith: .success) {
            var h: hgc_heap = 0
            guard CrossBoundary.hgc_heap_create(&h) == HGC_OK else { exit(1) }
            let aged = HeapTable.ageToLastGeneration(h)
            guard CrossBoundary.hgc_collect(h, HGC_COLLECT_MINOR) == HGC_ERR_HEAP_DESTROYED,  // the old generation's handle
                  CrossBoundary.hgc_collect(aged, HGC_COLLECT_MINOR) == HGC_OK,
                  CrossBoundary.hgc_heap_destroy(aged) == HGC_OK else { exit(2) }
            var next: hgc_heap = 0
            guard CrossBoundary.hgc_heap_create(&next) == HGC_OK else { exit(3) }
            let sameSlot = next & HeapTable.indexMask == aged & HeapTable.indexMask
            let refused = CrossBoundary.hgc_collect(aged, HGC_COLLECT_MINOR) == HGC_ERR_HEAP_DESTROYED
            exit(!sameSlot && refused ? 0 : 4)
        }
    }

    /// C19: C may not make an allocator for a type registered from Swift.
    @Test func noTrustedAllocatorForASwiftType() throws {
        let swiftType = try TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/SwiftOnlyAllocator", typeID: TypeID.hash("hako.tests/SwiftOnlyAllocator"), payloadSize: 16, acyclic: true,
            trace: nil, drop: { _ in }, finalize: nil, userData: nil, swiftType: ObjectIdentifier(Int.self)))
        let h = heapWithOptions(mode: HGC_MODE_TRUSTED)
        var allocator: UnsafeMutablePointer<hgc_allocator>? = nil
        #expect(CrossBoundary.hgc_trusted_allocator(h, swiftType.typeID, &allocator) == HGC_ERR_NOT_APPLICABLE)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// T16: trusted values still held after `hgc_heap_destroy` keep their memory
    /// until released (ASan runs would report a read of freed memory here).
    @Test func trustedValuesOutliveTheirHeapUntilReleased() {
        let h = heapWithOptions(mode: HGC_MODE_TRUSTED)
        var v = hgc_value()
        #expect(CrossBoundary.hgc_alloc(h, HGC_TYPE_FLOAT, 0, &v) == HGC_OK)
        hgc_trusted_payload(v).storeBytes(of: 4.5, as: Double.self)
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
        #expect(hgc_trusted_payload(v).load(as: Double.self) == 4.5)
        #expect(hgc_trusted_release(v) == HGC_OK)
    }

    /// C71–C74: profile handles.
    @Test func profileHandlesAreChecked() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hako-abi-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var p: hgc_profile = 0
        // C71: a rate that does not fit a signed 64-bit count.
        #expect(CrossBoundary.hgc_profile_open(path, "x", UInt64.max, &p) == HGC_ERR_INT_OUT_OF_RANGE)
        #expect(CrossBoundary.hgc_profile_open(path, "x", 1, &p) == HGC_OK)
        let h = Script.reset(.profileCalls)
        #expect(CrossBoundary.hgc_profile_attach(p, h) == HGC_OK)
        Script.profile = p
        // C73: from a finalizer, every profiling call and the leak check are REENTRANT.
        #expect(CrossBoundary.hgc_release(h, Script.alloc(h)) == HGC_OK)
        #expect(Script.seen == [HGC_ERR_REENTRANT, HGC_ERR_REENTRANT, HGC_ERR_REENTRANT, HGC_ERR_REENTRANT],
                "\(Script.seen.map(statusText))")
        Script.action = .none
        #expect(CrossBoundary.hgc_profile_close(p) == HGC_OK)
        // C72: a closed handle is stale, one never issued forged, for every call.
        for (profile, expected) in [(p, HGC_ERR_STALE_HANDLE), (p ^ 0x5A5A_0000, HGC_ERR_FORGED_HANDLE)] {
            #expect(CrossBoundary.hgc_profile_attach(profile, h) == expected)
            #expect(CrossBoundary.hgc_profile_detach(profile, h) == expected)
            #expect(CrossBoundary.hgc_profile_snapshot(profile, h) == expected)
            #expect(CrossBoundary.hgc_profile_close(profile) == expected)
        }
        // C74: records lost to write errors make close say so.
        var full: hgc_profile = 0
        #expect(CrossBoundary.hgc_profile_open("/dev/full", "x", 1, &full) == HGC_OK)
        #expect(CrossBoundary.hgc_profile_attach(full, h) == HGC_OK)
        for _ in 0..<100 { #expect(CrossBoundary.hgc_release(h, Script.alloc(h)) == HGC_OK) }
        #expect(CrossBoundary.hgc_profile_detach(full, h) == HGC_OK)
        #expect(CrossBoundary.hgc_profile_close(full) == HGC_ERR_NOT_APPLICABLE)
        #expect(String(cString: CrossBoundary.hgc_last_error()).contains("lost"))
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// C62: the 65 536th type is REGISTRY_FULL, with a message (in a child: the
    /// registry is the process's).
    @Test func aFullRegistryIsReported() async {
        await #expect(processExitsWith: .success) {
            var vt = hgc_vtable()
            vt.size = UInt32(MemoryLayout<hgc_vtable>.size)
            vt.payload_size = 8
            var id: UInt64 = 0
            for i in 0..<70_000 {
                let s = "hako.fill/C\(i)".withCString { CrossBoundary.hgc_register_type($0, &vt, &id) }
                if s == HGC_ERR_REGISTRY_FULL {
                    exit(i > 65_000 && String(cString: CrossBoundary.hgc_last_error()).contains("full") ? 0 : 1)
                }
                if s != HGC_OK { exit(2) }
            }
            exit(3)
        }
    }

    /// A7, A8: on a trusted heap, `hgc_alloc` and the inline `hgc_trusted_alloc` say
    /// OUT_OF_MEMORY when block requests fail, and earlier values stay good.
    @Test func trustedAllocationReportsOutOfMemory() {
        let h = heapWithOptions(mode: HGC_MODE_TRUSTED)
        guard case .owned(let foreign) = HeapTable.lookup(h, thread: pthread_self()) else { Issue.record("no heap"); return }
        let heap = foreign.takeUnretainedValue().heap
        var first = hgc_value()
        #expect(CrossBoundary.hgc_alloc(h, HGC_TYPE_FLOAT, 0, &first) == HGC_OK)
        heap.core.allocator.failure = AllocationFailure(at: heap.core.allocator.blockRequests + 1, persistent: true)
        var allocator: UnsafeMutablePointer<hgc_allocator>? = nil
        #expect(CrossBoundary.hgc_trusted_allocator(h, HGC_TYPE_FLOAT, &allocator) == HGC_OK)
        var values: [hgc_value] = []
        var status = HGC_OK
        while status == HGC_OK && values.count < 100_000 {
            var v = hgc_value()
            status = hgc_trusted_alloc(allocator, &v)
            if status == HGC_OK { values.append(v) }
        }
        #expect(status == HGC_ERR_OUT_OF_MEMORY && values.count > 0)
        #expect(String(cString: CrossBoundary.hgc_last_error()).contains("out of memory"))
        var v = hgc_value()
        #expect(CrossBoundary.hgc_alloc(h, HGC_TYPE_FLOAT, 0, &v) == HGC_ERR_OUT_OF_MEMORY)
        var payload: UnsafeMutableRawPointer? = nil
        var size: UInt64 = 0
        #expect(CrossBoundary.hgc_payload(h, first, &payload, &size) == HGC_OK)
        heap.core.allocator.failure = nil
        for v in values { #expect(CrossBoundary.hgc_release(h, v) == HGC_OK) }
        #expect(CrossBoundary.hgc_release(h, first) == HGC_OK)
        #expect(heap.checkInvariants() == [])
        #expect(CrossBoundary.hgc_heap_destroy(h) == HGC_OK)
    }

    /// T8: a trusted retain whose count is at its limit reaches the slow path,
    /// which stops with the heap's message.
    @Test func aTrustedRetainAtTheCountLimitStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let h = heapWithOptions(mode: HGC_MODE_TRUSTED)
            var v = hgc_value()
            _ = CrossBoundary.hgc_alloc(h, HGC_TYPE_FLOAT, 0, &v)
            let object = ObjectRef(bits: UInt(v.box_handle))!
            object.bits0 = (object.bits0 & ~ObjectHeader.rcMask) | ObjectHeader.maxCount
            _ = hgc_trusted_retain(v)
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("HakoGC: reference count overflow"))
    }
}
