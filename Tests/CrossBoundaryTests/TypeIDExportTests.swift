import GcCore
import Testing
@testable import CrossBoundary

@Suite struct TypeIDExportTests {
    @Test func exportedHashMatchesRegistry() {
        #expect("core/Integer".withCString { hgc_type_id($0) } == TypeID.hash("core/Integer"))
        #expect("plugin.math/BigInt@1".withCString { hgc_type_id($0) } == 0x0f9d_c8fc_55ad_af8b)  // computed independently (Python)
        #expect(hgc_type_id(nil) == 0)
        #expect(hgc_abi_version() == 0x0000_0100)
    }
}
