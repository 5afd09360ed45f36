import Testing
@testable import GcCore
import GcTestSupport

@Suite struct ReferenceModelTests {
    /// Seeded random operations on the heap and on a plain graph model side by side.
    /// After every step the heap's live set, finalizations and every live object's
    /// count must match the model.
    @Test(arguments: 0..<24)
    func heapMatchesReferenceModel(seed: Int) {
        // Odd seeds trace, seeds ≡ 2 (mod 4) use a plain type without finalizer, the
        // rest offsets with a finalizer; automatic collection for seeds ≡ 0, 1 (mod 4)
        // and ≡ 6 (mod 8), so plain garbage is swept by automatic incremental full
        // collections too (finalizer-free garbage is swept lazily).
        var run = ModelRun(seed: UInt64(seed), automatic: seed % 4 < 2 || seed % 8 == 6)
        run.execute(steps: 2_500)
        #expect(run.failures.isEmpty, "seed \(seed): \(run.failures.prefix(5))")
    }
}
