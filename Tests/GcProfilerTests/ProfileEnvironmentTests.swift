import Foundation
@testable import GcCore
import Testing

// The profiling variables' bad values (docs/reliability.md, rows V7–V10 and V13):
// each is reported once on standard error and ignored, and the program runs on —
// checked by the parser, and in child processes where the process reads them.

@Suite struct ProfileEnvironmentTests {
    /// V8–V10: an empty value is unset (HAKOGC_PROFILE= is off); snapshot seconds
    /// and leak check modes that do not parse are named and ignored.
    @Test func badValuesAreNamedAndIgnored() {
        let env = ["HAKOGC_PROFILE": "", "HAKOGC_PROFILE_SNAPSHOT": "-2", "HAKOGC_LEAKCHECK": "yes"]
        let (s, problems) = ProfileSettings.parse { env[$0] }
        #expect(s.profilePath == nil && s.snapshotSeconds == 0 && s.leakCheck == .off)
        #expect(problems == ["HAKOGC_PROFILE_SNAPSHOT=-2: expected seconds ≥ 0; no periodic snapshots",
                             "HAKOGC_LEAKCHECK=yes: expected 1, strict or 0"])
        for bad in ["1e9", "nan", "x", " 1"] {
            let (t, complaints) = ProfileSettings.parse { $0 == "HAKOGC_PROFILE_SNAPSHOT" ? bad : nil }
            #expect(t.snapshotSeconds == 0 && complaints.count == 1, "HAKOGC_PROFILE_SNAPSHOT=\(bad)")
        }
        let empty = ["HAKOGC_TRACE": "", "HAKOGC_PROFILE_RATE": "", "HAKOGC_PROFILE_SNAPSHOT": "", "HAKOGC_LEAKCHECK": ""]
        let (e, quiet) = ProfileSettings.parse { empty[$0] }
        #expect(!e.trace && e.sampleRate == ProfileFile.defaultSampleRate && e.snapshotSeconds == 0 && e.leakCheck == .off && quiet.isEmpty)
        let good = ["HAKOGC_PROFILE_SNAPSHOT": "0.5", "HAKOGC_LEAKCHECK": "strict"]
        let (g, none) = ProfileSettings.parse { good[$0] }
        #expect(g.snapshotSeconds == 0.5 && g.leakCheck == .strict && none.isEmpty)
    }

    /// V7: a profile file that cannot be created is a warning; the program runs to
    /// its end with status 0.
    @Test func anUncreatableProfileFileWarnsAndTheProgramRunsOn() async throws {
        let result = try await #require(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_PROFILE", "/nonexistent-hakogc-dir/run.hgclog", 1)
            let heap = Heap()
            heap.collect(.full)
            #expect(ProfileSettings.environmentFile == nil)
            exit(0)
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("hakogc: HAKOGC_PROFILE=/nonexistent-hakogc-dir/run.hgclog: cannot create /nonexistent-hakogc-dir/run.hgclog: No such file or directory"))
    }

    /// V13: the variables are read once, when the first heap is created: set later,
    /// they change nothing.
    @Test func variablesSetAfterTheFirstHeapHaveNoEffect() async throws {
        let result = try await #require(processExitsWith: .success, observing: [\.standardErrorContent]) {
            unsetenv("HAKOGC_TRACE")
            let first = Heap()
            setenv("HAKOGC_TRACE", "1", 1)
            let second = Heap()
            first.collect(.full)
            second.collect(.full)
            exit(0)
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(!stderr.contains("hakogc: heap "), "a trace line appeared: \(stderr)")
    }
}
