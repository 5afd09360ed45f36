import GcCore

extension GcArray: RandomAccessCollection, MutableCollection {
    public typealias Index = Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { withElements { $0.count } }

    public subscript(position: Int) -> Element {
        get { withElements { $0[position] } }
        nonmutating set { modifyElements { $0[position] = newValue } }
    }

    public func index(after i: Int) -> Int { i + 1 }
    public func index(before i: Int) -> Int { i - 1 }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withElements { try $0.withUnsafeBufferPointer(body) }
    }
}

extension GcArray {
    public var capacity: Int { withElements { $0.capacity } }

    public func append(_ element: Element) { modifyElements { $0.append(element) } }

    public func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        modifyElements { $0.append(contentsOf: elements) }
    }

    public func insert(_ element: Element, at index: Int) { modifyElements { $0.insert(element, at: index) } }

    @discardableResult
    public func remove(at index: Int) -> Element { modifyElements { $0.remove(at: index) } }

    @discardableResult
    public func removeLast() -> Element { modifyElements { $0.removeLast() } }

    public func removeAll(keepingCapacity: Bool = false) {
        modifyElements { $0.removeAll(keepingCapacity: keepingCapacity) }
    }

    public func reserveCapacity(_ n: Int) { modifyElements { $0.reserveCapacity(n) } }

    public func sort(by areInIncreasingOrder: (Element, Element) throws -> Bool) rethrows {
        try modifyElements { try $0.sort(by: areInIncreasingOrder) }
    }

    /// Maps into a new `GcArray` in the same heap.
    public func gcMap<U>(_ transform: (Element) throws -> U) rethrows -> GcArray<U> {
        GcArray<U>(adopting: try withElements { try $0.map(transform) }, mayBeShared: false, in: heap)
    }

    /// Filters into a new `GcArray` in the same heap.
    public func gcFilter(_ isIncluded: (Element) throws -> Bool) rethrows -> GcArray<Element> {
        GcArray(adopting: try withElements { try $0.filter(isIncluded) }, mayBeShared: false, in: heap)
    }
}

extension GcArray where Element: Comparable {
    public func sort() { modifyElements { $0.sort() } }
}

extension GcArray: ExpressibleByArrayLiteral {
    /// An array in the calling thread's `DefaultHeap`.
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension GcArray: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.anchor.object == b.anchor.object || a.withElements { x in b.withElements { y in x == y } }
    }
}

extension GcArray: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) { withElements { hasher.combine($0) } }
}

extension GcArray: CustomStringConvertible {
    public var description: String { withElements { "GcArray(\($0))" } }
}
