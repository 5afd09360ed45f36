import Foundation
@testable import GcCore
import Testing
@testable import GcProfiler

// What the profiler records (Sources/GcCore/Profiling), checked through the
// reader: allocation samples and their stacks, frees, the estimate by bytes, heap
// and process records, HAKOGC_TRACE lines, and activation by environment.

private let small = try! TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/ProfiledSmall", payloadSize: 240))
private let large = try! TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/ProfiledLarge", payloadSize: 4080))
private let ring = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "hako.tests/ProfiledRing", payloadSize: 16, referenceOffsets: [0]))

/// Allocates and frees `bytes` of 256-byte objects: one allocation site.
@inline(never) func allocateAtSiteA(_ heap: Heap, bytes: Int) {
    for _ in 0..<(bytes / 256) { heap.release(try! heap.allocate(small)) }
}

/// The same with 4 KiB objects: the other site.
@inline(never) func allocateAtSiteB(_ heap: Heap, bytes: Int) {
    for _ in 0..<(bytes / 4096) { heap.release(try! heap.allocate(large)) }
}

private func tempPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("hako-\(UUID().uuidString).hgclog").path
}

/// The site a sample is attributed to: its first frame below HakoGC's own.
private func site(_ log: EventLogContents, _ sample: EventLogContents.Sample) -> String {
    log.frames(ofStack: sample.stack).first.flatMap { log.symbols[$0]?.name } ?? "?"
}

