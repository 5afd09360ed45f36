import Testing
import Glibc
import GcCore
@testable import GcTypes

// Element types for the checks below (file scope: exit tests run them in a child).

struct HCNode: GcObject {
    static let gcType = GcType<HCNode>(name: "hako.tests/HCNode", acyclic: true)
    var x = 0
}
struct HCFieldStruct { var id = 0; var box: GcBox<HCNode>? }
final class HCFieldClass { var box: GcBox<HCNode>?; init() {} }
final class HCRcFieldClass { var rc: GcRc<HCNode>?; init() {} }
final class HCGenericRcClass<T: GcObject> { var rc: GcRc<T>?; init() {} }
class HCBase { var strings: [GcString] = [] }
final class HCDerived: HCBase {}
class HCGenericBase<T> { var value: T?; init() {} }
final class HCGenericDerived: HCGenericBase<GcString> { var n = 0 }
enum HCPayloadEnum { case none, some(Int, GcString) }
indirect enum HCIndirectEnum { case leaf(GcBox<HCNode>), node(HCIndirectEnum, HCIndirectEnum) }
struct HCWrapper<T> { var value: T }
struct HCPointerWrapper<T> { var pointer: UnsafeMutablePointer<T>? }

/// Each shape that hides a heap handle (or cannot be checked), by name: exit tests
/// run one shape each in a child process.
enum HandleShape: String, Codable, Sendable, CaseIterable {
    case optionalBox, arrayOfStrings, contiguousArrayOfBoxes, dictionaryOfArrays, setOfStrings
    case tuple, structField, classField, classRcField, genericClassRcField, superclassField
    case enumPayload, indirectEnumPayload, genericArgument, pointerGenericArgument, weak
    case refArrayInStruct, nestedOptionalArray, genericSuperclass, existential, closure

    /// Registers `GcArray<the shape>`; stops the process when it is refused.
    func register(in heap: Heap) {
        switch self {
        case .optionalBox: _ = GcArray<GcBox<HCNode>?>(in: heap)
        case .arrayOfStrings: _ = GcArray<[GcString]>(in: heap)
        case .contiguousArrayOfBoxes: _ = GcArray<ContiguousArray<GcBox<HCNode>>>(in: heap)
        case .dictionaryOfArrays: _ = GcArray<[String: GcArray<Int>]>(in: heap)
        case .setOfStrings: _ = GcArray<Set<GcString>>(in: heap)
        case .tuple: _ = GcArray<(Int, GcBox<HCNode>)>(in: heap)
        case .structField: _ = GcArray<HCFieldStruct>(in: heap)
        case .classField: _ = GcArray<HCFieldClass>(in: heap)
        case .classRcField: _ = GcArray<HCRcFieldClass>(in: heap)
        case .genericClassRcField: _ = GcArray<HCGenericRcClass<HCNode>>(in: heap)
        case .superclassField: _ = GcArray<HCDerived>(in: heap)
        case .enumPayload: _ = GcArray<HCPayloadEnum>(in: heap)
        case .indirectEnumPayload: _ = GcArray<HCIndirectEnum>(in: heap)
        case .genericArgument: _ = GcArray<HCWrapper<GcString>>(in: heap)
        case .pointerGenericArgument: _ = GcArray<HCPointerWrapper<GcBox<HCNode>>>(in: heap)
        case .weak: _ = GcArray<GcWeak<HCNode>?>(in: heap)
        case .refArrayInStruct: _ = GcArray<HCWrapper<GcRefArray<HCNode>>>(in: heap)
        case .nestedOptionalArray: _ = GcArray<[[GcBox<HCNode>?]?]>(in: heap)
        case .genericSuperclass: _ = GcArray<HCGenericDerived>(in: heap)
        case .existential: _ = GcArray<Any>(in: heap)
        case .closure: _ = GcArray<() -> Int>(in: heap)
        }
    }

    /// What the message must say.
    var expected: String {
        switch self {
        case .existential, .closure, .classRcField: "may hold heap handles the collector cannot see; use GcRefArray"
        default: "holds heap handles the collector cannot see; use GcRefArray"
        }
    }
}

