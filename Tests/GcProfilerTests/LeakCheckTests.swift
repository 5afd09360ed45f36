import Foundation
@testable import GcCore
import Testing
@testable import GcProfiler

// Leak checks (Sources/GcCore/Profiling/LeakCheck.swift): what is alive after a full
// collection, grouped, with what holds it — against heaps whose leaks the test
// made itself, so every expected group is known.

private let node = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "hako.tests/LeakNode", payloadSize: 16, referenceOffsets: [0, 8]))
private let leaf = try! TypeRegistry.shared.register(TypeDescriptor(name: "hako.tests/LeakLeaf", payloadSize: 32))

@inline(never) func pinAtSiteP(_ heap: Heap, _ object: ObjectRef) { heap.pin(object) }

@inline(never) func allocateRingAtSiteR(_ heap: Heap, size: Int) -> ObjectRef {
    let first = try! heap.allocate(node)
    var last = first
    for _ in 1..<size {
        let n = try! heap.allocate(node)
        heap.storeReference(n, into: last, offset: 0)
        heap.release(n)
        last = n
    }
    heap.storeReference(first, into: last, offset: 0)
    return first
}

@Suite struct LeakCheckTests {
    @Test func aCleanHeapReportsNothing() throws {
        let heap = Heap()
        for _ in 0..<100 {
            let ring = allocateRingAtSiteR(heap, size: 4)
            heap.release(ring)  // garbage: the check's full collection frees it
        }
        let report = heap.leakCheck()
        #expect(report.isClean && report.groups.isEmpty && report.objects == 0)
        #expect(report.description.contains("nothing alive"))
    }

    /// A ring of five held by one forgotten reference is one cycle group held by
    /// that reference; the leaves hanging off it are a group of their own, with the
    /// path from the ring.
    @Test func aCycleHeldByOneReferenceIsOneGroup() throws {
        let heap = Heap()
        let ring = allocateRingAtSiteR(heap, size: 5)
        var at = ring
        for _ in 0..<3 {  // a leaf in slot 1 of three ring members
            let l = try heap.allocate(leaf)
            heap.storeReference(l, into: at, offset: 8)
            heap.release(l)
            at = heap.loadReference(from: at, offset: 0)!
        }
        let report = heap.leakCheck()
        #expect(report.objects == 8 && report.groups.count == 2)
        let cycle = try #require(report.groups.first { $0.isCycle })
        #expect(cycle.objects == 5 && cycle.types == ["hako.tests/LeakNode": 5])
        #expect(cycle.holder == .outside(count: 1))
        #expect(cycle.path.map(\.typeName) == ["hako.tests/LeakNode"])
        let leaves = try #require(report.groups.first { !$0.isCycle })
        #expect(leaves.objects == 3 && leaves.types == ["hako.tests/LeakLeaf": 3] && leaves.holder == .outside(count: 1))
        #expect(leaves.path.first?.via == "offset 8" && leaves.path.last?.typeName == "hako.tests/LeakLeaf")
        #expect(report.description.contains("a cycle of 5 objects"))
        heap.release(ring)
        #expect(heap.leakCheck().isClean)
    }

