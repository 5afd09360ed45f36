import Testing
@testable import GcCore
import GcTestSupport

@Suite struct TypeRegistryTests {
    @Test func fnv1aVectors() {
        #expect(TypeID.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(TypeID.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(TypeID.hash("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func registeringSameNameTwiceReturnsFirst() throws {
        let a = try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Twice", payloadSize: 8))
        let b = try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Twice", payloadSize: 8))
        #expect(a === b)
        #expect(a.index > 0)
        #expect(TypeRegistry.shared.typeID(forName: "hako.tests/Twice") == TypeID.hash("hako.tests/Twice"))
        #expect(TypeRegistry.shared.descriptor(forID: a.typeID) === a)
    }

    @Test func collisionIsRefusedNamingBoth() throws {
        let first = try TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/Original", payloadSize: 8))
        let forged = TypeDescriptor(name: "hako.tests/Impostor", typeID: first.typeID, payloadSize: 8,
                                    acyclic: false, trace: nil, drop: nil, finalize: nil, userData: nil)
        #expect(throws: TypeRegistryError.idCollision(id: first.typeID, existing: "hako.tests/Original", new: "hako.tests/Impostor")) {
            try TypeRegistry.shared.register(forged)
        }
        let message = TypeRegistryError.idCollision(id: 1, existing: "a/A", new: "b/B").description
        #expect(message.contains("a/A") && message.contains("b/B"))
    }

    @Test func malformedNamesAreRefused() {
        for bad in ["", "NoNamespace", "/Name", "ns/", "ns/Na me", "ns/\u{1}"] {
            #expect(throws: TypeRegistryError.invalidName(bad)) {
                try TypeRegistry.shared.register(TypeDescriptor(name: bad, payloadSize: 0))
            }
        }
    }

    @Test func typesWithoutTraceAreAcyclic() {
        #expect(TypeDescriptor(name: "x/Y", payloadSize: 8).acyclic)
        #expect(!TypeDescriptor(name: "x/Z", payloadSize: 8, trace: { _, _ in }).acyclic)
        #expect(!TypeDescriptor(name: "x/W", payloadSize: 8, referenceOffsets: [0]).acyclic)
    }
}
