import CZlib
import Foundation
import GcProfiler

/// `gcstat pprof`: the log's allocation samples as a pprof heap profile
/// (github.com/google/pprof, proto/profile.proto), gzip-compressed, as Go writes
/// them: sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count,
/// inuse_space/bytes; period type space/bytes with the sampling rate as period.
/// Values are the estimates (`Sample.weight` scaled), summed per stack and type;
/// each sample has a `type` label. Functions carry the demangled name and, in
/// `system_name`, the mangled one; file and line where `resolveSourceLines` found
/// them; guest frames keep theirs. `go tool pprof` reads it (the test command checks).
public enum PprofExport {
    /// The profile, uncompressed.
    public static func profile(_ log: LogSummary) -> [UInt8] {
        var strings = StringTable()
        var p = ProtoWriter()
        let types = [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")]
        for (t, u) in types {
            p.message(1) { $0.int(1, strings[t]); $0.int(2, strings[u]) }
        }
        // Samples, summed per (frames, type).
        struct Key: Hashable { let frames: [UInt64]; let type: UInt64 }
        var sums: [Key: [Double]] = [:]
        var order: [Key] = []
        for e in log.sites.entries {
            let key = Key(frames: log.names.frames(ofStack: e.stack), type: e.typeID)
            if sums[key] == nil { sums[key] = [0, 0, 0, 0]; order.append(key) }
            sums[key]![0] += e.allocatedObjects
            sums[key]![1] += e.allocatedBytes
            sums[key]![2] += e.inUseObjects
            sums[key]![3] += e.inUseBytes
        }
        // Locations: one per frame address; functions: one per name and file.
        var locationIDs: [UInt64: UInt64] = [:]
        var functionIDs: [String: UInt64] = [:]
        var locations = ProtoWriter(), functions = ProtoWriter()
        func mappingID(_ pc: UInt64) -> UInt64 {
            guard let i = log.names.mappings.firstIndex(where: { pc >= $0.start && pc < $0.end }) else { return 0 }
            return UInt64(i + 1)
        }
        func location(_ pc: UInt64) -> UInt64 {
            if let id = locationIDs[pc] { return id }
            let id = UInt64(locationIDs.count + 1)
            locationIDs[pc] = id
            let symbol = log.names.symbols[pc]
            let name = symbol.map { $0.name.isEmpty ? "0x" + String(pc, radix: 16) : $0.name } ?? "0x" + String(pc, radix: 16)
            var file = "", line: Int64 = 0
            if let symbol {
                if symbol.isGuest {
                    (file, line) = split(symbol.file)
                } else if let location = symbol.location {
                    (file, line) = split(location)
                }
            }
            let functionKey = name + "\u{0}" + file
            let function: UInt64
            if let known = functionIDs[functionKey] {
                function = known
            } else {
                function = UInt64(functionIDs.count + 1)
                functionIDs[functionKey] = function
                let system = symbol.map { $0.mangled.isEmpty ? name : $0.mangled } ?? name
                functions.message(5) { f in
                    f.uint(1, function)
                    f.int(2, strings[name])
                    f.int(3, strings[system])
                    f.int(4, strings[file])
                }
            }
            let guest = symbol?.isGuest ?? false
            locations.message(4) { l in
                l.uint(1, id)
                if !guest { l.uint(2, mappingID(pc)) }
                l.uint(3, guest ? 0 : pc)
                l.message(4) { ln in
                    ln.uint(1, function)
                    ln.int(2, line)
                }
            }
            return id
        }
        for key in order {
            let values = sums[key]!
            let ids = key.frames.map(location)
            p.message(2) { s in
                s.packedUInts(1, ids)
                s.packedInts(2, values.map(PprofExport.count))
                s.message(3) { label in
                    label.int(1, strings["type"])
                    label.int(2, strings[log.names.typeName(key.type)])
                }
            }
        }
        for (i, m) in log.names.mappings.enumerated() {
            p.message(3) { w in
                w.uint(1, UInt64(i + 1))
                w.uint(2, m.start)
                w.uint(3, m.end)
                w.uint(4, m.offset)
                w.int(5, strings[m.path])
                w.bool(7, true)  // has_functions
                w.bool(9, log.names.symbols.values.contains { $0.location != nil })  // has_line_numbers
            }
        }
        p.bytes.append(contentsOf: locations.bytes)
        p.bytes.append(contentsOf: functions.bytes)
        if log.wallClockNanos > 0 { p.int(9, Int64(truncatingIfNeeded: log.wallClockNanos)) }
        if let end = log.end { p.int(10, Int64(truncatingIfNeeded: end.durationNanos)) }
        p.message(11) { $0.int(1, strings["space"]); $0.int(2, strings["bytes"]) }
        p.int(12, Int64(truncatingIfNeeded: log.sampleRate))
        p.int(14, strings["inuse_space"])  // default_sample_type, as Go's heap profiles
        // The string table last: every string was interned above (index 0 is "").
        for s in strings.strings { p.string(6, s) }
        return p.bytes
    }

    /// An estimate as a sample value: rounded, and within Int64 (a damaged log's
    /// figures can be anything).
    static func count(_ v: Double) -> Int64 {
        v.isFinite ? Int64(max(-9.2e18, min(9.2e18, v.rounded()))) : 0
    }

    /// "file:line" → (file, line); a file without a line → (file, 0).
    static func split(_ text: String) -> (String, Int64) {
        guard let colon = text.lastIndex(of: ":"), let line = Int64(text[text.index(after: colon)...]) else { return (text, 0) }
        return (String(text[..<colon]), line)
    }

    /// The profile, gzip-compressed (zlib's deflate, gzip framing).
    public static func gzipped(_ log: LogSummary) throws -> Data {
        try Gzip.compress(profile(log))
    }
}

/// pprof's string table: index 0 is "".
struct StringTable {
    private(set) var strings: [String] = [""]
    private var index: [String: Int64] = ["": 0]

