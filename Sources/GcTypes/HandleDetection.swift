import GcCore

/// Finds heap handles anywhere inside a Swift type, for the plain-value containers
/// (`GcArray`), whose elements the collector never traces.
///
/// A heap handle (`GcBox`, `GcArray`, `GcString`, `GcRefArray`, any `GcHandle`,
/// `GcRc`, `GcWeak`, a `GcRefArrayStorage`, or the anchor behind the Copyable
/// handles) held by an untraced value is a root the collector cannot see: a cycle
/// through it is never collected. So such element types are refused at registration.
///
/// The walk reads the type's runtime metadata (`TypeMetadata`), recursively:
/// - struct stored properties, class stored properties and the superclass's,
///   enum payload cases (indirect ones too), tuple elements;
/// - the generic arguments of every nominal type, so `[T]`, `ContiguousArray<T>`,
///   `[K: V]`, `Set<T>`, `Optional<T>`, `InlineArray<n, T>` and a user's
///   `Wrapper<T>` are refused when `T` is (their elements live in storage that
///   their stored properties do not name);
/// - each type once (a visited set), so recursive types end.
///
/// Refused conservatively, because what a value holds is not known from its type:
/// existentials (`Any`, `AnyObject`, `any P`; so also `AnyHashable`, `ArraySlice`
/// (its buffer owner is an `AnyObject`) and `Result<_, any Error>`), closures (a Swift
/// function value can capture a handle), parameter packs, metadata this reader does
/// not know, fields whose type the runtime cannot resolve or that have no reflection
/// records, and a class's stored property of a concrete non-copyable type (the
/// compiler hides its type from reflection, so a `GcRc<Node>?` there looks like a
/// `Mutex`), and types nested more than `maximumDepth` levels or `maximumTypes` types
/// deep (polymorphic recursion).
/// Accepted, because they own nothing the handle walk could find: metatypes, C
/// function pointers and thin functions, builtin storage (described by the generic
/// arguments of the type using it), imported C types, and `ObjectRef` (a raw
/// address holding no count; the raw API is unsafe anyway).
///
/// Known gaps (not found): an instance of a *subclass* stored in a field declared
/// with its superclass type (only the declared class's fields are walked), and
/// handles reached through unsafe pointers (`UnsafeMutablePointer<T>` is walked
/// through `T`, an `UnsafeRawPointer` is not).
///
/// Thread rule: any thread; called once per element type, when it registers.
enum HandleDetection {
    /// Why a type is refused, and the path that leads there.
    struct Finding: CustomStringConvertible {
        /// `true`: a heap handle was found; `false`: something whose contents cannot be checked.
        let isHandle: Bool
        /// From the checked type to the offending one: ["T", "label: U", …].
        let path: [String]
        /// What was found at the end of the path.
        let what: String

        /// "T › label: U › … is …", long paths shortened in the middle.
        var description: String {
            let shown = path.count <= 8 ? path : Array(path.prefix(3)) + ["…"] + Array(path.suffix(4))
            return shown.map { $0.count <= 160 ? $0 : String($0.prefix(157)) + "…" }.joined(separator: " › ") + " " + what
        }
    }

    /// The first heap handle (or uncheckable part) inside `type`, or nil if it has none.
    static func find(in type: Any.Type) -> Finding? {
        var walk = Walk()
        let root = TypeMetadata(type)
        return walk.visit(root, path: [name(of: root)])
    }

    /// Most types one check walks before giving up (and refusing): polymorphic
    /// recursion (`indirect enum T<X> { case a(T<[X]>) }`) makes new types forever.
    static let maximumTypes = 10_000
    /// Deepest nesting walked (the walk recurses; each level is a few stack frames).
    static let maximumDepth = 100

