import GcCore

/// A Swift type whose values live in a HakoGC heap.
///
/// Declare the heap type once and report every reference field in `trace`:
///
/// ```swift
/// struct Node: GcObject, ~Copyable {
///     static let gcType = GcType<Node>(name: "myapp/Node")
///     var left: GcRc<Node>?
///     var right: GcRc<Node>?
///     func trace(into tracer: inout GcTracer) { tracer.visit(left); tracer.visit(right) }
/// }
/// ```
///
/// `trace` must report every `GcRc` the value holds, once per field, and nothing
/// else, and change nothing. What a wrong `trace` causes is bounded, so a
/// conformance is safe code: releasing, allocating or `mutate` inside it
/// stops the process with a message; reporting a field twice (or a `GcRc` the value
/// does not hold) can make a live object look like garbage, and the heap stops the
/// process before that object's memory is freed; skipping a field leaks its target.
/// No wrong `trace` lets safe code reach freed memory.
///
/// A `deinit` on the value runs when it is freed. When its object dies in a garbage
/// cycle, the other objects of that cycle are being torn down: reading or mutating
/// one stops the process, and keeping one (copying or moving it out) stops it
/// before that object's memory is freed. Work that needs the whole cycle belongs in
/// the type's finalizer, which runs while every object of the cycle is intact. Types without references keep the default (empty) `trace`. Trivial
/// (POD) types are recognised by `GcType` itself: never cycle candidates, nothing to
/// trace or deinitialize, freed on the heap's fastest path. Other types without
/// `GcRc` fields (a `String` field, say) pass `acyclic: true` to `GcType`.
public protocol GcObject: ~Copyable {
    /// The registered heap type (usually a `static let`; registered on first use).
    static var gcType: GcType<Self> { get }
    /// Reports every `GcRc` field to `tracer`; called by the collector on the heap's
    /// owner thread while the value is in the heap.
    func trace(into tracer: inout GcTracer)
    /// Bytes the value holds outside the heap (a Swift array's buffer), for detailed
    /// statistics and leak reports; read on the owner thread. Must only read.
    var gcOutsideBytes: Int { get }
}

extension GcObject where Self: ~Copyable {
    /// Reports nothing: for types without `GcRc` fields.
    public func trace(into tracer: inout GcTracer) {}
    /// None, unless the type says otherwise.
    public var gcOutsideBytes: Int { 0 }
}

/// Hands the references of one value to the collector (GcCore's `Tracer`).
public typealias GcTracer = Tracer

extension Tracer {
    /// Reports one `GcRc` field (borrowed; no count changes).
    @inlinable
    public mutating func visit<U: GcObject & ~Copyable>(_ ref: borrowing GcRc<U>) {
        visit(ref.object)
    }

    /// Reports an optional `GcRc` field; `nil` reports nothing.
    @inlinable
    public mutating func visit<U: GcObject & ~Copyable>(_ ref: borrowing GcRc<U>?) {
        switch ref {
        case .some(let r): visit(r.object)
        case .none: break
        }
    }
}

/// The heap type of a Swift type: its registered `TypeDescriptor`.
///
/// Ownership: a plain value; the descriptor it names is registered for the life of
/// the process (the registry keeps it), so copying a `GcType` costs no reference
/// counting. Thread rule: create it from any thread (usually as a `static let`).
/// Misuse: a name that is malformed or whose id is taken by another name stops the
/// process at start-up with the registry's message (`init(registering:)` throws instead).
public struct GcType<T: GcObject & ~Copyable>: @unchecked Sendable {
    /// Unretained: registered descriptors are never freed.
    public let unmanaged: Unmanaged<TypeDescriptor>
    /// The registered descriptor.
    public var descriptor: TypeDescriptor { unmanaged.takeUnretainedValue() }

    /// Wraps a descriptor registered already for `T` (by a `GcType<T>`). A
    /// descriptor that is unregistered or was registered for another Swift type
    /// stops the process with a message.
    @inlinable
    public init(registered descriptor: TypeDescriptor) {
        misusePrecondition(descriptor.index != 0, "HakoGC: \(descriptor.name) is not registered")
        misusePrecondition(descriptor.swiftType == ObjectIdentifier(T.self),
                     "HakoGC: \(descriptor.name) was not registered for \(T.self)")
        unmanaged = Unmanaged.passUnretained(descriptor)
    }

