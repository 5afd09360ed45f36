import Foundation

/// A test tool's setting from the environment (`HAKOGC_STRESS_SECONDS`,
/// `HAKOGC_STRESS_SEED`, `HAKOGC_STRESS_STEPS`, `HAKOGC_SOAK_OPS`, …): nil when unset
/// or empty. A value that does not parse, or is out of range, stops the run naming
/// it — a typo must not run the defaults without a word (docs/reliability.md, V15).
public func testSetting<T>(_ name: String, _ parse: (String) -> T?, where valid: (T) -> Bool = { _ in true }) -> T? {
    guard let raw = ProcessInfo.processInfo.environment[name], !raw.isEmpty else { return nil }
    guard let value = parse(raw), valid(value) else { fatalError("\(name)=\(raw) is not a valid setting") }
    return value
}
