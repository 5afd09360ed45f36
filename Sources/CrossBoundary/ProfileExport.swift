import CHakoGC
import GcCore
import Glibc

// The profiler through the C ABI (hakogc.h, "Added in 0x0106"; docs/profiling.md):
// event logs, trace lines, leak checks and guest-language stacks, per heap.

/// Open event logs by handle: an id that is never reused, so a closed or made-up
/// handle is refused, not followed. Any thread.
private let profiles = ProcessLock<(next: UInt64, open: [UInt64: ProfileFile])>((1, [:]))

/// The handles are ids below this; anything above was never issued.
private func profile(_ handle: hgc_profile, _ call: StaticString) -> Result<ProfileFile, StatusError> {
    let (file, next) = profiles.withLock { ($0.open[handle], $0.next) }
    if let file { return .success(file) }
    let status = handle != 0 && handle < next
        ? LastError.fail(HGC_ERR_STALE_HANDLE, "\(call): profile \(handle) is closed")
        : LastError.fail(HGC_ERR_FORGED_HANDLE, "\(call): profile \(handle) was never opened")
    return .failure(StatusError(status: status))
}

@_cdecl("hgc_profile_open")
public func hgc_profile_open(
    _ path: UnsafePointer<CChar>?, _ label: UnsafePointer<CChar>?, _ sampleRate: UInt64,
    _ out: UnsafeMutablePointer<hgc_profile>?
) -> hgc_status {
    guard let path, let out else { return LastError.fail(HGC_ERR_NULL_ARGUMENT, "hgc_profile_open: path and out_profile are required") }
    guard sampleRate <= UInt64(Int.max) else { return LastError.fail(HGC_ERR_INT_OUT_OF_RANGE, "hgc_profile_open: sample_rate \(sampleRate) is too large") }
    let text = String(decoding: UnsafeRawBufferPointer(start: path, count: strlen(path)), as: UTF8.self)
    let name = label.map { String(cString: $0) } ?? ""
    do {
        let file = try ProfileFile(path: text, label: name, sampleRate: Int(sampleRate))
        out.pointee = profiles.withLock { p in
            defer { p.next += 1 }
            p.open[p.next] = file
            return p.next
        }
        return HGC_OK
    } catch {
        return LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_profile_open: \(error)")
    }
}

@_cdecl("hgc_profile_attach")
public func hgc_profile_attach(_ handle: hgc_profile, _ heap: hgc_heap) -> hgc_status {
    withProfiledHeap(handle, heap, "hgc_profile_attach") { $0.attach($1) }
}

@_cdecl("hgc_profile_detach")
public func hgc_profile_detach(_ handle: hgc_profile, _ heap: hgc_heap) -> hgc_status {
    withProfiledHeap(handle, heap, "hgc_profile_detach") { $0.detach($1) }
}

@_cdecl("hgc_profile_snapshot")
public func hgc_profile_snapshot(_ handle: hgc_profile, _ heap: hgc_heap) -> hgc_status {
    withProfiledHeap(handle, heap, "hgc_profile_snapshot") { $0.snapshot($1) }
}

/// `body` with the log and the heap, both checked; not while the heap is inside a
/// collection, finalizer or callback (it would write records from inside a pause).
private func withProfiledHeap(
    _ handle: hgc_profile, _ heap: hgc_heap, _ call: StaticString, _ body: (ProfileFile, Heap) -> Void
) -> hgc_status {
    withHeap(heap, call) { (foreign) throws(StatusError) -> hgc_status in
        let file = try profile(handle, call).get()
        guard !foreign.heap.isBusy else {
            return LastError.fail(HGC_ERR_REENTRANT, "\(call): not allowed from inside the heap (a finalizer or callback)")
        }
        body(file, foreign.heap)
        return HGC_OK
    }
}

@_cdecl("hgc_profile_close")
public func hgc_profile_close(_ handle: hgc_profile) -> hgc_status {
    switch profile(handle, "hgc_profile_close") {
    case .failure(let e): return e.status
    case .success(let file):
        _ = profiles.withLock { $0.open.removeValue(forKey: handle) }
        file.close()
        return file.writeErrors == 0 ? HGC_OK
            : LastError.fail(HGC_ERR_NOT_APPLICABLE, "hgc_profile_close: \(file.writeErrors) writes to \(file.path) failed; records were lost")
    }
}

@_cdecl("hgc_heap_set_trace")
public func hgc_heap_set_trace(_ heap: hgc_heap, _ on: UInt32) -> hgc_status {
    withHeap(heap, "hgc_heap_set_trace") { (foreign) throws(StatusError) -> hgc_status in
        foreign.heap.traceCollections = on != 0
        return HGC_OK
    }
}

@_cdecl("hgc_leak_check")
public func hgc_leak_check(
    _ heap: hgc_heap, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?, _ outObjects: UnsafeMutablePointer<UInt64>?
) -> hgc_status {
    withHeap(heap, "hgc_leak_check") { (foreign) throws(StatusError) -> hgc_status in
        guard !foreign.heap.isBusy else {
            return LastError.fail(HGC_ERR_REENTRANT, "hgc_leak_check: not allowed from inside the heap (a finalizer or callback)")
        }
        let report = foreign.heap.leakCheck()
        outObjects?.pointee = UInt64(report.objects)
        if buffer == nil && capacity == 0 {
            outLength?.pointee = report.description.utf8.count
            return HGC_OK
        }
        return writeText(report.description, buffer, capacity, outLength)
    }
}

@_cdecl("hgc_profile_set_guest_stack")
public func hgc_profile_set_guest_stack(
    _ heap: hgc_heap, _ fn: hgc_guest_stack_fn?, _ context: UnsafeMutableRawPointer?
) -> hgc_status {
    withHeap(heap, "hgc_profile_set_guest_stack") { (foreign) throws(StatusError) -> hgc_status in
        guard let fn else {
            foreign.heap.guestStack = nil
            return HGC_OK
        }
        // Sendable-free capture: a C function pointer and its context, called on the
        // heap's owner thread only.
        let box = GuestStackCallback(fn: fn, context: context)
        foreign.heap.guestStack = { box.frames() }
        return HGC_OK
    }
}

/// A runtime's guest-stack callback, and the copy of what it reports.
private final class GuestStackCallback {
    let fn: hgc_guest_stack_fn
    let context: UnsafeMutableRawPointer?

    init(fn: hgc_guest_stack_fn, context: UnsafeMutableRawPointer?) {
        self.fn = fn
        self.context = context
    }

    func frames() -> [GuestFrame] {
        let capacity = 64
        return withUnsafeTemporaryAllocation(of: hgc_guest_frame.self, capacity: capacity) { buffer in
            buffer.initialize(repeating: hgc_guest_frame())
            // A callback that claims more frames than it had room for is believed only
            // up to the room.
            let n = min(fn(buffer.baseAddress, capacity, context), capacity)
            var out: [GuestFrame] = []
            for f in buffer.prefix(n) {
                guard let function = f.function else { continue }
                out.append(GuestFrame(function: String(cString: function), file: f.file.map { String(cString: $0) } ?? "",
                                      line: Int(f.line)))
            }
            return out
        }
    }
}
