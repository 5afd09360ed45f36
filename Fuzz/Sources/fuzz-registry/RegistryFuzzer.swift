import CHakoGC
import CrossBoundary
import FuzzDriver
import Glibc

// libFuzzer target: type registration through the C ABI. Each input is a list of
// registrations — arbitrary names (bytes that may not be UTF-8, reserved, badly
// formed, or drawn from a small set so that they repeat) with arbitrary vtables
// (size fields, flags, reserved, payload sizes, offsets out of range, overlapping,
// unaligned, huge counts) — each held to an oracle written from the header's rules:
// the status, then for a registered type its id (FNV-1a of the name), lookup by
// name, the vtable and name read back, and an instance whose every reference slot
// stores and loads. Registrations last for the process, and so does the model.
// Run by scripts/fuzz.sh (docs/reliability.md).

/// The entry point SwiftPM links (FuzzDriver.swift says why).
@_cdecl("fuzz_registry_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzOneInput)
}

struct Layout: Equatable {
    var payload: UInt64
    var acyclic: Bool
    var offsets: [UInt32]

    /// The same layout, as the header defines it: a type without reference slots
    /// (and without trace) cannot form cycles, so its ACYCLIC flag changes nothing.
    static func == (a: Layout, b: Layout) -> Bool {
        a.payload == b.payload && a.offsets == b.offsets
            && (a.acyclic || a.offsets.isEmpty) == (b.acyclic || b.offsets.isEmpty)
    }
}

/// What this process registered: name → layout and id (the registry keeps types
/// for the life of the process).
nonisolated(unsafe) var registered: [String: (layout: Layout, id: UInt64)] = [:]
nonisolated(unsafe) var heap: hgc_heap = 0

func fail(_ message: String) -> Never {
    let text = "registry oracle: \(message)\n  last error: \(String(cString: CrossBoundary.hgc_last_error()))\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    abort()
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) { if !condition { fail(message()) } }

/// FNV-1a 64 over the name's bytes, as the header defines `hgc_type_id`.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// The header's name rule: "namespace/Name[@version]" — a slash with something on
/// both sides, no whitespace or control characters, UTF-8.
func nameError(_ bytes: [UInt8]) -> hgc_status? {
    guard let text = String(validating: bytes, as: UTF8.self) else { return HGC_ERR_INVALID_NAME }
    guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex,
          !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
        return HGC_ERR_INVALID_NAME
    }
    return text.hasPrefix("core/") ? HGC_ERR_RESERVED_NAME : nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    if heap == 0 { expect(CrossBoundary.hgc_heap_create(&heap) == HGC_OK, "hgc_heap_create") }
    var input = FuzzInput(UnsafeBufferPointer(start: start, count: count))
    var n = 0
    while !input.isEmpty && n < 64 {
        registerOne(&input)
        n += 1
    }
    expect(CrossBoundary.hgc_collect(heap, HGC_COLLECT_MINOR) == HGC_OK, "hgc_collect")
    return 0
}

func name(_ input: inout FuzzInput) -> [UInt8] {
    switch input.byte() % 4 {
    case 0:  // raw bytes, up to the first NUL (a C string ends there)
        let length = input.byte() % 48
        return Array((0..<length).map { _ in UInt8(input.byte()) }.prefix { $0 != 0 })
    case 1:
        return Array("core/T\(input.byte() % 4)".utf8)
    default:  // a small set, so that names come back with the same or another layout
        return Array("fuzz.reg/T\(input.byte() % 32)@\(input.byte() % 2)".utf8)
    }
}