    /// Nominal descriptors of the handle types (one per declaration, shared by every
    /// specialization).
    private static let handleDescriptors: [UInt: String] = {
        func descriptor<T: ~Copyable>(_ type: T.Type) -> UInt {
            // SAFETY: a metatype is a metadata pointer whatever its constraints.
            UInt(bitPattern: TypeMetadata(unsafeBitCast(type as any ~Copyable.Type, to: Any.Type.self)).descriptor!)
        }
        return [
            descriptor(GcRc<GcStringStorage>.self): "a GcRc (heap reference)",
            descriptor(GcWeak<GcStringStorage>.self): "a GcWeak (holds its Heap)",
            descriptor(GcAnchor.self): "the anchor of a Copyable heap handle",
            descriptor(GcRefArrayStorage<GcStringStorage>.self): "counted heap references",
        ]
    }()

    private static func name(of type: TypeMetadata) -> String { _typeName(type.type, qualified: false) }

    private struct Walk {
        var visited: Set<UnsafeRawPointer> = []

        mutating func visit(_ type: TypeMetadata, path: [String]) -> Finding? {
            guard visited.insert(type.address).inserted else { return nil }
            guard visited.count <= HandleDetection.maximumTypes, path.count <= HandleDetection.maximumDepth else {
                return Finding(isHandle: false, path: path, what: "is nested too deeply to be checked (more than \(HandleDetection.maximumTypes) types or \(HandleDetection.maximumDepth) levels)")
            }
            if let d = type.descriptor, let what = HandleDetection.handleDescriptors[UInt(bitPattern: d)] {
                return Finding(isHandle: true, path: path, what: "is \(what)")
            }
            switch type.kind {
            case .struct, .enum, .optional, .class:
                if type.type is any GcHandle.Type {
                    return Finding(isHandle: true, path: path, what: "is a heap handle (GcHandle)")
                }
                return visitNominal(type, path: path)
            case .tuple:
                for (i, element) in type.tupleElements.enumerated() {
                    if let f = visit(element, path: path + [".\(i): \(name(of: element))"]) { return f }
                }
                return nil
            case .fixedArray:
                guard let element = type.fixedArrayElement else {
                    return Finding(isHandle: false, path: path, what: "is a fixed-size array whose element type cannot be read")
                }
                return visit(element, path: path + ["element: \(name(of: element))"])
            case .function:
                guard type.functionCanCapture else { return nil }
                return Finding(isHandle: false, path: path, what: "is a closure, whose captures cannot be checked")
            case .existential, .extendedExistential:
                return Finding(isHandle: false, path: path, what: "is an existential, whose contents cannot be checked")
            case .metatype, .existentialMetatype, .opaque, .foreignClass, .foreignReference:
                return nil
            case .unknown(let raw):
                return Finding(isHandle: false, path: path, what: "has metadata of kind 0x\(String(raw, radix: 16)), which cannot be checked")
            }
        }

        private mutating func visitNominal(_ type: TypeMetadata, path: [String]) -> Finding? {
            guard let arguments = type.genericArguments else {
                return Finding(isHandle: false, path: path, what: "has generic arguments that cannot be read")
            }
            for argument in arguments {
                if let f = visit(argument, path: path + ["generic argument: \(name(of: argument))"]) { return f }
            }
            guard let fields = type.fields else {
                return Finding(isHandle: false, path: path, what: "has stored properties without reflection metadata")
            }
            for field in fields {
                guard let fieldType = field.type else {
                    return Finding(isHandle: false, path: path + [field.name],
                                   what: "has a type the runtime cannot resolve (\(field.mangledName))")
                }
                guard !field.isHidden else {
                    return Finding(isHandle: false, path: path + [field.name],
                                   what: "is a non-copyable stored property, whose type the compiler hides from reflection (it may be a GcRc)")
                }
                if let f = visit(fieldType, path: path + ["\(field.name): \(name(of: fieldType))"]) { return f }
            }
            if let superclass = type.superclass {
                return visit(superclass, path: path + ["superclass: \(name(of: superclass))"])
            }
            return nil
        }
    }
}
