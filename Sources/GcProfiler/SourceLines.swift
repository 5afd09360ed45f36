import Foundation

// File and line of native frames, resolved offline: the profiled process records
// its executable mappings (docs/event-log.md, "mapping"); here each frame's address
// becomes an address in its object file, and `llvm-symbolizer` (or binutils'
// `addr2line`) reads that file's DWARF line table. Without debug information the
// tools answer "??:0" and the frame keeps its name only.

extension LogNames {
    /// Fills `Symbol.location` ("File.swift:123") of every native frame whose object
    /// file is still where the log says and has line information, using the first of
    /// `tools` found on PATH. Runs one process per object file. Returns how many
    /// frames were resolved; 0 when no tool is found (nothing else changes).
    @discardableResult
    public mutating func resolveSourceLines(tools: [String] = ["llvm-symbolizer", "addr2line"]) -> Int {
        guard let tool = tools.lazy.compactMap(LogNames.findOnPath).first else { return 0 }
        var byFile: [String: [(pc: UInt64, address: UInt64)]] = [:]
        for (pc, symbol) in symbols where !symbol.isGuest {
            guard let m = mappings.first(where: { pc >= $0.start && pc < $0.end }),
                  let base = ELFSegments.virtualAddress(ofFileOffset: m.offset, in: m.path) else { continue }
            // A return address points after its call: look one byte back, inside it.
            let address = pc - m.start + base - (pc > m.start ? 1 : 0)
            byFile[m.path, default: []].append((pc, address))
        }
        var resolved = 0
        for (path, list) in byFile {
            let lines = LogNames.symbolize(tool: tool, file: path, addresses: list.map(\.address))
            for (entry, line) in zip(list, lines) where !line.hasPrefix("??") && !line.hasSuffix(":0") {
                symbols[entry.pc]?.location = line
                resolved += 1
            }
        }
        return resolved
    }

    static func findOnPath(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// "file:line" per address, in order ("??:0" where the tool knows nothing).
    static func symbolize(tool: String, file: String, addresses: [UInt64]) -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        let llvm = tool.hasSuffix("llvm-symbolizer")
        process.arguments = llvm ? ["--obj=\(file)", "--output-style=GNU", "--no-inlines", "--functions=none"] : ["-e", file]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return addresses.map { _ in "??:0" } }
        let text = addresses.map { "0x" + String($0, radix: 16) }.joined(separator: "\n") + "\n"
        // The tool answers as it reads: write and read on separate threads.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(text.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // llvm-symbolizer separates answers with an empty line; addr2line does not.
        lines = lines.filter { !$0.isEmpty }
        guard lines.count >= addresses.count else { return addresses.map { _ in "??:0" } }
        return Array(lines.prefix(addresses.count)).map { line in
            // Drop a trailing " (discriminator N)".
            line.range(of: " (discriminator").map { String(line[..<$0.lowerBound]) } ?? line
        }
    }
}

/// The program headers of a 64-bit little-endian ELF file: where a file offset is
/// loaded, relative to the file's own addresses.
enum ELFSegments {
    /// The virtual address (as the file's DWARF names addresses) that `offset` — a
    /// mapping's file offset — is loaded at, from the PT_LOAD segment containing it;
    /// nil when the file is missing or not such an ELF file.
    static func virtualAddress(ofFileOffset offset: UInt64, in path: String) -> UInt64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 64), header.count == 64,
              Array(header.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2, header[5] == 1 else { return nil }
        func u(_ data: Data, _ at: Int, _ size: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<size { v |= UInt64(data[data.startIndex + at + i]) << (8 * UInt64(i)) }
            return v
        }
        let phoff = u(header, 0x20, 8), phentsize = Int(u(header, 0x36, 2)), phnum = Int(u(header, 0x38, 2))
        guard phentsize >= 56, phnum > 0, phnum < 4096 else { return nil }
        try? handle.seek(toOffset: phoff)
        guard let table = try? handle.read(upToCount: phentsize * phnum), table.count == phentsize * phnum else { return nil }
        for i in 0..<phnum {
            let at = i * phentsize
            guard u(table, at, 4) == 1 else { continue }  // PT_LOAD
            let fileOffset = u(table, at + 8, 8), vaddr = u(table, at + 16, 8), filesz = u(table, at + 32, 8)
            // A mapping starts at its segment's offset rounded down to a page.
            if offset >= fileOffset & ~0xFFF && offset < fileOffset + max(filesz, 1) { return vaddr &- (fileOffset &- offset) }
        }
        return nil
    }
}

extension EventLogContents {
    /// `LogNames.resolveSourceLines(tools:)` on this log's names.
    @discardableResult
    public mutating func resolveSourceLines(tools: [String] = ["llvm-symbolizer", "addr2line"]) -> Int {
        names.resolveSourceLines(tools: tools)
    }
}
