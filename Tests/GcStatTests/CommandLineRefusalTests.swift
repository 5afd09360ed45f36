import Foundation
@testable import GcStatKit
import Testing

// gcstat's refusals on the command line (docs/reliability.md's catalogue, section 4:
// rows G2–G22): exit 2 with one line that names the file or the argument, and no
// output file — nor its partial one — left behind.

@Suite struct CommandLineRefusalTests {
    /// The files in `dir`, sorted.
    func files(in dir: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    @Test func outputsThatCannotBeWrittenExitTwoNamingThem() throws {
        let demo = try logPath("demo.hgclog")
        try withTemporaryFolder { dir in
            let nowhere = "/nonexistent-gcstat-dir/out"
            // G2: a required -o.
            for command in ["pprof", "chrome-trace", "html"] {
                let r = try gcstat([command, demo])
                #expect(r.status == 2 && r.stderr.contains("--output"), "\(command): \(r.status) \(r.stderr)")
            }
            // G20, G22: written at the end.
            for arguments in [["report", "--no-source-lines", "-o", nowhere, demo], ["report", "--no-source-lines", "--hgrm", nowhere, demo],
                              ["json", "-o", nowhere, demo], ["pprof", "--no-source-lines", "-o", nowhere, demo],
                              ["html", "--no-source-lines", "-o", nowhere, demo]] {
                let r = try gcstat(arguments)
                #expect(r.status == 2 && r.stderr.hasPrefix("gcstat: cannot write \(nowhere)") && r.stderr.split(separator: "\n").count == 1,
                        "\(arguments): \(r.status) \(r.stderr)")
            }
            // G21: streamed — cannot be created, or cannot be renamed into place
            // (the output path is a folder): the partial file is gone either way.
            let folder = dir.appendingPathComponent("a-folder")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data().write(to: folder.appendingPathComponent("keep"))
            for command in ["trace", "chrome-trace"] {
                for out in [nowhere, folder.path] {
                    let r = try gcstat([command, demo, "-o", out])
                    #expect(r.status == 2 && r.stderr.hasPrefix("gcstat: cannot write \(out)"), "\(command) -o \(out): \(r.stderr)")
                }
            }
            #expect(try files(in: dir) == ["a-folder"])
        }
    }

    @Test func logsThatCannotBeReadExitTwoNamingThem() throws {
        let demo = try logPath("demo.hgclog")
        try withTemporaryFolder { dir in
            // G4: a folder where the log should be.
            let r = try gcstat(["report", dir.path])
            #expect(r.status == 2 && r.stderr.hasPrefix("gcstat: \(dir.path): ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            // G8: diff names the side it could not read.
            let missing = dir.appendingPathComponent("missing.hgclog").path
            for (old, new) in [(missing, demo), (demo, missing)] {
                let d = try gcstat(["diff", "--no-source-lines", old, new])
                #expect(d.status == 2 && d.stderr.hasPrefix("gcstat: \(missing): "), "\(d.stderr)")
            }
            // G9: a profile needs samples; no file is written.
            let out = dir.appendingPathComponent("v1.pb.gz").path
            let p = try gcstat(["pprof", try logPath("v1.hgclog"), "-o", out])
            #expect(p.status == 2 && p.stderr.contains("no allocation samples"), "\(p.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
            // G7: on standard output, the lines before the bad record are written.
            let good = try Data(contentsOf: URL(fileURLWithPath: demo))
            let truncated = dir.appendingPathComponent("truncated.hgclog").path
            try good.prefix(good.count - 3).write(to: URL(fileURLWithPath: truncated))
            let t = try gcstat(["trace", truncated])
            #expect(t.status == 2 && t.stderr.contains("record at byte") && t.stdout.contains("hakogc: heap "), "\(t.stderr)")
        }
    }

    /// G13, G15–G17: thresholds that do not fit are refused, each with its reason.
    @Test func thresholdsThatDoNotFitAreRefused() throws {
        let refused = [
            "count>1ms": "cannot read 1ms", "count>1KiB": "cannot read 1KiB", "mmu-10ms<1ms": "cannot read 1ms",  // G13
            "": "an empty threshold", " ": "an empty threshold",                                                 // G15
            "max>nanms": "cannot read nanms", "p99>infms": "cannot read infms", "p99>+nan%": "cannot read +nan%",  // G16
            "minor.leaked-bytes>0": "leaked-bytes has no kinds", "full.mmu-10ms<0.5": "mmu-10ms has no kinds",      // G17
        ]
        for (text, reason) in refused {
            switch Threshold.parse(text) {
            case .success: Issue.record("\"\(text)\" was accepted")
            case .failure(let e): #expect(e.reason.contains(reason), "\"\(text)\": \(e.reason)")
            }
        }
        // `all.` is the same as no prefix.
        let all = try Threshold.parse("all.p99>+10%").get(), plain = try Threshold.parse("p99>+10%").get()
        #expect(all.metric == plain.metric && all.bound == plain.bound)
        let a = try logPath("demo-small.hgclog"), b = try logPath("demo.hgclog")
        for gate in ["p99>+10%,,max>2ms", "p99>+10%,", ""] {
            let r = try gcstat(["diff", "--no-source-lines", a, b, "--fail-if", gate])
            #expect(r.status == 2 && r.stderr.contains("an empty threshold"), "'\(gate)': \(r.status) \(r.stderr)")
        }
    }
}
