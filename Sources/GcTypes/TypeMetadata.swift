@_spi(Reflection) import Swift

#if _runtime(_ObjC)
#error("TypeMetadata reads class metadata laid out without Objective-C interop (Linux)")
#endif

/// A read-only view of one type's runtime metadata: what `HandleDetection` needs to
/// walk a type's contents. All of GcTypes' raw metadata reading is in this file.
///
/// Layouts read here are the Swift runtime's stable ABI on 64-bit Linux (no
/// Objective-C interop), as declared in the compiler's `include/swift/ABI/Metadata.h`
/// and `RemoteInspection/Records.h`: value metadata (kind, descriptor, generic
/// arguments), class metadata (kind, superclass, sizes, descriptor), tuple metadata,
/// function metadata flags, nominal type descriptors with their generic context
/// header, and the reflection field descriptors the compiler emits for every
/// nominal type (the records `Mirror` reads). Field types are resolved with the
/// runtime's own mangled-name lookup (`_getTypeByMangledNameInContext`) against the
/// type's generic arguments, which, unlike `_forEachField`, also resolves enum
/// payloads and non-copyable types that depend on a generic parameter (`GcRc<T>?`).
/// For a stored property of a *concrete* non-copyable type the compiler records an
/// accessor that returns `()`; such a field is reported as `isHidden`.
///
/// Anything this reader does not understand is reported as `nil` / `.unknown`, never
/// guessed: the caller refuses such types.
///
/// Ownership: a plain value over metadata, which lives for the process. Thread rule:
/// any thread (metadata is immutable once complete; the lookup is thread-safe).
struct TypeMetadata {
    /// The metadata address (what a metatype value is).
    let address: UnsafeRawPointer

    init(_ type: Any.Type) {
        // SAFETY: a metatype is one pointer to the type's (complete) metadata.
        address = unsafeBitCast(type, to: UnsafeRawPointer.self)
    }

    /// The metatype, for names and conformance checks. For a non-copyable type it is
    /// only ever used as a metadata pointer, never to make a value.
    var type: Any.Type { unsafeBitCast(address, to: Any.Type.self) }

    /// The metadata kinds this reader distinguishes (MetadataKind.def).
    enum Kind: Equatable {
        case `class`, `struct`, `enum`, optional, tuple, function, existential, metatype
        case existentialMetatype, extendedExistential, opaque, foreignClass, foreignReference
        /// `Builtin.FixedArray<n, Element>`, the storage of `InlineArray`.
        case fixedArray
        case unknown(UInt)
    }

    var kind: Kind {
        let raw = address.load(as: UInt.self)
        switch raw {
        case 0: return .class
        case 0x200: return .struct
        case 0x201: return .enum
        case 0x202: return .optional
        case 0x203: return .foreignClass
        case 0x204: return .foreignReference
        case 0x300: return .opaque
        case 0x301: return .tuple
        case 0x302: return .function
        case 0x303: return .existential
        case 0x304: return .metatype
        case 0x306: return .existentialMetatype
        case 0x307: return .extendedExistential
        case 0x308: return .fixedArray
        // Above 0x7FF the word is an Objective-C isa: a class (not on Linux).
        default: return raw > 0x7FF ? .class : .unknown(raw)
        }
    }

    // MARK: Nominal types

    /// The nominal type descriptor of a struct, enum, optional or class (one per
    /// declaration, shared by every generic specialization).
    var descriptor: UnsafeRawPointer? {
        switch kind {
        // SAFETY: value metadata word 1 is the descriptor; class metadata (Swift, no
        // Objective-C interop) has kind, superclass, 24 bytes of sizes and flags, then
        // the descriptor at word 5.
        case .struct, .enum, .optional: return address.load(fromByteOffset: 8, as: UnsafeRawPointer?.self)
        case .class: return address.load(fromByteOffset: 40, as: UnsafeRawPointer?.self)
        default: return nil
        }
    }

    /// A class's superclass, if any (Swift classes on Linux have no root class).
    var superclass: TypeMetadata? {
        guard kind == .class else { return nil }
        // SAFETY: class metadata word 1 is the superclass metadata or null.
        return address.load(fromByteOffset: 8, as: UnsafeRawPointer?.self).map(TypeMetadata.init(address:))
    }