    /// Registers `T` under `name` (or finds it registered already). Any thread. A
    /// refused registration stops the process with the registry's message.
    /// - Parameters:
    ///   - name: fully qualified, `namespace/Name[@version]`.
    ///   - acyclic: instances can never be part of a cycle (no references to
    ///     non-acyclic types); they are never cycle candidates and `trace` is never
    ///     called, so a cycle through such a type is never collected.
    ///   - fields: `.referencesOnly` for types made of `GcRc` / `GcRc?` fields and no
    ///     `deinit`: the heap then handles their references itself, without a call
    ///     into the type (faster); checked here, see `GcFieldLayout`.
    ///   - finalize: runs once before an instance is freed, on the heap's owner
    ///     thread, with a borrowed handle; copying the handle somewhere live
    ///     resurrects the object.
    @inlinable
    public init(
        name: String, acyclic: Bool = false, fields: GcFieldLayout = .traced,
        finalize: ((borrowing GcRc<T>) -> Void)? = nil
    ) {
        do {
            try self.init(registering: name, acyclic: acyclic, fields: fields, finalize: finalize)
        } catch {
            fatalError("HakoGC: cannot register \(T.self): \(error)")
        }
    }

    /// Like `init(name:acyclic:fields:finalize:)`, but reports a refused registration.
    /// `T` aligned above 16 bytes, or a `.referencesOnly` declaration that its check
    /// refutes, stops the process with a message.
    /// - Throws: the `TypeRegistryError` from `TypeRegistry.register`.
    @inlinable
    public init(
        registering name: String, acyclic: Bool = false, fields: GcFieldLayout = .traced,
        finalize: ((borrowing GcRc<T>) -> Void)? = nil
    ) throws(TypeRegistryError) {
        let finalizer: FinalizeFunction? = finalize.map { body in
            { _, object in
                let handle = GcRc<T>(unsafeRetaining: object)
                body(handle)
            }
        }
        // A trivial (POD) value holds no GcRc (GcRc has a deinit) and needs no
        // deinitialization: no trace, no drop, so its objects free on the fastest path.
        let trivial = _isPOD(T.self)
        if fields == .referencesOnly && !trivial {
            unmanaged = Unmanaged.passUnretained(try GcType.registerReferencesOnly(name, acyclic, finalizer))
            return
        }
        let descriptor = try TypeRegistry.shared.register(TypeDescriptor(
            name: name, payloadSize: MemoryLayout<T>.size, acyclic: acyclic || trivial,
            trace: acyclic || trivial ? nil : { payload, tracer in
                payload.assumingMemoryBound(to: T.self).pointee.trace(into: &tracer)
            },
            drop: trivial ? nil : { payload in payload.assumingMemoryBound(to: T.self).deinitialize(count: 1) },
            finalize: finalizer, swiftType: ObjectIdentifier(T.self),
            outsideBytes: trivial ? nil : { payload in payload.assumingMemoryBound(to: T.self).pointee.gcOutsideBytes }))
        unmanaged = Unmanaged.passUnretained(descriptor)
        misusePrecondition(MemoryLayout<T>.alignment <= 16, "HakoGC: \(T.self) needs alignment above 16")
    }

    /// Registers `T` with its references at fixed offsets and neither trace nor drop.
    @usableFromInline
    static func registerReferencesOnly(
        _ name: String, _ acyclic: Bool, _ finalizer: FinalizeFunction?
    ) throws(TypeRegistryError) -> TypeDescriptor {
        switch ReferenceLayoutCheck.offsets(of: T.self) {
        case .failure(let failure):
            fatalError("HakoGC: \(name) is declared fields: .referencesOnly, but \(failure)")
        case .success(let offsets):
            return try TypeRegistry.shared.register(TypeDescriptor(
                name: name, payloadSize: MemoryLayout<T>.size, acyclic: acyclic,
                referenceOffsets: offsets,
                finalize: finalizer, swiftType: ObjectIdentifier(T.self)))
        }
    }
}
