import Foundation
import FuzzDriver
import GcProfiler
import GcStatKit

// libFuzzer target: the event-log reader and every gcstat view on arbitrary bytes.
// Each input is written to a file (the reader streams from files) and read as
// gcstat's commands read it: report, --hgrm, trace, json, leaks, html, pprof,
// chrome-trace and diff (a log against itself), and the first line as a --fail-if
// threshold. A malformed log must be refused with a message (gcstat prints it and
// exits 2), never crash or hang (libFuzzer's -timeout catches a hang). Run by
// scripts/fuzz.sh (docs/reliability.md).

/// The entry point SwiftPM links (FuzzDriver.swift says why).
@_cdecl("fuzz_gcstat_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzOneInput)
}

let scratch = NSTemporaryDirectory() + "fuzz-gcstat-\(getpid()).hgclog"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Data(bytes: start ?? UnsafePointer(bitPattern: 1)!, count: count)
    guard FileManager.default.createFile(atPath: scratch, contents: bytes) else { fatalError("cannot write \(scratch)") }
    if let line = String(data: bytes.prefix(64), encoding: .utf8)?.split(separator: "\n").first {
        if case .failure(let e) = Threshold.parse(String(line)) { precondition(!e.description.isEmpty, "a threshold error without a message") }
    }
    do {
        let log = try LogSummary(path: scratch)
        _ = TextReport.render(log)
        _ = log.pauses.hgrm()
        _ = try JSONReport(log).encoded()
        _ = LeakView.render(log)
        _ = HTMLReport.render(log)
        if log.sites.samples > 0 { _ = try PprofExport.gzipped(log) }
        let diff = LogDiff(old: log, new: log)
        _ = diff.render()
    } catch {
        precondition(!"\(error)".isEmpty, "a log error without a message")
    }
    // The streaming commands read the file again, as gcstat does.
    do { try TraceView.stream(path: scratch) { _ in } } catch { precondition(!"\(error)".isEmpty) }
    do { try ChromeTrace.stream(path: scratch) { _ in } } catch { precondition(!"\(error)".isEmpty) }
    return 0
}
