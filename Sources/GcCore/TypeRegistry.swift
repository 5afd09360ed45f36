import Glibc

/// Why a registration was refused. A plain value.
public enum TypeRegistryError: Error, Equatable, CustomStringConvertible {
    /// Another name already holds this type id.
    case idCollision(id: UInt64, existing: String, new: String)
    /// The registry holds `TypeRegistry.capacity - 1` types already.
    case full(capacity: Int)
    /// The name is empty or not of the form `namespace/Name[@version]`.
    case invalidName(String)
    /// The name is registered already with another layout (payload size, reference
    /// offsets, acyclic flag or Swift type).
    case layoutMismatch(name: String)

    /// A one-line message naming the type(s) involved.
    public var description: String {
        switch self {
        case let .idCollision(id, existing, new):
            return "type id 0x\(String(id, radix: 16)) of \"\(new)\" is already taken by \"\(existing)\""
        case let .full(capacity):
            return "the type registry is full (\(capacity - 1) types)"
        case let .invalidName(name):
            return "\"\(name)\" is not a fully-qualified type name (namespace/Name[@version])"
        case let .layoutMismatch(name):
            return "\"\(name)\" is registered already with a different layout"
        }
    }
}

/// The process-wide type registry: id → descriptor, name → id, index → descriptor.
///
/// Thread rule: safe from any thread (a mutex guards registration; looking up an
/// index that a registration returned needs no lock). Registering the same name again
/// returns the descriptor already there; a different name with the same id is refused.
public final class TypeRegistry: Sendable {
    /// The one registry of the process; it keeps every registered descriptor.
    public static let shared = TypeRegistry()

    /// Index 0 is reserved for free slots, so 65 535 types fit in 16 header bits.
    public static let capacity = 1 << 16

    private struct State {
        var byID: [UInt64: TypeDescriptor] = [:]
        var count = 1
    }
    private let state = ProcessLock(State())
    // SAFETY: written once per index under `state`'s lock before the index is handed
    // out; never rewritten, so unlocked reads of handed-out indices are race-free.
    nonisolated(unsafe) private let table: UnsafeMutablePointer<Unmanaged<TypeDescriptor>?>

    /// `TypeFastInfo` per index, same rule as `table`. Untouched entries cost no memory
    /// (the allocation is not initialized, so its pages are never written).
    // SAFETY: as `table`; an entry is read only for indices found in live headers.
    @usableFromInline nonisolated(unsafe) let fastTable: UnsafeMutablePointer<TypeFastInfo>

    /// The type id per header type index, same rule as `table` (0 for indices not
    /// handed out). For code that reads headers itself — the C ABI's trusted inline
    /// functions turn a loaded object's index into its id with it. Any thread; the
    /// table never moves. Untouched pages cost no memory.
    // SAFETY: as `table`.
    nonisolated(unsafe) public let typeIDTable: UnsafeMutablePointer<UInt64>

    private init() {
        table = .allocate(capacity: TypeRegistry.capacity)
        table.initialize(repeating: nil, count: TypeRegistry.capacity)
        fastTable = .allocate(capacity: TypeRegistry.capacity)
        // calloc: zero without touching pages.
        typeIDTable = calloc(TypeRegistry.capacity, MemoryLayout<UInt64>.size)!.bindMemory(to: UInt64.self, capacity: TypeRegistry.capacity)
    }

    /// Registers `descriptor` (or finds the one registered under its name before).
    /// The registry keeps it for the life of the process. Any thread.
    /// - Returns: the registered descriptor, whose `index` is set. Use it, not the
    ///   argument: if the name was registered already, the argument stays unregistered
    ///   and its closures (including `finalize`) are ignored.
    /// - Throws: `.invalidName`, `.idCollision`, `.layoutMismatch`, `.full`.
    @discardableResult
    public func register(_ descriptor: TypeDescriptor) throws(TypeRegistryError) -> TypeDescriptor {
        // Id 0 means "no type" across the C ABI.
        guard TypeRegistry.isValidName(descriptor.name), descriptor.typeID != 0 else {
            throw .invalidName(descriptor.name)
        }
        return try state.withLock { (state) throws(TypeRegistryError) -> TypeDescriptor in
            if let existing = state.byID[descriptor.typeID] {
                if existing.name == descriptor.name {
                    guard existing.hasSameLayout(as: descriptor) else { throw .layoutMismatch(name: descriptor.name) }
                    return existing
                }
                throw .idCollision(id: descriptor.typeID, existing: existing.name, new: descriptor.name)
            }
            guard state.count < TypeRegistry.capacity else { throw .full(capacity: TypeRegistry.capacity) }
            descriptor.index = state.count
            descriptor.headerWord = 1 | (UInt64(state.count) << ObjectHeader.typeShift) | descriptor.initialFlags
            descriptor.sizeClass = descriptor.registeredSizeClass
            (fastTable + state.count).initialize(to: TypeFastInfo(descriptor))
            typeIDTable[state.count] = descriptor.typeID
            table[state.count] = Unmanaged.passRetained(descriptor)
            state.count += 1
            state.byID[descriptor.typeID] = descriptor
            return descriptor
        }
    }

    /// The descriptor registered under `id`, if any. Any thread.
    public func descriptor(forID id: UInt64) -> TypeDescriptor? {
        state.withLock { $0.byID[id] }
    }

    /// The id registered for `name`, if any. Any thread.
    public func typeID(forName name: String) -> UInt64? {
        let id = TypeID.hash(name)
        return state.withLock { $0.byID[id]?.name == name ? id : nil }
    }

    /// Number of registered types.
    public var count: Int { state.withLock { $0.count - 1 } }

    /// The descriptor at a header's type index. The index must come from a live object
    /// or a registered descriptor; any other index is undefined behaviour. Any thread.
    @inlinable
    public func descriptor(atIndex index: Int) -> TypeDescriptor {
        unsafeDescriptor(index).takeUnretainedValue()
    }

    @usableFromInline
    func unsafeDescriptor(_ index: Int) -> Unmanaged<TypeDescriptor> {
        table[index].unsafelyUnwrapped
    }

    /// Whether `name` is acceptable to `register`: `namespace/Name` with an optional
    /// `@version`; no spaces or control characters. Any thread.
    public static func isValidName(_ name: String) -> Bool {
        guard let slash = name.firstIndex(of: "/"), slash != name.startIndex,
              name.index(after: slash) != name.endIndex else { return false }
        return !name.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 }
    }
}
