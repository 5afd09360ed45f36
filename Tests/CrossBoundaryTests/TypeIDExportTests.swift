import GcCore
import Testing
import CHakoGC
@testable import CrossBoundary

@Suite struct TypeIDExportTests {
    @Test func exportedHashMatchesRegistry() {
        #expect("core/Integer".withCString { CrossBoundary.hgc_type_id($0) } == TypeID.hash("core/Integer"))
        #expect("plugin.math/BigInt@1".withCString { CrossBoundary.hgc_type_id($0) } == 0x0f9d_c8fc_55ad_af8b)  // computed independently (Python)
        #expect(CrossBoundary.hgc_type_id(nil) == 0)
        #expect(CrossBoundary.hgc_abi_version() == HGC_ABI_VERSION && HGC_ABI_VERSION == 0x0000_0106)
        #expect(String(cString: CrossBoundary.hgc_status_string(HGC_ERR_BAD_TAG)).contains("tag"))
    }
}