func registerOne(_ input: inout FuzzInput) {
    let nameBytes = name(&input)
    let vtableSize = UInt32(MemoryLayout<hgc_vtable>.size)
    let sizes: [UInt32] = [vtableSize, vtableSize, vtableSize + 8, vtableSize - 8, 4, 0]
    let size = sizes[input.byte() % sizes.count]
    let flags: UInt32 = [0, 0, UInt32(HGC_VTABLE_ACYCLIC), 2, 0x8000_0000][input.byte() % 5]
    let reserved: UInt32 = input.byte() % 8 == 7 ? 1 : 0
    let payloads: [UInt64] = [0, 8, 16, 24, 32, 64, 4096, UInt64(Int32.max) + 1, 1 << 40]
    let payload = payloads[input.byte() % payloads.count]
    let counts: [UInt32] = [0, 1, 2, 3, 4, 8, 64, UInt32.max]
    let refCount = counts[input.byte() % counts.count]
    let nullOffsets = input.byte() % 16 == 15
    // The array holds what a count within 64 asks for; a larger count can only be
    // refused before it is read (the payload check), so no more is supplied.
    var offsets = [UInt32](repeating: 0, count: 64)
    for i in 0..<Int(min(refCount, 64)) {
        offsets[i] = input.byte() % 4 == 0 ? UInt32(truncatingIfNeeded: input.u64()) % 80 : UInt32(8 * (input.byte() % 8))
    }
    let supplied = Array(offsets.prefix(Int(min(refCount, 64))))

    // The expected status, in the order the header lists the checks.
    var expected: hgc_status = HGC_OK
    if let e = nameError(nameBytes) { expected = e }
    else if size < vtableSize { expected = HGC_ERR_BAD_VTABLE }
    else if flags & ~UInt32(HGC_VTABLE_ACYCLIC) != 0 || reserved != 0 { expected = HGC_ERR_BAD_VTABLE }
    else if payload > UInt64(Int32.max) { expected = HGC_ERR_BAD_VTABLE }
    else if refCount > 0 && nullOffsets { expected = HGC_ERR_BAD_VTABLE }
    else if UInt64(refCount) > payload / 8 { expected = HGC_ERR_BAD_VTABLE }
    else if supplied.contains(where: { $0 % 8 != 0 || UInt64($0) + 8 > payload }) || Set(supplied).count != supplied.count {
        expected = HGC_ERR_BAD_VTABLE
    }
    let layout = Layout(payload: payload, acyclic: flags == UInt32(HGC_VTABLE_ACYCLIC), offsets: supplied)
    let text = String(decoding: nameBytes, as: UTF8.self)
    if expected == HGC_OK, let known = registered[text], known.layout != layout { expected = HGC_ERR_LAYOUT_MISMATCH }

    // A buffer larger than the struct, so that a size field above it is safe to honour.
    let raw = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
    defer { raw.deallocate() }
    raw.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 256)
    var table = hgc_vtable()
    table.size = size
    table.flags = flags
    table.payload_size = payload
    table.reference_count = refCount
    table.reserved = reserved
    var id: UInt64 = 0
    let status = offsets.withUnsafeBufferPointer { buffer in
        table.reference_offsets = nullOffsets ? nil : buffer.baseAddress
        raw.storeBytes(of: table, as: hgc_vtable.self)
        return (nameBytes + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) {
                CrossBoundary.hgc_register_type($0.baseAddress, raw.assumingMemoryBound(to: hgc_vtable.self), &id)
            }
        }
    }
    // The registry holds 65 535 types for the process; names the fuzzer makes up
    // can fill it.
    if status == HGC_ERR_REGISTRY_FULL && expected == HGC_OK && registered[text] == nil && registered.count > 65_000 { return }
    expect(status == expected, "hgc_register_type(\"\(text)\", size \(size), flags \(flags), reserved \(reserved), payload \(payload), count \(refCount), offsets \(supplied), null \(nullOffsets)): status \(status.rawValue), the model says \(expected.rawValue); registered before: \(registered[text].map { "\($0.layout)" } ?? "no")")
    guard status == HGC_OK else { return }
    expect(id == fnv1a(nameBytes), "id 0x\(String(id, radix: 16)) is not FNV-1a of \"\(text)\"")
    if registered[text] == nil { registered[text] = (layout, id) }
    // The registry keeps the first registration's vtable.
    readBack(text, nameBytes, registered[text]!.layout, id)
}

/// Lookup, vtable, name and an instance of a type just registered.
func readBack(_ text: String, _ nameBytes: [UInt8], _ layout: Layout, _ id: UInt64) {
    var found: UInt64 = 0
    expect(text.withCString { CrossBoundary.hgc_lookup_type($0, &found) } == HGC_OK && found == id, "hgc_lookup_type(\"\(text)\")")
    var out = hgc_vtable()
    expect(CrossBoundary.hgc_type_vtable(id, &out, UInt32(MemoryLayout<hgc_vtable>.size)) == HGC_OK, "hgc_type_vtable")
    let offsets = (0..<Int(out.reference_count)).map { out.reference_offsets[$0] }
    expect(out.payload_size == layout.payload && (out.flags == UInt32(HGC_VTABLE_ACYCLIC)) == layout.acyclic && offsets == layout.offsets,
           "hgc_type_vtable of \"\(text)\" reads back another layout")
    for capacity in [0, nameBytes.count, nameBytes.count + 1] {
        var buffer = [CChar](repeating: 0x55, count: nameBytes.count + 2)
        var length = 0
        let s = CrossBoundary.hgc_type_name(id, &buffer, capacity, &length)
        expect(length == nameBytes.count, "hgc_type_name: length \(length) for \(nameBytes.count) bytes")
        expect(s == (capacity > nameBytes.count ? HGC_OK : HGC_ERR_BUFFER_TOO_SMALL), "hgc_type_name capacity \(capacity): status \(s.rawValue)")
        if capacity > 0 {
            let n = min(nameBytes.count, capacity - 1)
            expect((0..<n).allSatisfy { UInt8(bitPattern: buffer[$0]) == nameBytes[$0] } && buffer[n] == 0, "hgc_type_name: wrong text")
        }
        expect(buffer[capacity...].allSatisfy { $0 == 0x55 }, "hgc_type_name wrote past its capacity")
    }
    // An instance: each reference slot stores and loads back what was stored.
    guard layout.payload <= 4096 else { return }
    var object = hgc_value(), child = hgc_value(), loaded = hgc_value()
    expect(CrossBoundary.hgc_alloc(heap, id, 0, &object) == HGC_OK, "hgc_alloc of \"\(text)\"")
    expect(CrossBoundary.hgc_alloc(heap, HGC_TYPE_FLOAT, 0, &child) == HGC_OK, "hgc_alloc core/Float")
    for slot in 0..<layout.offsets.count {
        expect(CrossBoundary.hgc_store(heap, object, UInt32(slot), child) == HGC_OK, "hgc_store slot \(slot)")
        expect(CrossBoundary.hgc_load(heap, object, UInt32(slot), &loaded) == HGC_OK, "hgc_load slot \(slot)")
        var same: Int32 = 0
        expect(CrossBoundary.hgc_same(heap, loaded, child, &same) == HGC_OK && same == 1, "slot \(slot) loads back another object")
        expect(CrossBoundary.hgc_release(heap, loaded) == HGC_OK, "hgc_release")
    }
    expect(CrossBoundary.hgc_store(heap, object, UInt32(layout.offsets.count), child) == HGC_ERR_BAD_SLOT, "hgc_store past the last slot")
    expect(CrossBoundary.hgc_release(heap, child) == HGC_OK && CrossBoundary.hgc_release(heap, object) == HGC_OK, "hgc_release")
}
