import GcCore

/// The profiler's event log, as Swift API: a `GcCore.ProfileFile` (format version
/// 2, binary; docs/event-log.md) that heaps are attached to. `HAKOGC_PROFILE=FILE`
/// does the same for every heap of a process without a code change
/// (docs/profiling.md).
///
/// Ownership: the log owns its file; `close()` (or deinit) writes what is buffered
/// and closes it. Attached heaps keep the file open until they end or are detached.
/// Thread rule: `attach` and `snapshot` on the owner thread of the heap they name;
/// the rest on any thread. Misuse: see `ProfileFile` (closing while a heap on
/// another thread still writes loses that heap's last records).
public final class EventLog {
    /// What version-1 headers call the format (`"format":"hakogc-events"`).
    public static let format = "hakogc-events"
    /// The format version this build writes (and the newest it reads; 1 is still read).
    public static let version = 2

    /// The file the records go to.
    public let file: ProfileFile

    /// Creates (truncates) `path` and writes the process record. The caller owns the
    /// log. Any thread.
    /// - Parameters:
    ///   - sampleRate: mean bytes between allocation samples (0: none; 1: every
    ///     allocation).
    /// - Throws: `ProfileFileError` if the file cannot be created.
    public init(path: String, label: String = "", sampleRate: Int = ProfileFile.defaultSampleRate) throws {
        file = try ProfileFile(path: path, label: label, sampleRate: sampleRate)
    }

    /// Records `heap`'s collections and allocation samples from now on (its
    /// `collectionObserver` stays the caller's). Owner thread of `heap` (checked).
    public func attach(to heap: Heap) { file.attach(heap) }

    /// Stops recording `heap` (writes its heap-end record). Owner thread (checked).
    public func detach(_ heap: Heap) { file.detach(heap) }

    /// Records the heap's statistics now. Owner thread of `heap` (checked).
    public func snapshot(_ heap: Heap, detailed: Bool = true) { file.snapshot(heap, detailed: detailed) }

    /// Writes what is buffered (every attached heap's records) and closes the file;
    /// call it once the attached heaps are idle. Records appended afterwards are
    /// dropped. Idempotent.
    public func close() { file.close() }
}
