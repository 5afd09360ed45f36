import GcCore

extension GcArray: RandomAccessCollection, MutableCollection {
    /// Positions are `Int` offsets, as for `Array`.
    public typealias Index = Int

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The element count, read now (another handle's writes change it).
    public var endIndex: Int { withElements { $0.count } }

    /// Reads or writes one element; a position out of range stops the process.
    public subscript(position: Int) -> Element {
        get { withElements { $0[position] } }
        nonmutating set { modifyElements { $0[position] = newValue } }
    }

    /// `i + 1` (not checked against the bounds).
    public func index(after i: Int) -> Int { i + 1 }
    /// `i - 1` (not checked against the bounds).
    public func index(before i: Int) -> Int { i - 1 }

    /// Calls `body` with the elements' contiguous storage, valid only during the call.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withElements { try $0.withUnsafeBufferPointer(body) }
    }
}

extension GcArray {
    /// Elements the current buffer can hold without reallocating.
    public var capacity: Int { withElements { $0.capacity } }

    /// Appends in place; every handle sees it.
    public func append(_ element: Element) { modifyElements { $0.append(element) } }

    /// Appends in place; every handle sees it.
    public func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        modifyElements { $0.append(contentsOf: elements) }
    }

    /// Inserts in place; an index out of range stops the process.
    public func insert(_ element: Element, at index: Int) { modifyElements { $0.insert(element, at: index) } }

    /// Removes and returns one element; an index out of range stops the process.
    @discardableResult
    public func remove(at index: Int) -> Element { modifyElements { $0.remove(at: index) } }

    /// Removes and returns the last element; an empty array stops the process.
    @discardableResult
    public func removeLast() -> Element { modifyElements { $0.removeLast() } }

    /// Empties the array in place.
    public func removeAll(keepingCapacity: Bool = false) {
        modifyElements { $0.removeAll(keepingCapacity: keepingCapacity) }
    }

    /// Reserves room for `n` elements.
    public func reserveCapacity(_ n: Int) { modifyElements { $0.reserveCapacity(n) } }

    /// Sorts in place; the closure must not touch this array (that stops the process).
    public func sort(by areInIncreasingOrder: (Element, Element) throws -> Bool) rethrows {
        try modifyElements { try $0.sort(by: areInIncreasingOrder) }
    }

    /// Maps into a new `GcArray` in the same heap; `transform` may read but not write
    /// this array.
    public func gcMap<U>(_ transform: (Element) throws -> U) rethrows -> GcArray<U> {
        GcArray<U>(adopting: try withElements { try $0.map(transform) }, mayBeShared: false, in: heap)
    }

    /// Filters into a new `GcArray` in the same heap; `isIncluded` may read but not
    /// write this array.
    public func gcFilter(_ isIncluded: (Element) throws -> Bool) rethrows -> GcArray<Element> {
        GcArray(adopting: try withElements { try $0.filter(isIncluded) }, mayBeShared: false, in: heap)
    }
}

extension GcArray where Element: Comparable {
    /// Sorts in place, ascending.
    public func sort() { modifyElements { $0.sort() } }
}

extension GcArray: ExpressibleByArrayLiteral {
    /// An array in the calling thread's `DefaultHeap`.
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension GcArray: Equatable where Element: Equatable {
    /// Same elements (or the same heap array).
    public static func == (a: Self, b: Self) -> Bool {
        a.anchor.object == b.anchor.object || a.withElements { x in b.withElements { y in x == y } }
    }
}

extension GcArray: Hashable where Element: Hashable {
    /// Hashes the current elements: a handle used as a dictionary key must not be
    /// written through afterwards.
    public func hash(into hasher: inout Hasher) { withElements { hasher.combine($0) } }
}

extension GcArray: CustomStringConvertible {
    /// `GcArray([…])` with the current elements.
    public var description: String { withElements { "GcArray(\($0))" } }
}