/// Issue 12 case 10: `GcArray` refuses every element type holding a heap handle at
/// any depth, not only the handle types themselves.
@Suite struct GcArrayHandleCheckTests {
    @Test(arguments: HandleShape.allCases)
    func nestedHandleElementTypesAreRefused(_ shape: HandleShape) async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) { [shape] in
            shape.register(in: Heap())
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains(shape.expected), "\(shape): \(message)")
    }

    /// The reproduction: a node holding (through a `GcRc` field) an array of
    /// optional boxes that holds the node. Before the check the array registered, and
    /// the cycle stayed alive through two full collections (2 objects live); now
    /// building it stops at the array's registration, naming the path to the handle.
    @Test func cycleThroughArrayOfOptionalBoxesCannotBeBuilt() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = Heap()
            do {
                let node = GcBox(HCCycleNode(), in: heap)
                let array = GcArray<GcBox<HCCycleNode>?>([node], in: heap)
                node.mutate { $0.items = array.rc() }
            }
            heap.collect(.full)
            heap.collect(.full)
            print("live objects after two full collections: \(heap.statistics().liveObjects)")
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("GcArray<Optional<GcBox<HCCycleNode>>> holds heap handles the collector cannot see; use GcRefArray"))
        #expect(message.contains("Optional<GcBox<HCCycleNode>> › generic argument: GcBox<HCCycleNode> is a heap handle"))
    }

    /// Element types without handles keep working (the check must not over-refuse).
    @Test func plainElementTypesAreAccepted() {
        let heap = Heap()
        #expect(GcArray([1, 2], in: heap).count == 2)
        #expect(GcArray(["a"], in: heap).count == 1)
        #expect(GcArray([HCPlain(a: 1, b: 2.5)], in: heap).count == 1)
        #expect(GcArray([[1], [2, 3]], in: heap).count == 2)
        #expect(GcArray<String?>([nil, "x"], in: heap).count == 2)
        #expect(GcArray([HCPlainEnum.a(1), .b("x"), .c], in: heap).count == 3)
        #expect(GcArray([(1, "x")], in: heap).count == 1)
        #expect(GcArray([["k": [1.0]]], in: heap).count == 1)
        #expect(GcArray([Set([1])], in: heap).count == 1)
        #expect(GcArray([HCWrapper(value: 1)], in: heap).count == 1)
        #expect(GcArray([HCPlainClass()], in: heap).count == 1)
        #expect(GcArray([HCPlainList.cons(1, .end)], in: heap).count == 1)
        #expect(GcArray<InlineArray<2, Int>>([[1, 2]], in: heap).count == 1)
        #expect(GcArray<Int.Type>([Int.self], in: heap).count == 1)
        #expect(GcArray<@convention(c) (Int32) -> Int32>(in: heap).isEmpty)
        #expect(GcArray<Result<Int, Never>>(in: heap).isEmpty)
        #expect(GcArray<HCPlainGenericClass<Double>>(in: heap).isEmpty)
        #expect(GcArray<ObjectRef>(in: heap).isEmpty)
        #expect(GcArray<timespec>(in: heap).isEmpty)  // an imported C struct
    }

    /// The detector on its own: the path it reports, and types seen once (recursion).
    @Test func detectorReportsThePath() {
        let finding = HandleDetection.find(in: HCFieldClass.self)
        #expect(finding?.isHandle == true)
        #expect(finding?.description == "HCFieldClass › box: Optional<GcBox<HCNode>> › generic argument: GcBox<HCNode> is a heap handle (GcHandle)")
        #expect(HandleDetection.find(in: HCPlainList.self) == nil)
        #expect(HandleDetection.find(in: HCSelfReferencingClass.self) == nil)
        let deep = HandleDetection.find(in: HCPolymorphic<Int>.self)
        #expect(deep?.isHandle == false)
        #expect(deep?.what.contains("nested too deeply") == true)
    }
}

struct HCCycleNode: GcObject, ~Copyable {
    static let gcType = GcType<HCCycleNode>(name: "hako.tests/HCCycleNode")
    var items: GcRc<GcArrayStorage<GcBox<HCCycleNode>?>>? = nil
    func trace(into tracer: inout GcTracer) { tracer.visit(items) }
}

struct HCPlain { var a: Int; var b: Double }
enum HCPlainEnum { case a(Int), b(String), c }
final class HCPlainClass { var name = "x"; var values: [Int] = [1] }
final class HCPlainGenericClass<T> { var value: T?; init() {} }
final class HCSelfReferencingClass { var next: HCSelfReferencingClass?; var n = 0 }
indirect enum HCPlainList { case cons(Int, HCPlainList), end }
/// Polymorphic recursion: every level is a new type.
indirect enum HCPolymorphic<X> { case leaf(X), nested(HCPolymorphic<[X]>) }
