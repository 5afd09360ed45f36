/// Reports every outgoing reference of one payload, by calling `tracer.visit` once per edge
/// (a reference held twice is reported twice). It must not allocate, free, retain or
/// release, and must report exactly the references the heap counted for the object:
/// the collector's soundness rests on it. Called on the owner thread of the heap at
/// work; the payload is borrowed for the call. Over-reporting is detected when the
/// counts cannot explain it (the process stops); under-reporting is not.
public typealias TraceFunction = (_ payload: UnsafeMutableRawPointer, _ tracer: inout Tracer) -> Void

/// Releases whatever a payload owns when its object is freed. Swift payloads
/// deinitialize themselves here (their reference fields release their targets).
/// When a type has no drop function, the heap releases every traced reference.
/// Called once, on the heap's owner thread; the payload's memory belongs to the heap
/// and must not be used after the call.
public typealias DropFunction = (_ payload: UnsafeMutableRawPointer) -> Void

/// Runs once, before the object is freed, with the object still intact (count 0).
/// It may read the object, allocate, and store a new reference to the object
/// somewhere live ("resurrection"): the object then survives, and its finalizer never
/// runs again. Collections it requests are deferred until it returns.
/// Called on the heap's owner thread. `heap` may be a facade if the user's `Heap` is
/// gone. `object` is borrowed: the finalizer owns no count on it and must not release
/// it (a double release, which stops the process or corrupts counts).
public typealias FinalizeFunction = (_ heap: Heap, _ object: ObjectRef) -> Void

/// The bytes a payload holds outside the heap (a Swift array's or string's buffer),
/// for detailed statistics and leak reports. Called on the heap's owner thread with
/// a live, unborrowed payload; it must only read.
public typealias OutsideBytesFunction = (_ payload: UnsafeMutableRawPointer) -> Int

/// Describes one kind of heap object: the single type mechanism shared by the Swift
/// API (GcTypes) and the C ABI (CrossBoundary).
///
/// References are described either by `referenceOffsets` (fixed slots in the payload,
/// each an 8-byte `ObjectRef` bit pattern or 0; the heap walks them directly, with no
/// call per object) or by a `trace` function (any layout).
///
/// Ownership: descriptors are registered once in `TypeRegistry.shared` and live for
/// the rest of the process. Thread rule: immutable after registration, so `Sendable`;
/// the closures it holds are called only on the thread that owns the heap at work.
public final class TypeDescriptor: @unchecked Sendable {
    /// The fully-qualified name, `namespace/Name` or `namespace/Name@version`.
    public let name: String
    /// `TypeID.hash(name)`: stable across processes and languages.
    public let typeID: UInt64
    /// Payload bytes of one instance; `allocate` may ask for more (variable-size types).
    public let payloadSize: Int
    /// Types whose instances can never be part of a cycle (no references, or only
    /// references to acyclic types). They are never cycle candidates.
    public let acyclic: Bool
    /// Reports the payload's references, for layouts `referenceOffsets` cannot describe.
    public let trace: TraceFunction?
    /// Byte offsets of the payload's reference slots (empty when `trace` describes them).
    public let referenceOffsets: [Int]
    /// Releases the payload's resources when an instance is freed.
    public let drop: DropFunction?
    /// Runs once before an instance is freed.
    public let finalize: FinalizeFunction?
    /// Bytes an instance holds outside the heap (nil: none).
    public let outsideBytes: OutsideBytesFunction?
    /// Extra data for the layer that registered the type (e.g. the C ABI's vtable).
    public let userData: (any Sendable)?
    /// The Swift type whose values the payload holds, when a Swift layer registered it.
    public let swiftType: ObjectIdentifier?

    /// Registry index, stored in object headers. Set once at registration; 0 while
    /// unregistered (allocation then throws `.unregisteredType`).
    // Written once, under the registry lock, before any allocation can read it.
    @exclusivity(unchecked) public internal(set) var index: Int = 0

    /// Header flags every instance starts with.
    @usableFromInline let initialFlags: UInt64
    /// Size class of an instance of `payloadSize` bytes; -1 if it is large or the
    /// type is not registered yet (so the allocation fast path refuses it).
    @exclusivity(unchecked) @usableFromInline var sizeClass: Int = -1
    /// Header word 0 of a new instance (count 1, type index, initial flags); set at
    /// registration, so allocation stores it without shifting.
    @exclusivity(unchecked) @usableFromInline var headerWord: UInt64 = 0
    /// Slot bytes of such an instance, header included.
    @usableFromInline let slotBytes: Int
    @usableFromInline let registeredSizeClass: Int
    /// `referenceOffsets` as a C array, for the hot paths.
    @usableFromInline let offsets: UnsafeMutableBufferPointer<Int>

    /// A descriptor, not yet registered: pass it to `TypeRegistry.register` and use the
    /// descriptor that returns. Any thread. A negative `payloadSize`, both
    /// `referenceOffsets` and `trace`, or an offset that is not an aligned 8-byte slot
    /// inside the payload stops the process with a message.
    public convenience init(
        name: String, payloadSize: Int, acyclic: Bool = false,
        referenceOffsets: [Int] = [], trace: TraceFunction? = nil, drop: DropFunction? = nil,
        finalize: FinalizeFunction? = nil, userData: (any Sendable)? = nil, swiftType: ObjectIdentifier? = nil,
        outsideBytes: OutsideBytesFunction? = nil
    ) {
        self.init(name: name, typeID: TypeID.hash(name), payloadSize: payloadSize, acyclic: acyclic,
                  referenceOffsets: referenceOffsets, trace: trace, drop: drop, finalize: finalize,
                  userData: userData, swiftType: swiftType, outsideBytes: outsideBytes)
    }

