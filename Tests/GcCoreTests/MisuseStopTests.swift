import Foundation
@testable import GcCore
import GcTestSupport
import Testing

// The misuses GcCore answers with a stop, each in a child process, each checked
// for its message (docs/reliability.md's catalogue, section 1: the row number is
// in each test's comment). A stop that printed nothing, or the wrong words, fails.

func standardError(_ result: ExitTest.Result) -> String {
    String(decoding: result.standardErrorContent, as: UTF8.self)
}

/// A bridge whose marking callback runs `mark` (user code at that point).
final class CallbackBridge: CollectionBridge {
    let mark: (Heap) -> Void
    init(mark: @escaping (Heap) -> Void) { self.mark = mark }
    func bridgedReferences() -> [(object: ObjectRef, count: Int)] { [] }
    func markForeignRoots(_ heap: Heap) { mark(heap) }
    func heapObjectMarked(_ object: ObjectRef, _ heap: Heap) {}
    func markingFinished(_ heap: Heap) {}
    func collectionFinished(_ heap: Heap) {}
}

@Suite struct MisuseStopTests {
    // MARK: Counts (S1–S3)

    /// S1: a finalizer releasing its own object, whose count is already 0.
    @Test func releaseOfAnObjectWhoseCountIsZeroStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, recorder) = makeHeap()
            recorder.onFinalize = { heap, object in heap.release(object) }
            heap.release(RawNode.make(heap, id: 1))
        }
        #expect(standardError(result).contains("HakoGC: release of an object whose count is already 0 (double release)"))
    }

    /// S2.
    @Test func retainOfAFreedObjectStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            let a = RawNode.make(heap, id: 1, plain: true)
            heap.release(a)
            heap.retain(a)
        }
        #expect(standardError(result).contains("HakoGC: retain of a freed object (stale reference)"))
    }

    /// S3: the count at its limit (set directly: 2³² − 1 retains take too long).
    @Test func countOverflowStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            let a = RawNode.make(heap, id: 1)
            a.bits0 = (a.bits0 & ~ObjectHeader.rcMask) | ObjectHeader.maxCount
            heap.retain(a)
        }
        #expect(standardError(result).contains("HakoGC: reference count overflow (2^32 - 1 references to one object)"))
    }

    /// S5: a payload too large for a header is refused like one below the type's.
    @Test func tooLargeAPayloadIsRefused() {
        let (heap, _) = makeHeap()
        let bytes = Int(Int32.max) + 1
        #expect(throws: HeapError.invalidPayloadSize(type: RawNode.type.name, bytes: bytes)) {
            try heap.allocate(RawNode.type, payloadBytes: bytes)
        }
        #expect(heap.statistics().liveObjects == 0)
    }

    // MARK: Registration (S10, S12)

    /// S10: the registry holds 65 535 types; the next one is refused with `full`.
    @Test func aFullRegistryRefusesTheNextType() async {
        await #expect(processExitsWith: .success) {
            var registered = 0
            while true {
                do {
                    _ = try TypeRegistry.shared.register(TypeDescriptor(name: "hako.fill/T\(registered)", payloadSize: 8))
                    registered += 1
                } catch TypeRegistryError.full(let capacity) {
                    exit(capacity == TypeRegistry.capacity && TypeRegistry.shared.count == capacity - 1 && registered > 65_000 ? 0 : 1)
                } catch {
                    exit(2)
                }
            }
        }
    }

    /// S12: the three checks of a `TypeDescriptor`.
    @Test func negativePayloadSizeStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TypeDescriptor(name: "hako.tests/Negative", payloadSize: -8)
        }
        #expect(standardError(result).contains("HakoGC: payloadSize of hako.tests/Negative is negative"))
    }

    @Test func offsetsAndTraceTogetherStop() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TypeDescriptor(name: "hako.tests/Both", payloadSize: 8, referenceOffsets: [0], trace: { _, _ in })
        }
        #expect(standardError(result).contains("HakoGC: hako.tests/Both gives both referenceOffsets and trace; give one"))
    }

    @Test func anUnalignedOffsetStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TypeDescriptor(name: "hako.tests/Unaligned", payloadSize: 16, referenceOffsets: [4])
        }
        #expect(standardError(result).contains("HakoGC: reference offset 4 of hako.tests/Unaligned is not an aligned slot in its payload"))
    }

    // MARK: Configuration and pressure (S23, S24)

    @Test func zeroMinorAllocationBytesStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.minorAllocationBytes = 0
            _ = Heap(configuration: config)
        }
        #expect(standardError(result).contains("HakoGC: minorAllocationBytes must be positive"))
    }

    @Test func growthFactorOfOneStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.fullGrowthFactor = 1
            _ = Heap(configuration: config)
        }
        #expect(standardError(result).contains("HakoGC: fullGrowthFactor must be above 1"))
    }

    @Test func zeroWeakGenerationLimitStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.weakGenerationLimit = 0
            _ = Heap(configuration: config)
        }
        #expect(standardError(result).contains("HakoGC: weakGenerationLimit must be at least 1"))
    }

    @Test func negativeMinimumBytesStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var config = HeapConfiguration()
            config.fullMinimumBytes = -1
            _ = Heap(configuration: config)
        }
        #expect(standardError(result).contains("HakoGC: fullMinimumBytes and emptyPageCache must not be negative"))
    }

    @Test func negativeMemoryPressureStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            heap.addMemoryPressure(-1)
        }
        #expect(standardError(result).contains("HakoGC: addMemoryPressure with a negative byte count"))
    }

    @Test func removingMorePressureThanAddedStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            heap.addMemoryPressure(100)
            heap.removeMemoryPressure(101)
        }
        #expect(standardError(result).contains("HakoGC: removeMemoryPressure(101) exceeds the 100 bytes added"))
    }

    // MARK: Calls from inside the heap (S55, S58, S61)

    /// S55: a bridge marking an object of another heap during this heap's marking.
    @Test func bridgeMarkOfAnotherHeapsObjectStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (other, _) = makeHeap()
            let stranger = RawNode.make(other, id: 2)
            let (heap, _) = makeHeap()
            heap.collectionBridge = CallbackBridge { heap in heap.bridgeMark(stranger) }
            let a = RawNode.make(heap, id: 1)
            heap.collect(.full)
            heap.release(a)
        }
        #expect(standardError(result).contains("HakoGC: bridgeMark of an object of another heap"))
    }

    /// S53: a bridge's marking callback that changes counts stops.
    @Test func aBridgeThatReleasesWhileMarkingStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            let held = RawNode.make(heap, id: 1)
            heap.collectionBridge = CallbackBridge { heap in heap.release(held) }
            heap.collect(.full)
        }
        #expect(standardError(result).contains("changed the heap"), "\(standardError(result))")
    }

    /// S30: once another thread took the heap, the old owner's calls stop (the
    /// transfer itself must come after the old owner's last call: calls racing with
    /// it are a data race, which ThreadSanitizer reports).
    @Test func theOldOwnerIsRefusedAfterATransfer() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            // The heap crosses threads on purpose: this is the misuse under test.
            final class Handed: @unchecked Sendable { let heap: Heap; init(_ heap: Heap) { self.heap = heap } }
            let handed = Handed(heap)
            runOnAnotherThread { handed.heap.transferOwnership() }
            heap.collect(.minor)
        }
        #expect(standardError(result).contains("HakoGC: collect called on a thread that does not own the heap"))
    }

    /// S58: verification from the observer and from a bridge callback.
    @Test func verifyingFromTheObserverStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            heap.collectionObserver = { [unowned heap] _ in heap.verify() }
            heap.collect(.minor)
        }
        #expect(standardError(result).contains("HakoGC: verify() called while the heap is collecting or running user code it called"))
    }

    @Test func checkingInvariantsFromABridgeCallbackStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            heap.collectionBridge = CallbackBridge { heap in _ = heap.checkInvariants() }
            heap.collect(.full)
        }
        #expect(standardError(result).contains("HakoGC: checkInvariants() called while the heap is collecting"))
    }

    /// S61.
    @Test func leakCheckFromAFinalizerStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, recorder) = makeHeap()
            recorder.onFinalize = { heap, _ in _ = heap.leakCheck() }
            heap.release(RawNode.make(heap, id: 1))
        }
        #expect(standardError(result).contains("HakoGC: leakCheck() called from inside the heap (a finalizer, trace or observer)"))
    }

    // MARK: Profile files and inline allocation (S62–S65)

    @Test func negativeSampleRateStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try? ProfileFile(path: "/dev/null", sampleRate: -1)
        }
        #expect(standardError(result).contains("HakoGC: ProfileFile: sampleRate -1 is negative"))
    }

    @Test func snapshotSecondsOutOfRangeStop() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = try? ProfileFile(path: "/dev/null", snapshotSeconds: .nan)
        }
        #expect(standardError(result).contains("HakoGC: ProfileFile: snapshotSeconds nan is outside [0, 1e9)"))
    }

    /// S63: a path that cannot be created throws, naming the path and the reason.
    @Test func anUncreatableProfileFileThrows() {
        do {
            _ = try ProfileFile(path: "/nonexistent-hakogc-dir/x.hgclog")
            Issue.record("ProfileFile opened a file in a folder that does not exist")
        } catch {
            #expect(error.path == "/nonexistent-hakogc-dir/x.hgclog" && error.errno == ENOENT)
            #expect("\(error)".contains("/nonexistent-hakogc-dir/x.hgclog"))
        }
    }

    /// S64: a device that refuses every write (/dev/full): the errors are counted,
    /// the heap and the program run on.
    @Test func writeErrorsAreCountedAndTheProgramRunsOn() throws {
        let file = try ProfileFile(path: "/dev/full", sampleRate: 1)
        let (heap, _) = makeHeap()
        file.attach(heap)
        for i in 0..<1000 { heap.release(RawNode.make(heap, id: i)) }
        heap.collect(.full)
        file.detach(heap)
        file.close()
        #expect(file.writeErrors > 0)
        #expect(heap.statistics().liveObjects == 0)
    }

    /// S65.
    @Test func inlineAllocationOfAnUnregisteredTypeStops() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (heap, _) = makeHeap()
            _ = heap.inlineAllocation(for: TypeDescriptor(name: "hako.tests/NotRegistered", payloadSize: 8))
        }
        #expect(standardError(result).contains("HakoGC: inlineAllocation(for:): hako.tests/NotRegistered is not registered"))
    }
}
