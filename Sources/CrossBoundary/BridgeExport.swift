import CHakoGC
import GcCore
import Glibc

/// The C bridge of one heap: adapts `hgc_bridge` callbacks to GcCore's
/// `CollectionBridge` (see the protocol there for the order of calls).
final class ForeignBridge: CollectionBridge {
    let callbacks: hgc_bridge
    let heapHandle: hgc_heap
    unowned let foreign: ForeignHeap

    init(_ callbacks: hgc_bridge, heapHandle: hgc_heap, foreign: ForeignHeap) {
        self.callbacks = callbacks
        self.heapHandle = heapHandle
        self.foreign = foreign
    }

    func bridgedReferences() -> [(object: ObjectRef, count: Int)] {
        // Each bridged pin holds its handle's count and one pin count.
        if foreign.trusted { return foreign.bridgedPins.references() }
        return foreign.handles.bridgedObjects().map { (object: $0, count: 2) }
    }

    func markForeignRoots(_ heap: Heap) {
        callbacks.mark_roots?(heapHandle, callbacks.context)
    }

    func heapObjectMarked(_ object: ObjectRef, _ heap: Heap) {
        guard let table = heap.type(of: object).userData as? ForeignVTable,
              let trace = table.table.trace else { return }
        var visitor = ForeignVisitor(bridge: self)
        withUnsafeMutablePointer(to: &visitor) { pointer in
            let previous = ForeignVisitor.active
            ForeignVisitor.active = UnsafeMutableRawPointer(pointer)
            defer { ForeignVisitor.active = previous }
            trace(object.payload, OpaquePointer(pointer), table.table.context)
        }
    }

    func markingFinished(_ heap: Heap) {
        // Bridged pins no marked foreign object reported belong to dead objects.
        let dead = foreign.trusted ? foreign.bridgedPins.removeUnreached() : foreign.handles.removeUnreachedBridged()
        for object in dead {
            try? heap.unpin(object)
            heap.release(object)
        }
    }

    func collectionFinished(_ heap: Heap) {
        callbacks.sweep?(heapHandle, callbacks.context)
    }

    func foreignReference(_ ref: UInt64) {
        callbacks.mark_foreign?(heapHandle, ref, callbacks.context)
    }
}

/// What an `hgc_visitor *` points at while a vtable trace runs: a stack value that
/// is gone when the trace returns. C code may keep the pointer or forge one, so
/// `hgc_visit_foreign` dereferences only the visitor of the trace running on its
/// thread (`active`) and ignores any other.
struct ForeignVisitor {
    unowned let bridge: ForeignBridge

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The visitor of the trace running on the calling thread, if any.
    static var active: UnsafeMutableRawPointer? {
        get { pthread_getspecific(key) }
        set { pthread_setspecific(key, newValue) }
    }
}

/// `hgc_visit_foreign`: a vtable trace reports a foreign object its payload holds.
/// A visitor other than the running trace's (kept past its trace, forged) is ignored.
@_cdecl("hgc_visit_foreign")
public func hgc_visit_foreign(_ visitor: OpaquePointer?, _ foreignRef: UInt64) {
    guard let visitor, let active = ForeignVisitor.active, UnsafeMutableRawPointer(visitor) == active else { return }
    // SAFETY: `active` is the ForeignVisitor on the stack of the trace running on
    // this thread (heapObjectMarked), alive until that trace returns.
    active.assumingMemoryBound(to: ForeignVisitor.self).pointee.bridge.foreignReference(foreignRef)
}

@_cdecl("hgc_bridge_register")
public func hgc_bridge_register(_ handle: hgc_heap, _ bridge: UnsafePointer<hgc_bridge>?) -> hgc_status {
    withHeap(handle, "hgc_bridge_register") { (foreign) throws(StatusError) -> hgc_status in
        guard let bridge else {
            foreign.heap.collectionBridge = nil
            foreign.bridge = nil
            return HGC_OK
        }
        // The size first, then only the bytes it declares (SizePrefixed).
        guard let (callbacks, _) = SizePrefixed.copy(bridge, minimum: MemoryLayout<hgc_bridge>.size, zero: hgc_bridge()),
              callbacks.reserved == 0 else {
            return LastError.fail(HGC_ERR_BAD_VTABLE, "hgc_bridge_register: bridge size \(SizePrefixed.declaredSize(bridge)) is too small or reserved is set")
        }
        let adapter = ForeignBridge(callbacks, heapHandle: handle, foreign: foreign)
        foreign.bridge = adapter
        foreign.heap.collectionBridge = adapter
        return HGC_OK
    }
}

@_cdecl("hgc_pin_bridged")
public func hgc_pin_bridged(_ handle: hgc_heap, _ value: hgc_value, _ out: UnsafeMutablePointer<hgc_value>?) -> hgc_status {
    pinValue(handle, value, out, bridged: true, "hgc_pin_bridged")
}

@_cdecl("hgc_bridge_reach")
public func hgc_bridge_reach(_ handle: hgc_heap, _ pinned: hgc_value) -> hgc_status {
    withHeap(handle, "hgc_bridge_reach") { (foreign) throws(StatusError) -> hgc_status in
        guard foreign.heap.isBridgeMarking else {
            return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_bridge_reach: only during a joint collection's marking (mark_roots / mark_foreign)")
        }
        let r = try resolve(pinned, in: foreign, "hgc_bridge_reach").get()
        let reached = foreign.trusted ? foreign.bridgedPins.reach(r.object) : foreign.handles.reach(pinned.box_handle)
        guard reached else {
            return LastError.fail(HGC_ERR_NOT_PINNED, "hgc_bridge_reach: the value is not a bridged pin (hgc_pin_bridged)")
        }
        foreign.heap.bridgeMark(r.object)
        return HGC_OK
    }
}
