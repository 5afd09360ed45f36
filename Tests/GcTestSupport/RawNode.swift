import GcCore

/// Records which objects were finalized, per heap (tests run in parallel, so no globals).
public final class FinalizeRecorder {
    public var finalized: [Int] = []
    public var onFinalize: ((Heap, ObjectRef) -> Void)?
    /// Called by the drop function of `RawNode.type` and `.tracedType` (user code
    /// run while a payload is dropped), with the object.
    public var onDrop: ((Heap, ObjectRef) -> Void)?
    public init() {}
}

/// A raw node type: `slots` reference fields (offset 8·i), then an Int id.
public enum RawNode {
    public static let slots = 3
    public static let idOffset = slots * 8

    static func recordFinalization(_ heap: Heap, _ object: ObjectRef) {
        guard let recorder = heap.context as? FinalizeRecorder else { return }
        recorder.finalized.append(RawNode.id(object))
        recorder.onFinalize?(heap, object)
    }

    /// The drop function: the heap has released the slots (drop runs after, for
    /// offset types; a traced type with a drop function releases them here itself).
    static func runDropHook(_ payload: UnsafeMutableRawPointer, releasing: Bool) {
        let object = ObjectRef(payload - 16)
        let heap = Heap.owning(object)
        if releasing {
            for i in 0..<slots {
                if let child = ObjectRef(bits: payload.load(fromByteOffset: i * 8, as: UInt.self)) { heap.release(child) }
            }
        }
        (heap.context as? FinalizeRecorder)?.onDrop?(heap, object)
    }

    /// References described by slot offsets (the heap walks them itself), with a
    /// finalizer and a drop function (`FinalizeRecorder.onDrop`).
    public static let type: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
        name: "hako.tests/RawNode", payloadSize: slots * 8 + 8,
        referenceOffsets: (0..<slots).map { $0 * 8 },
        drop: { runDropHook($0, releasing: false) },
        finalize: recordFinalization))

    /// The same layout, references reported by a trace function instead (and
    /// released by its drop function).
    public static let tracedType: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
        name: "hako.tests/RawTracedNode", payloadSize: slots * 8 + 8,
        trace: { payload, tracer in
            for i in 0..<slots { tracer.visit(bits: payload.load(fromByteOffset: i * 8, as: UInt.self)) }
        },
        drop: { runDropHook($0, releasing: true) },
        finalize: recordFinalization))

    /// The same layout by offsets, without a finalizer: a plain type, which the
    /// heap destroys and collects on its fast paths. The reference model tells its
    /// deaths by walking the heap instead of by finalizations.
    public static let plainType: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
        name: "hako.tests/RawPlainNode", payloadSize: slots * 8 + 8,
        referenceOffsets: (0..<slots).map { $0 * 8 }))

    /// A type with no references: acyclic, never a candidate.
    public static let leaf: TypeDescriptor = try! TypeRegistry.shared.register(TypeDescriptor(
        name: "hako.tests/RawLeaf", payloadSize: 8,
        finalize: { heap, object in
            (heap.context as? FinalizeRecorder)?.finalized.append(RawNode.id(object))
        }))

    public static func make(_ heap: Heap, id: Int, traced: Bool = false, plain: Bool = false) -> ObjectRef {
        let o = try! heap.allocate(plain ? plainType : traced ? tracedType : type)
        o.payload.storeBytes(of: id, toByteOffset: idOffset, as: Int.self)
        return o
    }

    public static func makeLeaf(_ heap: Heap, id: Int) -> ObjectRef {
        let o = try! heap.allocate(leaf)
        o.payload.storeBytes(of: id, as: Int.self)
        return o
    }

    public static func id(_ o: ObjectRef) -> Int {
        let offset = Heap.owning(o).type(of: o) === leaf ? 0 : idOffset
        return o.payload.load(fromByteOffset: offset, as: Int.self)
    }

    public static func link(_ heap: Heap, _ from: ObjectRef, _ slot: Int, _ to: ObjectRef?) {
        heap.storeReference(to, into: from, offset: slot * 8)
    }

    public static func child(_ heap: Heap, _ from: ObjectRef, _ slot: Int) -> ObjectRef? {
        heap.loadReference(from: from, offset: slot * 8)
    }
}

/// A heap with a recorder attached and automatic collection off unless asked.
public func makeHeap(automatic: Bool = false, configure: (inout HeapConfiguration) -> Void = { _ in }) -> (Heap, FinalizeRecorder) {
    var config = HeapConfiguration()
    config.automaticCollection = automatic
    configure(&config)
    let heap = Heap(configuration: config)
    let recorder = FinalizeRecorder()
    heap.context = recorder
    return (heap, recorder)
}

/// Builds a ring of `n` nodes; returns the first, holding one handle to it.
public func makeRing(
    _ heap: Heap, n: Int, firstID: Int, pointingAt target: ObjectRef? = nil, plain: Bool = false
) -> ObjectRef {
    let first = RawNode.make(heap, id: firstID, plain: plain)
    var previous = first
    for i in 1..<n {
        let node = RawNode.make(heap, id: firstID + i, plain: plain)
        RawNode.link(heap, previous, 0, node)
        if let target { RawNode.link(heap, node, 1, target) }
        if previous != first { heap.release(previous) }
        previous = node
    }
    RawNode.link(heap, previous, 0, first)
    if let target { RawNode.link(heap, first, 1, target) }
    if previous != first { heap.release(previous) }
    return first
}
