import Foundation
import GcCore
import GcTestSupport
import Testing

/// The long soak (docs/reliability.md, "The soak"): the reference-model stress on
/// several heaps and threads until `HAKOGC_SOAK_OPS` operations have run
/// (`scripts/soak.sh OPS`). Off unless that variable is set; CI's default run
/// leaves it out. Each thread runs seeded 10 000-step runs, each on a new heap,
/// checking the model against the heap every 256 steps and after every full
/// collection, with the heap verifier every 2 048 steps; a failure prints its
/// seed (`HAKOGC_STRESS_SEED` replays it in the model stress).
@Suite struct SoakTests {
    static var operations: Int? {
        testSetting("HAKOGC_SOAK_OPS", { Int($0) }, where: { $0 > 0 })
    }
    static var threads: Int {
        testSetting("HAKOGC_SOAK_THREADS", { Int($0) }, where: { $0 > 0 }) ?? 4
    }

    @Test(.enabled(if: SoakTests.operations != nil)) func soak() {
        let target = SoakTests.operations ?? 0
        let threads = SoakTests.threads
        let steps = 10_000
        let base = StressBudget.baseSeed()
        final class Progress: @unchecked Sendable {
            let lock = NSLock()
            var operations = 0
            var runs = 0
            var failures: [String] = []
            var nextReport = Date().addingTimeInterval(60)
        }
        let progress = Progress()
        let start = Date()
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let thread = Thread {
                var seed = base &+ UInt64(t) &* 1_000_003
                while true {
                    progress.lock.lock()
                    let done = progress.operations >= target || !progress.failures.isEmpty
                    progress.lock.unlock()
                    if done { break }
                    var run = ModelRun(seed: seed, automatic: seed % 3 != 0)
                    run.checkEvery = 256
                    run.execute(steps: steps)
                    progress.lock.lock()
                    progress.operations += steps
                    progress.runs += 1
                    if !run.failures.isEmpty {
                        progress.failures.append("thread \(t) HAKOGC_STRESS_SEED=\(seed): \(run.failures.prefix(3))")
                    }
                    if Date() >= progress.nextReport {
                        let seconds = Date().timeIntervalSince(start)
                        print("soak: \(progress.operations) operations in \(Int(seconds)) s (\(Int(Double(progress.operations) / seconds)) a second), \(progress.runs) runs")
                        progress.nextReport = Date().addingTimeInterval(60)
                    }
                    progress.lock.unlock()
                    seed &+= UInt64(threads)
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        let seconds = Date().timeIntervalSince(start)
        #expect(progress.failures.isEmpty, "\(progress.failures)")
        print("soak: \(progress.operations) operations on \(threads) threads in \(Int(seconds)) s (\(Int(Double(progress.operations) / seconds)) a second), \(progress.runs) runs from seed \(base), \(progress.failures.isEmpty ? "no failure" : "FAILED")")
    }
}
