import Foundation
import GcCore
import GcTestSupport
import Testing

/// How long the stress run lasts: `HAKOGC_STRESS_SECONDS` (default 10: CI-sized),
/// e.g. `HAKOGC_STRESS_SECONDS=600 ./scripts/test.sh` for a long soak.
/// `HAKOGC_STRESS_SEED` replays one seed.
enum StressBudget {
    static var seconds: Double {
        testSetting("HAKOGC_STRESS_SECONDS", Double.init, where: { $0 >= 0 && $0.isFinite }) ?? 10
    }
    static var fixedSeed: UInt64? {
        testSetting("HAKOGC_STRESS_SEED") { UInt64($0) }
    }
    static func baseSeed() -> UInt64 { fixedSeed ?? UInt64.random(in: 1...UInt64(UInt32.max)) }
    /// Steps per model run: `HAKOGC_STRESS_STEPS`, or `standard`. The
    /// ThreadSanitizer run (scripts/test-sanitizers.sh) asks for fewer: a debug
    /// build under TSan takes about 8 ms a step, and what it checks there is heaps on
    /// several threads, not long runs.
    static func steps(_ standard: Int) -> Int {
        testSetting("HAKOGC_STRESS_STEPS", { Int($0) }, where: { $0 > 0 }) ?? standard
    }
}

@Suite(.serialized) struct ModelStressTests {
    /// The reference model at larger scale, seeds drawn fresh each run (printed on
    /// failure), for a time budget.
    @Test func referenceModelUnderTimeBudget() {
        let deadline = Date().addingTimeInterval(StressBudget.seconds / 2)
        var seed = StressBudget.baseSeed()
        var runs = 0
        repeat {
            var run = ModelRun(seed: seed, automatic: seed % 3 != 0)
            run.execute(steps: StressBudget.steps(6_000))
            #expect(run.failures.isEmpty, "HAKOGC_STRESS_SEED=\(seed): \(run.failures.prefix(5))")
            if !run.failures.isEmpty { return }
            runs += 1
            seed &+= 1
        } while Date() < deadline && StressBudget.fixedSeed == nil
        print("model stress: \(runs) runs from seed \(seed - UInt64(runs))")
    }

    /// Several heaps on several threads at once: heaps share nothing but the
    /// (thread-safe) type registry.
    @Test func heapsOnSeveralThreads() {
        let threads = 4
        let base = StressBudget.baseSeed()
        let seconds = StressBudget.seconds / 2
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var failures: [String] = []
            var runs = 0
        }
        let results = Results()
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let thread = Thread {
                let deadline = Date().addingTimeInterval(seconds)
                var seed = base &+ UInt64(t) &* 1_000_003
                repeat {
                    var run = ModelRun(seed: seed, automatic: true)
                    run.execute(steps: StressBudget.steps(3_000))
                    results.lock.lock()
                    results.runs += 1
                    if !run.failures.isEmpty {
                        results.failures.append("thread \(t) HAKOGC_STRESS_SEED=\(seed): \(run.failures.prefix(3))")
                    }
                    results.lock.unlock()
                    seed &+= 1
                } while Date() < deadline && results.failures.isEmpty
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        #expect(results.failures.isEmpty, "\(results.failures)")
        #expect(results.runs >= threads)
        print("threaded model stress: \(results.runs) runs on \(threads) threads")
    }
}
