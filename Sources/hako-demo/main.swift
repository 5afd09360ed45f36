// hako-demo: a small workload on a HakoGC heap — a document tree with parent
// back-pointers (cycles), a long-lived index, rings of garbage pointing into it,
// conversions to and from Swift arrays and strings, weak caches and finalizers —
// then the heap's statistics and an event log for `gcstat report`.
import Foundation
import GcCore
import GcProfiler
import GcTypes

struct Section: GcObject, ~Copyable {
    static let gcType = GcType<Section>(name: "hako.demo/Section", finalize: { _ in Counters.finalized += 1 })
    var title: GcRc<GcStringStorage>
    var words: GcRc<GcArrayStorage<Int>>
    var parent: GcRc<Section>?      // back-pointer: every parent/child pair is a cycle
    var firstChild: GcRc<Section>?
    var nextSibling: GcRc<Section>?
    func trace(into t: inout GcTracer) {
        t.visit(title); t.visit(words); t.visit(parent); t.visit(firstChild); t.visit(nextSibling)
    }
}

enum Counters { nonisolated(unsafe) static var finalized = 0 }

func option(_ name: String, default value: Int) -> Int {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count,
          let v = Int(CommandLine.arguments[i + 1]) else { return value }
    return v
}

if CommandLine.arguments.contains("--help") {
    print("usage: hako-demo [--rounds N] [--depth D] [--log FILE]")
    print("profiling without --log: HAKOGC_PROFILE=FILE, HAKOGC_PROFILE_RATE=BYTES, HAKOGC_TRACE=1 (docs/profiling.md)")
    exit(0)
}
let rounds = option("--rounds", default: 3000)
let depth = option("--depth", default: 5)
let logPath = CommandLine.arguments.firstIndex(of: "--log").map { CommandLine.arguments[$0 + 1] }

// A small full-collection threshold, so the documents that leave the index (old
// cycles by then, out of the minor collector's reach) are collected by automatic,
// incremental full collections during the run: `full-slice` rows in the report.
var configuration = HeapConfiguration()
configuration.fullMinimumBytes = 1 << 20
let heap = Heap(configuration: configuration)
let log = try logPath.map { try EventLog(path: $0, label: "hako-demo rounds=\(rounds) depth=\(depth)") }
log?.attach(to: heap)

/// Builds a section tree `d` levels deep under `parent`; children point back up.
func buildTree(_ d: Int, parent: consuming GcRc<Section>?, label: String, in heap: Heap) -> GcRc<Section> {
    let section = GcRc(Section(
        title: GcString(label, in: heap).rc(),
        words: GcArray(Array(0..<(8 * (d + 1))), in: heap).rc(),
        parent: parent), in: heap)
    if d > 0 {
        for i in 0..<3 {
            // Closures cannot consume what they capture: move through Optional.take().
            var older = section.mutate { $0.firstChild.take() }
            var child: GcRc<Section>? = buildTree(d - 1, parent: section.copy(), label: label + ".\(i)", in: heap)
            child!.mutate { $0.nextSibling = older.take() }
            section.mutate { $0.firstChild = child.take() }
        }
    }
    return section
}

func wordCount(_ s: borrowing GcRc<Section>) -> Int {
    s.with { section in
        var n = section.words.with { $0.elements.count }
        var child: GcRc<Section>? = switch section.firstChild { case .some(let c): c.copy(); case .none: nil }
        while let c = child.take() {
            n += wordCount(c)
            child = c.with { s in switch s.nextSibling { case .some(let x): x.copy(); case .none: nil } }
        }
        return n
    }
}

let start = Date()
// A long-lived index: Swift-side handles (GcBox) to documents that stay.
var index: [GcBox<Section>] = []
var weakCache: [GcWeak<Section>] = []
var totalWords = 0
var conversions = 0
for round in 0..<rounds {
    let document = buildTree(depth, parent: nil, label: "doc\(round)", in: heap)
    totalWords += wordCount(document)
    // Round-trip its title and words through Swift types (O(1), shared buffers).
    document.with { d in
        let title = String(GcString(d.title.copy()))
        let words = Array(GcArray(d.words.copy()))
        conversions += 2
        precondition(title.hasPrefix("doc") && words.count == 8 * (depth + 1))
    }
    weakCache.append(document.downgrade())
    if round % 50 == 0 { index.append(GcBox(document.copy())) }
    if index.count > 40 { index.removeFirst() }
    // `document` goes out of scope: its tree is a web of cycles, freed by the collector.
}
let elapsed = Date().timeIntervalSince(start)
heap.collect(.full)
let alive = weakCache.filter { $0.upgrade() != nil }.count
log?.snapshot(heap)
log?.close()
// With HAKOGC_PROFILE=FILE (scripts/demo.sh) the heap already writes there; a
// snapshot adds its per-type figures.
ProfileSettings.environmentFile?.snapshot(heap)

let stats = heap.statistics(detailed: true)
print("hako-demo: \(rounds) documents of depth \(depth) in \(String(format: "%.2f", elapsed)) s, \(totalWords) words, \(conversions) conversions")
print("documents still reachable: \(alive) (index holds \(index.count)); finalized sections: \(Counters.finalized)")
print(stats)
if let logPath { print("event log: \(logPath)") }
