import CUnwind
import Glibc

/// The native stacks of allocation samples, each distinct stack stored once, and
/// the symbols of their frames, each resolved once. Owned by a `ProfileFile` and
/// used under its lock (samples from heaps on several threads share it).
///
/// Capture is libunwind's `unw_backtrace` (the fast local unwinder, bounded at
/// `maxDepth` frames), at the sample, on the heap's owner thread. Naming waits for
/// the next flush (`takeDefinitions`), outside any pause.
struct StackTable {
    /// Frames kept per stack; deeper stacks lose their outermost frames.
    static let maxDepth = 64

    private var ids: [[UInt]: UInt64] = [:]
    private var byID: [UInt64: [UInt]] = [:]
    private var pending: [(id: UInt64, frames: [UInt])] = []
    private var named: Set<UInt> = []
    private var symbols: [UInt: Symbolizer.Symbol] = [:]
    private var nextID: UInt64 = 1

    /// Guest-language frames (`GuestFrame`) get addresses of their own: this bit
    /// set, and an index into `guestFrames`. Native code never lives there.
    static let guestBit: UInt = 1 << 63
    private var guestIDs: [GuestFrame: UInt] = [:]
    private var guestFrames: [GuestFrame] = []

    /// The id of the calling thread's stack (this function's caller outward), under
    /// `guest` frames (innermost first) when the heap's runtime gave some.
    mutating func captureAndIntern(guest: [GuestFrame] = []) -> UInt64 {
        var frames: [UInt] = []
        for g in guest {
            if let id = guestIDs[g] {
                frames.append(id)
            } else {
                let id = StackTable.guestBit | UInt(guestFrames.count)
                guestIDs[g] = id
                guestFrames.append(g)
                frames.append(id)
            }
        }
        return withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: StackTable.maxDepth) { buffer in
            let n = Int(hako_unw_backtrace(buffer.baseAddress, Int32(StackTable.maxDepth)))
            frames.reserveCapacity(frames.count + n)
            for i in 0..<max(0, n) { frames.append(UInt(bitPattern: buffer[i])) }
            return intern(frames)
        }
    }

    mutating func intern(_ frames: [UInt]) -> UInt64 {
        if let id = ids[frames] { return id }
        let id = nextID
        nextID += 1
        ids[frames] = id
        byID[id] = frames
        pending.append((id, frames))
        return id
    }

    /// The named frames of stack `id`, innermost first, with HakoGC's own frames
    /// (and runtime or library frames among them) trimmed from the top, as a reader
    /// trims them; "?" for a frame no symbol names.
    mutating func names(ofStack id: UInt64) -> [String] {
        guard let frames = byID[id] else { return [] }
        var out: [String] = []
        var trimming = true
        var nativeDepth = 0
        for pc in frames {
            let symbol = self.symbol(pc, depth: nativeDepth)
            if symbol.flags & 4 != 0 {  // a guest frame: kept, and native trimming starts below it
                out.append(symbol.file.isEmpty ? symbol.name : "\(symbol.name) (\(symbol.file))")
                continue
            }
            nativeDepth += 1
            if trimming && symbol.flags != 0 { continue }
            trimming = false
            out.append(symbol.name.isEmpty ? "?" : symbol.name)
        }
        return out
    }

    private mutating func symbol(_ pc: UInt, depth: Int) -> Symbolizer.Symbol {
        if let known = symbols[pc] { return known }
        if pc & StackTable.guestBit != 0 {
            let g = guestFrames[Int(pc & ~StackTable.guestBit)]
            let symbol = Symbolizer.Symbol(pc: pc, name: g.function, flags: 4, offset: UInt(g.line),
                                           file: g.line > 0 ? "\(g.file):\(g.line)" : g.file)
            symbols[pc] = symbol
            return symbol
        }
        let symbol = Symbolizer.symbol(pc, isReturnAddress: depth > 0)
        symbols[pc] = symbol
        return symbol
    }

    /// Records defining the stacks interned since the last call, preceded by a
    /// symbol record for each of their frames not named before.
    mutating func takeDefinitions() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for (id, frames) in pending {
            let guests = frames.prefix { $0 & StackTable.guestBit != 0 }.count
            for (depth, pc) in frames.enumerated() where !named.contains(pc) {
                named.insert(pc)
                out.append(symbol(pc, depth: depth - guests).record)
            }
            var stack = RecordBuilder(.stack)
            stack.word(id)
            stack.word(UInt64(frames.count))
            for pc in frames { stack.word(UInt64(pc)) }
            out.append(stack.finish())
        }
        pending.removeAll()
        return out
    }
}

/// One frame of a guest language's stack (a Python function, say), as a runtime
/// reports it for allocation samples (`Heap.guestStack`). A plain value.
public struct GuestFrame: Hashable, Sendable {
    public var function: String
    public var file: String
    /// 0 when unknown.
    public var line: Int

    public init(function: String, file: String = "", line: Int = 0) {
        self.function = function
        self.file = file
        self.line = line
    }
}