    /// A pinned object left behind is a forgotten pin with the site of its pin
    /// (stacks are captured while a profile file is attached), keeping what it
    /// reaches; sampled objects carry their allocation site.
    @Test func aForgottenPinNamesItsSite() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hako-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ProfileFile(path: path, sampleRate: 1)
        let heap = Heap()
        file.attach(heap)
        let ring = allocateRingAtSiteR(heap, size: 3)
        pinAtSiteP(heap, ring)
        heap.release(ring)  // only the pin holds it now
        let report = heap.leakCheck()
        #expect(report.pins.count == 1)
        let pin = try #require(report.pins.first)
        #expect(pin.typeName == "hako.tests/LeakNode" && pin.keepsObjects == 3)
        #expect(pin.site.first?.contains("pinAtSiteP") == true, "pin site: \(pin.site)")
        let cycle = try #require(report.groups.first)
        #expect(cycle.isCycle && cycle.site.first?.contains("allocateRingAtSiteR") == true, "site: \(cycle.site)")
        guard case .pin(let site) = cycle.holder else { Issue.record("holder \(cycle.holder)"); return }
        #expect(site == pin.site)
        try heap.unpin(ring)
        #expect(heap.leakCheck().isClean)
        file.detach(heap)
        file.close()
    }

    /// A layer names its own roots.
    @Test func aRootDescriberNamesTheHolder() throws {
        let heap = Heap()
        let held = try heap.allocate(leaf)
        heap.rootDescriber = { $0 == held ? "1 C handle" : nil }
        let report = heap.leakCheck()
        #expect(report.groups.count == 1 && report.groups[0].holder == .described("1 C handle"))
        heap.rootDescriber = nil
        heap.release(held)
    }

    /// The heap's callbacks for profiling may only read: a guest-stack provider, a
    /// root describer or an outside-bytes function that allocates stops the process,
    /// naming itself.
    @Test func profilingCallbacksThatChangeTheHeapStop() async {
        let provider = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let file = try! ProfileFile(path: "/dev/null", sampleRate: 1)
            file.attach(heap)
            heap.guestStack = { _ = try? heap.allocate(leaf); return [] }
            _ = try heap.allocate(leaf)
        }
        let providerText = String(decoding: provider?.standardErrorContent ?? [], as: UTF8.self)
        #expect(providerText.contains("guestStack provider"), "stderr: \(providerText)")
        let describer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            let held = try heap.allocate(leaf)
            heap.rootDescriber = { _ in heap.release(held); return nil }
            _ = heap.leakCheck()
        }
        let describerText = String(decoding: describer?.standardErrorContent ?? [], as: UTF8.self)
        #expect(describerText.contains("rootDescriber"), "stderr: \(describerText)")
        let outside = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let type = try! TypeRegistry.shared.register(TypeDescriptor(
                name: "hako.tests/AllocatingOutside", payloadSize: 8, outsideBytes: { payload in
                    let heap = Heap.owning(ObjectRef(payload - 16))
                    _ = try? heap.allocate(leaf)
                    return 0
                }))
            let heap = Heap()
            _ = try heap.allocate(type)
            _ = heap.statistics(detailed: true)
        }
        let outsideText = String(decoding: outside?.standardErrorContent ?? [], as: UTF8.self)
        #expect(outsideText.contains("outsideBytes function"), "stderr: \(outsideText)")
    }

    /// A collection asked for from those callbacks is deferred, not run under them:
    /// the provider runs while a new object has no payload, the describer while the
    /// leak check holds raw addresses of every survivor.
    @Test func collectionsAskedForFromProfilingCallbacksAreDeferred() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hako-\(UUID().uuidString).hgclog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let heap = Heap()
        let file = try ProfileFile(path: path, sampleRate: 1)
        file.attach(heap)
        var asked: [CollectionEvent?] = []
        heap.guestStack = { asked.append(heap.collect(.full)); return [GuestFrame(function: "guest")] }
        let garbage = allocateRingAtSiteR(heap, size: 3)
        heap.release(garbage)
        #expect(asked.count == 3 && asked.allSatisfy { $0 == nil })
        heap.guestStack = nil
        let held = try heap.allocate(leaf)
        var describerAsked: [CollectionEvent?] = []
        heap.rootDescriber = { _ in describerAsked.append(heap.collect(.full)); return nil }
        let report = heap.leakCheck()
        #expect(describerAsked.count == 1 && describerAsked[0] == nil)
        #expect(report.objects == 1 && report.groups.first?.types == ["hako.tests/LeakLeaf": 1])
        heap.rootDescriber = nil
        heap.release(held)
        #expect(heap.leakCheck().isClean)  // the ring went in a later collection
        file.detach(heap)
        file.close()
    }

    /// HAKOGC_LEAKCHECK=strict in a child: a heap that ends with an object still held
    /// is reported on standard error and in the log, and the exit status is 1.
    @Test func strictLeakCheckFailsTheProcess() async throws {
        let path = "/tmp/hakogc-leak-\(getpid()).hgclog"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            setenv("HAKOGC_LEAKCHECK", "strict", 1)
            setenv("HAKOGC_PROFILE", "/tmp/hakogc-leak-\(getppid()).hgclog", 1)
            var heap: Heap? = Heap()
            _ = allocateRingAtSiteR(heap!, size: 4)  // held by a count nobody gives back
            heap = nil
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("hakogc: leak check of heap 1: 4 objects"), "stderr: \(stderr)")
        #expect(stderr.contains("a cycle of 4 objects") && stderr.contains("exiting with status 1"))
        let log = try EventLogContents(path: path)
        #expect(log.isComplete && log.leaks.count == 1 && log.leaks[0].isCycle && log.leaks[0].objects == 4)
    }

    /// A pinned object left when its heap ends is a forgotten pin, reported with
    /// the site of the pin (HAKOGC_LEAKCHECK alone captures pin stacks).
    @Test func aPinLeftAtTeardownIsReportedWithItsSite() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_LEAKCHECK", "1", 1)
            var heap: Heap? = Heap()
            let object = try! heap!.allocate(leaf)
            pinAtSiteP(heap!, object)
            heap!.release(object)
            heap = nil
            exit(0)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("forgotten pins: 1") && text.contains("hako.tests/LeakLeaf pinned at"), "stderr: \(text)")
        #expect(text.contains("pinAtSiteP"), "stderr: \(text)")
    }

    /// HAKOGC_LEAKCHECK=1 reports and leaves the exit status alone; a clean heap
    /// prints nothing.
    @Test func reportingLeakCheckKeepsTheStatus() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("HAKOGC_LEAKCHECK", "1", 1)
            var clean: Heap? = Heap()
            clean!.release(allocateRingAtSiteR(clean!, size: 2))
            clean = nil
            let kept = Heap()
            let object = try! kept.allocate(leaf)
            _ = object
            exit(0)  // `kept` is alive at exit: checked then
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(!stderr.contains("leak check of heap 1"), "stderr: \(stderr)")
        #expect(stderr.contains("leak check at exit of heap 2: 1 objects"), "stderr: \(stderr)")
    }
}