    /// With an explicit id: for tests of collision handling.
    init(
        name: String, typeID: UInt64, payloadSize: Int, acyclic: Bool,
        referenceOffsets: [Int] = [], trace: TraceFunction?, drop: DropFunction?,
        finalize: FinalizeFunction?, userData: (any Sendable)?, swiftType: ObjectIdentifier? = nil,
        outsideBytes: OutsideBytesFunction? = nil
    ) {
        misusePrecondition(payloadSize >= 0, "HakoGC: payloadSize of \(name) is negative")
        misusePrecondition(referenceOffsets.isEmpty || trace == nil,
                     "HakoGC: \(name) gives both referenceOffsets and trace; give one")
        for offset in referenceOffsets {
            misusePrecondition(offset >= 0 && offset % 8 == 0 && offset + 8 <= payloadSize,
                         "HakoGC: reference offset \(offset) of \(name) is not an aligned slot in its payload")
        }
        self.name = name
        self.typeID = typeID
        self.payloadSize = payloadSize
        // A type that reports no references cannot close a cycle.
        self.acyclic = acyclic || (trace == nil && referenceOffsets.isEmpty)
        self.trace = trace
        self.referenceOffsets = referenceOffsets
        self.drop = drop
        self.finalize = finalize
        self.outsideBytes = outsideBytes
        self.userData = userData
        self.swiftType = swiftType
        initialFlags = (self.acyclic ? ObjectHeader.acyclic : 0)
            | (finalize != nil ? ObjectHeader.hasFinalizer : 0)
        let slot = ObjectHeader.size + payloadSize
        if let cls = SizeClasses.classFor(slotBytes: slot) {
            registeredSizeClass = cls
            slotBytes = SizeClasses.slotSizes[cls]
        } else {
            registeredSizeClass = -1
            slotBytes = slot
        }
        offsets = .allocate(capacity: referenceOffsets.count)
        _ = offsets.initialize(from: referenceOffsets)
    }

    deinit { offsets.deallocate() }

    /// Whether `other` describes the same payloads (for re-registration by name).
    func hasSameLayout(as other: TypeDescriptor) -> Bool {
        payloadSize == other.payloadSize && acyclic == other.acyclic
            && referenceOffsets == other.referenceOffsets && swiftType == other.swiftType
            && (trace == nil) == (other.trace == nil) && (drop == nil) == (other.drop == nil)
    }
}

/// What the destruction fast path needs of a type, in one flat record per type
/// index (`TypeRegistry.fastTable`): no class field, array or closure on the way.
///
/// Ownership: written once at registration, read without locks afterwards (as the
/// registry's descriptor table). Thread rule: any thread.
@usableFromInline
struct TypeFastInfo {
    /// The payload's reference slots (`TypeDescriptor.offsets`), owned by the descriptor.
    /// The loops over them (destroyAll, dropPayload, dropGarbagePayload,
    /// traceChildren) are written out on purpose: one closure-taking walker measured
    /// 3–23 % more instructions under callgrind (closures left outlined in the
    /// collector's phases; a run-time exclusivity check on state the destroy loop's
    /// closure mutates).
    @usableFromInline var offsets: UnsafeMutablePointer<Int>
    @usableFromInline var offsetCount: Int
    /// Freeing an instance needs nothing but releasing its offset slots: no drop
    /// function and no trace function to call.
    @usableFromInline var plain: Bool
    /// `TypeDescriptor.drop`; called in place (no copy of the closure, so no
    /// retain and release of its context per object).
    @usableFromInline var drop: DropFunction?
    /// The type reports references through `trace` (not offsets).
    @usableFromInline var hasTrace: Bool

    init(_ descriptor: TypeDescriptor) {
        // SAFETY: with no offsets the pointer is never read; a non-null stand-in
        // keeps the field non-optional for the hot paths.
        offsets = descriptor.offsets.baseAddress ?? UnsafeMutablePointer(bitPattern: 8).unsafelyUnwrapped
        offsetCount = descriptor.offsets.count
        plain = descriptor.drop == nil && descriptor.trace == nil
        drop = descriptor.drop
        hasTrace = descriptor.trace != nil
    }
}

/// Stable 64-bit type ids: FNV-1a (64-bit) over the UTF-8 bytes of the fully-qualified
/// name, offset basis 0xcbf29ce484222325, prime 0x100000001b3. Any language can compute
/// it offline in a few lines; the registry refuses collisions. Pure functions and
/// constants: safe on any thread.
public enum TypeID {
    /// FNV-1a's 64-bit offset basis.
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    /// FNV-1a's 64-bit prime.
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The id of `name` (not checked for validity; the registry does that).
    public static func hash(_ name: String) -> UInt64 {
        var h = offsetBasis
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* prime
        }
        return h
    }
}
