import Testing
@testable import GcCore
import GcTestSupport

@Suite struct ReferenceModelTests {
    /// Seeded random operations on the heap and on a plain graph model side by side.
    /// After every step the heap's live set and finalizations must match the model.
    @Test(arguments: 0..<24)
    func heapMatchesReferenceModel(seed: Int) {
        var run = ModelRun(seed: UInt64(seed), automatic: seed % 4 < 2)  // × traced (odd) or offsets (even)
        run.execute(steps: 2_500)
        #expect(run.failures.isEmpty, "seed \(seed): \(run.failures.prefix(5))")
    }
}