@Suite struct ProfilerTests {
    /// Two sites allocating 1:3 by bytes, at the default rate: estimated within 10 %
    /// of that (seeded, so the run repeats), and every sample names its site.
    @Test func samplingEstimatesBytesPerSiteUnbiased() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, label: "sites")
        file.samplingSeed = 42
        let heap = Heap()
        file.attach(heap)
        for _ in 0..<100 {
            allocateAtSiteA(heap, bytes: 1 << 20)
            allocateAtSiteB(heap, bytes: 3 << 20)
        }
        file.detach(heap)
        file.close()
        let log = try EventLogContents(path: path)
        #expect(log.sampleRate == UInt64(ProfileFile.defaultSampleRate))
        var estimate: [String: Double] = [:]
        for s in log.samples {
            let name = site(log, s)
            let key = name.contains("allocateAtSiteA") ? "A" : name.contains("allocateAtSiteB") ? "B" : name
            estimate[key, default: 0] += s.weight * Double(s.bytes)
        }
        #expect(Set(estimate.keys) == ["A", "B"], "sites: \(estimate.keys.sorted())")
        let a = estimate["A"] ?? 0, b = estimate["B"] ?? 0
        let total = Double(100 * (1 << 20) + 100 * (3 << 20))
        #expect(abs(a / (a + b) - 0.25) < 0.025, "A's share \(a / (a + b)), B's \(b / (a + b)); \(log.samples.count) samples")
        #expect(abs((a + b) / total - 1) < 0.1, "estimated \(a + b) bytes of \(total)")
        #expect(log.samples.count > 500 && log.unmatchedFrees == 0)
        #expect(log.samples.allSatisfy { $0.freedAtNanos != nil && !$0.freedByCollector })  // freed by count
        #expect(log.typeNames[small.typeID] == "hako.tests/ProfiledSmall")
        // File and line, offline, from the test binary's debug information (debug
        // builds; the release runs of the test command are built without it).
        #if DEBUG
        var resolved = log
        #expect(resolved.resolveSourceLines() > 0)
        let siteA = resolved.sites().first { $0.name.contains("allocateAtSiteA") }
        #expect(siteA?.location?.contains("ProfilerTests.swift:") == true, "location: \(String(describing: siteA?.location))")
        #endif
    }

    /// Every allocation sampled: frees by count and by the collector are matched to
    /// their samples, what is still live has none, and the heap and process
    /// records carry the heap's final counters and the times.
    @Test func everyAllocationSampledWithItsFree() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, label: "all", sampleRate: 1)
        let heap = Heap()
        file.attach(heap)
        var kept: [ObjectRef] = []
        for i in 0..<300 {
            let a = try heap.allocate(ring), b = try heap.allocate(ring)
            heap.storeReference(b, into: a, offset: 0)
            heap.storeReference(a, into: b, offset: 0)
            heap.release(b)
            if i % 3 == 0 { kept.append(a) } else { heap.release(a) }  // 200 garbage rings
        }
        heap.collect(.full)
        file.snapshot(heap)
        let statistics = heap.statistics()
        file.detach(heap)
        let wallBefore = Date().timeIntervalSince1970
        file.close()
        for a in kept { heap.release(a) }
        let log = try EventLogContents(path: path)
        #expect(log.samples.count == 600)
        #expect(log.samples.filter { $0.freedAtNanos != nil }.count == 400)
        #expect(log.samples.filter(\.freedByCollector).count == 400)
        #expect(log.heaps.count == 1 && log.heaps[0].final["liveObjects"] == UInt64(statistics.liveObjects))
        #expect(log.heaps[0].final["allocatedObjects"] == 600)
        #expect(log.isComplete && log.end!.durationNanos > 0)
        #expect(abs(Double(log.wallClockNanos) / 1e9 - wallBefore) < 60)
        #expect(log.snapshots.count == 1 && log.snapshots[0].statistics.liveObjects == 200)
        #expect(log.snapshots[0].statistics.perType?.first?.name == "hako.tests/ProfiledRing")
        #expect(log.collections.last?.kind == .full && log.collectionHeaps.allSatisfy { $0 == log.heaps[0].id })
        #expect(log.collections.allSatisfy { $0.phaseNanos.reduce(0, +) == $0.pauseNanos })
        #expect(!log.mappings.isEmpty)
        #expect(heap.core.profiler == nil)
    }

    /// The collection records' buffer has room made before each pause: at the
    /// default rate no pause writes to the file.
    @Test func pausesDoNotWriteAtTheDefaultRate() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path)
        let heap = Heap()
        file.attach(heap)
        let profiler = try #require(heap.core.profiler)
        for _ in 0..<2000 {
            let a = try heap.allocate(ring), b = try heap.allocate(ring)
            heap.storeReference(b, into: a, offset: 0)
            heap.storeReference(a, into: b, offset: 0)
            heap.release(b)
            heap.release(a)
            heap.collect(.minor)
        }
        #expect(profiler.flushesInPauses == 0)
        file.detach(heap)
        file.close()
        #expect(try EventLogContents(path: path).collections.count == 2000)
    }

    /// Periodic snapshots show which site grows: a site that keeps what it
    /// allocates has more in use at each later snapshot; one that frees has none.
    @Test func periodicSnapshotsShowGrowthPerSite() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, sampleRate: 4096, snapshotSeconds: 1e-6)
        let heap = Heap()
        file.attach(heap)
        var kept: [ObjectRef] = []
        for _ in 0..<4 {
            for _ in 0..<400 { kept.append(try heap.allocate(small)) }  // grows
            allocateAtSiteA(heap, bytes: 100 << 10)  // does not
            heap.collect(.minor)
        }
        file.detach(heap)
        file.close()
        for o in kept { heap.release(o) }
        let log = try EventLogContents(path: path)
        #expect(log.snapshots.count >= 4)
        let grows = log.snapshots.map { snap in
            log.sites(at: snap.atNanos).filter { $0.name.contains("periodicSnapshotsShowGrowthPerSite") }.map(\.inUseBytes).reduce(0, +)
        }
        // Collections inside a round snapshot too: never down, and four rounds' worth.
        #expect(zip(grows, grows.dropFirst()).allSatisfy { $0 <= $1 } && grows.last! > 3 * grows.first!,
                "in use per snapshot: \(grows)")
        let steady = log.sites(at: log.snapshots.last!.atNanos).first { $0.name.contains("allocateAtSiteA") }
        #expect(steady != nil && steady!.inUseBytes == 0 && steady!.allocatedBytes > 0)
        #expect(log.snapshots.last!.statistics.perType?.contains { $0.name == "hako.tests/ProfiledSmall" } == true)
    }

    @Test func traceLinesHaveTheDocumentedFields() throws {
        let event = CollectionEvent(
            sequence: 12, kind: .minor, reason: .allocationVolume, startNanos: 0, pauseNanos: 123_456,
            phaseNanos: [10_000, 20_000, 0, 0, 0, 0, 50_000, 30_000, 0, 13_456], roots: 5, visited: 9,
            freedObjects: 667, freedBytes: 6_700_000, finalized: 0, resurrected: 0,
            liveObjectsBefore: 1234, liveObjectsAfter: 567, liveBytesBefore: 12_300_000, liveBytesAfter: 5_600_000)
        let line = TraceLine.format(heapID: 1, event, sinceStart: 532_000_000, mutatorNanos: 9_876_544)
        #expect(line == "hakogc: heap 1 gc 12 @0.532s minor/allocationVolume pause 0.123ms [mark-gray 0.010 scan 0.020 sweep 0.050 drain 0.030 other 0.013] live 1234->567 objects 12.3->5.6 MB freed 667 objects 6.7 MB mutator 98.8%\n")
        #expect(TraceLine.fixed(0.0005, 3) == "0.001" && TraceLine.fixed(2, 1) == "2.0")
    }

    @Test func environmentVariablesAreParsed() {
        let env = ["HAKOGC_TRACE": "1", "HAKOGC_PROFILE": "/tmp/x", "HAKOGC_PROFILE_RATE": "4096"]
        let (s, problems) = ProfileSettings.parse { env[$0] }
        #expect(s.trace && s.profilePath == "/tmp/x" && s.sampleRate == 4096 && problems.isEmpty)
        let bad = ["HAKOGC_TRACE": "yes", "HAKOGC_PROFILE_RATE": "-1"]
        let (d, complaints) = ProfileSettings.parse { bad[$0] }
        #expect(!d.trace && d.profilePath == nil && d.sampleRate == ProfileFile.defaultSampleRate)
        #expect(complaints.count == 2)
    }

    /// HAKOGC_PROFILE, HAKOGC_PROFILE_RATE and HAKOGC_TRACE in a child process that
    /// never mentions the profiler: the file is complete, samples name the site,
    /// and standard error has a trace line per collection.
    @Test func environmentSwitchesProfilingOnInAChild() async throws {
        let path = "/tmp/hakogc-env-\(getpid()).hgclog"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_PROFILE", "/tmp/hakogc-env-\(getppid()).hgclog", 1)
            setenv("HAKOGC_PROFILE_RATE", "4096", 1)
            setenv("HAKOGC_TRACE", "1", 1)
            let heap = Heap()
            allocateAtSiteA(heap, bytes: 1 << 20)
            heap.collect(.minor)
            heap.collect(.full)
            exit(0)  // the exit handler writes the heap-end and process-end records
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        let lines = stderr.split(separator: "\n").filter { $0.hasPrefix("hakogc: heap ") }
        let log = try EventLogContents(path: path)
        #expect(lines.count == log.collections.count && lines.count >= 2, "standard error: \(stderr)")
        #expect(lines.contains { $0.contains(" minor/explicit pause ") } && lines.last?.contains(" full/explicit pause ") == true)
        #expect(log.isComplete && log.heaps.count == 1 && log.heaps[0].endNanos != nil)
        #expect(log.sampleRate == 4096 && log.samples.count > 100)
        #expect(log.samples.allSatisfy { site(log, $0).contains("allocateAtSiteA") })
        #expect(log.collections.last?.kind == .full && log.collections.contains { $0.reason == .explicit && $0.kind == .minor })
    }

    /// A damaged version-2 log is an error naming the record, never a crash.
    @Test func malformedBinaryLogsAreRefused() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, label: "x", sampleRate: 1)
        let heap = Heap()
        file.attach(heap)
        heap.release(try heap.allocate(small))
        heap.collect(.minor)
        file.detach(heap)
        file.close()
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try EventLogContents(path: path).samples.count == 1)
        try good.prefix(good.count - 5).write(to: URL(fileURLWithPath: path))
        #expect(throws: EventLogError.self) { try EventLogContents(path: path) }
        var bytes = [UInt8](good)
        bytes[8 + 4] = 0xFF  // the first record's size
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: EventLogError.self) { try EventLogContents(path: path) }
        var unknown = [UInt8](good)
        unknown.append(contentsOf: [0x63, 0, 0, 0, 16, 0, 0, 0] + [UInt8](repeating: 7, count: 8))  // kind 99
        try Data(unknown).write(to: URL(fileURLWithPath: path))
        #expect(try EventLogContents(path: path).skippedRecords == 1)
        var newer = [UInt8](good)
        newer[7] = 9
        try Data(newer).write(to: URL(fileURLWithPath: path))
        #expect(throws: EventLogError.self) { try EventLogContents(path: path) }
    }
}
