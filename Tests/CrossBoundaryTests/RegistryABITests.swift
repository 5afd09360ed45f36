import CHakoGC
import Testing
@testable import CrossBoundary
@testable import GcCore

@Suite struct RegistryABITests {
    @Test func collisionThroughTheABINamesBothTypes() throws {
        // FNV-1a collisions are impractical to find, so force one: a Swift type takes
        // the id that "hako.c/Victim" hashes to, under another name.
        let victimID = TypeID.hash("hako.c/Victim")
        try TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/Squatter", typeID: victimID, payloadSize: 8, acyclic: true,
            trace: nil, drop: nil, finalize: nil, userData: nil))
        var vt = hgc_vtable()
        vt.size = UInt32(MemoryLayout<hgc_vtable>.size)
        vt.payload_size = 8
        var id: UInt64 = 0
        let status = "hako.c/Victim".withCString { CrossBoundary.hgc_register_type($0, &vt, &id) }
        #expect(status == HGC_ERR_TYPE_ID_COLLISION)
        let message = String(cString: CrossBoundary.hgc_last_error())
        #expect(message.contains("hako.c/Victim") && message.contains("hako.tests/Squatter"))
    }

    @Test func builtinIDsAreReservedAndRegistered() {
        #expect("core/Integer".withCString { CrossBoundary.hgc_type_id($0) } == HGC_TYPE_INTEGER)
        var id: UInt64 = 0
        #expect("core/String".withCString { CrossBoundary.hgc_lookup_type($0, &id) } == HGC_OK)
        #expect(id == HGC_TYPE_STRING)
    }

    @Test func randomValuesNeverCrashValidation() {
        var rng = SystemRandomNumberGenerator()
        var statuses: [UInt32: Int] = [:]
        for _ in 0..<20_000 {
            let v = hgc_value(type_id: rng.next(), box_handle: Bool.random() ? 0 : rng.next(), metadata: rng.next())
            statuses[CrossBoundary.hgc_value_validate(v).rawValue, default: 0] += 1
        }
        #expect(statuses[HGC_OK.rawValue, default: 0] == 0)
        #expect(statuses.keys.allSatisfy { $0 != 0 })
    }
}

@Suite struct SwiftTypesThroughTheABITests {
    /// Types registered from Swift hold Swift values: C may not allocate them or
    /// write their payloads.
    @Test func swiftRegisteredTypesAreClosedToC() throws {
        let swiftType = try TypeRegistry.shared.register(TypeDescriptor(
            name: "hako.tests/SwiftOnly", typeID: TypeID.hash("hako.tests/SwiftOnly"), payloadSize: 16, acyclic: true,
            trace: nil, drop: { _ in }, finalize: nil, userData: nil, swiftType: ObjectIdentifier(Int.self)))
        var heap: hgc_heap = 0
        #expect(CrossBoundary.hgc_heap_create(&heap) == HGC_OK)
        var out = hgc_value()
        #expect(CrossBoundary.hgc_alloc(heap, swiftType.typeID, 0, &out) == HGC_ERR_NOT_APPLICABLE)
        #expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 1 << 31, &out) == HGC_ERR_BAD_SIZE)
        #expect(CrossBoundary.hgc_heap_destroy(heap) == HGC_OK)
    }
}
