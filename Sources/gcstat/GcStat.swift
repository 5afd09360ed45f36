// gcstat: turns HakoGC event logs into what people read (docs/gcstat.md).
// Exit status: 0 fine, 1 a check failed (`leaks --fail`), 2 bad usage or an
// unreadable log (one line naming the file and the record).
import ArgumentParser
import Foundation
import GcProfiler
import GcStatKit

@main
struct GcStat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gcstat",
        abstract: "Reads HakoGC event logs (HAKOGC_PROFILE=FILE, ProfileFile, hgc_profile_open).",
        discussion: "Exit status: 0 fine, 1 a check failed, 2 bad usage or an unreadable log.",
        subcommands: [Report.self, Trace.self, JSON.self, Leaks.self, Pprof.self, ChromeTraceCommand.self, HTML.self, Diff.self])

    /// ArgumentParser's own `main`, but bad usage exits 2, as gcstat promises,
    /// instead of its 64 (EX_USAGE): a CI script tells "a check failed" (1) from
    /// "gcstat could not do its job" (2) without knowing sysexits.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Options every command that reads one log shares.
struct LogInput: ParsableArguments {
    @Argument(help: "An event log (version 2, or version 1).")
    var file: String

    @Flag(help: "Do not look up file and line of native frames (they need the profiled binaries, by llvm-symbolizer or addr2line).")
    var noSourceLines = false

    /// The log's summary, or exit 2 with one line naming the file and what is wrong.
    func load() throws -> LogSummary { try loadLog(file, sourceLines: !noSourceLines) }
}

/// The summary of the log at `path` (read as a stream: memory does not grow with
/// the log), or exit 2 with one line naming the file and what is wrong.
func loadLog(_ path: String, sourceLines: Bool) throws -> LogSummary {
    try reading(path) {
        var log = try LogSummary(path: path)
        if sourceLines { log.resolveSourceLines() }
        return log
    }
}

/// `body`'s result; an error reading the log at `path` exits 2 with one line
/// naming the file and what is wrong (an `ExitCode` passes through).
func reading<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let passing as ExitCode {
        throw passing
    } catch let passing as OutputFailure {
        throw passing
    } catch {
        FileHandle.standardError.write(Data("gcstat: \(path): \(error)\n".utf8))
        throw ExitCode(2)
    }
}

/// A write to the output failed (not the log's fault).
struct OutputFailure: Error { var underlying: Error }

/// Streams what `body` writes into `path` — through a temporary file beside it,
/// renamed when complete, so an unreadable log or a failed write leaves no
/// partial file — or into standard output when `path` is nil. Exits 2 naming the
/// log or the output when either fails.
func streaming(from log: String, to path: String?, _ body: (_ write: (Data) throws -> Void) throws -> Void) throws {
    guard let path else {
        try reading(log) { try body { FileHandle.standardOutput.write($0) } }
        return
    }
    let partial = path + ".partial-\(getpid())"
    guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
        FileHandle.standardError.write(Data("gcstat: cannot write \(path)\n".utf8))
        throw ExitCode(2)
    }
    do {
        try reading(log) {
            try body { data in
                do { try handle.write(contentsOf: data) } catch { throw OutputFailure(underlying: error) }
            }
        }
        try handle.close()
        guard rename(partial, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    } catch {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: partial)
        if error is ExitCode { throw error }
        let reason = (error as? OutputFailure)?.underlying ?? error
        FileHandle.standardError.write(Data("gcstat: cannot write \(path): \(reason)\n".utf8))
        throw ExitCode(2)
    }
}

/// Writes `data` to `path`, or exits 2 naming the file.
func write(_ data: () throws -> Data, to path: String) throws {
    do {
        try data().write(to: URL(fileURLWithPath: path))
    } catch {
        FileHandle.standardError.write(Data("gcstat: cannot write \(path): \(error)\n".utf8))
        throw ExitCode(2)
    }
}