    private init(address: UnsafeRawPointer) { self.address = address }

    /// Descriptor flags: kind in bits 0–4, generic 0x80, kind-specific bits 16–31.
    private static func flags(_ d: UnsafeRawPointer) -> UInt32 { d.load(as: UInt32.self) }

    /// Size of the descriptor before its trailing generic context header.
    private static func descriptorSize(_ d: UnsafeRawPointer) -> Int? {
        switch flags(d) & 0x1F {
        case 16: return 44  // class: 11 32-bit words
        case 17, 18: return 28  // struct, enum: 7 32-bit words
        default: return nil
        }
    }

    /// The generic arguments of a nominal type, in declaration order (the parent
    /// type's first), with value arguments (`let n: Int`) left out; `nil` when they
    /// cannot be read (parameter packs, a class with a resilient superclass).
    var genericArguments: [TypeMetadata]? {
        guard let d = descriptor, let size = Self.descriptorSize(d) else { return nil }
        let flags = Self.flags(d)
        guard flags & 0x80 != 0 else { return [] }
        // SAFETY: a generic descriptor is followed by its generic context header
        // (instantiation cache and pattern, 2 × 32 bits; then NumParams, NumRequirements,
        // NumKeyArguments, Flags, 4 × 16 bits) and one byte per parameter.
        let header = d + size
        let parameterCount = Int(header.load(fromByteOffset: 8, as: UInt16.self))
        let contextFlags = header.load(fromByteOffset: 14, as: UInt16.self)
        guard contextFlags & 0x1 == 0 else { return nil }  // HasTypePacks: shape words first
        guard let arguments = argumentVector(d, flags) else { return nil }
        var result: [TypeMetadata] = []
        var word = 0
        for i in 0..<parameterCount {
            let parameter = header.load(fromByteOffset: 16 + i, as: UInt8.self)
            guard parameter & 0x80 != 0 else { continue }  // no key argument: not in the vector
            switch parameter & 0x3F {
            case 0:  // a type: its metadata
                // SAFETY: key arguments are pointer-sized, in parameter order.
                guard let m = arguments.load(fromByteOffset: word * 8, as: UnsafeRawPointer?.self) else { return nil }
                result.append(TypeMetadata(address: m))
            case 2: break  // a value (InlineArray's count): not a type
            default: return nil  // a pack, or a kind this reader does not know
            }
            word += 1
        }
        return result
    }

    /// Where the generic arguments start in this metadata.
    private func argumentVector(_ d: UnsafeRawPointer, _ flags: UInt32) -> UnsafeRawPointer? {
        guard kind == .class else { return address + 16 }  // value metadata: from word 2
        let classFlags = flags >> 16
        guard classFlags & (1 << 13) == 0 else { return nil }  // resilient superclass: bounds not stored here
        // SAFETY: class descriptor words 6, 7, 8: negative size, positive size, immediate members.
        if classFlags & (1 << 12) != 0 {  // immediate members at negative offsets
            return address - Int(d.load(fromByteOffset: 24, as: UInt32.self)) * 8
        }
        let positive = Int(d.load(fromByteOffset: 28, as: UInt32.self))
        let immediate = Int(d.load(fromByteOffset: 32, as: UInt32.self))
        return address + (positive - immediate) * 8
    }

    /// One stored property of a struct or class, or one payload case of an enum.
    struct Field {
        let name: String
        /// `nil` when the runtime could not resolve the field's mangled type name.
        let type: TypeMetadata?
        let mangledName: String
        /// The compiler hid the field's type from reflection: for a stored property of
        /// a concrete non-copyable type (a `GcRc<Node>?` in a class, say) it records an
        /// accessor function (symbolic reference kind 0x09) that returns `()` instead.
        let isHidden: Bool
    }