    subscript(_ s: String) -> Int64 {
        mutating get {
            if let i = index[s] { return i }
            let i = Int64(strings.count)
            strings.append(s)
            index[s] = i
            return i
        }
    }
}

/// Protocol-buffer wire format, the few kinds profile.proto uses.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    mutating func key(_ field: Int, _ wire: UInt64) { varint(UInt64(field) << 3 | wire) }
    mutating func uint(_ field: Int, _ v: UInt64) { if v != 0 { key(field, 0); varint(v) } }
    mutating func int(_ field: Int, _ v: Int64) { if v != 0 { key(field, 0); varint(UInt64(bitPattern: v)) } }
    mutating func bool(_ field: Int, _ v: Bool) { if v { key(field, 0); varint(1) } }
    mutating func string(_ field: Int, _ s: String) {
        key(field, 2)
        let utf8 = Array(s.utf8)
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        body(&inner)
        key(field, 2)
        varint(UInt64(inner.bytes.count))
        bytes.append(contentsOf: inner.bytes)
    }
    mutating func packedUInts(_ field: Int, _ values: [UInt64]) {
        var inner = ProtoWriter()
        for v in values { inner.varint(v) }
        key(field, 2)
        varint(UInt64(inner.bytes.count))
        bytes.append(contentsOf: inner.bytes)
    }
    mutating func packedInts(_ field: Int, _ values: [Int64]) { packedUInts(field, values.map { UInt64(bitPattern: $0) }) }
}

/// Why compression failed (zlib's status). A plain value.
public struct GzipError: Error, CustomStringConvertible {
    public let status: Int32
    public var description: String { "zlib failed with status \(status)" }
}

enum Gzip {
    static func compress(_ input: [UInt8]) throws -> Data {
        var stream = z_stream()
        // windowBits 15 + 16: gzip framing (header and CRC-32) around deflate.
        var status = deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError(status: status) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var source = input
        status = source.withUnsafeMutableBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                stream.next_in = src.baseAddress
                stream.avail_in = UInt32(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = UInt32(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw GzipError(status: status) }
        return Data(output.prefix(Int(stream.total_out)))
    }
}