/// Writes `text` to `-o FILE`, or to standard output.
func emit(_ text: String, to output: String?) throws {
    guard let output else { print(text, terminator: ""); return }
    do {
        try text.write(toFile: output, atomically: true, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("gcstat: cannot write \(output): \(error.localizedDescription)\n".utf8))
        throw ExitCode(2)
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pauses by kind, minimum mutator utilisation, time by phase, reasons, top sites, leaks in brief, heap summary.")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?
    @Option(help: "Also write HdrHistogram's percentile distribution of all pauses (microseconds) to this file.")
    var hgrm: String?

    func run() throws {
        let log = try input.load()
        try emit(TextReport.render(log), to: output)
        if let hgrm { try emit(log.pauses.hgrm(), to: hgrm) }
    }
}

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One line per collection, as HAKOGC_TRACE prints them.")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?

    func run() throws {
        // Line by line as the log is read: any length of log.
        try streaming(from: input.file, to: output) { write in
            try TraceView.stream(path: input.file) { try write(Data($0.utf8)) }
        }
    }
}

struct JSON: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "The report's figures as JSON (schema in docs/gcstat.md).")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?

    func run() throws { try emit(try JSONReport(try input.load()).encoded(), to: output) }
}

struct Leaks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The leak checks' groups: by site and type, cycles as cycles, what holds each, forgotten pins.")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?
    @Flag(help: "Exit 1 when the log records any leak or forgotten pin.")
    var fail = false

    func run() throws {
        let log = try input.load()
        try emit(LeakView.render(log), to: output)
        if fail && !log.leaks.isEmpty { throw ExitCode(1) }
    }
}

struct Pprof: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The allocation samples as a gzip-compressed pprof heap profile (go tool pprof reads it).")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "The profile to write (heap.pb.gz).")
    var output: String

    func run() throws {
        let log = try input.load()
        guard log.sites.samples > 0 else {
            FileHandle.standardError.write(Data("gcstat: \(input.file): no allocation samples (HAKOGC_PROFILE_RATE was 0, or a version-1 log)\n".utf8))
            throw ExitCode(2)
        }
        try write({ try PprofExport.gzipped(log) }, to: output)
    }
}

struct ChromeTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chrome-trace",
        abstract: "Pauses with their phases, incremental cycles and the live heap in the Chrome trace format (Perfetto opens it).")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "The trace to write (trace.json).")
    var output: String

    func run() throws {
        // Event by event as the log is read: any length of log.
        try streaming(from: input.file, to: output) { write in try ChromeTrace.stream(path: input.file, write) }
    }
}

struct HTML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "html",
        abstract: "One self-contained HTML file with SVG plots (pauses, live heap, percentiles, MMU, phases) and tables of sites and leaks.")
    @OptionGroup var input: LogInput
    @Option(name: .shortAndLong, help: "The report to write (report.html).")
    var output: String

    func run() throws {
        let log = try input.load()
        try write({ Data(HTMLReport.render(log).utf8) }, to: output)
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pauses by kind and percentile, sites whose bytes in use grew, leaks added; --fail-if gates CI.",
        discussion: """
            --fail-if takes METRIC>VALUE or METRIC<VALUE, repeated or comma-separated. METRIC: p50, p90, p99, \
            p99.9, max, total-pause, count (all pauses, or one kind: minor.p99), leaked-bytes, leaked-objects, \
            site-growth, mmu-1ms, mmu-10ms, mmu-100ms. VALUE: 2ms, 500us, 1MiB, 64KB, 0, 0.9, or relative to OLD: \
            +10%, -5%. Example: --fail-if 'p99>+10%,max>2ms,leaked-bytes>0,site-growth>1MiB'
            """)
    @Argument(help: "The earlier log.") var old: String
    @Argument(help: "The later log.") var new: String
    @Option(name: .customLong("fail-if"), help: "A threshold; exit 1 when NEW crosses it.")
    var failIf: [String] = []
    @Flag(help: "Do not look up file and line of native frames.")
    var noSourceLines = false
    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?

    func run() throws {
        var thresholds: [Threshold] = []
        // Empty items are kept, so that a stray comma is refused rather than dropped.
        for text in failIf.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }) {
            switch Threshold.parse(text) {
            case .success(let t): thresholds.append(t)
            case .failure(let e):
                FileHandle.standardError.write(Data("gcstat: \(e)\n".utf8))
                throw ExitCode(2)
            }
        }
        let a = try loadLog(old, sourceLines: !noSourceLines)
        let b = try loadLog(new, sourceLines: !noSourceLines)
        let diff = LogDiff(old: a, new: b)
        let verdicts = diff.evaluate(thresholds)
        try emit(diff.render() + LogDiff.render(verdicts), to: output)
        if verdicts.contains(where: \.crossed) { throw ExitCode(1) }
    }
}