    /// The stored properties of a struct or class (not its superclass's), or the
    /// payload cases of an enum (cases without payload are left out); `nil` when the
    /// type has fields but no reflection records to describe them.
    var fields: [Field]? {
        guard let d = descriptor, Self.descriptorSize(d) != nil else { return nil }
        // SAFETY: descriptor word 4 is a relative pointer to the field descriptor;
        // word 5 is NumFields (struct), payload cases in its low 24 bits (enum), or
        // word 9 (class).
        let declared: Int
        switch Self.flags(d) & 0x1F {
        case 16: declared = Int(d.load(fromByteOffset: 36, as: UInt32.self))
        case 17: declared = Int(d.load(fromByteOffset: 20, as: UInt32.self))
        default: declared = Int(d.load(fromByteOffset: 20, as: UInt32.self) & 0xFF_FFFF)
        }
        guard let fieldDescriptor = Self.relative(d + 16) else { return declared == 0 ? [] : nil }
        let arguments = Self.flags(d) & 0x80 != 0 ? argumentVector(d, Self.flags(d)) : nil
        if Self.flags(d) & 0x80 != 0 && arguments == nil { return nil }
        // SAFETY: field descriptor: mangled type name, superclass (2 relative
        // pointers), kind and record size (2 × 16 bits), record count (32 bits); then
        // records of flags, mangled type name, field name (3 × 32 bits).
        let recordSize = Int(fieldDescriptor.load(fromByteOffset: 10, as: UInt16.self))
        let count = Int(fieldDescriptor.load(fromByteOffset: 12, as: UInt32.self))
        guard recordSize >= 12 else { return nil }
        var result: [Field] = []
        for i in 0..<count {
            let record = fieldDescriptor + 16 + i * recordSize
            let name = Self.relative(record + 8).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "#\(i)"
            guard let mangled = Self.relative(record + 4) else { continue }  // an enum case without payload
            let length = Self.mangledNameLength(mangled)
            let bytes = mangled.assumingMemoryBound(to: UInt8.self)
            let resolved = _getTypeByMangledNameInContext(
                bytes, UInt(length), genericContext: d, genericArguments: arguments)
            let printable = String(decoding: UnsafeBufferPointer(start: bytes, count: length).map { $0 < 0x20 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
            let hidden = bytes[0] == 0x09 && resolved.map { $0 == Void.self } == true
            result.append(Field(name: name, type: resolved.map(TypeMetadata.init), mangledName: printable, isHidden: hidden))
        }
        return result
    }

    /// The target of a 32-bit self-relative pointer, or nil if it is 0.
    private static func relative(_ p: UnsafeRawPointer) -> UnsafeRawPointer? {
        let offset = p.load(as: Int32.self)
        return offset == 0 ? nil : p + Int(offset)
    }

    /// Length of a mangled name that may embed symbolic references: a byte 1…0x17 is
    /// followed by a 32-bit relative reference, 0x18…0x1F by a pointer; 0 ends it.
    private static func mangledNameLength(_ p: UnsafeRawPointer) -> Int {
        var i = 0
        while true {
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            switch c {
            case 0: return i
            case 0x01...0x17: i += 5
            case 0x18...0x1F: i += 9
            default: i += 1
            }
        }
    }

    // MARK: Tuples and functions

    /// A tuple's element types.
    var tupleElements: [TypeMetadata] {
        guard kind == .tuple else { return [] }
        // SAFETY: tuple metadata: kind, NumElements, labels; then one (metadata,
        // offset) pair of 2 words per element.
        let count = address.load(fromByteOffset: 8, as: Int.self)
        return (0..<count).map { TypeMetadata(address: address.load(fromByteOffset: 24 + $0 * 16, as: UnsafeRawPointer.self)) }
    }

    /// The element type of a `Builtin.FixedArray`.
    var fixedArrayElement: TypeMetadata? {
        guard kind == .fixedArray else { return nil }
        // SAFETY: fixed-array metadata: kind, count, element metadata.
        return address.load(fromByteOffset: 16, as: UnsafeRawPointer?.self).map(TypeMetadata.init(address:))
    }

    /// Whether a function type's values can carry a context (captures): Swift and
    /// block conventions can; thin functions and C function pointers cannot.
    var functionCanCapture: Bool {
        // SAFETY: function metadata word 1 holds the flags; convention in bits 16–23.
        let convention = (address.load(fromByteOffset: 8, as: UInt.self) >> 16) & 0xFF
        return convention != 2 && convention != 3
    }
}