/// Names of code addresses, for the profile's symbol records.
enum Symbolizer {
    /// Mangled-name prefixes (and C names) of HakoGC's own code: the frames a
    /// reader trims from the top of an allocation stack (symbol flag bit 0).
    static let runtimePrefixes = ["$s6GcCore", "$s7GcTypes", "$s13CrossBoundary", "$s10GcProfiler", "hgc_", "hako_"]
    /// Code that belongs to no program in particular — the Swift standard library
    /// and runtime, the C library, libunwind (symbol flag bit 1): trimmed too while
    /// it lies among HakoGC's frames at the top of a stack (the profiler's own
    /// capture runs through `withUnsafeTemporaryAllocation`, say), kept below.
    static let neutralPrefixes = ["$ss", "$sS", "swift_", "_swift", "unw_", "_U", "__libc", "_dl"]

    /// A named code address.
    struct Symbol {
        let pc: UInt
        /// Demangled; "" when no symbol covers the address.
        let name: String
        /// Bit 0: HakoGC's code; bit 1: runtime or library code; bit 2: a guest
        /// frame (`name` its function, `file` "file:line") (symbol record flags).
        let flags: UInt64
        let offset: UInt
        let file: String
        /// The name as the symbol table has it ("" for a guest frame).
        var mangled = ""

        /// Its symbol record.
        var record: [UInt8] {
            var r = RecordBuilder(.symbol)
            r.word(UInt64(pc))
            r.word(flags)
            r.word(UInt64(offset))
            r.string(name)
            r.string(file)
            r.string(mangled)
            return r.finish()
        }
    }

    /// Names `pc`. A return address (every frame but the innermost) is looked up
    /// one byte earlier, inside the call instruction: a call that ends its function
    /// would otherwise be named after the next one.
    static func symbol(_ pc: UInt, isReturnAddress: Bool) -> Symbol {
        let lookup = isReturnAddress && pc > 0 ? pc - 1 : pc
        let (mangled, offset) = procName(lookup)
        let runtime = mangled.map { name in runtimePrefixes.contains { name.hasPrefix($0) } } ?? false
        let neutral = mangled.map { name in neutralPrefixes.contains { name.hasPrefix($0) } } ?? false
        return Symbol(pc: pc, name: mangled.map(demangle) ?? "", flags: (runtime ? 1 : 0) | (neutral ? 2 : 0),
                      offset: offset, file: objectFile(lookup) ?? "", mangled: mangled ?? "")
    }

    /// The mangled (or C) name of the function containing `pc`, from the ELF symbol
    /// tables (libunwind), and the offset of `pc` in it; nil when no symbol covers it
    /// (a stripped binary, generated code).
    static func procName(_ pc: UInt) -> (String?, UInt) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { buffer in
            var offset: UInt = 0
            guard hako_unw_proc_name(pc, buffer.baseAddress, 1024, &offset) == 0 else { return (nil, 0) }
            buffer[1023] = 0
            return (String(cString: buffer.baseAddress!), offset)
        }
    }

    /// The path of the object file mapped at `pc`, from /proc/self/maps (read again
    /// when a library loaded since is asked about). Not `dladdr`: it needs
    /// `_GNU_SOURCE`, which makes the C module's glibc types differ from Swift's.
    static func objectFile(_ pc: UInt) -> String? {
        if let hit = executableMappings.withLock({ $0.first { pc >= $0.start && pc < $0.end }?.path }) { return hit }
        let fresh = readMappings()
        executableMappings.withLock { $0 = fresh }
        return fresh.first { pc >= $0.start && pc < $0.end }?.path
    }

    private static let executableMappings = ProcessLock<[(start: UInt, end: UInt, offset: UInt, path: String)]>([])

    /// The executable mappings of the process with a file behind them.
    static func readMappings() -> [(start: UInt, end: UInt, offset: UInt, path: String)] {
        guard let file = fopen("/proc/self/maps", "r") else { return [] }
        defer { fclose(file) }
        var out: [(start: UInt, end: UInt, offset: UInt, path: String)] = []
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let bytes = line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }
            let text = String(decoding: bytes, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
            guard text.count >= 6, text[1].contains("x"), text[5].hasPrefix("/") else { continue }
            let range = text[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  let offset = UInt(text[2], radix: 16) else { continue }
            out.append((start, end, offset, text[5...].joined(separator: " ")))
        }
        return out
    }

    /// The demangled form of a Swift name; other names unchanged.
    static func demangle(_ name: String) -> String {
        guard name.hasPrefix("$s") || name.hasPrefix("_$s") else { return name }
        return name.withCString { mangled in
            guard let out = swift_demangle_c(mangled, strlen(mangled), nil, nil, 0) else { return name }
            defer { free(out) }
            return String(cString: out)
        }
    }

    /// Mapping records for the executable mappings of the process
    /// (/proc/self/maps), so a reader with the binaries can find file and line.
    static func mappingRecords() -> [[UInt8]] {
        readMappings().map { m in
            var record = RecordBuilder(.mapping)
            record.word(UInt64(m.start))
            record.word(UInt64(m.end))
            record.word(UInt64(m.offset))
            record.string(m.path)
            return record.finish()
        }
    }
}


// The Swift runtime's demangler (swift/Demangling/Demangle.h: `swift_demangle`);
// with a nil buffer it returns a malloc-ed string the caller frees.
@_silgen_name("swift_demangle")
private func swift_demangle_c(
    _ mangledName: UnsafePointer<CChar>?, _ mangledNameLength: Int,
    _ outputBuffer: UnsafeMutablePointer<CChar>?, _ outputBufferSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?
